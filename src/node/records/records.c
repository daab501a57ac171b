/* The records room's leader side and collection thread; see records.h. */
#define GDFS_LOG_MODULE "records"
#include "node/records/records.h"
#include "node/dbopts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "core/group.h"
#include "files/collect.h"
#include "files/placement.h"
#include "log.h"
#include "node/group/grouphost.h"
#include "node/rpc.h"
#include "store/store.h"

#define PULL_PAGE 256
#define READY_WAIT_MS 3000 /* a new leader's collection, seen by a request */

struct gdfs_records {
    const struct gdfs_config *cfg;
    struct gdfs_grouphost *group;
    struct gdfs_rpc *rpc;
    char db_path[4096];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    uint64_t collected_term; /* records of a majority collected for it */
    uint64_t ready_term;     /* ... and our table on a majority (sync.c) */
    uint64_t next_seq;       /* leader: next version seq to assign */
    /* Members handing off their copies (repair.c): no new put goes there. */
    char draining[GDFS_REPLICAS + 1][GDFS_NODE_ID_MAX + 1];
    unsigned ndraining;
    struct gdfs_store *st;            /* the collection thread's connection */
    gdfs_records_commit_fn on_commit; /* told of every committed record */
    void *on_commit_ctx;
    /* Records of this term whose commit reached fewer than a majority
     * ("outcome unknown"): members may hold them accepted, so they are
     * sent again until a majority has them (then committed) or the term
     * ends (the next leader's collection settles them). */
    struct gdfs_meta *retry;
    uint64_t *retry_term;
    unsigned nretry;
    uint64_t retry_at; /* next attempt (ms) */
};
#define RETRY_MAX 256
#define RETRY_EVERY_MS 1000

struct gdfs_rpc *gdfs_records_rpc(struct gdfs_records *f)
{
    return f->rpc;
}

/* Members that count for majorities: all but those that left. */
static unsigned voters(const struct gdfs_group_status *gs)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < gs->n; i++)
        if (gs->m[i].state != GDFS_MEMBER_LEFT)
            n++;
    return n;
}

unsigned gdfs_records_w(struct gdfs_records *f)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    unsigned n;

    if (gs == NULL)
        return 2;
    gdfs_grouphost_status(f->group, gs);
    n = voters(gs);
    free(gs);
    return n >= 2 ? 2 : 1;
}

int gdfs_records_leader(struct gdfs_records *f, char *addr, bool *self,
                        char *why, size_t whylen)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    int rc = GDFS_ENOQUORUM;

    if (gs == NULL)
        return GDFS_ENOMEM;
    gdfs_grouphost_status(f->group, gs);
    *self = false;
    for (uint32_t i = 0; gs->leader[0] && i < gs->n; i++)
        if (strcmp(gs->m[i].id, gs->leader) == 0) {
            snprintf(addr, GDFS_ADDR_MAX + 1, "%s", gs->m[i].addr);
            *self = strcmp(gs->leader, gs->self) == 0;
            rc = GDFS_OK;
        }
    if (rc != GDFS_OK)
        gdfs_err_noquorum(why, whylen,
                          "node %s knows no leader (term %llu); a majority "
                          "of the %u members may be unreachable",
                          gs->self, (unsigned long long)gs->term, gs->n);
    free(gs);
    return rc;
}

/* Is there a member in this node's member set with id @id, or else (id
 * NULL) one not LEFT that advertises @at? Its address into @addr
 * (GDFS_ADDR_MAX + 1 bytes) and its state into *state, each if not NULL. */
