/* Unit tests of a member's copy inventory on the leader
 * (src/files/inventory.c): a matching report verifies, a listing finds the
 * claims a member lacks, a new incarnation forgets, bounds make it
 * unknown rather than wrong (DESIGN.md invariant 8). */
#include <check.h>
#include <string.h>

#include "files/inventory.h"

/* ---- fixture ------------------------------------------------------------- */

static struct gdfs_inv iv;
static const struct gdfs_inv_member at0 = {0, 0};
static struct gdfs_inv_cfg cfg;

static void setup(void)
{
    cfg.report_max = 100;
    cfg.lacking_max = 10;
    gdfs_inv_init(&iv, &cfg);
}

static void teardown(void)
{
    gdfs_inv_close(&iv);
}

/* Key number @i (any distinct bytes stand for a hash). */
static struct gdfs_inv_key key(unsigned i)
{
    struct gdfs_inv_key k;

    memset(&k, 0, sizeof(k));
    k.b[0] = (uint8_t)(i >> 8);
    k.b[1] = (uint8_t)i;
    k.b[15] = 0x5a;
    return k;
}

/* A whole round for @incarnation: the member lists keys [0, @listed) in
 * one page; the leader claims keys [0, @claimed). */
static unsigned round_of(uint64_t incarnation, unsigned listed,
                         unsigned claimed)
{
    struct gdfs_inv_key keys[200];
    unsigned lacking = 12345;

    for (unsigned i = 0; i < listed; i++)
        keys[i] = key(i);
    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, incarnation, &at0, 0x5), 0x5);
    ck_assert_int_eq(gdfs_inv_on_page(&iv, incarnation, 0x5, keys, listed),
                     GDFS_OK);
    ck_assert(gdfs_inv_listing(&iv, NULL));
    gdfs_inv_finish_begin(&iv);
    for (unsigned i = 0; i < claimed; i++) {
        struct gdfs_inv_key k = key(i);

        gdfs_inv_claim(&iv, &k);
    }
    gdfs_inv_finish_end(&iv, &lacking);
    ck_assert(!gdfs_inv_listing(&iv, NULL));
    return lacking;
}

static enum gdfs_inv_answer holds(unsigned i)
{
    struct gdfs_inv_key k = key(i);

    return gdfs_inv_holds(&iv, &at0, &k);
}

/* ---- reports ------------------------------------------------------------- */

START_TEST(test_inventory_unknown_until_reported)
{
    ck_assert_int_eq(holds(1), GDFS_INV_UNKNOWN);
}
END_TEST

START_TEST(test_inventory_matching_digest_verifies)
{
    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, 7, &at0, 0), 0);
    ck_assert_int_eq(holds(1), GDFS_INV_HELD);
    ck_assert(!gdfs_inv_listing(&iv, NULL));
}
END_TEST

/* The group saw the member start again or refute a suspicion (a higher
 * member set incarnation), or leave and join again (a new entry), after
 * its last report: nothing is known until it reports again. */
START_TEST(test_inventory_report_older_than_member_is_unknown)
{
    const struct gdfs_inv_member m4 = {4, 1}, m3 = {3, 1}, m5 = {5, 1},
                                 m6 = {6, 1}, m2 = {2, 1}, m7 = {7, 1},
                                 m8 = {8, 1}, back = {0, 2};
    struct gdfs_inv_key k = key(1);

    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, 7, &m4, 0), 0);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &m4, &k), GDFS_INV_HELD);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &m3, &k), GDFS_INV_HELD);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &m5, &k), GDFS_INV_UNKNOWN);
    /* the report at the new incarnation may come first: it counts */
    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, 7, &m6, 0), 0);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &m5, &k), GDFS_INV_HELD);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &m6, &k), GDFS_INV_HELD);
    /* a late report of an older one does not lower it */
    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, 7, &m2, 0), 0);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &m6, &k), GDFS_INV_HELD);
    /* a new process starts from its own report */
    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, 8, &m7, 0), 0);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &m7, &k), GDFS_INV_HELD);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &m8, &k), GDFS_INV_UNKNOWN);
    /* it left and joined again (incarnation 0 once more): unknown, and
     * its next report starts afresh even from the same process */
    ck_assert_int_eq(gdfs_inv_holds(&iv, &back, &k), GDFS_INV_UNKNOWN);
    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, 8, &back, 0x1), 0x1);
    ck_assert_int_eq(gdfs_inv_holds(&iv, &back, &k), GDFS_INV_UNKNOWN);
}
END_TEST

