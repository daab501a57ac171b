/* Accept loop and connection threads; see server.h. */
#define GDFS_LOG_MODULE "server"
#include "node/server.h"
#include "node/dbopts.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "net.h"
#include "auth/channel.h"
#include "node/dispatch.h"
#include "store/store.h"

#define THREAD_STACK (512 * 1024)
#define DRAIN_MS 10000

static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t active_cv; /* on CLOCK_MONOTONIC: drain() times out */
static pthread_once_t active_once = PTHREAD_ONCE_INIT;
static unsigned active; /* connection threads running */

static void active_init(void)
{
    gdfs_clock_cond_init(&active_cv);
}

/* ---- connection pools (under active_mu) ---------------------------------- */

enum pool { POOL_NONE, POOL_HANDSHAKE, POOL_PEER, POOL_CLIENT };

/* Connections from one source address (the peer's address without its
 * port), in the pools that count per source. */
struct source {
    char addr[80];
    unsigned handshakes, clients;
};

struct client;

static struct {
    unsigned handshakes, peers, clients;
    struct source *src; /* nsrc slots; a slot with no counts is free */
    size_t nsrc;
    /* The handshakes in progress, oldest first (see hs_evict). */
    struct client *hs_head, *hs_tail;
    /* The last log line of each kind, and what happened since. */
    uint64_t last_refusal_log_ms, last_cut_log_ms;
    unsigned refused_since_log, cut_since_log;
} pools;

struct client {
    struct gdfs_server *srv;
    struct gdfs_conn conn;
    enum pool pool;
    char source[80];
    /* The accepted connection's fd (hs_evict shuts it down), or -1. */
    int fd;
    /* While in POOL_HANDSHAKE: its place in pools.hs_* and its source's
     * slot (which its count keeps from being reused). */
    struct client *hs_prev, *hs_next;
    struct source *hs_src;
};

static void source_of(const char *peer, char *out, size_t cap)
{
    const char *colon = strrchr(peer, ':');
    size_t len = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

    if (len >= cap)
        len = cap - 1;
    memcpy(out, peer, len);
    out[len] = '\0';
}

/* The slot of @addr, or a free one for it; NULL if the table is full. */
static struct source *source_get(const char *addr)
{
    struct source *free_slot = NULL;

    for (size_t i = 0; i < pools.nsrc; i++) {
        struct source *x = &pools.src[i];

        if (x->handshakes == 0 && x->clients == 0) {
            if (free_slot == NULL)
                free_slot = x;
        } else if (strcmp(x->addr, addr) == 0) {
            return x;
        }
    }
    if (free_slot != NULL)
        snprintf(free_slot->addr, sizeof(free_slot->addr), "%s", addr);
    return free_slot;
}

/* Move @cl into pool @to (from its current one). false, with @why, when
 * @to is full; @cl then stays where it was. */
static bool pool_enter(struct client *cl, enum pool to, char *why,
                       size_t whylen)
{
    const struct gdfs_config *cfg = cl->srv->cfg;
    struct source *x = source_get(cl->source);
    bool ok = true;

    switch (to) {
    case POOL_HANDSHAKE:
        if (pools.handshakes >= GDFS_SERVER_HANDSHAKES || x == NULL ||
            x->handshakes >= GDFS_SERVER_HANDSHAKES_PER_SOURCE) {
            snprintf(why, whylen, "%u handshakes in progress (%u from %s)",
                     pools.handshakes, x ? x->handshakes : 0, cl->source);
            ok = false;
        }
        break;
    case POOL_PEER:
        if (pools.peers >= cfg->max_peers) {
            snprintf(why, whylen,
                     "node busy: it has max_peers (%u) member connections",
                     cfg->max_peers);
            ok = false;
        }
        break;
    case POOL_CLIENT:
        if (pools.clients >= cfg->max_clients) {
            snprintf(why, whylen,
                     "node busy: it has max_clients (%u) client connections",
                     cfg->max_clients);
            ok = false;
        } else if (x == NULL || x->clients >= cfg->max_per_source) {
            snprintf(why, whylen,
                     "node busy: %s has max_per_source (%u) client "
                     "connections to it",
                     cl->source, cfg->max_per_source);
            ok = false;
        }
        break;
    case POOL_NONE:
        break;
    }
    if (!ok)
        return false;
    /* Leave the old pool. */
    switch (cl->pool) {
    case POOL_HANDSHAKE:
        pools.handshakes--;
        if (x != NULL)
            x->handshakes--;
        if (cl->hs_prev != NULL)
            cl->hs_prev->hs_next = cl->hs_next;
        else
            pools.hs_head = cl->hs_next;
        if (cl->hs_next != NULL)
            cl->hs_next->hs_prev = cl->hs_prev;
        else
            pools.hs_tail = cl->hs_prev;
        cl->hs_prev = cl->hs_next = NULL;
        cl->hs_src = NULL;
        break;
    case POOL_PEER:
        pools.peers--;
        break;
    case POOL_CLIENT:
        pools.clients--;
        if (x != NULL)
            x->clients--;
        break;
    case POOL_NONE:
        break;
    }
    switch (to) {
    case POOL_HANDSHAKE:
        pools.handshakes++;
        x->handshakes++;
        cl->hs_src = x;
        cl->hs_prev = pools.hs_tail;
        cl->hs_next = NULL;
        if (pools.hs_tail != NULL)
            pools.hs_tail->hs_next = cl;
        else
            pools.hs_head = cl;
        pools.hs_tail = cl;
        break;
    case POOL_PEER:
        pools.peers++;
        break;
    case POOL_CLIENT:
        pools.clients++;
        x->clients++;
        break;
    case POOL_NONE:
        break;
    }
    cl->pool = to;
    return true;
}

