/* gdfs wire protocol: framing, encode/decode, list writer and readers.
 *
 * Pure code (no I/O, no allocation); see proto.h for the layouts and the
 * contracts. Decoding checks every length against the bytes present and
 * against the limits in proto.h, and every value that has a closed set of
 * meanings (states, scope, booleans); the encoding is canonical, so a
 * decoded message re-encodes to the same bytes.
 *
 * Sections, in order:
 *   validation        names, node ids, addresses, groups
 *   list entries      one reader per entry kind, shared by decode and the
 *                     gdfs_proto_next_* iterators
 *   frame header
 *   decode
 *   encode
 *   list writer
 *   iterators, type names */
#include "proto.h"

#include <assert.h>
#include <string.h>

#include "pack.h"

/* ---- validation ---------------------------------------------------------- */

int gdfs_proto_check_name(const uint8_t *p, size_t len)
{
    if (len == 0 || len > GDFS_NAME_MAX || p == NULL)
        return GDFS_ENAME;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return GDFS_ENAME;
    return GDFS_OK;
}

int gdfs_proto_check_node_id(const uint8_t *p, size_t len)
{
    if (len == 0 || len > GDFS_NODE_ID_MAX || p == NULL)
        return GDFS_EINVAL;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return GDFS_EINVAL;
    }
    return GDFS_OK;
}

/* 1..@max bytes of printable ASCII other than space (0x21-0x7e): the rule
 * for addresses and group names. */
static bool valid_printable(const uint8_t *p, size_t len, size_t max)
{
    if (len == 0 || len > max || p == NULL)
        return false;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x21 || p[i] > 0x7e)
            return false;
    return true;
}

static bool valid_name(const struct gdfs_bytes *b)
{
    return gdfs_proto_check_name(b->p, b->len) == GDFS_OK;
}

static bool valid_node_id(const struct gdfs_bytes *b)
{
    return gdfs_proto_check_node_id(b->p, b->len) == GDFS_OK;
}

static bool valid_addr(const struct gdfs_bytes *b)
{
    return valid_printable(b->p, b->len, GDFS_ADDR_MAX);
}

static bool valid_group(const struct gdfs_bytes *b)
{
    return valid_printable(b->p, b->len, GDFS_NODE_ID_MAX);
}

/* proto.h NDTOCL_STATUS: "leaderlen may be 0" (no known leader). */
static bool valid_leader(const struct gdfs_bytes *b)
{
    return b->len == 0 || valid_node_id(b);
}

/* GET_INFO: nchunks = ceil(size / chunk_size), 0 for an empty file. Done in
 * 64 bits: a size whose chunk count overflows 32 bits never matches. */
static bool valid_nchunks(uint64_t size, uint32_t chunk_size,
                          uint32_t nchunks)
{
    uint64_t want = size / chunk_size + (size % chunk_size != 0);

    return want == nchunks;
}

static bool valid_chunk_size(uint32_t chunk_size)
{
    return chunk_size >= GDFS_CHUNK_MIN && chunk_size <= GDFS_CHUNK_MAX;
}

static bool is_list_reply(uint8_t type)
{
    return type == GDFS_MSG_NDTOCL_LIST || type == GDFS_MSG_NDTOCL_LOCATE ||
           type == GDFS_MSG_NDTOCL_STATUS || type == GDFS_MSG_NDTOCL_VERSIONS;
}

/* ---- list entries -------------------------------------------------------- */

union entry {
    struct gdfs_list_entry list;
    struct gdfs_replica_entry replica;
    struct gdfs_member_entry member;
    struct gdfs_version_entry version;
};

static void get_bytes8(struct gdfs_pack_reader *r, struct gdfs_bytes *b)
{
    b->len = gdfs_pack_get_u8(r);
    b->p = gdfs_pack_get_bytes(r, b->len);
}

static void get_bytes16(struct gdfs_pack_reader *r, struct gdfs_bytes *b)
{
    b->len = gdfs_pack_get_u16(r);
    b->p = gdfs_pack_get_bytes(r, b->len);
}

static void get_version(struct gdfs_pack_reader *r, struct gdfs_version *v)
{
    v->seq = gdfs_pack_get_u64(r);
    v->term = gdfs_pack_get_u64(r);
}

