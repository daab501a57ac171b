/* Replica health; see health.h. */
#include "files/health.h"

#include <string.h>

enum gdfs_health gdfs_health_replica(const char *id, bool acked, bool missing,
                                     const struct gdfs_members *set,
                                     const struct gdfs_health_member *extra,
                                     uint64_t age_ms,
                                     const struct gdfs_health_cfg *cfg,
                                     enum gdfs_health_why *why)
{
    enum gdfs_health_why w = GDFS_LOST_NONE;
    enum gdfs_health h = GDFS_HEALTH_GOOD;
    int i = -1;

    for (uint32_t k = 0; k < set->n && i < 0; k++)
        if (strcmp(set->m[k].id, id) == 0)
            i = (int)k;
    if (i < 0 || set->m[i].state == GDFS_MEMBER_LEFT) {
        h = GDFS_HEALTH_LOST;
        w = GDFS_LOST_NOT_MEMBER;
    } else if (extra[i].draining) {
        h = GDFS_HEALTH_LOST;
        w = GDFS_LOST_DRAINING;
    } else if (acked && missing) {
        /* DESIGN.md invariant 8: the record's claim does not count against
         * the member's own report. Lost at once, failed or not: it holds
         * nothing to come back with. */
        h = GDFS_HEALTH_LOST;
        w = GDFS_LOST_MISSING;
    } else if (!acked) {
        h = age_ms >= cfg->unacked_grace_ms ? GDFS_HEALTH_LOST
                                            : GDFS_HEALTH_WAIT;
        w = GDFS_LOST_UNACKED;
    } else if (set->m[i].state == GDFS_MEMBER_FAILED) {
        h = extra[i].failed_for_ms >= cfg->repair_delay_ms ? GDFS_HEALTH_LOST
                                                           : GDFS_HEALTH_WAIT;
        w = GDFS_LOST_FAILED;
    }
    if (why != NULL)
        *why = h == GDFS_HEALTH_LOST ? w : GDFS_LOST_NONE;
    return h;
}

unsigned gdfs_health_want(const struct gdfs_members *set,
                          const struct gdfs_health_member *extra)
{
    unsigned members = 0;

    for (uint32_t i = 0; i < set->n; i++)
        if (set->m[i].state != GDFS_MEMBER_LEFT && !extra[i].draining)
            members++;
    return members < GDFS_REPLICAS ? members : GDFS_REPLICAS;
}

/* Is member @id in @set and failed? */
static bool member_failed(const char *id, const struct gdfs_members *set)
{
    for (uint32_t k = 0; k < set->n; k++)
        if (strcmp(set->m[k].id, id) == 0)
            return set->m[k].state == GDFS_MEMBER_FAILED;
    return false;
}

unsigned gdfs_health_record(const char (*ids)[GDFS_NODE_ID_MAX + 1],
                            unsigned n, uint8_t acked, uint8_t missing,
                            const struct gdfs_members *set,
                            const struct gdfs_health_member *extra,
                            uint64_t age_ms, const struct gdfs_health_cfg *cfg,
                            enum gdfs_health *out, unsigned *live)
{
    unsigned count = 0, onlive = 0;

    for (unsigned i = 0; i < n; i++) {
        enum gdfs_health h = gdfs_health_replica(ids[i], (acked >> i) & 1u,
                                                 (missing >> i) & 1u, set,
                                                 extra, age_ms, cfg, NULL);

        if (out != NULL)
            out[i] = h;
        if (h == GDFS_HEALTH_LOST)
            continue;
        count++;
        /* Not lost and not failed: acked (or unacked in a young record) on
         * a member that is alive or suspect. */
        if (!member_failed(ids[i], set))
            onlive++;
    }
    if (live != NULL)
        *live = onlive;
    return count;
}
