/* The record log on a node (docs/record-log.md): file records replicated
 * as entries of one Raft log, applied in order to the record table.
 *
 * The pure bookkeeping is core/rlog.c; this module gives it its storage
 * (the store's rlog table, store.h "the record log"), its messages
 * (NDTOND_LOG_APPEND, NDTOCL_LOG_ACK) and its threads:
 * - a manager follows the group: when this node leads a term it starts
 *   leading the log in that term, appends a no-op entry of it and starts
 *   one sender per other voter; when it stops, the senders stop;
 * - each sender sends its voter what it lacks, or at least every
 *   heartbeat_ms the commit index, and takes its answer; a voter behind
 *   the start of the log (it was compacted: log_keep_entries applied
 *   entries are kept) is sent the record table instead (META_SYNC pages,
 *   then LOG_SNAP);
 * - a follower takes the leader's LOG_APPEND in the connection thread it
 *   arrives on.
 * Before any entry is stored, the group is told the log's new last entry
 * and checked to be still in the entry's term, under the group's lock
 * (grouphost.h gdfs_grouphost_set_log): no vote can then be granted to a
 * candidate without the entries this node stored, which is what lets a
 * new leader serve without collecting records (Raft's election
 * restriction).
 *
 * Locking: one mutex guards the log and its store connection; it is taken
 * before the group's lock, never after. */
#ifndef GDFS_NODE_RECORDS_RECLOG_H
#define GDFS_NODE_RECORDS_RECLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "node/group/grouphost.h"
#include "node/rpc.h"
#include "node/session.h"
#include "store/store.h"

struct gdfs_reclog;

/* Open the log's own store connection on @db_path and start the manager.
 * @rpc is the records room's pool (kept: it must outlive the log). */
int gdfs_reclog_start(const struct gdfs_config *cfg, const char *db_path,
                      struct gdfs_rpc *rpc, struct gdfs_grouphost *g,
                      struct gdfs_reclog **out, char *err, size_t errlen);
/* Stop the threads and close. NULL is fine. */
void gdfs_reclog_stop(struct gdfs_reclog *l);

/* Whether this node leads the log in @term and has applied every entry
 * up to its term's first: it holds every committed record then, and may
 * answer from its record table. */
bool gdfs_reclog_ready(struct gdfs_reclog *l, uint64_t term);

/* Leader of @term: append @m as an entry and wait until it is committed
 * and applied here (the record table has it), up to io_timeout_ms.
 * GDFS_OK; GDFS_ENOTLEADER (this node does not lead the log in @term:
 * nothing appended); GDFS_ESTORE (it could not be stored: nothing
 * appended); GDFS_EUNKNOWN (appended, but not known committed: the
 * leader lost its term or a majority, and a later leader keeps it or
 * not). @why says which. */
int gdfs_reclog_commit(struct gdfs_reclog *l, uint64_t term,
                       const struct gdfs_meta *m, char *why, size_t whylen);

/* NDTOND_LOG_APPEND from the leader of its term (the dispatch checked
 * that the peer leads it, or that the term is older than this node's):
 * reply LOG_ACK, or ERROR for a request that breaks the log's rules. */
int gdfs_reclog_handle_append(struct gdfs_session *s, struct gdfs_reclog *l,
                              const struct gdfs_msg *m);
/* NDTOND_LOG_SNAP, after the leader's META_SYNC pages of every bucket
 * (record sync's handler stored them): the record table is now the
 * leader's up to the entry it names; take it as the log's snapshot.
 * Reply LOG_ACK, or ERROR. */
int gdfs_reclog_handle_snap(struct gdfs_session *s, struct gdfs_reclog *l,
                            const struct gdfs_msg *m);

#endif
