/* Unit tests of the merge of a leader's records and the check of what a
 * leader may send (src/files/collect.c): one test per rule in
 * collect.h. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "files/collect.h"

/* ---- fixture ------------------------------------------------------------- */

/* Record of "f" at version (@term, @seq) on @a, @b, @c ("" = fewer), all
 * acked. */
static struct gdfs_meta rec(uint64_t term, uint64_t seq, const char *a,
                            const char *b, const char *c)
{
    const char *ids[GDFS_REPLICAS] = {a, b, c};
    struct gdfs_meta m;

    memset(&m, 0, sizeof(m));
    memcpy(m.name, "f", 1);
    m.namelen = 1;
    m.version.term = term;
    m.version.seq = seq;
    for (unsigned i = 0; i < GDFS_REPLICAS && ids[i][0] != '\0'; i++) {
        snprintf(m.replica[i], sizeof(m.replica[i]), "%s", ids[i]);
        m.acked |= (uint8_t)(1u << i);
        m.nreplicas++;
    }
    return m;
}

static struct gdfs_meta tomb(uint64_t term, uint64_t seq)
{
    struct gdfs_meta m = rec(term, seq, "", "", "");

    m.tombstone = true;
    return m;
}

/* What a node holds after merging @rows in order, as the store does
 * (gdfs_collect_merge on each, NEWER and RESET replace the record). */
static struct gdfs_meta fold(const struct gdfs_meta *rows, unsigned n)
{
    struct gdfs_meta held;
    bool have = false;

    memset(&held, 0, sizeof(held));
    for (unsigned i = 0; i < n; i++) {
        enum gdfs_collect_take t = gdfs_collect_merge(have ? &held : NULL,
                                                      &rows[i]);

        if (t == GDFS_COLLECT_NEWER || t == GDFS_COLLECT_RESET) {
            held = rows[i];
            have = true;
        }
    }
    return held;
}

/* ---- gdfs_collect_merge --------------------------------------------------- */

START_TEST(test_collect_nothing_held_takes_the_record)
{
    struct gdfs_meta m = rec(1, 1, "n1", "n2", "n3");

    ck_assert_int_eq(gdfs_collect_merge(NULL, &m), GDFS_COLLECT_NEWER);
}
END_TEST

START_TEST(test_collect_newer_version_wins)
{
    struct gdfs_meta v5 = rec(2, 5, "n1", "n2", "n3");
    struct gdfs_meta v6 = rec(2, 6, "n1", "n2", "n3");
    struct gdfs_meta t3 = rec(3, 1, "n4", "n2", "n3");

    ck_assert_int_eq(gdfs_collect_merge(&v5, &v6), GDFS_COLLECT_NEWER);
    ck_assert_int_eq(gdfs_collect_merge(&v6, &v5), GDFS_COLLECT_OLDER);
    /* Versions order by term first (DESIGN.md "Version"). */
    ck_assert_int_eq(gdfs_collect_merge(&v6, &t3), GDFS_COLLECT_NEWER);
    ck_assert_int_eq(gdfs_collect_merge(&t3, &v6), GDFS_COLLECT_OLDER);
}
END_TEST

START_TEST(test_collect_same_record_changes_nothing)
{
    struct gdfs_meta a = rec(2, 5, "n1", "n2", "n3");
    struct gdfs_meta b = a;

    ck_assert(gdfs_collect_same(&a, &b));
    ck_assert_int_eq(gdfs_collect_merge(&a, &b), GDFS_COLLECT_KEEP);
}
END_TEST

START_TEST(test_collect_same_version_other_set_replaces)
{
    /* A node holds v5 on n1 n2 n3, and the leader sends v5 on n1 n2 n4
     * (a re-replication's newer set): the one sent replaces it. */
    struct gdfs_meta held = rec(2, 5, "n1", "n2", "n3");
    struct gdfs_meta sent = rec(2, 5, "n1", "n2", "n4");

    ck_assert(!gdfs_collect_same(&held, &sent));
    ck_assert_int_eq(gdfs_collect_merge(&held, &sent), GDFS_COLLECT_RESET);
    /* Acks alone differ: a new record too. */
    sent = held;
    sent.acked = 3;
    ck_assert_int_eq(gdfs_collect_merge(&held, &sent), GDFS_COLLECT_RESET);
}
END_TEST

