/* gdfs wire protocol: frames, the codec table, and what every message
 * family shares.
 *
 * Pure code (no I/O, no allocation); see proto.h for the contracts and
 * proto/messages.h for the layouts. Decoding checks every length against
 * the bytes present and against the limits in proto.h, and every value
 * that has a closed set of meanings; the encoding is canonical, so a
 * decoded message re-encodes to the same bytes.
 *
 * Sections, in order:
 *   versions, validation    gdfs_version_cmp, names, node ids, addresses
 *   fields                  readers and writers of the shared field kinds
 *   codec table             from GDFS_PROTO_MSG_LIST; type names
 *   frame header
 *   decode, encode          dispatch through the codec table
 *   list replies            the writer and the body reader/iterator */
#include "proto/proto_int.h"

#include <assert.h>
#include <string.h>

/* ---- versions, validation ------------------------------------------------ */

int gdfs_version_cmp(const struct gdfs_version *a,
                     const struct gdfs_version *b)
{
    if (a->term != b->term)
        return a->term < b->term ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

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

bool gdfs_proto_valid_name(const struct gdfs_bytes *b)
{
    return gdfs_proto_check_name(b->p, b->len) == GDFS_OK;
}

bool gdfs_proto_valid_node_id(const struct gdfs_bytes *b)
{
    return gdfs_proto_check_node_id(b->p, b->len) == GDFS_OK;
}

bool gdfs_proto_valid_addr(const struct gdfs_bytes *b)
{
    return valid_printable(b->p, b->len, GDFS_ADDR_MAX);
}

bool gdfs_proto_valid_group(const struct gdfs_bytes *b)
{
    return valid_printable(b->p, b->len, GDFS_NODE_ID_MAX);
}

bool gdfs_proto_valid_chunk_size(uint32_t chunk_size)
{
    return chunk_size >= GDFS_CHUNK_MIN && chunk_size <= GDFS_CHUNK_MAX;
}

bool gdfs_proto_valid_term(uint64_t term)
{
    return term <= GDFS_VERSION_MAX;
}

bool gdfs_proto_valid_version(const struct gdfs_version *v)
{
    return v->seq <= GDFS_VERSION_MAX && v->term <= GDFS_VERSION_MAX;
}

bool gdfs_proto_valid_shape(uint64_t size, uint32_t chunk_size,
                            uint32_t nchunks)
{
    if (chunk_size == 0)
        return size == 0 && nchunks == 0;
    return size / chunk_size + (size % chunk_size != 0) == nchunks;
}

uint32_t gdfs_proto_chunk_len(uint64_t size, uint32_t chunk_size,
                              uint32_t nchunks, uint32_t idx)
{
    if (idx + 1 < nchunks)
        return chunk_size;
    return (uint32_t)(size - (uint64_t)idx * chunk_size);
}

bool gdfs_proto_bytes_same(const struct gdfs_bytes *a,
                           const struct gdfs_bytes *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

int gdfs_proto_check_name_enc(const struct gdfs_bytes *b, bool may_be_empty)
{
    if (b->len > GDFS_NAME_MAX)
        return GDFS_ETOOBIG;
    if (b->len == 0 && may_be_empty)
        return GDFS_OK;
    return gdfs_proto_valid_name(b) ? GDFS_OK : GDFS_EINVAL;
}

int gdfs_proto_check_chunk_size_enc(uint32_t chunk_size)
{
    if (chunk_size > GDFS_CHUNK_MAX)
        return GDFS_ETOOBIG;
    return chunk_size >= GDFS_CHUNK_MIN ? GDFS_OK : GDFS_EINVAL;
}

/* ---- fields -------------------------------------------------------------- */

void gdfs_proto_get_bytes8(struct gdfs_pack_reader *r, struct gdfs_bytes *b)
{
    b->len = gdfs_pack_get_u8(r);
    b->p = gdfs_pack_get_bytes(r, b->len);
}

void gdfs_proto_get_bytes16(struct gdfs_pack_reader *r, struct gdfs_bytes *b)
{
    b->len = gdfs_pack_get_u16(r);
    b->p = gdfs_pack_get_bytes(r, b->len);
}

void gdfs_proto_get_version(struct gdfs_pack_reader *r, struct gdfs_version *v)
{
    v->seq = gdfs_pack_get_u64(r);
    v->term = gdfs_pack_get_u64(r);
}

bool gdfs_proto_get_bool(struct gdfs_pack_reader *r, bool *v)
{
    uint8_t u8 = gdfs_pack_get_u8(r);

    *v = u8 == 1;
    return !r->bad && u8 <= 1;
}

void gdfs_proto_put_version(struct gdfs_pack_writer *w,
                            const struct gdfs_version *v)
{
    gdfs_pack_put_u64(w, v->seq);
    gdfs_pack_put_u64(w, v->term);
}

void gdfs_proto_put_bytes8(struct gdfs_pack_writer *w,
                           const struct gdfs_bytes *b)
{
    gdfs_pack_put_u8(w, (uint8_t)b->len);
    gdfs_pack_put_bytes(w, b->p, b->len);
}

void gdfs_proto_put_bytes16(struct gdfs_pack_writer *w,
                            const struct gdfs_bytes *b)
{
    gdfs_pack_put_u16(w, (uint16_t)b->len);
    gdfs_pack_put_bytes(w, b->p, b->len);
}

/* ---- codec table --------------------------------------------------------- */

/* The payload of CLTOND_STATUS, CLTOND_LEAVE and NDTOND_HEALTH: none. */
static bool empty_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    return true;
}

static void empty_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
}

