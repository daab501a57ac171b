/* Copy inventory: members report the copies they hold, the leader keeps
 * what each lacks; see inventory.h.
 *
 * Sections: the leader's table (shared by the handlers and the member
 * thread when this node leads), the handlers, the member's report, the
 * thread. */
#define GDFS_LOG_MODULE "inventory"
#include "node/records/inventory.h"
#include "node/dbopts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "net.h"
#include "worker.h"
#include "node/records/sync.h"
#include "node/rpc.h"
#include "store/store.h"

#define TICK_MS 200
#define RETRY_MS 1000 /* after a report that failed */
/* Copies one listing may name (16 bytes each on the leader while the
 * listing runs), and lacking copies remembered per member: memory stays
 * bounded whatever the number of files (files/inventory.h says what
 * happens beyond). */
#define REPORT_MAX (1u << 20)
#define LACKING_MAX (64u * 1024)
#define PAGE_BYTES (GDFS_PROTO_HDR_LEN + GDFS_META_PAGE_MAX)

struct slot {
    char id[GDFS_NODE_ID_MAX + 1];
    struct gdfs_inv iv;
};

struct gdfs_inventory {
    const struct gdfs_config *cfg;
    struct gdfs_records *records;
    struct gdfs_grouphost *group;
    struct gdfs_store *st; /* the member thread's connection */
    struct gdfs_worker w;
    uint64_t incarnation; /* this process's, drawn at start */
    uint8_t *frame;       /* one INV_LIST page */
    struct gdfs_inv_cfg icfg;

    /* Below: the leader's table, under mu. */
    pthread_mutex_t mu;
    uint64_t term; /* the term the table belongs to */
    uint64_t gen;  /* raised when an answer may have turned worse */
    struct slot slots[GDFS_GROUP_MAX];
    unsigned nslots;
};

/* ---- the leader's table ------------------------------------------------- */

static void key_of(const uint8_t *name, size_t namelen,
                   const struct gdfs_version *v, struct gdfs_inv_key *k)
{
    gdfs_inv_key_of(name, namelen, v, k->b);
}

/* Under mu: the table of @term (a new term starts empty: members report
 * to each new leader). */
static void table_term(struct gdfs_inventory *inv, uint64_t term)
{
    if (term == inv->term)
        return;
    for (unsigned i = 0; i < inv->nslots; i++)
        gdfs_inv_close(&inv->slots[i].iv);
    inv->nslots = 0;
    inv->term = term;
    inv->gen++;
}

/* Under mu: member @id's slot; NULL if not there and not @create (or the
 * table is full). */
static struct gdfs_inv *slot_of(struct gdfs_inventory *inv, const char *id,
                                bool create)
{
    struct slot *sl;

    for (unsigned i = 0; i < inv->nslots; i++)
        if (strcmp(inv->slots[i].id, id) == 0)
            return &inv->slots[i].iv;
    if (!create || inv->nslots == GDFS_GROUP_MAX)
        return NULL;
    sl = &inv->slots[inv->nslots++];
    snprintf(sl->id, sizeof(sl->id), "%s", id);
    gdfs_inv_init(&sl->iv, &inv->icfg);
    return &sl->iv;
}

/* The leader's side of an INV_SUM of member @id: *diff gets the buckets
 * whose digests differ from the claims of @st's records. */
