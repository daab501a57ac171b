/* Unit tests of the group thread's inbox (src/node/group/inbox.c): order,
 * the quota of each member and the one all other senders share, that a
 * flood from one sender leaves the others their room, and the counts of
 * what was refused. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/group/inbox.h"

static struct gdfs_inbox ib;

static void setup(void)
{
    gdfs_inbox_init(&ib);
}

static void teardown(void)
{
    gdfs_inbox_clear(&ib);
}

/* A message "from" @from (term @seq, to tell them apart). */
static struct gdfs_gmsg *msg(const char *from, uint64_t seq)
{
    struct gdfs_gmsg *m = calloc(1, sizeof(*m));

    ck_assert_ptr_nonnull(m);
    m->type = GDFS_GMSG_HEARTBEAT;
    snprintf(m->from, sizeof(m->from), "%s", from);
    m->term = seq;
    return m;
}

/* Put a message from @from, as a member or not; true if queued (else it
 * is freed here, as the host does). */
static bool put(const char *from, bool member, uint64_t seq)
{
    struct gdfs_gmsg *m = msg(from, seq);

    if (gdfs_inbox_put(&ib, m, member ? from : NULL))
        return true;
    free(m);
    return false;
}

/* ---- order --------------------------------------------------------------- */

START_TEST(test_inbox_first_in_first_out)
{
    struct gdfs_gmsg *m;

    ck_assert_ptr_null(gdfs_inbox_take(&ib));
    ck_assert(put("n1", true, 1));
    ck_assert(put("n2", true, 2));
    ck_assert(put("x", false, 3));
    for (uint64_t seq = 1; seq <= 3; seq++) {
        m = gdfs_inbox_take(&ib);
        ck_assert_ptr_nonnull(m);
        ck_assert_uint_eq(m->term, seq);
        free(m);
    }
    ck_assert_ptr_null(gdfs_inbox_take(&ib));
    ck_assert_uint_eq(ib.dropped, 0);
}
END_TEST

/* ---- quotas -------------------------------------------------------------- */

START_TEST(test_inbox_one_member_gets_its_quota_only)
{
    for (int i = 0; i < GDFS_INBOX_PER_SENDER; i++)
        ck_assert(put("n1", true, (uint64_t)i));
    ck_assert(!put("n1", true, 99));
    ck_assert(!put("n1", true, 100));
    ck_assert_uint_eq(ib.dropped, 2);
    ck_assert_str_eq(ib.last_dropped, "n1");
    /* Another member is not held back by it. */
    ck_assert(put("n2", true, 1));
    /* Taking one of n1's makes room for one more of n1's. */
    free(gdfs_inbox_take(&ib));
    ck_assert(put("n1", true, 101));
    ck_assert(!put("n1", true, 102));
    ck_assert_uint_eq(ib.count, GDFS_INBOX_PER_SENDER + 1);
}
END_TEST

START_TEST(test_inbox_strangers_share_one_quota)
{
    char id[16];

    /* Made-up ids, one message each: they all count as one sender. */
    for (int i = 0; i < GDFS_INBOX_PER_SENDER; i++) {
        snprintf(id, sizeof(id), "fake%d", i);
        ck_assert(put(id, false, (uint64_t)i));
    }
    ck_assert(!put("fake-next", false, 0));
    ck_assert_str_eq(ib.last_dropped, "fake-next");
    ck_assert(put("n1", true, 0));
}
END_TEST

START_TEST(test_inbox_flood_leaves_every_member_its_room)
{
    char id[16];

    /* One member and the strangers flood; every member of a full group
     * still gets its whole quota in. */
    for (int i = 0; i < 10 * GDFS_INBOX_PER_SENDER; i++) {
        put("n0", true, (uint64_t)i);
        snprintf(id, sizeof(id), "x%d", i);
        put(id, false, (uint64_t)i);
    }
    for (int k = 1; k < GDFS_GROUP_MAX; k++) {
        snprintf(id, sizeof(id), "n%d", k);
        for (int i = 0; i < GDFS_INBOX_PER_SENDER; i++)
            ck_assert_msg(put(id, true, (uint64_t)i), "%s refused", id);
    }
    ck_assert_uint_eq(ib.count, GDFS_INBOX_MAX);
    ck_assert_uint_eq(ib.dropped, 2 * 9 * GDFS_INBOX_PER_SENDER);
}
END_TEST

START_TEST(test_inbox_more_senders_than_slots_are_refused)
{
    char id[16];
    unsigned queued = 0;

    /* More distinct member ids than any member set holds (the set changed
     * while their messages waited): the excess is refused, not lost
     * track of. */
    for (int k = 0; k < GDFS_INBOX_SENDERS + 5; k++) {
        snprintf(id, sizeof(id), "m%d", k);
        queued += put(id, true, (uint64_t)k);
    }
    ck_assert_uint_eq(queued, GDFS_INBOX_SENDERS);
    ck_assert_uint_eq(ib.dropped, 5);
    /* A sender whose messages were all taken frees its slot. */
    free(gdfs_inbox_take(&ib));
    ck_assert(put("late", true, 0));
}
END_TEST

START_TEST(test_inbox_clear_frees_what_waits)
{
    ck_assert(put("n1", true, 1));
    ck_assert(put("x", false, 2));
    gdfs_inbox_clear(&ib); /* ASan / valgrind: nothing leaks */
    ck_assert_uint_eq(ib.count, 0);
    ck_assert_ptr_null(gdfs_inbox_take(&ib));
    ck_assert(put("n1", true, 3));
}
END_TEST

static Suite *inbox_suite(void)
{
    Suite *s = suite_create("inbox");
    TCase *tc = tcase_create("inbox");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_inbox_first_in_first_out);
    tcase_add_test(tc, test_inbox_one_member_gets_its_quota_only);
    tcase_add_test(tc, test_inbox_strangers_share_one_quota);
    tcase_add_test(tc, test_inbox_flood_leaves_every_member_its_room);
    tcase_add_test(tc, test_inbox_more_senders_than_slots_are_refused);
    tcase_add_test(tc, test_inbox_clear_frees_what_waits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(inbox_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
