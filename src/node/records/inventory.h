/* Copy inventory (DESIGN.md "Copies and inventory"): every member reports
 * the copies it holds complete to the leader, and the leader keeps, per
 * member, what that member lacks of what the records claim it holds
 * (files/inventory.h, the rule; store.h "copy inventory", the digests).
 *
 * Member side: a thread sends INV_SUM to the leader at start, whenever the
 * leader changes, and every inventory_interval_ms, then INV_LIST pages
 * for the buckets the leader says differ. Its incarnation is a random
 * number drawn at start, so the leader forgets what it knew of a member
 * that restarted (perhaps with an emptied or replaced disk). The leader
 * reconciles its own copies the same way, in process.
 *
 * Leader side: the handlers below, and gdfs_inventory_holds for the
 * counting (health, repair). The table lives in memory, under one mutex,
 * and is dropped when the term changes. */
#ifndef GDFS_NODE_INVENTORY_H
#define GDFS_NODE_INVENTORY_H

#include <stddef.h>

#include "config.h"
#include "files/inventory.h"
#include "node/group/grouphost.h"
#include "node/records/records.h"
#include "node/session.h"

struct gdfs_inventory;

/* Start the member thread (its own store connection on @db_path). */
int gdfs_inventory_start(const struct gdfs_config *cfg, const char *db_path,
                         struct gdfs_records *records,
                         struct gdfs_grouphost *g, struct gdfs_inventory **out,
                         char *err, size_t errlen);
/* Stop it and free the table. NULL is fine. */
void gdfs_inventory_stop(struct gdfs_inventory *inv);

/* Leader side: INV_SUM (reply META_DIFF) and INV_LIST (reply OK). The
 * member is the session's authenticated peer. */
int gdfs_inventory_handle_sum(struct gdfs_session *s,
                              const struct gdfs_msg *m);
int gdfs_inventory_handle_list(struct gdfs_session *s,
                               const struct gdfs_msg *m);

/* Leader: whether member @id, as the group knows it @now (incarnation and
 * entry, from gdfs_grouphost_status), holds the copy of @name at @v that
 * the records claim it holds, as its last finished report says. UNKNOWN
 * without one, or when that report is older than @now. Thread-safe. */
enum gdfs_inv_answer gdfs_inventory_holds(struct gdfs_inventory *inv,
                                          const char *id,
                                          const struct gdfs_inv_member *now,
                                          const uint8_t *name, size_t namelen,
                                          const struct gdfs_version *v);
/* Leader: a counter raised whenever an answer may have turned worse (a
 * member's new process, copies found lacking, a new term): figures
 * counted while it stood still are current. Thread-safe. */
uint64_t gdfs_inventory_gen(struct gdfs_inventory *inv);
/* Leader: the incarnation member @id last reported with (false if it has
 * not reported to this leader). Thread-safe. */
bool gdfs_inventory_incarnation(struct gdfs_inventory *inv, const char *id,
                                uint64_t *incarnation);

/* Leader: a repair made @id hold that copy. */
void gdfs_inventory_repaired(struct gdfs_inventory *inv, const char *id,
                             const uint8_t *name, size_t namelen,
                             const struct gdfs_version *v);

#endif
