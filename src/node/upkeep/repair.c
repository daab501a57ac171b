/* Re-replication and hand-off, the leader's side; see repair.h.
 *
 * Sections: notes (per-file backoff and first-seen times), the scanner,
 * the workers, drains, life cycle.
 *
 * Threads: one scanner and REPAIR_WORKERS workers, each with its own
 * store connection; one mutex guards the queue, the notes, the drains and
 * the figures. The scanner never waits on the network; the workers wait
 * on REPLICATE (the copy runs on the target) and on the commit. */
#define GDFS_LOG_MODULE "repair"
#include "node/upkeep/repair.h"
#include "node/dbopts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "files/health.h"
#include "files/repairplan.h"
#include "log.h"
#include "node/data/copy.h"
#include "store/store.h"
#include "node/group/grouphost.h"
#include "node/records/inventory.h"
#include "node/records/records.h"
#include "node/rpc.h"
#include "pace.h"

#define REPAIR_WORKERS 4
#define QUEUE_MAX 16
#define PAGE 256
#define PASS_MIN_MS 250 /* between the starts of two passes, at least */
#define IDLE_MS 500     /* between checks while not leading */
#define NOTES_MAX 1024
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define NO_SOURCE_RETRY_MS 10000
#define DRAINS_MAX 4
_Static_assert(DRAINS_MAX <= GDFS_REPLICAS + 1,
               "records.c keeps GDFS_REPLICAS + 1 draining members");

/* A copy to make. */
struct job {
    struct gdfs_meta m;    /* the record as scanned */
    struct gdfs_meta next; /* the record to commit once the copy is held */
    char target[GDFS_NODE_ID_MAX + 1];
    char target_addr[GDFS_ADDR_MAX + 1];
    unsigned nsrc;
    char srcs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    char src_ids[GDFS_REPLICAS][GDFS_NODE_ID_MAX + 1];
};

/* What the repair module remembers of one file between passes. */
struct note {
    uint64_t key;           /* hash of name and version; 0 = free slot */
    uint64_t unacked_since; /* first pass that saw an unacked replica */
    uint64_t retry_at;      /* no copy before this */
    uint32_t backoff_ms;
    uint64_t pass; /* last pass that looked at it */
    bool reported; /* "no healthy source" logged */
};

struct drain {
    char id[GDFS_NODE_ID_MAX + 1];
    bool has_inc;         /* the node had reported its inventory ... */
    uint64_t incarnation; /* ... with this incarnation when drained */
    uint64_t from_pass;   /* passes starting at or after it count */
    bool done;
    uint64_t done_at;
    uint32_t stuck;
};

/* A drain mark stays this long after it is done (the leave that follows
 * needs it), then goes if its node is still a member (the leave failed). */
#define DRAIN_KEEP_MS 120000

struct gdfs_repair {
    const struct gdfs_config *cfg;
    struct gdfs_records *records;
    struct gdfs_grouphost *group;
    struct gdfs_inventory *inv; /* what members report they hold */
    char db_path[4096];
    struct gdfs_store *st; /* the scanner's connection */
    pthread_t scanner;
    pthread_t workers[REPAIR_WORKERS];
    unsigned nworkers;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* queue changed, stop, or a pass ended */
    bool stop;
    struct job queue[QUEUE_MAX];
    unsigned qhead, qlen;
    /* in flight (queued or running): names and versions, for the scanner */
    struct gdfs_meta *inflight[QUEUE_MAX + REPAIR_WORKERS];
    struct job *running_job[REPAIR_WORKERS];
    struct note notes[NOTES_MAX];
    struct drain drains[DRAINS_MAX];
    unsigned ndrains;
    uint64_t pass;         /* passes started */
    uint64_t stats_stamp;  /* view_stamp at the start of stats' pass */
    struct gdfs_pace pace; /* repair_rate_mib_s over copies, no burst */
    struct gdfs_repair_stats stats;
    /* failed-since times of members (the scanner's clock) */
    char failed_id[GDFS_GROUP_MAX][GDFS_NODE_ID_MAX + 1];
    uint64_t failed_since[GDFS_GROUP_MAX];
    unsigned nfailed;
};

