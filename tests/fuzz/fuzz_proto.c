/* libFuzzer target for the wire protocol (src/proto/).
 *
 * The input is taken as a frame (bytes after the frame are ignored). If the
 * header and payload decode, the oracles are:
 *   - a list body is iterated fully and yields exactly @count entries that
 *     end exactly at the end of the body;
 *   - the message re-encodes (gdfs_proto_encode, or the list writer for the
 *     five list replies) to exactly the input frame, header flags included,
 *     since the encoding is canonical, and the re-encoded frame decodes to
 *     an equal message;
 *   - an NDTOND_GROUP payload is accepted by gdfs_proto_decode_group exactly
 *     when gdfs_proto_decode accepts the frame, and the struct it yields
 *     re-encodes (gdfs_proto_encode_group) to the input frame, but for the
 *     flags and reqid, which encode_group always writes as 0;
 *   - for a list reply with entries, rebuilding it into a buffer one byte too
 *     small makes the last add fail with GDFS_ETOOBIG, leaves the frame as it
 *     was, and the frame finished with "more" decodes to all entries but the
 *     last;
 *   - every RECORD (single, in REPLICATE, in META_SYNC or in a LOG_APPEND
 *     entry) obeys proto.h's rules, checked here independently of
 *     src/proto/;
 *   - decode refuses only with GDFS_EPROTO.
 * Any violation calls abort(). The payload is decoded from an exact-size
 * heap copy so that AddressSanitizer sees a read one byte past its end. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define HDR GDFS_PROTO_HDR_LEN

/* Results go here so the compiler cannot drop the work. */
static volatile uint64_t sink;
/* Re-encoding target: large enough for any frame. */
static uint8_t out[HDR + GDFS_PROTO_MAX_PAYLOAD];
/* A decoded group message (large: not on the stack). */
static struct gdfs_gmsg gmsg;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_proto: oracle failed: %s (line %d)\n",      \
                    #cond, __LINE__);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void eat(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint64_t h = sink;

    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    sink = h;
}

