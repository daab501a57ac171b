/* The node's store: one SQLite database in data_dir holding node state,
 * the member table, the file versions held here, and their chunks.
 *
 * store.c is the only code that includes sqlite3.h. It exposes verbs,
 * never SQL. A struct gdfs_store is one SQLite connection and is used by
 * one thread at a time; threads open their own (WAL lets readers run
 * beside the one writer; writers wait up to a busy timeout).
 *
 * Durability (DESIGN.md "Storage"): every connection runs with
 * synchronous=NORMAL. Chunk rows are written in short autocommit
 * transactions (WAL: atomic, not yet fsynced) while the version row is in
 * state "writing"; the transaction that makes the version visible is a
 * durable one: it commits, releases the writer lock, and returns only
 * after a group-commit fdatasync of the WAL that began after its commit
 * (store.c, "writer lock and group commit"), which covers every chunk
 * written before it. A crash before that commit leaves an invisible
 * "writing" version, deleted by gdfs_store_recover. */
#ifndef GDFS_STORE_H
#define GDFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "proto.h"

#define GDFS_STORE_DB_NAME "gdfs.db"

struct gdfs_store;

struct gdfs_store_opts {
    uint32_t page_size;     /* for a new database only */
    uint32_t cache_kib;     /* page cache per connection */
    uint32_t keep_versions; /* complete versions kept per file */
    bool no_migrate;  /* only check the schema (per-thread connections: the
                       * node's main connection migrated it at start-up;
                       * migrating takes the write lock) */
    uint32_t busy_ms; /* longest wait for the writer lock (0: 30 s): a
                       * write then fails with GDFS_EBUSY */
};

enum gdfs_version_state {
    GDFS_VERSION_WRITING = 0,
    GDFS_VERSION_COMPLETE = 1,
    GDFS_VERSION_TOMBSTONE = 2,
};

/* One file version held here. */
struct gdfs_store_version {
    int64_t id; /* local row id: handle for chunk I/O */
    struct gdfs_version version;
    int state;
    uint64_t size;
    uint32_t chunk_size;
    uint32_t nchunks;
    uint8_t sha256[GDFS_SHA256_LEN];
};

struct gdfs_node_state {
    char node_id[GDFS_NODE_ID_MAX + 1];
    char group_id[GDFS_NODE_ID_MAX + 1];
    uint64_t term;
    uint64_t last_seq;
};

/* ---- life cycle ---------------------------------------------------------- */

/* Open (creating if needed) the database at @path and bring its schema up
 * to date. A new database file is created with mode 0600 whatever the
 * umask; SQLite gives the -wal and -shm files it makes beside it the same
 * mode. A database whose user_version is newer than this binary knows is
 * refused with GDFS_EVERSION. Errors: GDFS_ESTORE/GDFS_ENOSPC/GDFS_EVERSION
 * with a reason in @err. *out is freed with gdfs_store_close. */
int gdfs_store_open(const char *path, const struct gdfs_store_opts *opts,
                    struct gdfs_store **out, char *err, size_t errlen);

/* Check that the database at @path and the files SQLite keeps beside it
 * (-wal, -shm, -journal), those that exist, give no access to group or
 * others: they hold every file stored on this node. GDFS_OK (also when
 * none exists yet), or GDFS_ECONFIG with @err naming each such file, its
 * mode and the fix ("chmod 600 ..."). Does not open the database. */
int gdfs_store_check_modes(const char *path, char *err, size_t errlen);

/* Run SQLite's quick_check on @st's database: every page of every b-tree
 * and overflow chain is read and its structure checked (not the agreement
 * of indexes with their tables: that is integrity_check, whose cost grows
 * faster than the file). Run once at node start-up, before anything
 * reads the database, so that a damaged store never serves. GDFS_OK if
 * SQLite answers "ok"; GDFS_ECORRUPT with @err ("quick_check: <first
 * problem SQLite found>") if the file is damaged, including when SQLite
 * cannot even read it (SQLITE_CORRUPT, SQLITE_NOTADB); GDFS_EIO,
 * GDFS_ENOMEM or GDFS_ESTORE with the reason if the check could not run.
 * Takes no writer lock: readers may run beside it. */
