/* The newest version and its holders; see newest.h. */
#include "files/newest.h"

#include <stdio.h>
#include <string.h>

void gdfs_newest_init(struct gdfs_newest *b)
{
    memset(b, 0, sizeof(*b));
}

void gdfs_newest_add(struct gdfs_newest *b, const struct gdfs_version *v,
                     bool tomb, const char *id, const char *addr)
{
    int cmp;

    if (v->seq == 0)
        return;
    cmp = b->v.seq == 0 ? 1 : gdfs_version_cmp(v, &b->v);
    if (cmp < 0)
        return;
    if (cmp > 0) {
        b->v = *v;
        b->tombstone = tomb;
        b->n = 0;
    }
    if (b->tombstone || tomb)
        return; /* nobody holds a removed file */
    for (unsigned i = 0; i < b->n; i++)
        if (strcmp(b->id[i], id) == 0)
            return;
    if (b->n < GDFS_NEWEST_MAX) {
        snprintf(b->id[b->n], sizeof(b->id[0]), "%s", id);
        snprintf(b->addr[b->n], sizeof(b->addr[0]), "%s", addr);
        b->n++;
    }
}
