/* The record log: the bookkeeping of Raft's replicated log (Raft paper
 * §5.3-§5.4 and §7; Ongaro's thesis §3.5-§3.6, §5) as a pure state machine,
 * to be driven by the group (src/core/group.c) once its APPEND carries
 * entries (issue 14, docs/record-log.md).
 *
 * Pure, like the group: no SQLite, no sockets, no clock, no randomness.
 * It never holds the log itself, only the numbers it needs (last index and
 * term, commit and applied index, snapshot index and term, and on a
 * leader each follower's next and match index); entries stay with the host
 * and are reached through struct gdfs_rlog_io. Its memory is fixed at
 * init, whatever the length of the log.
 *
 * Rules, with where they come from:
 * - A follower takes entries only after its entry at prev index has prev
 *   term (§5.3, the consistency check); the first entry that conflicts
 *   with its own and everything after it is removed, then the new ones
 *   appended. An entry at or below the commit index is never removed: a
 *   message that asks for it is hostile and dropped (GDFS_EPROTO).
 * - A follower's commit index is min(leader commit, index of the last new
 *   entry) (Figure 2, AppendEntries receiver rule 5).
 * - A leader counts an entry committed when a majority of the voters
 *   (itself included) hold it, and only an entry of its own term; earlier
 *   ones are committed by it (§5.4.2, Figure 8).
 * - A failed append is answered with the follower's last index and the
 *   term of its entry at prev index with the first index of that term, so
 *   the leader backs up a term per round, not an entry (§5.3, end).
 * - A voter grants only to a candidate whose last term is higher, or equal
 *   with a last index at least as high (§5.4.1): gdfs_rlog_up_to_date.
 * - Entries are applied in order, each once, up to the commit index; the
 *   applied state up to the applied index can replace the log below it
 *   (a snapshot, §7), and a follower behind the leader's snapshot takes it
 *   whole and keeps only the entries after it that agree.
 * - Input is never trusted: an index or term from a message at or above
 *   2^63 or out of place is refused with GDFS_EPROTO, leaving the state as
 *   it was; nothing a message holds can trip an assertion.
 *
 * The term and vote are the group's; this module takes the term it acts in
 * as an argument and assumes the caller already checked the message's
 * term against its own (group.c's rules). */
#ifndef GDFS_CORE_RLOG_H
#define GDFS_CORE_RLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Indices and terms stay below 2^63, as group.c's counters. */
#define GDFS_RLOG_LIMIT (UINT64_C(1) << 63)
/* Voters a leader tracks (the group's GDFS_GROUP_MAX). */
#define GDFS_RLOG_VOTERS_MAX 64
/* How many term_at calls a follower spends looking back for the first
 * index of a conflicting term; the hint is only a hint. */
#define GDFS_RLOG_HINT_SCAN 64

/* One entry. In an entry the module hands out, @data belongs to the host
 * and stays valid until the next io call. */
struct gdfs_rlog_entry {
    uint64_t index;
    uint64_t term;
    const void *data;
    size_t len;
};

/* What the module asks of its host: the log's storage and the state
 * machine. Every callback may be called from inside gdfs_rlog_* calls;
 * none may call back into the module. Each returns 0 or a GDFS_E* code,
 * and on an error the module stops at that point and passes it up (its
 * numbers then still describe what the host has stored). */
