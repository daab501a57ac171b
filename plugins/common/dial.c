/* Outbound TCP for the transport plugins: name resolution in a helper
 * thread, bounded by the caller's deadline, and connect with a deadline
 * (see dial.h). Sections: state, lookups, connect, test hooks. */
#define GDFS_PLUGIN_BUILD
#include "transport.h"

#include "dial.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DIAL_HOST_MAX 256
#define DIAL_PORT_MAX 16

/* ---- state ----------------------------------------------------------------- */

struct dial_names {
    struct dial_names *next; /* in the running list while its thread runs */
    int refs;                /* the caller(s) waiting + the thread */
    bool done;               /* the thread has answered */
    int gai;                 /* getaddrinfo's result */
    int gai_errno;           /* errno, for EAI_SYSTEM */
    struct addrinfo *res;    /* the answer, if gai == 0 */
    dial_resolver_fn fn;     /* the resolver the thread calls */
    char host[DIAL_HOST_MAX];
    char port[DIAL_PORT_MAX];
};

/* Everything below is under mu. cv (on the deadlines' clock,
 * gdfs_clock_cond_init) is broadcast whenever a lookup finishes. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_once_t cv_once = PTHREAD_ONCE_INIT;
static struct dial_names *running;
static int nrunning;
static dial_resolver_fn resolver; /* NULL: getaddrinfo */

static void cv_init(void)
{
    gdfs_clock_cond_init(&cv);
}

long dial_deadline(long timeout_ms)
{
    return (long)gdfs_clock_ms() + timeout_ms;
}

int dial_left_ms(long deadline_ms)
{
    long left = deadline_ms - (long)gdfs_clock_ms();

    return left > 0 ? (int)left : 0;
}

static void names_free(struct dial_names *n)
{
    if (n->res != NULL)
        freeaddrinfo(n->res);
    free(n);
}

/* Under mu: drop one reference; the last one frees. */
static void unref(struct dial_names *n)
{
    if (--n->refs == 0)
        names_free(n);
}

void dial_names_release(struct dial_names *n)
{
    if (n == NULL)
        return;
    pthread_mutex_lock(&mu);
    unref(n);
    pthread_mutex_unlock(&mu);
}

/* ---- lookups ------------------------------------------------------------------ */

static void stream_hints(struct addrinfo *h, int flags)
{
    memset(h, 0, sizeof(*h));
    h->ai_socktype = SOCK_STREAM;
    h->ai_flags = AI_NUMERICSERV | flags;
}

