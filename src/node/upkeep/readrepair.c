/* Read repair's queue and worker; see readrepair.h.
 *
 * A job is one (name, version, node): first a probe (state PROBE), then,
 * if the node lacks the version, a repair that waits for the get to end
 * (HELD) before it may run (READY). The worker takes probes first (they
 * are cheap and a get is waiting to know), then repairs. */
#define GDFS_LOG_MODULE "readrepair"
#include "node/upkeep/readrepair.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "node/data/copy.h"
#include "node/data/probe.h"
#include "node/session.h"
#include "node/records/records.h"
#include "node/rpc.h"

#define QUEUE_MAX 64

enum job_state { JOB_FREE, JOB_PROBE, JOB_HELD, JOB_READY, JOB_RUNNING };

struct job {
    int state;
    uint64_t ticket;
    bool released; /* the get that queued it has ended */
    struct gdfs_meta m;
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    unsigned target; /* replica index in m */
    uint8_t good;    /* replicas that served the get: sources first */
    char why[160];   /* why it needs a repair */
};

struct gdfs_readrepair {
    const struct gdfs_config *cfg;
    struct gdfs_records *records;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    uint64_t next_ticket;
    struct job jobs[QUEUE_MAX];
};

static void job_name(const struct job *j, char *out, size_t cap)
{
    struct gdfs_bytes b = {j->m.name, j->m.namelen};

    gdfs_log_name(&b, out, cap);
}

/* ---- the queue (callers hold rr->mu) ------------------------------------- */

static struct job *find(struct gdfs_readrepair *rr, const struct gdfs_meta *m,
                        unsigned target)
{
    for (unsigned i = 0; i < QUEUE_MAX; i++) {
        struct job *j = &rr->jobs[i];

        if (j->state != JOB_FREE && j->m.namelen == m->namelen &&
            memcmp(j->m.name, m->name, m->namelen) == 0 &&
            gdfs_version_cmp(&j->m.version, &m->version) == 0 &&
            strcmp(j->m.replica[j->target], m->replica[target]) == 0)
            return j;
    }
    return NULL;
}

static struct job *add(struct gdfs_readrepair *rr, int state,
                       const struct gdfs_meta *m,
                       const char (*addrs)[GDFS_ADDR_MAX + 1], unsigned target)
{
    for (unsigned i = 0; i < QUEUE_MAX; i++) {
        struct job *j = &rr->jobs[i];

        if (j->state != JOB_FREE)
            continue;
        memset(j, 0, sizeof(*j));
        j->state = state;
        j->m = *m;
        for (unsigned k = 0; k < m->nreplicas && k < GDFS_REPLICAS; k++)
            snprintf(j->addrs[k], sizeof(j->addrs[k]), "%s", addrs[k]);
        j->target = target;
        return j;
    }
    gdfs_log(GDFS_LOG_INFO, "queue full: no read repair check of node %s",
             m->replica[target]);
    return NULL;
}

uint64_t gdfs_readrepair_begin(struct gdfs_readrepair *rr,
                               const struct gdfs_meta *m,
                               const char (*addrs)[GDFS_ADDR_MAX + 1],
                               unsigned reading)
{
    uint64_t ticket = 0;
    struct job *j;

    if (rr == NULL || m->tombstone)
        return 0;
    /* R = 2: the replica read and one other, the one most likely stale:
     * one the record does not show as acked, else the next in order. */
    for (int pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < m->nreplicas; i++) {
            if (i == reading || addrs[i][0] == '\0' ||
                (pass == 0 && (m->acked & (1u << i))))
                continue;
            pthread_mutex_lock(&rr->mu);
            if (find(rr, m, i) == NULL &&
                (j = add(rr, JOB_PROBE, m, addrs, i)) != NULL) {
                j->ticket = ticket = ++rr->next_ticket;
                pthread_cond_signal(&rr->cv);
            }
            pthread_mutex_unlock(&rr->mu);
            return ticket;
        }
    return 0;
}