int gdfs_store_check(struct gdfs_store *st, char *err, size_t errlen);
void gdfs_store_close(struct gdfs_store *st);

/* The reason for the last failure on @st (valid until the next call). */
const char *gdfs_store_errmsg(const struct gdfs_store *st);

/* Schema version this binary writes (highest sql/NNN). */
int gdfs_store_schema_version(void);

/* Delete versions left in state "writing" by a crash or an abandoned put;
 * *n gets how many. Run once at start-up, before serving. */
int gdfs_store_recover(struct gdfs_store *st, int *n);

/* ---- node state and members ---------------------------------------------- */

/* GDFS_ENOENT if the node was never initialised. */
int gdfs_store_get_node(struct gdfs_store *st, struct gdfs_node_state *out);

/* Make this database belong to group @group_id as node @node_id at @addr,
 * with itself as the only member, at @term. GDFS_EGROUP if it already
 * belongs to a group (the message names it). Commits with fsync. */
int gdfs_store_init_node(struct gdfs_store *st, const char *node_id,
                         const char *group_id, const char *addr,
                         uint64_t term);

/* Persist term and vote ("" = none) with fsync before returning (Raft:
 * before any reply that depends on them). */
int gdfs_store_set_term(struct gdfs_store *st, uint64_t term,
                        const char *voted_for);

/* Whether this node holds its votes (it joined and its record log has not
 * caught up yet: sql/007-votes-held.sql). GDFS_ENOENT before it is a
 * member. */
int gdfs_store_votes_held(struct gdfs_store *st, bool *held);
/* It caught up: it votes again. Not fsynced by itself: lost in a crash,
 * the node holds its votes again until it catches up, the safe side. */
int gdfs_store_release_votes(struct gdfs_store *st);

/* The persisted election state and member set. GDFS_ENOENT if the node
 * belongs to no group. @vote gets GDFS_NODE_ID_MAX + 1 bytes. */
int gdfs_store_load_group(struct gdfs_store *st, uint64_t *term, char *vote,
                          struct gdfs_members *set);

/* Replace the member set with @set (fsynced). On a node that belongs to no
 * group yet (one that is joining) this makes it a member of
 * set->group_id as @node_id; a set of another group is refused with
 * GDFS_EGROUP. Member liveness states are stored as given. */
int gdfs_store_save_members(struct gdfs_store *st, const char *node_id,
                            const struct gdfs_members *set);

/* ---- writing a version --------------------------------------------------- */

/* Start a put of @name: create an invisible version row. @v gives the
 * version to store under; NULL leaves it to gdfs_store_put_commit, which
 * allocates the next local one (this node's term, last_seq + 1) in the
 * commit's transaction, so that versions follow commit order. *out gets
 * the row (version 0 when unassigned). */
int gdfs_store_put_begin(struct gdfs_store *st, const uint8_t *name,
                         size_t namelen, uint32_t chunk_size,
                         const struct gdfs_version *v,
                         struct gdfs_store_version *out);

/* Start a replica's copy of @name whose version is not known yet (a
 * gateway that has not heard from the leader yet): like put_begin with
 * @v, uncommitted; it is completed by gdfs_store_put_commit_later and
 * takes its version from gdfs_store_put_assign, or, once old enough that
 * none will come, from the record that names its content
 * (gdfs_store_adopt: the orphan sweep). */
int gdfs_store_put_begin_later(struct gdfs_store *st, const uint8_t *name,
                               size_t namelen, uint32_t chunk_size,
                               struct gdfs_store_version *out);

/* Store chunk @idx of version row @vid. No transaction stays open after
 * return, so a slow sender never holds the write lock. */
int gdfs_store_put_chunk(struct gdfs_store *st, int64_t vid, uint32_t idx,
                         const uint8_t sha256[GDFS_SHA256_LEN],
                         const void *data, size_t len);

