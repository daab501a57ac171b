/* A version's chunks on a connection: receiving a put's CHUNK frames up
 * to its PUT_END, and sending a stored version as GET_INFO + CHUNK
 * frames, each chunk checked against its SHA-256; see stream.h. */
#define GDFS_LOG_MODULE "node"
#include "node/data/stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "net.h"
#include "store/store.h"

/* ---- put ----------------------------------------------------------------- */

/* After a failed put, read and drop the client's remaining CHUNK frames up
 * to its PUT_END (or until it gives up), so that the connection stays in
 * step and the ERROR we sent is read rather than lost in a reset. */
int gdfs_drain_put(struct gdfs_session *s)
{
    for (;;) {
        struct gdfs_msg m;
        int rc = gdfs_net_recv_msg(s->conn, s->in, s->incap, s->max_payload,
                                   gdfs_session_io_ms(s),
                                   gdfs_session_io_ms(s), &m);

        if (rc != GDFS_OK)
            return rc;
        if (m.type == GDFS_MSG_CLTOND_PUT_END)
            return GDFS_OK;
        if (m.type != GDFS_MSG_CHUNK)
            return GDFS_EPROTO;
    }
}

int gdfs_receive_chunks(struct gdfs_session *s, uint32_t chunk_size,
                        const struct gdfs_chunk_sink *sink,
                        struct gdfs_msg *end, bool *in_step, char *why,
                        size_t whylen)
{
    struct gdfs_hash list;
    uint8_t sha[GDFS_SHA256_LEN];
    uint64_t size = 0;
    uint32_t idx = 0, last_len = chunk_size;
    int rc;

    /* in_step: the client's stream is between frames we understand, so
     * after an error the rest of its chunks can be drained. */
    *in_step = true;
    if ((rc = gdfs_hash_init(&list)) != GDFS_OK) {
        snprintf(why, whylen, "out of memory");
        return rc;
    }
    for (;;) {
        /* Between chunks a sender may wait on its own input (put - from
         * a slow pipe): allow it the idle timeout; within a chunk, the
         * I/O timeout. */
        rc = gdfs_net_recv_msg(s->conn, s->in, s->incap, s->max_payload,
                               (int)s->cfg->idle_timeout_ms,
                               gdfs_session_io_ms(s), end);
        if (rc != GDFS_OK) {
            snprintf(why, whylen, "%s", s->conn->errmsg);
            *in_step = false;
            goto out;
        }
        if (end->type == GDFS_MSG_CLTOND_PUT_END)
            break;
        rc = GDFS_EPROTO;
        if (end->type != GDFS_MSG_CHUNK) {
            *in_step = false;
            snprintf(why, whylen, "expected CHUNK or PUT_END, got %s",
                     gdfs_proto_type_name(end->type));
            goto out;
        }
        /* Chunks arrive in order, all full but the last. */
        if (end->u.chunk.idx != idx || last_len != chunk_size ||
            end->u.chunk.data.len > chunk_size) {
            snprintf(why, whylen,
                     "chunk %u out of order or mis-sized (expected chunk %u "
                     "of at most %u bytes, previous ones full)",
                     end->u.chunk.idx, idx, chunk_size);
            goto out;
        }
        if (sink->unverified)
            memcpy(sha, end->u.chunk.sha256, sizeof(sha));
        else
            gdfs_hash_sha256(end->u.chunk.data.p, end->u.chunk.data.len, sha);
        if (memcmp(sha, end->u.chunk.sha256, sizeof(sha)) != 0) {
            rc = GDFS_ECORRUPT;
            snprintf(why, whylen, "chunk %u: checksum mismatch in transit",
                     idx);
            goto out;
        }
        rc = sink->chunk(sink->ctx, idx, sha, end->u.chunk.data.p,
                         end->u.chunk.data.len, s->in,
                         GDFS_PROTO_CHUNK_OVERHEAD + end->u.chunk.data.len,
                         why, whylen);
        if (rc != GDFS_OK)
            goto out;
        gdfs_hash_update(&list, sha, sizeof(sha));
        last_len = (uint32_t)end->u.chunk.data.len;
        size += end->u.chunk.data.len;
        idx++;
    }
    gdfs_hash_final(&list, sha);
    if (end->u.put_end.size != size || end->u.put_end.nchunks != idx) {
        snprintf(why, whylen,
                 "client says %llu bytes in %u chunks, node received %llu "
                 "bytes in %u chunks",
                 (unsigned long long)end->u.put_end.size,
                 end->u.put_end.nchunks, (unsigned long long)size, idx);
        return GDFS_EPROTO;
    }
    if (memcmp(sha, end->u.put_end.sha256, sizeof(sha)) != 0) {
        snprintf(why, whylen, "file checksum mismatch");
        return GDFS_ECORRUPT;
    }
    return GDFS_OK;
out:
    gdfs_hash_discard(&list);
    return rc;
}

int gdfs_send_version(struct gdfs_session *s, uint32_t reqid,
                      const struct gdfs_store_version *v, const char *name)
{
    return gdfs_send_version_from(s, reqid, v, name, 0);
}

