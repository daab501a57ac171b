/* The record log on a node; see reclog.h and docs/record-log.md.
 *
 * Sections: the log's storage (core/rlog.h's io over the store), leading
 * (the manager and the senders), following (LOG_APPEND), the leader's
 * commit, start and stop. */
#define GDFS_LOG_MODULE "reclog"
#include "node/records/reclog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "core/group.h"
#include "core/rlog.h"
#include "log.h"
#include "net.h"
#include "node/dbopts.h"
#include "node/records/pager.h"
#include "node/records/records.h"

/* Entries one append request carries at most, and their data's bytes:
 * with the 8 bytes of term each and the fixed fields, a request stays
 * within GDFS_LOG_PAGE_MAX. */
#define BATCH_MAX 4096
#define BATCH_BYTES (GDFS_LOG_PAGE_MAX - 8 * BATCH_MAX - 1024)
#define FRAME_CAP (GDFS_PROTO_HDR_LEN + GDFS_LOG_PAGE_MAX)
/* How often the manager looks at the group. */
#define MANAGE_MS 10
/* A sender whose voter did not answer waits this long before it tries
 * again (at most a heartbeat). */
#define RETRY_MS 100
/* Entries applied in one transaction at most (core/rlog.c hands 256). */
#define APPLY_MAX 256

struct sender {
    struct gdfs_reclog *l;
    pthread_t thread;
    bool started, done;
    uint64_t gen; /* the leadership it works for */
    unsigned voter;
    char id[GDFS_NODE_ID_MAX + 1];
    char addr[GDFS_ADDR_MAX + 1];
    uint64_t told_commit; /* the commit index last sent */
    bool down_logged;
    uint8_t *frame;
    struct gdfs_rlog_entry *buf;
    struct gdfs_store *snap_st; /* its own connection, for snapshots */
};

/* A record waiting to be appended (gdfs_reclog_commit). */
struct queued {
    struct queued *next;
    const void *data;
    size_t len;
    uint64_t term; /* the term its caller leads */
    bool done;     /* appended, or refused: rc says */
    int rc;
    uint64_t index; /* where it went */
};

struct gdfs_reclog {
    const struct gdfs_config *cfg;
    char db_path[4096];
    struct gdfs_grouphost *group;
    struct gdfs_rpc *rpc;
    struct gdfs_store *st;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* appended, acknowledged, committed, applied, led */
    bool stop;
    /* The group votes freely (it held no votes, or released them): the
     * follower's appends need not tell it that the log caught up. */
    bool votes_free;
    pthread_mutex_t qmu; /* the queue only, taken alone or inside mu */
    struct queued *queue, **queue_tail;
    struct gdfs_rlog log;
    uint8_t *rbuf;                      /* io read's buffer */
    struct gdfs_store_log_apply *apply; /* io apply's, APPLY_MAX each */
    struct gdfs_meta *metas;
    /* leading (lead_term 0: following) */
    uint64_t lead_term;
    struct gdfs_version lead_set; /* the member set its voters are from */
    uint64_t first_index;         /* lead_term's first entry (its no-op) */
    uint64_t gen;                 /* bumped at each start and end of leading */
    struct sender *senders[GDFS_GROUP_MAX];
    unsigned nsenders;
    pthread_t thread; /* the manager */
    struct gdfs_group_status *gs;
};

/* ---- storage: core/rlog.h's io ------------------------------------------- */

static int io_term_at(void *ctx, uint64_t index, uint64_t *term)
{
    struct gdfs_reclog *l = ctx;
    int rc = gdfs_store_log_term_at(l->st, index, term);

    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "record log: %s", gdfs_store_errmsg(l->st));
    return rc;
}

static int io_append(void *ctx, const struct gdfs_rlog_entry *e, size_t n)
{
    struct gdfs_reclog *l = ctx;
    struct gdfs_store_log_entry *se = malloc(n * sizeof(*se));
    int rc;

    if (se == NULL)
        return GDFS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        se[i] = (struct gdfs_store_log_entry){e[i].index, e[i].term, e[i].data,
                                              e[i].len};
    rc = gdfs_store_log_append(l->st, se, n);
    free(se);
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "record log: %s", gdfs_store_errmsg(l->st));
    return rc;
}

static int io_truncate(void *ctx, uint64_t index)
{
    struct gdfs_reclog *l = ctx;
    int rc = gdfs_store_log_truncate(l->st, index);

    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "record log: %s", gdfs_store_errmsg(l->st));
    else
        gdfs_log(GDFS_LOG_INFO,
                 "record log: entries from %llu on removed (they conflict "
                 "with the leader's)",
                 (unsigned long long)index);
    return rc;
}

static int io_read(void *ctx, uint64_t from, size_t max_bytes,
                   struct gdfs_rlog_entry *out, size_t max, size_t *n)
{
    struct gdfs_reclog *l = ctx;
    struct gdfs_store_log_entry se[BATCH_MAX];
    int rc;

