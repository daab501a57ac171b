/* Unit tests of replica health (src/files/health.c): which replicas of a
 * record count, which are lost and why, and how many a file should have. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "files/health.h"

/* ---- fixture ------------------------------------------------------------- */

static struct gdfs_members set;
static struct gdfs_health_member extra[GDFS_GROUP_MAX];
static const struct gdfs_health_cfg cfg = {1000, 500};
static char ids[GDFS_REPLICAS][GDFS_NODE_ID_MAX + 1];

/* Members n1..n@n, all alive. */
static void group_of(unsigned n)
{
    memset(&set, 0, sizeof(set));
    memset(extra, 0, sizeof(extra));
    set.n = n;
    for (unsigned i = 0; i < n; i++)
        snprintf(set.m[i].id, sizeof(set.m[i].id), "n%u", i + 1);
}

static void replicas(const char *a, const char *b, const char *c)
{
    snprintf(ids[0], sizeof(ids[0]), "%s", a);
    snprintf(ids[1], sizeof(ids[1]), "%s", b);
    snprintf(ids[2], sizeof(ids[2]), "%s", c);
}

static enum gdfs_health_why why_of(const char *id, bool acked, uint64_t age)
{
    enum gdfs_health_why why;

    gdfs_health_replica(id, acked, false, &set, extra, age, &cfg, &why);
    return why;
}

/* ---- gdfs_health_replica ------------------------------------------------- */

START_TEST(test_health_alive_acked_member_is_good)
{
    group_of(5);
    ck_assert_int_eq(gdfs_health_replica("n2", true, false, &set, extra, 0,
                                         &cfg, NULL),
                     GDFS_HEALTH_GOOD);
    set.m[1].state = GDFS_MEMBER_SUSPECT; /* suspicion is not failure */
    ck_assert_int_eq(gdfs_health_replica("n2", true, false, &set, extra, 0,
                                         &cfg, NULL),
                     GDFS_HEALTH_GOOD);
    ck_assert_int_eq(why_of("n2", true, 0), GDFS_LOST_NONE);
}
END_TEST

START_TEST(test_health_failed_member_lost_only_after_delay)
{
    group_of(5);
    set.m[2].state = GDFS_MEMBER_FAILED;
    extra[2].failed_for_ms = 999;
    ck_assert_int_eq(gdfs_health_replica("n3", true, false, &set, extra, 0,
                                         &cfg, NULL),
                     GDFS_HEALTH_WAIT);
    extra[2].failed_for_ms = 1000;
    ck_assert_int_eq(gdfs_health_replica("n3", true, false, &set, extra, 0,
                                         &cfg, NULL),
                     GDFS_HEALTH_LOST);
    ck_assert_int_eq(why_of("n3", true, 0), GDFS_LOST_FAILED);
}
END_TEST

START_TEST(test_health_non_member_and_left_lost_at_once)
{
    group_of(4);
    ck_assert_int_eq(gdfs_health_replica("n9", true, false, &set, extra, 0,
                                         &cfg, NULL),
                     GDFS_HEALTH_LOST);
    ck_assert_int_eq(why_of("n9", true, 0), GDFS_LOST_NOT_MEMBER);
    set.m[3].state = GDFS_MEMBER_LEFT;
    ck_assert_int_eq(why_of("n4", true, 0), GDFS_LOST_NOT_MEMBER);
}
END_TEST

START_TEST(test_health_unacked_lost_after_grace)
{
    group_of(5);
    ck_assert_int_eq(gdfs_health_replica("n1", false, false, &set, extra, 499,
                                         &cfg, NULL),
                     GDFS_HEALTH_WAIT);
    ck_assert_int_eq(gdfs_health_replica("n1", false, false, &set, extra, 500,
                                         &cfg, NULL),
                     GDFS_HEALTH_LOST);
    ck_assert_int_eq(why_of("n1", false, 500), GDFS_LOST_UNACKED);
}
END_TEST

START_TEST(test_health_draining_lost_at_once)
{
    group_of(5);
    extra[0].draining = true;
    ck_assert_int_eq(gdfs_health_replica("n1", true, false, &set, extra, 0,
                                         &cfg, NULL),
                     GDFS_HEALTH_LOST);
    ck_assert_int_eq(why_of("n1", true, 0), GDFS_LOST_DRAINING);
}
END_TEST

/* ---- gdfs_health_want ---------------------------------------------------- */

START_TEST(test_health_want_is_three_or_the_group_size)
{
    group_of(5);
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 3);
    set.m[0].state = GDFS_MEMBER_FAILED;
    set.m[1].state = GDFS_MEMBER_LEFT;
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 3);
    extra[2].draining = true;
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 3); /* n1, n4, n5 */
    extra[3].draining = true;
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 2); /* n1, n5 */
    set.m[4].state = GDFS_MEMBER_SUSPECT;                /* still a member */
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 2);
    group_of(2);
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 2);
    group_of(1);
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 1);
}
END_TEST

START_TEST(test_health_want_counts_failed_members)
{
    /* Issue 13: one of 3 failed must not lower the target to 2. */
    group_of(3);
    set.m[2].state = GDFS_MEMBER_FAILED;
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 3);
    set.m[1].state = GDFS_MEMBER_FAILED;
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 3);
    /* A 2-node group with one failed still wants 2. */
    group_of(2);
    set.m[1].state = GDFS_MEMBER_FAILED;
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 2);
}
END_TEST

/* ---- gdfs_health_record -------------------------------------------------- */

