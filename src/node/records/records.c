/* The records room's leader side; see records.h. Records are committed
 * through the record log (reclog.h). */
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
#include "node/records/reclog.h"
#include "node/rpc.h"
#include "store/store.h"

/* How long a request waits for a new leader's log to be ready (its first
 * entry committed and everything before it applied). */
#define READY_WAIT_MS 3000

struct gdfs_records {
    const struct gdfs_config *cfg;
    struct gdfs_grouphost *group;
    struct gdfs_rpc *rpc;
    struct gdfs_reclog *log;
    pthread_mutex_t mu;
    uint64_t seq_term;     /* the term next_seq was set for */
    uint64_t next_seq;     /* leader: next version seq to assign */
    struct gdfs_store *st; /* for next_seq, under mu */
};

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

/* Under f->mu: versions of @term number above every seq this node knows
 * of once its log is ready (it then holds every committed record). */
static bool number_from(struct gdfs_records *f, uint64_t term)
{
    uint64_t seq = 0;

    if (f->seq_term == term)
        return true;
    if (gdfs_store_max_seq(f->st, &seq) != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "records: %s", gdfs_store_errmsg(f->st));
        return false;
    }
    f->next_seq = seq + 1;
    f->seq_term = term;
    gdfs_log(GDFS_LOG_INFO, "term %llu: serving; versions continue at %llu",
             (unsigned long long)term, (unsigned long long)seq + 1);
    return true;
}

/* Leader with a lease whose record log is ready in its term: *term gets
 * the term. Waits up to READY_WAIT_MS for a new leader's log. */
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
        ready = gdfs_reclog_ready(f->log, gs.term);
        if (ready) {
            pthread_mutex_lock(&f->mu);
            ready = number_from(f, gs.term);
            pthread_mutex_unlock(&f->mu);
        }
        if (ready) {
            *term = gs.term;
            return GDFS_OK;
        }
        if (gdfs_clock_ms() >= until)
            return gdfs_err_noquorum(
                why, whylen,
                "leader %s has not yet committed the first entry of term "
                "%llu in its record log on a majority",
                gs.self, (unsigned long long)gs.term);
        usleep(10 * 1000);
    }
}

bool gdfs_records_ready(struct gdfs_records *f, uint64_t term)
{
    return gdfs_reclog_ready(f->log, term);
}

struct gdfs_reclog *gdfs_records_log(struct gdfs_records *f)
{
    return f->log;
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

/* Members that take no new put (gdfs_group_status: full, draining), into
 * @ids; with @room_too false only the drained ones. */
static unsigned exclusions(const struct gdfs_group_status *gs, bool room_too,
                           char (*ids)[GDFS_NODE_ID_MAX + 1])
{
    unsigned n = 0;

    for (uint32_t i = 0; i < gs->n; i++)
        if (gs->m[i].draining || (room_too && gs->m[i].full))
            snprintf(ids[n++], GDFS_NODE_ID_MAX + 1, "%s", gs->m[i].id);
    return n;
}

int gdfs_records_place(struct gdfs_records *f, struct gdfs_store *st,
                       const uint8_t *name, size_t namelen,
                       struct gdfs_records_place *out, char *why,
                       size_t whylen)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    struct gdfs_members *set = malloc(sizeof(*set));
    char(*excl)[GDFS_NODE_ID_MAX + 1] = malloc(GDFS_GROUP_MAX * sizeof(*excl));
    unsigned nprev = 0, nexcl, nroom;
    struct gdfs_meta prev;
    int idx[GDFS_REPLICAS], any[GDFS_REPLICAS], rc;

