/* The group: membership, ring heartbeats, failure detection and leader
 * election, as one deterministic state machine (DESIGN.md "Group").
 *
 * Pure: no sockets, no SQLite, no clock, no randomness of its own. The host
 * feeds it events (a message received, time passed) with the current time,
 * and it acts through the callbacks in struct gdfs_group_io: send a
 * message, persist term/vote or the member set (durably, before it goes
 * on), draw a random number, report an event. That makes every schedule
 * reproducible from a seed (tests/unit/test_group.c, GDFS_SIM_SEED), the way
 * canonical/raft's fixture drives its core.
 *
 * Rules, with where they come from:
 * - Terms and votes are Raft's (Ongaro's thesis §3.4): one vote per term,
 *   persisted before the reply; randomized timeouts in [election_ms,
 *   2 election_ms); a candidate needs a majority of its member set.
 * - Pre-vote (thesis §9.6): a node first asks whether it could win, without
 *   raising its term, so a node that was cut off does not disrupt a healthy
 *   leader when it comes back.
 * - Leader stickiness (thesis §4.2.3): a node that heard from a live leader
 *   within election_ms neither grants a (pre)vote nor raises its term for a
 *   vote request.
 * - Membership changes one node at a time (thesis §4.1): a new member set
 *   takes effect on each node when it arrives, is committed once a majority
 *   of the new set has it, and the next change waits for that commit. A
 *   voter refuses a candidate whose member set is older than its own (the
 *   set's version plays the part of Raft's last log entry). A node takes
 *   a set without itself (it was removed: it stops for good) only from
 *   the leader it already follows in that term, and only a newer one.
 *   A removed node that was down or cut off when it was removed learns
 *   it when it campaigns: the leader answers its VOTE with the set.
 * - A JOIN from a member under its id with a new address (it moved to a
 *   new machine and joined again, empty) changes that member's address:
 *   one change like the others, with the same voters.
 * - Leader lease: the leader holds writes only while a majority (itself
 *   included) acknowledged an APPEND it sent less than lease_ms ago, with
 *   lease_ms < election_ms; since those followers refuse votes for
 *   election_ms after hearing it, no other leader can be elected while the
 *   lease holds. A leader that loses its majority steps down.
 * - Failure detection (SWIM-like, leader-confirmed): each node heartbeats
 *   its ring neighbours; a neighbour silent for suspect_ms is suspect and
 *   reported to the leader, which marks it failed only if it has not heard
 *   from it for suspect_ms either. A node shown suspect or failed refutes
 *   by raising its incarnation.
 * - Input is never trusted (DESIGN.md invariant 7): a message that breaks
 *   a rule below is dropped, counted in g->drops and reported through
 *   GDFS_GEV_DROPPED; no message can crash the machine or move it outside
 *   these rules. */
#ifndef GDFS_CORE_GROUP_H
#define GDFS_CORE_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Terms (and, below, the other counters peers send: incarnations, member
 * set versions) are kept below 2^63: the store keeps them in SQLite's
 * signed 64-bit INTEGER, and x + 1 of any of them can never wrap. A
 * message carrying one at or above it is dropped; a node whose term is
 * 2^63 - 1 never campaigns again. */
#define GDFS_GROUP_COUNTER_LIMIT (UINT64_C(1) << 63)

/* How far above its own term a peer's term may be: farther, the message
 * is dropped and its term never adopted or persisted; if the sender is a
 * member, this node's own term moves up by this much only (so that a
 * node really that far behind catches up in a few messages instead of
 * being shut out for good). A legitimate term grows by one per election
 * that passes pre-vote, at most about one per election timeout
 * (election_ms >= 20): 2^32 terms take over two years of elections back
 * to back, and a node cut off for years lags by the elections the others
 * held, far fewer. A peer that lies about terms needs 2^31 messages, each
 * with an fsync, to push a node to the limit, instead of one. */
#define GDFS_GROUP_TERM_JUMP_MAX (UINT64_C(1) << 32)

enum gdfs_group_role {
    GDFS_ROLE_FOLLOWER = 0,
    GDFS_ROLE_PRECANDIDATE,
    GDFS_ROLE_CANDIDATE,
    GDFS_ROLE_LEADER,
    GDFS_ROLE_JOINING, /* not yet a member: waits for a leader's APPEND */
    GDFS_ROLE_REMOVED, /* no longer in the member set */
};

