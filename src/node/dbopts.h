/* How every node thread opens its connection to the node's database, and
 * the reserve it keeps on its filesystem. */
#ifndef GDFS_NODE_DBOPTS_H
#define GDFS_NODE_DBOPTS_H

#include "config.h"
#include "store/store.h"

/* @no_migrate: a per-thread connection (the main one migrated the schema
 * at start-up). The writer-lock wait keeps the store's default. */
static inline struct gdfs_store_opts
gdfs_node_store_opts(const struct gdfs_config *cfg, bool no_migrate)
{
    struct gdfs_store_opts so = {.page_size = cfg->page_size,
                                 .cache_kib = cfg->cache_kib,
                                 .keep_versions = cfg->keep_versions,
                                 .no_migrate = no_migrate};

    return so;
}

/* [store] reserve_mib as the store's room verbs take it: bytes, or -1
 * for the default sized from the filesystem (key unset). */
static inline int64_t gdfs_node_reserve(const struct gdfs_config *cfg)
{
    return cfg->reserve_mib == GDFS_CONFIG_RESERVE_AUTO
               ? -1
               : (int64_t)cfg->reserve_mib << 20;
}

#endif
