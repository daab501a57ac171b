/* Internals shared by the store's source files (store.c, meta.c, metasync.c): the
 * connection struct and the transaction helpers. Not for use outside
 * src/store/. */
#ifndef GDFS_STORE_INT_H
#define GDFS_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define BUSY_TIMEOUT_MS 30000

/* Chunk bytes written (not yet fsynced) after which a writer syncs the
 * WAL itself, outside any transaction: see sync_wal(). */
#define SYNC_EVERY (16u << 20)

/* What the connections of one process to one database share: the writer
 * lock and the group commit (see st_begin, st_commit). */
struct st_shared;

struct gdfs_store {
    sqlite3 *db;
    struct st_shared *shared;
    bool writing; /* this connection holds shared->write_mu */
    struct gdfs_store_opts opts;
    bool durable; /* the open transaction commits with fsync */
    char wal_path[4200];
    int wal_fd;       /* our own descriptor on the WAL, for fdatasync */
    size_t unsynced;  /* chunk bytes written since the last sync_wal */
    char errmsg[512];
};

/* Set errmsg from SQLite's last error ("@what: ...") and map it to a
 * GDFS_* code. */
int st_fail(struct gdfs_store *st, const char *what);
int st_exec(struct gdfs_store *st, const char *sql);
/* Prepare @sql into *stmt; on failure sets errmsg. */
int st_prep(struct gdfs_store *st, const char *sql, sqlite3_stmt **stmt);
/* Step a statement that returns no rows, then finalize it. */
int st_step_done(struct gdfs_store *st, sqlite3_stmt *s, const char *what);
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
#define ST_VERSION_COLS                                                    \
    "id, seq, term, state, size, chunk_size, nchunks, sha256"
void st_read_version(sqlite3_stmt *s, int col, struct gdfs_store_version *v);
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
/* Record columns, in the order st_read_meta reads them (meta and pending
 * tables alike). */
#define ST_META_COLS                                                       \
    "name, seq, term, size, chunk_size, nchunks, sha256, tombstone, "      \
    "acked, replicas"
void st_read_meta(sqlite3_stmt *s, struct gdfs_meta *m);
/* Store @m in meta (@aterm 0) or as accepted in pending, sent by the
 * leader of term @aterm. Replaces the file's row. */
int st_upsert_meta(struct gdfs_store *st, const struct gdfs_meta *m,
                   uint64_t aterm);
/* Same version, acknowledgements, tombstone flag and replica set. */
bool st_same_record(const struct gdfs_meta *a, const struct gdfs_meta *b);
/* Run @sql (?1: names after this, ?2: at most this many rows, selecting
 * ST_META_COLS) and hand each record to @cb, as gdfs_store_meta_list. */
int st_list_meta(struct gdfs_store *st, const char *sql, const uint8_t *after,
                 size_t afterlen, uint32_t max, gdfs_store_meta_cb cb,
                 void *ctx, bool *more);

#endif
