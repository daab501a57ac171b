/* Record sync: a periodic check that members' records match the
 * leader's.
 *
 * The record log (reclog.h) brings every member's record table up to date
 * with the leader's: this is no longer needed for that. It remains a
 * cheap check for divergence the log would not repair (records written
 * before the log existed, a table damaged on disk): every
 * sync_interval_s the leader compares its records with each live
 * member's, by digest (store.h, "record sync"), and sends the buckets that
 * differ as META_SYNC pages, which the member persists in one
 * transaction each, fenced by the leader's term.
 */
#define GDFS_LOG_MODULE "sync"
#include "node/records/sync.h"
#include "node/dbopts.h"

#include "node/records/pager.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "net.h"
#include "pack.h"
#include "worker.h"
#include "node/group/grouphost.h"
#include "node/records/records.h"
#include "node/rpc.h"
#include "store/store.h"

#define TICK_MS 100
#define RETRY_MS 1000 /* after a failed sync with a member */
/* A META_SYNC page: as large as members take (proto.h), room for many
 * records of at most ~2 KiB. */
#define PAGE_BYTES (GDFS_PROTO_HDR_LEN + GDFS_META_PAGE_MAX)

struct member_sync {
    char id[GDFS_NODE_ID_MAX + 1];
    uint64_t next_ms; /* next comparison due */
};

struct gdfs_sync {
    const struct gdfs_config *cfg;
    struct gdfs_records *records;
    struct gdfs_grouphost *group;
    struct gdfs_store *st;
    struct gdfs_worker w; /* the thread */
    uint64_t term;        /* the leader term the member table belongs to */
    struct member_sync m[GDFS_GROUP_MAX];
    unsigned n;
    uint8_t *frame; /* one META_SYNC page */
    size_t framecap;
};

/* ---- digests on the wire ---------------------------------------------------- */

void gdfs_sync_sums_put(const struct gdfs_meta_digest *d,
                        uint8_t out[GDFS_META_SUMS_LEN])
{
    struct gdfs_pack_writer w;

    gdfs_pack_writer_init(&w, out, GDFS_META_SUMS_LEN, 0);
    for (unsigned i = 0; i < GDFS_META_BUCKETS; i++) {
        gdfs_pack_put_u32(&w, d->count[i]);
        gdfs_pack_put_bytes(&w, d->sum[i], GDFS_META_SUM_LEN);
    }
}

void gdfs_sync_sums_get(const uint8_t *p, struct gdfs_meta_digest *d)
{
    struct gdfs_pack_reader r;

    gdfs_pack_reader_init(&r, p, GDFS_META_SUMS_LEN);
    for (unsigned i = 0; i < GDFS_META_BUCKETS; i++) {
        d->count[i] = gdfs_pack_get_u32(&r);
        gdfs_pack_get_copy(&r, d->sum[i], GDFS_META_SUM_LEN);
    }
}

/* ---- member side ------------------------------------------------------------ */

int gdfs_sync_handle_sum(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_META_DIFF, .reqid = m->reqid};
    struct gdfs_meta_digest *theirs = malloc(sizeof(*theirs));
    struct gdfs_meta_digest *ours = malloc(sizeof(*ours));
    int rc = GDFS_ENOMEM;

    if (theirs != NULL && ours != NULL &&
        (rc = gdfs_store_meta_digest(s->st, ours)) == GDFS_OK) {
        gdfs_sync_sums_get(m->u.meta_sum.sums.p, theirs);
        r.u.meta_diff.mask = gdfs_meta_digest_diff(theirs, ours);
    }
    free(theirs);
    free(ours);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "record digest on %s: %s",
                                s->cfg->node_id,
                                rc == GDFS_ENOMEM ? "out of memory"
                                                  : gdfs_store_errmsg(s->st));
    return gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                             gdfs_session_io_ms(s));
}

