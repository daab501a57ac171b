/* The ssh plugin's session pool (see ssh_int.h).
 *
 * One entry per peer node (its sshd's host and port, and the node's port
 * there) holds its idle sessions, how many are open in all (idle, in use,
 * being set up), and the backoff state after failed set-ups. A dial takes
 * an idle session or opens a new one; the connection keeps it to itself
 * until it is closed, then it comes back here. So a session is used by
 * one thread at a time, and N concurrent streams to one peer (one per
 * replica, each from its own thread) get N sessions, N TCP connections
 * and N cores' worth of cipher work on the sshd side.
 *
 * A dial never waits for a session: with max_sessions open to that peer
 * already, it opens one more, and a session coming back while more than
 * max_sessions are open is closed instead of kept. So max_sessions bounds
 * what a peer keeps open between bursts, not how many connections may run
 * at once (a host that pools idle connections of its own, as gdfs' rpc
 * does, would otherwise starve).
 *
 * Keepalive: the keepalive thread wakes once a second and sends an SSH
 * keepalive on every session that has been idle for keepalive_s, taking
 * it out of the idle list while it does. A session the server has closed
 * (sshd restarted, ClientAliveInterval) is dropped there, or at the next
 * dial, which also drops a session that fails to open a channel and
 * tries the next one. Sessions in use are not pinged: their connection's
 * own traffic keeps them alive, and a keepalive sent in the middle of a
 * channel write could leave libssh2 with half a packet of each. */
#include "ssh_int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define KEEPALIVE_TICK_MS 1000

struct ssh_peer {
    char host[SSH_HOST_MAX]; /* sshd */
    int port;
    int node_port;         /* the peer node's port behind it */
    struct ssh_sess *idle; /* idle sessions, most recently used first */
    int nopen;             /* idle + in use + being set up */
    int fails;             /* consecutive failed set-ups */
    long retry_at_ms;      /* no set-up before this (after failures) */
    int last_rc;           /* the last failure, returned inside backoff */
    char last_err[SSH_ERR_MAX];
    struct ssh_peer *next;
};

struct ssh_pool {
    const struct ssh_conf *cf;
    void (*log)(int level, const char *fmt, ...);
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a session came back, a slot freed, or stop */
    struct ssh_peer *peers;
    bool stop;
    bool ka_started;
    pthread_t ka;
};

/* ---- helpers -------------------------------------------------------------- */

static const char *method(struct ssh_sess *ss, int type)
{
    const char *m = libssh2_session_methods(ss->s, type);

    return m != NULL ? m : "?";
}

/* Under the lock. */
static struct ssh_peer *find_peer(struct ssh_pool *p,
                                  const struct ssh_target *t)
{
    struct ssh_peer *e;

    for (e = p->peers; e != NULL; e = e->next)
        if (e->port == t->ssh_port && e->node_port == t->node_port &&
            strcmp(e->host, t->ssh_host) == 0)
            return e;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    snprintf(e->host, sizeof(e->host), "%s", t->ssh_host);
    e->port = t->ssh_port;
    e->node_port = t->node_port;
    e->next = p->peers;
    p->peers = e;
    return e;
}

/* Under the lock: a session of @e was freed. */
static void slot_freed(struct ssh_pool *p, struct ssh_peer *e)
{
    e->nopen--;
    pthread_cond_broadcast(&p->cv);
}

/* Under the lock: remember a failed set-up and start (or grow) the
 * backoff. */
static void setup_failed(struct ssh_peer *e, int rc, const char *err)
{
    long backoff;

    e->fails++;
    backoff = BACKOFF_MIN_MS << (e->fails < 6 ? e->fails - 1 : 5);
    if (backoff > BACKOFF_MAX_MS)
        backoff = BACKOFF_MAX_MS;
    e->retry_at_ms = dial_deadline(backoff);
    e->last_rc = rc;
    snprintf(e->last_err, sizeof(e->last_err), "%s", err);
}

/* ---- keepalive thread --------------------------------------------------------- */

/* Outside the lock, on a session taken out of the idle list. 0 if it is
 * still usable. */
