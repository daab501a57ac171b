/* The node's SQLite store; see store.h for the contract.
 *
 * Sections: errors, open/close and schema, node state and members,
 * writing versions, reading. */
#define GDFS_LOG_MODULE "store"
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "hash.h"
#include "log.h"
#include "store/schema.h"
#include "store/store_int.h"

/* ---- errors -------------------------------------------------------------- */

int st_fail(struct gdfs_store *st, const char *what)
{
    int code = sqlite3_extended_errcode(st->db);

    snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s (sqlite %d)", what,
             sqlite3_errmsg(st->db), code);
    switch (code & 0xff) {
    case SQLITE_FULL:
        return GDFS_ENOSPC;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return GDFS_ECORRUPT;
    case SQLITE_NOMEM:
        return GDFS_ENOMEM;
    case SQLITE_IOERR:
        return GDFS_EIO;
    default:
        return GDFS_ESTORE;
    }
}

const char *gdfs_store_errmsg(const struct gdfs_store *st)
{
    return st->errmsg;
}

int st_exec(struct gdfs_store *st, const char *sql)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return st_fail(st, sql);
    return GDFS_OK;
}

/* Prepare @sql into *stmt; on failure sets errmsg. */
int st_prep(struct gdfs_store *st, const char *sql, sqlite3_stmt **stmt)
{
    struct st_cached *free_slot = NULL;

    for (unsigned i = 0; i < ST_CACHE_MAX; i++) {
        struct st_cached *c = &st->cache[i];

        if (c->sql == NULL) {
            if (free_slot == NULL)
                free_slot = c;
        } else if (c->sql == sql && !c->busy &&
                   strcmp(sqlite3_sql(c->s), sql) == 0) {
            c->busy = true;
            *stmt = c->s;
            return GDFS_OK;
        }
    }
    if (sqlite3_prepare_v3(st->db, sql, -1,
                           free_slot != NULL ? SQLITE_PREPARE_PERSISTENT : 0,
                           stmt, NULL) != SQLITE_OK) {
        *stmt = NULL;
        return st_fail(st, "prepare");
    }
    /* A text in use already (a statement run inside another's loop) gets
     * a statement of its own, finalized when given back. */
    if (free_slot != NULL) {
        for (unsigned i = 0; i < ST_CACHE_MAX; i++)
            if (st->cache[i].sql == sql)
                return GDFS_OK;
        *free_slot = (struct st_cached){sql, *stmt, true};
    }
    return GDFS_OK;
}

void st_done(struct gdfs_store *st, sqlite3_stmt *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < ST_CACHE_MAX; i++)
        if (st->cache[i].s == s) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            st->cache[i].busy = false;
            return;
        }
    sqlite3_finalize(s);
}

int st_prep_named(struct gdfs_store *st, const char *sql, const uint8_t *name,
                  size_t namelen, const struct gdfs_version *v,
                  sqlite3_stmt **stmt)
{
    int rc = st_prep(st, sql, stmt);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_blob(*stmt, 1, name, (int)namelen, SQLITE_STATIC);
    if (v != NULL) {
        sqlite3_bind_int64(*stmt, 2, (sqlite3_int64)v->seq);
        sqlite3_bind_int64(*stmt, 3, (sqlite3_int64)v->term);
    }
    return GDFS_OK;
}

/* Step a statement that returns no rows, then finalize it. */
int st_step_done(struct gdfs_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s) == SQLITE_DONE ? GDFS_OK : st_fail(st, what);

    st_done(st, s);
    return rc;
}

int st_step_row(struct gdfs_store *st, sqlite3_stmt *s, const char *what,
                const char *gone, ...)
{
    va_list ap;

    switch (sqlite3_step(s)) {
    case SQLITE_ROW:
        return GDFS_OK;
    case SQLITE_DONE:
        if (gone != NULL) {
            va_start(ap, gone);
            vsnprintf(st->errmsg, sizeof(st->errmsg), gone, ap);
            va_end(ap);
        }
        return GDFS_ENOENT;
    default:
        return st_fail(st, what);
    }
}

/* ---- writer lock and group commit ---------------------------------------
 *
 * SQLite lets one connection write at a time and makes the others poll
 * (sleeping 1, 2, 5, 10... ms between tries) while they wait. The node's
 * threads each own a connection, so with several puts in flight most of
 * their time went to those sleeps. Writers in one process instead queue
 * on one mutex per database, held from BEGIN to COMMIT: the next one runs
 * as soon as the last one commits.
 *
 * Group commit: a durable transaction commits with synchronous=NORMAL
 * (its WAL frames written, not yet fsynced) and then waits for an
 * fdatasync of the WAL that began after its commit. One thread syncs for
 * every commit that came before it started, so N concurrent puts share
 * one fsync instead of queueing for N, each behind the writer lock. This
 * is what synchronous=FULL does (one WAL sync after the commit), minus
 * the lock held across the sync. Frames a checkpoint has moved into the
 * database are safe too: in WAL mode a checkpoint syncs the WAL before it
 * copies and the database after, and only then can the WAL restart. The
 * transaction is visible to readers before its sync; nothing that reads
 * it acknowledges anything before its own durable commit has synced. */

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static struct st_shared *shared_list; /* kept for the process's life */

static struct st_shared *shared_for(const char *wal_path)
{
    struct st_shared *sh;

    pthread_mutex_lock(&shared_mu);
    for (sh = shared_list; sh != NULL; sh = sh->next)
        if (strcmp(sh->wal_path, wal_path) == 0)
            break;
    if (sh == NULL && (sh = calloc(1, sizeof(*sh))) != NULL) {
        snprintf(sh->wal_path, sizeof(sh->wal_path), "%s", wal_path);
        pthread_mutex_init(&sh->write_mu, NULL);
        pthread_mutex_init(&sh->sync_mu, NULL);
        pthread_cond_init(&sh->sync_cv, NULL);
        pthread_mutex_init(&sh->ckpt_mu, NULL);
        gdfs_clock_cond_init(&sh->ckpt_cv); /* timed waits: checkpoint.c */
        pthread_cond_init(&sh->cap_cv, NULL);
        sh->next = shared_list;
        shared_list = sh;
    }
    pthread_mutex_unlock(&shared_mu);
    return sh;
}

int st_lock(struct gdfs_store *st)
{
    uint32_t ms = st->opts.busy_ms ? st->opts.busy_ms : BUSY_TIMEOUT_MS;
    struct timespec ts = gdfs_clock_after(ms);
    int rc;

    assert(!st->writing);
    /* Bounded, as SQLite's busy timeout bounded it before: a writer that
     * holds the lock too long (a huge transaction, a stuck disk) makes
     * the others fail with a clear error instead of hanging them (the
     * group thread's term and vote saves among them). */
    rc = pthread_mutex_clocklock(&st->shared->write_mu, CLOCK_MONOTONIC, &ts);
    if (rc != 0) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "database busy: another writer held it for more than %u "
                 "ms",
                 ms);
        return GDFS_EBUSY;
    }
    st->writing = true;
    return GDFS_OK;
}

void st_unlock(struct gdfs_store *st)
{
    if (st->writing) {
        st->writing = false;
        pthread_mutex_unlock(&st->shared->write_mu);
    }
}

