/* Unit tests of the background thread life cycle (src/worker.c): a worker
 * runs its rounds, sleeps the full time between them, and a stop wakes a
 * long sleep at once and ends the thread. */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "worker.h"

/* ---- fixture ------------------------------------------------------------- */

/* A worker that counts its rounds and records what its sleeps returned. */
struct counter {
    struct gdfs_worker w;
    uint64_t sleep_ms;
    pthread_mutex_t mu;
    unsigned rounds;   /* under mu */
    bool last_sleep;   /* under mu: what the last sleep returned */
    uint64_t slept_ms; /* under mu: how long the first full sleep took */
};

static void *count_main(void *arg)
{
    struct counter *c = arg;
    bool go_on;

    do {
        uint64_t t0;

        pthread_mutex_lock(&c->mu);
        c->rounds++;
        pthread_mutex_unlock(&c->mu);
        t0 = gdfs_clock_ms();
        go_on = gdfs_worker_sleep_ms(&c->w, c->sleep_ms);
        pthread_mutex_lock(&c->mu);
        c->last_sleep = go_on;
        if (go_on && c->slept_ms == 0)
            c->slept_ms = gdfs_clock_ms() - t0;
        pthread_mutex_unlock(&c->mu);
    } while (go_on);
    return NULL;
}

static unsigned rounds_of(struct counter *c)
{
    unsigned n;

    pthread_mutex_lock(&c->mu);
    n = c->rounds;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Wait (10 s at most) until @c has run @n rounds. */
static void wait_rounds(struct counter *c, unsigned n)
{
    for (int i = 0; i < 1000 && rounds_of(c) < n; i++) {
        struct timespec ms10 = {0, 10000000};

        nanosleep(&ms10, NULL);
    }
    ck_assert_uint_ge(rounds_of(c), n);
}

static struct counter *counter_new(uint64_t sleep_ms)
{
    struct counter *c = calloc(1, sizeof(*c));

    ck_assert_ptr_nonnull(c);
    c->sleep_ms = sleep_ms;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void counter_free(struct counter *c)
{
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- gdfs_worker_start / gdfs_worker_sleep_ms ------------------------------ */

START_TEST(test_worker_runs_rounds_until_stopped)
{
    struct counter *c = counter_new(1);

    ck_assert_int_eq(gdfs_worker_start(&c->w, count_main, c), 0);
    wait_rounds(c, 5);
    gdfs_worker_stop(&c->w);
    ck_assert(!c->last_sleep); /* the stop ended the last sleep */
    counter_free(c);
}
END_TEST

START_TEST(test_worker_sleeps_the_full_time)
{
    struct counter *c = counter_new(50);

    ck_assert_int_eq(gdfs_worker_start(&c->w, count_main, c), 0);
    wait_rounds(c, 2);
    gdfs_worker_stop(&c->w);
    ck_assert_uint_ge(c->slept_ms, 50);
    counter_free(c);
}
END_TEST

/* ---- gdfs_worker_stop ------------------------------------------------------ */

START_TEST(test_worker_stop_wakes_a_long_sleep)
{
    /* An hour's sleep: only the stop can end it before the test's own
     * timeout, so returning at all is the check. */
    struct counter *c = counter_new(3600 * 1000);

    ck_assert_int_eq(gdfs_worker_start(&c->w, count_main, c), 0);
    wait_rounds(c, 1);
    gdfs_worker_stop(&c->w);
    ck_assert_uint_eq(c->rounds, 1);
    ck_assert(!c->last_sleep);
    counter_free(c);
}
END_TEST

START_TEST(test_worker_stop_before_the_first_sleep)
{
    /* A stop that lands before the worker sleeps: its sleep returns false
     * at once instead of sleeping the hour. */
    struct counter *c = counter_new(3600 * 1000);

    pthread_mutex_lock(&c->mu); /* hold the worker in its first round */
    ck_assert_int_eq(gdfs_worker_start(&c->w, count_main, c), 0);
    pthread_mutex_lock(&c->w.mu);
    c->w.stop = true;
    pthread_mutex_unlock(&c->w.mu);
    pthread_mutex_unlock(&c->mu);
    gdfs_worker_stop(&c->w);
    ck_assert_uint_eq(c->rounds, 1);
    ck_assert(!c->last_sleep);
    counter_free(c);
}
END_TEST

static Suite *worker_suite(void)
{
    Suite *s = suite_create("worker");
    TCase *tc = tcase_create("life cycle");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_worker_runs_rounds_until_stopped);
    tcase_add_test(tc, test_worker_sleeps_the_full_time);
    tcase_add_test(tc, test_worker_stop_wakes_a_long_sleep);
    tcase_add_test(tc, test_worker_stop_before_the_first_sleep);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(worker_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