static bool bytes_eq(struct gdfs_bytes a, struct gdfs_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool version_eq(struct gdfs_version a, struct gdfs_version b)
{
    return a.seq == b.seq && a.term == b.term;
}

static bool body_eq(const struct gdfs_list_body *a,
                    const struct gdfs_list_body *b)
{
    return a->count == b->count && a->len == b->len &&
           (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static bool is_list_reply(uint8_t type)
{
    return type == GDFS_MSG_NDTOCL_LIST || type == GDFS_MSG_NDTOCL_LOCATE ||
           type == GDFS_MSG_NDTOCL_STATUS ||
           type == GDFS_MSG_NDTOCL_VERSIONS ||
           type == GDFS_MSG_NDTOND_META_SYNC ||
           type == GDFS_MSG_NDTOND_INV_LIST ||
           type == GDFS_MSG_NDTOND_LOG_APPEND;
}

/* The list replies whose first byte is "more". */
static bool has_more(uint8_t type)
{
    return type == GDFS_MSG_NDTOCL_LIST;
}

static const struct gdfs_list_body *body_of(const struct gdfs_msg *m)
{
    switch (m->type) {
    case GDFS_MSG_NDTOCL_LIST:
        return &m->u.list_reply.body;
    case GDFS_MSG_NDTOCL_LOCATE:
        return &m->u.locate_reply.body;
    case GDFS_MSG_NDTOCL_STATUS:
        return &m->u.status_reply.body;
    case GDFS_MSG_NDTOCL_VERSIONS:
        return &m->u.versions_reply.body;
    case GDFS_MSG_NDTOND_META_SYNC:
        return &m->u.meta_sync.body;
    case GDFS_MSG_NDTOND_INV_LIST:
        return &m->u.inv_list.body;
    case GDFS_MSG_NDTOND_LOG_APPEND:
        return &m->u.log_append.body;
    }
    return NULL;
}

static bool refs_eq(const struct gdfs_replica_ref *a,
                    const struct gdfs_replica_ref *b, uint8_t n)
{
    for (uint8_t i = 0; i < n; i++)
        if (!bytes_eq(a[i].id, b[i].id) || !bytes_eq(a[i].addr, b[i].addr))
            return false;
    return true;
}

static bool record_eq(const struct gdfs_record *a, const struct gdfs_record *b)
{
    return bytes_eq(a->name, b->name) && version_eq(a->version, b->version) &&
           a->size == b->size && a->chunk_size == b->chunk_size &&
           a->nchunks == b->nchunks &&
           memcmp(a->sha256, b->sha256, GDFS_SHA256_LEN) == 0 &&
           a->tombstone == b->tombstone && a->acked == b->acked &&
           a->nreplicas == b->nreplicas && a->nreplicas <= GDFS_REPLICAS &&
           refs_eq(a->replica, b->replica, a->nreplicas);
}

/* proto.h RECORD, spelled out again (not src/proto/'s code). */
static void check_record(const struct gdfs_record *r)
{
    CHECK(r->nreplicas <= GDFS_REPLICAS);
    CHECK((r->acked & ~((1u << r->nreplicas) - 1)) == 0);
    CHECK(r->version.seq >= 1);
    CHECK(r->version.seq <= 0x7fffffffffffffffull &&
          r->version.term <= 0x7fffffffffffffffull);
    CHECK(r->chunk_size == 0 || (r->chunk_size >= GDFS_CHUNK_MIN &&
                                 r->chunk_size <= GDFS_CHUNK_MAX));
    /* nchunks chunks of chunk_size, all full but the last, none empty */
    if (r->nchunks == 0)
        CHECK(r->size == 0);
    else
        CHECK(r->chunk_size != 0 &&
              (uint64_t)(r->nchunks - 1) * r->chunk_size < r->size &&
              r->size <= (uint64_t)r->nchunks * r->chunk_size);
    CHECK(!r->tombstone || r->size == 0);
    CHECK(gdfs_proto_check_name(r->name.p, r->name.len) == GDFS_OK);
    for (uint8_t i = 0; i < r->nreplicas; i++) {
        const struct gdfs_bytes *addr = &r->replica[i].addr;

        CHECK(gdfs_proto_check_node_id(r->replica[i].id.p,
                                       r->replica[i].id.len) == GDFS_OK);
        CHECK(addr->len <= GDFS_ADDR_MAX);
        for (size_t k = 0; k < addr->len; k++)
            CHECK(addr->p[k] >= 0x21 && addr->p[k] <= 0x7e);
        for (uint8_t j = 0; j < i; j++)
            CHECK(!bytes_eq(r->replica[i].id, r->replica[j].id));
    }
    eat(r->sha256, GDFS_SHA256_LEN);
}

/* Field-by-field equality of two decoded messages. */
static bool health_eq(const struct gdfs_health_figures *a,
                      const struct gdfs_health_figures *b)
{
    if (a->known != b->known || a->under != b->under ||
        a->nnames != b->nnames || a->nnames > GDFS_HEALTH_NAMES_MAX ||
        a->pending != b->pending || a->running != b->running ||
        a->done != b->done || a->failed != b->failed || a->bytes != b->bytes)
        return false;
    for (uint8_t i = 0; i < a->nnames; i++)
        if (!bytes_eq(a->names[i], b->names[i]))
            return false;
    return true;
}

static bool scrub_eq(const struct gdfs_scrub_figures *a,
                     const struct gdfs_scrub_figures *b)
{
    return a->running == b->running && a->passes == b->passes &&
           a->checked == b->checked && a->total == b->total &&
           a->bad == b->bad && a->repaired == b->repaired;
}

static bool replicate_eq(const struct gdfs_msg *a, const struct gdfs_msg *b)
{
    if (!record_eq(&a->u.replicate.rec, &b->u.replicate.rec) ||
        a->u.replicate.nsrc != b->u.replicate.nsrc ||
        a->u.replicate.nsrc > GDFS_REPLICATE_SRC_MAX)
        return false;
    for (uint8_t i = 0; i < a->u.replicate.nsrc; i++)
        if (!bytes_eq(a->u.replicate.src[i], b->u.replicate.src[i]))
            return false;
    return true;
}

static bool msg_eq(const struct gdfs_msg *a, const struct gdfs_msg *b)
{
    if (a->type != b->type || a->flags != b->flags || a->reqid != b->reqid)
        return false;
    switch (a->type) {
    case GDFS_MSG_NDTOCL_ERROR:
        return a->u.error.status == b->u.error.status &&
               bytes_eq(a->u.error.msg, b->u.error.msg);
    case GDFS_MSG_NDTOCL_OK:
        return version_eq(a->u.ok.version, b->u.ok.version);
    case GDFS_MSG_CLTOND_PUT:
    case GDFS_MSG_CLTOND_REMOVE:
    case GDFS_MSG_CLTOND_LOCATE:
    case GDFS_MSG_CLTOND_VERSIONS:
    case GDFS_MSG_NDTOND_ALLOC:
        return bytes_eq(a->u.put.name, b->u.put.name);
    case GDFS_MSG_NDTOCL_PUT_READY:
        return a->u.put_ready.chunk_size == b->u.put_ready.chunk_size &&
               version_eq(a->u.put_ready.version, b->u.put_ready.version);
    case GDFS_MSG_CHUNK:
        return a->u.chunk.idx == b->u.chunk.idx &&
               memcmp(a->u.chunk.sha256, b->u.chunk.sha256, GDFS_SHA256_LEN) ==
                   0 &&
               bytes_eq(a->u.chunk.data, b->u.chunk.data);
    case GDFS_MSG_NDTOND_RPUT_VERSION:
        if (!version_eq(a->u.put_end.version, b->u.put_end.version))
            return false;
        /* FALLTHROUGH: PUT_END's fields */
    case GDFS_MSG_CLTOND_PUT_END:
        return a->u.put_end.size == b->u.put_end.size &&
               a->u.put_end.nchunks == b->u.put_end.nchunks &&
               memcmp(a->u.put_end.sha256, b->u.put_end.sha256,
                      GDFS_SHA256_LEN) == 0;
    case GDFS_MSG_CLTOND_GET:
    case GDFS_MSG_NDTOND_LOOKUP:
        return a->u.get.seq == b->u.get.seq &&
               bytes_eq(a->u.get.name, b->u.get.name);
    case GDFS_MSG_NDTOCL_GET_INFO:
        return version_eq(a->u.get_info.version, b->u.get_info.version) &&
               a->u.get_info.size == b->u.get_info.size &&
               a->u.get_info.chunk_size == b->u.get_info.chunk_size &&
               a->u.get_info.nchunks == b->u.get_info.nchunks &&
               memcmp(a->u.get_info.sha256, b->u.get_info.sha256,
                      GDFS_SHA256_LEN) == 0;
    case GDFS_MSG_CLTOND_LIST:
        return a->u.list.scope == b->u.list.scope &&
               a->u.list.max == b->u.list.max &&
               bytes_eq(a->u.list.after, b->u.list.after);
    case GDFS_MSG_NDTOCL_LIST:
        return a->u.list_reply.more == b->u.list_reply.more &&
               body_eq(&a->u.list_reply.body, &b->u.list_reply.body);
    case GDFS_MSG_NDTOCL_LOCATE:
        return version_eq(a->u.locate_reply.version,
                          b->u.locate_reply.version) &&
               a->u.locate_reply.size == b->u.locate_reply.size &&
               body_eq(&a->u.locate_reply.body, &b->u.locate_reply.body);
    case GDFS_MSG_CLTOND_STATUS:
        return true;
    case GDFS_MSG_NDTOCL_STATUS:
        return bytes_eq(a->u.status_reply.id, b->u.status_reply.id) &&
               bytes_eq(a->u.status_reply.group, b->u.status_reply.group) &&
               bytes_eq(a->u.status_reply.leader, b->u.status_reply.leader) &&
               a->u.status_reply.term == b->u.status_reply.term &&
               a->u.status_reply.role == b->u.status_reply.role &&
               body_eq(&a->u.status_reply.body, &b->u.status_reply.body) &&
               a->u.status_reply.has_tail == b->u.status_reply.has_tail &&
               (!a->u.status_reply.has_tail ||
                (health_eq(&a->u.status_reply.health,
                           &b->u.status_reply.health) &&
                 scrub_eq(&a->u.status_reply.scrub,
                          &b->u.status_reply.scrub)));
    case GDFS_MSG_NDTOCL_VERSIONS:
        return body_eq(&a->u.versions_reply.body, &b->u.versions_reply.body);
    case GDFS_MSG_NDTOND_GROUP:
        return bytes_eq(a->u.group.raw, b->u.group.raw);
    case GDFS_MSG_CLTOND_LEAVE:
        return true;
    case GDFS_MSG_NDTOCL_PLACE:
        return version_eq(a->u.place.version, b->u.place.version) &&
               a->u.place.chunk_size == b->u.place.chunk_size &&
               a->u.place.nreplicas == b->u.place.nreplicas &&
               a->u.place.nreplicas <= GDFS_REPLICAS &&
               refs_eq(a->u.place.replica, b->u.place.replica,
                       a->u.place.nreplicas);
    case GDFS_MSG_NDTOND_RPUT:
        return version_eq(a->u.rput.version, b->u.rput.version) &&
               a->u.rput.chunk_size == b->u.rput.chunk_size &&
               bytes_eq(a->u.rput.name, b->u.rput.name);
    case GDFS_MSG_NDTOND_COMMIT:
    case GDFS_MSG_NDTOCL_RECORD:
        return record_eq(&a->u.record.rec, &b->u.record.rec);
    case GDFS_MSG_NDTOND_RGET:
    case GDFS_MSG_NDTOND_RGET_FROM:
    case GDFS_MSG_NDTOND_PROBE:
        return version_eq(a->u.rget.version, b->u.rget.version) &&
               bytes_eq(a->u.rget.name, b->u.rget.name) &&
               a->u.rget.first == b->u.rget.first;
    case GDFS_MSG_NDTOND_REPLICATE:
        return replicate_eq(a, b);
    case GDFS_MSG_NDTOND_DRAIN:
    case GDFS_MSG_CLTOND_ENROL:
    case GDFS_MSG_CLTOND_FORGET:
        return bytes_eq(a->u.drain.id, b->u.drain.id);
    case GDFS_MSG_NDTOCL_ENROL:
        return memcmp(a->u.enrol.key, b->u.enrol.key,
                      sizeof(a->u.enrol.key)) == 0 &&
               bytes_eq(a->u.enrol.group, b->u.enrol.group);
    case GDFS_MSG_NDTOND_HEALTH:
        return true;
    case GDFS_MSG_NDTOCL_HEALTH:
        return health_eq(&a->u.health, &b->u.health);
    case GDFS_MSG_NDTOCL_PROBE:
        return a->u.probe_reply.have == b->u.probe_reply.have &&
               version_eq(a->u.probe_reply.newest, b->u.probe_reply.newest) &&
               a->u.probe_reply.flags == b->u.probe_reply.flags;
    case GDFS_MSG_NDTOCL_STALE:
        return bytes_eq(a->u.stale.msg, b->u.stale.msg);
    case GDFS_MSG_NDTOND_META_SUM:
        return a->u.meta_sum.term == b->u.meta_sum.term &&
               bytes_eq(a->u.meta_sum.sums, b->u.meta_sum.sums);
    case GDFS_MSG_NDTOCL_META_DIFF:
        return a->u.meta_diff.mask == b->u.meta_diff.mask;
    case GDFS_MSG_NDTOND_META_SYNC:
        return a->u.meta_sync.term == b->u.meta_sync.term &&
               a->u.meta_sync.complete == b->u.meta_sync.complete &&
               a->u.meta_sync.more == b->u.meta_sync.more &&
               body_eq(&a->u.meta_sync.body, &b->u.meta_sync.body);
    case GDFS_MSG_NDTOND_INV_SUM:
        return a->u.inv_sum.incarnation == b->u.inv_sum.incarnation &&
               a->u.inv_sum.member_inc == b->u.inv_sum.member_inc &&
               bytes_eq(a->u.inv_sum.sums, b->u.inv_sum.sums);
    case GDFS_MSG_NDTOND_INV_LIST:
        return a->u.inv_list.incarnation == b->u.inv_list.incarnation &&
               a->u.inv_list.mask == b->u.inv_list.mask &&
               a->u.inv_list.more == b->u.inv_list.more &&
               body_eq(&a->u.inv_list.body, &b->u.inv_list.body);
    case GDFS_MSG_NDTOND_LOG_APPEND:
        return a->u.log_append.term == b->u.log_append.term &&
               a->u.log_append.prev_index == b->u.log_append.prev_index &&
               a->u.log_append.prev_term == b->u.log_append.prev_term &&
               a->u.log_append.commit == b->u.log_append.commit &&
               body_eq(&a->u.log_append.body, &b->u.log_append.body);
    case GDFS_MSG_NDTOCL_LOG_ACK:
        return a->u.log_ack.term == b->u.log_ack.term &&
               a->u.log_ack.ok == b->u.log_ack.ok &&
               a->u.log_ack.match == b->u.log_ack.match &&
               a->u.log_ack.last_index == b->u.log_ack.last_index &&
               a->u.log_ack.conflict_term == b->u.log_ack.conflict_term &&
               a->u.log_ack.conflict_from == b->u.log_ack.conflict_from;
    case GDFS_MSG_NDTOND_LOG_SNAP:
        return a->u.log_snap.term == b->u.log_snap.term &&
               a->u.log_snap.index == b->u.log_snap.index &&
               a->u.log_snap.index_term == b->u.log_snap.index_term;
    }
    return false;
}

/* Where walk_body() stops adding: entry number @at (from 0); it records
 * that add's result and the frame length just before it. */
struct stop {
    uint32_t at;
    int rc;
    size_t len_before;
};

/* Iterate the body of list reply @m, checking each entry, and add each one
 * to @w unless @w is NULL. With @st, the walk ends after entry st->at.
 * Returns the number of entries seen. */
static uint32_t walk_body(const struct gdfs_msg *m,
                          struct gdfs_proto_writer *w, struct stop *st)
{
    const struct gdfs_list_body *b = body_of(m);
    struct gdfs_list_entry le;
    struct gdfs_replica_entry re;
    struct gdfs_member_entry me;
    struct gdfs_version_entry ve;
    struct gdfs_record rec;
    struct gdfs_copy_entry ce;
    struct gdfs_log_entry ge;
    uint8_t kind;
    size_t off = 0, pre;
    uint32_t n = 0;
    int rc;

    for (;;) {
        pre = w != NULL ? w->len : 0;
        switch (m->type) {
        case GDFS_MSG_NDTOCL_LIST:
            if (!gdfs_proto_next_list(b, &off, &le))
                goto done;
            CHECK(gdfs_proto_check_name(le.name.p, le.name.len) == GDFS_OK);
            eat(le.name.p, le.name.len);
            eat(&le.size, sizeof(le.size));
            rc = w != NULL ? gdfs_proto_add_list(w, &le) : GDFS_OK;
            break;
        case GDFS_MSG_NDTOCL_LOCATE:
            if (!gdfs_proto_next_replica(b, &off, &re))
                goto done;
            CHECK(gdfs_proto_check_node_id(re.id.p, re.id.len) == GDFS_OK);
            CHECK(re.state <= GDFS_MEMBER_STATE_MAX);
            CHECK(re.copy <= GDFS_COPY_STATE_MAX);
            eat(re.addr.p, re.addr.len);
            rc = w != NULL ? gdfs_proto_add_replica(w, &re) : GDFS_OK;
            break;
        case GDFS_MSG_NDTOCL_STATUS:
            if (!gdfs_proto_next_member(b, &off, &me))
                goto done;
            CHECK(gdfs_proto_check_node_id(me.id.p, me.id.len) == GDFS_OK);
            CHECK(me.state <= GDFS_STATUS_STATE_MAX);
            CHECK((me.ring & ~(GDFS_RING_TO | GDFS_RING_FROM)) == 0);
            eat(me.addr.p, me.addr.len);
            rc = w != NULL ? gdfs_proto_add_member(w, &me) : GDFS_OK;
            break;
        case GDFS_MSG_NDTOND_META_SYNC:
            if (!gdfs_proto_next_record(b, &off, &rec))
                goto done;
            check_record(&rec);
            rc = w != NULL ? gdfs_proto_add_record(w, &rec) : GDFS_OK;
            break;
        case GDFS_MSG_NDTOND_INV_LIST:
            if (!gdfs_proto_next_copy(b, &off, &ce))
                goto done;
            CHECK(gdfs_proto_check_name(ce.name.p, ce.name.len) == GDFS_OK);
            CHECK(ce.version.seq >= 1 && ce.version.seq <= GDFS_VERSION_MAX &&
                  ce.version.term <= GDFS_VERSION_MAX);
            rc = w != NULL ? gdfs_proto_add_copy(w, &ce) : GDFS_OK;
            break;
        case GDFS_MSG_NDTOND_LOG_APPEND:
            if (!gdfs_proto_next_log_entry(b, &off, &ge))
                goto done;
            CHECK(ge.term >= 1 && ge.term <= GDFS_VERSION_MAX);
            CHECK(gdfs_proto_decode_entry(ge.data, ge.len, &kind, &rec) ==
                  GDFS_OK);
            if (kind == GDFS_ENTRY_RECORD)
                check_record(&rec);
            rc = w != NULL ? gdfs_proto_add_log_entry(w, &ge) : GDFS_OK;
            break;
        default:
            if (!gdfs_proto_next_version(b, &off, &ve))
                goto done;
            eat(&ve.version, sizeof(ve.version));
            rc = w != NULL ? gdfs_proto_add_version(w, &ve) : GDFS_OK;
            break;
        }
        n++;
        CHECK(n <= b->count);
        if (st != NULL && n - 1 == st->at) {
            st->rc = rc;
            st->len_before = pre;
            break;
        }
        CHECK(rc == GDFS_OK);
    }
done:
    /* both callers end at the last entry */
    CHECK(off == b->len);
    return n;
}

/* Re-encode @m into @buf (@cap bytes); the list writer for list replies,
 * gdfs_proto_encode_group (of gmsg, already decoded) for group messages. */
static int reencode(const struct gdfs_msg *m, uint8_t *buf, size_t cap,
                    size_t *len)
{
    struct gdfs_proto_writer w;
    uint32_t n;
    int rc;

    if (m->type == GDFS_MSG_NDTOND_GROUP) {
        /* the generic encoder refuses it */
        CHECK(gdfs_proto_encode(m, buf, cap, len) == GDFS_EINVAL);
        rc = gdfs_proto_encode_group(&gmsg, buf, cap, len);
        if (rc == GDFS_OK && *len >= HDR) {
            /* encode_group writes flags and reqid 0; put the input's back
             * so the frame compares whole */
            CHECK(buf[6] == 0 && buf[7] == 0 && buf[8] == 0 && buf[9] == 0 &&
                  buf[10] == 0 && buf[11] == 0);
            buf[6] = (uint8_t)(m->flags >> 8);
            buf[7] = (uint8_t)m->flags;
            buf[8] = (uint8_t)(m->reqid >> 24);
            buf[9] = (uint8_t)(m->reqid >> 16);
            buf[10] = (uint8_t)(m->reqid >> 8);
            buf[11] = (uint8_t)m->reqid;
        }
        return rc;
    }
    if (!is_list_reply(m->type))
        return gdfs_proto_encode(m, buf, cap, len);
    rc = gdfs_proto_writer_begin(&w, buf, cap, m);
    if (rc != GDFS_OK)
        return rc;
    n = walk_body(m, &w, NULL);
    CHECK(n == body_of(m)->count && w.count == n);
    if (m->type == GDFS_MSG_NDTOCL_STATUS && m->u.status_reply.has_tail) {
        rc = gdfs_proto_writer_status_tail(&w, &m->u.status_reply.health,
                                           &m->u.status_reply.scrub);
        if (rc != GDFS_OK)
            return rc;
    }
    return gdfs_proto_writer_finish(
        &w,
        (m->type == GDFS_MSG_NDTOCL_LIST && m->u.list_reply.more) ||
            (m->type == GDFS_MSG_NDTOND_META_SYNC && m->u.meta_sync.more) ||
            (m->type == GDFS_MSG_NDTOND_INV_LIST && m->u.inv_list.more),
        len);
}

/* Rebuild list reply @m (count > 0) into a buffer one byte short of
 * @flen: the last add must fail with GDFS_ETOOBIG and change nothing, and
 * the frame finished with "more" must decode to all entries but the last. */
static void check_overflow(const struct gdfs_msg *m, const uint8_t *frame,
                           size_t flen)
{
    const struct gdfs_list_body *b = body_of(m);
    struct stop st = {b->count - 1, GDFS_OK, 0};
    struct gdfs_proto_writer w;
    struct gdfs_frame_hdr hdr;
    struct gdfs_msg m2;
    size_t len = 0, fixed;

    CHECK(gdfs_proto_writer_begin(&w, out, flen - 1, m) == GDFS_OK);
    CHECK(walk_body(m, &w, &st) == b->count);
    CHECK(st.rc == GDFS_ETOOBIG);
    CHECK(w.len == st.len_before && w.count == b->count - 1);
    CHECK(gdfs_proto_writer_finish(&w, true, &len) == GDFS_OK);
    CHECK(len == st.len_before && len <= flen - 1);
    CHECK(gdfs_proto_decode_hdr(out, GDFS_PROTO_MAX_PAYLOAD, &hdr) == GDFS_OK);
    CHECK(HDR + hdr.len == len);
    CHECK(gdfs_proto_decode(&hdr, out + HDR, &m2) == GDFS_OK);
    /* fixed fields as in the input (LIST: only "more", now 1,
     * precedes the count; META_SYNC: the term and the complete mask, then
     * "more"; INV_LIST: incarnation and mask, then "more"); body a prefix
     * of the input's */
    fixed = m->type == GDFS_MSG_NDTOND_META_SYNC ||
                    m->type == GDFS_MSG_NDTOND_INV_LIST
                ? 16
            : has_more(m->type) ? 0
                                : w.count_off - HDR;
    CHECK(memcmp(out + HDR, frame + HDR, fixed) == 0);
    CHECK(body_of(&m2)->count == b->count - 1);
    CHECK(body_of(&m2)->len < b->len);
    CHECK(memcmp(body_of(&m2)->p, b->p, body_of(&m2)->len) == 0);
    if (m->type == GDFS_MSG_NDTOCL_LIST)
        CHECK(m2.u.list_reply.more);
    if (m->type == GDFS_MSG_NDTOND_INV_LIST)
        CHECK(m2.u.inv_list.more &&
              m2.u.inv_list.incarnation == m->u.inv_list.incarnation &&
              m2.u.inv_list.mask == m->u.inv_list.mask);
    if (m->type == GDFS_MSG_NDTOND_META_SYNC)
        CHECK(m2.u.meta_sync.more &&
              m2.u.meta_sync.term == m->u.meta_sync.term &&
              m2.u.meta_sync.complete == m->u.meta_sync.complete);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gdfs_frame_hdr hdr, hdr2;
    struct gdfs_msg m, m2;
    uint8_t *payload;
    size_t flen, len = 0;
    int rc;

    /* The validators on raw bytes, against their rules spelled out. */
    if (size <= GDFS_NAME_MAX + 1) {
        bool ok = size >= 1 && size <= GDFS_NAME_MAX;
        for (size_t i = 0; i < size; i++)
            ok = ok && data[i] >= 0x20 && data[i] != 0x7f;
        CHECK((gdfs_proto_check_name(data, size) == GDFS_OK) == ok);
    }

    if (size < HDR)
        return 0;
    rc = gdfs_proto_decode_hdr(data, GDFS_PROTO_MAX_PAYLOAD, &hdr);
    if (rc != GDFS_OK) {
        CHECK(rc == GDFS_EPROTO);
        return 0;
    }
    CHECK(hdr.type >= 1 && hdr.type <= GDFS_MSG_TYPE_MAX &&
          (hdr.flags & ~GDFS_FLAG_MASK) == 0 &&
          hdr.len <= GDFS_PROTO_MAX_PAYLOAD);
    eat(gdfs_proto_type_name(hdr.type), 1);
    if (size - HDR < hdr.len)
        return 0;
    flen = HDR + hdr.len;

    payload = malloc(hdr.len > 0 ? hdr.len : 1);
    if (payload == NULL)
        abort();
    memcpy(payload, data + HDR, hdr.len);
    rc = gdfs_proto_decode(&hdr, payload, &m);
    if (hdr.type == GDFS_MSG_NDTOND_GROUP) {
        /* decode validates in full: both decoders agree */
        int rc2 = gdfs_proto_decode_group(payload, hdr.len, &gmsg);
        CHECK(rc2 == rc);
        if (rc2 != GDFS_OK)
            CHECK(gmsg.type == 0 && gmsg.from[0] == '\0');
        else
            CHECK(m.u.group.raw.p == payload && m.u.group.raw.len == hdr.len);
    }
    if (rc != GDFS_OK) {
        CHECK(rc == GDFS_EPROTO);
        free(payload);
        return 0;
    }
    CHECK(m.type == hdr.type && m.flags == hdr.flags && m.reqid == hdr.reqid);
    if (m.type == GDFS_MSG_NDTOND_COMMIT || m.type == GDFS_MSG_NDTOCL_RECORD)
        check_record(&m.u.record.rec);
    if (m.type == GDFS_MSG_NDTOND_REPLICATE)
        check_record(&m.u.replicate.rec);
    if (m.type == GDFS_MSG_NDTOND_RPUT_VERSION)
        CHECK(m.u.put_end.version.seq >= 1 &&
              m.u.put_end.version.seq <= GDFS_VERSION_MAX &&
              m.u.put_end.version.term <= GDFS_VERSION_MAX);
    if ((m.type == GDFS_MSG_CLTOND_PUT_END ||
         m.type == GDFS_MSG_NDTOND_RPUT_VERSION) &&
        m.u.put_end.nchunks == 0)
        CHECK(m.u.put_end.size == 0);
    if ((m.type == GDFS_MSG_CLTOND_PUT_END ||
         m.type == GDFS_MSG_NDTOND_RPUT_VERSION) &&
        m.u.put_end.nchunks > 0)
        CHECK((uint64_t)(m.u.put_end.nchunks - 1) * GDFS_CHUNK_MIN <
                  m.u.put_end.size &&
              m.u.put_end.size <=
                  (uint64_t)m.u.put_end.nchunks * GDFS_CHUNK_MAX);

    /* Iterate any list body fully (no writer). */
    if (is_list_reply(m.type)) {
        const struct gdfs_list_body *b = body_of(&m);
        CHECK(walk_body(&m, NULL, NULL) == b->count);
        CHECK(b->p >= payload && b->p + b->len <= payload + hdr.len);
    }

    /* Canonical re-encoding, then decode it back. */
    rc = reencode(&m, out, sizeof(out), &len);
    CHECK(rc == GDFS_OK);
    CHECK(len == flen);
    CHECK(memcmp(out, data, flen) == 0);
    CHECK(gdfs_proto_decode_hdr(out, GDFS_PROTO_MAX_PAYLOAD, &hdr2) ==
          GDFS_OK);
    CHECK(hdr2.type == hdr.type && hdr2.flags == hdr.flags &&
          hdr2.reqid == hdr.reqid && hdr2.len == hdr.len);
    CHECK(gdfs_proto_decode(&hdr2, out + HDR, &m2) == GDFS_OK);
    CHECK(msg_eq(&m, &m2));

    /* One byte too small: every message refuses to encode. */
    if (m.type == GDFS_MSG_NDTOND_GROUP) {
        CHECK(gdfs_proto_encode_group(&gmsg, out, flen - 1, &len) ==
              GDFS_ETOOBIG);
    } else if (!is_list_reply(m.type)) {
        CHECK(gdfs_proto_encode(&m, out, flen - 1, &len) == GDFS_ETOOBIG);
    } else if (body_of(&m)->count > 0 && !(m.type == GDFS_MSG_NDTOCL_STATUS &&
                                           m.u.status_reply.has_tail)) {
        /* (a STATUS tail follows the members: the frame one byte short
         * still holds them all) */
        check_overflow(&m, data, flen);
    }

    eat(&m, sizeof(m.type) + sizeof(m.reqid));
    free(payload);
    return 0;
}
