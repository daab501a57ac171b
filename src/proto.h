/* gdfs wire protocol: frames and messages. The whole protocol lives here
 * and in proto/messages.h (the list of messages with their layouts), which
 * this header includes; the code is in src/proto/.
 *
 * How to add a message:
 *   1. Add an entry X(name, id, dir, codec) to GDFS_PROTO_MSG_LIST in
 *      proto/messages.h with its layout comment above it. Take an unused
 *      id (never reuse or renumber one: ids are the wire format). That
 *      gives GDFS_MSG_<name>, its log name and its acceptance by
 *      gdfs_proto_decode_hdr.
 *   2. If its payload is new, add its member to the union in struct
 *      gdfs_msg below, and write its codec in the family's file under
 *      src/proto/ (client.c, records.c, replica.c, group.c): static
 *      <codec>_decode (read and validate every field, never trust a
 *      length), <codec>_check (GDFS_ETOOBIG / GDFS_EINVAL for what decode
 *      would refuse) and <codec>_encode, and a
 *      const struct gdfs_proto_codec gdfs_proto_codec_<codec>. A list reply
 *      also sets .entry, .count_len and .more, and gets an adder and an
 *      iterator below. Nothing else dispatches on the message type.
 *   3. Test it in tests/unit/test_proto.c: a sample in sample_frame() (a
 *      round trip; test_proto_every_type_has_a_sample fails without one),
 *      and its truncated and out-of-range forms refused with GDFS_EPROTO.
 *
 * Pure code: bytes in, structs out (and back). No I/O, no allocation.
 * Every integer is big-endian. Every length is checked against the bytes
 * actually present and against the limits below; anything else is
 * GDFS_EPROTO.
 *
 * Frame = 16-byte header + payload:
 *   magic:32 ("GDFS" = 0x47444653) version:8 (=1) type:8 flags:16
 *   reqid:32 (echoed in the reply) len:32 (payload bytes, <= max_payload)
 *
 * Names (file names) are 1..GDFS_NAME_MAX bytes without NUL or control
 * bytes (0x00-0x1f, 0x7f); a frame carrying any other name is GDFS_EPROTO.
 * Node ids are 1..GDFS_NODE_ID_MAX bytes of [A-Za-z0-9._-]; addresses are
 * 1..GDFS_ADDR_MAX printable bytes.
 *
 * Versions: a version is (seq, term). seq is the user-visible version
 * number: unique among committed versions of the group and increasing in
 * commit order; term says which leader assigned it. seq 0 means "none" /
 * "newest" where a field says so. A seq or term a node stores (in a
 * RECORD, PLACE or RPUT, and the term of META_SUM, META_SYNC and
 * LOG_APPEND) is at most GDFS_VERSION_MAX: the store keeps them as SQLite's
 * signed 64-bit integers and orders them there, where a larger one would
 * sort below every other. Real seqs and terms count up by one from 1.
 *
 * Decoded pointers (gdfs_bytes, list bodies) point into the input buffer and
 * live as long as it does. */
#ifndef GDFS_PROTO_H
#define GDFS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GDFS_PROTO_MAGIC 0x47444653u
#define GDFS_PROTO_VERSION 1
#define GDFS_PROTO_HDR_LEN 16
/* Largest chunk a node may be configured with, and so the largest CHUNK. */
#define GDFS_CHUNK_MAX (4u * 1024 * 1024)
#define GDFS_CHUNK_MIN (4u * 1024)
/* Largest payload any frame may carry. */
#define GDFS_PROTO_MAX_PAYLOAD (GDFS_CHUNK_MAX + 64u * 1024)
#define GDFS_NAME_MAX 1024
#define GDFS_NODE_ID_MAX 64
#define GDFS_ADDR_MAX 255
#define GDFS_ERRMSG_MAX 1024
#define GDFS_SHA256_LEN 32
#define GDFS_VERSION_MAX ((uint64_t)INT64_MAX)

/* Message types: enum gdfs_msg_type, one entry per message with its
 * payload layout, generated from the list in proto/messages.h. */
#include "proto/messages.h"

/* Record digests (META_SUM): buckets by a hash of the file name, and the
 * size of each bucket's sum. */
