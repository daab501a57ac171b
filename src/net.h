/* Blocking-with-timeout frame I/O over a transport connection.
 *
 * The plugin ABI never blocks; these helpers wait with poll() on what the
 * plugin's ->events reports, so that a thread can be written as straight
 * code. Every wait is bounded by @timeout_ms of no progress (an idle
 * timeout: a peer that keeps moving bytes is never cut off, one that stops
 * is) and ends early when the process-wide stop fd becomes readable. */
#ifndef GDFS_NET_H
#define GDFS_NET_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "transport.h"

/* A readable @fd makes every wait return GDFS_ESHUTDOWN (node shutdown).
 * -1 (the default) disables it. */
void gdfs_net_set_stop_fd(int fd);

/* Wait until @c is ready in direction @want (GDFS_EV_READ/WRITE).
 * GDFS_OK, GDFS_ETIMEDOUT, GDFS_ESHUTDOWN, or the plugin's error. */
int gdfs_net_wait(struct gdfs_conn *c, int want, int timeout_ms);

/* Send all @len bytes. */
int gdfs_net_send_all(struct gdfs_conn *c, const void *buf, size_t len,
                      int timeout_ms);

/* Receive exactly @len bytes within @timeout_ms from the first byte.
 * GDFS_ECLOSED if the peer closed first. */
int gdfs_net_recv_all(struct gdfs_conn *c, void *buf, size_t len,
                      int timeout_ms);

/* Receive one frame into @buf (@cap >= GDFS_PROTO_HDR_LEN + max_payload)
 * and decode it into @m, whose pointers then point into @buf.
 * GDFS_EPROTO for a bad header, an oversized length or a bad payload;
 * @c->errmsg says what. @first_timeout_ms bounds the wait for the first
 * byte (an idle connection), @timeout_ms the whole frame from then on.
 * @first_timeout_ms 0 polls: GDFS_EAGAIN at once if no byte is there
 * (nothing consumed; bytes a plugin buffered count as there). */
int gdfs_net_recv_msg(struct gdfs_conn *c, uint8_t *buf, size_t cap,
                      uint32_t max_payload, int first_timeout_ms,
                      int timeout_ms, struct gdfs_msg *m);

/* Encode @m into @buf (@cap bytes) and send it. */
int gdfs_net_send_msg(struct gdfs_conn *c, const struct gdfs_msg *m,
                      uint8_t *buf, size_t cap, int timeout_ms);

/* Send an ERROR frame with @status and a printf-style message (cut to
 * GDFS_ERRMSG_MAX). Uses a small buffer of its own. */
int gdfs_net_send_error(struct gdfs_conn *c, uint32_t reqid, int status,
                        int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* 1 if bytes are waiting to be read on @c right now (without waiting). */
int gdfs_net_readable(struct gdfs_conn *c);

#endif
