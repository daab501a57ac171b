/* A node as the client's gateway (DESIGN.md "Put", "Get"): it asks the
 * leader for a version and replicas, streams the client's chunks to all of
 * them, has the leader commit the record once W replicas hold the data;
 * and for a get, learns the committed version from the leader and reads
 * it from a replica, verifying every chunk, moving to another replica if
 * one fails. */
#define GDFS_LOG_MODULE "gateway"
#include "node/data/gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "node/data/stream.h"
#include "node/data/writer.h"
#include "net.h"
#include "node/data/fanout.h"
#include "node/records/leaderops.h"
#include "node/data/probe.h"
#include "node/records/records.h"
#include "node/rpc.h"
#include "node/upkeep/readrepair.h"
#include "store/store.h"

/* ---- put ------------------------------------------------------------------ */

/* One put's replica streams. Each replica takes the client's frames from
 * its own consumer thread (fanout.h): one that sends them to a remote
 * replica, or, when this node is a replica (fn->self), one that stores
 * its copy here with the store verbs a replica stream uses (replica.c):
 * every chunk checked against its SHA-256, then one fsynced commit at the
 * end (by the gateway's thread, once the consumers are done), acked only
 * after it. */
struct fan {
    struct gdfs_rpc *rpc;
    struct gdfs_store *st;
    struct gdfs_fanout *out;
    struct gdfs_rpc_conn *c[GDFS_REPLICAS];
    const char (*addr)[GDFS_ADDR_MAX + 1];
    const char *name;       /* for logs */
    struct gdfs_session *s; /* its cfg only, from the consumers */
    unsigned n, live, w;
    unsigned nospace;        /* replicas that refused for lack of room */
    int self;                /* this node's replica index, -1 if none */
    bool self_live;          /* its copy is being (or was) stored */
    bool self_done;          /* ... and committed */
    struct gdfs_writer copy; /* that copy (writer.h) */
    int io_ms;
    /* The version. When this node does not lead, the replicas' streams
     * start without it (@later): the leader's answer to ALLOC comes on
     * @ask while the data moves (ask_wait), and goes to them in
     * RPUT_VERSION after their OK (fan_assign). */
    struct gdfs_version version;
    bool later;
    bool assigned;             /* RPUT_VERSION sent (fan_assign) */
    struct gdfs_rpc_conn *ask; /* ALLOC sent, answer not read yet */
    int ask_rc;                /* the answer's result, once read */
    char leader[GDFS_ADDR_MAX + 1];
    char last[512];     /* the last replica failure */
    char self_err[512]; /* why storing the copy here failed */
};

/* Drop replica @i from the put. It must have no consumer running (none
 * started yet, or gdfs_fanout_reap joined it). */
static void fan_drop(struct fan *fn, unsigned i, const char *why)
{
    if ((int)i == fn->self ? !fn->self_live : fn->c[i] == NULL)
        return;
    gdfs_log(GDFS_LOG_WARN, "replica %s dropped from the put: %s", fn->addr[i],
             why);
    snprintf(fn->last, sizeof(fn->last), "%s", why);
    fn->live--;
    if ((int)i == fn->self) {
        char err[512];

        fn->self_live = false;
        if (!fn->self_done &&
            gdfs_writer_abandon(&fn->copy, err, sizeof(err)) != GDFS_OK)
            gdfs_log(GDFS_LOG_WARN, "put %s: abort: %s (removed at restart)",
                     fn->name, err);
        return;
    }
    fn->c[i]->broken = true;
    gdfs_rpc_close(fn->rpc, fn->c[i]);
    fn->c[i] = NULL;
}

/* Drop the replicas whose consumer failed. */
static void fan_reap(struct fan *fn)
{
    for (unsigned i = 0; fn->out != NULL && i < fn->n; i++)
        if (gdfs_fanout_reap(fn->out, i))
            fan_drop(fn, i,
                     (int)i == fn->self ? fn->self_err : fn->c[i]->errmsg);
}

/* A remote replica's consumer: send the frame on its stream. */
static int send_remote(void *ctx, unsigned i, const uint8_t *frame, size_t len)
{
    struct fan *fn = ctx;

    return gdfs_rpc_send_raw(fn->c[i], frame, len, fn->io_ms);
}

/* This node's consumer: check a CHUNK frame's data against its SHA-256
 * and store it (PUT_END is the gateway's to commit). */
static int store_local(void *ctx, unsigned i, const uint8_t *frame, size_t len)
{
    struct fan *fn = ctx;
    struct gdfs_frame_hdr hdr;
    struct gdfs_msg m;
    uint8_t sha[GDFS_SHA256_LEN];
    int rc;

    (void)i;
    if (len < GDFS_PROTO_HDR_LEN ||
        gdfs_proto_decode_hdr(frame, (uint32_t)(len - GDFS_PROTO_HDR_LEN),
                              &hdr) != GDFS_OK ||
        gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &m) != GDFS_OK) {
        snprintf(fn->self_err, sizeof(fn->self_err), "undecodable frame");
        return GDFS_EPROTO;
    }
    if (m.type != GDFS_MSG_CHUNK)
        return GDFS_OK;
    gdfs_hash_sha256(m.u.chunk.data.p, m.u.chunk.data.len, sha);
    if (memcmp(sha, m.u.chunk.sha256, sizeof(sha)) != 0) {
        snprintf(fn->self_err, sizeof(fn->self_err),
                 "chunk %u: checksum mismatch in transit", m.u.chunk.idx);
        return GDFS_ECORRUPT;
    }
    rc = gdfs_session_room_check(fn->s, m.u.chunk.data.len, fn->self_err,
                                 sizeof(fn->self_err));
    if (rc != GDFS_OK)
        return rc;
    return gdfs_writer_chunk(&fn->copy, m.u.chunk.idx, sha, m.u.chunk.data.p,
                             m.u.chunk.data.len, fn->self_err,
                             sizeof(fn->self_err));
}

static void fan_close(struct fan *fn, bool broken)
{
    gdfs_fanout_free(fn->out); /* stops the consumers first */
    fn->out = NULL;
    if (fn->ask != NULL) { /* its answer unread: not reusable */
        fn->ask->broken = true;
        gdfs_rpc_close(fn->rpc, fn->ask);
        fn->ask = NULL;
    }
    for (unsigned i = 0; i < fn->n; i++)
        if (fn->c[i] != NULL) {
            fn->c[i]->broken |= broken;
            gdfs_rpc_close(fn->rpc, fn->c[i]);
            fn->c[i] = NULL;
        }
    /* A copy stored and committed here stays, as a replica's does (an
     * uncommitted one is collected as an orphan, or committed by its
     * record); one still being written goes. */
    if (fn->self >= 0 && fn->self_live && !fn->self_done)
        fan_drop(fn, (unsigned)fn->self, "put abandoned");
}

