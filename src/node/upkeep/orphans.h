/* Orphan copies (every node): complete copies whose put never committed
 * are dropped once they are old enough and the leader's record does not
 * name them (see orphans.c). One thread with its own store connection;
 * it blocks only on the leader lookup (bounded by the rpc timeouts). */
#ifndef GDFS_NODE_UPKEEP_ORPHANS_H
#define GDFS_NODE_UPKEEP_ORPHANS_H

#include <stddef.h>

#include "config.h"

struct gdfs_records;
struct gdfs_grouphost;
struct gdfs_orphans;

/* Start the thread (its own store connection on @db_path); @records and @g
 * must outlive it. On failure @err says why. */
int gdfs_orphans_start(const struct gdfs_config *cfg, const char *db_path,
                       struct gdfs_records *records, struct gdfs_grouphost *g,
                       struct gdfs_orphans **out, char *err, size_t errlen);
/* Stop and free it (NULL is fine). */
void gdfs_orphans_stop(struct gdfs_orphans *o);

#endif
