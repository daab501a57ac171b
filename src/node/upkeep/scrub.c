/* The scrub thread; see scrub.h.
 *
 * Sections: progress, pacing, repair of one copy, checking one copy, the
 * pass loop, start/stop. */
#define GDFS_LOG_MODULE "scrub"
#include "node/upkeep/scrub.h"
#include "node/dbopts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "hash.h"
#include "log.h"
#include "node/data/copy.h"
#include "node/data/probe.h"
#include "node/session.h"
#include "store/store.h"
#include "node/group/grouphost.h"
#include "node/records/records.h"
#include "pace.h"

#define BATCH 16 /* copies listed per short read */

struct gdfs_scrub {
    const struct gdfs_config *cfg;
    struct gdfs_records *records;
    struct gdfs_grouphost *group;
    char db_path[4096];
    struct gdfs_store *st; /* the scrub thread's own connection */
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    /* progress, under mu */
    bool running;
    uint32_t passes;
    uint64_t checked, total, bad, repaired;
    /* pacing (thread only): scrub_rate_mib_s, a second of burst */
    struct gdfs_pace pace;
};

/* ---- progress -------------------------------------------------------------- */

static void count(struct gdfs_scrub *sc, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&sc->mu);
    *field += n;
    pthread_mutex_unlock(&sc->mu);
}

static bool stopping(struct gdfs_scrub *sc)
{
    bool stop;

    pthread_mutex_lock(&sc->mu);
    stop = sc->stop;
    pthread_mutex_unlock(&sc->mu);
    return stop;
}

/* Sleep until @until_ms (gdfs_clock_ms) or a stop; false on a stop. */
static bool sleep_until(struct gdfs_scrub *sc, uint64_t until_ms)
{
    bool stop;

    pthread_mutex_lock(&sc->mu);
    while (!sc->stop && gdfs_clock_ms() < until_ms)
        gdfs_clock_cond_wait_until(&sc->cv, &sc->mu, until_ms);
    stop = sc->stop;
    pthread_mutex_unlock(&sc->mu);
    return !stop;
}

/* ---- pacing ---------------------------------------------------------------- */

/* @bytes were just read: wait so that reads stay at scrub_rate_mib_s,
 * with at most a second of unused credit (pace.h). False on a stop. */
static bool pace(struct gdfs_scrub *sc, uint64_t bytes)
{
    uint64_t now = gdfs_clock_ms();
    uint64_t wait = gdfs_pace_take(&sc->pace, bytes, now);

    return wait == 0 ? !stopping(sc) : sleep_until(sc, now + wait);
}

/* ---- repair of one copy ------------------------------------------------------ */

/* Add @addr to @srcs (*n of them) if the node there holds @m's version
 * complete and undamaged. */
static void add_source(struct gdfs_scrub *sc, const struct gdfs_meta *m,
                       const char *addr, char (*srcs)[GDFS_ADDR_MAX + 1],
                       unsigned *n)
{
    struct gdfs_probe_result pr;
    char err[512];

    for (unsigned i = 0; i < *n; i++)
        if (strcmp(srcs[i], addr) == 0)
            return;
    if (*n >= GDFS_REPLICATE_SRC_MAX ||
        gdfs_probe_ask(gdfs_records_rpc(sc->records), addr, m->name,
                       m->namelen, &m->version, (int)sc->cfg->io_timeout_ms,
                       &pr, err, sizeof(err)) != GDFS_OK ||
        pr.have != GDFS_PROBE_COMPLETE)
        return;
    snprintf(srcs[(*n)++], GDFS_ADDR_MAX + 1, "%s", addr);
}

/* Make @c whole again from the other nodes that hold its version: the
 * replicas this node's record names first, then every other member. */