    if (max > BATCH_MAX)
        max = BATCH_MAX;
    rc = gdfs_store_log_read(l->st, from, max_bytes, l->rbuf,
                             GDFS_LOG_PAGE_MAX, se, max, n);
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "record log: %s", gdfs_store_errmsg(l->st));
        return rc;
    }
    for (size_t i = 0; i < *n; i++)
        out[i] = (struct gdfs_rlog_entry){se[i].index, se[i].term, se[i].data,
                                          se[i].len};
    return GDFS_OK;
}

static int io_apply(void *ctx, const struct gdfs_rlog_entry *e, size_t n)
{
    struct gdfs_reclog *l = ctx;
    int rc;

    if (n > APPLY_MAX)
        n = APPLY_MAX; /* never: core/rlog.c applies 256 at a time */
    for (size_t i = 0; i < n; i++) {
        struct gdfs_record rec;
        uint8_t kind;

        if (gdfs_proto_decode_entry(e[i].data, e[i].len, &kind, &rec) !=
            GDFS_OK) {
            /* Every entry was checked before it was stored. */
            gdfs_log(GDFS_LOG_ERROR, "record log: entry %llu is unreadable",
                     (unsigned long long)e[i].index);
            return GDFS_ECORRUPT;
        }
        l->apply[i] = (struct gdfs_store_log_apply){e[i].index, e[i].term,
                                                    NULL};
        if (kind == GDFS_ENTRY_RECORD) {
            gdfs_records_from_record(&rec, &l->metas[i]);
            l->apply[i].m = &l->metas[i];
        }
    }
    rc = gdfs_store_log_apply(l->st, l->apply, n, false);
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "record log: apply entries %llu to %llu: %s",
                 (unsigned long long)e[0].index,
                 (unsigned long long)e[n - 1].index, gdfs_store_errmsg(l->st));
    return rc;
}

static int io_snapshot(void *ctx, uint64_t index, uint64_t term)
{
    struct gdfs_reclog *l = ctx;
    int rc = gdfs_store_log_compact(l->st, index, term);

    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "record log: %s", gdfs_store_errmsg(l->st));
    return rc;
}

static int io_install(void *ctx, uint64_t index, uint64_t term, bool keep)
{
    struct gdfs_reclog *l = ctx;
    int rc = gdfs_store_log_install(l->st, index, term, keep);

    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "record log: %s", gdfs_store_errmsg(l->st));
    return rc;
}

/* Under mu, before entries of @term up to @index at most are stored: the
 * group votes as if they were (an upper bound of the log is safe: a voter
 * is only stricter), if it is still in @term. False: it moved on, store
 * nothing. */
static bool promise_log(struct gdfs_reclog *l, uint64_t term, uint64_t index)
{
    uint64_t t = term > l->log.last_term ? term : l->log.last_term;
    uint64_t i = index > l->log.last_index ? index : l->log.last_index;

    return gdfs_grouphost_set_log(l->group, t, i, term);
}

/* Under mu, after the log changed: the group votes with what it holds. */
static void publish_log(struct gdfs_reclog *l)
{
    gdfs_grouphost_set_log(l->group, l->log.last_term, l->log.last_index, 0);
}

/* ---- leading: the senders -------------------------------------------------- */

/* Under mu: the LOG_APPEND of @req for leader term @term into sd->frame. */
static int build(struct sender *sd, uint64_t term,
                 const struct gdfs_rlog_req *req, size_t *len)
{
    struct gdfs_proto_writer w;
    struct gdfs_msg m;
    int rc;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_LOG_APPEND;
    m.u.log_append.term = term;
    m.u.log_append.prev_index = req->prev_index;
    m.u.log_append.prev_term = req->prev_term;
    m.u.log_append.commit = req->commit;
    if ((rc = gdfs_proto_writer_begin(&w, sd->frame, FRAME_CAP, &m)) !=
        GDFS_OK)
        return rc;
    for (size_t i = 0; i < req->n; i++) {
        struct gdfs_log_entry e = {req->entries[i].term, req->entries[i].data,
                                   req->entries[i].len};

        rc = gdfs_proto_add_log_entry(&w, &e);
        if (rc == GDFS_ETOOBIG && i > 0)
            break; /* the rest next time: acks say how far it got */
        if (rc != GDFS_OK)
            return rc;
    }
    return gdfs_proto_writer_finish(&w, false, len);
}

