/* Copies of one version between nodes; see copy.h.
 *
 * One pass over the chunks in index order. A chunk held here that verifies
 * is kept (its checksum goes into the file's hash list); any other is
 * taken from a source stream (RGET_FROM at that index), checked against
 * its SHA-256 and stored. A stream stays open while chunks are needed
 * close together (chunks held here in between are read and dropped) and
 * is closed after a long run of good local chunks. A source that fails is
 * left for the next one, resuming at the same chunk; one that sent a bad
 * chunk may serve later chunks. Memory: one frame, whatever the file size.
 *
 * If every chunk verifies but the hash list does not give the file
 * checksum, some local chunk is wrong together with its stored checksum:
 * the pass is repeated trusting nothing held here. */
#define GDFS_LOG_MODULE "copy"
#include "node/data/copy.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "node/rpc.h"
#include "store/store.h"

/* Good local chunks skipped on an open stream before it is closed (and
 * reopened at the next needed chunk) rather than read and dropped. */
#define SKIP_MAX 8
#define DEAD INT64_MAX

struct copy {
    struct gdfs_store *st;
    struct gdfs_rpc *rpc;
    const struct gdfs_meta *m;
    const char (*srcs)[GDFS_ADDR_MAX + 1];
    unsigned nsrc;
    /* per source: first chunk index it may serve (DEAD: none) and how it
     * last failed */
    int64_t usable_from[GDFS_REPLICATE_SRC_MAX];
    int src_rc[GDFS_REPLICATE_SRC_MAX];
    unsigned cur;            /* source of the stream, or next to try */
    struct gdfs_rpc_conn *c; /* the open stream, or NULL */
    uint32_t c_next;         /* next chunk index the stream delivers */
    uint64_t bytes;
    char name[256];
    char last[768]; /* the last source failure */
};

static void stream_close(struct copy *cp, bool broken)
{
    if (cp->c == NULL)
        return;
    cp->c->broken |= broken;
    gdfs_rpc_close(cp->rpc, cp->c);
    cp->c = NULL;
}

/* Source cp->cur failed at chunk @idx with @rc: a bad chunk rules it out
 * for that chunk only, anything else (or @dead) for the rest of the
 * copy. */
static void source_failed(struct copy *cp, uint32_t idx, int rc, bool dead,
                          const char *what)
{
    unsigned i = cp->cur;

    cp->src_rc[i] = rc;
    cp->usable_from[i] = rc == GDFS_ECORRUPT && !dead ? (int64_t)idx + 1
                                                      : DEAD;
    snprintf(cp->last, sizeof(cp->last), "%s: %s", cp->srcs[i], what);
    gdfs_log(GDFS_LOG_WARN, "copy %s version %llu: source %s", cp->name,
             (unsigned long long)cp->m->version.seq, cp->last);
    stream_close(cp, true);
    cp->cur = (i + 1) % cp->nsrc;
}

/* Why no source could give chunk @idx. */
static int no_source(struct copy *cp, uint32_t idx, char *why, size_t whylen)
{
    bool all_enoent = true, corrupt = false;
    int last = GDFS_ENOREPLICA;

    for (unsigned i = 0; i < cp->nsrc; i++) {
        all_enoent &= cp->src_rc[i] == GDFS_ENOENT;
        corrupt |= cp->src_rc[i] == GDFS_ECORRUPT;
        if (cp->src_rc[i] != GDFS_OK && cp->src_rc[i] != GDFS_ENOENT)
            last = cp->src_rc[i];
    }
    if (cp->nsrc > 0 && all_enoent) {
        snprintf(why, whylen,
                 "none of the %u sources holds version %llu (last: %s)",
                 cp->nsrc, (unsigned long long)cp->m->version.seq, cp->last);
        return GDFS_ENOENT;
    }
    snprintf(why, whylen, "no source had a good copy of chunk %u (last: %s)",
             idx, cp->nsrc > 0 ? cp->last : "no sources given");
    return corrupt ? GDFS_ECORRUPT : last;
}

/* Open a stream at chunk @idx from the next usable source. */
static int stream_open(struct copy *cp, uint32_t idx, char *why, size_t whylen)
{
    const struct gdfs_meta *m = cp->m;

    for (unsigned tries = 0; tries < cp->nsrc; tries++) {
        struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_RGET_FROM}, r;
        char err[600];
        int rc;

        if (cp->usable_from[cp->cur] > (int64_t)idx) {
            cp->cur = (cp->cur + 1) % cp->nsrc;
            continue;
        }
        req.u.rget.version = m->version;
        req.u.rget.name.p = m->name;
        req.u.rget.name.len = m->namelen;
        req.u.rget.first = idx;
        rc = gdfs_rpc_call(cp->rpc, cp->srcs[cp->cur], &req,
                           GDFS_MSG_NDTOCL_GET_INFO, &r, &cp->c,
                           gdfs_rpc_io_ms(cp->rpc), err, sizeof(err));
        if (rc != GDFS_OK) {
            source_failed(cp, idx, rc, false, err);
            continue;
        }
        if (r.u.get_info.size != m->size ||
            r.u.get_info.nchunks != m->nchunks ||
            memcmp(r.u.get_info.sha256, m->sha256, GDFS_SHA256_LEN) != 0) {
            source_failed(cp, idx, GDFS_ECORRUPT, true,
                          "holds different bytes under that version");
            continue;
        }
        cp->c_next = idx;
        return GDFS_OK;
    }
    return no_source(cp, idx, why, whylen);
}

