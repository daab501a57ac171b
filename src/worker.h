/* A background thread's life cycle: started once, woken early by stop,
 * sleeping between rounds on the monotonic clock (clock.h), joined once.
 *
 * The node's periodic threads (record sync, orphan sweep) each did this
 * dance by hand; this is the one copy. The worker's mutex guards only its
 * stop flag: a thread keeps its own lock for its own state. */
#ifndef GDFS_WORKER_H
#define GDFS_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct gdfs_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    bool stop;         /* under mu */
};

/* Initialize @w and start @fn(@arg) on a new thread; everything @fn reads
 * must be set up before this call. Returns 0, or an errno value with
 * nothing left to undo. */
int gdfs_worker_start(struct gdfs_worker *w, void *(*fn)(void *), void *arg);

/* Called by the worker's own thread: sleep @ms milliseconds, or until
 * gdfs_worker_stop. Returns false once the worker is stopping (at once
 * if it already was), true after a full sleep. */
bool gdfs_worker_sleep_ms(struct gdfs_worker *w, uint64_t ms);

/* Stop the thread (wakes its sleep), join it, and release @w. Called once,
 * by the thread that started it, never by the worker itself. */
void gdfs_worker_stop(struct gdfs_worker *w);

#endif
