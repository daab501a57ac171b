/* Read repair (DESIGN.md "Get": R = 2): while a get streams a version
 * from one replica, a second replica is asked (NDTOND_PROBE, in the
 * background) whether it holds that version complete; a replica that
 * lacks it, holds a stale or damaged copy, or failed verification while
 * the get read from it is sent an NDTOND_REPLICATE once the get has ended,
 * so the client's reply never waits for any of it.
 *
 * One queue, one worker thread. A (name, version, node) already queued is
 * not queued again, and the queue is bounded (new work is dropped, with a
 * log line, when it is full: scrub and re-replication catch what read
 * repair misses). */
#ifndef GDFS_NODE_READREPAIR_H
#define GDFS_NODE_READREPAIR_H

#include <stdint.h>

#include "config.h"
#include "node/records/records.h"
#include "store/store.h"

struct gdfs_readrepair;

/* Start the worker. @records gives the rpc pool and member addresses; it
 * must outlive the returned object. *out is freed by gdfs_readrepair_stop. */
int gdfs_readrepair_start(const struct gdfs_config *cfg,
                          struct gdfs_records *records,
                          struct gdfs_readrepair **out, char *err,
                          size_t errlen);

/* Stop the worker (a repair in flight finishes or times out first) and
 * free @rr; NULL is fine. */
void gdfs_readrepair_stop(struct gdfs_readrepair *rr);

/* A get of the committed record @m (replica addresses in @addrs, "" when
 * unknown) starts reading from replica @reading: queue a probe of one
 * other replica with an address, one the record does not show as acked
 * if there is one. Returns a ticket for
 * gdfs_readrepair_end (0 when nothing was queued). Never blocks on the
 * network. No reference to @m or @addrs is kept. */
uint64_t gdfs_readrepair_begin(struct gdfs_readrepair *rr,
                               const struct gdfs_meta *m,
                               const char (*addrs)[GDFS_ADDR_MAX + 1],
                               unsigned reading);

/* The get of @m has ended (its reply is out). Replicas in @bad (bit i:
 * replica i of @m lacked the version or failed verification) get a
 * repair; those in @good (bit i: served verified chunks) are preferred as
 * sources. Repairs the probe of @ticket asked for may now run. Never
 * blocks on the network. */
void gdfs_readrepair_end(struct gdfs_readrepair *rr, uint64_t ticket,
                         const struct gdfs_meta *m,
                         const char (*addrs)[GDFS_ADDR_MAX + 1], uint8_t bad,
                         uint8_t good);

#endif
