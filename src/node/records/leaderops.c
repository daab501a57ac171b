/* Requests the leader answers from its committed records (ALLOC, COMMIT,
 * LOOKUP; remove, ls, locate), and the forwarding of client requests from
 * other nodes to it. */
#define GDFS_LOG_MODULE "leader"
#include "node/records/leaderops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "node/group/grouphost.h"
#include "node/records/inventory.h"
#include "node/records/records.h"
#include "node/rpc.h"
#include "store/store.h"

#define LIST_PAGE_MAX 1000

/* ---- forwarding ------------------------------------------------------------ */

int gdfs_leaderops_forward(struct gdfs_session *s, const struct gdfs_msg *m,
                           const char *addr, const char *what)
{
    struct gdfs_rpc *rpc = gdfs_records_rpc(s->records);
    struct gdfs_msg req = *m, r;
    struct gdfs_rpc_conn *c;
    char why[512];
    int rc;

    req.flags |= GDFS_FLAG_FORWARDED;
    rc = gdfs_rpc_call(rpc, addr, &req, 0, &r, &c, gdfs_session_io_ms(s), why,
                       sizeof(why));
    if (c == NULL) {
        /* No frame came back: transport trouble, not an answer. */
        if (gdfs_rpc_no_answer(rc))
            return gdfs_reply_error(s, m->reqid,
                                    m->type == GDFS_MSG_CLTOND_REMOVE
                                        ? GDFS_EUNKNOWN
                                        : GDFS_ENOQUORUM,
                                    "%s: the leader at %s did not answer: %s",
                                    what, addr, why);
        return gdfs_reply_error(s, m->reqid, rc, "%s", why);
    }
    rc = gdfs_reply_raw(s, m->reqid, c->in, gdfs_proto_frame_len(c->in));
    gdfs_rpc_close(rpc, c);
    return rc;
}

/* GDFS_OK if this node leads now; otherwise the request was answered
 * (forwarded, or refused) and *done is the handler's result. */
static bool must_forward(struct gdfs_session *s, const struct gdfs_msg *m,
                         const char *what, int *done)
{
    char addr[GDFS_ADDR_MAX + 1], why[512];
    bool self;
    int rc = gdfs_records_leader(s->records, addr, &self, why, sizeof(why));

    if (rc == GDFS_OK && self)
        return false;
    if (rc != GDFS_OK)
        *done = gdfs_reply_error(s, m->reqid, rc, "%s: %s", what, why);
    else if (m->flags & GDFS_FLAG_FORWARDED)
        *done = gdfs_reply_error(s, m->reqid, GDFS_ENOTLEADER,
                                 "%s: node %s is not the leader (the leader "
                                 "is at %s); try again",
                                 what, s->cfg->node_id, addr);
    else
        *done = gdfs_leaderops_forward(s, m, addr, what);
    return true;
}

/* ---- records --------------------------------------------------------------- */

int gdfs_leaderops_record(struct gdfs_session *s, const uint8_t *name,
                          size_t namelen, struct gdfs_meta *out, char *why,
                          size_t whylen)
{
    int rc = gdfs_records_check_leader(s->records, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_store_meta_get(s->st, name, namelen, out);
    if (rc != GDFS_OK)
        snprintf(why, whylen, "%s", gdfs_store_errmsg(s->st));
    return rc;
}

int gdfs_leaderops_alloc(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_PLACE, .reqid = m->reqid};
    struct gdfs_records_place p;
    char why[512];
    int rc = gdfs_records_alloc(s->records, s->st, m->u.put.name.p,
                                m->u.put.name.len, &p, why, sizeof(why));

    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "%s", why);
    r.u.place.version = p.version;
    r.u.place.chunk_size = p.chunk_size;
    r.u.place.nreplicas = (uint8_t)p.n;
    for (unsigned i = 0; i < p.n; i++) {
        r.u.place.replica[i].id.p = (const uint8_t *)p.id[i];
        r.u.place.replica[i].id.len = strlen(p.id[i]);
        r.u.place.replica[i].addr.p = (const uint8_t *)p.addr[i];
        r.u.place.replica[i].addr.len = strlen(p.addr[i]);
    }
    return gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                             gdfs_session_io_ms(s));
}

