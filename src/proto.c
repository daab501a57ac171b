/* gdfs wire protocol: framing, the codec table, and one codec per message
 * payload (decode, encode-side check, encode), dispatched through the table
 * that src/proto/messages.h generates.
 *
 * Pure code (no I/O, no allocation); see proto.h for the contracts and
 * proto/messages.h for the layouts. Decoding checks every length against
 * the bytes present and against the limits in proto.h, and every value
 * that has a closed set of meanings; the encoding is canonical, so a
 * decoded message re-encodes to the same bytes.
 *
 * Sections, in order:
 *   shared declarations     the codec row type, one codec per payload
 *   frame                   validation, fields, codec table, header,
 *                           decode/encode dispatch, list writer
 *   records                 RECORD, COMMIT/RECORD, META_*
 *   client                  client <-> node messages and list replies
 *   replica                 place, store, fetch, probe, repair, health
 *   group                   NDTOND_GROUP */
#include "proto.h"

#include <assert.h>
#include <string.h>

#include "pack.h"

/* ---- the codec table ----------------------------------------------------- */

/* Reads one entry of a list body into @e (the entry struct its list
 * reply's iterator fills) and validates it. */
typedef bool (*gdfs_proto_entry_read_cb)(struct gdfs_pack_reader *r,
                                         void *e);

/* How one message payload is read and written. GDFS_PROTO_MSG_LIST names
 * one per message (messages with the same payload share one); frame.c
 * dispatches every decode, encode and list writer call through it. */
struct gdfs_proto_codec {
    /* Read the payload of m->type (set by the caller) from @r into @m;
     * true if every field is valid. The caller refuses leftover bytes.
     * Never NULL. */
    bool (*decode)(struct gdfs_pack_reader *r, struct gdfs_msg *m);
    /* Before encoding: GDFS_ETOOBIG for a field over its limit (as
     * proto.h says), GDFS_EINVAL for any other value decode would refuse,
     * so that nothing is sent that the peer refuses. NULL: no check. */
    int (*check)(const struct gdfs_msg *m);
    /* Write the payload of a message @check accepted; for a list reply
     * only the fields before its more/count. NULL: nothing to write (a
     * list reply), or gdfs_proto_encode cannot build it (NDTOND_GROUP). */
    void (*encode)(struct gdfs_pack_writer *w, const struct gdfs_msg *m);
    /* List replies only (built by the gdfs_proto_writer, never by
     * gdfs_proto_encode), else NULL / 0 / false: */
    gdfs_proto_entry_read_cb entry; /* reads one entry */
    uint8_t count_len;              /* bytes of the count: 1, 2 or 4 */
    bool more;                      /* a more:8 byte precedes the count */
};

#define GDFS_PROTO_CODEC_DECLARE(name, id, dir, codec)                      \
    extern const struct gdfs_proto_codec gdfs_proto_codec_##codec;
GDFS_PROTO_MSG_LIST(GDFS_PROTO_CODEC_DECLARE)
#undef GDFS_PROTO_CODEC_DECLARE

/* The codec of @type; NULL for a type not in the list. */
const struct gdfs_proto_codec *gdfs_proto_codec_of(uint8_t type);

/* ---- frames and list bodies (frame.c) ------------------------------------ */

/* Offset of the header's len field, patched once the payload is written. */
#define GDFS_PROTO_HDR_LEN_OFF 12

/* @flags: GDFS_FLAG_* bits, already checked against GDFS_FLAG_MASK. */
void gdfs_proto_put_hdr(struct gdfs_pack_writer *w, uint8_t type,
                        uint16_t flags, uint32_t reqid, uint32_t len);

/* The rest of list reply m->type from @r: its more:8 (into *@more, when
 * its codec has one), count and entries (into @b, which then covers
 * exactly the entries). */
bool gdfs_proto_read_list(struct gdfs_pack_reader *r, const struct gdfs_msg *m,
                          bool *more, struct gdfs_list_body *b);

/* Room in @w, begun for a list reply whose entries @entry reads, for one
 * more entry of @size bytes: GDFS_OK, GDFS_EINVAL for a writer of another
 * list (or none), GDFS_ETOOBIG if the buffer, the payload limit or the
 * count field is full. */
int gdfs_proto_writer_room(const struct gdfs_proto_writer *w,
                           gdfs_proto_entry_read_cb entry, size_t size);
/* Account for the entry of @size bytes that writer_room() accepted and
 * the caller wrote into @pw (a gdfs_pack_writer at w->buf + w->len). */
void gdfs_proto_writer_commit(struct gdfs_proto_writer *w,
                              const struct gdfs_pack_writer *pw, size_t size);

/* One entry of @b at *off through @entry (the gdfs_proto_next_* body). */
bool gdfs_proto_next_entry(gdfs_proto_entry_read_cb entry,
                           const struct gdfs_list_body *b, size_t *off,
                           void *e);

/* ---- fields (frame.c) ---------------------------------------------------- */

void gdfs_proto_get_bytes8(struct gdfs_pack_reader *r, struct gdfs_bytes *b);
void gdfs_proto_get_bytes16(struct gdfs_pack_reader *r, struct gdfs_bytes *b);
void gdfs_proto_get_version(struct gdfs_pack_reader *r,
                            struct gdfs_version *v);
/* A u8 that must be a boolean (0 or 1: anything else would not
 * re-encode). */
bool gdfs_proto_get_bool(struct gdfs_pack_reader *r, bool *v);

void gdfs_proto_put_version(struct gdfs_pack_writer *w,
                            const struct gdfs_version *v);
void gdfs_proto_put_bytes8(struct gdfs_pack_writer *w,
                           const struct gdfs_bytes *b);
void gdfs_proto_put_bytes16(struct gdfs_pack_writer *w,
                            const struct gdfs_bytes *b);

/* ---- validation (frame.c) ------------------------------------------------ */

bool gdfs_proto_valid_name(const struct gdfs_bytes *b);
bool gdfs_proto_valid_node_id(const struct gdfs_bytes *b);
/* 1..GDFS_ADDR_MAX printable bytes other than space. */
bool gdfs_proto_valid_addr(const struct gdfs_bytes *b);
/* 1..GDFS_NODE_ID_MAX printable bytes other than space. */
bool gdfs_proto_valid_group(const struct gdfs_bytes *b);
bool gdfs_proto_valid_chunk_size(uint32_t chunk_size);
bool gdfs_proto_bytes_same(const struct gdfs_bytes *a,
                           const struct gdfs_bytes *b);

/* Encoder-side checks, as gdfs_proto_codec.check: GDFS_ETOOBIG over the
 * limit, GDFS_EINVAL for another value decode refuses. */
int gdfs_proto_check_name_enc(const struct gdfs_bytes *b, bool may_be_empty);
int gdfs_proto_check_chunk_size_enc(uint32_t chunk_size);

/* ---- replica refs and RECORD (records.c) --------------------------------- */

