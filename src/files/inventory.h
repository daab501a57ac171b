/* One member's copy inventory as the leader knows it (DESIGN.md "Copies and
 * inventory", invariant 8: a copy counts only if the member holding it has
 * reported it complete). A pure state machine: reports in, answers out, no
 * I/O; the leader keeps one per member and feeds it what arrives.
 *
 * A copy is named by a key: a collision-resistant hash of (name, version)
 * that the caller computes (gdfs_store_inv_key), so that memory is bounded
 * by a count, whatever the names' lengths.
 *
 * The exchange (src/store/store.h "copy inventory" for the digests):
 *   1. The member sends its digest (INV_SUM, with its incarnation). The
 *      caller compares it with the leader's claims for the member and
 *      passes the differing buckets to gdfs_inv_on_sum. No difference: the
 *      member holds every copy claimed, and lacks nothing. Else a listing
 *      of those buckets begins.
 *   2. The member lists every complete copy it holds in those buckets
 *      (INV_LIST pages): gdfs_inv_on_page collects their keys.
 *   3. After the last page the caller walks the leader's claims in those
 *      buckets through gdfs_inv_claim between gdfs_inv_finish_begin and
 *      gdfs_inv_finish_end: a claim the member did not list is lacking.
 *
 * Answers (gdfs_inv_holds): a member whose current incarnation has not
 * finished a reconciliation (no report yet since it started or since this
 * leader began, or a listing longer than report_max) is UNKNOWN for every
 * copy: the caller may not count those copies as verified. A
 * reconciliation that finished says HELD or LACKS for each claim until the
 * next one finishes; a new incarnation (restart, rejoin) forgets it at
 * once. A report taken before the member's current incarnation in the
 * member set (the leader has seen it start again, or refute a suspicion,
 * since), or before it last entered the set (it left and joined again),
 * says nothing either: UNKNOWN until the member reports again. The group
 * learns of a restart from the member's first APPEND_ACK, often before
 * its first report. When more than lacking_max claims were not
 * listed, the first
 * lacking_max are LACKS and every other claim UNKNOWN (memory stays
 * bounded; repairing those, the next rounds find the rest).
 *
 * Races: a copy completed and acked after the member listed its bucket
 * but claimed before the leader walks its claims comes out lacking. That
 * errs the safe way (health under-reports, and the repair it starts finds
 * the copy there already); the next round corrects it. */
#ifndef GDFS_FILES_INVENTORY_H
#define GDFS_FILES_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define GDFS_INV_KEY_LEN 16

struct gdfs_inv_key {
    uint8_t b[GDFS_INV_KEY_LEN];
};

struct gdfs_inv_cfg {
    unsigned report_max;  /* most copies one listing may hold (memory:
                           * GDFS_INV_KEY_LEN bytes each) */
    unsigned lacking_max; /* most lacking copies remembered */
};

enum gdfs_inv_answer {
    GDFS_INV_UNKNOWN = 0, /* no finished reconciliation of this incarnation */
    GDFS_INV_HELD,        /* reported complete */
    GDFS_INV_LACKS,       /* claimed, but the member does not hold it */
};

/* Caller-allocated; every member is private to this module. */
/* A member as the group knows it: its incarnation in the member set
 * (raised at each start and refute) and when it last entered the set (a
 * counter of the leader's: a leave and a join again change it). */
struct gdfs_inv_member {
    uint64_t inc;
    uint64_t entered;
};

struct gdfs_inv {
    const struct gdfs_inv_cfg *cfg;
    uint64_t incarnation;
    struct gdfs_inv_member at; /* as the group knew it at its last report */
    bool seen;                 /* a report of this incarnation arrived */
    bool verified;    /* a reconciliation of it finished within bounds */
    bool complete;    /* ... and its lacking set is whole */
    uint64_t listing; /* buckets being listed (0: none) */
    bool over;        /* the listing outgrew report_max: nothing known */
    bool truncated;   /* more than lacking_max claims were not listed */
    struct gdfs_inv_key *got; /* keys listed so far (sorted at finish) */
    unsigned ngot, capgot;
    struct gdfs_inv_key *next; /* lacking, being built by gdfs_inv_claim */
    unsigned nnext, capnext;
    struct gdfs_inv_key *lacking; /* sorted */
    unsigned nlacking;
};

/* @cfg must stay valid until gdfs_inv_close. Starts unknown. */
void gdfs_inv_init(struct gdfs_inv *iv, const struct gdfs_inv_cfg *cfg);
/* Frees what @iv holds; it may be initialised again. */
void gdfs_inv_close(struct gdfs_inv *iv);
/* Forget everything (the member left, or this node stopped leading). */
void gdfs_inv_forget(struct gdfs_inv *iv);

/* An INV_SUM of @incarnation, taken with the member as @at says (its
 * incarnation as it sent it, its entry as the leader knows it), whose
 * digest differs from the leader's claims in the buckets of @diff. A new
 * incarnation or entry forgets what the previous one was known to lack.
 * @diff 0: verified, lacking nothing. Else a listing of @diff begins (one
 * already running is dropped). Returns @diff: the buckets the member is
 * asked to list (META_DIFF). */
uint64_t gdfs_inv_on_sum(struct gdfs_inv *iv, uint64_t incarnation,
                         const struct gdfs_inv_member *at, uint64_t diff);

/* One INV_LIST page of @n keys, for the buckets @mask of @incarnation.
 * GDFS_EINVAL if that is not the listing in progress (a page of an older
 * round, or of an incarnation since replaced: the caller drops it and
 * answers that error, and the member starts over at its next round);
 * GDFS_ENOMEM if the keys could not be kept (the listing then ends
 * unverified); else GDFS_OK. Keys beyond report_max mark the listing
 * over its bound. No reference to @keys is kept. */
int gdfs_inv_on_page(struct gdfs_inv *iv, uint64_t incarnation, uint64_t mask,
                     const struct gdfs_inv_key *keys, unsigned n);

/* After the last page (more = 0): whether a listing is in progress that
 * the caller should finish now (gdfs_inv_finish_begin .. _end). */
bool gdfs_inv_listing(const struct gdfs_inv *iv, uint64_t *mask);
void gdfs_inv_finish_begin(struct gdfs_inv *iv);
/* A claim of the leader's in the listing's buckets: lacking unless
 * listed. */
void gdfs_inv_claim(struct gdfs_inv *iv, const struct gdfs_inv_key *k);
/* Ends the listing. Verified, with the claims not listed as its lacking
 * set (the first lacking_max of them), unless the listing passed
 * report_max or memory ran out: then unknown. *lacking (may be NULL) gets
 * how many lacking copies are remembered. */
void gdfs_inv_finish_end(struct gdfs_inv *iv, unsigned *lacking);

/* Whether the member, as the group knows it @now, holds the copy @k the
 * records claim it holds. */
enum gdfs_inv_answer gdfs_inv_holds(const struct gdfs_inv *iv,
                                    const struct gdfs_inv_member *now,
                                    const struct gdfs_inv_key *k);

/* A repair made the member hold @k: no longer lacking. */
void gdfs_inv_repaired(struct gdfs_inv *iv, const struct gdfs_inv_key *k);

#endif
