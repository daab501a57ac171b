/* Unit tests for src/proto/: round trips of every message, the exact wire
 * layout, truncated and garbage input, the validation rules, the list
 * writer's overflow behaviour and the list iterators.
 *
 * Decoding always runs on an exact-size heap copy of the payload so that
 * AddressSanitizer catches a read one byte past the end. Frames that must be
 * refused are built with a small raw builder (below) that does not share
 * code with src/proto/. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* ---- helpers ------------------------------------------------------------- */

#define HDR GDFS_PROTO_HDR_LEN
#define BIG_CAP (HDR + GDFS_PROTO_MAX_PAYLOAD + 4096)

/* Frame buffers; each test runs in its own process. */
static uint8_t frame[BIG_CAP];
static uint8_t frame2[BIG_CAP];
/* The heap copy that decoded pointers point into, kept until the next
 * decode or teardown. */
static uint8_t *held;

static void teardown(void)
{
    free(held);
    held = NULL;
}

static struct gdfs_bytes bs(const char *s)
{
    struct gdfs_bytes b = {(const uint8_t *)s, strlen(s)};
    return b;
}

static struct gdfs_bytes bn(const uint8_t *p, size_t len)
{
    struct gdfs_bytes b = {p, len};
    return b;
}

#define ck_assert_bytes_eq(a, b)                                              \
    do {                                                                      \
        ck_assert_uint_eq((a).len, (b).len);                                  \
        if ((a).len > 0)                                                      \
            ck_assert_mem_eq((a).p, (b).p, (a).len);                          \
    } while (0)

#define ck_assert_version_eq(a, b)                                            \
    do {                                                                      \
        ck_assert_uint_eq((a).seq, (b).seq);                                  \
        ck_assert_uint_eq((a).term, (b).term);                                \
    } while (0)

/* Decode a whole frame: header with the protocol maximum, then the payload
 * from an exact-size heap copy. The frame must be exactly as long as its
 * header says. */
static int decode_frame(const uint8_t *f, size_t len, struct gdfs_msg *m)
{
    struct gdfs_frame_hdr hdr;
    int rc;

    ck_assert_uint_ge(len, HDR);
    rc = gdfs_proto_decode_hdr(f, GDFS_PROTO_MAX_PAYLOAD, &hdr);
    if (rc != GDFS_OK)
        return rc;
    ck_assert_uint_eq(hdr.len, len - HDR);
    free(held);
    held = malloc(hdr.len > 0 ? hdr.len : 1);
    ck_assert_ptr_nonnull(held);
    memcpy(held, f + HDR, hdr.len);
    return gdfs_proto_decode(&hdr, held, m);
}

/* Decode only a payload of @len bytes under a header that says @type and
 * @len (exact-size copy). */
static int decode_payload(uint8_t type, const uint8_t *p, size_t len,
                          struct gdfs_msg *m)
{
    struct gdfs_frame_hdr hdr = {type, 0, 7, (uint32_t)len};

    free(held);
    held = malloc(len > 0 ? len : 1);
    ck_assert_ptr_nonnull(held);
    if (len > 0)
        memcpy(held, p, len);
    return gdfs_proto_decode(&hdr, held, m);
}

static size_t encode_ok(const struct gdfs_msg *m, uint8_t *buf)
{
    size_t len = 0;

    ck_assert_int_eq(gdfs_proto_encode(m, buf, BIG_CAP, &len), GDFS_OK);
    ck_assert_uint_ge(len, HDR);
    return len;
}

static void roundtrip(const struct gdfs_msg *in, struct gdfs_msg *out)
{
    size_t len = encode_ok(in, frame);

    ck_assert_int_eq(decode_frame(frame, len, out), GDFS_OK);
    ck_assert_uint_eq(out->type, in->type);
    ck_assert_uint_eq(out->reqid, in->reqid);
}

/* Raw frame builder, independent of src/proto/ and pack.h. */
struct raw {
    uint8_t b[HDR + 8192];
    size_t n;
};

static void raw_u8(struct raw *r, unsigned v)
{
    r->b[r->n++] = (uint8_t)v;
}

static void raw_u16(struct raw *r, unsigned v)
{
    raw_u8(r, (v >> 8) & 0xff);
    raw_u8(r, v & 0xff);
}

static void raw_u32(struct raw *r, uint32_t v)
{
    raw_u16(r, v >> 16);
    raw_u16(r, v & 0xffff);
}

static void raw_u64(struct raw *r, uint64_t v)
{
    raw_u32(r, (uint32_t)(v >> 32));
    raw_u32(r, (uint32_t)v);
}

static void raw_mem(struct raw *r, const void *p, size_t n)
{
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

static void raw_str8(struct raw *r, const char *s)
{
    raw_u8(r, (unsigned)strlen(s));
    raw_mem(r, s, strlen(s));
}

static void raw_str16(struct raw *r, const char *s)
{
    raw_u16(r, (unsigned)strlen(s));
    raw_mem(r, s, strlen(s));
}

/* Start a frame with header len 0; raw_end patches it. */
static void raw_begin(struct raw *r, unsigned type)
{
    r->n = 0;
    raw_u32(r, GDFS_PROTO_MAGIC);
    raw_u8(r, GDFS_PROTO_VERSION);
    raw_u8(r, type);
    raw_u16(r, 0);
    raw_u32(r, 0x01020304);
    raw_u32(r, 0);
}

static void raw_end(struct raw *r)
{
    uint32_t len = (uint32_t)(r->n - HDR);

    r->b[12] = (uint8_t)(len >> 24);
    r->b[13] = (uint8_t)(len >> 16);
    r->b[14] = (uint8_t)(len >> 8);
    r->b[15] = (uint8_t)len;
}

static int raw_decode(struct raw *r, struct gdfs_msg *m)
{
    raw_end(r);
    return decode_frame(r->b, r->n, m);
}

/* ---- sample frames: one or more valid frames of every type -------------- */

static const uint8_t sha_a[GDFS_SHA256_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0xff};

/* Table rows kept whole, as far as they fit, rather than one field a line. */
/* clang-format off */
static const struct gdfs_list_entry list_entries[] = {
    {{(const uint8_t *)"a.txt", 5}, 0, {1, 1}, 3},
    {{(const uint8_t *)"dir/b c", 7}, 4096, {0x1122334455667788ull, 9}, 2},
    {{(const uint8_t *)"\xc3\xa9t\xc3\xa9", 5}, UINT64_MAX, {3, UINT64_MAX},
     255},
};
#define NLIST (sizeof(list_entries) / sizeof(list_entries[0]))

static const struct gdfs_replica_entry replica_entries[] = {
    {{(const uint8_t *)"n1", 2}, {(const uint8_t *)"127.0.0.1:7001", 14},
     {5, 2}, GDFS_MEMBER_ALIVE, GDFS_COPY_HELD},
    {{(const uint8_t *)"node-2.b_x", 10},
     {(const uint8_t *)"[::1]:7002", 10}, {4, 1}, GDFS_MEMBER_SUSPECT,
     GDFS_COPY_LACKING},
    {{(const uint8_t *)"N3", 2}, {(const uint8_t *)"host3:7003", 10},
     {0, 0}, GDFS_MEMBER_LEFT, GDFS_COPY_UNACKED},
};
#define NREPLICA (sizeof(replica_entries) / sizeof(replica_entries[0]))

static const struct gdfs_member_entry member_entries[] = {
    {{(const uint8_t *)"n1", 2}, {(const uint8_t *)"127.0.0.1:7001", 14},
     GDFS_MEMBER_ALIVE, GDFS_RING_TO},
    {{(const uint8_t *)"n2", 2}, {(const uint8_t *)"127.0.0.2:7002", 14},
     GDFS_MEMBER_FAILED, GDFS_RING_TO | GDFS_RING_FROM},
    {{(const uint8_t *)"n3", 2}, {(const uint8_t *)"127.0.0.3:7003", 14},
     GDFS_MEMBER_LEFT, 0},
};
#define NMEMBER (sizeof(member_entries) / sizeof(member_entries[0]))
/* clang-format on */

static const struct gdfs_version_entry version_entries[] = {
    {{7, 2}, 100, false},
    {{8, 2}, 0, true},
    {{UINT64_MAX, UINT64_MAX}, UINT64_MAX, false},
};
#define NVERSION (sizeof(version_entries) / sizeof(version_entries[0]))

/* Sample record @i (0 .. NRECORD-1): every replica count, an address
 * unknown to the sender, a tombstone, the limits of every field. */
#define NRECORD 4
static void make_record(int i, struct gdfs_record *rec)
{
    static const char *const ids[] = {"n1", "node-2.b_x", "N3"};
    static const char *const addrs[] = {"127.0.0.1:7001", "", "[::1]:7003"};

    memset(rec, 0, sizeof(*rec));
    memcpy(rec->sha256, sha_a, GDFS_SHA256_LEN);
    switch (i) {
    case 0:
        rec->name = bs("dir/rec.txt");
        rec->version = (struct gdfs_version){12, 4};
        rec->size = 200000;
        rec->chunk_size = 65536;
        rec->nchunks = 4;
        rec->acked = 5;
        rec->nreplicas = 3;
        break;
    case 1: /* tombstone: no chunks, no replicas */
        rec->name = bs("gone");
        rec->version = (struct gdfs_version){13, 4};
        rec->tombstone = true;
        memset(rec->sha256, 0, GDFS_SHA256_LEN);
        break;
    case 2:
        rec->name = bs("\xc3\xa9");
        rec->version = (struct gdfs_version){GDFS_VERSION_MAX,
                                             GDFS_VERSION_MAX};
        rec->size = GDFS_SIZE_MAX;
        rec->chunk_size = GDFS_CHUNK_MAX;
        rec->nchunks = UINT32_MAX;
        rec->acked = 1;
        rec->nreplicas = 1;
        break;
    default:
        rec->name = bs("z");
        rec->version = (struct gdfs_version){1, 0};
        rec->size = 1;
        rec->chunk_size = GDFS_CHUNK_MIN;
        rec->nchunks = 1;
        rec->acked = 3;
        rec->nreplicas = 2;
        break;
    }
    for (uint8_t k = 0; k < rec->nreplicas; k++) {
        rec->replica[k].id = bs(ids[k]);
        rec->replica[k].addr = bs(i == 3 ? "" : addrs[k]);
    }
}

static void assert_record_eq(const struct gdfs_record *a,
                             const struct gdfs_record *b)
{
    ck_assert_bytes_eq(a->name, b->name);
    ck_assert_version_eq(a->version, b->version);
    ck_assert_uint_eq(a->size, b->size);
    ck_assert_uint_eq(a->chunk_size, b->chunk_size);
    ck_assert_uint_eq(a->nchunks, b->nchunks);
    ck_assert_mem_eq(a->sha256, b->sha256, GDFS_SHA256_LEN);
    ck_assert(a->tombstone == b->tombstone);
    ck_assert_uint_eq(a->acked, b->acked);
    ck_assert_uint_eq(a->nreplicas, b->nreplicas);
    for (uint8_t k = 0; k < a->nreplicas; k++) {
        ck_assert_bytes_eq(a->replica[k].id, b->replica[k].id);
        ck_assert_bytes_eq(a->replica[k].addr, b->replica[k].addr);
    }
}

/* Build list reply @type with the first @n sample entries. */
static size_t build_list_reply(uint8_t type, size_t n, bool more,
                               const char *leader, uint8_t *buf, size_t cap)
{
    struct gdfs_proto_writer w;
    struct gdfs_msg m;
    size_t len = 0;

    memset(&m, 0, sizeof(m));
    m.type = type;
    m.reqid = 0xa1b2c3d4;
    if (type == GDFS_MSG_NDTOCL_LOCATE) {
        m.u.locate_reply.version.seq = 42;
        m.u.locate_reply.version.term = 6;
        m.u.locate_reply.size = 123456789;
    } else if (type == GDFS_MSG_NDTOCL_STATUS) {
        m.u.status_reply.id = bs("n2");
        m.u.status_reply.group = bs("grp:demo");
        m.u.status_reply.leader = bs(leader);
        m.u.status_reply.term = 77;
        m.u.status_reply.role = 3;
    } else if (type == GDFS_MSG_NDTOND_META_SYNC) {
        m.u.meta_sync.term = 9;
        m.u.meta_sync.complete = 0x8000000000000011ull;
    } else if (type == GDFS_MSG_NDTOND_INV_LIST) {
        m.u.inv_list.incarnation = 0xfedcba9876543210ull;
        m.u.inv_list.mask = 0x8000000000000003ull;
    }
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, buf, cap, &m), GDFS_OK);
    for (size_t i = 0; i < n; i++) {
        int rc = GDFS_EINVAL;
        switch (type) {
        case GDFS_MSG_NDTOCL_LIST:
            rc = gdfs_proto_add_list(&w, &list_entries[i]);
            break;
        case GDFS_MSG_NDTOCL_LOCATE:
            rc = gdfs_proto_add_replica(&w, &replica_entries[i]);
            break;
        case GDFS_MSG_NDTOCL_STATUS:
            rc = gdfs_proto_add_member(&w, &member_entries[i]);
            break;
        case GDFS_MSG_NDTOCL_VERSIONS:
            rc = gdfs_proto_add_version(&w, &version_entries[i]);
            break;
        case GDFS_MSG_NDTOND_META_SYNC: {
            struct gdfs_record rec;
            make_record((int)i, &rec);
            rc = gdfs_proto_add_record(&w, &rec);
            break;
        }
        case GDFS_MSG_NDTOND_INV_LIST: {
            struct gdfs_copy_entry c = {bs(i % 2 ? "dir/b" : "a"), {i + 1, 2}};
            rc = gdfs_proto_add_copy(&w, &c);
            break;
        }
        }
        ck_assert_int_eq(rc, GDFS_OK);
    }
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, more, &len), GDFS_OK);
    return len;
}

/* Two members' disk room, packed into @h's capacity list. */
static void sample_capacity(struct gdfs_health_figures *h)
{
    static uint8_t buf[256];
    struct gdfs_capacity_entry e[3] = {
        {bs("n1"), {true, 4096, 1ull << 33, 8ull << 20}},
        {bs("n9"), {false, 0, 0, 0}}, /* unknown: left out */
        {bs("node-2.b_x"), {true, 0, 0, GDFS_CAPACITY_MAX}},
    };

    ck_assert_int_eq(gdfs_proto_pack_capacity(e, 3, buf, sizeof(buf),
                                              &h->capacity),
                     GDFS_OK);
    ck_assert_uint_eq(h->capacity.count, 2);
}

/* A STATUS with 2 members and the health/scrub tail (@nnames names). */
static size_t build_status_tail(uint8_t *buf, size_t cap, uint8_t nnames)
{
    struct gdfs_proto_writer w;
    struct gdfs_health_figures h;
    struct gdfs_scrub_figures sc = {true, 4, 10, 20, 2, 1};
    struct gdfs_msg m;
    size_t len = 0;

    memset(&m, 0, sizeof(m));
    memset(&h, 0, sizeof(h));
    m.type = GDFS_MSG_NDTOCL_STATUS;
    m.u.status_reply.id = bs("n2");
    m.u.status_reply.group = bs("grp:demo");
    m.u.status_reply.leader = bs("n1");
    m.u.status_reply.term = 77;
    m.u.status_reply.role = 3;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, buf, cap, &m), GDFS_OK);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(gdfs_proto_add_member(&w, &member_entries[i]),
                         GDFS_OK);
    h.known = true;
    h.under = 40;
    h.nnames = nnames;
    for (uint8_t i = 0; i < nnames; i++)
        h.names[i] = bs(i % 2 ? "dir/b" : "a");
    h.pending = 3;
    h.running = 2;
    h.done = 1ull << 40;
    h.failed = 5;
    h.bytes = UINT64_MAX;
    sample_capacity(&h);
    ck_assert_int_eq(gdfs_proto_writer_status_tail(&w, &h, &sc), GDFS_OK);
    /* no member after the tail */
    ck_assert_int_eq(gdfs_proto_add_member(&w, &member_entries[2]),
                     GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len), GDFS_OK);
    return len;
}

/* Group messages: large structs, kept out of the stack. */
static struct gdfs_gmsg gin, gout, gtmp;

/* A valid group message of @kind with recognisable field values; an
 * APPEND carries @n members with short ids and addresses. */
static void make_gmsg(uint8_t kind, uint32_t n, struct gdfs_gmsg *g)
{
    memset(g, 0, sizeof(*g));
    g->type = kind;
    snprintf(g->from, sizeof(g->from), "n1");
    snprintf(g->group_id, sizeof(g->group_id), "0123abcdef");
    g->term = 0x0102030405060708ull + kind;
    switch (kind) {
    case GDFS_GMSG_HEARTBEAT:
        g->u.heartbeat.incarnation = 17;
        break;
    case GDFS_GMSG_APPEND:
        g->u.append.sent_at = 123456789;
        g->u.append.committed.seq = 4;
        g->u.append.committed.term = 2;
        snprintf(g->u.append.set.group_id, sizeof(g->u.append.set.group_id),
                 "0123abcdef");
        g->u.append.set.version.seq = 5;
        g->u.append.set.version.term = 3;
        g->u.append.set.n = n;
        for (uint32_t i = 0; i < n; i++) {
            struct gdfs_member *mb = &g->u.append.set.m[i];
            snprintf(mb->id, sizeof(mb->id), "n%u", i + 1);
            snprintf(mb->addr, sizeof(mb->addr), "10.0.0.%u:7000", i + 1);
            mb->state = (uint8_t)(i % (GDFS_MEMBER_STATE_MAX + 1));
            mb->incarnation = i * 3;
            mb->since = UINT64_MAX - i;
        }
        /* the leader's exclusions: the first member full, the last
         * being drained */
        g->u.append.hint = true;
        g->u.append.full = n > 0 ? 1 : 0;
        g->u.append.drain = n > 0 ? 1ull << (n - 1) : 0;
        break;
    case GDFS_GMSG_APPEND_ACK:
        g->u.append_ack.sent_at = 99;
        g->u.append_ack.version.seq = 5;
        g->u.append_ack.version.term = 3;
        g->u.append_ack.incarnation = UINT64_MAX;
        g->u.append_ack.room.known = true;
        g->u.append_ack.room.used = 123;
        g->u.append_ack.room.free = 1ull << 40;
        g->u.append_ack.room.reserve = GDFS_CAPACITY_MAX;
        break;
    case GDFS_GMSG_VOTE:
        g->u.vote.pre = true;
        g->u.vote.version.seq = 8;
        g->u.vote.version.term = 7;
        break;
    case GDFS_GMSG_VOTE_ACK:
        g->u.vote_ack.pre = false;
        g->u.vote_ack.granted = true;
        break;
    case GDFS_GMSG_SUSPECT:
        snprintf(g->u.suspect.target, sizeof(g->u.suspect.target), "node-3");
        g->u.suspect.incarnation = 2;
        break;
    case GDFS_GMSG_JOIN:
        g->group_id[0] = '\0'; /* a joining node has no group yet */
        snprintf(g->u.join.addr, sizeof(g->u.join.addr), "[::1]:7009");
        break;
    default: /* LEAVE */
        break;
    }
}

static size_t encode_group_ok(const struct gdfs_gmsg *g, uint8_t *buf)
{
    size_t len = 0;

    ck_assert_int_eq(gdfs_proto_encode_group(g, buf, BIG_CAP, &len), GDFS_OK);
    ck_assert_uint_gt(len, HDR);
    return len;
}

/* Field-by-field equality of two group messages (only the union member
 * named by the type). */
static void assert_gmsg_eq(const struct gdfs_gmsg *a,
                           const struct gdfs_gmsg *b)
{
    ck_assert_uint_eq(a->type, b->type);
    ck_assert_str_eq(a->from, b->from);
    ck_assert_str_eq(a->group_id, b->group_id);
    ck_assert_uint_eq(a->term, b->term);
    switch (a->type) {
    case GDFS_GMSG_HEARTBEAT:
        ck_assert_uint_eq(a->u.heartbeat.incarnation,
                          b->u.heartbeat.incarnation);
        break;
    case GDFS_GMSG_APPEND:
        ck_assert_uint_eq(a->u.append.sent_at, b->u.append.sent_at);
        ck_assert_version_eq(a->u.append.committed, b->u.append.committed);
        ck_assert_str_eq(a->u.append.set.group_id, b->u.append.set.group_id);
        ck_assert_version_eq(a->u.append.set.version, b->u.append.set.version);
        ck_assert_uint_eq(a->u.append.set.n, b->u.append.set.n);
        for (uint32_t i = 0; i < a->u.append.set.n; i++) {
            const struct gdfs_member *x = &a->u.append.set.m[i];
            const struct gdfs_member *y = &b->u.append.set.m[i];
            ck_assert_str_eq(x->id, y->id);
            ck_assert_str_eq(x->addr, y->addr);
            ck_assert_uint_eq(x->state, y->state);
            ck_assert_uint_eq(x->incarnation, y->incarnation);
            ck_assert_uint_eq(x->since, y->since);
        }
        ck_assert_int_eq(a->u.append.hint, b->u.append.hint);
        ck_assert_uint_eq(a->u.append.full, b->u.append.full);
        ck_assert_uint_eq(a->u.append.drain, b->u.append.drain);
        break;
    case GDFS_GMSG_APPEND_ACK:
        ck_assert_uint_eq(a->u.append_ack.sent_at, b->u.append_ack.sent_at);
        ck_assert_version_eq(a->u.append_ack.version, b->u.append_ack.version);
        ck_assert_uint_eq(a->u.append_ack.incarnation,
                          b->u.append_ack.incarnation);
        ck_assert(a->u.append_ack.room.known == b->u.append_ack.room.known);
        ck_assert_uint_eq(a->u.append_ack.room.used,
                          b->u.append_ack.room.used);
        ck_assert_uint_eq(a->u.append_ack.room.free,
                          b->u.append_ack.room.free);
        ck_assert_uint_eq(a->u.append_ack.room.reserve,
                          b->u.append_ack.room.reserve);
        break;
    case GDFS_GMSG_VOTE:
        ck_assert(a->u.vote.pre == b->u.vote.pre);
        ck_assert_version_eq(a->u.vote.version, b->u.vote.version);
        break;
    case GDFS_GMSG_VOTE_ACK:
        ck_assert(a->u.vote_ack.pre == b->u.vote_ack.pre);
        ck_assert(a->u.vote_ack.granted == b->u.vote_ack.granted);
        break;
    case GDFS_GMSG_SUSPECT:
        ck_assert_str_eq(a->u.suspect.target, b->u.suspect.target);
        ck_assert_uint_eq(a->u.suspect.incarnation, b->u.suspect.incarnation);
        break;
    case GDFS_GMSG_JOIN:
        ck_assert_str_eq(a->u.join.addr, b->u.join.addr);
        break;
    }
}

/* Encode @in, decode the frame (gdfs_proto_decode, then
 * gdfs_proto_decode_group on its raw payload) into gout, compare, and check
 * that gout re-encodes to the same bytes. Returns the frame size. */
static size_t group_roundtrip(const struct gdfs_gmsg *in)
{
    struct gdfs_msg m;
    size_t len = encode_group_ok(in, frame), len2;

    ck_assert_uint_eq(frame[5], GDFS_MSG_NDTOND_GROUP);
    ck_assert_uint_eq(frame[8] | frame[9] | frame[10] | frame[11], 0);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.type, GDFS_MSG_NDTOND_GROUP);
    ck_assert_uint_eq(m.reqid, 0);
    ck_assert_ptr_eq(m.u.group.raw.p, held);
    ck_assert_uint_eq(m.u.group.raw.len, len - HDR);
    memset(&gout, 0xa5, sizeof(gout));
    ck_assert_int_eq(gdfs_proto_decode_group(m.u.group.raw.p,
                                             m.u.group.raw.len, &gout),
                     GDFS_OK);
    assert_gmsg_eq(in, &gout);
    len2 = encode_group_ok(&gout, frame2);
    ck_assert_uint_eq(len2, len);
    ck_assert_mem_eq(frame2, frame, len);
    return len;
}

static const char chunk_data[] = "hello, chunk";

/* Numbers below GDFS_MSG_TYPE_MAX that name no message: 24..26 are
 * retired (META_PUT, META_PULL, META_LIST), 38..39 are left in scrub's
 * range, 40..44 are free. */
static bool unassigned_type(int t)
{
    return (t >= 24 && t <= 26) || (t >= 38 && t <= 44);
}

/* A LOG_APPEND with a no-op and a record entry. */
static size_t build_log_append(uint8_t *buf, size_t cap)
{
    uint8_t entry[4096];
    struct gdfs_proto_writer w;
    struct gdfs_log_entry e;
    struct gdfs_record rec;
    struct gdfs_msg m;
    size_t elen, len;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_LOG_APPEND;
    m.u.log_append.term = 5;
    m.u.log_append.prev_index = 7;
    m.u.log_append.prev_term = 4;
    m.u.log_append.commit = 6;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, buf, cap, &m), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_encode_entry(GDFS_ENTRY_NOOP, NULL, entry,
                                             sizeof(entry), &elen),
                     GDFS_OK);
    e = (struct gdfs_log_entry){5, entry, elen};
    ck_assert_int_eq(gdfs_proto_add_log_entry(&w, &e), GDFS_OK);
    make_record(0, &rec);
    ck_assert_int_eq(gdfs_proto_encode_entry(GDFS_ENTRY_RECORD, &rec, entry,
                                             sizeof(entry), &elen),
                     GDFS_OK);
    e = (struct gdfs_log_entry){5, entry, elen};
    ck_assert_int_eq(gdfs_proto_add_log_entry(&w, &e), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len), GDFS_OK);
    return len;
}