#define GDFS_META_BUCKETS 64
#define GDFS_META_SUM_LEN 16
#define GDFS_META_SUMS_LEN (GDFS_META_BUCKETS * (4 + GDFS_META_SUM_LEN))
/* Largest NDTOND_META_SYNC payload. A member holds the records of one
 * page in memory (over a kilobyte each as struct gdfs_meta), so a page is
 * bounded by this, not by the frame limit: room for hundreds of records
 * of any size. */
#define GDFS_META_PAGE_MAX (64u * 1024)

/* Largest NDTOND_LOG_APPEND payload: the entries of one append request of
 * the record log (docs/record-log.md). A follower stores them as they
 * come, one transaction per request. */
#define GDFS_LOG_PAGE_MAX (256u * 1024)

/* Header flag bits. FORWARDED: a gateway node passed this request on to
 * the node it believes leads; that node answers ENOTLEADER rather than
 * forwarding again. STALE_OK (CLTOND_GET only; ignored elsewhere): when no
 * leader can name the newest committed version, serve the newest version
 * a reachable replica holds, preceded by NDTOCL_STALE (get --stale-ok).
 * Other bits must be 0. */
#define GDFS_FLAG_FORWARDED 1
#define GDFS_FLAG_STALE_OK 2
#define GDFS_FLAG_MASK (GDFS_FLAG_FORWARDED | GDFS_FLAG_STALE_OK)

/* NDTOCL_PROBE have:8 values. */
enum gdfs_probe_have {
    GDFS_PROBE_ABSENT = 0,
    GDFS_PROBE_COMPLETE = 1,
    GDFS_PROBE_DAMAGED = 2,
};
#define GDFS_PROBE_HAVE_MAX 2
#define GDFS_PROBE_TOMBSTONE 1 /* NDTOCL_PROBE flags bit 0 */

/* Replicas per file (DESIGN.md: every file lives on 3 nodes). */
#define GDFS_REPLICAS 3
/* Source addresses one REPLICATE may carry. */
#define GDFS_REPLICATE_SRC_MAX 8
/* Under-replicated file names a HEALTH carries, at most. */
#define GDFS_HEALTH_NAMES_MAX 16

/* Member and replica states, as on the wire (state:8). */
enum gdfs_member_state {
    GDFS_MEMBER_ALIVE = 0,
    GDFS_MEMBER_SUSPECT = 1,
    GDFS_MEMBER_FAILED = 2,
    GDFS_MEMBER_LEFT = 3,
    /* NDTOCL_STATUS only: the node asked has no leader and cannot vouch
     * for this member's state (its own view is stale). Never in group
     * messages, records or LOCATE, whose range stays ..MEMBER_STATE_MAX. */
    GDFS_MEMBER_UNKNOWN = 4,
};
#define GDFS_MEMBER_STATE_MAX 3
#define GDFS_STATUS_STATE_MAX 4 /* states a NDTOCL_STATUS member may have */

enum gdfs_list_scope { GDFS_LIST_ALL = 0, GDFS_LIST_HERE = 1 };

/* A byte string inside a frame (not NUL-terminated). */
struct gdfs_bytes {
    const uint8_t *p;
    size_t len;
};

struct gdfs_version {
    uint64_t seq;
    uint64_t term;
};

/* Compare versions: <0, 0, >0 as @a is older, equal, newer than @b (by
 * term, then seq): member set versions and file versions alike. */
int gdfs_version_cmp(const struct gdfs_version *a,
                     const struct gdfs_version *b);

struct gdfs_frame_hdr {
    uint8_t type;
    uint16_t flags;
    uint32_t reqid;
    uint32_t len;
};

/* One entry of NDTOCL_LIST. */
struct gdfs_list_entry {
    struct gdfs_bytes name;
    uint64_t size;
    struct gdfs_version version;
    uint8_t replicas;
};

/* One replica of NDTOCL_LOCATE. */
/* What the leader knows of a replica's copy (DESIGN.md "Copies and
 * inventory"): its member's inventory report says it holds the copy, or
 * lacks it; no report vouches for it (yet); or the put never heard it
 * acknowledged. */
enum gdfs_copy_state {
    GDFS_COPY_UNVERIFIED = 0,
    GDFS_COPY_HELD = 1,
    GDFS_COPY_LACKING = 2,
    GDFS_COPY_UNACKED = 3,
};
#define GDFS_COPY_STATE_MAX 3