int gdfs_leaderops_commit(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_meta meta;
    char why[512];
    int rc;

    gdfs_records_from_record(&m->u.record.rec, &meta);
    rc = gdfs_records_commit_put(s->records, &meta, why, sizeof(why));
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "%s", why);
    return gdfs_reply_ok(s, m->reqid, &meta.version);
}

int gdfs_leaderops_lookup(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_RECORD, .reqid = m->reqid};
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    struct gdfs_meta meta;
    char why[512];
    int rc = gdfs_leaderops_record(s, m->u.get.name.p, m->u.get.name.len,
                                   &meta, why, sizeof(why));

    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "%s", why);
    gdfs_records_to_record(s->records, &meta, addrs, &r.u.record.rec);
    return gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                             gdfs_session_io_ms(s));
}

/* ---- client requests the leader answers ----------------------------------- */

int gdfs_leaderops_remove(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_meta meta, cur;
    char name[256], why[512];
    int rc, done;

    gdfs_log_name(&m->u.put.name, name, sizeof(name));
    if (must_forward(s, m, "remove", &done))
        return done;
    memset(&meta, 0, sizeof(meta));
    rc = gdfs_records_alloc_remove(s->records, s->st, m->u.put.name.p,
                                   m->u.put.name.len, &meta.version, why,
                                   sizeof(why));
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "remove %s: %s", name, why);
    /* The tombstone names the replicas, so they know to drop their copies. */
    if (gdfs_store_meta_get(s->st, m->u.put.name.p, m->u.put.name.len, &cur) !=
        GDFS_OK)
        memset(&cur, 0, sizeof(cur));
    meta.namelen = m->u.put.name.len;
    memcpy(meta.name, m->u.put.name.p, meta.namelen);
    meta.tombstone = true;
    meta.nreplicas = cur.nreplicas;
    memcpy(meta.replica, cur.replica, sizeof(meta.replica));
    rc = gdfs_records_commit_put(s->records, &meta, why, sizeof(why));
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "remove %s: %s", name, why);
    gdfs_log(GDFS_LOG_INFO, "removed %s (tombstone version %llu)", name,
             (unsigned long long)meta.version.seq);
    return gdfs_reply_ok(s, m->reqid, &meta.version);
}

struct list_ctx {
    struct gdfs_proto_writer *w;
    bool full;
    const struct gdfs_group_status *gs; /* the member set, once per page */
    struct gdfs_inventory *inv;         /* what members report they hold */
};

/* What this leader knows of replica @i's copy of @m: unacked by the put,
 * or as its member's inventory report says (DESIGN.md invariant 8). */
static enum gdfs_copy_state copy_of(const struct gdfs_meta *m, unsigned i,
                                    const struct gdfs_group_status *gs,
                                    struct gdfs_inventory *inv)
{
    struct gdfs_inv_member now = {0, 0};

    if (!((m->acked >> i) & 1u))
        return GDFS_COPY_UNACKED;
    for (uint32_t k = 0; k < gs->n; k++)
        if (strcmp(gs->m[k].id, m->replica[i]) == 0) {
            now.inc = gs->m[k].incarnation;
            now.entered = gs->m[k].entered;
        }
    switch (gdfs_inventory_holds(inv, m->replica[i], &now, m->name, m->namelen,
                                 &m->version)) {
    case GDFS_INV_HELD:
        return GDFS_COPY_HELD;
    case GDFS_INV_LACKS:
        return GDFS_COPY_LACKING;
    default:
        return GDFS_COPY_UNVERIFIED;
    }
}

/* The copies of @m that count on live members: acked, on a member that
 * is alive or suspect (issue 13: a copy on a failed node is not shown as
 * a replica; compare with the 3 a file should have), and not reported
 * lacking by that member's inventory (DESIGN.md invariant 8). */
static uint8_t live_replicas(const struct gdfs_meta *m,
                             const struct gdfs_group_status *gs,
                             struct gdfs_inventory *inv)
{
    uint8_t n = 0;