/* Make room in a full handshake pool for a connection from @source, by
 * ending the oldest handshake of the source with the most in progress
 * (under active_mu). Without this, connections that never say a word
 * would hold every slot for GDFS_SERVER_HANDSHAKE_MS at a time and lock
 * every new connection out, members' and clients' alike, from as few as
 * GDFS_SERVER_HANDSHAKES / GDFS_SERVER_HANDSHAKES_PER_SOURCE addresses.
 * With it, a handshake is cut only when it is the oldest of the busiest
 * source: one that completes in a few round trips from a source with few
 * handshakes open is not, however many idle ones others keep opening.
 * The victim's fd is shut down (its thread wakes, its handshake fails,
 * and it closes the connection, which it does only after leaving the
 * pool: the fd is still its own here); a transport whose fd is not a
 * socket cannot be cut, and the newcomer is then refused as before.
 * false if nothing was cut; @victim gets the peer cut, for the log. */
static bool hs_evict(const char *source, char *victim, size_t cap)
{
    struct client *v = NULL;
    struct source *x = source_get(source);

    if (pools.handshakes < GDFS_SERVER_HANDSHAKES || x == NULL ||
        x->handshakes >= GDFS_SERVER_HANDSHAKES_PER_SOURCE)
        return false; /* room, or refused whatever we cut */
    for (struct client *c = pools.hs_head; c != NULL; c = c->hs_next)
        if (c->fd >= 0 &&
            (v == NULL || c->hs_src->handshakes > v->hs_src->handshakes))
            v = c;
    if (v == NULL || shutdown(v->fd, SHUT_RDWR) != 0)
        return false;
    snprintf(victim, cap, "%s", v->conn.peer);
    pool_enter(v, POOL_NONE, NULL, 0);
    return true;
}

/* Log one event of a kind at most once a second, with how many there
 * were (a flood must not fill the log). */
static void log_limited(uint64_t *last_ms, unsigned *since, const char *fmt,
                        const char *who, const char *why)
{
    uint64_t now = gdfs_clock_ms();
    unsigned n;

    pthread_mutex_lock(&active_mu);
    ++*since;
    if (now - *last_ms < 1000) {
        pthread_mutex_unlock(&active_mu);
        return;
    }
    *last_ms = now;
    n = *since;
    *since = 0;
    pthread_mutex_unlock(&active_mu);
    gdfs_log(GDFS_LOG_WARN, fmt, who, why, n);
}

static void log_refusal(const char *who, const char *why)
{
    log_limited(&pools.last_refusal_log_ms, &pools.refused_since_log,
                "refusing %s: %s (%u refused in the last second)", who, why);
}

/* ---- one connection ------------------------------------------------------ */

/* The secure handshake, then the pool the proven identity belongs to.
 * false: the connection is to be closed. */
