/* The checkpointer: one thread per node database that moves WAL frames
 * into the database file, so that the threads storing chunks never do.
 *
 * Without it, SQLite checkpoints in whichever thread commits when the WAL
 * passes 1000 pages, holding the writer lock: a replica's stream stalls
 * while it copies the WAL (and every other writer with it), and each
 * replica's stalls add up along the put. With it (docs/ARCHITECTURE.md
 * "Storage", the checkpointer):
 *   - PASSIVE checkpoints run on its own connection once the WAL passes
 *     start_kib, beside the writers (no writer lock);
 *   - chunk writers (gdfs_store_put_chunk) wait for one checkpoint pass
 *     while the WAL is over cap_kib, so it stays bounded under a long put
 *     (a pass per chunk: a reader holding old frames slows writers down,
 *     never stops them);
 *   - after idle_ms without a commit it checkpoints everything and
 *     truncates the WAL (TRUNCATE, under the writer lock; retried later
 *     when a reader holds old frames);
 *   - it syncs the WAL every 16 MiB of chunks, which chunk writers did
 *     themselves before, so a put's final commit has little left to sync.
 * Durability is unchanged: commits are durable through their own group
 * sync (store.c), and a checkpoint syncs the WAL before it copies frames
 * and the database before the WAL can restart. */
#ifndef GDFS_CHECKPOINT_H
#define GDFS_CHECKPOINT_H

#include <stdint.h>

#include "store/store.h"

/* The node's settings. */
#define GDFS_CHECKPOINT_START_KIB (64u << 10)
#define GDFS_CHECKPOINT_CAP_KIB (512u << 10)
#define GDFS_CHECKPOINT_IDLE_MS 1000u

struct gdfs_checkpoint_opts {
    uint32_t start_kib; /* PASSIVE once the WAL passes this */
    uint32_t cap_kib;   /* chunk writers wait beyond this */
    uint32_t idle_ms;   /* TRUNCATE after this long without a commit */
};

struct gdfs_checkpoint_stats {
    uint64_t passive;  /* PASSIVE checkpoints run */
    uint64_t truncate; /* idle truncations done */
    uint64_t busy;     /* truncations a reader put off */
};

struct gdfs_checkpoint;

/* Start the checkpointer of the database at @path (its own connection,
 * opened with @so). One per database and process: a second is refused. */
int gdfs_checkpoint_start(const char *path, const struct gdfs_store_opts *so,
                          const struct gdfs_checkpoint_opts *co,
                          struct gdfs_checkpoint **out, char *err,
                          size_t errlen);
/* Stop it (NULL is a no-op); connections checkpoint themselves again. */
void gdfs_checkpoint_stop(struct gdfs_checkpoint *ck);
void gdfs_checkpoint_stats(struct gdfs_checkpoint *ck,
                           struct gdfs_checkpoint_stats *out);

#endif