/* fdatasync the WAL, by path: the file SQLite writes now. */
static int sync_wal_file(struct st_shared *sh, char *err, size_t errlen)
{
    int fd = open(sh->wal_path, O_RDONLY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0 || fdatasync(fd) != 0) {
        snprintf(err, errlen, "sync %.400s: %s", sh->wal_path,
                 strerror(errno));
        rc = -1;
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* A WAL sync failed (sync_mu held). The kernel reports a write-back
 * error once per open file, and the pages it lost are not written again,
 * so a later sync that succeeds proves nothing about the commits before
 * it: from now on every durable commit of this database fails (EIO) until
 * the process restarts and SQLite recovers the WAL. */
static void poison(struct st_shared *sh, const char *err)
{
    if (!sh->poisoned)
        snprintf(sh->sync_err, sizeof(sh->sync_err),
                 "%.400s (no write to this database is durable until the node "
                 "restarts)",
                 err);
    sh->poisoned = true;
}

/* One sync round (sync_mu held, no round running): fdatasync the WAL for
 * every commit so far, then wake the waiters. */
static void sync_round(struct st_shared *sh)
{
    uint64_t target = sh->committed;
    char err[512];
    int failed;

    sh->syncing = true;
    pthread_mutex_unlock(&sh->sync_mu);
    failed = sync_wal_file(sh, err, sizeof(err));
    pthread_mutex_lock(&sh->sync_mu);
    sh->syncing = false;
    if (failed) {
        poison(sh, err);
        if (target > sh->failed_upto)
            sh->failed_upto = target;
    } else if (target > sh->synced) {
        sh->synced = target;
    }
    pthread_cond_broadcast(&sh->sync_cv);
}

/* Wait until commit @ticket is on disk, syncing for others as needed. */
static int group_sync(struct gdfs_store *st, uint64_t ticket)
{
    struct st_shared *sh = st->shared;
    int rc = GDFS_OK;

    pthread_mutex_lock(&sh->sync_mu);
    while (sh->synced < ticket) {
        if (sh->failed_upto >= ticket || sh->poisoned) {
            snprintf(st->errmsg, sizeof(st->errmsg), "%s", sh->sync_err);
            rc = GDFS_EIO;
            break;
        }
        if (sh->syncing)
            pthread_cond_wait(&sh->sync_cv, &sh->sync_mu);
        else
            sync_round(sh); /* for every commit so far, ours included */
    }
    pthread_mutex_unlock(&sh->sync_mu);
    return rc;
}

void st_sync_wal(struct st_shared *sh)
{
    pthread_mutex_lock(&sh->sync_mu);
    if (!sh->syncing) /* else the round running flushes what we wrote */
        sync_round(sh);
    pthread_mutex_unlock(&sh->sync_mu);
}

/* Begin a write transaction under the writer lock; a @durable one is
 * fsynced before st_commit returns. */
int st_begin(struct gdfs_store *st, bool durable)
{
    int rc = st_lock(st);

    if (rc != GDFS_OK)
        return rc;
    st->durable = durable;
    rc = st_exec(st, "BEGIN IMMEDIATE");
    if (rc != GDFS_OK) {
        st->durable = false;
        st_unlock(st);
    }
    return rc;
}

void st_rollback(struct gdfs_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->durable = false;
    st_unlock(st);
}

/* Commit the transaction st_begin() opened (rolled back if COMMIT fails). */
int st_commit(struct gdfs_store *st)
{
    bool durable = st->durable;
    uint64_t ticket = 0;
    int rc = st_exec(st, "COMMIT");

    if (rc != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    if (durable) {
        /* Tickets follow commit order: taken under the writer lock. */
        pthread_mutex_lock(&st->shared->sync_mu);
        ticket = ++st->shared->committed;
        pthread_mutex_unlock(&st->shared->sync_mu);
    }
    st->durable = false;
    st_unlock(st);
    return durable ? group_sync(st, ticket) : GDFS_OK;
}

/* ---- open/close and schema ----------------------------------------------- */

int gdfs_store_schema_version(void)
{
    int v = 0;

    for (unsigned i = 0; i < gdfs_migrations_count; i++)
        if (gdfs_migrations[i].version > v)
            v = gdfs_migrations[i].version;
    return v;
}

static int user_version(struct gdfs_store *st, int *v)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "PRAGMA user_version", &s);

    if (rc != GDFS_OK)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *v = sqlite3_column_int(s, 0);
        rc = GDFS_OK;
    } else {
        rc = st_fail(st, "read user_version");
    }
    st_done(st, s);
    return rc;
}

/* Apply every migration newer than user_version, one transaction each. */
static int migrate(struct gdfs_store *st)
{
    int have, want = gdfs_store_schema_version(), rc;
    char sql[64];

    rc = st_begin(st, false);
    if (rc != GDFS_OK)
        return rc;
    rc = user_version(st, &have);
    st_commit(st);
    if (rc != GDFS_OK)
        return rc;
    if (have > want) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "database schema version %d is newer than this gdfs "
                 "(knows up to %d): refusing to open it",
                 have, want);
        return GDFS_EVERSION;
    }
    for (unsigned i = 0; i < gdfs_migrations_count; i++) {
        const struct gdfs_migration *m = &gdfs_migrations[i];
        int now;

        if (m->version <= have)
            continue;
        rc = st_begin(st, true);
        if (rc != GDFS_OK)
            return rc;
        /* Another connection may have migrated while we waited. */
        rc = user_version(st, &now);
        if (rc == GDFS_OK && now < m->version) {
            if (sqlite3_exec(st->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
                rc = st_fail(st, m->file);
            } else {
                snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
                         m->version);
                rc = st_exec(st, sql);
            }
        }
        if (rc != GDFS_OK) {
            st_rollback(st);
            return rc;
        }
        rc = st_commit(st);
        if (rc != GDFS_OK)
            return rc;
        if (now < m->version)
            gdfs_log(GDFS_LOG_INFO, "applied schema %s", m->file);
    }
    return GDFS_OK;
}

/* The files of a database: itself and what SQLite keeps beside it. */
static const char *const db_suffixes[] = {"", "-wal", "-shm", "-journal"};

/* Append to the message in @err (@errlen bytes, NUL-terminated). */
static void append(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *err, size_t errlen, const char *fmt, ...)
{
    size_t used = strnlen(err, errlen);
    va_list ap;

    if (used + 1 >= errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err + used, errlen - used, fmt, ap);
    va_end(ap);
}