/* Make version row @vid visible (fsynced) after checking that it holds
 * exactly @nchunks chunks, assigning its version if put_begin did not;
 * then drop versions of the same name beyond keep_versions. *out (may be
 * NULL) gets the version. GDFS_ECORRUPT if the chunk count does not
 * match. */
int gdfs_store_put_commit(struct gdfs_store *st, int64_t vid, uint64_t size,
                          uint32_t nchunks,
                          const uint8_t sha256[GDFS_SHA256_LEN],
                          struct gdfs_version *out);

/* put_commit of a row begun by put_begin_later: complete and durable,
 * still without a version. GDFS_EINVAL for any other row. */
int gdfs_store_put_commit_later(struct gdfs_store *st, int64_t vid,
                                uint64_t size, uint32_t nchunks,
                                const uint8_t sha256[GDFS_SHA256_LEN]);

/* The complete copy @vid without a version (put_commit_later) is version
 * @v, whose content is @size bytes in @nchunks chunks with file hash
 * @sha256 (committed if a record names @v; not fsynced: the orphan sweep
 * gives a copy its version again from the record, gdfs_store_adopt). A copy of
 * @v held here already makes @vid surplus: it is dropped, and the answer is
 * GDFS_OK. GDFS_EINVAL if @vid is not a complete copy without a version
 * of that content, GDFS_ENOENT if it is gone. */
int gdfs_store_put_assign(struct gdfs_store *st, int64_t vid,
                          const struct gdfs_version *v, uint64_t size,
                          uint32_t nchunks,
                          const uint8_t sha256[GDFS_SHA256_LEN]);

/* One chunk of a put, for gdfs_store_put_whole. */
struct gdfs_store_chunk {
    uint8_t sha256[GDFS_SHA256_LEN];
    const void *data;
    size_t len;
};

/* A replica's whole copy of a file of at most one chunk (@c, NULL for an
 * empty file) in one durable transaction: what put_begin (@v) or
 * put_begin_later (@v NULL), put_chunk and put_commit (put_commit_later)
 * do in three. The copy is uncommitted, as theirs is; *out gets its row
 * (for put_assign). */
int gdfs_store_put_whole(struct gdfs_store *st, const uint8_t *name,
                         size_t namelen, uint32_t chunk_size,
                         const struct gdfs_version *v,
                         const struct gdfs_store_chunk *c, uint64_t size,
                         uint32_t nchunks,
                         const uint8_t sha256[GDFS_SHA256_LEN], int64_t *out);

/* Drop an unfinished version row and its chunks. */
int gdfs_store_put_abort(struct gdfs_store *st, int64_t vid);

/* Commit a tombstone for @name (version allocated as in put_begin when
 * @v is NULL) and drop every older version's chunks. GDFS_ENOENT if the
 * newest visible version is missing or already a tombstone. */
int gdfs_store_remove(struct gdfs_store *st, const uint8_t *name,
                      size_t namelen, const struct gdfs_version *v,
                      struct gdfs_version *out);

/* ---- replicas ------------------------------------------------------------ */

/* Versions a replica stores under a leader-assigned version (put_begin
 * with @v) start uncommitted: complete and readable by exact version
 * (gdfs_store_lookup_exact), but not this node's newest version of the
 * file (lookup, list, versions) until a metadata record names them
 * (gdfs_store_meta_put). */

/* Exactly version @v of @name, complete, committed or not. GDFS_ENOENT if
 * it is not held here (never written, collected, or still being
 * written). */
int gdfs_store_lookup_exact(struct gdfs_store *st, const uint8_t *name,
                            size_t namelen, const struct gdfs_version *v,
                            struct gdfs_store_version *out);

/* ---- checking and replacing chunks (copies, scrub) ------------------------ */

/* Check chunk @idx of version row @vid against its stored SHA-256 without
 * copying it out. @sha256 (may be NULL) gets the stored checksum.
 * GDFS_OK if the data matches it, GDFS_ECORRUPT if not (or the row is
 * malformed), GDFS_ENOENT if the chunk is missing. */
