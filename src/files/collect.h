/* A new leader's records (DESIGN.md "Files": a new leader holds every
 * committed record before it serves): how the records it collects from
 * the members are merged, and when it may serve. Pure, in the shape of
 * src/core/group.h: records and member sets in, decisions out; no I/O.
 *
 * Who calls what: after an election src/node/records/records.c collect()
 * takes its own accepted records (gdfs_store_meta_adopt) and a majority's
 * records (gdfs_store_meta_put_many); the store merges each into the
 * record it holds by gdfs_collect_merge, in one transaction per page, and
 * a member keeps a leader's record as accepted by the same rule
 * (gdfs_store_meta_accept). src/node/records/sync.c then writes the
 * merged table back and asks gdfs_collect_may_serve.
 *
 * Rules, with where they come from (store.h "accepted records", "record
 * sync"; records.h on the collection):
 * - Versions are ordered by (term, seq) (DESIGN.md "Version"): of two
 *   records of one file the newer version wins, whichever member had it,
 *   committed or only accepted. A row only a minority accepted is adopted
 *   too when it is the newest: its leader may have committed it on a
 *   majority and died before it confirmed it (store.h "accepted
 *   records"); the write-back below puts it on a majority before any
 *   client reads it (records.h).
 * - The same version with another replica set, acks or tombstone flag
 *   replaces the held record (store.h gdfs_store_meta_put: "an equal
 *   version is replaced: its replica set changed"): it is a
 *   re-replication's newer set. So on a member the accepted record of a
 *   version outranks the committed one of the same version (it arrived
 *   after it: every change of the committed record drops accepted ones of
 *   the same version and set, pending.c), and among members the one merged
 *   last wins.
 * - A tombstone is a version like another: a newer one wins and removes
 *   the file; an older put merged behind it loses (its copies go).
 * - A record is taken only as a leader of its term could have sent it:
 *   versions are assigned by leaders, each in its own term, so the leader
 *   of term T holds no version of a later term, and members promise T
 *   before they answer its collection (store.h "accepted records"): a
 *   record of a later term in a push, a META_PUT or a collected page is
 *   forged or from a deposed leader, and the whole page is refused
 *   (gdfs_collect_check). So are seqs and terms past GDFS_VERSION_MAX
 *   (proto.h "Versions") and records no put or remove makes.
 * - The leader serves once a majority of the member set, itself included,
 *   holds its merged table (records.h; sync.c: "the leader serves once a
 *   majority, itself included, holds its table"); the majority is the
 *   core's (gdfs_group_set_majority, src/core/group.h: members that left do
 *   not count). */
#ifndef GDFS_FILES_COLLECT_H
#define GDFS_FILES_COLLECT_H

#include <stdbool.h>

#include "proto.h"
#include "store/store.h" /* struct gdfs_meta only: a plain struct */

/* What merging a record into the one held for its file does. */
enum gdfs_collect_take {
    GDFS_COLLECT_KEEP = 0, /* the same record as held: nothing changes */
    GDFS_COLLECT_NEWER,    /* a newer version (or none held): it becomes
                            * the record; the copy of that version is
                            * committed, or a tombstone drops older ones */
    GDFS_COLLECT_RESET,    /* the same version, another record (replica
                            * set, acks, tombstone flag): it becomes the
                            * record; copies are unchanged */
    GDFS_COLLECT_OLDER,    /* an older version: the held record stays; the
                            * version is still a committed one (its put was
                            * overtaken): its copy is kept as history, or
                            * dropped behind a held tombstone */
};

/* Whether @a and @b are the same record of one version: the same replica
 * set in the same order, acks and tombstone flag (versions and names are
 * not compared). */
bool gdfs_collect_same(const struct gdfs_meta *a, const struct gdfs_meta *b);

/* Merge @in into @held (NULL: no record held for the file). */
enum gdfs_collect_take gdfs_collect_merge(const struct gdfs_meta *held,
                                          const struct gdfs_meta *in);

/* Whether the @n records @ms may be taken, as one page, from the leader
 * of @term (record sync, a confirmation, a META_PUT) or by that leader
 * from a member (collection): @term is 1..GDFS_VERSION_MAX and every
 * record has a seq of 1..GDFS_VERSION_MAX, a version term of at most
 * @term, a name, at most GDFS_REPLICAS replicas with non-empty, distinct
 * ids, acks only for those, and no bytes if it is a tombstone. GDFS_OK,
 * or GDFS_EINVAL with the first record refused and why in @why. */
int gdfs_collect_check(uint64_t term, const struct gdfs_meta *ms, unsigned n,
                       char *why, size_t whylen);

/* Whether the leader may serve: @holds[i] says whether set->m[i] holds
 * the leader's merged table (the leader's own entry included); true when
 * those among the members that did not leave are a majority
 * (gdfs_group_set_majority). */
bool gdfs_collect_may_serve(const struct gdfs_members *set, const bool *holds);

#endif