/* { namelen:16 name size:64 seq:64 term:64 replicas:8 } */
static bool read_list_entry(struct gdfs_pack_reader *r,
                            struct gdfs_list_entry *e)
{
    get_bytes16(r, &e->name);
    e->size = gdfs_pack_get_u64(r);
    get_version(r, &e->version);
    e->replicas = gdfs_pack_get_u8(r);
    return !r->bad && valid_name(&e->name);
}

/* { idlen:8 id addrlen:8 addr seq:64 term:64 state:8 } */
static bool read_replica_entry(struct gdfs_pack_reader *r,
                               struct gdfs_replica_entry *e)
{
    get_bytes8(r, &e->id);
    get_bytes8(r, &e->addr);
    get_version(r, &e->version);
    e->state = gdfs_pack_get_u8(r);
    return !r->bad && valid_node_id(&e->id) && valid_addr(&e->addr) &&
           e->state <= GDFS_MEMBER_STATE_MAX;
}

/* { idlen:8 id addrlen:8 addr state:8 } */
static bool read_member_entry(struct gdfs_pack_reader *r,
                              struct gdfs_member_entry *e)
{
    get_bytes8(r, &e->id);
    get_bytes8(r, &e->addr);
    e->state = gdfs_pack_get_u8(r);
    return !r->bad && valid_node_id(&e->id) && valid_addr(&e->addr) &&
           e->state <= GDFS_MEMBER_STATE_MAX;
}

/* { seq:64 term:64 size:64 tombstone:8 } */
static bool read_version_entry(struct gdfs_pack_reader *r,
                               struct gdfs_version_entry *e)
{
    uint8_t tomb;

    get_version(r, &e->version);
    e->size = gdfs_pack_get_u64(r);
    tomb = gdfs_pack_get_u8(r);
    e->tombstone = tomb == 1;
    /* Only 0 and 1 are booleans: anything else would not re-encode. */
    return !r->bad && tomb <= 1;
}

/* Read and validate one entry of the list reply @type. */
static bool read_entry(uint8_t type, struct gdfs_pack_reader *r,
                       union entry *e)
{
    switch (type) {
    case GDFS_MSG_NDTOCL_LIST:
        return read_list_entry(r, &e->list);
    case GDFS_MSG_NDTOCL_LOCATE:
        return read_replica_entry(r, &e->replica);
    case GDFS_MSG_NDTOCL_STATUS:
        return read_member_entry(r, &e->member);
    case GDFS_MSG_NDTOCL_VERSIONS:
        return read_version_entry(r, &e->version);
    }
    return false;
}

/* ---- frame header -------------------------------------------------------- */

int gdfs_proto_decode_hdr(const uint8_t *buf, uint32_t max_payload,
                          struct gdfs_frame_hdr *hdr)
{
    struct gdfs_pack_reader r;
    uint32_t magic, reqid, len;
    uint8_t version, type;
    uint16_t flags;

    if (max_payload > GDFS_PROTO_MAX_PAYLOAD)
        max_payload = GDFS_PROTO_MAX_PAYLOAD;
    gdfs_pack_reader_init(&r, buf, GDFS_PROTO_HDR_LEN);
    magic = gdfs_pack_get_u32(&r);
    version = gdfs_pack_get_u8(&r);
    type = gdfs_pack_get_u8(&r);
    flags = gdfs_pack_get_u16(&r);
    reqid = gdfs_pack_get_u32(&r);
    len = gdfs_pack_get_u32(&r);
    if (r.bad || magic != GDFS_PROTO_MAGIC || version != GDFS_PROTO_VERSION ||
        type == 0 || type > GDFS_MSG_TYPE_MAX || flags != 0 ||
        len > max_payload)
        return GDFS_EPROTO;
    hdr->type = type;
    hdr->flags = flags;
    hdr->reqid = reqid;
    hdr->len = len;
    return GDFS_OK;
}

/* ---- decode -------------------------------------------------------------- */

/* count entries of @type from @r; on success @b covers exactly them. */
static bool decode_body(uint8_t type, struct gdfs_pack_reader *r,
                        uint32_t count, struct gdfs_list_body *b)
{
    size_t start = r->off;
    union entry e;

    /* A count larger than the entries present stops at the first entry
     * that runs past the end, so the loop is bounded by the payload. */
    for (uint32_t i = 0; i < count; i++)
        if (!read_entry(type, r, &e))
            return false;
    if (r->bad)
        return false;
    b->p = r->p + start;
    b->len = r->off - start;
    b->count = count;
    return true;
}

