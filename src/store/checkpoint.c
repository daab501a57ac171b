/* The checkpointer thread and the WAL hook that feeds it; see
 * checkpoint.h for what it does and why.
 *
 * Every connection's WAL hook (run by SQLite after each commit, in the
 * committing thread, possibly under the writer lock: it never waits)
 * records the WAL's size and the time, and wakes the checkpointer when
 * the WAL passed start_kib or when it was asleep with nothing to do.
 * Chunk writers wait (st_chunk_written, after their commit, no lock held)
 * while the WAL is over cap_kib, for one pass each.
 *
 * The WAL-reset bug (SQLite's wal.html, "The WAL-Reset Bug"): in SQLite
 * 3.7.0 to 3.51.2 (fixed in 3.51.3, and in the 3.44.6 and 3.50.7
 * backports), a checkpoint that starts just after another one completed
 * reads the WAL-index header, and if another connection's commit resets
 * the WAL before it reads the backfill count, it works from the old WAL's
 * size: it records frames of the new WAL as already copied, and later
 * checkpoints skip them, so committed pages never reach the database
 * file (readers then get the database's old page, zeros for a new one).
 * Debian 12 ships 3.40.1 without the fix. Our checkpointer used to run
 * PASSIVE passes beside the writers, one right after another while a
 * chunk writer waits on the cap: the very pattern. On those versions
 * every checkpoint holds the writer lock (every commit of this process
 * takes it, and no other process writes a node's database), so no commit,
 * hence no WAL reset, runs while a checkpoint starts. Writers then wait
 * for a pass's copy; chunk writers over the cap waited for it anyway.
 * Evidence and cost: the commit that brought this in. */
#define GDFS_LOG_MODULE "store"
#include "store/checkpoint.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "store/store_int.h"

struct gdfs_checkpoint {
    struct gdfs_store *st; /* its own connection */
    struct st_shared *sh;
    struct gdfs_checkpoint_opts o;
    pthread_t thread;
    bool serialize; /* checkpoints hold the writer lock (WAL-reset bug) */
    /* Below: under sh->ckpt_mu. */
    bool stop;
    struct gdfs_checkpoint_stats stats;
};

/* ---- the writers' side ---------------------------------------------------- */

static int wal_hook(void *arg, sqlite3 *db, const char *dbname, int pages)
{
    struct gdfs_store *st = arg;
    struct st_shared *sh = st->shared;
    bool self;

    pthread_mutex_lock(&sh->ckpt_mu);
    sh->wal_bytes = (uint64_t)pages * st->page_size;
    sh->commits++;
    sh->last_commit_ms = gdfs_clock_ms();
    self = !sh->ckpt_running && pages >= AUTOCHECKPOINT_PAGES;
    if (sh->ckpt_running &&
        (sh->ckpt_sleeping || sh->wal_bytes >= sh->start_bytes)) {
        sh->ckpt_sleeping = false;
        pthread_cond_signal(&sh->ckpt_cv);
    }
    pthread_mutex_unlock(&sh->ckpt_mu);
    /* What SQLite's own hook (wal_autocheckpoint) does; ours replaces it. */
    if (self)
        sqlite3_wal_checkpoint(db, dbname);
    return SQLITE_OK;
}

int st_watch_wal(struct gdfs_store *st)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "PRAGMA page_size", &s);

    if (rc != GDFS_OK)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW) {
        st->page_size = (uint32_t)sqlite3_column_int64(s, 0);
    } else {
        rc = st_fail(st, "read page_size");
    }
    st_done(st, s);
    if (rc == GDFS_OK)
        sqlite3_wal_hook(st->db, wal_hook, st);
    return rc;
}

void st_chunk_written(struct gdfs_store *st, size_t len)
{
    struct st_shared *sh = st->shared;
    bool sync_here = false;

    pthread_mutex_lock(&sh->ckpt_mu);
    sh->unsynced += len;
    if (sh->unsynced >= SYNC_EVERY) {
        if (sh->ckpt_running) {
            pthread_cond_signal(&sh->ckpt_cv);
        } else {
            sh->unsynced = 0;
            sync_here = true;
        }
    }
    if (sh->ckpt_running && sh->wal_bytes >= sh->cap_bytes) {
        /* A pass that begins now copies every frame we wrote (unless a
         * reader still uses them): the next write can restart the WAL. */
        uint64_t pass = sh->passes_begun + 1;

        sh->cap_waiters++;
        pthread_cond_signal(&sh->ckpt_cv);
        while (sh->ckpt_running && sh->passes < pass)
            pthread_cond_wait(&sh->cap_cv, &sh->ckpt_mu);
        sh->cap_waiters--;
    }
    pthread_mutex_unlock(&sh->ckpt_mu);
    if (sync_here)
        st_sync_wal(sh);
}

