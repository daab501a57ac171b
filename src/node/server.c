/* Accept loop and connection threads; see server.h. */
#define GDFS_LOG_MODULE "server"
#include "node/server.h"
#include "node/dbopts.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "net.h"
#include "node/dispatch.h"
#include "store/store.h"

#define THREAD_STACK (512 * 1024)
#define DRAIN_MS 10000

static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t active_cv; /* on CLOCK_MONOTONIC: drain() times out */
static pthread_once_t active_once = PTHREAD_ONCE_INIT;
static unsigned active;

static void active_init(void)
{
    gdfs_clock_cond_init(&active_cv);
}

struct client {
    struct gdfs_server *srv;
    struct gdfs_conn conn;
};

static void serve(struct gdfs_server *srv, struct gdfs_conn *c)
{
    const struct gdfs_config *cfg = srv->cfg;
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_session s = {.cfg = cfg,
                             .conn = c,
                             .group = srv->group,
                             .records = srv->records,
                             .readrepair = srv->readrepair,
                             .scrub = srv->scrub,

                             .repair = srv->repair};
    char err[512];
    int rc;

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

    serve(cl->srv, &cl->conn);
    gdfs_conn_close(&cl->conn);
    free(cl);
    pthread_mutex_lock(&active_mu);
    active--;
    pthread_cond_broadcast(&active_cv);
    pthread_mutex_unlock(&active_mu);
    return NULL;
}

/* Start a thread for @cl, or refuse it when max_clients are busy. */
static void start_client(struct gdfs_server *srv, struct client *cl)
{
    pthread_attr_t attr;
    pthread_t tid;
    int busy;

    pthread_mutex_lock(&active_mu);
    busy = active >= srv->cfg->max_clients;
    if (!busy)
        active++;
    pthread_mutex_unlock(&active_mu);
    if (busy) {
        gdfs_log(GDFS_LOG_WARN, "refusing %s: %u clients connected",
                 cl->conn.peer, srv->cfg->max_clients);
        gdfs_net_send_error(&cl->conn, 0, GDFS_EBUSY, 200,
                            "node busy: it has max_clients (%u) connections",
                            srv->cfg->max_clients);
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
        return GDFS_EBUSY;
    }
    return rc;
}
