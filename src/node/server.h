/* gdfs-node's server: accepts connections through the transport plugin
 * and serves each on a thread of its own (bounded by max_clients), so a
 * slow or stalled client only ever holds up itself; idle connections are
 * dropped after idle_timeout_ms. */
#ifndef GDFS_NODE_SERVER_H
#define GDFS_NODE_SERVER_H

#include "config.h"
#include "transport.h"

/* The rooms a connection thread's session points at (session.h). */
struct gdfs_grouphost;
struct gdfs_records;
struct gdfs_repair;
struct gdfs_readrepair;
struct gdfs_scrub;

struct gdfs_server {
    const struct gdfs_config *cfg;
    struct gdfs_transport *transport;
    struct gdfs_grouphost *group;
    struct gdfs_records *records;
    struct gdfs_repair *repair;
    struct gdfs_readrepair *readrepair;
    struct gdfs_scrub *scrub;
    struct gdfs_listener listener;
    char db_path[4096];
    int stop_rd; /* readable once shutdown was asked for */
};

/* Accept and serve until @srv->stop_rd becomes readable, then wait (up to
 * a bound) for the connection threads to finish. The listener must be
 * open. Returns GDFS_OK, an accept-loop error, or GDFS_EBUSY when threads
 * are still running after the bound: the caller must then not free what
 * they use (the transport, the configuration). */
int gdfs_server_run(struct gdfs_server *srv);

#endif