/* One round trip: the frame out, the LOG_ACK back into @ack. */
static int exchange(struct sender *sd, size_t len, struct gdfs_msg *ack,
                    struct gdfs_rpc_conn **cp, char *why, size_t whylen)
{
    struct gdfs_rpc *rpc = sd->l->rpc;
    int io = gdfs_rpc_io_ms(rpc);
    int rc = gdfs_rpc_open(rpc, sd->addr, cp, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_rpc_send_raw(*cp, sd->frame, len, io);
    if (rc == GDFS_OK)
        rc = gdfs_rpc_recv(*cp, GDFS_MSG_NDTOCL_LOG_ACK, ack, io);
    if (rc != GDFS_OK)
        snprintf(why, whylen, "%.400s", (*cp)->errmsg);
    return rc;
}

/* Under mu: whether @sd has something to send now: entries its voter
 * lacks, a commit index it was not told, or, when it has had neither for
 * election_ms, an empty request, so that a voter that restarted or lost
 * its log is found (its answer says so). Not every heartbeat: with one
 * request in flight, a new entry waited for the heartbeat's round trip
 * most of the time once round trips neared heartbeat_ms (bench/latency.sh:
 * about 0.8 of one per put at 100 ms). Liveness and leases are the group's
 * (group.c's APPEND), not this log's. */
static bool due(const struct sender *sd, uint64_t now, uint64_t last_sent)
{
    const struct gdfs_reclog *l = sd->l;
    const struct gdfs_rlog_progress *p = &l->log.peer[sd->voter];

    return p->next <= l->log.last_index || sd->told_commit < l->log.commit ||
           now - last_sent >= l->cfg->election_ms;
}

/* Under mu: take @sd's voter's answer @a to a request of term @term. */
static void take(struct sender *sd, uint64_t term, const struct gdfs_msg *a)
{
    struct gdfs_reclog *l = sd->l;
    struct gdfs_rlog_ack ack = {a->u.log_ack.ok, a->u.log_ack.match,
                                a->u.log_ack.last_index,
                                a->u.log_ack.conflict_term,
                                a->u.log_ack.conflict_from};
    int rc;

    if (a->u.log_ack.term != term) {
        /* It follows a later term: the group steps this node down. */
        sd->told_commit = 0;
        return;
    }
    rc = gdfs_rlog_take_ack(&l->log, sd->voter, &ack);
    if (rc == GDFS_EPROTO)
        gdfs_log(GDFS_LOG_WARN,
                 "record log: %s answered with numbers this leader never "
                 "sent (match %llu, last %llu); dropped",
                 sd->id, (unsigned long long)ack.match,
                 (unsigned long long)ack.last_index);
    else if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "record log: %s", gdfs_strerror(rc));
    if (!ack.ok)
        sd->told_commit = 0;
    pthread_cond_broadcast(&l->cv);
}

/* Without mu: send @sd's voter, which is behind the compacted log, the
 * record table as the log's snapshot: every bucket in META_SYNC pages
 * read in one store snapshot, then LOG_SNAP naming the applied entry that
 * table holds; the answer into @ack. */
static int send_snapshot(struct sender *sd, uint64_t term,
                         struct gdfs_msg *ack, struct gdfs_rpc_conn **cp,
                         char *why, size_t whylen)
{
    struct gdfs_reclog *l = sd->l;
    struct gdfs_store_opts so = gdfs_node_store_opts(l->cfg, true);
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_LOG_SNAP};
    struct gdfs_store_log_state o;
    int io = gdfs_rpc_io_ms(l->rpc);
    uint64_t at = 0, t0 = gdfs_clock_ms();
    unsigned sent = 0;
    int rc = GDFS_OK;

    if (sd->snap_st == NULL)
        rc = gdfs_store_open(l->db_path, &so, &sd->snap_st, why, whylen);
    if (rc == GDFS_OK)
        rc = gdfs_rpc_open(l->rpc, sd->addr, cp, why, whylen);
    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_store_snapshot_begin(sd->snap_st);
    if (rc == GDFS_OK)
        rc = gdfs_store_log_state(sd->snap_st, &o);
    if (rc == GDFS_OK && o.applied > o.snap_index)
        rc = gdfs_store_log_term_at(sd->snap_st, o.applied, &at);
    else if (rc == GDFS_OK)
        at = o.snap_term;
    if (rc != GDFS_OK)
        snprintf(why, whylen, "%s", gdfs_store_errmsg(sd->snap_st));
    if (rc == GDFS_OK && (o.applied == 0 || at == 0)) {
        snprintf(why, whylen, "nothing applied to send");
        rc = GDFS_EINVAL;
    }
    if (rc == GDFS_OK) {
        rc = gdfs_pager_push(*cp, sd->snap_st, sd->frame, FRAME_CAP, io, term,
                             ~UINT64_C(0), &sent);
        if (rc != GDFS_OK)
            snprintf(why, whylen, "%.400s", (*cp)->errmsg);
    }
    gdfs_store_snapshot_end(sd->snap_st);
    if (rc != GDFS_OK)
        return rc;
    req.u.log_snap.term = term;
    req.u.log_snap.index = o.applied;
    req.u.log_snap.index_term = at;
    rc = gdfs_rpc_send(*cp, &req, io);
    if (rc == GDFS_OK)
        rc = gdfs_rpc_recv(*cp, GDFS_MSG_NDTOCL_LOG_ACK, ack, io);
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "%.400s", (*cp)->errmsg);
        return rc;
    }
    gdfs_log(GDFS_LOG_INFO,
             "record log: %s was behind the log's start: sent it the record "
             "table up to entry %llu (%u records, %llu ms)",
             sd->id, (unsigned long long)o.applied, sent,
             (unsigned long long)(gdfs_clock_ms() - t0));
    return GDFS_OK;
}

