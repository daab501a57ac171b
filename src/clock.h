/* The one clock of gdfs: milliseconds on CLOCK_MONOTONIC, deadlines, and
 * condition variables that wait on that clock.
 *
 * Every timeout, backoff, pace and deadline in gdfs is measured here, so a
 * step of the wall clock (NTP, an operator's `date -s`) never shortens or
 * stretches one. Wall-clock time appears only in log timestamps (log.c)
 * and in what is stored for people or compared across restarts (copy
 * completion times in the store). Pure libc + pthreads: the transport
 * plugins compile this file in as well (they link no gdfs library). */
#ifndef GDFS_CLOCK_H
#define GDFS_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
uint64_t gdfs_clock_ms(void);

/* The CLOCK_MONOTONIC time @ms from now, for the pthread calls that take
 * an absolute time on a named clock (pthread_mutex_clocklock). */
struct timespec gdfs_clock_after(uint64_t ms);

/* Initialize @cv so that its timed waits use CLOCK_MONOTONIC. Returns 0 or
 * an errno value, as pthread_cond_init. */
int gdfs_clock_cond_init(pthread_cond_t *cv);

/* Wait on @cv (initialized by gdfs_clock_cond_init, @mu held) until it is
 * signalled or @ms milliseconds pass. Returns 0 when signalled (or woken
 * spuriously: callers re-check their condition) or ETIMEDOUT. */
int gdfs_clock_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu,
                            uint64_t ms);

/* The same, until gdfs_clock_ms() reaches @at_ms. */
int gdfs_clock_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
                               uint64_t at_ms);

#endif