struct gdfs_replica_entry {
    struct gdfs_bytes id;
    struct gdfs_bytes addr;
    struct gdfs_version version;
    uint8_t state; /* the member's: GDFS_MEMBER_* */
    uint8_t copy;  /* enum gdfs_copy_state */
};

/* One member of NDTOCL_STATUS. */
#define GDFS_RING_TO 1   /* the node asked heartbeats this member */
#define GDFS_RING_FROM 2 /* this member's heartbeats reach the node asked */
struct gdfs_member_entry {
    struct gdfs_bytes id;
    struct gdfs_bytes addr;
    uint8_t state;
    uint8_t ring; /* GDFS_RING_* bits */
};

/* One entry of NDTOCL_VERSIONS. */
struct gdfs_version_entry {
    struct gdfs_version version;
    uint64_t size;
    bool tombstone;
};

/* One copy of NDTOND_INV_LIST. */
struct gdfs_copy_entry {
    struct gdfs_bytes name;
    struct gdfs_version version;
};

/* What a record log entry holds (ENTRY on the wire: kind:8, then a RECORD
 * for GDFS_ENTRY_RECORD; docs/record-log.md). */
enum gdfs_entry_kind {
    GDFS_ENTRY_NOOP = 0,   /* a new leader's first entry: changes nothing */
    GDFS_ENTRY_RECORD = 1, /* a file's record, committed when applied */
};

/* One entry of NDTOND_LOG_APPEND: its term and its ENTRY bytes (decode
 * with gdfs_proto_decode_entry); the index follows from the request's
 * prev_index. */
struct gdfs_log_entry {
    uint64_t term;
    const uint8_t *data;
    size_t len;
};

/* A replica's node id and address (address may be empty in a RECORD). */
struct gdfs_replica_ref {
    struct gdfs_bytes id;
    struct gdfs_bytes addr;
};

/* A list body inside a decoded frame: @count entries, already validated by
 * decode, read with the gdfs_proto_next_* iterators below. */
struct gdfs_list_body {
    const uint8_t *p;
    size_t len;
    uint32_t count;
};

/* Bytes a disk room figure may give (1 EiB): a larger one is refused, so
 * that sums of a few of them never wrap. */
#define GDFS_CAPACITY_MAX (1ull << 60)

/* A member's disk room (issue 13 "Capacity"): the bytes its
 * database files take, the bytes free to it on its data_dir's filesystem
 * and the free bytes it keeps in reserve ([store] reserve_mib). Each at
 * most GDFS_CAPACITY_MAX. @known false: not reported (yet). */
struct gdfs_capacity {
    bool known;
    uint64_t used;
    uint64_t free;
    uint64_t reserve;
};

/* Bytes free above @c's reserve: 0 when it is below, UINT64_MAX when @c is
 * unknown (a member that has not reported takes copies: a fresh group
 * must work before the first report). */
static inline uint64_t gdfs_capacity_spare(const struct gdfs_capacity *c)
{
    if (!c->known)
        return UINT64_MAX;
    return c->free > c->reserve ? c->free - c->reserve : 0;
}

/* Whether @size more bytes fit with @c's reserve left free (a member at
 * its reserve has no room even for an empty file: its metadata takes some
 * too). The one rule for "has room", used by placement and by a node's
 * check of its own writes. */
static inline bool gdfs_capacity_fits(const struct gdfs_capacity *c,
                                      uint64_t size)
{
    return gdfs_capacity_spare(c) > size;
}

/* One member's room in the list HEALTH and STATUS end with. */
struct gdfs_capacity_entry {
    struct gdfs_bytes id;
    struct gdfs_capacity room; /* known is true */
};

/* Re-replication figures (HEALTH on the wire). */
struct gdfs_health_figures {
    bool known;
    uint32_t under;
    uint8_t nnames;
    struct gdfs_bytes names[GDFS_HEALTH_NAMES_MAX];
    uint32_t pending, running;
    uint64_t done, failed, bytes;
    /* The leader's view of its members' disk room, at the end of the
     * frame (absent from older nodes: count 0): entries made by
     * gdfs_proto_pack_capacity, read with gdfs_proto_next_capacity. */
    struct gdfs_list_body capacity;
};