int gdfs_store_verify_chunk(struct gdfs_store *st, int64_t vid, uint32_t idx,
                            uint8_t sha256[GDFS_SHA256_LEN]);

/* Start replacing chunks of the complete version row @vid: *sid gets a
 * staging row to store the replacements in with gdfs_store_put_chunk. It
 * is invisible, like a put in progress (gdfs_store_recover removes it
 * after a crash); gdfs_store_put_abort discards it. */
int gdfs_store_replace_begin(struct gdfs_store *st, int64_t vid, int64_t *sid);

/* In one fsynced transaction: move every chunk staged in @sid into @vid,
 * each replacing the chunk of the same index, and drop @sid. @vid must
 * then hold exactly its nchunks chunks, else GDFS_ECORRUPT and nothing
 * changes (the staging row stays for put_abort). GDFS_ENOENT if @vid is
 * gone (collected meanwhile); the staging row is dropped then. */
int gdfs_store_replace_commit(struct gdfs_store *st, int64_t vid, int64_t sid);

/* ---- metadata records (meta.c) --------------------------------------------- */

/* A file's metadata record as stored (DESIGN.md "Files"). */
struct gdfs_meta {
    uint8_t name[GDFS_NAME_MAX];
    size_t namelen;
    struct gdfs_version version;
    uint64_t size;
    uint32_t chunk_size;
    uint32_t nchunks;
    uint8_t sha256[GDFS_SHA256_LEN];
    bool tombstone;
    uint8_t acked; /* bit i: replica[i] holds the version durably */
    uint8_t nreplicas;
    char replica[GDFS_REPLICAS][GDFS_NODE_ID_MAX + 1];
};

/* Persist @m, sent by the leader of @term (fsynced). Refused with
 * GDFS_ESTALE if this node promised a newer term. Otherwise the term is
 * remembered, and @m replaces the stored record of its file unless that
 * one is newer (an equal version is replaced: its replica set changed).
 * When @m is newer, this node's copy of that version becomes committed
 * (older committed copies beyond keep_versions are collected), and a
 * tombstone drops every older copy of the file. *applied (may be NULL)
 * says whether the stored record changed. */
int gdfs_store_meta_put(struct gdfs_store *st, uint64_t term,
                        const struct gdfs_meta *m, bool *applied);

/* A record listing's callback: a nonzero return stops the listing. */
typedef int (*gdfs_store_meta_cb)(void *ctx, const struct gdfs_meta *m);

/* The stored record of @name; GDFS_ENOENT if none (tombstones are
 * returned: check m->tombstone). */
int gdfs_store_meta_get(struct gdfs_store *st, const uint8_t *name,
                        size_t namelen, struct gdfs_meta *out);

/* Records with name > @after, in name order, at most @max, tombstones
 * included when @tombstones; *more says whether more may follow. A
 * nonzero return of @cb stops early. */
int gdfs_store_meta_list(struct gdfs_store *st, const uint8_t *after,
                         size_t afterlen, uint32_t max, bool tombstones,
                         gdfs_store_meta_cb cb, void *ctx, bool *more);

/* The highest version seq this node knows of, in records or held
 * versions: a new leader numbers its versions above it. */
int gdfs_store_max_seq(struct gdfs_store *st, uint64_t *seq);

/* ---- checking copies (verify.c): scrub, probes ----------------------------- */

/* What this node holds of @name, from its version rows alone (no chunk is
 * read). *have (GDFS_PROBE_*, proto.h) says whether version @v (NULL: none
 * asked, then ABSENT) is held complete here, committed or not, and whether
 * a scrub marked it damaged; *newest gets the newest committed version held
 * (complete or tombstone; {0, 0} if none) and *tombstone whether it is a
 * tombstone. */
int gdfs_store_probe(struct gdfs_store *st, const uint8_t *name,
                     size_t namelen, const struct gdfs_version *v,
                     uint8_t *have, struct gdfs_version *newest,
                     bool *tombstone);