static int leader_sum(struct gdfs_inventory *inv, struct gdfs_store *st,
                      uint64_t term, const char *id, uint64_t incarnation,
                      const struct gdfs_inv_member *at,
                      const struct gdfs_meta_digest *theirs, uint64_t *diff)
{
    struct gdfs_meta_digest *claims = malloc(sizeof(*claims));
    struct gdfs_inv *iv;
    bool news = false; /* verified now, and was not */
    int rc;

    if (claims == NULL)
        return GDFS_ENOMEM;
    rc = gdfs_store_inv_digest(st, id, false, claims);
    if (rc == GDFS_OK) {
        *diff = gdfs_meta_digest_diff(theirs, claims);
        pthread_mutex_lock(&inv->mu);
        table_term(inv, term);
        if ((iv = slot_of(inv, id, true)) != NULL) {
            news = *diff == 0 &&
                   !(iv->seen && iv->incarnation == incarnation &&
                     iv->verified && iv->complete && iv->nlacking == 0);
            /* A new process, or a member back in the set: what it was
             * known to hold is forgotten, and figures counted from it are
             * stale. */
            if (iv->seen && (iv->incarnation != incarnation ||
                             iv->at.entered != at->entered))
                inv->gen++;
            gdfs_inv_on_sum(iv, incarnation, at, *diff);
        } else {
            rc = GDFS_ENOMEM;
        }
        pthread_mutex_unlock(&inv->mu);
    }
    free(claims);
    if (news)
        gdfs_log(GDFS_LOG_INFO, "member %s holds every copy named on it", id);
    return rc;
}

static int claim_one(void *ctx, const uint8_t *name, size_t namelen,
                     const struct gdfs_version *v)
{
    struct gdfs_inv_key k;

    key_of(name, namelen, v, &k);
    gdfs_inv_claim(ctx, &k);
    return 0;
}

/* The leader's side of one INV_LIST page of @n keys; after the last one
 * (!@more) the claims are walked and the member's lacking set settles. */
static int leader_page(struct gdfs_inventory *inv, struct gdfs_store *st,
                       uint64_t term, const char *id, uint64_t incarnation,
                       uint64_t mask, const struct gdfs_inv_key *keys,
                       unsigned n, bool more)
{
    struct gdfs_inv *iv;
    unsigned lacking = 0, before = UINT32_MAX;
    bool finished = false;
    int rc;

    /* The claims walk holds the table's lock: a reconciliation sees one
     * state of the table, and its reads are short pages. */
    pthread_mutex_lock(&inv->mu);
    table_term(inv, term);
    iv = slot_of(inv, id, false);
    rc = iv != NULL ? gdfs_inv_on_page(iv, incarnation, mask, keys, n)
                    : GDFS_EINVAL;
    if (rc == GDFS_OK && !more && gdfs_inv_listing(iv, NULL)) {
        if (iv->verified && iv->complete)
            before = iv->nlacking;
        gdfs_inv_finish_begin(iv);
        rc = gdfs_store_inv_claims(st, id, mask, claim_one, iv);
        if (rc != GDFS_OK)
            gdfs_inv_on_sum(iv, incarnation, &iv->at, mask); /* start over */
        else {
            gdfs_inv_finish_end(iv, &lacking);
            finished = true;
            /* Copies found lacking, or answers turned unknown: figures
             * counted before are stale. */
            if (lacking > 0 ||
                (before != UINT32_MAX && !(iv->verified && iv->complete)))
                inv->gen++;
        }
    }
    pthread_mutex_unlock(&inv->mu);
    finished = finished && lacking != before; /* log changes only */
    if (finished && lacking > 0)
        gdfs_log(GDFS_LOG_NOTICE,
                 "member %s lacks %u cop%s the records name on it", id,
                 lacking, lacking == 1 ? "y" : "ies");
    else if (finished)
        gdfs_log(GDFS_LOG_INFO, "member %s holds every copy named on it", id);
    return rc;
}

enum gdfs_inv_answer gdfs_inventory_holds(struct gdfs_inventory *inv,
                                          const char *id,
                                          const struct gdfs_inv_member *now,
                                          const uint8_t *name, size_t namelen,
                                          const struct gdfs_version *v)
{
    enum gdfs_inv_answer a = GDFS_INV_UNKNOWN;
    struct gdfs_inv_key k;
    struct gdfs_inv *iv;

    if (inv == NULL)
        return a;
    key_of(name, namelen, v, &k);
    pthread_mutex_lock(&inv->mu);
    if ((iv = slot_of(inv, id, false)) != NULL)
        a = gdfs_inv_holds(iv, now, &k);
    pthread_mutex_unlock(&inv->mu);
    return a;
}