/* A node's scrub figures (the tail of NDTOCL_STATUS). */
struct gdfs_scrub_figures {
    bool running;
    uint32_t passes;
    uint64_t checked, total, bad, repaired;
};

/* A file's metadata record (RECORD on the wire). */
struct gdfs_record {
    struct gdfs_bytes name;
    struct gdfs_version version;
    uint64_t size;
    uint32_t chunk_size;
    uint32_t nchunks;
    uint8_t sha256[GDFS_SHA256_LEN];
    bool tombstone;
    uint8_t acked; /* bit i: replica[i] holds the version durably */
    uint8_t nreplicas;
    struct gdfs_replica_ref replica[GDFS_REPLICAS];
};

/* A decoded (or to-be-encoded) message. Only the member of @u named after
 * @type is meaningful. */
struct gdfs_msg {
    uint8_t type;
    uint16_t flags; /* GDFS_FLAG_* */
    uint32_t reqid;
    /* One line per message with few fields: a table, kept by hand. */
    /* clang-format off */
    union {
        struct { uint32_t status; struct gdfs_bytes msg; } error;
        struct { struct gdfs_version version; } ok;
        struct { struct gdfs_bytes name; } put;     /* also REMOVE, LOCATE, VERSIONS */
        struct { uint32_t chunk_size; struct gdfs_version version; } put_ready;
        struct {
            uint32_t idx;
            uint8_t sha256[GDFS_SHA256_LEN];
            struct gdfs_bytes data;
        } chunk;
        struct {
            /* RPUT_VERSION only: the version (PUT_END leaves it 0 0) */
            struct gdfs_version version;
            uint64_t size;
            uint32_t nchunks;
            uint8_t sha256[GDFS_SHA256_LEN];
        } put_end;
        struct { uint64_t seq; struct gdfs_bytes name; } get;
        struct {
            struct gdfs_version version;
            uint64_t size;
            uint32_t chunk_size;
            uint32_t nchunks;
            uint8_t sha256[GDFS_SHA256_LEN];
        } get_info;
        struct { uint8_t scope; uint32_t max; struct gdfs_bytes after; } list;
        struct { bool more; struct gdfs_list_body body; } list_reply;
        struct {
            struct gdfs_version version;
            uint64_t size;
            struct gdfs_list_body body;
        } locate_reply;
        struct {
            struct gdfs_bytes id;
            struct gdfs_bytes group;
            struct gdfs_bytes leader;
            uint64_t term;
            uint8_t role;
            struct gdfs_list_body body;
            /* the optional tail (gdfs_proto_writer_status_tail) */
            bool has_tail;
            struct gdfs_health_figures health;
            struct gdfs_scrub_figures scrub;
        } status_reply;
        struct { struct gdfs_list_body body; } versions_reply;
        /* NDTOND_GROUP: the raw payload, checked by
         * gdfs_proto_decode_group (gdfs_proto_decode validates it fully). */
        struct { struct gdfs_bytes raw; } group;
        /* NDTOND_ALLOC uses put; NDTOND_LOOKUP uses get. */
        struct {
            struct gdfs_version version;
            uint32_t chunk_size;
            uint8_t nreplicas;
            struct gdfs_replica_ref replica[GDFS_REPLICAS];
        } place;
        struct {
            struct gdfs_version version;
            uint32_t chunk_size;
            struct gdfs_bytes name;
        } rput;
        struct { struct gdfs_record rec; } record; /* COMMIT and RECORD */
        /* sums: GDFS_META_SUMS_LEN bytes as on the wire */
        struct { uint64_t term; struct gdfs_bytes sums; } meta_sum;
        struct { uint64_t mask; } meta_diff;
        /* sums as in meta_sum */
        struct {
            uint64_t incarnation; /* the member process's, drawn at start */
            uint64_t member_inc;  /* its incarnation in the member set */
            struct gdfs_bytes sums;
        } inv_sum;
        struct {
            uint64_t incarnation;
            uint64_t mask; /* the buckets the listing covers */
            bool more;
            struct gdfs_list_body body;
        } inv_list;
        struct {
            uint64_t term;
            uint64_t complete; /* bucket mask, see NDTOND_META_SYNC */
            bool more;
            struct gdfs_list_body body;
        } meta_sync;
        /* RGET (first is 0) and RGET_FROM */
        struct {
            struct gdfs_version version;
            struct gdfs_bytes name;
            uint32_t first;
        } rget;
        struct { struct gdfs_bytes id; } drain; /* and CLTOND_ENROL, _FORGET */
        struct {
            uint8_t key[32]; /* GDFS_GROUP_KEY_LEN */
            struct gdfs_bytes group;
        } enrol;
        struct gdfs_health_figures health; /* NDTOCL_HEALTH */
        struct {
            struct gdfs_record rec;
            uint8_t nsrc;
            struct gdfs_bytes src[GDFS_REPLICATE_SRC_MAX];
        } replicate;
        /* NDTOND_PROBE uses rget (seq 0: newest only). */
        struct {
            uint8_t have; /* enum gdfs_probe_have */
            struct gdfs_version newest;
            uint8_t flags; /* GDFS_PROBE_TOMBSTONE */
        } probe_reply;
        struct { struct gdfs_bytes msg; } stale;
        /* NDTOND_LOG_APPEND: entries in body (gdfs_proto_next_log_entry) */
        struct {
            uint64_t term, prev_index, prev_term, commit;
            struct gdfs_list_body body;
        } log_append;
        struct {
            uint64_t term; /* the follower's */
            bool ok;
            uint64_t match, last_index, conflict_term, conflict_from;
        } log_ack;
        struct { uint64_t term, index, index_term; } log_snap;
    } u;
    /* clang-format on */
};