static int ask_wait(struct fan *fn, const struct gdfs_records_place *p,
                    char *why, size_t whylen);

static int fan_chunk(void *ctx, uint32_t idx, const uint8_t *sha256,
                     const uint8_t *data, size_t len, uint8_t *frame,
                     size_t framelen, char *why, size_t whylen)
{
    struct fan *fn = ctx;
    int rc;

    (void)sha256;
    (void)data;
    (void)len;
    /* A file of more than one chunk waits for the leader's version before
     * its second: a refusal (no quorum, a lost lease) then stops the
     * transfer early, and the wait overlaps the first chunk's. */
    if (idx >= 1 && fn->ask != NULL &&
        (rc = ask_wait(fn, NULL, why, whylen)) != GDFS_OK)
        return rc;
    if (fn->out != NULL &&
        gdfs_fanout_push(fn->out, frame, framelen) != GDFS_OK) {
        snprintf(why, whylen, "out of memory for chunk %u", idx);
        return GDFS_ENOMEM;
    }
    fan_reap(fn);
    if (fn->live < fn->w)
        return gdfs_err_noquorum(why, whylen,
                                 "%u of the %u replicas still take the "
                                 "data, %u needed (%s)",
                                 fn->live, fn->n, fn->w, fn->last);
    return GDFS_OK;
}

/* A call to the leader at @addr that got no answer (@rc as from
 * gdfs_rpc_call): say in @why what it means for the client, and return
 * the status it gets. A request that was never sent (GDFS_ENET) changed
 * nothing: GDFS_ENOQUORUM. One that was sent and got no reply did nothing
 * either, unless @acts (a commit, which the leader may have carried out):
 * then GDFS_EUNKNOWN. Any other @rc is the leader's own answer, passed on. */
static int leader_silent(int rc, bool acts, const char *addr, char *why,
                         size_t whylen)
{
    char cause[512];

    if (!gdfs_rpc_no_answer(rc))
        return rc;
    snprintf(cause, sizeof(cause), "%s", why);
    if (rc != GDFS_ENET && acts) {
        snprintf(why, whylen,
                 "outcome unknown: the leader at %s did not answer the "
                 "commit (%s)",
                 addr, cause);
        return GDFS_EUNKNOWN;
    }
    return gdfs_err_noquorum(why, whylen,
                             "the leader at %s did not answer (%s)", addr,
                             cause);
}

/* The leader's side of a request: *self when this node leads (the caller
 * then serves @req itself, and nothing was sent); else @req is sent to the
 * leader and its reply of type @want lands in @r, read through *c (the
 * caller gives *c back with gdfs_rpc_close). A leader that does not
 * answer is leader_silent's (@acts as there). */
static int ask_leader(struct gdfs_session *s, struct gdfs_msg *req,
                      uint8_t want, bool acts, bool *self, struct gdfs_msg *r,
                      struct gdfs_rpc_conn **c, char *why, size_t whylen)
{
    char addr[GDFS_ADDR_MAX + 1];
    int rc = gdfs_records_leader(s->records, addr, self, why, whylen);

    if (rc != GDFS_OK || *self)
        return rc;
    rc = gdfs_rpc_call(gdfs_records_rpc(s->records), addr, req, want, r, c,
                       gdfs_session_io_ms(s), why, whylen);
    return rc == GDFS_OK ? GDFS_OK
                         : leader_silent(rc, acts, addr, why, whylen);
}

/* Where the put goes, and its version (docs/record-log.md "Round trips of
 * a put"). This node leads: both from gdfs_records_alloc. Otherwise the
 * replicas are placed here (gdfs_records_place, with the leader's
 * exclusions as its APPENDs carry them) and ALLOC goes to the leader
 * without waiting: the data moves while it answers (ask_wait), and the
 * replicas learn the version from RPUT_END. */
static int place_put(struct gdfs_session *s, struct fan *fn,
                     const struct gdfs_bytes *name,
                     struct gdfs_records_place *p, char *why, size_t whylen)
{
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_ALLOC};
    bool self;
    int rc = gdfs_records_leader(s->records, fn->leader, &self, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    if (self) {
        rc = gdfs_records_alloc(s->records, s->st, name->p, name->len, p, why,
                                whylen);
        fn->version = p->version;
        return rc;
    }
    rc = gdfs_records_place(s->records, s->st, name->p, name->len, p, why,
                            whylen);
    if (rc != GDFS_OK)
        return rc;
    fn->later = true;
    req.u.put.name = *name;
    rc = gdfs_rpc_open(fn->rpc, fn->leader, &fn->ask, why, whylen);
    if (rc == GDFS_OK &&
        (rc = gdfs_rpc_send(fn->ask, &req, fn->io_ms)) != GDFS_OK) {
        snprintf(why, whylen, "%s", fn->ask->errmsg);
        gdfs_rpc_close(fn->rpc, fn->ask); /* broken by the failed send */
        fn->ask = NULL;
    }
    /* Not sent: nothing changed anywhere. */
    return rc == GDFS_OK
               ? GDFS_OK
               : leader_silent(GDFS_ENET, false, fn->leader, why, whylen);
}

/* Read the leader's answer to the put's ALLOC, once: fn->version, or why
 * not. @p (NULL: not logged) is where this node placed the put; a leader
 * that would have placed it elsewhere (a view of the group a moment
 * apart) is logged, and this node's placement stands: the record names
 * the replicas that hold the data. */
