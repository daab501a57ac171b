/* THE UPKEEP ROOM (src/node/upkeep/): background work that keeps copies
 * whole without a client asking: re-replication and hand-off (repair,
 * the leader's), scrub (every node re-reads its chunks), read repair (a
 * get's second replica checked and fixed after the get), and orphan
 * copies (puts that never committed).
 *   May call: the records room (leader checks, commits of new replica
 *   sets), the data room's copy and probe, the store, the rpc pool.
 *   Never: delays a client's reply (each runs on threads of its own,
 *   paced), or drops the last copy of a version.
 * This header is the room's entry: re-replication, the leader's work. */
/* Re-replication (DESIGN.md invariant 4) and hand-off on leave, the
 * leader's side. While this node leads (gdfs_records_check_leader), a
 * scanner thread of its own pages through the metadata records and finds
 * the files whose record names fewer good replicas than they should have
 * (src/files/health.h), and those with a replica on a node that is
 * leaving. For each it chooses a target with placement, a few worker
 * threads ask the target to copy the version from the healthy replicas
 * (NDTOND_REPLICATE) and then commit the record with the same version
 * and the new replica set (gdfs_records_commit). Copies are paced by
 * [files] repair_rate_mib_s; a failed copy is retried with backoff; a
 * file with no healthy source is reported (log, status), not looped on.
 *
 * On any other node the threads idle. */
#ifndef GDFS_NODE_REPAIR_H
#define GDFS_NODE_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "node/records/inventory.h"
#include "node/records/records.h"
#include "node/group/grouphost.h"
#include "proto.h"

struct gdfs_repair;

/* Names of under-replicated files a status reply carries, at most. */
#define GDFS_REPAIR_NAMES_MAX 16

struct gdfs_repair_stats {
    bool known;     /* this node leads, finished a pass of its term, and
                     * every live member's copies were verified by its
                     * inventory report (node/records/inventory.h) */
    uint32_t under; /* under-replicated files at the last full pass */
    uint32_t nnames;
    struct {
        uint8_t p[GDFS_NAME_MAX];
        size_t len;
    } names[GDFS_REPAIR_NAMES_MAX]; /* the first of them, in name order */
    uint32_t pending;               /* copies queued */
    uint32_t running;               /* copies in progress */
    uint64_t done;                  /* copies made and committed since start */
    uint64_t failed; /* copies that failed (each retry counts) */
    uint64_t bytes;  /* bytes of the versions copied */
};

/* Start the scanner and the workers; each opens its own store connection
 * on @db_path. @records and @group must outlive the repair module. */
int gdfs_repair_start(const struct gdfs_config *cfg, const char *db_path,
                      struct gdfs_records *records,
                      struct gdfs_grouphost *group,
                      struct gdfs_inventory *inventory,
                      struct gdfs_repair **out, char *err, size_t errlen);

/* Stop the threads (a copy in progress is abandoned: the target drops it
 * or keeps an uncommitted copy) and free everything. NULL is fine. */
void gdfs_repair_stop(struct gdfs_repair *r);

/* This node's figures (copies counters are this node's as leader; the
 * under-replicated figures only while it leads: otherwise known = false). */
void gdfs_repair_stats(struct gdfs_repair *r, struct gdfs_repair_stats *out);

/* Leader only: hand off every replica on member @id (it is leaving): its
 * copies count as lost at once but it may serve as a source. Waits up to
 * @timeout_ms until a full pass finds no file on @id that can still be
 * moved and no copy for one is in flight; *stuck gets the files that
 * could not be moved (no other member to take a copy, or no healthy
 * source): they stay under-replicated. The drain mark stays until
 * gdfs_repair_undrain (the node is then gone, or the leave failed).
 * GDFS_ENOTLEADER, GDFS_ETIMEDOUT, GDFS_EBUSY (too many drains at once),
 * with @why. */
int gdfs_repair_drain(struct gdfs_repair *r, const char *id, int timeout_ms,
                      uint32_t *stuck, char *why, size_t whylen);
void gdfs_repair_undrain(struct gdfs_repair *r, const char *id);

#endif
