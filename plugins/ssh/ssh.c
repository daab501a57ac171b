/* "ssh" transport plugin: node-to-node traffic through SSH tunnels
 * (libssh2 direct-tcpip channels), for groups whose machines may only
 * talk SSH to each other (DESIGN.md "Transport plugins").
 *
 * How a connection goes: a node listens on 127.0.0.1 only (plain TCP,
 * as the tcp plugin). To dial a peer at HOST:PORT, the plugin logs in to
 * the sshd on HOST (port [ssh] port, or as mapped by host.HOST), checks
 * its host key strictly against known_hosts, authenticates with an
 * ed25519 key, and opens a direct-tcpip channel to 127.0.0.1:PORT on
 * that machine: the peer's own sshd connects it to the peer node.
 * Sessions are pooled per peer node and reused (set-up costs 0.1-0.3 s); see
 * pool.c for keepalive and backoff, pump.c for why each connection has
 * a thread.
 *
 * INI section [ssh] (all optional):
 *   user          = NAME     user to log in as [the effective user]
 *   identity      = FILE     private key, unencrypted ed25519 (OpenSSH
 *                            format, as ssh-keygen -t ed25519 writes it)
 *                            [~/.ssh/id_ed25519]; identity_file is an
 *                            alias. libssh2 1.10 cannot sign with RSA
 *                            keys in a way OpenSSH >= 8.8 accepts. Like
 *                            ssh, a key file with any group or other
 *                            permission bit is refused (chmod 600).
 *   known_hosts   = FILE     OpenSSH known_hosts [~/.ssh/known_hosts];
 *                            plain or hashed (|1|) names, "[host]:port"
 *                            for sshd ports other than 22. An unknown,
 *                            changed or @revoked host key is refused,
 *                            naming the host and the key's SHA256
 *                            fingerprint; nothing is ever added to the
 *                            file. A @revoked line revokes its key for
 *                            every host, whatever its host patterns.
 *   port          = N        sshd port on every peer machine [22]
 *   ciphers       = LIST     cipher preference, e.g. aes128-ctr,aes256-ctr
 *                            [libssh2's order]
 *   macs          = LIST     MAC preference, e.g. hmac-sha2-256 [libssh2's]
 *   keepalive_s   = N        SSH keepalive every N s on idle pooled
 *                            sessions; 0 = off [30]
 *   max_sessions  = N        sessions kept open per peer node, 1..64
 *                            [4]; more concurrent connections get their
 *                            own sessions, closed when they are
 *   host.NODEHOST = SSHHOST[:PORT]
 *                            when dialling a node address whose host is
 *                            NODEHOST, log in to SSHHOST (at PORT, else
 *                            [ssh] port) instead: e.g.
 *                            host.10.0.0.2 = gw2.example.org:2222.
 *                            NODEHOST is a name or IPv4 address (INI keys
 *                            cannot hold ':'), compared case-insensitively.
 * Unknown keys and bad values are refused (GDFS_ECONFIG, naming the key).
 *
 * listen refuses an address that is not loopback (GDFS_EINVAL): a node
 * that takes ssh traffic must not also be reachable around sshd.
 * A dial blocks for at most its timeout (TCP connect, SSH set-up and
 * channel open together); send, recv and events never block.
 *
 * Includes only transport.h, libc, pthreads and libssh2: it links against
 * no gdfs code. Sections: init/shutdown, listen/accept, connections, the
 * entry point. */
#include "ssh_int.h"

#include "../common/sock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct ssh_transport {
    struct ssh_conf cf;
    struct ssh_pool *pool;
};

struct ssh_conn { /* a dialled connection */
    int fd;       /* the caller's end of the pump's socketpair */
    struct ssh_link *link;
};

/* ---- init / shutdown ------------------------------------------------------ */

/* libssh2_init/libssh2_exit count their calls but are not thread-safe. */
static pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;

