/* The record log's storage; see store.h ("the record log") and
 * sql/006-record-log.sql. */
#define GDFS_LOG_MODULE "store"
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

/* SQLite keeps integers signed: every index and term stays below 2^63. */
#define LIMIT (UINT64_C(1) << 63)

static int read_numbers(struct gdfs_store *st, struct gdfs_store_log_state *o)
{
    sqlite3_stmt *s;
    int rc;

    memset(o, 0, sizeof(*o));
    rc = st_prep(st,
                 "SELECT log_snap_index, log_snap_term, log_applied, "
                 "(SELECT idx FROM rlog ORDER BY idx DESC LIMIT 1), "
                 "(SELECT term FROM rlog ORDER BY idx DESC LIMIT 1) "
                 "FROM node WHERE one = 1",
                 &s);
    if (rc != GDFS_OK)
        return rc;
    rc = st_step_row(st, s, "read the log's state", "node is not initialised");
    if (rc == GDFS_OK) {
        o->snap_index = (uint64_t)sqlite3_column_int64(s, 0);
        o->snap_term = (uint64_t)sqlite3_column_int64(s, 1);
        o->applied = (uint64_t)sqlite3_column_int64(s, 2);
        o->last_index = o->snap_index;
        o->last_term = o->snap_term;
        if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
            o->last_index = (uint64_t)sqlite3_column_int64(s, 3);
            o->last_term = (uint64_t)sqlite3_column_int64(s, 4);
        }
        if (o->applied < o->snap_index || o->last_index < o->snap_index ||
            o->last_term < o->snap_term || o->last_index >= LIMIT ||
            o->last_term >= LIMIT) {
            snprintf(st->errmsg, sizeof(st->errmsg),
                     "the record log's numbers do not fit together "
                     "(snapshot %llu of term %llu, last %llu of term %llu, "
                     "applied %llu)",
                     (unsigned long long)o->snap_index,
                     (unsigned long long)o->snap_term,
                     (unsigned long long)o->last_index,
                     (unsigned long long)o->last_term,
                     (unsigned long long)o->applied);
            rc = GDFS_ECORRUPT;
        }
    }
    st_done(st, s);
    return rc;
}

int gdfs_store_log_state(struct gdfs_store *st,
                         struct gdfs_store_log_state *out)
{
    return read_numbers(st, out);
}

int gdfs_store_log_term_at(struct gdfs_store *st, uint64_t index,
                           uint64_t *term)
{
    sqlite3_stmt *s;
    int rc;

    if (index >= LIMIT) {
        snprintf(st->errmsg, sizeof(st->errmsg), "log index out of range");
        return GDFS_ENOENT;
    }
    if ((rc = st_prep(st, "SELECT term FROM rlog WHERE idx = ?1", &s)) !=
        GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)index);
    rc = st_step_row(st, s, "read a log entry's term",
                     "no log entry at index %llu", (unsigned long long)index);
    if (rc == GDFS_OK)
        *term = (uint64_t)sqlite3_column_int64(s, 0);
    st_done(st, s);
    return rc;
}

static int refuse(struct gdfs_store *st, const char *what, uint64_t a,
                  uint64_t b)
{
    snprintf(st->errmsg, sizeof(st->errmsg), "%s (%llu, %llu)", what,
             (unsigned long long)a, (unsigned long long)b);
    return GDFS_EINVAL;
}