    for (unsigned i = 0; i < m->nreplicas; i++) {
        enum gdfs_copy_state c = copy_of(m, i, gs, inv);

        if (c == GDFS_COPY_UNACKED || c == GDFS_COPY_LACKING)
            continue;
        for (uint32_t k = 0; k < gs->n; k++)
            if (strcmp(gs->m[k].id, m->replica[i]) == 0 &&
                (gs->m[k].state == GDFS_MEMBER_ALIVE ||
                 gs->m[k].state == GDFS_MEMBER_SUSPECT))
                n++;
    }
    return n;
}

static int add_file(void *ctx, const struct gdfs_meta *m)
{
    struct list_ctx *lc = ctx;
    struct gdfs_list_entry e = {.name = {m->name, m->namelen},
                                .size = m->size,
                                .version = m->version,
                                .replicas = live_replicas(m, lc->gs, lc->inv)};

    if (gdfs_proto_add_list(lc->w, &e) != GDFS_OK) {
        lc->full = true;
        return 1;
    }
    return 0;
}

int gdfs_leaderops_list(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_LIST, .reqid = m->reqid};
    struct gdfs_proto_writer w;
    struct list_ctx lc = {&w, false, NULL, s->inventory};
    struct gdfs_group_status *gs;
    uint32_t max = m->u.list.max;
    char why[512];
    bool more = false;
    int rc, done;

    if (must_forward(s, m, "ls", &done))
        return done;
    if ((rc = gdfs_records_check_leader(s->records, why, sizeof(why))) !=
        GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "ls: %s", why);
    if ((gs = malloc(sizeof(*gs))) == NULL)
        return gdfs_reply_error(s, m->reqid, GDFS_ENOMEM, "ls: out of memory");
    gdfs_grouphost_status(s->group, gs);
    lc.gs = gs;
    if (max == 0 || max > LIST_PAGE_MAX)
        max = LIST_PAGE_MAX;
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    if (rc == GDFS_OK)
        rc = gdfs_store_meta_list(s->st, m->u.list.after.p,
                                  m->u.list.after.len, max, false, add_file,
                                  &lc, &more);
    free(gs);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "ls: %s",
                                gdfs_store_errmsg(s->st));
    return gdfs_reply_writer(s, &w, more || lc.full);
}

int gdfs_leaderops_locate(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_LOCATE, .reqid = m->reqid};
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    struct gdfs_group_status *gs;
    struct gdfs_proto_writer w;
    struct gdfs_meta meta;
    char name[256], why[512];
    int rc, done;

    gdfs_log_name(&m->u.put.name, name, sizeof(name));
    if (must_forward(s, m, "locate", &done))
        return done;
    rc = gdfs_leaderops_record(s, m->u.put.name.p, m->u.put.name.len, &meta,
                               why, sizeof(why));
    if (rc == GDFS_OK && meta.tombstone) {
        rc = GDFS_ENOENT;
        snprintf(why, sizeof(why), "no such file (removed)");
    }
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "locate %s: %s", name, why);
    if ((gs = malloc(sizeof(*gs))) == NULL)
        return gdfs_reply_error(s, m->reqid, GDFS_ENOMEM,
                                "locate %s: out of memory", name);
    gdfs_grouphost_status(s->group, gs);
    r.u.locate_reply.version = meta.version;
    r.u.locate_reply.size = meta.size;
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    for (unsigned i = 0; rc == GDFS_OK && i < meta.nreplicas; i++) {
        struct gdfs_replica_entry e;
        uint8_t state = GDFS_MEMBER_LEFT;

        if (!gdfs_records_member(s->records, meta.replica[i], addrs[i],
                                 &state))
            snprintf(addrs[i], sizeof(addrs[i]), "-");
        e.id.p = (const uint8_t *)meta.replica[i];
        e.id.len = strlen(meta.replica[i]);
        e.addr.p = (const uint8_t *)addrs[i];
        e.addr.len = strlen(addrs[i]);
        e.version = meta.version;
        e.state = state;
        e.copy = (uint8_t)copy_of(&meta, i, gs, s->inventory);
        rc = gdfs_proto_add_replica(&w, &e);
    }
    free(gs);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "locate %s: reply too large",
                                name);
    return gdfs_reply_writer(s, &w, false);
}