int gdfs_store_check_modes(const char *path, char *err, size_t errlen)
{
    enum { N = sizeof(db_suffixes) / sizeof(db_suffixes[0]) };
    unsigned mode[N];
    struct stat sb;
    char f[4200];
    int bad = 0;

    for (size_t i = 0; i < N; i++) {
        snprintf(f, sizeof(f), "%s%s", path, db_suffixes[i]);
        /* A file that cannot be stat'ed is left to SQLite to report. */
        mode[i] = stat(f, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 0;
        if ((mode[i] & 077) != 0)
            bad++;
    }
    if (bad == 0)
        return GDFS_OK;
    if (errlen == 0)
        return GDFS_ECONFIG;
    err[0] = '\0';
    append(err, errlen,
           "database file%s open to group or others (the database holds "
           "every file stored on this node): ",
           bad > 1 ? "s" : "");
    for (size_t i = 0, n = 0; i < N; i++)
        if ((mode[i] & 077) != 0)
            append(err, errlen, "%s%s%s (mode %04o)", n++ > 0 ? ", " : "",
                   path, db_suffixes[i], mode[i]);
    append(err, errlen, "; fix: chmod 600");
    for (size_t i = 0; i < N; i++)
        if ((mode[i] & 077) != 0)
            append(err, errlen, " '%s%s'", path, db_suffixes[i]);
    return GDFS_ECONFIG;
}

/* Is @path a database file that does not exist yet? */
static bool is_new_file(const char *path)
{
    struct stat sb;

    return path[0] != '\0' && strcmp(path, ":memory:") != 0 &&
           stat(path, &sb) != 0 && errno == ENOENT;
}

int gdfs_store_open(const char *path, const struct gdfs_store_opts *opts,
                    struct gdfs_store **out, char *err, size_t errlen)
{
    struct gdfs_store *st = calloc(1, sizeof(*st));
    char sql[96];
    bool fresh;
    int rc;

    *out = NULL;
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    st->opts = *opts;
    snprintf(st->wal_path, sizeof(st->wal_path), "%s-wal", path);
    if ((st->shared = shared_for(st->wal_path)) == NULL) {
        free(st);
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    fresh = is_new_file(path);
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = st->db ? st_fail(st, path) : GDFS_ENOMEM;
        goto out;
    }
    /* SQLite creates a database 0644 less the umask, and the -wal and -shm
     * files it makes later with the database's mode. So a database made
     * here is made 0600 at once, while it is still empty, by its path: a
     * descriptor of our own would not do, since closing any descriptor of
     * a file drops every POSIX lock the process holds on it, SQLite's
     * locks included. */
    if (fresh && chmod(path, 0600) != 0) {
        snprintf(st->errmsg, sizeof(st->errmsg), "chmod 600: %s",
                 strerror(errno));
        rc = GDFS_ESTORE;
        goto out;
    }
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 1);
    /* page_size only takes effect on a new (empty) database. */
    snprintf(sql, sizeof(sql), "PRAGMA page_size=%u", opts->page_size);
    if ((rc = st_exec(st, sql)) != GDFS_OK)
        goto out;
    if ((rc = st_exec(st, "PRAGMA journal_mode=WAL")) != GDFS_OK)
        goto out;
    snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%u", opts->cache_kib);
    if ((rc = st_exec(st, sql)) != GDFS_OK ||
        (rc = st_exec(st, "PRAGMA synchronous=NORMAL")) != GDFS_OK ||
        (rc = st_exec(st, "PRAGMA foreign_keys=OFF")) != GDFS_OK ||
        /* Debian builds SQLite with secure_delete on: removing a 1 GiB
         * version would then write 1 GiB of zeros through the WAL. */
        (rc = st_exec(st, "PRAGMA secure_delete=OFF")) != GDFS_OK ||
        (rc = st_exec(st, "PRAGMA journal_size_limit=67108864")) != GDFS_OK)
        goto out;
    if (opts->no_migrate) {
        int have = 0;

        rc = user_version(st, &have);
        if (rc == GDFS_OK && have != gdfs_store_schema_version()) {
            snprintf(st->errmsg, sizeof(st->errmsg),
                     "database schema version %d, this gdfs writes %d", have,
                     gdfs_store_schema_version());
            rc = GDFS_EVERSION;
        }
    } else {
        rc = migrate(st);
    }
    if (rc == GDFS_OK)
        rc = st_watch_wal(st);
out:
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 st->db ? st->errmsg : "out of memory");
        gdfs_store_close(st);
        return rc;
    }
    *out = st;
    return GDFS_OK;
}

/* quick_check's first problem @what into errmsg, as one log line:
 * SQLite puts "*** in database main ***" and a newline before it. */
static void one_line(struct gdfs_store *st, const unsigned char *what)
{
    static const char head[] = "*** in database main ***\n";
    const char *w = what ? (const char *)what : "(no answer)";

    if (strncmp(w, head, sizeof(head) - 1) == 0)
        w += sizeof(head) - 1;
    snprintf(st->errmsg, sizeof(st->errmsg), "quick_check: %s", w);
    for (char *p = st->errmsg; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

int gdfs_store_check(struct gdfs_store *st, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    const unsigned char *first;
    int rc;

    /* (1): stop at the first problem; only it is reported. */
    rc = st_prep(st, "PRAGMA quick_check(1)", &s);
    if (rc == GDFS_OK) {
        switch (sqlite3_step(s)) {
        case SQLITE_ROW:
            first = sqlite3_column_text(s, 0);
            if (first == NULL || strcmp((const char *)first, "ok") != 0) {
                one_line(st, first);
                rc = GDFS_ECORRUPT;
            }
            break;
        default:
            rc = st_fail(st, "quick_check");
            break;
        }
        st_done(st, s);
    }
    if (rc != GDFS_OK)
        snprintf(err, errlen, "%s", st->errmsg);
    return rc;
}

void gdfs_store_close(struct gdfs_store *st)
{
    if (st == NULL)
        return;
    for (unsigned i = 0; i < ST_CACHE_MAX; i++)
        sqlite3_finalize(st->cache[i].s);
    sqlite3_close_v2(st->db);
    free(st);
}

int gdfs_store_recover(struct gdfs_store *st, int *n)
{
    int rc = st_begin(st, true);

    *n = 0;
    if (rc != GDFS_OK)
        return rc;
    rc = st_exec(st, "DELETE FROM chunks WHERE version_id IN "
                     "(SELECT id FROM versions WHERE state = 0)");
    if (rc == GDFS_OK)
        rc = st_exec(st, "DELETE FROM versions WHERE state = 0");
    if (rc != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    *n = sqlite3_changes(st->db);
    return st_commit(st);
}

/* ---- node state and members ---------------------------------------------- */

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

/* Step @s, a query of the node row: GDFS_OK on the row, GDFS_ENOENT when
 * the node belongs to no group yet, or the failure. */
static int step_node_row(struct gdfs_store *st, sqlite3_stmt *s,
                         const char *what)
{
    return st_step_row(st, s, what, "this node belongs to no group yet");
}

int gdfs_store_get_node(struct gdfs_store *st, struct gdfs_node_state *out)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT node_id, group_id, current_term, last_seq "
                     "FROM node WHERE one = 1",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    rc = step_node_row(st, s, "read node state");
    if (rc == GDFS_OK) {
        copy_text(out->node_id, sizeof(out->node_id),
                  sqlite3_column_text(s, 0));
        copy_text(out->group_id, sizeof(out->group_id),
                  sqlite3_column_text(s, 1));
        out->term = (uint64_t)sqlite3_column_int64(s, 2);
        out->last_seq = (uint64_t)sqlite3_column_int64(s, 3);
    }
    st_done(st, s);
    return rc;
}

/* Inside a write transaction: the node row of a node in @group_id, its
 * votes held if it joined (sql/007-votes-held.sql). */
static int insert_node_row(struct gdfs_store *st, const char *node_id,
                           const char *group_id, uint64_t term, bool held)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "INSERT INTO node (one, node_id, group_id, current_term, "
                     "votes_held) VALUES (1, ?1, ?2, ?3, ?4)",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_text(s, 1, node_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, group_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)term);
    sqlite3_bind_int(s, 4, held);
    return st_step_done(st, s, "insert node");
}

int gdfs_store_votes_held(struct gdfs_store *st, bool *held)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "SELECT votes_held FROM node WHERE one = 1", &s);

    *held = false;
    if (rc != GDFS_OK)
        return rc;
    rc = step_node_row(st, s, "read votes held");
    if (rc == GDFS_OK)
        *held = sqlite3_column_int(s, 0) != 0;
    st_done(st, s);
    return rc;
}

int gdfs_store_release_votes(struct gdfs_store *st)
{
    return st_exec(st, "UPDATE node SET votes_held = 0 WHERE one = 1");
}

/* Inside a write transaction: replace the member set and its version. */
static int write_set(struct gdfs_store *st, const struct gdfs_members *set)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "UPDATE node SET members_seq = ?1, members_term = ?2 "
                     "WHERE one = 1",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)set->version.seq);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)set->version.term);
    if ((rc = st_step_done(st, s, "save set version")) != GDFS_OK)
        return rc;
    if ((rc = st_exec(st, "DELETE FROM members")) != GDFS_OK)
        return rc;
    for (uint32_t i = 0; i < set->n; i++) {
        rc = st_prep(st,
                     "INSERT INTO members (node_id, addr, state, incarnation) "
                     "VALUES (?1, ?2, ?3, ?4)",
                     &s);
        if (rc != GDFS_OK)
            return rc;
        sqlite3_bind_text(s, 1, set->m[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, set->m[i].addr, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, set->m[i].state);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)set->m[i].incarnation);
        if ((rc = st_step_done(st, s, "save member")) != GDFS_OK)
            return rc;
    }
    return GDFS_OK;
}