START_TEST(test_inventory_listing_finds_lacking_claims)
{
    uint64_t mask = 0;

    /* lists 0..2, claimed 0..4: 3 and 4 lacking */
    ck_assert_uint_eq(round_of(7, 3, 5), 2);
    ck_assert_int_eq(holds(0), GDFS_INV_HELD);
    ck_assert_int_eq(holds(2), GDFS_INV_HELD);
    ck_assert_int_eq(holds(3), GDFS_INV_LACKS);
    ck_assert_int_eq(holds(4), GDFS_INV_LACKS);
    /* a copy listed but not claimed (an orphan, an older version) is no
     * concern of the count */
    ck_assert_uint_eq(round_of(7, 5, 2), 0);
    ck_assert_int_eq(holds(3), GDFS_INV_HELD);
    ck_assert(!gdfs_inv_listing(&iv, &mask));
    ck_assert_uint_eq(mask, 0);
}
END_TEST

START_TEST(test_inventory_pages_accumulate)
{
    struct gdfs_inv_key a[2] = {key(0), key(1)}, b[1] = {key(2)};
    unsigned lacking;

    gdfs_inv_on_sum(&iv, 3, &at0, 0x1);
    ck_assert_int_eq(gdfs_inv_on_page(&iv, 3, 0x1, a, 2), GDFS_OK);
    ck_assert_int_eq(gdfs_inv_on_page(&iv, 3, 0x1, b, 1), GDFS_OK);
    gdfs_inv_finish_begin(&iv);
    for (unsigned i = 0; i < 4; i++) {
        struct gdfs_inv_key k = key(i);

        gdfs_inv_claim(&iv, &k);
    }
    gdfs_inv_finish_end(&iv, &lacking);
    ck_assert_uint_eq(lacking, 1);
    ck_assert_int_eq(holds(1), GDFS_INV_HELD);
    ck_assert_int_eq(holds(3), GDFS_INV_LACKS);
}
END_TEST

START_TEST(test_inventory_new_incarnation_forgets)
{
    ck_assert_uint_eq(round_of(7, 0, 3), 3);
    ck_assert_int_eq(holds(0), GDFS_INV_LACKS);
    /* restarted (an emptied disk, a replaced one): nothing known until its
     * own round finishes */
    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, 8, &at0, 0x2), 0x2);
    ck_assert_int_eq(holds(0), GDFS_INV_UNKNOWN);
    ck_assert_uint_eq(round_of(8, 3, 3), 0);
    ck_assert_int_eq(holds(0), GDFS_INV_HELD);
}
END_TEST

START_TEST(test_inventory_same_incarnation_keeps_answers_while_listing)
{
    ck_assert_uint_eq(round_of(7, 1, 2), 1);
    ck_assert_uint_eq(gdfs_inv_on_sum(&iv, 7, &at0, 0x4), 0x4);
    /* the last finished round still answers */
    ck_assert_int_eq(holds(1), GDFS_INV_LACKS);
    ck_assert_int_eq(holds(0), GDFS_INV_HELD);
}
END_TEST

START_TEST(test_inventory_page_of_another_round_refused)
{
    struct gdfs_inv_key k = key(0);

    /* no listing asked */
    ck_assert_int_eq(gdfs_inv_on_page(&iv, 7, 0x1, &k, 1), GDFS_EINVAL);
    gdfs_inv_on_sum(&iv, 7, &at0, 0x1);
    /* other buckets, other incarnation */
    ck_assert_int_eq(gdfs_inv_on_page(&iv, 7, 0x3, &k, 1), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_inv_on_page(&iv, 6, 0x1, &k, 1), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_inv_on_page(&iv, 7, 0x1, &k, 1), GDFS_OK);
    /* a newer report drops the listing it replaces */
    gdfs_inv_on_sum(&iv, 7, &at0, 0);
    ck_assert_int_eq(gdfs_inv_on_page(&iv, 7, 0x1, &k, 1), GDFS_EINVAL);
}
END_TEST

