/* THE DATA ROOM (src/node/data/): the bytes of files on their way in and
 * out. It owns the gateway (a client's put and get through any node), the
 * fan-out of a put's frames to its replicas, the replica side of those
 * streams (RPUT, RGET, REPLICATE), probes, and copies of a version between
 * nodes.
 *   May call: the records room for the leader's decisions (allocate,
 *   commit, look up), the store, the rpc pool, and read repair's queue
 *   (enqueue only).
 *   Never: decides where replicas go or whether a record commits (the
 *   leader does, in records/), holds more than a few chunks of a transfer
 *   in memory, or trusts a chunk it has not hashed (gateways pass chunks
 *   on unverified; whoever stores one checks it).
 * This header is the room's entry: the gateway. */
/* Client puts and gets through any node (see gateway.c). */
#ifndef GDFS_NODE_GATEWAY_H
#define GDFS_NODE_GATEWAY_H

#include "node/session.h"
#include "store/store.h"

int gdfs_gateway_put(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_gateway_get(struct gdfs_session *s, const struct gdfs_msg *m);

/* The committed record of @name from the leader (here or remote), with
 * the replicas' addresses in @addrs as this node's member set has them
 * ("" for a replica that is no member here: a node dials only members,
 * whatever a reply names). GDFS_ENOQUORUM
 * (no leader, or it cannot serve) comes with a @why that
 * gdfs_err_noquorum wrote, here or on the leader: gdfs_err_reason takes
 * the reason out of it. */
int gdfs_gateway_lookup(struct gdfs_session *s, const struct gdfs_bytes *name,
                        struct gdfs_meta *meta,
                        char (*addrs)[GDFS_ADDR_MAX + 1], char *why,
                        size_t whylen);

#endif