/* ---- group messages ------------------------------------------------------ */

/* The group state machine (src/core/group.h) speaks in these structs;
 * GDFS_MSG_NDTOND_GROUP carries one on the wire. */
#define GDFS_GROUP_MAX 64

/* One member of the member set. */
struct gdfs_member {
    char id[GDFS_NODE_ID_MAX + 1];
    char addr[GDFS_ADDR_MAX + 1];
    uint8_t state;        /* GDFS_MEMBER_ALIVE/SUSPECT/FAILED/LEFT */
    uint64_t incarnation; /* raised by the member to refute suspicion */
    uint64_t since;       /* leader's clock: when state last changed */
};

/* The member set: which nodes form the group (versioned, changed one node
 * at a time through the leader) and the leader's view of their liveness
 * (soft state, carried along). */
struct gdfs_members {
    char group_id[GDFS_NODE_ID_MAX + 1];
    struct gdfs_version version; /* (index, term of the leader that made it) */
    uint32_t n;
    struct gdfs_member m[GDFS_GROUP_MAX];
};

enum gdfs_gmsg_type {
    GDFS_GMSG_HEARTBEAT = 1, /* ring neighbour -> neighbour */
    GDFS_GMSG_APPEND,        /* leader -> member: authority, member set */
    GDFS_GMSG_APPEND_ACK,    /* member -> leader */
    GDFS_GMSG_VOTE,          /* candidate -> member (pre-vote or vote) */
    GDFS_GMSG_VOTE_ACK,      /* member -> candidate */
    GDFS_GMSG_SUSPECT,       /* monitor -> leader: a neighbour is silent */
    GDFS_GMSG_JOIN,          /* new node -> leader: add me */
    GDFS_GMSG_LEAVE,         /* member -> leader: remove me */
};

/* A group message. @from is filled by the sender's state machine; the host
 * carries the whole struct to @to (encoding it on the wire). */
