/* A node's scrub figures, as `gdfs-cli status` shows them (the tail of
 * NDTOCL_STATUS). The scrub module (src/node/scrub.c, on its own branch)
 * defines struct gdfs_scrub and gdfs_scrub_stats; until it is merged the
 * status handler reports zeros ("scrub: not running"). */
#ifndef GDFS_NODE_SCRUB_STATS_H
#define GDFS_NODE_SCRUB_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct gdfs_scrub;

struct gdfs_scrub_stats {
    uint32_t passes;   /* full passes completed since start */
    uint64_t checked;  /* chunks checked in the current pass */
    uint64_t total;    /* chunks in the current pass */
    uint64_t bad;      /* bad chunks found (since start) */
    uint64_t repaired; /* bad chunks replaced by good copies */
    bool running;      /* a pass is in progress */
};

/* The figures of @sc (written by the scrub module). */
void gdfs_scrub_stats(const struct gdfs_scrub *sc,
                      struct gdfs_scrub_stats *out);

#endif
