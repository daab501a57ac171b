/* Replica health (DESIGN.md invariant 4: every committed file regains 3
 * replicas after a node failure). Pure functions: which replicas a record
 * names still count, which are lost, and how many a file should have; the
 * leader's repair thread (src/node/upkeep/repair.c) acts on the answers.
 *
 * A replica counts (GDFS_HEALTH_GOOD) when it acked the version, is still a
 * member, is not failed, and its member's inventory (DESIGN.md "Copies and
 * inventory", files/inventory.h) does not say it lacks the version: one
 * that does is lost at once (GDFS_LOST_MISSING; invariant 8, health never
 * over-reports). A failed member counts as lost only once it
 * has been failed for repair_delay_ms (a quick restart must not start a
 * copy storm): until then it is GDFS_HEALTH_WAIT, which still counts. A
 * replica that is no longer a member, or that is being drained (its node
 * leaves), is lost at once. One that never acked is lost once the record
 * is unacked_grace_ms old (the gateway commits only after every replica
 * it still streams to has answered, so an unacked replica never finishes
 * the copy later; the grace only covers a record seen right at commit).
 *
 * Two counts come out of a record, for two uses. The replicas that count
 * (GOOD or WAIT) decide whether the repair thread copies now: a failed
 * member's copy still counts while it may come back. The replicas that
 * count on live members (not failed) are the figure status shows: a file
 * with a copy on a failed member is under-replicated at once, even while
 * its repair waits for the delay (issue 13: with one of 3 nodes killed,
 * status must not say all is well). */
#ifndef GDFS_FILES_HEALTH_H
#define GDFS_FILES_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

enum gdfs_health {
    GDFS_HEALTH_GOOD = 0, /* acked, a member, alive or suspect */
    GDFS_HEALTH_WAIT,     /* counts for now: failed less than the delay, or
                           * unacked in a record younger than the grace */
    GDFS_HEALTH_LOST,     /* needs a replacement */
};

/* Why a replica is lost (for logs and status). */
enum gdfs_health_why {
    GDFS_LOST_NONE = 0,
    GDFS_LOST_FAILED,     /* failed for at least repair_delay_ms */
    GDFS_LOST_NOT_MEMBER, /* left or removed from the group */
    GDFS_LOST_UNACKED,    /* never held the version durably */
    GDFS_LOST_DRAINING,   /* its node is leaving (still a source) */
    GDFS_LOST_MISSING,    /* acked, but its member's inventory lacks it */
};

struct gdfs_health_cfg {
    uint64_t repair_delay_ms;
    uint64_t unacked_grace_ms;
};

/* What the caller knows of one member beyond the member set. */
struct gdfs_health_member {
    uint64_t failed_for_ms; /* how long it has been failed (0 if not) */
    bool draining;          /* its replicas are being handed off */
};

/* The standing of replica @id, which acked the version if @acked and whose
 * member's inventory says it lacks the version if @missing, given the
 * member set @set (extra[i] describes set->m[i]) and the record's age
 * @age_ms. *why (may be NULL) says why a lost replica is lost. */
enum gdfs_health gdfs_health_replica(const char *id, bool acked, bool missing,
                                     const struct gdfs_members *set,
                                     const struct gdfs_health_member *extra,
                                     uint64_t age_ms,
                                     const struct gdfs_health_cfg *cfg,
                                     enum gdfs_health_why *why);

/* Replicas a file should have: min(GDFS_REPLICAS, members that are
 * neither left nor draining). A failed member still counts: its failure
 * does not make the group smaller, it makes the file short of a copy
 * (DESIGN.md invariant 4). Below GDFS_REPLICAS only when the group itself
 * is too small (1 or 2 members), which status shows apart. */
unsigned gdfs_health_want(const struct gdfs_members *set,
                          const struct gdfs_health_member *extra);

/* A whole record (@missing: bit i set when replica i's member reported it
 * lacks the version): @out[i] (may be NULL) gets replica i's standing;
 * returns how many count (GOOD or WAIT): below gdfs_health_want, the file
 * needs a copy once nothing waits. *live (may be NULL) gets how many of
 * those are on members that are not failed: below gdfs_health_want, the
 * file is under-replicated (the figure status shows). */
unsigned gdfs_health_record(const char (*ids)[GDFS_NODE_ID_MAX + 1],
                            unsigned n, uint8_t acked, uint8_t missing,
                            const struct gdfs_members *set,
                            const struct gdfs_health_member *extra,
                            uint64_t age_ms, const struct gdfs_health_cfg *cfg,
                            enum gdfs_health *out, unsigned *live);

#endif