/* Wait on r->cv for up to @ms (lock held). */
static void wait_ms(struct gdfs_repair *r, uint64_t ms)
{
    gdfs_clock_cond_wait_ms(&r->cv, &r->mu, ms);
}

static void log_name(const struct gdfs_meta *m, char *out, size_t cap)
{
    snprintf(out, cap, "%.*s%s", (int)(m->namelen > 200 ? 200 : m->namelen),
             (const char *)m->name, m->namelen > 200 ? "..." : "");
}

/* ---- notes ------------------------------------------------------------------ */

static uint64_t note_key(const struct gdfs_meta *m)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < m->namelen; i++)
        h = (h ^ m->name[i]) * 1099511628211ull;
    h = (h ^ m->version.seq) * 1099511628211ull;
    h = (h ^ m->version.term) * 1099511628211ull;
    return h != 0 ? h : 1;
}

/* Lock held: the note of @m, created if @create (an old or free slot is
 * reused when the table is full: that only forgets a backoff). */
static struct note *note_of(struct gdfs_repair *r, const struct gdfs_meta *m,
                            bool create)
{
    uint64_t key = note_key(m);
    struct note *victim = NULL;

    for (unsigned i = 0; i < NOTES_MAX; i++) {
        struct note *n = &r->notes[i];

        if (n->key == key)
            return n;
        if (victim == NULL || n->key == 0 ||
            (victim->key != 0 && n->pass < victim->pass))
            victim = n;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof(*victim));
    victim->key = key;
    victim->pass = r->pass;
    return victim;
}

/* ---- the scanner --------------------------------------------------------------- */

/* Lock held: is a copy of @m queued or running? */
static bool in_flight(struct gdfs_repair *r, const struct gdfs_meta *m)
{
    for (unsigned i = 0; i < QUEUE_MAX + REPAIR_WORKERS; i++) {
        const struct gdfs_meta *f = r->inflight[i];

        if (f != NULL && f->namelen == m->namelen &&
            memcmp(f->name, m->name, m->namelen) == 0)
            return true;
    }
    return false;
}

static void inflight_set(struct gdfs_repair *r, struct gdfs_meta *m, bool on)
{
    for (unsigned i = 0; i < QUEUE_MAX + REPAIR_WORKERS; i++)
        if (on ? r->inflight[i] == NULL : r->inflight[i] == m) {
            r->inflight[i] = on ? m : NULL;
            return;
        }
}

/* One pass's view of the group. */
struct view {
    struct gdfs_group_status gs;
    struct gdfs_members set;
    struct gdfs_health_member extra[GDFS_GROUP_MAX];
    /* each member's disk room as the pass began: a target needs room
     * above its reserve (the target refuses a copy that would take it
     * below, should several of one pass go to it) */
    struct gdfs_capacity room[GDFS_GROUP_MAX];
    struct gdfs_health_cfg hcfg;
};

/* Lock held: tell the records layer which nodes are being drained, so that
 * new puts are not placed on them. */
static void publish_drains(struct gdfs_repair *r)
{
    char ids[DRAINS_MAX][GDFS_NODE_ID_MAX + 1];

    for (unsigned d = 0; d < r->ndrains; d++)
        snprintf(ids[d], sizeof(ids[d]), "%s", r->drains[d].id);
    gdfs_records_set_draining(r->records,
                              (const char(*)[GDFS_NODE_ID_MAX + 1]) ids,
                              r->ndrains);
}

/* Lock held: the member set with how long each member has been failed
 * (by this thread's clock: a new leader waits the full delay) and which
 * ones are being drained. */
