/* gdfs wire protocol: the messages that place, store, fetch and repair
 * file copies between nodes: NDTOCL_PLACE, NDTOND_RPUT, NDTOND_RGET,
 * NDTOND_RGET_FROM, NDTOND_PROBE and its reply, NDTOND_REPLICATE,
 * NDTOND_DRAIN and the re-replication figures (NDTOCL_HEALTH, also the
 * tail of NDTOCL_STATUS). Layouts: proto/messages.h. */
#include "proto/proto_int.h"

/* ---- NDTOCL_PLACE -------------------------------------------------------- */

/* proto/messages.h NDTOCL_PLACE: count 1..3, addresses not empty, chunk
 * size in range (the one the put will use). */
static bool valid_place(const struct gdfs_msg *m)
{
    return gdfs_proto_valid_chunk_size(m->u.place.chunk_size) &&
           gdfs_proto_valid_version(&m->u.place.version) &&
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

/* seq >= 1, or 0 0: the version comes with RPUT_END. */
static bool rput_version_ok(const struct gdfs_version *v)
{
    if (v->seq == 0)
        return v->term == 0;
    return gdfs_proto_valid_version(v);
}

static bool rput_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    gdfs_proto_get_version(r, &m->u.rput.version);
    m->u.rput.chunk_size = gdfs_pack_get_u32(r);
    gdfs_proto_get_bytes16(r, &m->u.rput.name);
    return !r->bad && rput_version_ok(&m->u.rput.version) &&
           gdfs_proto_valid_chunk_size(m->u.rput.chunk_size) &&
           gdfs_proto_valid_name(&m->u.rput.name);
}

static int rput_check(const struct gdfs_msg *m)
{
    int rc = gdfs_proto_check_chunk_size_enc(m->u.rput.chunk_size);

    if (rc == GDFS_OK)
        rc = gdfs_proto_check_name_enc(&m->u.rput.name, false);
    if (rc == GDFS_OK && !rput_version_ok(&m->u.rput.version))
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
static bool version_name_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
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
    for (uint8_t i = 0; i < m->u.replicate.nsrc && i < GDFS_REPLICATE_SRC_MAX;
         i++)
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

/* ---- ROOMS: the members' disk room ----------------------------------------- */

static bool valid_room(const struct gdfs_capacity *c)
{
    return c->used <= GDFS_CAPACITY_MAX && c->free <= GDFS_CAPACITY_MAX &&
           c->reserve <= GDFS_CAPACITY_MAX;
}

bool gdfs_proto_read_room(struct gdfs_pack_reader *r, struct gdfs_capacity *c)
{
    c->used = gdfs_pack_get_u64(r);
    c->free = gdfs_pack_get_u64(r);
    c->reserve = gdfs_pack_get_u64(r);
    c->known = !r->bad && valid_room(c);
    return c->known;
}

void gdfs_proto_put_room(struct gdfs_pack_writer *w,
                         const struct gdfs_capacity *c)
{
    gdfs_pack_put_u64(w, c->used);
    gdfs_pack_put_u64(w, c->free);
    gdfs_pack_put_u64(w, c->reserve);
}

/* { idlen:8 id used:64 free:64 reserve:64 } */
static bool room_entry(struct gdfs_pack_reader *r, void *out)
{
    struct gdfs_capacity_entry *e = out;

    gdfs_proto_get_bytes8(r, &e->id);
    return gdfs_proto_read_room(r, &e->room) &&
           gdfs_proto_valid_node_id(&e->id);
}

bool gdfs_proto_read_rooms(struct gdfs_pack_reader *r,
                           struct gdfs_list_body *b)
{
    struct gdfs_capacity_entry e;
    uint8_t count;
    size_t start;

    /* Always there (count 0 for none): a frame has one encoding, so a
     * decoded message encodes back to the same bytes. */
    memset(b, 0, sizeof(*b));
    count = gdfs_pack_get_u8(r);
    if (r->bad || count > GDFS_GROUP_MAX)
        return false;
    start = r->off;
    for (uint8_t i = 0; i < count; i++)
        if (!room_entry(r, &e))
            return false;
    b->p = r->p + start;
    b->len = r->off - start;
    b->count = count;
    return true;
}

void gdfs_proto_put_rooms(struct gdfs_pack_writer *w,
                          const struct gdfs_list_body *b)
{
    gdfs_pack_put_u8(w, (uint8_t)b->count);
    if (b->len > 0)
        gdfs_pack_put_bytes(w, b->p, b->len);
}

bool gdfs_proto_valid_rooms_enc(const struct gdfs_list_body *b)
{
    struct gdfs_capacity_entry e;
    struct gdfs_pack_reader r;

    if (b->count > GDFS_GROUP_MAX || (b->len > 0 && b->p == NULL))
        return false;
    gdfs_pack_reader_init(&r, b->len > 0 ? b->p : (const uint8_t *)"", b->len);
    for (uint32_t i = 0; i < b->count; i++)
        if (!room_entry(&r, &e))
            return false;
    return gdfs_pack_left(&r) == 0;
}

int gdfs_proto_pack_capacity(const struct gdfs_capacity_entry *e, unsigned n,
                             uint8_t *buf, size_t cap,
                             struct gdfs_list_body *out)
{
    struct gdfs_pack_writer w;
    uint32_t count = 0;

    memset(out, 0, sizeof(*out));
    if (n > GDFS_GROUP_MAX)
        return GDFS_EINVAL;
    gdfs_pack_writer_init(&w, buf, cap, 0);
    for (unsigned i = 0; i < n; i++) {
        if (!e[i].room.known)
            continue;
        if (!gdfs_proto_valid_node_id(&e[i].id) || !valid_room(&e[i].room))
            return GDFS_EINVAL;
        gdfs_proto_put_bytes8(&w, &e[i].id);
        gdfs_proto_put_room(&w, &e[i].room);
        count++;
    }
    if (w.bad)
        return GDFS_ETOOBIG;
    out->p = buf;
    out->len = w.off;
    out->count = count;
    return GDFS_OK;
}

bool gdfs_proto_next_capacity(const struct gdfs_list_body *b, size_t *off,
                              struct gdfs_capacity_entry *e)
{
    return gdfs_proto_next_entry(room_entry, b, off, e);
}

static bool health_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    return gdfs_proto_read_health(r, &m->u.health) &&
           gdfs_proto_read_rooms(r, &m->u.health.capacity);
}

static int health_check(const struct gdfs_msg *m)
{
    for (uint8_t i = 0; i < m->u.health.nnames && i < GDFS_HEALTH_NAMES_MAX;
         i++)
        if (m->u.health.names[i].len > GDFS_NAME_MAX)
            return GDFS_ETOOBIG;
    return gdfs_proto_valid_health_enc(&m->u.health) &&
                   gdfs_proto_valid_rooms_enc(&m->u.health.capacity)
               ? GDFS_OK
               : GDFS_EINVAL;
}

static void health_encode(struct gdfs_pack_writer *w, const struct gdfs_msg *m)
{
    gdfs_proto_put_health(w, &m->u.health);
    gdfs_proto_put_rooms(w, &m->u.health.capacity);
}

const struct gdfs_proto_codec gdfs_proto_codec_health = {
    .decode = health_decode,
    .check = health_check,
    .encode = health_encode,
};