static void *sender_main(void *arg)
{
    struct sender *sd = arg;
    struct gdfs_reclog *l = sd->l;
    uint64_t last_sent = 0, retry_at = 0;

    pthread_mutex_lock(&l->mu);
    while (!l->stop && sd->gen == l->gen) {
        uint64_t now = gdfs_clock_ms(), term = l->lead_term;
        struct gdfs_rpc_conn *c = NULL;
        struct gdfs_rlog_req req;
        struct gdfs_msg ack;
        char why[512];
        bool snapshot;
        size_t len;
        int rc;

        if (now < retry_at || !due(sd, now, last_sent)) {
            gdfs_clock_cond_wait_ms(&l->cv, &l->mu,
                                    now < retry_at
                                        ? (int)(retry_at - now)
                                        : (int)l->cfg->heartbeat_ms);
            continue;
        }
        rc = gdfs_rlog_prepare(&l->log, sd->voter, BATCH_BYTES, sd->buf, &req,
                               &snapshot);
        if (rc == GDFS_OK && !snapshot)
            rc = build(sd, term, &req, &len);
        if (rc != GDFS_OK) {
            retry_at = now + RETRY_MS;
            continue;
        }
        sd->told_commit = snapshot ? 0 : req.commit;
        pthread_mutex_unlock(&l->mu);
        if (snapshot)
            rc = send_snapshot(sd, term, &ack, &c, why, sizeof(why));
        else
            rc = exchange(sd, len, &ack, &c, why, sizeof(why));
        last_sent = now;
        pthread_mutex_lock(&l->mu);
        if (rc == GDFS_OK && sd->gen == l->gen) {
            take(sd, term, &ack);
            if (sd->down_logged)
                gdfs_log(GDFS_LOG_INFO, "record log: %s answers again",
                         sd->id);
            sd->down_logged = false;
        } else if (rc != GDFS_OK) {
            if (!sd->down_logged)
                gdfs_log(GDFS_LOG_INFO, "record log: no answer from %s: %s",
                         sd->id, why);
            sd->down_logged = true;
            sd->told_commit = 0;
            retry_at = gdfs_clock_ms() + RETRY_MS;
        }
        pthread_mutex_unlock(&l->mu);
        gdfs_rpc_close(l->rpc, c);
        pthread_mutex_lock(&l->mu);
    }
    sd->done = true;
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static void sender_free(struct sender *sd)
{
    if (sd == NULL)
        return;
    gdfs_store_close(sd->snap_st);
    free(sd->frame);
    free(sd->buf);
    free(sd);
}

/* Under mu: join (unlocking meanwhile) and free the senders of ended
 * leaderships, or all of them when @all. */
static void reap(struct gdfs_reclog *l, bool all)
{
    for (unsigned i = 0; i < l->nsenders;) {
        struct sender *sd = l->senders[i];

        if (!all && sd->gen == l->gen) {
            i++;
            continue;
        }
        l->senders[i] = l->senders[--l->nsenders];
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        if (sd->started)
            pthread_join(sd->thread, NULL);
        sender_free(sd);
        pthread_mutex_lock(&l->mu);
    }
}

/* Under mu: stop leading (a later term, or a step down). */
static void follow(struct gdfs_reclog *l)
{
    if (l->lead_term == 0 && !l->log.leader)
        return;
    gdfs_rlog_follow(&l->log);
    l->lead_term = 0;
    l->gen++;
    pthread_cond_broadcast(&l->cv);
}

/* Under mu: lead the log in gs->term with the voters of gs's member set
 * (a new term, or the set changed in it). */
static void lead(struct gdfs_reclog *l, const struct gdfs_group_status *gs)
{
    static const uint8_t noop[1] = {GDFS_ENTRY_NOOP};
    const void *data = noop;
    size_t len = sizeof(noop);
    bool new_term = l->lead_term != gs->term;
    unsigned nvoters = 0, self = 0;
    int vid[GDFS_GROUP_MAX];
    int rc;

    for (uint32_t i = 0; i < gs->n; i++) {
        if (gs->m[i].state == GDFS_MEMBER_LEFT)
            continue;
        if (strcmp(gs->m[i].id, gs->self) == 0)
            self = nvoters;
        vid[nvoters++] = (int)i;
    }
    l->gen++;
    l->lead_term = 0;
    rc = gdfs_rlog_lead(&l->log, gs->term, nvoters, self);
    if (rc == GDFS_OK && new_term) {
        /* Only an entry of its own term commits what earlier leaders
         * left (Raft §5.4.2). */
        if (!promise_log(l, gs->term, l->log.last_index + 1))
            rc = GDFS_ENOTLEADER;
        else
            rc = gdfs_rlog_append(&l->log, &data, &len, 1);
        publish_log(l);
        if (rc == GDFS_OK)
            l->first_index = l->log.last_index;
    }
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "record log: cannot lead term %llu: %s",
                 (unsigned long long)gs->term, gdfs_strerror(rc));
        gdfs_rlog_follow(&l->log);
        return;
    }
    l->lead_term = gs->term;
    l->lead_set = gs->set_version;
    for (unsigned v = 0; v < nvoters; v++) {
        struct sender *sd;

        if (v == self || l->nsenders >= GDFS_GROUP_MAX)
            continue;
        sd = calloc(1, sizeof(*sd));
        if (sd == NULL || (sd->frame = malloc(FRAME_CAP)) == NULL ||
            (sd->buf = calloc(BATCH_MAX, sizeof(*sd->buf))) == NULL) {
            sender_free(sd);
            gdfs_log(GDFS_LOG_ERROR, "record log: out of memory");
            continue;
        }
        sd->l = l;
        sd->gen = l->gen;
        sd->voter = v;
        snprintf(sd->id, sizeof(sd->id), "%s", gs->m[vid[v]].id);
        snprintf(sd->addr, sizeof(sd->addr), "%s", gs->m[vid[v]].addr);
        l->senders[l->nsenders++] = sd;
        sd->started = pthread_create(&sd->thread, NULL, sender_main, sd) == 0;
        if (!sd->started)
            gdfs_log(GDFS_LOG_ERROR, "record log: cannot start a sender");
    }
    if (new_term)
        gdfs_log(GDFS_LOG_INFO,
                 "record log: leading term %llu from entry %llu (%u voters)",
                 (unsigned long long)gs->term,
                 (unsigned long long)l->first_index, nvoters);
}