/* Chunk @idx from a source, checked: *out's pointers live in cp->c->in
 * until the next call. */
static int fetch(struct copy *cp, uint32_t idx, struct gdfs_msg *out,
                 char *why, size_t whylen)
{
    /* The record's shape was checked at decode (or comes from a store
     * that holds it): every chunk but the last is full. */
    uint32_t due = gdfs_proto_chunk_len(cp->m->size, cp->m->chunk_size,
                                        cp->m->nchunks, idx);

    for (;;) {
        uint8_t sha[GDFS_SHA256_LEN];
        int rc;

        if (cp->c == NULL &&
            (rc = stream_open(cp, idx, why, whylen)) != GDFS_OK)
            return rc;
        rc = gdfs_rpc_recv(cp->c, GDFS_MSG_CHUNK, out,
                           gdfs_rpc_io_ms(cp->rpc));
        if (rc == GDFS_OK && out->u.chunk.idx != cp->c_next) {
            rc = GDFS_EPROTO;
            snprintf(cp->c->errmsg, sizeof(cp->c->errmsg),
                     "sent chunk %u where chunk %u was due", out->u.chunk.idx,
                     cp->c_next);
        }
        if (rc != GDFS_OK) {
            source_failed(cp, cp->c_next, rc, false, cp->c->errmsg);
            continue;
        }
        if (cp->c_next++ < idx)
            continue; /* held here and good: dropped */
        gdfs_hash_sha256(out->u.chunk.data.p, out->u.chunk.data.len, sha);
        if (memcmp(sha, out->u.chunk.sha256, sizeof(sha)) != 0 ||
            out->u.chunk.data.len != due) {
            char what[96];

            if (out->u.chunk.data.len != due)
                snprintf(what, sizeof(what), "chunk %u has %zu bytes, %u due",
                         idx, out->u.chunk.data.len, due);
            else
                snprintf(what, sizeof(what), "chunk %u fails its checksum",
                         idx);
            source_failed(cp, idx, GDFS_ECORRUPT, false, what);
            continue;
        }
        return GDFS_OK;
    }
}

/* One pass; *@redo is set when the chunks verify one by one but do not add
 * up to the file checksum while local chunks were trusted. */