static int repair_copy(struct gdfs_scrub *sc, const struct gdfs_store_copy *c,
                       char *why, size_t whylen)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    char srcs[GDFS_REPLICATE_SRC_MAX][GDFS_ADDR_MAX + 1];
    struct gdfs_meta *m = malloc(sizeof(*m)), *rec = malloc(sizeof(*rec));
    unsigned n = 0;
    int rc = GDFS_ENOMEM;

    snprintf(why, whylen, "out of memory");
    if (gs == NULL || m == NULL || rec == NULL)
        goto out;
    memset(m, 0, sizeof(*m));
    memcpy(m->name, c->name, c->namelen);
    m->namelen = c->namelen;
    m->version = c->v.version;
    m->size = c->v.size;
    m->chunk_size = c->v.chunk_size;
    m->nchunks = c->v.nchunks;
    memcpy(m->sha256, c->v.sha256, GDFS_SHA256_LEN);
    gdfs_grouphost_status(sc->group, gs);
    if (gdfs_store_meta_get(sc->st, c->name, c->namelen, rec) == GDFS_OK &&
        gdfs_version_cmp(&rec->version, &c->v.version) == 0)
        for (unsigned i = 0; i < rec->nreplicas; i++)
            for (uint32_t k = 0; k < gs->n; k++)
                if (strcmp(gs->m[k].id, rec->replica[i]) == 0 &&
                    strcmp(gs->m[k].id, gs->self) != 0)
                    add_source(sc, m, gs->m[k].addr, srcs, &n);
    for (uint32_t k = 0; k < gs->n; k++)
        if (strcmp(gs->m[k].id, gs->self) != 0 &&
            (gs->m[k].state == GDFS_MEMBER_ALIVE ||
             gs->m[k].state == GDFS_MEMBER_SUSPECT))
            add_source(sc, m, gs->m[k].addr, srcs, &n);
    if (n == 0) {
        snprintf(why, whylen, "no other member holds version %llu complete",
                 (unsigned long long)c->v.version.seq);
        rc = GDFS_ENOENT;
        goto out;
    }
    rc = gdfs_copy_version(sc->st, sc->records, m,
                           (const char(*)[GDFS_ADDR_MAX + 1]) srcs, n, NULL,
                           why, whylen);
out:
    free(gs);
    free(m);
    free(rec);
    return rc;
}

/* ---- checking one copy --------------------------------------------------------- */

/* Check every chunk of @c and its hash list; *bad gets the chunks that
 * failed (the hash list failing counts as one). @paced: at the scrub
 * rate, counted in the pass's progress. GDFS_OK when the whole copy was
 * read, GDFS_ENOENT when it went away meanwhile (collected), GDFS_ESHUTDOWN
 * on a stop, or a store failure. */
static int check_copy(struct gdfs_scrub *sc, const struct gdfs_store_copy *c,
                      const char *name, bool paced, uint32_t *bad)
{
    uint8_t sha[GDFS_SHA256_LEN], top[GDFS_SHA256_LEN];
    struct gdfs_hash list;
    int rc = gdfs_hash_init(&list);

    *bad = 0;
    if (rc != GDFS_OK)
        return rc;
    for (uint32_t i = 0; i < c->v.nchunks; i++) {
        rc = gdfs_store_verify_chunk(sc->st, c->v.id, i, sha);
        if (rc == GDFS_ECORRUPT || rc == GDFS_ENOENT) {
            struct gdfs_store_version v;

            /* A missing chunk of a copy still there is bad too. */
            if (rc == GDFS_ENOENT &&
                gdfs_store_lookup_exact(sc->st, c->name, c->namelen,
                                        &c->v.version, &v) != GDFS_OK)
                goto out;
            if (paced)
                gdfs_log(GDFS_LOG_WARN,
                         "%s version %llu (term %llu) chunk %u fails its "
                         "checksum: %s",
                         name, (unsigned long long)c->v.version.seq,
                         (unsigned long long)c->v.version.term, i,
                         gdfs_store_errmsg(sc->st));
            (*bad)++;
        } else if (rc != GDFS_OK) {
            gdfs_log(GDFS_LOG_ERROR, "%s: %s", name,
                     gdfs_store_errmsg(sc->st));
            goto out;
        }
        gdfs_hash_update(&list, sha, sizeof(sha));
        if (!paced)
            continue;
        count(sc, &sc->checked, 1);
        if (!pace(sc, gdfs_proto_chunk_len(c->v.size, c->v.chunk_size,
                                           c->v.nchunks, i))) {
            rc = GDFS_ESHUTDOWN;
            goto out;
        }
    }
    gdfs_hash_final(&list, top);
    if (*bad == 0 && memcmp(top, c->v.sha256, sizeof(top)) != 0) {
        if (paced)
            gdfs_log(GDFS_LOG_WARN,
                     "%s version %llu (term %llu): the chunk checksums do "
                     "not add up to the file checksum",
                     name, (unsigned long long)c->v.version.seq,
                     (unsigned long long)c->v.version.term);
        *bad = 1;
    }
    return GDFS_OK;
out:
    gdfs_hash_discard(&list);
    return rc;
}