static bool find_member(struct gdfs_records *f, const char *id, const char *at,
                        char *addr, uint8_t *state)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    bool found = false;

    if (gs == NULL)
        return false;
    gdfs_grouphost_status(f->group, gs);
    for (uint32_t i = 0; i < gs->n && !found; i++) {
        found = id != NULL ? strcmp(gs->m[i].id, id) == 0
                           : gs->m[i].state != GDFS_MEMBER_LEFT &&
                                 strcmp(gs->m[i].addr, at) == 0;
        if (found && addr != NULL)
            snprintf(addr, GDFS_ADDR_MAX + 1, "%s", gs->m[i].addr);
        if (found && state != NULL)
            *state = gs->m[i].state;
    }
    free(gs);
    return found;
}

bool gdfs_records_member(struct gdfs_records *f, const char *id, char *addr,
                         uint8_t *state)
{
    return find_member(f, id, NULL, addr, state);
}

bool gdfs_records_member_at(struct gdfs_records *f, const char *addr)
{
    return find_member(f, NULL, addr, NULL, NULL);
}

/* ---- records on the wire ---------------------------------------------------- */

int gdfs_records_may_take(uint64_t term, const struct gdfs_meta *ms,
                          unsigned n, char *why, size_t whylen)
{
    return gdfs_collect_check(term, ms, n, why, whylen);
}

void gdfs_records_to_record(struct gdfs_records *f, const struct gdfs_meta *m,
                            char (*addrs)[GDFS_ADDR_MAX + 1],
                            struct gdfs_record *out)
{
    memset(out, 0, sizeof(*out));
    out->name.p = m->name;
    out->name.len = m->namelen;
    out->version = m->version;
    out->size = m->size;
    out->chunk_size = m->chunk_size;
    out->nchunks = m->nchunks;
    memcpy(out->sha256, m->sha256, GDFS_SHA256_LEN);
    out->tombstone = m->tombstone;
    out->acked = m->acked;
    out->nreplicas = m->nreplicas;
    for (unsigned i = 0; i < m->nreplicas && i < GDFS_REPLICAS; i++) {
        addrs[i][0] = '\0';
        if (f != NULL)
            gdfs_records_member(f, m->replica[i], addrs[i], NULL);
        out->replica[i].id.p = (const uint8_t *)m->replica[i];
        out->replica[i].id.len = strlen(m->replica[i]);
        out->replica[i].addr.p = (const uint8_t *)addrs[i];
        out->replica[i].addr.len = strlen(addrs[i]);
    }
}

void gdfs_records_from_record(const struct gdfs_record *r,
                              struct gdfs_meta *out)
{
    memset(out, 0, sizeof(*out));
    out->namelen = r->name.len > GDFS_NAME_MAX ? GDFS_NAME_MAX : r->name.len;
    memcpy(out->name, r->name.p, out->namelen);
    out->version = r->version;
    out->size = r->size;
    out->chunk_size = r->chunk_size;
    out->nchunks = r->nchunks;
    memcpy(out->sha256, r->sha256, GDFS_SHA256_LEN);
    out->tombstone = r->tombstone;
    out->acked = r->acked;
    out->nreplicas = r->nreplicas > GDFS_REPLICAS ? GDFS_REPLICAS
                                                  : r->nreplicas;
    for (unsigned i = 0; i < out->nreplicas; i++) {
        size_t n = r->replica[i].id.len > GDFS_NODE_ID_MAX
                       ? GDFS_NODE_ID_MAX
                       : r->replica[i].id.len;

        memcpy(out->replica[i], r->replica[i].id.p, n);
        out->replica[i][n] = '\0';
    }
}

/* ---- leader checks ---------------------------------------------------------- */

/* Leader with a lease whose term's records are collected: *term gets the
 * term. Waits up to READY_WAIT_MS for a collection in progress. */