static void take_view(struct gdfs_repair *r, struct view *v, uint64_t now)
{
    char ids[GDFS_GROUP_MAX][GDFS_NODE_ID_MAX + 1];
    uint64_t since[GDFS_GROUP_MAX];
    unsigned n = 0;

    /* Drop drain marks of nodes gone, of finished drains whose node
     * stayed, and of finished drains whose node left and already joined
     * again (a new incarnation in its inventory report: faster than a
     * pass can see it gone), so that it gets copies again. */
    for (unsigned d = 0; d < r->ndrains;) {
        bool member = false, reborn = false;
        uint64_t inc;

        for (uint32_t i = 0; i < v->gs.n; i++)
            member |= strcmp(v->gs.m[i].id, r->drains[d].id) == 0 &&
                      v->gs.m[i].state != GDFS_MEMBER_LEFT;
        if (r->drains[d].done && r->drains[d].has_inc &&
            gdfs_inventory_incarnation(r->inv, r->drains[d].id, &inc))
            reborn = inc != r->drains[d].incarnation;
        if (!member || reborn ||
            (r->drains[d].done &&
             now - r->drains[d].done_at > DRAIN_KEEP_MS)) {
            r->drains[d] = r->drains[--r->ndrains];
            publish_drains(r);
        } else {
            d++;
        }
    }
    memset(&v->set, 0, sizeof(v->set));
    v->set.n = v->gs.n;
    for (uint32_t i = 0; i < v->gs.n; i++) {
        struct gdfs_member *m = &v->set.m[i];

        /* Same sizes, NUL-terminated (memcpy: snprintf between members
         * of one struct trips -Wrestrict in some builds). */
        memcpy(m->id, v->gs.m[i].id, sizeof(m->id));
        memcpy(m->addr, v->gs.m[i].addr, sizeof(m->addr));
        m->state = v->gs.m[i].state;
        v->room[i] = v->gs.m[i].room;
        v->extra[i].failed_for_ms = 0;
        v->extra[i].draining = false;
        for (unsigned d = 0; d < r->ndrains; d++)
            if (strcmp(r->drains[d].id, m->id) == 0)
                v->extra[i].draining = true;
        if (m->state != GDFS_MEMBER_FAILED)
            continue;
        since[n] = now;
        for (unsigned k = 0; k < r->nfailed; k++)
            if (strcmp(r->failed_id[k], m->id) == 0)
                since[n] = r->failed_since[k];
        snprintf(ids[n], sizeof(ids[n]), "%s", m->id);
        v->extra[i].failed_for_ms = now - since[n];
        n++;
    }
    memcpy(r->failed_id, ids, sizeof(ids[0]) * n);
    memcpy(r->failed_since, since, sizeof(since[0]) * n);
    r->nfailed = n;
    v->hcfg.repair_delay_ms = r->cfg->repair_delay_ms;
    v->hcfg.unacked_grace_ms = r->cfg->io_timeout_ms;
}

/* Per-pass tallies. */
struct pass {
    struct gdfs_repair *r;
    struct view *v;
    uint64_t now;
    uint32_t under;
    uint32_t unverified; /* files with a copy no inventory vouches for */
    uint32_t nnames;
    struct gdfs_repair_stats *names;  /* names go here */
    uint32_t drain_left[DRAINS_MAX];  /* files still naming a draining node */
    uint32_t drain_stuck[DRAINS_MAX]; /* ... that cannot be moved */
};

/* Member @id as @gs knows it (zeros if it is not a member). */
static struct gdfs_inv_member member_now(const struct gdfs_group_status *gs,
                                         const char *id)
{
    struct gdfs_inv_member now = {0, 0};

    for (uint32_t k = 0; k < gs->n; k++)
        if (strcmp(gs->m[k].id, id) == 0) {
            now.inc = gs->m[k].incarnation;
            now.entered = gs->m[k].entered;
        }
    return now;
}

/* Whether member @id is in @set and alive or suspect. */
static bool member_live(const struct gdfs_members *set, const char *id)
{
    for (uint32_t k = 0; k < set->n; k++)
        if (strcmp(set->m[k].id, id) == 0)
            return set->m[k].state == GDFS_MEMBER_ALIVE ||
                   set->m[k].state == GDFS_MEMBER_SUSPECT;
    return false;
}

/* Lock held: look at one record; gdfs_repairplan_make decides, this
 * keeps the tallies and the notes, and queues the copy. */
