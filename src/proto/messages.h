/* The gdfs wire messages: the one list, with each message's payload layout.
 *
 * Everything that depends on the set of messages is generated from
 * GDFS_PROTO_MSG_LIST: enum gdfs_msg_type below, and in src/proto/frame.c
 * the table that gdfs_proto_type_name(), the header check (an id not in
 * the list is refused), decode, encode and the list writer go through.
 * How to add a message: see the top of src/proto.h.
 *
 * X(name, id, dir, codec, auth)
 *   name  the message is GDFS_MSG_<name>, its log name "<name>"
 *   id    the type byte on the wire: never renumber, never reuse
 *   dir   who sends it, as the name's prefix says: CLTOND client to node,
 *         NDTOCL node to client (a node that dials another node is its
 *         client), NDTOND node to node; ANY either way
 *   codec how its payload is read and written: the struct
 *         gdfs_proto_codec gdfs_proto_codec_<codec> (src/proto/proto_int.h),
 *         defined beside its decode/check/encode functions in the family's
 *         file under src/proto/; messages with the same payload share one
 *   auth  who may send it as a request (enum gdfs_msg_auth, GDFS_AUTH_<auth>):
 *         READ, WRITE, ADMIN a credential of that role or higher, or a
 *         member; JOIN a join token (role node) or a member; MEMBER an
 *         authenticated member only; LEADER only the member this node
 *         believes leads the message's term; REPLY never (a reply, or a
 *         frame only valid inside another exchange's stream)
 * The comment above each entry is its payload layout (fields big-endian,
 * name:bits, name:NB for N bytes, then what the values may be). */
#ifndef GDFS_PROTO_MESSAGES_H
#define GDFS_PROTO_MESSAGES_H