static int ping(struct ssh_pool *p, struct ssh_sess *ss)
{
    struct pollfd pf = {.fd = ss->fd, .events = POLLOUT};
    int next = 0;

    if (ssh_sess_dead(ss)) {
        p->log(0,
               "ssh: idle session to sshd %s port %d was closed by the "
               "server; dropped",
               ss->host, ss->port);
        return -1;
    }
    /* Only into an empty socket buffer: a keepalive that went out in part
     * would make libssh2 refuse the next packet. */
    if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLOUT) &&
        !(pf.revents & (POLLERR | POLLHUP))) {
        int rc = libssh2_keepalive_send(ss->s, &next);
        if (rc != 0 && rc != LIBSSH2_ERROR_EAGAIN) {
            p->log(0,
                   "ssh: keepalive to sshd %s port %d failed; session "
                   "dropped",
                   ss->host, ss->port);
            return -1;
        }
    }
    return 0;
}

static void *keepalive_main(void *arg)
{
    struct ssh_pool *p = arg;
    long every = p->cf->keepalive_s * 1000L;

    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        bool again = true;

        gdfs_clock_cond_wait_ms(&p->cv, &p->mu, KEEPALIVE_TICK_MS);
        /* One session at a time, out of the list while it is pinged; start
         * over after each (the lists may have changed meanwhile). */
        while (again && !p->stop) {
            long now = (long)gdfs_clock_ms();
            struct ssh_sess *ss = NULL;
            struct ssh_peer *e;

            again = false;
            for (e = p->peers; e != NULL && ss == NULL; e = e->next) {
                struct ssh_sess **pp;
                for (pp = &e->idle; *pp != NULL; pp = &(*pp)->next) {
                    if (now - (*pp)->idle_since_ms >= every) {
                        ss = *pp;
                        *pp = ss->next;
                        break;
                    }
                }
            }
            if (ss == NULL)
                break;
            pthread_mutex_unlock(&p->mu);
            if (ping(p, ss) != 0) {
                e = ss->peer;
                ssh_sess_free(ss);
                pthread_mutex_lock(&p->mu);
                slot_freed(p, e);
            } else {
                ss->idle_since_ms = (long)gdfs_clock_ms();
                pthread_mutex_lock(&p->mu);
                ss->next = ss->peer->idle;
                ss->peer->idle = ss;
                pthread_cond_broadcast(&p->cv);
            }
            again = true;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- life cycle ------------------------------------------------------------------ */

int ssh_pool_new(const struct ssh_conf *cf,
                 void (*log)(int level, const char *fmt, ...),
                 struct ssh_pool **out)
{
    struct ssh_pool *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (p == NULL)
        return GDFS_ENOMEM;
    p->cf = cf;
    p->log = log;
    pthread_mutex_init(&p->mu, NULL);
    gdfs_clock_cond_init(&p->cv); /* timed waits: the keepalive tick */
    if (cf->keepalive_s > 0) {
        sigset_t all, old;

        /* Signals belong to the host's threads. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        p->ka_started = pthread_create(&p->ka, NULL, keepalive_main, p) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!p->ka_started) {
            ssh_pool_free(p);
            return GDFS_EIO;
        }
    }
    *out = p;
    return GDFS_OK;
}

void ssh_pool_free(struct ssh_pool *p)
{
    struct ssh_peer *e, *next;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (p->ka_started)
        pthread_join(p->ka, NULL);
    for (e = p->peers; e != NULL; e = next) {
        next = e->next;
        while (e->idle != NULL) {
            struct ssh_sess *ss = e->idle;
            e->idle = ss->next;
            ssh_sess_free(ss);
        }
        free(e);
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* ---- get and put -------------------------------------------------------------------- */

void ssh_pool_put(struct ssh_pool *p, struct ssh_sess *ss, bool usable)
{
    struct ssh_peer *e = ss->peer;

    if (usable) {
        /* Beyond max_sessions (a burst): close rather than keep. */
        pthread_mutex_lock(&p->mu);
        usable = e->nopen <= p->cf->max_sessions;
        pthread_mutex_unlock(&p->mu);
    }
    if (!usable) {
        ssh_sess_free(ss);
        pthread_mutex_lock(&p->mu);
        slot_freed(p, e);
        pthread_mutex_unlock(&p->mu);
        return;
    }
    ss->idle_since_ms = (long)gdfs_clock_ms();
    pthread_mutex_lock(&p->mu);
    ss->next = e->idle;
    e->idle = ss;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Open a channel on @ss (owned by the caller); on failure @ss goes back to
 * the pool or is dropped. *@retry: the session was broken, try another. */
static int channel_on(struct ssh_pool *p, struct ssh_sess *ss,
                      const struct ssh_target *t, long deadline_ms,
                      LIBSSH2_CHANNEL **ch, bool *retry, char *err,
                      size_t errlen)
{
    bool broken;
    int rc = ssh_sess_channel(ss, t->node_port, deadline_ms, ch, &broken, err,
                              errlen);

    *retry = false;
    if (rc == GDFS_OK)
        return GDFS_OK;
    if (broken) {
        p->log(0, "ssh: session to sshd %s port %d is broken (%s); dropped",
               t->ssh_host, t->ssh_port, err);
        *retry = rc != GDFS_ETIMEDOUT;
    }
    ssh_pool_put(p, ss, !broken);
    return rc;
}

int ssh_pool_get(struct ssh_pool *p, const struct ssh_target *t,
                 long deadline_ms, struct ssh_sess **ssp, LIBSSH2_CHANNEL **ch,
                 char *err, size_t errlen)
{
    struct ssh_peer *e;
    struct ssh_sess *ss;
    bool retry;
    long now;
    int rc;

    *ssp = NULL;
    *ch = NULL;
    pthread_mutex_lock(&p->mu);
    e = find_peer(p, t);
    if (e == NULL) {
        pthread_mutex_unlock(&p->mu);
        snprintf(err, errlen, "ssh: out of memory");
        return GDFS_ENOMEM;
    }
    /* 1. An idle session, most recently used first. */
    while ((ss = e->idle) != NULL) {
        e->idle = ss->next;
        pthread_mutex_unlock(&p->mu);
        if (ssh_sess_dead(ss)) {
            p->log(0,
                   "ssh: idle session to sshd %s port %d was closed by "
                   "the server; dropped",
                   t->ssh_host, t->ssh_port);
            ssh_pool_put(p, ss, false);
        } else {
            rc = channel_on(p, ss, t, deadline_ms, ch, &retry, err, errlen);
            if (rc == GDFS_OK) {
                *ssp = ss;
                return GDFS_OK;
            }
            if (!retry)
                return rc;
        }
        pthread_mutex_lock(&p->mu);
    }
    /* 2. Inside the backoff after failed set-ups: fail fast. */
    now = (long)gdfs_clock_ms();
    if (now < e->retry_at_ms) {
        rc = e->last_rc;
        snprintf(err, errlen, "%s (next attempt in %ld ms)", e->last_err,
                 e->retry_at_ms - now);
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
    /* 3. A new session (never a wait: see the top of this file). */
    e->nopen++;
    pthread_mutex_unlock(&p->mu);
    rc = ssh_sess_open(p->cf, t->ssh_host, t->ssh_port, deadline_ms, &ss, err,
                       errlen);
    pthread_mutex_lock(&p->mu);
    if (rc != GDFS_OK) {
        setup_failed(e, rc, err);
        slot_freed(p, e);
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
    e->fails = 0;
    e->retry_at_ms = 0;
    ss->peer = e;
    pthread_mutex_unlock(&p->mu);
    p->log(0,
           "ssh: new session to sshd %s port %d in %ld ms (cipher %s, "
           "mac %s)",
           t->ssh_host, t->ssh_port, (long)gdfs_clock_ms() - now,
           method(ss, LIBSSH2_METHOD_CRYPT_CS),
           method(ss, LIBSSH2_METHOD_MAC_CS));
    rc = channel_on(p, ss, t, deadline_ms, ch, &retry, err, errlen);
    if (rc == GDFS_OK)
        *ssp = ss;
    return rc;
}
