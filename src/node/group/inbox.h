/* The group thread's inbox: the group messages connection threads hand
 * to it (gdfs_grouphost_deliver), first in first out, bounded per sender
 * so that one peer cannot fill it for the others.
 *
 * Each member of the current member set may have GDFS_INBOX_PER_SENDER
 * messages queued; nodes that are not members (joiners, a leader that
 * removed itself, anyone else) share one quota of the same size, so a
 * flood of made-up ids fills only theirs. The total, GDFS_INBOX_MAX, is
 * the sum of those quotas: it is never what refuses a message. A refused
 * message is counted (`dropped`, and who sent the last one).
 *
 * The sender is the message's `from`, which node/admin.c has checked is
 * the member the secure channel authenticated (save a JOIN a member
 * passes on for a joining node); the caller decides whether it is a
 * member. Pure: no lock (the caller holds its own), no
 * clock, no I/O; unit-tested in tests/unit/test_inbox.c. */
#ifndef GDFS_NODE_GROUP_INBOX_H
#define GDFS_NODE_GROUP_INBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

/* Messages one sender may have waiting. The group thread empties the
 * inbox every 10 ms unless an fsync holds it; a member sends about two
 * messages per heartbeat (heartbeat_ms >= 10), so 16 ride out a stall of
 * several heartbeats, and what a longer one drops is sent again at the
 * next heartbeat. */
#define GDFS_INBOX_PER_SENDER 16
/* One quota per possible member, one for the rest. */
#define GDFS_INBOX_MAX ((GDFS_GROUP_MAX + 1) * GDFS_INBOX_PER_SENDER)
/* Senders with messages waiting, at most: the members, members of an
 * earlier member set whose messages still wait, and the rest (""). */
#define GDFS_INBOX_SENDERS (2 * GDFS_GROUP_MAX + 1)

struct gdfs_inbox {
    struct gdfs_gmsg *q[GDFS_INBOX_MAX]; /* ring: q[head] is the oldest */
    uint8_t q_sender[GDFS_INBOX_MAX];    /* its index in sender[] */
    unsigned head, count;
    struct {
        char id[GDFS_NODE_ID_MAX + 1]; /* "": every non-member */
        unsigned queued;               /* 0: the slot is free */
    } sender[GDFS_INBOX_SENDERS];
    uint64_t dropped;                        /* refused, in all */
    char last_dropped[GDFS_NODE_ID_MAX + 1]; /* `from` of the last one */
};

/* An empty inbox. */
void gdfs_inbox_init(struct gdfs_inbox *ib);

/* Queue @m, from member @member (its id), or from a node that is not a
 * member if @member is NULL. True if queued: the inbox owns @m (malloc'd)
 * from then on. False if that sender's quota is full: the caller keeps
 * @m, and the refusal is counted. */
bool gdfs_inbox_put(struct gdfs_inbox *ib, struct gdfs_gmsg *m,
                    const char *member);

/* The oldest message, or NULL if none: ownership passes to the caller. */
struct gdfs_gmsg *gdfs_inbox_take(struct gdfs_inbox *ib);

/* Free every message still queued (free()); the counts stay. */
void gdfs_inbox_clear(struct gdfs_inbox *ib);

#endif