#define SNAPSHOT_CHUNKS 16 /* 4 MiB at the default chunk size */

int gdfs_load_chunk(struct gdfs_session *s, uint32_t reqid,
                    const struct gdfs_store_version *v, uint32_t idx,
                    const char *name, uint8_t sha256[GDFS_SHA256_LEN],
                    size_t *framelen, char *why, size_t whylen)
{
    uint8_t *data = s->out + GDFS_PROTO_CHUNK_OVERHEAD;
    uint8_t actual[GDFS_SHA256_LEN];
    uint32_t due;
    size_t len;
    int rc;

    /* A stream longer than SNAPSHOT_CHUNKS chunks does not hold one read
     * snapshot throughout (it would keep the WAL from being checkpointed
     * while a slow client reads). */
    rc = idx > 0 && idx % SNAPSHOT_CHUNKS == 0
             ? gdfs_store_snapshot_renew(s->st, v)
             : GDFS_OK;
    if (rc == GDFS_OK)
        rc = gdfs_store_read_chunk(s->st, v->id, idx, data,
                                   s->outcap - GDFS_PROTO_CHUNK_OVERHEAD, &len,
                                   sha256);
    if (rc == GDFS_ENOENT) {
        gdfs_log(GDFS_LOG_INFO, "get %s: %s", name, gdfs_store_errmsg(s->st));
        snprintf(why, whylen,
                 "version %llu was removed or collected on node %s while "
                 "it was read",
                 (unsigned long long)v->version.seq, s->cfg->node_id);
        return rc;
    }
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "get %s: %s", name, gdfs_store_errmsg(s->st));
        snprintf(why, whylen, "%s", gdfs_store_errmsg(s->st));
        return rc;
    }
    /* A chunk read from disk is input like one from the network: one of
     * another length than the version's shape gives it (none is empty,
     * none over GDFS_CHUNK_MAX) is never framed and sent. */
    due = gdfs_proto_chunk_len(v->size, v->chunk_size, v->nchunks, idx);
    if (len == 0 || len > GDFS_CHUNK_MAX || len != due) {
        gdfs_log(GDFS_LOG_ERROR,
                 "get %s: version %llu chunk %u has %zu bytes, %u due", name,
                 (unsigned long long)v->version.seq, idx, len, due);
        snprintf(why, whylen, "chunk %u is corrupt on node %s (%zu bytes)",
                 idx, s->cfg->node_id, len);
        return GDFS_ECORRUPT;
    }
    gdfs_hash_sha256(data, len, actual);
    if (memcmp(actual, sha256, sizeof(actual)) != 0) {
        gdfs_log(GDFS_LOG_ERROR,
                 "get %s: version %llu chunk %u fails its checksum", name,
                 (unsigned long long)v->version.seq, idx);
        snprintf(why, whylen, "chunk %u is corrupt on node %s", idx,
                 s->cfg->node_id);
        return GDFS_ECORRUPT;
    }
    gdfs_proto_encode_chunk_hdr(s->out, reqid, idx, sha256, (uint32_t)len);
    *framelen = GDFS_PROTO_CHUNK_OVERHEAD + len;
    return GDFS_OK;
}

int gdfs_send_version_from(struct gdfs_session *s, uint32_t reqid,
                           const struct gdfs_store_version *v,
                           const char *name, uint32_t first)
{
    struct gdfs_msg r;
    int rc;

    if (GDFS_PROTO_CHUNK_OVERHEAD + (size_t)v->chunk_size > s->outcap)
        return gdfs_reply_error(s, reqid, GDFS_ETOOBIG,
                                "get %s: stored with %u-byte chunks, larger "
                                "than node %s's buffers (chunk_size was "
                                "lowered?)",
                                name, v->chunk_size, s->cfg->node_id);
    gdfs_get_info_of(v, reqid, &r);
    rc = gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                           gdfs_session_io_ms(s));
    for (uint32_t i = first; rc == GDFS_OK && i < v->nchunks; i++) {
        uint8_t sha[GDFS_SHA256_LEN];
        char why[512];
        size_t len;

        rc = gdfs_load_chunk(s, reqid, v, i, name, sha, &len, why,
                             sizeof(why));
        if (rc != GDFS_OK)
            return gdfs_reply_error(s, reqid, rc, "get %s: %s", name, why);
        rc = gdfs_net_send_all(s->conn, s->out, len, gdfs_session_io_ms(s));
    }
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_INFO, "get %s: %s", name, s->conn->errmsg);
    return rc;
}

void gdfs_get_info_of(const struct gdfs_store_version *v, uint32_t reqid,
                      struct gdfs_msg *out)
{
    memset(out, 0, sizeof(*out));
    out->type = GDFS_MSG_NDTOCL_GET_INFO;
    out->reqid = reqid;
    out->u.get_info.version = v->version;
    out->u.get_info.size = v->size;
    out->u.get_info.chunk_size = v->chunk_size;
    out->u.get_info.nchunks = v->nchunks;
    memcpy(out->u.get_info.sha256, v->sha256, GDFS_SHA256_LEN);
}
