/* Unit tests of replica placement (src/files/placement.c): rendezvous
 * order, liveness, exclusion and capacity, one test per rule in
 * placement.h. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "files/placement.h"

/* ---- fixture ------------------------------------------------------------- */

#define NAME (const uint8_t *)"dir/file", 8
#define MIB (1ull << 20)

static struct gdfs_members set;
static struct gdfs_capacity room[GDFS_GROUP_MAX];
static char ids[GDFS_REPLICAS][GDFS_NODE_ID_MAX + 1];
static int out[GDFS_REPLICAS];

/* Members n1..n6, all alive, none has reported its room. */
static void setup(void)
{
    memset(&set, 0, sizeof(set));
    memset(room, 0, sizeof(room));
    memset(ids, 0, sizeof(ids));
    set.n = 6;
    for (unsigned i = 0; i < set.n; i++)
        snprintf(set.m[i].id, sizeof(set.m[i].id), "n%u", i + 1);
}

static void teardown(void)
{
}

#define IDS (const char(*)[GDFS_NODE_ID_MAX + 1]) ids

/* Place "dir/file" with @size bytes and @nprev previous replicas. */
static unsigned place(uint64_t size, unsigned nprev)
{
    return gdfs_place(NAME, &set, room, size, IDS, nprev, NULL, 0,
                      GDFS_REPLICAS, out);
}

static bool placed(unsigned idx, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (out[i] == (int)idx)
            return true;
    return false;
}

/* Member @idx reports @free bytes free and a reserve of @reserve. */
static void report(unsigned idx, uint64_t free, uint64_t reserve)
{
    room[idx] = (struct gdfs_capacity){true, 1 * MIB, free, reserve};
}

/* ---- gdfs_place: order and liveness ---------------------------------------- */

START_TEST(test_placement_takes_highest_scores_distinct)
{
    unsigned n = place(0, 0);
    uint64_t last = UINT64_MAX;

    ck_assert_uint_eq(n, 3);
    for (unsigned i = 0; i < n; i++) {
        uint64_t sc = gdfs_place_score(NAME, set.m[out[i]].id);

        ck_assert_uint_lt(sc, last); /* descending, so distinct */
        last = sc;
    }
    /* and none left out scores above the last one taken */
    for (unsigned i = 0; i < set.n; i++)
        if (!placed(i, n))
            ck_assert_uint_lt(gdfs_place_score(NAME, set.m[i].id), last);
}
END_TEST

