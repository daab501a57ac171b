/* gdfs wire protocol: the messages between a client (gdfs-cli, or a node
 * acting as one) and a node: generic replies (ERROR, OK), put and get
 * with their CHUNK stream, remove, list, locate, status, versions and the
 * stale-read notice; with the entries of their list replies (writer
 * adders and iterators). Layouts: proto/messages.h. */
#include "proto/proto_int.h"

#include <assert.h>
#include <string.h>

/* ---- NDTOCL_ERROR: status:32 msglen:16 msg ------------------------------- */

static bool error_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.error.status = gdfs_pack_get_u32(r);
    gdfs_proto_get_bytes16(r, &m->u.error.msg);
    return !r->bad && m->u.error.status != 0 &&
           m->u.error.msg.len <= GDFS_ERRMSG_MAX;
}

static int error_check(const struct gdfs_msg *m)
{
    if (m->u.error.msg.len > GDFS_ERRMSG_MAX)
        return GDFS_ETOOBIG;
    if (m->u.error.status == 0 ||
        (m->u.error.msg.len > 0 && m->u.error.msg.p == NULL))
        return GDFS_EINVAL;
    return GDFS_OK;
}

static void error_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_pack_put_u32(w, m->u.error.status);
    gdfs_proto_put_bytes16(w, &m->u.error.msg);
}

const struct gdfs_proto_codec gdfs_proto_codec_error = {
    .decode = error_decode,
    .check = error_check,
    .encode = error_encode,
};

/* ---- NDTOCL_OK: seq:64 term:64 ------------------------------------------- */

static bool ok_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.ok.version);
    return !r->bad;
}

static void ok_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_version(w, &m->u.ok.version);
}

const struct gdfs_proto_codec gdfs_proto_codec_ok = {
    .decode = ok_decode,
    .encode = ok_encode,
};

/* ---- a name alone: CLTOND_PUT, _REMOVE, _LOCATE, _VERSIONS, NDTOND_ALLOC - */

static bool name_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_bytes16(r, &m->u.put.name);
    return !r->bad && gdfs_proto_valid_name(&m->u.put.name);
}

static int name_check(const struct gdfs_msg *m)
{
    return gdfs_proto_check_name_enc(&m->u.put.name, false);
}

static void name_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_bytes16(w, &m->u.put.name);
}

const struct gdfs_proto_codec gdfs_proto_codec_name = {
    .decode = name_decode,
    .check = name_check,
    .encode = name_encode,
};

/* ---- NDTOCL_PUT_READY: chunk_size:32 seq:64 term:64 ---------------------- */

static bool put_ready_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.put_ready.chunk_size = gdfs_pack_get_u32(r);
    gdfs_proto_get_version(r, &m->u.put_ready.version);
    return !r->bad && gdfs_proto_valid_chunk_size(m->u.put_ready.chunk_size);
}

static int put_ready_check(const struct gdfs_msg *m)
{
    return gdfs_proto_check_chunk_size_enc(m->u.put_ready.chunk_size);
}

static void put_ready_encode(struct gdfs_pack_writer *w,
                             const struct gdfs_msg *m)
{
    gdfs_pack_put_u32(w, m->u.put_ready.chunk_size);
    gdfs_proto_put_version(w, &m->u.put_ready.version);
}

const struct gdfs_proto_codec gdfs_proto_codec_put_ready = {
    .decode = put_ready_decode,
    .check = put_ready_check,
    .encode = put_ready_encode,
};

/* ---- CHUNK: idx:32 sha256:32B len:32 data:len ---------------------------- */

static bool chunk_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.chunk.idx = gdfs_pack_get_u32(r);
    gdfs_pack_get_copy(r, m->u.chunk.sha256, GDFS_SHA256_LEN);
    m->u.chunk.data.len = gdfs_pack_get_u32(r);
    /* Check the limit before asking for the bytes: len is 32 bits. */
    if (r->bad || m->u.chunk.data.len == 0 ||
        m->u.chunk.data.len > GDFS_CHUNK_MAX)
        return false;
    m->u.chunk.data.p = gdfs_pack_get_bytes(r, m->u.chunk.data.len);
    return !r->bad;
}