/* @n (<= GDFS_REPLICAS) x { idlen:8 id addrlen:8 addr } into @refs; the
 * caller validates them. */
void gdfs_proto_get_refs(struct gdfs_pack_reader *r, uint8_t n,
                         struct gdfs_replica_ref *refs);
void gdfs_proto_put_refs(struct gdfs_pack_writer *w,
                         const struct gdfs_replica_ref *refs, uint8_t n);
/* At most GDFS_REPLICAS valid, unique node ids with valid addresses (an
 * empty one only where @addr_may_be_empty). */
bool gdfs_proto_valid_refs(const struct gdfs_replica_ref *refs, uint32_t n,
                           bool addr_may_be_empty);
/* Ids or addresses over their limits: GDFS_ETOOBIG, else GDFS_OK. */
int gdfs_proto_check_refs_len_enc(const struct gdfs_replica_ref *refs,
                                  uint32_t n);

/* RECORD (proto/messages.h): read and validate; write one that
 * gdfs_proto_check_record_enc() accepted; its size in bytes. */
bool gdfs_proto_read_record(struct gdfs_pack_reader *r,
                            struct gdfs_record *rec);
void gdfs_proto_put_record(struct gdfs_pack_writer *w,
                           const struct gdfs_record *rec);
size_t gdfs_proto_record_size(const struct gdfs_record *rec);
int gdfs_proto_check_record_enc(const struct gdfs_record *rec);

/* ---- HEALTH figures (replica.c) ------------------------------------------ */

bool gdfs_proto_read_health(struct gdfs_pack_reader *r,
                            struct gdfs_health_figures *h);
void gdfs_proto_put_health(struct gdfs_pack_writer *w,
                           const struct gdfs_health_figures *h);
/* Everything but lengths: names valid and at most GDFS_HEALTH_NAMES_MAX. */
bool gdfs_proto_valid_health_enc(const struct gdfs_health_figures *h);

/* ==== frame =============================================================== */

/* ---- versions, validation ------------------------------------------------ */

int gdfs_version_cmp(const struct gdfs_version *a, const struct gdfs_version *b)
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

void gdfs_proto_get_version(struct gdfs_pack_reader *r,
                            struct gdfs_version *v)
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
} types[UINT8_MAX + 1] = {
#define TYPE_ROW(name, id, dir, codec)                                      \
    [id] = {&gdfs_proto_codec_##codec, #name},
    GDFS_PROTO_MSG_LIST(TYPE_ROW)
#undef TYPE_ROW
};

#define ID_IN_RANGE(name, id, dir, codec)                                   \
    _Static_assert((id) >= 1 && (id) <= GDFS_MSG_TYPE_MAX,                  \
                   "GDFS_MSG_" #name ": id outside 1..GDFS_MSG_TYPE_MAX");
GDFS_PROTO_MSG_LIST(ID_IN_RANGE)
#undef ID_IN_RANGE

const struct gdfs_proto_codec *gdfs_proto_codec_of(uint8_t type)
{
    return types[type].codec;
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
    return GDFS_PROTO_HDR_LEN + ((size_t)buf[12] << 24 | (size_t)buf[13] << 16 |
                                 (size_t)buf[14] << 8 | buf[15]);
}

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
    /* proto.h: a type not in the list is GDFS_EPROTO. */
    if (r.bad || magic != GDFS_PROTO_MAGIC || version != GDFS_PROTO_VERSION ||
        gdfs_proto_codec_of(type) == NULL ||
        (flags & ~GDFS_FLAG_MASK) != 0 || len > max_payload)
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
        hdr->len > GDFS_PROTO_MAX_PAYLOAD)
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
    if (c->more)
        gdfs_pack_put_u8(&pw, 0); /* patched by finish */
    w->count_off = pw.off;
    switch (c->count_len) {
    case 1:
        w->count_max = UINT8_MAX;
        gdfs_pack_put_u8(&pw, 0);
        break;
    case 2:
        w->count_max = UINT16_MAX;
        gdfs_pack_put_u16(&pw, 0);
        break;
    default:
        w->count_max = UINT32_MAX;
        gdfs_pack_put_u32(&pw, 0);
        break;
    }
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
        w->len - GDFS_PROTO_HDR_LEN + size > GDFS_PROTO_MAX_PAYLOAD)
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

/* ==== records ============================================================= */

/* ---- replica refs and RECORD --------------------------------------------- */

/* proto/messages.h RECORD flags:8: bit 0 tombstone, other bits 0. */
#define RECORD_TOMBSTONE 1

/* proto/messages.h RECORD: "chunk_size 0 or GDFS_CHUNK_MIN..GDFS_CHUNK_MAX". */
static bool valid_record_chunk_size(uint32_t chunk_size)
{
    return chunk_size == 0 || gdfs_proto_valid_chunk_size(chunk_size);
}

bool gdfs_proto_valid_refs(const struct gdfs_replica_ref *refs, uint32_t n,
                           bool addr_may_be_empty)
{
    if (n > GDFS_REPLICAS)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!gdfs_proto_valid_node_id(&refs[i].id) ||
            !((refs[i].addr.len == 0 && addr_may_be_empty) ||
              gdfs_proto_valid_addr(&refs[i].addr)))
            return false;
        /* ids already checked, so neither pointer is NULL */
        for (uint32_t j = 0; j < i; j++)
            if (gdfs_proto_bytes_same(&refs[i].id, &refs[j].id))
                return false;
    }
    return true;
}

/* Everything proto/messages.h says of a RECORD but its flags byte, which
 * has no struct side (the struct has only the tombstone bool). */
static bool valid_record(const struct gdfs_record *rec)
{
    return rec->version.seq >= 1 &&
           valid_record_chunk_size(rec->chunk_size) &&
           rec->nreplicas <= GDFS_REPLICAS &&
           (rec->acked >> rec->nreplicas) == 0 &&
           gdfs_proto_valid_refs(rec->replica, rec->nreplicas, true) &&
           gdfs_proto_valid_name(&rec->name);
}

void gdfs_proto_get_refs(struct gdfs_pack_reader *r, uint8_t n,
                         struct gdfs_replica_ref *refs)
{
    assert(n <= GDFS_REPLICAS);
    for (uint8_t i = 0; i < n; i++) {
        gdfs_proto_get_bytes8(r, &refs[i].id);
        gdfs_proto_get_bytes8(r, &refs[i].addr);
    }
}

void gdfs_proto_put_refs(struct gdfs_pack_writer *w,
                         const struct gdfs_replica_ref *refs, uint8_t n)
{
    for (uint8_t i = 0; i < n; i++) {
        gdfs_proto_put_bytes8(w, &refs[i].id);
        gdfs_proto_put_bytes8(w, &refs[i].addr);
    }
}

int gdfs_proto_check_refs_len_enc(const struct gdfs_replica_ref *refs,
                                  uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (refs[i].id.len > GDFS_NODE_ID_MAX ||
            refs[i].addr.len > GDFS_ADDR_MAX)
            return GDFS_ETOOBIG;
    return GDFS_OK;
}

