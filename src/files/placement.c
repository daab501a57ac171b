/* Replica placement; see placement.h. */
#include "files/placement.h"

#include <stdbool.h>
#include <string.h>

uint64_t gdfs_place_score(const uint8_t *name, size_t namelen, const char *id)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a, then a final mix */

    for (size_t i = 0; i < namelen; i++)
        h = (h ^ name[i]) * 1099511628211ull;
    h = (h ^ 0xff) *
        1099511628211ull; /* separator: ("ab","c") != ("a","bc") */
    for (const char *p = id; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static bool listed(const char *id, const char (*ids)[GDFS_NODE_ID_MAX + 1],
                   unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

static bool chosen(int idx, const int *out, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (out[i] == idx)
            return true;
    return false;
}

/* Member @i may take the file: not excluded, room for @size. */
static bool usable(const struct gdfs_members *set, uint32_t i,
                   const struct gdfs_capacity *room, uint64_t size,
                   const char (*exclude)[GDFS_NODE_ID_MAX + 1],
                   unsigned nexclude)
{
    return !listed(set->m[i].id, exclude, nexclude) &&
           (room == NULL || gdfs_capacity_fits(&room[i], size));
}

unsigned gdfs_place(const uint8_t *name, size_t namelen,
                    const struct gdfs_members *set,
                    const struct gdfs_capacity *room, uint64_t size,
                    const char (*prev)[GDFS_NODE_ID_MAX + 1], unsigned nprev,
                    const char (*exclude)[GDFS_NODE_ID_MAX + 1],
                    unsigned nexclude, unsigned want, int *out)
{
    unsigned n = 0;

    if (want > GDFS_REPLICAS)
        want = GDFS_REPLICAS;
    /* Previous replicas that are alive keep their place. */
    for (unsigned p = 0; p < nprev && n < want; p++)
        for (uint32_t i = 0; i < set->n; i++)
            if (strcmp(set->m[i].id, prev[p]) == 0 &&
                set->m[i].state == GDFS_MEMBER_ALIVE &&
                usable(set, i, room, size, exclude, nexclude) &&
                !chosen((int)i, out, n))
                out[n++] = (int)i;
    /* Then the best scores: alive members, then suspect ones. */
    for (uint8_t state = GDFS_MEMBER_ALIVE;
         state <= GDFS_MEMBER_SUSPECT && n < want; state++) {
        while (n < want) {
            int best = -1;
            uint64_t best_score = 0;

            for (uint32_t i = 0; i < set->n; i++) {
                uint64_t sc;

                if (set->m[i].state != state || chosen((int)i, out, n) ||
                    !usable(set, i, room, size, exclude, nexclude))
                    continue;
                sc = gdfs_place_score(name, namelen, set->m[i].id);
                if (best < 0 || sc > best_score) {
                    best = (int)i;
                    best_score = sc;
                }
            }
            if (best < 0)
                break;
            out[n++] = best;
        }
    }
    return n;
}