static void scan_record(struct pass *p, const struct gdfs_meta *m)
{
    struct gdfs_repair *r = p->r;
    char drains[DRAINS_MAX][GDFS_NODE_ID_MAX + 1];
    struct gdfs_repairplan_in in = {
        .m = m,
        .set = &p->v->set,
        .extra = p->v->extra,
        .room = p->v->room,
        .drains = (const char(*)[GDFS_NODE_ID_MAX + 1]) drains,
        .ndrains = r->ndrains,
        .now = p->now,
        .cfg = p->v->hcfg,
    };
    struct gdfs_repairplan plan;
    struct note *note = note_of(r, m, false);
    bool unknown = false;

    for (unsigned d = 0; d < r->ndrains; d++)
        snprintf(drains[d], sizeof(drains[d]), "%s", r->drains[d].id);
    if (note != NULL) {
        in.unacked_since = note->unacked_since;
        in.retry_at = note->retry_at;
    }
    in.in_flight = in_flight(r, m);
    /* DESIGN.md "Copies and inventory": a replica counts only if its
     * member's report does not say it lacks the version. One on a live
     * member that has not reported yet is not known either way: the pass
     * then cannot vouch for its figures (invariant 8). */
    for (unsigned i = 0; i < m->nreplicas && !m->tombstone; i++) {
        struct gdfs_inv_member now = member_now(&p->v->gs, m->replica[i]);
        enum gdfs_inv_answer a;

        if ((m->acked >> i & 1u) == 0)
            continue;
        a = gdfs_inventory_holds(r->inv, m->replica[i], &now, m->name,
                                 m->namelen, &m->version);
        if (a == GDFS_INV_LACKS)
            in.missing |= (uint8_t)(1u << i);
        else if (a == GDFS_INV_UNKNOWN &&
                 member_live(&p->v->set, m->replica[i]))
            unknown = true;
    }
    p->unverified += unknown;
    gdfs_repairplan_make(&in, &plan);
    if (plan.unacked) {
        if (note == NULL)
            note = note_of(r, m, true);
        note->unacked_since = plan.unacked_since;
        note->pass = r->pass;
    }
    if (plan.act == GDFS_REPAIRPLAN_NONE)
        return;
    if (plan.under) {
        p->under++;
        if (p->nnames < GDFS_REPAIR_NAMES_MAX) {
            memcpy(p->names->names[p->nnames].p, m->name, m->namelen);
            p->names->names[p->nnames].len = m->namelen;
            p->nnames++;
        }
    }
    for (unsigned i = 0; i < m->nreplicas; i++)
        if (plan.drain[i] >= 0)
            p->drain_left[plan.drain[i]]++;
    /* WAIT: the failed member's delay runs, or no member is free to take
     * a copy (a 3-node group with one failed); the next pass looks again,
     * nothing is logged. */
    if (plan.act == GDFS_REPAIRPLAN_BUSY || plan.act == GDFS_REPAIRPLAN_WAIT)
        return;
    if (note != NULL)
        note->pass = r->pass;
    if (plan.act == GDFS_REPAIRPLAN_BACKOFF)
        return;
    if (plan.act == GDFS_REPAIRPLAN_STUCK) {
        char name[256];

        for (unsigned i = 0; i < m->nreplicas; i++)
            if (plan.drain[i] >= 0)
                p->drain_stuck[plan.drain[i]]++;
        if (note == NULL)
            note = note_of(r, m, true);
        if (!note->reported) {
            log_name(m, name, sizeof(name));
            gdfs_log(GDFS_LOG_WARN,
                     "%s version %llu has %u of %u replicas and cannot get "
                     "more: %s",
                     name, (unsigned long long)m->version.seq, plan.good,
                     plan.want, plan.why);
        }
        note->reported = true;
        note->retry_at = p->now + NO_SOURCE_RETRY_MS;
        return;
    }
    if (r->qlen >= QUEUE_MAX)
        return; /* the next pass takes it */
    {
        struct job *q = &r->queue[(r->qhead + r->qlen) % QUEUE_MAX];
        const struct gdfs_members *set = &p->v->set;

        memset(q, 0, sizeof(*q));
        q->m = *m;
        q->next = plan.next;
        snprintf(q->target, sizeof(q->target), "%s", set->m[plan.target].id);
        snprintf(q->target_addr, sizeof(q->target_addr), "%s",
                 set->m[plan.target].addr);
        q->nsrc = plan.nsrc;
        for (unsigned i = 0; i < plan.nsrc; i++) {
            snprintf(q->srcs[i], sizeof(q->srcs[0]), "%s",
                     set->m[plan.src[i]].addr);
            snprintf(q->src_ids[i], sizeof(q->src_ids[0]), "%s",
                     set->m[plan.src[i]].id);
        }
        r->qlen++;
        inflight_set(r, &q->m, true);
        pthread_cond_broadcast(&r->cv);
    }
}