/* Unused replica slots are left zeroed. */
bool gdfs_proto_read_record(struct gdfs_pack_reader *r,
                            struct gdfs_record *rec)
{
    uint8_t flags;

    memset(rec, 0, sizeof(*rec));
    gdfs_proto_get_version(r, &rec->version);
    rec->size = gdfs_pack_get_u64(r);
    rec->chunk_size = gdfs_pack_get_u32(r);
    rec->nchunks = gdfs_pack_get_u32(r);
    gdfs_pack_get_copy(r, rec->sha256, GDFS_SHA256_LEN);
    flags = gdfs_pack_get_u8(r);
    rec->acked = gdfs_pack_get_u8(r);
    rec->nreplicas = gdfs_pack_get_u8(r);
    /* the count bounds rec->replica: check it before reading them */
    if (r->bad || (flags & ~RECORD_TOMBSTONE) != 0 ||
        rec->nreplicas > GDFS_REPLICAS)
        return false;
    rec->tombstone = (flags & RECORD_TOMBSTONE) != 0;
    gdfs_proto_get_refs(r, rec->nreplicas, rec->replica);
    gdfs_proto_get_bytes16(r, &rec->name);
    return !r->bad && valid_record(rec);
}

void gdfs_proto_put_record(struct gdfs_pack_writer *w,
                           const struct gdfs_record *rec)
{
    gdfs_proto_put_version(w, &rec->version);
    gdfs_pack_put_u64(w, rec->size);
    gdfs_pack_put_u32(w, rec->chunk_size);
    gdfs_pack_put_u32(w, rec->nchunks);
    gdfs_pack_put_bytes(w, rec->sha256, GDFS_SHA256_LEN);
    gdfs_pack_put_u8(w, rec->tombstone ? RECORD_TOMBSTONE : 0);
    gdfs_pack_put_u8(w, rec->acked);
    gdfs_pack_put_u8(w, rec->nreplicas);
    gdfs_proto_put_refs(w, rec->replica, rec->nreplicas);
    gdfs_proto_put_bytes16(w, &rec->name);
}

size_t gdfs_proto_record_size(const struct gdfs_record *rec)
{
    size_t size = 8 + 8 + 8 + 4 + 4 + GDFS_SHA256_LEN + 1 + 1 + 1 + 2 +
                  rec->name.len;

    for (uint8_t i = 0; i < rec->nreplicas; i++)
        size += 1 + rec->replica[i].id.len + 1 + rec->replica[i].addr.len;
    return size;
}

/* Also used by the list writer, which turns GDFS_ETOOBIG into GDFS_EINVAL
 * (there it would mean "frame full"). */
int gdfs_proto_check_record_enc(const struct gdfs_record *rec)
{
    int rc;

    if (rec->nreplicas > GDFS_REPLICAS)
        return GDFS_EINVAL;
    rc = gdfs_proto_check_refs_len_enc(rec->replica, rec->nreplicas);
    if (rc != GDFS_OK)
        return rc;
    if (rec->name.len > GDFS_NAME_MAX || rec->chunk_size > GDFS_CHUNK_MAX)
        return GDFS_ETOOBIG;
    return valid_record(rec) ? GDFS_OK : GDFS_EINVAL;
}

/* ---- NDTOND_COMMIT, NDTOCL_RECORD: RECORD --------------------------------- */

static bool record_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    return gdfs_proto_read_record(r, &m->u.record.rec);
}

static int record_check(const struct gdfs_msg *m)
{
    return gdfs_proto_check_record_enc(&m->u.record.rec);
}

static void record_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_record(w, &m->u.record.rec);
}

const struct gdfs_proto_codec gdfs_proto_codec_record = {
    .decode = record_decode,
    .check = record_check,
    .encode = record_encode,
};

/* ---- NDTOND_META_PUT: term:64 RECORD ------------------------------------- */

static bool meta_put_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.meta_put.term = gdfs_pack_get_u64(r);
    return gdfs_proto_read_record(r, &m->u.meta_put.rec) &&
           m->u.meta_put.term >= 1;
}

static int meta_put_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_record_enc(&m->u.meta_put.rec);

    if (rc == GDFS_OK && m->u.meta_put.term == 0)
        rc = GDFS_EINVAL;
    return rc;
}

static void meta_put_encode(struct gdfs_pack_writer *w,
                            const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.meta_put.term);
    gdfs_proto_put_record(w, &m->u.meta_put.rec);
}

const struct gdfs_proto_codec gdfs_proto_codec_meta_put = {
    .decode = meta_put_decode,
    .check = meta_put_check,
    .encode = meta_put_encode,
};

/* ---- NDTOND_META_PULL: term:64 max:32 afterlen:16 after ------------------ */

static bool meta_pull_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.meta_pull.term = gdfs_pack_get_u64(r);
    m->u.meta_pull.max = gdfs_pack_get_u32(r);
    gdfs_proto_get_bytes16(r, &m->u.meta_pull.after);
    return !r->bad && m->u.meta_pull.max >= 1 &&
           (m->u.meta_pull.after.len == 0 ||
            gdfs_proto_valid_name(&m->u.meta_pull.after));
}

static int meta_pull_check(const struct gdfs_msg *m)
{
    if (m->u.meta_pull.max == 0)
        return GDFS_EINVAL;
    return gdfs_proto_check_name_enc(&m->u.meta_pull.after, true);
}

static void meta_pull_encode(struct gdfs_pack_writer *w,
                             const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.meta_pull.term);
    gdfs_pack_put_u32(w, m->u.meta_pull.max);
    gdfs_proto_put_bytes16(w, &m->u.meta_pull.after);
}

const struct gdfs_proto_codec gdfs_proto_codec_meta_pull = {
    .decode = meta_pull_decode,
    .check = meta_pull_check,
    .encode = meta_pull_encode,
};

/* ---- record lists: NDTOCL_META_LIST, NDTOND_META_SYNC -------------------- */

static bool record_entry(struct gdfs_pack_reader *r, void *e)
{
    return gdfs_proto_read_record(r, e);
}

/* more:8 count:32 then count x RECORD */
static bool meta_list_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    return gdfs_proto_read_list(r, m, &m->u.meta_list.more,
                                &m->u.meta_list.body);
}

const struct gdfs_proto_codec gdfs_proto_codec_meta_list = {
    .decode = meta_list_decode,
    .entry = record_entry,
    .count_len = 4,
    .more = true,
};

/* term:64 complete:64 more:8 count:32 then count x RECORD */
static bool meta_sync_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.meta_sync.term = gdfs_pack_get_u64(r);
    m->u.meta_sync.complete = gdfs_pack_get_u64(r);
    return !r->bad && m->u.meta_sync.term != 0 &&
           gdfs_proto_read_list(r, m, &m->u.meta_sync.more,
                                &m->u.meta_sync.body);
}

