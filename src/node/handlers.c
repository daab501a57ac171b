/* gdfs-node request handlers; see handlers.h.
 *
 * Sections: helpers, put, get, remove, list/locate/versions, status,
 * dispatch. */
#define GDFS_LOG_MODULE "node"
#include "node/handlers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "net.h"

#define LIST_PAGE_MAX 1000

/* ---- helpers ------------------------------------------------------------- */

static int io_ms(const struct gdfs_session *s)
{
    return (int)s->cfg->io_timeout_ms;
}

/* Send an ERROR reply; returns @status so a handler can "return
 * reply_error(...)" and have the connection kept (GDFS_OK from sending) or
 * closed (send failed). */
static int reply_error(struct gdfs_session *s, uint32_t reqid, int status,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int reply_error(struct gdfs_session *s, uint32_t reqid, int status,
                       const char *fmt, ...)
{
    char text[GDFS_ERRMSG_MAX + 1];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return gdfs_net_send_error(s->conn, reqid, status, io_ms(s), "%s", text);
}

static int reply_ok(struct gdfs_session *s, uint32_t reqid,
                    const struct gdfs_version *v)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_OK, .reqid = reqid};

    r.u.ok.version = *v;
    return gdfs_net_send_msg(s->conn, &r, s->out, s->outcap, io_ms(s));
}

static int reply_writer(struct gdfs_session *s, struct gdfs_proto_writer *w,
                        bool more)
{
    size_t len;
    int rc = gdfs_proto_writer_finish(w, more, &len);

    if (rc != GDFS_OK)
        return rc;
    return gdfs_net_send_all(s->conn, s->out, len, io_ms(s));
}

/* Printable form of a name for logs (cut, control bytes cannot occur). */
static void log_name(const struct gdfs_bytes *n, char *out, size_t cap)
{
    int len = n->len > 200 ? 200 : (int)n->len;

    snprintf(out, cap, "%.*s%s", len, (const char *)n->p,
             n->len > 200 ? "..." : "");
}

/* ---- put ----------------------------------------------------------------- */

/* After a failed put, read and drop the client's remaining CHUNK frames up
 * to its PUT_END (or until it gives up), so that the connection stays in
 * step and the ERROR we sent is read rather than lost in a reset. */
static int drain_put(struct gdfs_session *s)
{
    for (;;) {
        struct gdfs_msg m;
        int rc = gdfs_net_recv_msg(s->conn, s->in, s->incap, s->max_payload,
                                   io_ms(s), io_ms(s), &m);

        if (rc != GDFS_OK)
            return rc;
        if (m.type == GDFS_MSG_CLTOND_PUT_END)
            return GDFS_OK;
        if (m.type != GDFS_MSG_CHUNK)
            return GDFS_EPROTO;
    }
}

/* Receive the chunks of version @v and check them; on success the version
 * row is complete but not yet committed. @why gets the reason of a
 * failure. */
static int receive_chunks(struct gdfs_session *s,
                          const struct gdfs_store_version *v,
                          struct gdfs_msg *end, bool *in_step, char *why,
                          size_t whylen)
{
    struct gdfs_hash list;
    uint8_t sha[GDFS_SHA256_LEN];
    uint64_t size = 0;
    uint32_t idx = 0, last_len = v->chunk_size;
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
                               (int)s->cfg->idle_timeout_ms, io_ms(s), end);
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
        if (end->u.chunk.idx != idx || last_len != v->chunk_size ||
            end->u.chunk.data.len > v->chunk_size) {
            snprintf(why, whylen,
                     "chunk %u out of order or mis-sized (expected chunk %u "
                     "of at most %u bytes, previous ones full)",
                     end->u.chunk.idx, idx, v->chunk_size);
            goto out;
        }
        gdfs_hash_sha256(end->u.chunk.data.p, end->u.chunk.data.len, sha);
        if (memcmp(sha, end->u.chunk.sha256, sizeof(sha)) != 0) {
            rc = GDFS_ECORRUPT;
            snprintf(why, whylen, "chunk %u: checksum mismatch in transit",
                     idx);
            goto out;
        }
        rc = gdfs_store_put_chunk(s->st, v->id, idx, sha, end->u.chunk.data.p,
                                  end->u.chunk.data.len);
        if (rc != GDFS_OK) {
            snprintf(why, whylen, "chunk %u: %s", idx,
                     gdfs_store_errmsg(s->st));
            goto out;
        }
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