static int ask_wait(struct fan *fn, const struct gdfs_records_place *p,
                    char *why, size_t whylen)
{
    struct gdfs_msg r;
    int rc;

    if (fn->ask == NULL)
        return fn->ask_rc;
    rc = gdfs_rpc_recv(fn->ask, GDFS_MSG_NDTOCL_PLACE, &r, fn->io_ms);
    if (rc == GDFS_OK) {
        fn->version = r.u.place.version;
        for (unsigned i = 0; p != NULL && i < r.u.place.nreplicas; i++) {
            bool same = false;

            for (unsigned k = 0; k < p->n; k++)
                same |= r.u.place.replica[i].id.len == strlen(p->id[k]) &&
                        memcmp(r.u.place.replica[i].id.p, p->id[k],
                               r.u.place.replica[i].id.len) == 0;
            if (!same)
                gdfs_log(GDFS_LOG_DEBUG,
                         "put %s: the leader would place a copy on %.*s, "
                         "not a replica chosen here",
                         fn->name, (int)r.u.place.replica[i].id.len,
                         (const char *)r.u.place.replica[i].id.p);
        }
    } else {
        snprintf(why, whylen, "%s", fn->ask->errmsg);
        rc = leader_silent(rc, false, fn->leader, why, whylen);
    }
    gdfs_rpc_close(fn->rpc, fn->ask); /* broken unless answered in step */
    fn->ask = NULL;
    fn->ask_rc = rc;
    return rc;
}

/* Have the leader commit @m. A failure after the record may have reached
 * some members is GDFS_EUNKNOWN. */
static int commit_record(struct gdfs_session *s, const struct gdfs_meta *m,
                         char *why, size_t whylen)
{
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_COMMIT}, r;
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    struct gdfs_rpc_conn *c;
    bool self;
    int rc;

    gdfs_records_to_record(NULL, m, addrs, &req.u.record.rec);
    rc = ask_leader(s, &req, GDFS_MSG_NDTOCL_OK, true, &self, &r, &c, why,
                    whylen);
    if (rc != GDFS_OK)
        return rc;
    if (self)
        return gdfs_records_commit_put(s->records, m, why, whylen);
    gdfs_rpc_close(gdfs_records_rpc(s->records), c);
    return GDFS_OK;
}

/* Open a replica stream on each placed node (fn->live counts them): RPUT
 * to the remote ones first, then this node's own version row if it is a
 * replica, then start a consumer for each. The data follows RPUT at once:
 * the remote PUT_READYs are read by fan_ready once every frame is sent,
 * so a put spends no round trip between the gateway and its replicas
 * before the data moves (docs/record-log.md "Round trips of a put"). A
 * replica that refuses RPUT answers with an error and reads the stream
 * through to PUT_END without storing it (replica.c). */
static void fan_open(struct gdfs_session *s, struct fan *fn,
                     const struct gdfs_records_place *p,
                     const struct gdfs_bytes *name)
{
    for (unsigned i = 0; i < p->n; i++) {
        struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_RPUT};
        char err[512];

        if ((int)i == fn->self)
            continue;
        if (p->addr[i][0] == '\0') {
            snprintf(fn->last, sizeof(fn->last),
                     "replica %s is not a member as node %s knows it",
                     p->id[i], s->cfg->node_id);
            gdfs_log(GDFS_LOG_WARN, "put %s: %s", fn->name, fn->last);
            continue;
        }
        req.u.rput.version = fn->version; /* 0 0 @later */
        req.u.rput.chunk_size = s->cfg->chunk_size;
        req.u.rput.name = *name;
        if (gdfs_rpc_open(fn->rpc, p->addr[i], &fn->c[i], err, sizeof(err)) !=
            GDFS_OK) {
            snprintf(fn->last, sizeof(fn->last), "%s", err);
            continue;
        }
        fn->live++;
        if (gdfs_rpc_send(fn->c[i], &req, fn->io_ms) != GDFS_OK)
            fan_drop(fn, i, fn->c[i]->errmsg);
    }
    if (fn->self >= 0) {
        char why[512];

        /* The copy's row is made with its first chunks, or whole at the
         * end (writer.h). */
        if (gdfs_session_room_check(s, 0, why, sizeof(why)) != GDFS_OK) {
            gdfs_log(GDFS_LOG_INFO, "replica put %s: %s", fn->name, why);
            snprintf(fn->last, sizeof(fn->last), "%s", why);
            fn->nospace++;
        } else {
            gdfs_writer_init(&fn->copy, fn->st, name, s->cfg->chunk_size,
                             &fn->version);
            fn->self_live = true;
            fn->live++;
        }
    }
    for (unsigned i = 0; i < fn->n; i++) {
        bool self = (int)i == fn->self;

        if (self ? !fn->self_live : fn->c[i] == NULL)
            continue;
        if (fn->out == NULL &&
            gdfs_fanout_new(GDFS_PROTO_CHUNK_OVERHEAD + s->cfg->chunk_size,
                            &fn->out) != GDFS_OK) {
            fan_drop(fn, i, "out of memory for its frame queue");
            continue;
        }
        if (gdfs_fanout_add(fn->out, i, self ? store_local : send_remote,
                            fn) != GDFS_OK)
            fan_drop(fn, i, "no thread to pass it the data");
    }
}

/* Read each remote replica's answer to RPUT, once its consumer is done
 * (the transport is not read while a consumer writes): PUT_READY, or the
 * refusal that drops it. */
static void fan_ready(struct fan *fn)
{
    struct gdfs_msg replies[GDFS_REPLICAS];
    int rcs[GDFS_REPLICAS];
    unsigned remote = 0;

    for (unsigned i = 0; i < fn->n; i++)
        remote += fn->c[i] != NULL;
    if (remote == 0)
        return;
    gdfs_rpc_gather(fn->c, fn->n, GDFS_MSG_NDTOCL_PUT_READY, remote, fn->io_ms,
                    rcs, replies);
    for (unsigned i = 0; i < fn->n; i++)
        if (fn->c[i] != NULL && rcs[i] != GDFS_OK) {
            fn->nospace += rcs[i] == GDFS_ENOSPC;
            fan_drop(fn, i,
                     fn->c[i]->errmsg[0] ? fn->c[i]->errmsg
                                         : "no answer to RPUT in time");
        }
}

/* Send PUT_END (the frame in s->in) to every live replica, commit this
 * node's copy, and collect the acknowledgements into *acked (bit i:
 * replica i). */