/* Inside a write transaction. */
static int append_in(struct gdfs_store *st,
                     const struct gdfs_store_log_entry *e, size_t n)
{
    struct gdfs_store_log_state o;
    sqlite3_stmt *s;
    int rc = read_numbers(st, &o);

    if (rc != GDFS_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t want = o.last_index + 1 + i;
        uint64_t prev_term = i == 0 ? o.last_term : e[i - 1].term;

        if (e[i].index != want)
            return refuse(st, "log entry out of sequence (index, expected)",
                          e[i].index, want);
        if (e[i].term < prev_term || e[i].term == 0 || e[i].term >= LIMIT ||
            e[i].index >= LIMIT)
            return refuse(st, "log entry's term falls (term, previous)",
                          e[i].term, prev_term);
        if (e[i].len > GDFS_STORE_LOG_ENTRY_MAX ||
            (e[i].len > 0 && e[i].data == NULL))
            return refuse(st, "log entry too large (bytes, limit)", e[i].len,
                          GDFS_STORE_LOG_ENTRY_MAX);
    }
    if ((rc = st_prep(st,
                      "INSERT INTO rlog (idx, term, data) VALUES "
                      "(?1, ?2, ?3)",
                      &s)) != GDFS_OK)
        return rc;
    for (size_t i = 0; i < n && rc == GDFS_OK; i++) {
        sqlite3_bind_int64(s, 1, (sqlite3_int64)e[i].index);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)e[i].term);
        sqlite3_bind_blob(s, 3, e[i].len > 0 ? e[i].data : "", (int)e[i].len,
                          SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = st_fail(st, "append to the record log");
        sqlite3_reset(s);
    }
    st_done(st, s);
    return rc;
}

/* Run @fn inside one durable write transaction. */
static int in_txn(struct gdfs_store *st, bool durable,
                  int (*fn)(struct gdfs_store *st, const void *arg),
                  const void *arg)
{
    int rc = st_begin(st, durable);

    if (rc != GDFS_OK)
        return rc;
    if ((rc = fn(st, arg)) != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    return st_commit(st);
}

struct append_arg {
    const struct gdfs_store_log_entry *e;
    size_t n;
};

static int append_fn(struct gdfs_store *st, const void *arg)
{
    const struct append_arg *a = arg;

    return append_in(st, a->e, a->n);
}

int gdfs_store_log_append(struct gdfs_store *st,
                          const struct gdfs_store_log_entry *e, size_t n)
{
    struct append_arg a = {e, n};

    if (n == 0)
        return GDFS_OK;
    return in_txn(st, true, append_fn, &a);
}

static int delete_from(struct gdfs_store *st, const char *sql, uint64_t idx)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, sql, &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)idx);
    return st_step_done(st, s, "remove record log entries");
}

static int truncate_fn(struct gdfs_store *st, const void *arg)
{
    uint64_t from = *(const uint64_t *)arg;
    struct gdfs_store_log_state o;
    int rc = read_numbers(st, &o);

    if (rc != GDFS_OK)
        return rc;
    if (from <= o.applied || from <= o.snap_index)
        return refuse(st,
                      "refused to remove applied log entries (from, applied)",
                      from, o.applied);
    return delete_from(st, "DELETE FROM rlog WHERE idx >= ?1", from);
}

int gdfs_store_log_truncate(struct gdfs_store *st, uint64_t from)
{
    return in_txn(st, true, truncate_fn, &from);
}

int gdfs_store_log_read(struct gdfs_store *st, uint64_t from, size_t max_bytes,
                        uint8_t *buf, size_t cap,
                        struct gdfs_store_log_entry *out, size_t max,
                        size_t *n)
{
    sqlite3_stmt *s;
    size_t used = 0;
    int rc, step;

    *n = 0;
    if (from >= LIMIT || max == 0)
        return GDFS_OK;
    if ((rc = st_prep(st,
                      "SELECT idx, term, data FROM rlog WHERE idx >= ?1 "
                      "ORDER BY idx LIMIT ?2",
                      &s)) != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const void *data = sqlite3_column_blob(s, 2);
        size_t len = (size_t)sqlite3_column_bytes(s, 2);
        uint64_t idx = (uint64_t)sqlite3_column_int64(s, 0);

        if (idx != from + *n)
            break; /* a gap: never written so; stop before it */
        if (*n > 0 && (used + len > max_bytes || used + len > cap))
            break;
        if (len > cap - used) {
            snprintf(st->errmsg, sizeof(st->errmsg),
                     "log entry %llu (%zu bytes) does not fit the buffer",
                     (unsigned long long)idx, len);
            st_done(st, s);
            return GDFS_ETOOBIG;
        }
        if (len > 0)
            memcpy(buf + used, data, len);
        out[*n].index = idx;
        out[*n].term = (uint64_t)sqlite3_column_int64(s, 1);
        out[*n].data = buf + used;
        out[*n].len = len;
        used += len;
        (*n)++;
    }
    rc = step == SQLITE_ROW || step == SQLITE_DONE
             ? GDFS_OK
             : st_fail(st, "read the record log");
    st_done(st, s);
    return rc;
}