static int handle_put(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_store_version v;
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_PUT_READY, .reqid = m->reqid};
    struct gdfs_msg end = {.type = 0};
    char name[256], why[512] = "";
    bool in_step;
    int rc;

    log_name(&m->u.put.name, name, sizeof(name));
    if ((rc = gdfs_grouphost_check_write(s->group, why, sizeof(why))) !=
        GDFS_OK)
        return reply_error(s, m->reqid, rc, "put %s: %s", name, why);
    rc = gdfs_store_put_begin(s->st, m->u.put.name.p, m->u.put.name.len,
                              s->cfg->chunk_size, NULL, &v);
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "put %s: %s", name,
                 gdfs_store_errmsg(s->st));
        return reply_error(s, m->reqid, rc, "put %s: %s", name,
                           gdfs_store_errmsg(s->st));
    }
    r.u.put_ready.chunk_size = v.chunk_size;
    r.u.put_ready.version = v.version;
    rc = gdfs_net_send_msg(s->conn, &r, s->out, s->outcap, io_ms(s));
    if (rc == GDFS_OK)
        rc = receive_chunks(s, &v, &end, &in_step, why, sizeof(why));
    else
        in_step = false;
    if (rc == GDFS_OK) {
        rc = gdfs_store_put_commit(s->st, v.id, end.u.put_end.size,
                                   end.u.put_end.nchunks,
                                   end.u.put_end.sha256, &v.version);
        if (rc != GDFS_OK)
            snprintf(why, sizeof(why), "commit: %s",
                     gdfs_store_errmsg(s->st));
    }
    if (rc == GDFS_OK) {
        gdfs_log(GDFS_LOG_INFO, "put %s: version %llu, %llu bytes", name,
                 (unsigned long long)v.version.seq,
                 (unsigned long long)end.u.put_end.size);
        return reply_ok(s, m->reqid, &v.version);
    }
    gdfs_log(in_step ? GDFS_LOG_WARN : GDFS_LOG_INFO, "put %s: %s: %s", name,
             gdfs_strerror(rc), why);
    if (gdfs_store_put_abort(s->st, v.id) != GDFS_OK)
        gdfs_log(GDFS_LOG_WARN, "put %s: abort: %s (removed at restart)",
                 name, gdfs_store_errmsg(s->st));
    if (rc == GDFS_ECLOSED || rc == GDFS_ETIMEDOUT || rc == GDFS_ESHUTDOWN)
        return rc;
    if (reply_error(s, m->reqid, rc, "put %s: %s", name, why) != GDFS_OK ||
        !in_step)
        return GDFS_ECLOSED;
    /* The stream ended with the PUT_END we read, or we drain to it. */
    return end.type == GDFS_MSG_CLTOND_PUT_END ? GDFS_OK : drain_put(s);
}

/* ---- get ----------------------------------------------------------------- */

static int send_version(struct gdfs_session *s, const struct gdfs_msg *m);

/* The whole get reads one snapshot: the version cannot be collected under
 * it by a put or remove that commits meanwhile. */
static int handle_get(struct gdfs_session *s, const struct gdfs_msg *m)
{
    int rc = gdfs_store_snapshot_begin(s->st);

    if (rc != GDFS_OK)
        return reply_error(s, m->reqid, rc, "get: %s",
                           gdfs_store_errmsg(s->st));
    rc = send_version(s, m);
    gdfs_store_snapshot_end(s->st);
    return rc;
}

