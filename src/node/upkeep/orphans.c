/* Orphan copies; see orphans.h.
 *
 * A complete copy that no record committed is left behind when its put
 * failed after some replicas stored it (no quorum, or the leader died
 * before the commit). Once such a copy was completed more than
 * orphan_age_s ago (and at least twice the I/O timeout), this node asks
 * the leader for the file's record; if the record does not name that
 * version, and no record this node still holds as accepted from before
 * the record log names it, the copy goes. (An acknowledged version
 * overtaken by a later one that committed first is kept as an older
 * committed version where its record arrived; a replica that missed that
 * record drops its copy here, the other replicas keep theirs.) A copy
 * stored before its gateway knew the version (store.h put_begin_later)
 * whose content the record names takes that version instead. */
#define GDFS_LOG_MODULE "orphans"
#include "node/upkeep/orphans.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "node/dbopts.h"
#include "node/group/grouphost.h"
#include "node/records/records.h"
#include "node/rpc.h"
#include "node/session.h"
#include "store/store.h"
#include "worker.h"

#define ORPHANS_PER_ROUND 64

struct gdfs_orphans {
    const struct gdfs_config *cfg;
    struct gdfs_records *records;
    struct gdfs_grouphost *group;
    struct gdfs_store *st;
    struct gdfs_worker w; /* the thread */
};

/* The leader's record of @name: GDFS_OK (in *out), GDFS_ENOENT (none), or
 * another error (no answer: decide nothing). */
static int leader_record(struct gdfs_orphans *sy, const uint8_t *name,
                         size_t namelen, struct gdfs_meta *out)
{
    struct gdfs_rpc *rpc = gdfs_records_rpc(sy->records);
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_LOOKUP}, r;
    struct gdfs_rpc_conn *c = NULL;
    char addr[GDFS_ADDR_MAX + 1], why[512];
    bool self = false;
    int rc = gdfs_records_leader(sy->records, addr, &self, why, sizeof(why));

    if (rc != GDFS_OK)
        return rc;
    if (self) {
        struct gdfs_group_status *gs = malloc(sizeof(*gs));
        bool ready = false;

        /* Not ready yet (its record log has not applied the term's
         * first entry): decide nothing, and do not wait in
         * gdfs_records_check_leader: the sweep can wait for its next
         * round. */
        if (gs != NULL) {
            gdfs_grouphost_status(sy->group, gs);
            ready = gdfs_records_ready(sy->records, gs->term);
            free(gs);
        }
        if (!ready)
            return GDFS_ENOQUORUM;
        if ((rc = gdfs_records_check_leader(sy->records, why, sizeof(why))) !=
            GDFS_OK)
            return rc;
        return gdfs_store_meta_get(sy->st, name, namelen, out);
    }
    req.u.get.name.p = name;
    req.u.get.name.len = namelen;
    rc = gdfs_rpc_call(rpc, addr, &req, GDFS_MSG_NDTOCL_RECORD, &r, &c,
                       gdfs_rpc_io_ms(rpc), why, sizeof(why));
    if (rc == GDFS_OK)
        gdfs_records_from_record(&r.u.record.rec, out);
    gdfs_rpc_close(rpc, c);
    return rc;
}

struct orphans {
    struct gdfs_copy_ref c[ORPHANS_PER_ROUND];
    unsigned n;
};

static int note_orphan(void *ctx, const struct gdfs_copy_ref *c)
{
    struct orphans *o = ctx;

    o->c[o->n++] = *c;
    return o->n == ORPHANS_PER_ROUND;
}

/* Whether record @m counts this node among its replicas. */
static bool names_self(const struct gdfs_orphans *sy,
                       const struct gdfs_meta *m)
{
    for (unsigned i = 0; i < m->nreplicas; i++)
        if (strcmp(m->replica[i], sy->cfg->node_id) == 0)
            return true;
    return false;
}

/* Give this node's copies of @m's content without a version m's. */
static void adopt(struct gdfs_orphans *sy, const struct gdfs_meta *m,
                  const char *name)
{
    unsigned n = 0;

    if (gdfs_store_adopt(sy->st, m, &n) != GDFS_OK)
        gdfs_log(GDFS_LOG_WARN, "copy of %s without a version: %s", name,
                 gdfs_store_errmsg(sy->st));
    else if (n > 0)
        gdfs_log(GDFS_LOG_INFO,
                 "copy of %s stored without a version is version %llu "
                 "(term %llu): its record names its content",
                 name, (unsigned long long)m->version.seq,
                 (unsigned long long)m->version.term);
}

