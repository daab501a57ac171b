/* A node's scrub figures, as `gdfs-cli status` shows them (the tail of
 * NDTOCL_STATUS), filled by the scrub module (src/node/upkeep/scrub.c). */
#ifndef GDFS_NODE_SCRUB_STATS_H
#define GDFS_NODE_SCRUB_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct gdfs_scrub;

struct gdfs_scrub_stats {
    uint32_t passes;   /* full passes completed since start */
    uint64_t checked;  /* chunks checked in the current pass (or the
                        * last one, while the scrub pauses) */
    uint64_t total;    /* chunks in that pass */
    uint64_t bad;      /* bad chunks found (since start) */
    uint64_t repaired; /* bad chunks replaced by good copies */
    bool running;      /* the scrub thread runs (scrub_rate_mib_s > 0) */
};

/* The figures of @sc (written by the scrub module); NULL: all zero. */
void gdfs_scrub_stats(const struct gdfs_scrub *sc,
                      struct gdfs_scrub_stats *out);

#endif