struct page_ctx {
    struct gdfs_meta *page;
    unsigned n;
};

static int collect_page(void *ctx, const struct gdfs_meta *m)
{
    struct page_ctx *pc = ctx;

    pc->page[pc->n++] = *m;
    return 0;
}

/* What a pass's figures depend on besides the records: the term, the
 * member set with each member's state and incarnation, and the
 * inventory's answers (their generation), folded into 64 bits (FNV-1a).
 * Figures are current only while it stands still. */
static uint64_t fold(uint64_t h, const void *p, size_t len)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

static uint64_t view_stamp(const struct gdfs_group_status *gs,
                           uint64_t inv_gen)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    h = fold(h, &gs->term, sizeof(gs->term));
    h = fold(h, &gs->set_version, sizeof(gs->set_version));
    h = fold(h, &inv_gen, sizeof(inv_gen));
    for (uint32_t i = 0; i < gs->n; i++) {
        h = fold(h, gs->m[i].id, strlen(gs->m[i].id) + 1);
        h = fold(h, &gs->m[i].state, sizeof(gs->m[i].state));
        h = fold(h, &gs->m[i].incarnation, sizeof(gs->m[i].incarnation));
        h = fold(h, &gs->m[i].entered, sizeof(gs->m[i].entered));
    }
    return h;
}

/* One pass over every record; GDFS_OK if it went to the end. */
static int scan_pass(struct gdfs_repair *r, struct view *v,
                     struct gdfs_meta *page)
{
    struct gdfs_repair_stats *names = calloc(1, sizeof(*names));
    struct pass p = {.r = r, .v = v, .names = names};
    uint8_t after[GDFS_NAME_MAX];
    size_t afterlen = 0;
    uint64_t pass, stamp;
    bool more = true;
    int rc = GDFS_OK;

