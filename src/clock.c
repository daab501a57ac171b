/* The monotonic clock and waits on it; see clock.h. */
#include "clock.h"

#include <errno.h>

uint64_t gdfs_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* @ms milliseconds after @ts, normalized. */
static struct timespec ts_add(struct timespec ts, uint64_t ms)
{
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

struct timespec gdfs_clock_after(uint64_t ms)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return ts_add(now, ms);
}

int gdfs_clock_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);

    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
    return rc;
}

int gdfs_clock_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu,
                            uint64_t ms)
{
    struct timespec until = gdfs_clock_after(ms);
    int rc = pthread_cond_timedwait(cv, mu, &until);

    return rc == ETIMEDOUT ? ETIMEDOUT : 0;
}

int gdfs_clock_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
                               uint64_t at_ms)
{
    uint64_t now = gdfs_clock_ms();

    if (now >= at_ms)
        return ETIMEDOUT;
    return gdfs_clock_cond_wait_ms(cv, mu, at_ms - now);
}