static int meta_sync_check(const struct gdfs_msg *m)
{
    return m->u.meta_sync.term != 0 ? GDFS_OK : GDFS_EINVAL;
}

static void meta_sync_encode(struct gdfs_pack_writer *w,
                             const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.meta_sync.term);
    gdfs_pack_put_u64(w, m->u.meta_sync.complete);
}

const struct gdfs_proto_codec gdfs_proto_codec_meta_sync = {
    .decode = meta_sync_decode,
    .check = meta_sync_check,
    .encode = meta_sync_encode,
    .entry = record_entry,
    .count_len = 4,
    .more = true,
};

int gdfs_proto_add_record(struct gdfs_proto_writer *w,
                          const struct gdfs_record *rec)
{
    struct gdfs_pack_writer pw;
    size_t size;
    int rc;

    /* first: it bounds rec->nreplicas, which record_size() reads */
    if (gdfs_proto_check_record_enc(rec) != GDFS_OK)
        return GDFS_EINVAL;
    size = gdfs_proto_record_size(rec);
    rc = gdfs_proto_writer_room(w, record_entry, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_record(&pw, rec);
    gdfs_proto_writer_commit(w, &pw, size);
    return GDFS_OK;
}

bool gdfs_proto_next_record(const struct gdfs_list_body *b, size_t *off,
                            struct gdfs_record *r)
{
    return gdfs_proto_next_entry(record_entry, b, off, r);
}

/* ---- record sync: NDTOND_META_SUM, NDTOCL_META_DIFF ---------------------- */

/* term:64 then GDFS_META_SUMS_LEN bytes of sums */
static bool meta_sum_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.meta_sum.term = gdfs_pack_get_u64(r);
    m->u.meta_sum.sums.p = gdfs_pack_get_bytes(r, GDFS_META_SUMS_LEN);
    m->u.meta_sum.sums.len = GDFS_META_SUMS_LEN;
    return !r->bad && m->u.meta_sum.term >= 1;
}

static int meta_sum_check(const struct gdfs_msg *m)
{
    if (m->u.meta_sum.term == 0 ||
        m->u.meta_sum.sums.len != GDFS_META_SUMS_LEN ||
        m->u.meta_sum.sums.p == NULL)
        return GDFS_EINVAL;
    return GDFS_OK;
}

static void meta_sum_encode(struct gdfs_pack_writer *w,
                            const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.meta_sum.term);
    gdfs_pack_put_bytes(w, m->u.meta_sum.sums.p, GDFS_META_SUMS_LEN);
}

const struct gdfs_proto_codec gdfs_proto_codec_meta_sum = {
    .decode = meta_sum_decode,
    .check = meta_sum_check,
    .encode = meta_sum_encode,
};

/* mask:64 */
static bool meta_diff_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.meta_diff.mask = gdfs_pack_get_u64(r);
    return !r->bad;
}

static void meta_diff_encode(struct gdfs_pack_writer *w,
                             const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.meta_diff.mask);
}

const struct gdfs_proto_codec gdfs_proto_codec_meta_diff = {
    .decode = meta_diff_decode,
    .encode = meta_diff_encode,
};

/* ==== client ============================================================== */

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
    gdfs_proto_put_hdr(&w, GDFS_MSG_CHUNK, 0, reqid,
                       (uint32_t)(GDFS_PROTO_CHUNK_OVERHEAD -
                                  GDFS_PROTO_HDR_LEN) +
                           datalen);
    gdfs_pack_put_u32(&w, idx);
    gdfs_pack_put_bytes(&w, sha256, GDFS_SHA256_LEN);
    gdfs_pack_put_u32(&w, datalen);
    assert(!w.bad && w.off == GDFS_PROTO_CHUNK_OVERHEAD);
}

/* ---- CLTOND_PUT_END: size:64 nchunks:32 sha256:32B ----------------------- */

static bool put_end_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    /* nchunks cannot be checked here: the chunk size is not known. */
    m->u.put_end.size = gdfs_pack_get_u64(r);
    m->u.put_end.nchunks = gdfs_pack_get_u32(r);
    gdfs_pack_get_copy(r, m->u.put_end.sha256, GDFS_SHA256_LEN);
    return !r->bad;
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
    .encode = put_end_encode,
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

/* nchunks = ceil(size / chunk_size), 0 for an empty file. Done in 64 bits:
 * a size whose chunk count overflows 32 bits never matches. */
static bool valid_nchunks(uint64_t size, uint32_t chunk_size,
                          uint32_t nchunks)
{
    uint64_t want = size / chunk_size + (size % chunk_size != 0);

    return want == nchunks;
}

/* seq:64 term:64 size:64 chunk_size:32 nchunks:32 sha256:32B */
static bool get_info_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.get_info.version);
    m->u.get_info.size = gdfs_pack_get_u64(r);
    m->u.get_info.chunk_size = gdfs_pack_get_u32(r);
    m->u.get_info.nchunks = gdfs_pack_get_u32(r);
    gdfs_pack_get_copy(r, m->u.get_info.sha256, GDFS_SHA256_LEN);
    return !r->bad && gdfs_proto_valid_chunk_size(m->u.get_info.chunk_size) &&
           valid_nchunks(m->u.get_info.size, m->u.get_info.chunk_size,
                         m->u.get_info.nchunks);
}