void gdfs_readrepair_end(struct gdfs_readrepair *rr, uint64_t ticket,
                         const struct gdfs_meta *m,
                         const char (*addrs)[GDFS_ADDR_MAX + 1], uint8_t bad,
                         uint8_t good)
{
    if (rr == NULL)
        return;
    pthread_mutex_lock(&rr->mu);
    for (unsigned i = 0; ticket != 0 && i < QUEUE_MAX; i++) {
        struct job *j = &rr->jobs[i];

        if (j->state == JOB_FREE || j->ticket != ticket)
            continue;
        j->released = true;
        j->good |= good;
        if (j->state == JOB_HELD)
            j->state = JOB_READY;
    }
    for (unsigned i = 0; !m->tombstone && i < m->nreplicas; i++) {
        struct job *j;

        if (!(bad & (1u << i)) || addrs[i][0] == '\0')
            continue;
        j = find(rr, m, i);
        if (j == NULL)
            j = add(rr, JOB_READY, m, addrs, i);
        else if (j->state == JOB_PROBE || j->state == JOB_HELD)
            j->state = JOB_READY; /* no need to ask: the get found out */
        else
            continue; /* already being repaired */
        if (j == NULL)
            break;
        j->released = true;
        j->good |= good;
        snprintf(j->why, sizeof(j->why), "it failed the get");
    }
    pthread_cond_signal(&rr->cv);
    pthread_mutex_unlock(&rr->mu);
}

/* ---- the worker ------------------------------------------------------------ */

/* Ask the job's node; true if it needs a repair (j->why says why). */
static bool probe(struct gdfs_readrepair *rr, struct job *j)
{
    struct gdfs_probe_result pr;
    char name[256], err[512];
    int rc = gdfs_probe_ask(gdfs_records_rpc(rr->records), j->addrs[j->target],
                            j->m.name, j->m.namelen, &j->m.version,
                            (int)rr->cfg->io_timeout_ms, &pr, err,
                            sizeof(err));

    job_name(j, name, sizeof(name));
    if (rc != GDFS_OK) {
        /* Down or unreachable: re-replication's business, not ours. */
        gdfs_log(GDFS_LOG_DEBUG, "probe of %s version %llu on %s: %s", name,
                 (unsigned long long)j->m.version.seq, j->m.replica[j->target],
                 err);
        return false;
    }
    if (pr.have == GDFS_PROBE_COMPLETE)
        return false;
    if (pr.have == GDFS_PROBE_DAMAGED)
        snprintf(j->why, sizeof(j->why), "its copy is marked damaged");
    else if (pr.newest.seq != 0)
        snprintf(j->why, sizeof(j->why),
                 "it lacks the version (newest it holds: %llu)",
                 (unsigned long long)pr.newest.seq);
    else
        snprintf(j->why, sizeof(j->why), "it holds no copy");
    return true;
}

/* REPLICATE the job's version to its node from the other replicas. */
static void repair(struct gdfs_readrepair *rr, struct job *j)
{
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_REPLICATE}, r;
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    struct gdfs_rpc *rpc = gdfs_records_rpc(rr->records);
    struct gdfs_rpc_conn *c;
    char name[256], err[1024];
    uint64_t t0 = gdfs_clock_ms();
    int io, rc;

    job_name(j, name, sizeof(name));
    gdfs_records_to_record(rr->records, &j->m, addrs, &req.u.replicate.rec);
    /* Sources: the replicas that served the get first, then the others. */
    for (int pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < j->m.nreplicas; i++) {
            bool good = (j->good & (1u << i)) != 0;

            if (i == j->target || j->addrs[i][0] == '\0' ||
                good != (pass == 0))
                continue;
            req.u.replicate.src[req.u.replicate.nsrc].p =
                (const uint8_t *)j->addrs[i];
            req.u.replicate.src[req.u.replicate.nsrc].len =
                strlen(j->addrs[i]);
            req.u.replicate.nsrc++;
        }
    if (req.u.replicate.nsrc == 0) {
        gdfs_log(GDFS_LOG_INFO,
                 "read repair of %s version %llu on %s (%s): no other "
                 "replica to copy from",
                 name, (unsigned long long)j->m.version.seq,
                 j->m.replica[j->target], j->why);
        return;
    }
    /* The answer comes once the copy is durable: allow 1 MiB/s. */
    io = gdfs_copy_wait_ms((int)rr->cfg->io_timeout_ms, j->m.size);
    rc = gdfs_rpc_call(rpc, j->addrs[j->target], &req, GDFS_MSG_NDTOCL_OK, &r,
                       &c, io, err, sizeof(err));
    if (rc == GDFS_OK)
        gdfs_rpc_close(rpc, c);
    gdfs_log(GDFS_LOG_INFO,
             "read repair of %s version %llu on %s (%s): %s%s%s (%llu ms)",
             name, (unsigned long long)j->m.version.seq,
             j->m.replica[j->target], j->why,
             rc == GDFS_OK ? "repaired" : gdfs_strerror(rc),
             rc == GDFS_OK ? "" : ": ", rc == GDFS_OK ? "" : err,
             (unsigned long long)(gdfs_clock_ms() - t0));
}