int gdfs_store_init_node(struct gdfs_store *st, const char *node_id,
                         const char *group_id, const char *addr, uint64_t term)
{
    struct gdfs_node_state have;
    struct gdfs_members *set = calloc(1, sizeof(*set));
    int rc = set ? st_begin(st, true) : GDFS_ENOMEM;

    if (rc != GDFS_OK) {
        free(set);
        return rc;
    }
    rc = gdfs_store_get_node(st, &have);
    if (rc == GDFS_OK) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "this database already belongs to group %s as node %s",
                 have.group_id, have.node_id);
        rc = GDFS_EGROUP;
        goto fail;
    }
    if (rc != GDFS_ENOENT)
        goto fail;
    /* A group of one: this node, member set version 0. */
    snprintf(set->group_id, sizeof(set->group_id), "%s", group_id);
    set->n = 1;
    snprintf(set->m[0].id, sizeof(set->m[0].id), "%s", node_id);
    snprintf(set->m[0].addr, sizeof(set->m[0].addr), "%s", addr);
    if ((rc = insert_node_row(st, node_id, group_id, term, false)) !=
            GDFS_OK ||
        (rc = write_set(st, set)) != GDFS_OK)
        goto fail;
    free(set);
    return st_commit(st);
fail:
    free(set);
    st_rollback(st);
    return rc;
}

int gdfs_store_set_term(struct gdfs_store *st, uint64_t term,
                        const char *voted_for)
{
    sqlite3_stmt *s;
    int rc = st_begin(st, true);

    if (rc != GDFS_OK)
        return rc;
    rc = st_prep(st,
                 "UPDATE node SET current_term = ?1, voted_for = ?2 "
                 "WHERE one = 1",
                 &s);
    if (rc != GDFS_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)term);
    if (voted_for[0] != '\0')
        sqlite3_bind_text(s, 2, voted_for, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 2);
    if ((rc = st_step_done(st, s, "save term")) != GDFS_OK)
        goto fail;
    if (sqlite3_changes(st->db) != 1) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "save term: node is not initialised");
        rc = GDFS_ENOENT;
        goto fail;
    }
    return st_commit(st);
fail:
    st_rollback(st);
    return rc;
}

int gdfs_store_load_group(struct gdfs_store *st, uint64_t *term, char *vote,
                          struct gdfs_members *set)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT group_id, current_term, coalesce(voted_for, ''), "
                     "members_seq, members_term FROM node WHERE one = 1",
                     &s);

    memset(set, 0, sizeof(*set));
    if (rc != GDFS_OK)
        return rc;
    rc = step_node_row(st, s, "load group state");
    if (rc == GDFS_OK) {
        copy_text(set->group_id, sizeof(set->group_id),
                  sqlite3_column_text(s, 0));
        *term = (uint64_t)sqlite3_column_int64(s, 1);
        copy_text(vote, GDFS_NODE_ID_MAX + 1, sqlite3_column_text(s, 2));
        set->version.seq = (uint64_t)sqlite3_column_int64(s, 3);
        set->version.term = (uint64_t)sqlite3_column_int64(s, 4);
    }
    st_done(st, s);
    if (rc != GDFS_OK)
        return rc;
    rc = st_prep(st,
                 "SELECT node_id, addr, state, incarnation FROM members "
                 "ORDER BY rowid",
                 &s);
    if (rc != GDFS_OK)
        return rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && set->n < GDFS_GROUP_MAX) {
        struct gdfs_member *m = &set->m[set->n++];

        copy_text(m->id, sizeof(m->id), sqlite3_column_text(s, 0));
        copy_text(m->addr, sizeof(m->addr), sqlite3_column_text(s, 1));
        m->state = (uint8_t)sqlite3_column_int(s, 2);
        m->incarnation = (uint64_t)sqlite3_column_int64(s, 3);
    }
    rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? GDFS_OK
                                                 : st_fail(st, "load members");
    st_done(st, s);
    return rc;
}

int gdfs_store_save_members(struct gdfs_store *st, const char *node_id,
                            const struct gdfs_members *set)
{
    struct gdfs_node_state have;
    int rc = st_begin(st, true);

    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_store_get_node(st, &have);
    if (rc == GDFS_ENOENT) {
        /* A joining node becomes a member. */
        rc = insert_node_row(st, node_id, set->group_id, 0, true);
    } else if (rc == GDFS_OK && strcmp(have.group_id, set->group_id) != 0) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "member set of group %s offered to a node of group %s",
                 set->group_id, have.group_id);
        rc = GDFS_EGROUP;
    }
    if (rc == GDFS_OK)
        rc = write_set(st, set);
    if (rc != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    return st_commit(st);
}

/* ---- writing versions ---------------------------------------------------- */

/* Inside a write transaction: the next local version (term, last_seq+1),
 * persisted. */
static int next_version(struct gdfs_store *st, struct gdfs_version *v)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "UPDATE node SET last_seq = last_seq + 1 WHERE one = 1 "
                     "RETURNING last_seq, current_term",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    rc = st_step_row(st, s, "allocate version", "node is not initialised");
    if (rc == GDFS_OK) {
        v->seq = (uint64_t)sqlite3_column_int64(s, 0);
        v->term = (uint64_t)sqlite3_column_int64(s, 1);
    }
    st_done(st, s);
    return rc;
}

static int insert_version(struct gdfs_store *st, const uint8_t *name,
                          size_t namelen, const struct gdfs_version *v,
                          int state, uint32_t chunk_size, bool committed,
                          int64_t *id)
{
    sqlite3_stmt *s;
    int rc = st_prep_named(
        st,
        "INSERT INTO versions (name, seq, term, state, chunk_size, "
        "created, committed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        name, namelen, v, &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int(s, 4, state);
    sqlite3_bind_int64(s, 5, chunk_size);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)time(NULL));
    sqlite3_bind_int(s, 7, committed);
    rc = st_step_done(st, s, "insert version");
    *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

/* Inside a write transaction: row @id has no version yet; -id keeps
 * (name, term, seq) unique. */
static int mark_unassigned(struct gdfs_store *st, int64_t id)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "UPDATE versions SET seq = -id WHERE id = ?1", &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    return st_step_done(st, s, "mark version unassigned");
}

/* Drop rows of version @v of @name still being written: they belong to
 * an earlier stream whose abort failed (a full disk), and would make this
 * version impossible to store here until a restart. In a transaction. */
static int drop_stale_streams(struct gdfs_store *st, const uint8_t *name,
                              size_t namelen, const struct gdfs_version *v)
{
    return st_drop_selected(st,
                            "SELECT id FROM versions WHERE name = ?1 AND "
                            "seq = ?2 AND term = ?3 AND state = 0 LIMIT 64",
                            name, namelen, (sqlite3_int64)v->seq,
                            (sqlite3_int64)v->term, "drop stale stream");
}

/* put_begin, and with @later (v NULL) a row whose version a replica
 * learns at the end of its stream (gdfs_store_put_commit_as). */
static int begin_row(struct gdfs_store *st, const uint8_t *name,
                     size_t namelen, uint32_t chunk_size,
                     const struct gdfs_version *v, bool later,
                     struct gdfs_store_version *out)
{
    int rc = st_begin(st, false);

