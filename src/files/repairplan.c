/* Repair planning; see repairplan.h for the rules. */
#include "files/repairplan.h"

#include <stdio.h>
#include <string.h>

#include "files/placement.h"

static int member_index(const struct gdfs_members *set, const char *id)
{
    for (uint32_t i = 0; i < set->n; i++)
        if (strcmp(set->m[i].id, id) == 0)
            return (int)i;
    return -1;
}

static bool drains_any(const struct gdfs_repairplan *out)
{
    for (unsigned i = 0; i < GDFS_REPLICAS; i++)
        if (out->drain[i] >= 0)
            return true;
    return false;
}

/* Sources and target for in->m, and the record to commit (COPY), or the
 * reason there are none (STUCK). @h is each replica's health. */
static void plan_copy(const struct gdfs_repairplan_in *in,
                      const enum gdfs_health *h, struct gdfs_repairplan *out)
{
    const struct gdfs_meta *m = in->m;
    const struct gdfs_members *set = in->set;
    char exclude[GDFS_REPLICAS + GDFS_GROUP_MAX][GDFS_NODE_ID_MAX + 1];
    unsigned nexcl = 0, nkeep = 0;
    int unacked_target = -1, idx;
    struct gdfs_meta *next = &out->next;

    for (unsigned i = 0; i < m->nreplicas; i++) {
        int k = member_index(set, m->replica[i]);
        bool acked = ((m->acked & ~in->missing) >> i) & 1u;

        snprintf(exclude[nexcl++], sizeof(exclude[0]), "%s", m->replica[i]);
        if (k < 0 || !acked || set->m[k].state == GDFS_MEMBER_FAILED ||
            set->m[k].state == GDFS_MEMBER_LEFT) {
            /* An unacked replica that is alive may hold the data after
             * all (a late ack): ask it first, the copy keeps what it has.
             * So is one whose member lacks the version (its inventory):
             * the copy goes back where the record says it belongs. */
            if (k >= 0 && !acked && h[i] == GDFS_HEALTH_LOST &&
                set->m[k].state == GDFS_MEMBER_ALIVE &&
                !in->extra[k].draining && unacked_target < 0 &&
                (in->room == NULL ||
                 gdfs_capacity_fits(&in->room[k], m->size)))
                unacked_target = k;
            continue;
        }
        /* Acked and reachable: a source (a draining one too). */
        out->src[out->nsrc++] = k;
    }
    if (out->nsrc == 0) {
        out->why = "no healthy replica to copy from";
        return;
    }
    for (unsigned d = 0;
         d < in->ndrains && nexcl < GDFS_REPLICAS + GDFS_GROUP_MAX; d++)
        snprintf(exclude[nexcl++], sizeof(exclude[0]), "%s", in->drains[d]);
    if (unacked_target >= 0) {
        idx = unacked_target;
    } else if (gdfs_place(m->name, m->namelen, set, in->room, m->size, NULL, 0,
                          (const char(*)[GDFS_NODE_ID_MAX + 1]) exclude, nexcl,
                          1, &idx) != 1) {
        out->why = "no member left to take a copy";
        /* Nowhere to put a copy (each live member holds one): wait for a
         * member to come back or join; a hand-off stays STUCK. */
        if (!drains_any(out))
            out->act = GDFS_REPAIRPLAN_WAIT;
        return;
    }
    /* The new replica set: what still counts, then the target. */
    *next = *m;
    next->acked = 0;
    next->nreplicas = 0;
    for (unsigned i = 0; i < m->nreplicas; i++) {
        if (h[i] == GDFS_HEALTH_LOST ||
            strcmp(m->replica[i], set->m[idx].id) == 0)
            continue;
        snprintf(next->replica[nkeep], sizeof(next->replica[0]), "%s",
                 m->replica[i]);
        if ((m->acked >> i) & 1u)
            next->acked |= (uint8_t)(1u << nkeep);
        nkeep++;
    }
    if (nkeep >= GDFS_REPLICAS) {
        out->why = "no room in the replica set";
        return;
    }
    snprintf(next->replica[nkeep], sizeof(next->replica[0]), "%s",
             set->m[idx].id);
    next->acked |= (uint8_t)(1u << nkeep);
    next->nreplicas = (uint8_t)(nkeep + 1);
    out->target = idx;
    out->act = GDFS_REPAIRPLAN_COPY;
}

void gdfs_repairplan_make(const struct gdfs_repairplan_in *in,
                          struct gdfs_repairplan *out)
{
    const struct gdfs_meta *m = in->m;
    enum gdfs_health h[GDFS_REPLICAS];
    unsigned drained = 0;
    uint64_t age = 0;

    memset(out, 0, sizeof(*out));
    out->target = -1;
    for (unsigned i = 0; i < GDFS_REPLICAS; i++)
        out->drain[i] = -1;
    if (m->tombstone)
        return; /* tombstones need no copies */
    for (unsigned i = 0; i < m->nreplicas; i++) {
        out->unacked |= member_index(in->set, m->replica[i]) >= 0 &&
                        !((m->acked >> i) & 1u);
        for (unsigned d = 0; d < in->ndrains; d++)
            if (strcmp(in->drains[d], m->replica[i]) == 0) {
                out->drain[i] = (int)d;
                drained++;
            }
    }
    if (out->unacked) {
        /* The record's age: since the first pass that saw it unacked. */
        out->unacked_since = in->unacked_since != 0 ? in->unacked_since
                                                    : in->now;
        age = in->now - out->unacked_since;
    }
    out->want = gdfs_health_want(in->set, in->extra);
    out->good =
        gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1]) m->replica,
                           m->nreplicas, m->acked, in->missing, in->set,
                           in->extra, age, &in->cfg, h, &out->live);
    out->under = out->live < out->want;
    if (out->good >= out->want && drained == 0) {
        if (out->under) {
            out->act = GDFS_REPAIRPLAN_WAIT;
            out->why = "a failed member's copy counts until repair_delay_ms";
        }
        return;
    }
    if (in->in_flight) {
        out->act = GDFS_REPAIRPLAN_BUSY;
        return;
    }
    if (in->now < in->retry_at) {
        out->act = GDFS_REPAIRPLAN_BACKOFF;
        return;
    }
    out->act = GDFS_REPAIRPLAN_STUCK; /* until plan_copy finds a copy */
    plan_copy(in, h, out);
}