/* ---- bounds -------------------------------------------------------------- */

START_TEST(test_inventory_listing_over_bound_is_unknown)
{
    /* 150 listed > report_max 100: nothing can be told */
    ck_assert_uint_eq(round_of(7, 150, 160), 0);
    ck_assert_int_eq(holds(0), GDFS_INV_UNKNOWN);
    ck_assert_int_eq(holds(155), GDFS_INV_UNKNOWN);
    /* a round within bounds verifies again */
    ck_assert_uint_eq(round_of(7, 50, 60), 10);
    ck_assert_int_eq(holds(55), GDFS_INV_LACKS);
}
END_TEST

START_TEST(test_inventory_lacking_over_bound_keeps_first_rest_unknown)
{
    unsigned lacks = 0, unknown = 0;

    /* 30 lacking, lacking_max 10: 10 remembered, no claim called held
     * that was not listed */
    ck_assert_uint_eq(round_of(7, 5, 35), 10);
    ck_assert_int_eq(holds(0), GDFS_INV_UNKNOWN); /* listed, not kept */
    for (unsigned i = 5; i < 35; i++) {
        enum gdfs_inv_answer a = holds(i);

        ck_assert_int_ne(a, GDFS_INV_HELD);
        lacks += a == GDFS_INV_LACKS;
        unknown += a == GDFS_INV_UNKNOWN;
    }
    ck_assert_uint_eq(lacks, 10);
    ck_assert_uint_eq(unknown, 20);
}
END_TEST

/* ---- repair -------------------------------------------------------------- */

START_TEST(test_inventory_repaired_copy_no_longer_lacking)
{
    struct gdfs_inv_key k = key(3);

    ck_assert_uint_eq(round_of(7, 2, 5), 3);
    gdfs_inv_repaired(&iv, &k);
    ck_assert_int_eq(holds(3), GDFS_INV_HELD);
    ck_assert_int_eq(holds(4), GDFS_INV_LACKS);
    ck_assert_int_eq(holds(2), GDFS_INV_LACKS);
    gdfs_inv_repaired(&iv, &k); /* twice: no change */
    ck_assert_int_eq(holds(4), GDFS_INV_LACKS);
}
END_TEST

START_TEST(test_inventory_forget_is_unknown)
{
    ck_assert_uint_eq(round_of(7, 2, 2), 0);
    gdfs_inv_forget(&iv);
    ck_assert_int_eq(holds(0), GDFS_INV_UNKNOWN);
    /* and usable again */
    ck_assert_uint_eq(round_of(9, 1, 2), 1);
}
END_TEST

static Suite *inventory_suite(void)
{
    Suite *s = suite_create("inventory");
    TCase *tc = tcase_create("inventory");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_inventory_unknown_until_reported);
    tcase_add_test(tc, test_inventory_matching_digest_verifies);
    tcase_add_test(tc, test_inventory_report_older_than_member_is_unknown);
    tcase_add_test(tc, test_inventory_listing_finds_lacking_claims);
    tcase_add_test(tc, test_inventory_pages_accumulate);
    tcase_add_test(tc, test_inventory_new_incarnation_forgets);
    tcase_add_test(
        tc, test_inventory_same_incarnation_keeps_answers_while_listing);
    tcase_add_test(tc, test_inventory_page_of_another_round_refused);
    tcase_add_test(tc, test_inventory_listing_over_bound_is_unknown);
    tcase_add_test(tc,
                   test_inventory_lacking_over_bound_keeps_first_rest_unknown);
    tcase_add_test(tc, test_inventory_repaired_copy_no_longer_lacking);
    tcase_add_test(tc, test_inventory_forget_is_unknown);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(inventory_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
