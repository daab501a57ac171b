/* Record sync between the leader and the members, and orphan copies; see
 * store.h ("record sync"). */
#define GDFS_LOG_MODULE "store"
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "pack.h"
#include "store/store_int.h"

unsigned gdfs_meta_bucket(const uint8_t *name, size_t namelen)
{
    uint8_t h[GDFS_HASH_LEN];

    gdfs_hash_sha256(name, namelen, h);
    return h[0] % GDFS_META_BUCKETS;
}

void gdfs_meta_digest_add(struct gdfs_meta_digest *d,
                          const struct gdfs_meta *m)
{
    /* namelen:16 name seq:64 term:64 tombstone:8 acked:8 then each
     * replica id and a 0 byte: what a member must agree on. */
    uint8_t buf[2 + GDFS_NAME_MAX + 8 + 8 + 2 +
                GDFS_REPLICAS * (GDFS_NODE_ID_MAX + 1)];
    uint8_t h[GDFS_HASH_LEN];
    struct gdfs_pack_writer w;
    unsigned b = gdfs_meta_bucket(m->name, m->namelen);

    gdfs_pack_writer_init(&w, buf, sizeof(buf), 0);
    gdfs_pack_put_u16(&w, (uint16_t)m->namelen);
    gdfs_pack_put_bytes(&w, m->name, m->namelen);
    gdfs_pack_put_u64(&w, m->version.seq);
    gdfs_pack_put_u64(&w, m->version.term);
    gdfs_pack_put_u8(&w, m->tombstone ? 1 : 0);
    gdfs_pack_put_u8(&w, m->acked);
    for (unsigned i = 0; i < m->nreplicas && i < GDFS_REPLICAS; i++)
        gdfs_pack_put_bytes(&w, m->replica[i], strlen(m->replica[i]) + 1);
    gdfs_hash_sha256(buf, w.off, h);
    /* XOR: the sum does not depend on the order records are added in. */
    for (unsigned i = 0; i < GDFS_META_SUM_LEN; i++)
        d->sum[b][i] ^= h[i];
    d->count[b]++;
}

uint64_t gdfs_meta_digest_diff(const struct gdfs_meta_digest *a,
                               const struct gdfs_meta_digest *b)
{
    uint64_t mask = 0;

    for (unsigned i = 0; i < GDFS_META_BUCKETS; i++)
        if (a->count[i] != b->count[i] ||
            memcmp(a->sum[i], b->sum[i], GDFS_META_SUM_LEN) != 0)
            mask |= (uint64_t)1 << i;
    return mask;
}

struct digest_walk {
    struct gdfs_meta_digest *d;
    uint8_t last[GDFS_NAME_MAX];
    size_t lastlen;
};

static int add_to_digest(void *ctx, const struct gdfs_meta *m)
{
    struct digest_walk *w = ctx;

    gdfs_meta_digest_add(w->d, m);
    memcpy(w->last, m->name, m->namelen);
    w->lastlen = m->namelen;
    return 0;
}

int gdfs_store_meta_digest(struct gdfs_store *st, struct gdfs_meta_digest *out)
{
    struct digest_walk w = {.d = out};
    bool more = true;
    int rc = GDFS_OK;

    memset(out, 0, sizeof(*out));
    /* In pages, so no read transaction stays open across a big table. */
    while (more && rc == GDFS_OK)
        rc = gdfs_store_meta_list(st, w.last, w.lastlen, 512, true,
                                  add_to_digest, &w, &more);
    return rc;
}

int gdfs_store_meta_put_many(struct gdfs_store *st, uint64_t term,
                             const struct gdfs_meta *ms, unsigned n,
                             uint64_t complete, unsigned *applied)
{
    unsigned count = 0;
    int rc;

    if (applied != NULL)
        *applied = 0;
    if ((rc = st_begin(st, true)) != GDFS_OK)
        return rc;
    if ((rc = st_meta_fence(st, term)) != GDFS_OK)
        goto fail;
    for (unsigned i = 0; i < n; i++) {
        bool done = false;

        if ((rc = st_meta_apply(st, term, &ms[i], &done)) != GDFS_OK)
            goto fail;
        count += done;
    }
    if (complete != 0 &&
        (rc = st_pending_drop_stale(st, term, complete)) != GDFS_OK)
        goto fail;
    if ((rc = st_commit(st)) == GDFS_OK && applied != NULL)
        *applied = count;
    return rc;
fail:
    st_rollback(st);
    return rc;
}

int gdfs_store_uncommitted(struct gdfs_store *st, int64_t created_before,
                           uint32_t max, gdfs_store_copy_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = st_prep(st,
                     "SELECT name, seq, term, created FROM versions WHERE "
                     "state = 1 AND committed = 0 AND created < ?1 "
                     "ORDER BY id LIMIT ?2",
                     &s);

    if (rc != GDFS_OK)
        return rc;
    sqlite3_bind_int64(s, 1, created_before);
    sqlite3_bind_int64(s, 2, max);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct gdfs_copy_ref c;
        size_t n = (size_t)sqlite3_column_bytes(s, 0);

        memset(&c, 0, sizeof(c));
        c.namelen = n > GDFS_NAME_MAX ? GDFS_NAME_MAX : n;
        memcpy(c.name, sqlite3_column_blob(s, 0), c.namelen);
        c.version.seq = (uint64_t)sqlite3_column_int64(s, 1);
        c.version.term = (uint64_t)sqlite3_column_int64(s, 2);
        c.created = sqlite3_column_int64(s, 3);
        if (cb(ctx, &c) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? GDFS_OK : st_fail(st, "list uncommitted copies");
    st_done(st, s);
    return rc;
}

int gdfs_store_adopt(struct gdfs_store *st, const struct gdfs_meta *m,
                     unsigned *adopted)
{
    int rc = st_begin(st, false);

    *adopted = 0;
    if (rc != GDFS_OK)
        return rc;
    if ((rc = st_adopt(st, m, adopted)) != GDFS_OK) {
        st_rollback(st);
        return rc;
    }
    return st_commit(st);
}

int gdfs_store_drop_uncommitted(struct gdfs_store *st, const uint8_t *name,
                                size_t namelen, const struct gdfs_version *v,
                                bool *dropped)
{
    sqlite3_stmt *s;
    int64_t id = 0;
    int rc;

    *dropped = false;
    if ((rc = st_begin(st, false)) != GDFS_OK)
        return rc;
    /* Still uncommitted, and no record here names it, committed or
     * accepted (a record that arrived since the caller looked wins; an
     * accepted one, left from before the record log, keeps its data until
     * record sync or a newer record settles it). */
    rc = st_prep_named(
        st,
        "SELECT id FROM versions v WHERE name = ?1 AND seq = ?2 AND "
        "term = ?3 AND state = 1 AND committed = 0 AND NOT EXISTS "
        "(SELECT 1 FROM meta m WHERE m.name = v.name AND "
        "m.seq = v.seq AND m.term = v.term) AND NOT EXISTS "
        "(SELECT 1 FROM pending p WHERE p.name = v.name AND "
        "p.seq = v.seq AND p.term = v.term)",
        name, namelen, v, &s);
    if (rc != GDFS_OK)
        goto fail;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(s, 0);
    st_done(st, s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = st_fail(st, "find uncommitted copy");
        goto fail;
    }
    if (id != 0 && (rc = st_drop_version(st, id)) != GDFS_OK)
        goto fail;
    if ((rc = st_commit(st)) == GDFS_OK)
        *dropped = id != 0;
    return rc;
fail:
    st_rollback(st);
    return rc;
}