/* The payload of @type, already known to be a valid type. Returns true if
 * every field is valid; the caller then checks for leftovers. */
static bool decode_fields(uint8_t type, struct gdfs_pack_reader *r,
                          struct gdfs_msg *m)
{
    uint8_t u8;

    switch (type) {
    case GDFS_MSG_NDTOCL_ERROR:
        m->u.error.status = gdfs_pack_get_u32(r);
        get_bytes16(r, &m->u.error.msg);
        return !r->bad && m->u.error.status != 0 &&
               m->u.error.msg.len <= GDFS_ERRMSG_MAX;
    case GDFS_MSG_NDTOCL_OK:
        get_version(r, &m->u.ok.version);
        return !r->bad;
    case GDFS_MSG_CLTOND_PUT:
    case GDFS_MSG_CLTOND_REMOVE:
    case GDFS_MSG_CLTOND_LOCATE:
    case GDFS_MSG_CLTOND_VERSIONS:
        get_bytes16(r, &m->u.put.name);
        return !r->bad && valid_name(&m->u.put.name);
    case GDFS_MSG_NDTOCL_PUT_READY:
        m->u.put_ready.chunk_size = gdfs_pack_get_u32(r);
        get_version(r, &m->u.put_ready.version);
        return !r->bad && valid_chunk_size(m->u.put_ready.chunk_size);
    case GDFS_MSG_CHUNK:
        m->u.chunk.idx = gdfs_pack_get_u32(r);
        gdfs_pack_get_copy(r, m->u.chunk.sha256, GDFS_SHA256_LEN);
        m->u.chunk.data.len = gdfs_pack_get_u32(r);
        /* Check the limit before asking for the bytes: len is 32 bits. */
        if (r->bad || m->u.chunk.data.len == 0 ||
            m->u.chunk.data.len > GDFS_CHUNK_MAX)
            return false;
        m->u.chunk.data.p = gdfs_pack_get_bytes(r, m->u.chunk.data.len);
        return !r->bad;
    case GDFS_MSG_CLTOND_PUT_END:
        /* nchunks cannot be checked here: the chunk size is not known. */
        m->u.put_end.size = gdfs_pack_get_u64(r);
        m->u.put_end.nchunks = gdfs_pack_get_u32(r);
        gdfs_pack_get_copy(r, m->u.put_end.sha256, GDFS_SHA256_LEN);
        return !r->bad;
    case GDFS_MSG_CLTOND_GET:
        m->u.get.seq = gdfs_pack_get_u64(r);
        get_bytes16(r, &m->u.get.name);
        return !r->bad && valid_name(&m->u.get.name);
    case GDFS_MSG_NDTOCL_GET_INFO:
        get_version(r, &m->u.get_info.version);
        m->u.get_info.size = gdfs_pack_get_u64(r);
        m->u.get_info.chunk_size = gdfs_pack_get_u32(r);
        m->u.get_info.nchunks = gdfs_pack_get_u32(r);
        gdfs_pack_get_copy(r, m->u.get_info.sha256, GDFS_SHA256_LEN);
        return !r->bad && valid_chunk_size(m->u.get_info.chunk_size) &&
               valid_nchunks(m->u.get_info.size, m->u.get_info.chunk_size,
                             m->u.get_info.nchunks);
    case GDFS_MSG_CLTOND_LIST:
        m->u.list.scope = gdfs_pack_get_u8(r);
        m->u.list.max = gdfs_pack_get_u32(r);
        get_bytes16(r, &m->u.list.after);
        return !r->bad && m->u.list.scope <= GDFS_LIST_HERE &&
               (m->u.list.after.len == 0 || valid_name(&m->u.list.after));
    case GDFS_MSG_NDTOCL_LIST:
        u8 = gdfs_pack_get_u8(r);
        m->u.list_reply.more = u8 == 1;
        if (r->bad || u8 > 1)
            return false;
        return decode_body(type, r, gdfs_pack_get_u32(r),
                           &m->u.list_reply.body);
    case GDFS_MSG_NDTOCL_LOCATE:
        get_version(r, &m->u.locate_reply.version);
        m->u.locate_reply.size = gdfs_pack_get_u64(r);
        return decode_body(type, r, gdfs_pack_get_u8(r),
                           &m->u.locate_reply.body);
    case GDFS_MSG_CLTOND_STATUS:
        return true;
    case GDFS_MSG_NDTOCL_STATUS:
        get_bytes8(r, &m->u.status_reply.id);
        get_bytes8(r, &m->u.status_reply.group);
        get_bytes8(r, &m->u.status_reply.leader);
        m->u.status_reply.term = gdfs_pack_get_u64(r);
        if (r->bad || !valid_node_id(&m->u.status_reply.id) ||
            !valid_group(&m->u.status_reply.group) ||
            !valid_leader(&m->u.status_reply.leader))
            return false;
        return decode_body(type, r, gdfs_pack_get_u16(r),
                           &m->u.status_reply.body);
    case GDFS_MSG_NDTOCL_VERSIONS:
        return decode_body(type, r, gdfs_pack_get_u16(r),
                           &m->u.versions_reply.body);
    }
    return false;
}