struct gdfs_gmsg {
    uint8_t type;
    char from[GDFS_NODE_ID_MAX + 1];
    char group_id[GDFS_NODE_ID_MAX + 1]; /* empty from a node still joining */
    uint64_t term;
    union {
        struct {
            uint64_t incarnation;
        } heartbeat;
        struct {
            uint64_t sent_at; /* leader's clock, echoed in the ack */
            struct gdfs_version committed; /* newest member set committed */
            struct gdfs_members set;
            /* the leader's placement exclusions (bit i: set.m[i]), filled
             * in by its host (node/group/grouphost.c), not by the state
             * machine; the optional tail, sent when @hint */
            bool hint;
            uint64_t full;  /* no room above its reserve, as it reported */
            uint64_t drain; /* its copies are being handed off */
        } append;
        struct {
            uint64_t sent_at;
            struct gdfs_version version; /* member set version held */
            uint64_t incarnation;
            /* the member's disk room, filled in by its host (node/group/
             * grouphost.c), not by the state machine; the optional tail */
            struct gdfs_capacity room;
        } append_ack;
        struct {
            bool pre;
            struct gdfs_version version; /* candidate's member set */
            /* the candidate's last record log entry (docs/record-log.md) */
            uint64_t log_term, log_index;
        } vote;
        struct {
            bool pre;
            bool granted;
        } vote_ack;
        struct {
            char target[GDFS_NODE_ID_MAX + 1];
            uint64_t incarnation;
        } suspect;
        struct {
            char addr[GDFS_ADDR_MAX + 1];
        } join;
    } u;
};

/* ---- frame header -------------------------------------------------------- */

/* Decode the 16-byte header at @buf (at least GDFS_PROTO_HDR_LEN bytes).
 * GDFS_EPROTO on a wrong magic, version, flags outside GDFS_FLAG_MASK,
 * a type not in GDFS_PROTO_MSG_LIST (proto/messages.h), or a payload
 * length above @max_payload (which itself is capped at
 * GDFS_PROTO_MAX_PAYLOAD) or above the type's own limit (META_SYNC,
 * INV_LIST: GDFS_META_PAGE_MAX). */
int gdfs_proto_decode_hdr(const uint8_t *buf, uint32_t max_payload,
                          struct gdfs_frame_hdr *hdr);

/* Whole size (header + payload) of the frame whose header @buf holds, as
 * its length field says (for a frame gdfs_proto_decode_hdr accepted). */
size_t gdfs_proto_frame_len(const uint8_t *buf);

/* ---- whole messages ------------------------------------------------------ */

/* Decode the payload of a frame whose header is @hdr into @m.
 * @payload holds exactly hdr->len bytes. Returns GDFS_OK or GDFS_EPROTO
 * (trailing bytes, truncated field, bad name, bad count, bad state...).
 * Pointers in @m point into @payload. */
int gdfs_proto_decode(const struct gdfs_frame_hdr *hdr, const uint8_t *payload,
                      struct gdfs_msg *m);

/* Encode @m (header, with @m->flags, included) into @buf of @cap bytes;
 * *len gets the frame size. GDFS_ETOOBIG if it does not fit or a field is
 * over its limit; GDFS_EINVAL for flags outside GDFS_FLAG_MASK, a value
 * decode would refuse, or a message that cannot be encoded this way (list
 * replies: use the list writer below; NDTOND_GROUP:
 * gdfs_proto_encode_group). No reference to @m is kept. */
int gdfs_proto_encode(const struct gdfs_msg *m, uint8_t *buf, size_t cap,
                      size_t *len);

/* Encode only the fixed part of a CHUNK frame (header + idx + sha + len)
 * into @buf (GDFS_PROTO_CHUNK_OVERHEAD bytes) for a chunk of @datalen bytes
 * that the caller sends right after it (or placed right behind it). */
#define GDFS_PROTO_CHUNK_OVERHEAD                                             \
    (GDFS_PROTO_HDR_LEN + 4 + GDFS_SHA256_LEN + 4)
void gdfs_proto_encode_chunk_hdr(uint8_t *buf, uint32_t reqid, uint32_t idx,
                                 const uint8_t sha256[GDFS_SHA256_LEN],
                                 uint32_t datalen);

/* ---- list replies: writer ------------------------------------------------ */

/* Builds NDTOCL_LIST, NDTOCL_LOCATE, NDTOCL_STATUS, NDTOCL_VERSIONS,
 * NDTOND_META_SYNC, NDTOND_INV_LIST and NDTOND_LOG_APPEND in a
 * caller-supplied buffer: begin with the fixed fields in @m (body ignored;
 * flags as in gdfs_proto_encode), add entries, finish. An add that does not
 * fit returns GDFS_ETOOBIG and leaves the frame as it was, so the caller can
 * finish it with "more". */
struct gdfs_proto_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;       /* bytes used so far */
    size_t count_off; /* where the entry count lives */
    uint32_t count;
    uint32_t count_max; /* 255 or 65535 or UINT32_MAX by message type */
    uint8_t type;
};