static int get_info_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_chunk_size_enc(m->u.get_info.chunk_size);

    if (rc != GDFS_OK)
        return rc;
    if (!valid_nchunks(m->u.get_info.size, m->u.get_info.chunk_size,
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

/* { idlen:8 id addrlen:8 addr seq:64 term:64 state:8 } */
static bool replica_entry(struct gdfs_pack_reader *r, void *out)
{
    struct gdfs_replica_entry *e = out;

    gdfs_proto_get_bytes8(r, &e->id);
    gdfs_proto_get_bytes8(r, &e->addr);
    gdfs_proto_get_version(r, &e->version);
    e->state = gdfs_pack_get_u8(r);
    return !r->bad && gdfs_proto_valid_node_id(&e->id) &&
           gdfs_proto_valid_addr(&e->addr) &&
           e->state <= GDFS_MEMBER_STATE_MAX;
}

static bool locate_reply_decode(struct gdfs_pack_reader *r,
                                struct gdfs_msg *m)
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
    size_t size = 1 + e->id.len + 1 + e->addr.len + 8 + 8 + 1;
    int rc;

    if (!gdfs_proto_valid_node_id(&e->id) || !gdfs_proto_valid_addr(&e->addr) ||
        e->state > GDFS_MEMBER_STATE_MAX)
        return GDFS_EINVAL;
    rc = gdfs_proto_writer_room(w, replica_entry, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_bytes8(&pw, &e->id);
    gdfs_proto_put_bytes8(&pw, &e->addr);
    gdfs_proto_put_version(&pw, &e->version);
    gdfs_pack_put_u8(&pw, e->state);
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
           e->state <= GDFS_MEMBER_STATE_MAX && (e->ring & ~RING_BITS) == 0;
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
static bool status_reply_decode(struct gdfs_pack_reader *r,
                                struct gdfs_msg *m)
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
           read_scrub(r, &m->u.status_reply.scrub);
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

    if (!gdfs_proto_valid_node_id(&e->id) || !gdfs_proto_valid_addr(&e->addr) ||
        e->state > GDFS_MEMBER_STATE_MAX || (e->ring & ~RING_BITS) != 0)
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

    if (w->type != GDFS_MSG_NDTOCL_STATUS || !gdfs_proto_valid_health_enc(h))
        return GDFS_EINVAL;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_health(&pw, h);
    gdfs_pack_put_u8(&pw, sc->running ? 1 : 0);
    gdfs_pack_put_u32(&pw, sc->passes);
    gdfs_pack_put_u64(&pw, sc->checked);
    gdfs_pack_put_u64(&pw, sc->total);
    gdfs_pack_put_u64(&pw, sc->bad);
    gdfs_pack_put_u64(&pw, sc->repaired);
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

/* ==== replica ============================================================= */

/* ---- NDTOCL_PLACE -------------------------------------------------------- */

/* proto/messages.h NDTOCL_PLACE: count 1..3, addresses not empty, chunk
 * size in range (the one the put will use). */
static bool valid_place(const struct gdfs_msg *m)
{
    return gdfs_proto_valid_chunk_size(m->u.place.chunk_size) &&
           m->u.place.nreplicas >= 1 &&
           gdfs_proto_valid_refs(m->u.place.replica, m->u.place.nreplicas,
                                 false);
}

/* seq:64 term:64 chunk_size:32 count:8 then count x { id, addr } */
static bool place_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.place.version);
    m->u.place.chunk_size = gdfs_pack_get_u32(r);
    m->u.place.nreplicas = gdfs_pack_get_u8(r);
    /* the count bounds m->u.place.replica */
    if (r->bad || m->u.place.nreplicas > GDFS_REPLICAS)
        return false;
    gdfs_proto_get_refs(r, m->u.place.nreplicas, m->u.place.replica);
    return !r->bad && valid_place(m);
}

static int place_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_chunk_size_enc(m->u.place.chunk_size);

    if (rc != GDFS_OK)
        return rc;
    if (m->u.place.nreplicas > GDFS_REPLICAS)
        return GDFS_EINVAL;
    rc = gdfs_proto_check_refs_len_enc(m->u.place.replica,
                                       m->u.place.nreplicas);
    if (rc != GDFS_OK)
        return rc;
    return valid_place(m) ? GDFS_OK : GDFS_EINVAL;
}

static void place_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_version(w, &m->u.place.version);
    gdfs_pack_put_u32(w, m->u.place.chunk_size);
    gdfs_pack_put_u8(w, m->u.place.nreplicas);
    gdfs_proto_put_refs(w, m->u.place.replica, m->u.place.nreplicas);
}

const struct gdfs_proto_codec gdfs_proto_codec_place = {
    .decode = place_decode,
    .check = place_check,
    .encode = place_encode,
};

/* ---- NDTOND_RPUT: seq:64 term:64 chunk_size:32 namelen:16 name ----------- */

static bool rput_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.rput.version);
    m->u.rput.chunk_size = gdfs_pack_get_u32(r);
    gdfs_proto_get_bytes16(r, &m->u.rput.name);
    return !r->bad && m->u.rput.version.seq >= 1 &&
           gdfs_proto_valid_chunk_size(m->u.rput.chunk_size) &&
           gdfs_proto_valid_name(&m->u.rput.name);
}

static int rput_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_chunk_size_enc(m->u.rput.chunk_size);

    if (rc == GDFS_OK)
        rc = gdfs_proto_check_name_enc(&m->u.rput.name, false);
    if (rc == GDFS_OK && m->u.rput.version.seq == 0)
        rc = GDFS_EINVAL;
    return rc;
}

static void rput_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_version(w, &m->u.rput.version);
    gdfs_pack_put_u32(w, m->u.rput.chunk_size);
    gdfs_proto_put_bytes16(w, &m->u.rput.name);
}

const struct gdfs_proto_codec gdfs_proto_codec_rput = {
    .decode = rput_decode,
    .check = rput_check,
    .encode = rput_encode,
};

/* ---- NDTOND_RGET, NDTOND_RGET_FROM, NDTOND_PROBE ------------------------- */

/* The part the three share: seq:64 term:64 namelen:16 name (into
 * m->u.rget); the version rule is the caller's. */
static bool version_name_decode(struct gdfs_pack_reader *r,
                                struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.rget.version);
    gdfs_proto_get_bytes16(r, &m->u.rget.name);
    return !r->bad && gdfs_proto_valid_name(&m->u.rget.name);
}

static void version_name_encode(struct gdfs_pack_writer *w,
                                const struct gdfs_msg *m)
{
    gdfs_proto_put_version(w, &m->u.rget.version);
    gdfs_proto_put_bytes16(w, &m->u.rget.name);
}

/* RGET: seq >= 1 */
static bool rget_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    return version_name_decode(r, m) && m->u.rget.version.seq >= 1;
}

static int rget_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_name_enc(&m->u.rget.name, false);

    if (rc == GDFS_OK && m->u.rget.version.seq == 0)
        rc = GDFS_EINVAL;
    return rc;
}

const struct gdfs_proto_codec gdfs_proto_codec_rget = {
    .decode = rget_decode,
    .check = rget_check,
    .encode = version_name_encode,
};

/* RGET_FROM: first:32, then an RGET */
static bool rget_from_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.rget.first = gdfs_pack_get_u32(r);
    return rget_decode(r, m);
}

static void rget_from_encode(struct gdfs_pack_writer *w,
                             const struct gdfs_msg *m)
{
    gdfs_pack_put_u32(w, m->u.rget.first);
    version_name_encode(w, m);
}

const struct gdfs_proto_codec gdfs_proto_codec_rget_from = {
    .decode = rget_from_decode,
    .check = rget_check,
    .encode = rget_from_encode,
};

/* PROBE: "seq 0 (then term 0) asks only for the newest". */
static bool valid_probe_version(const struct gdfs_version *v)
{
    return v->seq != 0 || v->term == 0;
}

static bool probe_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    return version_name_decode(r, m) &&
           valid_probe_version(&m->u.rget.version);
}

static int probe_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_name_enc(&m->u.rget.name, false);

    if (rc == GDFS_OK && !valid_probe_version(&m->u.rget.version))
        rc = GDFS_EINVAL;
    return rc;
}

const struct gdfs_proto_codec gdfs_proto_codec_probe = {
    .decode = probe_decode,
    .check = probe_check,
    .encode = version_name_encode,
};

