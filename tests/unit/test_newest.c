/* Unit tests of get --stale-ok's choice (src/files/newest.c): the newest
 * version among what nodes say they hold, and who holds it. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "files/newest.h"

static struct gdfs_newest b;

static void add(uint64_t seq, uint64_t term, bool tomb, const char *id)
{
    struct gdfs_version v = {seq, term};
    char addr[32];

    snprintf(addr, sizeof(addr), "%s:1", id);
    gdfs_newest_add(&b, &v, tomb, id, addr);
}

/* ---- gdfs_newest_add ------------------------------------------------------- */

START_TEST(test_newest_empty_holds_nothing)
{
    gdfs_newest_init(&b);
    add(0, 0, false, "n1"); /* "nothing held" is ignored */
    ck_assert_uint_eq(b.v.seq, 0);
    ck_assert_uint_eq(b.n, 0);
    ck_assert(!b.tombstone);
}
END_TEST

START_TEST(test_newest_highest_version_wins_in_any_order)
{
    gdfs_newest_init(&b);
    add(3, 1, false, "n1");
    add(5, 1, false, "n2");
    add(4, 2, false, "n3"); /* a later term beats a higher seq */
    add(2, 1, false, "n4");
    ck_assert_uint_eq(b.v.seq, 4);
    ck_assert_uint_eq(b.v.term, 2);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_str_eq(b.id[0], "n3");
    ck_assert_str_eq(b.addr[0], "n3:1");
}
END_TEST

START_TEST(test_newest_holders_in_order_once_each)
{
    gdfs_newest_init(&b);
    add(7, 1, false, "self");
    add(6, 1, false, "n2");
    add(7, 1, false, "n3");
    add(7, 1, false, "self"); /* its record and its copy: once */
    add(7, 1, false, "n4");
    add(7, 1, false, "n5");
    add(7, 1, false, "n6"); /* over GDFS_NEWEST_MAX */
    ck_assert_uint_eq(b.n, GDFS_NEWEST_MAX);
    ck_assert_str_eq(b.id[0], "self");
    ck_assert_str_eq(b.id[1], "n3");
    ck_assert_str_eq(b.id[2], "n4");
    ck_assert_str_eq(b.id[3], "n5");
}
END_TEST

START_TEST(test_newest_tombstone_on_top_removes)
{
    gdfs_newest_init(&b);
    add(3, 1, false, "n1");
    add(4, 1, true, "n2");
    add(4, 1, false, "n3"); /* cannot be: the same version, not removed */
    ck_assert(b.tombstone);
    ck_assert_uint_eq(b.v.seq, 4);
    ck_assert_uint_eq(b.n, 0);
    /* A newer version after the tombstone brings the file back. */
    add(5, 1, false, "n3");
    ck_assert(!b.tombstone);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_str_eq(b.id[0], "n3");
}
END_TEST

START_TEST(test_newest_older_tombstone_ignored)
{
    gdfs_newest_init(&b);
    add(6, 2, false, "n1");
    add(5, 2, true, "n2");
    ck_assert(!b.tombstone);
    ck_assert_uint_eq(b.v.seq, 6);
    ck_assert_uint_eq(b.n, 1);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *newest_suite(void)
{
    Suite *s = suite_create("newest");
    TCase *tc = tcase_create("newest");

    tcase_add_test(tc, test_newest_empty_holds_nothing);
    tcase_add_test(tc, test_newest_highest_version_wins_in_any_order);
    tcase_add_test(tc, test_newest_holders_in_order_once_each);
    tcase_add_test(tc, test_newest_tombstone_on_top_removes);
    tcase_add_test(tc, test_newest_older_tombstone_ignored);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(newest_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