/* One complete copy held here, as a scrub walks them. */
struct gdfs_store_copy {
    uint8_t name[GDFS_NAME_MAX];
    size_t namelen;
    struct gdfs_store_version v; /* v.id: the row, for chunk reads */
    bool committed;
    uint32_t damaged; /* chunks found bad and not repaired (0: none) */
};

/* The complete copies with row id > @after, in row id order, at most @max
 * into @out (*n gets how many): committed ones, and uncommitted ones
 * created at least @min_age_s seconds ago (younger ones may still get
 * their record, or be a put's leftovers about to be collected). One short
 * read: no transaction stays open after return. */
int gdfs_store_copies(struct gdfs_store *st, int64_t after, int64_t min_age_s,
                      struct gdfs_store_copy *out, unsigned max, unsigned *n);

/* How many chunks the copies gdfs_store_copies lists (from the start, with
 * this @min_age_s) hold: a scrub pass's total. */
int gdfs_store_copies_chunks(struct gdfs_store *st, int64_t min_age_s,
                             uint64_t *chunks);

/* Mark version row @vid as having @bad chunks that failed their checksum
 * and could not be repaired (0 clears the mark). Fsynced. GDFS_ENOENT if
 * the row is gone (collected meanwhile). */
int gdfs_store_mark_damaged(struct gdfs_store *st, int64_t vid, uint32_t bad);
/* ---- record sync and orphan copies (metasync.c) ---------------------------- */

/* The leader and a member compare their records by digest: records fall
 * into GDFS_META_BUCKETS buckets by a hash of the name, and each bucket
 * has a count and an order-independent sum (XOR of a hash of each
 * record's name, version, tombstone flag, acknowledgements and replicas).
 * Buckets that differ are sent again. (GDFS_META_BUCKETS and
 * GDFS_META_SUM_LEN are in proto.h: META_SUM carries digests.) */
struct gdfs_meta_digest {
    uint32_t count[GDFS_META_BUCKETS];
    uint8_t sum[GDFS_META_BUCKETS][GDFS_META_SUM_LEN];
};

unsigned gdfs_meta_bucket(const uint8_t *name, size_t namelen);
void gdfs_meta_digest_add(struct gdfs_meta_digest *d,
                          const struct gdfs_meta *m);
/* Bit i set: bucket i differs. */
uint64_t gdfs_meta_digest_diff(const struct gdfs_meta_digest *a,
                               const struct gdfs_meta_digest *b);
/* The digest of every record stored here, tombstones included. */
int gdfs_store_meta_digest(struct gdfs_store *st,
                           struct gdfs_meta_digest *out);

/* gdfs_store_meta_put for @n records of the leader of @term, in one
 * fsynced transaction (all or none). When @complete is not 0, the leader
 * has now sent every record it holds in those buckets: records accepted
 * there from older terms' leaders before the record log, that it did not
 * send, never committed and go. *applied (may be NULL) counts the records
 * that changed the stored ones. */
int gdfs_store_meta_put_many(struct gdfs_store *st, uint64_t term,
                             const struct gdfs_meta *ms, unsigned n,
                             uint64_t complete, unsigned *applied);

/* A complete copy that no record has committed yet. */
struct gdfs_copy_ref {
    uint8_t name[GDFS_NAME_MAX];
    size_t namelen;
    struct gdfs_version version;
    int64_t created; /* unix seconds, when the copy became complete */
};
typedef int (*gdfs_store_copy_cb)(void *ctx, const struct gdfs_copy_ref *c);
/* Complete uncommitted copies completed before @created_before (unix
 * seconds), oldest first, at most @max; a nonzero return of @cb
 * stops early. */
int gdfs_store_uncommitted(struct gdfs_store *st, int64_t created_before,
                           uint32_t max, gdfs_store_copy_cb cb, void *ctx);
/* This node's copies of m's file without a version (put_begin_later)
 * that hold m's content take m->version, unless it is held here already;
 * *adopted says how many did (the leader's record, for a replica whose gateway
 * went away before it told it; only for copies too old for that word to come:
 * a younger one of the same content may be another put's). */