/* ---- NDTOCL_PROBE: have:8 seq:64 term:64 flags:8 ------------------------- */

static bool probe_reply_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.probe_reply.have = gdfs_pack_get_u8(r);
    gdfs_proto_get_version(r, &m->u.probe_reply.newest);
    m->u.probe_reply.flags = gdfs_pack_get_u8(r);
    return !r->bad && m->u.probe_reply.have <= GDFS_PROBE_HAVE_MAX &&
           (m->u.probe_reply.flags & ~GDFS_PROBE_TOMBSTONE) == 0;
}

static int probe_reply_check(const struct gdfs_msg *m)
{
    if (m->u.probe_reply.have > GDFS_PROBE_HAVE_MAX ||
        (m->u.probe_reply.flags & ~GDFS_PROBE_TOMBSTONE) != 0)
        return GDFS_EINVAL;
    return GDFS_OK;
}

static void probe_reply_encode(struct gdfs_pack_writer *w,
                               const struct gdfs_msg *m)
{
    gdfs_pack_put_u8(w, m->u.probe_reply.have);
    gdfs_proto_put_version(w, &m->u.probe_reply.newest);
    gdfs_pack_put_u8(w, m->u.probe_reply.flags);
}

const struct gdfs_proto_codec gdfs_proto_codec_probe_reply = {
    .decode = probe_reply_decode,
    .check = probe_reply_check,
    .encode = probe_reply_encode,
};

/* ---- NDTOND_REPLICATE: RECORD nsrc:8 then nsrc x { addrlen:8 addr } ----- */

/* Not a tombstone, 1..GDFS_REPLICATE_SRC_MAX sources, addresses not
 * empty. */
static bool valid_replicate(const struct gdfs_msg *m)
{
    if (m->u.replicate.rec.tombstone || m->u.replicate.nsrc < 1 ||
        m->u.replicate.nsrc > GDFS_REPLICATE_SRC_MAX)
        return false;
    for (uint8_t i = 0; i < m->u.replicate.nsrc; i++)
        if (!gdfs_proto_valid_addr(&m->u.replicate.src[i]))
            return false;
    return true;
}

static bool replicate_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    if (!gdfs_proto_read_record(r, &m->u.replicate.rec))
        return false;
    m->u.replicate.nsrc = gdfs_pack_get_u8(r);
    /* the count bounds m->u.replicate.src */
    if (r->bad || m->u.replicate.nsrc > GDFS_REPLICATE_SRC_MAX)
        return false;
    for (uint8_t i = 0; i < m->u.replicate.nsrc; i++)
        gdfs_proto_get_bytes8(r, &m->u.replicate.src[i]);
    return !r->bad && valid_replicate(m);
}

static int replicate_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_record_enc(&m->u.replicate.rec);

    if (rc != GDFS_OK)
        return rc;
    for (uint8_t i = 0; i < m->u.replicate.nsrc &&
                        i < GDFS_REPLICATE_SRC_MAX; i++)
        if (m->u.replicate.src[i].len > GDFS_ADDR_MAX)
            return GDFS_ETOOBIG;
    return valid_replicate(m) ? GDFS_OK : GDFS_EINVAL;
}

static void replicate_encode(struct gdfs_pack_writer *w,
                             const struct gdfs_msg *m)
{
    gdfs_proto_put_record(w, &m->u.replicate.rec);
    gdfs_pack_put_u8(w, m->u.replicate.nsrc);
    for (uint8_t i = 0; i < m->u.replicate.nsrc; i++)
        gdfs_proto_put_bytes8(w, &m->u.replicate.src[i]);
}

const struct gdfs_proto_codec gdfs_proto_codec_replicate = {
    .decode = replicate_decode,
    .check = replicate_check,
    .encode = replicate_encode,
};

/* ---- NDTOND_DRAIN: idlen:8 id -------------------------------------------- */

static bool drain_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_bytes8(r, &m->u.drain.id);
    return !r->bad && gdfs_proto_valid_node_id(&m->u.drain.id);
}

static int drain_check(const struct gdfs_msg *m)
{
    if (m->u.drain.id.len > GDFS_NODE_ID_MAX)
        return GDFS_ETOOBIG;
    return gdfs_proto_valid_node_id(&m->u.drain.id) ? GDFS_OK : GDFS_EINVAL;
}

static void drain_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_bytes8(w, &m->u.drain.id);
}

const struct gdfs_proto_codec gdfs_proto_codec_drain = {
    .decode = drain_decode,
    .check = drain_check,
    .encode = drain_encode,
};

/* ---- HEALTH figures, NDTOCL_HEALTH --------------------------------------- */

bool gdfs_proto_read_health(struct gdfs_pack_reader *r,
                            struct gdfs_health_figures *h)
{
    uint8_t known = gdfs_pack_get_u8(r);

    h->known = known == 1;
    h->under = gdfs_pack_get_u32(r);
    h->nnames = gdfs_pack_get_u8(r);
    /* the count bounds h->names */
    if (r->bad || known > 1 || h->nnames > GDFS_HEALTH_NAMES_MAX)
        return false;
    for (uint8_t i = 0; i < h->nnames; i++) {
        gdfs_proto_get_bytes16(r, &h->names[i]);
        if (r->bad || !gdfs_proto_valid_name(&h->names[i]))
            return false;
    }
    h->pending = gdfs_pack_get_u32(r);
    h->running = gdfs_pack_get_u32(r);
    h->done = gdfs_pack_get_u64(r);
    h->failed = gdfs_pack_get_u64(r);
    h->bytes = gdfs_pack_get_u64(r);
    return !r->bad;
}

bool gdfs_proto_valid_health_enc(const struct gdfs_health_figures *h)
{
    if (h->nnames > GDFS_HEALTH_NAMES_MAX)
        return false;
    for (uint8_t i = 0; i < h->nnames; i++)
        if (!gdfs_proto_valid_name(&h->names[i]))
            return false;
    return true;
}

void gdfs_proto_put_health(struct gdfs_pack_writer *w,
                           const struct gdfs_health_figures *h)
{
    gdfs_pack_put_u8(w, h->known ? 1 : 0);
    gdfs_pack_put_u32(w, h->under);
    gdfs_pack_put_u8(w, h->nnames);
    for (uint8_t i = 0; i < h->nnames; i++)
        gdfs_proto_put_bytes16(w, &h->names[i]);
    gdfs_pack_put_u32(w, h->pending);
    gdfs_pack_put_u32(w, h->running);
    gdfs_pack_put_u64(w, h->done);
    gdfs_pack_put_u64(w, h->failed);
    gdfs_pack_put_u64(w, h->bytes);
}

static bool health_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    return gdfs_proto_read_health(r, &m->u.health);
}

static int health_check(const struct gdfs_msg *m)
{
    for (uint8_t i = 0; i < m->u.health.nnames &&
                        i < GDFS_HEALTH_NAMES_MAX; i++)
        if (m->u.health.names[i].len > GDFS_NAME_MAX)
            return GDFS_ETOOBIG;
    return gdfs_proto_valid_health_enc(&m->u.health) ? GDFS_OK : GDFS_EINVAL;
}

