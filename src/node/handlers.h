/* Request handlers of gdfs-node: one per client message. Each decodes
 * nothing itself (the frame is decoded already), calls the store, and
 * encodes the reply. */
#ifndef GDFS_NODE_HANDLERS_H
#define GDFS_NODE_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "node/grouphost.h"
#include "proto.h"
#include "store/store.h"
#include "transport.h"

/* One client connection being served by one thread. */
struct gdfs_session {
    const struct gdfs_config *cfg;
    struct gdfs_grouphost *group;       /* the group thread */
    struct gdfs_store *st;              /* this thread's own connection */
    struct gdfs_conn *conn;
    uint8_t *in;  /* receive buffer: frame header + max payload */
    size_t incap;
    uint8_t *out; /* send buffer: replies and chunks */
    size_t outcap;
    uint32_t max_payload; /* largest frame payload accepted from clients */
};

/* Serve request @m (decoded from s->in). Returns GDFS_OK to keep the
 * connection open, anything else to close it (the handler has sent an
 * ERROR frame when the peer can still take one). */
int gdfs_handlers_dispatch(struct gdfs_session *s, const struct gdfs_msg *m);

#endif