/* Sample @i into @buf; 0 when there is no sample @i. */
static size_t sample_frame(int i, uint8_t *buf)
{
    struct gdfs_msg m;

    memset(&m, 0, sizeof(m));
    m.reqid = (uint32_t)i * 0x01010101u;
    switch (i) {
    case 0:
        m.type = GDFS_MSG_NDTOCL_ERROR;
        m.u.error.status = GDFS_ENOENT;
        m.u.error.msg = bs("no such file: x");
        break;
    case 1:
        m.type = GDFS_MSG_NDTOCL_ERROR;
        m.u.error.status = GDFS_EUNKNOWN;
        break;
    case 2:
        m.type = GDFS_MSG_NDTOCL_OK;
        m.u.ok.version.seq = 9;
        m.u.ok.version.term = 3;
        break;
    case 3:
        m.type = GDFS_MSG_CLTOND_PUT;
        m.u.put.name = bs("dir/file.txt");
        break;
    case 4:
        m.type = GDFS_MSG_NDTOCL_PUT_READY;
        m.u.put_ready.chunk_size = 65536;
        m.u.put_ready.version.seq = 10;
        m.u.put_ready.version.term = 3;
        break;
    case 5:
        m.type = GDFS_MSG_CHUNK;
        m.u.chunk.idx = 4;
        memcpy(m.u.chunk.sha256, sha_a, GDFS_SHA256_LEN);
        m.u.chunk.data = bs(chunk_data);
        break;
    case 6:
        m.type = GDFS_MSG_CLTOND_PUT_END;
        m.u.put_end.size = 1000000;
        m.u.put_end.nchunks = 16;
        memcpy(m.u.put_end.sha256, sha_a, GDFS_SHA256_LEN);
        break;
    case 7:
        m.type = GDFS_MSG_CLTOND_GET;
        m.u.get.seq = 0;
        m.u.get.name = bs("f");
        break;
    case 8:
        m.type = GDFS_MSG_NDTOCL_GET_INFO;
        m.u.get_info.version.seq = 10;
        m.u.get_info.version.term = 3;
        m.u.get_info.size = 65537;
        m.u.get_info.chunk_size = 65536;
        m.u.get_info.nchunks = 2;
        memcpy(m.u.get_info.sha256, sha_a, GDFS_SHA256_LEN);
        break;
    case 9:
        m.type = GDFS_MSG_CLTOND_REMOVE;
        m.u.put.name = bs("gone");
        break;
    case 10:
        m.type = GDFS_MSG_CLTOND_LIST;
        m.u.list.scope = GDFS_LIST_ALL;
        m.u.list.max = 100;
        break;
    case 11:
        m.type = GDFS_MSG_CLTOND_LIST;
        m.u.list.scope = GDFS_LIST_HERE;
        m.u.list.max = 1;
        m.u.list.after = bs("m");
        break;
    case 12:
        return build_list_reply(GDFS_MSG_NDTOCL_LIST, NLIST, true, "", buf,
                                BIG_CAP);
    case 13:
        return build_list_reply(GDFS_MSG_NDTOCL_LIST, 0, false, "", buf,
                                BIG_CAP);
    case 14:
        m.type = GDFS_MSG_CLTOND_LOCATE;
        m.u.put.name = bs("x");
        break;
    case 15:
        return build_list_reply(GDFS_MSG_NDTOCL_LOCATE, NREPLICA, false, "",
                                buf, BIG_CAP);
    case 16:
        m.type = GDFS_MSG_CLTOND_STATUS;
        break;
    case 17:
        return build_list_reply(GDFS_MSG_NDTOCL_STATUS, NMEMBER, false, "n1",
                                buf, BIG_CAP);
    case 18:
        return build_list_reply(GDFS_MSG_NDTOCL_STATUS, 1, false, "", buf,
                                BIG_CAP);
    case 19:
        m.type = GDFS_MSG_CLTOND_VERSIONS;
        m.u.put.name = bs("v");
        break;
    case 20:
        return build_list_reply(GDFS_MSG_NDTOCL_VERSIONS, NVERSION, false, "",
                                buf, BIG_CAP);
    case 21:
        m.type = GDFS_MSG_CLTOND_LEAVE;
        break;
    case 22: /* every group message kind, HEARTBEAT .. LEAVE */
    case 23:
    case 24:
    case 25:
    case 26:
    case 27:
    case 28:
    case 29:
        make_gmsg((uint8_t)(i - 22 + GDFS_GMSG_HEARTBEAT), 3, &gtmp);
        return encode_group_ok(&gtmp, buf);
    case 30: /* an APPEND without members, and one with the most */
        make_gmsg(GDFS_GMSG_APPEND, 0, &gtmp);
        return encode_group_ok(&gtmp, buf);
    case 31:
        make_gmsg(GDFS_GMSG_APPEND, GDFS_GROUP_MAX, &gtmp);
        return encode_group_ok(&gtmp, buf);
    case 32: /* a JOIN that names a group */
        make_gmsg(GDFS_GMSG_JOIN, 0, &gtmp);
        snprintf(gtmp.group_id, sizeof(gtmp.group_id), "g-1");
        return encode_group_ok(&gtmp, buf);
    case 33:
        m.type = GDFS_MSG_NDTOND_ALLOC;
        m.u.put.name = bs("dir/new");
        break;
    case 34:
    case 35: /* three replicas, and one */
        m.type = GDFS_MSG_NDTOCL_PLACE;
        m.u.place.version = (struct gdfs_version){i == 34 ? 0 : 20, 4};
        m.u.place.chunk_size = 65536;
        m.u.place.nreplicas = i == 34 ? 3 : 1;
        for (int k = 0; k < m.u.place.nreplicas; k++) {
            m.u.place.replica[k].id = replica_entries[k].id;
            m.u.place.replica[k].addr = replica_entries[k].addr;
        }
        break;
    case 36:
        m.type = GDFS_MSG_NDTOND_RPUT;
        m.u.rput.version = (struct gdfs_version){20, 4};
        m.u.rput.chunk_size = GDFS_CHUNK_MIN;
        m.u.rput.name = bs("dir/new");
        break;
    case 37:
    case 38:
        m.type = i == 37 ? GDFS_MSG_NDTOND_COMMIT : GDFS_MSG_NDTOCL_RECORD;
        make_record(i == 37 ? 0 : 1, &m.u.record.rec);
        break;
    case 39:
        m.type = GDFS_MSG_NDTOND_LOOKUP;
        m.u.get.seq = 12;
        m.u.get.name = bs("dir/rec.txt");
        break;
    case 40:
        m.type = GDFS_MSG_NDTOND_RGET;
        m.u.rget.version = (struct gdfs_version){12, 4};
        m.u.rget.name = bs("dir/rec.txt");
        break;
    case 41:
    case 42: /* one source, and the most */
        m.type = GDFS_MSG_NDTOND_REPLICATE;
        make_record(0, &m.u.replicate.rec);
        m.u.replicate.nsrc = i == 41 ? 1 : GDFS_REPLICATE_SRC_MAX;
        for (int k = 0; k < m.u.replicate.nsrc; k++)
            m.u.replicate.src[k] = bs(k % 2 ? "[::1]:7003" : "127.0.0.1:7001");
        break;
    case 43:
        m.type = GDFS_MSG_NDTOND_RGET_FROM;
        m.u.rget.version = (struct gdfs_version){12, 4};
        m.u.rget.name = bs("dir/rec.txt");
        m.u.rget.first = 7;
        break;
    case 44:
        m.type = GDFS_MSG_NDTOND_DRAIN;
        m.u.drain.id = bs("node-2.b_x");
        break;
    case 45:
        m.type = GDFS_MSG_NDTOND_HEALTH;
        break;
    case 46:
    case 47: /* no names, and the most */
        m.type = GDFS_MSG_NDTOCL_HEALTH;
        m.u.health.known = i == 47;
        m.u.health.under = 99;
        m.u.health.nnames = i == 47 ? GDFS_HEALTH_NAMES_MAX : 0;
        for (int k = 0; k < m.u.health.nnames; k++)
            m.u.health.names[k] = bs("dir/x");
        m.u.health.done = 7;
        m.u.health.bytes = 1 << 20;
        if (i == 47)
            sample_capacity(&m.u.health);
        break;
    case 48:
        return build_status_tail(buf, BIG_CAP, 3);
    case 49: {
        static uint8_t sums[GDFS_META_SUMS_LEN];

        for (size_t k = 0; k < sizeof(sums); k++)
            sums[k] = (uint8_t)(k * 7 + 1);
        m.type = GDFS_MSG_NDTOND_META_SUM;
        m.u.meta_sum.term = 6;
        m.u.meta_sum.sums.p = sums;
        m.u.meta_sum.sums.len = sizeof(sums);
        break;
    }
    case 50:
        m.type = GDFS_MSG_NDTOCL_META_DIFF;
        m.u.meta_diff.mask = 0x8000000000000401ull;
        break;
    case 51:
        return build_list_reply(GDFS_MSG_NDTOND_META_SYNC, NRECORD, true, "",
                                buf, BIG_CAP);
    case 52:
        return build_list_reply(GDFS_MSG_NDTOND_META_SYNC, 0, false, "", buf,
                                BIG_CAP);
    case 53:
    case 54: /* one version, and "newest only" */
        m.type = GDFS_MSG_NDTOND_PROBE;
        m.u.rget.version = (struct gdfs_version){i == 53 ? 12 : 0,
                                                 i == 53 ? 4 : 0};
        m.u.rget.name = bs("dir/rec.txt");
        break;
    case 55:
        m.type = GDFS_MSG_NDTOCL_PROBE;
        m.u.probe_reply.have = GDFS_PROBE_DAMAGED;
        m.u.probe_reply.newest = (struct gdfs_version){13, 4};
        m.u.probe_reply.flags = GDFS_PROBE_TOMBSTONE;
        break;
    case 56:
        m.type = GDFS_MSG_NDTOCL_STALE;
        m.u.stale.msg = bs("get f: may be stale: no quorum (no leader)");
        break;
    case 57:
        m.type = GDFS_MSG_CLTOND_ENROL;
        m.u.drain.id = bs("n4");
        break;
    case 58:
        m.type = GDFS_MSG_NDTOCL_ENROL;
        for (int k = 0; k < 32; k++)
            m.u.enrol.key[k] = (uint8_t)(k * 11);
        m.u.enrol.group = bs("g-1a2b");
        break;
    case 59: {
        static uint8_t sums[GDFS_META_SUMS_LEN];

        for (size_t k = 0; k < sizeof(sums); k++)
            sums[k] = (uint8_t)(k * 5 + 3);
        m.type = GDFS_MSG_NDTOND_INV_SUM;
        m.u.inv_sum.incarnation = 0x0102030405060708ull;
        m.u.inv_sum.member_inc = 0x0a0b0c0d0e0f1011ull;
        m.u.inv_sum.sums.p = sums;
        m.u.inv_sum.sums.len = sizeof(sums);
        break;
    }
    case 60:
        return build_list_reply(GDFS_MSG_NDTOND_INV_LIST, 3, true, "", buf,
                                BIG_CAP);
    case 61:
        return build_list_reply(GDFS_MSG_NDTOND_INV_LIST, 0, false, "", buf,
                                BIG_CAP);
    case 62:
        m.type = GDFS_MSG_CLTOND_FORGET;
        m.u.drain.id = bs("n3");
        break;
    case 63:
        return build_log_append(buf, BIG_CAP);
    case 64:
        m.type = GDFS_MSG_NDTOCL_LOG_ACK;
        m.u.log_ack.term = 9;
        m.u.log_ack.ok = true;
        m.u.log_ack.match = GDFS_VERSION_MAX;
        break;
    case 65:
        m.type = GDFS_MSG_NDTOND_LOG_SNAP;
        m.u.log_snap.term = 9;
        m.u.log_snap.index = 1000;
        m.u.log_snap.index_term = 8;
        break;
    case 66:
        m.type = GDFS_MSG_NDTOND_RPUT_VERSION;
        m.u.put_end.version = (struct gdfs_version){21, 4};
        m.u.put_end.size = 1000000;
        m.u.put_end.nchunks = 16;
        memcpy(m.u.put_end.sha256, sha_a, GDFS_SHA256_LEN);
        break;
    case 67: /* the version comes with RPUT_VERSION */
        m.type = GDFS_MSG_NDTOND_RPUT;
        m.u.rput.chunk_size = GDFS_CHUNK_MIN;
        m.u.rput.name = bs("dir/later");
        break;
    default:
        return 0;
    }
    return encode_ok(&m, buf);
}

/* ---- frame header -------------------------------------------------------- */

/* The auth column: replies are never requests, each client verb has its
 * role, node messages are for members. */
START_TEST(test_proto_auth_column)
{
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_NDTOCL_OK), GDFS_AUTH_REPLY);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_CLTOND_GET), GDFS_AUTH_READ);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_CLTOND_PUT), GDFS_AUTH_WRITE);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_CLTOND_REMOVE),
                     GDFS_AUTH_WRITE);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_CLTOND_LEAVE),
                     GDFS_AUTH_ADMIN);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_CLTOND_ENROL),
                     GDFS_AUTH_JOIN);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_CLTOND_FORGET),
                     GDFS_AUTH_ADMIN);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_NDTOND_GROUP),
                     GDFS_AUTH_MEMBER);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_NDTOND_META_SUM),
                     GDFS_AUTH_LEADER);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_NDTOND_REPLICATE),
                     GDFS_AUTH_MEMBER);
    /* inventory reports come from any member, to the leader */
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_NDTOND_INV_SUM),
                     GDFS_AUTH_MEMBER);
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_NDTOND_INV_LIST),
                     GDFS_AUTH_MEMBER);
    ck_assert_int_eq(gdfs_proto_auth_of(200), GDFS_AUTH_REPLY);
    for (int t = 0; t <= GDFS_MSG_TYPE_MAX; t++) {
        const char *n = gdfs_proto_type_name((uint8_t)t);

        if (strncmp(n, "NDTOCL_", 7) == 0)
            ck_assert_int_eq(gdfs_proto_auth_of((uint8_t)t), GDFS_AUTH_REPLY);
        if (strncmp(n, "NDTOND_", 7) == 0)
            ck_assert_int_ge(gdfs_proto_auth_of((uint8_t)t), GDFS_AUTH_MEMBER);
    }
}
END_TEST

START_TEST(test_proto_hdr_golden_bytes)
{
    /* PUT "ab", reqid 0x01020304: the layout of proto.h, byte by byte. */
    static const uint8_t want[] = {0x47, 0x44, 0x46, 0x53, 0x01, 0x03, 0x00,
                                   0x00, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00,
                                   0x00, 0x04, 0x00, 0x02, 'a',  'b'};
    struct gdfs_msg m;
    size_t len = 0;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_PUT;
    m.reqid = 0x01020304;
    m.u.put.name = bs("ab");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
    ck_assert_uint_eq(len, sizeof(want));
    ck_assert_mem_eq(frame, want, sizeof(want));
}
END_TEST

START_TEST(test_proto_hdr_fields_and_reqid_echo)
{
    struct gdfs_frame_hdr hdr;
    struct gdfs_msg m;
    size_t len;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_OK;
    m.reqid = 0xdeadbeef;
    len = encode_ok(&m, frame);
    ck_assert_uint_eq(len, HDR + 16);
    memset(&hdr, 0xaa, sizeof(hdr));
    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, 16, &hdr), GDFS_OK);
    ck_assert_uint_eq(hdr.type, GDFS_MSG_NDTOCL_OK);
    ck_assert_uint_eq(hdr.flags, 0);
    ck_assert_uint_eq(hdr.reqid, 0xdeadbeef);
    ck_assert_uint_eq(hdr.len, 16);
    /* len == max_payload is fine, one more is not */
    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, 15, &hdr), GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_hdr_rejects_garbage)
{
    struct gdfs_frame_hdr hdr;
    struct raw r;
    static const unsigned bad_types[] = {0, GDFS_MSG_TYPE_MAX + 1, 100, 255};

    raw_begin(&r, GDFS_MSG_CLTOND_STATUS);
    ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr), GDFS_OK);

    /* every single-bit flip of magic, version and flags is refused, but
     * for the one flag defined (test_proto_hdr_flags) */
    for (int byte = 0; byte < 8; byte++) {
        if (byte == 5)
            continue; /* type: below */
        for (int bit = 0; bit < 8; bit++) {
            if (byte == 7 && ((1u << bit) & GDFS_FLAG_MASK) != 0)
                continue;
            raw_begin(&r, GDFS_MSG_CLTOND_STATUS);
            r.b[byte] ^= (uint8_t)(1u << bit);
            ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr), GDFS_EPROTO);
        }
    }
    for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
        raw_begin(&r, bad_types[i]);
        ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr), GDFS_EPROTO);
    }
    /* version 0 and 2 */
    raw_begin(&r, GDFS_MSG_CLTOND_STATUS);
    r.b[4] = 0;
    ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr), GDFS_EPROTO);
    r.b[4] = 2;
    ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr), GDFS_EPROTO);
}
END_TEST

/* Every id in the list, and what the list says of it. */
static const struct {
    unsigned id;
    const char *name, *dir;
} listed[] = {
#define LISTED(name, id, dir, codec, auth) {id, #name, #dir},
    GDFS_PROTO_MSG_LIST(LISTED)
#undef LISTED
};
#define NLISTED (sizeof(listed) / sizeof(listed[0]))

static bool is_listed(unsigned t)
{
    for (size_t i = 0; i < NLISTED; i++)
        if (listed[i].id == t)
            return true;
    return false;
}

START_TEST(test_proto_hdr_refuses_unlisted_ids)
{
    /* the ids a frame may carry are exactly those in the list: the
     * retired 24..26, the gap 38..44 (once accepted by a range check), 0
     * and 255 are refused, by the header check and by decode */
    static const unsigned unlisted[] = {0,  24, 25, 26, 38, 39,
                                        40, 41, 42, 43, 44, 255};
    static const uint8_t none[1];
    struct gdfs_frame_hdr hdr;
    struct gdfs_msg m;
    struct raw r;

    for (size_t i = 0; i < sizeof(unlisted) / sizeof(unlisted[0]); i++) {
        ck_assert(!is_listed(unlisted[i]));
        raw_begin(&r, unlisted[i]);
        ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr), GDFS_EPROTO);
        hdr.type = (uint8_t)unlisted[i];
        hdr.flags = 0;
        hdr.reqid = 1;
        hdr.len = 0;
        ck_assert_int_eq(gdfs_proto_decode(&hdr, none, &m), GDFS_EPROTO);
        ck_assert_str_eq(gdfs_proto_type_name((uint8_t)unlisted[i]), "?");
    }
    for (unsigned t = 0; t <= UINT8_MAX; t++) {
        raw_begin(&r, t);
        ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr),
                         is_listed(t) ? GDFS_OK : GDFS_EPROTO);
        if (is_listed(t))
            ck_assert_uint_eq(hdr.type, t);
    }
}
END_TEST

START_TEST(test_proto_list_names_and_directions)
{
    /* each entry's log name is its own, and starts with its direction */
    for (size_t i = 0; i < NLISTED; i++) {
        const char *name = gdfs_proto_type_name((uint8_t)listed[i].id);

        ck_assert_uint_ge(listed[i].id, 1);
        ck_assert_uint_le(listed[i].id, GDFS_MSG_TYPE_MAX);
        ck_assert_str_eq(name, listed[i].name);
        if (strcmp(listed[i].dir, "ANY") != 0) {
            size_t n = strlen(listed[i].dir);

            ck_assert_int_eq(strncmp(name, listed[i].dir, n), 0);
            ck_assert_int_eq(name[n], '_');
        }
    }
}
END_TEST

START_TEST(test_proto_hdr_rejects_oversized_length)
{
    struct gdfs_frame_hdr hdr;
    struct raw r;

    raw_begin(&r, GDFS_MSG_CHUNK);
    r.n = 12;
    raw_u32(&r, 1000);
    ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 999, &hdr), GDFS_EPROTO);
    ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 1000, &hdr), GDFS_OK);
    ck_assert_uint_eq(hdr.len, 1000);

    /* max_payload above the protocol limit is capped to it */
    r.n = 12;
    raw_u32(&r, GDFS_PROTO_MAX_PAYLOAD);
    ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, UINT32_MAX, &hdr), GDFS_OK);
    r.n = 12;
    raw_u32(&r, GDFS_PROTO_MAX_PAYLOAD + 1);
    ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, UINT32_MAX, &hdr),
                     GDFS_EPROTO);
    r.n = 12;
    raw_u32(&r, UINT32_MAX);
    ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, UINT32_MAX, &hdr),
                     GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_decode_checks_hdr_itself)
{
    /* gdfs_proto_decode must not trust a header it did not decode */
    static const uint8_t none[1];
    struct gdfs_frame_hdr hdr = {GDFS_MSG_CLTOND_STATUS, 0, 1, 0};
    struct gdfs_msg m;

    ck_assert_int_eq(gdfs_proto_decode(&hdr, none, &m), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_decode(&hdr, NULL, &m), GDFS_OK);
    ck_assert_uint_eq(m.type, GDFS_MSG_CLTOND_STATUS);
    hdr.flags = GDFS_FLAG_FORWARDED;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, none, &m), GDFS_OK);
    ck_assert_uint_eq(m.flags, GDFS_FLAG_FORWARDED);
    hdr.flags = GDFS_FLAG_STALE_OK;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, none, &m), GDFS_OK);
    ck_assert_uint_eq(m.flags, GDFS_FLAG_STALE_OK);
    hdr.flags = 4;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, none, &m), GDFS_EPROTO);
    hdr.flags = 0x8000 | GDFS_FLAG_FORWARDED;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, none, &m), GDFS_EPROTO);
    hdr.flags = 0;
    hdr.type = 0;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, none, &m), GDFS_EPROTO);
    hdr.type = GDFS_MSG_TYPE_MAX + 1;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, none, &m), GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_hdr_flags)
{
    struct gdfs_proto_writer w;
    struct gdfs_frame_hdr hdr;
    struct gdfs_record rec;
    struct gdfs_msg in, out;
    struct raw r;
    size_t len = 0;

    /* FORWARDED goes out in the header's flags and comes back in m->flags,
     * for any message (a request forwarded by a gateway, in practice) */
    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_CLTOND_PUT;
    in.flags = GDFS_FLAG_FORWARDED;
    in.reqid = 0x01020304;
    in.u.put.name = bs("ab");
    len = encode_ok(&in, frame);
    ck_assert_uint_eq(frame[6], 0);
    ck_assert_uint_eq(frame[7], GDFS_FLAG_FORWARDED);
    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, 64, &hdr), GDFS_OK);
    ck_assert_uint_eq(hdr.flags, GDFS_FLAG_FORWARDED);
    ck_assert_int_eq(decode_frame(frame, len, &out), GDFS_OK);
    ck_assert_uint_eq(out.flags, GDFS_FLAG_FORWARDED);
    ck_assert_bytes_eq(out.u.put.name, in.u.put.name);
    /* and without it, m->flags is 0 */
    in.flags = 0;
    len = encode_ok(&in, frame);
    ck_assert_int_eq(decode_frame(frame, len, &out), GDFS_OK);
    ck_assert_uint_eq(out.flags, 0);

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOND_COMMIT;
    in.flags = GDFS_FLAG_FORWARDED;
    make_record(0, &in.u.record.rec);
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.flags, GDFS_FLAG_FORWARDED);

    /* the list writer writes them too */
    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOND_META_SYNC;
    in.flags = GDFS_FLAG_FORWARDED;
    in.u.meta_sync.term = 1;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &in),
                     GDFS_OK);
    make_record(1, &rec);
    ck_assert_int_eq(gdfs_proto_add_record(&w, &rec), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len), GDFS_OK);
    ck_assert_int_eq(decode_frame(frame, len, &out), GDFS_OK);
    ck_assert_uint_eq(out.flags, GDFS_FLAG_FORWARDED);
    ck_assert_uint_eq(out.u.meta_sync.body.count, 1);

    /* every other bit is refused: decode_hdr, encode, writer */
    for (unsigned bit = 1; bit < 16; bit++) {
        uint16_t f = (uint16_t)(1u << bit);

        if ((f & GDFS_FLAG_MASK) != 0)
            continue; /* STALE_OK: test_proto_decode_checks_hdr_itself */

        raw_begin(&r, GDFS_MSG_CLTOND_STATUS);
        r.b[6] = (uint8_t)(f >> 8);
        r.b[7] = (uint8_t)f;
        ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr), GDFS_EPROTO);
        r.b[7] |= GDFS_FLAG_FORWARDED;
        ck_assert_int_eq(gdfs_proto_decode_hdr(r.b, 0, &hdr), GDFS_EPROTO);

        memset(&in, 0, sizeof(in));
        in.type = GDFS_MSG_CLTOND_STATUS;
        in.flags = f;
        len = 12345;
        ck_assert_int_eq(gdfs_proto_encode(&in, frame, sizeof(frame), &len),
                         GDFS_EINVAL);
        ck_assert_uint_eq(len, 12345);
        in.type = GDFS_MSG_NDTOCL_VERSIONS;
        ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame),
                                                 &in),
                         GDFS_EINVAL);
    }
}
END_TEST

/* ---- round trips: simple messages ---------------------------------------- */

START_TEST(test_proto_roundtrip_error)
{
    struct gdfs_msg in, out;
    uint8_t msg[GDFS_ERRMSG_MAX];

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOCL_ERROR;
    in.reqid = 5;
    in.u.error.status = GDFS_ENOQUORUM;
    in.u.error.msg = bs("put chunk 42: node 3: connect: refused");
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.error.status, GDFS_ENOQUORUM);
    ck_assert_bytes_eq(out.u.error.msg, in.u.error.msg);

    /* empty message, and the longest message */
    in.u.error.msg = bn(NULL, 0);
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.error.msg.len, 0);
    memset(msg, 'e', sizeof(msg));
    in.u.error.msg = bn(msg, sizeof(msg));
    in.u.error.status = 0xffffffffu;
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.error.status, 0xffffffffu);
    ck_assert_bytes_eq(out.u.error.msg, in.u.error.msg);
}
END_TEST

START_TEST(test_proto_roundtrip_ok)
{
    struct gdfs_msg in, out;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOCL_OK;
    in.reqid = UINT32_MAX;
    in.u.ok.version.seq = 0x0102030405060708ull;
    in.u.ok.version.term = UINT64_MAX;
    roundtrip(&in, &out);
    ck_assert_version_eq(out.u.ok.version, in.u.ok.version);
}
END_TEST

