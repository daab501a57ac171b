/* Metadata records and the leader-term promise; see store.h
 * ("metadata records") and sql/003-replication.sql. */
#define GDFS_LOG_MODULE "store"
#include <stdio.h>
#include <string.h>

#include "files/collect.h"
#include "store/store_int.h"

/* Replica ids are stored joined by ','; ids never contain one. */
static void join_ids(const struct gdfs_meta *m, char *out, size_t cap)
{
    size_t len = 0;

    out[0] = '\0';
    for (unsigned i = 0; i < m->nreplicas && i < GDFS_REPLICAS; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "",
                                m->replica[i]);
}

static void split_ids(const char *s, struct gdfs_meta *m)
{
    m->nreplicas = 0;
    while (s != NULL && *s != '\0' && m->nreplicas < GDFS_REPLICAS) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);

        if (n > GDFS_NODE_ID_MAX)
            n = GDFS_NODE_ID_MAX;
        memcpy(m->replica[m->nreplicas], s, n);
        m->replica[m->nreplicas][n] = '\0';
        m->nreplicas++;
        s = comma ? comma + 1 : NULL;
    }
}

#define META_COLS ST_META_COLS

void st_read_meta(sqlite3_stmt *s, struct gdfs_meta *m)
{
    const void *sha = sqlite3_column_blob(s, 6);
    size_t n = (size_t)sqlite3_column_bytes(s, 0);

    memset(m, 0, sizeof(*m));
    m->namelen = n > GDFS_NAME_MAX ? GDFS_NAME_MAX : n;
    memcpy(m->name, sqlite3_column_blob(s, 0), m->namelen);
    m->version.seq = (uint64_t)sqlite3_column_int64(s, 1);
    m->version.term = (uint64_t)sqlite3_column_int64(s, 2);
    m->size = (uint64_t)sqlite3_column_int64(s, 3);
    m->chunk_size = (uint32_t)sqlite3_column_int64(s, 4);
    m->nchunks = (uint32_t)sqlite3_column_int64(s, 5);
    if (sha != NULL && sqlite3_column_bytes(s, 6) == GDFS_SHA256_LEN)
        memcpy(m->sha256, sha, GDFS_SHA256_LEN);
    m->tombstone = sqlite3_column_int(s, 7) != 0;
    m->acked = (uint8_t)sqlite3_column_int(s, 8);
    split_ids((const char *)sqlite3_column_text(s, 9), m);
}

static int get_meta_term(struct gdfs_store *st, uint64_t *term)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "SELECT meta_term FROM node WHERE one = 1", &s);

    if (rc != GDFS_OK)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *term = (uint64_t)sqlite3_column_int64(s, 0);
    } else {
        snprintf(st->errmsg, sizeof(st->errmsg), "node is not initialised");
        rc = GDFS_ENOENT;
    }
    st_done(st, s);
    return rc;
}

int st_meta_fence(struct gdfs_store *st, uint64_t term)
{
    uint64_t cur = 0;
    sqlite3_stmt *s;
    int rc = get_meta_term(st, &cur);

    if (rc != GDFS_OK)
        return rc;
    if (term < cur) {
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "term %llu is stale: this node follows the leader of term "
                 "%llu",
                 (unsigned long long)term, (unsigned long long)cur);
        return GDFS_ESTALE;
    }
    if (term == cur)
        return GDFS_OK;
    if ((rc = st_prep(st, "UPDATE node SET meta_term = ?1 WHERE one = 1",
                      &s)) != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)term);
    return st_step_done(st, s, "promise term");
}

int gdfs_store_meta_get(struct gdfs_store *st, const uint8_t *name,
                        size_t namelen, struct gdfs_meta *out)
{
    sqlite3_stmt *s;
    int rc = st_prep_named(st,
                           "SELECT " META_COLS " FROM meta WHERE name = ?1",
                           name, namelen, NULL, &s);

    if (rc != GDFS_OK)
        return rc;
    rc = st_step_row(st, s, "read record", "no such file");
    if (rc == GDFS_OK)
        st_read_meta(s, out);
    st_done(st, s);
    return rc;
}