START_TEST(test_collect_older_version_loses)
{
    /* An overtaken put's record: the newer record held stays. */
    struct gdfs_meta held = rec(2, 6, "n1", "n2", "n3");
    struct gdfs_meta sent = rec(2, 5, "n1", "n2", "n4");

    ck_assert_int_eq(gdfs_collect_merge(&held, &sent), GDFS_COLLECT_OLDER);
}
END_TEST

START_TEST(test_collect_newer_tombstone_removes_the_file)
{
    struct gdfs_meta put = rec(2, 5, "n1", "n2", "n3");
    struct gdfs_meta rm = tomb(2, 6);

    ck_assert_int_eq(gdfs_collect_merge(&put, &rm), GDFS_COLLECT_NEWER);
}
END_TEST

START_TEST(test_collect_older_put_behind_tombstone_loses)
{
    struct gdfs_meta rows[] = {tomb(2, 6), rec(2, 5, "n1", "n2", "n3")};
    struct gdfs_meta held;

    ck_assert_int_eq(gdfs_collect_merge(&rows[0], &rows[1]),
                     GDFS_COLLECT_OLDER);
    held = fold(rows, 2);
    ck_assert(held.tombstone);
    ck_assert_uint_eq(held.version.seq, 6);
}
END_TEST

START_TEST(test_collect_newer_put_after_tombstone_wins)
{
    struct gdfs_meta rows[] = {tomb(2, 6), rec(3, 1, "n1", "n2", "n3")};
    struct gdfs_meta held = fold(rows, 2);

    ck_assert(!held.tombstone);
    ck_assert_uint_eq(held.version.term, 3);
}
END_TEST

START_TEST(test_collect_newest_wins_in_any_order)
{
    struct gdfs_meta rows[] = {
        rec(2, 5, "n1", "n2", "n3"),
        rec(2, 5, "n1", "n2", "n3"),
        rec(2, 6, "n1", "n2", "n4"),
    };
    struct gdfs_meta held = fold(rows, 3);

    ck_assert_uint_eq(held.version.seq, 6);
    ck_assert_str_eq(held.replica[2], "n4");
    /* In any order. */
    held = fold((const struct gdfs_meta[]){rows[2], rows[0], rows[1]}, 3);
    ck_assert_uint_eq(held.version.seq, 6);
}
END_TEST

START_TEST(test_collect_same_version_last_merged_wins)
{
    struct gdfs_meta a = rec(2, 5, "n1", "n2", "n3");
    struct gdfs_meta b = rec(2, 5, "n1", "n2", "n4");
    struct gdfs_meta held;

    held = fold((const struct gdfs_meta[]){a, b}, 2);
    ck_assert_str_eq(held.replica[2], "n4");
    held = fold((const struct gdfs_meta[]){b, a}, 2);
    ck_assert_str_eq(held.replica[2], "n3");
}
END_TEST

/* ---- gdfs_collect_check --------------------------------------------------- */

static char why[512];