START_TEST(test_proto_roundtrip_name_messages)
{
    static const uint8_t types[] = {GDFS_MSG_CLTOND_PUT,
                                    GDFS_MSG_CLTOND_REMOVE,
                                    GDFS_MSG_CLTOND_LOCATE,
                                    GDFS_MSG_CLTOND_VERSIONS};
    uint8_t longest[GDFS_NAME_MAX];
    struct gdfs_msg in, out;

    memset(longest, 0x80, sizeof(longest)); /* high bytes are allowed */
    for (size_t i = 0; i < sizeof(types); i++) {
        memset(&in, 0, sizeof(in));
        in.type = types[i];
        in.reqid = (uint32_t)i;
        in.u.put.name = bs("a/b c~d");
        roundtrip(&in, &out);
        ck_assert_bytes_eq(out.u.put.name, in.u.put.name);
        in.u.put.name = bn(longest, sizeof(longest));
        roundtrip(&in, &out);
        ck_assert_bytes_eq(out.u.put.name, in.u.put.name);
    }
}
END_TEST

START_TEST(test_proto_roundtrip_put_ready)
{
    static const uint32_t sizes[] = {GDFS_CHUNK_MIN, 65536, GDFS_CHUNK_MAX};
    struct gdfs_msg in, out;

    for (size_t i = 0; i < 3; i++) {
        memset(&in, 0, sizeof(in));
        in.type = GDFS_MSG_NDTOCL_PUT_READY;
        in.u.put_ready.chunk_size = sizes[i];
        in.u.put_ready.version.seq = 11 + i;
        in.u.put_ready.version.term = 4;
        roundtrip(&in, &out);
        ck_assert_uint_eq(out.u.put_ready.chunk_size, sizes[i]);
        ck_assert_version_eq(out.u.put_ready.version, in.u.put_ready.version);
    }
}
END_TEST

START_TEST(test_proto_roundtrip_chunk)
{
    static uint8_t data[GDFS_CHUNK_MAX];
    struct gdfs_msg in, out;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + (i >> 9));
    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_CHUNK;
    in.reqid = 99;
    in.u.chunk.idx = 0xfffffffe;
    memcpy(in.u.chunk.sha256, sha_a, GDFS_SHA256_LEN);
    in.u.chunk.data = bn(data, 1);
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.chunk.idx, 0xfffffffe);
    ck_assert_mem_eq(out.u.chunk.sha256, sha_a, GDFS_SHA256_LEN);
    ck_assert_bytes_eq(out.u.chunk.data, in.u.chunk.data);

    in.u.chunk.data = bn(data, sizeof(data));
    roundtrip(&in, &out);
    ck_assert_bytes_eq(out.u.chunk.data, in.u.chunk.data);
}
END_TEST

START_TEST(test_proto_roundtrip_put_end)
{
    struct gdfs_msg in, out;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_CLTOND_PUT_END;
    in.u.put_end.size = 0x123456789abull;
    in.u.put_end.nchunks = 300000;
    memcpy(in.u.put_end.sha256, sha_a, GDFS_SHA256_LEN);
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.put_end.size, in.u.put_end.size);
    ck_assert_uint_eq(out.u.put_end.nchunks, 300000);
    ck_assert_mem_eq(out.u.put_end.sha256, sha_a, GDFS_SHA256_LEN);
}
END_TEST

START_TEST(test_proto_roundtrip_get)
{
    struct gdfs_msg in, out;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_CLTOND_GET;
    in.u.get.seq = 0;
    in.u.get.name = bs("newest");
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.get.seq, 0);
    ck_assert_bytes_eq(out.u.get.name, in.u.get.name);
    in.u.get.seq = 0x8000000000000001ull;
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.get.seq, 0x8000000000000001ull);
}
END_TEST

START_TEST(test_proto_roundtrip_get_info)
{
    static const struct {
        uint64_t size;
        uint32_t chunk_size, nchunks;
    } cases[] = {
        {0, GDFS_CHUNK_MIN, 0},
        {1, GDFS_CHUNK_MIN, 1},
        {GDFS_CHUNK_MIN, GDFS_CHUNK_MIN, 1},
        {GDFS_CHUNK_MIN + 1, GDFS_CHUNK_MIN, 2},
        {10ull * GDFS_CHUNK_MAX, GDFS_CHUNK_MAX, 10},
        {(uint64_t)UINT32_MAX * GDFS_CHUNK_MIN, GDFS_CHUNK_MIN, UINT32_MAX},
    };
    struct gdfs_msg in, out;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&in, 0, sizeof(in));
        in.type = GDFS_MSG_NDTOCL_GET_INFO;
        in.u.get_info.version.seq = 3;
        in.u.get_info.version.term = 1;
        in.u.get_info.size = cases[i].size;
        in.u.get_info.chunk_size = cases[i].chunk_size;
        in.u.get_info.nchunks = cases[i].nchunks;
        memcpy(in.u.get_info.sha256, sha_a, GDFS_SHA256_LEN);
        roundtrip(&in, &out);
        ck_assert_version_eq(out.u.get_info.version, in.u.get_info.version);
        ck_assert_uint_eq(out.u.get_info.size, cases[i].size);
        ck_assert_uint_eq(out.u.get_info.chunk_size, cases[i].chunk_size);
        ck_assert_uint_eq(out.u.get_info.nchunks, cases[i].nchunks);
        ck_assert_mem_eq(out.u.get_info.sha256, sha_a, GDFS_SHA256_LEN);
    }
}
END_TEST

START_TEST(test_proto_roundtrip_list_request)
{
    struct gdfs_msg in, out;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_CLTOND_LIST;
    in.u.list.scope = GDFS_LIST_ALL;
    in.u.list.max = 0xffffffff;
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.list.scope, GDFS_LIST_ALL);
    ck_assert_uint_eq(out.u.list.max, 0xffffffff);
    ck_assert_uint_eq(out.u.list.after.len, 0);

    in.u.list.scope = GDFS_LIST_HERE;
    in.u.list.max = 10;
    in.u.list.after = bs("dir/");
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.u.list.scope, GDFS_LIST_HERE);
    ck_assert_uint_eq(out.u.list.max, 10);
    ck_assert_bytes_eq(out.u.list.after, in.u.list.after);
}
END_TEST

START_TEST(test_proto_roundtrip_status_request)
{
    struct gdfs_msg in, out;
    size_t len;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_CLTOND_STATUS;
    in.reqid = 12;
    len = encode_ok(&in, frame);
    ck_assert_uint_eq(len, HDR);
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.reqid, 12);
}
END_TEST

/* ---- round trips: list replies ------------------------------------------- */

START_TEST(test_proto_roundtrip_list_reply)
{
    struct gdfs_list_entry e;
    struct gdfs_msg m;
    size_t len, off = 0, i = 0;

    for (int more = 0; more <= 1; more++) {
        len = build_list_reply(GDFS_MSG_NDTOCL_LIST, NLIST, more, "", frame,
                               sizeof(frame));
        ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
        ck_assert_uint_eq(m.type, GDFS_MSG_NDTOCL_LIST);
        ck_assert_uint_eq(m.reqid, 0xa1b2c3d4);
        ck_assert(m.u.list_reply.more == (more == 1));
        ck_assert_uint_eq(m.u.list_reply.body.count, NLIST);
        off = 0;
        i = 0;
        while (gdfs_proto_next_list(&m.u.list_reply.body, &off, &e)) {
            ck_assert_uint_lt(i, NLIST);
            ck_assert_bytes_eq(e.name, list_entries[i].name);
            ck_assert_uint_eq(e.size, list_entries[i].size);
            ck_assert_version_eq(e.version, list_entries[i].version);
            ck_assert_uint_eq(e.replicas, list_entries[i].replicas);
            i++;
        }
        ck_assert_uint_eq(i, NLIST);
        ck_assert_uint_eq(off, m.u.list_reply.body.len);
    }
}
END_TEST

START_TEST(test_proto_roundtrip_locate_reply)
{
    struct gdfs_replica_entry e;
    struct gdfs_msg m;
    size_t len, off = 0, i = 0;

    len = build_list_reply(GDFS_MSG_NDTOCL_LOCATE, NREPLICA, false, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.type, GDFS_MSG_NDTOCL_LOCATE);
    ck_assert_uint_eq(m.u.locate_reply.version.seq, 42);
    ck_assert_uint_eq(m.u.locate_reply.version.term, 6);
    ck_assert_uint_eq(m.u.locate_reply.size, 123456789);
    ck_assert_uint_eq(m.u.locate_reply.body.count, NREPLICA);
    while (gdfs_proto_next_replica(&m.u.locate_reply.body, &off, &e)) {
        ck_assert_uint_lt(i, NREPLICA);
        ck_assert_bytes_eq(e.id, replica_entries[i].id);
        ck_assert_bytes_eq(e.addr, replica_entries[i].addr);
        ck_assert_version_eq(e.version, replica_entries[i].version);
        ck_assert_uint_eq(e.state, replica_entries[i].state);
        ck_assert_uint_eq(e.copy, replica_entries[i].copy);
        i++;
    }
    ck_assert_uint_eq(i, NREPLICA);
}
END_TEST

START_TEST(test_proto_roundtrip_status_reply)
{
    struct gdfs_member_entry e;
    struct gdfs_msg m;
    size_t len, off = 0, i = 0;

    len = build_list_reply(GDFS_MSG_NDTOCL_STATUS, NMEMBER, false, "n1", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.type, GDFS_MSG_NDTOCL_STATUS);
    ck_assert_bytes_eq(m.u.status_reply.id, bs("n2"));
    ck_assert_bytes_eq(m.u.status_reply.group, bs("grp:demo"));
    ck_assert_bytes_eq(m.u.status_reply.leader, bs("n1"));
    ck_assert_uint_eq(m.u.status_reply.term, 77);
    ck_assert_uint_eq(m.u.status_reply.role, 3);
    ck_assert_uint_eq(m.u.status_reply.body.count, NMEMBER);
    while (gdfs_proto_next_member(&m.u.status_reply.body, &off, &e)) {
        ck_assert_uint_lt(i, NMEMBER);
        ck_assert_bytes_eq(e.id, member_entries[i].id);
        ck_assert_bytes_eq(e.addr, member_entries[i].addr);
        ck_assert_uint_eq(e.state, member_entries[i].state);
        ck_assert_uint_eq(e.ring, member_entries[i].ring);
        i++;
    }
    ck_assert_uint_eq(i, NMEMBER);

    /* no known leader */
    len = build_list_reply(GDFS_MSG_NDTOCL_STATUS, 2, false, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.status_reply.leader.len, 0);
    ck_assert_uint_eq(m.u.status_reply.body.count, 2);
}
END_TEST

START_TEST(test_proto_roundtrip_versions_reply)
{
    struct gdfs_version_entry e;
    struct gdfs_msg m;
    size_t len, off = 0, i = 0;

    len = build_list_reply(GDFS_MSG_NDTOCL_VERSIONS, NVERSION, false, "",
                           frame, sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.type, GDFS_MSG_NDTOCL_VERSIONS);
    ck_assert_uint_eq(m.u.versions_reply.body.count, NVERSION);
    while (gdfs_proto_next_version(&m.u.versions_reply.body, &off, &e)) {
        ck_assert_uint_lt(i, NVERSION);
        ck_assert_version_eq(e.version, version_entries[i].version);
        ck_assert_uint_eq(e.size, version_entries[i].size);
        ck_assert(e.tombstone == version_entries[i].tombstone);
        i++;
    }
    ck_assert_uint_eq(i, NVERSION);
}
END_TEST

START_TEST(test_proto_list_reply_wire_layout)
{
    /* LIST reply, more=1, one entry, checked against the raw layout */
    struct gdfs_proto_writer w;
    struct gdfs_msg m;
    struct raw r;
    size_t len = 0;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LIST;
    m.reqid = 0x01020304;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_proto_add_list(&w, &list_entries[1]), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, true, &len), GDFS_OK);

    raw_begin(&r, GDFS_MSG_NDTOCL_LIST);
    raw_u8(&r, 1);
    raw_u32(&r, 1);
    raw_str16(&r, "dir/b c");
    raw_u64(&r, 4096);
    raw_u64(&r, 0x1122334455667788ull);
    raw_u64(&r, 9);
    raw_u8(&r, 2);
    raw_end(&r);
    ck_assert_uint_eq(len, r.n);
    ck_assert_mem_eq(frame, r.b, r.n);
}
END_TEST

START_TEST(test_proto_list_reply_empty)
{
    static const uint8_t types[] = {GDFS_MSG_NDTOCL_LIST,
                                    GDFS_MSG_NDTOCL_LOCATE,
                                    GDFS_MSG_NDTOCL_STATUS,
                                    GDFS_MSG_NDTOCL_VERSIONS};
    struct gdfs_list_entry le;
    struct gdfs_replica_entry re;
    struct gdfs_member_entry me;
    struct gdfs_version_entry ve;
    struct gdfs_msg m;
    size_t len, off;

    for (size_t i = 0; i < sizeof(types); i++) {
        len = build_list_reply(types[i], 0, false, "n1", frame, sizeof(frame));
        ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
        ck_assert_uint_eq(m.type, types[i]);
    }
    /* each iterator finds nothing in its empty body */
    len = build_list_reply(GDFS_MSG_NDTOCL_LIST, 0, false, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    off = 0;
    ck_assert_uint_eq(m.u.list_reply.body.count, 0);
    ck_assert(!gdfs_proto_next_list(&m.u.list_reply.body, &off, &le));
    len = build_list_reply(GDFS_MSG_NDTOCL_LOCATE, 0, false, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert(!gdfs_proto_next_replica(&m.u.locate_reply.body, &off, &re));
    len = build_list_reply(GDFS_MSG_NDTOCL_STATUS, 0, false, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert(!gdfs_proto_next_member(&m.u.status_reply.body, &off, &me));
    len = build_list_reply(GDFS_MSG_NDTOCL_VERSIONS, 0, false, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert(!gdfs_proto_next_version(&m.u.versions_reply.body, &off, &ve));
    ck_assert_uint_eq(off, 0);
}
END_TEST

/* ---- truncated and padded frames ----------------------------------------- */

/* Whether the frame in @f, cut to @plen payload bytes, is a whole frame
 * of an older node: cut exactly before an optional end (STATUS's
 * health/scrub tail or its ROOMS, HEALTH's ROOMS, APPEND_ACK's room,
 * APPEND's placement exclusions). */
static bool older_cut(const uint8_t *f, size_t len, size_t plen)
{
    struct gdfs_msg m;
    struct gdfs_gmsg *g = &gtmp;
    size_t have = len - HDR, rooms, tail;

    if (decode_frame(f, len, &m) != GDFS_OK)
        return false;
    switch (m.type) {
    case GDFS_MSG_NDTOCL_STATUS:
        if (!m.u.status_reply.has_tail)
            return false;
        rooms = 1 + m.u.status_reply.health.capacity.len;
        tail = 1 + 4 + 1 + 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8 * 4 + rooms;
        for (uint8_t i = 0; i < m.u.status_reply.health.nnames; i++)
            tail += 2 + m.u.status_reply.health.names[i].len;
        return plen == have - rooms || plen == have - tail;
    case GDFS_MSG_NDTOCL_HEALTH:
        return plen == have - 1 - m.u.health.capacity.len;
    case GDFS_MSG_NDTOND_GROUP:
        if (gdfs_proto_decode_group(m.u.group.raw.p, m.u.group.raw.len, g) !=
            GDFS_OK)
            return false;
        return (g->type == GDFS_GMSG_APPEND_ACK &&
                g->u.append_ack.room.known && plen == have - 3 * 8) ||
               (g->type == GDFS_GMSG_APPEND && g->u.append.hint &&
                plen == have - 2 * 8);
    }
    return false;
}

START_TEST(test_proto_truncated_payload_every_length)
{
    struct gdfs_msg m;
    size_t len, checked = 0;

    for (int i = 0; (len = sample_frame(i, frame)) != 0; i++) {
        ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
        /* every strict prefix, under a header that claims the prefix */
        for (size_t plen = 0; plen < len - HDR; plen++) {
            int rc = decode_payload(frame[5], frame + HDR, plen, &m);
            /* Cut exactly before an optional end: an older node's. */
            if (rc == GDFS_OK && older_cut(frame, len, plen))
                continue;
            if (rc != GDFS_EPROTO)
                ck_abort_msg("sample %d (%s): prefix %zu of %zu decoded", i,
                             gdfs_proto_type_name(frame[5]), plen, len - HDR);
            checked++;
        }
    }
    ck_assert_uint_gt(checked, 500);
}
END_TEST

START_TEST(test_proto_trailing_bytes_rejected)
{
    struct gdfs_msg m;
    size_t len;
    int n = 0;

    for (int i = 0; (len = sample_frame(i, frame)) != 0; i++, n++) {
        for (unsigned extra = 1; extra <= 3; extra++) {
            memset(frame + len, 0, extra);
            ck_assert_int_eq(decode_payload(frame[5], frame + HDR,
                                            len - HDR + extra, &m),
                             GDFS_EPROTO);
        }
    }
    ck_assert_int_ge(n, 21);
}
END_TEST

START_TEST(test_proto_hdr_len_matches_frame)
{
    /* the header's len is what a stream reader waits for: it must be the
     * exact payload size of every frame, list replies included */
    struct gdfs_frame_hdr hdr;
    size_t len;
    int n = 0;

    for (int i = 0; (len = sample_frame(i, frame)) != 0; i++, n++) {
        ck_assert_int_eq(gdfs_proto_decode_hdr(frame, GDFS_PROTO_MAX_PAYLOAD,
                                               &hdr),
                         GDFS_OK);
        ck_assert_uint_eq(HDR + hdr.len, len);
    }
    ck_assert_int_ge(n, 21);
}
END_TEST

START_TEST(test_proto_every_type_has_a_sample)
{
    bool seen[GDFS_MSG_TYPE_MAX + 1] = {false};
    size_t len;

    for (int i = 0; (len = sample_frame(i, frame)) != 0; i++)
        seen[frame[5]] = true;
    for (int t = 1; t <= GDFS_MSG_TYPE_MAX; t++)
        if (!seen[t] && !unassigned_type(t))
            ck_abort_msg("no sample for type %d", t);
}
END_TEST

START_TEST(test_proto_payload_for_other_type_rejected)
{
    /* the same payload under a wrong type rarely makes sense; a few cases
     * where the bytes certainly do not fit */
    struct gdfs_msg m;
    size_t len = sample_frame(5, frame); /* CHUNK */

    ck_assert_int_eq(decode_payload(GDFS_MSG_CLTOND_STATUS, frame + HDR,
                                    len - HDR, &m),
                     GDFS_EPROTO);
    ck_assert_int_eq(decode_payload(GDFS_MSG_NDTOCL_OK, frame + HDR, len - HDR,
                                    &m),
                     GDFS_EPROTO);
}
END_TEST

/* ---- names, ids, addresses ----------------------------------------------- */

START_TEST(test_proto_check_name_rules)
{
    uint8_t name[GDFS_NAME_MAX + 1];

    memset(name, 'n', sizeof(name));
    ck_assert_int_eq(gdfs_proto_check_name(name, 1), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_check_name(name, GDFS_NAME_MAX), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_check_name(name, 0), GDFS_ENAME);
    ck_assert_int_eq(gdfs_proto_check_name(name, GDFS_NAME_MAX + 1),
                     GDFS_ENAME);
    for (unsigned c = 0; c < 256; c++) {
        name[3] = (uint8_t)c;
        int want = (c < 0x20 || c == 0x7f) ? GDFS_ENAME : GDFS_OK;
        ck_assert_int_eq(gdfs_proto_check_name(name, 8), want);
    }
    ck_assert_int_eq(gdfs_proto_check_name((const uint8_t *)" ", 1), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_check_name((const uint8_t *)"a\nb", 3),
                     GDFS_ENAME);
}
END_TEST

START_TEST(test_proto_bad_names_rejected_by_decode)
{
    static const uint8_t types[] = {GDFS_MSG_CLTOND_PUT,
                                    GDFS_MSG_CLTOND_REMOVE,
                                    GDFS_MSG_CLTOND_LOCATE,
                                    GDFS_MSG_CLTOND_VERSIONS,
                                    GDFS_MSG_CLTOND_GET};
    static const struct {
        const char *p;
        size_t len;
    } bad[] = {{"", 0},     {"a\nb", 3},  {"a\0b", 3},
               {"\x7f", 1}, {"x\x1f", 2}, {"\t", 1}};
    static uint8_t longname[GDFS_NAME_MAX + 1];
    struct gdfs_msg m;
    struct raw r;

    memset(longname, 'L', sizeof(longname));
    for (size_t t = 0; t < sizeof(types); t++) {
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) + 1; i++) {
            const uint8_t *p = i < sizeof(bad) / sizeof(bad[0])
                                   ? (const uint8_t *)bad[i].p
                                   : longname;
            size_t n = i < sizeof(bad) / sizeof(bad[0]) ? bad[i].len
                                                        : sizeof(longname);
            raw_begin(&r, types[t]);
            if (types[t] == GDFS_MSG_CLTOND_GET)
                raw_u64(&r, 0);
            raw_u16(&r, (unsigned)n);
            raw_mem(&r, p, n);
            ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
        }
        /* and the same frame with a good name passes */
        raw_begin(&r, types[t]);
        if (types[t] == GDFS_MSG_CLTOND_GET)
            raw_u64(&r, 0);
        raw_str16(&r, "ok");
        ck_assert_int_eq(raw_decode(&r, &m), GDFS_OK);
    }
}
END_TEST

START_TEST(test_proto_bad_names_rejected_by_encode)
{
    static uint8_t longname[GDFS_NAME_MAX + 1];
    struct gdfs_msg m;
    size_t len = 0;

    memset(longname, 'L', sizeof(longname));
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_PUT;
    m.u.put.name = bn(longname, sizeof(longname));
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_ETOOBIG);
    m.u.put.name = bn(NULL, 0);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.put.name = bs("a\nb");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.put.name = bn((const uint8_t *)"a\0b", 3);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.put.name = bs("\x7f");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.type = GDFS_MSG_CLTOND_LIST;
    m.u.list.after = bs("bad\n");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
}
END_TEST

START_TEST(test_proto_list_after_name_rules)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_CLTOND_LIST);
    raw_u8(&r, 0);
    raw_u32(&r, 5);
    raw_str16(&r, "ok");
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_OK);
    raw_begin(&r, GDFS_MSG_CLTOND_LIST);
    raw_u8(&r, 0);
    raw_u32(&r, 5);
    raw_str16(&r, "a\rb");
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_check_node_id_rules)
{
    uint8_t id[GDFS_NODE_ID_MAX + 1];

    memset(id, 'a', sizeof(id));
    ck_assert_int_eq(gdfs_proto_check_node_id(id, 1), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_check_node_id(id, GDFS_NODE_ID_MAX), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_check_node_id(id, 0), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_proto_check_node_id(id, GDFS_NODE_ID_MAX + 1),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_proto_check_node_id((const uint8_t *)"Az09._-", 7),
                     GDFS_OK);
    for (unsigned c = 0; c < 256; c++) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        id[2] = (uint8_t)c;
        ck_assert_int_eq(gdfs_proto_check_node_id(id, 4),
                         ok ? GDFS_OK : GDFS_EINVAL);
    }
}
END_TEST

/* A LOCATE reply with one replica whose fields are given raw. */
static int locate_copy(const char *id, const char *addr, unsigned state,
                       unsigned copy)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOCL_LOCATE);
    raw_u64(&r, 1);
    raw_u64(&r, 1);
    raw_u64(&r, 10);
    raw_u8(&r, 1);
    raw_str8(&r, id);
    raw_str8(&r, addr);
    raw_u64(&r, 1);
    raw_u64(&r, 1);
    raw_u8(&r, state);
    raw_u8(&r, copy);
    return raw_decode(&r, &m);
}

static int locate_with(const char *id, const char *addr, unsigned state)
{
    return locate_copy(id, addr, state, GDFS_COPY_HELD);
}

/* A STATUS reply with one member, fields given raw, role and ring too. */
static int status_full(const char *id, const char *group, const char *leader,
                       unsigned role, const char *mid, const char *maddr,
                       unsigned state, unsigned ring)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOCL_STATUS);
    raw_str8(&r, id);
    raw_str8(&r, group);
    raw_str8(&r, leader);
    raw_u64(&r, 3);
    raw_u8(&r, role);
    raw_u16(&r, 1);
    raw_str8(&r, mid);
    raw_str8(&r, maddr);
    raw_u8(&r, state);
    raw_u8(&r, ring);
    return raw_decode(&r, &m);
}

static int status_with(const char *id, const char *group, const char *leader,
                       const char *mid, const char *maddr, unsigned state)
{
    return status_full(id, group, leader, 0, mid, maddr, state, 0);
}

