/* How a node takes a file's record from the leader: how it is merged into
 * the record held for the file, and which records a leader of a term
 * could have sent. Pure, in the shape of src/core/group.h: records in,
 * decisions out; no I/O. (The name is from the collection a new leader
 * once ran after an election, which the record log replaced:
 * docs/record-log.md.)
 *
 * Who calls what: the store merges each record a leader sends (an entry
 * the record log applies, a META_SYNC page) into the record it holds by
 * gdfs_collect_merge (src/store/meta.c st_meta_apply), after
 * src/node/records/records.c gdfs_records_may_take has checked the page
 * or entry with gdfs_collect_check.
 *
 * Rules, with where they come from (store.h "metadata records", "record
 * sync"):
 * - Versions are ordered by (term, seq) (DESIGN.md "Version"): of two
 *   records of one file the newer version wins.
 * - The same version with another replica set, acks or tombstone flag
 *   replaces the held record (store.h gdfs_store_meta_put: "an equal
 *   version is replaced: its replica set changed"): it is a
 *   re-replication's newer set.
 * - A tombstone is a version like another: a newer one wins and removes
 *   the file; an older put merged behind it loses (its copies go).
 * - A record is taken only as a leader of its term could have sent it:
 *   versions are assigned by leaders, each in its own term, so the leader
 *   of term T holds no version of a later term: a record of a later term
 *   in a META_SYNC page or a record log entry is forged or from a deposed
 *   leader, and the whole page is refused (gdfs_collect_check). So are
 *   seqs and terms past GDFS_VERSION_MAX (proto.h "Versions") and records
 *   no put or remove makes. */
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
 * of @term (a META_SYNC page, a record log entry of @term): @term is
 * 1..GDFS_VERSION_MAX and every record has a seq of 1..GDFS_VERSION_MAX,
 * a version term of at most @term, a name, at most GDFS_REPLICAS replicas
 * with non-empty, distinct ids, acks only for those, and no bytes if it
 * is a tombstone. GDFS_OK, or GDFS_EINVAL with the first record refused
 * and why in @why. */
int gdfs_collect_check(uint64_t term, const struct gdfs_meta *ms, unsigned n,
                       char *why, size_t whylen);

#endif