const struct gdfs_proto_codec gdfs_proto_codec_empty = {
    .decode = empty_decode,
    .encode = empty_encode,
};

/* Codecs and log names by wire id, NULL for an id not in the list: which
 * makes this also the list of ids a frame may carry. A duplicate id in the
 * list initializes an entry twice, which -Woverride-init (-Wextra)
 * refuses. */
static const struct {
    const struct gdfs_proto_codec *codec;
    const char *name;
    enum gdfs_msg_auth auth;
} types[UINT8_MAX + 1] = {
#define TYPE_ROW(name, id, dir, codec, auth)                                  \
    [id] = {&gdfs_proto_codec_##codec, #name, GDFS_AUTH_##auth},
    GDFS_PROTO_MSG_LIST(TYPE_ROW)
#undef TYPE_ROW
};

#define ID_IN_RANGE(name, id, dir, codec, auth)                               \
    _Static_assert((id) >= 1 && (id) <= GDFS_MSG_TYPE_MAX,                    \
                   "GDFS_MSG_" #name ": id outside 1..GDFS_MSG_TYPE_MAX");
GDFS_PROTO_MSG_LIST(ID_IN_RANGE)
#undef ID_IN_RANGE

const struct gdfs_proto_codec *gdfs_proto_codec_of(uint8_t type)
{
    return types[type].codec;
}

enum gdfs_msg_auth gdfs_proto_auth_of(uint8_t type)
{
    return types[type].codec != NULL ? types[type].auth : GDFS_AUTH_REPLY;
}

const char *gdfs_proto_type_name(uint8_t type)
{
    return types[type].name != NULL ? types[type].name : "?";
}

/* ---- frame header -------------------------------------------------------- */

void gdfs_proto_put_hdr(struct gdfs_pack_writer *w, uint8_t type,
                        uint16_t flags, uint32_t reqid, uint32_t len)
{
    assert((flags & ~GDFS_FLAG_MASK) == 0);
    gdfs_pack_put_u32(w, GDFS_PROTO_MAGIC);
    gdfs_pack_put_u8(w, GDFS_PROTO_VERSION);
    gdfs_pack_put_u8(w, type);
    gdfs_pack_put_u16(w, flags);
    gdfs_pack_put_u32(w, reqid);
    gdfs_pack_put_u32(w, len);
}

size_t gdfs_proto_frame_len(const uint8_t *buf)
{
    return GDFS_PROTO_HDR_LEN + ((size_t)buf[12] << 24 |
                                 (size_t)buf[13] << 16 | (size_t)buf[14] << 8 |
                                 buf[15]);
}

/* The limit of @c's payload, at most @max_payload. */
static uint32_t payload_limit(const struct gdfs_proto_codec *c,
                              uint32_t max_payload)
{
    if (max_payload > GDFS_PROTO_MAX_PAYLOAD)
        max_payload = GDFS_PROTO_MAX_PAYLOAD;
    if (c != NULL && c->max_payload != 0 && c->max_payload < max_payload)
        max_payload = c->max_payload;
    return max_payload;
}

int gdfs_proto_decode_hdr(const uint8_t *buf, uint32_t max_payload,
                          struct gdfs_frame_hdr *hdr)
{
    struct gdfs_pack_reader r;
    uint32_t magic, reqid, len;
    uint8_t version, type;
    uint16_t flags;

    gdfs_pack_reader_init(&r, buf, GDFS_PROTO_HDR_LEN);
    magic = gdfs_pack_get_u32(&r);
    version = gdfs_pack_get_u8(&r);
    type = gdfs_pack_get_u8(&r);
    flags = gdfs_pack_get_u16(&r);
    reqid = gdfs_pack_get_u32(&r);
    len = gdfs_pack_get_u32(&r);
    /* proto.h: a type not in the list is GDFS_EPROTO. */
    if (r.bad || magic != GDFS_PROTO_MAGIC || version != GDFS_PROTO_VERSION ||
        gdfs_proto_codec_of(type) == NULL || (flags & ~GDFS_FLAG_MASK) != 0 ||
        len > payload_limit(gdfs_proto_codec_of(type), max_payload))
        return GDFS_EPROTO;
    hdr->type = type;
    hdr->flags = flags;
    hdr->reqid = reqid;
    hdr->len = len;
    return GDFS_OK;
}

/* ---- decode, encode ------------------------------------------------------ */

int gdfs_proto_decode(const struct gdfs_frame_hdr *hdr, const uint8_t *payload,
                      struct gdfs_msg *m)
{
    /* A non-NULL base keeps zero-length pointers valid for an empty
     * payload passed as NULL. */
    static const uint8_t empty[1];
    const struct gdfs_proto_codec *c = gdfs_proto_codec_of(hdr->type);
    struct gdfs_pack_reader r;

    assert(payload != NULL || hdr->len == 0);
    memset(m, 0, sizeof(*m));
    if (c == NULL || (hdr->flags & ~GDFS_FLAG_MASK) != 0 ||
        hdr->len > payload_limit(c, GDFS_PROTO_MAX_PAYLOAD))
        return GDFS_EPROTO;
    gdfs_pack_reader_init(&r, payload != NULL ? payload : empty, hdr->len);
    m->type = hdr->type;
    m->flags = hdr->flags;
    m->reqid = hdr->reqid;
    if (!c->decode(&r, m) || r.bad || gdfs_pack_left(&r) != 0) {
        memset(m, 0, sizeof(*m));
        return GDFS_EPROTO;
    }
    return GDFS_OK;
}

int gdfs_proto_encode(const struct gdfs_msg *m, uint8_t *buf, size_t cap,
                      size_t *len)
{
    const struct gdfs_proto_codec *c = gdfs_proto_codec_of(m->type);
    struct gdfs_pack_writer w;
    int rc;

    /* List replies (the writer builds them), NDTOND_GROUP
     * (gdfs_proto_encode_group) and unknown types. */
    if (c == NULL || c->entry != NULL || c->encode == NULL ||
        (m->flags & ~GDFS_FLAG_MASK) != 0)
        return GDFS_EINVAL;
    rc = c->check != NULL ? c->check(m) : GDFS_OK;
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&w, buf, cap, 0);
    gdfs_proto_put_hdr(&w, m->type, m->flags, m->reqid, 0);
    c->encode(&w, m);
    if (w.bad)
        return GDFS_ETOOBIG;
    gdfs_pack_patch_u32(buf + GDFS_PROTO_HDR_LEN_OFF,
                        (uint32_t)(w.off - GDFS_PROTO_HDR_LEN));
    *len = w.off;
    return GDFS_OK;
}

/* ---- list replies -------------------------------------------------------- */

/* Room for any one decoded entry (decode_body validates and drops them). */
union entry {
    struct gdfs_list_entry list;
    struct gdfs_replica_entry replica;
    struct gdfs_member_entry member;
    struct gdfs_version_entry version;
    struct gdfs_record record;
};

bool gdfs_proto_read_list(struct gdfs_pack_reader *r, const struct gdfs_msg *m,
                          bool *more, struct gdfs_list_body *b)
{
    const struct gdfs_proto_codec *c = gdfs_proto_codec_of(m->type);
    uint32_t count;
    size_t start;
    union entry e;

    assert(c != NULL && c->entry != NULL);
    if (c->more && !gdfs_proto_get_bool(r, more))
        return false;
    switch (c->count_len) {
    case 1:
        count = gdfs_pack_get_u8(r);
        break;
    case 2:
        count = gdfs_pack_get_u16(r);
        break;
    default:
        count = gdfs_pack_get_u32(r);
        break;
    }
    /* A count larger than the entries present stops at the first entry
     * that runs past the end, so the loop is bounded by the payload. */
    start = r->off;
    for (uint32_t i = 0; i < count; i++)
        if (!c->entry(r, &e))
            return false;
    if (r->bad)
        return false;
    b->p = r->p + start;
    b->len = r->off - start;
    b->count = count;
    return true;
}

/* The codec of the list reply @w was begun for, or NULL. */
static const struct gdfs_proto_codec *
writer_codec(const struct gdfs_proto_writer *w)
{
    const struct gdfs_proto_codec *c = gdfs_proto_codec_of(w->type);

    if (c == NULL || c->entry == NULL || w->buf == NULL ||
        w->len < GDFS_PROTO_HDR_LEN)
        return NULL;
    return c;
}

int gdfs_proto_writer_begin(struct gdfs_proto_writer *w, uint8_t *buf,
                            size_t cap, const struct gdfs_msg *m)
{
    static const uint8_t zeros[4];
    const struct gdfs_proto_codec *c = gdfs_proto_codec_of(m->type);
    struct gdfs_pack_writer pw;
    int rc;

    memset(w, 0, sizeof(*w));
    if ((m->flags & ~GDFS_FLAG_MASK) != 0 || c == NULL || c->entry == NULL)
        return GDFS_EINVAL;
    rc = c->check != NULL ? c->check(m) : GDFS_OK;
    if (rc != GDFS_OK)
        return rc;

    gdfs_pack_writer_init(&pw, buf, cap, 0);
    gdfs_proto_put_hdr(&pw, m->type, m->flags, m->reqid, 0);
    if (c->encode != NULL)
        c->encode(&pw, m);
    /* more and count: patched by finish */
    if (c->more)
        gdfs_pack_put_u8(&pw, 0);
    w->count_off = pw.off;
    gdfs_pack_put_bytes(&pw, zeros, c->count_len);
    w->count_max = c->count_len == 1   ? UINT8_MAX
                   : c->count_len == 2 ? UINT16_MAX
                                       : UINT32_MAX;
    if (pw.bad) {
        memset(w, 0, sizeof(*w));
        return GDFS_ETOOBIG;
    }
    w->buf = buf;
    w->cap = cap;
    w->len = pw.off;
    w->count = 0;
    w->type = m->type;
    return GDFS_OK;
}

int gdfs_proto_writer_room(const struct gdfs_proto_writer *w,
                           gdfs_proto_entry_read_cb entry, size_t size)
{
    const struct gdfs_proto_codec *c = writer_codec(w);

    if (c == NULL || c->entry != entry)
        return GDFS_EINVAL;
    if (w->count >= w->count_max || w->cap < w->len ||
        w->cap - w->len < size ||
        w->len - GDFS_PROTO_HDR_LEN + size >
            payload_limit(c, GDFS_PROTO_MAX_PAYLOAD))
        return GDFS_ETOOBIG;
    return GDFS_OK;
}

void gdfs_proto_writer_commit(struct gdfs_proto_writer *w,
                              const struct gdfs_pack_writer *pw, size_t size)
{
    assert(!pw->bad && pw->off == w->len + size);
    w->len = pw->off;
    w->count++;
}

int gdfs_proto_writer_finish(struct gdfs_proto_writer *w, bool more,
                             size_t *len)
{
    const struct gdfs_proto_codec *c = writer_codec(w);

    if (c == NULL || w->len > w->cap || w->count_off >= w->len)
        return GDFS_EINVAL;
    if (c->more)
        gdfs_pack_patch_u8(w->buf + w->count_off - 1, more ? 1 : 0);
    switch (c->count_len) {
    case 1:
        gdfs_pack_patch_u8(w->buf + w->count_off, (uint8_t)w->count);
        break;
    case 2:
        gdfs_pack_patch_u16(w->buf + w->count_off, (uint16_t)w->count);
        break;
    default:
        gdfs_pack_patch_u32(w->buf + w->count_off, w->count);
        break;
    }
    gdfs_pack_patch_u32(w->buf + GDFS_PROTO_HDR_LEN_OFF,
                        (uint32_t)(w->len - GDFS_PROTO_HDR_LEN));
    *len = w->len;
    return GDFS_OK;
}

/* Entries remain while *off is inside the body; decode made sure the count
 * entries fill it exactly. Still bounds-checked, so a body that did not
 * come from decode (or the wrong iterator) stops instead of overreading. */
bool gdfs_proto_next_entry(gdfs_proto_entry_read_cb entry,
                           const struct gdfs_list_body *b, size_t *off,
                           void *e)
{
    struct gdfs_pack_reader r;

    if (b->p == NULL || *off >= b->len)
        return false;
    gdfs_pack_reader_init(&r, b->p, b->len);
    r.off = *off;
    if (!entry(&r, e))
        return false;
    *off = r.off;
    return true;
}