static int leader_term(struct gdfs_records *f, uint64_t *term, char *why,
                       size_t whylen)
{
    uint64_t until = gdfs_clock_ms() + READY_WAIT_MS;

    for (;;) {
        struct gdfs_group_status gs;
        int rc = gdfs_grouphost_check_write(f->group, why, whylen);
        bool ready;

        if (rc != GDFS_OK)
            return rc;
        gdfs_grouphost_status(f->group, &gs);
        pthread_mutex_lock(&f->mu);
        ready = f->ready_term == gs.term;
        pthread_mutex_unlock(&f->mu);
        if (ready) {
            *term = gs.term;
            return GDFS_OK;
        }
        if (gdfs_clock_ms() >= until)
            return gdfs_err_noquorum(
                why, whylen,
                "leader %s has not yet collected the file records of a "
                "majority and written them back to one for term %llu",
                gs.self, (unsigned long long)gs.term);
        usleep(10 * 1000);
    }
}

bool gdfs_records_ready(struct gdfs_records *f, uint64_t term)
{
    bool r;

    pthread_mutex_lock(&f->mu);
    r = f->ready_term == term;
    pthread_mutex_unlock(&f->mu);
    return r;
}

bool gdfs_records_settling(struct gdfs_records *f, uint64_t term)
{
    bool r;

    pthread_mutex_lock(&f->mu);
    r = f->collected_term == term && f->ready_term != term;
    pthread_mutex_unlock(&f->mu);
    return r;
}

void gdfs_records_set_ready(struct gdfs_records *f, uint64_t term)
{
    pthread_mutex_lock(&f->mu);
    if (f->collected_term == term)
        f->ready_term = term;
    pthread_mutex_unlock(&f->mu);
}

int gdfs_records_check_leader(struct gdfs_records *f, char *why, size_t whylen)
{
    uint64_t term;

    return leader_term(f, &term, why, whylen);
}

/* ---- allocation --------------------------------------------------------------- */

static uint64_t take_seq(struct gdfs_records *f)
{
    uint64_t seq;

    pthread_mutex_lock(&f->mu);
    seq = f->next_seq++;
    pthread_mutex_unlock(&f->mu);
    return seq;
}

int gdfs_records_alloc(struct gdfs_records *f, struct gdfs_store *st,
                       const uint8_t *name, size_t namelen,
                       struct gdfs_records_place *out, char *why,
                       size_t whylen)
{
    struct gdfs_group_status *gs;
    struct gdfs_members *set;
    struct gdfs_capacity room[GDFS_GROUP_MAX];
    char draining[GDFS_REPLICAS + 1][GDFS_NODE_ID_MAX + 1];
    unsigned nprev = 0, ndraining, nroom;
    struct gdfs_meta prev;
    int idx[GDFS_REPLICAS], any[GDFS_REPLICAS], rc;
    uint64_t term;

    memset(out, 0, sizeof(*out));
    if ((rc = leader_term(f, &term, why, whylen)) != GDFS_OK)
        return rc;
    gs = malloc(sizeof(*gs));
    set = malloc(sizeof(*set));
    if (gs == NULL || set == NULL) {
        free(gs);
        free(set);
        snprintf(why, whylen, "out of memory");
        return GDFS_ENOMEM;
    }
    gdfs_grouphost_status(f->group, gs);
    memset(set, 0, sizeof(*set));
    set->n = gs->n;
    for (uint32_t i = 0; i < gs->n; i++) {
        snprintf(set->m[i].id, sizeof(set->m[i].id), "%s", gs->m[i].id);
        set->m[i].state = gs->m[i].state;
        room[i] = gs->m[i].room;
    }
    rc = gdfs_store_meta_get(st, name, namelen, &prev);
    if (rc == GDFS_OK && !prev.tombstone)
        nprev = prev.nreplicas;
    pthread_mutex_lock(&f->mu);
    memcpy(draining, f->draining, sizeof(draining));
    ndraining = f->ndraining;
    pthread_mutex_unlock(&f->mu);
    /* A put's size is not known yet: members below their reserve are
     * left out (placement.h "Capacity"). */
    out->n = gdfs_place(name, namelen, set, room, 0,
                        (const char(*)[GDFS_NODE_ID_MAX + 1]) prev.replica,
                        nprev, (const char(*)[GDFS_NODE_ID_MAX + 1]) draining,
                        ndraining, GDFS_REPLICAS, idx);
    out->w = voters(gs) >= 2 ? 2 : 1;
    /* Without the room rule, would there be enough? Then it is space. */
    nroom =
        out->n < out->w
            ? gdfs_place(name, namelen, set, NULL, 0,
                         (const char(*)[GDFS_NODE_ID_MAX + 1]) prev.replica,
                         nprev, (const char(*)[GDFS_NODE_ID_MAX + 1]) draining,
                         ndraining, GDFS_REPLICAS, any)
            : out->n;
    for (unsigned i = 0; i < out->n; i++) {
        snprintf(out->id[i], sizeof(out->id[i]), "%s", gs->m[idx[i]].id);
        snprintf(out->addr[i], sizeof(out->addr[i]), "%s", gs->m[idx[i]].addr);
    }
    rc = GDFS_OK;
    if (out->n < out->w && nroom >= out->w) {
        rc = GDFS_ENOSPC;
        if (out->n == 0)
            snprintf(why, whylen,
                     "no space: no member has room above its reserve "
                     "([store] reserve_mib); free space on a member or "
                     "add one");
        else
            snprintf(why, whylen,
                     "no space: only %u of the group's %u members %s room "
                     "above %s reserve ([store] reserve_mib); a put needs "
                     "%u replicas",
                     out->n, voters(gs), out->n == 1 ? "has" : "have",
                     out->n == 1 ? "its" : "their", out->w);
    } else if (out->n < out->w)
        rc = gdfs_err_noquorum(why, whylen,
                               "only %u of the group's %u members are "
                               "alive; a put needs %u replicas",
                               out->n, voters(gs), out->w);
    free(gs);
    free(set);
    if (rc != GDFS_OK)
        return rc;
    out->version.seq = take_seq(f);
    out->version.term = term;
    out->chunk_size = f->cfg->chunk_size;
    return GDFS_OK;
}