/* Events reported through io->event (for logs and the host's reactions). */
enum gdfs_group_event {
    GDFS_GEV_LEADER,     /* this node became leader (detail: term) */
    GDFS_GEV_STEP_DOWN,  /* this node stopped being leader */
    GDFS_GEV_NEW_LEADER, /* a leader was learned (detail: its id) */
    GDFS_GEV_SUSPECT,    /* a neighbour turned suspect (detail: its id) */
    GDFS_GEV_STATE,      /* a member's state changed (detail: its id) */
    GDFS_GEV_MEMBERS,    /* the member set changed */
    GDFS_GEV_COMMITTED,  /* a member set change was committed */
    GDFS_GEV_REMOVED,    /* this node was removed from the group */
    GDFS_GEV_DROPPED,    /* a message broke a rule and was dropped (detail:
                            gdfs_group_drop_text; g->last_drop: which) */
};

/* Why a message was dropped (TERM_AT_LIMIT: why this node did not start
 * an election): X(name, text). The numbers index g->drops. */
#define GDFS_GROUP_DROP_LIST(X)                                               \
    X(MALFORMED, "a field the decoder refuses (kind, string, count)")         \
    X(FROM_SELF, "it claims to come from this node")                          \
    X(TWO_LEADERS, "a second node claims to lead a term this node knows "     \
                   "the leader of")                                           \
    X(TERM, "its term is 2^63 or more, or more than 2^32 above this "         \
            "node's (from a member: this node's term moved up by 2^32)")      \
    X(TERM_AT_LIMIT, "this node's term is 2^63 - 1: it does not campaign")    \
    X(COUNTER, "an incarnation or member set version is 2^63 or more, a "     \
               "version is newer than its sender's term or set, or an "       \
               "APPEND_ACK echoes a time this leader has not reached")        \
    X(SET, "its member set is of another group, empty, names a member "       \
           "twice or shows one as left")                                      \
    X(NOT_IN_SET, "an APPEND from a node in neither its member set nor "      \
                  "this node's")                                              \
    X(SELF_REMOVAL, "a member set without this node, not from the leader "    \
                    "this node follows in that term, or not newer than its "  \
                    "own")

/* clang-format off */
enum gdfs_group_drop_reason {
#define GDFS_GROUP_DROP_ENUM(name, text) GDFS_GROUP_DROP_##name,
    GDFS_GROUP_DROP_LIST(GDFS_GROUP_DROP_ENUM)
#undef GDFS_GROUP_DROP_ENUM
    GDFS_GROUP_DROP_COUNT
};
/* clang-format on */

/* The last message dropped, for the host's log line. */
struct gdfs_group_drop {
    int reason;                      /* GDFS_GROUP_DROP_* */
    bool own;                        /* this node's own step, no message */
    uint8_t type;                    /* GDFS_GMSG_*, as the message claims */
    char from[GDFS_NODE_ID_MAX + 1]; /* as the message claims */
    uint64_t term;                   /* as the message claims */
};

struct gdfs_group_cfg {
    uint32_t heartbeat_ms; /* ring heartbeats and leader APPENDs */
    uint32_t suspect_ms;   /* silence before suspicion / failure */
    uint32_t election_ms;  /* election timeout base: [e, 2e) */
    uint32_t lease_ms;     /* < election_ms: leader lease length */
    uint32_t dead_ms;      /* failed this long: removed (0 = never) */
};

/* What the state machine asks of its host. Every callback may be called
 * from inside gdfs_group_* calls; none may call back into the group. */
struct gdfs_group_io {
    void *ctx;
    /* Queue @m for node @to (at @addr). No reference to @m is kept. */
    void (*send)(void *ctx, const char *to, const char *addr,
                 const struct gdfs_gmsg *m);
    /* Durably store term and vote ("" = none) before returning; nonzero
     * if that failed (the state machine then does not act on it). */
    int (*save_term)(void *ctx, uint64_t term, const char *voted_for);
    /* Durably store the member set (and its group id). */
    int (*save_members)(void *ctx, const struct gdfs_members *set);
    uint64_t (*random)(void *ctx);
    void (*event)(void *ctx, int event, const char *detail);
};

