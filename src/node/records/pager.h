/* META_SYNC pages to one member: the leader's records, sent as committed
 * (record sync, node/records/sync.h). */
#ifndef GDFS_NODE_PAGER_H
#define GDFS_NODE_PAGER_H

#include <stddef.h>
#include <stdint.h>

#include "node/rpc.h"
#include "proto.h"
#include "store/store.h"

struct gdfs_pager {
    struct gdfs_rpc_conn *c;
    uint8_t *frame;
    size_t cap;
    int io_ms;
    uint64_t term;
    uint64_t complete; /* buckets this push carries whole (last page) */
    struct gdfs_proto_writer w;
    unsigned sent; /* records in pages the member acknowledged */
};

/* Start the first page on @c, in @frame (@cap bytes), for the leader of
 * @term; @complete as META_SYNC's field. */
int gdfs_pager_begin(struct gdfs_pager *p, struct gdfs_rpc_conn *c,
                     uint8_t *frame, size_t cap, int io_ms, uint64_t term,
                     uint64_t complete);
/* Add @m to the page: GDFS_ETOOBIG when it is full (flush, then add
 * again), GDFS_EINVAL if @m cannot be encoded. */
int gdfs_pager_add(struct gdfs_pager *p, const struct gdfs_meta *m);
/* Send the page (@more: pages follow), wait for the member's OK and start
 * the next page. */
int gdfs_pager_flush(struct gdfs_pager *p, bool more);

/* Send every record of @st in the buckets of @mask on @c as the leader of
 * @term, in pages built in @frame (@cap bytes); the last page (sent even
 * when empty) tells the member those buckets are complete. *sent counts
 * the records the member took. Read in one snapshot if the caller holds
 * one open on @st (gdfs_store_snapshot_begin). */
int gdfs_pager_push(struct gdfs_rpc_conn *c, struct gdfs_store *st,
                    uint8_t *frame, size_t cap, int io_ms, uint64_t term,
                    uint64_t mask, unsigned *sent);

#endif