int gdfs_records_alloc_remove(struct gdfs_records *f, struct gdfs_store *st,
                              const uint8_t *name, size_t namelen,
                              struct gdfs_version *out, char *why,
                              size_t whylen)
{
    struct gdfs_meta cur;
    uint64_t term;
    int rc = leader_term(f, &term, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_store_meta_get(st, name, namelen, &cur);
    if (rc == GDFS_OK && cur.tombstone)
        rc = GDFS_ENOENT;
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "%s",
                 rc == GDFS_ENOENT ? "no such file" : gdfs_store_errmsg(st));
        return rc;
    }
    out->seq = take_seq(f);
    out->term = term;
    return GDFS_OK;
}

void gdfs_records_on_commit(struct gdfs_records *f, gdfs_records_commit_fn fn,
                            void *ctx)
{
    pthread_mutex_lock(&f->mu);
    f->on_commit = fn;
    f->on_commit_ctx = ctx;
    pthread_mutex_unlock(&f->mu);
}

void gdfs_records_set_draining(struct gdfs_records *f,
                               const char (*ids)[GDFS_NODE_ID_MAX + 1],
                               unsigned n)
{
    pthread_mutex_lock(&f->mu);
    f->ndraining = 0;
    for (unsigned i = 0; i < n && i < GDFS_REPLICAS + 1; i++)
        snprintf(f->draining[f->ndraining++], sizeof(f->draining[0]), "%s",
                 ids[i]);
    pthread_mutex_unlock(&f->mu);
}

/* ---- commit: the record on a majority ----------------------------------------- */

/* Queue @m (of @term) to be committed again later (records_main). */
static void retry_later(struct gdfs_records *f, uint64_t term,
                        const struct gdfs_meta *m)
{
    pthread_mutex_lock(&f->mu);
    if (f->nretry < RETRY_MAX) {
        f->retry[f->nretry] = *m;
        f->retry_term[f->nretry++] = term;
    } else {
        gdfs_log(GDFS_LOG_WARN,
                 "%u records of unknown outcome queued already: this one is "
                 "left to the next leader",
                 f->nretry);
    }
    pthread_mutex_unlock(&f->mu);
}