static void health_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_health(w, &m->u.health);
}

const struct gdfs_proto_codec gdfs_proto_codec_health = {
    .decode = health_decode,
    .check = health_check,
    .encode = health_encode,
};

/* ==== group =============================================================== */

/* ---- group messages: read ------------------------------------------------ */

/* NDTOND_GROUP: a group id there has the node id charset, and is empty
 * only in JOIN (from a node that has no group yet). */
static bool valid_gmsg_group(const struct gdfs_bytes *b, bool may_be_empty)
{
    return (b->len == 0 && may_be_empty) || gdfs_proto_valid_node_id(b);
}

/* Each reader below validates everything it reads and, when its output is
 * not NULL, stores it; gdfs_proto_decode passes NULL (it only validates, with
 * no struct gdfs_gmsg, which is large, on its stack). */

/* Copy a validated string (shorter than @cap) NUL-terminated into @dst. */
static void copy_str(char *dst, size_t cap, const struct gdfs_bytes *b)
{
    assert(b->len < cap);
    if (b->len > 0)
        memcpy(dst, b->p, b->len);
    dst[b->len] = '\0';
}

/* { idlen:8 id addrlen:8 addr state:8 incarnation:64 since:64 } */
static bool read_gmember(struct gdfs_pack_reader *r, struct gdfs_bytes *id,
                         struct gdfs_member *out)
{
    struct gdfs_bytes addr;
    uint8_t state;
    uint64_t incarnation, since;

    gdfs_proto_get_bytes8(r, id);
    gdfs_proto_get_bytes8(r, &addr);
    state = gdfs_pack_get_u8(r);
    incarnation = gdfs_pack_get_u64(r);
    since = gdfs_pack_get_u64(r);
    if (r->bad || !gdfs_proto_valid_node_id(id) || !gdfs_proto_valid_addr(&addr) ||
        state > GDFS_MEMBER_STATE_MAX)
        return false;
    if (out != NULL) {
        copy_str(out->id, sizeof(out->id), id);
        copy_str(out->addr, sizeof(out->addr), &addr);
        out->state = state;
        out->incarnation = incarnation;
        out->since = since;
    }
    return true;
}

/* SET = grouplen:8 group version:VER count:8 then count members. */
static bool read_members(struct gdfs_pack_reader *r, struct gdfs_members *out)
{
    struct gdfs_bytes group, ids[GDFS_GROUP_MAX];
    struct gdfs_version version;
    uint8_t count;

    gdfs_proto_get_bytes8(r, &group);
    gdfs_proto_get_version(r, &version);
    count = gdfs_pack_get_u8(r);
    if (r->bad || !valid_gmsg_group(&group, false) || count > GDFS_GROUP_MAX)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        if (!read_gmember(r, &ids[i], out != NULL ? &out->m[i] : NULL))
            return false;
        /* ids unique; at most 64 x 63 comparisons of <= 64 bytes */
        for (uint32_t j = 0; j < i; j++)
            if (gdfs_proto_bytes_same(&ids[i], &ids[j]))
                return false;
    }
    if (out != NULL) {
        copy_str(out->group_id, sizeof(out->group_id), &group);
        out->version = version;
        out->n = count;
    }
    return true;
}

/* One group message (proto.h NDTOND_GROUP), the whole payload but for the
 * check for leftovers. @g may be NULL (validation only); it is written to
 * only as far as the message is valid. */
static bool read_gmsg(struct gdfs_pack_reader *r, struct gdfs_gmsg *g)
{
    struct gdfs_bytes from, group, s;
    struct gdfs_version v;
    uint64_t term, a, b;
    uint8_t kind;
    bool x, y;

    kind = gdfs_pack_get_u8(r);
    gdfs_proto_get_bytes8(r, &from);
    gdfs_proto_get_bytes8(r, &group);
    term = gdfs_pack_get_u64(r);
    if (r->bad || kind < GDFS_GMSG_HEARTBEAT || kind > GDFS_GMSG_LEAVE ||
        !gdfs_proto_valid_node_id(&from) ||
        !valid_gmsg_group(&group, kind == GDFS_GMSG_JOIN))
        return false;
    if (g != NULL) {
        g->type = kind;
        copy_str(g->from, sizeof(g->from), &from);
        copy_str(g->group_id, sizeof(g->group_id), &group);
        g->term = term;
    }
    switch (kind) {
    case GDFS_GMSG_HEARTBEAT:
        a = gdfs_pack_get_u64(r);
        if (g != NULL)
            g->u.heartbeat.incarnation = a;
        return !r->bad;
    case GDFS_GMSG_APPEND:
        a = gdfs_pack_get_u64(r);
        gdfs_proto_get_version(r, &v);
        if (r->bad)
            return false;
        if (g != NULL) {
            g->u.append.sent_at = a;
            g->u.append.committed = v;
        }
        return read_members(r, g != NULL ? &g->u.append.set : NULL);
    case GDFS_GMSG_APPEND_ACK:
        a = gdfs_pack_get_u64(r);
        gdfs_proto_get_version(r, &v);
        b = gdfs_pack_get_u64(r);
        if (g != NULL) {
            g->u.append_ack.sent_at = a;
            g->u.append_ack.version = v;
            g->u.append_ack.incarnation = b;
        }
        return !r->bad;
    case GDFS_GMSG_VOTE:
        if (!gdfs_proto_get_bool(r, &x))
            return false;
        gdfs_proto_get_version(r, &v);
        if (g != NULL) {
            g->u.vote.pre = x;
            g->u.vote.version = v;
        }
        return !r->bad;
    case GDFS_GMSG_VOTE_ACK:
        if (!gdfs_proto_get_bool(r, &x) || !gdfs_proto_get_bool(r, &y))
            return false;
        if (g != NULL) {
            g->u.vote_ack.pre = x;
            g->u.vote_ack.granted = y;
        }
        return true;
    case GDFS_GMSG_SUSPECT:
        gdfs_proto_get_bytes8(r, &s);
        a = gdfs_pack_get_u64(r);
        if (r->bad || !gdfs_proto_valid_node_id(&s))
            return false;
        if (g != NULL) {
            copy_str(g->u.suspect.target, sizeof(g->u.suspect.target), &s);
            g->u.suspect.incarnation = a;
        }
        return true;
    case GDFS_GMSG_JOIN:
        gdfs_proto_get_bytes8(r, &s);
        if (r->bad || !gdfs_proto_valid_addr(&s))
            return false;
        if (g != NULL)
            copy_str(g->u.join.addr, sizeof(g->u.join.addr), &s);
        return true;
    default: /* GDFS_GMSG_LEAVE: nothing more */
        return true;
    }
}

