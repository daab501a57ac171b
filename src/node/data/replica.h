/* Handlers a node runs for other nodes: replica streams (see
 * replica.c). */
#ifndef GDFS_NODE_REPLICA_H
#define GDFS_NODE_REPLICA_H

#include "node/session.h"

int gdfs_replica_put(struct gdfs_session *s, const struct gdfs_msg *m);
/* RGET and RGET_FROM. */
int gdfs_replica_get(struct gdfs_session *s, const struct gdfs_msg *m);
/* REPLICATE: gdfs_copy_version, then OK or ERROR. */
int gdfs_replica_replicate(struct gdfs_session *s, const struct gdfs_msg *m);

#endif
