/* The newest version among what several nodes say they hold, and who
 * holds it: get --stale-ok's choice when no leader can name the newest
 * committed version (src/node/data/probe.c asks, this decides). Pure.
 *
 * Rules: the highest version (by term, then seq) wins; a tombstone that
 * is the highest wins too (the file was removed), and then nobody holds
 * it; holders are kept in the order they were added (this node first),
 * each once, at most GDFS_NEWEST_MAX. Version seq 0 means "nothing" and
 * is ignored. */
#ifndef GDFS_FILES_NEWEST_H
#define GDFS_FILES_NEWEST_H

#include <stdbool.h>

#include "proto.h"

#define GDFS_NEWEST_MAX (GDFS_REPLICAS + 1)

struct gdfs_newest {
    struct gdfs_version v; /* {0, 0}: nothing seen yet */
    bool tombstone;
    unsigned n; /* holders of v */
    char id[GDFS_NEWEST_MAX][GDFS_NODE_ID_MAX + 1];
    char addr[GDFS_NEWEST_MAX][GDFS_ADDR_MAX + 1];
};

void gdfs_newest_init(struct gdfs_newest *b);

/* Node @id at @addr holds version @v (a tombstone if @tomb). No reference
 * to the strings is kept. */
void gdfs_newest_add(struct gdfs_newest *b, const struct gdfs_version *v,
                     bool tomb, const char *id, const char *addr);

#endif
