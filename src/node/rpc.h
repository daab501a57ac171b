/* Request/response connections from this node to other nodes (the files
 * layer's traffic: allocations, replica streams, metadata records).
 *
 * Connections are pooled per address and reused; a connection taken from
 * the pool is the caller's alone until it gives it back. A dial that fails
 * marks the address down for a short backoff, so that a dead peer costs one
 * dial timeout, not one per request. Every wait is bounded by the node's
 * dial and I/O timeouts. */
#ifndef GDFS_NODE_RPC_H
#define GDFS_NODE_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/cred.h"
#include "config.h"
#include "proto.h"
#include "transport.h"

struct gdfs_rpc;

struct gdfs_rpc_conn {
    struct gdfs_conn conn;
    char addr[GDFS_ADDR_MAX + 1];
    uint8_t *in; /* one received frame (header + max payload) */
    size_t incap;
    uint32_t max_payload;
    uint8_t out[8192];   /* one encoded request (not chunks) */
    bool broken;         /* do not pool again */
    uint64_t idle_since; /* ms, while pooled */
    uint32_t reqid;
    struct gdfs_rpc_conn *next;
    char errmsg[1024]; /* what went wrong last */
};

int gdfs_rpc_new(struct gdfs_transport *t, const struct gdfs_config *cfg,
                 const struct gdfs_cred *self, struct gdfs_rpc **out);
void gdfs_rpc_free(struct gdfs_rpc *r);

/* A connection to @addr, pooled or newly dialled. GDFS_ENET (down:
 * @err says why) or GDFS_ENOMEM. */
int gdfs_rpc_open(struct gdfs_rpc *r, const char *addr,
                  struct gdfs_rpc_conn **out, char *err, size_t errlen);

/* Give @c back: pooled for reuse unless broken (then closed). NULL is
 * fine. */
void gdfs_rpc_close(struct gdfs_rpc *r, struct gdfs_rpc_conn *c);

/* Encode and send @m (reqid set to a fresh one, returned in c->reqid).
 * On failure the connection is marked broken and c->errmsg says why. */
int gdfs_rpc_send(struct gdfs_rpc_conn *c, struct gdfs_msg *m, int timeout_ms);

/* Send @len raw bytes of an encoded frame. */
int gdfs_rpc_send_raw(struct gdfs_rpc_conn *c, const void *frame, size_t len,
                      int timeout_ms);

/* Receive one frame into c->in, decoded into @m (pointers into c->in).
 * An ERROR frame is returned as its status, with its text in c->errmsg;
 * any other type than @want (0: any) is GDFS_EPROTO. */
int gdfs_rpc_recv(struct gdfs_rpc_conn *c, uint8_t want, struct gdfs_msg *m,
                  int timeout_ms);

/* gdfs_rpc_recv with its own wait for the first byte: @first_ms 0 polls
 * (GDFS_EAGAIN when nothing is there yet). */
int gdfs_rpc_recv_first(struct gdfs_rpc_conn *c, uint8_t want,
                        struct gdfs_msg *m, int first_ms, int timeout_ms);

/* open + send + recv: one round trip to @addr. The reply's pointers live
 * in *@cp's buffer; close it with gdfs_rpc_close. On failure *@cp is
 * closed and NULL, and @err says why. */
int gdfs_rpc_call(struct gdfs_rpc *r, const char *addr, struct gdfs_msg *req,
                  uint8_t want, struct gdfs_msg *reply,
                  struct gdfs_rpc_conn **cp, int timeout_ms, char *err,
                  size_t errlen);

int gdfs_rpc_io_ms(const struct gdfs_rpc *r);

/* True for the results that mean "no answer came" (the peer is down,
 * silent or gone mid-reply), as opposed to an ERROR it sent. */
bool gdfs_rpc_no_answer(int rc);

/* Wait for replies on @n connections that each sent a request: until
 * @need of them answered with @want, or all answered, or @timeout_ms
 * passed. rcs[i] gets each one's result (GDFS_ETIMEDOUT: no answer in
 * time; the connection is then marked broken) and replies[i] its message
 * (pointers into cs[i]->in). NULL entries in @cs are skipped (rcs[i] left
 * as is). Returns how many answered with @want. */
unsigned gdfs_rpc_gather(struct gdfs_rpc_conn **cs, unsigned n, uint8_t want,
                         unsigned need, int timeout_ms, int *rcs,
                         struct gdfs_msg *replies);

#endif