/* Under mu: once log_keep_entries applied entries have piled up twice
 * over, drop all but the last log_keep_entries of them (the record table
 * holds what they did). A member further behind gets the table. */
static void compact(struct gdfs_reclog *l)
{
    uint64_t keep = l->cfg->log_keep_entries;
    int rc;

    if (l->log.applied - l->log.snap_index <= 2 * keep)
        return;
    rc = gdfs_rlog_compact_to(&l->log, l->log.applied - keep);
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_WARN, "record log: compaction: %s",
                 gdfs_strerror(rc));
    else
        gdfs_log(GDFS_LOG_DEBUG, "record log: entries up to %llu dropped",
                 (unsigned long long)l->log.snap_index);
}

static void *manager_main(void *arg)
{
    struct gdfs_reclog *l = arg;

    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        struct gdfs_group_status *gs = l->gs;
        bool leads;

        pthread_mutex_unlock(&l->mu);
        gdfs_grouphost_status(l->group, gs);
        pthread_mutex_lock(&l->mu);
        leads = gs->role == GDFS_ROLE_LEADER;
        if (!leads)
            follow(l);
        else if (l->lead_term != gs->term ||
                 gdfs_version_cmp(&l->lead_set, &gs->set_version) != 0)
            lead(l, gs);
        reap(l, false);
        compact(l);
        gdfs_clock_cond_wait_ms(&l->cv, &l->mu, MANAGE_MS);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* ---- following: LOG_APPEND -------------------------------------------------- */

static int reply_ack(struct gdfs_session *s, uint32_t reqid, uint64_t term,
                     const struct gdfs_rlog_ack *a)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_LOG_ACK, .reqid = reqid};

    r.u.log_ack.term = term;
    r.u.log_ack.ok = a->ok;
    r.u.log_ack.match = a->match;
    r.u.log_ack.last_index = a->last_index;
    r.u.log_ack.conflict_term = a->conflict_term;
    r.u.log_ack.conflict_from = a->conflict_from;
    return gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                             gdfs_session_io_ms(s));
}

/* The term this node is in, above @term (a request of @term was refused
 * because the group moved on). */
static uint64_t group_term(struct gdfs_session *s, uint64_t term)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    uint64_t now_term = term + 1;

    if (gs != NULL) {
        gdfs_grouphost_status(s->group, gs);
        now_term = gs->term > term ? gs->term : now_term;
        free(gs);
    }
    return now_term;
}

/* The entries of @m into @e (@max at most), each checked as a record the
 * leader of its entry's term may send. */