static int send_version(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_store_version v;
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_GET_INFO, .reqid = m->reqid};
    char name[256];
    int rc;

    log_name(&m->u.get.name, name, sizeof(name));
    rc = gdfs_store_lookup(s->st, m->u.get.name.p, m->u.get.name.len,
                           m->u.get.seq, &v);
    if (rc != GDFS_OK)
        return reply_error(s, m->reqid, rc, "get %s: %s", name,
                           gdfs_store_errmsg(s->st));
    if (GDFS_PROTO_CHUNK_OVERHEAD + (size_t)v.chunk_size > s->outcap)
        return reply_error(s, m->reqid, GDFS_ETOOBIG,
                           "get %s: stored with %u-byte chunks, larger than "
                           "this node's buffers (chunk_size was lowered?)",
                           name, v.chunk_size);
    r.u.get_info.version = v.version;
    r.u.get_info.size = v.size;
    r.u.get_info.chunk_size = v.chunk_size;
    r.u.get_info.nchunks = v.nchunks;
    memcpy(r.u.get_info.sha256, v.sha256, GDFS_SHA256_LEN);
    rc = gdfs_net_send_msg(s->conn, &r, s->out, s->outcap, io_ms(s));
    for (uint32_t i = 0; rc == GDFS_OK && i < v.nchunks; i++) {
        uint8_t *data = s->out + GDFS_PROTO_CHUNK_OVERHEAD;
        uint8_t stored[GDFS_SHA256_LEN], actual[GDFS_SHA256_LEN];
        size_t len;

        rc = gdfs_store_read_chunk(s->st, v.id, i, data,
                                   s->outcap - GDFS_PROTO_CHUNK_OVERHEAD,
                                   &len, stored);
        if (rc != GDFS_OK) {
            gdfs_log(GDFS_LOG_ERROR, "get %s: %s", name,
                     gdfs_store_errmsg(s->st));
            return reply_error(s, m->reqid, rc, "get %s: %s", name,
                               gdfs_store_errmsg(s->st));
        }
        gdfs_hash_sha256(data, len, actual);
        if (memcmp(actual, stored, sizeof(actual)) != 0) {
            gdfs_log(GDFS_LOG_ERROR,
                     "get %s: version %llu chunk %u fails its checksum",
                     name, (unsigned long long)v.version.seq, i);
            return reply_error(s, m->reqid, GDFS_ECORRUPT,
                               "get %s: chunk %u is corrupt on node %s",
                               name, i, s->cfg->node_id);
        }
        gdfs_proto_encode_chunk_hdr(s->out, m->reqid, i, stored,
                                    (uint32_t)len);
        rc = gdfs_net_send_all(s->conn, s->out,
                               GDFS_PROTO_CHUNK_OVERHEAD + len, io_ms(s));
    }
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_INFO, "get %s: %s", name, s->conn->errmsg);
    return rc;
}

/* ---- remove -------------------------------------------------------------- */

static int handle_remove(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_version v;
    char name[256], why[512];
    int rc;

    log_name(&m->u.put.name, name, sizeof(name));
    if ((rc = gdfs_grouphost_check_write(s->group, why, sizeof(why))) !=
        GDFS_OK)
        return reply_error(s, m->reqid, rc, "remove %s: %s", name, why);
    rc = gdfs_store_remove(s->st, m->u.put.name.p, m->u.put.name.len, NULL,
                           &v);
    if (rc != GDFS_OK)
        return reply_error(s, m->reqid, rc, "remove %s: %s", name,
                           gdfs_store_errmsg(s->st));
    gdfs_log(GDFS_LOG_INFO, "removed %s (tombstone version %llu)", name,
             (unsigned long long)v.seq);
    return reply_ok(s, m->reqid, &v);
}

/* ---- list, locate, versions ---------------------------------------------- */

struct list_ctx {
    struct gdfs_proto_writer *w;
    int full;
};

