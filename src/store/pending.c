/* Accepted records (sql/005-pending.sql): records a leader sent a member
 * before the record log, kept until that leader confirmed them. Members
 * no longer accept any; the rows a node may still hold from then go when
 * record sync settles their buckets (st_pending_drop_stale) or a record
 * of their file is applied (meta.c). */
#define GDFS_LOG_MODULE "store"
#include <string.h>

#include "store/store_int.h"

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
        st_done(st, s);
        if (rc != SQLITE_DONE)
            return st_fail(st, "list accepted records");
        for (int i = 0; i < n; i++)
            if ((rc = pending_drop(st, names[i], lens[i])) != GDFS_OK)
                return rc;
        more = seen == 16;
    }
    return GDFS_OK;
}