static unsigned fan_finish(struct gdfs_session *s, struct fan *fn,
                           const struct gdfs_msg *end, uint8_t *acked)
{
    size_t len = gdfs_proto_frame_len(s->in);
    struct gdfs_msg replies[GDFS_REPLICAS];
    int rcs[GDFS_REPLICAS];
    unsigned ok = 0, remote = 0;

    *acked = 0;
    if (fn->out != NULL) {
        bool pushed = gdfs_fanout_push(fn->out, s->in, len) == GDFS_OK;

        if (pushed)
            gdfs_fanout_flush(fn->out);
        fan_reap(fn);
        gdfs_fanout_free(fn->out); /* every consumer is idle (or stopped) */
        fn->out = NULL;
        for (unsigned i = 0; !pushed && i < fn->n; i++)
            fan_drop(fn, i, "out of memory for PUT_END");
    }
    fan_ready(fn);
    /* This node's chunks are all stored now; the remote replicas commit
     * theirs meanwhile. */
    if (fn->self >= 0 && fn->self_live) {
        char why[512];

        if (gdfs_writer_end(&fn->copy, end->u.put_end.size,
                            end->u.put_end.nchunks, end->u.put_end.sha256, why,
                            sizeof(why)) == GDFS_OK) {
            fn->self_done = true;
            *acked |= (uint8_t)(1u << fn->self);
            ok++;
            gdfs_log(GDFS_LOG_DEBUG,
                     "put %s: this node's copy stored in "
                     "its own store",
                     fn->name);
        } else {
            char err[1024];

            snprintf(err, sizeof(err), "replica put %s on %s: %s", fn->name,
                     s->cfg->node_id, why);
            fan_drop(fn, (unsigned)fn->self, err);
        }
    }
    for (unsigned i = 0; i < fn->n; i++)
        remote += fn->c[i] != NULL;
    if (remote > 0)
        ok += gdfs_rpc_gather(fn->c, fn->n, GDFS_MSG_NDTOCL_OK, remote,
                              fn->io_ms, rcs, replies);
    for (unsigned i = 0; i < fn->n; i++)
        if (fn->c[i] != NULL) {
            if (rcs[i] == GDFS_OK)
                *acked |= (uint8_t)(1u << i);
            else
                fan_drop(fn, i, fn->c[i]->errmsg);
        }
    return ok;
}

/* @later: give the copies their version, fn->version, now that the
 * leader named it: this node's here, the others by RPUT_VERSION on their
 * streams, whose answers fan_assigned reads after the commit (the
 * replicas take it while the leader commits; one that misses it takes it
 * from the record, which names its content: store.h put_begin_later). A
 * replica that cannot be told is no longer counted in *acked. */
static void fan_assign(struct fan *fn, const struct gdfs_msg *end,
                       uint8_t *acked)
{
    struct gdfs_msg v = *end;

    v.type = GDFS_MSG_NDTOND_RPUT_VERSION;
    v.u.put_end.version = fn->version;
    fn->assigned = true;
    for (unsigned i = 0; i < fn->n; i++) {
        if (!((*acked >> i) & 1u))
            continue;
        if ((int)i == fn->self) {
            if (gdfs_store_put_assign(fn->st, fn->copy.vid, &fn->version,
                                      end->u.put_end.size,
                                      end->u.put_end.nchunks,
                                      end->u.put_end.sha256) == GDFS_OK)
                continue;
            gdfs_log(GDFS_LOG_WARN, "put %s: this node's copy: %s", fn->name,
                     gdfs_store_errmsg(fn->st));
        } else if (gdfs_rpc_send(fn->c[i], &v, fn->io_ms) == GDFS_OK)
            continue;
        else
            fan_drop(fn, i, fn->c[i]->errmsg);
        *acked &= (uint8_t) ~(1u << i);
    }
}

/* Read the replicas' answers to fan_assign's RPUT_VERSION. A refusal
 * (the copy went meanwhile) is logged: the record stands on the others,
 * and the copy inventory finds what a member lacks. */
static void fan_assigned(struct fan *fn, uint8_t acked)
{
    struct gdfs_rpc_conn *c[GDFS_REPLICAS] = {NULL};
    struct gdfs_msg replies[GDFS_REPLICAS];
    int rcs[GDFS_REPLICAS];
    unsigned n = 0;

    for (unsigned i = 0; i < fn->n; i++)
        if ((int)i != fn->self && ((acked >> i) & 1u) && fn->c[i] != NULL) {
            c[i] = fn->c[i];
            n++;
        }
    if (n == 0)
        return;
    gdfs_rpc_gather(c, fn->n, GDFS_MSG_NDTOCL_OK, n, fn->io_ms, rcs, replies);
    for (unsigned i = 0; i < fn->n; i++)
        if (c[i] != NULL && rcs[i] != GDFS_OK) {
            gdfs_log(GDFS_LOG_WARN, "put %s: replica %s: %s", fn->name,
                     fn->addr[i], c[i]->errmsg);
            c[i]->broken = true;
        }
}

/* Whether the put falls short of W copies for want of room: the leader's
 * figures were older than the disks, and full ones refused the stream
 * (here, or in their answer to RPUT). The cause and the cure are space:
 * @why says so. */
static bool fan_no_space(const struct fan *fn, char *why, size_t whylen)
{
    if (fn->live >= fn->w || fn->live + fn->nospace < fn->w)
        return false;
    snprintf(why, whylen,
             "no space: %u of %u replicas have room above their reserve, "
             "%u needed (%s)",
             fn->live, fn->n, fn->w, fn->last);
    return true;
}