START_TEST(test_health_record_counts_what_counts)
{
    enum gdfs_health h[GDFS_REPLICAS];

    group_of(5);
    replicas("n1", "n2", "n3");
    ck_assert_uint_eq(gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1])
                                             ids,
                                         3, 7, 0, &set, extra, 0, &cfg, h,
                                         NULL),
                      3);
    /* n2 failed long enough, n3 never acked in an old record. */
    set.m[1].state = GDFS_MEMBER_FAILED;
    extra[1].failed_for_ms = 5000;
    ck_assert_uint_eq(gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1])
                                             ids,
                                         3, 3, 0, &set, extra, 600, &cfg, h,
                                         NULL),
                      1);
    ck_assert_int_eq(h[0], GDFS_HEALTH_GOOD);
    ck_assert_int_eq(h[1], GDFS_HEALTH_LOST);
    ck_assert_int_eq(h[2], GDFS_HEALTH_LOST);
    ck_assert_uint_lt(1, gdfs_health_want(&set, extra)); /* under-replicated */
    /* A record with fewer names than wanted is under-replicated too. */
    group_of(5);
    ck_assert_uint_eq(gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1])
                                             ids,
                                         2, 3, 0, &set, extra, 0, &cfg, NULL,
                                         NULL),
                      2);
}
END_TEST

START_TEST(test_health_record_one_of_three_failed_is_under_replicated)
{
    unsigned live = 99;

    /* Issue 13: 3 nodes, n3 killed. Its copy still counts for repair
     * until the delay (WAIT) but not on a live member: want 3, have 2. */
    group_of(3);
    replicas("n1", "n2", "n3");
    set.m[2].state = GDFS_MEMBER_FAILED;
    extra[2].failed_for_ms = 10;
    ck_assert_uint_eq(gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1])
                                             ids,
                                         3, 7, 0, &set, extra, 0, &cfg, NULL,
                                         &live),
                      3);
    ck_assert_uint_eq(live, 2);
    ck_assert_uint_lt(live, gdfs_health_want(&set, extra));
    /* Past the delay the copy is lost: 2 count, 2 live, still short. */
    extra[2].failed_for_ms = 5000;
    ck_assert_uint_eq(gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1])
                                             ids,
                                         3, 7, 0, &set, extra, 0, &cfg, NULL,
                                         &live),
                      2);
    ck_assert_uint_eq(live, 2);
    ck_assert_uint_eq(gdfs_health_want(&set, extra), 3);
    /* An unacked replica of a young record on a live member is live. */
    group_of(3);
    ck_assert_uint_eq(gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1])
                                             ids,
                                         3, 3, 0, &set, extra, 0, &cfg, NULL,
                                         &live),
                      3);
    ck_assert_uint_eq(live, 3);
}
END_TEST

START_TEST(test_health_record_small_group_is_not_under_replicated)
{
    unsigned live = 0;

    /* A 2-node group: 2 copies are all it can hold. */
    group_of(2);
    replicas("n1", "n2", "");
    ck_assert_uint_eq(gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1])
                                             ids,
                                         2, 3, 0, &set, extra, 0, &cfg, NULL,
                                         &live),
                      2);
    ck_assert_uint_eq(live, gdfs_health_want(&set, extra));
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

/* ---- inventory: a copy the member lacks ------------------------------------ */

START_TEST(test_health_missing_copy_lost_at_once)
{
    enum gdfs_health_why why;
    enum gdfs_health h[GDFS_REPLICAS];
    unsigned live = 9;

    group_of(3);
    /* acked, alive, but its inventory says it lacks the version */
    ck_assert_int_eq(gdfs_health_replica("n2", true, true, &set, extra, 0,
                                         &cfg, &why),
                     GDFS_HEALTH_LOST);
    ck_assert_int_eq(why, GDFS_LOST_MISSING);
    /* failed and missing: lost without waiting for the delay */
    set.m[1].state = GDFS_MEMBER_FAILED;
    extra[1].failed_for_ms = 1;
    ck_assert_int_eq(why_of("n2", true, 0), GDFS_LOST_NONE); /* waits */
    ck_assert_int_eq(gdfs_health_replica("n2", true, true, &set, extra, 0,
                                         &cfg, &why),
                     GDFS_HEALTH_LOST);
    ck_assert_int_eq(why, GDFS_LOST_MISSING);
    set.m[1].state = GDFS_MEMBER_ALIVE;
    extra[1].failed_for_ms = 0;
    /* a whole record: the missing replica neither counts nor is live */
    replicas("n1", "n2", "n3");
    ck_assert_uint_eq(gdfs_health_record((const char(*)[GDFS_NODE_ID_MAX + 1])
                                             ids,
                                         3, 7, 2, &set, extra, 0, &cfg, h,
                                         &live),
                      2);
    ck_assert_uint_eq(live, 2);
    ck_assert_int_eq(h[1], GDFS_HEALTH_LOST);
    ck_assert_int_eq(h[0], GDFS_HEALTH_GOOD);
}
END_TEST

static Suite *health_suite(void)
{
    Suite *s = suite_create("health");
    TCase *tc = tcase_create("health");

    tcase_add_test(tc, test_health_alive_acked_member_is_good);
    tcase_add_test(tc, test_health_failed_member_lost_only_after_delay);
    tcase_add_test(tc, test_health_non_member_and_left_lost_at_once);
    tcase_add_test(tc, test_health_unacked_lost_after_grace);
    tcase_add_test(tc, test_health_draining_lost_at_once);
    tcase_add_test(tc, test_health_missing_copy_lost_at_once);
    tcase_add_test(tc, test_health_want_is_three_or_the_group_size);
    tcase_add_test(tc, test_health_want_counts_failed_members);
    tcase_add_test(tc, test_health_record_counts_what_counts);
    tcase_add_test(tc,
                   test_health_record_one_of_three_failed_is_under_replicated);
    tcase_add_test(tc, test_health_record_small_group_is_not_under_replicated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(health_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
