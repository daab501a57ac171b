/* In-memory storage for the record log's tests (tests/unit/test_rlog.c,
 * rlog_sim.c): a log of 8-byte values above a snapshot, and a state
 * machine that hashes the values applied. */
#ifndef GDFS_TEST_RLOG_MEM_H
#define GDFS_TEST_RLOG_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rlog.h"

#define MAXLOG 4096 /* entries a store holds above its snapshot */

struct ent {
    uint64_t term;
    uint64_t val;
};

struct store {
    uint64_t snap_index, snap_term, snap_hash;
    struct ent e[MAXLOG]; /* e[i] is index snap_index + 1 + i */
    uint64_t n;
    /* volatile: the state machine (a hash of the values applied) */
    uint64_t hash;
    uint64_t pending_hash; /* the snapshot being received */
    /* called on each apply (the simulation's checks), may be NULL */
    void (*on_apply)(struct store *s, uint64_t index, const struct ent *e);
    void *owner;          /* for on_apply */
    int fail_append;      /* > 0: that many appends fail */
    unsigned truncations; /* truncate_from calls */
};

uint64_t mem_last(const struct store *s);
uint64_t mem_mix(uint64_t h, uint64_t v);
struct gdfs_rlog_io mem_io(struct store *s);
/* Start @l over @s as the store stands, with @applied applied. */
int mem_open(struct gdfs_rlog *l, struct store *s,
             const struct gdfs_rlog_cfg *cfg, uint64_t applied);

#endif
