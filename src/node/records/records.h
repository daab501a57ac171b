/* THE RECORDS ROOM (src/node/records/): the file records of the group.
 * It owns the leader's record keeping (versions, placement through
 * src/files/, commits on a majority, collection after an election), the
 * requests the leader answers from its records (leaderops), the second
 * phase on members (confirm), and record sync with lagging members.
 *   May call: the group room (who leads, in which term, who is alive),
 *   the pure rules in src/files/ and src/core/, the store, the rpc pool.
 *   Never: moves file data (the data room does), or answers from its
 *   records while it does not hold its lease and its term's records.
 * This header is the room's entry: the leader's side of records. */
/* The records layer on a node (DESIGN.md "Files"): the leader's side of
 * replication (version allocation, placement, committing metadata records
 * on a majority, collecting records after an election) and what every
 * node needs to reach the leader and the replicas.
 *
 * A leader serves file operations only once it has collected the records
 * of a majority for its term (so no committed put is forgotten) and while
 * it holds its lease. A background thread does the collection. */
#ifndef GDFS_NODE_RECORDS_RECORDS_H
#define GDFS_NODE_RECORDS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "node/group/grouphost.h"
#include "node/rpc.h"
#include "proto.h"
#include "store/store.h"
#include "transport.h"

struct gdfs_records;

/* Where a new version goes: chosen by the leader. */
struct gdfs_records_place {
    struct gdfs_version version;
    uint32_t chunk_size;
    unsigned n; /* replicas chosen (W <= n <= GDFS_REPLICAS) */
    unsigned w; /* acknowledgements needed */
    char id[GDFS_REPLICAS][GDFS_NODE_ID_MAX + 1];
    char addr[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
};

/* @self: this node's member credential, for what it dials (kept: it must
 * outlive the records layer). */
int gdfs_records_start(const struct gdfs_config *cfg, const char *db_path,
                       struct gdfs_transport *t, const struct gdfs_cred *self,
                       struct gdfs_grouphost *g, struct gdfs_records **out,
                       char *err, size_t errlen);
void gdfs_records_stop(struct gdfs_records *f);

struct gdfs_rpc *gdfs_records_rpc(struct gdfs_records *f);

/* Acknowledgements a put needs: 2, or 1 in a group of one. */
unsigned gdfs_records_w(struct gdfs_records *f);

/* The leader's address. *self says whether it is this node.
 * GDFS_ENOQUORUM with @why when no leader is known. */
int gdfs_records_leader(struct gdfs_records *f, char *addr, bool *self,
                        char *why, size_t whylen);

/* The address and liveness state of member @id; false if not a member. */
bool gdfs_records_member(struct gdfs_records *f, const char *id, char *addr,
                         uint8_t *state);

/* Whether @addr is the address of a current member: one of the member set
 * this node holds, in any state but LEFT, spelled exactly as that member
 * advertises it (a scheme such as ssh:// included: "ssh://h:p" and "h:p"
 * are different addresses, dialled with different transports). An
 * address taken from a peer's message is dialled only if this is true. */
bool gdfs_records_member_at(struct gdfs_records *f, const char *addr);

/* ---- leader side: each checks that this node leads, holds its lease and
 * has collected its term's records (waiting briefly for that); else
 * GDFS_ENOTLEADER / GDFS_ENOQUORUM with @why. @st is the caller's store
 * connection. ---- */

/* A new version of @name and its replicas. */
int gdfs_records_alloc(struct gdfs_records *f, struct gdfs_store *st,
                       const uint8_t *name, size_t namelen,
                       struct gdfs_records_place *out, char *why,
                       size_t whylen);

/* The members handing off their copies before they leave (repair.c):
 * new versions are not placed on them (at most GDFS_REPLICAS + 1 kept). */
void gdfs_records_set_draining(struct gdfs_records *f,
                               const char (*ids)[GDFS_NODE_ID_MAX + 1],
                               unsigned n);

/* Called with every record this leader committed (of term @term), after
 * it is on a majority and persisted here: the confirmation members wait
 * for before they apply it (confirm.c). Called under the records layer's
 * lock: must not block. */
typedef void (*gdfs_records_commit_fn)(void *ctx, uint64_t term,
                                       const struct gdfs_meta *m);
void gdfs_records_on_commit(struct gdfs_records *f, gdfs_records_commit_fn fn,
                            void *ctx);

/* A new version for removing @name (GDFS_ENOENT if there is no file). */
int gdfs_records_alloc_remove(struct gdfs_records *f, struct gdfs_store *st,
                              const uint8_t *name, size_t namelen,
                              struct gdfs_version *out, char *why,
                              size_t whylen);

/* Commit @m: persist it here and on a majority of the group.
 * GDFS_ENOQUORUM (not on a majority: the outcome is unknown if some
 * members took it) or GDFS_ENOTLEADER. */
int gdfs_records_commit(struct gdfs_records *f, struct gdfs_store *st,
                        const struct gdfs_meta *m, char *why, size_t whylen);
/* gdfs_records_commit for a new put's record: its version must have been
 * allocated in this leader's term (else GDFS_ESTALE: nothing committed). */
int gdfs_records_commit_put(struct gdfs_records *f, struct gdfs_store *st,
                            const struct gdfs_meta *m, char *why,
                            size_t whylen);

/* After an election the leader collects a majority's records (accepted
 * ones included), then writes its merged table back to a majority before
 * it serves (sync.c): a record it took from a single member's accepted
 * row is then on a majority before any client reads it, so the next
 * leader's collection cannot miss it. gdfs_records_settling: @term's
 * records are collected and not yet written back; gdfs_records_set_ready:
 * they are (the leader serves from now on). */
bool gdfs_records_settling(struct gdfs_records *f, uint64_t term);
/* Whether @term's records are collected and written back (no waiting,
 * unlike gdfs_records_check_leader: for threads that must not block on the
 * collection, the one that writes back among them). */
bool gdfs_records_ready(struct gdfs_records *f, uint64_t term);
void gdfs_records_set_ready(struct gdfs_records *f, uint64_t term);

/* Check that this node may answer from its records now (as above). */
int gdfs_records_check_leader(struct gdfs_records *f, char *why,
                              size_t whylen);

/* ---- records on the wire ---- */

/* Whether the @n records @ms may be taken from the leader of @term, as
 * one page (a META_PUT, a META_SYNC page, a collected META_LIST page):
 * GDFS_OK, or GDFS_EINVAL with the first refused in @why
 * (files/collect.h gdfs_collect_check, the rule). */
int gdfs_records_may_take(uint64_t term, const struct gdfs_meta *ms,
                          unsigned n, char *why, size_t whylen);

/* @m as a RECORD whose pointers point into @m (addresses of members this
 * node knows are filled in from @f, or left empty; @f may be NULL). The
 * address strings live in @addrs. */
void gdfs_records_to_record(struct gdfs_records *f, const struct gdfs_meta *m,
                            char (*addrs)[GDFS_ADDR_MAX + 1],
                            struct gdfs_record *out);
void gdfs_records_from_record(const struct gdfs_record *r,
                              struct gdfs_meta *out);

#endif