static bool admit(struct client *cl, struct gdfs_auth_peer *peer)
{
    struct gdfs_server *srv = cl->srv;
    struct gdfs_conn *c = &cl->conn;
    int ms = (int)srv->cfg->io_timeout_ms < GDFS_SERVER_HANDSHAKE_MS
                 ? (int)srv->cfg->io_timeout_ms
                 : GDFS_SERVER_HANDSHAKE_MS;
    char why[256];
    bool ok;
    int rc;

    rc = gdfs_channel_accept(c, srv->group_key, ms, peer);
    if (rc != GDFS_OK) {
        if (rc == GDFS_EAUTH)
            log_refusal(c->peer, c->errmsg);
        else
            gdfs_log(GDFS_LOG_DEBUG, "%s", c->errmsg);
        return false;
    }
    pthread_mutex_lock(&active_mu);
    ok = pool_enter(cl,
                    peer->role == GDFS_CRED_MEMBER ? POOL_PEER : POOL_CLIENT,
                    why, sizeof(why));
    pthread_mutex_unlock(&active_mu);
    if (!ok) {
        log_refusal(c->peer, why);
        gdfs_net_send_error(c, 0, GDFS_EBUSY, 200, "%s", why);
        return false;
    }
    gdfs_log(GDFS_LOG_DEBUG, "%s is %s %s", c->peer,
             gdfs_cred_role_name(peer->role), peer->id);
    return true;
}

static void serve(struct client *cl)
{
    struct gdfs_server *srv = cl->srv;
    struct gdfs_conn *c = &cl->conn;
    const struct gdfs_config *cfg = srv->cfg;
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_session s = {.cfg = cfg,
                             .conn = c,
                             .group = srv->group,
                             .records = srv->records,
                             .readrepair = srv->readrepair,
                             .scrub = srv->scrub,
                             .group_key = srv->group_key,
                             .repair = srv->repair,
                             .inventory = srv->inventory};
    char err[512];
    int rc;

    if (!admit(cl, &s.peer))
        return;
    s.max_payload = cfg->chunk_size + 64 * 1024;
    s.incap = s.outcap = GDFS_PROTO_HDR_LEN + (size_t)s.max_payload;
    s.in = malloc(s.incap);
    s.out = malloc(s.outcap);
    if (s.in == NULL || s.out == NULL) {
        gdfs_log(GDFS_LOG_ERROR, "%s: out of memory for buffers", c->peer);
        goto out;
    }
    rc = gdfs_store_open(srv->db_path, &so, &s.st, err, sizeof(err));
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s: %s", c->peer, err);
        gdfs_net_send_error(c, 0, rc, (int)cfg->io_timeout_ms,
                            "node cannot open its store: %s", err);
        goto out;
    }
    for (;;) {
        struct gdfs_msg m;

        rc = gdfs_net_recv_msg(c, s.in, s.incap, s.max_payload,
                               (int)cfg->idle_timeout_ms,
                               (int)cfg->io_timeout_ms, &m);
        if (rc == GDFS_EPROTO) {
            gdfs_log(GDFS_LOG_WARN, "%s; closing", c->errmsg);
            gdfs_net_send_error(c, 0, GDFS_EPROTO, 1000, "%s", c->errmsg);
            break;
        }
        if (rc != GDFS_OK) {
            gdfs_log(GDFS_LOG_DEBUG, "%s: %s (%s)", c->peer, gdfs_strerror(rc),
                     c->errmsg);
            break;
        }
        if (gdfs_dispatch(&s, &m) != GDFS_OK)
            break;
    }
out:
    gdfs_store_close(s.st);
    free(s.in);
    free(s.out);
}

static void *client_main(void *arg)
{
    struct client *cl = arg;

    serve(cl);
    /* Out of the pools before the fd closes: hs_evict may shut down the
     * fd of a handshake in the pool. */
    pthread_mutex_lock(&active_mu);
    pool_enter(cl, POOL_NONE, NULL, 0);
    pthread_mutex_unlock(&active_mu);
    gdfs_conn_close(&cl->conn);
    pthread_mutex_lock(&active_mu);
    active--;
    pthread_cond_broadcast(&active_cv);
    pthread_mutex_unlock(&active_mu);
    free(cl);
    return NULL;
}

/* Start a thread for @cl, or refuse it when the handshake pool is full
 * and no handshake can be cut for it (closed at once: nothing is said
 * before a handshake). */