START_TEST(test_proto_replica_fields_validated)
{
    char addr[GDFS_ADDR_MAX + 1];

    memset(addr, 'h', GDFS_ADDR_MAX);
    addr[GDFS_ADDR_MAX] = '\0';
    ck_assert_int_eq(locate_with("n1", "h:1", 0), GDFS_OK);
    ck_assert_int_eq(locate_with("n1", addr, GDFS_MEMBER_STATE_MAX), GDFS_OK);
    ck_assert_int_eq(locate_with("", "h:1", 0), GDFS_EPROTO);
    ck_assert_int_eq(locate_with("n/1", "h:1", 0), GDFS_EPROTO);
    ck_assert_int_eq(locate_with("n1", "", 0), GDFS_EPROTO);
    ck_assert_int_eq(locate_with("n1", "h 1", 0), GDFS_EPROTO);
    ck_assert_int_eq(locate_with("n1", "h\x7f", 0), GDFS_EPROTO);
    ck_assert_int_eq(locate_with("n1", "h\x80", 0), GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_bad_states_rejected)
{
    struct gdfs_proto_writer w;
    struct gdfs_replica_entry re = replica_entries[0];
    struct gdfs_member_entry me = member_entries[0];
    struct gdfs_msg m;

    for (unsigned s = GDFS_MEMBER_STATE_MAX + 1; s < 256; s += 17)
        ck_assert_int_eq(locate_with("n1", "h:1", s), GDFS_EPROTO);
    for (unsigned c = 0; c < 256; c += 17)
        ck_assert_int_eq(locate_copy("n1", "h:1", GDFS_MEMBER_ALIVE, c),
                         c <= GDFS_COPY_STATE_MAX ? GDFS_OK : GDFS_EPROTO);
    for (unsigned s = GDFS_STATUS_STATE_MAX + 1; s < 256; s += 17)
        ck_assert_int_eq(status_with("n1", "g", "n1", "n2", "h:2", s),
                         GDFS_EPROTO);
    /* unknown is a STATUS state only */
    ck_assert_int_eq(locate_with("n1", "h:1", GDFS_MEMBER_UNKNOWN),
                     GDFS_EPROTO);
    ck_assert_int_eq(status_with("n1", "g", "", "n2", "h:2",
                                 GDFS_MEMBER_UNKNOWN),
                     GDFS_OK);
    ck_assert_int_eq(status_with("n1", "g", "n1", "n2", "h:2",
                                 GDFS_STATUS_STATE_MAX + 1),
                     GDFS_EPROTO);

    /* and the writer refuses to produce them */
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LOCATE;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    re.state = GDFS_MEMBER_STATE_MAX + 1;
    ck_assert_int_eq(gdfs_proto_add_replica(&w, &re), GDFS_EINVAL);
    re.state = GDFS_MEMBER_ALIVE;
    re.copy = GDFS_COPY_STATE_MAX + 1;
    ck_assert_int_eq(gdfs_proto_add_replica(&w, &re), GDFS_EINVAL);
    ck_assert_uint_eq(w.count, 0);
    m.type = GDFS_MSG_NDTOCL_STATUS;
    m.u.status_reply.id = bs("n1");
    m.u.status_reply.group = bs("g");
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    me.state = 200;
    ck_assert_int_eq(gdfs_proto_add_member(&w, &me), GDFS_EINVAL);
    me.state = GDFS_STATUS_STATE_MAX + 1;
    ck_assert_int_eq(gdfs_proto_add_member(&w, &me), GDFS_EINVAL);
    ck_assert_uint_eq(w.count, 0);
}
END_TEST

START_TEST(test_proto_status_fields_validated)
{
    char group[GDFS_NODE_ID_MAX + 2];

    memset(group, 'g', sizeof(group));
    group[GDFS_NODE_ID_MAX] = '\0';
    ck_assert_int_eq(status_with("n1", "g", "n1", "n2", "h:2", 1), GDFS_OK);
    ck_assert_int_eq(status_with("n1", "g", "", "n2", "h:2", 1), GDFS_OK);
    ck_assert_int_eq(status_with("n1", group, "", "n2", "h:2", 1), GDFS_OK);
    group[GDFS_NODE_ID_MAX] = 'g';
    group[GDFS_NODE_ID_MAX + 1] = '\0';
    ck_assert_int_eq(status_with("n1", group, "", "n2", "h:2", 1),
                     GDFS_EPROTO);
    ck_assert_int_eq(status_with("", "g", "", "n2", "h:2", 1), GDFS_EPROTO);
    ck_assert_int_eq(status_with("n 1", "g", "", "n2", "h:2", 1), GDFS_EPROTO);
    ck_assert_int_eq(status_with("n1", "", "", "n2", "h:2", 1), GDFS_EPROTO);
    ck_assert_int_eq(status_with("n1", "a b", "", "n2", "h:2", 1),
                     GDFS_EPROTO);
    ck_assert_int_eq(status_with("n1", "g", "n:1", "n2", "h:2", 1),
                     GDFS_EPROTO);
    ck_assert_int_eq(status_with("n1", "g", "n1", "", "h:2", 1), GDFS_EPROTO);
    ck_assert_int_eq(status_with("n1", "g", "n1", "n2", "", 1), GDFS_EPROTO);
    ck_assert_int_eq(status_with("n1", "g", "n1", "n2", "h\t2", 1),
                     GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_writer_begin_status_validates)
{
    struct gdfs_proto_writer w;
    uint8_t longid[GDFS_NODE_ID_MAX + 1];
    struct gdfs_msg m;

    memset(longid, 'i', sizeof(longid));
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_STATUS;
    m.u.status_reply.id = bs("n1");
    m.u.status_reply.group = bs("g");
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    m.u.status_reply.leader = bs("bad leader");
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_EINVAL);
    m.u.status_reply.leader = bn(longid, sizeof(longid));
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_ETOOBIG);
    m.u.status_reply.leader = bs("");
    m.u.status_reply.id = bs("");
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_EINVAL);
    m.u.status_reply.id = bs("n1");
    m.u.status_reply.group = bs("");
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_EINVAL);
}
END_TEST

/* ---- per-message field rules --------------------------------------------- */

START_TEST(test_proto_error_rules)
{
    static uint8_t msg[GDFS_ERRMSG_MAX + 1];
    struct gdfs_msg m;
    struct raw r;
    size_t len = 0;

    raw_begin(&r, GDFS_MSG_NDTOCL_ERROR);
    raw_u32(&r, 0);
    raw_str16(&r, "x");
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);

    memset(msg, 'm', sizeof(msg));
    raw_begin(&r, GDFS_MSG_NDTOCL_ERROR);
    raw_u32(&r, GDFS_EIO);
    raw_u16(&r, GDFS_ERRMSG_MAX + 1);
    raw_mem(&r, msg, GDFS_ERRMSG_MAX + 1);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_ERROR;
    m.u.error.status = 0;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.error.status = GDFS_EIO;
    m.u.error.msg = bn(msg, GDFS_ERRMSG_MAX + 1);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_ETOOBIG);
}
END_TEST

START_TEST(test_proto_chunk_rules)
{
    struct gdfs_msg m;
    struct raw r;
    size_t len;

    /* len 0 */
    raw_begin(&r, GDFS_MSG_CHUNK);
    raw_u32(&r, 0);
    raw_mem(&r, sha_a, GDFS_SHA256_LEN);
    raw_u32(&r, 0);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    /* len says more than present, and less than present */
    raw_begin(&r, GDFS_MSG_CHUNK);
    raw_u32(&r, 0);
    raw_mem(&r, sha_a, GDFS_SHA256_LEN);
    raw_u32(&r, 4);
    raw_mem(&r, "abc", 3);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    raw_begin(&r, GDFS_MSG_CHUNK);
    raw_u32(&r, 0);
    raw_mem(&r, sha_a, GDFS_SHA256_LEN);
    raw_u32(&r, 2);
    raw_mem(&r, "abc", 3);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    /* huge len field with a tiny payload */
    raw_begin(&r, GDFS_MSG_CHUNK);
    raw_u32(&r, 0);
    raw_mem(&r, sha_a, GDFS_SHA256_LEN);
    raw_u32(&r, UINT32_MAX);
    raw_mem(&r, "abc", 3);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);

    /* len = GDFS_CHUNK_MAX + 1 with all the bytes present (fits in the
     * payload limit) */
    len = GDFS_PROTO_CHUNK_OVERHEAD + GDFS_CHUNK_MAX + 1;
    ck_assert_uint_le(len - HDR, GDFS_PROTO_MAX_PAYLOAD);
    memset(frame, 0, len);
    memcpy(frame, r.b, 12);
    frame[5] = GDFS_MSG_CHUNK;
    frame[12] = (uint8_t)((len - HDR) >> 24);
    frame[13] = (uint8_t)((len - HDR) >> 16);
    frame[14] = (uint8_t)((len - HDR) >> 8);
    frame[15] = (uint8_t)(len - HDR);
    frame[HDR + 36] = (uint8_t)((GDFS_CHUNK_MAX + 1) >> 24);
    frame[HDR + 37] = (uint8_t)((GDFS_CHUNK_MAX + 1) >> 16);
    frame[HDR + 38] = (uint8_t)((GDFS_CHUNK_MAX + 1) >> 8);
    frame[HDR + 39] = (uint8_t)(GDFS_CHUNK_MAX + 1);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_EPROTO);
    /* the same frame one byte shorter is a valid maximal chunk */
    len--;
    frame[15]--;
    frame[HDR + 39]--;
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.chunk.data.len, GDFS_CHUNK_MAX);

    /* encode refuses the same */
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CHUNK;
    m.u.chunk.data = bn(frame2, 0);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.chunk.data = bn(frame2, GDFS_CHUNK_MAX + 1);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_ETOOBIG);
}
END_TEST

static int put_ready_with(uint32_t chunk_size)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOCL_PUT_READY);
    raw_u32(&r, chunk_size);
    raw_u64(&r, 1);
    raw_u64(&r, 1);
    return raw_decode(&r, &m);
}

START_TEST(test_proto_put_ready_chunk_size_range)
{
    struct gdfs_msg m;
    size_t len;

    ck_assert_int_eq(put_ready_with(GDFS_CHUNK_MIN), GDFS_OK);
    ck_assert_int_eq(put_ready_with(GDFS_CHUNK_MAX), GDFS_OK);
    ck_assert_int_eq(put_ready_with(GDFS_CHUNK_MIN - 1), GDFS_EPROTO);
    ck_assert_int_eq(put_ready_with(GDFS_CHUNK_MAX + 1), GDFS_EPROTO);
    ck_assert_int_eq(put_ready_with(0), GDFS_EPROTO);
    ck_assert_int_eq(put_ready_with(UINT32_MAX), GDFS_EPROTO);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_PUT_READY;
    m.u.put_ready.chunk_size = GDFS_CHUNK_MIN - 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.put_ready.chunk_size = GDFS_CHUNK_MAX + 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_ETOOBIG);
}
END_TEST

static int get_info_with(uint64_t size, uint32_t chunk_size, uint32_t n)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOCL_GET_INFO);
    raw_u64(&r, 1);
    raw_u64(&r, 1);
    raw_u64(&r, size);
    raw_u32(&r, chunk_size);
    raw_u32(&r, n);
    raw_mem(&r, sha_a, GDFS_SHA256_LEN);
    return raw_decode(&r, &m);
}

START_TEST(test_proto_get_info_consistency)
{
    const uint32_t cs = 65536;
    struct gdfs_msg m;
    size_t len;

    ck_assert_int_eq(get_info_with(0, cs, 0), GDFS_OK);
    ck_assert_int_eq(get_info_with(0, cs, 1), GDFS_EPROTO);
    ck_assert_int_eq(get_info_with(1, cs, 0), GDFS_EPROTO);
    ck_assert_int_eq(get_info_with(1, cs, 1), GDFS_OK);
    ck_assert_int_eq(get_info_with(cs, cs, 1), GDFS_OK);
    ck_assert_int_eq(get_info_with(cs, cs, 2), GDFS_EPROTO);
    ck_assert_int_eq(get_info_with(cs + 1, cs, 1), GDFS_EPROTO);
    ck_assert_int_eq(get_info_with(cs + 1, cs, 2), GDFS_OK);
    /* a chunk count that does not fit in 32 bits never matches */
    ck_assert_int_eq(get_info_with(UINT64_MAX, GDFS_CHUNK_MIN, UINT32_MAX),
                     GDFS_EPROTO);
    ck_assert_int_eq(get_info_with((uint64_t)UINT32_MAX * GDFS_CHUNK_MIN + 1,
                                   GDFS_CHUNK_MIN, 0),
                     GDFS_EPROTO);
    /* chunk size range */
    ck_assert_int_eq(get_info_with(0, 0, 0), GDFS_EPROTO);
    ck_assert_int_eq(get_info_with(0, GDFS_CHUNK_MIN - 1, 0), GDFS_EPROTO);
    ck_assert_int_eq(get_info_with(0, GDFS_CHUNK_MAX + 1, 0), GDFS_EPROTO);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_GET_INFO;
    m.u.get_info.size = 10;
    m.u.get_info.chunk_size = cs;
    m.u.get_info.nchunks = 2;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
}
END_TEST

static int put_end_with(uint64_t size, uint32_t n)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_CLTOND_PUT_END);
    raw_u64(&r, size);
    raw_u32(&r, n);
    raw_mem(&r, sha_a, GDFS_SHA256_LEN);
    return raw_decode(&r, &m);
}

START_TEST(test_proto_put_end_shape)
{
    /* PUT_END has no chunk size: nchunks must fit some chunk size in
     * range, all chunks full but the last */
    const uint64_t min = GDFS_CHUNK_MIN, max = GDFS_CHUNK_MAX;
    struct gdfs_msg m;
    size_t len;

    ck_assert_int_eq(put_end_with(0, 0), GDFS_OK);
    ck_assert_int_eq(put_end_with(0, 1), GDFS_EPROTO);
    ck_assert_int_eq(put_end_with(0, 5), GDFS_EPROTO);
    ck_assert_int_eq(put_end_with(1, 0), GDFS_EPROTO);
    ck_assert_int_eq(put_end_with(UINT64_MAX, 0), GDFS_EPROTO);
    ck_assert_int_eq(put_end_with(1, 1), GDFS_OK);
    ck_assert_int_eq(put_end_with(max, 1), GDFS_OK);
    ck_assert_int_eq(put_end_with(max + 1, 1), GDFS_EPROTO);
    /* 3 chunks: more than 2 full small ones, at most 3 large ones */
    ck_assert_int_eq(put_end_with(2 * min, 3), GDFS_EPROTO);
    ck_assert_int_eq(put_end_with(2 * min + 1, 3), GDFS_OK);
    ck_assert_int_eq(put_end_with(3 * max, 3), GDFS_OK);
    ck_assert_int_eq(put_end_with(3 * max + 1, 3), GDFS_EPROTO);
    /* the limits of 32-bit counts, without overflow */
    ck_assert_int_eq(put_end_with(GDFS_SIZE_MAX, UINT32_MAX), GDFS_OK);
    ck_assert_int_eq(put_end_with(GDFS_SIZE_MAX + 1, UINT32_MAX), GDFS_EPROTO);
    ck_assert_int_eq(put_end_with(UINT64_MAX, UINT32_MAX), GDFS_EPROTO);
    ck_assert_int_eq(put_end_with((uint64_t)(UINT32_MAX - 1) * min,
                                  UINT32_MAX),
                     GDFS_EPROTO);
    ck_assert_int_eq(put_end_with(1000, 2), GDFS_EPROTO);

    /* nothing is sent that the node refuses */
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_PUT_END;
    m.u.put_end.size = 0;
    m.u.put_end.nchunks = 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.put_end.size = max + 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.put_end.nchunks = 2;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
}
END_TEST

START_TEST(test_proto_shape_rule)
{
    const uint32_t cs = 65536;

    ck_assert(gdfs_proto_valid_shape(0, cs, 0));
    ck_assert(!gdfs_proto_valid_shape(0, cs, 1));
    ck_assert(gdfs_proto_valid_shape(1, cs, 1));
    ck_assert(gdfs_proto_valid_shape(cs, cs, 1));
    ck_assert(!gdfs_proto_valid_shape(cs, cs, 2));
    ck_assert(gdfs_proto_valid_shape(cs + 1, cs, 2));
    /* chunk size 0: no bytes, no chunks */
    ck_assert(gdfs_proto_valid_shape(0, 0, 0));
    ck_assert(!gdfs_proto_valid_shape(1, 0, 1));
    ck_assert(!gdfs_proto_valid_shape(0, 0, 1));
    /* at most GDFS_SIZE_MAX; a count over 32 bits never matches */
    ck_assert(
        gdfs_proto_valid_shape(GDFS_SIZE_MAX, GDFS_CHUNK_MAX, UINT32_MAX));
    ck_assert(!gdfs_proto_valid_shape(GDFS_SIZE_MAX + 1, GDFS_CHUNK_MAX,
                                      UINT32_MAX));
    ck_assert(!gdfs_proto_valid_shape(UINT64_MAX, GDFS_CHUNK_MAX, 0));
    ck_assert(!gdfs_proto_valid_shape(UINT64_MAX, 1, UINT32_MAX));
    /* chunk lengths */
    ck_assert_uint_eq(gdfs_proto_chunk_len(cs + 1, cs, 2, 0), cs);
    ck_assert_uint_eq(gdfs_proto_chunk_len(cs + 1, cs, 2, 1), 1);
    ck_assert_uint_eq(gdfs_proto_chunk_len(cs, cs, 1, 0), cs);
    ck_assert_uint_eq(gdfs_proto_chunk_len(GDFS_SIZE_MAX, GDFS_CHUNK_MAX,
                                           UINT32_MAX, UINT32_MAX - 1),
                      GDFS_CHUNK_MAX);
}
END_TEST

START_TEST(test_proto_list_scope_and_booleans)
{
    struct gdfs_msg m;
    struct raw r;
    size_t len;

    for (unsigned scope = 0; scope < 4; scope++) {
        raw_begin(&r, GDFS_MSG_CLTOND_LIST);
        raw_u8(&r, scope);
        raw_u32(&r, 5);
        raw_u16(&r, 0);
        ck_assert_int_eq(raw_decode(&r, &m),
                         scope <= 1 ? GDFS_OK : GDFS_EPROTO);
    }
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_LIST;
    m.u.list.scope = 2;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);

    /* LIST reply more byte must be 0 or 1 */
    for (unsigned more = 0; more < 4; more++) {
        raw_begin(&r, GDFS_MSG_NDTOCL_LIST);
        raw_u8(&r, more);
        raw_u32(&r, 0);
        ck_assert_int_eq(raw_decode(&r, &m),
                         more <= 1 ? GDFS_OK : GDFS_EPROTO);
        if (more <= 1)
            ck_assert(m.u.list_reply.more == (more == 1));
    }
    /* VERSIONS tombstone byte must be 0 or 1 */
    for (unsigned tomb = 0; tomb < 4; tomb++) {
        raw_begin(&r, GDFS_MSG_NDTOCL_VERSIONS);
        raw_u16(&r, 1);
        raw_u64(&r, 1);
        raw_u64(&r, 1);
        raw_u64(&r, 1);
        raw_u8(&r, tomb);
        ck_assert_int_eq(raw_decode(&r, &m),
                         tomb <= 1 ? GDFS_OK : GDFS_EPROTO);
    }
}
END_TEST

START_TEST(test_proto_list_reply_bad_entry_rejected)
{
    /* one bad name among good entries fails the whole frame at decode time,
     * so the iterators never see it */
    struct gdfs_msg m;
    struct raw r;
    static const char *const names[] = {"good", "", "bad\n", "ok2"};

    for (size_t bad = 1; bad <= 2; bad++) {
        raw_begin(&r, GDFS_MSG_NDTOCL_LIST);
        raw_u8(&r, 0);
        raw_u32(&r, 3);
        for (size_t i = 0; i < 4; i++) {
            if (i != 0 && i != 3 && i != bad)
                continue;
            raw_str16(&r, names[i]);
            raw_u64(&r, 1);
            raw_u64(&r, 2);
            raw_u64(&r, 3);
            raw_u8(&r, 3);
        }
        ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    }
}
END_TEST

START_TEST(test_proto_list_reply_count_mismatch)
{
    struct gdfs_msg m;
    size_t len = sample_frame(12, frame); /* LIST reply, 3 entries */

    /* count 2 with 3 entries present: trailing bytes */
    frame[HDR + 4] = 2;
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_EPROTO);
    /* count 4 with 3 entries present: truncated */
    frame[HDR + 4] = 4;
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_EPROTO);
    /* huge count */
    frame[HDR + 1] = 0xff;
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_EPROTO);
    frame[HDR + 1] = 0;
    frame[HDR + 4] = 3;
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
}
END_TEST

/* ---- encode -------------------------------------------------------------- */

START_TEST(test_proto_encode_small_buffer)
{
    struct gdfs_msg m;
    size_t len, full;

    for (int i = 0; (full = sample_frame(i, frame2)) != 0; i++) {
        uint8_t type = frame2[5];
        if (type == GDFS_MSG_NDTOCL_LIST || type == GDFS_MSG_NDTOCL_LOCATE ||
            type == GDFS_MSG_NDTOCL_STATUS ||
            type == GDFS_MSG_NDTOCL_VERSIONS ||
            type == GDFS_MSG_NDTOND_META_SYNC ||
            type == GDFS_MSG_NDTOND_INV_LIST ||
            type == GDFS_MSG_NDTOND_LOG_APPEND ||
            type == GDFS_MSG_NDTOND_GROUP) /* group: own test below */
            continue;
        ck_assert_int_eq(decode_frame(frame2, full, &m), GDFS_OK);
        for (size_t cap = 0; cap < full; cap++) {
            len = 12345;
            ck_assert_int_eq(gdfs_proto_encode(&m, frame, cap, &len),
                             GDFS_ETOOBIG);
            ck_assert_uint_eq(len, 12345);
        }
        ck_assert_int_eq(gdfs_proto_encode(&m, frame, full, &len), GDFS_OK);
        ck_assert_uint_eq(len, full);
        ck_assert_mem_eq(frame, frame2, full);
    }
}
END_TEST

START_TEST(test_proto_encode_rejects_list_replies_and_unknown)
{
    static const uint8_t types[] = {GDFS_MSG_NDTOCL_LIST,
                                    GDFS_MSG_NDTOCL_LOCATE,
                                    GDFS_MSG_NDTOCL_STATUS,
                                    GDFS_MSG_NDTOCL_VERSIONS,
                                    GDFS_MSG_NDTOND_META_SYNC,
                                    GDFS_MSG_NDTOND_INV_LIST,
                                    GDFS_MSG_NDTOND_GROUP,
                                    0,
                                    26, /* retired META_LIST */
                                    GDFS_MSG_TYPE_MAX + 1,
                                    255};
    struct gdfs_msg m;
    size_t len;

    memset(&m, 0, sizeof(m));
    m.u.status_reply.id = bs("n1");
    m.u.status_reply.group = bs("g");
    for (size_t i = 0; i < sizeof(types); i++) {
        m.type = types[i];
        ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                         GDFS_EINVAL);
    }
}
END_TEST

START_TEST(test_proto_encode_chunk_hdr_matches_encode)
{
    struct gdfs_msg m, out;
    size_t len;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CHUNK;
    m.reqid = 0x55667788;
    m.u.chunk.idx = 31;
    memcpy(m.u.chunk.sha256, sha_a, GDFS_SHA256_LEN);
    m.u.chunk.data = bs(chunk_data);
    len = encode_ok(&m, frame2);
    ck_assert_uint_eq(len, GDFS_PROTO_CHUNK_OVERHEAD + strlen(chunk_data));

    memset(frame, 0xee, sizeof(frame[0]) * 256);
    gdfs_proto_encode_chunk_hdr(frame, 0x55667788, 31, sha_a,
                                (uint32_t)strlen(chunk_data));
    ck_assert_uint_eq(frame[GDFS_PROTO_CHUNK_OVERHEAD], 0xee); /* no spill */
    ck_assert_mem_eq(frame, frame2, GDFS_PROTO_CHUNK_OVERHEAD);
    memcpy(frame + GDFS_PROTO_CHUNK_OVERHEAD, chunk_data, strlen(chunk_data));
    ck_assert_int_eq(decode_frame(frame, len, &out), GDFS_OK);
    ck_assert_uint_eq(out.u.chunk.idx, 31);
    ck_assert_bytes_eq(out.u.chunk.data, m.u.chunk.data);
}
END_TEST

/* ---- list writer --------------------------------------------------------- */

START_TEST(test_proto_writer_begin_rejects_other_types)
{
    struct gdfs_proto_writer w;
    struct gdfs_msg m;
    size_t len;

    memset(&m, 0, sizeof(m));
    for (unsigned t = 0; t < 256; t++) {
        m.type = (uint8_t)t;
        m.u.status_reply.id = bs("n1");
        m.u.status_reply.group = bs("g");
        bool list = t == GDFS_MSG_NDTOCL_LIST || t == GDFS_MSG_NDTOCL_LOCATE ||
                    t == GDFS_MSG_NDTOCL_STATUS ||
                    t == GDFS_MSG_NDTOCL_VERSIONS ||
                    t == GDFS_MSG_NDTOND_META_SYNC || /* term: id's bytes */
                    t == GDFS_MSG_NDTOND_INV_LIST ||
                    t == GDFS_MSG_NDTOND_LOG_APPEND;
        ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                         list ? GDFS_OK : GDFS_EINVAL);
        if (!list)
            ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len),
                             GDFS_EINVAL);
    }
}
END_TEST

START_TEST(test_proto_writer_begin_small_buffer)
{
    struct gdfs_proto_writer w;
    struct gdfs_msg m;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LIST;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, HDR + 4, &m),
                     GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, HDR + 5, &m), GDFS_OK);
    m.type = GDFS_MSG_NDTOCL_LOCATE;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, HDR + 24, &m),
                     GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, HDR + 25, &m),
                     GDFS_OK);
}
END_TEST

START_TEST(test_proto_writer_add_wrong_kind)
{
    struct gdfs_proto_writer w;
    struct gdfs_msg m;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_VERSIONS;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_proto_add_list(&w, &list_entries[0]), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_proto_add_replica(&w, &replica_entries[0]),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_proto_add_member(&w, &member_entries[0]),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_proto_add_version(&w, &version_entries[0]), GDFS_OK);
    ck_assert_uint_eq(w.count, 1);
}
END_TEST

START_TEST(test_proto_writer_overflow_leaves_frame)
{
    static uint8_t snap[4096];
    struct gdfs_proto_writer w;
    struct gdfs_list_entry e;
    struct gdfs_msg m;
    char name[32];
    size_t len = 0, off = 0, cap = 300, wlen;
    uint32_t added = 0, i = 0;
    int rc;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LIST;
    m.reqid = 4;
    memset(frame, 0xcc, cap + 64);
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, cap, &m), GDFS_OK);
    for (;;) {
        snprintf(name, sizeof(name), "file-%03u", added);
        e = list_entries[0];
        e.name = bs(name);
        e.size = added;
        memcpy(snap, frame, cap);
        wlen = w.len;
        rc = gdfs_proto_add_list(&w, &e);
        if (rc != GDFS_OK)
            break;
        added++;
        ck_assert_uint_le(w.len, cap);
    }
    ck_assert_int_eq(rc, GDFS_ETOOBIG);
    ck_assert_uint_gt(added, 3);
    ck_assert_uint_eq(w.count, added);
    ck_assert_uint_eq(w.len, wlen);
    ck_assert_mem_eq(frame, snap, wlen); /* frame unchanged */
    ck_assert_uint_eq(frame[cap], 0xcc); /* nothing past cap */
    ck_assert_int_eq(gdfs_proto_add_list(&w, &e), GDFS_ETOOBIG); /* again */
    ck_assert_uint_eq(w.len, wlen);

    ck_assert_int_eq(gdfs_proto_writer_finish(&w, true, &len), GDFS_OK);
    ck_assert_uint_eq(len, wlen);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert(m.u.list_reply.more);
    ck_assert_uint_eq(m.u.list_reply.body.count, added);
    while (gdfs_proto_next_list(&m.u.list_reply.body, &off, &e)) {
        snprintf(name, sizeof(name), "file-%03u", i);
        ck_assert_bytes_eq(e.name, bs(name));
        ck_assert_uint_eq(e.size, i);
        i++;
    }
    ck_assert_uint_eq(i, added);
}
END_TEST

