/* Store verbs for checking copies: what a node holds of a file (probes,
 * from version rows only) and the walk a scrub makes over every complete
 * copy, with its damage marks. See store.h ("checking copies") and
 * sql/004-scrub.sql. */
#define GDFS_LOG_MODULE "store"
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

int gdfs_store_probe(struct gdfs_store *st, const uint8_t *name,
                     size_t namelen, const struct gdfs_version *v,
                     uint8_t *have, struct gdfs_version *newest,
                     bool *tombstone)
{
    sqlite3_stmt *s;
    int rc;

    *have = GDFS_PROBE_ABSENT;
    newest->seq = newest->term = 0;
    *tombstone = false;
    /* The newest committed visible version, as gdfs_store_lookup sees it,
     * tombstones included; then the exact one asked for, with its mark. */
    rc = st_prep_named(st,
                       "SELECT seq, term, state FROM versions WHERE name = ?1 "
                       "AND state > 0 AND committed = 1 "
                       "ORDER BY term DESC, seq DESC LIMIT 1",
                       name, namelen, NULL, &s);
    if (rc != GDFS_OK)
        return rc;
    /* No row is an answer here (absent), not an error. */
    rc = st_step_row(st, s, "probe newest version", NULL);
    if (rc == GDFS_OK) {
        newest->seq = (uint64_t)sqlite3_column_int64(s, 0);
        newest->term = (uint64_t)sqlite3_column_int64(s, 1);
        *tombstone = sqlite3_column_int(s, 2) == GDFS_VERSION_TOMBSTONE;
    }
    st_done(st, s);
    if (rc == GDFS_ENOENT)
        rc = GDFS_OK;
    if (rc != GDFS_OK || v == NULL)
        return rc;
    rc = st_prep_named(
        st,
        "SELECT damaged FROM versions WHERE name = ?1 AND seq = ?2 "
        "AND term = ?3 AND state = 1",
        name, namelen, v, &s);
    if (rc != GDFS_OK)
        return rc;
    rc = st_step_row(st, s, "probe version", NULL);
    if (rc == GDFS_OK)
        *have = sqlite3_column_int64(s, 0) > 0 ? GDFS_PROBE_DAMAGED
                                               : GDFS_PROBE_COMPLETE;
    st_done(st, s);
    return rc == GDFS_ENOENT ? GDFS_OK : rc;
}

/* Which copies a scrub checks: complete ones, committed or old enough. */
#define COPIES_WHERE                                                          \
    "state = 1 AND seq > 0 AND (committed = 1 OR created <= ?2)"

int gdfs_store_copies(struct gdfs_store *st, int64_t after, int64_t min_age_s,
                      struct gdfs_store_copy *out, unsigned max, unsigned *n)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT name, committed, damaged, " ST_VERSION_COLS
                     " FROM versions WHERE id > ?1 AND " COPIES_WHERE
                     " ORDER BY id LIMIT ?3",
                     &s);

    *n = 0;
    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL) - min_age_s);
    sqlite3_bind_int64(s, 3, max);
    while (*n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct gdfs_store_copy *c = &out[*n];
        size_t len = (size_t)sqlite3_column_bytes(s, 0);

        c->namelen = len > GDFS_NAME_MAX ? GDFS_NAME_MAX : len;
        memcpy(c->name, sqlite3_column_blob(s, 0), c->namelen);
        c->committed = sqlite3_column_int(s, 1) != 0;
        c->damaged = (uint32_t)sqlite3_column_int64(s, 2);
        st_read_version(s, 3, &c->v);
        (*n)++;
    }
    rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? GDFS_OK
                                                 : st_fail(st, "list copies");
    st_done(st, s);
    return rc;
}

int gdfs_store_copies_chunks(struct gdfs_store *st, int64_t min_age_s,
                             uint64_t *chunks)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT coalesce(sum(nchunks), 0) FROM versions "
                     "WHERE id > ?1 AND " COPIES_WHERE,
                     &s);

    *chunks = 0;
    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, 0);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL) - min_age_s);
    if (sqlite3_step(s) == SQLITE_ROW)
        *chunks = (uint64_t)sqlite3_column_int64(s, 0);
    else
        rc = st_fail(st, "count chunks to check");
    st_done(st, s);
    return rc;
}

int gdfs_store_mark_damaged(struct gdfs_store *st, int64_t vid, uint32_t bad)
{
    sqlite3_stmt *s;
    int rc = st_begin(st, true);

    if (rc != GDFS_OK)
        return rc;
    rc = st_prep(st, "UPDATE versions SET damaged = ?2 WHERE id = ?1", &s);
    if (rc == GDFS_OK) {
        sqlite3_bind_int64(s, 1, vid);
        sqlite3_bind_int64(s, 2, bad);
        rc = st_step_done(st, s, "mark copy damaged");
    }
    if (rc == GDFS_OK && sqlite3_changes(st->db) != 1) {
        snprintf(st->errmsg, sizeof(st->errmsg), "version row %lld is gone",
                 (long long)vid);
        rc = GDFS_ENOENT;
    }
    if (rc != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    return st_commit(st);
}