/* Check @c; repair or mark it. GDFS_ESHUTDOWN on a stop. */
static int scrub_copy(struct gdfs_scrub *sc, const struct gdfs_store_copy *c)
{
    struct gdfs_bytes nb = {c->name, c->namelen};
    char name[256], why[1024];
    uint32_t bad = 0, still = 0;
    int rc;

    gdfs_log_name(&nb, name, sizeof(name));
    rc = check_copy(sc, c, name, true, &bad);
    if (rc != GDFS_OK)
        return rc == GDFS_ESHUTDOWN ? rc : GDFS_OK;
    if (bad == 0) {
        if (c->damaged > 0 &&
            gdfs_store_mark_damaged(sc->st, c->v.id, 0) == GDFS_OK)
            gdfs_log(GDFS_LOG_NOTICE, "%s version %llu is whole again", name,
                     (unsigned long long)c->v.version.seq);
        return GDFS_OK;
    }
    count(sc, &sc->bad, bad);
    rc = repair_copy(sc, c, why, sizeof(why));
    /* Trust only what reads back whole. */
    if (rc == GDFS_OK &&
        (rc = check_copy(sc, c, name, false, &still)) == GDFS_OK &&
        still > 0) {
        snprintf(why, sizeof(why), "%u chunk(s) still bad after the copy",
                 still);
        rc = GDFS_ECORRUPT;
    }
    if (rc == GDFS_OK) {
        count(sc, &sc->repaired, bad);
        if (c->damaged > 0)
            gdfs_store_mark_damaged(sc->st, c->v.id, 0);
        gdfs_log(GDFS_LOG_NOTICE,
                 "%s version %llu: %u bad chunk(s) repaired from other "
                 "replicas",
                 name, (unsigned long long)c->v.version.seq, bad);
        return GDFS_OK;
    }
    if (rc == GDFS_ESHUTDOWN)
        return rc;
    /* Never delete what may be the last copy: keep it, marked. */
    if (gdfs_store_mark_damaged(sc->st, c->v.id, bad) != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "%s version %llu: cannot mark it damaged: %s",
                 name, (unsigned long long)c->v.version.seq,
                 gdfs_store_errmsg(sc->st));
    gdfs_log(GDFS_LOG_WARN,
             "%s version %llu: %u bad chunk(s) kept, marked damaged, not "
             "repaired: %s: %s",
             name, (unsigned long long)c->v.version.seq, bad,
             gdfs_strerror(rc), why);
    return GDFS_OK;
}

/* ---- the pass loop --------------------------------------------------------------- */

/* One pass over every copy held here. GDFS_ESHUTDOWN on a stop. */
static int scrub_pass(struct gdfs_scrub *sc, struct gdfs_store_copy *batch)
{
    uint64_t total = 0;
    int64_t after = 0;
    unsigned n;
    int rc;

    if ((rc = gdfs_store_copies_chunks(sc->st, GDFS_SCRUB_MIN_AGE_S,
                                       &total)) != GDFS_OK)
        return rc;
    pthread_mutex_lock(&sc->mu);
    sc->checked = 0;
    sc->total = total;
    pthread_mutex_unlock(&sc->mu);
    do {
        rc = gdfs_store_copies(sc->st, after, GDFS_SCRUB_MIN_AGE_S, batch,
                               BATCH, &n);
        if (rc != GDFS_OK)
            return rc;
        for (unsigned i = 0; i < n; i++) {
            if ((rc = scrub_copy(sc, &batch[i])) != GDFS_OK)
                return rc;
            after = batch[i].v.id;
        }
    } while (n == BATCH);
    return GDFS_OK;
}