START_TEST(test_proto_writer_count_max)
{
    struct gdfs_proto_writer w;
    struct gdfs_replica_entry e = replica_entries[0], got;
    struct gdfs_msg m;
    size_t len = 0, off = 0;
    uint32_t n = 0;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LOCATE;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    for (int i = 0; i < 255; i++) {
        e.version.seq = (uint64_t)i;
        ck_assert_int_eq(gdfs_proto_add_replica(&w, &e), GDFS_OK);
    }
    ck_assert_int_eq(gdfs_proto_add_replica(&w, &e), GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len), GDFS_OK);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.locate_reply.body.count, 255);
    while (gdfs_proto_next_replica(&m.u.locate_reply.body, &off, &got))
        ck_assert_uint_eq(got.version.seq, n++);
    ck_assert_uint_eq(n, 255);

    /* VERSIONS: 65535 entries */
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_VERSIONS;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    for (int i = 0; i < 65535; i++)
        ck_assert_int_eq(gdfs_proto_add_version(&w, &version_entries[0]),
                         GDFS_OK);
    ck_assert_int_eq(gdfs_proto_add_version(&w, &version_entries[0]),
                     GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len), GDFS_OK);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.versions_reply.body.count, 65535);
}
END_TEST

START_TEST(test_proto_writer_payload_limit)
{
    /* a buffer larger than any frame: the payload limit stops the writer */
    static uint8_t name[GDFS_NAME_MAX];
    struct gdfs_proto_writer w;
    struct gdfs_list_entry e = list_entries[0];
    struct gdfs_msg m;
    size_t len = 0;
    uint32_t added = 0;

    memset(name, 'q', sizeof(name));
    e.name = bn(name, sizeof(name));
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LIST;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    while (gdfs_proto_add_list(&w, &e) == GDFS_OK)
        added++;
    ck_assert_uint_le(w.len - HDR, GDFS_PROTO_MAX_PAYLOAD);
    ck_assert_uint_gt(w.len - HDR + 2 + sizeof(name) + 25,
                      GDFS_PROTO_MAX_PAYLOAD);
    ck_assert_uint_lt(w.len + 2 + sizeof(name) + 25, sizeof(frame));
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, true, &len), GDFS_OK);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.list_reply.body.count, added);
    ck_assert(m.u.list_reply.more);
}
END_TEST

/* The header's len field of frame @f. */
static void set_len(uint8_t *f, uint32_t len)
{
    f[12] = (uint8_t)(len >> 24);
    f[13] = (uint8_t)(len >> 16);
    f[14] = (uint8_t)(len >> 8);
    f[15] = (uint8_t)len;
}

START_TEST(test_proto_meta_sync_page_limit)
{
    /* a META_SYNC payload is at most GDFS_META_PAGE_MAX: refused at the
     * header (before the payload is read) and by decode, and the writer
     * stops there however large its buffer */
    struct gdfs_proto_writer w;
    struct gdfs_frame_hdr hdr;
    struct gdfs_record rec;
    struct gdfs_msg m;
    size_t len = 0;
    uint32_t added = 0;
    int rc;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_META_SYNC;
    m.u.meta_sync.term = 3;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    make_record(0, &rec);
    while ((rc = gdfs_proto_add_record(&w, &rec)) == GDFS_OK)
        added++;
    ck_assert_int_eq(rc, GDFS_ETOOBIG);
    ck_assert_uint_gt(added, 100);
    ck_assert_uint_le(w.len - HDR, GDFS_META_PAGE_MAX);
    /* term:64 complete:64 more:8 count:32, then records of one size */
    ck_assert_uint_gt(w.len - HDR + (w.len - HDR - 21) / added,
                      GDFS_META_PAGE_MAX);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, true, &len), GDFS_OK);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.meta_sync.body.count, added);

    /* one byte more: the header is refused whatever the node's limit */
    set_len(frame, GDFS_META_PAGE_MAX + 1);
    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, GDFS_PROTO_MAX_PAYLOAD,
                                           &hdr),
                     GDFS_EPROTO);
    hdr.type = GDFS_MSG_NDTOND_META_SYNC;
    hdr.flags = 0;
    hdr.reqid = 0;
    hdr.len = GDFS_META_PAGE_MAX + 1;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + HDR, &m), GDFS_EPROTO);
    /* other messages keep the frame limit */
    frame[5] = GDFS_MSG_NDTOCL_LIST;
    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, GDFS_PROTO_MAX_PAYLOAD,
                                           &hdr),
                     GDFS_OK);
}
END_TEST

START_TEST(test_proto_writer_rejects_invalid_entries)
{
    struct gdfs_proto_writer w;
    struct gdfs_list_entry le = list_entries[0];
    struct gdfs_replica_entry re = replica_entries[0];
    struct gdfs_msg m;
    size_t len = 0;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LIST;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    le.name = bs("x\ny");
    ck_assert_int_eq(gdfs_proto_add_list(&w, &le), GDFS_EINVAL);
    le.name = bs("");
    ck_assert_int_eq(gdfs_proto_add_list(&w, &le), GDFS_EINVAL);
    ck_assert_uint_eq(w.count, 0);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len), GDFS_OK);
    ck_assert_uint_eq(len, HDR + 5);

    m.type = GDFS_MSG_NDTOCL_LOCATE;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    re.id = bs("bad id");
    ck_assert_int_eq(gdfs_proto_add_replica(&w, &re), GDFS_EINVAL);
    re = replica_entries[0];
    re.addr = bs("");
    ck_assert_int_eq(gdfs_proto_add_replica(&w, &re), GDFS_EINVAL);
    ck_assert_uint_eq(w.count, 0);
}
END_TEST

/* ---- iterators ----------------------------------------------------------- */

START_TEST(test_proto_iterator_stops_and_keeps_offset)
{
    struct gdfs_version_entry e;
    struct gdfs_msg m;
    size_t len, off = 0;
    int n = 0;

    len = build_list_reply(GDFS_MSG_NDTOCL_VERSIONS, NVERSION, false, "",
                           frame, sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.versions_reply.body.len, NVERSION * 25);
    while (gdfs_proto_next_version(&m.u.versions_reply.body, &off, &e)) {
        n++;
        ck_assert_uint_eq(off, (size_t)n * 25);
    }
    ck_assert_int_eq(n, (int)NVERSION);
    /* past the end it keeps answering false without moving */
    ck_assert(!gdfs_proto_next_version(&m.u.versions_reply.body, &off, &e));
    ck_assert_uint_eq(off, NVERSION * 25);
    /* restarting from 0 gives the first entry again */
    off = 0;
    ck_assert(gdfs_proto_next_version(&m.u.versions_reply.body, &off, &e));
    ck_assert_uint_eq(e.version.seq, version_entries[0].version.seq);
}
END_TEST

START_TEST(test_proto_iterator_body_points_into_payload)
{
    struct gdfs_list_entry e;
    struct gdfs_msg m;
    size_t len, off = 0;

    len = build_list_reply(GDFS_MSG_NDTOCL_LIST, NLIST, false, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_ptr_eq(m.u.list_reply.body.p, held + 5);
    ck_assert_uint_eq(m.u.list_reply.body.len, len - HDR - 5);
    ck_assert(gdfs_proto_next_list(&m.u.list_reply.body, &off, &e));
    ck_assert_ptr_eq(e.name.p, held + 5 + 2);
}
END_TEST

START_TEST(test_proto_iterator_on_foreign_body_is_safe)
{
    /* an iterator used on a body it was not made for, or on raw garbage,
     * stops instead of reading outside the body */
    static const uint8_t junk[] = {0xff, 0xff, 1, 2, 3};
    struct gdfs_list_body b = {junk, sizeof(junk), 1};
    struct gdfs_list_entry le;
    struct gdfs_member_entry me;
    struct gdfs_version_entry ve;
    struct gdfs_record rec;
    size_t off = 0;

    ck_assert(!gdfs_proto_next_list(&b, &off, &le));
    ck_assert(!gdfs_proto_next_member(&b, &off, &me));
    ck_assert(!gdfs_proto_next_version(&b, &off, &ve));
    ck_assert(!gdfs_proto_next_record(&b, &off, &rec));
    ck_assert_uint_eq(off, 0);
    off = 1000;
    ck_assert(!gdfs_proto_next_list(&b, &off, &le));
}
END_TEST

/* ---- STATUS role and ring, LEAVE ------------------------------------------ */

START_TEST(test_proto_status_role_and_ring)
{
    struct gdfs_proto_writer w;
    struct gdfs_member_entry me = member_entries[0], got;
    struct gdfs_msg m;
    size_t len = 0, off = 0;

    for (unsigned role = 0; role <= 5; role++)
        ck_assert_int_eq(status_full("n1", "g", "", role, "n2", "h:2", 0, 0),
                         GDFS_OK);
    for (unsigned role = 6; role < 256; role += 25)
        ck_assert_int_eq(status_full("n1", "g", "", role, "n2", "h:2", 0, 0),
                         GDFS_EPROTO);
    for (unsigned ring = 0; ring < 256; ring++)
        ck_assert_int_eq(status_full("n1", "g", "", 1, "n2", "h:2", 0, ring),
                         ring <= (GDFS_RING_TO | GDFS_RING_FROM)
                             ? GDFS_OK
                             : GDFS_EPROTO);

    /* the writer refuses the same, and writes role and ring where the
     * layout says */
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_STATUS;
    m.u.status_reply.id = bs("n1");
    m.u.status_reply.group = bs("g");
    m.u.status_reply.role = 6;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_EINVAL);
    m.u.status_reply.role = 5;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    ck_assert_uint_eq(frame[HDR + 2 + 2 + 1 + 1 + 8], 5);
    me.ring = 4;
    ck_assert_int_eq(gdfs_proto_add_member(&w, &me), GDFS_EINVAL);
    me.ring = 0x80 | GDFS_RING_TO;
    ck_assert_int_eq(gdfs_proto_add_member(&w, &me), GDFS_EINVAL);
    ck_assert_uint_eq(w.count, 0);
    me.ring = GDFS_RING_FROM;
    ck_assert_int_eq(gdfs_proto_add_member(&w, &me), GDFS_OK);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len), GDFS_OK);
    ck_assert_uint_eq(frame[len - 1], GDFS_RING_FROM);
    ck_assert_uint_eq(frame[len - 2], me.state);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.status_reply.role, 5);
    ck_assert(gdfs_proto_next_member(&m.u.status_reply.body, &off, &got));
    ck_assert_uint_eq(got.ring, GDFS_RING_FROM);
    ck_assert(!gdfs_proto_next_member(&m.u.status_reply.body, &off, &got));
}
END_TEST

START_TEST(test_proto_roundtrip_leave)
{
    struct gdfs_msg in, out;
    struct raw r;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_CLTOND_LEAVE;
    in.reqid = 0x19191919;
    ck_assert_uint_eq(encode_ok(&in, frame), HDR);
    ck_assert_uint_eq(frame[5], GDFS_MSG_CLTOND_LEAVE);
    roundtrip(&in, &out);
    ck_assert_uint_eq(out.reqid, 0x19191919);
    /* the payload must be empty */
    raw_begin(&r, GDFS_MSG_CLTOND_LEAVE);
    raw_u8(&r, 0);
    ck_assert_int_eq(raw_decode(&r, &out), GDFS_EPROTO);
}
END_TEST

/* ---- group messages ------------------------------------------------------- */

/* Raw group frame start: the common fields (term 9). */
static void raw_gbegin(struct raw *r, unsigned kind, const char *from,
                       const char *group)
{
    raw_begin(r, GDFS_MSG_NDTOND_GROUP);
    raw_u8(r, kind);
    raw_str8(r, from);
    raw_str8(r, group);
    raw_u64(r, 9);
}

/* APPEND up to the member count (sent_at 1, committed (2,3), set group
 * @group, version (4,5)). */
static void raw_append(struct raw *r, const char *group, unsigned count)
{
    raw_gbegin(r, GDFS_GMSG_APPEND, "n1", "g");
    raw_u64(r, 1);
    raw_u64(r, 2);
    raw_u64(r, 3);
    raw_str8(r, group);
    raw_u64(r, 4);
    raw_u64(r, 5);
    raw_u8(r, count);
}

static void raw_gmember(struct raw *r, const char *id, const char *addr,
                        unsigned state)
{
    raw_str8(r, id);
    raw_str8(r, addr);
    raw_u8(r, state);
    raw_u64(r, 6);
    raw_u64(r, 7);
}

/* Decode a raw group frame both ways (gdfs_proto_decode and
 * gdfs_proto_decode_group), which must agree; a refused message leaves
 * gout zeroed. Returns the result. */
static int raw_gdecode(struct raw *r)
{
    struct gdfs_msg m;
    int rc, rc2;

    raw_end(r);
    rc = decode_frame(r->b, r->n, &m);
    memset(&gout, 0xa5, sizeof(gout));
    rc2 = gdfs_proto_decode_group(held, r->n - HDR, &gout);
    ck_assert_int_eq(rc, rc2);
    if (rc2 != GDFS_OK) {
        ck_assert_uint_eq(gout.type, 0);
        ck_assert_uint_eq(gout.from[0], 0);
        ck_assert_uint_eq(gout.u.append.set.n, 0);
    }
    return rc;
}

/* APPEND's optional tail: absent (an older leader) means no hint; the
 * masks name members of the message's own set only. */
START_TEST(test_proto_group_append_hint)
{
    struct raw r;
    size_t len;

    raw_append(&r, "g", 2);
    raw_gmember(&r, "n1", "h:1", 0);
    raw_gmember(&r, "n2", "h:2", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);
    ck_assert(!gout.u.append.hint);
    for (int k = 0; k < 4; k++) {
        /* full, drain: members 0 and 1 may be named, member 2 not */
        static const uint64_t full[] = {3, 0, 4, 1},
                              drain[] = {0, 2, 0, 1ull << 63};

        raw_append(&r, "g", 2);
        raw_gmember(&r, "n1", "h:1", 0);
        raw_gmember(&r, "n2", "h:2", 0);
        raw_u64(&r, full[k]);
        raw_u64(&r, drain[k]);
        ck_assert_int_eq(raw_gdecode(&r), k < 2 ? GDFS_OK : GDFS_EPROTO);
        if (k < 2) {
            ck_assert(gout.u.append.hint);
            ck_assert_uint_eq(gout.u.append.full, full[k]);
            ck_assert_uint_eq(gout.u.append.drain, drain[k]);
        }
    }
    /* half a tail */
    raw_append(&r, "g", 1);
    raw_gmember(&r, "n1", "h:1", 0);
    raw_u64(&r, 1);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    /* and nothing is sent that a member refuses */
    make_gmsg(GDFS_GMSG_APPEND, 3, &gin);
    gin.u.append.drain = 1ull << 3;
    ck_assert_int_eq(gdfs_proto_encode_group(&gin, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
}
END_TEST

START_TEST(test_proto_roundtrip_group_every_kind)
{
    for (uint8_t k = GDFS_GMSG_HEARTBEAT; k <= GDFS_GMSG_LEAVE; k++) {
        make_gmsg(k, 3, &gin);
        group_roundtrip(&gin);
    }
    /* every boolean value */
    make_gmsg(GDFS_GMSG_VOTE, 0, &gin);
    gin.u.vote.pre = false;
    group_roundtrip(&gin);
    ck_assert(!gout.u.vote.pre);
    make_gmsg(GDFS_GMSG_VOTE_ACK, 0, &gin);
    for (int b = 0; b < 4; b++) {
        gin.u.vote_ack.pre = (b & 1) != 0;
        gin.u.vote_ack.granted = (b & 2) != 0;
        group_roundtrip(&gin);
    }
    /* JOIN with or without a group */
    make_gmsg(GDFS_GMSG_JOIN, 0, &gin);
    group_roundtrip(&gin);
    ck_assert_str_eq(gout.group_id, "");
    snprintf(gin.group_id, sizeof(gin.group_id), "Az09._-");
    group_roundtrip(&gin);
    ck_assert_str_eq(gout.group_id, "Az09._-");
}
END_TEST

START_TEST(test_proto_roundtrip_group_append_sizes)
{
    size_t len, want;

    /* no members */
    make_gmsg(GDFS_GMSG_APPEND, 0, &gin);
    len = group_roundtrip(&gin);
    ck_assert_uint_eq(gout.u.append.set.n, 0);
    ck_assert_uint_eq(len, HDR + 1 + 3 + 11 + 8 + 8 + 16 + 11 + 16 + 1 + 16);

    /* GDFS_GROUP_MAX members, every string at its longest */
    make_gmsg(GDFS_GMSG_APPEND, GDFS_GROUP_MAX, &gin);
    memset(gin.from, 'f', GDFS_NODE_ID_MAX);
    memset(gin.group_id, 'g', GDFS_NODE_ID_MAX);
    memset(gin.u.append.set.group_id, 'G', GDFS_NODE_ID_MAX);
    for (uint32_t i = 0; i < GDFS_GROUP_MAX; i++) {
        struct gdfs_member *mb = &gin.u.append.set.m[i];
        memset(mb->id, 'i', GDFS_NODE_ID_MAX);
        mb->id[0] = (char)('A' + i % 26);
        mb->id[1] = (char)('a' + i / 26);
        memset(mb->addr, '~', GDFS_ADDR_MAX);
        mb->addr[GDFS_ADDR_MAX] = '\0';
    }
    len = group_roundtrip(&gin);
    want = HDR + 1 + 65 + 65 + 8 + 8 + 16 + 65 + 16 + 1 +
           GDFS_GROUP_MAX * (65 + 256 + 1 + 8 + 8) + 16;
    ck_assert_uint_eq(len, want);
    ck_assert_uint_eq(gout.u.append.set.n, GDFS_GROUP_MAX);
    ck_assert_uint_eq(strlen(gout.u.append.set.m[63].addr), GDFS_ADDR_MAX);
    ck_assert_uint_eq(strlen(gout.from), GDFS_NODE_ID_MAX);
}
END_TEST

START_TEST(test_proto_group_wire_layout)
{
    struct raw r;
    size_t len;

    /* APPEND with one member, byte by byte as proto.h lays it out */
    make_gmsg(GDFS_GMSG_APPEND, 1, &gin);
    len = encode_group_ok(&gin, frame);
    raw_begin(&r, GDFS_MSG_NDTOND_GROUP);
    memset(r.b + 8, 0, 4); /* reqid 0 */
    raw_u8(&r, GDFS_GMSG_APPEND);
    raw_str8(&r, "n1");
    raw_str8(&r, "0123abcdef");
    raw_u64(&r, 0x0102030405060708ull + GDFS_GMSG_APPEND);
    raw_u64(&r, 123456789);
    raw_u64(&r, 4);
    raw_u64(&r, 2);
    raw_str8(&r, "0123abcdef");
    raw_u64(&r, 5);
    raw_u64(&r, 3);
    raw_u8(&r, 1);
    raw_str8(&r, "n1");
    raw_str8(&r, "10.0.0.1:7000");
    raw_u8(&r, 0);
    raw_u64(&r, 0);
    raw_u64(&r, UINT64_MAX);
    raw_u64(&r, 1); /* full: member 0 */
    raw_u64(&r, 1); /* drain: member 0 (the last of one) */
    raw_end(&r);
    ck_assert_uint_eq(len, r.n);
    ck_assert_mem_eq(frame, r.b, r.n);

    /* SUSPECT */
    make_gmsg(GDFS_GMSG_SUSPECT, 0, &gin);
    len = encode_group_ok(&gin, frame);
    r.n = HDR;
    raw_u8(&r, GDFS_GMSG_SUSPECT);
    raw_str8(&r, "n1");
    raw_str8(&r, "0123abcdef");
    raw_u64(&r, 0x0102030405060708ull + GDFS_GMSG_SUSPECT);
    raw_str8(&r, "node-3");
    raw_u64(&r, 2);
    raw_end(&r);
    ck_assert_uint_eq(len, r.n);
    ck_assert_mem_eq(frame, r.b, r.n);

    /* VOTE_ACK, then JOIN (empty group) and LEAVE */
    make_gmsg(GDFS_GMSG_VOTE_ACK, 0, &gin);
    len = encode_group_ok(&gin, frame);
    ck_assert_uint_eq(len, HDR + 1 + 3 + 11 + 8 + 2);
    ck_assert_uint_eq(frame[len - 2], 0);
    ck_assert_uint_eq(frame[len - 1], 1);
    make_gmsg(GDFS_GMSG_JOIN, 0, &gin);
    len = encode_group_ok(&gin, frame);
    ck_assert_uint_eq(len, HDR + 1 + 3 + 1 + 8 + 1 + 10);
    ck_assert_uint_eq(frame[HDR + 4], 0);
    ck_assert_mem_eq(frame + len - 10, "[::1]:7009", 10);
    make_gmsg(GDFS_GMSG_LEAVE, 0, &gin);
    ck_assert_uint_eq(encode_group_ok(&gin, frame), HDR + 1 + 3 + 11 + 8);
}
END_TEST

START_TEST(test_proto_group_truncated_every_length)
{
    struct gdfs_msg m;
    size_t len, checked = 0;

    for (int i = 0; (len = sample_frame(i, frame)) != 0; i++) {
        if (frame[5] != GDFS_MSG_NDTOND_GROUP)
            continue;
        ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
        ck_assert_int_eq(gdfs_proto_decode_group(held, len - HDR, &gout),
                         GDFS_OK);
        for (size_t plen = 0; plen < len - HDR; plen++) {
            /* An APPEND_ACK without its room, an APPEND without its
             * exclusions, is an older node's. */
            if (older_cut(frame, len, plen))
                continue;
            if (decode_payload(GDFS_MSG_NDTOND_GROUP, frame + HDR, plen, &m) !=
                GDFS_EPROTO)
                ck_abort_msg("sample %d: prefix %zu of %zu decoded", i, plen,
                             len - HDR);
            if (gdfs_proto_decode_group(held, plen, &gout) != GDFS_EPROTO)
                ck_abort_msg("sample %d: prefix %zu of %zu decode_group", i,
                             plen, len - HDR);
            checked++;
        }
        /* and one byte too many */
        frame[len] = 0;
        ck_assert_int_eq(decode_payload(GDFS_MSG_NDTOND_GROUP, frame + HDR,
                                        len - HDR + 1, &m),
                         GDFS_EPROTO);
        ck_assert_int_eq(gdfs_proto_decode_group(held, len - HDR + 1, &gout),
                         GDFS_EPROTO);
    }
    ck_assert_uint_gt(checked, 2000);
    ck_assert_int_eq(gdfs_proto_decode_group(NULL, 0, &gout), GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_group_bad_kind)
{
    static const unsigned bad[] = {0, GDFS_GMSG_LEAVE + 1, 100, 255};
    struct raw r;

    raw_gbegin(&r, GDFS_GMSG_LEAVE, "n1", "g");
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        raw_gbegin(&r, bad[i], "n1", "g");
        ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
        /* with some body too */
        raw_gbegin(&r, bad[i], "n1", "g");
        raw_u64(&r, 1);
        ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    }
}
END_TEST

START_TEST(test_proto_group_bad_from_and_group)
{
    char longid[GDFS_NODE_ID_MAX + 2];
    static const char *const bad_ids[] = {"",    "a b",  "n:1",
                                          "n/1", "\x7f", "n\xc3\xa9"};
    struct raw r;

    memset(longid, 'x', sizeof(longid));
    longid[GDFS_NODE_ID_MAX + 1] = '\0';
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        raw_gbegin(&r, GDFS_GMSG_LEAVE, bad_ids[i], "g");
        ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
        if (bad_ids[i][0] == '\0')
            continue; /* empty group: below */
        raw_gbegin(&r, GDFS_GMSG_LEAVE, "n1", bad_ids[i]);
        ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
        raw_gbegin(&r, GDFS_GMSG_JOIN, "n1", bad_ids[i]);
        raw_str8(&r, "h:1");
        ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    }
    raw_gbegin(&r, GDFS_GMSG_LEAVE, longid, "g");
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_gbegin(&r, GDFS_GMSG_LEAVE, "n1", longid);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    longid[GDFS_NODE_ID_MAX] = '\0'; /* 64 bytes: fine */
    raw_gbegin(&r, GDFS_GMSG_LEAVE, longid, longid);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);
    ck_assert_str_eq(gout.from, longid);
    ck_assert_str_eq(gout.group_id, longid);

    /* an empty group: only in JOIN */
    for (uint8_t k = GDFS_GMSG_HEARTBEAT; k <= GDFS_GMSG_LEAVE; k++) {
        struct gdfs_msg m;
        size_t len;

        make_gmsg(k, 2, &gin);
        len = encode_group_ok(&gin, frame);
        ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
        /* re-encode with the group field emptied: same body, shorter */
        raw_gbegin(&r, k, "n1", "");
        r.n -= 8;
        raw_mem(&r, frame + HDR + 1 + 3 + 1 + strlen(gin.group_id),
                len - (HDR + 1 + 3 + 1 + strlen(gin.group_id)));
        ck_assert_int_eq(raw_gdecode(&r),
                         k == GDFS_GMSG_JOIN ? GDFS_OK : GDFS_EPROTO);
    }
}
END_TEST

