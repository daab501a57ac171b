/* Copies of one version between nodes: make this node hold a complete,
 * verified copy of a version, fetching what it lacks from other replicas
 * (NDTOND_RGET_FROM). Used by re-replication and hand-off (a node asked
 * with NDTOND_REPLICATE, repair.c) and by scrub / read repair (bad chunks
 * of a copy held here). Runs on the caller's thread, with the caller's
 * store connection; blocks on the network, bounded by the rpc timeouts. */
#ifndef GDFS_NODE_COPY_H
#define GDFS_NODE_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "node/records/records.h"
#include "proto.h"
#include "store/store.h"

/* Make this node hold a complete copy of the version @m names, every chunk
 * verified against its SHA-256 and the file checksum. Chunks this node
 * already holds for that version and that verify are kept; missing or bad
 * ones are fetched from @srcs (node addresses, tried in turn, resuming at
 * the next needed chunk, over @records' rpc pool). Every source must be
 * the address of a current member as @records knows it
 * (gdfs_records_member_at): one that is not is never dialled, and the
 * copy is refused with GDFS_EINVAL before anything is fetched or stored
 * (a source comes from a peer's REPLICATE, and a node dials only its
 * group's members). A copy made from nothing is stored like an RPUT
 * (uncommitted, one fsynced commit at the end) and is committed if this
 * node's record already names that version; bad chunks of a copy this node
 * holds are replaced in one fsynced transaction. *@bytes (may be NULL)
 * gets the bytes fetched. GDFS_ENOENT if no source holds it, GDFS_ECORRUPT
 * if none had a good copy of some chunk, GDFS_ENET etc. with @why.
 *
 * A tombstone needs no copy (GDFS_OK, nothing fetched). No reference to
 * @m or @srcs is kept after return. */
int gdfs_copy_version(struct gdfs_store *st, struct gdfs_records *records,
                      const struct gdfs_meta *m,
                      const char (*srcs)[GDFS_ADDR_MAX + 1], unsigned nsrc,
                      uint64_t *bytes, char *why, size_t whylen);

/* How long to wait for a REPLICATE of @size bytes to answer: the I/O
 * timeout plus 1 s per MiB (the copy runs before the answer), capped so
 * the sum fits an int. */
int gdfs_copy_wait_ms(int io_ms, uint64_t size);

#endif