static int read_entries(const struct gdfs_msg *m, struct gdfs_rlog_entry *e,
                        size_t max, size_t *n, char *why, size_t whylen)
{
    const struct gdfs_list_body *b = &m->u.log_append.body;
    struct gdfs_log_entry le;
    size_t off = 0;

    *n = 0;
    if (b->count > max) {
        snprintf(why, whylen, "%u entries in one request (at most %zu)",
                 b->count, max);
        return GDFS_EPROTO;
    }
    while (*n < b->count && gdfs_proto_next_log_entry(b, &off, &le)) {
        struct gdfs_record rec;
        struct gdfs_meta meta;
        uint8_t kind;

        if (gdfs_proto_decode_entry(le.data, le.len, &kind, &rec) != GDFS_OK) {
            snprintf(why, whylen, "an unreadable entry");
            return GDFS_EPROTO;
        }
        if (kind == GDFS_ENTRY_RECORD) {
            gdfs_records_from_record(&rec, &meta);
            if (gdfs_records_may_take(le.term, &meta, 1, why, whylen) !=
                GDFS_OK)
                return GDFS_EPROTO;
        }
        e[*n] = (struct gdfs_rlog_entry){m->u.log_append.prev_index + 1 + *n,
                                         le.term, le.data, le.len};
        (*n)++;
    }
    return GDFS_OK;
}

int gdfs_reclog_handle_append(struct gdfs_session *s, struct gdfs_reclog *l,
                              const struct gdfs_msg *m)
{
    uint64_t term = m->u.log_append.term;
    struct gdfs_rlog_entry *e = NULL;
    struct gdfs_rlog_ack ack;
    struct gdfs_rlog_req req;
    char why[512] = "";
    size_t n = 0;
    int rc;

    if (m->u.log_append.prev_index >= GDFS_RLOG_LIMIT - BATCH_MAX)
        return gdfs_reply_error(s, m->reqid, GDFS_EPROTO,
                                "log index out of range");
    if ((e = calloc(BATCH_MAX, sizeof(*e))) == NULL)
        return gdfs_reply_error(s, m->reqid, GDFS_ENOMEM, "out of memory");
    rc = read_entries(m, e, BATCH_MAX, &n, why, sizeof(why));
    if (rc != GDFS_OK) {
        free(e);
        gdfs_log(GDFS_LOG_WARN, "record log: request from %s refused: %s",
                 s->peer.id, why);
        return gdfs_reply_error(s, m->reqid, rc, "record log: %s", why);
    }
    req = (struct gdfs_rlog_req){m->u.log_append.prev_index,
                                 m->u.log_append.prev_term,
                                 m->u.log_append.commit, e, n};
    memset(&ack, 0, sizeof(ack));
    pthread_mutex_lock(&l->mu);
    if (l->log.leader && l->lead_term >= term) {
        rc = GDFS_EPROTO;
        snprintf(why, sizeof(why), "this node leads term %llu",
                 (unsigned long long)l->lead_term);
    } else {
        follow(l);
        /* Stored only while the group is in @term, and voting as if. */
        if (!promise_log(l, term, req.prev_index + n)) {
            ack.last_index = l->log.last_index;
            rc = GDFS_ESTALE;
        } else {
            rc = gdfs_rlog_take_append(&l->log, &req, &ack);
            publish_log(l);
            if (rc != GDFS_OK)
                snprintf(why, sizeof(why), "%s", gdfs_strerror(rc));
            else if (!l->votes_free && ack.ok && ack.match >= req.commit)
                /* It agrees with the leader past everything committed. */
                l->votes_free = gdfs_grouphost_caught_up(l->group, term,
                                                         ack.match);
        }
    }
    pthread_mutex_unlock(&l->mu);
    free(e);
    if (rc == GDFS_ESTALE)
        return reply_ack(s, m->reqid, group_term(s, term), &ack);
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "record log: request from %s refused: %s",
                 s->peer.id, why);
        return gdfs_reply_error(s, m->reqid, rc, "record log: %s", why);
    }
    return reply_ack(s, m->reqid, term, &ack);
}

