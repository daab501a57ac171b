/* Replica placement (DESIGN.md "Files": the leader chooses 3 replicas per
 * file). Pure functions over the member set.
 *
 * Rendezvous hashing: each member scores hash(name, member id); a file's
 * preferred replicas are the highest scores among live members, so a
 * member that joins or dies moves only the files it scores highest for.
 * An update keeps the file's previous replicas that are still alive, so
 * that a new version lands where the old ones are (and keep_versions is
 * served from the same nodes).
 *
 * Capacity (issue 13 "Capacity"): a member whose disk room (as it last
 * reported it) has no room for the file above its reserve
 * (gdfs_capacity_fits) is never chosen, not even as a previous replica;
 * a member that has not reported yet is. */
#ifndef GDFS_FILES_PLACEMENT_H
#define GDFS_FILES_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Score of member @id for file @name (stable across machines). */
uint64_t gdfs_place_score(const uint8_t *name, size_t namelen, const char *id);

/* Choose up to @want (<= GDFS_REPLICAS) distinct members of @set for
 * @name: first the @nprev previous replicas (ids) still alive, in their
 * order, then alive members by descending score; members that are suspect
 * are used only when too few are alive, failed and left ones never; ids in
 * @exclude (@nexclude of them) never; nor members without room for @size
 * bytes by @room (room[i] is set->m[i]'s; NULL: no member has reported).
 * Writes indices into @set to @out and returns how many. */
unsigned gdfs_place(const uint8_t *name, size_t namelen,
                    const struct gdfs_members *set,
                    const struct gdfs_capacity *room, uint64_t size,
                    const char (*prev)[GDFS_NODE_ID_MAX + 1], unsigned nprev,
                    const char (*exclude)[GDFS_NODE_ID_MAX + 1],
                    unsigned nexclude, unsigned want, int *out);

#endif