int gdfs_proto_decode(const struct gdfs_frame_hdr *hdr, const uint8_t *payload,
                      struct gdfs_msg *m)
{
    /* A non-NULL base keeps zero-length pointers valid for an empty
     * payload passed as NULL. */
    static const uint8_t empty[1];
    struct gdfs_pack_reader r;

    assert(payload != NULL || hdr->len == 0);
    memset(m, 0, sizeof(*m));
    if (hdr->type == 0 || hdr->type > GDFS_MSG_TYPE_MAX || hdr->flags != 0 ||
        hdr->len > GDFS_PROTO_MAX_PAYLOAD)
        return GDFS_EPROTO;
    gdfs_pack_reader_init(&r, payload != NULL ? payload : empty, hdr->len);
    m->type = hdr->type;
    m->reqid = hdr->reqid;
    if (!decode_fields(hdr->type, &r, m) || r.bad ||
        gdfs_pack_left(&r) != 0) {
        memset(m, 0, sizeof(*m));
        return GDFS_EPROTO;
    }
    return GDFS_OK;
}

/* ---- encode -------------------------------------------------------------- */

/* Offset of the header's len field, patched once the payload is written. */
#define HDR_LEN_OFF 12

static void put_hdr(struct gdfs_pack_writer *w, uint8_t type, uint32_t reqid,
                    uint32_t len)
{
    gdfs_pack_put_u32(w, GDFS_PROTO_MAGIC);
    gdfs_pack_put_u8(w, GDFS_PROTO_VERSION);
    gdfs_pack_put_u8(w, type);
    gdfs_pack_put_u16(w, 0);
    gdfs_pack_put_u32(w, reqid);
    gdfs_pack_put_u32(w, len);
}

static void put_version(struct gdfs_pack_writer *w,
                        const struct gdfs_version *v)
{
    gdfs_pack_put_u64(w, v->seq);
    gdfs_pack_put_u64(w, v->term);
}

static void put_bytes8(struct gdfs_pack_writer *w, const struct gdfs_bytes *b)
{
    gdfs_pack_put_u8(w, (uint8_t)b->len);
    gdfs_pack_put_bytes(w, b->p, b->len);
}

static void put_bytes16(struct gdfs_pack_writer *w, const struct gdfs_bytes *b)
{
    gdfs_pack_put_u16(w, (uint16_t)b->len);
    gdfs_pack_put_bytes(w, b->p, b->len);
}

/* Encoder-side checks: a field over its limit is GDFS_ETOOBIG (as proto.h
 * says), any other value the decoder would refuse is GDFS_EINVAL, so encode
 * never emits a frame that decode rejects. */
static int check_name_enc(const struct gdfs_bytes *b, bool may_be_empty)
{
    if (b->len > GDFS_NAME_MAX)
        return GDFS_ETOOBIG;
    if (b->len == 0 && may_be_empty)
        return GDFS_OK;
    return valid_name(b) ? GDFS_OK : GDFS_EINVAL;
}

static int check_chunk_size_enc(uint32_t chunk_size)
{
    if (chunk_size > GDFS_CHUNK_MAX)
        return GDFS_ETOOBIG;
    return chunk_size >= GDFS_CHUNK_MIN ? GDFS_OK : GDFS_EINVAL;
}