START_TEST(test_placement_skips_failed_and_left)
{
    unsigned n;

    set.m[0].state = GDFS_MEMBER_FAILED;
    set.m[1].state = GDFS_MEMBER_LEFT;
    set.m[2].state = GDFS_MEMBER_FAILED;
    set.m[3].state = GDFS_MEMBER_LEFT;
    n = place(0, 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(placed(4, n) && placed(5, n));
}
END_TEST

START_TEST(test_placement_keeps_previous_replicas_first)
{
    snprintf(ids[0], sizeof(ids[0]), "n6");
    snprintf(ids[1], sizeof(ids[1]), "n4");
    ck_assert_uint_eq(place(0, 2), 3);
    ck_assert_int_eq(out[0], 5);
    ck_assert_int_eq(out[1], 3);
}
END_TEST

/* ---- gdfs_place: capacity ---------------------------------------------------- */

START_TEST(test_placement_skips_members_below_reserve)
{
    unsigned n;

    /* Whatever their scores, n1..n3 are at or below their reserves. */
    report(0, 8 * MIB, 8 * MIB);
    report(1, 0, 0);
    report(2, 1 * MIB, 100 * MIB);
    report(3, 1000 * MIB, 8 * MIB);
    n = place(0, 0);
    ck_assert_uint_eq(n, 3);
    ck_assert(placed(3, n) && placed(4, n) && placed(5, n));
}
END_TEST

START_TEST(test_placement_unknown_capacity_is_usable)
{
    /* No member has reported: a fresh group places as before. */
    ck_assert_uint_eq(place(1ull << 50, 0), 3);
    /* A NULL table means the same. */
    ck_assert_uint_eq(gdfs_place(NAME, &set, NULL, 1ull << 50, NULL, 0, NULL,
                                 0, GDFS_REPLICAS, out),
                      3);
}
END_TEST

START_TEST(test_placement_needs_room_for_the_size)
{
    unsigned n;

    for (unsigned i = 0; i < set.n; i++)
        report(i, 8 * MIB + 1000, 8 * MIB); /* 1000 bytes above reserve */
    ck_assert_uint_eq(place(999, 0), 3);
    ck_assert_uint_eq(place(1000, 0), 0); /* would reach the reserve */
    report(2, 8 * MIB + 1001, 8 * MIB);
    n = place(1000, 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(out[0], 2);
}
END_TEST

START_TEST(test_placement_previous_replica_without_room_is_replaced)
{
    unsigned n;

    snprintf(ids[0], sizeof(ids[0]), "n2");
    report(1, 0, 8 * MIB);
    n = place(0, 1);
    ck_assert_uint_eq(n, 3);
    ck_assert(!placed(1, n));
}
END_TEST

START_TEST(test_placement_no_member_with_room_places_none)
{
    for (unsigned i = 0; i < set.n; i++)
        report(i, 4 * MIB, 8 * MIB);
    ck_assert_uint_eq(place(0, 0), 0);
}
END_TEST

START_TEST(test_placement_suspect_with_room_before_none)
{
    unsigned n;

    /* Alive members all full: a suspect one with room is used. */
    for (unsigned i = 0; i < set.n; i++)
        report(i, 0, 8 * MIB);
    set.m[5].state = GDFS_MEMBER_SUSPECT;
    report(5, 100 * MIB, 8 * MIB);
    n = place(0, 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(out[0], 5);
}
END_TEST

/* ---- gdfs_capacity_fits ------------------------------------------------------ */

START_TEST(test_placement_capacity_fits_rule)
{
    struct gdfs_capacity c = {false, 0, 0, 0};

    ck_assert(gdfs_capacity_fits(&c, UINT64_MAX - 1)); /* unknown */
    c = (struct gdfs_capacity){true, 0, 10, 4};
    ck_assert_uint_eq(gdfs_capacity_spare(&c), 6);
    ck_assert(gdfs_capacity_fits(&c, 5));
    ck_assert(!gdfs_capacity_fits(&c, 6));
    /* at the reserve: not even an empty file */
    c.free = 4;
    ck_assert(!gdfs_capacity_fits(&c, 0));
    /* reserve 0 on a full disk: no room either */
    c = (struct gdfs_capacity){true, 0, 0, 0};
    ck_assert(!gdfs_capacity_fits(&c, 0));
    /* the largest figures do not wrap */
    c = (struct gdfs_capacity){true, 0, GDFS_CAPACITY_MAX, GDFS_CAPACITY_MAX};
    ck_assert(!gdfs_capacity_fits(&c, 0));
}
END_TEST

static Suite *placement_suite(void)
{
    Suite *s = suite_create("placement");
    TCase *tc = tcase_create("placement");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_placement_takes_highest_scores_distinct);
    tcase_add_test(tc, test_placement_skips_failed_and_left);
    tcase_add_test(tc, test_placement_keeps_previous_replicas_first);
    tcase_add_test(tc, test_placement_skips_members_below_reserve);
    tcase_add_test(tc, test_placement_unknown_capacity_is_usable);
    tcase_add_test(tc, test_placement_needs_room_for_the_size);
    tcase_add_test(tc,
                   test_placement_previous_replica_without_room_is_replaced);
    tcase_add_test(tc, test_placement_no_member_with_room_places_none);
    tcase_add_test(tc, test_placement_suspect_with_room_before_none);
    tcase_add_test(tc, test_placement_capacity_fits_rule);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(placement_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