int gdfs_store_adopt(struct gdfs_store *st, const struct gdfs_meta *m,
                     unsigned *adopted);
/* Drop this node's copy of @name at @v if it is still uncommitted and no
 * record stored here names it; *dropped says whether it went. */
int gdfs_store_drop_uncommitted(struct gdfs_store *st, const uint8_t *name,
                                size_t namelen, const struct gdfs_version *v,
                                bool *dropped);

/* ---- copy inventory (inventory.c) ---------------------------------------- */

/* DESIGN.md "Copies and inventory": each member reports the copies it holds
 * complete, and the leader counts against those reports. Both sides digest
 * the same set, the (name, version) of every non-tombstone record that
 * names the member among its acknowledged replicas: the leader over its
 * records (what they claim member X holds), the member over its own records
 * keeping only the versions it holds complete and undamaged (claimed and
 * held). In a healthy group the two digests are equal; a bucket that
 * differs is listed in full: the leader its claims (gdfs_store_inv_claims),
 * the member every complete copy it holds there, committed or not, of any
 * version (gdfs_store_inv_copies), so that a member whose records lag the
 * leader's still reports what it has. The digest reuses the record
 * digest's buckets and shape (count + XOR sum), with its own hash. */

/* The key of the copy of @name at @v: a hash of both (the leader's
 * inventory keeps these, files/inventory.h). */
void gdfs_inv_key_of(const uint8_t *name, size_t namelen,
                     const struct gdfs_version *v,
                     uint8_t key[GDFS_META_SUM_LEN]);

/* Add the copy of @name at @v to @d's bucket for @name: its key, XORed
 * into the bucket's sum. */
void gdfs_inv_digest_add(struct gdfs_meta_digest *d, const uint8_t *name,
                         size_t namelen, const struct gdfs_version *v);

/* Whether @m names @member among its replicas with its acked bit set. */
bool gdfs_inv_names_acked(const struct gdfs_meta *m, const char *member);

/* The inventory digest of member @member over the records stored here;
 * @held: only the versions held here complete and undamaged (a member's
 * own report, @member being its id), else all of them (the leader's
 * expectation for @member). Reads in pages: no transaction stays open
 * after return. */
int gdfs_store_inv_digest(struct gdfs_store *st, const char *member, bool held,
                          struct gdfs_meta_digest *out);

/* A listed copy or claim; pointers live until it returns, and a nonzero
 * return stops the listing. */
typedef int (*gdfs_store_inv_cb)(void *ctx, const uint8_t *name,
                                 size_t namelen, const struct gdfs_version *v);

/* The (name, version) the records stored here claim @member holds, in the
 * buckets of @mask (bit i: bucket i), in name order. */
int gdfs_store_inv_claims(struct gdfs_store *st, const char *member,
                          uint64_t mask, gdfs_store_inv_cb cb, void *ctx);

/* The complete, undamaged copies held here (committed or not) in the
 * buckets of @mask, with version row id > @after, in row id order, at most
 * @max of them. *last gets the row id to pass as @after for the next page,
 * *more whether there may be more (also when @cb stopped the listing). */
int gdfs_store_inv_copies(struct gdfs_store *st, uint64_t mask, int64_t after,
                          uint32_t max, gdfs_store_inv_cb cb, void *ctx,
                          int64_t *last, bool *more);

/* ---- disk room (room.c) ---------------------------------------------------
 * What the node's database takes and what its filesystem has left (issue
 * 13 "Capacity"), and the spare file that keeps room for term, vote and
 * member set saves on a full disk. @data_dir holds the database
 * (GDFS_STORE_DB_NAME); a reserve given as a negative number of bytes
 * means "the default" (gdfs_store_room_reserve). None of these opens the
 * database; each is safe from any thread. */

/* The spare file's size: a term or vote save writes two or three WAL
 * frames (4 KiB pages), a member set save a few more; 1 MiB holds
 * hundreds, and a checkpoint lets the WAL reuse its space after. */
