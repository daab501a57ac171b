/* Pooled request/response connections to other nodes; see rpc.h. */
#define GDFS_LOG_MODULE "rpc"
#include "node/rpc.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/channel.h"
#include "clock.h"
#include "log.h"
#include "net.h"

#define POOL_PER_ADDR 8
#define DOWN_MS 300 /* after a failed dial, fail fast for this long */
#define ADDRS_MAX (2 * GDFS_GROUP_MAX)

struct addr_state {
    char addr[GDFS_ADDR_MAX + 1];
    struct gdfs_rpc_conn *idle; /* pooled connections, newest first */
    unsigned nidle;
    uint64_t down_until;
    char why[600];
};

struct gdfs_rpc {
    struct gdfs_transport *t;
    const struct gdfs_cred *self;
    int dial_ms, io_ms;
    uint64_t max_idle_ms;
    uint32_t max_payload;
    pthread_mutex_t mu;
    unsigned naddrs;
    struct addr_state addrs[ADDRS_MAX];
};

int gdfs_rpc_new(struct gdfs_transport *t, const struct gdfs_config *cfg,
                 const struct gdfs_cred *self, struct gdfs_rpc **out)
{
    struct gdfs_rpc *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return GDFS_ENOMEM;
    r->t = t;
    r->self = self;
    r->dial_ms = (int)cfg->dial_timeout_ms;
    r->io_ms = (int)cfg->io_timeout_ms;
    /* Peers close connections idle for idle_timeout_ms: reuse well within. */
    r->max_idle_ms = cfg->idle_timeout_ms / 2;
    r->max_payload = cfg->chunk_size + 64 * 1024;
    pthread_mutex_init(&r->mu, NULL);
    *out = r;
    return GDFS_OK;
}

static void conn_free(struct gdfs_rpc_conn *c)
{
    gdfs_conn_close(&c->conn);
    free(c->in);
    free(c);
}

