/* Unit tests of the monotonic clock (src/clock.c): milliseconds that never
 * go back, deadlines, and condition-variable waits on CLOCK_MONOTONIC. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "clock.h"

/* ---- fixture ------------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;

static void setup(void)
{
    ck_assert_int_eq(gdfs_clock_cond_init(&cv), 0);
}

static void teardown(void)
{
    pthread_cond_destroy(&cv);
}

/* ---- gdfs_clock_ms / gdfs_clock_after ------------------------------------- */

START_TEST(test_clock_ms_moves_forward)
{
    uint64_t a = gdfs_clock_ms(), b;

    usleep(20 * 1000);
    b = gdfs_clock_ms();
    ck_assert_uint_ge(b, a + 19);
    ck_assert_uint_lt(b, a + 2000);
}
END_TEST

START_TEST(test_clock_after_is_on_the_monotonic_clock)
{
    struct timespec now, at = gdfs_clock_after(1500);
    int64_t d;

    clock_gettime(CLOCK_MONOTONIC, &now);
    d = (int64_t)(at.tv_sec - now.tv_sec) * 1000 +
        (at.tv_nsec - now.tv_nsec) / 1000000;
    ck_assert_int_ge(d, 1400);
    ck_assert_int_le(d, 1500);
    ck_assert_int_lt(at.tv_nsec, 1000000000L);
}
END_TEST

/* ---- gdfs_clock_cond_wait_ms / _until ------------------------------------- */

START_TEST(test_clock_cond_wait_times_out)
{
    uint64_t t0 = gdfs_clock_ms(), took;
    int rc;

    pthread_mutex_lock(&mu);
    do
        rc = gdfs_clock_cond_wait_ms(&cv, &mu, 50);
    while (rc == 0 && gdfs_clock_ms() < t0 + 50); /* spurious wake-ups */
    pthread_mutex_unlock(&mu);
    took = gdfs_clock_ms() - t0;
    ck_assert_int_eq(rc, ETIMEDOUT);
    ck_assert_uint_ge(took, 49);
    ck_assert_uint_lt(took, 2000);
}
END_TEST

START_TEST(test_clock_cond_wait_until_past_returns_at_once)
{
    uint64_t t0 = gdfs_clock_ms();

    pthread_mutex_lock(&mu);
    ck_assert_int_eq(gdfs_clock_cond_wait_until(&cv, &mu, t0), ETIMEDOUT);
    ck_assert_int_eq(gdfs_clock_cond_wait_until(&cv, &mu, 0), ETIMEDOUT);
    pthread_mutex_unlock(&mu);
    ck_assert_uint_lt(gdfs_clock_ms() - t0, 20);
}
END_TEST

static void *signal_later(void *arg)
{
    (void)arg;
    usleep(30 * 1000);
    pthread_mutex_lock(&mu);
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

START_TEST(test_clock_cond_wait_wakes_on_signal)
{
    uint64_t t0 = gdfs_clock_ms();
    pthread_t th;
    int rc;

    pthread_mutex_lock(&mu);
    ck_assert_int_eq(pthread_create(&th, NULL, signal_later, NULL), 0);
    rc = gdfs_clock_cond_wait_until(&cv, &mu, t0 + 5000);
    pthread_mutex_unlock(&mu);
    pthread_join(th, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_lt(gdfs_clock_ms() - t0, 4000);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("clock");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_clock_ms_moves_forward);
    tcase_add_test(tc, test_clock_after_is_on_the_monotonic_clock);
    tcase_add_test(tc, test_clock_cond_wait_times_out);
    tcase_add_test(tc, test_clock_cond_wait_until_past_returns_at_once);
    tcase_add_test(tc, test_clock_cond_wait_wakes_on_signal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(clock_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
