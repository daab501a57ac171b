/* Plain TCP sockets for the transport plugins (see sock.h). Sections:
 * errors and addresses, listen/accept, send/recv. */
#define GDFS_PLUGIN_BUILD
#include "transport.h"

#include "sock.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- errors and addresses -------------------------------------------------- */

int sock_status(int e)
{
    switch (e) {
    case EAGAIN:
        return GDFS_EAGAIN;
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN:
        return GDFS_ECLOSED;
    case ETIMEDOUT:
        return GDFS_ETIMEDOUT;
    case ENOMEM:
    case ENOBUFS:
        return GDFS_ENOMEM;
    default:
        return GDFS_ENET;
    }
}

int sock_split_addr(const char *addr, const char **host, size_t *hostlen,
                    const char **port, bool *v6)
{
    const char *colon;

    *host = addr;
    *v6 = false;
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        *host = addr + 1;
        *hostlen = (size_t)(end - *host);
        colon = end + 1;
        *v6 = true;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL)
            return -1;
        *hostlen = (size_t)(colon - addr);
    }
    *port = colon + 1;
    return 0;
}

/* The numeric address of @fd's peer ("[v6]:port" or "v4:port"), or "". */
static void describe_peer(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char h[64], p[16];

    out[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return;
    snprintf(out, outlen, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h,
             p);
}

/* ---- listen / accept ------------------------------------------------------- */

struct sock *sock_new(int fd)
{
    struct sock *s = malloc(sizeof(*s));

    if (s != NULL)
        s->fd = fd;
    return s;
}

void sock_free(struct sock *s)
{
    close(s->fd);
    free(s);
}

int sock_listen(struct gdfs_listener *l, const char *addr, const char *host,
                const char *port, sock_check_fn check)
{
    struct addrinfo hints = {0}, *res = NULL;
    int fd = -1, one = 1, e;

    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    e = getaddrinfo(host, port, &hints, &res);
    if (e != 0) {
        snprintf(l->errmsg, sizeof(l->errmsg), "listen %s: %s", addr,
                 gai_strerror(e));
        return GDFS_EINVAL;
    }
    if (check != NULL && (e = check(res->ai_addr, addr, l->errmsg,
                                    sizeof(l->errmsg))) != GDFS_OK) {
        freeaddrinfo(res);
        return e;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0)
        goto fail;
    freeaddrinfo(res);
    l->impl = sock_new(fd);
    if (l->impl == NULL) {
        close(fd);
        snprintf(l->errmsg, sizeof(l->errmsg), "out of memory");
        return GDFS_ENOMEM;
    }
    return GDFS_OK;
fail:
    e = errno;
    snprintf(l->errmsg, sizeof(l->errmsg), "listen %s: %s", addr, strerror(e));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return GDFS_ENET;
}

int sock_listener_fd(struct gdfs_listener *l)
{
    return ((struct sock *)l->impl)->fd;
}

void sock_listener_close(struct gdfs_listener *l)
{
    sock_free(l->impl);
    l->impl = NULL;
}

int sock_accept(struct gdfs_listener *l, struct gdfs_conn *c, int *fd)
{
    int lfd = ((struct sock *)l->impl)->fd;
    int s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (s < 0) {
        int e = errno;
        if (e == EAGAIN || e == EINTR || e == ECONNABORTED)
            return GDFS_EAGAIN;
        snprintf(l->errmsg, sizeof(l->errmsg), "accept: %s", strerror(e));
        return e == EMFILE || e == ENFILE ? GDFS_EBUSY : GDFS_ENET;
    }
    describe_peer(s, c->peer, sizeof(c->peer));
    *fd = s;
    return GDFS_OK;
}

/* ---- send / recv ----------------------------------------------------------- */

int sock_send(int fd, const void *buf, size_t len, size_t *nsent,
              const char *peer, char *err, size_t errlen)
{
    ssize_t n;

    *nsent = 0;
    do
        n = send(fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        snprintf(err, errlen, "send to %s: %s", peer, strerror(e));
        return sock_status(e);
    }
    *nsent = (size_t)n;
    return GDFS_OK;
}

int sock_recv(int fd, void *buf, size_t len, size_t *nread, const char *peer,
              char *err, size_t errlen)
{
    ssize_t n;

    *nread = 0;
    do
        n = recv(fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        snprintf(err, errlen, "recv from %s: %s", peer, strerror(e));
        return sock_status(e);
    }
    if (n == 0) {
        snprintf(err, errlen, "%s closed the connection", peer);
        return GDFS_ECLOSED;
    }
    *nread = (size_t)n;
    return GDFS_OK;
}
