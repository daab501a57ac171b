/* Record sync (anti-entropy): the background work that brings every
 * member's file records in line with what the leader committed (see
 * sync.c). Orphan copies are upkeep/orphans.h's. */
#ifndef GDFS_NODE_SYNC_H
#define GDFS_NODE_SYNC_H

#include <stddef.h>

#include "config.h"
#include "node/records/records.h"
#include "node/group/grouphost.h"
#include "node/session.h"
#include "store/store.h"

struct gdfs_sync;

/* Start the sync thread (its own store connection on @db_path). */
int gdfs_sync_start(const struct gdfs_config *cfg, const char *db_path,
                    struct gdfs_records *records, struct gdfs_grouphost *g,
                    struct gdfs_sync **out, char *err, size_t errlen);
void gdfs_sync_stop(struct gdfs_sync *s);

/* A digest as META_SUM and INV_SUM carry it (GDFS_META_SUMS_LEN bytes:
 * per bucket count:32 sum:16B), and back. */
void gdfs_sync_sums_put(const struct gdfs_meta_digest *d,
                        uint8_t out[GDFS_META_SUMS_LEN]);
void gdfs_sync_sums_get(const uint8_t *p, struct gdfs_meta_digest *d);

/* Member side: META_SUM (answer which digest buckets differ) and
 * META_SYNC (persist a page of the leader's records). */
int gdfs_sync_handle_sum(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_sync_handle_push(struct gdfs_session *s, const struct gdfs_msg *m);

#endif