#define GDFS_STORE_SPARE_BYTES (1u << 20)

/* The reserve of a filesystem of @fs_bytes: @reserve_bytes when it is 0
 * or more, else the default, 5% of the filesystem, at least 8 MiB and at
 * most 4 GiB, and never more than a quarter of the filesystem. Pure. */
uint64_t gdfs_store_room_reserve(uint64_t fs_bytes, int64_t reserve_bytes);

/* Measure: used = the bytes the database, its -wal and -shm files and the
 * spare file take on disk; free = the bytes of the filesystem free to this
 * process (statvfs f_bavail * f_frsize); reserve as above. Each figure is
 * capped at GDFS_CAPACITY_MAX. GDFS_EIO (out->known false, a reason in
 * @err) if the filesystem cannot be asked. */
int gdfs_store_room_measure(const char *data_dir, int64_t reserve_bytes,
                            struct gdfs_capacity *out, char *err,
                            size_t errlen);

/* A write of @more bytes on node @node_id: GDFS_OK while it leaves the
 * reserve free (gdfs_capacity_fits), else GDFS_ENOSPC with "no space:
 * ..." in @why. A filesystem that cannot be measured passes: the write
 * itself then says what is wrong. */
int gdfs_store_room_check(const char *data_dir, int64_t reserve_bytes,
                          uint64_t more, const char *node_id, char *why,
                          size_t whylen);

/* Make the spare file (GDFS_STORE_SPARE_BYTES, allocated, mode 0600) if it
 * is missing and the filesystem has that much room above @reserve_bytes:
 * GDFS_OK (made, or there already), GDFS_ENOSPC (no room now; try again
 * later) or GDFS_EIO. */
int gdfs_store_spare_make(const char *data_dir, int64_t reserve_bytes);

/* Give one GDFS_STORE_SPARE_PIECE of the spare file's room to the next
 * save (the file shrinks by that much; its last piece deletes it): a
 * full node's other writes (records from the leader) may take what one
 * save left over, and the rest stays kept for the next term. True if
 * there was room to give. */
#define GDFS_STORE_SPARE_PIECE (64u << 10)
bool gdfs_store_spare_release(const char *data_dir);

/* ---- the record log (reclog.c; sql/006-record-log.sql) ------------------- */

/* The entries of the replicated record log after the snapshot, and the
 * numbers that describe them (docs/record-log.md). The store checks what
 * it is given against what it holds (no gap, no entry removed that was
 * applied) and refuses the rest with GDFS_EINVAL; the log's rules are the
 * records room's (core/rlog.h). */

/* Bytes of one entry's data at most. */
#define GDFS_STORE_LOG_ENTRY_MAX (64u << 10)

struct gdfs_store_log_entry {
    uint64_t index;
    uint64_t term;
    const void *data;
    size_t len;
};

struct gdfs_store_log_state {
    uint64_t snap_index, snap_term; /* what meta holds as the snapshot */
    uint64_t last_index, last_term; /* the last stored entry (or snap) */
    uint64_t applied;               /* the last entry applied to meta */
};

int gdfs_store_log_state(struct gdfs_store *st,
                         struct gdfs_store_log_state *out);
/* The term of the stored entry at @index (GDFS_ENOENT if none). */
int gdfs_store_log_term_at(struct gdfs_store *st, uint64_t index,
                           uint64_t *term);
/* Store @n entries after the last one (the first at last index + 1, each
 * following the one before, terms never falling, data at most
 * GDFS_STORE_LOG_ENTRY_MAX bytes), in one transaction, fsynced. */
int gdfs_store_log_append(struct gdfs_store *st,
                          const struct gdfs_store_log_entry *e, size_t n);
/* Remove the entries from @from on (fsynced); never an applied one. */
int gdfs_store_log_truncate(struct gdfs_store *st, uint64_t from);
/* Up to @max entries from @from on into @out, their data copied into
 * @buf (@cap bytes), stopping before the entry that would take the data
 * past @max_bytes or @cap (one at least: GDFS_ETOOBIG if it does not fit
 * in @cap). *n gets the count; 0 if @from is past the last entry. */