static void orphan_round(struct gdfs_orphans *sy)
{
    struct orphans *o = calloc(1, sizeof(*o));
    /* Age from the copy's completion, and never less than the commit
     * path's own timeouts (the gateway gathers the other replicas' acks,
     * then the leader waits for a majority), so a put about to commit is
     * never taken for an orphan. */
    uint32_t floor_s = 2 * (sy->cfg->io_timeout_ms / 1000 + 1);
    uint32_t age = sy->cfg->orphan_age_s > floor_s ? sy->cfg->orphan_age_s
                                                   : floor_s;
    int64_t before = (int64_t)time(NULL) - (int64_t)age;

    if (o == NULL)
        return;
    if (gdfs_store_uncommitted(sy->st, before, ORPHANS_PER_ROUND, note_orphan,
                               o) != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "orphan copies: %s",
                 gdfs_store_errmsg(sy->st));
        o->n = 0;
    }
    for (unsigned i = 0; i < o->n; i++) {
        const struct gdfs_copy_ref *c = &o->c[i];
        struct gdfs_bytes nb = {c->name, c->namelen};
        struct gdfs_meta rec;
        char name[256];
        bool dropped = false;
        int rc = leader_record(sy, c->name, c->namelen, &rec);

        if (rc == GDFS_OK && gdfs_version_cmp(&rec.version, &c->version) == 0)
            continue; /* committed: its record is on its way here */
        if (rc != GDFS_OK && rc != GDFS_ENOENT)
            break; /* no leader to ask: try again next round */
        gdfs_log_name(&nb, name, sizeof(name));
        /* A copy stored without a version whose content the record names,
         * on a replica the record counts, is that version (its gateway
         * went before it said so). */
        if (rc == GDFS_OK && (int64_t)c->version.seq < 0 &&
            names_self(sy, &rec))
            adopt(sy, &rec, name);
        if (gdfs_store_drop_uncommitted(sy->st, c->name, c->namelen,
                                        &c->version, &dropped) != GDFS_OK)
            gdfs_log(GDFS_LOG_WARN, "orphan copy %s version %llu: %s", name,
                     (unsigned long long)c->version.seq,
                     gdfs_store_errmsg(sy->st));
        else if (dropped && (int64_t)c->version.seq < 0)
            gdfs_log(GDFS_LOG_INFO,
                     "dropped orphan copy of %s (stored without a version): "
                     "no record counts it",
                     name);
        else if (dropped)
            gdfs_log(GDFS_LOG_INFO,
                     "dropped orphan copy of %s version %llu (term %llu): "
                     "its put never committed",
                     name, (unsigned long long)c->version.seq,
                     (unsigned long long)c->version.term);
    }
    free(o);
}

/* One round every sync_interval_s, the first one interval after start. */
static void *orphans_main(void *arg)
{
    struct gdfs_orphans *sy = arg;

    while (gdfs_worker_sleep_ms(&sy->w,
                                (uint64_t)sy->cfg->sync_interval_s * 1000))
        orphan_round(sy);
    return NULL;
}

int gdfs_orphans_start(const struct gdfs_config *cfg, const char *db_path,
                       struct gdfs_records *records, struct gdfs_grouphost *g,
                       struct gdfs_orphans **out, char *err, size_t errlen)
{
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_orphans *sy = calloc(1, sizeof(*sy));
    int rc;

    if (sy == NULL) {
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    sy->cfg = cfg;
    sy->records = records;
    sy->group = g;
    if ((rc = gdfs_store_open(db_path, &so, &sy->st, err, errlen)) != GDFS_OK)
        goto fail;
    if (gdfs_worker_start(&sy->w, orphans_main, sy) != 0) {
        snprintf(err, errlen, "cannot start the orphan copies thread");
        gdfs_store_close(sy->st);
        rc = GDFS_ENOMEM;
        goto fail;
    }
    *out = sy;
    return GDFS_OK;
fail:
    free(sy);
    return rc;
}

void gdfs_orphans_stop(struct gdfs_orphans *sy)
{
    if (sy == NULL)
        return;
    gdfs_worker_stop(&sy->w);
    gdfs_store_close(sy->st);
    free(sy);
}