/* ---- the checkpointer ----------------------------------------------------- */

bool st_wal_reset_bug(void)
{
    int v = sqlite3_libversion_number();

    if (v >= 3044006 && v < 3045000) /* the 3.44 backport */
        return false;
    if (v >= 3050007 && v < 3051000) /* the 3.50 backport */
        return false;
    return v < 3051003;
}

/* Run one checkpoint of @mode; SQLITE_OK, SQLITE_BUSY or the failure
 * (logged). Under the writer lock if @locked (the caller holds it) or
 * this SQLite has the WAL-reset bug (opening comment); SQLITE_BUSY if the
 * lock is not free within busy_ms. */
static int checkpoint(struct gdfs_checkpoint *ck, int mode, bool locked,
                      const char *what)
{
    bool lock = !locked && ck->serialize;
    int rc;

    if (lock && st_lock(ck->st) != GDFS_OK)
        return SQLITE_BUSY; /* a writer held it that long: try later */
    rc = sqlite3_wal_checkpoint_v2(ck->st->db, NULL, mode, NULL, NULL);
    if (lock)
        st_unlock(ck->st);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        gdfs_log(GDFS_LOG_WARN, "%s checkpoint of %s: %s (sqlite %d)", what,
                 ck->sh->wal_path, sqlite3_errmsg(ck->st->db),
                 sqlite3_extended_errcode(ck->st->db));
    return rc;
}

/* Copy every frame into the database (without the writer lock unless
 * checkpoints must hold it), then take it and truncate the WAL (only the
 * frames committed meanwhile are left to copy under it). SQLITE_BUSY when
 * a reader still uses old frames. */
static int truncate_wal(struct gdfs_checkpoint *ck)
{
    int rc = checkpoint(ck, SQLITE_CHECKPOINT_PASSIVE, false, "idle");

    if (rc != SQLITE_OK)
        return rc;
    if (st_lock(ck->st) != GDFS_OK)
        return SQLITE_BUSY; /* a writer holds it: try again when idle */
    rc = checkpoint(ck, SQLITE_CHECKPOINT_TRUNCATE, true, "idle truncating");
    st_unlock(ck->st);
    return rc;
}

static void *run(void *arg)
{
    struct gdfs_checkpoint *ck = arg;
    struct st_shared *sh = ck->sh;
    uint64_t idle_ms = ck->o.idle_ms, retry_ms = 0;
    /* Commits seen when the last PASSIVE began, and when the WAL was last
     * found clean (truncated): nothing to do until the count moves. A
     * WAL left by an earlier run is truncated once idle. */
    uint64_t pass_commits = UINT64_MAX, clean_commits = UINT64_MAX;

    pthread_mutex_lock(&sh->ckpt_mu);
    while (!ck->stop) {
        if (sh->unsynced >= SYNC_EVERY) {
            sh->unsynced = 0;
            pthread_mutex_unlock(&sh->ckpt_mu);
            st_sync_wal(sh);
            pthread_mutex_lock(&sh->ckpt_mu);
            continue;
        }
        if ((sh->wal_bytes >= sh->start_bytes &&
             sh->commits != pass_commits) ||
            sh->cap_waiters > 0) {
            uint64_t pass = ++sh->passes_begun;

            pass_commits = sh->commits;
            pthread_mutex_unlock(&sh->ckpt_mu);
            checkpoint(ck, SQLITE_CHECKPOINT_PASSIVE, false, "background");
            pthread_mutex_lock(&sh->ckpt_mu);
            ck->stats.passive++;
            sh->passes = pass;
            pthread_cond_broadcast(&sh->cap_cv);
            continue;
        }
        if (sh->commits == clean_commits) {
            sh->ckpt_sleeping = true;
            pthread_cond_wait(&sh->ckpt_cv, &sh->ckpt_mu);
            continue;
        }
        uint64_t due = sh->last_commit_ms + idle_ms;

        if (due < retry_ms)
            due = retry_ms;
        if (gdfs_clock_ms() < due) {
            gdfs_clock_cond_wait_until(&sh->ckpt_cv, &sh->ckpt_mu, due);
            continue;
        }
        uint64_t seen = sh->commits, pass = ++sh->passes_begun;

        pthread_mutex_unlock(&sh->ckpt_mu);
        int rc = truncate_wal(ck);

        pthread_mutex_lock(&sh->ckpt_mu);
        sh->passes = pass;
        pthread_cond_broadcast(&sh->cap_cv);
        if (rc == SQLITE_OK) {
            ck->stats.truncate++;
            clean_commits = seen;
            if (sh->commits == seen)
                sh->wal_bytes = 0;
        } else {
            /* A reader holds old frames (or the checkpoint failed,
             * logged): try again later, not in a loop. */
            ck->stats.busy++;
            retry_ms = gdfs_clock_ms() + idle_ms;
        }
    }
    pthread_mutex_unlock(&sh->ckpt_mu);
    return NULL;
}

