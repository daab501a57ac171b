/* What a node does as a replica: store a version streamed by a gateway
 * (RPUT), send exactly one version (RGET, RGET_FROM) and make a copy of
 * one from other replicas (REPLICATE). A leader's records reach it
 * through the record log (node/records/reclog.h) and record sync
 * (node/records/sync.h). */
#define GDFS_LOG_MODULE "replica"
#include "node/data/replica.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "node/data/stream.h"
#include "node/data/writer.h"
#include "net.h"
#include "node/data/copy.h"
#include "node/records/records.h"
#include "store/store.h"

struct store_sink {
    struct gdfs_session *s;
    struct gdfs_writer w;
};

/* Each chunk is stored only while the node's reserve stays free: a stream
 * that would take it below stops with "no space" (the gateway goes on
 * with the other replicas). */
static int store_chunk(void *ctx, uint32_t idx, const uint8_t *sha256,
                       const uint8_t *data, size_t len, uint8_t *frame,
                       size_t framelen, char *why, size_t whylen)
{
    struct store_sink *k = ctx;
    int rc = gdfs_session_room_check(k->s, len, why, whylen);

    (void)frame;
    (void)framelen;
    if (rc != GDFS_OK)
        return rc;
    return gdfs_writer_chunk(&k->w, idx, sha256, data, len, why, whylen);
}

/* After the refusal of an RPUT was answered (@sent, the reply's send
 * status): read the data that followed it through to PUT_END. */
static int refuse(struct gdfs_session *s, int sent)
{
    return sent == GDFS_OK ? gdfs_drain_put(s) : sent;
}

/* After the OK of an RPUT without a version: the gateway's RPUT_VERSION
 * names the version of the copy @vid just stored (content as @end said).
 * A gateway that goes away without it leaves the copy without a version:
 * the record that names its content gives it one (store.h
 * put_begin_later), or the orphan sweep takes it. */
static int take_version(struct gdfs_session *s, int64_t vid, const char *name,
                        const struct gdfs_msg *end)
{
    struct gdfs_msg m;
    bool same;
    int rc = gdfs_net_recv_msg(s->conn, s->in, s->incap, s->max_payload,
                               gdfs_session_io_ms(s), gdfs_session_io_ms(s),
                               &m);

    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_INFO,
                 "replica put %s: no version came for the copy (%s): "
                 "its record will name it",
                 name, s->conn->errmsg);
        return rc;
    }
    if (m.type != GDFS_MSG_NDTOND_RPUT_VERSION) {
        gdfs_reply_error(s, m.reqid, GDFS_EPROTO,
                         "replica put %s: expected RPUT_VERSION, got %s", name,
                         gdfs_proto_type_name(m.type));
        return GDFS_ECLOSED;
    }
    same = m.u.put_end.size == end->u.put_end.size &&
           m.u.put_end.nchunks == end->u.put_end.nchunks &&
           memcmp(m.u.put_end.sha256, end->u.put_end.sha256,
                  GDFS_SHA256_LEN) == 0;
    rc = same ? gdfs_store_put_assign(s->st, vid, &m.u.put_end.version,
                                      m.u.put_end.size, m.u.put_end.nchunks,
                                      m.u.put_end.sha256)
              : GDFS_EINVAL;
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m.reqid, rc,
                                "replica put %s on %s: version %llu: %s", name,
                                s->cfg->node_id,
                                (unsigned long long)m.u.put_end.version.seq,
                                same ? gdfs_store_errmsg(s->st)
                                     : "not the content stored");
    gdfs_log(GDFS_LOG_DEBUG, "replica of %s version %llu stored", name,
             (unsigned long long)m.u.put_end.version.seq);
    return gdfs_reply_ok(s, m.reqid, &m.u.put_end.version);
}