    memset(out, 0, sizeof(*out));
    if (gs == NULL || set == NULL || excl == NULL) {
        free(gs);
        free(set);
        free(excl);
        snprintf(why, whylen, "out of memory");
        return GDFS_ENOMEM;
    }
    gdfs_grouphost_status(f->group, gs);
    memset(set, 0, sizeof(*set));
    set->n = gs->n;
    for (uint32_t i = 0; i < gs->n; i++) {
        snprintf(set->m[i].id, sizeof(set->m[i].id), "%s", gs->m[i].id);
        set->m[i].state = gs->m[i].state;
    }
    rc = gdfs_store_meta_get(st, name, namelen, &prev);
    if (rc == GDFS_OK && !prev.tombstone)
        nprev = prev.nreplicas;
    /* A put's size is not known yet: members below their reserve are
     * left out (placement.h "Capacity"), as the leader last heard. */
    nexcl = exclusions(gs, true, excl);
    out->n = gdfs_place(name, namelen, set, NULL, 0,
                        (const char(*)[GDFS_NODE_ID_MAX + 1]) prev.replica,
                        nprev, (const char(*)[GDFS_NODE_ID_MAX + 1]) excl,
                        nexcl, GDFS_REPLICAS, idx);
    out->w = voters(gs) >= 2 ? 2 : 1;
    /* Without the room rule, would there be enough? Then it is space. */
    if (out->n < out->w) {
        nexcl = exclusions(gs, false, excl);
        nroom = gdfs_place(name, namelen, set, NULL, 0,
                           (const char(*)[GDFS_NODE_ID_MAX + 1]) prev.replica,
                           nprev, (const char(*)[GDFS_NODE_ID_MAX + 1]) excl,
                           nexcl, GDFS_REPLICAS, any);
    } else
        nroom = out->n;
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
    out->chunk_size = f->cfg->chunk_size;
    free(gs);
    free(set);
    free(excl);
    return rc;
}

int gdfs_records_alloc(struct gdfs_records *f, struct gdfs_store *st,
                       const uint8_t *name, size_t namelen,
                       struct gdfs_records_place *out, char *why,
                       size_t whylen)
{
    uint64_t term;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = leader_term(f, &term, why, whylen)) != GDFS_OK)
        return rc;
    if ((rc = gdfs_records_place(f, st, name, namelen, out, why, whylen)) !=
        GDFS_OK)
        return rc;
    out->version.seq = take_seq(f);
    out->version.term = term;
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

void gdfs_records_set_draining(struct gdfs_records *f,
                               const char (*ids)[GDFS_NODE_ID_MAX + 1],
                               unsigned n)
{
    gdfs_grouphost_set_draining(f->group, ids, n);
}

/* ---- commit: the record through the log ------------------------------------- */

int gdfs_records_commit(struct gdfs_records *f, const struct gdfs_meta *m,
                        char *why, size_t whylen)
{
    uint64_t term;
    int rc = leader_term(f, &term, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    return gdfs_reclog_commit(f->log, term, m, why, whylen);
}

int gdfs_records_commit_put(struct gdfs_records *f, const struct gdfs_meta *m,
                            char *why, size_t whylen)
{
    uint64_t term;
    int rc = leader_term(f, &term, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    /* A version allocated by an earlier leader may share its seq with
     * one this leader allocated (it numbers above the records it holds,
     * not above puts still in flight): refuse it, nothing is committed. */
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
    return gdfs_records_commit(f, m, why, whylen);
}

/* ---- start, stop ----------------------------------------------------------------- */

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
    pthread_mutex_init(&f->mu, NULL);
    if ((rc = gdfs_rpc_new(t, cfg, self, &f->rpc)) != GDFS_OK) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if ((rc = gdfs_store_open(db_path, &so, &f->st, err, errlen)) != GDFS_OK)
        goto fail;
    if ((rc = gdfs_reclog_start(cfg, db_path, f->rpc, g, &f->log, err,
                                errlen)) != GDFS_OK)
        goto fail;
    *out = f;
    return GDFS_OK;
fail:
    gdfs_store_close(f->st);
    gdfs_rpc_free(f->rpc);
    pthread_mutex_destroy(&f->mu);
    free(f);
    return rc;
}

void gdfs_records_stop(struct gdfs_records *f)
{
    if (f == NULL)
        return;
    gdfs_reclog_stop(f->log);
    gdfs_store_close(f->st);
    gdfs_rpc_free(f->rpc);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
