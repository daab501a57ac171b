/* THE GROUP ROOM (src/node/group/): the node's host for the group state
 * machine (src/core/group.c: membership, ring heartbeats, elections), on
 * a thread of its own, and the one-way peer links it sends through.
 *   May call: the core state machine, the store (term, vote, member set:
 *   fsynced before the machine acts on them), the transport.
 *   Never: waits on file traffic, a client, or a peer that does not
 *   answer (peers.c queues and drops instead), so a heartbeat is never
 *   late because of a transfer.
 * This header is the room's entry. */
/* The node's group thread: runs the group state machine (core/group.h)
 * on a thread of its own with a poll loop, so that client transfers and
 * SQLite commits on the connection threads never delay a heartbeat.
 * Messages from peers reach it through gdfs_grouphost_deliver (called by
 * connection threads); messages to peers leave through peer links
 * (peers.h); term/vote and member set changes go to its own SQLite
 * connection, fsynced before the state machine acts on them. */
#ifndef GDFS_NODE_GROUPHOST_H
#define GDFS_NODE_GROUPHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/cred.h"
#include "config.h"
#include "core/group.h"
#include "proto.h"
#include "transport.h"

struct gdfs_grouphost;

enum gdfs_grouphost_mode {
    GDFS_GROUPHOST_RESTART, /* member set from the database */
    GDFS_GROUPHOST_JOIN,    /* ask the member at the seed address */
};

/* A snapshot of the group for status replies. */
struct gdfs_group_status {
    int role;
    uint64_t term;
    char self[GDFS_NODE_ID_MAX + 1];
    char leader[GDFS_NODE_ID_MAX + 1];
    char group_id[GDFS_NODE_ID_MAX + 1];
    uint64_t incarnation; /* this node's: raised at each start and refute */
    struct gdfs_version set_version; /* of the member set */
    uint32_t n;
    struct {
        char id[GDFS_NODE_ID_MAX + 1];
        char addr[GDFS_ADDR_MAX + 1];
        uint8_t state;
        uint8_t ring;         /* GDFS_RING_* */
        uint64_t incarnation; /* the newest this node has seen */
        uint64_t entered;     /* when it last entered the set (a counter
                               * of this process; a leave and a join
                               * again change it) */
        /* Its disk room: this node's own as last measured; another
         * member's, on the leader, from its latest APPEND_ACK (known
         * false on a follower, or once it is older than a few heartbeat
         * rounds). */
        struct gdfs_capacity room;
        /* Whether new puts stay off it (placement exclusions): no room above
         * its reserve, or its copies being handed off. The leader's own view
         * on the leader; elsewhere what the leader's last APPEND said,
         * false when that is older than an election timeout. */
        bool full, draining;
    } m[GDFS_GROUP_MAX];
};

/* Start the group thread. @db_path is the node's database (the thread
 * opens its own connection; it measures the disk room of cfg->data_dir
 * every second, reports it to the leader with each APPEND_ACK, and keeps
 * the spare file that term and vote saves fall back on: store.h "disk
 * room"); @seed is the member to join through (JOIN
 * mode only). @stop_wr is written to when the node must stop on its own
 * (it left or was removed from the group, or a join was not accepted in
 * time): gdfs_grouphost_exit_code then says with which status (0 after a
 * leave it asked for, 2 when it was removed without asking, 1 when not
 * admitted). */
int gdfs_grouphost_start(const struct gdfs_config *cfg, const char *db_path,
                         struct gdfs_transport *t,
                         const struct gdfs_cred *self, int mode,
                         const char *seed, int stop_wr,
                         struct gdfs_grouphost **out, char *err,
                         size_t errlen);

/* Stop the thread and free everything. NULL is fine. */
void gdfs_grouphost_stop(struct gdfs_grouphost *h);

/* A peer's message (decoded from an NDTOND_GROUP frame). Copied; never
 * blocks: a sender that has its quota of messages waiting already has
 * this one dropped and counted (node/group/inbox.h). */
void gdfs_grouphost_deliver(struct gdfs_grouphost *h,
                            const struct gdfs_gmsg *m);

/* Leader: the members being drained (placement leaves them out; the
 * group's APPENDs tell the other members, gdfs_group_status.draining). */
void gdfs_grouphost_set_draining(struct gdfs_grouphost *h,
                                 const char (*ids)[GDFS_NODE_ID_MAX + 1],
                                 unsigned n);

void gdfs_grouphost_status(struct gdfs_grouphost *h,
                           struct gdfs_group_status *out);

/* The record log holds every entry the leader of @term had committed
 * (up to @index): a node that joined votes again (group.h
 * gdfs_group_hold_votes; persisted). Nothing if it was not holding them
 * or the group has left @term. Returns whether the node votes freely now
 * (votes are held only from the start of the process, so once true it
 * stays true). Called under the record log's lock, as
 * gdfs_grouphost_set_log. */
bool gdfs_grouphost_caught_up(struct gdfs_grouphost *h, uint64_t term,
                              uint64_t index);

/* The record log's last entry is now (@term, @index) (the election
 * restriction, core/group.h gdfs_group_set_log); true if this node is
 * still in term @in_term, checked under the same lock, so that entries a
 * follower stored for the leader of @in_term are acknowledged only if no
 * vote of a later term was granted before the machine knew of them. */
bool gdfs_grouphost_set_log(struct gdfs_grouphost *h, uint64_t term,
                            uint64_t index, uint64_t in_term);

/* GDFS_OK when this node may accept a write now (leader with a lease);
 * else GDFS_ENOTLEADER or GDFS_ENOQUORUM with a reason in @why. */
int gdfs_grouphost_check_write(struct gdfs_grouphost *h, char *why,
                               size_t whylen);

/* Leave the group and wait up to @timeout_ms for the removal to be
 * committed. GDFS_OK, GDFS_ENOTLEADER (no leader known), GDFS_EINVAL (the
 * only member), GDFS_EBUSY (another change in progress), GDFS_ETIMEDOUT. */
int gdfs_grouphost_leave(struct gdfs_grouphost *h, int timeout_ms);

/* Leader: remove failed member @id for good now (core/group.h
 * gdfs_group_propose_forget) and wait up to @timeout_ms for the removal to
 * be committed; *version gets the member set version that removed it.
 * GDFS_OK; else @why says why, with the code: GDFS_ENOTLEADER (not the
 * leader), GDFS_ENOENT (no such member), GDFS_EGROUP (it is alive or
 * suspect, or is this leader), GDFS_EBUSY (another change in progress),
 * GDFS_ENOQUORUM (this node stopped leading before the commit),
 * GDFS_ETIMEDOUT. */
int gdfs_grouphost_forget(struct gdfs_grouphost *h, const char *id,
                          int timeout_ms, struct gdfs_version *version,
                          char *why, size_t whylen);

/* 0 while running normally; the exit status the node should end with
 * after the group thread asked it to stop. */
int gdfs_grouphost_exit_code(struct gdfs_grouphost *h);

#endif
