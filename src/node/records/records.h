/* THE RECORDS ROOM (src/node/records/): the file records of the group.
 * It owns the leader's record keeping (versions, placement through
 * src/files/), the record log that replicates records to every member
 * (reclog), the requests the leader answers from its records
 * (leaderops), and the periodic record check with members (sync).
 *   May call: the group room (who leads, in which term, who is alive),
 *   the pure rules in src/files/ and src/core/, the store, the rpc pool.
 *   Never: moves file data (the data room does), or answers from its
 *   records while it does not hold its lease and its term's records.
 * This header is the room's entry: the leader's side of records. */
/* The records layer on a node (DESIGN.md "Files"): the leader's side of
 * replication (version allocation, placement, committing records through
 * the record log) and what every node needs to reach the leader and the
 * replicas.
 *
 * A leader serves file operations only once its record log is ready in
 * its term (its first entry committed, everything before it applied: it
 * then holds every committed record, by Raft's election restriction) and
 * while it holds its lease. */
#ifndef GDFS_NODE_RECORDS_RECORDS_H
#define GDFS_NODE_RECORDS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "node/group/grouphost.h"
#include "node/records/reclog.h"
#include "node/rpc.h"
#include "proto.h"
#include "store/store.h"
#include "transport.h"

struct gdfs_records;

/* Where a new version goes (gdfs_records_place, gdfs_records_alloc). */
struct gdfs_records_place {
    struct gdfs_version version;
    uint32_t chunk_size;
    unsigned n; /* replicas chosen (W <= n <= GDFS_REPLICAS) */
    unsigned w; /* acknowledgements needed */
    char id[GDFS_REPLICAS][GDFS_NODE_ID_MAX + 1];
    char addr[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
};

/* @self: this node's member credential, for what it dials (kept: it must
 * outlive the records layer). */
int gdfs_records_start(const struct gdfs_config *cfg, const char *db_path,
                       struct gdfs_transport *t, const struct gdfs_cred *self,
                       struct gdfs_grouphost *g, struct gdfs_records **out,
                       char *err, size_t errlen);
void gdfs_records_stop(struct gdfs_records *f);

struct gdfs_rpc *gdfs_records_rpc(struct gdfs_records *f);

/* The leader's address. *self says whether it is this node.
 * GDFS_ENOQUORUM with @why when no leader is known. */
int gdfs_records_leader(struct gdfs_records *f, char *addr, bool *self,
                        char *why, size_t whylen);

/* The address and liveness state of member @id; false if not a member. */
bool gdfs_records_member(struct gdfs_records *f, const char *id, char *addr,
                         uint8_t *state);

/* Whether @addr is the address of a current member: one of the member set
 * this node holds, in any state but LEFT, spelled exactly as that member
 * advertises it (a scheme such as ssh:// included: "ssh://h:p" and "h:p"
 * are different addresses, dialled with different transports). An
 * address taken from a peer's message is dialled only if this is true. */
bool gdfs_records_member_at(struct gdfs_records *f, const char *addr);

/* The record log (reclog.h), for its message handler. */
struct gdfs_reclog *gdfs_records_log(struct gdfs_records *f);

/* Where a new version of @name goes, as this node knows the group: its
 * member set, the record of @name it holds, and the leader's placement
 * exclusions (gdfs_group_status: full, draining). No version (0 0). On
 * the leader this is gdfs_records_alloc's choice; a gateway elsewhere
 * places with it while it asks the leader for the version. GDFS_ENOSPC
 * or GDFS_ENOQUORUM with @why when fewer than W members can take it. */
int gdfs_records_place(struct gdfs_records *f, struct gdfs_store *st,
                       const uint8_t *name, size_t namelen,
                       struct gdfs_records_place *out, char *why,
                       size_t whylen);

/* ---- leader side: each checks that this node leads, holds its lease and
 * has its record log ready in its term (waiting briefly for that); else
 * GDFS_ENOTLEADER / GDFS_ENOQUORUM with @why. @st is the caller's store
 * connection. ---- */

/* A new version of @name and its replicas. */
int gdfs_records_alloc(struct gdfs_records *f, struct gdfs_store *st,
                       const uint8_t *name, size_t namelen,
                       struct gdfs_records_place *out, char *why,
                       size_t whylen);

/* The members handing off their copies before they leave (repair.c):
 * new versions are not placed on them (gdfs_grouphost_set_draining). */
void gdfs_records_set_draining(struct gdfs_records *f,
                               const char (*ids)[GDFS_NODE_ID_MAX + 1],
                               unsigned n);

/* A new version for removing @name (GDFS_ENOENT if there is no file). */
int gdfs_records_alloc_remove(struct gdfs_records *f, struct gdfs_store *st,
                              const uint8_t *name, size_t namelen,
                              struct gdfs_version *out, char *why,
                              size_t whylen);

/* Commit @m through the record log: on a majority and applied here when
 * it returns GDFS_OK; else as gdfs_reclog_commit, or GDFS_ENOQUORUM /
 * GDFS_ENOTLEADER when this node may not write. */
int gdfs_records_commit(struct gdfs_records *f, const struct gdfs_meta *m,
                        char *why, size_t whylen);
/* gdfs_records_commit for a new put's record: its version must have been
 * allocated in this leader's term (else GDFS_ESTALE: nothing committed). */
int gdfs_records_commit_put(struct gdfs_records *f, const struct gdfs_meta *m,
                            char *why, size_t whylen);

/* Whether this node leads @term with its record log ready (no waiting,
 * unlike gdfs_records_check_leader). */
bool gdfs_records_ready(struct gdfs_records *f, uint64_t term);

/* Check that this node may answer from its records now (as above). */
int gdfs_records_check_leader(struct gdfs_records *f, char *why,
                              size_t whylen);

/* ---- records on the wire ---- */

/* Whether the @n records @ms may be taken from the leader of @term, as
 * one page (a META_SYNC page, or a record log entry's record):
 * GDFS_OK, or GDFS_EINVAL with the first refused in @why
 * (files/collect.h gdfs_collect_check, the rule). */
int gdfs_records_may_take(uint64_t term, const struct gdfs_meta *ms,
                          unsigned n, char *why, size_t whylen);

/* @m as a RECORD whose pointers point into @m (addresses of members this
 * node knows are filled in from @f, or left empty; @f may be NULL). The
 * address strings live in @addrs. */
void gdfs_records_to_record(struct gdfs_records *f, const struct gdfs_meta *m,
                            char (*addrs)[GDFS_ADDR_MAX + 1],
                            struct gdfs_record *out);
void gdfs_records_from_record(const struct gdfs_record *r,
                              struct gdfs_meta *out);

#endif