static int check_fields_enc(const struct gdfs_msg *m)
{
    int rc;

    switch (m->type) {
    case GDFS_MSG_NDTOCL_ERROR:
        if (m->u.error.msg.len > GDFS_ERRMSG_MAX)
            return GDFS_ETOOBIG;
        if (m->u.error.status == 0 ||
            (m->u.error.msg.len > 0 && m->u.error.msg.p == NULL))
            return GDFS_EINVAL;
        return GDFS_OK;
    case GDFS_MSG_NDTOCL_OK:
    case GDFS_MSG_CLTOND_PUT_END:
    case GDFS_MSG_CLTOND_STATUS:
        return GDFS_OK;
    case GDFS_MSG_CLTOND_PUT:
    case GDFS_MSG_CLTOND_REMOVE:
    case GDFS_MSG_CLTOND_LOCATE:
    case GDFS_MSG_CLTOND_VERSIONS:
        return check_name_enc(&m->u.put.name, false);
    case GDFS_MSG_CLTOND_GET:
        return check_name_enc(&m->u.get.name, false);
    case GDFS_MSG_NDTOCL_PUT_READY:
        return check_chunk_size_enc(m->u.put_ready.chunk_size);
    case GDFS_MSG_CHUNK:
        if (m->u.chunk.data.len > GDFS_CHUNK_MAX)
            return GDFS_ETOOBIG;
        if (m->u.chunk.data.len == 0 || m->u.chunk.data.p == NULL)
            return GDFS_EINVAL;
        return GDFS_OK;
    case GDFS_MSG_NDTOCL_GET_INFO:
        rc = check_chunk_size_enc(m->u.get_info.chunk_size);
        if (rc != GDFS_OK)
            return rc;
        if (!valid_nchunks(m->u.get_info.size, m->u.get_info.chunk_size,
                           m->u.get_info.nchunks))
            return GDFS_EINVAL;
        return GDFS_OK;
    case GDFS_MSG_CLTOND_LIST:
        if (m->u.list.scope > GDFS_LIST_HERE)
            return GDFS_EINVAL;
        return check_name_enc(&m->u.list.after, true);
    }
    /* List replies (writer only) and unknown types. */
    return GDFS_EINVAL;
}

int gdfs_proto_encode(const struct gdfs_msg *m, uint8_t *buf, size_t cap,
                      size_t *len)
{
    struct gdfs_pack_writer w;
    int rc;

    rc = check_fields_enc(m);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&w, buf, cap, 0);
    put_hdr(&w, m->type, m->reqid, 0);
    switch (m->type) {
    case GDFS_MSG_NDTOCL_ERROR:
        gdfs_pack_put_u32(&w, m->u.error.status);
        put_bytes16(&w, &m->u.error.msg);
        break;
    case GDFS_MSG_NDTOCL_OK:
        put_version(&w, &m->u.ok.version);
        break;
    case GDFS_MSG_CLTOND_PUT:
    case GDFS_MSG_CLTOND_REMOVE:
    case GDFS_MSG_CLTOND_LOCATE:
    case GDFS_MSG_CLTOND_VERSIONS:
        put_bytes16(&w, &m->u.put.name);
        break;
    case GDFS_MSG_NDTOCL_PUT_READY:
        gdfs_pack_put_u32(&w, m->u.put_ready.chunk_size);
        put_version(&w, &m->u.put_ready.version);
        break;
    case GDFS_MSG_CHUNK:
        gdfs_pack_put_u32(&w, m->u.chunk.idx);
        gdfs_pack_put_bytes(&w, m->u.chunk.sha256, GDFS_SHA256_LEN);
        gdfs_pack_put_u32(&w, (uint32_t)m->u.chunk.data.len);
        gdfs_pack_put_bytes(&w, m->u.chunk.data.p, m->u.chunk.data.len);
        break;
    case GDFS_MSG_CLTOND_PUT_END:
        gdfs_pack_put_u64(&w, m->u.put_end.size);
        gdfs_pack_put_u32(&w, m->u.put_end.nchunks);
        gdfs_pack_put_bytes(&w, m->u.put_end.sha256, GDFS_SHA256_LEN);
        break;
    case GDFS_MSG_CLTOND_GET:
        gdfs_pack_put_u64(&w, m->u.get.seq);
        put_bytes16(&w, &m->u.get.name);
        break;
    case GDFS_MSG_NDTOCL_GET_INFO:
        put_version(&w, &m->u.get_info.version);
        gdfs_pack_put_u64(&w, m->u.get_info.size);
        gdfs_pack_put_u32(&w, m->u.get_info.chunk_size);
        gdfs_pack_put_u32(&w, m->u.get_info.nchunks);
        gdfs_pack_put_bytes(&w, m->u.get_info.sha256, GDFS_SHA256_LEN);
        break;
    case GDFS_MSG_CLTOND_LIST:
        gdfs_pack_put_u8(&w, m->u.list.scope);
        gdfs_pack_put_u32(&w, m->u.list.max);
        put_bytes16(&w, &m->u.list.after);
        break;
    case GDFS_MSG_CLTOND_STATUS:
        break;
    }
    if (w.bad)
        return GDFS_ETOOBIG;
    gdfs_pack_patch_u32(buf + HDR_LEN_OFF, (uint32_t)(w.off - GDFS_PROTO_HDR_LEN));
    *len = w.off;
    return GDFS_OK;
}