static void *lookup_main(void *arg)
{
    struct dial_names *n = arg, **pp;
    struct addrinfo hints, *res = NULL;
    int e;

    stream_hints(&hints, 0);
    e = n->fn(n->host, n->port, &hints, &res);
    n->gai_errno = errno; /* for EAI_SYSTEM; only this thread writes it
                             until done is set */
    pthread_mutex_lock(&mu);
    n->gai = e;
    n->res = e == 0 ? res : NULL;
    n->done = true;
    for (pp = &running; *pp != NULL; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            break;
        }
    nrunning--;
    pthread_cond_broadcast(&cv);
    unref(n); /* frees it if every caller gave up */
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* Under mu: the running lookup of @host:@port, or a new one (refs: the
 * caller and its thread). NULL with @err and *@rc set on failure. */
static struct dial_names *lookup_start(const char *host, const char *port,
                                       int *rc, char *err, size_t errlen)
{
    struct dial_names *n;
    pthread_attr_t attr;
    sigset_t all, old;
    int e;

    for (n = running; n != NULL; n = n->next)
        if (strcmp(n->host, host) == 0 && strcmp(n->port, port) == 0) {
            n->refs++;
            return n;
        }
    if (nrunning >= DIAL_MAX_LOOKUPS) {
        snprintf(err, errlen,
                 "cannot resolve %s: %d other name lookups are still "
                 "running (is DNS slow?)",
                 host, nrunning);
        *rc = GDFS_EBUSY;
        return NULL;
    }
    n = calloc(1, sizeof(*n));
    if (n == NULL) {
        snprintf(err, errlen, "resolving %s: out of memory", host);
        *rc = GDFS_ENOMEM;
        return NULL;
    }
    snprintf(n->host, sizeof(n->host), "%s", host);
    snprintf(n->port, sizeof(n->port), "%s", port);
    n->fn = resolver != NULL ? resolver : getaddrinfo;
    n->refs = 2;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Signals belong to the host's threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    {
        pthread_t th;
        e = pthread_create(&th, &attr, lookup_main, n);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (e != 0) {
        snprintf(err, errlen, "resolving %s: cannot start a thread: %s", host,
                 strerror(e));
        free(n);
        *rc = GDFS_EIO;
        return NULL;
    }
    n->next = running;
    running = n;
    nrunning++;
    return n;
}

static void lookup_error(const struct dial_names *n, char *err, size_t errlen)
{
    snprintf(err, errlen, "cannot resolve %s: %s", n->host,
             n->gai == EAI_SYSTEM ? strerror(n->gai_errno)
                                  : gai_strerror(n->gai));
}

int dial_resolve(const char *host, const char *port, long deadline_ms,
                 struct dial_names **names, const struct addrinfo **list,
                 char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    struct dial_names *n;
    int rc = GDFS_OK, e, budget = dial_left_ms(deadline_ms);

    *names = NULL;
    *list = NULL;
    if (strlen(host) >= DIAL_HOST_MAX || strlen(port) >= DIAL_PORT_MAX) {
        snprintf(err, errlen, "cannot resolve '%.64s...': name too long",
                 host);
        return GDFS_EINVAL;
    }
    pthread_once(&cv_once, cv_init);
    /* A numeric address needs no DNS: no thread, no wait. */
    stream_hints(&hints, AI_NUMERICHOST);
    e = getaddrinfo(host, port, &hints, &res);
    if (e == 0) {
        n = calloc(1, sizeof(*n));
        if (n == NULL) {
            freeaddrinfo(res);
            snprintf(err, errlen, "resolving %s: out of memory", host);
            return GDFS_ENOMEM;
        }
        n->refs = 1;
        n->done = true;
        n->res = res;
        *names = n;
        *list = res;
        return GDFS_OK;
    }
    if (e != EAI_NONAME) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(e));
        return GDFS_ENET;
    }

    pthread_mutex_lock(&mu);
    n = lookup_start(host, port, &rc, err, errlen);
    if (n == NULL) {
        pthread_mutex_unlock(&mu);
        return rc;
    }
    while (!n->done)
        if (gdfs_clock_cond_wait_until(&cv, &mu, (uint64_t)deadline_ms) ==
            ETIMEDOUT)
            break;
    if (!n->done) {
        /* The thread finishes alone and frees the answer. */
        unref(n);
        pthread_mutex_unlock(&mu);
        snprintf(err, errlen, "resolving %s took longer than %d ms", host,
                 budget);
        return GDFS_ETIMEDOUT;
    }
    if (n->gai != 0) {
        lookup_error(n, err, errlen);
        unref(n);
        pthread_mutex_unlock(&mu);
        return GDFS_ENET;
    }
    pthread_mutex_unlock(&mu);
    *names = n;
    *list = n->res;
    return GDFS_OK;
}

/* ---- connect ------------------------------------------------------------------ */

int dial_connect(const char *host, const char *port, long deadline_ms,
                 void (*tune)(int fd, void *arg), void *arg, int *out,
                 char *err, size_t errlen)
{
    struct dial_names *names;
    const struct addrinfo *ai;
    int fd = -1, e, last = ECONNREFUSED, rc;

    *out = -1;
    rc = dial_resolve(host, port, deadline_ms, &names, &ai, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    for (; ai != NULL; ai = ai->ai_next) {
        struct pollfd p;
        socklen_t sl = sizeof(e);

        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (tune != NULL)
            tune(fd, arg);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            p.fd = fd;
            p.events = POLLOUT;
            do
                e = poll(&p, 1, dial_left_ms(deadline_ms));
            while (e < 0 && errno == EINTR);
            if (e == 0)
                last = ETIMEDOUT;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 &&
                     e == 0)
                break;
            else
                last = e;
        } else {
            last = errno;
        }
        close(fd);
        fd = -1;
        if (last == ETIMEDOUT)
            break; /* the deadline has passed: no time for the next */
    }
    dial_names_release(names);
    if (fd < 0) {
        snprintf(err, errlen, "%s",
                 last == ETIMEDOUT ? "timed out" : strerror(last));
        return last == ETIMEDOUT ? GDFS_ETIMEDOUT : GDFS_ENET;
    }
    *out = fd;
    return GDFS_OK;
}

/* ---- test hooks ---------------------------------------------------------------- */

void dial_set_resolver(dial_resolver_fn fn)
{
    pthread_mutex_lock(&mu);
    resolver = fn;
    pthread_mutex_unlock(&mu);
}

int dial_lookups_running(void)
{
    int n;

    pthread_mutex_lock(&mu);
    n = nrunning;
    pthread_mutex_unlock(&mu);
    return n;
}