static int chunk_check(const struct gdfs_msg *m)
{
    if (m->u.chunk.data.len > GDFS_CHUNK_MAX)
        return GDFS_ETOOBIG;
    if (m->u.chunk.data.len == 0 || m->u.chunk.data.p == NULL)
        return GDFS_EINVAL;
    return GDFS_OK;
}

static void chunk_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_pack_put_u32(w, m->u.chunk.idx);
    gdfs_pack_put_bytes(w, m->u.chunk.sha256, GDFS_SHA256_LEN);
    gdfs_pack_put_u32(w, (uint32_t)m->u.chunk.data.len);
    gdfs_pack_put_bytes(w, m->u.chunk.data.p, m->u.chunk.data.len);
}

const struct gdfs_proto_codec gdfs_proto_codec_chunk = {
    .decode = chunk_decode,
    .check = chunk_check,
    .encode = chunk_encode,
};

void gdfs_proto_encode_chunk_hdr(uint8_t *buf, uint32_t reqid, uint32_t idx,
                                 const uint8_t sha256[GDFS_SHA256_LEN],
                                 uint32_t datalen)
{
    struct gdfs_pack_writer w;

    /* proto.h CHUNK: len >= 1 and <= GDFS_CHUNK_MAX; anything else would be
     * refused by the receiver, so it is the caller's bug. */
    assert(datalen >= 1 && datalen <= GDFS_CHUNK_MAX);
    gdfs_pack_writer_init(&w, buf, GDFS_PROTO_CHUNK_OVERHEAD, 0);
    gdfs_proto_put_hdr(
        &w, GDFS_MSG_CHUNK, 0, reqid,
        (uint32_t)(GDFS_PROTO_CHUNK_OVERHEAD - GDFS_PROTO_HDR_LEN) + datalen);
    gdfs_pack_put_u32(&w, idx);
    gdfs_pack_put_bytes(&w, sha256, GDFS_SHA256_LEN);
    gdfs_pack_put_u32(&w, datalen);
    assert(!w.bad && w.off == GDFS_PROTO_CHUNK_OVERHEAD);
}

/* ---- CLTOND_PUT_END: size:64 nchunks:32 sha256:32B ----------------------- */

/* proto/messages.h CLTOND_PUT_END: the chunk size is not in the frame, so
 * nchunks is checked against the range any chunk size allows (the node
 * then compares both with the chunks it received): none for an empty
 * file, else all but the last full (GDFS_CHUNK_MIN at least), the last 1
 * byte at least, none over GDFS_CHUNK_MAX. In 64 bits, without overflow
 * (nchunks < 2^32, GDFS_CHUNK_MAX = 2^22). */
static bool valid_put_end(uint64_t size, uint32_t nchunks)
{
    if (nchunks == 0)
        return size == 0;
    return size > (uint64_t)(nchunks - 1) * GDFS_CHUNK_MIN &&
           size <= (uint64_t)nchunks * GDFS_CHUNK_MAX;
}

static bool put_end_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.put_end.size = gdfs_pack_get_u64(r);
    m->u.put_end.nchunks = gdfs_pack_get_u32(r);
    gdfs_pack_get_copy(r, m->u.put_end.sha256, GDFS_SHA256_LEN);
    return !r->bad && valid_put_end(m->u.put_end.size, m->u.put_end.nchunks);
}

static int put_end_check(const struct gdfs_msg *m)
{
    return valid_put_end(m->u.put_end.size, m->u.put_end.nchunks)
               ? GDFS_OK
               : GDFS_EINVAL;
}