static int ssh_init(struct gdfs_transport *t)
{
    const struct gdfs_host_api *h = t->host;
    struct ssh_transport *st = calloc(1, sizeof(*st));
    int rc, lrc;

    if (st == NULL) {
        snprintf(t->errmsg, sizeof(t->errmsg), "out of memory");
        return GDFS_ENOMEM;
    }
    pthread_mutex_lock(&lib_mu);
    lrc = libssh2_init(0);
    pthread_mutex_unlock(&lib_mu);
    if (lrc != 0) {
        snprintf(t->errmsg, sizeof(t->errmsg), "ssh: libssh2_init failed");
        free(st);
        return GDFS_EPLUGIN;
    }
    ssh_conf_defaults(&st->cf, NULL, NULL);
    rc = ssh_conf_apply(&st->cf, h->nconf, h->conf_keys, h->conf_values, NULL,
                        t->errmsg, sizeof(t->errmsg));
    if (rc == GDFS_OK)
        rc = ssh_conf_check(&st->cf, t->errmsg, sizeof(t->errmsg));
    if (rc == GDFS_OK) {
        rc = ssh_pool_new(&st->cf, h->log, &st->pool);
        if (rc != GDFS_OK)
            snprintf(t->errmsg, sizeof(t->errmsg),
                     "ssh: cannot start the keepalive thread");
    }
    if (rc != GDFS_OK) {
        pthread_mutex_lock(&lib_mu);
        libssh2_exit();
        pthread_mutex_unlock(&lib_mu);
        free(st);
        return rc;
    }
    h->log(0, "ssh: user %s, identity %s, known_hosts %s, sshd port %d",
           st->cf.user, st->cf.identity, st->cf.known_hosts, st->cf.port);
    t->impl = st;
    return GDFS_OK;
}

static void ssh_shutdown(struct gdfs_transport *t)
{
    struct ssh_transport *st = t->impl;

    ssh_pool_free(st->pool);
    free(st);
    t->impl = NULL;
    pthread_mutex_lock(&lib_mu);
    libssh2_exit();
    pthread_mutex_unlock(&lib_mu);
}