int gdfs_reclog_handle_snap(struct gdfs_session *s, struct gdfs_reclog *l,
                            const struct gdfs_msg *m)
{
    uint64_t term = m->u.log_snap.term, index = m->u.log_snap.index;
    struct gdfs_rlog_ack ack;
    char why[256] = "";
    int rc;

    memset(&ack, 0, sizeof(ack));
    pthread_mutex_lock(&l->mu);
    if ((l->log.leader && l->lead_term >= term) ||
        m->u.log_snap.index_term > term) {
        rc = GDFS_EPROTO;
        snprintf(why, sizeof(why), "a snapshot this node cannot take");
    } else {
        follow(l);
        if (!promise_log(l, term, index)) {
            ack.last_index = l->log.last_index;
            rc = GDFS_ESTALE;
        } else {
            rc = gdfs_rlog_take_snapshot(&l->log, index,
                                         m->u.log_snap.index_term, &ack);
            publish_log(l);
            if (rc == GDFS_OK)
                gdfs_log(GDFS_LOG_INFO,
                         "record log: took %s's record table as the log up "
                         "to entry %llu",
                         s->peer.id, (unsigned long long)index);
            else
                snprintf(why, sizeof(why), "%s", gdfs_strerror(rc));
        }
    }
    pthread_mutex_unlock(&l->mu);
    if (rc == GDFS_ESTALE)
        return reply_ack(s, m->reqid, group_term(s, term), &ack);
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "record log: snapshot from %s refused: %s",
                 s->peer.id, why);
        return gdfs_reply_error(s, m->reqid, rc, "record log: %s", why);
    }
    return reply_ack(s, m->reqid, term, &ack);
}

/* ---- the leader's commit ------------------------------------------------------ */

bool gdfs_reclog_ready(struct gdfs_reclog *l, uint64_t term)
{
    bool r;

    pthread_mutex_lock(&l->mu);
    r = l->log.leader && l->lead_term == term && term != 0 &&
        l->log.applied >= l->first_index;
    pthread_mutex_unlock(&l->mu);
    return r;
}

/* Under mu: append every queued record of the term this node leads (the
 * caller's among them) in one transaction, so that concurrent commits
 * share one fsync; each waiter gets its index or its error. */
static void append_queued(struct gdfs_reclog *l)
{
    uint64_t term = l->log.leader ? l->lead_term : 0;
    struct queued *q, *batch;
    const void **data;
    size_t *len, n = 0, k = 0;
    int rc = GDFS_OK;

    pthread_mutex_lock(&l->qmu);
    batch = l->queue;
    l->queue = NULL;
    l->queue_tail = &l->queue;
    pthread_mutex_unlock(&l->qmu);
    for (q = batch; q != NULL; q = q->next)
        n += q->term == term && term != 0;
    data = malloc((n ? n : 1) * sizeof(*data));
    len = malloc((n ? n : 1) * sizeof(*len));
    if (data == NULL || len == NULL)
        rc = GDFS_ENOMEM;
    for (q = batch; q != NULL && rc == GDFS_OK; q = q->next)
        if (q->term == term && term != 0) {
            data[k] = q->data;
            len[k++] = q->len;
        }
    if (rc == GDFS_OK && n > 0 && !promise_log(l, term, l->log.last_index + n))
        rc = GDFS_ENOTLEADER;
    if (rc == GDFS_OK && n > 0) {
        rc = gdfs_rlog_append(&l->log, data, len, n);
        publish_log(l);
    }
    k = 0;
    for (q = batch; q != NULL; q = q->next) {
        if (q->term != term || term == 0) {
            q->rc = GDFS_ENOTLEADER;
        } else {
            q->rc = rc == GDFS_OK || rc == GDFS_ENOTLEADER ? rc : GDFS_ESTORE;
            q->index = rc == GDFS_OK ? l->log.last_index - n + 1 + k++ : 0;
        }
        q->done = true;
    }
    free(data);
    free(len);
    pthread_cond_broadcast(&l->cv);
}

int gdfs_reclog_commit(struct gdfs_reclog *l, uint64_t term,
                       const struct gdfs_meta *m, char *why, size_t whylen)
{
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    uint8_t buf[8192];
    struct gdfs_record rec;
    struct queued q = {.data = buf, .term = term};
    uint64_t until, at = 0;
    int rc;

    gdfs_records_to_record(NULL, m, addrs, &rec);
    rc = gdfs_proto_encode_entry(GDFS_ENTRY_RECORD, &rec, buf, sizeof(buf),
                                 &q.len);
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "record of %.*s cannot be encoded: %s",
                 (int)m->namelen, (const char *)m->name, gdfs_strerror(rc));
        return GDFS_EINVAL;
    }
    pthread_mutex_lock(&l->qmu);
    *l->queue_tail = &q;
    l->queue_tail = &q.next;
    pthread_mutex_unlock(&l->qmu);
    pthread_mutex_lock(&l->mu);
    if (!q.done)
        append_queued(l);
    if (q.rc == GDFS_ENOTLEADER) {
        pthread_mutex_unlock(&l->mu);
        snprintf(why, whylen,
                 "leader changed: this node no longer leads term %llu; "
                 "nothing was committed (retry)",
                 (unsigned long long)term);
        return GDFS_ENOTLEADER;
    }
    if (q.rc != GDFS_OK) {
        pthread_mutex_unlock(&l->mu);
        snprintf(why, whylen,
                 "the leader could not store the record (%s); nothing was "
                 "committed",
                 gdfs_strerror(q.rc));
        return GDFS_ESTORE;
    }
    until = gdfs_clock_ms() + l->cfg->io_timeout_ms;
    while (l->log.applied < q.index && l->log.leader && l->lead_term == term &&
           !l->stop && gdfs_clock_ms() < until)
        gdfs_clock_cond_wait_ms(&l->cv, &l->mu, 100);
    /* Applied here, and ours: a leader never removes its own entries, and
     * after its term two entries with the same index and term are the
     * same one (Raft's Log Matching). */
    rc = GDFS_EUNKNOWN;
    if (l->log.applied >= q.index &&
        ((l->log.leader && l->lead_term == term) ||
         (q.index > l->log.snap_index &&
          gdfs_store_log_term_at(l->st, q.index, &at) == GDFS_OK &&
          at == term)))
        rc = GDFS_OK;
    pthread_mutex_unlock(&l->mu);
    if (rc != GDFS_OK)
        snprintf(why, whylen,
                 "outcome unknown: the record is in leader's log (entry "
                 "%llu of term %llu) but was not seen committed on a "
                 "majority in time; a later leader keeps it or not",
                 (unsigned long long)q.index, (unsigned long long)term);
    return rc;
}