    if (names == NULL)
        return GDFS_ENOMEM;
    gdfs_grouphost_status(r->group, &v->gs);
    stamp = view_stamp(&v->gs, gdfs_inventory_gen(r->inv));
    pthread_mutex_lock(&r->mu);
    pass = ++r->pass;
    p.now = gdfs_clock_ms();
    take_view(r, v, p.now);
    pthread_mutex_unlock(&r->mu);
    while (more && rc == GDFS_OK) {
        struct page_ctx pc = {page, 0};

        rc = gdfs_store_meta_list(r->st, after, afterlen, PAGE, true,
                                  collect_page, &pc, &more);
        if (rc != GDFS_OK) {
            gdfs_log(GDFS_LOG_WARN, "scan: %s", gdfs_store_errmsg(r->st));
            break;
        }
        pthread_mutex_lock(&r->mu);
        for (unsigned i = 0; i < pc.n; i++)
            scan_record(&p, &page[i]);
        pthread_mutex_unlock(&r->mu);
        if (pc.n == 0)
            break;
        memcpy(after, page[pc.n - 1].name, page[pc.n - 1].namelen);
        afterlen = page[pc.n - 1].namelen;
    }
    pthread_mutex_lock(&r->mu);
    if (rc == GDFS_OK) {
        /* Figures some member's copies are not verified for are not
         * given as known (DESIGN.md invariant 8). */
        r->stats.known = p.unverified == 0;
        r->stats_stamp = stamp;
        r->stats.under = p.under;
        r->stats.nnames = p.nnames;
        memcpy(r->stats.names, names->names, sizeof(names->names));
        for (unsigned d = 0; d < r->ndrains; d++) {
            struct drain *dr = &r->drains[d];
            bool busy = false;

            for (unsigned i = 0; i < QUEUE_MAX + REPAIR_WORKERS; i++)
                if (r->inflight[i] != NULL) {
                    const struct job *j =
                        (const struct job *)((const char *)r->inflight[i] -
                                             offsetof(struct job, m));

                    for (unsigned k = 0; k < j->m.nreplicas; k++)
                        busy |= strcmp(j->m.replica[k], dr->id) == 0;
                }
            if (pass >= dr->from_pass && !busy &&
                p.drain_left[d] == p.drain_stuck[d] && !dr->done) {
                dr->done = true;
                dr->done_at = gdfs_clock_ms();
                dr->stuck = p.drain_stuck[d];
            }
        }
        /* Forget notes of files no longer seen (fixed, or removed). */
        for (unsigned i = 0; i < NOTES_MAX; i++)
            if (r->notes[i].key != 0 && r->notes[i].pass + 2 < r->pass)
                r->notes[i].key = 0;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    free(names);
    return rc;
}

static void *scanner_main(void *arg)
{
    struct gdfs_repair *r = arg;
    struct gdfs_meta *page = malloc(sizeof(*page) * PAGE);
    struct view *v = malloc(sizeof(*v));

    pthread_mutex_lock(&r->mu);
    while (!r->stop && page != NULL && v != NULL) {
        char why[512];
        uint64_t start = gdfs_clock_ms(), took;
        bool leads;

        pthread_mutex_unlock(&r->mu);
        leads = gdfs_records_check_leader(r->records, why, sizeof(why)) ==
                GDFS_OK;
        if (leads)
            scan_pass(r, v, page);
        pthread_mutex_lock(&r->mu);
        if (!leads) {
            r->stats.known = false;
            r->nfailed = 0; /* a later term starts the delays afresh */
        }
        took = gdfs_clock_ms() - start;
        if (!r->stop)
            wait_ms(r, !leads                   ? IDLE_MS
                       : took * 2 > PASS_MIN_MS ? took * 2
                                                : PASS_MIN_MS - took);
    }
    pthread_mutex_unlock(&r->mu);
    free(page);
    free(v);
    return NULL;
}

/* ---- the workers ------------------------------------------------------------- */

/* Lock held: wait until the rate allows a copy of @bytes to start. */
static void pace(struct gdfs_repair *r, uint64_t bytes)
{
    uint64_t now = gdfs_clock_ms();
    uint64_t start = now + gdfs_pace_take(&r->pace, bytes, now);

    while (!r->stop && (now = gdfs_clock_ms()) < start)
        wait_ms(r, start - now);
}

/* Ask the target to copy, then commit the new record. */
static int run_job(struct gdfs_repair *r, struct gdfs_store *st,
                   const struct job *j, char *why, size_t whylen)
{
    struct gdfs_rpc *rpc = gdfs_records_rpc(r->records);
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_REPLICATE}, reply;
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    struct gdfs_rpc_conn *c = NULL;
    /* The copy runs on the target before it answers: allow it time to
     * move the bytes at 1 MiB/s at least. */
    int timeout = gdfs_copy_wait_ms(gdfs_rpc_io_ms(rpc), j->m.size);
    int rc;

    gdfs_records_to_record(NULL, &j->m, addrs, &req.u.replicate.rec);
    req.u.replicate.nsrc = (uint8_t)j->nsrc;
    for (unsigned i = 0; i < j->nsrc; i++) {
        req.u.replicate.src[i].p = (const uint8_t *)j->srcs[i];
        req.u.replicate.src[i].len = strlen(j->srcs[i]);
    }
    rc = gdfs_rpc_call(rpc, j->target_addr, &req, GDFS_MSG_NDTOCL_OK, &reply,
                       &c, timeout, why, whylen);
    if (rc != GDFS_OK)
        return rc;
    gdfs_rpc_close(rpc, c);
    /* Same version, new replica set: a newer version committed meanwhile
     * keeps its record (the store applies only an equal or newer one). */
    return gdfs_records_commit(r->records, &j->next, why, whylen);
}

struct worker_arg {
    struct gdfs_repair *r;
    unsigned no;
};

