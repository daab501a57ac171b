/* Ring order and neighbours; see ring.h. */
#include "core/ring.h"

#include <string.h>

uint64_t gdfs_ring_key(const char *id)
{
    uint64_t h = 14695981039346656037ull;

    for (; *id; id++) {
        h ^= (uint8_t)*id;
        h *= 1099511628211ull;
    }
    return h;
}

/* Ring order: by key, ties (never in practice) by id. */
static int ring_less(const struct gdfs_member *a, const struct gdfs_member *b)
{
    uint64_t ka = gdfs_ring_key(a->id), kb = gdfs_ring_key(b->id);

    return ka != kb ? ka < kb : strcmp(a->id, b->id) < 0;
}

size_t gdfs_ring_neighbours(const struct gdfs_members *set, int self, int *out)
{
    int order[GDFS_GROUP_MAX];
    size_t n = 0, k = 0, pos = 0;

    /* Insertion sort of the members on the ring (n <= 64). */
    for (uint32_t i = 0; i < set->n; i++) {
        size_t j;

        if (set->m[i].state == GDFS_MEMBER_LEFT && (int)i != self)
            continue;
        for (j = n; j > 0 && ring_less(&set->m[i], &set->m[order[j - 1]]); j--)
            order[j] = order[j - 1];
        order[j] = (int)i;
        n++;
    }
    for (size_t i = 0; i < n; i++)
        if (order[i] == self)
            pos = i;
    for (size_t d = 1; d <= GDFS_RING_SIDE && d < n; d++) {
        int succ = order[(pos + d) % n], pred = order[(pos + n - d) % n];
        int cand[2] = {succ, pred};

        for (int c = 0; c < 2; c++) {
            int dup = 0;

            for (size_t x = 0; x < k; x++)
                dup |= out[x] == cand[c];
            if (!dup && cand[c] != self)
                out[k++] = cand[c];
        }
    }
    return k;
}