static void put_end_encode(struct gdfs_pack_writer *w,
                           const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.put_end.size);
    gdfs_pack_put_u32(w, m->u.put_end.nchunks);
    gdfs_pack_put_bytes(w, m->u.put_end.sha256, GDFS_SHA256_LEN);
}

const struct gdfs_proto_codec gdfs_proto_codec_put_end = {
    .decode = put_end_decode,
    .check = put_end_check,
    .encode = put_end_encode,
};

/* ---- NDTOND_RPUT_VERSION: seq:64 term:64 then PUT_END's fields ---------- */

/* The version of a copy stored before the gateway knew it
 * (proto/messages.h NDTOND_RPUT_VERSION), and its content by PUT_END's
 * rules. */
static bool rput_version_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.put_end.version);
    return !r->bad && m->u.put_end.version.seq >= 1 &&
           gdfs_proto_valid_version(&m->u.put_end.version) &&
           put_end_decode(r, m);
}

static int rput_version_check(const struct gdfs_msg *m)
{
    if (m->u.put_end.version.seq == 0 ||
        !gdfs_proto_valid_version(&m->u.put_end.version))
        return GDFS_EINVAL;
    return put_end_check(m);
}

static void rput_version_encode(struct gdfs_pack_writer *w,
                                const struct gdfs_msg *m)
{
    gdfs_proto_put_version(w, &m->u.put_end.version);
    put_end_encode(w, m);
}

const struct gdfs_proto_codec gdfs_proto_codec_rput_version = {
    .decode = rput_version_decode,
    .check = rput_version_check,
    .encode = rput_version_encode,
};

/* ---- CLTOND_GET, NDTOND_LOOKUP: seq:64 namelen:16 name ------------------- */

static bool get_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.get.seq = gdfs_pack_get_u64(r);
    gdfs_proto_get_bytes16(r, &m->u.get.name);
    return !r->bad && gdfs_proto_valid_name(&m->u.get.name);
}

static int get_check(const struct gdfs_msg *m)
{
    return gdfs_proto_check_name_enc(&m->u.get.name, false);
}

static void get_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.get.seq);
    gdfs_proto_put_bytes16(w, &m->u.get.name);
}

const struct gdfs_proto_codec gdfs_proto_codec_get = {
    .decode = get_decode,
    .check = get_check,
    .encode = get_encode,
};

/* ---- NDTOCL_GET_INFO ----------------------------------------------------- */

/* seq:64 term:64 size:64 chunk_size:32 nchunks:32 sha256:32B */
static bool get_info_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.get_info.version);
    m->u.get_info.size = gdfs_pack_get_u64(r);
    m->u.get_info.chunk_size = gdfs_pack_get_u32(r);
    m->u.get_info.nchunks = gdfs_pack_get_u32(r);
    gdfs_pack_get_copy(r, m->u.get_info.sha256, GDFS_SHA256_LEN);
    return !r->bad && gdfs_proto_valid_chunk_size(m->u.get_info.chunk_size) &&
           gdfs_proto_valid_shape(m->u.get_info.size, m->u.get_info.chunk_size,
                                  m->u.get_info.nchunks);
}

static int get_info_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_chunk_size_enc(m->u.get_info.chunk_size);

    if (rc != GDFS_OK)
        return rc;
    if (!gdfs_proto_valid_shape(m->u.get_info.size, m->u.get_info.chunk_size,
                                m->u.get_info.nchunks))
        return GDFS_EINVAL;
    return GDFS_OK;
}

static void get_info_encode(struct gdfs_pack_writer *w,
                            const struct gdfs_msg *m)
{
    gdfs_proto_put_version(w, &m->u.get_info.version);
    gdfs_pack_put_u64(w, m->u.get_info.size);
    gdfs_pack_put_u32(w, m->u.get_info.chunk_size);
    gdfs_pack_put_u32(w, m->u.get_info.nchunks);
    gdfs_pack_put_bytes(w, m->u.get_info.sha256, GDFS_SHA256_LEN);
}