    memset(out, 0, sizeof(*out));
    if (rc != GDFS_OK)
        return rc;
    if (v != NULL) {
        out->version = *v;
        if ((rc = drop_stale_streams(st, name, namelen, v)) != GDFS_OK) {
            st_rollback(st);
            return rc;
        }
    }
    rc = insert_version(st, name, namelen, &out->version, GDFS_VERSION_WRITING,
                        chunk_size, v == NULL && !later, &out->id);
    /* No version yet: it is assigned at commit, so that versions follow
     * commit order (or, @later, given then by the gateway). */
    if (rc == GDFS_OK && v == NULL)
        rc = mark_unassigned(st, out->id);
    if (rc != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    out->state = GDFS_VERSION_WRITING;
    out->chunk_size = chunk_size;
    return st_commit(st);
}

int gdfs_store_put_begin(struct gdfs_store *st, const uint8_t *name,
                         size_t namelen, uint32_t chunk_size,
                         const struct gdfs_version *v,
                         struct gdfs_store_version *out)
{
    return begin_row(st, name, namelen, chunk_size, v, false, out);
}

int gdfs_store_put_begin_later(struct gdfs_store *st, const uint8_t *name,
                               size_t namelen, uint32_t chunk_size,
                               struct gdfs_store_version *out)
{
    return begin_row(st, name, namelen, chunk_size, NULL, true, out);
}

int gdfs_store_put_chunk(struct gdfs_store *st, int64_t vid, uint32_t idx,
                         const uint8_t sha256[GDFS_SHA256_LEN],
                         const void *data, size_t len)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "INSERT INTO chunks (version_id, idx, sha256, data) "
                     "VALUES (?1, ?2, ?3, ?4)",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, vid);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_blob(s, 3, sha256, GDFS_SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, data, (int)len, SQLITE_STATIC);
    if ((rc = st_lock(st)) != GDFS_OK) {
        st_done(st, s);
        return rc;
    }
    rc = st_step_done(st, s, "store chunk");
    st_unlock(st);
    if (rc == GDFS_OK)
        st_chunk_written(st, len);
    return rc;
}

/* Inside a write transaction: delete version @id and its chunks. */
int st_drop_version(struct gdfs_store *st, int64_t id)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "DELETE FROM chunks WHERE version_id = ?1", &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if ((rc = st_step_done(st, s, "drop chunks")) != GDFS_OK)
        return rc;
    if ((rc = st_prep(st, "DELETE FROM versions WHERE id = ?1", &s)) !=
        GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    return st_step_done(st, s, "drop version");
}

int st_drop_selected(struct gdfs_store *st, const char *sql,
                     const uint8_t *name, size_t namelen, int64_t p2,
                     int64_t p3, const char *what)
{
    sqlite3_stmt *s;
    int64_t ids[64];
    int n, rc;

    /* Select a batch, drop it, select again: no statement stays open over
     * the deletes, and a file with thousands of versions costs no memory. */
    do {
        if ((rc = st_prep_named(st, sql, name, namelen, NULL, &s)) != GDFS_OK)
            return rc;
        if (sqlite3_bind_parameter_count(s) >= 2)
            sqlite3_bind_int64(s, 2, p2);
        if (sqlite3_bind_parameter_count(s) >= 3)
            sqlite3_bind_int64(s, 3, p3);
        for (n = 0; n < 64 && (rc = sqlite3_step(s)) == SQLITE_ROW; n++)
            ids[n] = sqlite3_column_int64(s, 0);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            rc = st_fail(st, what);
            st_done(st, s);
            return rc;
        }
        st_done(st, s);
        for (int i = 0; i < n; i++)
            if ((rc = st_drop_version(st, ids[i])) != GDFS_OK)
                return rc;
    } while (n == 64);
    return GDFS_OK;
}

int st_collect(struct gdfs_store *st, const uint8_t *name, size_t namelen,
               uint32_t keep)
{
    return st_drop_selected(st,
                            "SELECT id FROM versions WHERE name = ?1 AND "
                            "state > 0 AND committed = 1 ORDER BY term DESC, "
                            "seq DESC LIMIT 64 OFFSET ?2",
                            name, namelen, keep, 0, "list old versions");
}

static int version_name(struct gdfs_store *st, int64_t vid, uint8_t *name,
                        size_t *namelen, int *state)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "SELECT name, state FROM versions WHERE id = ?1", &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, vid);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *namelen = (size_t)sqlite3_column_bytes(s, 0);
        if (*namelen > GDFS_NAME_MAX)
            *namelen = GDFS_NAME_MAX;
        memcpy(name, sqlite3_column_blob(s, 0), *namelen);
        *state = sqlite3_column_int(s, 1);
        rc = GDFS_OK;
    } else {
        snprintf(st->errmsg, sizeof(st->errmsg), "version row %lld is gone",
                 (long long)vid);
        rc = GDFS_ENOENT;
    }
    st_done(st, s);
    return rc;
}

static int version_of(struct gdfs_store *st, int64_t vid,
                      struct gdfs_version *v)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "SELECT seq, term FROM versions WHERE id = ?1", &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, vid);
    if (sqlite3_step(s) == SQLITE_ROW) {
        v->seq = (uint64_t)sqlite3_column_int64(s, 0);
        v->term = (uint64_t)sqlite3_column_int64(s, 1);
    } else {
        rc = st_fail(st, "read version");
    }
    st_done(st, s);
    return rc;
}

static int count_chunks(struct gdfs_store *st, int64_t vid, uint32_t *n)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT count(*), coalesce(max(idx), -1) FROM chunks "
                     "WHERE version_id = ?1",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, vid);
    if (sqlite3_step(s) == SQLITE_ROW) {
        int64_t count = sqlite3_column_int64(s, 0);
        int64_t max = sqlite3_column_int64(s, 1);
        /* Chunks are numbered 0..n-1 with no gaps (idx is unique). */
        *n = count == max + 1 ? (uint32_t)count : UINT32_MAX;
        rc = GDFS_OK;
    } else {
        rc = st_fail(st, "count chunks");
    }
    st_done(st, s);
    return rc;
}

/* ---- copies without a version (put_begin_later) -------------------------- */

/* Whether row @vid is committed (0 when it is gone). */
static bool row_committed(struct gdfs_store *st, int64_t vid)
{
    sqlite3_stmt *s;
    bool yes = false;

    if (st_prep(st, "SELECT committed FROM versions WHERE id = ?1", &s) !=
        GDFS_OK)
        return false;
    sqlite3_bind_int64(s, 1, vid);
    if (sqlite3_step(s) == SQLITE_ROW)
        yes = sqlite3_column_int(s, 0) != 0;
    st_done(st, s);
    return yes;
}

/* Inside a write transaction: the complete copy @vid, without a version,
 * takes m->version, if it holds m's content (size, chunk count, file
 * hash; chunk_size too when m has one). @strict (put_assign): say why
 * not, and if that version is held complete already this copy is one
 * too many: it goes. Not @strict (st_adopt): a copy that does not fit,
 * or a version held already, leaves the copy as it is (the orphan sweep
 * has it). It is committed if a record names the version. */
static int adopt_row(struct gdfs_store *st, int64_t vid,
                     const struct gdfs_meta *m, bool strict, bool *took)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT state, seq, size, nchunks, chunk_size, sha256, "
                     "EXISTS (SELECT 1 FROM versions w WHERE w.name = "
                     "versions.name AND w.seq = ?2 AND w.term = ?3 AND "
                     "w.state = 1) FROM versions WHERE id = ?1",
                     &s);
    bool fits = false, held = false;

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, vid);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)m->version.seq);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)m->version.term);
    if ((rc = st_step_row(st, s, "read copy", "copy is gone")) == GDFS_OK) {
        const void *sha = sqlite3_column_blob(s, 5);

        fits = sqlite3_column_int(s, 0) == GDFS_VERSION_COMPLETE &&
               sqlite3_column_int64(s, 1) < 0 &&
               (uint64_t)sqlite3_column_int64(s, 2) == m->size &&
               (uint32_t)sqlite3_column_int64(s, 3) == m->nchunks &&
               (m->chunk_size == 0 ||
                (uint32_t)sqlite3_column_int64(s, 4) == m->chunk_size) &&
               sha != NULL && sqlite3_column_bytes(s, 5) == GDFS_SHA256_LEN &&
               memcmp(sha, m->sha256, GDFS_SHA256_LEN) == 0;
        held = sqlite3_column_int(s, 6) != 0;
    }
    st_done(st, s);
    if (rc != GDFS_OK)
        return rc;
    if (!fits) {
        if (!strict)
            return GDFS_OK;
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "version row %lld is not a complete copy without a "
                 "version of that content",
                 (long long)vid);
        return GDFS_EINVAL;
    }
    *took = false;
    if (held)
        return strict ? st_drop_version(st, vid) : GDFS_OK;
    if ((rc = drop_stale_streams(st, m->name, m->namelen, &m->version)) !=
        GDFS_OK)
        return rc;
    rc = st_prep(st,
                 "UPDATE versions SET seq = ?2, term = ?3, committed = "
                 "EXISTS (SELECT 1 FROM meta m WHERE m.name = versions.name "
                 "AND m.seq = ?2 AND m.term = ?3) WHERE id = ?1",
                 &s);
    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, vid);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)m->version.seq);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)m->version.term);
    rc = st_step_done(st, s, "give a copy its version");
    *took = rc == GDFS_OK;
    return rc;
}

