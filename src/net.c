/* Frame I/O with idle timeouts over the non-blocking plugin ABI; see net.h. */
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static int stop_fd = -1;

void gdfs_net_set_stop_fd(int fd)
{
    stop_fd = fd;
}

int gdfs_net_wait(struct gdfs_conn *c, int want, int timeout_ms)
{
    struct pollfd p[2];
    int fd, mask, rc, n;

    rc = gdfs_conn_events(c, want, &fd, &mask);
    if (rc != GDFS_OK)
        return rc;
    p[0].fd = fd;
    p[0].events = (short)(((mask & GDFS_EV_READ) ? POLLIN : 0) |
                          ((mask & GDFS_EV_WRITE) ? POLLOUT : 0));
    p[0].revents = 0;
    p[1].fd = stop_fd;
    p[1].events = POLLIN;
    p[1].revents = 0;
    do
        n = poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(c->errmsg, sizeof(c->errmsg), "poll: %s", strerror(errno));
        return GDFS_EIO;
    }
    if (stop_fd >= 0 && (p[1].revents & POLLIN)) {
        snprintf(c->errmsg, sizeof(c->errmsg), "node is shutting down");
        return GDFS_ESHUTDOWN;
    }
    if (n == 0) {
        snprintf(c->errmsg, sizeof(c->errmsg), "%s: no progress for %d ms",
                 c->peer, timeout_ms);
        return GDFS_ETIMEDOUT;
    }
    return GDFS_OK;
}

int gdfs_net_send_all(struct gdfs_conn *c, const void *buf, size_t len,
                      int timeout_ms)
{
    const uint8_t *p = buf;

    while (len > 0) {
        size_t n = 0;
        int rc = gdfs_conn_send(c, p, len, &n);

        if (rc == GDFS_EAGAIN)
            rc = gdfs_net_wait(c, GDFS_EV_WRITE, timeout_ms);
        if (rc != GDFS_OK)
            return rc;
        p += n;
        len -= n;
    }
    return GDFS_OK;
}

/* Receive exactly @len bytes. The first byte may take @first_timeout_ms;
 * from then on, all of them must arrive within @timeout_ms in total (a
 * deadline, not a per-byte allowance: one byte every few seconds must not
 * hold a connection thread for ever). */
static int recv_all(struct gdfs_conn *c, uint8_t *p, size_t len,
                    int first_timeout_ms, int timeout_ms, long *deadline)
{
    while (len > 0) {
        size_t n = 0;
        int rc = gdfs_conn_recv(c, p, len, &n);

        if (rc == GDFS_EAGAIN) {
            long left = *deadline ? *deadline - (long)gdfs_clock_ms()
                                  : first_timeout_ms;

            if (*deadline == 0 && first_timeout_ms == 0)
                return GDFS_EAGAIN; /* a poll: nothing there yet */
            if (left <= 0) {
                snprintf(c->errmsg, sizeof(c->errmsg),
                         "%s: frame not complete within %d ms", c->peer,
                         timeout_ms);
                return GDFS_ETIMEDOUT;
            }
            rc = gdfs_net_wait(c, GDFS_EV_READ, (int)left);
            if (rc != GDFS_OK)
                return rc;
            continue;
        }
        if (rc != GDFS_OK)
            return rc;
        if (*deadline == 0)
            *deadline = (long)gdfs_clock_ms() + timeout_ms;
        p += n;
        len -= n;
    }
    return GDFS_OK;
}

int gdfs_net_recv_all(struct gdfs_conn *c, void *buf, size_t len,
                      int timeout_ms)
{
    long deadline = 0;

    return recv_all(c, buf, len, timeout_ms, timeout_ms, &deadline);
}

int gdfs_net_recv_msg(struct gdfs_conn *c, uint8_t *buf, size_t cap,
                      uint32_t max_payload, int first_timeout_ms,
                      int timeout_ms, struct gdfs_msg *m)
{
    struct gdfs_frame_hdr hdr;
    long deadline = 0; /* set when the frame's first byte arrives */
    int rc;

    if (cap < GDFS_PROTO_HDR_LEN + (size_t)max_payload)
        max_payload = (uint32_t)(cap - GDFS_PROTO_HDR_LEN);
    rc = recv_all(c, buf, GDFS_PROTO_HDR_LEN, first_timeout_ms, timeout_ms,
                  &deadline);
    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_proto_decode_hdr(buf, max_payload, &hdr);
    if (rc != GDFS_OK) {
        snprintf(c->errmsg, sizeof(c->errmsg),
                 "bad frame header from %s (magic, version, type, flags or "
                 "length over %u)",
                 c->peer, max_payload);
        return rc;
    }
    rc = recv_all(c, buf + GDFS_PROTO_HDR_LEN, hdr.len, timeout_ms, timeout_ms,
                  &deadline);
    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_proto_decode(&hdr, buf + GDFS_PROTO_HDR_LEN, m);
    if (rc != GDFS_OK)
        snprintf(c->errmsg, sizeof(c->errmsg), "bad %s frame from %s",
                 gdfs_proto_type_name(hdr.type), c->peer);
    return rc;
}

int gdfs_net_send_msg(struct gdfs_conn *c, const struct gdfs_msg *m,
                      uint8_t *buf, size_t cap, int timeout_ms)
{
    size_t len;
    int rc = gdfs_proto_encode(m, buf, cap, &len);

    if (rc != GDFS_OK) {
        snprintf(c->errmsg, sizeof(c->errmsg), "cannot encode %s: %s",
                 gdfs_proto_type_name(m->type), gdfs_strerror(rc));
        return rc;
    }
    return gdfs_net_send_all(c, buf, len, timeout_ms);
}

int gdfs_net_send_error(struct gdfs_conn *c, uint32_t reqid, int status,
                        int timeout_ms, const char *fmt, ...)
{
    char text[GDFS_ERRMSG_MAX + 1];
    uint8_t buf[GDFS_PROTO_HDR_LEN + 8 + GDFS_ERRMSG_MAX];
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOCL_ERROR, .reqid = reqid};
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > GDFS_ERRMSG_MAX)
        n = GDFS_ERRMSG_MAX;
    m.u.error.status = (uint32_t)status;
    m.u.error.msg.p = (const uint8_t *)text;
    m.u.error.msg.len = (size_t)n;
    return gdfs_net_send_msg(c, &m, buf, sizeof(buf), timeout_ms);
}

int gdfs_net_readable(struct gdfs_conn *c)
{
    struct pollfd p;
    int fd, mask;

    if (GDFS_TRANSPORT_HAS_1_1(c->t->ops) && c->t->ops->pending != NULL &&
        c->t->ops->pending(c))
        return 1;
    if (gdfs_conn_events(c, GDFS_EV_READ, &fd, &mask) != GDFS_OK)
        return 0;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, 0) > 0;
}