int gdfs_gateway_put(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_records_place p;
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_PUT_READY, .reqid = m->reqid};
    struct gdfs_msg end = {.type = 0};
    struct fan fn = {.rpc = gdfs_records_rpc(s->records),
                     .st = s->st,
                     .s = s,
                     .self = -1,
                     .io_ms = gdfs_session_io_ms(s)};
    /* Every replica (this node's consumer too) checks each chunk against
     * its SHA-256 before it stores it; hashing it in this thread as well
     * would only repeat that. */
    struct gdfs_chunk_sink sink = {fan_chunk, &fn, .unverified = true};
    struct gdfs_meta meta;
    uint8_t acked = 0;
    char name[256], why[1024] = "";
    bool in_step = false;
    int rc;

    gdfs_log_name(&m->u.put.name, name, sizeof(name));
    /* m points into s->in, which the chunks overwrite: keep the name. */
    memset(&meta, 0, sizeof(meta));
    meta.namelen = m->u.put.name.len;
    memcpy(meta.name, m->u.put.name.p, meta.namelen);
    fn.name = name;
    rc = place_put(s, &fn, &m->u.put.name, &p, why, sizeof(why));
    if (rc != GDFS_OK) {
        fan_close(&fn, true);
        return gdfs_reply_error(s, m->reqid, rc, "put %s: %s", name, why);
    }
    fn.n = p.n;
    fn.w = p.w;
    fn.addr = (const char(*)[GDFS_ADDR_MAX + 1]) p.addr;
    for (unsigned i = 0; i < p.n; i++)
        if (strcmp(p.id[i], s->cfg->node_id) == 0)
            fn.self = (int)i;
    fan_open(s, &fn, &p, &m->u.put.name);
    if (fan_no_space(&fn, why, sizeof(why))) {
        fan_close(&fn, true);
        return gdfs_reply_error(s, m->reqid, GDFS_ENOSPC, "put %s: %s", name,
                                why);
    }
    if (fn.live < fn.w) {
        fan_close(&fn, true);
        return gdfs_reply_error(s, m->reqid, GDFS_ENOQUORUM,
                                "put %s: no quorum: %u of %u replicas "
                                "reachable, %u needed (%s)",
                                name, fn.live, fn.n, fn.w, fn.last);
    }
    r.u.put_ready.chunk_size = s->cfg->chunk_size;
    r.u.put_ready.version = fn.version; /* 0 0 @later: the OK says */
    rc = gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                           gdfs_session_io_ms(s));
    if (rc == GDFS_OK)
        rc = gdfs_receive_chunks(s, s->cfg->chunk_size, &sink, &end, &in_step,
                                 why, sizeof(why));
    if (rc == GDFS_OK && fan_finish(s, &fn, &end, &acked) < fn.w)
        rc = fan_no_space(&fn, why, sizeof(why))
                 ? GDFS_ENOSPC
                 : gdfs_err_noquorum(why, sizeof(why),
                                     "%u of %u replicas stored it, %u "
                                     "needed (%s)",
                                     fn.live, fn.n, fn.w, fn.last);
    /* @later: the leader's answer came while the replicas stored. */
    if (rc == GDFS_OK && fn.later &&
        (rc = ask_wait(&fn, &p, why, sizeof(why))) == GDFS_OK) {
        fan_assign(&fn, &end, &acked);
        if ((unsigned)__builtin_popcount(acked) < fn.w)
            rc = gdfs_err_noquorum(why, sizeof(why),
                                   "%u of %u replicas took its version, %u "
                                   "needed (%s)",
                                   (unsigned)__builtin_popcount(acked), fn.n,
                                   fn.w, fn.last);
    }
    if (rc == GDFS_OK) {
        meta.version = fn.version;
        meta.size = end.u.put_end.size;
        meta.chunk_size = s->cfg->chunk_size;
        meta.nchunks = end.u.put_end.nchunks;
        memcpy(meta.sha256, end.u.put_end.sha256, GDFS_SHA256_LEN);
        meta.acked = acked;
        meta.nreplicas = (uint8_t)p.n;
        for (unsigned i = 0; i < p.n; i++)
            snprintf(meta.replica[i], sizeof(meta.replica[i]), "%s", p.id[i]);
        rc = commit_record(s, &meta, why, sizeof(why));
    }
    if (fn.assigned)
        fan_assigned(&fn, acked);
    fan_close(&fn, rc != GDFS_OK);
    if (rc == GDFS_OK) {
        gdfs_log(GDFS_LOG_INFO,
                 "put %s: version %llu, %llu bytes, %u of %u "
                 "replicas",
                 name, (unsigned long long)fn.version.seq,
                 (unsigned long long)end.u.put_end.size,
                 (unsigned)__builtin_popcount(acked), p.n);
        return gdfs_reply_ok(s, m->reqid, &fn.version);
    }
    gdfs_log(GDFS_LOG_WARN, "put %s: %s: %s", name, gdfs_strerror(rc), why);
    if (rc == GDFS_ECLOSED || rc == GDFS_ETIMEDOUT || rc == GDFS_ESHUTDOWN)
        return rc;
    if (gdfs_reply_error(s, m->reqid, rc, "put %s: %s", name, why) !=
            GDFS_OK ||
        (!in_step && end.type != GDFS_MSG_CLTOND_PUT_END))
        return GDFS_ECLOSED;
    return end.type == GDFS_MSG_CLTOND_PUT_END ? GDFS_OK : gdfs_drain_put(s);
}

/* ---- get ------------------------------------------------------------------ */

/* The committed record of @name from the leader (here or remote), with
 * replica addresses in @addrs. */
int gdfs_gateway_lookup(struct gdfs_session *s, const struct gdfs_bytes *name,
                        struct gdfs_meta *meta,
                        char (*addrs)[GDFS_ADDR_MAX + 1], char *why,
                        size_t whylen)
{
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_LOOKUP}, r;
    struct gdfs_rpc_conn *c;
    bool self;
    int rc;

    req.u.get.seq = 0;
    req.u.get.name = *name;
    rc = ask_leader(s, &req, GDFS_MSG_NDTOCL_RECORD, false, &self, &r, &c, why,
                    whylen);
    if (rc != GDFS_OK)
        return rc;
    if (self) {
        rc = gdfs_leaderops_record(s, name->p, name->len, meta, why, whylen);
    } else {
        gdfs_records_from_record(&r.u.record.rec, meta);
        gdfs_rpc_close(gdfs_records_rpc(s->records), c);
    }
    /* The replicas are read (and repaired) at the addresses this node
     * knows for them, never at one a reply names; one that is no member
     * here is skipped. */
    for (unsigned i = 0; rc == GDFS_OK && i < meta->nreplicas; i++)
        if (!gdfs_records_member(s->records, meta->replica[i], addrs[i], NULL))
            addrs[i][0] = '\0';
    return rc;
}

struct reader {
    struct gdfs_session *s;
    uint32_t reqid;
    struct gdfs_version want; /* term 0: by seq */
    /* The leader's record of exactly @want, or NULL (get --version N of an
     * older one, get --stale-ok): what a replica must hold under it. */
    const struct gdfs_meta *rec;
    const struct gdfs_bytes *name;
    bool info_sent;
    struct gdfs_msg info; /* the GET_INFO sent to the client */
    uint32_t next;        /* next chunk the client needs */
    struct gdfs_hash list;
    const char *stale; /* get --stale-ok without a leader: why */
    bool client_gone;  /* the client's connection failed: stop */
};