int st_adopt(struct gdfs_store *st, const struct gdfs_meta *m,
             unsigned *adopted)
{
    sqlite3_stmt *s;
    int64_t ids[8];
    unsigned n = 0;
    int rc;

    *adopted = 0;
    if (m->tombstone)
        return GDFS_OK;
    rc = st_prep_named(st,
                       "SELECT id FROM versions WHERE name = ?1 AND "
                       "state = 1 AND seq < 0 AND size = ?2 AND "
                       "nchunks = ?3 ORDER BY id LIMIT 8",
                       m->name, m->namelen, NULL, &s);
    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 2, (sqlite3_int64)m->size);
    sqlite3_bind_int64(s, 3, m->nchunks);
    while (n < 8 && (rc = sqlite3_step(s)) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(s, 0);
    st_done(st, s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return st_fail(st, "find copies without a version");
    for (unsigned i = 0; i < n; i++) {
        bool took = false;

        if ((rc = adopt_row(st, ids[i], m, false, &took)) != GDFS_OK)
            return rc;
        *adopted += took;
    }
    return GDFS_OK;
}

/* Inside a write transaction: put_commit's work; @later: of a row begun
 * by put_begin_later, which stays without a version (put_assign,
 * st_adopt give it one). */
static int finish_row(struct gdfs_store *st, int64_t vid, bool later,
                      uint64_t size, uint32_t nchunks,
                      const uint8_t sha256[GDFS_SHA256_LEN],
                      struct gdfs_version *out)
{
    uint8_t name[GDFS_NAME_MAX];
    size_t namelen;
    uint32_t have = 0;
    int state, rc;
    sqlite3_stmt *s;
    struct gdfs_version v = {0, 0};

    if ((rc = version_name(st, vid, name, &namelen, &state)) != GDFS_OK)
        goto fail;
    if ((rc = count_chunks(st, vid, &have)) != GDFS_OK)
        goto fail;
    if (state != GDFS_VERSION_WRITING || have != nchunks) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "version row %lld: state %d, %u chunks stored, %u expected",
                 (long long)vid, state, have, nchunks);
        rc = GDFS_ECORRUPT;
        goto fail;
    }
    if ((rc = version_of(st, vid, &v)) != GDFS_OK)
        goto fail;
    if (later != ((int64_t)v.seq < 0 && !row_committed(st, vid))) {
        snprintf(st->errmsg, sizeof(st->errmsg), "version row %lld: %s",
                 (long long)vid,
                 later ? "not a copy begun without a version"
                       : "a copy begun without a version");
        rc = GDFS_EINVAL;
        goto fail;
    }
    /* Unassigned (seq < 0): the next local version, in commit order. */
    if (!later && (int64_t)v.seq < 0 && (rc = next_version(st, &v)) != GDFS_OK)
        goto fail;
    rc = st_prep(st,
                 "UPDATE versions SET state = 1, size = ?2, nchunks = ?3, "
                 "sha256 = ?4, seq = ?5, term = ?6, created = ?7, "
                 "committed = committed OR "
                 "EXISTS (SELECT 1 FROM meta m WHERE m.name = versions.name "
                 "AND m.seq = ?5 AND m.term = ?6) WHERE id = ?1",
                 &s);
    if (rc != GDFS_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, vid);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)size);
    sqlite3_bind_int64(s, 3, nchunks);
    sqlite3_bind_blob(s, 4, sha256, GDFS_SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)v.seq);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)v.term);
    /* From now on "created" is when the copy became complete: the orphan
     * sweep measures a copy's age from there, not from the start of a
     * put that may have streamed for hours. */
    sqlite3_bind_int64(s, 7, (sqlite3_int64)time(NULL));
    if ((rc = st_step_done(st, s, "commit version")) != GDFS_OK)
        goto fail;
    if (out != NULL)
        *out = v;
    rc = st_collect(st, name, namelen, st->opts.keep_versions);
fail:
    return rc;
}

/* put_commit in a durable transaction of its own. */
static int commit_row(struct gdfs_store *st, int64_t vid, bool later,
                      uint64_t size, uint32_t nchunks,
                      const uint8_t sha256[GDFS_SHA256_LEN],
                      struct gdfs_version *out)
{
    int rc = st_begin(st, true);

    if (rc != GDFS_OK)
        return rc;
    rc = finish_row(st, vid, later, size, nchunks, sha256, out);
    if (rc != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    return st_commit(st);
}

int gdfs_store_put_whole(struct gdfs_store *st, const uint8_t *name,
                         size_t namelen, uint32_t chunk_size,
                         const struct gdfs_version *v,
                         const struct gdfs_store_chunk *c, uint64_t size,
                         uint32_t nchunks,
                         const uint8_t sha256[GDFS_SHA256_LEN], int64_t *out)
{
    struct gdfs_version zero = {0, 0};
    sqlite3_stmt *s;
    int64_t vid = 0;
    int rc;

    if (nchunks != (c != NULL ? 1u : 0u)) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "a whole put holds 0 or 1 chunk, not %u", nchunks);
        return GDFS_ECORRUPT;
    }
    if ((rc = st_begin(st, true)) != GDFS_OK)
        return rc;
    if (v != NULL)
        rc = drop_stale_streams(st, name, namelen, v);
    if (rc == GDFS_OK)
        rc = insert_version(st, name, namelen, v != NULL ? v : &zero,
                            GDFS_VERSION_WRITING, chunk_size, false, &vid);
    if (rc == GDFS_OK && v == NULL)
        rc = mark_unassigned(st, vid);
    if (rc == GDFS_OK && c != NULL &&
        (rc = st_prep(st,
                      "INSERT INTO chunks (version_id, idx, sha256, data) "
                      "VALUES (?1, 0, ?2, ?3)",
                      &s)) == GDFS_OK) {
        sqlite3_bind_int64(s, 1, vid);
        sqlite3_bind_blob(s, 2, c->sha256, GDFS_SHA256_LEN, SQLITE_STATIC);
        sqlite3_bind_blob(s, 3, c->data, (int)c->len, SQLITE_STATIC);
        rc = st_step_done(st, s, "store chunk");
    }
    if (rc == GDFS_OK)
        rc = finish_row(st, vid, v == NULL, size, nchunks, sha256, NULL);
    if (rc != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    if ((rc = st_commit(st)) == GDFS_OK && c != NULL)
        st_chunk_written(st, c->len);
    *out = vid;
    return rc;
}

int gdfs_store_put_commit(struct gdfs_store *st, int64_t vid, uint64_t size,
                          uint32_t nchunks,
                          const uint8_t sha256[GDFS_SHA256_LEN],
                          struct gdfs_version *out)
{
    return commit_row(st, vid, false, size, nchunks, sha256, out);
}

int gdfs_store_put_commit_later(struct gdfs_store *st, int64_t vid,
                                uint64_t size, uint32_t nchunks,
                                const uint8_t sha256[GDFS_SHA256_LEN])
{
    return commit_row(st, vid, true, size, nchunks, sha256, NULL);
}