START_TEST(test_proto_group_bad_booleans)
{
    struct raw r;

    for (unsigned v = 0; v < 256; v += (v < 4 ? 1 : 63)) {
        int want = v <= 1 ? GDFS_OK : GDFS_EPROTO;

        raw_gbegin(&r, GDFS_GMSG_VOTE, "n1", "g");
        raw_u8(&r, v);
        raw_u64(&r, 1);
        raw_u64(&r, 1);
        raw_u64(&r, 1); /* log term */
        raw_u64(&r, 9); /* log index */
        ck_assert_int_eq(raw_gdecode(&r), want);
        if (want == GDFS_OK)
            ck_assert_uint_eq(gout.u.vote.log_index, 9);
        if (want == GDFS_OK)
            ck_assert(gout.u.vote.pre == (v == 1));
        raw_gbegin(&r, GDFS_GMSG_VOTE_ACK, "n1", "g");
        raw_u8(&r, v);
        raw_u8(&r, 1);
        ck_assert_int_eq(raw_gdecode(&r), want);
        raw_gbegin(&r, GDFS_GMSG_VOTE_ACK, "n1", "g");
        raw_u8(&r, 0);
        raw_u8(&r, v);
        ck_assert_int_eq(raw_gdecode(&r), want);
        if (want == GDFS_OK)
            ck_assert(gout.u.vote_ack.granted == (v == 1));
    }
}
END_TEST

START_TEST(test_proto_group_bad_member_set)
{
    char id[16];
    struct raw r;

    /* the good case first */
    raw_append(&r, "g", 2);
    raw_gmember(&r, "n1", "h:1", 0);
    raw_gmember(&r, "n2", "h:2", GDFS_MEMBER_STATE_MAX);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);
    ck_assert_uint_eq(gout.u.append.set.n, 2);
    ck_assert_str_eq(gout.u.append.set.m[1].addr, "h:2");

    /* bad states */
    for (unsigned s = GDFS_MEMBER_STATE_MAX + 1; s < 256; s += 50) {
        raw_append(&r, "g", 2);
        raw_gmember(&r, "n1", "h:1", 0);
        raw_gmember(&r, "n2", "h:2", s);
        ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    }
    /* duplicate ids: adjacent, and first and last of many */
    raw_append(&r, "g", 2);
    raw_gmember(&r, "n1", "h:1", 0);
    raw_gmember(&r, "n1", "h:2", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_append(&r, "g", GDFS_GROUP_MAX);
    for (unsigned i = 0; i < GDFS_GROUP_MAX; i++) {
        snprintf(id, sizeof(id), "n%u", i == GDFS_GROUP_MAX - 1 ? 0 : i);
        raw_gmember(&r, id, "h:1", 0);
    }
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    /* ids differing only in case are different */
    raw_append(&r, "g", 2);
    raw_gmember(&r, "n1", "h:1", 0);
    raw_gmember(&r, "N1", "h:1", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);
    /* ... nor is a prefix a duplicate */
    raw_append(&r, "g", 2);
    raw_gmember(&r, "n1", "h:1", 0);
    raw_gmember(&r, "n12", "h:1", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);

    /* count: GDFS_GROUP_MAX is fine, one more is not (all present) */
    for (unsigned n = GDFS_GROUP_MAX; n <= GDFS_GROUP_MAX + 1; n++) {
        raw_append(&r, "g", n);
        for (unsigned i = 0; i < n; i++) {
            snprintf(id, sizeof(id), "n%u", i);
            raw_gmember(&r, id, "h:1", 0);
        }
        ck_assert_int_eq(raw_gdecode(&r),
                         n <= GDFS_GROUP_MAX ? GDFS_OK : GDFS_EPROTO);
    }
    raw_append(&r, "g", 255);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    /* count and members disagree */
    raw_append(&r, "g", 2);
    raw_gmember(&r, "n1", "h:1", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_append(&r, "g", 1);
    raw_gmember(&r, "n1", "h:1", 0);
    raw_gmember(&r, "n2", "h:1", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);

    /* the set's group: never empty, same rules as any group */
    raw_append(&r, "", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_append(&r, "a b", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_append(&r, "a-b", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);

    /* member ids and addresses */
    raw_append(&r, "g", 1);
    raw_gmember(&r, "", "h:1", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_append(&r, "g", 1);
    raw_gmember(&r, "n 1", "h:1", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_append(&r, "g", 1);
    raw_gmember(&r, "n1", "", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_append(&r, "g", 1);
    raw_gmember(&r, "n1", "h 1", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    raw_append(&r, "g", 1);
    raw_gmember(&r, "n1", "h\x80", 0);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_group_suspect_and_join_fields)
{
    static const char *const bad_ids[] = {"", "a b", "n:1", "\t"};
    static const char *const bad_addrs[] = {"", "a b", "h\x7f", "h\x1f",
                                            "\xff"};
    struct raw r;

    raw_gbegin(&r, GDFS_GMSG_SUSPECT, "n1", "g");
    raw_str8(&r, "n2");
    raw_u64(&r, 3);
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);
    ck_assert_str_eq(gout.u.suspect.target, "n2");
    ck_assert_uint_eq(gout.u.suspect.incarnation, 3);
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        raw_gbegin(&r, GDFS_GMSG_SUSPECT, "n1", "g");
        raw_str8(&r, bad_ids[i]);
        raw_u64(&r, 3);
        ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    }
    raw_gbegin(&r, GDFS_GMSG_JOIN, "n1", "");
    raw_str8(&r, "!~");
    ck_assert_int_eq(raw_gdecode(&r), GDFS_OK);
    ck_assert_str_eq(gout.u.join.addr, "!~");
    for (size_t i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
        raw_gbegin(&r, GDFS_GMSG_JOIN, "n1", "");
        raw_str8(&r, bad_addrs[i]);
        ck_assert_int_eq(raw_gdecode(&r), GDFS_EPROTO);
    }
}
END_TEST

static int encode_group_rc(const struct gdfs_gmsg *g)
{
    size_t len = 12345;
    int rc = gdfs_proto_encode_group(g, frame, sizeof(frame), &len);

    if (rc != GDFS_OK)
        ck_assert_uint_eq(len, 12345);
    return rc;
}

START_TEST(test_proto_group_encode_rejects_invalid)
{
    struct gdfs_member *mb;

    make_gmsg(GDFS_GMSG_LEAVE, 0, &gin);
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_OK);
    gin.type = 0;
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    gin.type = GDFS_GMSG_LEAVE + 1;
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);

    /* from: empty, bad, unterminated */
    make_gmsg(GDFS_GMSG_HEARTBEAT, 0, &gin);
    gin.from[0] = '\0';
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    snprintf(gin.from, sizeof(gin.from), "a b");
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    memset(gin.from, 'a', sizeof(gin.from));
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);

    /* group: bad, unterminated, empty except in JOIN */
    make_gmsg(GDFS_GMSG_HEARTBEAT, 0, &gin);
    snprintf(gin.group_id, sizeof(gin.group_id), "g:1");
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    memset(gin.group_id, 'g', sizeof(gin.group_id));
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    for (uint8_t k = GDFS_GMSG_HEARTBEAT; k <= GDFS_GMSG_LEAVE; k++) {
        make_gmsg(k, 1, &gin);
        gin.group_id[0] = '\0';
        ck_assert_int_eq(encode_group_rc(&gin),
                         k == GDFS_GMSG_JOIN ? GDFS_OK : GDFS_EINVAL);
    }

    /* the member set */
    make_gmsg(GDFS_GMSG_APPEND, GDFS_GROUP_MAX, &gin);
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_OK);
    gin.u.append.set.n = GDFS_GROUP_MAX + 1;
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    gin.u.append.set.n = UINT32_MAX;
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    make_gmsg(GDFS_GMSG_APPEND, 5, &gin);
    gin.u.append.set.group_id[0] = '\0';
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    make_gmsg(GDFS_GMSG_APPEND, 5, &gin);
    mb = &gin.u.append.set.m[4];
    snprintf(mb->id, sizeof(mb->id), "n2"); /* duplicate of m[1] */
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    make_gmsg(GDFS_GMSG_APPEND, 5, &gin);
    mb->state = GDFS_MEMBER_STATE_MAX + 1;
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    make_gmsg(GDFS_GMSG_APPEND, 5, &gin);
    mb->addr[0] = '\0';
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    make_gmsg(GDFS_GMSG_APPEND, 5, &gin);
    memset(mb->addr, 'a', sizeof(mb->addr)); /* unterminated */
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    make_gmsg(GDFS_GMSG_APPEND, 5, &gin);
    memset(mb->id, 'a', sizeof(mb->id)); /* unterminated */
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    make_gmsg(GDFS_GMSG_APPEND, 5, &gin);
    snprintf(mb->id, sizeof(mb->id), "n#");
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);

    /* SUSPECT target, JOIN address */
    make_gmsg(GDFS_GMSG_SUSPECT, 0, &gin);
    gin.u.suspect.target[0] = '\0';
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    snprintf(gin.u.suspect.target, sizeof(gin.u.suspect.target), "n 2");
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    make_gmsg(GDFS_GMSG_JOIN, 0, &gin);
    gin.u.join.addr[0] = '\0';
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    snprintf(gin.u.join.addr, sizeof(gin.u.join.addr), "h 1");
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);
    snprintf(gin.u.join.addr, sizeof(gin.u.join.addr), "h:1");
    snprintf(gin.group_id, sizeof(gin.group_id), "bad group");
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_EINVAL);

    /* union members of other kinds are not looked at */
    make_gmsg(GDFS_GMSG_HEARTBEAT, 0, &gin);
    memset(&gin.u, 0xff, sizeof(gin.u));
    ck_assert_int_eq(encode_group_rc(&gin), GDFS_OK);
}
END_TEST

START_TEST(test_proto_encode_group_small_buffer)
{
    size_t full, len;
    int n = 0;

    for (int i = 0; (full = sample_frame(i, frame2)) != 0; i++) {
        if (frame2[5] != GDFS_MSG_NDTOND_GROUP)
            continue;
        n++;
        ck_assert_int_eq(gdfs_proto_decode_group(frame2 + HDR, full - HDR,
                                                 &gin),
                         GDFS_OK);
        for (size_t cap = 0; cap < full; cap++) {
            len = 12345;
            ck_assert_int_eq(gdfs_proto_encode_group(&gin, frame, cap, &len),
                             GDFS_ETOOBIG);
            ck_assert_uint_eq(len, 12345);
        }
        frame[full] = 0xcc;
        ck_assert_int_eq(gdfs_proto_encode_group(&gin, frame, full, &len),
                         GDFS_OK);
        ck_assert_uint_eq(len, full);
        ck_assert_mem_eq(frame, frame2, full);
        ck_assert_uint_eq(frame[full], 0xcc);
    }
    ck_assert_int_ge(n, 10);
}
END_TEST

START_TEST(test_proto_decode_group_other_payloads)
{
    /* payloads of other messages are not group messages */
    struct gdfs_msg m;
    size_t len = sample_frame(5, frame); /* CHUNK */

    ck_assert_int_eq(decode_payload(GDFS_MSG_NDTOND_GROUP, frame + HDR,
                                    len - HDR, &m),
                     GDFS_EPROTO);
    ck_assert_int_eq(gdfs_proto_decode_group(held, len - HDR, &gout),
                     GDFS_EPROTO);
    ck_assert_int_eq(decode_payload(GDFS_MSG_NDTOND_GROUP, NULL, 0, &m),
                     GDFS_EPROTO);
}
END_TEST

/* ---- replication messages ------------------------------------------------ */

START_TEST(test_proto_roundtrip_alloc_and_lookup)
{
    struct gdfs_msg in, out;
    size_t len;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOND_ALLOC;
    in.reqid = 20;
    in.u.put.name = bs("dir/new file");
    roundtrip(&in, &out);
    ck_assert_bytes_eq(out.u.put.name, in.u.put.name);

    for (uint64_t seq = 0; seq <= 1; seq++) { /* 0: newest */
        memset(&in, 0, sizeof(in));
        in.type = GDFS_MSG_NDTOND_LOOKUP;
        in.reqid = 27;
        in.u.get.seq = seq == 0 ? 0 : UINT64_MAX;
        in.u.get.name = bs("x");
        roundtrip(&in, &out);
        ck_assert_uint_eq(out.u.get.seq, in.u.get.seq);
        ck_assert_bytes_eq(out.u.get.name, in.u.get.name);
    }
    in.u.get.name = bs("");
    ck_assert_int_eq(gdfs_proto_encode(&in, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
}
END_TEST

START_TEST(test_proto_roundtrip_place)
{
    struct gdfs_msg in, out;

    for (uint8_t n = 1; n <= GDFS_REPLICAS; n++) {
        memset(&in, 0, sizeof(in));
        in.type = GDFS_MSG_NDTOCL_PLACE;
        in.reqid = 21;
        in.u.place.version = (struct gdfs_version){n, 0x0102030405060708ull};
        in.u.place.chunk_size = n == 1 ? GDFS_CHUNK_MIN : GDFS_CHUNK_MAX;
        in.u.place.nreplicas = n;
        for (uint8_t k = 0; k < n; k++) {
            in.u.place.replica[k].id = replica_entries[k].id;
            in.u.place.replica[k].addr = replica_entries[k].addr;
        }
        roundtrip(&in, &out);
        ck_assert_version_eq(out.u.place.version, in.u.place.version);
        ck_assert_uint_eq(out.u.place.chunk_size, in.u.place.chunk_size);
        ck_assert_uint_eq(out.u.place.nreplicas, n);
        for (uint8_t k = 0; k < n; k++) {
            ck_assert_bytes_eq(out.u.place.replica[k].id,
                               in.u.place.replica[k].id);
            ck_assert_bytes_eq(out.u.place.replica[k].addr,
                               in.u.place.replica[k].addr);
        }
    }
}
END_TEST

START_TEST(test_proto_roundtrip_rput_and_rget)
{
    struct gdfs_msg in, out;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOND_RPUT;
    in.reqid = 22;
    in.u.rput.version = (struct gdfs_version){1, 0};
    in.u.rput.chunk_size = 65536;
    in.u.rput.name = bs("a/b");
    roundtrip(&in, &out);
    ck_assert_version_eq(out.u.rput.version, in.u.rput.version);
    ck_assert_uint_eq(out.u.rput.chunk_size, 65536);
    ck_assert_bytes_eq(out.u.rput.name, in.u.rput.name);

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOND_RGET;
    in.reqid = 29;
    in.u.rget.version = (struct gdfs_version){UINT64_MAX, 3};
    in.u.rget.name = bs("a/b");
    roundtrip(&in, &out);
    ck_assert_version_eq(out.u.rget.version, in.u.rget.version);
    ck_assert_bytes_eq(out.u.rget.name, in.u.rget.name);
}
END_TEST

START_TEST(test_proto_roundtrip_probe_and_stale)
{
    struct gdfs_msg in, out;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOND_PROBE;
    in.reqid = 35;
    in.u.rget.version = (struct gdfs_version){UINT64_MAX, 3};
    in.u.rget.name = bs("a/b");
    roundtrip(&in, &out);
    ck_assert_version_eq(out.u.rget.version, in.u.rget.version);
    ck_assert_bytes_eq(out.u.rget.name, in.u.rget.name);

    for (uint8_t have = 0; have <= GDFS_PROBE_HAVE_MAX; have++) {
        memset(&in, 0, sizeof(in));
        in.type = GDFS_MSG_NDTOCL_PROBE;
        in.u.probe_reply.have = have;
        in.u.probe_reply.newest = (struct gdfs_version){7, UINT64_MAX};
        in.u.probe_reply.flags = have == 1 ? GDFS_PROBE_TOMBSTONE : 0;
        roundtrip(&in, &out);
        ck_assert_uint_eq(out.u.probe_reply.have, have);
        ck_assert_version_eq(out.u.probe_reply.newest,
                             in.u.probe_reply.newest);
        ck_assert_uint_eq(out.u.probe_reply.flags, in.u.probe_reply.flags);
    }

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOCL_STALE;
    in.u.stale.msg = bs("may be stale");
    roundtrip(&in, &out);
    ck_assert_bytes_eq(out.u.stale.msg, in.u.stale.msg);
}
END_TEST

START_TEST(test_proto_roundtrip_replicate_and_rget_from)
{
    struct gdfs_msg in, out;
    struct gdfs_record rec;

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOND_REPLICATE;
    in.reqid = 30;
    make_record(0, &in.u.replicate.rec);
    in.u.replicate.nsrc = 2;
    in.u.replicate.src[0] = bs("127.0.0.1:7001");
    in.u.replicate.src[1] = bs("ssh://h:22");
    roundtrip(&in, &out);
    rec = in.u.replicate.rec;
    ck_assert_version_eq(out.u.replicate.rec.version, rec.version);
    ck_assert_uint_eq(out.u.replicate.rec.size, rec.size);
    ck_assert_uint_eq(out.u.replicate.rec.nchunks, rec.nchunks);
    ck_assert_bytes_eq(out.u.replicate.rec.name, rec.name);
    ck_assert_uint_eq(out.u.replicate.nsrc, 2);
    ck_assert_bytes_eq(out.u.replicate.src[0], in.u.replicate.src[0]);
    ck_assert_bytes_eq(out.u.replicate.src[1], in.u.replicate.src[1]);

    memset(&in, 0, sizeof(in));
    in.type = GDFS_MSG_NDTOND_RGET_FROM;
    in.reqid = 31;
    in.u.rget.version = (struct gdfs_version){5, 2};
    in.u.rget.name = bs("a/b");
    in.u.rget.first = UINT32_MAX;
    roundtrip(&in, &out);
    ck_assert_version_eq(out.u.rget.version, in.u.rget.version);
    ck_assert_bytes_eq(out.u.rget.name, in.u.rget.name);
    ck_assert_uint_eq(out.u.rget.first, UINT32_MAX);
}
END_TEST

START_TEST(test_proto_replicate_rules)
{
    static uint8_t big[GDFS_ADDR_MAX + 1];
    struct gdfs_msg m, out;
    struct gdfs_frame_hdr hdr;
    size_t len;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_REPLICATE;
    make_record(0, &m.u.replicate.rec);
    /* no source */
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.replicate.nsrc = 1;
    m.u.replicate.src[0] = bs("");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    memset(big, 'a', sizeof(big));
    m.u.replicate.src[0] = bn(big, GDFS_ADDR_MAX + 1);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_ETOOBIG);
    m.u.replicate.src[0] = bs("h:1");
    m.u.replicate.nsrc = GDFS_REPLICATE_SRC_MAX + 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.replicate.nsrc = 1;
    /* a tombstone has nothing to copy */
    make_record(1, &m.u.replicate.rec);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    make_record(0, &m.u.replicate.rec);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
    /* On the wire: a count of 0, over the limit, and an empty address are
     * refused (the count byte follows the record; the last source's
     * length byte sits 4 bytes from the end: "h:1" is 3 bytes). */
    frame[len - 5] = 0;
    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, GDFS_PROTO_MAX_PAYLOAD,
                                           &hdr),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &out),
                     GDFS_EPROTO);
    frame[len - 5] = GDFS_REPLICATE_SRC_MAX + 1;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &out),
                     GDFS_EPROTO);
    frame[len - 5] = 1;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &out),
                     GDFS_OK);
    frame[len - 4] = 0; /* addrlen 0, then 3 bytes left over */
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &out),
                     GDFS_EPROTO);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_RGET_FROM;
    m.u.rget.name = bs("f");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL); /* seq 0 */
}
END_TEST

START_TEST(test_proto_status_tail_roundtrip_and_optional)
{
    struct gdfs_frame_hdr hdr;
    struct gdfs_msg out;
    size_t len = build_status_tail(frame, sizeof(frame), 3), off = 0;
    struct gdfs_member_entry e;
    int n = 0;

    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, GDFS_PROTO_MAX_PAYLOAD,
                                           &hdr),
                     GDFS_OK);
    ck_assert_uint_eq(hdr.len + GDFS_PROTO_HDR_LEN, len);
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &out),
                     GDFS_OK);
    while (gdfs_proto_next_member(&out.u.status_reply.body, &off, &e))
        n++;
    ck_assert_int_eq(n, 2);
    ck_assert(out.u.status_reply.has_tail);
    ck_assert(out.u.status_reply.health.known);
    ck_assert_uint_eq(out.u.status_reply.health.under, 40);
    ck_assert_uint_eq(out.u.status_reply.health.nnames, 3);
    ck_assert_bytes_eq(out.u.status_reply.health.names[1], bs("dir/b"));
    ck_assert_uint_eq(out.u.status_reply.health.pending, 3);
    ck_assert_uint_eq(out.u.status_reply.health.running, 2);
    ck_assert_uint_eq(out.u.status_reply.health.done, 1ull << 40);
    ck_assert_uint_eq(out.u.status_reply.health.failed, 5);
    ck_assert_uint_eq(out.u.status_reply.health.bytes, UINT64_MAX);
    ck_assert(out.u.status_reply.scrub.running);
    ck_assert_uint_eq(out.u.status_reply.scrub.passes, 4);
    ck_assert_uint_eq(out.u.status_reply.scrub.checked, 10);
    ck_assert_uint_eq(out.u.status_reply.scrub.total, 20);
    ck_assert_uint_eq(out.u.status_reply.scrub.bad, 2);
    ck_assert_uint_eq(out.u.status_reply.scrub.repaired, 1);
    /* A tail cut short is refused; no tail at all (an older node) is not. */
    hdr.len--;
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &out),
                     GDFS_EPROTO);
    len = build_list_reply(GDFS_MSG_NDTOCL_STATUS, 2, false, "n1", frame,
                           sizeof(frame));
    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, GDFS_PROTO_MAX_PAYLOAD,
                                           &hdr),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &out),
                     GDFS_OK);
    ck_assert(!out.u.status_reply.has_tail);
    ck_assert_uint_eq(len, hdr.len + GDFS_PROTO_HDR_LEN);
}
END_TEST

START_TEST(test_proto_drain_and_health_rules)
{
    struct gdfs_msg m, out;
    struct gdfs_frame_hdr hdr;
    size_t len;

    /* DRAIN and FORGET name a member: a node id, nothing else. */
    for (int k = 0; k < 2; k++) {
        memset(&m, 0, sizeof(m));
        m.type = k == 0 ? GDFS_MSG_NDTOND_DRAIN : GDFS_MSG_CLTOND_FORGET;
        m.u.drain.id = bs("n7");
        roundtrip(&m, &out);
        ck_assert_bytes_eq(out.u.drain.id, m.u.drain.id);
        m.u.drain.id = bs("bad id");
        ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                         GDFS_EINVAL);
        m.u.drain.id = bs("");
        ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                         GDFS_EINVAL);
    }

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_HEALTH;
    m.u.health.known = true;
    m.u.health.under = 2;
    m.u.health.nnames = 2;
    m.u.health.names[0] = bs("a");
    m.u.health.names[1] = bs("b/c");
    m.u.health.failed = 9;
    roundtrip(&m, &out);
    ck_assert(out.u.health.known);
    ck_assert_uint_eq(out.u.health.under, 2);
    ck_assert_uint_eq(out.u.health.nnames, 2);
    ck_assert_bytes_eq(out.u.health.names[1], bs("b/c"));
    ck_assert_uint_eq(out.u.health.failed, 9);
    m.u.health.nnames = GDFS_HEALTH_NAMES_MAX + 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.health.nnames = 1;
    m.u.health.names[0] = bs("");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    /* known is a boolean on the wire */
    m.u.health.names[0] = bs("a");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
    frame[GDFS_PROTO_HDR_LEN] = 2;
    ck_assert_int_eq(gdfs_proto_decode_hdr(frame, GDFS_PROTO_MAX_PAYLOAD,
                                           &hdr),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_proto_decode(&hdr, frame + GDFS_PROTO_HDR_LEN, &out),
                     GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_capacity_rules)
{
    struct gdfs_capacity_entry e, bad[1] = {{bs("bad id"), {true, 1, 2, 3}}};
    struct gdfs_list_body b;
    struct gdfs_msg m, out;
    uint8_t buf[64];
    size_t len, off = 0;
    int n = 0;

    /* HEALTH's list round-trips, the unknown member left out */
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_HEALTH;
    sample_capacity(&m.u.health);
    roundtrip(&m, &out);
    ck_assert_uint_eq(out.u.health.capacity.count, 2);
    while (gdfs_proto_next_capacity(&out.u.health.capacity, &off, &e)) {
        ck_assert(e.room.known);
        ck_assert_bytes_eq(e.id, bs(n == 0 ? "n1" : "node-2.b_x"));
        ck_assert_uint_eq(e.room.free, n == 0 ? 1ull << 33 : 0);
        ck_assert_uint_eq(e.room.reserve,
                          n == 0 ? 8ull << 20 : GDFS_CAPACITY_MAX);
        n++;
    }
    ck_assert_int_eq(n, 2);
    /* packing refuses what decode would */
    ck_assert_int_eq(gdfs_proto_pack_capacity(bad, 1, buf, sizeof(buf), &b),
                     GDFS_EINVAL);
    bad[0].id = bs("n1");
    bad[0].room.free = GDFS_CAPACITY_MAX + 1;
    ck_assert_int_eq(gdfs_proto_pack_capacity(bad, 1, buf, sizeof(buf), &b),
                     GDFS_EINVAL);
    bad[0].room.free = 0;
    ck_assert_int_eq(gdfs_proto_pack_capacity(bad, 1, buf, 10, &b),
                     GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_proto_pack_capacity(bad, GDFS_GROUP_MAX + 1, buf,
                                              sizeof(buf), &b),
                     GDFS_EINVAL);
    /* a figure over GDFS_CAPACITY_MAX, or more entries than a group has
     * members, from the wire */
    len = encode_ok(&m, frame);
    frame[len - 8 - 8 - 8] |= 0x20; /* the last one's used: >= 2^61 */
    ck_assert_int_eq(decode_payload(GDFS_MSG_NDTOCL_HEALTH, frame + HDR,
                                    len - HDR, &out),
                     GDFS_EPROTO);
    len = encode_ok(&m, frame);
    frame[len - 1 - m.u.health.capacity.len] = GDFS_GROUP_MAX + 1;
    ck_assert_int_eq(decode_payload(GDFS_MSG_NDTOCL_HEALTH, frame + HDR,
                                    len - HDR, &out),
                     GDFS_EPROTO);

    /* APPEND_ACK: the room is optional, and checked */
    make_gmsg(GDFS_GMSG_APPEND_ACK, 0, &gin);
    memset(&gin.u.append_ack.room, 0, sizeof(gin.u.append_ack.room));
    len = group_roundtrip(&gin);
    ck_assert(!gout.u.append_ack.room.known);
    make_gmsg(GDFS_GMSG_APPEND_ACK, 0, &gin);
    gin.u.append_ack.room.used = GDFS_CAPACITY_MAX + 1;
    ck_assert_int_eq(gdfs_proto_encode_group(&gin, frame, BIG_CAP, &len),
                     GDFS_EINVAL);
    gin.u.append_ack.room.used = 0;
    len = group_roundtrip(&gin);
    frame[len - 8] = 0x20; /* reserve 2^61 and more */
    ck_assert_int_eq(decode_payload(GDFS_MSG_NDTOND_GROUP, frame + HDR,
                                    len - HDR, &out),
                     GDFS_EPROTO);
    ck_assert_int_eq(gdfs_proto_decode_group(frame + HDR, len - HDR, &gout),
                     GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_roundtrip_record_messages)
{
    static const uint8_t types[] = {GDFS_MSG_NDTOND_COMMIT,
                                    GDFS_MSG_NDTOCL_RECORD};
    struct gdfs_msg in, out;

    for (size_t t = 0; t < sizeof(types); t++) {
        for (int i = 0; i < NRECORD; i++) {
            memset(&in, 0, sizeof(in));
            in.type = types[t];
            in.reqid = (uint32_t)(t * 10 + (size_t)i);
            make_record(i, &in.u.record.rec);
            roundtrip(&in, &out);
            assert_record_eq(&out.u.record.rec, &in.u.record.rec);
        }
    }
}
END_TEST

START_TEST(test_proto_roundtrip_meta_sync)
{
    struct gdfs_record want, got;
    struct gdfs_msg m;
    size_t len, off;
    int i;

    for (int more = 0; more <= 1; more++) {
        len = build_list_reply(GDFS_MSG_NDTOND_META_SYNC, NRECORD, more, "",
                               frame, sizeof(frame));
        ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
        ck_assert_uint_eq(m.type, GDFS_MSG_NDTOND_META_SYNC);
        ck_assert_uint_eq(m.reqid, 0xa1b2c3d4);
        ck_assert_uint_eq(m.u.meta_sync.term, 9);
        ck_assert_uint_eq(m.u.meta_sync.complete, 0x8000000000000011ull);
        ck_assert(m.u.meta_sync.more == (more == 1));
        /* term:64 complete:64 more:8 count:32, then the records */
        ck_assert_uint_eq(frame[HDR + 16], (unsigned)more);
        ck_assert_uint_eq(frame[HDR + 20], NRECORD);
        ck_assert_ptr_eq(m.u.meta_sync.body.p, held + 21);
        ck_assert_uint_eq(m.u.meta_sync.body.len, len - HDR - 21);
        ck_assert_uint_eq(m.u.meta_sync.body.count, NRECORD);
        off = 0;
        i = 0;
        while (gdfs_proto_next_record(&m.u.meta_sync.body, &off, &got)) {
            ck_assert_int_lt(i, NRECORD);
            make_record(i, &want);
            assert_record_eq(&got, &want);
            i++;
        }
        ck_assert_int_eq(i, NRECORD);
        ck_assert_uint_eq(off, m.u.meta_sync.body.len);
        ck_assert(!gdfs_proto_next_record(&m.u.meta_sync.body, &off, &got));
    }

    len = build_list_reply(GDFS_MSG_NDTOND_META_SYNC, 0, false, "", frame,
                           sizeof(frame));
    ck_assert_uint_eq(len, HDR + 21);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.meta_sync.body.count, 0);
    off = 0;
    ck_assert(!gdfs_proto_next_record(&m.u.meta_sync.body, &off, &got));
}
END_TEST

