/* Accepted records: the first phase of a record on a member; see store.h
 * ("accepted records") and sql/005-pending.sql. */
#define GDFS_LOG_MODULE "store"
#include <stdio.h>
#include <string.h>

#include "files/collect.h"
#include "store/store_int.h"

/* Inside a write transaction: keep @m as accepted from the leader of
 * @term unless this node already has it or something newer. */
static int accept_one(struct gdfs_store *st, uint64_t term,
                      const struct gdfs_meta *m, bool *stored)
{
    struct gdfs_meta cur;
    enum gdfs_collect_take take;
    int rc = gdfs_store_meta_get(st, m->name, m->namelen, &cur);

    *stored = false;
    if (rc == GDFS_OK) {
        take = gdfs_collect_merge(&cur, m);
        /* Older than the committed record: an overtaken put's record,
         * whose confirmation carries it whole (nothing to collect: the
         * newer one wins). The same record: nothing new. */
        if (take == GDFS_COLLECT_OLDER || take == GDFS_COLLECT_KEEP)
            return GDFS_OK;
    } else if (rc != GDFS_ENOENT) {
        return rc;
    }
    rc = st_meta_row(st, true, m->name, m->namelen, &cur);
    /* Older than the accepted record: that one is newer (an equal one is
     * stored again). */
    if (rc == GDFS_OK && gdfs_collect_merge(&cur, m) == GDFS_COLLECT_OLDER)
        return GDFS_OK;
    if (rc != GDFS_OK && rc != GDFS_ENOENT)
        return rc;
    if ((rc = st_upsert_meta(st, m, term)) == GDFS_OK)
        *stored = true;
    return rc;
}

int gdfs_store_meta_accept(struct gdfs_store *st, uint64_t term,
                           const struct gdfs_meta *m, bool *stored)
{
    return st_meta_write(st, term, m, accept_one, stored);
}

int gdfs_store_meta_list_accepted(struct gdfs_store *st, const uint8_t *after,
                                  size_t afterlen, uint32_t max,
                                  gdfs_store_meta_cb cb, void *ctx, bool *more)
{
    /* Per file the newer of the committed and the accepted record. On the
     * same version the accepted one: it arrived after the committed one
     * (every change to meta drops accepted records of the same version
     * and set), so it is a re-replication's newer replica set. The rule
     * is gdfs_collect_merge's (files/collect.h), in SQL. */
    return st_list_meta(
        st,
        "SELECT " ST_META_COLS " FROM meta m WHERE name > ?1 AND NOT EXISTS "
        "(SELECT 1 FROM pending p WHERE p.name = m.name AND "
        "(p.term, p.seq) >= (m.term, m.seq)) "
        "UNION ALL "
        "SELECT " ST_META_COLS " FROM pending p WHERE name > ?1 AND NOT "
        "EXISTS (SELECT 1 FROM meta m WHERE m.name = p.name AND "
        "(m.term, m.seq) > (p.term, p.seq)) "
        "ORDER BY name LIMIT ?2",
        after, afterlen, max, cb, ctx, more);
}

/* Inside a write transaction: drop the accepted row of @name. */
static int pending_drop(struct gdfs_store *st, const uint8_t *name,
                        size_t namelen)
{
    sqlite3_stmt *s;
    int rc = st_prep_named(st, "DELETE FROM pending WHERE name = ?1", name,
                           namelen, NULL, &s);

    if (rc != GDFS_OK)
        return rc;
    return st_step_done(st, s, "drop accepted record");
}

int gdfs_store_meta_adopt(struct gdfs_store *st, uint64_t term,
                          unsigned *adopted)
{
    int rc, n;

    *adopted = 0;
    if ((rc = st_begin(st, true)) != GDFS_OK)
        return rc;
    if ((rc = st_meta_fence(st, term)) != GDFS_OK)
        goto fail;
    do {
        struct gdfs_meta ms[16];
        sqlite3_stmt *s;

        n = 0;
        if ((rc = st_prep(st,
                          "SELECT " ST_META_COLS " FROM pending "
                          "ORDER BY name LIMIT 16",
                          &s)) != GDFS_OK)
            goto fail;
        while (n < 16 && (rc = sqlite3_step(s)) == SQLITE_ROW)
            st_read_meta(s, &ms[n++]);
        sqlite3_finalize(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            rc = st_fail(st, "list accepted records");
            goto fail;
        }
        for (int i = 0; i < n; i++) {
            struct gdfs_meta cur;
            bool applied = false;

            enum gdfs_collect_take take;

            rc = gdfs_store_meta_get(st, ms[i].name, ms[i].namelen, &cur);
            if (rc != GDFS_OK && rc != GDFS_ENOENT)
                goto fail;
            /* Newer than the committed record, or the same version with
             * another replica set (a re-replication's): ours now, as if
             * collected from a member (files/collect.h). */
            take = gdfs_collect_merge(rc == GDFS_OK ? &cur : NULL, &ms[i]);
            if ((take == GDFS_COLLECT_NEWER || take == GDFS_COLLECT_RESET) &&
                (rc = st_meta_apply(st, term, &ms[i], &applied)) != GDFS_OK)
                goto fail;
            *adopted += applied;
            if ((rc = pending_drop(st, ms[i].name, ms[i].namelen)) != GDFS_OK)
                goto fail;
        }
    } while (n == 16);
    return st_commit(st);
fail:
    st_rollback(st);
    return rc;
}

int gdfs_store_pending_stale(struct gdfs_store *st, uint64_t term,
                             uint64_t *mask)
{
    sqlite3_stmt *s;
    int rc = st_prep(st, "SELECT name FROM pending WHERE aterm < ?1", &s);

    *mask = 0;
    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)term);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        *mask |= (uint64_t)1
                 << gdfs_meta_bucket(sqlite3_column_blob(s, 0),
                                     (size_t)sqlite3_column_bytes(s, 0));
    rc = rc == SQLITE_DONE ? GDFS_OK : st_fail(st, "list accepted records");
    sqlite3_finalize(s);
    return rc;
}

int st_pending_drop_stale(struct gdfs_store *st, uint64_t term,
                          uint64_t complete)
{
    uint8_t last[GDFS_NAME_MAX];
    size_t lastlen = 0;
    bool more = true;

    while (more) {
        uint8_t names[16][GDFS_NAME_MAX];
        size_t lens[16];
        sqlite3_stmt *s;
        int rc, n = 0, seen = 0;

        if ((rc = st_prep(st,
                          "SELECT name FROM pending WHERE aterm < ?1 AND "
                          "name > ?2 ORDER BY name LIMIT 16",
                          &s)) != GDFS_OK)
            return rc;
        sqlite3_bind_int64(s, 1, (sqlite3_int64)term);
        sqlite3_bind_blob(s, 2, last, (int)lastlen, SQLITE_STATIC);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            const void *p = sqlite3_column_blob(s, 0);
            size_t len = (size_t)sqlite3_column_bytes(s, 0);

            if (len > GDFS_NAME_MAX)
                len = GDFS_NAME_MAX;
            seen++;
            memcpy(last, p, len);
            lastlen = len;
            if ((complete >> gdfs_meta_bucket(p, len) & 1) != 0) {
                memcpy(names[n], p, len);
                lens[n++] = len;
            }
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
            return st_fail(st, "list accepted records");
        for (int i = 0; i < n; i++)
            if ((rc = pending_drop(st, names[i], lens[i])) != GDFS_OK)
                return rc;
        more = seen == 16;
    }
    return GDFS_OK;
}