/* Files thread: commit again the first queued record of unknown outcome,
 * if it is still this leader's term (else drop the queue). */
static void retry_one(struct gdfs_records *f, uint64_t term)
{
    struct gdfs_meta m;
    char why[512];
    bool have = false;

    pthread_mutex_lock(&f->mu);
    while (f->nretry > 0 && !have) {
        have = f->retry_term[0] == term;
        m = f->retry[0];
        f->nretry--;
        memmove(f->retry, f->retry + 1, f->nretry * sizeof(*f->retry));
        memmove(f->retry_term, f->retry_term + 1,
                f->nretry * sizeof(*f->retry_term));
    }
    pthread_mutex_unlock(&f->mu);
    if (!have)
        return;
    /* Queued again by gdfs_records_commit if it fails the same way. */
    if (gdfs_records_commit(f, f->st, &m, why, sizeof(why)) == GDFS_OK)
        gdfs_log(GDFS_LOG_INFO,
                 "record of unknown outcome committed on a second attempt "
                 "(version %llu, term %llu)",
                 (unsigned long long)m.version.seq,
                 (unsigned long long)m.version.term);
}

int gdfs_records_commit(struct gdfs_records *f, struct gdfs_store *st,
                        const struct gdfs_meta *m, char *why, size_t whylen)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    struct gdfs_rpc_conn *cs[GDFS_GROUP_MAX] = {NULL};
    struct gdfs_msg *replies = malloc(sizeof(*replies) * GDFS_GROUP_MAX);
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    int rcs[GDFS_GROUP_MAX];
    unsigned need, acks = 0, n = 0;
    uint64_t term;
    int rc;

    if (gs == NULL || replies == NULL) {
        free(gs);
        free(replies);
        snprintf(why, whylen, "out of memory");
        return GDFS_ENOMEM;
    }
    if ((rc = leader_term(f, &term, why, whylen)) != GDFS_OK)
        goto out;
    gdfs_grouphost_status(f->group, gs);
    need = gdfs_group_majority(voters(gs));
    /* Send to every other member first. */
    for (uint32_t i = 0; i < gs->n; i++) {
        struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_META_PUT};
        char err[256];

        if (gs->m[i].state == GDFS_MEMBER_LEFT ||
            strcmp(gs->m[i].id, gs->self) == 0)
            continue;
        req.u.meta_put.term = term;
        gdfs_records_to_record(NULL, m, addrs, &req.u.meta_put.rec);
        if (gdfs_rpc_open(f->rpc, gs->m[i].addr, &cs[n], err, sizeof(err)) ==
                GDFS_OK &&
            gdfs_rpc_send(cs[n], &req, gdfs_rpc_io_ms(f->rpc)) != GDFS_OK) {
            gdfs_rpc_close(f->rpc, cs[n]);
            cs[n] = NULL;
        }
        n++;
    }
    /* Our own copy goes last: LOOKUP answers from it, so once it is
     * visible here the record must already be on need - 1 other members
     * (every majority that could elect a next leader without us meets
     * one of them). */
    if (need > 1)
        acks += gdfs_rpc_gather(cs, n, GDFS_MSG_NDTOCL_OK, need - 1,
                                gdfs_rpc_io_ms(f->rpc), rcs, replies);
    for (unsigned i = 0; i < n; i++)
        gdfs_rpc_close(f->rpc, cs[i]);
    rc = GDFS_OK;
    if (acks + 1 < need) {
        snprintf(why, whylen,
                 "outcome unknown: the record reached %u of the %u members "
                 "it needs (term %llu); a later leader may or may not keep "
                 "it",
                 acks, need, (unsigned long long)term);
        rc = GDFS_EUNKNOWN;
        retry_later(f, term, m);
    } else if (gdfs_store_meta_put(st, term, m, NULL) != GDFS_OK) {
        /* Not acknowledged: the leader answers from its own records. */
        gdfs_log(GDFS_LOG_ERROR, "commit record: %s", gdfs_store_errmsg(st));
        snprintf(why, whylen,
                 "outcome unknown: leader %s could not persist the record "
                 "(%s); %u other members hold it",
                 gs->self, gdfs_store_errmsg(st), acks);
        rc = GDFS_EUNKNOWN;
    } else {
        /* Committed: the members that accepted it may now apply it. Under
         * the lock, so a hook being removed is never running after. */
        pthread_mutex_lock(&f->mu);
        if (f->on_commit != NULL)
            f->on_commit(f->on_commit_ctx, term, m);
        pthread_mutex_unlock(&f->mu);
    }
