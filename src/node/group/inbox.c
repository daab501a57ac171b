/* The group thread's inbox; see inbox.h. */
#include "node/group/inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* q_sender holds a sender's index in a byte. */
_Static_assert(GDFS_INBOX_SENDERS <= 256, "sender index fits in uint8_t");

void gdfs_inbox_init(struct gdfs_inbox *ib)
{
    memset(ib, 0, sizeof(*ib));
}

/* The slot of sender @key, or a free one for it; -1 if there is neither
 * (more senders waiting than any member set has). */
static int sender_slot(struct gdfs_inbox *ib, const char *key)
{
    int free_slot = -1;

    for (int i = 0; i < GDFS_INBOX_SENDERS; i++) {
        if (ib->sender[i].queued == 0) {
            if (free_slot < 0)
                free_slot = i;
        } else if (strcmp(ib->sender[i].id, key) == 0) {
            return i;
        }
    }
    if (free_slot >= 0)
        snprintf(ib->sender[free_slot].id, sizeof(ib->sender[free_slot].id),
                 "%s", key);
    return free_slot;
}

bool gdfs_inbox_put(struct gdfs_inbox *ib, struct gdfs_gmsg *m,
                    const char *member)
{
    int s = sender_slot(ib, member != NULL ? member : "");

    if (s < 0 || ib->sender[s].queued >= GDFS_INBOX_PER_SENDER ||
        ib->count >= GDFS_INBOX_MAX) {
        ib->dropped++;
        snprintf(ib->last_dropped, sizeof(ib->last_dropped), "%.*s",
                 (int)sizeof(m->from), m->from);
        return false;
    }
    ib->q[(ib->head + ib->count) % GDFS_INBOX_MAX] = m;
    ib->q_sender[(ib->head + ib->count) % GDFS_INBOX_MAX] = (uint8_t)s;
    ib->count++;
    ib->sender[s].queued++;
    return true;
}

struct gdfs_gmsg *gdfs_inbox_take(struct gdfs_inbox *ib)
{
    struct gdfs_gmsg *m;

    if (ib->count == 0)
        return NULL;
    m = ib->q[ib->head];
    ib->sender[ib->q_sender[ib->head]].queued--;
    ib->head = (ib->head + 1) % GDFS_INBOX_MAX;
    ib->count--;
    return m;
}

void gdfs_inbox_clear(struct gdfs_inbox *ib)
{
    struct gdfs_gmsg *m;

    while ((m = gdfs_inbox_take(ib)) != NULL)
        free(m);
}
