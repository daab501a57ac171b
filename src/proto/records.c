/* gdfs wire protocol: metadata records. The RECORD field and the replica
 * refs it shares with PLACE, then the messages that carry records between
 * gateway, leader and members: NDTOND_COMMIT, NDTOCL_RECORD and record
 * sync (NDTOND_META_SUM, NDTOCL_META_DIFF, NDTOND_META_SYNC).
 * Layouts: proto/messages.h. */
#include "proto/proto_int.h"

#include <assert.h>
#include <string.h>

/* ---- replica refs and RECORD --------------------------------------------- */

/* proto/messages.h RECORD flags:8: bit 0 tombstone, other bits 0. */
#define RECORD_TOMBSTONE 1

/* proto/messages.h RECORD: "chunk_size 0 or GDFS_CHUNK_MIN..GDFS_CHUNK_MAX".
 */
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
    return rec->version.seq >= 1 && gdfs_proto_valid_version(&rec->version) &&
           valid_record_chunk_size(rec->chunk_size) &&
           gdfs_proto_valid_shape(rec->size, rec->chunk_size, rec->nchunks) &&
           (!rec->tombstone || rec->size == 0) &&
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

/* ---- NDTOND_COMMIT, NDTOCL_RECORD: RECORD -------------------------------- */

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

/* ---- record lists: NDTOND_META_SYNC -------------------------------------- */

static bool record_entry(struct gdfs_pack_reader *r, void *e)
{
    return gdfs_proto_read_record(r, e);
}

/* term:64 complete:64 more:8 count:32 then count x RECORD */
static bool meta_sync_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.meta_sync.term = gdfs_pack_get_u64(r);
    m->u.meta_sync.complete = gdfs_pack_get_u64(r);
    return !r->bad && m->u.meta_sync.term != 0 &&
           gdfs_proto_valid_term(m->u.meta_sync.term) &&
           gdfs_proto_read_list(r, m, &m->u.meta_sync.more,
                                &m->u.meta_sync.body);
}

static int meta_sync_check(const struct gdfs_msg *m)
{
    return m->u.meta_sync.term != 0 &&
                   gdfs_proto_valid_term(m->u.meta_sync.term)
               ? GDFS_OK
               : GDFS_EINVAL;
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
    .max_payload = GDFS_META_PAGE_MAX,
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
    return !r->bad && m->u.meta_sum.term >= 1 &&
           gdfs_proto_valid_term(m->u.meta_sum.term);
}

static int meta_sum_check(const struct gdfs_msg *m)
{
    if (m->u.meta_sum.term == 0 ||
        !gdfs_proto_valid_term(m->u.meta_sum.term) ||
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

/* ---- copy inventory: NDTOND_INV_SUM, NDTOND_INV_LIST --------------------- */

/* incarnation:64 member_inc:64 then GDFS_META_SUMS_LEN bytes of sums */
static bool inv_sum_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.inv_sum.incarnation = gdfs_pack_get_u64(r);
    m->u.inv_sum.member_inc = gdfs_pack_get_u64(r);
    m->u.inv_sum.sums.p = gdfs_pack_get_bytes(r, GDFS_META_SUMS_LEN);
    m->u.inv_sum.sums.len = GDFS_META_SUMS_LEN;
    return !r->bad && m->u.inv_sum.member_inc <= GDFS_VERSION_MAX;
}

static int inv_sum_check(const struct gdfs_msg *m)
{
    return m->u.inv_sum.sums.len == GDFS_META_SUMS_LEN &&
                   m->u.inv_sum.sums.p != NULL &&
                   m->u.inv_sum.member_inc <= GDFS_VERSION_MAX
               ? GDFS_OK
               : GDFS_EINVAL;
}

static void inv_sum_encode(struct gdfs_pack_writer *w,
                           const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.inv_sum.incarnation);
    gdfs_pack_put_u64(w, m->u.inv_sum.member_inc);
    gdfs_pack_put_bytes(w, m->u.inv_sum.sums.p, GDFS_META_SUMS_LEN);
}

const struct gdfs_proto_codec gdfs_proto_codec_inv_sum = {
    .decode = inv_sum_decode,
    .check = inv_sum_check,
    .encode = inv_sum_encode,
};

/* { seq:64 term:64 namelen:16 name }: a complete copy, so seq >= 1. */
static bool copy_entry(struct gdfs_pack_reader *r, void *e)
{
    struct gdfs_copy_entry *c = e;

    gdfs_proto_get_version(r, &c->version);
    gdfs_proto_get_bytes16(r, &c->name);
    return !r->bad && c->version.seq >= 1 &&
           gdfs_proto_valid_version(&c->version) &&
           gdfs_proto_valid_name(&c->name);
}

/* incarnation:64 mask:64 more:8 count:32 then count x copy */
static bool inv_list_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.inv_list.incarnation = gdfs_pack_get_u64(r);
    m->u.inv_list.mask = gdfs_pack_get_u64(r);
    return !r->bad && gdfs_proto_read_list(r, m, &m->u.inv_list.more,
                                           &m->u.inv_list.body);
}

static void inv_list_encode(struct gdfs_pack_writer *w,
                            const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.inv_list.incarnation);
    gdfs_pack_put_u64(w, m->u.inv_list.mask);
}

const struct gdfs_proto_codec gdfs_proto_codec_inv_list = {
    .decode = inv_list_decode,
    .encode = inv_list_encode,
    .entry = copy_entry,
    .count_len = 4,
    .more = true,
    .max_payload = GDFS_META_PAGE_MAX,
};

int gdfs_proto_add_copy(struct gdfs_proto_writer *w,
                        const struct gdfs_copy_entry *e)
{
    struct gdfs_pack_writer pw;
    size_t size = 8 + 8 + 2 + e->name.len;
    int rc;

    if (e->version.seq == 0 || !gdfs_proto_valid_version(&e->version) ||
        !gdfs_proto_valid_name(&e->name))
        return GDFS_EINVAL;
    rc = gdfs_proto_writer_room(w, copy_entry, size);
    if (rc != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_proto_put_version(&pw, &e->version);
    gdfs_proto_put_bytes16(&pw, &e->name);
    gdfs_proto_writer_commit(w, &pw, size);
    return GDFS_OK;
}

bool gdfs_proto_next_copy(const struct gdfs_list_body *b, size_t *off,
                          struct gdfs_copy_entry *e)
{
    return gdfs_proto_next_entry(copy_entry, b, off, e);
}