int gdfs_store_log_read(struct gdfs_store *st, uint64_t from, size_t max_bytes,
                        uint8_t *buf, size_t cap,
                        struct gdfs_store_log_entry *out, size_t max,
                        size_t *n);
/* One entry to apply: its index and term, and its record (NULL for an
 * entry that changes no record). */
struct gdfs_store_log_apply {
    uint64_t index, term;
    const struct gdfs_meta *m;
};
/* Apply @n entries, the first the one after the applied index, in order,
 * in one transaction: each record becomes committed in meta, with its
 * effects on the copies held here, as gdfs_store_meta_put without the
 * term promise; the applied index moves in the same transaction. Not
 * fsynced unless @durable: after a crash the entries are applied again,
 * which changes nothing the second time. */
int gdfs_store_log_apply(struct gdfs_store *st,
                         const struct gdfs_store_log_apply *a, size_t n,
                         bool durable);
/* The applied state up to @index (at most the applied index; its entry of
 * @term) becomes the snapshot, and the entries up to it go (fsynced). */
int gdfs_store_log_compact(struct gdfs_store *st, uint64_t index,
                           uint64_t term);
/* A leader's snapshot up to @index of @term is in meta (sent in pages):
 * it becomes the snapshot and the applied index; the entries up to it go,
 * and all of them when @keep is false (fsynced). */
int gdfs_store_log_install(struct gdfs_store *st, uint64_t index,
                           uint64_t term, bool keep);

/* ---- reading ------------------------------------------------------------- */

/* Read from one snapshot until gdfs_store_snapshot_end: a get sees its
 * version whole even if a newer put or a remove collects it meanwhile.
 * Holds back WAL checkpoints while open, so keep it to one transfer. */
int gdfs_store_snapshot_begin(struct gdfs_store *st);
void gdfs_store_snapshot_end(struct gdfs_store *st);
/* End the snapshot held (if any) and start a new one: a long read (a get
 * streamed to a slow client) renews it now and then, so it does not keep
 * the WAL from being checkpointed for its whole length. Rows read before
 * may be gone in the new one (a version removed or collected meanwhile):
 * with @v (may be NULL), GDFS_ENOENT unless its row is still that same
 * complete version (row ids are reused). */
int gdfs_store_snapshot_renew(struct gdfs_store *st,
                              const struct gdfs_store_version *v);

/* The newest visible version of @name (@seq 0), or the one with seq @seq.
 * GDFS_ENOENT if none, or if the one found is a tombstone. */
int gdfs_store_lookup(struct gdfs_store *st, const uint8_t *name,
                      size_t namelen, uint64_t seq,
                      struct gdfs_store_version *out);

/* Copy chunk @idx of version row @vid into @buf (@cap bytes); *len gets
 * its length and @sha256 its stored checksum. GDFS_ENOENT if the chunk is
 * gone (version removed meanwhile), GDFS_ECORRUPT if it is larger than
 * @cap. */
int gdfs_store_read_chunk(struct gdfs_store *st, int64_t vid, uint32_t idx,
                          void *buf, size_t cap, size_t *len,
                          uint8_t sha256[GDFS_SHA256_LEN]);

/* Files whose newest version is complete, with name > @after (bytewise),
 * in name order, at most @max; *more says whether more may follow. @cb's
 * pointers live until it returns; a nonzero return stops early. */
typedef int (*gdfs_store_file_cb)(void *ctx, const uint8_t *name,
                                  size_t namelen,
                                  const struct gdfs_store_version *v);
int gdfs_store_list(struct gdfs_store *st, const uint8_t *after,
                    size_t afterlen, uint32_t max, gdfs_store_file_cb cb,
                    void *ctx, bool *more);

/* Every visible version (complete or tombstone) of @name, newest first. */
int gdfs_store_versions(struct gdfs_store *st, const uint8_t *name,
                        size_t namelen, gdfs_store_file_cb cb, void *ctx);

#endif