bool gdfs_inventory_incarnation(struct gdfs_inventory *inv, const char *id,
                                uint64_t *incarnation)
{
    struct gdfs_inv *iv;
    bool seen = false;

    if (inv == NULL)
        return false;
    pthread_mutex_lock(&inv->mu);
    if ((iv = slot_of(inv, id, false)) != NULL && iv->seen) {
        *incarnation = iv->incarnation;
        seen = true;
    }
    pthread_mutex_unlock(&inv->mu);
    return seen;
}

uint64_t gdfs_inventory_gen(struct gdfs_inventory *inv)
{
    uint64_t gen;

    if (inv == NULL)
        return 0;
    pthread_mutex_lock(&inv->mu);
    gen = inv->gen;
    pthread_mutex_unlock(&inv->mu);
    return gen;
}

void gdfs_inventory_repaired(struct gdfs_inventory *inv, const char *id,
                             const uint8_t *name, size_t namelen,
                             const struct gdfs_version *v)
{
    struct gdfs_inv_key k;
    struct gdfs_inv *iv;

    if (inv == NULL)
        return;
    key_of(name, namelen, v, &k);
    pthread_mutex_lock(&inv->mu);
    if ((iv = slot_of(inv, id, false)) != NULL)
        gdfs_inv_repaired(iv, &k);
    pthread_mutex_unlock(&inv->mu);
}

/* ---- handlers (leader) -------------------------------------------------- */

/* @gs's entry of member @id into *entered (0 if it is not a member). */
static uint64_t entry_of(const struct gdfs_group_status *gs, const char *id)
{
    for (uint32_t i = 0; i < gs->n; i++)
        if (strcmp(gs->m[i].id, id) == 0)
            return gs->m[i].entered;
    return 0;
}

/* The term this node leads and serves in, or an error reply's code; with
 * when the peer entered the member set. */
static int serving_term(struct gdfs_session *s, uint64_t *term,
                        uint64_t *entered, char *why, size_t whylen)
{
    struct gdfs_group_status *gs;
    int rc = gdfs_records_check_leader(s->records, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    if ((gs = malloc(sizeof(*gs))) == NULL)
        return GDFS_ENOMEM;
    gdfs_grouphost_status(s->group, gs);
    *term = gs->term;
    *entered = entry_of(gs, s->peer.id);
    free(gs);
    return GDFS_OK;
}

int gdfs_inventory_handle_sum(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_META_DIFF, .reqid = m->reqid};
    struct gdfs_meta_digest *theirs = malloc(sizeof(*theirs));
    struct gdfs_inv_member at = {.inc = m->u.inv_sum.member_inc};
    uint64_t term = 0;
    char why[512] = "out of memory";
    int rc = theirs != NULL
                 ? serving_term(s, &term, &at.entered, why, sizeof(why))
                 : GDFS_ENOMEM;

    if (rc == GDFS_OK) {
        /* DESIGN.md invariant 7: the member is who the channel proved. */
        gdfs_sync_sums_get(m->u.inv_sum.sums.p, theirs);
        rc = leader_sum(s->inventory, s->st, term, s->peer.id,
                        m->u.inv_sum.incarnation, &at, theirs,
                        &r.u.meta_diff.mask);
        if (rc != GDFS_OK)
            snprintf(why, sizeof(why), "%s",
                     rc == GDFS_ENOMEM ? "out of memory"
                                       : gdfs_store_errmsg(s->st));
    }
    free(theirs);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "inventory of %s on %s: %s",
                                s->peer.id, s->cfg->node_id, why);
    return gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                             gdfs_session_io_ms(s));
}

