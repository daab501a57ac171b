/* Copy inventory: the digests and listings a member's inventory report and
 * the leader's reconciliation compare; see store.h ("copy inventory"). */
#define GDFS_LOG_MODULE "store"
#include <string.h>

#include "hash.h"
#include "pack.h"
#include "store/store_int.h"

#define INV_PAGE 512

void gdfs_inv_key_of(const uint8_t *name, size_t namelen,
                     const struct gdfs_version *v,
                     uint8_t key[GDFS_META_SUM_LEN])
{
    /* "inv" namelen:16 name seq:64 term:64: a copy is its file and
     * version; the tag keeps these sums apart from record sums. */
    uint8_t buf[3 + 2 + GDFS_NAME_MAX + 8 + 8];
    uint8_t h[GDFS_HASH_LEN];
    struct gdfs_pack_writer w;

    gdfs_pack_writer_init(&w, buf, sizeof(buf), 0);
    gdfs_pack_put_bytes(&w, "inv", 3);
    gdfs_pack_put_u16(&w, (uint16_t)namelen);
    gdfs_pack_put_bytes(&w, name, namelen);
    gdfs_pack_put_u64(&w, v->seq);
    gdfs_pack_put_u64(&w, v->term);
    gdfs_hash_sha256(buf, w.off, h);
    memcpy(key, h, GDFS_META_SUM_LEN);
}

void gdfs_inv_digest_add(struct gdfs_meta_digest *d, const uint8_t *name,
                         size_t namelen, const struct gdfs_version *v)
{
    uint8_t key[GDFS_META_SUM_LEN];
    unsigned b = gdfs_meta_bucket(name, namelen);

    gdfs_inv_key_of(name, namelen, v, key);
    for (unsigned i = 0; i < GDFS_META_SUM_LEN; i++)
        d->sum[b][i] ^= key[i];
    d->count[b]++;
}

bool gdfs_inv_names_acked(const struct gdfs_meta *m, const char *member)
{
    for (unsigned i = 0; i < m->nreplicas && i < GDFS_REPLICAS; i++)
        if ((m->acked & (1u << i)) != 0 && strcmp(m->replica[i], member) == 0)
            return true;
    return false;
}

/* Records (non-tombstone) naming the member acked; @held: only those whose
 * version this node holds complete and undamaged. */
static const char *const claimed_sql =
    "SELECT " ST_META_COLS " FROM meta WHERE name > ?1 AND tombstone = 0 "
    "ORDER BY name LIMIT ?2";
static const char *const held_sql =
    "SELECT " ST_META_COLS " FROM meta m WHERE name > ?1 AND tombstone = 0 "
    "AND EXISTS (SELECT 1 FROM versions v WHERE v.name = m.name AND "
    "v.term = m.term AND v.seq = m.seq AND v.state = 1 AND v.damaged = 0) "
    "ORDER BY name LIMIT ?2";

struct claim_walk {
    const char *member;
    uint64_t mask; /* 0: every bucket (digest) */
    struct gdfs_meta_digest *d;
    gdfs_store_inv_cb cb;
    void *ctx;
    bool stopped;
    uint8_t last[GDFS_NAME_MAX];
    size_t lastlen;
};

static int claim_one(void *ctx, const struct gdfs_meta *m)
{
    struct claim_walk *w = ctx;

    memcpy(w->last, m->name, m->namelen);
    w->lastlen = m->namelen;
    if (!gdfs_inv_names_acked(m, w->member))
        return 0;
    if (w->d != NULL) {
        gdfs_inv_digest_add(w->d, m->name, m->namelen, &m->version);
        return 0;
    }
    if ((w->mask >> gdfs_meta_bucket(m->name, m->namelen) & 1) == 0)
        return 0;
    if (w->cb(w->ctx, m->name, m->namelen, &m->version) != 0) {
        w->stopped = true;
        return 1;
    }
    return 0;
}

static int walk_claims(struct gdfs_store *st, bool held, struct claim_walk *w)
{
    bool more = true;
    int rc = GDFS_OK;

    /* In pages, so no read transaction stays open across a big table. */
    while (more && !w->stopped && rc == GDFS_OK)
        rc = st_list_meta(st, held ? held_sql : claimed_sql, w->last,
                          w->lastlen, INV_PAGE, claim_one, w, &more);
    return rc;
}

int gdfs_store_inv_digest(struct gdfs_store *st, const char *member, bool held,
                          struct gdfs_meta_digest *out)
{
    struct claim_walk w = {.member = member, .d = out};

    memset(out, 0, sizeof(*out));
    return walk_claims(st, held, &w);
}

int gdfs_store_inv_claims(struct gdfs_store *st, const char *member,
                          uint64_t mask, gdfs_store_inv_cb cb, void *ctx)
{
    struct claim_walk w = {.member = member,
                           .mask = mask,
                           .cb = cb,
                           .ctx = ctx};

    if (mask == 0)
        return GDFS_OK;
    return walk_claims(st, false, &w);
}

int gdfs_store_inv_copies(struct gdfs_store *st, uint64_t mask, int64_t after,
                          uint32_t max, gdfs_store_inv_cb cb, void *ctx,
                          int64_t *last, bool *more)
{
    uint32_t n = 0;

    *last = after;
    *more = false;
    if (mask == 0)
        return GDFS_OK;
    /* Rows are read in id order and filtered by bucket here (the bucket is
     * a hash SQL does not compute), a page per short read. */
    for (;;) {
        sqlite3_stmt *s;
        unsigned seen = 0;
        bool stop = false;
        int rc = st_prep(st,
                         "SELECT id, name, seq, term FROM versions WHERE "
                         "id > ?1 AND state = 1 AND seq > 0 AND damaged = 0 "
                         "ORDER BY id LIMIT ?2",
                         &s);

        if (rc != GDFS_OK)
            return rc;
        sqlite3_bind_int64(s, 1, *last);
        sqlite3_bind_int64(s, 2, INV_PAGE);
        while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            uint8_t name[GDFS_NAME_MAX];
            size_t len = (size_t)sqlite3_column_bytes(s, 1);
            struct gdfs_version v;

            seen++;
            if (len > GDFS_NAME_MAX)
                len = GDFS_NAME_MAX;
            memcpy(name, sqlite3_column_blob(s, 1), len);
            v.seq = (uint64_t)sqlite3_column_int64(s, 2);
            v.term = (uint64_t)sqlite3_column_int64(s, 3);
            if ((mask >> gdfs_meta_bucket(name, len) & 1) != 0) {
                /* The (max+1)th match is left for the next call. */
                if (n == max) {
                    stop = true;
                    break;
                }
                n++;
                stop = cb(ctx, name, len, &v) != 0;
            }
            *last = sqlite3_column_int64(s, 0);
        }
        if (!stop && rc != SQLITE_DONE && rc != SQLITE_ROW)
            rc = st_fail(st, "list copies for inventory");
        else
            rc = GDFS_OK;
        st_done(st, s);
        if (rc != GDFS_OK)
            return rc;
        if (stop) {
            *more = true;
            return GDFS_OK;
        }
        if (seen < INV_PAGE)
            return GDFS_OK;
    }
}