int gdfs_store_put_assign(struct gdfs_store *st, int64_t vid,
                          const struct gdfs_version *v, uint64_t size,
                          uint32_t nchunks,
                          const uint8_t sha256[GDFS_SHA256_LEN])
{
    struct gdfs_meta m;
    bool took;
    int state, rc;

    memset(&m, 0, sizeof(m));
    /* Not fsynced: lost in a crash, the copy is one without a version
     * again, and the orphan sweep gives it this one from the record. */
    if ((rc = st_begin(st, false)) != GDFS_OK)
        return rc;
    if ((rc = version_name(st, vid, m.name, &m.namelen, &state)) != GDFS_OK)
        goto fail;
    m.version = *v;
    m.size = size;
    m.nchunks = nchunks;
    memcpy(m.sha256, sha256, GDFS_SHA256_LEN);
    if ((rc = adopt_row(st, vid, &m, true, &took)) != GDFS_OK)
        goto fail;
    return st_commit(st);
fail:
    st_rollback(st);
    return rc;
}

int gdfs_store_put_abort(struct gdfs_store *st, int64_t vid)
{
    int rc = st_begin(st, false);

    if (rc != GDFS_OK)
        return rc;
    rc = st_drop_version(st, vid);
    if (rc != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    return st_commit(st);
}

int gdfs_store_remove(struct gdfs_store *st, const uint8_t *name,
                      size_t namelen, const struct gdfs_version *v,
                      struct gdfs_version *out)
{
    struct gdfs_store_version cur;
    int64_t id;
    int rc = st_begin(st, true);

    if (rc != GDFS_OK)
        return rc;
    if ((rc = gdfs_store_lookup(st, name, namelen, 0, &cur)) != GDFS_OK)
        goto fail;
    if (v != NULL)
        *out = *v;
    else if ((rc = next_version(st, out)) != GDFS_OK)
        goto fail;
    /* Drop every older version first, then record the tombstone. */
    if ((rc = st_collect(st, name, namelen, 0)) != GDFS_OK)
        goto fail;
    rc = insert_version(st, name, namelen, out, GDFS_VERSION_TOMBSTONE, 0,
                        true, &id);
    if (rc != GDFS_OK)
        goto fail;
    return st_commit(st);
fail:
    st_rollback(st);
    return rc;
}

/* ---- checking and replacing chunks ---------------------------------------- */

/* Select chunk @idx of version row @vid (columns: sha256, data) into *out
 * for the caller to read and finalize: GDFS_OK; GDFS_ECORRUPT when the
 * row is malformed or its data is longer than @cap; GDFS_ENOENT ("chunk I
 * of version row V is @gone"); else the failure, named @what. *out is
 * NULL unless GDFS_OK. */
static int chunk_row(struct gdfs_store *st, int64_t vid, uint32_t idx,
                     size_t cap, const char *gone, const char *what,
                     sqlite3_stmt **out)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT sha256, data FROM chunks "
                     "WHERE version_id = ?1 AND idx = ?2",
                     &s);

    *out = NULL;
    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, vid);
    sqlite3_bind_int64(s, 2, idx);
    rc = st_step_row(st, s, what, "chunk %u of version row %lld is %s", idx,
                     (long long)vid, gone);
    if (rc == GDFS_OK) {
        const void *data = sqlite3_column_blob(s, 1);
        size_t n = (size_t)sqlite3_column_bytes(s, 1);

        if (sqlite3_column_bytes(s, 0) != GDFS_SHA256_LEN || n > cap ||
            (data == NULL && n > 0)) {
            snprintf(st->errmsg, sizeof(st->errmsg),
                     "chunk %u of version row %lld is malformed", idx,
                     (long long)vid);
            rc = GDFS_ECORRUPT;
        }
    }
    if (rc != GDFS_OK)
        st_done(st, s);
    else
        *out = s;
    return rc;
}

int gdfs_store_verify_chunk(struct gdfs_store *st, int64_t vid, uint32_t idx,
                            uint8_t sha256[GDFS_SHA256_LEN])
{
    uint8_t actual[GDFS_SHA256_LEN];
    const void *stored;
    sqlite3_stmt *s;
    int rc = chunk_row(st, vid, idx, SIZE_MAX, "missing", "verify chunk", &s);

    if (rc != GDFS_OK)
        return rc;
    stored = sqlite3_column_blob(s, 0);
    if (sha256 != NULL)
        memcpy(sha256, stored, GDFS_SHA256_LEN);
    gdfs_hash_sha256(sqlite3_column_blob(s, 1),
                     (size_t)sqlite3_column_bytes(s, 1), actual);
    if (memcmp(actual, stored, GDFS_SHA256_LEN) != 0) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "chunk %u of version row %lld fails its checksum", idx,
                 (long long)vid);
        rc = GDFS_ECORRUPT;
    }
    st_done(st, s);
    return rc;
}

/* The state, chunk size and chunk count of version row @vid. */
static int version_shape(struct gdfs_store *st, int64_t vid, int *state,
                         uint32_t *chunk_size, uint32_t *nchunks)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT state, chunk_size, nchunks FROM versions "
                     "WHERE id = ?1",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, vid);
    rc = st_step_row(st, s, "read version", "version row %lld is gone",
                     (long long)vid);
    if (rc == GDFS_OK) {
        *state = sqlite3_column_int(s, 0);
        *chunk_size = (uint32_t)sqlite3_column_int64(s, 1);
        *nchunks = (uint32_t)sqlite3_column_int64(s, 2);
    }
    st_done(st, s);
    return rc;
}

int gdfs_store_replace_begin(struct gdfs_store *st, int64_t vid, int64_t *sid)
{
    uint8_t name[GDFS_NAME_MAX];
    struct gdfs_version none = {0, 0};
    uint32_t chunk_size, nchunks;
    size_t namelen;
    int state, rc = st_begin(st, false);

    if (rc != GDFS_OK)
        return rc;
    if ((rc = version_name(st, vid, name, &namelen, &state)) != GDFS_OK ||
        (rc = version_shape(st, vid, &state, &chunk_size, &nchunks)) !=
            GDFS_OK)
        goto fail;
    if (state != GDFS_VERSION_COMPLETE) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "version row %lld is not a complete version", (long long)vid);
        rc = GDFS_EINVAL;
        goto fail;
    }
    /* A writing row of the same name: invisible, and gone after a crash. */
    if ((rc = insert_version(st, name, namelen, &none, GDFS_VERSION_WRITING,
                             chunk_size, false, sid)) != GDFS_OK ||
        (rc = mark_unassigned(st, *sid)) != GDFS_OK)
        goto fail;
    return st_commit(st);
fail:
    st_rollback(st);
    return rc;
}

int gdfs_store_replace_commit(struct gdfs_store *st, int64_t vid, int64_t sid)
{
    uint32_t chunk_size, nchunks, have = 0;
    sqlite3_stmt *s;
    int state, rc = st_begin(st, true);

    if (rc != GDFS_OK)
        return rc;
    rc = version_shape(st, vid, &state, &chunk_size, &nchunks);
    if (rc == GDFS_ENOENT) {
        /* Collected meanwhile: nothing left to repair. */
        if ((rc = st_drop_version(st, sid)) != GDFS_OK ||
            (rc = st_commit(st)) != GDFS_OK)
            return rc;
        snprintf(st->errmsg, sizeof(st->errmsg), "version row %lld is gone",
                 (long long)vid);
        return GDFS_ENOENT;
    }
    if (rc != GDFS_OK)
        goto fail;
    if ((rc = st_prep(st,
                      "DELETE FROM chunks WHERE version_id = ?1 AND idx IN "
                      "(SELECT idx FROM chunks WHERE version_id = ?2)",
                      &s)) != GDFS_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, vid);
    sqlite3_bind_int64(s, 2, sid);
    if ((rc = st_step_done(st, s, "drop replaced chunks")) != GDFS_OK)
        goto fail;
    if ((rc =
             st_prep(st,
                     "UPDATE chunks SET version_id = ?1 WHERE version_id = ?2",
                     &s)) != GDFS_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, vid);
    sqlite3_bind_int64(s, 2, sid);
    if ((rc = st_step_done(st, s, "move replacement chunks")) != GDFS_OK)
        goto fail;
    if ((rc = count_chunks(st, vid, &have)) != GDFS_OK)
        goto fail;
    if (have != nchunks) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "version row %lld would hold %u chunks, %u expected",
                 (long long)vid, have, nchunks);
        rc = GDFS_ECORRUPT;
        goto fail;
    }
    if ((rc = st_drop_version(st, sid)) != GDFS_OK)
        goto fail;
    return st_commit(st);