void gdfs_proto_encode_chunk_hdr(uint8_t *buf, uint32_t reqid, uint32_t idx,
                                 const uint8_t sha256[GDFS_SHA256_LEN],
                                 uint32_t datalen)
{
    struct gdfs_pack_writer w;

    /* proto.h CHUNK: len >= 1 and <= GDFS_CHUNK_MAX; anything else would be
     * refused by the receiver, so it is the caller's bug. */
    assert(datalen >= 1 && datalen <= GDFS_CHUNK_MAX);
    gdfs_pack_writer_init(&w, buf, GDFS_PROTO_CHUNK_OVERHEAD, 0);
    put_hdr(&w, GDFS_MSG_CHUNK, reqid,
            (uint32_t)(GDFS_PROTO_CHUNK_OVERHEAD - GDFS_PROTO_HDR_LEN) +
                datalen);
    gdfs_pack_put_u32(&w, idx);
    gdfs_pack_put_bytes(&w, sha256, GDFS_SHA256_LEN);
    gdfs_pack_put_u32(&w, datalen);
    assert(!w.bad && w.off == GDFS_PROTO_CHUNK_OVERHEAD);
}

/* ---- list writer --------------------------------------------------------- */

int gdfs_proto_writer_begin(struct gdfs_proto_writer *w, uint8_t *buf,
                            size_t cap, const struct gdfs_msg *m)
{
    struct gdfs_pack_writer pw;
    size_t count_off;
    uint32_t count_max;

    memset(w, 0, sizeof(*w));
    switch (m->type) {
    case GDFS_MSG_NDTOCL_LIST:
    case GDFS_MSG_NDTOCL_LOCATE:
    case GDFS_MSG_NDTOCL_VERSIONS:
        break;
    case GDFS_MSG_NDTOCL_STATUS:
        if (m->u.status_reply.id.len > GDFS_NODE_ID_MAX ||
            m->u.status_reply.group.len > GDFS_NODE_ID_MAX ||
            m->u.status_reply.leader.len > GDFS_NODE_ID_MAX)
            return GDFS_ETOOBIG;
        if (!valid_node_id(&m->u.status_reply.id) ||
            !valid_group(&m->u.status_reply.group) ||
            !valid_leader(&m->u.status_reply.leader))
            return GDFS_EINVAL;
        break;
    default:
        return GDFS_EINVAL;
    }

    gdfs_pack_writer_init(&pw, buf, cap, 0);
    put_hdr(&pw, m->type, m->reqid, 0);
    switch (m->type) {
    case GDFS_MSG_NDTOCL_LIST:
        gdfs_pack_put_u8(&pw, 0); /* more: patched by finish */
        count_off = pw.off;
        count_max = UINT32_MAX;
        gdfs_pack_put_u32(&pw, 0);
        break;
    case GDFS_MSG_NDTOCL_LOCATE:
        put_version(&pw, &m->u.locate_reply.version);
        gdfs_pack_put_u64(&pw, m->u.locate_reply.size);
        count_off = pw.off;
        count_max = UINT8_MAX;
        gdfs_pack_put_u8(&pw, 0);
        break;
    case GDFS_MSG_NDTOCL_STATUS:
        put_bytes8(&pw, &m->u.status_reply.id);
        put_bytes8(&pw, &m->u.status_reply.group);
        put_bytes8(&pw, &m->u.status_reply.leader);
        gdfs_pack_put_u64(&pw, m->u.status_reply.term);
        count_off = pw.off;
        count_max = UINT16_MAX;
        gdfs_pack_put_u16(&pw, 0);
        break;
    default: /* GDFS_MSG_NDTOCL_VERSIONS */
        count_off = pw.off;
        count_max = UINT16_MAX;
        gdfs_pack_put_u16(&pw, 0);
        break;
    }
    if (pw.bad)
        return GDFS_ETOOBIG;
    w->buf = buf;
    w->cap = cap;
    w->len = pw.off;
    w->count_off = count_off;
    w->count = 0;
    w->count_max = count_max;
    w->type = m->type;
    return GDFS_OK;
}