out:
    free(gs);
    free(replies);
    return rc;
}

int gdfs_records_commit_put(struct gdfs_records *f, struct gdfs_store *st,
                            const struct gdfs_meta *m, char *why,
                            size_t whylen)
{
    uint64_t term;
    int rc = leader_term(f, &term, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    /* A version allocated by an earlier leader may share its seq with
     * one this leader allocated (it numbers above what it collected, not
     * above puts still in flight): refuse it, nothing is committed. */
    if (m->version.term != term) {
        snprintf(why, whylen,
                 "leader changed: version %llu was allocated in term %llu, "
                 "the leader is now in term %llu; nothing was committed "
                 "(retry)",
                 (unsigned long long)m->version.seq,
                 (unsigned long long)m->version.term,
                 (unsigned long long)term);
        return GDFS_ESTALE;
    }
    return gdfs_records_commit(f, st, m, why, whylen);
}

/* ---- collection after an election --------------------------------------------- */

/* Merge the records of one META_LIST reply (one fsynced transaction; the
 * store merges each by gdfs_collect_merge, files/collect.h); *last gets
 * the last name. */
static int merge_page(struct gdfs_records *f, uint64_t term,
                      const struct gdfs_msg *r, uint8_t *last, size_t *lastlen)
{
    const struct gdfs_list_body *b = &r->u.meta_list.body;
    struct gdfs_meta *ms;
    struct gdfs_record rec;
    unsigned n = 0;
    size_t off = 0;
    char why[512];
    int rc;

    /* A page of more records than asked for is refused before anything
     * is allocated for it. */
    if (b->count > PULL_PAGE) {
        gdfs_log(GDFS_LOG_WARN,
                 "collect for term %llu: a member sent %u records, %u were "
                 "asked for: its records are not taken",
                 (unsigned long long)term, b->count, PULL_PAGE);
        return GDFS_EPROTO;
    }
    if ((ms = calloc(b->count ? b->count : 1, sizeof(*ms))) == NULL)
        return GDFS_ENOMEM;
    while (n < b->count && gdfs_proto_next_record(b, &off, &rec))
        gdfs_records_from_record(&rec, &ms[n++]);
    rc = gdfs_records_may_take(term, ms, n, why, sizeof(why));
    if (rc == GDFS_OK && n != b->count) {
        rc = GDFS_EPROTO;
        snprintf(why, sizeof(why), "%u of its %u records readable", n,
                 b->count);
    }
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN,
                 "collect for term %llu: a member's records are not "
                 "taken: %s",
                 (unsigned long long)term, why);
        free(ms);
        return rc;
    }
    rc = gdfs_store_meta_put_many(f->st, term, ms, n, 0, NULL);
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "collect: %s", gdfs_store_errmsg(f->st));
    else if (n > 0) {
        memcpy(last, ms[n - 1].name, ms[n - 1].namelen);
        *lastlen = ms[n - 1].namelen;
    }
    free(ms);
    return rc;
}