/* get --stale-ok without a leader: tell the client, before GET_INFO. */
static int send_stale(struct reader *rd, const char *addr, int io)
{
    struct gdfs_msg w = {.type = GDFS_MSG_NDTOCL_STALE, .reqid = rd->reqid};
    char name[256], text[GDFS_ERRMSG_MAX];
    int n;

    gdfs_log_name(rd->name, name, sizeof(name));
    n = snprintf(text, sizeof(text),
                 "get %s: version %llu read from %s may be stale: no "
                 "quorum (%s)",
                 name, (unsigned long long)rd->info.u.get_info.version.seq,
                 addr, rd->stale);
    w.u.stale.msg.p = (const uint8_t *)text;
    w.u.stale.msg.len = n < 0                       ? 0
                        : (size_t)n >= sizeof(text) ? sizeof(text) - 1
                                                    : (size_t)n;
    gdfs_log(GDFS_LOG_NOTICE, "%s", text);
    return gdfs_net_send_msg(rd->s->conn, &w, rd->s->out, rd->s->outcap, io);
}

/* The GET_INFO of the replica about to serve the get (@from names it).
 * The first one is sent to the client, and fixes the version; a replica
 * the get resumes on must hold the same bytes. GDFS_ECLOSED (and
 * rd->client_gone) if the client is gone. */
static int take_info(struct reader *rd, const struct gdfs_msg *info,
                     const char *from, char *why, size_t whylen)
{
    struct gdfs_session *s = rd->s;
    int io = gdfs_session_io_ms(s);
    const struct gdfs_msg *first = rd->info_sent ? &rd->info : NULL;

    /* A replica serves the bytes the record names, whatever it says it
     * holds under that version: the first one is checked against the
     * leader's record, any later one against the first. */
    if (first == NULL && rd->rec != NULL &&
        (gdfs_version_cmp(&info->u.get_info.version, &rd->rec->version) != 0 ||
         info->u.get_info.size != rd->rec->size ||
         info->u.get_info.nchunks != rd->rec->nchunks ||
         memcmp(info->u.get_info.sha256, rd->rec->sha256, GDFS_SHA256_LEN) !=
             0)) {
        snprintf(why, whylen,
                 "replica at %s holds other bytes (%llu in %u chunks) under "
                 "version %llu than the leader's record names (%llu in %u)",
                 from, (unsigned long long)info->u.get_info.size,
                 info->u.get_info.nchunks,
                 (unsigned long long)rd->rec->version.seq,
                 (unsigned long long)rd->rec->size, rd->rec->nchunks);
        return GDFS_ECORRUPT;
    }
    if (first != NULL &&
        (info->u.get_info.size != first->u.get_info.size ||
         info->u.get_info.nchunks != first->u.get_info.nchunks ||
         memcmp(info->u.get_info.sha256, first->u.get_info.sha256,
                GDFS_SHA256_LEN) != 0)) {
        snprintf(why, whylen, "replica at %s holds different bytes", from);
        return GDFS_ECORRUPT;
    }
    if (!rd->info_sent) {
        rd->info = *info;
        rd->info.reqid = rd->reqid;
        rd->want = info->u.get_info.version; /* resume exactly this one */
        if ((rd->stale != NULL && send_stale(rd, from, io) != GDFS_OK) ||
            gdfs_net_send_msg(s->conn, &rd->info, s->out, s->outcap, io) !=
                GDFS_OK) {
            rd->client_gone = true;
            return GDFS_ECLOSED;
        }
        rd->info_sent = true;
    }
    return GDFS_OK;
}

/* Send the replica at @addr an RGET of version @v of @name; *cp gets the
 * connection its answer comes on. */
static int rget_send(struct gdfs_session *s, const char *addr,
                     const struct gdfs_bytes *name,
                     const struct gdfs_version *v, struct gdfs_rpc_conn **cp,
                     char *why, size_t whylen)
{
    struct gdfs_rpc *rpc = gdfs_records_rpc(s->records);
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_RGET};
    int rc = gdfs_rpc_open(rpc, addr, cp, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    req.u.rget.version = *v;
    req.u.rget.name = *name;
    rc = gdfs_rpc_send(*cp, &req, gdfs_session_io_ms(s));
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "%s", (*cp)->errmsg);
        gdfs_rpc_close(rpc, *cp);
        *cp = NULL;
    }
    return rc;
}

/* Stream from one replica, from chunk rd->next on, through @c if an RGET
 * of rd->want was sent on it already (early_rget), else through a new
 * request. A failure of the client's connection sets rd->client_gone (and
 * returns GDFS_ECLOSED); any other failure is the replica's, and the
 * caller may try the next one, even when it is GDFS_ECLOSED (the replica
 * died mid-stream). */
static int read_from(struct reader *rd, const char *addr,
                     struct gdfs_rpc_conn *c, char *why, size_t whylen)
{
    struct gdfs_session *s = rd->s;
    struct gdfs_rpc *rpc = gdfs_records_rpc(s->records);
    struct gdfs_msg r;
    int io = gdfs_session_io_ms(s), rc = GDFS_OK;

    if (c == NULL)
        rc = rget_send(s, addr, rd->name, &rd->want, &c, why, whylen);
    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_rpc_recv(c, GDFS_MSG_NDTOCL_GET_INFO, &r, io);
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "%s", c->errmsg);
        gdfs_rpc_close(rpc, c);
        return rc;
    }
    rc = take_info(rd, &r, addr, why, whylen);
    if (rc != GDFS_OK) {
        c->broken = true; /* its chunks are still on the way */
        gdfs_rpc_close(rpc, c);
        return rc;
    }
    for (uint32_t i = 0; i < rd->info.u.get_info.nchunks; i++) {
        uint8_t sha[GDFS_SHA256_LEN];

        rc = gdfs_rpc_recv(c, GDFS_MSG_CHUNK, &r, io);
        if (rc == GDFS_OK && r.u.chunk.idx != i)
            rc = GDFS_EPROTO;
        if (rc != GDFS_OK) {
            snprintf(why, whylen, "%s", c->errmsg);
            c->broken = true;
            gdfs_rpc_close(rpc, c);
            return rc;
        }
        if (i < rd->next)
            continue; /* the client has it from an earlier replica */
        if (r.u.chunk.data.len !=
            gdfs_proto_chunk_len(rd->info.u.get_info.size,
                                 rd->info.u.get_info.chunk_size,
                                 rd->info.u.get_info.nchunks, i)) {
            snprintf(why, whylen, "chunk %u from %s has %zu bytes, %u due", i,
                     addr, r.u.chunk.data.len,
                     gdfs_proto_chunk_len(rd->info.u.get_info.size,
                                          rd->info.u.get_info.chunk_size,
                                          rd->info.u.get_info.nchunks, i));
            c->broken = true;
            gdfs_rpc_close(rpc, c);
            return GDFS_ECORRUPT;
        }
        gdfs_hash_sha256(r.u.chunk.data.p, r.u.chunk.data.len, sha);
        if (memcmp(sha, r.u.chunk.sha256, sizeof(sha)) != 0) {
            snprintf(why, whylen, "chunk %u from %s fails its checksum", i,
                     addr);
            c->broken = true;
            gdfs_rpc_close(rpc, c);
            return GDFS_ECORRUPT;
        }
        gdfs_hash_update(&rd->list, sha, sizeof(sha));
        if (gdfs_reply_raw(s, rd->reqid, c->in,
                           GDFS_PROTO_CHUNK_OVERHEAD + r.u.chunk.data.len) !=
            GDFS_OK) {
            c->broken = true;
            gdfs_rpc_close(rpc, c);
            rd->client_gone = true;
            return GDFS_ECLOSED;
        }
        rd->next = i + 1;
    }
    gdfs_rpc_close(rpc, c);
    return GDFS_OK;
}