int gdfs_inventory_handle_list(struct gdfs_session *s,
                               const struct gdfs_msg *m)
{
    const struct gdfs_list_body *b = &m->u.inv_list.body;
    struct gdfs_inv_key *keys = calloc(b->count ? b->count : 1, sizeof(*keys));
    struct gdfs_copy_entry e;
    unsigned n = 0;
    uint64_t term = 0;
    size_t off = 0;
    char why[512] = "out of memory";
    uint64_t entered = 0;
    int rc = keys != NULL ? serving_term(s, &term, &entered, why, sizeof(why))
                          : GDFS_ENOMEM;

    if (rc == GDFS_OK) {
        while (n < b->count && gdfs_proto_next_copy(b, &off, &e))
            key_of(e.name.p, e.name.len, &e.version, &keys[n++]);
        rc = leader_page(s->inventory, s->st, term, s->peer.id,
                         m->u.inv_list.incarnation, m->u.inv_list.mask, keys,
                         n, m->u.inv_list.more);
        if (rc == GDFS_EINVAL)
            snprintf(why, sizeof(why),
                     "no inventory listing of those "
                     "buckets is under way");
        else if (rc != GDFS_OK)
            snprintf(why, sizeof(why), "%s",
                     rc == GDFS_ENOMEM ? "out of memory"
                                       : gdfs_store_errmsg(s->st));
    }
    free(keys);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "inventory of %s on %s: %s",
                                s->peer.id, s->cfg->node_id, why);
    {
        static const struct gdfs_version none;

        return gdfs_reply_ok(s, m->reqid, &none);
    }
}

/* ---- the member's report ------------------------------------------------ */

struct lister {
    struct gdfs_proto_writer w;
    uint64_t mask;
    uint64_t incarnation;
    bool full; /* the copy below did not fit in the page */
    uint8_t name[GDFS_NAME_MAX];
    size_t namelen;
    struct gdfs_version v;
};

static int page_begin(struct gdfs_inventory *inv, struct lister *l)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_INV_LIST};

    m.u.inv_list.incarnation = l->incarnation;
    m.u.inv_list.mask = l->mask;
    return gdfs_proto_writer_begin(&l->w, inv->frame, PAGE_BYTES, &m);
}

static int list_one(void *ctx, const uint8_t *name, size_t namelen,
                    const struct gdfs_version *v)
{
    struct lister *l = ctx;
    struct gdfs_copy_entry e = {{name, namelen}, *v};
    int rc = gdfs_proto_add_copy(&l->w, &e);

    if (rc == GDFS_ETOOBIG) {
        l->full = true;
        memcpy(l->name, name, namelen);
        l->namelen = namelen;
        l->v = *v;
        return 1;
    }
    return 0; /* a copy the wire refuses (EINVAL) is not reported */
}

/* Send the page built in @l (more pages follow if @more). */
static int page_send(struct gdfs_rpc_conn *c, struct lister *l, bool more,
                     int io_ms)
{
    struct gdfs_msg r;
    size_t len;
    int rc = gdfs_proto_writer_finish(&l->w, more, &len);

    if (rc == GDFS_OK)
        rc = gdfs_rpc_send_raw(c, l->w.buf, len, io_ms);
    if (rc == GDFS_OK)
        rc = gdfs_rpc_recv(c, GDFS_MSG_NDTOCL_OK, &r, io_ms);
    return rc;
}

/* Report to the leader at @addr: the digest, then the differing buckets'
 * copies. */