static void pull_request(struct gdfs_msg *req, uint64_t term,
                         const uint8_t *after, size_t afterlen)
{
    memset(req, 0, sizeof(*req));
    req->type = GDFS_MSG_NDTOND_META_PULL;
    req->u.meta_pull.term = term;
    req->u.meta_pull.max = PULL_PAGE;
    req->u.meta_pull.after.p = after;
    req->u.meta_pull.after.len = afterlen;
}

/* Collect the records of a majority for @term. GDFS_OK when done. */
static int collect(struct gdfs_records *f, uint64_t term)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    struct gdfs_rpc_conn *cs[GDFS_GROUP_MAX] = {NULL};
    struct gdfs_msg *replies = malloc(sizeof(*replies) * GDFS_GROUP_MAX);
    static uint8_t last[GDFS_NAME_MAX]; /* only the collection thread */
    int rcs[GDFS_GROUP_MAX];
    unsigned need, done = 0, n = 0, adopted = 0;
    uint64_t promised, seq = 0;
    int rc;

    if (gs == NULL || replies == NULL) {
        rc = GDFS_ENOMEM;
        goto out;
    }
    gdfs_grouphost_status(f->group, gs);
    need = gdfs_group_majority(voters(gs));
    if ((rc = gdfs_store_meta_promise(f->st, term, &promised)) != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "collect for term %llu: %s",
                 (unsigned long long)term, gdfs_store_errmsg(f->st));
        goto out;
    }
    /* Our own records: the records we accepted from earlier leaders count
     * as collected, as a member's would. */
    if ((rc = gdfs_store_meta_adopt(f->st, term, &adopted)) != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "collect for term %llu: %s",
                 (unsigned long long)term, gdfs_store_errmsg(f->st));
        goto out;
    }
    if (adopted > 0)
        gdfs_log(GDFS_LOG_INFO,
                 "collect for term %llu: %u records this node had accepted "
                 "but not seen confirmed are newest",
                 (unsigned long long)term, adopted);
    done = 1;
    for (uint32_t i = 0; i < gs->n; i++) {
        struct gdfs_msg req;
        char err[256];

        if (gs->m[i].state == GDFS_MEMBER_LEFT ||
            strcmp(gs->m[i].id, gs->self) == 0)
            continue;
        pull_request(&req, term, NULL, 0);
        if (gdfs_rpc_open(f->rpc, gs->m[i].addr, &cs[n], err, sizeof(err)) ==
                GDFS_OK &&
            gdfs_rpc_send(cs[n], &req, gdfs_rpc_io_ms(f->rpc)) != GDFS_OK) {
            gdfs_rpc_close(f->rpc, cs[n]);
            cs[n] = NULL;
        }
        n++;
    }
    if (done < need)
        gdfs_rpc_gather(cs, n, GDFS_MSG_NDTOCL_META_LIST, need - done,
                        gdfs_rpc_io_ms(f->rpc), rcs, replies);
    /* Merge each answer, following its pages to the end. */
    for (unsigned i = 0; i < n && done < need; i++) {
        size_t lastlen = 0;
        struct gdfs_msg *r = &replies[i];

        if (cs[i] == NULL || rcs[i] != GDFS_OK)
            continue;
        for (;;) {
            struct gdfs_msg req;

            if (merge_page(f, term, r, last, &lastlen) != GDFS_OK)
                break;
            if (!r->u.meta_list.more) {
                done++;
                break;
            }
            pull_request(&req, term, last, lastlen);
            if (gdfs_rpc_send(cs[i], &req, gdfs_rpc_io_ms(f->rpc)) !=
                    GDFS_OK ||
                gdfs_rpc_recv(cs[i], GDFS_MSG_NDTOCL_META_LIST, r,
                              gdfs_rpc_io_ms(f->rpc)) != GDFS_OK)
                break;
        }
    }
    for (unsigned i = 0; i < n; i++)
        gdfs_rpc_close(f->rpc, cs[i]);
    rc = GDFS_OK;
    if (done < need) {
        gdfs_log(GDFS_LOG_WARN,
                 "collect for term %llu: records of %u members, %u needed",
                 (unsigned long long)term, done, need);
        rc = GDFS_ENOQUORUM;
        goto out;
    }
    if ((rc = gdfs_store_max_seq(f->st, &seq)) != GDFS_OK)
        goto out;
    pthread_mutex_lock(&f->mu);
    f->next_seq = seq + 1;
    f->collected_term = term; /* ready once sync.c settled a majority */
    pthread_mutex_unlock(&f->mu);
    gdfs_log(GDFS_LOG_INFO,
             "term %llu: records of %u of %u members collected; versions "
             "continue at %llu",
             (unsigned long long)term, done, voters(gs),
             (unsigned long long)seq + 1);