struct gdfs_rlog_io {
    void *ctx;
    /* The term of the stored entry at @index, snapshot index < @index <=
     * last index (the module never asks for another). */
    int (*term_at)(void *ctx, uint64_t index, uint64_t *term);
    /* Store @n entries after the last one, durably before returning. The
     * first follows the last stored index. @e is not kept. */
    int (*append)(void *ctx, const struct gdfs_rlog_entry *e, size_t n);
    /* Remove the stored entries from @index on (never a committed one),
     * durably before returning. */
    int (*truncate_from)(void *ctx, uint64_t index);
    /* Fill @out with up to @max entries from @from on, stopping before
     * the one that would take the sum of lengths past @max_bytes (but
     * always at least one), and set @n. @from is above the snapshot index
     * and at most the last index. */
    int (*read)(void *ctx, uint64_t from, size_t max_bytes,
                struct gdfs_rlog_entry *out, size_t max, size_t *n);
    /* Apply @n committed entries (consecutive, in index order, the first
     * after the last applied) to the state machine, all of them or none
     * (a host may do it in one transaction); each index once per start. */
    int (*apply)(void *ctx, const struct gdfs_rlog_entry *e, size_t n);
    /* Make the applied state up to @index (whose entry has @term) the
     * snapshot, durably, and drop the stored entries up to @index. */
    int (*snapshot)(void *ctx, uint64_t index, uint64_t term);
    /* Make the snapshot the host received from the leader (in pages, its
     * own business) the state machine and the snapshot, ending at @index
     * with @term; drop the stored entries up to @index, and all of them
     * when @keep is false (the log disagrees with the snapshot). */
    int (*install)(void *ctx, uint64_t index, uint64_t term, bool keep);
};

struct gdfs_rlog_cfg {
    /* How many entries one append request carries at most; the host's
     * buffer for gdfs_rlog_prepare holds that many. */
    size_t batch_max;
    /* Test-only switches that break one rule each, so that the test's
     * safety checks can be shown to catch it (tests/unit/test_rlog.c).
     * Always false outside that test. */
    bool test_skip_prev_check;  /* follower: no consistency check */
    bool test_commit_old_terms; /* leader: count entries of any term */
    bool test_commit_past_new;  /* follower: commit up to its last index */
};

/* What a leader held in durable storage when it started: the snapshot and
 * the last stored entry. */
struct gdfs_rlog_disk {
    uint64_t snap_index, snap_term;
    uint64_t last_index, last_term;
};

/* An append request (leader to follower), or a heartbeat with n = 0. */
struct gdfs_rlog_req {
    uint64_t prev_index, prev_term;
    uint64_t commit; /* the leader's commit index */
    const struct gdfs_rlog_entry *entries;
    size_t n;
};

/* A follower's answer. */
struct gdfs_rlog_ack {
    bool ok;
    uint64_t match;         /* ok: the last index known to agree */
    uint64_t last_index;    /* not ok: the follower's last index */
    uint64_t conflict_term; /* not ok: its term at prev index (0: none) */
    uint64_t conflict_from; /* not ok: first index it saw of that term */
};

/* A leader's view of one voter. */
struct gdfs_rlog_progress {
    uint64_t next;  /* the next index to send it */
    uint64_t match; /* the highest index known to agree with ours */
};

struct gdfs_rlog {
    struct gdfs_rlog_cfg cfg;
    struct gdfs_rlog_io io;
    uint64_t snap_index, snap_term;
    uint64_t last_index, last_term;
    uint64_t commit;  /* volatile: known committed */
    uint64_t applied; /* volatile: handed to io->apply */
    bool leader;
    uint64_t term; /* leader: the term it leads */
    unsigned nvoters, self;
    struct gdfs_rlog_progress peer[GDFS_RLOG_VOTERS_MAX];
};

/* Start from what the host has stored (@disk) and whose state machine
 * holds the entries up to @applied (snap_index <= applied <= last_index;
 * the applied entries are committed). Returns GDFS_OK or GDFS_ECORRUPT if
 * the numbers do not fit together. No reference to @cfg, @disk is kept. */
int gdfs_rlog_init(struct gdfs_rlog *l, const struct gdfs_rlog_cfg *cfg,
                   const struct gdfs_rlog_io *io,
                   const struct gdfs_rlog_disk *disk, uint64_t applied);

/* Election restriction (§5.4.1): true if a log ending at (@last_term,
 * @last_index) is at least as up to date as this one. */