#define GDFS_PROTO_MSG_LIST(X)                                                \
    /* status:32 msglen:16 msg:msglen  (status is a GDFS_E* code != 0) */     \
    X(NDTOCL_ERROR, 1, NDTOCL, error, REPLY)                                  \
    /* seq:64 term:64  (generic success; the version the operation made) */   \
    X(NDTOCL_OK, 2, NDTOCL, ok, REPLY)                                        \
    /* namelen:16 name:namelen  (start a put; chunks follow once READY) */    \
    X(CLTOND_PUT, 3, CLTOND, name, WRITE)                                     \
    /* chunk_size:32 seq:64 term:64  (the version this put will create, or    \
     * 0 when it is assigned at commit: the OK that ends the put says) */     \
    X(NDTOCL_PUT_READY, 4, NDTOCL, put_ready, REPLY)                          \
    /* idx:32 sha256:32B len:32 data:len  (either direction; len >= 1         \
     * except for the only chunk of an empty file, which is never sent) */    \
    X(CHUNK, 5, ANY, chunk, WRITE)                                            \
    /* size:64 nchunks:32 sha256:32B  (file hash = SHA-256 over the           \
     * concatenated chunk hashes; reply is OK or ERROR; nchunks 0 only        \
     * with size 0, else size above (nchunks - 1) x GDFS_CHUNK_MIN and at     \
     * most nchunks x GDFS_CHUNK_MAX; the node compares both with the         \
     * chunks it received) */                                                 \
    X(CLTOND_PUT_END, 6, CLTOND, put_end, WRITE)                              \
    /* seq:64 namelen:16 name:namelen  (seq 0 = newest) */                    \
    X(CLTOND_GET, 7, CLTOND, get, READ)                                       \
    /* seq:64 term:64 size:64 chunk_size:32 nchunks:32 sha256:32B             \
     * (then nchunks CHUNK frames, idx 0..nchunks-1) */                       \
    X(NDTOCL_GET_INFO, 8, NDTOCL, get_info, REPLY)                            \
    /* namelen:16 name:namelen  (reply OK with the tombstone's version) */    \
    X(CLTOND_REMOVE, 9, CLTOND, name, WRITE)                                  \
    /* scope:8 (0 all files, 1 files held here) max:32 afterlen:16 after      \
     * (names sorted bytewise; entries with name > after; afterlen may        \
     * be 0) */                                                               \
    X(CLTOND_LIST, 10, CLTOND, list, READ)                                    \
    /* more:8 count:32 then count x                                           \
     *   { namelen:16 name size:64 seq:64 term:64 replicas:8 } */             \
    X(NDTOCL_LIST, 11, NDTOCL, list_reply, REPLY)                             \
    /* namelen:16 name:namelen */                                             \
    X(CLTOND_LOCATE, 12, CLTOND, name, READ)                                  \
    /* seq:64 term:64 size:64 count:8 then count x                            \
     *   { idlen:8 id addrlen:8 addr seq:64 term:64 state:8 copy:8 }          \
     * (state: the member's, GDFS_MEMBER_STATE_MAX at most; copy: enum        \
     * gdfs_copy_state, the leader's inventory view of that copy) */          \
    X(NDTOCL_LOCATE, 13, NDTOCL, locate_reply, REPLY)                         \
    /* (empty payload) */                                                     \
    X(CLTOND_STATUS, 14, CLTOND, empty, READ)                                 \
    /* idlen:8 id grouplen:8 group leaderlen:8 leader term:64 role:8          \
     * count:16 then count x { idlen:8 id addrlen:8 addr state:8 ring:8 }     \
     * (leaderlen may be 0; state: 0..3 as in group messages, or 4 unknown:   \
     * the node has no leader and cannot vouch for the member (older CLIs     \
     * refuse the reply then); role: enum gdfs_group_role 0..5; ring: bit 0 = \
     * the node asked heartbeats this member, bit 1 = this member's           \
     * heartbeats reach the node asked; other bits 0)                         \
     * then, optionally (absent from older nodes): HEALTH (see                \
     * NDTOCL_HEALTH: the leader's view) and this node's scrub figures        \
     * running:8 (0/1) passes:32 checked:64 total:64 bad:64 repaired:64       \
     * then, optionally (absent from older nodes), ROOMS (NDTOCL_HEALTH) */   \
    X(NDTOCL_STATUS, 15, NDTOCL, status_reply, REPLY)                         \
    /* namelen:16 name:namelen */                                             \
    X(CLTOND_VERSIONS, 16, CLTOND, name, READ)                                \
    /* count:16 then count x { seq:64 term:64 size:64 tombstone:8 } */        \
    X(NDTOCL_VERSIONS, 17, NDTOCL, versions_reply, REPLY)                     \
    /* One group message (struct gdfs_gmsg):                                  \
     *   kind:8 fromlen:8 from grouplen:8 group term:64 then by kind:         \
     *   HEARTBEAT  incarnation:64                                            \
     *   APPEND     sent_at:64 committed:VER set:SET then, optionally         \
     *              (absent from older nodes): full:64 drain:64 (the          \
     *              leader's placement exclusions, bit i = member i of set:   \
     *              no room above its reserve; being drained; bits >= count   \
     *              0)                                                        \
     *   APPEND_ACK sent_at:64 version:VER incarnation:64 then, optionally    \
     *              (absent from older nodes and while unknown):              \
     *              used:64 free:64 reserve:64 (the member's disk room,       \
     *              each <= GDFS_CAPACITY_MAX)                                \
     *   VOTE       pre:8 version:VER log_term:64 log_index:64 (the           \
     *              candidate's last record log entry)                        \
     *   VOTE_ACK   pre:8 granted:8                                           \
     *   SUSPECT    targetlen:8 target incarnation:64                         \
     *   JOIN       addrlen:8 addr                                            \
     *   LEAVE      (nothing)                                                 \
     * VER = seq:64 term:64; SET = grouplen:8 group version:VER count:8 then  \
     * count x { idlen:8 id addrlen:8 addr state:8 incarnation:64 since:64 }  \
     * (count <= GDFS_GROUP_MAX, ids unique). from is a node id; group is     \
     * empty only in JOIN; booleans are 0 or 1. One-way: no reply frame. */   \
    X(NDTOND_GROUP, 18, NDTOND, group, MEMBER)                                \
    /* (empty payload) ask the node to leave its group gracefully, after      \
     * its copies are handed off; reply OK (seq: files left under-            \
     * replicated because no other member could take a copy; term 0) or       \
     * ERROR */                                                               \
    X(CLTOND_LEAVE, 19, CLTOND, empty, ADMIN)                                 \
    /* ---- files: replication (DESIGN.md "Files"). A seq or term stored      \
     * (RECORD, PLACE, RPUT, the term of META_*) is at most                   \
     * GDFS_VERSION_MAX (proto.h "Versions"). RECORD is a file's              \
     * metadata record:                                                       \
     *   seq:64 term:64 size:64 chunk_size:32 nchunks:32 sha256:32B           \
     *   flags:8 (bit 0 tombstone, other bits 0) acked:8 (bit i: replica i    \
     *   holds the version durably; bits >= count are 0) count:8 (0..3)       \
     *   then count x { idlen:8 id addrlen:8 addr } namelen:16 name           \
     * (addrlen may be 0: address unknown to the sender; ids unique; seq >=   \
     * 1; chunk_size 0 or GDFS_CHUNK_MIN..GDFS_CHUNK_MAX; nchunks =           \
     * ceil(size / chunk_size), so 0 for an empty file, and size and          \
     * nchunks 0 when chunk_size is 0; a tombstone has size 0). ---- */       \
    /* namelen:16 name:namelen  (gateway -> leader: a put of name starts;     \
     * reply PLACE or ERROR) */                                               \
    X(NDTOND_ALLOC, 20, NDTOND, name, MEMBER)                                 \
    /* seq:64 term:64 chunk_size:32 count:8 (1..3) then count x               \
     *   { idlen:8 id addrlen:8 addr }  (addrlen >= 1; ids unique;            \
     * chunk_size GDFS_CHUNK_MIN..GDFS_CHUNK_MAX) */                          \
    X(NDTOCL_PLACE, 21, NDTOCL, place, REPLY)                                 \
    /* seq:64 term:64 chunk_size:32 namelen:16 name  (gateway -> replica:     \
     * store this version; reply PUT_READY, then CHUNK frames and PUT_END     \
     * as for CLTOND_PUT; PUT_END's reply is OK once it is durable;           \
     * chunk_size GDFS_CHUNK_MIN..GDFS_CHUNK_MAX; seq >= 1, or seq and term   \
     * both 0: the version is not known yet; PUT_READY and OK then say 0 0,   \
     * and RPUT_VERSION follows the OK) */                                    \
    X(NDTOND_RPUT, 22, NDTOND, rput, MEMBER)                                  \
    /* RECORD  (gateway -> leader: commit it; reply OK or ERROR) */           \
    X(NDTOND_COMMIT, 23, NDTOND, record, MEMBER)                              \
    /* 24..26: retired (META_PUT, META_PULL, META_LIST: records sent to       \
     * members, and collected by a new leader, before the record log); never  \
     * reuse */                                                               \
    /* seq:64 namelen:16 name  (-> leader: the committed record of name,      \
     * seq 0 = newest; reply RECORD or ERROR) */                              \
    X(NDTOND_LOOKUP, 27, NDTOND, get, MEMBER)                                 \
    /* RECORD */                                                              \
    X(NDTOCL_RECORD, 28, NDTOCL, record, REPLY)                               \
    /* seq:64 term:64 namelen:16 name  (-> replica: send exactly this         \
     * version: GET_INFO then its CHUNK frames, or ERROR; seq >= 1) */        \
    X(NDTOND_RGET, 29, NDTOND, rget, MEMBER)                                  \
    /* ---- files: repair (docs/ARCHITECTURE.md "Upkeep") ---- */             \
    /* RECORD nsrc:8 then nsrc x { addrlen:8 addr }  (leader -> member:       \
     * hold a complete, verified copy of the record's version, fetching       \
     * what is missing from the sources in turn (RGET_FROM); reply OK with    \
     * the version once it is durable, or ERROR; not a tombstone; nsrc        \
     * 1..GDFS_REPLICATE_SRC_MAX, addrlen >= 1; every source a current        \
     * member's address as the member set spells it, else ERROR               \
     * GDFS_EINVAL and nothing is dialled; from the leader (re-replication)   \
     * or any member's read repair: MEMBER) */                                \
    X(NDTOND_REPLICATE, 30, NDTOND, replicate, MEMBER)                        \
    /* first:32 seq:64 term:64 namelen:16 name  (-> replica: as RGET, but     \
     * the CHUNK frames after GET_INFO start at index first (none when        \
     * first >= nchunks); seq >= 1) */                                        \
    X(NDTOND_RGET_FROM, 31, NDTOND, rget_from, MEMBER)                        \
    /* idlen:8 id  (leaving member -> leader: hand off every copy member      \
     * id holds; reply, once no file on it can still be moved, OK with seq    \
     * = the files that could not be moved (no room, no healthy source)       \
     * and term 0, or ERROR) */                                               \
    X(NDTOND_DRAIN, 32, NDTOND, drain, MEMBER)                                \
    /* (empty payload)  (-> leader: its re-replication figures; reply         \
     * HEALTH or ERROR) */                                                    \
    X(NDTOND_HEALTH, 33, NDTOND, empty, MEMBER)                               \
    /* HEALTH = known:8 (0/1: 1 if the figures below come from a leader       \
     * that finished a scan; else under and names are 0) under:32             \
     * count:8 (0..GDFS_HEALTH_NAMES_MAX) then count x { namelen:16 name }    \
     * pending:32 running:32 done:64 failed:64 bytes:64                       \
     * NDTOCL_HEALTH is HEALTH then, always (count 0 for none),               \
     * ROOMS = count:8 (0..GDFS_GROUP_MAX) then count x { idlen:8 id          \
     * used:64 free:64 reserve:64 } (the members' disk room as the leader     \
     * last heard it; each figure <= GDFS_CAPACITY_MAX; a member left out is  \
     * unknown) */                                                            \
    X(NDTOCL_HEALTH, 34, NDTOCL, health, REPLY)                               \
    /* ---- files: scrub, read repair, stale reads (35..39) ---- */           \
    /* seq:64 term:64 namelen:16 name  (-> replica: what do you hold of       \
     * name? Answered from the store without reading chunks; reply            \
     * NDTOCL_PROBE. seq 0 (then term 0) asks only for the newest) */         \
    X(NDTOND_PROBE, 35, NDTOND, probe, MEMBER)                                \
    /* have:8 seq:64 term:64 flags:8  (have, of the version asked: 0 not      \
     * held complete here (or seq 0 was asked), 1 held complete, 2 held       \
     * but its scrub found a bad chunk; seq/term: the newest committed        \
     * version held here, 0 0 if none; flags bit 0: that newest version is    \
     * a tombstone; other bits 0) */                                          \
    X(NDTOCL_PROBE, 36, NDTOCL, probe_reply, REPLY)                           \
    /* msglen:16 msg  (node -> client, only for a CLTOND_GET flagged          \
     * GDFS_FLAG_STALE_OK that was served without a leader's record: sent     \
     * before GET_INFO, says why the bytes may be stale; msglen               \
     * 1..GDFS_ERRMSG_MAX) */                                                 \
    X(NDTOCL_STALE, 37, NDTOCL, stale, REPLY)                                 \
    /* ---- files: record sync (anti-entropy). The leader compares its        \
     * records with each member's by digest and sends the buckets that        \
     * differ again. ---- */                                                  \
    /* term:64 then GDFS_META_BUCKETS x { count:32 sum:16B }  (leader of      \
     * @term -> member: the leader's record digest; reply META_DIFF; term     \
     * >= 1) */                                                               \
    X(NDTOND_META_SUM, 45, NDTOND, meta_sum, LEADER)                          \
    /* mask:64  (bit i: the member's bucket i differs from the leader's) */   \
    X(NDTOCL_META_DIFF, 46, NDTOCL, meta_diff, REPLY)                         \
    /* term:64 complete:64 more:8 count:32 then count x RECORD  (leader       \
     * of @term -> member: persist these records as committed, all in one     \
     * transaction; reply OK, or ERROR GDFS_ESTALE when the member promised   \
     * a newer term; term >= 1; more: more pages follow; complete, read on    \
     * the last page only (more = 0): bit i set when this push carried        \
     * every record of bucket i the leader holds (a member drops there the    \
     * unconfirmed records older leaders sent it before the record log);      \
     * the payload is at most GDFS_META_PAGE_MAX bytes) */                    \
    X(NDTOND_META_SYNC, 47, NDTOND, meta_sync, LEADER)                        \
    /* ---- joining (docs/ARCHITECTURE.md "Security") ---- */                 \
    /* idlen:8 id  (a node joining with a join token -> a member: hand me     \
     * the group key; id is the joining node's id, for the log; reply         \
     * ENROL or ERROR) */                                                     \
    X(CLTOND_ENROL, 48, CLTOND, drain, JOIN)                                  \
    /* key:32B grouplen:8 group  (the group key and the group's id;           \
     * grouplen 1..GDFS_NODE_ID_MAX) */                                       \
    X(NDTOCL_ENROL, 49, NDTOCL, enrol, REPLY)                                 \
    /* ---- files: copy inventory (DESIGN.md "Copies and inventory"; src/     \
     * store/store.h "copy inventory"). The sender is the channel's           \
     * authenticated member, never a field. ---- */                           \
    /* incarnation:64 member_inc:64 then GDFS_META_BUCKETS x                  \
     *   { count:32 sum:16B }                                                 \
     * (member -> leader: the digest of the copies the member's records       \
     * say it holds and it does hold; incarnation: the member process's       \
     * own, so a restart shows; member_inc (<= GDFS_VERSION_MAX): its         \
     * incarnation in the member set when it took the digest, so that the     \
     * leader knows a report older than the member's last start or refute;    \
     * reply META_DIFF with the buckets that differ from the leader's         \
     * claims for it, or ERROR GDFS_ENOTLEADER) */                            \
    X(NDTOND_INV_SUM, 50, NDTOND, inv_sum, MEMBER)                            \
    /* incarnation:64 mask:64 more:8 count:32 then count x                    \
     *   { seq:64 term:64 namelen:16 name }  (member -> leader, after a       \
     * META_DIFF: every complete copy the member holds in the buckets of      \
     * mask, in pages; more: more pages follow; seq >= 1; the payload is at   \
     * most GDFS_META_PAGE_MAX bytes; reply OK or ERROR) */                   \
    X(NDTOND_INV_LIST, 51, NDTOND, inv_list, MEMBER)                          \
    /* ---- runbook ---- */                                                   \
    /* idlen:8 id  (an admin -> any member, passed on to the leader: remove   \
     * member id from the group for good now, not after dead_ms; only one     \
     * the leader has confirmed failed, never the leader; reply, once the     \
     * removal is committed, OK with the member set's version, or ERROR) */   \
    X(CLTOND_FORGET, 52, CLTOND, drain, ADMIN)                                \
    /* ---- the record log (docs/record-log.md). ENTRY = kind:8 (enum         \
     * gdfs_entry_kind: 0 no-op, 1 record) then, for a record, RECORD. ----   \
     */                                                                       \
    /* term:64 prev_index:64 prev_term:64 commit:64 count:32 then count x     \
     *   { term:64 ENTRY }                                                    \
     * (leader of @term -> member: Raft's AppendEntries; the entries have     \
     * the indices after prev_index; term >= 1, every number at most          \
     * GDFS_VERSION_MAX, entry terms >= 1; the payload is at most             \
     * GDFS_LOG_PAGE_MAX bytes; reply LOG_ACK) */                             \
    X(NDTOND_LOG_APPEND, 53, NDTOND, log_append, LEADER)                      \
    /* term:64 ok:8 match:64 last_index:64 conflict_term:64                   \
     * conflict_from:64  (the member's term; ok: match is the last index      \
     * known to agree; not ok: its last index, its term at prev_index (0:     \
     * none) and the first index it holds of that term; each at most          \
     * GDFS_VERSION_MAX) */                                                   \
    X(NDTOCL_LOG_ACK, 54, NDTOCL, log_ack, REPLY)                             \
    /* term:64 index:64 index_term:64  (leader of @term -> member, after      \
     * META_SYNC pages of every bucket: those records are the leader's        \
     * record table up to its entry @index, of @index_term; take it as the    \
     * log's snapshot; term, index_term >= 1, index >= 1, each at most        \
     * GDFS_VERSION_MAX; reply LOG_ACK) */                                    \
    X(NDTOND_LOG_SNAP, 55, NDTOND, log_snap, LEADER)                          \
    /* seq:64 term:64 size:64 nchunks:32 sha256:32B  (gateway -> replica,     \
     * on the stream of an RPUT sent with seq 0, after its OK: the copy       \
     * just stored is version seq/term (seq >= 1), and its content is         \
     * PUT_END's fields (same rules) again; reply OK once the copy has that   \
     * version, or ERROR; outside such a stream it is refused) */             \
    X(NDTOND_RPUT_VERSION, 56, NDTOND, rput_version, MEMBER)

/* Message types (wire ids). */
enum gdfs_msg_type {
#define GDFS_PROTO_MSG_ENUM(name, id, dir, codec, auth) GDFS_MSG_##name = id,
    GDFS_PROTO_MSG_LIST(GDFS_PROTO_MSG_ENUM)
#undef GDFS_PROTO_MSG_ENUM
};
/* The largest id in the list (ids below it may be unassigned). */
#define GDFS_MSG_TYPE_MAX 56

#endif