static int report_remote(struct gdfs_inventory *inv, const char *self,
                         uint64_t member_inc, const char *addr)
{
    struct gdfs_rpc *rpc = gdfs_records_rpc(inv->records);
    struct gdfs_meta_digest *d = malloc(sizeof(*d));
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_INV_SUM}, r;
    uint8_t sums[GDFS_META_SUMS_LEN];
    struct gdfs_rpc_conn *c = NULL;
    struct lister l;
    int64_t after = 0;
    bool more = true;
    char err[512];
    int io_ms = gdfs_rpc_io_ms(rpc);
    int rc;

    if (d == NULL)
        return GDFS_ENOMEM;
    rc = gdfs_store_inv_digest(inv->st, self, true, d);
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "inventory digest: %s",
                 gdfs_store_errmsg(inv->st));
        free(d);
        return rc;
    }
    gdfs_sync_sums_put(d, sums);
    free(d);
    req.u.inv_sum.incarnation = inv->incarnation;
    req.u.inv_sum.member_inc = member_inc;
    req.u.inv_sum.sums.p = sums;
    req.u.inv_sum.sums.len = sizeof(sums);
    rc = gdfs_rpc_call(rpc, addr, &req, GDFS_MSG_NDTOCL_META_DIFF, &r, &c,
                       io_ms, err, sizeof(err));
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_DEBUG, "inventory report to %s: %s", addr, err);
        return rc;
    }
    if (r.u.meta_diff.mask == 0) {
        gdfs_rpc_close(rpc, c);
        return GDFS_OK;
    }
    memset(&l, 0, sizeof(l));
    l.mask = r.u.meta_diff.mask;
    l.incarnation = inv->incarnation;
    rc = page_begin(inv, &l);
    while (rc == GDFS_OK && more) {
        l.full = false;
        rc = gdfs_store_inv_copies(inv->st, l.mask, after, 4096, list_one, &l,
                                   &after, &more);
        if (rc == GDFS_OK && l.full) {
            struct gdfs_copy_entry e = {{l.name, l.namelen}, l.v};

            rc = page_send(c, &l, true, io_ms);
            if (rc == GDFS_OK)
                rc = page_begin(inv, &l);
            if (rc == GDFS_OK)
                rc = gdfs_proto_add_copy(&l.w, &e);
        }
    }
    if (rc == GDFS_OK)
        rc = page_send(c, &l, false, io_ms);
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_INFO, "inventory report to %s: %s: %s", addr,
                 gdfs_strerror(rc), c->errmsg);
    else
        gdfs_log(GDFS_LOG_DEBUG, "inventory report to %s: %d buckets listed",
                 addr, __builtin_popcountll(l.mask));
    gdfs_rpc_close(rpc, c);
    return rc;
}

struct collect {
    struct gdfs_inv_key *keys;
    unsigned n, cap;
    bool over;
};

static int collect_one(void *ctx, const uint8_t *name, size_t namelen,
                       const struct gdfs_version *v)
{
    struct collect *c = ctx;

    if (c->n == c->cap) {
        unsigned ncap = c->cap ? c->cap * 2 : 256;
        struct gdfs_inv_key *p;

        if (ncap > REPORT_MAX + 1 ||
            (p = realloc(c->keys, (size_t)ncap * sizeof(*p))) == NULL) {
            c->over = true;
            return 1;
        }
        c->keys = p;
        c->cap = ncap;
    }
    key_of(name, namelen, v, &c->keys[c->n++]);
    return 0;
}

/* This node leads in @term: reconcile its own copies in process, as a
 * member's report would. */
static int report_self(struct gdfs_inventory *inv, uint64_t term,
                       const char *self, const struct gdfs_inv_member *at)
{
    struct gdfs_meta_digest *d = malloc(sizeof(*d));
    struct collect c = {0};
    uint64_t diff = 0;
    int64_t after = 0;
    bool more = true;
    int rc = d != NULL ? gdfs_store_inv_digest(inv->st, self, true, d)
                       : GDFS_ENOMEM;

    if (rc == GDFS_OK)
        rc = leader_sum(inv, inv->st, term, self, inv->incarnation, at, d,
                        &diff);
    free(d);
    while (rc == GDFS_OK && diff != 0 && more && !c.over)
        rc = gdfs_store_inv_copies(inv->st, diff, after, 4096, collect_one, &c,
                                   &after, &more);
    /* Over REPORT_MAX the listing is left unfinished: the last finished
     * round (or unknown) still answers. */
    if (rc == GDFS_OK && diff != 0 && !c.over)
        rc = leader_page(inv, inv->st, term, self, inv->incarnation, diff,
                         c.keys, c.n, false);
    free(c.keys);
    return rc;
}

