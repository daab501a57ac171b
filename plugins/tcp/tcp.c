/* "tcp" transport plugin: plain non-blocking TCP sockets.
 *
 * INI section [tcp] (all optional):
 *   nodelay    = yes|no   TCP_NODELAY on every connection [yes]
 *   sndbuf_kib = N        SO_SNDBUF in KiB, 0 = kernel default [0]
 *   rcvbuf_kib = N        SO_RCVBUF in KiB, 0 = kernel default [0]
 *
 * Includes only transport.h and libc: it links against no gdfs code. */
#define GDFS_PLUGIN_BUILD
#include "transport.h"

#include "../common/dial.h"
#include "../common/sock.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct tcp_conf {
    bool nodelay;
    int sndbuf; /* bytes, 0 = default */
    int rcvbuf;
};

/* ---- configuration ------------------------------------------------------ */

static int parse_kib(const char *s, int *out)
{
    unsigned long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65536) /* 64 MiB is plenty */
            return -1;
    }
    *out = (int)v * 1024;
    return 0;
}

static int tcp_init(struct gdfs_transport *t)
{
    struct tcp_conf *cf = calloc(1, sizeof(*cf));
    const struct gdfs_host_api *h = t->host;

    if (cf == NULL) {
        snprintf(t->errmsg, sizeof(t->errmsg), "out of memory");
        return GDFS_ENOMEM;
    }
    cf->nodelay = true;
    for (size_t i = 0; i < h->nconf; i++) {
        const char *k = h->conf_keys[i], *v = h->conf_values[i];
        int bad = 0;

        if (strcmp(k, "nodelay") == 0) {
            if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
                strcmp(v, "1") == 0)
                cf->nodelay = true;
            else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
                     strcmp(v, "0") == 0)
                cf->nodelay = false;
            else
                bad = 1;
        } else if (strcmp(k, "sndbuf_kib") == 0) {
            bad = parse_kib(v, &cf->sndbuf) != 0;
        } else if (strcmp(k, "rcvbuf_kib") == 0) {
            bad = parse_kib(v, &cf->rcvbuf) != 0;
        } else {
            snprintf(t->errmsg, sizeof(t->errmsg), "[tcp] %s: unknown key", k);
            free(cf);
            return GDFS_ECONFIG;
        }
        if (bad) {
            snprintf(t->errmsg, sizeof(t->errmsg),
                     "[tcp] %s: bad value '%s' (nodelay: yes|no; *_kib: "
                     "0..65536)",
                     k, v);
            free(cf);
            return GDFS_ECONFIG;
        }
    }
    t->impl = cf;
    return GDFS_OK;
}

static void tcp_shutdown(struct gdfs_transport *t)
{
    free(t->impl);
    t->impl = NULL;
}

/* ---- helpers ------------------------------------------------------------- */

/* Split "host:port" or "[v6]:port". */
static int split_addr(const char *addr, char *host, size_t hostlen, char *port,
                      size_t portlen)
{
    const char *h, *p;
    size_t n;
    bool v6;

    if (sock_split_addr(addr, &h, &n, &p, &v6) != 0 || n == 0 ||
        n >= hostlen || strlen(p) == 0 || strlen(p) >= portlen)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    strcpy(port, p);
    return 0;
}

static void tune(struct gdfs_transport *t, int fd)
{
    const struct tcp_conf *cf = t->impl;
    int one = 1;

    if (cf->nodelay)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (cf->sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cf->sndbuf, sizeof(cf->sndbuf));
    if (cf->rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cf->rcvbuf, sizeof(cf->rcvbuf));
}

/* ---- listening ----------------------------------------------------------- */

static int tcp_listen(struct gdfs_listener *l, const char *addr)
{
    char host[256], port[16];

    if (split_addr(addr, host, sizeof(host), port, sizeof(port)) != 0) {
        snprintf(l->errmsg, sizeof(l->errmsg), "listen: '%s' is not HOST:PORT",
                 addr);
        return GDFS_EINVAL;
    }
    return sock_listen(l, addr, host, port, NULL);
}

static int tcp_accept(struct gdfs_listener *l, struct gdfs_conn *c)
{
    int fd, rc = sock_accept(l, c, &fd);

    if (rc != GDFS_OK)
        return rc;
    tune(l->t, fd);
    c->impl = sock_new(fd);
    if (c->impl == NULL) {
        close(fd);
        return GDFS_ENOMEM;
    }
    return GDFS_OK;
}

/* ---- connections --------------------------------------------------------- */

static void tune_cb(int fd, void *t)
{
    tune(t, fd);
}

static int tcp_dial(struct gdfs_conn *c, const char *addr, int timeout_ms)
{
    char host[256], port[16];
    int fd, rc, n;

    if (split_addr(addr, host, sizeof(host), port, sizeof(port)) != 0) {
        snprintf(c->errmsg, sizeof(c->errmsg), "'%s' is not HOST:PORT", addr);
        return GDFS_EINVAL;
    }
    /* The reason goes after this prefix (only read on failure). */
    n = snprintf(c->errmsg, sizeof(c->errmsg), "connect %s: ", addr);
    if (n < 0 || (size_t)n >= sizeof(c->errmsg))
        n = 0;
    rc = dial_connect(host, port, dial_deadline(timeout_ms), tune_cb, c->t,
                      &fd, c->errmsg + n, sizeof(c->errmsg) - (size_t)n);
    if (rc != GDFS_OK)
        return rc;
    c->impl = sock_new(fd);
    if (c->impl == NULL) {
        close(fd);
        return GDFS_ENOMEM;
    }
    snprintf(c->peer, sizeof(c->peer), "%s", addr);
    return GDFS_OK;
}

static int tcp_send(struct gdfs_conn *c, const void *buf, size_t len,
                    size_t *nsent)
{
    return sock_send(((struct sock *)c->impl)->fd, buf, len, nsent, c->peer,
                     c->errmsg, sizeof(c->errmsg));
}

static int tcp_recv(struct gdfs_conn *c, void *buf, size_t len, size_t *nread)
{
    return sock_recv(((struct sock *)c->impl)->fd, buf, len, nread, c->peer,
                     c->errmsg, sizeof(c->errmsg));
}

static int tcp_events(struct gdfs_conn *c, int want, int *fd, int *mask)
{
    *fd = ((struct sock *)c->impl)->fd;
    *mask = want;
    return GDFS_OK;
}

static void tcp_close(struct gdfs_conn *c)
{
    sock_free(c->impl);
    c->impl = NULL;
}

static const struct gdfs_transport_ops tcp_ops = {
    .abi_version = GDFS_TRANSPORT_ABI,
    .name = "tcp",
    .init = tcp_init,
    .shutdown = tcp_shutdown,
    .listen = tcp_listen,
    .listener_fd = sock_listener_fd,
    .accept = tcp_accept,
    .listener_close = sock_listener_close,
    .dial = tcp_dial,
    .send = tcp_send,
    .recv = tcp_recv,
    .events = tcp_events,
    .close = tcp_close,
};

const struct gdfs_transport_ops *gdfs_transport_entry(unsigned host_abi,
                                                      char *err, size_t errlen)
{
    if ((host_abi >> 16) != GDFS_TRANSPORT_ABI_MAJOR) {
        snprintf(err, errlen,
                 "tcp plugin implements ABI %u.%u, host has %u.%u",
                 GDFS_TRANSPORT_ABI_MAJOR, GDFS_TRANSPORT_ABI_MINOR,
                 host_abi >> 16, host_abi & 0xffff);
        return NULL;
    }
    return &tcp_ops;
}