/* A raw RECORD, field by field, so that each rule can be broken alone. */
struct rawrec {
    uint64_t seq, term;
    uint64_t size;
    uint32_t chunk_size, nchunks;
    unsigned flags, acked, count;
    const char *ids[4];
    const char *addrs[4];
    const char *name;
};

static const struct rawrec good_rec = {.seq = 5,
                                       .term = 2,
                                       .size = 100,
                                       .chunk_size = 65536,
                                       .nchunks = 1,
                                       .acked = 3,
                                       .count = 2,
                                       .ids = {"n1", "n2", "n3", "n4"},
                                       .addrs = {"h:1", "", "h:3", "h:4"},
                                       .name = "f"};

static void raw_record(struct raw *r, const struct rawrec *x)
{
    raw_u64(r, x->seq);
    raw_u64(r, x->term);
    raw_u64(r, x->size);
    raw_u32(r, x->chunk_size);
    raw_u32(r, x->nchunks);
    raw_mem(r, sha_a, GDFS_SHA256_LEN);
    raw_u8(r, x->flags);
    raw_u8(r, x->acked);
    raw_u8(r, x->count);
    for (unsigned i = 0; i < x->count; i++) {
        raw_str8(r, x->ids[i]);
        raw_str8(r, x->addrs[i]);
    }
    raw_str16(r, x->name);
}

/* Decode @x inside a frame of @type (COMMIT, RECORD, or META_SYNC, where
 * it is the second of two entries). */
static int record_in(unsigned type, const struct rawrec *x)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, type);
    if (type == GDFS_MSG_NDTOND_META_SYNC) {
        raw_u64(&r, 9);
        raw_u64(&r, 0);
        raw_u8(&r, 1);
        raw_u32(&r, 2);
        raw_record(&r, &good_rec);
    }
    raw_record(&r, x);
    return raw_decode(&r, &m);
}

static const unsigned record_types[] = {GDFS_MSG_NDTOND_COMMIT,
                                        GDFS_MSG_NDTOCL_RECORD,
                                        GDFS_MSG_NDTOND_META_SYNC};
#define NRECORD_TYPES (sizeof(record_types) / sizeof(record_types[0]))

START_TEST(test_proto_record_wire_layout)
{
    struct gdfs_record rec;
    struct gdfs_msg m;
    struct raw r;
    size_t len;

    /* COMMIT with sample record 0, byte by byte from proto.h */
    make_record(0, &rec);
    raw_begin(&r, GDFS_MSG_NDTOND_COMMIT);
    raw_u64(&r, 12);
    raw_u64(&r, 4);
    raw_u64(&r, 200000);
    raw_u32(&r, 65536);
    raw_u32(&r, 4);
    raw_mem(&r, sha_a, GDFS_SHA256_LEN);
    raw_u8(&r, 0);
    raw_u8(&r, 5);
    raw_u8(&r, 3);
    raw_str8(&r, "n1");
    raw_str8(&r, "127.0.0.1:7001");
    raw_str8(&r, "node-2.b_x");
    raw_str8(&r, "");
    raw_str8(&r, "N3");
    raw_str8(&r, "[::1]:7003");
    raw_str16(&r, "dir/rec.txt");
    raw_end(&r);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_COMMIT;
    m.reqid = 0x01020304;
    m.u.record.rec = rec;
    len = encode_ok(&m, frame);
    ck_assert_uint_eq(len, r.n);
    ck_assert_mem_eq(frame, r.b, len);

    /* a tombstone sets bit 0 of flags and nothing else */
    rec.tombstone = true;
    rec.size = 0;
    rec.nchunks = 0;
    m.u.record.rec = rec;
    len = encode_ok(&m, frame);
    ck_assert_uint_eq(frame[HDR + 8 + 8 + 8 + 4 + 4 + GDFS_SHA256_LEN], 1);
}
END_TEST

START_TEST(test_proto_record_rules)
{
    struct rawrec x;

    for (size_t t = 0; t < NRECORD_TYPES; t++) {
        unsigned type = record_types[t];

        ck_assert_int_eq(record_in(type, &good_rec), GDFS_OK);
        /* count: 0..3 */
        x = good_rec;
        x.count = 0;
        x.acked = 0;
        ck_assert_int_eq(record_in(type, &x), GDFS_OK);
        x.count = 3;
        x.acked = 7;
        ck_assert_int_eq(record_in(type, &x), GDFS_OK);
        x.count = 4;
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        /* ids valid and unique; addresses empty or valid */
        x = good_rec;
        x.ids[1] = "n1";
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.ids[1] = "bad id";
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.ids[1] = "";
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x = good_rec;
        x.addrs[0] = "";
        ck_assert_int_eq(record_in(type, &x), GDFS_OK);
        x.addrs[0] = "h 1";
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.addrs[0] = "h\x01";
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        /* flags: only bit 0 (a tombstone, of no bytes) */
        x = good_rec;
        x.size = 0;
        x.nchunks = 0;
        x.flags = 1;
        ck_assert_int_eq(record_in(type, &x), GDFS_OK);
        for (unsigned f = 2; f < 256; f++) {
            x.flags = f;
            ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        }
        /* acked: only bits below count */
        x = good_rec; /* count 2 */
        for (unsigned a = 0; a < 256; a++) {
            x.acked = a;
            ck_assert_int_eq(record_in(type, &x),
                             a < 4 ? GDFS_OK : GDFS_EPROTO);
        }
        x.count = 0;
        x.acked = 1;
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        /* seq >= 1 */
        x = good_rec;
        x.seq = 0;
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.seq = 1;
        ck_assert_int_eq(record_in(type, &x), GDFS_OK);
        /* chunk_size 0 (with no bytes) or in range */
        x = good_rec;
        x.chunk_size = 0;
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.size = 0;
        x.nchunks = 0;
        ck_assert_int_eq(record_in(type, &x), GDFS_OK);
        x = good_rec;
        x.chunk_size = GDFS_CHUNK_MIN;
        ck_assert_int_eq(record_in(type, &x), GDFS_OK);
        x.chunk_size = GDFS_CHUNK_MAX;
        ck_assert_int_eq(record_in(type, &x), GDFS_OK);
        x.chunk_size = 1;
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.chunk_size = GDFS_CHUNK_MIN - 1;
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.chunk_size = GDFS_CHUNK_MAX + 1;
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.chunk_size = UINT32_MAX;
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        /* name */
        x = good_rec;
        x.name = "";
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
        x.name = "a\x7f";
        ck_assert_int_eq(record_in(type, &x), GDFS_EPROTO);
    }
}
END_TEST

START_TEST(test_proto_record_shape_rules)
{
    /* nchunks = ceil(size / chunk_size) in every message carrying a
     * RECORD; a tombstone carries no bytes */
    static const struct {
        uint64_t size;
        uint32_t chunk_size, nchunks;
        unsigned flags;
        int rc;
    } cases[] = {
        {0, 65536, 0, 0, GDFS_OK}, /* an empty file */
        {0, 65536, 1, 0, GDFS_EPROTO},
        {1, 65536, 0, 0, GDFS_EPROTO},
        {65536, 65536, 1, 0, GDFS_OK},
        {65536, 65536, 2, 0, GDFS_EPROTO},
        {65537, 65536, 1, 0, GDFS_EPROTO},
        {65537, 65536, 2, 0, GDFS_OK},
        {GDFS_SIZE_MAX, GDFS_CHUNK_MAX, UINT32_MAX, 0, GDFS_OK},
        {GDFS_SIZE_MAX + 1, GDFS_CHUNK_MAX, UINT32_MAX, 0, GDFS_EPROTO},
        {UINT64_MAX, GDFS_CHUNK_MIN, UINT32_MAX, 0, GDFS_EPROTO},
        {UINT64_MAX, GDFS_CHUNK_MAX, 0, 0, GDFS_EPROTO},
        {0, 0, 0, 0, GDFS_OK}, /* no chunk size: no bytes */
        {1, 0, 1, 0, GDFS_EPROTO},
        {0, 0, 1, 0, GDFS_EPROTO},
        {0, 0, 0, 1, GDFS_OK}, /* a tombstone */
        {0, 65536, 0, 1, GDFS_OK},
        {100, 65536, 1, 1, GDFS_EPROTO},
        {0, 65536, 1, 1, GDFS_EPROTO},
    };
    struct rawrec x;

    for (size_t t = 0; t < NRECORD_TYPES; t++)
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            x = good_rec;
            x.size = cases[i].size;
            x.chunk_size = cases[i].chunk_size;
            x.nchunks = cases[i].nchunks;
            x.flags = cases[i].flags;
            ck_assert_msg(record_in(record_types[t], &x) == cases[i].rc,
                          "type %u case %zu", record_types[t], i);
        }
}
END_TEST

START_TEST(test_proto_record_truncated_and_padded)
{
    /* one byte short and one byte over, in every record message (the
     * sample loops above also try every prefix) */
    struct gdfs_msg m;
    struct raw r;

    for (size_t t = 0; t < NRECORD_TYPES; t++) {
        raw_begin(&r, record_types[t]);
        if (record_types[t] == GDFS_MSG_NDTOND_META_SYNC) {
            raw_u64(&r, 9);
            raw_u64(&r, 0);
            raw_u8(&r, 0);
            raw_u32(&r, 1);
        }
        raw_record(&r, &good_rec);
        raw_end(&r);
        ck_assert_int_eq(decode_frame(r.b, r.n, &m), GDFS_OK);
        ck_assert_int_eq(decode_payload(r.b[5], r.b + HDR, r.n - HDR - 1, &m),
                         GDFS_EPROTO);
        r.b[r.n] = 0;
        ck_assert_int_eq(decode_payload(r.b[5], r.b + HDR, r.n - HDR + 1, &m),
                         GDFS_EPROTO);
    }
}
END_TEST

/* gdfs_proto_encode of @rec as a COMMIT; the list writer must then refuse
 * what encode refuses, with GDFS_EINVAL. */
static int encode_record_rc(const struct gdfs_record *rec)
{
    struct gdfs_proto_writer w;
    struct gdfs_msg m;
    size_t len = 0;
    int rc, wrc;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_COMMIT;
    m.u.record.rec = *rec;
    rc = gdfs_proto_encode(&m, frame, sizeof(frame), &len);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_META_SYNC;
    m.u.meta_sync.term = 1;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame2, sizeof(frame2), &m),
                     GDFS_OK);
    wrc = gdfs_proto_add_record(&w, rec);
    ck_assert_int_eq(wrc, rc == GDFS_OK ? GDFS_OK : GDFS_EINVAL);
    ck_assert_uint_eq(w.count, rc == GDFS_OK ? 1 : 0);
    return rc;
}

START_TEST(test_proto_record_encode_rules)
{
    static uint8_t big[GDFS_NAME_MAX + 1];
    struct gdfs_record rec, good;

    make_record(0, &good);
    ck_assert_int_eq(encode_record_rc(&good), GDFS_OK);
    rec = good;
    rec.nreplicas = 4;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.nreplicas = 255;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec = good;
    rec.replica[2].id = rec.replica[0].id;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.replica[2].id = bs("bad id");
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.replica[2].id = bs("");
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    memset(big, 'i', sizeof(big));
    rec.replica[2].id = bn(big, GDFS_NODE_ID_MAX + 1);
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_ETOOBIG);
    rec = good;
    rec.replica[0].addr = bs("a b");
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.replica[0].addr = bn(big, GDFS_ADDR_MAX + 1);
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_ETOOBIG);
    rec.replica[0].addr = bn(big, GDFS_ADDR_MAX);
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_OK);
    rec = good; /* 3 replicas */
    rec.acked = 8;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.nreplicas = 2;
    rec.acked = 4;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec = good;
    rec.version.seq = 0;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec = good;
    rec.chunk_size = GDFS_CHUNK_MIN - 1;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.chunk_size = GDFS_CHUNK_MAX + 1;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_ETOOBIG);
    rec.chunk_size = 0;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.size = 0;
    rec.nchunks = 0;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_OK);
    /* nchunks = ceil(size / chunk_size); a tombstone has no bytes */
    rec = good;
    rec.nchunks++;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec = good;
    rec.tombstone = true;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.size = 0;
    rec.nchunks = 0;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_OK);
    rec = good;
    rec.name = bs("");
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    rec.name = bs("a\nb");
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    memset(big, 'n', sizeof(big));
    rec.name = bn(big, GDFS_NAME_MAX + 1);
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_ETOOBIG);
    rec.name = bn(big, GDFS_NAME_MAX);
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_OK);
}
END_TEST

static int place_with(unsigned count, const char *const *ids,
                      const char *const *addrs, uint32_t chunk_size)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOCL_PLACE);
    raw_u64(&r, 3);
    raw_u64(&r, 1);
    raw_u32(&r, chunk_size);
    raw_u8(&r, count);
    for (unsigned i = 0; i < count; i++) {
        raw_str8(&r, ids[i]);
        raw_str8(&r, addrs[i]);
    }
    return raw_decode(&r, &m);
}

START_TEST(test_proto_place_rules)
{
    static const char *const ids[] = {"n1", "n2", "n3", "n4"};
    static const char *const dup[] = {"n1", "n2", "n1"};
    static const char *const addrs[] = {"h:1", "h:2", "h:3", "h:4"};
    static const char *const noaddr[] = {"h:1", "", "h:3"};
    struct gdfs_msg m;
    size_t len;

    for (unsigned n = 1; n <= 3; n++)
        ck_assert_int_eq(place_with(n, ids, addrs, 65536), GDFS_OK);
    ck_assert_int_eq(place_with(0, ids, addrs, 65536), GDFS_EPROTO);
    ck_assert_int_eq(place_with(4, ids, addrs, 65536), GDFS_EPROTO);
    ck_assert_int_eq(place_with(3, dup, addrs, 65536), GDFS_EPROTO);
    ck_assert_int_eq(place_with(3, ids, noaddr, 65536), GDFS_EPROTO);
    ck_assert_int_eq(place_with(1, ids, addrs, 0), GDFS_EPROTO);
    ck_assert_int_eq(place_with(1, ids, addrs, GDFS_CHUNK_MIN - 1),
                     GDFS_EPROTO);
    ck_assert_int_eq(place_with(1, ids, addrs, GDFS_CHUNK_MAX + 1),
                     GDFS_EPROTO);

    /* encode refuses the same */
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_PLACE;
    m.u.place.chunk_size = 65536;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL); /* count 0 */
    m.u.place.nreplicas = 4;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.place.nreplicas = 3;
    for (int k = 0; k < 3; k++) {
        m.u.place.replica[k].id = bs(dup[k]);
        m.u.place.replica[k].addr = bs(addrs[k]);
    }
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.place.replica[2].id = bs("n3");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
    m.u.place.replica[1].addr = bs("");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.place.replica[1].addr = bs("h:2");
    m.u.place.chunk_size = 0;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.place.chunk_size = GDFS_CHUNK_MAX + 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_ETOOBIG);
}
END_TEST

static int rput_with_term(uint64_t seq, uint64_t term, uint32_t chunk_size,
                          const char *name)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOND_RPUT);
    raw_u64(&r, seq);
    raw_u64(&r, term);
    raw_u32(&r, chunk_size);
    raw_str16(&r, name);
    return raw_decode(&r, &m);
}

static int rput_with(uint64_t seq, uint32_t chunk_size, const char *name)
{
    return rput_with_term(seq, 1, chunk_size, name);
}

static int rput_version_with(uint64_t seq, uint64_t term, uint64_t size,
                             uint32_t n)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOND_RPUT_VERSION);
    raw_u64(&r, seq);
    raw_u64(&r, term);
    raw_u64(&r, size);
    raw_u32(&r, n);
    raw_mem(&r, sha_a, GDFS_SHA256_LEN);
    return raw_decode(&r, &m);
}

static int rget_with(uint64_t seq, const char *name)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOND_RGET);
    raw_u64(&r, seq);
    raw_u64(&r, 1);
    raw_str16(&r, name);
    return raw_decode(&r, &m);
}

START_TEST(test_proto_rput_and_rget_rules)
{
    struct gdfs_msg m;
    size_t len;

    ck_assert_int_eq(rput_with(1, 65536, "f"), GDFS_OK);
    ck_assert_int_eq(rput_with(0, 65536, "f"), GDFS_EPROTO);
    /* seq 0 only with term 0: the version comes with RPUT_VERSION */
    ck_assert_int_eq(rput_with_term(0, 0, 65536, "f"), GDFS_OK);
    ck_assert_int_eq(rput_version_with(1, 1, 1, 1), GDFS_OK);
    ck_assert_int_eq(rput_version_with(0, 0, 1, 1), GDFS_EPROTO);
    ck_assert_int_eq(rput_version_with(0, 1, 1, 1), GDFS_EPROTO);
    ck_assert_int_eq(rput_version_with(1, GDFS_VERSION_MAX + 1, 1, 1),
                     GDFS_EPROTO);
    ck_assert_int_eq(rput_version_with(GDFS_VERSION_MAX + 1, 1, 1, 1),
                     GDFS_EPROTO);
    ck_assert_int_eq(rput_version_with(1, 1, 0, 1), GDFS_EPROTO); /* shape */
    ck_assert_int_eq(gdfs_proto_auth_of(GDFS_MSG_NDTOND_RPUT_VERSION),
                     GDFS_AUTH_MEMBER);
    ck_assert_int_eq(rput_with(1, 0, "f"), GDFS_EPROTO);
    ck_assert_int_eq(rput_with(1, GDFS_CHUNK_MIN - 1, "f"), GDFS_EPROTO);
    ck_assert_int_eq(rput_with(1, GDFS_CHUNK_MAX + 1, "f"), GDFS_EPROTO);
    ck_assert_int_eq(rput_with(1, 65536, ""), GDFS_EPROTO);
    ck_assert_int_eq(rput_with(1, 65536, "a\tb"), GDFS_EPROTO);
    ck_assert_int_eq(rget_with(1, "f"), GDFS_OK);
    ck_assert_int_eq(rget_with(0, "f"), GDFS_EPROTO);
    ck_assert_int_eq(rget_with(1, ""), GDFS_EPROTO);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_RPUT;
    m.u.rput.chunk_size = 65536;
    m.u.rput.name = bs("f");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK); /* 0 0: version at RPUT_VERSION */
    m.u.rput.version.term = 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL); /* seq 0 with a term */
    m.u.rput.version.seq = 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
    m.u.rput.chunk_size = GDFS_CHUNK_MIN - 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.rput.chunk_size = GDFS_CHUNK_MAX + 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_ETOOBIG);
    m.u.rput.chunk_size = 65536;
    m.u.rput.name = bs("");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_RGET;
    m.u.rget.name = bs("f");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL); /* seq 0 */
    m.u.rget.version.seq = 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
    m.u.rget.name = bs("");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
}
END_TEST

static int probe_with(uint64_t seq, uint64_t term, const char *name)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOND_PROBE);
    raw_u64(&r, seq);
    raw_u64(&r, term);
    raw_str16(&r, name);
    return raw_decode(&r, &m);
}

static int probe_reply_with(uint8_t have, uint8_t flags)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOCL_PROBE);
    raw_u8(&r, have);
    raw_u64(&r, 3);
    raw_u64(&r, 1);
    raw_u8(&r, flags);
    return raw_decode(&r, &m);
}

static int stale_with(const char *msg, size_t len)
{
    struct gdfs_msg m;
    struct raw r;

    raw_begin(&r, GDFS_MSG_NDTOCL_STALE);
    raw_u16(&r, (uint16_t)len);
    raw_mem(&r, msg, len);
    return raw_decode(&r, &m);
}

START_TEST(test_proto_probe_and_stale_rules)
{
    static char big[GDFS_ERRMSG_MAX + 1];
    struct gdfs_msg m;
    size_t len;

    ck_assert_int_eq(probe_with(1, 1, "f"), GDFS_OK);
    ck_assert_int_eq(probe_with(0, 0, "f"), GDFS_OK); /* newest only */
    ck_assert_int_eq(probe_with(0, 1, "f"), GDFS_EPROTO);
    ck_assert_int_eq(probe_with(1, 1, ""), GDFS_EPROTO);
    ck_assert_int_eq(probe_with(1, 1, "a\nb"), GDFS_EPROTO);
    ck_assert_int_eq(probe_reply_with(0, 0), GDFS_OK);
    ck_assert_int_eq(probe_reply_with(GDFS_PROBE_HAVE_MAX, 1), GDFS_OK);
    ck_assert_int_eq(probe_reply_with(GDFS_PROBE_HAVE_MAX + 1, 0),
                     GDFS_EPROTO);
    ck_assert_int_eq(probe_reply_with(1, 2), GDFS_EPROTO);
    memset(big, 'x', sizeof(big));
    ck_assert_int_eq(stale_with(big, 1), GDFS_OK);
    ck_assert_int_eq(stale_with(big, GDFS_ERRMSG_MAX), GDFS_OK);
    ck_assert_int_eq(stale_with(big, GDFS_ERRMSG_MAX + 1), GDFS_EPROTO);
    ck_assert_int_eq(stale_with(big, 0), GDFS_EPROTO);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_PROBE;
    m.u.rget.name = bs("f");
    m.u.rget.version.term = 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL); /* seq 0 with a term */
    m.u.rget.version.term = 0;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_PROBE;
    m.u.probe_reply.have = GDFS_PROBE_HAVE_MAX + 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    m.u.probe_reply.have = 0;
    m.u.probe_reply.flags = 0x80;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_STALE;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL); /* empty */
    m.u.stale.msg.p = (const uint8_t *)big;
    m.u.stale.msg.len = sizeof(big);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_ETOOBIG);
}
END_TEST

/* The fixed fields of a META_SYNC page before its more:8 count:32. */
static void raw_meta_sync(struct raw *r)
{
    raw_begin(r, GDFS_MSG_NDTOND_META_SYNC);
    raw_u64(r, 3);
    raw_u64(r, 0);
}

START_TEST(test_proto_meta_sync_bad_entry_and_count)
{
    struct gdfs_msg m;
    struct raw r;

    /* "more" is a boolean */
    for (unsigned more = 0; more < 4; more++) {
        raw_meta_sync(&r);
        raw_u8(&r, more);
        raw_u32(&r, 1);
        raw_record(&r, &good_rec);
        ck_assert_int_eq(raw_decode(&r, &m),
                         more <= 1 ? GDFS_OK : GDFS_EPROTO);
    }
    /* count above and below the entries present */
    for (uint32_t count = 0; count < 4; count++) {
        raw_meta_sync(&r);
        raw_u8(&r, 0);
        raw_u32(&r, count);
        raw_record(&r, &good_rec);
        raw_record(&r, &good_rec);
        ck_assert_int_eq(raw_decode(&r, &m),
                         count == 2 ? GDFS_OK : GDFS_EPROTO);
    }
    raw_meta_sync(&r);
    raw_u8(&r, 0);
    raw_u32(&r, UINT32_MAX);
    raw_record(&r, &good_rec);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
}
END_TEST

