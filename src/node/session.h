/* What every request handler shares: the per-connection session (the
 * node's rooms, this thread's store connection, the connection and its
 * buffers) and the reply helpers. The streaming loops of the data path
 * are in data/stream.h. */
#ifndef GDFS_NODE_SESSION_H
#define GDFS_NODE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/channel.h"
#include "config.h"
#include "proto.h"
#include "transport.h"

/* The rooms a handler may reach through its session; a handler includes
 * the header of each one it uses. */
struct gdfs_grouphost;
struct gdfs_records;
struct gdfs_repair;
struct gdfs_readrepair;
struct gdfs_scrub;
struct gdfs_inventory;
struct gdfs_store;

struct gdfs_session {
    const struct gdfs_config *cfg;
    struct gdfs_grouphost *group;       /* the group thread */
    struct gdfs_records *records;       /* the records room */
    struct gdfs_repair *repair;         /* re-replication (leader) */
    struct gdfs_readrepair *readrepair; /* read repair's queue */
    struct gdfs_scrub *scrub;           /* this node's scrub (figures) */
    struct gdfs_inventory *inventory;   /* members' copy reports (leader) */
    struct gdfs_store *st;              /* this thread's own connection */
    struct gdfs_conn *conn;
    struct gdfs_auth_peer peer;  /* who the channel proved is there */
    uint64_t revoked_checked_ms; /* when its credential was last looked up */
    const uint8_t *group_key;    /* GDFS_GROUP_KEY_LEN bytes (ENROL) */
    uint8_t *in; /* receive buffer: frame header + max payload */
    size_t incap;
    uint8_t *out; /* send buffer: replies and chunks */
    size_t outcap;
    uint32_t max_payload; /* largest frame payload accepted from clients */
};

int gdfs_session_io_ms(const struct gdfs_session *s);

/* Send an ERROR reply; returns what sending returned, so a handler can
 * "return gdfs_reply_error(...)" and keep the connection (GDFS_OK) or
 * close it (send failed). */
int gdfs_reply_error(struct gdfs_session *s, uint32_t reqid, int status,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int gdfs_reply_ok(struct gdfs_session *s, uint32_t reqid,
                  const struct gdfs_version *v);
int gdfs_reply_writer(struct gdfs_session *s, struct gdfs_proto_writer *w,
                      bool more);
/* Re-stamp the frame in @frame with @reqid and send it. */
int gdfs_reply_raw(struct gdfs_session *s, uint32_t reqid, uint8_t *frame,
                   size_t len);

/* A replica write of @more bytes here: GDFS_OK while it leaves this
 * node's reserve ([store] reserve_mib) free, else GDFS_ENOSPC with "no
 * space: node N has ... free, below its reserve ..." in @why (store.h
 * gdfs_store_room_check). Reads only s->cfg: safe from a put's consumer
 * threads. */
int gdfs_session_room_check(const struct gdfs_session *s, uint64_t more,
                            char *why, size_t whylen);

/* Printable form of a name for logs. */
void gdfs_log_name(const struct gdfs_bytes *n, char *out, size_t cap);

#endif