/* ---- listen / accept: plain TCP on loopback --------------------------------- */

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >>
                24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(
            &((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

/* sock_listen's check: a node that takes ssh traffic must not also be
 * reachable around sshd. */
static int loopback_only(const struct sockaddr *sa, const char *addr,
                         char *err, size_t errlen)
{
    if (is_loopback(sa))
        return GDFS_OK;
    snprintf(err, errlen,
             "listen %s: not a loopback address; with the ssh transport "
             "a node listens on 127.0.0.1 only (peers come in through "
             "this machine's sshd)",
             addr);
    return GDFS_EINVAL;
}

static int ssh_listen(struct gdfs_listener *l, const char *addr)
{
    char host[SSH_HOST_MAX], port[16];
    int p;

    if (ssh_split_hostport(addr, host, sizeof(host), &p) != 0) {
        snprintf(l->errmsg, sizeof(l->errmsg), "listen: '%s' is not HOST:PORT",
                 addr);
        return GDFS_EINVAL;
    }
    snprintf(port, sizeof(port), "%d", p);
    return sock_listen(l, addr, host, port, loopback_only);
}

/* An accepted connection is a plain socket; the conn's impl is a
 * struct ssh_conn with no link, so that send/recv/close serve both. */
static int ssh_accept(struct gdfs_listener *l, struct gdfs_conn *c)
{
    struct ssh_conn *sc;
    int fd, one = 1, rc = sock_accept(l, c, &fd);

    if (rc != GDFS_OK)
        return rc;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        close(fd);
        return GDFS_ENOMEM;
    }
    sc->fd = fd;
    c->impl = sc;
    return GDFS_OK;
}

/* ---- connections ---------------------------------------------------------------- */

static int ssh_dial(struct gdfs_conn *c, const char *addr, int timeout_ms)
{
    struct ssh_transport *st = c->t->impl;
    struct ssh_target tg;
    struct ssh_sess *ss;
    LIBSSH2_CHANNEL *ch;
    struct ssh_conn *sc;
    int rc;

    rc = ssh_conf_target(&st->cf, addr, &tg, c->errmsg, sizeof(c->errmsg));
    if (rc != GDFS_OK)
        return rc;
    sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        snprintf(c->errmsg, sizeof(c->errmsg), "out of memory");
        return GDFS_ENOMEM;
    }
    rc = ssh_pool_get(st->pool, &tg, dial_deadline(timeout_ms), &ss, &ch,
                      c->errmsg, sizeof(c->errmsg));
    if (rc == GDFS_OK) {
        rc = ssh_link_start(st->pool, ss, ch, tg.node_port,
                            timeout_ms > 100 ? timeout_ms : 100, &sc->link,
                            &sc->fd);
        if (rc != GDFS_OK)
            snprintf(c->errmsg, sizeof(c->errmsg),
                     "ssh: cannot start the thread for a connection to %s "
                     "(out of memory or file descriptors)",
                     addr);
    }
    if (rc != GDFS_OK) {
        free(sc);
        return rc;
    }
    c->impl = sc;
    snprintf(c->peer, sizeof(c->peer), "%s", addr);
    return GDFS_OK;
}

/* The pump's reason, if it ended the connection, else @fallback. */
static void reason(struct gdfs_conn *c, const char *fallback)
{
    struct ssh_conn *sc = c->impl;
    char why[SSH_ERR_MAX] = "";

    if (sc->link != NULL)
        ssh_link_why(sc->link, why, sizeof(why));
    snprintf(c->errmsg, sizeof(c->errmsg), "%s", why[0] ? why : fallback);
}

static int ssh_send(struct gdfs_conn *c, const void *buf, size_t len,
                    size_t *nsent)
{
    char fb[SSH_ERR_MAX];
    int rc = sock_send(((struct ssh_conn *)c->impl)->fd, buf, len, nsent,
                       c->peer, fb, sizeof(fb));

    if (rc != GDFS_OK && rc != GDFS_EAGAIN)
        reason(c, fb);
    return rc;
}

static int ssh_recv(struct gdfs_conn *c, void *buf, size_t len, size_t *nread)
{
    char fb[SSH_ERR_MAX];
    int rc = sock_recv(((struct ssh_conn *)c->impl)->fd, buf, len, nread,
                       c->peer, fb, sizeof(fb));

    if (rc != GDFS_OK && rc != GDFS_EAGAIN)
        reason(c, fb);
    return rc;
}

static int ssh_events(struct gdfs_conn *c, int want, int *fd, int *mask)
{
    *fd = ((struct ssh_conn *)c->impl)->fd;
    *mask = want;
    return GDFS_OK;
}

static void ssh_close(struct gdfs_conn *c)
{
    struct ssh_conn *sc = c->impl;

    if (sc->link != NULL)
        ssh_link_close(sc->link); /* closes sc->fd */
    else
        close(sc->fd);
    free(sc);
    c->impl = NULL;
}

/* ---- entry point ------------------------------------------------------------------ */

static const struct gdfs_transport_ops ssh_ops = {
    .abi_version = GDFS_TRANSPORT_ABI,
    .name = "ssh",
    .init = ssh_init,
    .shutdown = ssh_shutdown,
    .listen = ssh_listen,
    .listener_fd = sock_listener_fd,
    .accept = ssh_accept,
    .listener_close = sock_listener_close,
    .dial = ssh_dial,
    .send = ssh_send,
    .recv = ssh_recv,
    .events = ssh_events,
    .close = ssh_close,
};

const struct gdfs_transport_ops *gdfs_transport_entry(unsigned host_abi,
                                                      char *err, size_t errlen)
{
    if ((host_abi >> 16) != GDFS_TRANSPORT_ABI_MAJOR) {
        snprintf(err, errlen,
                 "ssh plugin implements ABI %u.%u, host has %u.%u",
                 GDFS_TRANSPORT_ABI_MAJOR, GDFS_TRANSPORT_ABI_MINOR,
                 host_abi >> 16, host_abi & 0xffff);
        return NULL;
    }
    return &ssh_ops;
}
