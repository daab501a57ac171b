/* tunnel: a test helper that lets plain-socket test scripts speak to gdfs
 * nodes through the authenticated channel (src/auth/channel.h), and lets
 * a plain fake node stand behind it, the way stunnel fronts a plain
 * service.
 *
 *   tunnel dial LPORT NODEADDR [DATADIR ID]
 *                                  accept plain TCP on 127.0.0.1:LPORT; for
 *                                  each connection dial NODEADDR proving
 *                                  the credential in $GDFS_KEY_FILE (or,
 *                                  with DATADIR and ID, member ID's, made
 *                                  from the group key in DATADIR: a member
 *                                  that misbehaves) and relay both ways
 *   tunnel serve LPORT TARGET DATADIR
 *                                  accept channel connections on
 *                                  127.0.0.1:LPORT (proved against the
 *                                  group key in DATADIR), and relay each to
 *                                  plain TCP TARGET (host:port)
 *
 * Prints "listening" once ready. Either side closing ends that relay (the
 * other side is closed too), as a direct connection would. Transport:
 * tcp from $GDFS_PLUGIN_DIR. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/channel.h"
#include "auth/cred.h"
#include "net.h"
#include "transport.h"

static struct gdfs_transport *t;
static struct gdfs_cred cred;
static uint8_t gk[GDFS_GROUP_KEY_LEN];
static const char *target;
static int serving;

struct relay {
    int fd;             /* plain side */
    struct gdfs_conn c; /* channel side */
};

static int plain_connect(const char *addr)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    struct sockaddr_in sa = {.sin_family = AF_INET};
    int fd;

    if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Relay until either side ends. */
static void pump(struct relay *r)
{
    uint8_t buf[65536];

    for (;;) {
        struct pollfd p[2];
        int cfd, cmask;
        size_t n;
        ssize_t got;
        int rc;

        /* Bytes the channel already decrypted come first. */
        if (gdfs_net_readable(&r->c)) {
            rc = gdfs_conn_recv(&r->c, buf, sizeof(buf), &n);
            if (rc == GDFS_OK) {
                if (write(r->fd, buf, n) != (ssize_t)n)
                    return;
                continue;
            }
            if (rc != GDFS_EAGAIN)
                return;
        }
        if (gdfs_conn_events(&r->c, GDFS_EV_READ, &cfd, &cmask) != GDFS_OK)
            return;
        p[0].fd = r->fd;
        p[0].events = POLLIN;
        p[1].fd = cfd;
        p[1].events = (short)((cmask & GDFS_EV_READ ? POLLIN : 0) |
                              (cmask & GDFS_EV_WRITE ? POLLOUT : 0));
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return;
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            got = read(r->fd, buf, sizeof(buf));
            if (got <= 0)
                return;
            if (gdfs_net_send_all(&r->c, buf, (size_t)got, 10000) != GDFS_OK)
                return;
        }
        if (p[1].revents) {
            rc = gdfs_conn_recv(&r->c, buf, sizeof(buf), &n);
            if (rc == GDFS_OK) {
                if (write(r->fd, buf, n) != (ssize_t)n)
                    return;
            } else if (rc != GDFS_EAGAIN) {
                return;
            }
        }
    }
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    int rc;

    if (serving) {
        struct gdfs_auth_peer peer;

        rc = gdfs_channel_accept(&r->c, gk, 5000, &peer);
        if (rc == GDFS_OK) {
            r->fd = plain_connect(target);
            if (r->fd >= 0)
                pump(r);
        } else {
            fprintf(stderr, "tunnel: %s\n", r->c.errmsg);
        }
    } else {
        rc = gdfs_channel_dial(t, &r->c, target, 5000, &cred);
        if (rc == GDFS_OK)
            pump(r);
        else
            fprintf(stderr, "tunnel: %s\n", r->c.errmsg);
    }
    if (r->fd >= 0)
        close(r->fd);
    gdfs_conn_close(&r->c);
    free(r);
    return NULL;
}

static void start(struct relay *r)
{
    pthread_t tid;

    if (pthread_create(&tid, NULL, relay_main, r) == 0)
        pthread_detach(tid);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("GDFS_PLUGIN_DIR"), *kf = getenv("GDFS_KEY_FILE");
    char err[512], addr[64];
    int rc;

    if (argc < 4 ||
        (strcmp(argv[1], "dial") != 0 && strcmp(argv[1], "serve") != 0) ||
        (strcmp(argv[1], "serve") == 0 && argc != 5) ||
        (strcmp(argv[1], "dial") == 0 && argc != 4 && argc != 6)) {
        fprintf(stderr, "usage: tunnel dial LPORT NODEADDR [DATADIR ID] | "
                        "tunnel serve LPORT TARGET DATADIR\n");
        return 2;
    }
    serving = strcmp(argv[1], "serve") == 0;
    target = argv[3];
    rc = gdfs_transport_new(dir ? dir : "plugins/tcp/.libs", "tcp", 0, NULL,
                            NULL, &t, err, sizeof(err));
    if (rc != GDFS_OK) {
        fprintf(stderr, "tunnel: %s\n", err);
        return 2;
    }
    if (serving)
        rc = gdfs_group_key_load(argv[4], gk, err, sizeof(err));
    else if (argc == 6) {
        rc = gdfs_group_key_load(argv[4], gk, err, sizeof(err));
        if (rc == GDFS_OK)
            gdfs_cred_make(gk, GDFS_CRED_MEMBER, argv[5], &cred);
    } else if (kf == NULL) {
        snprintf(err, sizeof(err), "GDFS_KEY_FILE is not set");
        rc = GDFS_EINVAL;
    } else
        rc = gdfs_cred_load(kf, &cred, err, sizeof(err));
    if (rc != GDFS_OK) {
        fprintf(stderr, "tunnel: %s\n", err);
        return 2;
    }
    snprintf(addr, sizeof(addr), "127.0.0.1:%s", argv[2]);
    if (serving) {
        struct gdfs_listener l;

        if (gdfs_listener_open(t, &l, addr) != GDFS_OK) {
            fprintf(stderr, "tunnel: %s\n", l.errmsg);
            return 1;
        }
        printf("listening\n");
        fflush(stdout);
        for (;;) {
            struct pollfd p = {.fd = t->ops->listener_fd(&l),
                               .events = POLLIN};
            struct relay *r = calloc(1, sizeof(*r));

            if (r == NULL)
                return 1;
            r->fd = -1;
            poll(&p, 1, -1);
            if (gdfs_listener_accept(&l, &r->c) != GDFS_OK) {
                free(r);
                continue;
            }
            start(r);
        }
    } else {
        struct sockaddr_in sa = {.sin_family = AF_INET};
        int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        sa.sin_port = htons((uint16_t)atoi(argv[2]));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
            listen(lfd, 64) != 0) {
            fprintf(stderr, "tunnel: listen %s: %s\n", addr, strerror(errno));
            return 1;
        }
        printf("listening\n");
        fflush(stdout);
        for (;;) {
            struct relay *r = calloc(1, sizeof(*r));

            if (r == NULL)
                return 1;
            r->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (r->fd < 0) {
                free(r);
                continue;
            }
            start(r);
        }
    }
}