const struct gdfs_proto_codec gdfs_proto_codec_get_info = {
    .decode = get_info_decode,
    .check = get_info_check,
    .encode = get_info_encode,
};

/* ---- CLTOND_LIST: scope:8 max:32 afterlen:16 after ----------------------- */

static bool list_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.list.scope = gdfs_pack_get_u8(r);
    m->u.list.max = gdfs_pack_get_u32(r);
    gdfs_proto_get_bytes16(r, &m->u.list.after);
    return !r->bad && m->u.list.scope <= GDFS_LIST_HERE &&
           (m->u.list.after.len == 0 ||
            gdfs_proto_valid_name(&m->u.list.after));
}

static int list_check(const struct gdfs_msg *m)
{
    if (m->u.list.scope > GDFS_LIST_HERE)
        return GDFS_EINVAL;
    return gdfs_proto_check_name_enc(&m->u.list.after, true);
}

static void list_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_pack_put_u8(w, m->u.list.scope);
    gdfs_pack_put_u32(w, m->u.list.max);
    gdfs_proto_put_bytes16(w, &m->u.list.after);
}

const struct gdfs_proto_codec gdfs_proto_codec_list = {
    .decode = list_decode,
    .check = list_check,
    .encode = list_encode,
};

/* ---- NDTOCL_LIST: more:8 count:32 then count x list entry ---------------- */

/* { namelen:16 name size:64 seq:64 term:64 replicas:8 } */
static bool list_entry(struct gdfs_pack_reader *r, void *out)
{
    struct gdfs_list_entry *e = out;

    gdfs_proto_get_bytes16(r, &e->name);
    e->size = gdfs_pack_get_u64(r);
    gdfs_proto_get_version(r, &e->version);
    e->replicas = gdfs_pack_get_u8(r);
    return !r->bad && gdfs_proto_valid_name(&e->name);
}

static bool list_reply_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    return gdfs_proto_read_list(r, m, &m->u.list_reply.more,
                                &m->u.list_reply.body);
}

const struct gdfs_proto_codec gdfs_proto_codec_list_reply = {
    .decode = list_reply_decode,
    .entry = list_entry,
    .count_len = 4,
    .more = true,
};

/* An entry that the decoder would refuse is GDFS_EINVAL (not GDFS_ETOOBIG,
 * which tells the caller "frame full, finish it with more"); so in every
 * adder below. */
int gdfs_proto_add_list(struct gdfs_proto_writer *w,
                        const struct gdfs_list_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 2 + e->name.len + 8 + 8 + 8 + 1;
    int rc;

    if (!gdfs_proto_valid_name(&e->name))
        return GDFS_EINVAL;
    rc = gdfs_proto_writer_room(w, list_entry, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_bytes16(&pw, &e->name);
    gdfs_pack_put_u64(&pw, e->size);
    gdfs_proto_put_version(&pw, &e->version);
    gdfs_pack_put_u8(&pw, e->replicas);
    gdfs_proto_writer_commit(w, &pw, size);
    return GDFS_OK;
}

bool gdfs_proto_next_list(const struct gdfs_list_body *b, size_t *off,
                          struct gdfs_list_entry *e)
{
    return gdfs_proto_next_entry(list_entry, b, off, e);
}

/* ---- NDTOCL_LOCATE: seq:64 term:64 size:64 count:8 then replica entries - */

/* { idlen:8 id addrlen:8 addr seq:64 term:64 state:8 copy:8 } */
static bool replica_entry(struct gdfs_pack_reader *r, void *out)
{
    struct gdfs_replica_entry *e = out;

    gdfs_proto_get_bytes8(r, &e->id);
    gdfs_proto_get_bytes8(r, &e->addr);
    gdfs_proto_get_version(r, &e->version);
    e->state = gdfs_pack_get_u8(r);
    e->copy = gdfs_pack_get_u8(r);
    return !r->bad && gdfs_proto_valid_node_id(&e->id) &&
           gdfs_proto_valid_addr(&e->addr) &&
           e->state <= GDFS_MEMBER_STATE_MAX && e->copy <= GDFS_COPY_STATE_MAX;
}

static bool locate_reply_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.locate_reply.version);
    m->u.locate_reply.size = gdfs_pack_get_u64(r);
    return gdfs_proto_read_list(r, m, NULL, &m->u.locate_reply.body);
}