int gdfs_replica_put(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_store_version held;
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_PUT_READY, .reqid = m->reqid};
    struct gdfs_msg end = {.type = 0};
    struct store_sink k = {.s = s};
    struct gdfs_chunk_sink sink = {store_chunk, &k, .unverified = false};
    /* seq 0: the gateway has not heard the version from the leader yet;
     * it follows the OK (take_version; docs/record-log.md "Round trips of
     * a put") */
    bool later = m->u.rput.version.seq == 0;
    char name[256], why[512] = "", err[512];
    bool in_step = false;
    int rc;

    gdfs_log_name(&m->u.rput.name, name, sizeof(name));
    gdfs_writer_init(&k.w, s->st, &m->u.rput.name, m->u.rput.chunk_size,
                     &m->u.rput.version);
    /* The gateway sends the data right behind RPUT (gateway.c fan_open):
     * a refusal is answered, then the stream is read through to PUT_END
     * and dropped. Frames larger than this node takes cannot be read:
     * that refusal ends the connection. */
    if (GDFS_PROTO_CHUNK_OVERHEAD + (size_t)m->u.rput.chunk_size > s->incap) {
        gdfs_reply_error(s, m->reqid, GDFS_ETOOBIG,
                         "replica put %s: %u-byte chunks are larger "
                         "than node %s's chunk_size allows",
                         name, m->u.rput.chunk_size, s->cfg->node_id);
        return GDFS_ECLOSED;
    }
    if ((rc = gdfs_session_room_check(s, 0, why, sizeof(why))) != GDFS_OK) {
        gdfs_log(GDFS_LOG_INFO, "replica put %s: %s", name, why);
        return refuse(s, gdfs_reply_error(s, m->reqid, rc,
                                          "replica put %s: %s", name, why));
    }
    /* A version held here complete already is refused before the data. */
    if (!later &&
        gdfs_store_lookup_exact(s->st, m->u.rput.name.p, m->u.rput.name.len,
                                &m->u.rput.version, &held) == GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "replica put %s: version %llu is held here",
                 name, (unsigned long long)k.w.version.seq);
        return refuse(s,
                      gdfs_reply_error(s, m->reqid, GDFS_ESTORE,
                                       "replica put %s on %s: version "
                                       "%llu (term %llu) is held here "
                                       "already",
                                       name, s->cfg->node_id,
                                       (unsigned long long)k.w.version.seq,
                                       (unsigned long long)k.w.version.term));
    }
    r.u.put_ready.chunk_size = k.w.chunk_size;
    r.u.put_ready.version = m->u.rput.version;
    rc = gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                           gdfs_session_io_ms(s));
    if (rc == GDFS_OK)
        rc = gdfs_receive_chunks(s, k.w.chunk_size, &sink, &end, &in_step, why,
                                 sizeof(why));
    if (rc == GDFS_OK)
        rc = gdfs_writer_end(&k.w, end.u.put_end.size, end.u.put_end.nchunks,
                             end.u.put_end.sha256, why, sizeof(why));
    if (rc == GDFS_OK && later) {
        rc = gdfs_reply_ok(s, m->reqid, &k.w.version);
        return rc == GDFS_OK ? take_version(s, k.w.vid, name, &end) : rc;
    }
    if (rc == GDFS_OK) {
        gdfs_log(GDFS_LOG_DEBUG, "replica of %s version %llu stored", name,
                 (unsigned long long)k.w.version.seq);
        return gdfs_reply_ok(s, m->reqid, &k.w.version);
    }
    gdfs_log(in_step ? GDFS_LOG_WARN : GDFS_LOG_INFO, "replica put %s: %s: %s",
             name, gdfs_strerror(rc), why);
    if (gdfs_writer_abandon(&k.w, err, sizeof(err)) != GDFS_OK)
        gdfs_log(GDFS_LOG_WARN, "put %s: abort: %s (removed at restart)", name,
                 err);
    if (rc == GDFS_ECLOSED || rc == GDFS_ETIMEDOUT || rc == GDFS_ESHUTDOWN)
        return rc;
    if (gdfs_reply_error(s, m->reqid, rc, "replica put %s on %s: %s", name,
                         s->cfg->node_id, why) != GDFS_OK ||
        !in_step)
        return GDFS_ECLOSED;
    return end.type == GDFS_MSG_CLTOND_PUT_END ? GDFS_OK : gdfs_drain_put(s);
}

int gdfs_replica_get(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_store_version v;
    char name[256];
    int rc;

    gdfs_log_name(&m->u.rget.name, name, sizeof(name));
    if ((rc = gdfs_store_snapshot_begin(s->st)) != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "get %s: %s", name,
                                gdfs_store_errmsg(s->st));
    /* term 0: the committed copy with that seq (get --version N). */
    if (m->u.rget.version.term == 0)
        rc = gdfs_store_lookup(s->st, m->u.rget.name.p, m->u.rget.name.len,
                               m->u.rget.version.seq, &v);
    else
        rc = gdfs_store_lookup_exact(s->st, m->u.rget.name.p,
                                     m->u.rget.name.len, &m->u.rget.version,
                                     &v);
    if (rc != GDFS_OK)
        rc = gdfs_reply_error(s, m->reqid, rc, "get %s on %s: %s", name,
                              s->cfg->node_id, gdfs_store_errmsg(s->st));
    else
        rc = gdfs_send_version_from(s, m->reqid, &v, name, m->u.rget.first);
    gdfs_store_snapshot_end(s->st);
    return rc;
}

int gdfs_replica_replicate(struct gdfs_session *s, const struct gdfs_msg *m)
{
    char srcs[GDFS_REPLICATE_SRC_MAX][GDFS_ADDR_MAX + 1];
    struct gdfs_store_version held;
    struct gdfs_meta meta;
    char name[256], why[1024] = "";
    uint64_t bytes = 0;
    int rc;

    gdfs_log_name(&m->u.replicate.rec.name, name, sizeof(name));
    gdfs_records_from_record(&m->u.replicate.rec, &meta);
    for (unsigned i = 0; i < m->u.replicate.nsrc; i++)
        snprintf(srcs[i], sizeof(srcs[i]), "%.*s",
                 (int)m->u.replicate.src[i].len,
                 (const char *)m->u.replicate.src[i].p);
    /* A new copy (not the repair of one held here) needs room for the
     * whole file above the reserve: the leader picks another target. */
    if (!meta.tombstone &&
        gdfs_store_lookup_exact(s->st, meta.name, meta.namelen, &meta.version,
                                &held) == GDFS_ENOENT &&
        (rc = gdfs_session_room_check(s, meta.size, why, sizeof(why))) !=
            GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "copy of %s version %llu: %s",
                                name, (unsigned long long)meta.version.seq,
                                why);
    rc = gdfs_copy_version(s->st, s->records, &meta,
                           (const char(*)[GDFS_ADDR_MAX + 1]) srcs,
                           m->u.replicate.nsrc, &bytes, why, sizeof(why));
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "copy of %s version %llu: %s: %s", name,
                 (unsigned long long)meta.version.seq, gdfs_strerror(rc), why);
        return gdfs_reply_error(s, m->reqid, rc,
                                "copy of %s version %llu to %s: %s", name,
                                (unsigned long long)meta.version.seq,
                                s->cfg->node_id, why);
    }
    gdfs_log(GDFS_LOG_DEBUG,
             "copy of %s version %llu held (%llu bytes "
             "fetched)",
             name, (unsigned long long)meta.version.seq,
             (unsigned long long)bytes);
    return gdfs_reply_ok(s, m->reqid, &meta.version);
}