/* Per-peer bookkeeping, indexed like the member set. */
struct gdfs_peer {
    uint64_t last_rx;          /* last ring heartbeat from it (our clock) */
    uint64_t last_ack;         /* leader: last APPEND_ACK from it */
    uint64_t ack_sent_at;      /* leader: sent_at of the newest acked APPEND */
    struct gdfs_version acked; /* leader: member set version it holds */
    bool suspect;              /* our own ring view */
    uint64_t reported;         /* when we last reported it to the leader */
    bool reported_by_other;    /* leader: someone reported it suspect */
    bool vote;                 /* candidate: granted in this round */
};

struct gdfs_group {
    struct gdfs_group_cfg cfg;
    struct gdfs_group_io io;
    char self[GDFS_NODE_ID_MAX + 1];
    char self_addr[GDFS_ADDR_MAX + 1];
    int role;
    uint64_t term;
    char voted_for[GDFS_NODE_ID_MAX + 1];
    char leader[GDFS_NODE_ID_MAX + 1]; /* "" when unknown */
    /* Who leads `term` as far as this node knows ("" unknown): the first
     * leader heard of in a term, kept when `leader` is cleared (a step
     * down, a pre-vote), so that no second one is taken in that term. */
    char term_leader[GDFS_NODE_ID_MAX + 1];
    uint64_t incarnation;
    struct gdfs_members set;
    struct gdfs_version committed;
    struct gdfs_peer peer[GDFS_GROUP_MAX];
    uint64_t election_at;  /* follower/candidate: when to start (pre)voting */
    uint64_t heard_leader; /* last APPEND from the current leader */
    uint64_t next_heartbeat;
    char seed_addr[GDFS_ADDR_MAX + 1]; /* joining: whom to ask */
    uint64_t next_join;
    struct gdfs_member leaving; /* leader: the member being removed, told */
    bool has_leaving;           /* of its removal until it is committed */
#define GDFS_GONE_MAX 4
    struct gdfs_member gone[GDFS_GONE_MAX]; /* recently removed members */
    unsigned ngone;
    uint64_t drops[GDFS_GROUP_DROP_COUNT]; /* messages dropped, by reason */
    struct gdfs_group_drop last_drop;
    /* The last entry of this node's record log (docs/record-log.md), as
     * its host last set it (gdfs_group_set_log): carried in its VOTEs,
     * and a candidate whose log is behind it gets no vote. */
    uint64_t log_term, log_index;
    /* It grants no vote and starts no election (gdfs_group_hold_votes). */
    bool votes_held;
    struct gdfs_members prev; /* scratch for adopt_set */
    struct gdfs_gmsg scratch; /* scratch for large messages */
};

/* Start as a member of @set (a restart, or the first node after init).
 * @term/@voted_for are the persisted election state. @set must contain
 * @self (else GDFS_EGROUP). GDFS_ECORRUPT if @term is not below
 * GDFS_GROUP_COUNTER_LIMIT (no node of this version stores one). A group
 * of one elects itself on its first tick. */
int gdfs_group_start(struct gdfs_group *g, const char *self,
                     const struct gdfs_group_cfg *cfg,
                     const struct gdfs_group_io *io, uint64_t term,
                     const char *voted_for, const struct gdfs_members *set,
                     uint64_t now);

/* Start as a node that wants to join through the member at @seed_addr.
 * It sends JOIN until a leader's APPEND makes it a member. */
int gdfs_group_start_join(struct gdfs_group *g, const char *self,
                          const char *self_addr, const char *seed_addr,
                          const struct gdfs_group_cfg *cfg,
                          const struct gdfs_group_io *io, uint64_t now);

/* The record log's last entry is now (@term, @index): from now on a
 * candidate whose log is behind it gets no vote from this node (Raft's
 * election restriction, thesis §3.6.1), and its own VOTEs carry it. The
 * host calls it before it acknowledges entries it stored, under the same
 * lock as every other call, so that no vote can be granted against a log
 * it no longer has. Numbers at or above 2^63 are ignored. */