static void locate_reply_encode(struct gdfs_pack_writer *w,
                                const struct gdfs_msg *m)
{
    gdfs_proto_put_version(w, &m->u.locate_reply.version);
    gdfs_pack_put_u64(w, m->u.locate_reply.size);
}

const struct gdfs_proto_codec gdfs_proto_codec_locate_reply = {
    .decode = locate_reply_decode,
    .encode = locate_reply_encode,
    .entry = replica_entry,
    .count_len = 1,
};

int gdfs_proto_add_replica(struct gdfs_proto_writer *w,
                           const struct gdfs_replica_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 1 + e->id.len + 1 + e->addr.len + 8 + 8 + 1 + 1;
    int rc;

    if (!gdfs_proto_valid_node_id(&e->id) ||
        !gdfs_proto_valid_addr(&e->addr) || e->state > GDFS_MEMBER_STATE_MAX ||
        e->copy > GDFS_COPY_STATE_MAX)
        return GDFS_EINVAL;
    rc = gdfs_proto_writer_room(w, replica_entry, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_bytes8(&pw, &e->id);
    gdfs_proto_put_bytes8(&pw, &e->addr);
    gdfs_proto_put_version(&pw, &e->version);
    gdfs_pack_put_u8(&pw, e->state);
    gdfs_pack_put_u8(&pw, e->copy);
    gdfs_proto_writer_commit(w, &pw, size);
    return GDFS_OK;
}

bool gdfs_proto_next_replica(const struct gdfs_list_body *b, size_t *off,
                             struct gdfs_replica_entry *e)
{
    return gdfs_proto_next_entry(replica_entry, b, off, e);
}

/* ---- NDTOCL_STATUS ------------------------------------------------------- */

/* proto/messages.h NDTOCL_STATUS: "role: enum gdfs_group_role 0..5" (the
 * enum lives in core/group.h, which the protocol does not include). */
#define STATUS_ROLE_MAX 5
/* proto/messages.h NDTOCL_STATUS: ring bits other than these are 0. */
#define RING_BITS (GDFS_RING_TO | GDFS_RING_FROM)

/* NDTOCL_STATUS: "leaderlen may be 0" (no known leader). */
static bool valid_leader(const struct gdfs_bytes *b)
{
    return b->len == 0 || gdfs_proto_valid_node_id(b);
}

/* { idlen:8 id addrlen:8 addr state:8 ring:8 } */
static bool member_entry(struct gdfs_pack_reader *r, void *out)
{
    struct gdfs_member_entry *e = out;

    gdfs_proto_get_bytes8(r, &e->id);
    gdfs_proto_get_bytes8(r, &e->addr);
    e->state = gdfs_pack_get_u8(r);
    e->ring = gdfs_pack_get_u8(r);
    return !r->bad && gdfs_proto_valid_node_id(&e->id) &&
           gdfs_proto_valid_addr(&e->addr) &&
           e->state <= GDFS_STATUS_STATE_MAX && (e->ring & ~RING_BITS) == 0;
}

/* running:8 passes:32 checked:64 total:64 bad:64 repaired:64 */
static bool read_scrub(struct gdfs_pack_reader *r,
                       struct gdfs_scrub_figures *sc)
{
    uint8_t running = gdfs_pack_get_u8(r);

    sc->running = running == 1;
    sc->passes = gdfs_pack_get_u32(r);
    sc->checked = gdfs_pack_get_u64(r);
    sc->total = gdfs_pack_get_u64(r);
    sc->bad = gdfs_pack_get_u64(r);
    sc->repaired = gdfs_pack_get_u64(r);
    return !r->bad && running <= 1;
}

/* idlen:8 id grouplen:8 group leaderlen:8 leader term:64 role:8 count:16
 * then count members, then the optional tail (HEALTH, scrub figures) */
static bool status_reply_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_bytes8(r, &m->u.status_reply.id);
    gdfs_proto_get_bytes8(r, &m->u.status_reply.group);
    gdfs_proto_get_bytes8(r, &m->u.status_reply.leader);
    m->u.status_reply.term = gdfs_pack_get_u64(r);
    m->u.status_reply.role = gdfs_pack_get_u8(r);
    if (r->bad || !gdfs_proto_valid_node_id(&m->u.status_reply.id) ||
        !gdfs_proto_valid_group(&m->u.status_reply.group) ||
        !valid_leader(&m->u.status_reply.leader) ||
        m->u.status_reply.role > STATUS_ROLE_MAX)
        return false;
    if (!gdfs_proto_read_list(r, m, NULL, &m->u.status_reply.body))
        return false;
    /* The optional tail: absent, or whole. */
    if (gdfs_pack_left(r) == 0)
        return true;
    m->u.status_reply.has_tail = true;
    return gdfs_proto_read_health(r, &m->u.status_reply.health) &&
           read_scrub(r, &m->u.status_reply.scrub) &&
           gdfs_proto_read_rooms(r, &m->u.status_reply.health.capacity);
}

