/* META_SYNC pages to one member; see pager.h. */
#include "node/records/pager.h"

#include "node/records/records.h"
#include "node/rpc.h"

static int page_begin(struct gdfs_pager *p)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_META_SYNC};

    m.u.meta_sync.term = p->term;
    m.u.meta_sync.complete = p->complete;
    return gdfs_proto_writer_begin(&p->w, p->frame, p->cap, &m);
}

int gdfs_pager_begin(struct gdfs_pager *p, struct gdfs_rpc_conn *c,
                     uint8_t *frame, size_t cap, int io_ms, uint64_t term,
                     uint64_t complete)
{
    p->c = c;
    p->frame = frame;
    p->cap = cap;
    p->io_ms = io_ms;
    p->term = term;
    p->complete = complete;
    p->sent = 0;
    return page_begin(p);
}

int gdfs_pager_add(struct gdfs_pager *p, const struct gdfs_meta *m)
{
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    struct gdfs_record r;

    gdfs_records_to_record(NULL, m, addrs, &r);
    return gdfs_proto_add_record(&p->w, &r);
}

int gdfs_pager_flush(struct gdfs_pager *p, bool more)
{
    struct gdfs_msg r;
    size_t len;
    int rc = gdfs_proto_writer_finish(&p->w, more, &len);

    if (rc == GDFS_OK)
        rc = gdfs_rpc_send_raw(p->c, p->frame, len, p->io_ms);
    if (rc == GDFS_OK)
        rc = gdfs_rpc_recv(p->c, GDFS_MSG_NDTOCL_OK, &r, p->io_ms);
    if (rc == GDFS_OK)
        p->sent += p->w.count;
    return rc == GDFS_OK ? page_begin(p) : rc;
}
