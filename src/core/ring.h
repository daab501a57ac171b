/* The ring: members ordered by a stable hash of their id (DESIGN.md
 * "Ring"). Each node heartbeats its 2 successors and 2 predecessors and
 * expects heartbeats from the same ones; in a group of 5 or fewer that is
 * everyone else. Pure functions. */
#ifndef GDFS_CORE_RING_H
#define GDFS_CORE_RING_H

#include <stddef.h>
#include <stdint.h>

#include "core/group.h"

#define GDFS_RING_SIDE 2 /* successors and predecessors each */

/* Stable 64-bit position of @id on the ring (FNV-1a: the same on every
 * machine and every version). */
uint64_t gdfs_ring_key(const char *id);

/* The ring neighbours of member @self in @set (members in state LEFT are
 * not on the ring): up to GDFS_RING_SIDE successors and as many
 * predecessors, nearest first (successor 1, predecessor 1, successor 2,
 * ...), distinct, never @self. Writes their indices into @out (room for
 * 2 * GDFS_RING_SIDE) and returns how many. */
size_t gdfs_ring_neighbours(const struct gdfs_members *set, int self,
                            int *out);

#endif