static void start_client(struct gdfs_server *srv, struct client *cl)
{
    pthread_attr_t attr;
    pthread_t tid;
    char why[256], victim[sizeof(cl->conn.peer)];
    bool ok, cut;
    int mask;

    source_of(cl->conn.peer, cl->source, sizeof(cl->source));
    if (gdfs_conn_events(&cl->conn, GDFS_EV_READ, &cl->fd, &mask) != GDFS_OK)
        cl->fd = -1;
    pthread_mutex_lock(&active_mu);
    cut = hs_evict(cl->source, victim, sizeof(victim));
    ok = pool_enter(cl, POOL_HANDSHAKE, why, sizeof(why));
    if (ok)
        active++;
    pthread_mutex_unlock(&active_mu);
    if (cut)
        log_limited(&pools.last_cut_log_ms, &pools.cut_since_log,
                    "cutting the handshake of %s: %s (%u cut in the last "
                    "second)",
                    victim,
                    "the oldest of the busiest source, for a new connection "
                    "in a full handshake pool");
    if (!ok) {
        log_refusal(cl->conn.peer, why);
        goto refuse;
    }
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&tid, &attr, client_main, cl) == 0) {
        pthread_attr_destroy(&attr);
        return;
    }
    pthread_attr_destroy(&attr);
    gdfs_log(GDFS_LOG_ERROR, "cannot start a thread for %s", cl->conn.peer);
    pthread_mutex_lock(&active_mu);
    pool_enter(cl, POOL_NONE, NULL, 0);
    active--;
    pthread_mutex_unlock(&active_mu);
refuse:
    gdfs_conn_close(&cl->conn);
    free(cl);
}

/* Wait for connection threads to notice the stop fd and finish; the
 * number still running after DRAIN_MS. */
static unsigned drain(void)
{
    unsigned left;
    uint64_t until = gdfs_clock_ms() + DRAIN_MS;

    pthread_mutex_lock(&active_mu);
    while (active > 0)
        if (gdfs_clock_cond_wait_until(&active_cv, &active_mu, until) ==
            ETIMEDOUT)
            break;
    left = active;
    pthread_mutex_unlock(&active_mu);
    return left;
}

int gdfs_server_run(struct gdfs_server *srv)
{
    struct gdfs_listener *l = &srv->listener;
    struct pollfd p[2];
    int rc = GDFS_OK;

    pthread_once(&active_once, active_init); /* before any client starts */
    pools.nsrc = GDFS_SERVER_HANDSHAKES + srv->cfg->max_clients;
    pools.src = calloc(pools.nsrc, sizeof(*pools.src));
    if (pools.src == NULL) {
        gdfs_log(GDFS_LOG_ERROR, "out of memory for connection pools");
        return GDFS_ENOMEM;
    }
    p[0].fd = srv->transport->ops->listener_fd(l);
    p[0].events = POLLIN;
    p[1].fd = srv->stop_rd;
    p[1].events = POLLIN;
    for (;;) {
        struct client *cl;
        int n = poll(p, 2, -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            gdfs_log(GDFS_LOG_ERROR, "poll: %s", strerror(errno));
            rc = GDFS_EIO;
            break;
        }
        if (p[1].revents & POLLIN)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        cl = calloc(1, sizeof(*cl));
        if (cl == NULL) {
            gdfs_log(GDFS_LOG_ERROR, "out of memory accepting");
            continue;
        }
        cl->srv = srv;
        n = gdfs_listener_accept(l, &cl->conn);
        if (n != GDFS_OK) {
            if (n != GDFS_EAGAIN)
                gdfs_log(GDFS_LOG_WARN, "accept: %s", l->errmsg);
            free(cl);
            if (n == GDFS_EBUSY) /* out of fds: let some close */
                poll(NULL, 0, 50);
            continue;
        }
        gdfs_log(GDFS_LOG_DEBUG, "connection from %s", cl->conn.peer);
        start_client(srv, cl);
    }
    if (drain() > 0) {
        gdfs_log(GDFS_LOG_WARN,
                 "connections still busy %d ms after the stop request",
                 DRAIN_MS);
        return GDFS_EBUSY; /* the pools stay: threads still use them */
    }
    free(pools.src);
    pools.src = NULL;
    return rc;
}