int gdfs_sync_handle_push(struct gdfs_session *s, const struct gdfs_msg *m)
{
    const struct gdfs_list_body *b = &m->u.meta_sync.body;
    struct gdfs_meta *ms = calloc(b->count ? b->count : 1, sizeof(*ms));
    struct gdfs_record rec;
    unsigned n = 0, applied = 0;
    size_t off = 0;
    char why[512];
    int rc;

    if (ms == NULL)
        return gdfs_reply_error(s, m->reqid, GDFS_ENOMEM,
                                "record sync on %s: out of memory",
                                s->cfg->node_id);
    while (n < b->count && gdfs_proto_next_record(b, &off, &rec))
        gdfs_records_from_record(&rec, &ms[n++]);
    /* Nothing of a page is stored unless all of it may be (collect.h). */
    rc = n == b->count ? gdfs_records_may_take(m->u.meta_sync.term, ms, n, why,
                                               sizeof(why))
                       : GDFS_EPROTO;
    if (rc == GDFS_EPROTO)
        snprintf(why, sizeof(why), "%u of its %u records readable", n,
                 b->count);
    if (rc != GDFS_OK) {
        free(ms);
        gdfs_log(GDFS_LOG_WARN, "record sync from %s refused: %s",
                 s->conn->peer, why);
        return gdfs_reply_error(s, m->reqid, rc,
                                "record sync on %s refused: %s",
                                s->cfg->node_id, why);
    }
    rc = gdfs_store_meta_put_many(s->st, m->u.meta_sync.term, ms, n,
                                  m->u.meta_sync.more
                                      ? 0
                                      : m->u.meta_sync.complete,
                                  &applied);
    free(ms);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "record sync on %s: %s",
                                s->cfg->node_id, gdfs_store_errmsg(s->st));
    if (applied > 0)
        gdfs_log(GDFS_LOG_INFO,
                 "record sync: %u of %u records were new "
                 "(term %llu)",
                 applied, n, (unsigned long long)m->u.meta_sync.term);
    {
        static const struct gdfs_version none;

        return gdfs_reply_ok(s, m->reqid, &none);
    }
}

/* ---- leader side ------------------------------------------------------------ */

/* Compare our records with member @id's at @addr and send what differs. */
static int sync_member(struct gdfs_sync *sy, uint64_t term, const char *id,
                       const char *addr, const struct gdfs_meta_digest *ours)
{
    struct gdfs_rpc *rpc = gdfs_records_rpc(sy->records);
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_META_SUM}, r;
    uint8_t sums[GDFS_META_SUMS_LEN];
    struct gdfs_rpc_conn *c = NULL;
    unsigned sent = 0;
    char err[512];
    int rc;

    gdfs_sync_sums_put(ours, sums);
    req.u.meta_sum.term = term;
    req.u.meta_sum.sums.p = sums;
    req.u.meta_sum.sums.len = sizeof(sums);
    rc = gdfs_rpc_call(rpc, addr, &req, GDFS_MSG_NDTOCL_META_DIFF, &r, &c,
                       gdfs_rpc_io_ms(rpc), err, sizeof(err));
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_DEBUG, "record sync with %s: %s", id, err);
        return rc;
    }
    if (r.u.meta_diff.mask != 0) {
        uint64_t mask = r.u.meta_diff.mask;

        rc = gdfs_pager_push(c, sy->st, sy->frame, sy->framecap,
                             gdfs_rpc_io_ms(rpc), term, mask, &sent);
        if (rc == GDFS_OK)
            gdfs_log(GDFS_LOG_INFO,
                     "record sync with %s: %d of %d buckets differed, %u "
                     "records sent",
                     id, __builtin_popcountll(mask), GDFS_META_BUCKETS, sent);
        else
            gdfs_log(GDFS_LOG_WARN, "record sync with %s: %s: %s", id,
                     gdfs_strerror(rc), c->errmsg);
    }
    gdfs_rpc_close(rpc, c);
    return rc;
}

static struct member_sync *member_slot(struct gdfs_sync *sy, const char *id)
{
    for (unsigned i = 0; i < sy->n; i++)
        if (strcmp(sy->m[i].id, id) == 0)
            return &sy->m[i];
    if (sy->n == GDFS_GROUP_MAX)
        return NULL;
    memset(&sy->m[sy->n], 0, sizeof(sy->m[0]));
    snprintf(sy->m[sy->n].id, sizeof(sy->m[0].id), "%s", id);
    return &sy->m[sy->n++];
}

