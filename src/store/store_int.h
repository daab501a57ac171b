/* Internals shared by the store's source files (store.c, meta.c, metasync.c):
 * the connection struct and the transaction helpers. Not for use outside
 * src/store/. */
#ifndef GDFS_STORE_INT_H
#define GDFS_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define BUSY_TIMEOUT_MS 30000

/* Chunk bytes written (not yet fsynced) after which the WAL is synced
 * outside any transaction (st_chunk_written). */
#define SYNC_EVERY (16u << 20)

/* What SQLite's own automatic checkpoint does, and what a connection
 * still does itself while no checkpointer runs: a PASSIVE checkpoint in
 * the committing thread once the WAL holds this many pages. */
#define AUTOCHECKPOINT_PAGES 1000

/* What the connections of one process to one database share: the writer
 * lock, the group commit (see st_begin, st_commit) and the checkpointer's
 * state (checkpoint.c). Kept for the process's life. */
struct st_shared {
    struct st_shared *next;
    char wal_path[4200];
    pthread_mutex_t write_mu;
    pthread_mutex_t sync_mu;
    pthread_cond_t sync_cv;
    uint64_t committed;   /* durable commits so far (tickets) */
    uint64_t synced;      /* commits up to this ticket are on disk */
    uint64_t failed_upto; /* a failed sync covered tickets up to this */
    bool poisoned;        /* a WAL sync failed: no later commit is durable */
    bool syncing;
    char sync_err[512];

    /* Below: under ckpt_mu. */
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;  /* wakes the checkpointer */
    pthread_cond_t cap_cv;   /* chunk writers waiting for a pass */
    bool ckpt_running;       /* a checkpointer owns checkpoints */
    bool ckpt_sleeping;      /* it waits for the next commit, no timer */
    uint64_t start_bytes;    /* its PASSIVE threshold */
    uint64_t cap_bytes;      /* chunk writers wait beyond this */
    uint64_t wal_bytes;      /* WAL size at the last commit */
    uint64_t commits;        /* commits seen by the WAL hook */
    uint64_t last_commit_ms; /* gdfs_clock_ms */
    uint64_t unsynced;       /* chunk bytes written since a WAL sync */
    uint64_t passes_begun;   /* checkpoint passes begun, numbered 1.. */
    uint64_t passes;         /* the last one finished */
    unsigned cap_waiters;
};

/* Prepared statements kept per connection (st_prep, st_done): preparing
 * costs more than running most of the store's statements. */
#define ST_CACHE_MAX 64
struct st_cached {
    const char *sql; /* the caller's text (a literal): the key */
    sqlite3_stmt *s;
    bool busy; /* handed out, not yet given back */
};

struct gdfs_store {
    sqlite3 *db;
    struct st_cached cache[ST_CACHE_MAX];
    struct st_shared *shared;
    bool writing; /* this connection holds shared->write_mu */
    struct gdfs_store_opts opts;
    bool durable;       /* the open transaction commits with fsync */
    uint32_t page_size; /* the database's, for the WAL hook */
    char wal_path[4200];
    char errmsg[512];
};

/* Sync the WAL for every commit so far (best effort: a durable commit's
 * own group sync is what durability rests on); a failure poisons the
 * group commit. */
void st_sync_wal(struct st_shared *sh);
/* checkpoint.c: after open, watch @st's commits (the WAL hook, which also
 * replaces SQLite's automatic checkpoint). */
int st_watch_wal(struct gdfs_store *st);
/* checkpoint.c: whether the linked SQLite has the WAL-reset bug
 * (sqlite.org/wal.html, "The WAL-Reset Bug"), so that a checkpoint must
 * not start while another connection may commit. */
bool st_wal_reset_bug(void);
/* checkpoint.c: a chunk of @len bytes was committed outside a durable
 * transaction: sync the WAL now and then, and wait for the checkpointer
 * while the WAL is over its cap. */
void st_chunk_written(struct gdfs_store *st, size_t len);

/* Set errmsg from SQLite's last error ("@what: ...") and map it to a
 * GDFS_* code. */
int st_fail(struct gdfs_store *st, const char *what);
int st_exec(struct gdfs_store *st, const char *sql);
/* Prepare @sql into *stmt; on failure sets errmsg. The statement comes
 * from the connection's cache when it ran before (reset, no bindings);
 * give it back with st_done, never sqlite3_finalize. */
int st_prep(struct gdfs_store *st, const char *sql, sqlite3_stmt **stmt);
/* Give back a statement of st_prep (kept for the next st_prep of the
 * same text, or finalized); NULL is fine. */