START_TEST(test_collect_check_takes_what_a_leader_sends)
{
    struct gdfs_meta page[3] = {rec(3, 10, "a", "b", "c"),
                                rec(1, 2, "a", "", ""), tomb(3, 11)};

    ck_assert_int_eq(gdfs_collect_check(3, page, 3, why, sizeof(why)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_collect_check(3, NULL, 0, why, sizeof(why)),
                     GDFS_OK);
    /* a newer leader sends older terms' records too */
    ck_assert_int_eq(gdfs_collect_check(9, page, 3, why, sizeof(why)),
                     GDFS_OK);
    page[0].version = (struct gdfs_version){GDFS_VERSION_MAX,
                                            GDFS_VERSION_MAX};
    ck_assert_int_eq(gdfs_collect_check(GDFS_VERSION_MAX, page, 1, why,
                                        sizeof(why)),
                     GDFS_OK);
}
END_TEST

START_TEST(test_collect_check_refuses_a_version_of_a_later_term)
{
    /* The leader of term 3 cannot hold a version term 4 assigned: the
     * whole page is refused, naming the record. */
    struct gdfs_meta page[2] = {rec(3, 10, "a", "", ""),
                                rec(4, 11, "a", "", "")};

    ck_assert_int_eq(gdfs_collect_check(3, page, 2, why, sizeof(why)),
                     GDFS_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "record 2 of 2"));
    ck_assert_ptr_nonnull(strstr(why, "later term"));
    ck_assert_int_eq(gdfs_collect_check(4, page, 2, why, sizeof(why)),
                     GDFS_OK);
}
END_TEST

START_TEST(test_collect_check_refuses_terms_and_seqs_out_of_range)
{
    struct gdfs_meta m = rec(1, 1, "a", "", "");

    ck_assert_int_eq(gdfs_collect_check(0, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_collect_check(GDFS_VERSION_MAX + 1, &m, 1, why,
                                        sizeof(why)),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_collect_check(UINT64_MAX, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    m.version.seq = 0;
    ck_assert_int_eq(gdfs_collect_check(1, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    m.version.seq = GDFS_VERSION_MAX + 1;
    ck_assert_int_eq(gdfs_collect_check(1, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    m.version.seq = UINT64_MAX;
    ck_assert_int_eq(gdfs_collect_check(1, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
}
END_TEST

START_TEST(test_collect_check_refuses_records_no_put_makes)
{
    struct gdfs_meta good = rec(2, 5, "a", "b", ""), m;

    m = good;
    m.namelen = 0;
    ck_assert_int_eq(gdfs_collect_check(2, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    m = good;
    m.nreplicas = GDFS_REPLICAS + 1;
    ck_assert_int_eq(gdfs_collect_check(2, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    m = good;
    m.acked = 4; /* replica 2 of 2 */
    ck_assert_int_eq(gdfs_collect_check(2, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    m = good;
    snprintf(m.replica[1], sizeof(m.replica[1]), "a");
    ck_assert_int_eq(gdfs_collect_check(2, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    m = good;
    m.replica[1][0] = '\0';
    ck_assert_int_eq(gdfs_collect_check(2, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
    m = tomb(2, 6);
    m.size = 1;
    m.nchunks = 1;
    ck_assert_int_eq(gdfs_collect_check(2, &m, 1, why, sizeof(why)),
                     GDFS_EINVAL);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *collect_suite(void)
{
    Suite *s = suite_create("collect");
    TCase *tc = tcase_create("collect");

    tcase_add_test(tc, test_collect_nothing_held_takes_the_record);
    tcase_add_test(tc, test_collect_newer_version_wins);
    tcase_add_test(tc, test_collect_same_record_changes_nothing);
    tcase_add_test(tc, test_collect_same_version_other_set_replaces);
    tcase_add_test(tc, test_collect_older_version_loses);
    tcase_add_test(tc, test_collect_newer_tombstone_removes_the_file);
    tcase_add_test(tc, test_collect_older_put_behind_tombstone_loses);
    tcase_add_test(tc, test_collect_newer_put_after_tombstone_wins);
    tcase_add_test(tc, test_collect_newest_wins_in_any_order);
    tcase_add_test(tc, test_collect_same_version_last_merged_wins);
    tcase_add_test(tc, test_collect_check_takes_what_a_leader_sends);
    tcase_add_test(tc, test_collect_check_refuses_a_version_of_a_later_term);
    tcase_add_test(tc, test_collect_check_refuses_terms_and_seqs_out_of_range);
    tcase_add_test(tc, test_collect_check_refuses_records_no_put_makes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(collect_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