out:
    free(gs);
    free(replies);
    return rc;
}

static void *records_main(void *arg)
{
    struct gdfs_records *f = arg;
    uint64_t failed_term = 0, retry_at = 0;

    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        struct gdfs_group_status gs;

        pthread_mutex_unlock(&f->mu);
        gdfs_grouphost_status(f->group, &gs);
        if (gs.role == GDFS_ROLE_LEADER && gs.term != f->collected_term &&
            (gs.term != failed_term || gdfs_clock_ms() >= retry_at)) {
            if (collect(f, gs.term) != GDFS_OK) {
                failed_term = gs.term;
                retry_at = gdfs_clock_ms() + 200;
            }
        }
        if (gs.role == GDFS_ROLE_LEADER && gdfs_records_ready(f, gs.term) &&
            gdfs_clock_ms() >= f->retry_at) {
            retry_one(f, gs.term); /* nothing if none is queued */
            f->retry_at = gdfs_clock_ms() + RETRY_EVERY_MS;
        }
        pthread_mutex_lock(&f->mu);
        gdfs_clock_cond_wait_ms(&f->cv, &f->mu, 20);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int gdfs_records_start(const struct gdfs_config *cfg, const char *db_path,
                       struct gdfs_transport *t, const struct gdfs_cred *self,
                       struct gdfs_grouphost *g, struct gdfs_records **out,
                       char *err, size_t errlen)
{
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_records *f = calloc(1, sizeof(*f));
    int rc;

    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    f->cfg = cfg;
    f->group = g;
    f->retry = calloc(RETRY_MAX, sizeof(*f->retry));
    f->retry_term = calloc(RETRY_MAX, sizeof(*f->retry_term));
    if (f->retry == NULL || f->retry_term == NULL) {
        free(f->retry);
        free(f->retry_term);
        free(f);
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    snprintf(f->db_path, sizeof(f->db_path), "%s", db_path);
    pthread_mutex_init(&f->mu, NULL);
    gdfs_clock_cond_init(&f->cv);
    if ((rc = gdfs_rpc_new(t, cfg, self, &f->rpc)) != GDFS_OK ||
        (rc = gdfs_store_open(db_path, &so, &f->st, err, errlen)) != GDFS_OK) {
        gdfs_rpc_free(f->rpc);
        free(f->retry);
        free(f->retry_term);
        free(f);
        return rc;
    }
    if (pthread_create(&f->thread, NULL, records_main, f) != 0) {
        snprintf(err, errlen, "cannot start the records thread");
        gdfs_store_close(f->st);
        gdfs_rpc_free(f->rpc);
        free(f->retry);
        free(f->retry_term);
        free(f);
        return GDFS_ENOMEM;
    }
    *out = f;
    return GDFS_OK;
}

void gdfs_records_stop(struct gdfs_records *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    gdfs_store_close(f->st);
    gdfs_rpc_free(f->rpc);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f->retry);
    free(f->retry_term);
    free(f);
}