/* ---- the thread --------------------------------------------------------- */

static void *inventory_main(void *arg)
{
    struct gdfs_inventory *inv = arg;
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    char last_leader[GDFS_NODE_ID_MAX + 1] = "";
    uint64_t last_term = 0, last_inc = 0, next_ms = 0;

    if (gs == NULL)
        return NULL;
    do {
        uint64_t now = gdfs_clock_ms();
        char addr[GDFS_ADDR_MAX + 1] = "", why[256];
        bool self = false, changed;
        int rc;

        gdfs_grouphost_status(inv->group, gs);
        if (gs->leader[0] == '\0')
            continue;
        /* A new leader, or a new incarnation of this member in the set
         * (the leader then cannot vouch for the last report): at once. */
        changed = strcmp(gs->leader, last_leader) != 0 ||
                  gs->term != last_term || gs->incarnation != last_inc;
        if (!changed && now < next_ms)
            continue;
        if (gdfs_records_leader(inv->records, addr, &self, why, sizeof(why)) !=
            GDFS_OK)
            continue;
        /* A leader whose records are not ready yet (its record log has
         * not applied its term's first entry, a fraction of a second)
         * reconciles its own copies at the next tick: until then status
         * cannot vouch for them. */
        if (self && !gdfs_records_ready(inv->records, gs->term))
            continue;
        if (self) {
            struct gdfs_inv_member at = {gs->incarnation,
                                         entry_of(gs, gs->self)};

            rc = report_self(inv, gs->term, gs->self, &at);
        } else {
            rc = report_remote(inv, gs->self, gs->incarnation, addr);
        }
        /* A failed report is retried soon (a new leader still at once). */
        snprintf(last_leader, sizeof(last_leader), "%s", gs->leader);
        last_term = gs->term;
        last_inc = gs->incarnation;
        next_ms = now +
                  (rc == GDFS_OK ? inv->cfg->inventory_interval_ms : RETRY_MS);
    } while (gdfs_worker_sleep_ms(&inv->w, TICK_MS));
    free(gs);
    return NULL;
}

static uint64_t draw_incarnation(void)
{
    uint64_t x = 0;

    if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
        x = gdfs_clock_ms() ^ ((uint64_t)getpid() << 32);
    return x;
}

int gdfs_inventory_start(const struct gdfs_config *cfg, const char *db_path,
                         struct gdfs_records *records,
                         struct gdfs_grouphost *g, struct gdfs_inventory **out,
                         char *err, size_t errlen)
{
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_inventory *inv = calloc(1, sizeof(*inv));
    int rc;

    if (inv == NULL || (inv->frame = malloc(PAGE_BYTES)) == NULL) {
        free(inv);
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    inv->cfg = cfg;
    inv->records = records;
    inv->group = g;
    inv->incarnation = draw_incarnation();
    inv->icfg.report_max = REPORT_MAX;
    inv->icfg.lacking_max = LACKING_MAX;
    pthread_mutex_init(&inv->mu, NULL);
    if ((rc = gdfs_store_open(db_path, &so, &inv->st, err, errlen)) != GDFS_OK)
        goto fail;
    if (gdfs_worker_start(&inv->w, inventory_main, inv) != 0) {
        snprintf(err, errlen, "cannot start the inventory thread");
        gdfs_store_close(inv->st);
        rc = GDFS_ENOMEM;
        goto fail;
    }
    *out = inv;
    return GDFS_OK;
fail:
    pthread_mutex_destroy(&inv->mu);
    free(inv->frame);
    free(inv);
    return rc;
}

void gdfs_inventory_stop(struct gdfs_inventory *inv)
{
    if (inv == NULL)
        return;
    gdfs_worker_stop(&inv->w);
    gdfs_store_close(inv->st);
    table_term(inv, 0);
    pthread_mutex_destroy(&inv->mu);
    free(inv->frame);
    free(inv);
}
