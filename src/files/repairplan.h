/* Repair planning (DESIGN.md invariant 4: every committed file regains 3
 * replicas after a node failure, without an operator): what the leader's
 * repair scanner does with one record. Pure, in the shape of
 * src/core/group.h: the record, the member set with each member's
 * liveness time and drain mark, what the scanner remembers of the file
 * (its backoff note) and the current time come in; a decision comes out
 * (nothing, wait, copy these sources onto this target, or stuck). No I/O,
 * no lock, no clock: src/node/upkeep/repair.c calls it under its mutex,
 * keeps the notes and does the copies.
 *
 * Rules, with where they come from:
 * - A tombstone needs no copies (DESIGN.md "Remove": replicas drop the
 *   chunks once it is committed).
 * - Which replicas count is health's (src/files/health.h): a failed member
 *   counts until it has been failed for repair_delay_ms, a suspect one
 *   counts, a draining or departed one is lost at once, an unacked one is
 *   lost once the record has been seen unacked for unacked_grace_ms. The
 *   record's age starts at the first pass that saw it unacked (the note's
 *   unacked_since), so a new leader waits the full grace.
 * - A file is under-replicated (the figure status shows) when fewer of its
 *   replicas count on live members than it should have (gdfs_health_want:
 *   min(3, members not left nor draining); a failed member is still a
 *   member). It needs a copy now when fewer replicas count than that
 *   (a failed member's copy counts for repair_delay_ms: it waits, WAIT),
 *   or when one of its replicas is on a draining member (hand-off on
 *   leave, docs/ARCHITECTURE.md "Upkeep").
 * - No member can take the copy (every live member holds one already, as
 *   in a 3-node group with one failed): WAIT, quietly, until a member
 *   comes back or joins; only a hand-off with nowhere to go is STUCK (the
 *   leave reports it).
 * - A file whose copy is queued or running waits for it; so does one whose
 *   last copy failed, until the backoff the note holds (retry_at) is over.
 * - A replica whose member's inventory says it lacks the version
 *   (in->missing) is lost at once (health's GDFS_LOST_MISSING).
 * - Sources are the replicas that acked the version, are not missing it,
 *   and whose member is neither failed nor departed; suspect and draining
 *   ones are sources too (a draining node still holds its copies). No
 *   source: stuck.
 * - The target: first a replica that never acked or is missing the
 *   version, is lost, alive and not draining (a late ack: it may hold the
 *   data, the copy keeps what it has; a member back with an emptied disk
 *   gets its copies again); else placement's best alive (then suspect) member
 * that holds no replica of the record and is not draining
 * (src/files/placement.h). Either must have room for the file above its
 * reserve, as it last reported (placement.h "Capacity"). None: WAIT
 * (STUCK for a hand-off), as when no member is free.
 * - The new replica set keeps every replica that still counts (never
 *   fewer copies than now), drops the lost ones, and adds the target once,
 *   as acked (it holds the version once the copy is done). More than
 *   GDFS_REPLICAS: stuck. */
#ifndef GDFS_FILES_REPAIRPLAN_H
#define GDFS_FILES_REPAIRPLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "files/health.h"
#include "proto.h"
#include "store/store.h" /* struct gdfs_meta only: a plain struct */

/* What the scanner knows when it looks at one record. */
struct gdfs_repairplan_in {
    const struct gdfs_meta *m;              /* the record as scanned */
    const struct gdfs_members *set;         /* members, with addr and state */
    const struct gdfs_health_member *extra; /* extra[i]: set->m[i]'s
                                             * failed time and drain mark */
    const struct gdfs_capacity *room; /* room[i]: set->m[i]'s disk room as
                                       * it reported it; NULL: unknown */
    const char (*drains)[GDFS_NODE_ID_MAX + 1]; /* members being drained */
    unsigned ndrains;
    uint64_t now;               /* the scanner's clock (ms) */
    uint64_t unacked_since;     /* the note's: first pass that saw the record
                                 * unacked (0: none yet) */
    uint64_t retry_at;          /* the note's: no copy before this (0: none) */
    bool in_flight;             /* a copy of the file is queued or running */
    uint8_t missing;            /* bit i: replica i's member reported it
                                 * lacks the version (its inventory) */
    struct gdfs_health_cfg cfg; /* repair_delay_ms, unacked_grace_ms */
};

enum gdfs_repairplan_act {
    GDFS_REPAIRPLAN_NONE = 0, /* healthy, nothing on a draining member */
    GDFS_REPAIRPLAN_BUSY,     /* needs work; a copy is in flight */
    GDFS_REPAIRPLAN_BACKOFF,  /* needs work; retry_at not reached */
    GDFS_REPAIRPLAN_COPY,     /* copy from src[] onto target, commit next */
    GDFS_REPAIRPLAN_STUCK,    /* needs work, cannot get it (see why) */
    GDFS_REPAIRPLAN_WAIT,     /* under-replicated, no copy yet: the failed
                               * member's delay runs, or no member is free
                               * to take one (see why) */
};

struct gdfs_repairplan {
    enum gdfs_repairplan_act act;
    unsigned good; /* replicas that count (health GOOD or WAIT) */
    unsigned live; /* ... of them on members that are not failed */
    unsigned want; /* replicas the file should have */
    bool under;    /* live < want: an under-replicated file */
    /* The record names a member that has not acked: the note must keep
     * unacked_since (the value below: in->unacked_since, or now). */
    bool unacked;
    uint64_t unacked_since;
    /* drain[i]: index in in->drains of replica i's member, or -1. */
    int drain[GDFS_REPLICAS];
    const char *why; /* STUCK, WAIT: a static reason, for the log */
    /* COPY: indices into in->set. */
    int target;
    unsigned nsrc;
    int src[GDFS_REPLICAS];
    struct gdfs_meta next; /* the record to commit once the copy is held */
};

/* Decide what to do with in->m (see the rules above). @in and what it
 * points to are only read; no reference is kept. Fills all of *out. */
void gdfs_repairplan_make(const struct gdfs_repairplan_in *in,
                          struct gdfs_repairplan *out);

#endif
