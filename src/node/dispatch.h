/* THE PROCESS (src/node/ top level): gdfs-node itself. main.c runs the
 * start-up table; server.c accepts connections and serves each on a
 * thread; dispatch.c hands each request to the room that owns it;
 * session.c holds what every handler shares; rpc.c pools connections to
 * other nodes; admin.c answers status, lshere, versions, group and leave;
 * memory.c keeps the allocator from hoarding freed memory. Rooms: group/
 * (membership, heartbeats, election), records/ (file records), data/ (file
 * bytes), upkeep/ (background repair). Each room's entry header says what it
 * owns, may call and must never do. */
/* Request dispatch of gdfs-node: one handler per message type (the frame
 * is decoded already). */
#ifndef GDFS_NODE_DISPATCH_H
#define GDFS_NODE_DISPATCH_H

#include "node/session.h"

/* Serve request @m (decoded from s->in). Returns GDFS_OK to keep the
 * connection open, anything else to close it (the handler has sent an
 * ERROR frame when the peer can still take one). */
int gdfs_dispatch(struct gdfs_session *s, const struct gdfs_msg *m);

#endif