void gdfs_group_set_log(struct gdfs_group *g, uint64_t term, uint64_t index);

/* Raft assumes a voter never loses what it acknowledged. A node that
 * joins may be a member back with an emptied disk: the committed entries
 * it held, and the vote it gave in this term, are gone, and a vote from
 * it could elect a candidate that lacks them. So it holds its votes: it
 * grants none (pre-votes neither) and starts no election until its host
 * has seen its record log catch up with the leader's commit index.
 * gdfs_group_start_join holds them; the host holds them again at a
 * restart before that (it persists the hold). */
void gdfs_group_hold_votes(struct gdfs_group *g);
/* The log caught up: vote again, from the next term on (the vote of the
 * current term counts as given to the leader it follows, persisted
 * through io.save_term). false if that could not be saved (still held). */
bool gdfs_group_release_votes(struct gdfs_group *g);

/* Time passed: send heartbeats, detect silence, start elections. */
void gdfs_group_tick(struct gdfs_group *g, uint64_t now);

/* A message arrived. Messages of another group are ignored; one that
 * breaks a rule is dropped and reported (GDFS_GEV_DROPPED). @m may hold
 * anything a struct can: the machine checks every field it uses. */
void gdfs_group_recv(struct gdfs_group *g, const struct gdfs_gmsg *m,
                     uint64_t now);

/* Leader only: propose removing @id (a graceful leave, or by hand).
 * GDFS_ENOTLEADER, GDFS_EBUSY (another change not yet committed),
 * GDFS_ENOENT, or GDFS_OK (proposed; watch for GDFS_GEV_COMMITTED). */
int gdfs_group_propose_leave(struct gdfs_group *g, const char *id,
                             uint64_t now);

/* Leader only: propose removing @id for good now, instead of waiting
 * dead_ms (an operator's "forget"): the same one-node change as the
 * dead_ms removal, so the rules above hold. Only a member this leader has
 * confirmed failed: GDFS_EGROUP for one alive or suspect (it should leave,
 * handing its copies off, or be stopped first) and for the leader itself;
 * GDFS_ENOTLEADER, GDFS_ENOENT (no such member), GDFS_EBUSY (another
 * change not yet committed), or GDFS_OK (proposed; it is committed once a
 * majority of the remaining members hold it: watch for
 * GDFS_GEV_COMMITTED). A removed node that campaigns later (restarted
 * from its old database) is sent the member set by the leader that
 * removed it or saw it removed, and stops (GDFS_GEV_REMOVED). */
int gdfs_group_propose_forget(struct gdfs_group *g, const char *id,
                              uint64_t now);

/* Ask to leave the group: the leader proposes its own removal (and goes
 * once it is committed); a follower asks the leader. GDFS_OK (asked; watch
 * for GDFS_GEV_REMOVED), GDFS_ENOTLEADER (no leader known), or what
 * gdfs_group_propose_leave returns. */
int gdfs_group_request_leave(struct gdfs_group *g, uint64_t now);

/* True while this node is leader and holds its lease: the only state in
 * which it may accept writes (DESIGN.md invariant 3). */
bool gdfs_group_can_write(const struct gdfs_group *g, uint64_t now);

/* Majority of the current member set (members in state LEFT excluded). */
uint32_t gdfs_group_quorum(const struct gdfs_group *g);

/* The majority of @voters members: more than half of them (thesis §3.4:
 * any two majorities of one set share a member). 1 for 0 or 1 voters.
 * Hosts that count their own voters (the record log) use this rule, so
 * there is one. */
uint32_t gdfs_group_majority(uint32_t voters);
/* The same rule for any member set @set: more than half of its members
 * that did not leave (for decisions taken outside the state machine, as
 * src/files/collect.h's serve decision). */
uint32_t gdfs_group_set_majority(const struct gdfs_members *set);

/* Index of @id in the member set, or -1. */
int gdfs_group_find(const struct gdfs_members *set, const char *id);

const char *gdfs_group_role_name(int role);

/* "APPEND", "VOTE"... for a GDFS_GMSG_* kind; "?" if unknown. */
const char *gdfs_group_kind_name(int type);

/* What drop reason @reason means ("?" if unknown): static text. */
const char *gdfs_group_drop_text(int reason);

#endif