/* Stream from this node's own copy (it is a replica), from chunk rd->next
 * on: no RGET to itself over the network, the same checks (each chunk's
 * SHA-256 before it is sent; the file checksum at the end, by the
 * caller). */
static int read_local(struct reader *rd, const char *addr, char *why,
                      size_t whylen)
{
    struct gdfs_session *s = rd->s;
    struct gdfs_store_version v;
    struct gdfs_msg info;
    char name[256];
    int rc;

    gdfs_log_name(rd->name, name, sizeof(name));
    if ((rc = gdfs_store_snapshot_begin(s->st)) != GDFS_OK) {
        snprintf(why, whylen, "%s", gdfs_store_errmsg(s->st));
        return rc;
    }
    if (rd->want.term == 0) /* get --version N: the committed one */
        rc = gdfs_store_lookup(s->st, rd->name->p, rd->name->len, rd->want.seq,
                               &v);
    else
        rc = gdfs_store_lookup_exact(s->st, rd->name->p, rd->name->len,
                                     &rd->want, &v);
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "%s", gdfs_store_errmsg(s->st));
        goto out;
    }
    if (GDFS_PROTO_CHUNK_OVERHEAD + (size_t)v.chunk_size > s->outcap) {
        snprintf(why, whylen,
                 "stored with %u-byte chunks, larger than node %s's buffers "
                 "(chunk_size was lowered?)",
                 v.chunk_size, s->cfg->node_id);
        rc = GDFS_ETOOBIG;
        goto out;
    }
    gdfs_get_info_of(&v, rd->reqid, &info);
    if ((rc = take_info(rd, &info, addr, why, whylen)) != GDFS_OK)
        goto out;
    gdfs_log(GDFS_LOG_DEBUG,
             "get %s: version %llu read from this node's store, from chunk "
             "%u",
             name, (unsigned long long)v.version.seq, rd->next);
    for (uint32_t i = rd->next; i < v.nchunks; i++) {
        uint8_t sha[GDFS_SHA256_LEN];
        size_t len;

        rc = gdfs_load_chunk(s, rd->reqid, &v, i, name, sha, &len, why,
                             whylen);
        if (rc != GDFS_OK)
            goto out;
        gdfs_hash_update(&rd->list, sha, sizeof(sha));
        if (gdfs_net_send_all(s->conn, s->out, len, gdfs_session_io_ms(s)) !=
            GDFS_OK) {
            rd->client_gone = true;
            rc = GDFS_ECLOSED;
            goto out;
        }
        rd->next = i + 1;
    }
out:
    gdfs_store_snapshot_end(s->st);
    return rc;
}

/* A get's read started before the leader answers (early_rget). */
struct early {
    struct gdfs_rpc_conn *c; /* NULL: none */
    struct gdfs_version v;
    char id[GDFS_NODE_ID_MAX + 1];
};

/* A get of the newest version through a node that neither leads nor
 * holds a copy costs two round trips in series: the leader's record, then
 * a replica's bytes. This node's own record table follows the leader's
 * through the record log, usually within a round trip: an RGET of the
 * version it names goes to a replica it names now, while the leader is
 * asked, and serves the get only if the leader's record names that same
 * version (early_take); otherwise it is dropped unread. Nothing reaches
 * the client before the leader answered. */
static void early_rget(struct gdfs_session *s, const struct gdfs_msg *m,
                       struct early *e)
{
    struct gdfs_meta local;
    char addr[GDFS_ADDR_MAX + 1], why[256];
    bool self;

    e->c = NULL;
    if (m->u.get.seq != 0 || (m->flags & GDFS_FLAG_STALE_OK) ||
        gdfs_records_leader(s->records, addr, &self, why, sizeof(why)) !=
            GDFS_OK ||
        self ||
        gdfs_store_meta_get(s->st, m->u.get.name.p, m->u.get.name.len,
                            &local) != GDFS_OK ||
        local.tombstone)
        return;
    for (unsigned i = 0; i < local.nreplicas; i++)
        if (strcmp(local.replica[i], s->cfg->node_id) == 0)
            return; /* it reads its own copy at once */
    for (unsigned i = 0; i < local.nreplicas; i++) {
        if (!gdfs_records_member(s->records, local.replica[i], addr, NULL) ||
            addr[0] == '\0')
            continue;
        if (rget_send(s, addr, &m->u.get.name, &local.version, &e->c, why,
                      sizeof(why)) == GDFS_OK) {
            e->v = local.version;
            snprintf(e->id, sizeof(e->id), "%s", local.replica[i]);
        }
        return;
    }
}

/* Drop an early read's connection @c (NULL is fine) unread. */
static void early_drop(struct gdfs_session *s, struct gdfs_rpc_conn *c)
{
    if (c == NULL)
        return;
    c->broken = true; /* its answer is on the way */
    gdfs_rpc_close(gdfs_records_rpc(s->records), c);
}

/* The early read of @e, if it reads what the leader's record @meta names
 * as @want: the index of its replica in @meta (and *c its connection);
 * else -1, and the early read is dropped. */