static void *scrub_main(void *arg)
{
    struct gdfs_scrub *sc = arg;
    struct gdfs_store_copy *batch = calloc(BATCH, sizeof(*batch));
    uint64_t t0;
    int rc;

    if (batch == NULL) {
        gdfs_log(GDFS_LOG_ERROR, "out of memory: scrub is off");
        return NULL;
    }
    while (!stopping(sc)) {
        t0 = gdfs_clock_ms();
        gdfs_pace_init(&sc->pace, (uint64_t)sc->cfg->scrub_rate_mib_s << 20,
                       1000, t0);
        rc = scrub_pass(sc, batch);
        if (rc == GDFS_ESHUTDOWN)
            break;
        pthread_mutex_lock(&sc->mu);
        if (rc == GDFS_OK)
            sc->passes++;
        gdfs_log(rc == GDFS_OK ? GDFS_LOG_INFO : GDFS_LOG_ERROR,
                 "pass %u %s: %llu of %llu chunks checked in %llu ms; %llu "
                 "bad, %llu repaired so far%s%s",
                 sc->passes + (rc != GDFS_OK),
                 rc == GDFS_OK ? "done" : "failed",
                 (unsigned long long)sc->checked,
                 (unsigned long long)sc->total,
                 (unsigned long long)(gdfs_clock_ms() - t0),
                 (unsigned long long)sc->bad, (unsigned long long)sc->repaired,
                 rc == GDFS_OK ? "" : ": ",
                 rc == GDFS_OK ? "" : gdfs_store_errmsg(sc->st));
        pthread_mutex_unlock(&sc->mu);
        if (!sleep_until(sc, gdfs_clock_ms() +
                                 (uint64_t)sc->cfg->scrub_interval_s * 1000))
            break;
    }
    free(batch);
    return NULL;
}

/* ---- start/stop -------------------------------------------------------------------- */

int gdfs_scrub_start(const struct gdfs_config *cfg, const char *db_path,
                     struct gdfs_records *records,
                     struct gdfs_grouphost *group, struct gdfs_scrub **out,
                     char *err, size_t errlen)
{
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_scrub *sc = calloc(1, sizeof(*sc));
    char serr[1024];
    int rc;

    *out = NULL;
    if (sc == NULL) {
        snprintf(err, errlen, "scrub: out of memory");
        return GDFS_ENOMEM;
    }
    sc->cfg = cfg;
    sc->records = records;
    sc->group = group;
    snprintf(sc->db_path, sizeof(sc->db_path), "%s", db_path);
    pthread_mutex_init(&sc->mu, NULL);
    gdfs_clock_cond_init(&sc->cv);
    *out = sc;
    if (cfg->scrub_rate_mib_s == 0) {
        gdfs_log(GDFS_LOG_INFO, "off ([files] scrub_rate_mib_s = 0)");
        return GDFS_OK;
    }
    rc = gdfs_store_open(db_path, &so, &sc->st, serr, sizeof(serr));
    if (rc == GDFS_OK) {
        if (pthread_create(&sc->thread, NULL, scrub_main, sc) == 0) {
            pthread_mutex_lock(&sc->mu);
            sc->started = sc->running = true;
            pthread_mutex_unlock(&sc->mu);
        } else {
            snprintf(serr, sizeof(serr), "cannot start its thread");
            rc = GDFS_ENOMEM;
        }
    }
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "scrub: %s", serr);
        gdfs_scrub_stop(sc);
        *out = NULL;
        return rc;
    }
    gdfs_log(GDFS_LOG_INFO, "reading at most %u MiB/s, %u s between passes",
             cfg->scrub_rate_mib_s, cfg->scrub_interval_s);
    return GDFS_OK;
}

void gdfs_scrub_stats(const struct gdfs_scrub *sc,
                      struct gdfs_scrub_stats *out)
{
    struct gdfs_scrub *m = (struct gdfs_scrub *)sc; /* the lock only */

    memset(out, 0, sizeof(*out));
    if (sc == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    out->running = sc->running;
    out->passes = sc->passes;
    out->checked = sc->checked;
    out->total = sc->total;
    out->bad = sc->bad;
    out->repaired = sc->repaired;
    pthread_mutex_unlock(&m->mu);
}

void gdfs_scrub_stop(struct gdfs_scrub *sc)
{
    if (sc == NULL)
        return;
    pthread_mutex_lock(&sc->mu);
    sc->stop = true;
    pthread_cond_broadcast(&sc->cv);
    pthread_mutex_unlock(&sc->mu);
    if (sc->started)
        pthread_join(sc->thread, NULL);
    gdfs_store_close(sc->st);
    pthread_mutex_destroy(&sc->mu);
    pthread_cond_destroy(&sc->cv);
    free(sc);
}