/* Inside a write transaction: store @m as its file's record, replacing
 * the row. */
static int upsert_meta(struct gdfs_store *st, const struct gdfs_meta *m)
{
    char ids[GDFS_REPLICAS * (GDFS_NODE_ID_MAX + 1) + 1];
    sqlite3_stmt *s;
    int rc =
        st_prep_named(st,
                      "INSERT OR REPLACE INTO meta (" META_COLS
                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                      m->name, m->namelen, &m->version, &s);

    if (rc != GDFS_OK)
        return rc;
    join_ids(m, ids, sizeof(ids));
    sqlite3_bind_int64(s, 4, (sqlite3_int64)m->size);
    sqlite3_bind_int64(s, 5, m->chunk_size);
    sqlite3_bind_int64(s, 6, m->nchunks);
    sqlite3_bind_blob(s, 7, m->sha256, GDFS_SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_int(s, 8, m->tombstone);
    sqlite3_bind_int(s, 9, m->acked);
    sqlite3_bind_text(s, 10, ids, -1, SQLITE_STATIC);
    return st_step_done(st, s, "store record");
}

/* Inside a write transaction: the record of @m's file now names
 * m->version. Commit this node's copy of it, or for a tombstone drop every
 * older copy. */
static int apply_locally(struct gdfs_store *st, const struct gdfs_meta *m)
{
    sqlite3_stmt *s;
    int rc;

    if (m->tombstone)
        /* Every complete copy older than it goes (copies still being
         * written belong to puts that lost the race and fail when they
         * commit). */
        return st_drop_selected(st,
                                "SELECT id FROM versions WHERE name = ?1 AND "
                                "state > 0 AND seq > 0 AND "
                                "(term, seq) < (?3, ?2) LIMIT 64",
                                m->name, m->namelen,
                                (sqlite3_int64)m->version.seq,
                                (sqlite3_int64)m->version.term,
                                "list removed copies");
    rc = st_prep_named(st,
                       "UPDATE versions SET committed = 1 WHERE name = ?1 AND "
                       "seq = ?2 AND term = ?3 AND state = 1",
                       m->name, m->namelen, &m->version, &s);
    if (rc != GDFS_OK)
        return rc;
    if ((rc = st_step_done(st, s, "commit copy")) != GDFS_OK)
        return rc;
    return st_collect(st, m->name, m->namelen, st->opts.keep_versions);
}

/* Inside a write transaction: drop this node's copy of exactly m->version. */
static int drop_exact(struct gdfs_store *st, const struct gdfs_meta *m)
{
    return st_drop_selected(st,
                            "SELECT id FROM versions WHERE name = ?1 AND "
                            "seq = ?2 AND term = ?3 AND state > 0 LIMIT 64",
                            m->name, m->namelen, (sqlite3_int64)m->version.seq,
                            (sqlite3_int64)m->version.term,
                            "find overtaken copy");
}

/* Inside a write transaction: the leader of @term confirmed @m. Accepted
 * records of its file left from before the record log (pending.c) that it
 * supersedes go: older versions, the same record, and any from an older
 * term's leader (one that leader never confirmed here). An accepted record
 * of the same version with another replica set from this term stays. */
static int prune_pending(struct gdfs_store *st, uint64_t term,
                         const struct gdfs_meta *m)
{
    char ids[GDFS_REPLICAS * (GDFS_NODE_ID_MAX + 1) + 1];
    sqlite3_stmt *s;
    int rc =
        st_prep_named(st,
                      "DELETE FROM pending WHERE name = ?1 AND (aterm < ?4 OR "
                      "(term, seq) < (?3, ?2) OR ((term, seq) = (?3, ?2) AND "
                      "replicas = ?5 AND acked = ?6 AND tombstone = ?7))",
                      m->name, m->namelen, &m->version, &s);

    if (rc != GDFS_OK)
        return rc;
    join_ids(m, ids, sizeof(ids));
    sqlite3_bind_int64(s, 4, (sqlite3_int64)term);
    sqlite3_bind_text(s, 5, ids, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 6, m->acked);
    sqlite3_bind_int(s, 7, m->tombstone);
    return st_step_done(st, s, "drop superseded accepted record");
}

int st_meta_apply(struct gdfs_store *st, uint64_t term,
                  const struct gdfs_meta *m, bool *applied)
{
    struct gdfs_meta cur;
    enum gdfs_collect_take take;
    int rc;

    *applied = false;
    if ((rc = prune_pending(st, term, m)) != GDFS_OK)
        return rc;
    rc = gdfs_store_meta_get(st, m->name, m->namelen, &cur);
    if (rc != GDFS_OK && rc != GDFS_ENOENT)
        return rc;
    /* The merge rule is files/collect.h's. */
    take = gdfs_collect_merge(rc == GDFS_OK ? &cur : NULL, m);
    if (take == GDFS_COLLECT_OLDER)
        /* A newer record is stored: this version was overtaken by a put
         * allocated after it that committed first. It is still a
         * committed version (its put is acknowledged), older than the
         * newest: kept as history, or dropped behind a tombstone. */
        return cur.tombstone ? drop_exact(st, m) : apply_locally(st, m);
    if (take == GDFS_COLLECT_KEEP)
        return GDFS_OK;
    if ((rc = upsert_meta(st, m)) != GDFS_OK)
        return rc;
    if (take == GDFS_COLLECT_NEWER && (rc = apply_locally(st, m)) != GDFS_OK)
        return rc;
    *applied = true;
    return GDFS_OK;
}

int gdfs_store_meta_put(struct gdfs_store *st, uint64_t term,
                        const struct gdfs_meta *m, bool *applied)
{
    unsigned n = 0;
    int rc = gdfs_store_meta_put_many(st, term, m, 1, 0, &n);

    if (applied != NULL)
        *applied = rc == GDFS_OK && n > 0;
    return rc;
}

int st_list_meta(struct gdfs_store *st, const char *sql, const uint8_t *after,
                 size_t afterlen, uint32_t max, gdfs_store_meta_cb cb,
                 void *ctx, bool *more)
{
    sqlite3_stmt *s;
    uint32_t n = 0;
    int rc = st_prep(st, sql, &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_blob(s, 1, after ? (const void *)after : "", (int)afterlen,
                      SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, max);
    *more = false;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct gdfs_meta m;

        st_read_meta(s, &m);
        n++;
        if (cb(ctx, &m) != 0) {
            *more = true;
            rc = SQLITE_DONE;
            break;
        }
    }
    if (n == max)
        *more = true;
    rc = rc == SQLITE_DONE ? GDFS_OK : st_fail(st, "list records");
    st_done(st, s);
    return rc;
}

int gdfs_store_meta_list(struct gdfs_store *st, const uint8_t *after,
                         size_t afterlen, uint32_t max, bool tombstones,
                         gdfs_store_meta_cb cb, void *ctx, bool *more)
{
    return st_list_meta(st,
                        tombstones ? "SELECT " META_COLS " FROM meta WHERE "
                                     "name > ?1 ORDER BY name LIMIT ?2"
                                   : "SELECT " META_COLS " FROM meta WHERE "
                                     "name > ?1 AND tombstone = 0 "
                                     "ORDER BY name LIMIT ?2",
                        after, afterlen, max, cb, ctx, more);
}

int gdfs_store_max_seq(struct gdfs_store *st, uint64_t *seq)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT max(coalesce((SELECT max(seq) FROM meta), 0), "
                     "coalesce((SELECT max(seq) FROM versions), 0), "
                     "(SELECT last_seq FROM node WHERE one = 1))",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW)
        *seq = (uint64_t)sqlite3_column_int64(s, 0);
    else
        rc = st_fail(st, "highest version");
    st_done(st, s);
    return rc;
}
