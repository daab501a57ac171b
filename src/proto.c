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
 *   group messages    the NDTOND_GROUP reader, shared by decode (validation
 *                     only) and gdfs_proto_decode_group
 *   frame header
 *   decode
 *   encode
 *   group encode
 *   list writer
 *   iterators, type names */
#include "proto.h"

#include <assert.h>
#include <string.h>

#include "pack.h"

/* ---- versions ------------------------------------------------------------ */

int gdfs_version_cmp(const struct gdfs_version *a, const struct gdfs_version *b)
{
    if (a->term != b->term)
        return a->term < b->term ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

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

/* proto.h NDTOND_GROUP: a group id there has the node id charset, and is
 * empty only in JOIN (from a node that has no group yet). */
static bool valid_gmsg_group(const struct gdfs_bytes *b, bool may_be_empty)
{
    return (b->len == 0 && may_be_empty) || valid_node_id(b);
}

/* proto.h NDTOCL_STATUS: "role: enum gdfs_group_role 0..5" (the enum lives
 * in core/group.h, which proto.c does not include). */
#define STATUS_ROLE_MAX 5
/* proto.h NDTOCL_STATUS: ring bits other than these are 0. */
#define RING_BITS (GDFS_RING_TO | GDFS_RING_FROM)

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

/* proto.h NDTOND_PROBE: "seq 0 (then term 0) asks only for the newest". */
static bool valid_probe_version(const struct gdfs_version *v)
{
    return v->seq != 0 || v->term == 0;
}

/* proto.h RECORD: "chunk_size 0 or GDFS_CHUNK_MIN..GDFS_CHUNK_MAX". */
static bool valid_record_chunk_size(uint32_t chunk_size)
{
    return chunk_size == 0 || valid_chunk_size(chunk_size);
}

static bool bytes_same(const struct gdfs_bytes *a, const struct gdfs_bytes *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* proto.h RECORD flags:8: bit 0 tombstone, other bits 0. */
#define RECORD_TOMBSTONE 1

/* @n replica refs of a RECORD or a PLACE: at most GDFS_REPLICAS, valid
 * node ids, ids unique, valid addresses; an address may be empty only where
 * @addr_may_be_empty (RECORD: "address unknown to the sender"). */
static bool valid_refs(const struct gdfs_replica_ref *refs, uint32_t n,
                       bool addr_may_be_empty)
{
    if (n > GDFS_REPLICAS)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!valid_node_id(&refs[i].id) ||
            !((refs[i].addr.len == 0 && addr_may_be_empty) ||
              valid_addr(&refs[i].addr)))
            return false;
        /* ids already checked, so neither pointer is NULL */
        for (uint32_t j = 0; j < i; j++)
            if (bytes_same(&refs[i].id, &refs[j].id))
                return false;
    }
    return true;
}

/* Everything proto.h says of a RECORD but its flags byte, which has no
 * struct side (the struct has only the tombstone bool). */
static bool valid_record(const struct gdfs_record *rec)
{
    return rec->version.seq >= 1 &&
           valid_record_chunk_size(rec->chunk_size) &&
           rec->nreplicas <= GDFS_REPLICAS &&
           (rec->acked >> rec->nreplicas) == 0 &&
           valid_refs(rec->replica, rec->nreplicas, true) &&
           valid_name(&rec->name);
}

/* proto.h NDTOCL_PLACE: count 1..3, addresses not empty, chunk size in
 * range (the one the put will use). */
static bool valid_place(const struct gdfs_msg *m)
{
    return valid_chunk_size(m->u.place.chunk_size) &&
           m->u.place.nreplicas >= 1 &&
           valid_refs(m->u.place.replica, m->u.place.nreplicas, false);
}

/* proto.h NDTOND_REPLICATE: not a tombstone, 1..GDFS_REPLICATE_SRC_MAX
 * sources, addresses not empty. */
static bool valid_replicate(const struct gdfs_msg *m)
{
    if (m->u.replicate.rec.tombstone || m->u.replicate.nsrc < 1 ||
        m->u.replicate.nsrc > GDFS_REPLICATE_SRC_MAX)
        return false;
    for (uint8_t i = 0; i < m->u.replicate.nsrc; i++)
        if (!valid_addr(&m->u.replicate.src[i]))
            return false;
    return true;
}

static bool is_list_reply(uint8_t type)
{
    return type == GDFS_MSG_NDTOCL_LIST || type == GDFS_MSG_NDTOCL_LOCATE ||
           type == GDFS_MSG_NDTOCL_STATUS || type == GDFS_MSG_NDTOCL_VERSIONS ||
           type == GDFS_MSG_NDTOCL_META_LIST ||
           type == GDFS_MSG_NDTOND_META_SYNC;
}

/* ---- list entries -------------------------------------------------------- */