void gdfs_rpc_free(struct gdfs_rpc *r)
{
    if (r == NULL)
        return;
    for (unsigned i = 0; i < r->naddrs; i++)
        while (r->addrs[i].idle != NULL) {
            struct gdfs_rpc_conn *c = r->addrs[i].idle;

            r->addrs[i].idle = c->next;
            conn_free(c);
        }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int gdfs_rpc_io_ms(const struct gdfs_rpc *r)
{
    return r->io_ms;
}

bool gdfs_rpc_no_answer(int rc)
{
    return rc == GDFS_ENET || rc == GDFS_ETIMEDOUT || rc == GDFS_ECLOSED;
}

/* Under the lock: the state of @addr (added if new; the table is small and
 * a full one reuses its last slot, which only costs pooling). */
static struct addr_state *find_addr(struct gdfs_rpc *r, const char *addr)
{
    struct addr_state *a;

    for (unsigned i = 0; i < r->naddrs; i++)
        if (strcmp(r->addrs[i].addr, addr) == 0)
            return &r->addrs[i];
    a = &r->addrs[r->naddrs < ADDRS_MAX ? r->naddrs++ : ADDRS_MAX - 1];
    while (a->idle != NULL) {
        struct gdfs_rpc_conn *c = a->idle;

        a->idle = c->next;
        conn_free(c);
    }
    memset(a, 0, sizeof(*a));
    snprintf(a->addr, sizeof(a->addr), "%s", addr);
    return a;
}

int gdfs_rpc_open(struct gdfs_rpc *r, const char *addr,
                  struct gdfs_rpc_conn **out, char *err, size_t errlen)
{
    struct gdfs_rpc_conn *c = NULL;
    struct addr_state *a;
    uint64_t now = gdfs_clock_ms();
    int rc;

    *out = NULL;
    pthread_mutex_lock(&r->mu);
    a = find_addr(r, addr);
    while (a->idle != NULL) {
        c = a->idle;
        a->idle = c->next;
        a->nidle--;
        /* Closed by the peer meanwhile (readable = EOF or garbage), or
         * idle long enough that the peer may close it under us. */
        if (now - c->idle_since < r->max_idle_ms &&
            gdfs_net_readable(&c->conn) == 0)
            break;
        conn_free(c);
        c = NULL;
    }
    if (c == NULL && now < a->down_until) {
        snprintf(err, errlen, "%s", a->why);
        pthread_mutex_unlock(&r->mu);
        return GDFS_ENET;
    }
    pthread_mutex_unlock(&r->mu);
    if (c != NULL) {
        c->broken = false;
        c->errmsg[0] = '\0';
        *out = c;
        return GDFS_OK;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        (c->in = malloc(GDFS_PROTO_HDR_LEN + (size_t)r->max_payload)) ==
            NULL) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    c->incap = GDFS_PROTO_HDR_LEN + (size_t)r->max_payload;
    c->max_payload = r->max_payload;
    snprintf(c->addr, sizeof(c->addr), "%s", addr);
    rc = gdfs_channel_dial(r->t, &c->conn, addr, r->dial_ms, r->self);
    if (rc != GDFS_OK) {
        pthread_mutex_lock(&r->mu);
        a = find_addr(r, addr);
        a->down_until = gdfs_clock_ms() + DOWN_MS;
        snprintf(a->why, sizeof(a->why), "cannot reach %s: %s", addr,
                 c->conn.errmsg[0] ? c->conn.errmsg : gdfs_strerror(rc));
        snprintf(err, errlen, "%s", a->why);
        pthread_mutex_unlock(&r->mu);
        c->conn.impl = NULL; /* a failed dial leaves nothing to close */
        conn_free(c);
        return GDFS_ENET;
    }
    pthread_mutex_lock(&r->mu);
    a = find_addr(r, addr);
    a->down_until = 0;
    pthread_mutex_unlock(&r->mu);
    *out = c;
    return GDFS_OK;
}

void gdfs_rpc_close(struct gdfs_rpc *r, struct gdfs_rpc_conn *c)
{
    struct addr_state *a;

    if (c == NULL)
        return;
    if (c->broken) {
        conn_free(c);
        return;
    }
    pthread_mutex_lock(&r->mu);
    a = find_addr(r, c->addr);
    if (a->nidle < POOL_PER_ADDR) {
        c->idle_since = gdfs_clock_ms();
        c->next = a->idle;
        a->idle = c;
        a->nidle++;
        c = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    if (c != NULL)
        conn_free(c);
}

static uint32_t next_reqid(void)
{
    static uint32_t n;

    return __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED);
}

int gdfs_rpc_send(struct gdfs_rpc_conn *c, struct gdfs_msg *m, int timeout_ms)
{
    int rc;

    m->reqid = c->reqid = next_reqid();
    rc = gdfs_net_send_msg(&c->conn, m, c->out, sizeof(c->out), timeout_ms);
    if (rc != GDFS_OK) {
        c->broken = true;
        snprintf(c->errmsg, sizeof(c->errmsg), "send %s to %s: %s",
                 gdfs_proto_type_name(m->type), c->addr,
                 c->conn.errmsg[0] ? c->conn.errmsg : gdfs_strerror(rc));
    }
    return rc;
}

int gdfs_rpc_send_raw(struct gdfs_rpc_conn *c, const void *frame, size_t len,
                      int timeout_ms)
{
    int rc = gdfs_net_send_all(&c->conn, frame, len, timeout_ms);

    if (rc != GDFS_OK) {
        c->broken = true;
        snprintf(c->errmsg, sizeof(c->errmsg), "send to %s: %s", c->addr,
                 c->conn.errmsg[0] ? c->conn.errmsg : gdfs_strerror(rc));
    }
    return rc;
}

int gdfs_rpc_recv(struct gdfs_rpc_conn *c, uint8_t want, struct gdfs_msg *m,
                  int timeout_ms)
{
    return gdfs_rpc_recv_first(c, want, m, timeout_ms, timeout_ms);
}

int gdfs_rpc_recv_first(struct gdfs_rpc_conn *c, uint8_t want,
                        struct gdfs_msg *m, int first_ms, int timeout_ms)
{
    int rc = gdfs_net_recv_msg(&c->conn, c->in, c->incap, c->max_payload,
                               first_ms, timeout_ms, m);

    if (rc == GDFS_EAGAIN)
        return rc;
    if (rc != GDFS_OK) {
        c->broken = true;
        snprintf(c->errmsg, sizeof(c->errmsg), "no reply from %s: %s", c->addr,
                 c->conn.errmsg[0] ? c->conn.errmsg : gdfs_strerror(rc));
        return rc;
    }
    if (m->type == GDFS_MSG_NDTOCL_ERROR) {
        snprintf(c->errmsg, sizeof(c->errmsg), "%.*s", (int)m->u.error.msg.len,
                 (const char *)m->u.error.msg.p);
        return m->u.error.status != 0 ? (int)m->u.error.status : GDFS_EPROTO;
    }
    if (want != 0 && m->type != want) {
        c->broken = true;
        snprintf(c->errmsg, sizeof(c->errmsg), "%s answered %s, expected %s",
                 c->addr, gdfs_proto_type_name(m->type),
                 gdfs_proto_type_name(want));
        return GDFS_EPROTO;
    }
    return GDFS_OK;
}

int gdfs_rpc_call(struct gdfs_rpc *r, const char *addr, struct gdfs_msg *req,
                  uint8_t want, struct gdfs_msg *reply,
                  struct gdfs_rpc_conn **cp, int timeout_ms, char *err,
                  size_t errlen)
{
    struct gdfs_rpc_conn *c;
    int rc = gdfs_rpc_open(r, addr, &c, err, errlen);

    *cp = NULL;
    if (rc != GDFS_OK)
        return rc;
    rc = gdfs_rpc_send(c, req, timeout_ms);
    if (rc == GDFS_OK)
        rc = gdfs_rpc_recv(c, want, reply, timeout_ms);
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "%s", c->errmsg);
        gdfs_rpc_close(r, c);
        return rc;
    }
    *cp = c;
    return GDFS_OK;
}