static void *worker_main(void *arg)
{
    struct gdfs_repair *r = ((struct worker_arg *)arg)->r;
    unsigned no = ((struct worker_arg *)arg)->no;
    struct gdfs_store_opts so = gdfs_node_store_opts(r->cfg, true);
    struct gdfs_store *st = NULL;
    struct job *j = malloc(sizeof(*j));
    char err[512];

    free(arg);
    if (j == NULL ||
        gdfs_store_open(r->db_path, &so, &st, err, sizeof(err)) != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "repair worker %u: cannot start: %s", no,
                 j == NULL ? "out of memory" : err);
        free(j);
        return NULL;
    }
    pthread_mutex_lock(&r->mu);
    for (;;) {
        char why[1024] = "", name[256], srcs[3 * (GDFS_NODE_ID_MAX + 2)];
        struct gdfs_meta *slot;
        struct note *note;
        uint64_t t0;
        int rc;

        while (!r->stop && r->qlen == 0)
            wait_ms(r, 1000);
        if (r->stop)
            break;
        /* Take the job; its in-flight entry moves to our copy. */
        slot = &r->queue[r->qhead].m;
        *j = r->queue[r->qhead];
        r->qhead = (r->qhead + 1) % QUEUE_MAX;
        r->qlen--;
        inflight_set(r, slot, false);
        inflight_set(r, &j->m, true);
        r->stats.running++;
        pace(r, j->m.size);
        pthread_mutex_unlock(&r->mu);

        log_name(&j->m, name, sizeof(name));
        srcs[0] = '\0';
        for (unsigned i = 0; i < j->nsrc; i++)
            snprintf(srcs + strlen(srcs), sizeof(srcs) - strlen(srcs), "%s%s",
                     i ? "," : "", j->src_ids[i]);
        t0 = gdfs_clock_ms();
        rc = r->stop ? GDFS_ESHUTDOWN : run_job(r, st, j, why, sizeof(why));
        pthread_mutex_lock(&r->mu);
        r->stats.running--;
        inflight_set(r, &j->m, false);
        note = note_of(r, &j->m, true);
        note->pass = r->pass;
        if (rc == GDFS_OK) {
            gdfs_inventory_repaired(r->inv, j->target, j->m.name, j->m.namelen,
                                    &j->m.version);
            r->stats.done++;
            r->stats.bytes += j->m.size;
            note->backoff_ms = 0;
            note->retry_at = 0;
            gdfs_log(GDFS_LOG_INFO,
                     "copied %s version %llu from %s to %s: %llu bytes in "
                     "%llu ms",
                     name, (unsigned long long)j->m.version.seq, srcs,
                     j->target, (unsigned long long)j->m.size,
                     (unsigned long long)(gdfs_clock_ms() - t0));
        } else {
            r->stats.failed++;
            note->backoff_ms = note->backoff_ms == 0 ? BACKOFF_MIN_MS
                               : note->backoff_ms * 2 > BACKOFF_MAX_MS
                                   ? BACKOFF_MAX_MS
                                   : note->backoff_ms * 2;
            note->retry_at = gdfs_clock_ms() + note->backoff_ms;
            gdfs_log(GDFS_LOG_WARN,
                     "copy of %s version %llu from %s to %s failed: %s: %s "
                     "(retry in %u ms)",
                     name, (unsigned long long)j->m.version.seq, srcs,
                     j->target, gdfs_strerror(rc), why, note->backoff_ms);
        }
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    gdfs_store_close(st);
    free(j);
    return NULL;
}

/* ---- figures and drains ------------------------------------------------------- */

void gdfs_repair_stats(struct gdfs_repair *r, struct gdfs_repair_stats *out)
{
    char why[256];
    /* Not gdfs_records_check_leader: a status must not wait for a new
     * leader's record log to be ready; the scanner clears "known" when it
     * stops leading. */
    bool leads = gdfs_grouphost_check_write(r->group, why, sizeof(why)) ==
                 GDFS_OK;
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    uint64_t stamp = 0;
    bool current = false;

    /* DESIGN.md invariant 8: a member failed, started again (an emptied
     * disk), joined or was found lacking copies since the last pass
     * began: its figures may say too much until the next pass. */
    if (gs != NULL) {
        gdfs_grouphost_status(r->group, gs);
        stamp = view_stamp(gs, gdfs_inventory_gen(r->inv));
        current = true;
        free(gs);
    }
    pthread_mutex_lock(&r->mu);
    *out = r->stats;
    out->pending = r->qlen;
    out->known &= leads && current && stamp == r->stats_stamp;
    pthread_mutex_unlock(&r->mu);
}

static int find_drain(struct gdfs_repair *r, const char *id)
{
    for (unsigned d = 0; d < r->ndrains; d++)
        if (strcmp(r->drains[d].id, id) == 0)
            return (int)d;
    return -1;
}

