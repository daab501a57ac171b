/* Scrub (docs/ARCHITECTURE.md "Upkeep"): a paced background pass on every node
 * that re-reads every chunk of every complete copy it holds (committed
 * ones, and uncommitted ones older than GDFS_SCRUB_MIN_AGE_S), checks its
 * SHA-256, and checks each copy's chunk checksums against the file
 * checksum (the hash list). A copy with a bad chunk is logged (WARN: name,
 * version, chunk index) and repaired with gdfs_copy_version from the other
 * nodes that hold that version complete (asked with NDTOND_PROBE: the
 * replicas the local record names first, then every other member). With
 * no good source the bad copy is kept (it may be the last one), marked
 * damaged in the store (gdfs_store_mark_damaged) and reported.
 *
 * Pacing: [files] scrub_rate_mib_s (MiB/s read; 0 disables scrub) and
 * scrub_interval_s (pause between the end of one pass and the start of
 * the next). The scrub has its own thread and store connection and reads
 * one chunk per short read transaction: it never holds the write lock
 * while it reads, and never a snapshot for longer than one chunk. */
#ifndef GDFS_NODE_SCRUB_H
#define GDFS_NODE_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "node/records/records.h"
#include "node/group/grouphost.h"
#include "node/upkeep/scrub_stats.h"

/* Uncommitted copies younger than this are not scrubbed: their record
 * may still be on its way, or they are a failed put's leftovers. */
#define GDFS_SCRUB_MIN_AGE_S 3600

struct gdfs_scrub;

/* Start the scrub thread (or, with scrub_rate_mib_s 0, an idle object
 * that reports "not running"). @db_path: the node's database (the thread
 * opens its own connection). @records and @group must outlive the returned
 * object; *out is freed by gdfs_scrub_stop. */
int gdfs_scrub_start(const struct gdfs_config *cfg, const char *db_path,
                     struct gdfs_records *records,
                     struct gdfs_grouphost *group, struct gdfs_scrub **out,
                     char *err, size_t errlen);

/* Stop the thread (a chunk read or a repair in flight finishes first) and
 * free @sc; NULL is fine. */
void gdfs_scrub_stop(struct gdfs_scrub *sc);

#endif