union entry {
    struct gdfs_list_entry list;
    struct gdfs_replica_entry replica;
    struct gdfs_member_entry member;
    struct gdfs_version_entry version;
    struct gdfs_record record;
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

/* { idlen:8 id addrlen:8 addr state:8 ring:8 } */
static bool read_member_entry(struct gdfs_pack_reader *r,
                              struct gdfs_member_entry *e)
{
    get_bytes8(r, &e->id);
    get_bytes8(r, &e->addr);
    e->state = gdfs_pack_get_u8(r);
    e->ring = gdfs_pack_get_u8(r);
    return !r->bad && valid_node_id(&e->id) && valid_addr(&e->addr) &&
           e->state <= GDFS_MEMBER_STATE_MAX && (e->ring & ~RING_BITS) == 0;
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

/* @n x { idlen:8 id addrlen:8 addr } (RECORD, PLACE) into @refs, which has
 * room for @n; the caller validates them. */
static void get_refs(struct gdfs_pack_reader *r, uint8_t n,
                     struct gdfs_replica_ref *refs)
{
    assert(n <= GDFS_REPLICAS);
    for (uint8_t i = 0; i < n; i++) {
        get_bytes8(r, &refs[i].id);
        get_bytes8(r, &refs[i].addr);
    }
}

/* RECORD (proto.h): seq:64 term:64 size:64 chunk_size:32 nchunks:32
 * sha256:32B flags:8 acked:8 count:8 then count x { idlen:8 id addrlen:8
 * addr } namelen:16 name. Unused replica slots are left zeroed. */
static bool read_record(struct gdfs_pack_reader *r, struct gdfs_record *rec)
{
    uint8_t flags;

    memset(rec, 0, sizeof(*rec));
    get_version(r, &rec->version);
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
    get_refs(r, rec->nreplicas, rec->replica);
    get_bytes16(r, &rec->name);
    return !r->bad && valid_record(rec);
}

/* HEALTH (proto.h NDTOCL_HEALTH). */
static bool read_health(struct gdfs_pack_reader *r,
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
        get_bytes16(r, &h->names[i]);
        if (r->bad || !valid_name(&h->names[i]))
            return false;
    }
    h->pending = gdfs_pack_get_u32(r);
    h->running = gdfs_pack_get_u32(r);
    h->done = gdfs_pack_get_u64(r);
    h->failed = gdfs_pack_get_u64(r);
    h->bytes = gdfs_pack_get_u64(r);
    return !r->bad;
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

static bool valid_health_enc(const struct gdfs_health_figures *h)
{
    if (h->nnames > GDFS_HEALTH_NAMES_MAX)
        return false;
    for (uint8_t i = 0; i < h->nnames; i++)
        if (!valid_name(&h->names[i]))
            return false;
    return true;
}

static void put_health(struct gdfs_pack_writer *w,
                       const struct gdfs_health_figures *h)
{
    gdfs_pack_put_u8(w, h->known ? 1 : 0);
    gdfs_pack_put_u32(w, h->under);
    gdfs_pack_put_u8(w, h->nnames);
    for (uint8_t i = 0; i < h->nnames; i++) {
        gdfs_pack_put_u16(w, (uint16_t)h->names[i].len);
        gdfs_pack_put_bytes(w, h->names[i].p, h->names[i].len);
    }
    gdfs_pack_put_u32(w, h->pending);
    gdfs_pack_put_u32(w, h->running);
    gdfs_pack_put_u64(w, h->done);
    gdfs_pack_put_u64(w, h->failed);
    gdfs_pack_put_u64(w, h->bytes);
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
    case GDFS_MSG_NDTOCL_META_LIST:
        return read_record(r, &e->record);
    }
    return false;
}

/* ---- group messages ------------------------------------------------------ */

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

/* Read a u8 that must be a boolean (0 or 1: anything else would not
 * re-encode). */
static bool get_bool(struct gdfs_pack_reader *r, bool *v)
{
    uint8_t u8 = gdfs_pack_get_u8(r);

    *v = u8 == 1;
    return !r->bad && u8 <= 1;
}

/* { idlen:8 id addrlen:8 addr state:8 incarnation:64 since:64 } */
static bool read_gmember(struct gdfs_pack_reader *r, struct gdfs_bytes *id,
                         struct gdfs_member *out)
{
    struct gdfs_bytes addr;
    uint8_t state;
    uint64_t incarnation, since;