static pthread_once_t version_once = PTHREAD_ONCE_INIT;

/* Once per process: which SQLite, and whether checkpoints take the
 * writer lock because of it. */
static void log_version(void)
{
    if (st_wal_reset_bug())
        gdfs_log(GDFS_LOG_NOTICE,
                 "SQLite %s has the WAL-reset bug (fixed in 3.51.3, 3.50.7, "
                 "3.44.6): checkpoints hold the writer lock",
                 sqlite3_libversion());
    else
        gdfs_log(GDFS_LOG_NOTICE,
                 "SQLite %s: checkpoints run beside the writers",
                 sqlite3_libversion());
}

int gdfs_checkpoint_start(const char *path, const struct gdfs_store_opts *so,
                          const struct gdfs_checkpoint_opts *co,
                          struct gdfs_checkpoint **out, char *err,
                          size_t errlen)
{
    struct gdfs_checkpoint *ck = calloc(1, sizeof(*ck));
    struct gdfs_store_opts own = *so;
    struct st_shared *sh;
    int rc;

    *out = NULL;
    if (ck == NULL) {
        snprintf(err, errlen, "checkpointer: out of memory");
        return GDFS_ENOMEM;
    }
    own.no_migrate = true;
    rc = gdfs_store_open(path, &own, &ck->st, err, errlen);
    if (rc != GDFS_OK) {
        free(ck);
        return rc;
    }
    /* No busy handler: a truncation a reader blocks is retried later,
     * never waited for under the writer lock. */
    sqlite3_busy_timeout(ck->st->db, 0);
    ck->o = *co;
    ck->sh = sh = ck->st->shared;
    ck->serialize = st_wal_reset_bug();
    pthread_once(&version_once, log_version);
    pthread_mutex_lock(&sh->ckpt_mu);
    if (sh->ckpt_running) {
        pthread_mutex_unlock(&sh->ckpt_mu);
        snprintf(err, errlen, "%s: a checkpointer already runs", path);
        gdfs_store_close(ck->st);
        free(ck);
        return GDFS_EINVAL;
    }
    sh->ckpt_running = true;
    sh->ckpt_sleeping = false;
    sh->start_bytes = (uint64_t)co->start_kib << 10;
    sh->cap_bytes = (uint64_t)co->cap_kib << 10;
    pthread_mutex_unlock(&sh->ckpt_mu);
    if ((rc = pthread_create(&ck->thread, NULL, run, ck)) != 0) {
        pthread_mutex_lock(&sh->ckpt_mu);
        sh->ckpt_running = false;
        pthread_mutex_unlock(&sh->ckpt_mu);
        snprintf(err, errlen, "checkpointer thread: %s", strerror(rc));
        gdfs_store_close(ck->st);
        free(ck);
        return GDFS_ENOMEM;
    }
    *out = ck;
    return GDFS_OK;
}

void gdfs_checkpoint_stop(struct gdfs_checkpoint *ck)
{
    struct st_shared *sh;

    if (ck == NULL)
        return;
    sh = ck->sh;
    pthread_mutex_lock(&sh->ckpt_mu);
    ck->stop = true;
    sh->ckpt_running = false;
    pthread_cond_broadcast(&sh->ckpt_cv);
    pthread_cond_broadcast(&sh->cap_cv);
    pthread_mutex_unlock(&sh->ckpt_mu);
    pthread_join(ck->thread, NULL);
    gdfs_store_close(ck->st);
    free(ck);
}

void gdfs_checkpoint_stats(struct gdfs_checkpoint *ck,
                           struct gdfs_checkpoint_stats *out)
{
    pthread_mutex_lock(&ck->sh->ckpt_mu);
    *out = ck->stats;
    pthread_mutex_unlock(&ck->sh->ckpt_mu);
}