static int early_take(struct gdfs_session *s, struct early *e,
                      const struct gdfs_meta *meta,
                      const struct gdfs_version *want,
                      struct gdfs_rpc_conn **c)
{
    *c = NULL;
    if (e->c == NULL)
        return -1;
    if (gdfs_version_cmp(&e->v, want) == 0)
        for (unsigned i = 0; i < meta->nreplicas; i++)
            if (strcmp(meta->replica[i], e->id) == 0) {
                gdfs_log(GDFS_LOG_DEBUG,
                         "get: version %llu read early from %s, as the "
                         "leader's record names",
                         (unsigned long long)want->seq, e->id);
                *c = e->c;
                e->c = NULL;
                return (int)i;
            }
    gdfs_log(GDFS_LOG_DEBUG,
             "get: early read of version %llu from %s dropped: the "
             "leader's record names version %llu",
             (unsigned long long)e->v.seq, e->id,
             (unsigned long long)want->seq);
    early_drop(s, e->c);
    e->c = NULL;
    return -1;
}

int gdfs_gateway_get(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_meta meta;
    char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
    struct reader rd = {.s = s, .reqid = m->reqid, .name = &m->u.get.name};
    struct early early;
    struct gdfs_rpc_conn *ec = NULL; /* the early read's, until used */
    int ei;                          /* its replica in meta, or -1 */
    char name[256], why[1024] = "", last[1024] = "", stale[1024];
    unsigned order[GDFS_REPLICAS], n = 0;
    int rc, lastrc = GDFS_ENOREPLICA;
    uint64_t ticket = 0;
    uint8_t bad = 0, good = 0; /* replicas that failed / served the get */

    gdfs_log_name(&m->u.get.name, name, sizeof(name));
    early_rget(s, m, &early);
    rc = gdfs_gateway_lookup(s, &m->u.get.name, &meta, addrs, why,
                             sizeof(why));
    if ((rc == GDFS_ENOQUORUM || rc == GDFS_ENOTLEADER) &&
        (m->flags & GDFS_FLAG_STALE_OK)) {
        /* No leader to name the newest version: the newest one reachable
         * replicas hold, with a warning (get --stale-ok), which says "no
         * quorum" itself: the reason goes in without those words. */
        snprintf(stale, sizeof(stale), "%s", gdfs_err_reason(rc, why));
        rd.stale = stale;
        rc = gdfs_probe_stale_plan(s, &m->u.get.name, m->u.get.seq, &meta,
                                   addrs, why, sizeof(why));
    }
    if (rc == GDFS_OK && meta.tombstone) {
        rc = GDFS_ENOENT;
        snprintf(why, sizeof(why), "no such file (removed in version %llu)",
                 (unsigned long long)meta.version.seq);
    }
    if (rc != GDFS_OK) {
        early_drop(s, early.c);
        return gdfs_reply_error(s, m->reqid, rc, "get %s: %s", name, why);
    }
    if (m->u.get.seq == 0 || m->u.get.seq == meta.version.seq) {
        rd.want = meta.version;
        rd.rec = rd.stale == NULL ? &meta : NULL;
    } else {
        rd.want.seq = m->u.get.seq;
        rd.want.term = 0;
    }
    /* This node first if it holds a copy, then the one read early, then
     * the others. */
    ei = early_take(s, &early, &meta, &rd.want, &ec);
    for (unsigned i = 0; i < meta.nreplicas; i++)
        if (strcmp(meta.replica[i], s->cfg->node_id) == 0)
            order[n++] = i;
    if (ei >= 0)
        order[n++] = (unsigned)ei;
    for (unsigned i = 0; i < meta.nreplicas; i++)
        if (strcmp(meta.replica[i], s->cfg->node_id) != 0 && (int)i != ei)
            order[n++] = i;
    if ((rc = gdfs_hash_init(&rd.list)) != GDFS_OK) {
        early_drop(s, ec);
        return gdfs_reply_error(s, m->reqid, rc, "get %s: out of memory",
                                name);
    }
    /* R = 2 (DESIGN.md "Get"): a second replica is probed meanwhile; read
     * repair of the committed version, after the get (readrepair.h). */
    if (rd.stale == NULL && rd.want.term != 0 && n > 0)
        ticket = gdfs_readrepair_begin(s->readrepair, &meta,
                                       (const char(*)[GDFS_ADDR_MAX + 1])
                                           addrs,
                                       order[0]);
    for (unsigned k = 0; k < n; k++) {
        unsigned i = order[k];

        if (strcmp(meta.replica[i], s->cfg->node_id) == 0)
            rc = read_local(&rd, addrs[i][0] ? addrs[i] : s->cfg->node_id, why,
                            sizeof(why));
        else if (addrs[i][0] == '\0')
            continue;
        else if ((int)i == ei) {
            rc = read_from(&rd, addrs[i], ec, why, sizeof(why));
            ec = NULL;
        } else
            rc = read_from(&rd, addrs[i], NULL, why, sizeof(why));
        if (rc == GDFS_OK)
            good |= (uint8_t)(1u << i);
        if (rc == GDFS_OK || rd.client_gone)
            break;
        gdfs_log(GDFS_LOG_WARN, "get %s: replica %s: %s", name,
                 meta.replica[i], why);
        snprintf(last, sizeof(last), "%s: %s", meta.replica[i], why);
        lastrc = rc;
        /* It lacks the version, or sent a bad chunk. */
        if (rc == GDFS_ENOENT || rc == GDFS_ECORRUPT)
            bad |= (uint8_t)(1u << i);
    }
    early_drop(s, ec); /* the get ended before reaching it */
    if (rd.stale == NULL && rd.want.term != 0)
        gdfs_readrepair_end(s->readrepair, ticket, &meta,
                            (const char(*)[GDFS_ADDR_MAX + 1]) addrs, bad,
                            good);
    if (rc == GDFS_OK) {
        uint8_t top[GDFS_SHA256_LEN];

        gdfs_hash_final(&rd.list, top);
        if (memcmp(top, rd.info.u.get_info.sha256, sizeof(top)) == 0)
            return GDFS_OK;
        return gdfs_reply_error(s, m->reqid, GDFS_ECORRUPT,
                                "get %s: the chunks do not add up to the "
                                "file's checksum",
                                name);
    }
    gdfs_hash_discard(&rd.list);
    if (rd.client_gone)
        return GDFS_ECLOSED;
    if (!rd.info_sent && lastrc == GDFS_ENOENT && m->u.get.seq != 0)
        return gdfs_reply_error(s, m->reqid, GDFS_ENOENT,
                                "get %s: version %llu is not kept", name,
                                (unsigned long long)m->u.get.seq);
    return gdfs_reply_error(s, m->reqid,
                            lastrc == GDFS_ENOENT ? GDFS_ENOREPLICA : lastrc,
                            "get %s: no replica could serve version %llu "
                            "(last: %s)",
                            name, (unsigned long long)rd.want.seq, last);
}
