/* gdfs wire protocol: group messages (NDTOND_GROUP, one struct gdfs_gmsg
 * per frame): the frame's codec, which validates the payload in full, and
 * gdfs_proto_decode_group / gdfs_proto_encode_group, which turn it into
 * the struct and back. Layout: proto/messages.h NDTOND_GROUP. */
#include "proto/proto_int.h"

#include <assert.h>
#include <string.h>

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
    if (r->bad || !gdfs_proto_valid_node_id(id) ||
        !gdfs_proto_valid_addr(&addr) || state > GDFS_MEMBER_STATE_MAX)
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

/* SET = grouplen:8 group version:VER count:8 then count members; *n gets
 * the count. */
static bool read_members(struct gdfs_pack_reader *r, struct gdfs_members *out,
                         uint32_t *n)
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
    *n = count;
    return true;
}

/* Bits of a member mask above the set's @n members. */
static uint64_t bits_above(uint32_t n)
{
    return n >= 64 ? 0 : ~(uint64_t)0 << n;
}

/* APPEND's optional tail: full:64 drain:64, bits of its @n members only
 * (@g NULL: check only). */
static bool read_hint(struct gdfs_pack_reader *r, uint32_t n,
                      struct gdfs_gmsg *g)
{
    uint64_t full, drain;

    if (gdfs_pack_left(r) == 0)
        return true; /* older nodes send none */
    full = gdfs_pack_get_u64(r);
    drain = gdfs_pack_get_u64(r);
    if (r->bad || ((full | drain) & bits_above(n)) != 0)
        return false;
    if (g == NULL)
        return true;
    g->u.append.hint = true;
    g->u.append.full = full;
    g->u.append.drain = drain;
    return true;
}

/* One group message (proto.h NDTOND_GROUP), the whole payload but for the
 * check for leftovers. @g may be NULL (validation only); it is written to
 * only as far as the message is valid. */
static bool read_gmsg(struct gdfs_pack_reader *r, struct gdfs_gmsg *g)
{
    struct gdfs_bytes from, group, s;
    struct gdfs_version v;
    struct gdfs_capacity c;
    uint64_t term, a, b;
    uint8_t kind;
    bool x, y;
    uint64_t lt, li;
    uint32_t n = 0;

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
        return read_members(r, g != NULL ? &g->u.append.set : NULL, &n) &&
               read_hint(r, n, g);
    case GDFS_GMSG_APPEND_ACK:
        a = gdfs_pack_get_u64(r);
        gdfs_proto_get_version(r, &v);
        b = gdfs_pack_get_u64(r);
        if (g != NULL) {
            g->u.append_ack.sent_at = a;
            g->u.append_ack.version = v;
            g->u.append_ack.incarnation = b;
        }
        if (r->bad)
            return false;
        /* The disk room: optional (older nodes, or not measured). */
        if (gdfs_pack_left(r) == 0)
            return true;
        if (!gdfs_proto_read_room(r, &c))
            return false;
        if (g != NULL)
            g->u.append_ack.room = c;
        return true;
    case GDFS_GMSG_VOTE:
        if (!gdfs_proto_get_bool(r, &x))
            return false;
        gdfs_proto_get_version(r, &v);
        lt = gdfs_pack_get_u64(r);
        li = gdfs_pack_get_u64(r);
        if (g != NULL) {
            g->u.vote.pre = x;
            g->u.vote.version = v;
            g->u.vote.log_term = lt;
            g->u.vote.log_index = li;
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

int gdfs_proto_decode_group(const uint8_t *p, size_t len, struct gdfs_gmsg *g)
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
        return valid_members_enc(&g->u.append.set) &&
               (!g->u.append.hint || ((g->u.append.full | g->u.append.drain) &
                                      bits_above(g->u.append.set.n)) == 0);
    case GDFS_GMSG_APPEND_ACK:
        return !g->u.append_ack.room.known ||
               (g->u.append_ack.room.used <= GDFS_CAPACITY_MAX &&
                g->u.append_ack.room.free <= GDFS_CAPACITY_MAX &&
                g->u.append_ack.room.reserve <= GDFS_CAPACITY_MAX);
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
        if (g->u.append.hint) {
            gdfs_pack_put_u64(&w, g->u.append.full);
            gdfs_pack_put_u64(&w, g->u.append.drain);
        }
        break;
    case GDFS_GMSG_APPEND_ACK:
        gdfs_pack_put_u64(&w, g->u.append_ack.sent_at);
        gdfs_proto_put_version(&w, &g->u.append_ack.version);
        gdfs_pack_put_u64(&w, g->u.append_ack.incarnation);
        if (g->u.append_ack.room.known)
            gdfs_proto_put_room(&w, &g->u.append_ack.room);
        break;
    case GDFS_GMSG_VOTE:
        gdfs_pack_put_u8(&w, g->u.vote.pre ? 1 : 0);
        gdfs_proto_put_version(&w, &g->u.vote.version);
        gdfs_pack_put_u64(&w, g->u.vote.log_term);
        gdfs_pack_put_u64(&w, g->u.vote.log_index);
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

/* ---- NDTOCL_ENROL: key:32B grouplen:8 group ------------------------------ */

static bool enrol_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_pack_get_copy(r, m->u.enrol.key, sizeof(m->u.enrol.key));
    gdfs_proto_get_bytes8(r, &m->u.enrol.group);
    return !r->bad && gdfs_proto_valid_node_id(&m->u.enrol.group);
}

static int enrol_check(const struct gdfs_msg *m)
{
    if (m->u.enrol.group.len > GDFS_NODE_ID_MAX)
        return GDFS_ETOOBIG;
    return gdfs_proto_valid_node_id(&m->u.enrol.group) ? GDFS_OK : GDFS_EINVAL;
}

static void enrol_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_pack_put_bytes(w, m->u.enrol.key, sizeof(m->u.enrol.key));
    gdfs_proto_put_bytes8(w, &m->u.enrol.group);
}

const struct gdfs_proto_codec gdfs_proto_codec_enrol = {
    .decode = enrol_decode,
    .check = enrol_check,
    .encode = enrol_encode,
};
