/* Unit tests of the byte pacer (src/pace.c), rule by rule: the rate, the
 * burst after idle time and its bound, unlimited, and byte counts too
 * large to multiply. Time is passed in; nothing sleeps. */
#include <check.h>
#include <stdint.h>

#include "pace.h"

#define KIB 1024u
#define YEARS_MS ((uint64_t)1 << 40) /* 35 years of uptime */

static struct gdfs_pace p;

/* ---- rate ---------------------------------------------------------------- */

START_TEST(test_pace_first_request_starts_at_once)
{
    gdfs_pace_init(&p, 1000, 0, 5000);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000000, 5000), 0);
}
END_TEST

START_TEST(test_pace_keeps_the_rate)
{
    /* 1000 bytes/s: each 1000 bytes wait for the ones before. */
    gdfs_pace_init(&p, 1000, 0, 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 0), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 0), 1000);
    ck_assert_uint_eq(gdfs_pace_take(&p, 500, 0), 2000);
    ck_assert_uint_eq(gdfs_pace_take(&p, 500, 1000), 1500);
    /* Paid for at 3000: no wait from then on. */
    ck_assert_uint_eq(gdfs_pace_take(&p, 1, 3000), 0);
}
END_TEST

START_TEST(test_pace_rounds_waits_up)
{
    /* 3 bytes/s: a byte costs 333.3 ms; never wait too little. */
    gdfs_pace_init(&p, 3, 0, 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1, 0), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1, 0), 334);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1, 0), 667);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1, 0), 1000);
}
END_TEST

START_TEST(test_pace_without_burst_idle_time_is_lost)
{
    gdfs_pace_init(&p, 1000, 0, 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 10000), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 10000), 1000);
}
END_TEST

/* ---- burst --------------------------------------------------------------- */

START_TEST(test_pace_burst_credits_idle_time)
{
    /* 1 s of burst, 500 ms idle: 500 bytes more go at once. */
    gdfs_pace_init(&p, 1000, 1000, 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 1500), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 500, 1500), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 500, 1500), 500);
}
END_TEST

START_TEST(test_pace_long_idle_gap_is_bounded)
{
    /* An hour idle buys no more than the one second of burst. */
    gdfs_pace_init(&p, 1000, 1000, 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 3600000), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 3600000), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 3600000), 1000);
}
END_TEST

START_TEST(test_pace_init_gives_no_credit)
{
    gdfs_pace_init(&p, 1000, 1000, 7000);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 7000), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 7000), 1000);
}
END_TEST

START_TEST(test_pace_burst_early_in_time_does_not_underflow)
{
    /* now < burst: the credit starts at time 0, not before. */
    gdfs_pace_init(&p, 1000, 10000, 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 2000, 1000), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1000, 1000), 1000);
}
END_TEST

/* ---- unlimited ----------------------------------------------------------- */

START_TEST(test_pace_rate_zero_is_unlimited)
{
    gdfs_pace_init(&p, 0, 0, 0);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(gdfs_pace_take(&p, UINT64_MAX, 0), 0);
}
END_TEST

/* ---- large numbers ------------------------------------------------------- */

START_TEST(test_pace_huge_byte_count_saturates)
{
    uint64_t w;

    gdfs_pace_init(&p, 1, 0, 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, UINT64_MAX, 0), 0);
    w = gdfs_pace_take(&p, UINT64_MAX, 0);
    ck_assert_uint_gt(w, (uint64_t)1 << 50); /* very long, not wrapped */
    ck_assert_uint_ge(gdfs_pace_take(&p, 1, 0), w);
}
END_TEST

START_TEST(test_pace_huge_rate_and_bytes)
{
    /* UINT64_MAX bytes at UINT64_MAX bytes/s cost one second. */
    gdfs_pace_init(&p, UINT64_MAX, 0, 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, UINT64_MAX, 0), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1, 0), 1000);
    /* ... and a chunk at a realistic rate: 1 MiB at 64 MiB/s. */
    gdfs_pace_init(&p, (uint64_t)64 << 20, 0, YEARS_MS);
    ck_assert_uint_eq(gdfs_pace_take(&p, KIB * KIB, YEARS_MS), 0);
    ck_assert_uint_eq(gdfs_pace_take(&p, 1, YEARS_MS), 16);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *pace_suite(void)
{
    Suite *s = suite_create("pace");
    TCase *tc = tcase_create("pace");

    tcase_add_test(tc, test_pace_first_request_starts_at_once);
    tcase_add_test(tc, test_pace_keeps_the_rate);
    tcase_add_test(tc, test_pace_rounds_waits_up);
    tcase_add_test(tc, test_pace_without_burst_idle_time_is_lost);
    tcase_add_test(tc, test_pace_burst_credits_idle_time);
    tcase_add_test(tc, test_pace_long_idle_gap_is_bounded);
    tcase_add_test(tc, test_pace_init_gives_no_credit);
    tcase_add_test(tc, test_pace_burst_early_in_time_does_not_underflow);
    tcase_add_test(tc, test_pace_rate_zero_is_unlimited);
    tcase_add_test(tc, test_pace_huge_byte_count_saturates);
    tcase_add_test(tc, test_pace_huge_rate_and_bytes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pace_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
