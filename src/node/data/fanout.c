/* One put's frames, consumed by one thread per replica; see fanout.h. */
#define GDFS_LOG_MODULE "gateway"
#include "node/data/fanout.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct consumer {
    struct gdfs_fanout *f;
    bool on; /* a consumer runs (or ran) for this replica */
    gdfs_fanout_fn fn;
    void *ctx;
    unsigned i;
    pthread_t tid;
    uint64_t sent; /* frames sent; under f->mu */
    bool failed;   /* its last send failed: it has stopped */
    bool joined;
};

struct gdfs_fanout {
    pthread_mutex_t mu;
    pthread_cond_t more; /* a frame was pushed, or stop */
    pthread_cond_t done; /* a consumer took a frame, or failed */
    uint8_t *slot[GDFS_FANOUT_SLOTS];
    size_t len[GDFS_FANOUT_SLOTS];
    size_t framecap;
    uint64_t pushed; /* frames pushed; frame n is in slot n % SLOTS */
    bool stop;
    struct consumer s[GDFS_REPLICAS];
};

int gdfs_fanout_new(size_t framecap, struct gdfs_fanout **out)
{
    struct gdfs_fanout *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return GDFS_ENOMEM;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->more, NULL);
    pthread_cond_init(&f->done, NULL);
    f->framecap = framecap;
    *out = f;
    return GDFS_OK;
}

static void *consumer_main(void *arg)
{
    struct consumer *sd = arg;
    struct gdfs_fanout *f = sd->f;

    pthread_mutex_lock(&f->mu);
    for (;;) {
        unsigned k;
        int rc;

        while (!f->stop && sd->sent == f->pushed)
            pthread_cond_wait(&f->more, &f->mu);
        if (f->stop)
            break;
        /* The slot stays put until this consumer has taken it: push
         * waits for every live one to be fewer than SLOTS frames behind. */
        k = (unsigned)(sd->sent % GDFS_FANOUT_SLOTS);
        pthread_mutex_unlock(&f->mu);
        rc = sd->fn(sd->ctx, sd->i, f->slot[k], f->len[k]);
        pthread_mutex_lock(&f->mu);
        if (rc != GDFS_OK)
            sd->failed = true;
        else
            sd->sent++;
        pthread_cond_broadcast(&f->done);
        if (sd->failed)
            break;
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int gdfs_fanout_add(struct gdfs_fanout *f, unsigned i, gdfs_fanout_fn fn,
                    void *ctx)
{
    struct consumer *sd = &f->s[i];

    sd->f = f;
    sd->fn = fn;
    sd->ctx = ctx;
    sd->i = i;
    sd->sent = f->pushed;
    sd->failed = false;
    sd->joined = false;
    if (pthread_create(&sd->tid, NULL, consumer_main, sd) != 0)
        return GDFS_ENOMEM;
    sd->on = true;
    return GDFS_OK;
}

/* Under f->mu: is any live consumer @behind or more frames behind? */
static bool lagging(const struct gdfs_fanout *f, uint64_t behind)
{
    for (unsigned i = 0; i < GDFS_REPLICAS; i++)
        if (f->s[i].on && !f->s[i].failed &&
            f->pushed - f->s[i].sent >= behind)
            return true;
    return false;
}

static bool any_live(const struct gdfs_fanout *f)
{
    return lagging(f, 0);
}

int gdfs_fanout_push(struct gdfs_fanout *f, const void *frame, size_t len)
{
    unsigned k = (unsigned)(f->pushed % GDFS_FANOUT_SLOTS);

    if (len > f->framecap)
        return GDFS_ETOOBIG;
    pthread_mutex_lock(&f->mu);
    if (!any_live(f)) {
        pthread_mutex_unlock(&f->mu);
        return GDFS_OK; /* no replica left to take it */
    }
    while (lagging(f, GDFS_FANOUT_SLOTS))
        pthread_cond_wait(&f->done, &f->mu);
    pthread_mutex_unlock(&f->mu);
    /* No consumer reads slot k now: each live one has taken frame
     * pushed - SLOTS, the last that used it; a new one starts at
     * f->pushed. */
    if (f->slot[k] == NULL && (f->slot[k] = malloc(f->framecap)) == NULL)
        return GDFS_ENOMEM;
    memcpy(f->slot[k], frame, len);
    f->len[k] = len;
    pthread_mutex_lock(&f->mu);
    f->pushed++;
    pthread_cond_broadcast(&f->more);
    pthread_mutex_unlock(&f->mu);
    return GDFS_OK;
}

void gdfs_fanout_flush(struct gdfs_fanout *f)
{
    pthread_mutex_lock(&f->mu);
    while (lagging(f, 1))
        pthread_cond_wait(&f->done, &f->mu);
    pthread_mutex_unlock(&f->mu);
}

static void join(struct consumer *sd)
{
    if (sd->on && !sd->joined) {
        pthread_join(sd->tid, NULL);
        sd->joined = true;
    }
}

bool gdfs_fanout_reap(struct gdfs_fanout *f, unsigned i)
{
    bool failed;

    pthread_mutex_lock(&f->mu);
    failed = f->s[i].on && f->s[i].failed;
    pthread_mutex_unlock(&f->mu);
    if (failed) {
        join(&f->s[i]);
        f->s[i].on = false;
    }
    return failed;
}

void gdfs_fanout_free(struct gdfs_fanout *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_broadcast(&f->more);
    pthread_mutex_unlock(&f->mu);
    for (unsigned i = 0; i < GDFS_REPLICAS; i++)
        join(&f->s[i]);
    for (unsigned k = 0; k < GDFS_FANOUT_SLOTS; k++)
        free(f->slot[k]);
    pthread_cond_destroy(&f->more);
    pthread_cond_destroy(&f->done);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
