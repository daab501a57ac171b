/* The frames of one put on their way to its replicas: each replica has
 * its own consumer thread (one that sends to a remote replica, or stores
 * this node's copy), fed from one small ring of frames, so the copies
 * proceed in parallel and a slow replica does not hold up the others until
 * the ring is full (DESIGN.md "Put"; docs/ARCHITECTURE.md "Data path",
 * fan-out).
 *
 * Memory is bounded: GDFS_FANOUT_SLOTS frames, each copied in once by
 * gdfs_fanout_push and consumed by every live consumer. A consumer whose
 * callback fails stops and no longer holds the ring back; the caller
 * reaps it and drops that replica. One thread (the gateway's) calls every
 * function here. */
#ifndef GDFS_NODE_FANOUT_H
#define GDFS_NODE_FANOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define GDFS_FANOUT_SLOTS 4

struct gdfs_fanout;

/* A fanout for frames of at most @framecap bytes; *out is freed by
 * gdfs_fanout_free. GDFS_ENOMEM. */
int gdfs_fanout_new(size_t framecap, struct gdfs_fanout **out);

/* What a consumer does with each frame, in order: GDFS_OK, or an error
 * (it then stops; the callback keeps its reason where the caller finds
 * it). @i is the replica it was added for. */
typedef int (*gdfs_fanout_fn)(void *ctx, unsigned i, const uint8_t *frame,
                              size_t len);

/* Start a consumer thread for replica @i (< GDFS_REPLICAS) that calls
 * @fn(@ctx, @i, frame, len) for every frame pushed from now on.
 * GDFS_ENOMEM if no thread could be started. */
int gdfs_fanout_add(struct gdfs_fanout *f, unsigned i, gdfs_fanout_fn fn,
                    void *ctx);

/* Copy @frame into the ring for every live sender, first waiting until a
 * slot is free (every live sender has sent the frame it held). */
int gdfs_fanout_push(struct gdfs_fanout *f, const void *frame, size_t len);

/* Wait until every live consumer has consumed every frame pushed. */
void gdfs_fanout_flush(struct gdfs_fanout *f);

/* If the consumer of replica @i failed, join it and return true; what it
 * used is the caller's alone again. */
bool gdfs_fanout_reap(struct gdfs_fanout *f, unsigned i);

/* Stop every consumer (frames not yet consumed are dropped), join them
 * and free @f. NULL is fine. */
void gdfs_fanout_free(struct gdfs_fanout *f);

#endif