    get_bytes8(r, id);
    get_bytes8(r, &addr);
    state = gdfs_pack_get_u8(r);
    incarnation = gdfs_pack_get_u64(r);
    since = gdfs_pack_get_u64(r);
    if (r->bad || !valid_node_id(id) || !valid_addr(&addr) ||
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

    get_bytes8(r, &group);
    get_version(r, &version);
    count = gdfs_pack_get_u8(r);
    if (r->bad || !valid_gmsg_group(&group, false) || count > GDFS_GROUP_MAX)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        if (!read_gmember(r, &ids[i], out != NULL ? &out->m[i] : NULL))
            return false;
        /* ids unique; at most 64 x 63 comparisons of <= 64 bytes */
        for (uint32_t j = 0; j < i; j++)
            if (bytes_same(&ids[i], &ids[j]))
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
    get_bytes8(r, &from);
    get_bytes8(r, &group);
    term = gdfs_pack_get_u64(r);
    if (r->bad || kind < GDFS_GMSG_HEARTBEAT || kind > GDFS_GMSG_LEAVE ||
        !valid_node_id(&from) ||
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
        get_version(r, &v);
        if (r->bad)
            return false;
        if (g != NULL) {
            g->u.append.sent_at = a;
            g->u.append.committed = v;
        }
        return read_members(r, g != NULL ? &g->u.append.set : NULL);
    case GDFS_GMSG_APPEND_ACK:
        a = gdfs_pack_get_u64(r);
        get_version(r, &v);
        b = gdfs_pack_get_u64(r);
        if (g != NULL) {
            g->u.append_ack.sent_at = a;
            g->u.append_ack.version = v;
            g->u.append_ack.incarnation = b;
        }
        return !r->bad;
    case GDFS_GMSG_VOTE:
        if (!get_bool(r, &x))
            return false;
        get_version(r, &v);
        if (g != NULL) {
            g->u.vote.pre = x;
            g->u.vote.version = v;
        }
        return !r->bad;
    case GDFS_GMSG_VOTE_ACK:
        if (!get_bool(r, &x) || !get_bool(r, &y))
            return false;
        if (g != NULL) {
            g->u.vote_ack.pre = x;
            g->u.vote_ack.granted = y;
        }
        return true;
    case GDFS_GMSG_SUSPECT:
        get_bytes8(r, &s);
        a = gdfs_pack_get_u64(r);
        if (r->bad || !valid_node_id(&s))
            return false;
        if (g != NULL) {
            copy_str(g->u.suspect.target, sizeof(g->u.suspect.target), &s);
            g->u.suspect.incarnation = a;
        }
        return true;
    case GDFS_GMSG_JOIN:
        get_bytes8(r, &s);
        if (r->bad || !valid_addr(&s))
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

/* ---- frame header -------------------------------------------------------- */

/* Log names by wire id, NULL for an id not in the list: which makes this
 * also the list of ids a frame may carry. A duplicate id in the list
 * initializes an entry twice, which -Woverride-init (-Wextra) refuses. */
static const char *const type_names[UINT8_MAX + 1] = {
#define TYPE_NAME(name, id, dir) [id] = #name,
    GDFS_PROTO_MSG_LIST(TYPE_NAME)
#undef TYPE_NAME
};

#define ID_IN_RANGE(name, id, dir)                                          \
    _Static_assert((id) >= 1 && (id) <= GDFS_MSG_TYPE_MAX,                  \
                   "GDFS_MSG_" #name ": id outside 1..GDFS_MSG_TYPE_MAX");
GDFS_PROTO_MSG_LIST(ID_IN_RANGE)
#undef ID_IN_RANGE

/* proto.h: a type not in the list is GDFS_EPROTO. */
static bool listed_type(uint8_t type)
{
    return type_names[type] != NULL;
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
    if (r.bad || magic != GDFS_PROTO_MAGIC || version != GDFS_PROTO_VERSION ||
        !listed_type(type) || (flags & ~GDFS_FLAG_MASK) != 0 ||
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
    case GDFS_MSG_NDTOND_ALLOC:
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
    case GDFS_MSG_NDTOND_LOOKUP:
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
        m->u.status_reply.role = gdfs_pack_get_u8(r);
        if (r->bad || !valid_node_id(&m->u.status_reply.id) ||
            !valid_group(&m->u.status_reply.group) ||
            !valid_leader(&m->u.status_reply.leader) ||
            m->u.status_reply.role > STATUS_ROLE_MAX)
            return false;
        if (!decode_body(type, r, gdfs_pack_get_u16(r),
                         &m->u.status_reply.body))
            return false;
        /* The optional tail: absent, or whole. */
        if (gdfs_pack_left(r) == 0)
            return true;
        m->u.status_reply.has_tail = true;
        return read_health(r, &m->u.status_reply.health) &&
               read_scrub(r, &m->u.status_reply.scrub);
    case GDFS_MSG_NDTOCL_VERSIONS:
        return decode_body(type, r, gdfs_pack_get_u16(r),
                           &m->u.versions_reply.body);
    case GDFS_MSG_NDTOND_GROUP:
        /* Validated in full here, so a bad one is refused with the frame;
         * the handler decodes it again with gdfs_proto_decode_group. */
        if (!read_gmsg(r, NULL) || r->bad)
            return false;
        m->u.group.raw.p = r->p;
        m->u.group.raw.len = r->len;
        return true;
    case GDFS_MSG_CLTOND_LEAVE:
        return true;
    case GDFS_MSG_NDTOCL_PLACE:
        get_version(r, &m->u.place.version);
        m->u.place.chunk_size = gdfs_pack_get_u32(r);
        m->u.place.nreplicas = gdfs_pack_get_u8(r);
        /* the count bounds m->u.place.replica */
        if (r->bad || m->u.place.nreplicas > GDFS_REPLICAS)
            return false;
        get_refs(r, m->u.place.nreplicas, m->u.place.replica);
        return !r->bad && valid_place(m);
    case GDFS_MSG_NDTOND_RPUT:
        get_version(r, &m->u.rput.version);
        m->u.rput.chunk_size = gdfs_pack_get_u32(r);
        get_bytes16(r, &m->u.rput.name);
        return !r->bad && m->u.rput.version.seq >= 1 &&
               valid_chunk_size(m->u.rput.chunk_size) &&
               valid_name(&m->u.rput.name);
    case GDFS_MSG_NDTOND_COMMIT:
    case GDFS_MSG_NDTOCL_RECORD:
        return read_record(r, &m->u.record.rec);
    case GDFS_MSG_NDTOND_META_PUT:
        m->u.meta_put.term = gdfs_pack_get_u64(r);
        return read_record(r, &m->u.meta_put.rec) &&
               m->u.meta_put.term >= 1;
    case GDFS_MSG_NDTOND_META_PULL:
        m->u.meta_pull.term = gdfs_pack_get_u64(r);
        m->u.meta_pull.max = gdfs_pack_get_u32(r);
        get_bytes16(r, &m->u.meta_pull.after);
        return !r->bad && m->u.meta_pull.max >= 1 &&
               (m->u.meta_pull.after.len == 0 ||
                valid_name(&m->u.meta_pull.after));
    case GDFS_MSG_NDTOCL_META_LIST:
        u8 = gdfs_pack_get_u8(r);
        m->u.meta_list.more = u8 == 1;
        if (r->bad || u8 > 1)
            return false;
        return decode_body(type, r, gdfs_pack_get_u32(r),
                           &m->u.meta_list.body);
    case GDFS_MSG_NDTOND_RGET_FROM:
        /* first:32, then an RGET */
        m->u.rget.first = gdfs_pack_get_u32(r);
        /* fall through */
    case GDFS_MSG_NDTOND_RGET:
        get_version(r, &m->u.rget.version);
        get_bytes16(r, &m->u.rget.name);
        return !r->bad && m->u.rget.version.seq >= 1 &&
               valid_name(&m->u.rget.name);
    case GDFS_MSG_NDTOND_PROBE:
        get_version(r, &m->u.rget.version);
        get_bytes16(r, &m->u.rget.name);
        return !r->bad && valid_probe_version(&m->u.rget.version) &&
               valid_name(&m->u.rget.name);
    case GDFS_MSG_NDTOCL_PROBE:
        m->u.probe_reply.have = gdfs_pack_get_u8(r);
        get_version(r, &m->u.probe_reply.newest);
        m->u.probe_reply.flags = gdfs_pack_get_u8(r);
        return !r->bad && m->u.probe_reply.have <= GDFS_PROBE_HAVE_MAX &&
               (m->u.probe_reply.flags & ~GDFS_PROBE_TOMBSTONE) == 0;
    case GDFS_MSG_NDTOCL_STALE:
        get_bytes16(r, &m->u.stale.msg);
        return !r->bad && m->u.stale.msg.len >= 1 &&
               m->u.stale.msg.len <= GDFS_ERRMSG_MAX;
    case GDFS_MSG_NDTOND_META_SUM:
        m->u.meta_sum.term = gdfs_pack_get_u64(r);
        m->u.meta_sum.sums.p = gdfs_pack_get_bytes(r, GDFS_META_SUMS_LEN);
        m->u.meta_sum.sums.len = GDFS_META_SUMS_LEN;
        return !r->bad && m->u.meta_sum.term >= 1;
    case GDFS_MSG_NDTOCL_META_DIFF:
        m->u.meta_diff.mask = gdfs_pack_get_u64(r);
        return !r->bad;
    case GDFS_MSG_NDTOND_META_SYNC:
        m->u.meta_sync.term = gdfs_pack_get_u64(r);
        m->u.meta_sync.complete = gdfs_pack_get_u64(r);
        u8 = gdfs_pack_get_u8(r);
        m->u.meta_sync.more = u8 == 1;
        if (r->bad || u8 > 1 || m->u.meta_sync.term == 0)
            return false;
        return decode_body(GDFS_MSG_NDTOCL_META_LIST, r,
                           gdfs_pack_get_u32(r), &m->u.meta_sync.body);
    case GDFS_MSG_NDTOND_DRAIN:
        get_bytes8(r, &m->u.drain.id);
        return !r->bad && valid_node_id(&m->u.drain.id);
    case GDFS_MSG_NDTOND_HEALTH:
        return true;
    case GDFS_MSG_NDTOCL_HEALTH:
        return read_health(r, &m->u.health);
    case GDFS_MSG_NDTOND_REPLICATE:
        if (!read_record(r, &m->u.replicate.rec))
            return false;
        m->u.replicate.nsrc = gdfs_pack_get_u8(r);
        /* the count bounds m->u.replicate.src */
        if (r->bad || m->u.replicate.nsrc > GDFS_REPLICATE_SRC_MAX)
            return false;
        for (uint8_t i = 0; i < m->u.replicate.nsrc; i++)
            get_bytes8(r, &m->u.replicate.src[i]);
        return !r->bad && valid_replicate(m);
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
    if (!listed_type(hdr->type) || (hdr->flags & ~GDFS_FLAG_MASK) != 0 ||
        hdr->len > GDFS_PROTO_MAX_PAYLOAD)
        return GDFS_EPROTO;
    gdfs_pack_reader_init(&r, payload != NULL ? payload : empty, hdr->len);
    m->type = hdr->type;
    m->flags = hdr->flags;
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

/* @flags: GDFS_FLAG_* bits, already checked against GDFS_FLAG_MASK. */
static void put_hdr(struct gdfs_pack_writer *w, uint8_t type, uint16_t flags,
                    uint32_t reqid, uint32_t len)
{
    assert((flags & ~GDFS_FLAG_MASK) == 0);
    gdfs_pack_put_u32(w, GDFS_PROTO_MAGIC);
    gdfs_pack_put_u8(w, GDFS_PROTO_VERSION);
    gdfs_pack_put_u8(w, type);
    gdfs_pack_put_u16(w, flags);
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

static void put_refs(struct gdfs_pack_writer *w,
                     const struct gdfs_replica_ref *refs, uint8_t n)
{
    for (uint8_t i = 0; i < n; i++) {
        put_bytes8(w, &refs[i].id);
        put_bytes8(w, &refs[i].addr);
    }
}

/* A RECORD that check_record_enc() accepted. */
static void put_record(struct gdfs_pack_writer *w,
                       const struct gdfs_record *rec)
{
    put_version(w, &rec->version);
    gdfs_pack_put_u64(w, rec->size);
    gdfs_pack_put_u32(w, rec->chunk_size);
    gdfs_pack_put_u32(w, rec->nchunks);
    gdfs_pack_put_bytes(w, rec->sha256, GDFS_SHA256_LEN);
    gdfs_pack_put_u8(w, rec->tombstone ? RECORD_TOMBSTONE : 0);
    gdfs_pack_put_u8(w, rec->acked);
    gdfs_pack_put_u8(w, rec->nreplicas);
    put_refs(w, rec->replica, rec->nreplicas);
    put_bytes16(w, &rec->name);
}

/* Bytes put_record() writes. */
static size_t record_size(const struct gdfs_record *rec)
{
    size_t size = 8 + 8 + 8 + 4 + 4 + GDFS_SHA256_LEN + 1 + 1 + 1 + 2 +
                  rec->name.len;

    for (uint8_t i = 0; i < rec->nreplicas; i++)
        size += 1 + rec->replica[i].id.len + 1 + rec->replica[i].addr.len;
    return size;
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

/* Replica refs (n known <= GDFS_REPLICAS): an id or address over its
 * limit is GDFS_ETOOBIG (its 8-bit length could not even carry some). */
static int check_refs_len_enc(const struct gdfs_replica_ref *refs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (refs[i].id.len > GDFS_NODE_ID_MAX ||
            refs[i].addr.len > GDFS_ADDR_MAX)
            return GDFS_ETOOBIG;
    return GDFS_OK;
}

/* Also used by the list writer, which turns GDFS_ETOOBIG into GDFS_EINVAL
 * (there it would mean "frame full"). */
static int check_record_enc(const struct gdfs_record *rec)
{
    int rc;

    if (rec->nreplicas > GDFS_REPLICAS)
        return GDFS_EINVAL;
    rc = check_refs_len_enc(rec->replica, rec->nreplicas);
    if (rc != GDFS_OK)
        return rc;
    if (rec->name.len > GDFS_NAME_MAX || rec->chunk_size > GDFS_CHUNK_MAX)
        return GDFS_ETOOBIG;
    return valid_record(rec) ? GDFS_OK : GDFS_EINVAL;
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
    case GDFS_MSG_CLTOND_LEAVE:
        return GDFS_OK;
    case GDFS_MSG_CLTOND_PUT:
    case GDFS_MSG_CLTOND_REMOVE:
    case GDFS_MSG_CLTOND_LOCATE:
    case GDFS_MSG_CLTOND_VERSIONS:
    case GDFS_MSG_NDTOND_ALLOC:
        return check_name_enc(&m->u.put.name, false);
    case GDFS_MSG_CLTOND_GET:
    case GDFS_MSG_NDTOND_LOOKUP:
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
    case GDFS_MSG_NDTOCL_PLACE:
        rc = check_chunk_size_enc(m->u.place.chunk_size);
        if (rc != GDFS_OK)
            return rc;
        if (m->u.place.nreplicas > GDFS_REPLICAS)
            return GDFS_EINVAL;
        rc = check_refs_len_enc(m->u.place.replica, m->u.place.nreplicas);
        if (rc != GDFS_OK)
            return rc;
        return valid_place(m) ? GDFS_OK : GDFS_EINVAL;
    case GDFS_MSG_NDTOND_RPUT:
        rc = check_chunk_size_enc(m->u.rput.chunk_size);
        if (rc == GDFS_OK)
            rc = check_name_enc(&m->u.rput.name, false);
        if (rc == GDFS_OK && m->u.rput.version.seq == 0)
            rc = GDFS_EINVAL;
        return rc;
    case GDFS_MSG_NDTOND_COMMIT:
    case GDFS_MSG_NDTOCL_RECORD:
        return check_record_enc(&m->u.record.rec);
    case GDFS_MSG_NDTOND_META_PUT:
        rc = check_record_enc(&m->u.meta_put.rec);
        if (rc == GDFS_OK && m->u.meta_put.term == 0)
            rc = GDFS_EINVAL;
        return rc;
    case GDFS_MSG_NDTOND_META_PULL:
        if (m->u.meta_pull.max == 0)
            return GDFS_EINVAL;
        return check_name_enc(&m->u.meta_pull.after, true);
    case GDFS_MSG_NDTOND_RGET:
    case GDFS_MSG_NDTOND_RGET_FROM:
        rc = check_name_enc(&m->u.rget.name, false);
        if (rc == GDFS_OK && m->u.rget.version.seq == 0)
            rc = GDFS_EINVAL;
        return rc;
    case GDFS_MSG_NDTOND_PROBE:
        rc = check_name_enc(&m->u.rget.name, false);
        if (rc == GDFS_OK && !valid_probe_version(&m->u.rget.version))
            rc = GDFS_EINVAL;
        return rc;
    case GDFS_MSG_NDTOCL_PROBE:
        if (m->u.probe_reply.have > GDFS_PROBE_HAVE_MAX ||
            (m->u.probe_reply.flags & ~GDFS_PROBE_TOMBSTONE) != 0)
            return GDFS_EINVAL;
        return GDFS_OK;
    case GDFS_MSG_NDTOCL_STALE:
        if (m->u.stale.msg.len > GDFS_ERRMSG_MAX)
            return GDFS_ETOOBIG;
        if (m->u.stale.msg.len == 0 || m->u.stale.msg.p == NULL)
            return GDFS_EINVAL;
        return GDFS_OK;
    case GDFS_MSG_NDTOND_META_SUM:
        if (m->u.meta_sum.term == 0 ||
            m->u.meta_sum.sums.len != GDFS_META_SUMS_LEN ||
            m->u.meta_sum.sums.p == NULL)
            return GDFS_EINVAL;
        return GDFS_OK;
    case GDFS_MSG_NDTOCL_META_DIFF:
        return GDFS_OK;
    case GDFS_MSG_NDTOND_DRAIN:
        if (m->u.drain.id.len > GDFS_NODE_ID_MAX)
            return GDFS_ETOOBIG;
        return valid_node_id(&m->u.drain.id) ? GDFS_OK : GDFS_EINVAL;
    case GDFS_MSG_NDTOND_HEALTH:
        return GDFS_OK;
    case GDFS_MSG_NDTOCL_HEALTH:
        for (uint8_t i = 0; i < m->u.health.nnames &&
                            i < GDFS_HEALTH_NAMES_MAX; i++)
            if (m->u.health.names[i].len > GDFS_NAME_MAX)
                return GDFS_ETOOBIG;
        return valid_health_enc(&m->u.health) ? GDFS_OK : GDFS_EINVAL;
    case GDFS_MSG_NDTOND_REPLICATE:
        rc = check_record_enc(&m->u.replicate.rec);
        if (rc != GDFS_OK)
            return rc;
        for (uint8_t i = 0; i < m->u.replicate.nsrc &&
                            i < GDFS_REPLICATE_SRC_MAX; i++)
            if (m->u.replicate.src[i].len > GDFS_ADDR_MAX)
                return GDFS_ETOOBIG;
        return valid_replicate(m) ? GDFS_OK : GDFS_EINVAL;
    }
    /* List replies (writer only), NDTOND_GROUP (gdfs_proto_encode_group)
     * and unknown types. */
    return GDFS_EINVAL;
}

int gdfs_proto_encode(const struct gdfs_msg *m, uint8_t *buf, size_t cap,
                      size_t *len)
{
    struct gdfs_pack_writer w;
    int rc;

    if ((m->flags & ~GDFS_FLAG_MASK) != 0)
        return GDFS_EINVAL;
    rc = check_fields_enc(m);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&w, buf, cap, 0);
    put_hdr(&w, m->type, m->flags, m->reqid, 0);
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
    case GDFS_MSG_NDTOND_ALLOC:
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
    case GDFS_MSG_NDTOND_LOOKUP:
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
    case GDFS_MSG_CLTOND_LEAVE:
        break;
    case GDFS_MSG_NDTOCL_PLACE:
        put_version(&w, &m->u.place.version);
        gdfs_pack_put_u32(&w, m->u.place.chunk_size);
        gdfs_pack_put_u8(&w, m->u.place.nreplicas);
        put_refs(&w, m->u.place.replica, m->u.place.nreplicas);
        break;
    case GDFS_MSG_NDTOND_RPUT:
        put_version(&w, &m->u.rput.version);
        gdfs_pack_put_u32(&w, m->u.rput.chunk_size);
        put_bytes16(&w, &m->u.rput.name);
        break;
    case GDFS_MSG_NDTOND_COMMIT:
    case GDFS_MSG_NDTOCL_RECORD:
        put_record(&w, &m->u.record.rec);
        break;
    case GDFS_MSG_NDTOND_META_PUT:
        gdfs_pack_put_u64(&w, m->u.meta_put.term);
        put_record(&w, &m->u.meta_put.rec);
        break;
    case GDFS_MSG_NDTOND_META_PULL:
        gdfs_pack_put_u64(&w, m->u.meta_pull.term);
        gdfs_pack_put_u32(&w, m->u.meta_pull.max);
        put_bytes16(&w, &m->u.meta_pull.after);
        break;
    case GDFS_MSG_NDTOND_RGET_FROM:
        /* first:32, then an RGET */
        gdfs_pack_put_u32(&w, m->u.rget.first);
        /* fall through */
    case GDFS_MSG_NDTOND_RGET:
    case GDFS_MSG_NDTOND_PROBE:
        put_version(&w, &m->u.rget.version);
        put_bytes16(&w, &m->u.rget.name);
        break;
    case GDFS_MSG_NDTOCL_PROBE:
        gdfs_pack_put_u8(&w, m->u.probe_reply.have);
        put_version(&w, &m->u.probe_reply.newest);
        gdfs_pack_put_u8(&w, m->u.probe_reply.flags);
        break;
    case GDFS_MSG_NDTOCL_STALE:
        put_bytes16(&w, &m->u.stale.msg);
        break;
    case GDFS_MSG_NDTOND_META_SUM:
        gdfs_pack_put_u64(&w, m->u.meta_sum.term);
        gdfs_pack_put_bytes(&w, m->u.meta_sum.sums.p, GDFS_META_SUMS_LEN);
        break;
    case GDFS_MSG_NDTOCL_META_DIFF:
        gdfs_pack_put_u64(&w, m->u.meta_diff.mask);
        break;
    case GDFS_MSG_NDTOND_DRAIN:
        put_bytes8(&w, &m->u.drain.id);
        break;
    case GDFS_MSG_NDTOND_HEALTH:
        break;
    case GDFS_MSG_NDTOCL_HEALTH:
        put_health(&w, &m->u.health);
        break;
    case GDFS_MSG_NDTOND_REPLICATE:
        put_record(&w, &m->u.replicate.rec);
        gdfs_pack_put_u8(&w, m->u.replicate.nsrc);
        for (uint8_t i = 0; i < m->u.replicate.nsrc; i++)
            put_bytes8(&w, &m->u.replicate.src[i]);
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
    put_hdr(&w, GDFS_MSG_CHUNK, 0, reqid,
            (uint32_t)(GDFS_PROTO_CHUNK_OVERHEAD - GDFS_PROTO_HDR_LEN) +
                datalen);
    gdfs_pack_put_u32(&w, idx);
    gdfs_pack_put_bytes(&w, sha256, GDFS_SHA256_LEN);
    gdfs_pack_put_u32(&w, datalen);
    assert(!w.bad && w.off == GDFS_PROTO_CHUNK_OVERHEAD);
}

/* ---- group encode -------------------------------------------------------- */

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

        if (!valid_node_id(&id) || !valid_addr(&addr) ||
            mb->state > GDFS_MEMBER_STATE_MAX)
            return false;
        for (uint32_t j = 0; j < i; j++) {
            struct gdfs_bytes other = STR_OF(set->m[j].id);
            if (bytes_same(&id, &other))
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
        !valid_node_id(&from) ||
        !valid_gmsg_group(&group, g->type == GDFS_GMSG_JOIN))
        return false;
    switch (g->type) {
    case GDFS_GMSG_APPEND:
        return valid_members_enc(&g->u.append.set);
    case GDFS_GMSG_SUSPECT:
        s = STR_OF(g->u.suspect.target);
        return valid_node_id(&s);
    case GDFS_GMSG_JOIN:
        s = STR_OF(g->u.join.addr);
        return valid_addr(&s);
    }
    return true;
}

static void put_str8(struct gdfs_pack_writer *w, const char *s, size_t cap)
{
    struct gdfs_bytes b = str_of(s, cap);

    put_bytes8(w, &b);
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
    put_hdr(&w, GDFS_MSG_NDTOND_GROUP, 0, 0, 0);
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
        put_version(&w, &g->u.append.committed);
        PUT_STR8(&w, set->group_id);
        put_version(&w, &set->version);
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
        put_version(&w, &g->u.append_ack.version);
        gdfs_pack_put_u64(&w, g->u.append_ack.incarnation);
        break;
    case GDFS_GMSG_VOTE:
        gdfs_pack_put_u8(&w, g->u.vote.pre ? 1 : 0);
        put_version(&w, &g->u.vote.version);
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
    gdfs_pack_patch_u32(buf + HDR_LEN_OFF,
                        (uint32_t)(w.off - GDFS_PROTO_HDR_LEN));
    *len = w.off;
    return GDFS_OK;
}

/* ---- list writer --------------------------------------------------------- */

int gdfs_proto_writer_begin(struct gdfs_proto_writer *w, uint8_t *buf,
                            size_t cap, const struct gdfs_msg *m)
{
    struct gdfs_pack_writer pw;
    size_t count_off;
    uint32_t count_max;

    memset(w, 0, sizeof(*w));
    if ((m->flags & ~GDFS_FLAG_MASK) != 0)
        return GDFS_EINVAL;
    switch (m->type) {
    case GDFS_MSG_NDTOCL_LIST:
    case GDFS_MSG_NDTOCL_LOCATE:
    case GDFS_MSG_NDTOCL_VERSIONS:
    case GDFS_MSG_NDTOCL_META_LIST:
        break;
    case GDFS_MSG_NDTOND_META_SYNC:
        if (m->u.meta_sync.term == 0)
            return GDFS_EINVAL;
        break;
    case GDFS_MSG_NDTOCL_STATUS:
        if (m->u.status_reply.id.len > GDFS_NODE_ID_MAX ||
            m->u.status_reply.group.len > GDFS_NODE_ID_MAX ||
            m->u.status_reply.leader.len > GDFS_NODE_ID_MAX)
            return GDFS_ETOOBIG;
        if (!valid_node_id(&m->u.status_reply.id) ||
            !valid_group(&m->u.status_reply.group) ||
            !valid_leader(&m->u.status_reply.leader) ||
            m->u.status_reply.role > STATUS_ROLE_MAX)
            return GDFS_EINVAL;
        break;
    default:
        return GDFS_EINVAL;
    }

    gdfs_pack_writer_init(&pw, buf, cap, 0);
    put_hdr(&pw, m->type, m->flags, m->reqid, 0);
    switch (m->type) {
    case GDFS_MSG_NDTOND_META_SYNC:
        gdfs_pack_put_u64(&pw, m->u.meta_sync.term);
        gdfs_pack_put_u64(&pw, m->u.meta_sync.complete);
        /* fall through */
    case GDFS_MSG_NDTOCL_LIST:
    case GDFS_MSG_NDTOCL_META_LIST:
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
        gdfs_pack_put_u8(&pw, m->u.status_reply.role);
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
    size_t size = 1 + e->id.len + 1 + e->addr.len + 1 + 1;
    int rc;

    if (!valid_node_id(&e->id) || !valid_addr(&e->addr) ||
        e->state > GDFS_MEMBER_STATE_MAX || (e->ring & ~RING_BITS) != 0)
        return GDFS_EINVAL;
    rc = writer_room(w, GDFS_MSG_NDTOCL_STATUS, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    put_bytes8(&pw, &e->id);
    put_bytes8(&pw, &e->addr);
    gdfs_pack_put_u8(&pw, e->state);
    gdfs_pack_put_u8(&pw, e->ring);
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

int gdfs_proto_add_record(struct gdfs_proto_writer *w,
                          const struct gdfs_record *rec)
{
    struct gdfs_pack_writer pw;
    size_t size;
    int rc;

    /* first: it bounds rec->nreplicas, which record_size() reads */
    if (check_record_enc(rec) != GDFS_OK)
        return GDFS_EINVAL;
    size = record_size(rec);
    rc = writer_room(w, w->type == GDFS_MSG_NDTOND_META_SYNC
                            ? GDFS_MSG_NDTOND_META_SYNC
                            : GDFS_MSG_NDTOCL_META_LIST,
                     size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    put_record(&pw, rec);
    writer_commit(w, &pw, size);
    return GDFS_OK;
}

int gdfs_proto_writer_status_tail(struct gdfs_proto_writer *w,
                                  const struct gdfs_health_figures *h,
                                  const struct gdfs_scrub_figures *sc)
{
    struct gdfs_pack_writer pw;

    if (w->type != GDFS_MSG_NDTOCL_STATUS || !valid_health_enc(h))
        return GDFS_EINVAL;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    put_health(&pw, h);
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

int gdfs_proto_writer_finish(struct gdfs_proto_writer *w, bool more,
                             size_t *len)
{
    if (!is_list_reply(w->type) || w->buf == NULL ||
        w->len < GDFS_PROTO_HDR_LEN || w->len > w->cap ||
        w->count_off >= w->len)
        return GDFS_EINVAL;
    switch (w->type) {
    case GDFS_MSG_NDTOCL_LIST:
    case GDFS_MSG_NDTOCL_META_LIST:
    case GDFS_MSG_NDTOND_META_SYNC:
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

bool gdfs_proto_next_record(const struct gdfs_list_body *b, size_t *off,
                            struct gdfs_record *r)
{
    union entry u;

    if (!next_entry(GDFS_MSG_NDTOCL_META_LIST, b, off, &u))
        return false;
    *r = u.record;
    return true;
}

const char *gdfs_proto_type_name(uint8_t type)
{
    return type_names[type] != NULL ? type_names[type] : "?";
}