int gdfs_repair_drain(struct gdfs_repair *r, const char *id, int timeout_ms,
                      uint32_t *stuck, char *why, size_t whylen)
{
    uint64_t deadline = gdfs_clock_ms() + (uint64_t)timeout_ms;
    int rc, d;

    *stuck = 0;
    if ((rc = gdfs_records_check_leader(r->records, why, whylen)) != GDFS_OK)
        return rc;
    pthread_mutex_lock(&r->mu);
    d = find_drain(r, id);
    if (d < 0) {
        if (r->ndrains >= DRAINS_MAX) {
            pthread_mutex_unlock(&r->mu);
            snprintf(why, whylen,
                     "%u nodes are handing off their copies already; try "
                     "again later",
                     DRAINS_MAX);
            return GDFS_EBUSY;
        }
        d = (int)r->ndrains++;
        memset(&r->drains[d], 0, sizeof(r->drains[d]));
        snprintf(r->drains[d].id, sizeof(r->drains[d].id), "%s", id);
        r->drains[d].has_inc =
            gdfs_inventory_incarnation(r->inv, id, &r->drains[d].incarnation);
        publish_drains(r);
        gdfs_log(GDFS_LOG_NOTICE, "handing off the copies held by %s", id);
    }
    /* Count only passes that start from now on. */
    r->drains[d].from_pass = r->pass + 1;
    r->drains[d].done = false;
    pthread_cond_broadcast(&r->cv);
    while (!r->drains[d].done && !r->stop && gdfs_clock_ms() < deadline) {
        wait_ms(r, 200);
        if ((d = find_drain(r, id)) < 0)
            break;
    }
    if (d >= 0 && r->drains[d].done) {
        *stuck = r->drains[d].stuck;
        rc = GDFS_OK;
        gdfs_log(GDFS_LOG_NOTICE,
                 "copies held by %s handed off (%u files could not be "
                 "moved)",
                 id, *stuck);
    } else {
        rc = GDFS_ETIMEDOUT;
        snprintf(why, whylen,
                 "the copies held by %s were not all handed off within %d "
                 "ms",
                 id, timeout_ms);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void gdfs_repair_undrain(struct gdfs_repair *r, const char *id)
{
    int d;

    pthread_mutex_lock(&r->mu);
    if ((d = find_drain(r, id)) >= 0) {
        r->drains[d] = r->drains[r->ndrains - 1];
        r->ndrains--;
        publish_drains(r);
    }
    pthread_mutex_unlock(&r->mu);
}

/* ---- life cycle ------------------------------------------------------------- */

int gdfs_repair_start(const struct gdfs_config *cfg, const char *db_path,
                      struct gdfs_records *records,
                      struct gdfs_grouphost *group,
                      struct gdfs_inventory *inventory,
                      struct gdfs_repair **out, char *err, size_t errlen)
{
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_repair *r = calloc(1, sizeof(*r));
    int rc;

    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    r->cfg = cfg;
    r->records = records;
    r->group = group;
    r->inv = inventory;
    snprintf(r->db_path, sizeof(r->db_path), "%s", db_path);
    pthread_mutex_init(&r->mu, NULL);
    gdfs_clock_cond_init(&r->cv);
    gdfs_pace_init(&r->pace, (uint64_t)cfg->repair_rate_mib_s << 20, 0,
                   gdfs_clock_ms());
    if ((rc = gdfs_store_open(db_path, &so, &r->st, err, errlen)) != GDFS_OK) {
        free(r);
        return rc;
    }
    if (pthread_create(&r->scanner, NULL, scanner_main, r) != 0) {
        gdfs_store_close(r->st);
        free(r);
        snprintf(err, errlen, "cannot start the repair thread");
        return GDFS_ENOMEM;
    }
    for (unsigned i = 0; i < REPAIR_WORKERS; i++) {
        struct worker_arg *a = malloc(sizeof(*a));

        if (a == NULL)
            break;
        a->r = r;
        a->no = i;
        if (pthread_create(&r->workers[i], NULL, worker_main, a) != 0) {
            free(a);
            break;
        }
        r->nworkers++;
    }
    *out = r;
    return GDFS_OK;
}

void gdfs_repair_stop(struct gdfs_repair *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->scanner, NULL);
    for (unsigned i = 0; i < r->nworkers; i++)
        pthread_join(r->workers[i], NULL);
    gdfs_store_close(r->st);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}