/* Room for one more entry of @size bytes: in the buffer, in the payload
 * limit and in the count field. */
static int writer_room(const struct gdfs_proto_writer *w, uint8_t type,
                       size_t size)
{
    if (w->type != type || w->buf == NULL || w->len < GDFS_PROTO_HDR_LEN)
        return GDFS_EINVAL;
    if (w->count >= w->count_max || w->cap < w->len ||
        w->cap - w->len < size ||
        w->len - GDFS_PROTO_HDR_LEN + size > GDFS_PROTO_MAX_PAYLOAD)
        return GDFS_ETOOBIG;
    return GDFS_OK;
}

/* Write @size bytes of entry that writer_room() accepted. */
static void writer_commit(struct gdfs_proto_writer *w,
                          struct gdfs_pack_writer *pw, size_t size)
{
    assert(!pw->bad && pw->off == w->len + size);
    w->len = pw->off;
    w->count++;
}

/* An entry that the decoder would refuse is GDFS_EINVAL (not GDFS_ETOOBIG,
 * which tells the caller "frame full, finish it with more"). */
int gdfs_proto_add_list(struct gdfs_proto_writer *w,
                        const struct gdfs_list_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 2 + e->name.len + 8 + 8 + 8 + 1;
    int rc;

    if (!valid_name(&e->name))
        return GDFS_EINVAL;
    rc = writer_room(w, GDFS_MSG_NDTOCL_LIST, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    put_bytes16(&pw, &e->name);
    gdfs_pack_put_u64(&pw, e->size);
    put_version(&pw, &e->version);
    gdfs_pack_put_u8(&pw, e->replicas);
    writer_commit(w, &pw, size);
    return GDFS_OK;
}

int gdfs_proto_add_replica(struct gdfs_proto_writer *w,
                           const struct gdfs_replica_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 1 + e->id.len + 1 + e->addr.len + 8 + 8 + 1;
    int rc;

    if (!valid_node_id(&e->id) || !valid_addr(&e->addr) ||
        e->state > GDFS_MEMBER_STATE_MAX)
        return GDFS_EINVAL;
    rc = writer_room(w, GDFS_MSG_NDTOCL_LOCATE, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    put_bytes8(&pw, &e->id);
    put_bytes8(&pw, &e->addr);
    put_version(&pw, &e->version);
    gdfs_pack_put_u8(&pw, e->state);
    writer_commit(w, &pw, size);
    return GDFS_OK;
}

int gdfs_proto_add_member(struct gdfs_proto_writer *w,
                          const struct gdfs_member_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 1 + e->id.len + 1 + e->addr.len + 1;
    int rc;

    if (!valid_node_id(&e->id) || !valid_addr(&e->addr) ||
        e->state > GDFS_MEMBER_STATE_MAX)
        return GDFS_EINVAL;
    rc = writer_room(w, GDFS_MSG_NDTOCL_STATUS, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    put_bytes8(&pw, &e->id);
    put_bytes8(&pw, &e->addr);
    gdfs_pack_put_u8(&pw, e->state);
    writer_commit(w, &pw, size);
    return GDFS_OK;
}

int gdfs_proto_add_version(struct gdfs_proto_writer *w,
                           const struct gdfs_version_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 8 + 8 + 8 + 1;
    int rc;

    rc = writer_room(w, GDFS_MSG_NDTOCL_VERSIONS, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    put_version(&pw, &e->version);
    gdfs_pack_put_u64(&pw, e->size);
    gdfs_pack_put_u8(&pw, e->tombstone ? 1 : 0);
    writer_commit(w, &pw, size);
    return GDFS_OK;
}

int gdfs_proto_writer_finish(struct gdfs_proto_writer *w, bool more,
                             size_t *len)
{
    if (!is_list_reply(w->type) || w->buf == NULL ||
        w->len < GDFS_PROTO_HDR_LEN || w->len > w->cap ||
        w->count_off >= w->len)
        return GDFS_EINVAL;
    switch (w->type) {
    case GDFS_MSG_NDTOCL_LIST:
        gdfs_pack_patch_u8(w->buf + w->count_off - 1, more ? 1 : 0);
        gdfs_pack_patch_u32(w->buf + w->count_off, w->count);
        break;
    case GDFS_MSG_NDTOCL_LOCATE:
        gdfs_pack_patch_u8(w->buf + w->count_off, (uint8_t)w->count);
        break;
    default: /* STATUS, VERSIONS */
        gdfs_pack_patch_u16(w->buf + w->count_off, (uint16_t)w->count);
        break;
    }
    gdfs_pack_patch_u32(w->buf + HDR_LEN_OFF,
                        (uint32_t)(w->len - GDFS_PROTO_HDR_LEN));
    *len = w->len;
    return GDFS_OK;
}

/* ---- iterators, type names ----------------------------------------------- */

/* Entries remain while *off is inside the body; decode made sure the count
 * entries fill it exactly. Still bounds-checked, so a body that did not
 * come from decode (or the wrong iterator) stops instead of overreading. */
static bool next_entry(uint8_t type, const struct gdfs_list_body *b,
                       size_t *off, union entry *e)
{
    struct gdfs_pack_reader r;

    if (b->p == NULL || *off >= b->len)
        return false;
    gdfs_pack_reader_init(&r, b->p, b->len);
    r.off = *off;
    if (!read_entry(type, &r, e))
        return false;
    *off = r.off;
    return true;
}

bool gdfs_proto_next_list(const struct gdfs_list_body *b, size_t *off,
                          struct gdfs_list_entry *e)
{
    union entry u;

    if (!next_entry(GDFS_MSG_NDTOCL_LIST, b, off, &u))
        return false;
    *e = u.list;
    return true;
}

bool gdfs_proto_next_replica(const struct gdfs_list_body *b, size_t *off,
                             struct gdfs_replica_entry *e)
{
    union entry u;

    if (!next_entry(GDFS_MSG_NDTOCL_LOCATE, b, off, &u))
        return false;
    *e = u.replica;
    return true;
}

bool gdfs_proto_next_member(const struct gdfs_list_body *b, size_t *off,
                            struct gdfs_member_entry *e)
{
    union entry u;

    if (!next_entry(GDFS_MSG_NDTOCL_STATUS, b, off, &u))
        return false;
    *e = u.member;
    return true;
}

bool gdfs_proto_next_version(const struct gdfs_list_body *b, size_t *off,
                             struct gdfs_version_entry *e)
{
    union entry u;

    if (!next_entry(GDFS_MSG_NDTOCL_VERSIONS, b, off, &u))
        return false;
    *e = u.version;
    return true;
}

const char *gdfs_proto_type_name(uint8_t type)
{
    switch (type) {
    case GDFS_MSG_NDTOCL_ERROR:
        return "NDTOCL_ERROR";
    case GDFS_MSG_NDTOCL_OK:
        return "NDTOCL_OK";
    case GDFS_MSG_CLTOND_PUT:
        return "CLTOND_PUT";
    case GDFS_MSG_NDTOCL_PUT_READY:
        return "NDTOCL_PUT_READY";
    case GDFS_MSG_CHUNK:
        return "CHUNK";
    case GDFS_MSG_CLTOND_PUT_END:
        return "CLTOND_PUT_END";
    case GDFS_MSG_CLTOND_GET:
        return "CLTOND_GET";
    case GDFS_MSG_NDTOCL_GET_INFO:
        return "NDTOCL_GET_INFO";
    case GDFS_MSG_CLTOND_REMOVE:
        return "CLTOND_REMOVE";
    case GDFS_MSG_CLTOND_LIST:
        return "CLTOND_LIST";
    case GDFS_MSG_NDTOCL_LIST:
        return "NDTOCL_LIST";
    case GDFS_MSG_CLTOND_LOCATE:
        return "CLTOND_LOCATE";
    case GDFS_MSG_NDTOCL_LOCATE:
        return "NDTOCL_LOCATE";
    case GDFS_MSG_CLTOND_STATUS:
        return "CLTOND_STATUS";
    case GDFS_MSG_NDTOCL_STATUS:
        return "NDTOCL_STATUS";
    case GDFS_MSG_CLTOND_VERSIONS:
        return "CLTOND_VERSIONS";
    case GDFS_MSG_NDTOCL_VERSIONS:
        return "NDTOCL_VERSIONS";
    }
    return "?";
}