static int add_file(void *ctx, const uint8_t *name, size_t namelen,
                    const struct gdfs_store_version *v)
{
    struct list_ctx *lc = ctx;
    struct gdfs_list_entry e = {.name = {name, namelen},
                                .size = v->size,
                                .version = v->version,
                                .replicas = 1};

    if (gdfs_proto_add_list(lc->w, &e) != GDFS_OK) {
        lc->full = 1;
        return 1;
    }
    return 0;
}

static int handle_list(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_LIST, .reqid = m->reqid};
    struct gdfs_proto_writer w;
    struct list_ctx lc = {&w, 0};
    uint32_t max = m->u.list.max;
    bool more;
    int rc;

    if (max == 0 || max > LIST_PAGE_MAX)
        max = LIST_PAGE_MAX;
    /* Both scopes are the same on a group of one: every file is here. */
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    if (rc == GDFS_OK)
        rc = gdfs_store_list(s->st, m->u.list.after.p, m->u.list.after.len,
                             max, add_file, &lc, &more);
    if (rc != GDFS_OK)
        return reply_error(s, m->reqid, rc, "list: %s",
                           gdfs_store_errmsg(s->st));
    return reply_writer(s, &w, more || lc.full);
}

static int handle_locate(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_LOCATE, .reqid = m->reqid};
    struct gdfs_store_version v;
    struct gdfs_proto_writer w;
    struct gdfs_replica_entry e;
    char name[256];
    int rc;

    log_name(&m->u.put.name, name, sizeof(name));
    rc = gdfs_store_lookup(s->st, m->u.put.name.p, m->u.put.name.len, 0, &v);
    if (rc != GDFS_OK)
        return reply_error(s, m->reqid, rc, "locate %s: %s", name,
                           gdfs_store_errmsg(s->st));
    r.u.locate_reply.version = v.version;
    r.u.locate_reply.size = v.size;
    /* A group of one holds every file on its only node. */
    e.id.p = (const uint8_t *)s->cfg->node_id;
    e.id.len = strlen(s->cfg->node_id);
    e.addr.p = (const uint8_t *)s->cfg->advertise;
    e.addr.len = strlen(s->cfg->advertise);
    e.version = v.version;
    e.state = GDFS_MEMBER_ALIVE;
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    if (rc == GDFS_OK)
        rc = gdfs_proto_add_replica(&w, &e);
    if (rc != GDFS_OK)
        return reply_error(s, m->reqid, rc, "locate %s: reply too large",
                           name);
    return reply_writer(s, &w, false);
}

static int add_version(void *ctx, const uint8_t *name, size_t namelen,
                       const struct gdfs_store_version *v)
{
    struct list_ctx *lc = ctx;
    struct gdfs_version_entry e = {.version = v->version,
                                   .size = v->size,
                                   .tombstone = v->state ==
                                                GDFS_VERSION_TOMBSTONE};

    (void)name;
    (void)namelen;
    if (gdfs_proto_add_version(lc->w, &e) != GDFS_OK) {
        lc->full = 1;
        return 1;
    }
    return 0;
}

static int handle_versions(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_VERSIONS, .reqid = m->reqid};
    struct gdfs_proto_writer w;
    struct list_ctx lc = {&w, 0};
    char name[256];
    int rc;

    log_name(&m->u.put.name, name, sizeof(name));
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    if (rc == GDFS_OK)
        rc = gdfs_store_versions(s->st, m->u.put.name.p, m->u.put.name.len,
                                 add_version, &lc);
    if (rc != GDFS_OK)
        return reply_error(s, m->reqid, rc, "versions %s: %s", name,
                           gdfs_store_errmsg(s->st));
    if (w.count == 0)
        return reply_error(s, m->reqid, GDFS_ENOENT, "versions %s: no such file",
                           name);
    return reply_writer(s, &w, false);
}

/* ---- status and group -------------------------------------------------- */