START_TEST(test_proto_meta_sync_and_sum)
{
    static uint8_t sums[GDFS_META_SUMS_LEN + 1]; /* one spare: too long */
    struct gdfs_record got;
    struct gdfs_msg m;
    struct raw r;
    size_t off = 0, len;
    unsigned n = 0;

    /* META_SYNC: term and complete, then a list of records */
    len = build_list_reply(GDFS_MSG_NDTOND_META_SYNC, 3, true, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.meta_sync.term, 9);
    ck_assert_uint_eq(m.u.meta_sync.complete, 0x8000000000000011ull);
    ck_assert(m.u.meta_sync.more);
    while (gdfs_proto_next_record(&m.u.meta_sync.body, &off, &got))
        n++;
    ck_assert_uint_eq(n, 3);
    /* term 0 is refused both ways */
    raw_begin(&r, GDFS_MSG_NDTOND_META_SYNC);
    raw_u64(&r, 0);
    raw_u64(&r, 0);
    raw_u8(&r, 0);
    raw_u32(&r, 1);
    raw_record(&r, &good_rec);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_META_SYNC;
    {
        struct gdfs_proto_writer w;
        ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                         GDFS_EINVAL);
    }
    /* META_SUM: exactly GDFS_META_SUMS_LEN bytes of sums, term >= 1 */
    for (int extra = -1; extra <= 1; extra++) {
        raw_begin(&r, GDFS_MSG_NDTOND_META_SUM);
        raw_u64(&r, 3);
        raw_mem(&r, sums, (size_t)(GDFS_META_SUMS_LEN + extra));
        ck_assert_int_eq(raw_decode(&r, &m),
                         extra == 0 ? GDFS_OK : GDFS_EPROTO);
    }
    raw_begin(&r, GDFS_MSG_NDTOND_META_SUM);
    raw_u64(&r, 0);
    raw_mem(&r, sums, GDFS_META_SUMS_LEN);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_META_SUM;
    m.u.meta_sum.term = 1;
    m.u.meta_sum.sums.p = sums;
    m.u.meta_sum.sums.len = GDFS_META_SUMS_LEN - 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
}
END_TEST

/* The record log: entries (a no-op, a record) in LOG_APPEND, LOG_ACK. */
START_TEST(test_proto_log_append_and_ack)
{
    uint8_t noop[8], rec[4096];
    size_t noop_len, rec_len, len, off = 0;
    struct gdfs_log_entry e, got;
    struct gdfs_proto_writer w;
    struct gdfs_record out, good;
    struct gdfs_msg m;
    struct raw r;
    uint8_t kind;

    make_record(0, &good);

    ck_assert_int_eq(gdfs_proto_encode_entry(GDFS_ENTRY_NOOP, NULL, noop,
                                             sizeof(noop), &noop_len),
                     GDFS_OK);
    ck_assert_uint_eq(noop_len, 1);
    ck_assert_int_eq(gdfs_proto_encode_entry(GDFS_ENTRY_RECORD, &good, rec,
                                             sizeof(rec), &rec_len),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_proto_encode_entry(GDFS_ENTRY_RECORD, &good, rec,
                                             rec_len - 1, &len),
                     GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_proto_encode_entry(7, NULL, rec, sizeof(rec), &len),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_proto_decode_entry(rec, rec_len, &kind, &out),
                     GDFS_OK);
    ck_assert_uint_eq(kind, GDFS_ENTRY_RECORD);
    ck_assert_uint_eq(out.version.seq, good.version.seq);
    ck_assert_int_eq(gdfs_proto_decode_entry(rec, rec_len - 1, &kind, &out),
                     GDFS_EPROTO);
    ck_assert_int_eq(gdfs_proto_decode_entry(noop, 2, &kind, &out),
                     GDFS_EPROTO);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_LOG_APPEND;
    m.u.log_append.term = 4;
    m.u.log_append.prev_index = 10;
    m.u.log_append.prev_term = 3;
    m.u.log_append.commit = 9;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    e = (struct gdfs_log_entry){4, noop, noop_len};
    ck_assert_int_eq(gdfs_proto_add_log_entry(&w, &e), GDFS_OK);
    e = (struct gdfs_log_entry){4, rec, rec_len};
    ck_assert_int_eq(gdfs_proto_add_log_entry(&w, &e), GDFS_OK);
    /* Nothing the peer would refuse goes out. */
    e = (struct gdfs_log_entry){0, noop, noop_len};
    ck_assert_int_eq(gdfs_proto_add_log_entry(&w, &e), GDFS_EINVAL);
    e = (struct gdfs_log_entry){4, rec, rec_len - 1};
    ck_assert_int_eq(gdfs_proto_add_log_entry(&w, &e), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, false, &len), GDFS_OK);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.log_append.term, 4);
    ck_assert_uint_eq(m.u.log_append.prev_index, 10);
    ck_assert_uint_eq(m.u.log_append.prev_term, 3);
    ck_assert_uint_eq(m.u.log_append.commit, 9);
    ck_assert_uint_eq(m.u.log_append.body.count, 2);
    ck_assert(gdfs_proto_next_log_entry(&m.u.log_append.body, &off, &got));
    ck_assert_uint_eq(got.len, noop_len);
    ck_assert(gdfs_proto_next_log_entry(&m.u.log_append.body, &off, &got));
    ck_assert_uint_eq(got.term, 4);
    ck_assert_uint_eq(got.len, rec_len);
    ck_assert_int_eq(memcmp(got.data, rec, rec_len), 0);
    ck_assert(!gdfs_proto_next_log_entry(&m.u.log_append.body, &off, &got));

    /* term 0, a number past GDFS_VERSION_MAX, an entry of term 0 or of an
     * unknown kind: refused */
    for (int bad = 0; bad < 4; bad++) {
        raw_begin(&r, GDFS_MSG_NDTOND_LOG_APPEND);
        raw_u64(&r, bad == 0 ? 0 : 2);
        raw_u64(&r, bad == 1 ? UINT64_MAX : 1);
        raw_u64(&r, 1);
        raw_u64(&r, 1);
        raw_u32(&r, 1);
        raw_u64(&r, bad == 2 ? 0 : 2);
        raw_u8(&r, bad == 3 ? 2 : GDFS_ENTRY_NOOP);
        ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    }

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LOG_ACK;
    m.u.log_ack.term = 4;
    m.u.log_ack.ok = false;
    m.u.log_ack.last_index = 7;
    m.u.log_ack.conflict_term = 2;
    m.u.log_ack.conflict_from = 5;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_OK);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert(!m.u.log_ack.ok);
    ck_assert_uint_eq(m.u.log_ack.last_index, 7);
    ck_assert_uint_eq(m.u.log_ack.conflict_from, 5);
    m.u.log_ack.match = UINT64_MAX;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    /* LOG_SNAP: index and both terms at least 1 */
    for (int bad = 0; bad < 4; bad++) {
        raw_begin(&r, GDFS_MSG_NDTOND_LOG_SNAP);
        raw_u64(&r, bad == 0 ? 0 : 3);
        raw_u64(&r, bad == 1 ? 0 : 7);
        raw_u64(&r, bad == 2 ? 0 : bad == 3 ? UINT64_MAX : 2);
        ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    }
    raw_begin(&r, GDFS_MSG_NDTOCL_LOG_ACK);
    raw_u64(&r, 1);
    raw_u8(&r, 2); /* not a boolean */
    for (int k = 0; k < 4; k++)
        raw_u64(&r, 0);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
}
END_TEST

/* INV_SUM: exactly the sums; INV_LIST: a page of valid copies. */
START_TEST(test_proto_inv_sum_and_list)
{
    static uint8_t sums[GDFS_META_SUMS_LEN + 1]; /* one spare: too long */
    struct gdfs_copy_entry got, bad;
    struct gdfs_proto_writer w;
    struct gdfs_msg m;
    struct raw r;
    size_t off = 0, len;
    unsigned n = 0;

    for (int extra = -1; extra <= 1; extra++) {
        raw_begin(&r, GDFS_MSG_NDTOND_INV_SUM);
        raw_u64(&r, 0); /* any incarnation */
        raw_u64(&r, GDFS_VERSION_MAX);
        raw_mem(&r, sums, (size_t)(GDFS_META_SUMS_LEN + extra));
        ck_assert_int_eq(raw_decode(&r, &m),
                         extra == 0 ? GDFS_OK : GDFS_EPROTO);
    }
    /* a member set incarnation of 2^63: no node keeps one */
    raw_begin(&r, GDFS_MSG_NDTOND_INV_SUM);
    raw_u64(&r, 0);
    raw_u64(&r, GDFS_VERSION_MAX + 1);
    raw_mem(&r, sums, GDFS_META_SUMS_LEN);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_INV_SUM;
    m.u.inv_sum.sums.p = sums;
    m.u.inv_sum.sums.len = GDFS_META_SUMS_LEN - 1;
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);

    len = build_list_reply(GDFS_MSG_NDTOND_INV_LIST, 3, true, "", frame,
                           sizeof(frame));
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert_uint_eq(m.u.inv_list.incarnation, 0xfedcba9876543210ull);
    ck_assert_uint_eq(m.u.inv_list.mask, 0x8000000000000003ull);
    ck_assert(m.u.inv_list.more);
    while (gdfs_proto_next_copy(&m.u.inv_list.body, &off, &got)) {
        ck_assert_uint_eq(got.version.seq, n + 1);
        ck_assert_uint_eq(got.version.term, 2);
        n++;
    }
    ck_assert_uint_eq(n, 3);
    /* seq 0, a term over GDFS_VERSION_MAX, a bad name: refused both ways */
    for (int k = 0; k < 3; k++) {
        raw_begin(&r, GDFS_MSG_NDTOND_INV_LIST);
        raw_u64(&r, 1);
        raw_u64(&r, 1);
        raw_u8(&r, 0);
        raw_u32(&r, 1);
        raw_u64(&r, k == 0 ? 0 : 1);
        raw_u64(&r, k == 1 ? GDFS_VERSION_MAX + 1 : 1);
        raw_u16(&r, k == 2 ? 0 : 1);
        if (k != 2)
            raw_mem(&r, "a", 1);
        ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
    }
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_INV_LIST;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    bad = (struct gdfs_copy_entry){bs("a"), {0, 1}};
    ck_assert_int_eq(gdfs_proto_add_copy(&w, &bad), GDFS_EINVAL);
    bad = (struct gdfs_copy_entry){bs(""), {1, 1}};
    ck_assert_int_eq(gdfs_proto_add_copy(&w, &bad), GDFS_EINVAL);
    /* a count that claims more entries than the body holds */
    raw_begin(&r, GDFS_MSG_NDTOND_INV_LIST);
    raw_u64(&r, 1);
    raw_u64(&r, 1);
    raw_u8(&r, 0);
    raw_u32(&r, 2);
    raw_u64(&r, 1);
    raw_u64(&r, 1);
    raw_u16(&r, 1);
    raw_mem(&r, "a", 1);
    ck_assert_int_eq(raw_decode(&r, &m), GDFS_EPROTO);
}
END_TEST

/* Every seq and term a node stores fits SQLite's signed 64 bits. */
START_TEST(test_proto_versions_fit_int64)
{
    const uint64_t max = GDFS_VERSION_MAX, over = max + 1;
    static uint8_t sums[GDFS_META_SUMS_LEN];
    struct gdfs_record rec;
    struct gdfs_msg m;
    struct rawrec x;
    struct raw r;
    size_t len;

    ck_assert_uint_eq(max, 0x7fffffffffffffffull);
    for (size_t t = 0; t < NRECORD_TYPES; t++) {
        x = good_rec;
        x.seq = max;
        x.term = max;
        ck_assert_int_eq(record_in(record_types[t], &x), GDFS_OK);
        x.seq = over;
        ck_assert_int_eq(record_in(record_types[t], &x), GDFS_EPROTO);
        x.seq = UINT64_MAX;
        ck_assert_int_eq(record_in(record_types[t], &x), GDFS_EPROTO);
        x.seq = max;
        x.term = over;
        ck_assert_int_eq(record_in(record_types[t], &x), GDFS_EPROTO);
    }
    make_record(0, &rec);
    rec.version.seq = over;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);
    make_record(0, &rec);
    rec.version.term = over;
    ck_assert_int_eq(encode_record_rc(&rec), GDFS_EINVAL);

    /* the terms of META_SUM, META_SYNC; the version of RPUT and PLACE
     * (what a put stores) */
    for (int k = 0; k < 2; k++) {
        uint64_t term = k == 0 ? max : over;
        int want = k == 0 ? GDFS_OK : GDFS_EPROTO;

        raw_begin(&r, GDFS_MSG_NDTOND_META_SUM);
        raw_u64(&r, term);
        raw_mem(&r, sums, sizeof(sums));
        ck_assert_int_eq(raw_decode(&r, &m), want);
        raw_begin(&r, GDFS_MSG_NDTOND_META_SYNC);
        raw_u64(&r, term);
        raw_u64(&r, 0);
        raw_u8(&r, 0);
        raw_u32(&r, 1);
        raw_record(&r, &good_rec);
        ck_assert_int_eq(raw_decode(&r, &m), want);
        raw_begin(&r, GDFS_MSG_NDTOND_RPUT);
        raw_u64(&r, term);
        raw_u64(&r, 1);
        raw_u32(&r, 65536);
        raw_str16(&r, "f");
        ck_assert_int_eq(raw_decode(&r, &m), want);
        raw_begin(&r, GDFS_MSG_NDTOND_RPUT);
        raw_u64(&r, 1);
        raw_u64(&r, term);
        raw_u32(&r, 65536);
        raw_str16(&r, "f");
        ck_assert_int_eq(raw_decode(&r, &m), want);
        raw_begin(&r, GDFS_MSG_NDTOCL_PLACE);
        raw_u64(&r, term);
        raw_u64(&r, 1);
        raw_u32(&r, 65536);
        raw_u8(&r, 1);
        raw_str8(&r, "n1");
        raw_str8(&r, "h:1");
        ck_assert_int_eq(raw_decode(&r, &m), want);
    }
    /* and nothing is sent that the peer refuses */
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_META_SUM;
    m.u.meta_sum.term = over;
    m.u.meta_sum.sums.p = sums;
    m.u.meta_sum.sums.len = sizeof(sums);
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_META_SYNC;
    m.u.meta_sync.term = over;
    {
        struct gdfs_proto_writer w;
        ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                         GDFS_EINVAL);
    }
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_RPUT;
    m.u.rput.version = (struct gdfs_version){over, 1};
    m.u.rput.chunk_size = 65536;
    m.u.rput.name = bs("f");
    ck_assert_int_eq(gdfs_proto_encode(&m, frame, sizeof(frame), &len),
                     GDFS_EINVAL);
}
END_TEST

START_TEST(test_proto_writer_meta_sync_overflow)
{
    static uint8_t snap[4096];
    struct gdfs_proto_writer w;
    struct gdfs_record rec, got;
    struct gdfs_msg m;
    size_t len = 0, off = 0, cap = 700, wlen;
    uint32_t added = 0, i = 0;
    int rc;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_META_SYNC;
    m.reqid = 47;
    m.u.meta_sync.term = 1;
    memset(frame, 0xcc, cap + 64);
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, HDR + 4, &m),
                     GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, cap, &m), GDFS_OK);
    /* the wrong kind of entry, and an entry of the wrong writer */
    ck_assert_int_eq(gdfs_proto_add_list(&w, &list_entries[0]), GDFS_EINVAL);
    make_record(0, &rec);
    for (;;) {
        rec.version.seq = added + 1;
        memcpy(snap, frame, cap);
        wlen = w.len;
        rc = gdfs_proto_add_record(&w, &rec);
        if (rc != GDFS_OK)
            break;
        added++;
        ck_assert_uint_le(w.len, cap);
    }
    ck_assert_int_eq(rc, GDFS_ETOOBIG);
    ck_assert_uint_gt(added, 3);
    ck_assert_uint_eq(w.count, added);
    ck_assert_uint_eq(w.len, wlen);
    ck_assert_mem_eq(frame, snap, wlen); /* frame unchanged */
    ck_assert_uint_eq(frame[cap], 0xcc); /* nothing past cap */
    ck_assert_int_eq(gdfs_proto_writer_finish(&w, true, &len), GDFS_OK);
    ck_assert_uint_eq(len, wlen);
    ck_assert_int_eq(decode_frame(frame, len, &m), GDFS_OK);
    ck_assert(m.u.meta_sync.more);
    ck_assert_uint_eq(m.u.meta_sync.body.count, added);
    while (gdfs_proto_next_record(&m.u.meta_sync.body, &off, &got)) {
        rec.version.seq = ++i;
        assert_record_eq(&got, &rec);
    }
    ck_assert_uint_eq(i, added);

    /* a record writer refuses the other adds; other writers refuse it */
    m.type = GDFS_MSG_NDTOCL_LIST;
    ck_assert_int_eq(gdfs_proto_writer_begin(&w, frame, sizeof(frame), &m),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_proto_add_record(&w, &rec), GDFS_EINVAL);
    ck_assert_uint_eq(w.count, 0);
}
END_TEST

/* ---- type names ---------------------------------------------------------- */

START_TEST(test_proto_type_names)
{
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_CLTOND_PUT), "CLTOND_PUT");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_CHUNK), "CHUNK");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOCL_VERSIONS),
                     "NDTOCL_VERSIONS");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_GROUP),
                     "NDTOND_GROUP");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_CLTOND_LEAVE),
                     "CLTOND_LEAVE");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_ALLOC),
                     "NDTOND_ALLOC");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_RGET),
                     "NDTOND_RGET");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_META_SYNC),
                     "NDTOND_META_SYNC");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_REPLICATE),
                     "NDTOND_REPLICATE");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_RGET_FROM),
                     "NDTOND_RGET_FROM");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_DRAIN),
                     "NDTOND_DRAIN");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOCL_HEALTH),
                     "NDTOCL_HEALTH");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_PROBE),
                     "NDTOND_PROBE");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOCL_STALE),
                     "NDTOCL_STALE");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_INV_LIST),
                     "NDTOND_INV_LIST");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_CLTOND_FORGET),
                     "CLTOND_FORGET");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_LOG_APPEND),
                     "NDTOND_LOG_APPEND");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOCL_LOG_ACK),
                     "NDTOCL_LOG_ACK");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_LOG_SNAP),
                     "NDTOND_LOG_SNAP");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_NDTOND_RPUT_VERSION),
                     "NDTOND_RPUT_VERSION");
    ck_assert_int_eq(GDFS_MSG_TYPE_MAX, 56);
    ck_assert_str_eq(gdfs_proto_type_name(0), "?");
    ck_assert_str_eq(gdfs_proto_type_name(GDFS_MSG_TYPE_MAX + 1), "?");
    for (int t = 1; t <= GDFS_MSG_TYPE_MAX; t++)
        if (unassigned_type(t))
            ck_assert_str_eq(gdfs_proto_type_name((uint8_t)t), "?");
        else
            ck_assert_str_ne(gdfs_proto_type_name((uint8_t)t), "?");
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *proto_suite(void)
{
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("proto");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_proto_auth_column);
    tcase_add_test(tc, test_proto_hdr_golden_bytes);
    tcase_add_test(tc, test_proto_hdr_fields_and_reqid_echo);
    tcase_add_test(tc, test_proto_hdr_rejects_garbage);
    tcase_add_test(tc, test_proto_hdr_refuses_unlisted_ids);
    tcase_add_test(tc, test_proto_list_names_and_directions);
    tcase_add_test(tc, test_proto_hdr_rejects_oversized_length);
    tcase_add_test(tc, test_proto_decode_checks_hdr_itself);
    tcase_add_test(tc, test_proto_hdr_flags);
    tcase_add_test(tc, test_proto_roundtrip_error);
    tcase_add_test(tc, test_proto_roundtrip_ok);
    tcase_add_test(tc, test_proto_roundtrip_name_messages);
    tcase_add_test(tc, test_proto_roundtrip_put_ready);
    tcase_add_test(tc, test_proto_roundtrip_chunk);
    tcase_add_test(tc, test_proto_roundtrip_put_end);
    tcase_add_test(tc, test_proto_roundtrip_get);
    tcase_add_test(tc, test_proto_roundtrip_get_info);
    tcase_add_test(tc, test_proto_roundtrip_list_request);
    tcase_add_test(tc, test_proto_roundtrip_status_request);
    tcase_add_test(tc, test_proto_roundtrip_list_reply);
    tcase_add_test(tc, test_proto_roundtrip_locate_reply);
    tcase_add_test(tc, test_proto_roundtrip_status_reply);
    tcase_add_test(tc, test_proto_roundtrip_versions_reply);
    tcase_add_test(tc, test_proto_list_reply_wire_layout);
    tcase_add_test(tc, test_proto_list_reply_empty);
    tcase_add_test(tc, test_proto_truncated_payload_every_length);
    tcase_add_test(tc, test_proto_trailing_bytes_rejected);
    tcase_add_test(tc, test_proto_hdr_len_matches_frame);
    tcase_add_test(tc, test_proto_every_type_has_a_sample);
    tcase_add_test(tc, test_proto_payload_for_other_type_rejected);
    tcase_add_test(tc, test_proto_check_name_rules);
    tcase_add_test(tc, test_proto_bad_names_rejected_by_decode);
    tcase_add_test(tc, test_proto_bad_names_rejected_by_encode);
    tcase_add_test(tc, test_proto_list_after_name_rules);
    tcase_add_test(tc, test_proto_check_node_id_rules);
    tcase_add_test(tc, test_proto_replica_fields_validated);
    tcase_add_test(tc, test_proto_bad_states_rejected);
    tcase_add_test(tc, test_proto_status_fields_validated);
    tcase_add_test(tc, test_proto_writer_begin_status_validates);
    tcase_add_test(tc, test_proto_error_rules);
    tcase_add_test(tc, test_proto_chunk_rules);
    tcase_add_test(tc, test_proto_put_ready_chunk_size_range);
    tcase_add_test(tc, test_proto_get_info_consistency);
    tcase_add_test(tc, test_proto_put_end_shape);
    tcase_add_test(tc, test_proto_shape_rule);
    tcase_add_test(tc, test_proto_list_scope_and_booleans);
    tcase_add_test(tc, test_proto_list_reply_bad_entry_rejected);
    tcase_add_test(tc, test_proto_list_reply_count_mismatch);
    tcase_add_test(tc, test_proto_encode_small_buffer);
    tcase_add_test(tc, test_proto_encode_rejects_list_replies_and_unknown);
    tcase_add_test(tc, test_proto_encode_chunk_hdr_matches_encode);
    tcase_add_test(tc, test_proto_writer_begin_rejects_other_types);
    tcase_add_test(tc, test_proto_writer_begin_small_buffer);
    tcase_add_test(tc, test_proto_writer_add_wrong_kind);
    tcase_add_test(tc, test_proto_writer_overflow_leaves_frame);
    tcase_add_test(tc, test_proto_writer_count_max);
    tcase_add_test(tc, test_proto_writer_payload_limit);
    tcase_add_test(tc, test_proto_meta_sync_page_limit);
    tcase_add_test(tc, test_proto_writer_rejects_invalid_entries);
    tcase_add_test(tc, test_proto_iterator_stops_and_keeps_offset);
    tcase_add_test(tc, test_proto_iterator_body_points_into_payload);
    tcase_add_test(tc, test_proto_iterator_on_foreign_body_is_safe);
    tcase_add_test(tc, test_proto_status_role_and_ring);
    tcase_add_test(tc, test_proto_roundtrip_leave);
    tcase_add_test(tc, test_proto_roundtrip_group_every_kind);
    tcase_add_test(tc, test_proto_group_append_hint);
    tcase_add_test(tc, test_proto_roundtrip_group_append_sizes);
    tcase_add_test(tc, test_proto_group_wire_layout);
    tcase_add_test(tc, test_proto_group_truncated_every_length);
    tcase_add_test(tc, test_proto_group_bad_kind);
    tcase_add_test(tc, test_proto_group_bad_from_and_group);
    tcase_add_test(tc, test_proto_group_bad_booleans);
    tcase_add_test(tc, test_proto_group_bad_member_set);
    tcase_add_test(tc, test_proto_group_suspect_and_join_fields);
    tcase_add_test(tc, test_proto_group_encode_rejects_invalid);
    tcase_add_test(tc, test_proto_encode_group_small_buffer);
    tcase_add_test(tc, test_proto_decode_group_other_payloads);
    tcase_add_test(tc, test_proto_roundtrip_alloc_and_lookup);
    tcase_add_test(tc, test_proto_roundtrip_place);
    tcase_add_test(tc, test_proto_roundtrip_rput_and_rget);
    tcase_add_test(tc, test_proto_roundtrip_replicate_and_rget_from);
    tcase_add_test(tc, test_proto_replicate_rules);
    tcase_add_test(tc, test_proto_status_tail_roundtrip_and_optional);
    tcase_add_test(tc, test_proto_drain_and_health_rules);
    tcase_add_test(tc, test_proto_capacity_rules);
    tcase_add_test(tc, test_proto_roundtrip_record_messages);
    tcase_add_test(tc, test_proto_roundtrip_meta_sync);
    tcase_add_test(tc, test_proto_record_wire_layout);
    tcase_add_test(tc, test_proto_record_rules);
    tcase_add_test(tc, test_proto_record_shape_rules);
    tcase_add_test(tc, test_proto_versions_fit_int64);
    tcase_add_test(tc, test_proto_record_truncated_and_padded);
    tcase_add_test(tc, test_proto_record_encode_rules);
    tcase_add_test(tc, test_proto_place_rules);
    tcase_add_test(tc, test_proto_rput_and_rget_rules);
    tcase_add_test(tc, test_proto_probe_and_stale_rules);
    tcase_add_test(tc, test_proto_roundtrip_probe_and_stale);
    tcase_add_test(tc, test_proto_meta_sync_bad_entry_and_count);
    tcase_add_test(tc, test_proto_meta_sync_and_sum);
    tcase_add_test(tc, test_proto_log_append_and_ack);
    tcase_add_test(tc, test_proto_inv_sum_and_list);
    tcase_add_test(tc, test_proto_writer_meta_sync_overflow);
    tcase_add_test(tc, test_proto_type_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(proto_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