static int set_numbers(struct gdfs_store *st, const char *sql, uint64_t a,
                       uint64_t b)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, sql, &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)a);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)b);
    return st_step_done(st, s, "write the record log's state");
}

struct apply_arg {
    const struct gdfs_store_log_apply *a;
    size_t n;
};

static int apply_fn(struct gdfs_store *st, const void *arg)
{
    const struct apply_arg *x = arg;
    struct gdfs_store_log_state o;
    int rc = read_numbers(st, &o);

    if (rc != GDFS_OK)
        return rc;
    for (size_t i = 0; i < x->n; i++) {
        const struct gdfs_store_log_apply *a = &x->a[i];
        bool changed;

        if (a->index != o.applied + 1 + i || a->index > o.last_index)
            return refuse(st,
                          "log entry applied out of order (index, applied)",
                          a->index, o.applied + i);
        if (a->m != NULL &&
            (rc = st_meta_apply(st, a->term, a->m, &changed)) != GDFS_OK)
            return rc;
    }
    return set_numbers(st, "UPDATE node SET log_applied = ?1 WHERE one = 1",
                       o.applied + x->n, 0);
}

int gdfs_store_log_apply(struct gdfs_store *st,
                         const struct gdfs_store_log_apply *a, size_t n,
                         bool durable)
{
    struct apply_arg x = {a, n};

    if (n == 0)
        return GDFS_OK;
    return in_txn(st, durable, apply_fn, &x);
}

struct snap_arg {
    uint64_t index, term;
    bool install, keep;
};

static int snap_fn(struct gdfs_store *st, const void *arg)
{
    const struct snap_arg *a = arg;
    struct gdfs_store_log_state o;
    int rc = read_numbers(st, &o);

    if (rc != GDFS_OK)
        return rc;
    if (a->index >= LIMIT || a->term >= LIMIT || a->term == 0)
        return refuse(st, "snapshot out of range (index, term)", a->index,
                      a->term);
    if (!a->install && (a->index > o.applied || a->index < o.snap_index))
        return refuse(st, "snapshot past the applied index (index, applied)",
                      a->index, o.applied);
    if ((rc = set_numbers(st,
                          "UPDATE node SET log_snap_index = ?1, "
                          "log_snap_term = ?2 WHERE one = 1",
                          a->index, a->term)) != GDFS_OK)
        return rc;
    if (a->install &&
        (rc = set_numbers(st, "UPDATE node SET log_applied = ?1 WHERE one = 1",
                          a->index, 0)) != GDFS_OK)
        return rc;
    return delete_from(st,
                       a->install && !a->keep
                           ? "DELETE FROM rlog"
                           : "DELETE FROM rlog WHERE idx <= ?1",
                       a->index);
}

int gdfs_store_log_compact(struct gdfs_store *st, uint64_t index,
                           uint64_t term)
{
    struct snap_arg a = {index, term, false, false};

    return in_txn(st, true, snap_fn, &a);
}

int gdfs_store_log_install(struct gdfs_store *st, uint64_t index,
                           uint64_t term, bool keep)
{
    struct snap_arg a = {index, term, true, keep};

    return in_txn(st, true, snap_fn, &a);
}