int gdfs_proto_writer_begin(struct gdfs_proto_writer *w, uint8_t *buf,
                            size_t cap, const struct gdfs_msg *m);
int gdfs_proto_add_list(struct gdfs_proto_writer *w,
                        const struct gdfs_list_entry *e);
int gdfs_proto_add_replica(struct gdfs_proto_writer *w,
                           const struct gdfs_replica_entry *e);
int gdfs_proto_add_member(struct gdfs_proto_writer *w,
                          const struct gdfs_member_entry *e);
int gdfs_proto_add_version(struct gdfs_proto_writer *w,
                           const struct gdfs_version_entry *e);
/* META_SYNC entries (begin with m->type NDTOND_META_SYNC and
 * m->u.meta_sync.term). A record that decode would refuse, or with a
 * field over its limit, is GDFS_EINVAL. */
int gdfs_proto_add_record(struct gdfs_proto_writer *w,
                          const struct gdfs_record *r);
/* NDTOND_INV_LIST entries. A bad name or a seq of 0 is GDFS_EINVAL. */
int gdfs_proto_add_copy(struct gdfs_proto_writer *w,
                        const struct gdfs_copy_entry *e);
/* NDTOCL_STATUS only: append the optional tail (after the last member; no
 * member may be added after it). GDFS_ETOOBIG if it does not fit,
 * GDFS_EINVAL for figures decode would refuse (more than
 * GDFS_HEALTH_NAMES_MAX names, a bad name). */
int gdfs_proto_writer_status_tail(struct gdfs_proto_writer *w,
                                  const struct gdfs_health_figures *h,
                                  const struct gdfs_scrub_figures *sc);
/* Patch count (and, for the lists that have one, @more) and the header
 * length; *len gets the frame size. */
int gdfs_proto_writer_finish(struct gdfs_proto_writer *w, bool more,
                             size_t *len);

/* ---- list replies: readers ----------------------------------------------- */

/* Iterate a decoded body. *off starts at 0. Returns true and fills @e while
 * entries remain. Never fails on a body that gdfs_proto_decode accepted. */
bool gdfs_proto_next_list(const struct gdfs_list_body *b, size_t *off,
                          struct gdfs_list_entry *e);
bool gdfs_proto_next_replica(const struct gdfs_list_body *b, size_t *off,
                             struct gdfs_replica_entry *e);
bool gdfs_proto_next_member(const struct gdfs_list_body *b, size_t *off,
                            struct gdfs_member_entry *e);
bool gdfs_proto_next_version(const struct gdfs_list_body *b, size_t *off,
                             struct gdfs_version_entry *e);
bool gdfs_proto_next_record(const struct gdfs_list_body *b, size_t *off,
                            struct gdfs_record *r);
bool gdfs_proto_next_copy(const struct gdfs_list_body *b, size_t *off,
                          struct gdfs_copy_entry *e);
/* NDTOND_LOG_APPEND entries (begin with m->type NDTOND_LOG_APPEND and its
 * fixed fields). GDFS_EINVAL for a term of 0 or above GDFS_VERSION_MAX,
 * or data that is not one ENTRY (gdfs_proto_decode_entry). */
int gdfs_proto_add_log_entry(struct gdfs_proto_writer *w,
                             const struct gdfs_log_entry *e);
bool gdfs_proto_next_log_entry(const struct gdfs_list_body *b, size_t *off,
                               struct gdfs_log_entry *e);

/* ---- record log entries -------------------------------------------------- */

/* Encode an ENTRY of @kind (@r: the record of a GDFS_ENTRY_RECORD, else
 * NULL) into @buf of @cap bytes; *len gets its size. GDFS_EINVAL for a
 * record decode would refuse, GDFS_ETOOBIG if @cap is short. */
int gdfs_proto_encode_entry(uint8_t kind, const struct gdfs_record *r,
                            uint8_t *buf, size_t cap, size_t *len);
/* Decode the ENTRY of exactly @len bytes at @p: *kind, and @r (pointing
 * into @p) for a record. GDFS_EPROTO for anything malformed. */
int gdfs_proto_decode_entry(const uint8_t *p, size_t len, uint8_t *kind,
                            struct gdfs_record *r);