static struct job *next_job(struct gdfs_readrepair *rr, bool *is_probe)
{
    for (int want = JOB_PROBE; want <= JOB_READY;
         want += JOB_READY - JOB_PROBE)
        for (unsigned i = 0; i < QUEUE_MAX; i++)
            if (rr->jobs[i].state == want) {
                *is_probe = want == JOB_PROBE;
                return &rr->jobs[i];
            }
    return NULL;
}

static void *worker(void *arg)
{
    struct gdfs_readrepair *rr = arg;
    struct job *copy = malloc(sizeof(*copy));

    if (copy == NULL) {
        gdfs_log(GDFS_LOG_ERROR, "out of memory: read repair is off");
        return NULL;
    }
    pthread_mutex_lock(&rr->mu);
    while (!rr->stop) {
        bool is_probe = false;
        struct job *j = next_job(rr, &is_probe);
        bool needed;

        if (j == NULL) {
            pthread_cond_wait(&rr->cv, &rr->mu);
            continue;
        }
        j->state = JOB_RUNNING;
        *copy = *j;
        pthread_mutex_unlock(&rr->mu);
        needed = is_probe ? probe(rr, copy) : true;
        if (!is_probe)
            repair(rr, copy);
        pthread_mutex_lock(&rr->mu);
        if (is_probe && needed) {
            snprintf(j->why, sizeof(j->why), "%s", copy->why);
            j->state = j->released ? JOB_READY : JOB_HELD;
        } else {
            j->state = JOB_FREE;
        }
    }
    pthread_mutex_unlock(&rr->mu);
    free(copy);
    return NULL;
}

int gdfs_readrepair_start(const struct gdfs_config *cfg,
                          struct gdfs_records *records,
                          struct gdfs_readrepair **out, char *err,
                          size_t errlen)
{
    struct gdfs_readrepair *rr = calloc(1, sizeof(*rr));

    *out = NULL;
    if (rr == NULL) {
        snprintf(err, errlen, "read repair: out of memory");
        return GDFS_ENOMEM;
    }
    rr->cfg = cfg;
    rr->records = records;
    pthread_mutex_init(&rr->mu, NULL);
    pthread_cond_init(&rr->cv, NULL);
    if (pthread_create(&rr->thread, NULL, worker, rr) != 0) {
        snprintf(err, errlen, "read repair: cannot start its thread");
        pthread_mutex_destroy(&rr->mu);
        pthread_cond_destroy(&rr->cv);
        free(rr);
        return GDFS_ENOMEM;
    }
    *out = rr;
    return GDFS_OK;
}

void gdfs_readrepair_stop(struct gdfs_readrepair *rr)
{
    if (rr == NULL)
        return;
    pthread_mutex_lock(&rr->mu);
    rr->stop = true;
    pthread_cond_signal(&rr->cv);
    pthread_mutex_unlock(&rr->mu);
    pthread_join(rr->thread, NULL);
    pthread_mutex_destroy(&rr->mu);
    pthread_cond_destroy(&rr->cv);
    free(rr);
}
