/* The record log on the wire: NDTOND_LOG_APPEND, NDTOCL_LOG_ACK,
 * NDTOND_LOG_SNAP and the ENTRY they carry (proto/messages.h;
 * docs/record-log.md). */
#include "proto/proto_int.h"

#include <string.h>

/* ---- ENTRY: kind:8 then, for a record, RECORD ----------------------------- */

/* Read one ENTRY from @r; @rec gets the record of a record entry. */
static bool read_entry(struct gdfs_pack_reader *r, uint8_t *kind,
                       struct gdfs_record *rec)
{
    *kind = gdfs_pack_get_u8(r);
    if (r->bad)
        return false;
    switch (*kind) {
    case GDFS_ENTRY_NOOP:
        return true;
    case GDFS_ENTRY_RECORD:
        return gdfs_proto_read_record(r, rec);
    default:
        return false;
    }
}

int gdfs_proto_encode_entry(uint8_t kind, const struct gdfs_record *r,
                            uint8_t *buf, size_t cap, size_t *len)
{
    struct gdfs_pack_writer w;
    size_t size = 1;

    if (kind == GDFS_ENTRY_RECORD) {
        if (r == NULL || gdfs_proto_check_record_enc(r) != GDFS_OK)
            return GDFS_EINVAL;
        size += gdfs_proto_record_size(r);
    } else if (kind != GDFS_ENTRY_NOOP || r != NULL) {
        return GDFS_EINVAL;
    }
    if (size > cap)
        return GDFS_ETOOBIG;
    gdfs_pack_writer_init(&w, buf, cap, 0);
    gdfs_pack_put_u8(&w, kind);
    if (kind == GDFS_ENTRY_RECORD)
        gdfs_proto_put_record(&w, r);
    if (w.bad || w.off != size)
        return GDFS_ETOOBIG;
    *len = size;
    return GDFS_OK;
}

int gdfs_proto_decode_entry(const uint8_t *p, size_t len, uint8_t *kind,
                            struct gdfs_record *r)
{
    struct gdfs_pack_reader rd;

    memset(r, 0, sizeof(*r));
    gdfs_pack_reader_init(&rd, p, len);
    if (!read_entry(&rd, kind, r) || rd.bad || rd.off != len)
        return GDFS_EPROTO;
    return GDFS_OK;
}

/* ---- NDTOND_LOG_APPEND ----------------------------------------------------- */

/* term:64 ENTRY, into a struct gdfs_log_entry pointing into the body */
static bool log_entry_read(struct gdfs_pack_reader *r, void *e)
{
    struct gdfs_log_entry *le = e;
    struct gdfs_record rec;
    uint8_t kind;
    size_t start;

    le->term = gdfs_pack_get_u64(r);
    start = r->off;
    if (r->bad || le->term == 0 || !gdfs_proto_valid_term(le->term) ||
        !read_entry(r, &kind, &rec))
        return false;
    le->data = r->p + start;
    le->len = r->off - start;
    return true;
}

static bool numbers_ok(uint64_t term, uint64_t a, uint64_t b, uint64_t c)
{
    return term != 0 && gdfs_proto_valid_term(term) &&
           gdfs_proto_valid_term(a) && gdfs_proto_valid_term(b) &&
           gdfs_proto_valid_term(c);
}

static bool log_append_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.log_append.term = gdfs_pack_get_u64(r);
    m->u.log_append.prev_index = gdfs_pack_get_u64(r);
    m->u.log_append.prev_term = gdfs_pack_get_u64(r);
    m->u.log_append.commit = gdfs_pack_get_u64(r);
    return !r->bad &&
           numbers_ok(m->u.log_append.term, m->u.log_append.prev_index,
                      m->u.log_append.prev_term, m->u.log_append.commit) &&
           gdfs_proto_read_list(r, m, NULL, &m->u.log_append.body);
}

static int log_append_check(const struct gdfs_msg *m)
{
    return numbers_ok(m->u.log_append.term, m->u.log_append.prev_index,
                      m->u.log_append.prev_term, m->u.log_append.commit)
               ? GDFS_OK
               : GDFS_EINVAL;
}

static void log_append_encode(struct gdfs_pack_writer *w,
                              const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.log_append.term);
    gdfs_pack_put_u64(w, m->u.log_append.prev_index);
    gdfs_pack_put_u64(w, m->u.log_append.prev_term);
    gdfs_pack_put_u64(w, m->u.log_append.commit);
}

const struct gdfs_proto_codec gdfs_proto_codec_log_append = {
    .decode = log_append_decode,
    .check = log_append_check,
    .encode = log_append_encode,
    .entry = log_entry_read,
    .count_len = 4,
    .max_payload = GDFS_LOG_PAGE_MAX,
};