/* The capacity list of HEALTH and STATUS (struct gdfs_health_figures
 * capacity): pack @n entries (at most GDFS_GROUP_MAX, valid ids, figures
 * at most GDFS_CAPACITY_MAX; else GDFS_EINVAL) into @buf of @cap bytes
 * (GDFS_ETOOBIG if short; 64 entries take under 6 KiB) and make @out
 * cover them; @out points into @buf. The entry with known false is left
 * out. */
int gdfs_proto_pack_capacity(const struct gdfs_capacity_entry *e, unsigned n,
                             uint8_t *buf, size_t cap,
                             struct gdfs_list_body *out);
bool gdfs_proto_next_capacity(const struct gdfs_list_body *b, size_t *off,
                              struct gdfs_capacity_entry *e);

/* ---- validation ---------------------------------------------------------- */

/* GDFS_OK if @p/@len is a valid file name, else GDFS_ENAME. */
int gdfs_proto_check_name(const uint8_t *p, size_t len);
/* GDFS_OK if @p/@len is a valid node id, else GDFS_EINVAL. */
int gdfs_proto_check_node_id(const uint8_t *p, size_t len);

/* A file's shape: @size bytes in @nchunks chunks of @chunk_size bytes, all
 * full but the last. True when nchunks = ceil(size / chunk_size) (0 for an
 * empty file); with @chunk_size 0 (a record of no bytes: a tombstone),
 * only when size and nchunks are 0 too. The chunk size's range is the
 * caller's rule. Computed in 64 bits: a size whose chunk count does not
 * fit in 32 bits never matches, so a size that passes is at most
 * GDFS_SIZE_MAX and size + chunk_size, idx * chunk_size (in 64 bits)
 * cannot overflow. Every message that carries all three (RECORD,
 * GET_INFO) is refused unless they pass. */
bool gdfs_proto_valid_shape(uint64_t size, uint32_t chunk_size,
                            uint32_t nchunks);
#define GDFS_SIZE_MAX ((uint64_t)UINT32_MAX * GDFS_CHUNK_MAX)
/* Bytes of chunk @idx (< nchunks) of a file whose shape
 * gdfs_proto_valid_shape accepted (chunk_size >= 1). */
uint32_t gdfs_proto_chunk_len(uint64_t size, uint32_t chunk_size,
                              uint32_t nchunks, uint32_t idx);

/* ---- group messages on the wire ------------------------------------------ */

/* Encode @g as a whole NDTOND_GROUP frame (header included, flags and
 * reqid 0) into @buf of @cap bytes; *len gets the frame size. GDFS_ETOOBIG
 * if it does not fit, GDFS_EINVAL for a message decode would refuse (bad
 * kind, id, group, address, state, count over GDFS_GROUP_MAX, duplicate
 * ids). */
int gdfs_proto_encode_group(const struct gdfs_gmsg *g, uint8_t *buf,
                            size_t cap, size_t *len);

/* Decode the payload of an NDTOND_GROUP frame (as gdfs_proto_decode
 * returns it in m->u.group.raw) into @g, which owns copies of every string
 * (no pointer into the input). GDFS_EPROTO on anything malformed. */
int gdfs_proto_decode_group(const uint8_t *p, size_t len, struct gdfs_gmsg *g);

/* Name of a message type for logs ("CLTOND_PUT"); "?" if unknown. */
const char *gdfs_proto_type_name(uint8_t type);

/* Who may send a message as a request (the auth column of
 * proto/messages.h). */
enum gdfs_msg_auth {
    GDFS_AUTH_REPLY = 0, /* never as a request */
    GDFS_AUTH_READ,      /* role read or higher, or a member */
    GDFS_AUTH_WRITE,     /* role write or higher, or a member */
    GDFS_AUTH_ADMIN,     /* role admin, or a member */
    GDFS_AUTH_JOIN,      /* a join token (role node), or a member */
    GDFS_AUTH_MEMBER,    /* members only */
    GDFS_AUTH_LEADER,    /* only the member leading the message's term */
};
/* GDFS_AUTH_REPLY for a type not in the list. */
enum gdfs_msg_auth gdfs_proto_auth_of(uint8_t type);

#endif
