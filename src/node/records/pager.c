/* META_SYNC pages to one member; see pager.h. */
#include "node/records/pager.h"

#include <string.h>

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

/* ---- whole buckets ---- */

#define PUSH_PAGE 256 /* records read per store page */

struct push {
    struct gdfs_pager pg;
    uint64_t mask;
    uint8_t last[GDFS_NAME_MAX];
    size_t lastlen;
    bool full; /* the record in hand did not fit: send, then resume */
};

static int push_record(void *ctx, const struct gdfs_meta *m)
{
    struct push *p = ctx;

    if ((p->mask >> gdfs_meta_bucket(m->name, m->namelen) & 1) != 0 &&
        gdfs_pager_add(&p->pg, m) == GDFS_ETOOBIG) {
        p->full = true;
        return 1; /* resume at this record after the flush */
    }
    memcpy(p->last, m->name, m->namelen);
    p->lastlen = m->namelen;
    return 0;
}

int gdfs_pager_push(struct gdfs_rpc_conn *c, struct gdfs_store *st,
                    uint8_t *frame, size_t cap, int io_ms, uint64_t term,
                    uint64_t mask, unsigned *sent)
{
    struct push p = {.mask = mask};
    bool more = true;
    int rc = gdfs_pager_begin(&p.pg, c, frame, cap, io_ms, term, mask);

    while (rc == GDFS_OK && more) {
        p.full = false;
        rc = gdfs_store_meta_list(st, p.last, p.lastlen, PUSH_PAGE, true,
                                  push_record, &p, &more);
        if (rc == GDFS_OK && p.full)
            rc = p.pg.w.count > 0 ? gdfs_pager_flush(&p.pg, true)
                                  : GDFS_ETOOBIG;
    }
    if (rc == GDFS_OK)
        rc = gdfs_pager_flush(&p.pg, false);
    *sent = p.pg.sent;
    return rc;
}