static int copy_pass(struct copy *cp, bool trust_local, bool *redo, char *why,
                     size_t whylen)
{
    const struct gdfs_meta *m = cp->m;
    struct gdfs_store_version local;
    struct gdfs_hash list;
    uint8_t top[GDFS_SHA256_LEN];
    int64_t dest = 0; /* new version row, or staging row of a repair */
    bool have_local;
    unsigned run = 0;
    int rc;

    *redo = false;
    rc = gdfs_store_lookup_exact(cp->st, m->name, m->namelen, &m->version,
                                 &local);
    if (rc != GDFS_OK && rc != GDFS_ENOENT) {
        snprintf(why, whylen, "%s", gdfs_store_errmsg(cp->st));
        return rc;
    }
    have_local = rc == GDFS_OK;
    if (have_local &&
        (local.nchunks != m->nchunks || local.size != m->size ||
         memcmp(local.sha256, m->sha256, GDFS_SHA256_LEN) != 0)) {
        snprintf(why, whylen,
                 "the copy held here (%u chunks, %llu bytes) does not match "
                 "the record (%u chunks, %llu bytes)",
                 local.nchunks, (unsigned long long)local.size, m->nchunks,
                 (unsigned long long)m->size);
        return GDFS_ECORRUPT;
    }
    if (!have_local) {
        struct gdfs_store_version v;
        uint32_t chunk_size = m->chunk_size ? m->chunk_size : GDFS_CHUNK_MIN;

        rc = gdfs_store_put_begin(cp->st, m->name, m->namelen, chunk_size,
                                  &m->version, &v);
        if (rc != GDFS_OK) {
            snprintf(why, whylen, "%s", gdfs_store_errmsg(cp->st));
            return rc;
        }
        dest = v.id;
    }
    if ((rc = gdfs_hash_init(&list)) != GDFS_OK) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    for (uint32_t idx = 0; idx < m->nchunks; idx++) {
        struct gdfs_msg ch;

        if (have_local) {
            rc = gdfs_store_verify_chunk(cp->st, local.id, idx, top);
            if (rc == GDFS_OK && trust_local) {
                gdfs_hash_update(&list, top, sizeof(top));
                if (cp->c != NULL && ++run > SKIP_MAX)
                    stream_close(cp, true);
                continue;
            }
            if (rc != GDFS_OK && rc != GDFS_ECORRUPT && rc != GDFS_ENOENT) {
                snprintf(why, whylen, "%s", gdfs_store_errmsg(cp->st));
                goto fail_hash;
            }
            if (rc != GDFS_OK)
                gdfs_log(GDFS_LOG_NOTICE, "copy %s version %llu: %s", cp->name,
                         (unsigned long long)m->version.seq,
                         gdfs_store_errmsg(cp->st));
            if (dest == 0 &&
                (rc = gdfs_store_replace_begin(cp->st, local.id, &dest)) !=
                    GDFS_OK) {
                snprintf(why, whylen, "%s", gdfs_store_errmsg(cp->st));
                goto fail_hash;
            }
        }
        run = 0;
        if ((rc = fetch(cp, idx, &ch, why, whylen)) != GDFS_OK)
            goto fail_hash;
        rc = gdfs_store_put_chunk(cp->st, dest, idx, ch.u.chunk.sha256,
                                  ch.u.chunk.data.p, ch.u.chunk.data.len);
        if (rc != GDFS_OK) {
            snprintf(why, whylen, "store chunk %u: %s", idx,
                     gdfs_store_errmsg(cp->st));
            goto fail_hash;
        }
        gdfs_hash_update(&list, ch.u.chunk.sha256, GDFS_SHA256_LEN);
        cp->bytes += ch.u.chunk.data.len;
    }
    /* A stream read to its end is in step and can be pooled. */
    stream_close(cp, cp->c != NULL && cp->c_next < m->nchunks);
    gdfs_hash_final(&list, top);
    if (memcmp(top, m->sha256, sizeof(top)) != 0) {
        *redo = have_local && trust_local;
        snprintf(why, whylen,
                 "the chunks do not add up to the file's checksum");
        rc = GDFS_ECORRUPT;
        goto fail;
    }
    if (!have_local)
        rc = gdfs_store_put_commit(cp->st, dest, m->size, m->nchunks,
                                   m->sha256, NULL);
    else if (dest != 0)
        rc = gdfs_store_replace_commit(cp->st, local.id, dest);
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "commit: %s", gdfs_store_errmsg(cp->st));
        if (rc == GDFS_ENOENT)
            return rc; /* collected meanwhile; staging row dropped */
        goto fail;
    }
    return GDFS_OK;
fail_hash:
    gdfs_hash_discard(&list);
fail:
    stream_close(cp, true);
    if (dest != 0 && gdfs_store_put_abort(cp->st, dest) != GDFS_OK)
        gdfs_log(GDFS_LOG_WARN,
                 "copy %s: drop the unfinished copy: %s (removed at "
                 "restart)",
                 cp->name, gdfs_store_errmsg(cp->st));
    return rc;
}

int gdfs_copy_version(struct gdfs_store *st, struct gdfs_records *records,
                      const struct gdfs_meta *m,
                      const char (*srcs)[GDFS_ADDR_MAX + 1], unsigned nsrc,
                      uint64_t *bytes, char *why, size_t whylen)
{
    struct copy cp = {.st = st,
                      .rpc = gdfs_records_rpc(records),
                      .m = m,
                      .srcs = srcs};
    bool redo = false;
    int rc;

    if (bytes != NULL)
        *bytes = 0;
    cp.nsrc = nsrc > GDFS_REPLICATE_SRC_MAX ? GDFS_REPLICATE_SRC_MAX : nsrc;
    /* Before anything else: a copy is never made from, and no connection
     * ever opened to, an address a peer chose outside the group. */
    for (unsigned i = 0; i < cp.nsrc; i++)
        if (!gdfs_records_member_at(records, srcs[i])) {
            snprintf(why, whylen,
                     "source %s is not the address of a current member of "
                     "the group as this node knows it (not dialled)",
                     srcs[i]);
            return GDFS_EINVAL;
        }
    if (m->tombstone)
        return GDFS_OK;
    snprintf(cp.name, sizeof(cp.name), "%.*s%s",
             (int)(m->namelen > 200 ? 200 : m->namelen), (const char *)m->name,
             m->namelen > 200 ? "..." : "");
    rc = copy_pass(&cp, true, &redo, why, whylen);
    if (rc != GDFS_OK && redo) {
        gdfs_log(GDFS_LOG_WARN,
                 "copy %s version %llu: the copy held here verifies chunk "
                 "by chunk but not as a whole; fetching every chunk",
                 cp.name, (unsigned long long)m->version.seq);
        rc = copy_pass(&cp, false, &redo, why, whylen);
    }
    if (bytes != NULL)
        *bytes = cp.bytes;
    return rc;
}

int gdfs_copy_wait_ms(int io_ms, uint64_t size)
{
    uint64_t ms = (uint64_t)(io_ms > 0 ? io_ms : 0) + (size >> 20) * 1000;

    return ms > INT_MAX ? INT_MAX : (int)ms;
}