static int handle_status(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_STATUS, .reqid = m->reqid};
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    struct gdfs_proto_writer w;
    int rc;

    if (gs == NULL)
        return reply_error(s, m->reqid, GDFS_ENOMEM, "status: out of memory");
    gdfs_grouphost_status(s->group, gs);
    r.u.status_reply.id.p = (const uint8_t *)gs->self;
    r.u.status_reply.id.len = strlen(gs->self);
    /* A joining node has no group yet. */
    r.u.status_reply.group.p =
        (const uint8_t *)(gs->group_id[0] ? gs->group_id : "-");
    r.u.status_reply.group.len = gs->group_id[0] ? strlen(gs->group_id) : 1;
    r.u.status_reply.leader.p = (const uint8_t *)gs->leader;
    r.u.status_reply.leader.len = strlen(gs->leader);
    r.u.status_reply.term = gs->term;
    r.u.status_reply.role = (uint8_t)gs->role;
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    for (uint32_t i = 0; rc == GDFS_OK && i < gs->n; i++) {
        struct gdfs_member_entry e = {
            .id = {(const uint8_t *)gs->m[i].id, strlen(gs->m[i].id)},
            .addr = {(const uint8_t *)gs->m[i].addr, strlen(gs->m[i].addr)},
            .state = gs->m[i].state,
            .ring = gs->m[i].ring};

        rc = gdfs_proto_add_member(&w, &e);
    }
    free(gs);
    if (rc != GDFS_OK)
        return reply_error(s, m->reqid, rc, "status: reply too large");
    return reply_writer(s, &w, false);
}

static int handle_group(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_gmsg *g = malloc(sizeof(*g));
    int rc;

    if (g == NULL)
        return GDFS_ENOMEM;
    rc = gdfs_proto_decode_group(m->u.group.raw.p, m->u.group.raw.len, g);
    if (rc == GDFS_OK)
        gdfs_grouphost_deliver(s->group, g);
    free(g);
    return rc; /* one-way: no reply */
}

static int handle_leave(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_version none = {0, 0};
    int rc = gdfs_grouphost_leave(s->group,
                                  (int)(20 * s->cfg->election_ms));

    switch (rc) {
    case GDFS_OK:
        return reply_ok(s, m->reqid, &none);
    case GDFS_ENOTLEADER:
        return reply_error(s, m->reqid, GDFS_ENOQUORUM,
                           "leave: node %s knows no leader to ask; try again "
                           "when the group has one",
                           s->cfg->node_id);
    case GDFS_EINVAL:
        return reply_error(s, m->reqid, rc,
                           "leave: node %s is the only member of its group",
                           s->cfg->node_id);
    case GDFS_EBUSY:
        return reply_error(s, m->reqid, rc,
                           "leave: another membership change is in "
                           "progress; try again");
    default:
        return reply_error(s, m->reqid, rc,
                           "leave: the group did not commit the removal of "
                           "%s in time",
                           s->cfg->node_id);
    }
}

/* ---- dispatch ------------------------------------------------------------ */

int gdfs_handlers_dispatch(struct gdfs_session *s, const struct gdfs_msg *m)
{
    switch (m->type) {
    case GDFS_MSG_CLTOND_PUT:
        return handle_put(s, m);
    case GDFS_MSG_CLTOND_GET:
        return handle_get(s, m);
    case GDFS_MSG_CLTOND_REMOVE:
        return handle_remove(s, m);
    case GDFS_MSG_CLTOND_LIST:
        return handle_list(s, m);
    case GDFS_MSG_CLTOND_LOCATE:
        return handle_locate(s, m);
    case GDFS_MSG_CLTOND_VERSIONS:
        return handle_versions(s, m);
    case GDFS_MSG_CLTOND_STATUS:
        return handle_status(s, m);
    case GDFS_MSG_NDTOND_GROUP:
        return handle_group(s, m);
    case GDFS_MSG_CLTOND_LEAVE:
        return handle_leave(s, m);
    default:
        gdfs_log(GDFS_LOG_WARN, "%s sent %s out of place; closing",
                 s->conn->peer, gdfs_proto_type_name(m->type));
        reply_error(s, m->reqid, GDFS_EPROTO, "unexpected %s request",
                    gdfs_proto_type_name(m->type));
        return GDFS_EPROTO;
    }
}