int gdfs_proto_decode_group(const uint8_t *p, size_t len,
                            struct gdfs_gmsg *g)
{
    static const uint8_t empty[1];
    struct gdfs_pack_reader r;

    memset(g, 0, sizeof(*g));
    gdfs_pack_reader_init(&r, p != NULL ? p : empty, p != NULL ? len : 0);
    if (!read_gmsg(&r, g) || r.bad || gdfs_pack_left(&r) != 0) {
        memset(g, 0, sizeof(*g));
        return GDFS_EPROTO;
    }
    return GDFS_OK;
}

/* ---- the NDTOND_GROUP codec ---------------------------------------------- */

/* Validated in full here, so a bad one is refused with the frame; the
 * handler decodes it again with gdfs_proto_decode_group. */
static bool group_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    if (!read_gmsg(r, NULL) || r->bad)
        return false;
    m->u.group.raw.p = r->p;
    m->u.group.raw.len = r->len;
    return true;
}

/* No encode: gdfs_proto_encode refuses NDTOND_GROUP (the caller has a
 * struct gdfs_gmsg: gdfs_proto_encode_group). */
const struct gdfs_proto_codec gdfs_proto_codec_group = {
    .decode = group_decode,
};

/* ---- group messages: write ----------------------------------------------- */

/* The string in char array @s of @cap bytes; without a NUL in it the length
 * is @cap, which is over every limit, so the check that follows refuses it
 * (and nothing reads past the array). */
static struct gdfs_bytes str_of(const char *s, size_t cap)
{
    struct gdfs_bytes b = {(const uint8_t *)s, strnlen(s, cap)};

    return b;
}

#define STR_OF(arr) str_of((arr), sizeof(arr))

static bool valid_members_enc(const struct gdfs_members *set)
{
    struct gdfs_bytes group = STR_OF(set->group_id);

    if (!valid_gmsg_group(&group, false) || set->n > GDFS_GROUP_MAX)
        return false;
    for (uint32_t i = 0; i < set->n; i++) {
        const struct gdfs_member *mb = &set->m[i];
        struct gdfs_bytes id = STR_OF(mb->id), addr = STR_OF(mb->addr);

        if (!gdfs_proto_valid_node_id(&id) || !gdfs_proto_valid_addr(&addr) ||
            mb->state > GDFS_MEMBER_STATE_MAX)
            return false;
        for (uint32_t j = 0; j < i; j++) {
            struct gdfs_bytes other = STR_OF(set->m[j].id);
            if (gdfs_proto_bytes_same(&id, &other))
                return false;
        }
    }
    return true;
}

/* Everything read_gmsg() checks, on the struct side. */
static bool valid_gmsg_enc(const struct gdfs_gmsg *g)
{
    struct gdfs_bytes from = STR_OF(g->from), group = STR_OF(g->group_id);
    struct gdfs_bytes s;

    if (g->type < GDFS_GMSG_HEARTBEAT || g->type > GDFS_GMSG_LEAVE ||
        !gdfs_proto_valid_node_id(&from) ||
        !valid_gmsg_group(&group, g->type == GDFS_GMSG_JOIN))
        return false;
    switch (g->type) {
    case GDFS_GMSG_APPEND:
        return valid_members_enc(&g->u.append.set);
    case GDFS_GMSG_SUSPECT:
        s = STR_OF(g->u.suspect.target);
        return gdfs_proto_valid_node_id(&s);
    case GDFS_GMSG_JOIN:
        s = STR_OF(g->u.join.addr);
        return gdfs_proto_valid_addr(&s);
    }
    return true;
}

static void put_str8(struct gdfs_pack_writer *w, const char *s, size_t cap)
{
    struct gdfs_bytes b = str_of(s, cap);

    gdfs_proto_put_bytes8(w, &b);
}

#define PUT_STR8(w, arr) put_str8((w), (arr), sizeof(arr))

int gdfs_proto_encode_group(const struct gdfs_gmsg *g, uint8_t *buf,
                            size_t cap, size_t *len)
{
    const struct gdfs_members *set = &g->u.append.set;
    struct gdfs_pack_writer w;

    if (!valid_gmsg_enc(g))
        return GDFS_EINVAL;
    gdfs_pack_writer_init(&w, buf, cap, 0);
    gdfs_proto_put_hdr(&w, GDFS_MSG_NDTOND_GROUP, 0, 0, 0);
    gdfs_pack_put_u8(&w, g->type);
    PUT_STR8(&w, g->from);
    PUT_STR8(&w, g->group_id);
    gdfs_pack_put_u64(&w, g->term);
    switch (g->type) {
    case GDFS_GMSG_HEARTBEAT:
        gdfs_pack_put_u64(&w, g->u.heartbeat.incarnation);
        break;
    case GDFS_GMSG_APPEND:
        gdfs_pack_put_u64(&w, g->u.append.sent_at);
        gdfs_proto_put_version(&w, &g->u.append.committed);
        PUT_STR8(&w, set->group_id);
        gdfs_proto_put_version(&w, &set->version);
        gdfs_pack_put_u8(&w, (uint8_t)set->n);
        for (uint32_t i = 0; i < set->n; i++) {
            PUT_STR8(&w, set->m[i].id);
            PUT_STR8(&w, set->m[i].addr);
            gdfs_pack_put_u8(&w, set->m[i].state);
            gdfs_pack_put_u64(&w, set->m[i].incarnation);
            gdfs_pack_put_u64(&w, set->m[i].since);
        }
        break;
    case GDFS_GMSG_APPEND_ACK:
        gdfs_pack_put_u64(&w, g->u.append_ack.sent_at);
        gdfs_proto_put_version(&w, &g->u.append_ack.version);
        gdfs_pack_put_u64(&w, g->u.append_ack.incarnation);
        break;
    case GDFS_GMSG_VOTE:
        gdfs_pack_put_u8(&w, g->u.vote.pre ? 1 : 0);
        gdfs_proto_put_version(&w, &g->u.vote.version);
        break;
    case GDFS_GMSG_VOTE_ACK:
        gdfs_pack_put_u8(&w, g->u.vote_ack.pre ? 1 : 0);
        gdfs_pack_put_u8(&w, g->u.vote_ack.granted ? 1 : 0);
        break;
    case GDFS_GMSG_SUSPECT:
        PUT_STR8(&w, g->u.suspect.target);
        gdfs_pack_put_u64(&w, g->u.suspect.incarnation);
        break;
    case GDFS_GMSG_JOIN:
        PUT_STR8(&w, g->u.join.addr);
        break;
    default: /* GDFS_GMSG_LEAVE */
        break;
    }
    if (w.bad)
        return GDFS_ETOOBIG;
    /* the largest APPEND is about 22 KiB, far below the payload limit */
    gdfs_pack_patch_u32(buf + GDFS_PROTO_HDR_LEN_OFF,
                        (uint32_t)(w.off - GDFS_PROTO_HDR_LEN));
    *len = w.off;
    return GDFS_OK;
}
