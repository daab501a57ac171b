/* Outgoing links to other nodes, for one-way group messages.
 *
 * Each peer address gets a sender thread with a small queue, so that a
 * dial to a dead or unreachable node (which may block for the dial
 * timeout) never delays the group thread: gdfs_peers_send only copies the
 * frame into the queue. A full queue drops its oldest frame (group
 * messages are periodic: the next one supersedes it); a failed dial drops
 * the queue and retries with backoff on the next frame. */
#ifndef GDFS_NODE_PEERS_H
#define GDFS_NODE_PEERS_H

#include <stddef.h>

#include "auth/cred.h"
#include "transport.h"

struct gdfs_peers;

/* Links dialled through @t. No reference to anything but @t (which must
 * outlive the links) is kept. */
int gdfs_peers_new(struct gdfs_transport *t, const struct gdfs_cred *self,
                   int dial_timeout_ms, int io_timeout_ms,
                   struct gdfs_peers **out);

/* Queue a copy of the @len-byte frame for the node at @addr. Never
 * blocks on the network. */
void gdfs_peers_send(struct gdfs_peers *p, const char *addr, const void *frame,
                     size_t len);

/* Stop every sender thread, close the links, free everything. */
void gdfs_peers_free(struct gdfs_peers *p);

#endif
