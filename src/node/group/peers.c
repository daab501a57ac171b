/* Sender threads for outgoing peer links; see peers.h. */
#define GDFS_LOG_MODULE "peers"
#include "node/group/peers.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/channel.h"
#include "clock.h"
#include "log.h"
#include "net.h"
#include "proto.h"

#define QUEUE_MAX 64
#define LINKS_MAX (2 * GDFS_GROUP_MAX)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 500 /* a dial to a dead peer on a LAN is cheap */

struct frame {
    size_t len;
    uint8_t data[];
};

struct link {
    struct gdfs_peers *owner;
    char addr[GDFS_ADDR_MAX + 1];
    pthread_t thread;
    struct frame *q[QUEUE_MAX]; /* ring buffer */
    unsigned head, count;
    struct gdfs_conn conn;
    bool connected;
    long backoff_ms;
    uint64_t retry_at; /* gdfs_clock_ms: no dial before */
    bool warned;
};

struct gdfs_peers {
    struct gdfs_transport *t;
    const struct gdfs_cred *self;
    int dial_timeout_ms, io_timeout_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    size_t nlinks;
    struct link *links[LINKS_MAX];
};

static void drop_all(struct link *l)
{
    while (l->count > 0) {
        free(l->q[l->head]);
        l->head = (l->head + 1) % QUEUE_MAX;
        l->count--;
    }
}

/* Dial if needed; called without the lock. */
static int ensure_connected(struct link *l)
{
    struct gdfs_peers *p = l->owner;
    int rc;

    if (l->connected)
        return GDFS_OK;
    if (gdfs_clock_ms() < l->retry_at)
        return GDFS_EAGAIN;
    rc = gdfs_channel_dial(p->t, &l->conn, l->addr, p->dial_timeout_ms,
                           p->self);
    if (rc == GDFS_OK) {
        if (l->warned)
            gdfs_log(GDFS_LOG_INFO, "reached %s again", l->addr);
        l->connected = true;
        l->backoff_ms = 0;
        l->warned = false;
        return GDFS_OK;
    }
    if (!l->warned)
        gdfs_log(GDFS_LOG_INFO, "cannot reach %s: %s (retrying)", l->addr,
                 l->conn.errmsg);
    l->warned = true;
    l->backoff_ms = l->backoff_ms == 0 ? BACKOFF_MIN_MS : l->backoff_ms * 2;
    if (l->backoff_ms > BACKOFF_MAX_MS)
        l->backoff_ms = BACKOFF_MAX_MS;
    l->retry_at = gdfs_clock_ms() + (uint64_t)l->backoff_ms;
    return rc;
}

static void *link_main(void *arg)
{
    struct link *l = arg;
    struct gdfs_peers *p = l->owner;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct frame *f;
        int rc;

        while (!p->stop && l->count == 0)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop)
            break;
        f = l->q[l->head];
        l->head = (l->head + 1) % QUEUE_MAX;
        l->count--;
        pthread_mutex_unlock(&p->mu);
        rc = ensure_connected(l);
        if (rc == GDFS_OK) {
            rc = gdfs_net_send_all(&l->conn, f->data, f->len,
                                   p->io_timeout_ms);
            if (rc != GDFS_OK) {
                gdfs_log(GDFS_LOG_DEBUG, "send to %s: %s", l->addr,
                         l->conn.errmsg);
                gdfs_conn_close(&l->conn);
                l->connected = false;
            }
        }
        free(f);
        pthread_mutex_lock(&p->mu);
        if (rc != GDFS_OK)
            drop_all(l); /* stale by the time the peer is back */
    }
    drop_all(l);
    pthread_mutex_unlock(&p->mu);
    if (l->connected)
        gdfs_conn_close(&l->conn);
    return NULL;
}

int gdfs_peers_new(struct gdfs_transport *t, const struct gdfs_cred *self,
                   int dial_timeout_ms, int io_timeout_ms,
                   struct gdfs_peers **out)
{
    struct gdfs_peers *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (p == NULL)
        return GDFS_ENOMEM;
    p->t = t;
    p->self = self;
    p->dial_timeout_ms = dial_timeout_ms;
    p->io_timeout_ms = io_timeout_ms;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    *out = p;
    return GDFS_OK;
}

/* Under the lock: the link for @addr, started on first use. */
static struct link *find_link(struct gdfs_peers *p, const char *addr)
{
    struct link *l;

    for (size_t i = 0; i < p->nlinks; i++)
        if (strcmp(p->links[i]->addr, addr) == 0)
            return p->links[i];
    if (p->nlinks == LINKS_MAX)
        return NULL;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->owner = p;
    snprintf(l->addr, sizeof(l->addr), "%s", addr);
    if (pthread_create(&l->thread, NULL, link_main, l) != 0) {
        free(l);
        return NULL;
    }
    p->links[p->nlinks++] = l;
    return l;
}

void gdfs_peers_send(struct gdfs_peers *p, const char *addr, const void *frame,
                     size_t len)
{
    struct frame *f = malloc(sizeof(*f) + len);
    struct link *l;

    if (f == NULL)
        return;
    f->len = len;
    memcpy(f->data, frame, len);
    pthread_mutex_lock(&p->mu);
    l = p->stop ? NULL : find_link(p, addr);
    if (l == NULL) {
        pthread_mutex_unlock(&p->mu);
        free(f);
        return;
    }
    if (l->count == QUEUE_MAX) { /* drop the oldest */
        free(l->q[l->head]);
        l->head = (l->head + 1) % QUEUE_MAX;
        l->count--;
    }
    l->q[(l->head + l->count) % QUEUE_MAX] = f;
    l->count++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void gdfs_peers_free(struct gdfs_peers *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->nlinks; i++) {
        pthread_join(p->links[i]->thread, NULL);
        free(p->links[i]);
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