void st_done(struct gdfs_store *st, sqlite3_stmt *s);
/* st_prep, then bind ?1 to the file name @name and, if @v is not NULL,
 * ?2 and ?3 to v->seq and v->term: the key of a version row (or record).
 * @name must stay valid while *stmt runs (bound SQLITE_STATIC); no
 * reference to @v is kept. */
int st_prep_named(struct gdfs_store *st, const char *sql, const uint8_t *name,
                  size_t namelen, const struct gdfs_version *v,
                  sqlite3_stmt **stmt);
/* Step a statement that returns no rows, then finalize it. */
int st_step_done(struct gdfs_store *st, sqlite3_stmt *s, const char *what);
/* Step @s, a query for at most one row: GDFS_OK with @s on the row;
 * GDFS_ENOENT when there is none, errmsg set from the printf format @gone
 * (NULL: errmsg left as it was, for a caller to whom no row is an
 * answer); else st_fail(@what). @s stays the caller's to read and
 * finalize. */
int st_step_row(struct gdfs_store *st, sqlite3_stmt *s, const char *what,
                const char *gone, ...) __attribute__((format(printf, 4, 5)));
/* Begin a write transaction (BEGIN IMMEDIATE) under the process's writer
 * lock; a @durable one is on disk (WAL fsynced) when st_commit returns. */
int st_begin(struct gdfs_store *st, bool durable);
void st_rollback(struct gdfs_store *st);
/* Take / release the process's writer lock for @st's database around a
 * single autocommit write statement (st_begin and st_commit take it
 * themselves). st_lock waits at most opts.busy_ms (default
 * BUSY_TIMEOUT_MS), then fails with GDFS_EBUSY (errmsg says so). */
int st_lock(struct gdfs_store *st);
void st_unlock(struct gdfs_store *st);
/* Commit what st_begin opened (rolled back if COMMIT fails) and release
 * the writer lock; for a durable transaction, then wait for the group
 * commit that covers it. */
int st_commit(struct gdfs_store *st);
/* Inside a write transaction: delete version row @id and its chunks. */
int st_drop_version(struct gdfs_store *st, int64_t id);
/* Inside a write transaction: drop the version rows whose ids @sql selects,
 * 64 at a time (it must say LIMIT 64 and select fewer once they are gone).
 * Its ?1 is bound to @name, ?2 and ?3 (if it has them) to @p2 and @p3;
 * @what names it in errors. */
int st_drop_selected(struct gdfs_store *st, const char *sql,
                     const uint8_t *name, size_t namelen, int64_t p2,
                     int64_t p3, const char *what);
/* The columns st_read_version reads, in order, from column @col on. */
#define ST_VERSION_COLS                                                       \
    "id, seq, term, state, size, chunk_size, nchunks, sha256"
void st_read_version(sqlite3_stmt *s, int col, struct gdfs_store_version *v);
/* Inside a write transaction: this node's complete copies of m's file
 * that have no version yet (put_begin_later) and hold m's content take
 * m->version, unless it is held already (*adopted: how many did). A
 * tombstone changes nothing. */
int st_adopt(struct gdfs_store *st, const struct gdfs_meta *m,
             unsigned *adopted);
/* Inside a write transaction: drop committed versions of @name beyond the
 * newest @keep. */
int st_collect(struct gdfs_store *st, const uint8_t *name, size_t namelen,
               uint32_t keep);
/* Inside a write transaction (meta.c): check @term against the promise
 * and raise the promise to it (GDFS_ESTALE if older). */
int st_meta_fence(struct gdfs_store *st, uint64_t term);
/* Inside a write transaction (meta.c): what gdfs_store_meta_put does
 * after the fence, for a record the leader of @term confirmed; accepted
 * (pending) records it supersedes go. *applied says whether the stored
 * record changed. */
int st_meta_apply(struct gdfs_store *st, uint64_t term,
                  const struct gdfs_meta *m, bool *applied);
/* Inside a write transaction (pending.c): drop the records accepted from
 * leaders of terms older than @term in the buckets of @complete. */
int st_pending_drop_stale(struct gdfs_store *st, uint64_t term,
                          uint64_t complete);
/* Record columns, in the order st_read_meta reads them. */
#define ST_META_COLS                                                          \
    "name, seq, term, size, chunk_size, nchunks, sha256, tombstone, "         \
    "acked, replicas"
void st_read_meta(sqlite3_stmt *s, struct gdfs_meta *m);
/* Run @sql (?1: names after this, ?2: at most this many rows, selecting
 * ST_META_COLS) and hand each record to @cb, as gdfs_store_meta_list. */
int st_list_meta(struct gdfs_store *st, const char *sql, const uint8_t *after,
                 size_t afterlen, uint32_t max, gdfs_store_meta_cb cb,
                 void *ctx, bool *more);

#endif
