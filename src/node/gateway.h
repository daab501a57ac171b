/* Client puts and gets through any node (see gateway.c). */
#ifndef GDFS_NODE_GATEWAY_H
#define GDFS_NODE_GATEWAY_H

#include "node/session.h"

int gdfs_gateway_put(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_gateway_get(struct gdfs_session *s, const struct gdfs_msg *m);

/* The committed record of @name from the leader (here or remote), with
 * the replicas' addresses in @addrs ("" when unknown). */
int gdfs_gateway_lookup(struct gdfs_session *s, const struct gdfs_bytes *name,
                        struct gdfs_meta *meta,
                        char (*addrs)[GDFS_ADDR_MAX + 1], char *why,
                        size_t whylen);

#endif