bool gdfs_rlog_up_to_date(const struct gdfs_rlog *l, uint64_t last_term,
                          uint64_t last_index);

/* ---- leader ------------------------------------------------------------ */

/* Start leading @term with @nvoters voters, this node being voter @self:
 * every next index goes to last + 1, every match to 0. The caller then
 * appends an entry of @term (a no-op if nothing else): only that commits
 * what earlier leaders left (§5.4.2). GDFS_EINVAL on bad arguments. */
int gdfs_rlog_lead(struct gdfs_rlog *l, uint64_t term, unsigned nvoters,
                   unsigned self);
/* Stop leading (a higher term was seen); the entries stay. */
void gdfs_rlog_follow(struct gdfs_rlog *l);

/* Leader: append @n payloads (@data[i], @len[i]) as entries of the term it
 * leads, durably; they get the indices after the last. Commits at once if
 * this node is the only voter. GDFS_ENOTLEADER, GDFS_ETOOBIG past 2^63,
 * or what io returned. No reference to @data is kept. */
int gdfs_rlog_append(struct gdfs_rlog *l, const void *const *data,
                     const size_t *len, size_t n);

/* Leader: build the request for voter @peer into @req, with entries read
 * into @buf (cfg.batch_max of them) up to @max_bytes. Sets *@snapshot and
 * builds nothing if that voter needs the snapshot first (its next index
 * is at or below the snapshot index): the host then sends it in pages and
 * reports the end with gdfs_rlog_take_ack, match = snapshot index. The
 * entries point into the host's storage, valid until the next io call. */
int gdfs_rlog_prepare(struct gdfs_rlog *l, unsigned peer, size_t max_bytes,
                      struct gdfs_rlog_entry *buf, struct gdfs_rlog_req *req,
                      bool *snapshot);

/* Leader: take voter @peer's answer to a request of this term; advances
 * its match and next index, the commit index and applies. A duplicate or
 * an old answer changes nothing. GDFS_EPROTO if it claims more than this
 * leader holds or numbers past the limit (nothing changed). */
int gdfs_rlog_take_ack(struct gdfs_rlog *l, unsigned peer,
                       const struct gdfs_rlog_ack *ack);

/* ---- follower ---------------------------------------------------------- */

/* Follower: take an append request from the leader of the current term
 * and fill @ack. Applies newly committed entries. GDFS_EPROTO (nothing
 * changed, no answer to send) if the request breaks a rule: numbers past
 * the limit, entries out of sequence or of falling terms, a change to a
 * committed entry, or this node leads (a second leader in its term). */
int gdfs_rlog_take_append(struct gdfs_rlog *l, const struct gdfs_rlog_req *req,
                          struct gdfs_rlog_ack *ack);

/* Follower: the leader's snapshot up to @index (entry term @term) has
 * arrived whole in the host's hands: install it unless this node already
 * committed that far, and fill @ack (ok, match = @index). GDFS_EPROTO on
 * numbers past the limit, a term of 0, or if this node leads. */
int gdfs_rlog_take_snapshot(struct gdfs_rlog *l, uint64_t index, uint64_t term,
                            struct gdfs_rlog_ack *ack);

/* ---- both -------------------------------------------------------------- */

/* Compact: make the applied state the snapshot (io->snapshot) and forget
 * the entries below it. Does nothing if nothing was applied since the
 * last snapshot. */
int gdfs_rlog_compact(struct gdfs_rlog *l);
/* Compact up to @index only (at most the applied index: GDFS_EINVAL
 * past it), keeping the entries after it for followers a little behind.
 * io->snapshot is told @index; a host whose state machine cannot be read
 * as of @index sends its applied state instead when a snapshot is due
 * (the index it then names is its applied index, which a follower installs
 * as any snapshot: every entry up to it is committed). */
int gdfs_rlog_compact_to(struct gdfs_rlog *l, uint64_t index);

#endif
