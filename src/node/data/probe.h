/* What a replica holds of a file, asked cheaply (NDTOND_PROBE: answered
 * from version rows, no chunk read), and the search get --stale-ok makes
 * with it when no leader can name the newest committed version. */
#ifndef GDFS_NODE_PROBE_H
#define GDFS_NODE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/rpc.h"
#include "node/session.h"
#include "store/store.h"
#include "proto.h"

struct gdfs_probe_result {
    uint8_t have; /* enum gdfs_probe_have, of the version asked */
    struct gdfs_version newest; /* newest committed version held; 0 0: none */
    bool tombstone;             /* newest is a tombstone */
};

/* Replica side: answer NDTOND_PROBE @m from this node's store. */
int gdfs_probe_handle(struct gdfs_session *s, const struct gdfs_msg *m);

/* Ask the node at @addr what it holds of @name: version @v (NULL: only
 * its newest). One round trip, bounded by @io_ms (and the dial timeout).
 * GDFS_OK with *out filled, or the failure with @why. No reference to
 * @name or @v is kept. */
int gdfs_probe_ask(struct gdfs_rpc *rpc, const char *addr, const uint8_t *name,
                   size_t namelen, const struct gdfs_version *v, int io_ms,
                   struct gdfs_probe_result *out, char *why, size_t whylen);

/* get --stale-ok without a leader: from this node's own record of @name
 * and its own copies, then the replicas that record names (probed), pick
 * the newest version any of them holds complete. *meta gets its name and
 * version (only those: the rest comes with GET_INFO) and as replicas the
 * nodes that hold it, this node first, with their addresses in @addrs.
 * When @seq is not 0 (get --version N) no version is chosen: *meta names
 * every candidate node and version {@seq, 0}. GDFS_ENOENT when nothing
 * is held, or the newest known is a tombstone; @why says so. */
int gdfs_probe_stale_plan(struct gdfs_session *s,
                          const struct gdfs_bytes *name, uint64_t seq,
                          struct gdfs_meta *meta,
                          char (*addrs)[GDFS_ADDR_MAX + 1], char *why,
                          size_t whylen);

#endif