fail:
    st_rollback(st);
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

int gdfs_store_snapshot_begin(struct gdfs_store *st)
{
    /* A deferred transaction takes its snapshot at the first read. */
    return st_exec(st, "BEGIN DEFERRED");
}

void gdfs_store_snapshot_end(struct gdfs_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
}

int gdfs_store_snapshot_renew(struct gdfs_store *st,
                              const struct gdfs_store_version *v)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_get_autocommit(st->db))
        return GDFS_OK; /* none held */
    gdfs_store_snapshot_end(st);
    if ((rc = gdfs_store_snapshot_begin(st)) != GDFS_OK || v == NULL)
        return rc;
    /* The row may be gone, and its id reused by another version (ids are
     * rowids): check it is still the same complete version. */
    if ((rc = st_prep(st,
                      "SELECT 1 FROM versions WHERE id = ?1 AND seq = ?2 AND "
                      "term = ?3 AND state > 0",
                      &s)) != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, v->id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)v->version.seq);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)v->version.term);
    rc = st_step_row(st, s, "check version row",
                     "version row %lld (version %llu) is gone",
                     (long long)v->id, (unsigned long long)v->version.seq);
    st_done(st, s);
    return rc;
}

#define VERSION_COLS ST_VERSION_COLS

void st_read_version(sqlite3_stmt *s, int col, struct gdfs_store_version *v)
{
    const void *sha = sqlite3_column_blob(s, col + 7);

    v->id = sqlite3_column_int64(s, col);
    v->version.seq = (uint64_t)sqlite3_column_int64(s, col + 1);
    v->version.term = (uint64_t)sqlite3_column_int64(s, col + 2);
    v->state = sqlite3_column_int(s, col + 3);
    v->size = (uint64_t)sqlite3_column_int64(s, col + 4);
    v->chunk_size = (uint32_t)sqlite3_column_int64(s, col + 5);
    v->nchunks = (uint32_t)sqlite3_column_int64(s, col + 6);
    memset(v->sha256, 0, sizeof(v->sha256));
    if (sha != NULL && sqlite3_column_bytes(s, col + 7) == GDFS_SHA256_LEN)
        memcpy(v->sha256, sha, GDFS_SHA256_LEN);
}

int gdfs_store_lookup(struct gdfs_store *st, const uint8_t *name,
                      size_t namelen, uint64_t seq,
                      struct gdfs_store_version *out)
{
    sqlite3_stmt *s;
    int rc =
        st_prep_named(st,
                      seq == 0
                          ? "SELECT " VERSION_COLS " FROM versions "
                            "WHERE name = ?1 AND state > 0 AND committed = 1 "
                            "ORDER BY term DESC, seq DESC LIMIT 1"
                          : "SELECT " VERSION_COLS " FROM versions "
                            "WHERE name = ?1 AND state > 0 AND seq = ?2 "
                            "AND committed = 1 "
                            "ORDER BY term DESC LIMIT 1",
                      name, namelen, NULL, &s);

    if (rc != GDFS_OK)
        return rc;
    if (seq != 0)
        sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
    rc = st_step_row(st, s, "look up file",
                     seq == 0 ? "no such file" : "no such version");
    if (rc == GDFS_OK) {
        st_read_version(s, 0, out);
        if (out->state == GDFS_VERSION_TOMBSTONE) {
            snprintf(st->errmsg, sizeof(st->errmsg), "file was removed");
            rc = GDFS_ENOENT;
        }
    }
    st_done(st, s);
    return rc;
}

int gdfs_store_lookup_exact(struct gdfs_store *st, const uint8_t *name,
                            size_t namelen, const struct gdfs_version *v,
                            struct gdfs_store_version *out)
{
    sqlite3_stmt *s;
    int rc = st_prep_named(st,
                           "SELECT " VERSION_COLS
                           " FROM versions WHERE name = ?1 "
                           "AND seq = ?2 AND term = ?3 AND state = 1",
                           name, namelen, v, &s);

    if (rc != GDFS_OK)
        return rc;
    rc = st_step_row(st, s, "look up version",
                     "version %llu (term %llu) is not held here",
                     (unsigned long long)v->seq, (unsigned long long)v->term);
    if (rc == GDFS_OK)
        st_read_version(s, 0, out);
    st_done(st, s);
    return rc;
}

int gdfs_store_read_chunk(struct gdfs_store *st, int64_t vid, uint32_t idx,
                          void *buf, size_t cap, size_t *len,
                          uint8_t sha256[GDFS_SHA256_LEN])
{
    sqlite3_stmt *s;
    size_t n;
    int rc = chunk_row(st, vid, idx, cap, "gone", "read chunk", &s);

    if (rc != GDFS_OK)
        return rc;
    n = (size_t)sqlite3_column_bytes(s, 1);
    memcpy(sha256, sqlite3_column_blob(s, 0), GDFS_SHA256_LEN);
    if (n > 0)
        memcpy(buf, sqlite3_column_blob(s, 1), n);
    *len = n;
    st_done(st, s);
    return rc;
}

int gdfs_store_list(struct gdfs_store *st, const uint8_t *after,
                    size_t afterlen, uint32_t max, gdfs_store_file_cb cb,
                    void *ctx, bool *more)
{
    sqlite3_stmt *s;
    uint32_t n = 0;
    int rc;

    /* The newest visible version of each name, complete ones only. */
    rc = st_prep(
        st,
        "SELECT name, " VERSION_COLS " FROM versions v "
        "WHERE state > 0 AND committed = 1 AND name > ?1 AND NOT EXISTS ("
        "  SELECT 1 FROM versions w WHERE w.name = v.name "
        "  AND w.state > 0 AND w.committed = 1 "
        "  AND (w.term, w.seq) > (v.term, v.seq)) "
        "AND state = 1 ORDER BY name LIMIT ?2",
        &s);
    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_blob(s, 1, after ? (const void *)after : "", (int)afterlen,
                      SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, max);
    *more = false;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct gdfs_store_version v;

        st_read_version(s, 1, &v);
        n++;
        if (cb(ctx, sqlite3_column_blob(s, 0),
               (size_t)sqlite3_column_bytes(s, 0), &v) != 0) {
            *more = true;
            rc = SQLITE_DONE;
            break;
        }
    }
    if (n == max)
        *more = true;
    rc = rc == SQLITE_DONE ? GDFS_OK : st_fail(st, "list files");
    st_done(st, s);
    return rc;
}

int gdfs_store_versions(struct gdfs_store *st, const uint8_t *name,
                        size_t namelen, gdfs_store_file_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = st_prep_named(st,
                           "SELECT " VERSION_COLS " FROM versions "
                           "WHERE name = ?1 AND state > 0 AND committed = 1 "
                           "ORDER BY term DESC, seq DESC",
                           name, namelen, NULL, &s);

    if (rc != GDFS_OK)
        return rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct gdfs_store_version v;

        st_read_version(s, 0, &v);
        if (cb(ctx, name, namelen, &v) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? GDFS_OK : st_fail(st, "list versions");
    st_done(st, s);
    return rc;
}