int gdfs_proto_add_log_entry(struct gdfs_proto_writer *w,
                             const struct gdfs_log_entry *e)
{
    struct gdfs_pack_writer pw;
    struct gdfs_record rec;
    uint8_t kind;
    size_t size;
    int rc;

    if (e->term == 0 || !gdfs_proto_valid_term(e->term) ||
        (e->len > 0 && e->data == NULL) ||
        gdfs_proto_decode_entry(e->data, e->len, &kind, &rec) != GDFS_OK)
        return GDFS_EINVAL;
    size = 8 + e->len;
    if ((rc = gdfs_proto_writer_room(w, log_entry_read, size)) != GDFS_OK)
        return rc;
    gdfs_pack_writer_init(&pw, w->buf, w->cap, w->len);
    gdfs_pack_put_u64(&pw, e->term);
    gdfs_pack_put_bytes(&pw, e->data, e->len);
    gdfs_proto_writer_commit(w, &pw, size);
    return GDFS_OK;
}

bool gdfs_proto_next_log_entry(const struct gdfs_list_body *b, size_t *off,
                               struct gdfs_log_entry *e)
{
    return gdfs_proto_next_entry(log_entry_read, b, off, e);
}

/* ---- NDTOCL_LOG_ACK -------------------------------------------------------- */

/* Every number at most GDFS_VERSION_MAX (a term may be 0 here). */
static bool log_ack_ok(const struct gdfs_msg *m)
{
    return gdfs_proto_valid_term(m->u.log_ack.term) &&
           numbers_ok(1, m->u.log_ack.match, m->u.log_ack.last_index,
                      m->u.log_ack.conflict_term) &&
           gdfs_proto_valid_term(m->u.log_ack.conflict_from);
}

static bool log_ack_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.log_ack.term = gdfs_pack_get_u64(r);
    if (!gdfs_proto_get_bool(r, &m->u.log_ack.ok))
        return false;
    m->u.log_ack.match = gdfs_pack_get_u64(r);
    m->u.log_ack.last_index = gdfs_pack_get_u64(r);
    m->u.log_ack.conflict_term = gdfs_pack_get_u64(r);
    m->u.log_ack.conflict_from = gdfs_pack_get_u64(r);
    return !r->bad && log_ack_ok(m);
}

static int log_ack_check(const struct gdfs_msg *m)
{
    return log_ack_ok(m) ? GDFS_OK : GDFS_EINVAL;
}

static void log_ack_encode(struct gdfs_pack_writer *w,
                           const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.log_ack.term);
    gdfs_pack_put_u8(w, m->u.log_ack.ok ? 1 : 0);
    gdfs_pack_put_u64(w, m->u.log_ack.match);
    gdfs_pack_put_u64(w, m->u.log_ack.last_index);
    gdfs_pack_put_u64(w, m->u.log_ack.conflict_term);
    gdfs_pack_put_u64(w, m->u.log_ack.conflict_from);
}

const struct gdfs_proto_codec gdfs_proto_codec_log_ack = {
    .decode = log_ack_decode,
    .check = log_ack_check,
    .encode = log_ack_encode,
};

/* ---- NDTOND_LOG_SNAP -------------------------------------------------------- */

static bool log_snap_ok(const struct gdfs_msg *m)
{
    return m->u.log_snap.index != 0 && m->u.log_snap.index_term != 0 &&
           numbers_ok(m->u.log_snap.term, m->u.log_snap.index,
                      m->u.log_snap.index_term, 0);
}

static bool log_snap_decode(struct gdfs_pack_reader *r, struct gdfs_msg *m)
{
    m->u.log_snap.term = gdfs_pack_get_u64(r);
    m->u.log_snap.index = gdfs_pack_get_u64(r);
    m->u.log_snap.index_term = gdfs_pack_get_u64(r);
    return !r->bad && log_snap_ok(m);
}

static int log_snap_check(const struct gdfs_msg *m)
{
    return log_snap_ok(m) ? GDFS_OK : GDFS_EINVAL;
}

static void log_snap_encode(struct gdfs_pack_writer *w,
                            const struct gdfs_msg *m)
{
    gdfs_pack_put_u64(w, m->u.log_snap.term);
    gdfs_pack_put_u64(w, m->u.log_snap.index);
    gdfs_pack_put_u64(w, m->u.log_snap.index_term);
}

const struct gdfs_proto_codec gdfs_proto_codec_log_snap = {
    .decode = log_snap_decode,
    .check = log_snap_check,
    .encode = log_snap_encode,
};
