/* Request dispatch of gdfs-node: one handler per message type (the frame
 * is decoded already). */
#ifndef GDFS_NODE_HANDLERS_H
#define GDFS_NODE_HANDLERS_H

#include "node/session.h"

/* Serve request @m (decoded from s->in). Returns GDFS_OK to keep the
 * connection open, anything else to close it (the handler has sent an
 * ERROR frame when the peer can still take one). */
int gdfs_handlers_dispatch(struct gdfs_session *s, const struct gdfs_msg *m);

#endif
