/* What the files of src/proto/ share, and nothing outside them sees: the
 * codec table's row type, one codec per message payload (declared from
 * GDFS_PROTO_MSG_LIST), and the field readers, writers and validators
 * more than one family uses.
 *
 * Every reader here reads through a sticky gdfs_pack_reader (a short read
 * sets r->bad and returns zeros) and says true only for a valid value;
 * every writer writes through a sticky gdfs_pack_writer (check w->bad
 * once at the end). Nothing here allocates or asserts on input. */
#ifndef GDFS_PROTO_INT_H
#define GDFS_PROTO_INT_H

#include "proto.h"

#include "pack.h"

/* ---- the codec table ----------------------------------------------------- */

/* Reads one entry of a list body into @e (the entry struct its list
 * reply's iterator fills) and validates it. */
typedef bool (*gdfs_proto_entry_read_cb)(struct gdfs_pack_reader *r, void *e);

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
    /* Largest payload of this message, below the frame limit (header
     * decode, decode and the list writer refuse more); 0: no limit of
     * its own. */
    uint32_t max_payload;
};

#define GDFS_PROTO_CODEC_DECLARE(name, id, dir, codec, auth)                  \
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
/* A term, or both halves of a version, at most GDFS_VERSION_MAX (proto.h
 * "Versions"). */
bool gdfs_proto_valid_term(uint64_t term);
bool gdfs_proto_valid_version(const struct gdfs_version *v);
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

/* A disk room (used:64 free:64 reserve:64, each at most
 * GDFS_CAPACITY_MAX): read (false, and c->known false, if bad or
 * short) and write. */
bool gdfs_proto_read_room(struct gdfs_pack_reader *r, struct gdfs_capacity *c);
void gdfs_proto_put_room(struct gdfs_pack_writer *w,
                         const struct gdfs_capacity *c);
/* ROOMS (proto/messages.h NDTOCL_HEALTH), the optional end of a frame:
 * nothing left in @r gives an empty list. */
bool gdfs_proto_read_rooms(struct gdfs_pack_reader *r,
                           struct gdfs_list_body *b);
/* Write ROOMS from a body gdfs_proto_valid_rooms_enc() accepted. */
void gdfs_proto_put_rooms(struct gdfs_pack_writer *w,
                          const struct gdfs_list_body *b);
/* @b holds exactly b->count valid entries, at most GDFS_GROUP_MAX. */
bool gdfs_proto_valid_rooms_enc(const struct gdfs_list_body *b);

#endif