unsigned gdfs_rpc_gather(struct gdfs_rpc_conn **cs, unsigned n, uint8_t want,
                         unsigned need, int timeout_ms, int *rcs,
                         struct gdfs_msg *replies)
{
    bool pending[GDFS_GROUP_MAX * 2] = {false};
    unsigned ok = 0, waiting = 0;
    uint64_t deadline = gdfs_clock_ms() + (uint64_t)timeout_ms;

    if (n > GDFS_GROUP_MAX * 2)
        n = GDFS_GROUP_MAX * 2;
    for (unsigned i = 0; i < n; i++)
        if (cs[i] != NULL) {
            pending[i] = true;
            rcs[i] = GDFS_ETIMEDOUT;
            waiting++;
        }
    while (waiting > 0 && ok < need && gdfs_clock_ms() < deadline) {
        struct pollfd pfd[GDFS_GROUP_MAX * 2];
        unsigned np = 0;
        bool progress = false;

        /* Try each one without waiting first: a plugin (ssh) may hold a
         * reply in its own buffers, where poll() cannot see it. */
        for (unsigned i = 0; i < n && ok < need; i++) {
            int rc;

            if (!pending[i])
                continue;
            rc = gdfs_rpc_recv_first(cs[i], want, &replies[i], 0, timeout_ms);
            if (rc == GDFS_EAGAIN)
                continue;
            rcs[i] = rc;
            pending[i] = false;
            waiting--;
            progress = true;
            if (rc == GDFS_OK)
                ok++;
        }
        if (progress || waiting == 0 || ok >= need)
            continue;
        for (unsigned i = 0; i < n; i++) {
            int fd = -1, mask = 0;

            if (!pending[i] || gdfs_conn_events(&cs[i]->conn, GDFS_EV_READ,
                                                &fd, &mask) != GDFS_OK)
                continue;
            pfd[np].fd = fd;
            pfd[np].events = (short)((mask & GDFS_EV_READ ? POLLIN : 0) |
                                     (mask & GDFS_EV_WRITE ? POLLOUT : 0));
            pfd[np].revents = 0;
            np++;
        }
        /* Wake on any of them, and look again at least every 5 ms. */
        poll(pfd, np, 5);
    }
    for (unsigned i = 0; i < n; i++)
        if (pending[i])
            cs[i]->broken = true;
    return ok;
}
