/* gdfs-node's server: accepts connections through the transport plugin
 * and serves each on a thread of its own, so a slow or stalled client only
 * ever holds up itself; idle connections are dropped after
 * idle_timeout_ms. Every connection first runs the secure handshake
 * (auth/channel.h); what it proved decides which pool it counts against:
 * handshakes in progress (GDFS_SERVER_HANDSHAKES, of which
 * GDFS_SERVER_HANDSHAKES_PER_SOURCE from one source address), members
 * (max_peers) or clients (max_clients, max_per_source from one address),
 * so clients, authenticated or not, can never lock members out. A new
 * connection that finds the handshake pool full cuts the oldest handshake
 * of the source with the most in progress, so idle connections from many
 * addresses cannot hold the pool either. */
#ifndef GDFS_NODE_SERVER_H
#define GDFS_NODE_SERVER_H

#include "auth/cred.h"
#include "config.h"
#include "transport.h"

/* The rooms a connection thread's session points at (session.h). */
struct gdfs_grouphost;
struct gdfs_records;
struct gdfs_repair;
struct gdfs_readrepair;
struct gdfs_scrub;
struct gdfs_inventory;

#define GDFS_SERVER_HANDSHAKES 64
#define GDFS_SERVER_HANDSHAKES_PER_SOURCE 16
#define GDFS_SERVER_HANDSHAKE_MS 5000

struct gdfs_server {
    const struct gdfs_config *cfg;
    struct gdfs_transport *transport;
    struct gdfs_grouphost *group;
    struct gdfs_records *records;
    struct gdfs_repair *repair;
    struct gdfs_readrepair *readrepair;
    struct gdfs_scrub *scrub;
    struct gdfs_inventory *inventory;
    struct gdfs_listener listener;
    char db_path[4096];
    int stop_rd; /* readable once shutdown was asked for */
    /* The group key every connection proves against, and this node's own
     * member credential (for what it dials). */
    uint8_t group_key[GDFS_GROUP_KEY_LEN];
    struct gdfs_cred self;
};

/* Accept and serve until @srv->stop_rd becomes readable, then wait (up to
 * a bound) for the connection threads to finish. The listener must be
 * open. Returns GDFS_OK, an accept-loop error, or GDFS_EBUSY when threads
 * are still running after the bound: the caller must then not free what
 * they use (the transport, the configuration). */
int gdfs_server_run(struct gdfs_server *srv);

#endif