static int status_reply_check(const struct gdfs_msg *m)
{
    if (m->u.status_reply.id.len > GDFS_NODE_ID_MAX ||
        m->u.status_reply.group.len > GDFS_NODE_ID_MAX ||
        m->u.status_reply.leader.len > GDFS_NODE_ID_MAX)
        return GDFS_ETOOBIG;
    if (!gdfs_proto_valid_node_id(&m->u.status_reply.id) ||
        !gdfs_proto_valid_group(&m->u.status_reply.group) ||
        !valid_leader(&m->u.status_reply.leader) ||
        m->u.status_reply.role > STATUS_ROLE_MAX)
        return GDFS_EINVAL;
    return GDFS_OK;
}

static void status_reply_encode(struct gdfs_pack_writer *w,
                                const struct gdfs_msg *m)
{
    gdfs_proto_put_bytes8(w, &m->u.status_reply.id);
    gdfs_proto_put_bytes8(w, &m->u.status_reply.group);
    gdfs_proto_put_bytes8(w, &m->u.status_reply.leader);
    gdfs_pack_put_u64(w, m->u.status_reply.term);
    gdfs_pack_put_u8(w, m->u.status_reply.role);
}

const struct gdfs_proto_codec gdfs_proto_codec_status_reply = {
    .decode = status_reply_decode,
    .check = status_reply_check,
    .encode = status_reply_encode,
    .entry = member_entry,
    .count_len = 2,
};

