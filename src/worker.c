/* A background thread's life cycle; see worker.h. */
#include "worker.h"

#include <errno.h>

#include "clock.h"

int gdfs_worker_start(struct gdfs_worker *w, void *(*fn)(void *), void *arg)
{
    int rc;

    w->stop = false;
    if ((rc = pthread_mutex_init(&w->mu, NULL)) != 0)
        return rc;
    if ((rc = gdfs_clock_cond_init(&w->cv)) != 0)
        goto fail_mu;
    if ((rc = pthread_create(&w->thread, NULL, fn, arg)) != 0)
        goto fail_cv;
    return 0;
fail_cv:
    pthread_cond_destroy(&w->cv);
fail_mu:
    pthread_mutex_destroy(&w->mu);
    return rc;
}

bool gdfs_worker_sleep_ms(struct gdfs_worker *w, uint64_t ms)
{
    uint64_t until = gdfs_clock_ms() + ms;
    bool go_on;

    pthread_mutex_lock(&w->mu);
    /* Spurious wake-ups go back to sleep until the deadline. */
    while (!w->stop &&
           gdfs_clock_cond_wait_until(&w->cv, &w->mu, until) != ETIMEDOUT)
        ;
    go_on = !w->stop;
    pthread_mutex_unlock(&w->mu);
    return go_on;
}

void gdfs_worker_stop(struct gdfs_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}