/* One round of the leader's comparisons: each live member every
 * sync_interval_s. The record log brings members up to date; this only
 * finds and fixes divergence the log would not (records from before the
 * log, a damaged table). A member's first comparison in a term, or after
 * it was not alive, waits a whole interval, so that it is not made while
 * the log still catches it up. */
static void leader_round(struct gdfs_sync *sy,
                         const struct gdfs_group_status *gs)
{
    struct gdfs_meta_digest *ours = NULL;
    uint64_t now = gdfs_clock_ms();
    uint64_t interval = (uint64_t)sy->cfg->sync_interval_s * 1000;
    char why[256];

    if (gs->term != sy->term) {
        sy->term = gs->term; /* a new term: a new table */
        sy->n = 0;
    }
    for (uint32_t i = 0; i < gs->n; i++) {
        struct member_sync *ms;

        if (gs->m[i].state == GDFS_MEMBER_LEFT ||
            strcmp(gs->m[i].id, gs->self) == 0 ||
            (ms = member_slot(sy, gs->m[i].id)) == NULL)
            continue;
        if (gs->m[i].state != GDFS_MEMBER_ALIVE || ms->next_ms == 0) {
            ms->next_ms = now + interval;
            continue;
        }
        if (now < ms->next_ms)
            continue; /* next round, or backoff after a failure */
        /* Only a leader that may serve has the records to compare. */
        if (!gdfs_records_ready(sy->records, gs->term) ||
            gdfs_records_check_leader(sy->records, why, sizeof(why)) !=
                GDFS_OK)
            break;
        if (ours == NULL) {
            if ((ours = malloc(sizeof(*ours))) == NULL ||
                gdfs_store_meta_digest(sy->st, ours) != GDFS_OK) {
                gdfs_log(GDFS_LOG_WARN, "record digest: %s",
                         ours ? gdfs_store_errmsg(sy->st) : "out of memory");
                free(ours);
                return;
            }
        }
        ms->next_ms = now + (sync_member(sy, gs->term, gs->m[i].id,
                                         gs->m[i].addr, ours) == GDFS_OK
                                 ? interval
                                 : RETRY_MS);
    }
    free(ours);
}

/* ---- the thread ------------------------------------------------------------- */

static void *sync_main(void *arg)
{
    struct gdfs_sync *sy = arg;
    struct gdfs_group_status *gs = malloc(sizeof(*gs));

    if (gs == NULL)
        return NULL;
    do {
        gdfs_grouphost_status(sy->group, gs);
        if (gs->role == GDFS_ROLE_LEADER)
            leader_round(sy, gs);
        else
            sy->term = 0;
    } while (gdfs_worker_sleep_ms(&sy->w, TICK_MS));
    free(gs);
    return NULL;
}

int gdfs_sync_start(const struct gdfs_config *cfg, const char *db_path,
                    struct gdfs_records *records, struct gdfs_grouphost *g,
                    struct gdfs_sync **out, char *err, size_t errlen)
{
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_sync *sy = calloc(1, sizeof(*sy));
    int rc;

    if (sy == NULL || (sy->frame = malloc(PAGE_BYTES)) == NULL) {
        free(sy);
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    sy->framecap = PAGE_BYTES;
    sy->cfg = cfg;
    sy->records = records;
    sy->group = g;
    if ((rc = gdfs_store_open(db_path, &so, &sy->st, err, errlen)) != GDFS_OK)
        goto fail;
    if (gdfs_worker_start(&sy->w, sync_main, sy) != 0) {
        snprintf(err, errlen, "cannot start the record sync thread");
        gdfs_store_close(sy->st);
        rc = GDFS_ENOMEM;
        goto fail;
    }
    *out = sy;
    return GDFS_OK;
fail:
    free(sy->frame);
    free(sy);
    return rc;
}

void gdfs_sync_stop(struct gdfs_sync *sy)
{
    if (sy == NULL)
        return;
    gdfs_worker_stop(&sy->w);
    gdfs_store_close(sy->st);
    free(sy->frame);
    free(sy);
}