int gdfs_proto_add_member(struct gdfs_proto_writer *w,
                          const struct gdfs_member_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 1 + e->id.len + 1 + e->addr.len + 1 + 1;
    int rc;

    if (!gdfs_proto_valid_node_id(&e->id) ||
        !gdfs_proto_valid_addr(&e->addr) || e->state > GDFS_STATUS_STATE_MAX ||
        (e->ring & ~RING_BITS) != 0)
        return GDFS_EINVAL;
    rc = gdfs_proto_writer_room(w, member_entry, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_bytes8(&pw, &e->id);
    gdfs_proto_put_bytes8(&pw, &e->addr);
    gdfs_pack_put_u8(&pw, e->state);
    gdfs_pack_put_u8(&pw, e->ring);
    gdfs_proto_writer_commit(w, &pw, size);
    return GDFS_OK;
}

int gdfs_proto_writer_status_tail(struct gdfs_proto_writer *w,
                                  const struct gdfs_health_figures *h,
                                  const struct gdfs_scrub_figures *sc)
{
    struct gdfs_pack_writer pw;

    if (w->type != GDFS_MSG_NDTOCL_STATUS || !gdfs_proto_valid_health_enc(h) ||
        !gdfs_proto_valid_rooms_enc(&h->capacity))
        return GDFS_EINVAL;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_health(&pw, h);
    gdfs_pack_put_u8(&pw, sc->running ? 1 : 0);
    gdfs_pack_put_u32(&pw, sc->passes);
    gdfs_pack_put_u64(&pw, sc->checked);
    gdfs_pack_put_u64(&pw, sc->total);
    gdfs_pack_put_u64(&pw, sc->bad);
    gdfs_pack_put_u64(&pw, sc->repaired);
    gdfs_proto_put_rooms(&pw, &h->capacity);
    if (pw.bad)
        return GDFS_ETOOBIG;
    w->len = pw.off;
    w->count_max = w->count; /* no member after the tail */
    return GDFS_OK;
}

bool gdfs_proto_next_member(const struct gdfs_list_body *b, size_t *off,
                            struct gdfs_member_entry *e)
{
    return gdfs_proto_next_entry(member_entry, b, off, e);
}

/* ---- NDTOCL_VERSIONS: count:16 then version entries ---------------------- */

/* { seq:64 term:64 size:64 tombstone:8 } */
static bool version_entry(struct gdfs_pack_reader *r, void *out)
{
    struct gdfs_version_entry *e = out;

    gdfs_proto_get_version(r, &e->version);
    e->size = gdfs_pack_get_u64(r);
    /* Only 0 and 1 are booleans: anything else would not re-encode. */
    return gdfs_proto_get_bool(r, &e->tombstone);
}

static bool versions_reply_decode(struct gdfs_pack_reader *r,
                                  struct gdfs_msg *m)
{
    return gdfs_proto_read_list(r, m, NULL, &m->u.versions_reply.body);
}

const struct gdfs_proto_codec gdfs_proto_codec_versions_reply = {
    .decode = versions_reply_decode,
    .entry = version_entry,
    .count_len = 2,
};

int gdfs_proto_add_version(struct gdfs_proto_writer *w,
                           const struct gdfs_version_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 8 + 8 + 8 + 1;
    int rc;

    rc = gdfs_proto_writer_room(w, version_entry, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_version(&pw, &e->version);
    gdfs_pack_put_u64(&pw, e->size);
    gdfs_pack_put_u8(&pw, e->tombstone ? 1 : 0);
    gdfs_proto_writer_commit(w, &pw, size);
    return GDFS_OK;
}

bool gdfs_proto_next_version(const struct gdfs_list_body *b, size_t *off,
                             struct gdfs_version_entry *e)
{
    return gdfs_proto_next_entry(version_entry, b, off, e);
}

/* ---- NDTOCL_STALE: msglen:16 msg ----------------------------------------- */

static bool stale_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_bytes16(r, &m->u.stale.msg);
    return !r->bad && m->u.stale.msg.len >= 1 &&
           m->u.stale.msg.len <= GDFS_ERRMSG_MAX;
}

static int stale_check(const struct gdfs_msg *m)
{
    if (m->u.stale.msg.len > GDFS_ERRMSG_MAX)
        return GDFS_ETOOBIG;
    if (m->u.stale.msg.len == 0 || m->u.stale.msg.p == NULL)
        return GDFS_EINVAL;
    return GDFS_OK;
}

static void stale_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_bytes16(w, &m->u.stale.msg);
}

const struct gdfs_proto_codec gdfs_proto_codec_stale = {
    .decode = stale_decode,
    .check = stale_check,
    .encode = stale_encode,
};
