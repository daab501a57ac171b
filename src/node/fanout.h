/* The frames of one put on their way to the remote replicas: each replica
 * stream has its own sender thread, fed from one small ring of frames, so
 * the copies go out in parallel and a slow replica does not hold up the
 * others until the ring is full (DESIGN.md "Put"; docs/design.md "Speed
 * of puts").
 *
 * Memory is bounded: GDFS_FANOUT_SLOTS frames, each copied in once by
 * gdfs_fanout_push and sent by every live sender. A sender whose send
 * fails stops (its connection's errmsg says why) and no longer holds the
 * ring back; the caller reaps it and drops that replica. One thread (the
 * gateway's) calls every function here. */
#ifndef GDFS_NODE_FANOUT_H
#define GDFS_NODE_FANOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "node/rpc.h"

#define GDFS_FANOUT_SLOTS 4

struct gdfs_fanout;

/* A fanout for frames of at most @framecap bytes; *out is freed by
 * gdfs_fanout_free. GDFS_ENOMEM. */
int gdfs_fanout_new(size_t framecap, int io_ms, struct gdfs_fanout **out);

/* Start a sender thread for replica @i (< GDFS_REPLICAS) on @c, which
 * stays the caller's (the thread only sends on it). GDFS_ENOMEM if no
 * thread could be started. */
int gdfs_fanout_add(struct gdfs_fanout *f, unsigned i,
                    struct gdfs_rpc_conn *c);

/* Copy @frame into the ring for every live sender, first waiting until a
 * slot is free (every live sender has sent the frame it held). */
int gdfs_fanout_push(struct gdfs_fanout *f, const void *frame, size_t len);

/* Wait until every live sender has sent every frame pushed. */
void gdfs_fanout_flush(struct gdfs_fanout *f);

/* If the sender of replica @i failed, join it and return true (its
 * connection's errmsg says why); the connection is the caller's again. */
bool gdfs_fanout_reap(struct gdfs_fanout *f, unsigned i);

/* Stop every sender (frames not yet sent are dropped), join them and free
 * @f. NULL is fine. */
void gdfs_fanout_free(struct gdfs_fanout *f);

#endif