/* ---- start, stop ------------------------------------------------------------------ */

/* Close and free @l, its threads stopped or never started. */
static void reclog_free(struct gdfs_reclog *l)
{
    gdfs_store_close(l->st);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->qmu);
    pthread_cond_destroy(&l->cv);
    free(l->rbuf);
    free(l->gs);
    free(l->apply);
    free(l->metas);
    free(l);
}

int gdfs_reclog_start(const struct gdfs_config *cfg, const char *db_path,
                      struct gdfs_rpc *rpc, struct gdfs_grouphost *g,
                      struct gdfs_reclog **out, char *err, size_t errlen)
{
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_rlog_cfg rc_cfg = {.batch_max = BATCH_MAX};
    struct gdfs_reclog *l = calloc(1, sizeof(*l));
    struct gdfs_store_log_state o;
    struct gdfs_rlog_disk disk;
    struct gdfs_rlog_io io;
    int rc;

    if (l == NULL || (l->rbuf = malloc(GDFS_LOG_PAGE_MAX)) == NULL ||
        (l->gs = malloc(sizeof(*l->gs))) == NULL ||
        (l->apply = calloc(APPLY_MAX, sizeof(*l->apply))) == NULL ||
        (l->metas = calloc(APPLY_MAX, sizeof(*l->metas))) == NULL) {
        if (l != NULL) {
            free(l->rbuf);
            free(l->gs);
            free(l->apply);
        }
        free(l);
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    l->cfg = cfg;
    l->group = g;
    l->rpc = rpc;
    snprintf(l->db_path, sizeof(l->db_path), "%s", db_path);
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->qmu, NULL);
    l->queue_tail = &l->queue;
    gdfs_clock_cond_init(&l->cv);
    rc = gdfs_store_open(db_path, &so, &l->st, err, errlen);
    if (rc == GDFS_OK) {
        rc = gdfs_store_log_state(l->st, &o);
        if (rc == GDFS_ENOENT) { /* joining: no log yet */
            memset(&o, 0, sizeof(o));
            rc = GDFS_OK;
        } else if (rc != GDFS_OK) {
            snprintf(err, errlen, "record log: %s", gdfs_store_errmsg(l->st));
        }
    }
    if (rc == GDFS_OK) {
        io = (struct gdfs_rlog_io){l,           io_term_at, io_append,
                                   io_truncate, io_read,    io_apply,
                                   io_snapshot, io_install};
        disk = (struct gdfs_rlog_disk){o.snap_index, o.snap_term, o.last_index,
                                       o.last_term};
        rc = gdfs_rlog_init(&l->log, &rc_cfg, &io, &disk, o.applied);
        if (rc != GDFS_OK)
            snprintf(err, errlen,
                     "record log: its stored numbers do not fit together");
    }
    if (rc == GDFS_OK &&
        pthread_create(&l->thread, NULL, manager_main, l) != 0) {
        snprintf(err, errlen, "cannot start the record log's thread");
        rc = GDFS_ENOMEM;
    }
    if (rc != GDFS_OK) {
        reclog_free(l);
        return rc;
    }
    gdfs_log(GDFS_LOG_INFO,
             "record log: entries %llu to %llu (last of term %llu), %llu "
             "applied",
             (unsigned long long)o.snap_index + 1,
             (unsigned long long)o.last_index, (unsigned long long)o.last_term,
             (unsigned long long)o.applied);
    *out = l;
    return GDFS_OK;
}

void gdfs_reclog_stop(struct gdfs_reclog *l)
{
    if (l == NULL)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_lock(&l->mu);
    reap(l, true);
    pthread_mutex_unlock(&l->mu);
    reclog_free(l);
}
