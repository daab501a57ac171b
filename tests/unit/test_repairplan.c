/* Unit tests of repair planning (src/files/repairplan.c): one test per
 * rule in repairplan.h, named for the behaviour. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "files/repairplan.h"

/* ---- fixture ------------------------------------------------------------- */

static struct gdfs_members set;
static struct gdfs_health_member extra[GDFS_GROUP_MAX];
static char drains[4][GDFS_NODE_ID_MAX + 1];
static struct gdfs_meta rec;
static struct gdfs_repairplan_in in;
static struct gdfs_repairplan out;

#define DELAY_MS 1000
#define GRACE_MS 500
#define NOW 100000

/* Members n1..n@n, all alive; a record "f" on n1, n2, n3, all acked. */
static void setup(void)
{
    memset(&set, 0, sizeof(set));
    memset(extra, 0, sizeof(extra));
    memset(drains, 0, sizeof(drains));
    memset(&rec, 0, sizeof(rec));
    memset(&in, 0, sizeof(in));
    set.n = 6;
    for (unsigned i = 0; i < set.n; i++) {
        snprintf(set.m[i].id, sizeof(set.m[i].id), "n%u", i + 1);
        snprintf(set.m[i].addr, sizeof(set.m[i].addr), "127.0.0.1:%u",
                 7000 + i + 1);
    }
    memcpy(rec.name, "f", 1);
    rec.namelen = 1;
    rec.version.term = 2;
    rec.version.seq = 9;
    rec.nreplicas = 3;
    rec.acked = 7;
    for (unsigned i = 0; i < 3; i++)
        snprintf(rec.replica[i], sizeof(rec.replica[i]), "n%u", i + 1);
    in.m = &rec;
    in.set = &set;
    in.extra = extra;
    in.drains = (const char(*)[GDFS_NODE_ID_MAX + 1]) drains;
    in.now = NOW;
    in.cfg.repair_delay_ms = DELAY_MS;
    in.cfg.unacked_grace_ms = GRACE_MS;
}

static void teardown(void)
{
}

/* Member n@k (1-based) failed for @ms. */
static void failed(unsigned k, uint64_t ms)
{
    set.m[k - 1].state = GDFS_MEMBER_FAILED;
    extra[k - 1].failed_for_ms = ms;
}

static void drain(unsigned k)
{
    snprintf(drains[in.ndrains++], sizeof(drains[0]), "n%u", k);
    extra[k - 1].draining = true;
}

static void plan(void)
{
    gdfs_repairplan_make(&in, &out);
}

static bool names(const struct gdfs_meta *m, const char *id)
{
    for (unsigned i = 0; i < m->nreplicas; i++)
        if (strcmp(m->replica[i], id) == 0)
            return true;
    return false;
}

/* ---- what needs work ------------------------------------------------------ */

START_TEST(test_repairplan_healthy_record_needs_nothing)
{
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_NONE);
    ck_assert_uint_eq(out.good, 3);
    ck_assert_uint_eq(out.want, 3);
    ck_assert(!out.under);
    ck_assert(!out.unacked);
}
END_TEST

START_TEST(test_repairplan_tombstone_needs_no_copies)
{
    rec.tombstone = true;
    failed(1, DELAY_MS * 10);
    failed(2, DELAY_MS * 10);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_NONE);
    ck_assert(!out.under);
}
END_TEST

START_TEST(test_repairplan_failed_member_waits_repair_delay)
{
    failed(2, DELAY_MS - 1);
    plan();
    /* Under-replicated at once (n2's copy is not on a live member), but
     * no copy before the delay: a quick restart must not start a storm. */
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_WAIT);
    ck_assert_uint_eq(out.good, 3);
    ck_assert_uint_eq(out.live, 2);
    ck_assert(out.under);
    failed(2, DELAY_MS);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert(out.under);
    ck_assert_uint_eq(out.good, 2);
}
END_TEST

START_TEST(test_repairplan_suspect_member_counts_and_is_a_source)
{
    set.m[1].state = GDFS_MEMBER_SUSPECT;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_NONE);
    failed(3, DELAY_MS);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_uint_eq(out.nsrc, 2); /* n1 and the suspect n2 */
    ck_assert_int_eq(out.src[0], 0);
    ck_assert_int_eq(out.src[1], 1);
}
END_TEST

START_TEST(test_repairplan_failed_member_is_no_source)
{
    failed(1, DELAY_MS);
    failed(2, DELAY_MS - 1); /* still counts, but cannot serve a copy */
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_uint_eq(out.nsrc, 1);
    ck_assert_int_eq(out.src[0], 2);
}
END_TEST

START_TEST(test_repairplan_draining_member_hands_off)
{
    drain(2);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_int_eq(out.drain[0], -1);
    ck_assert_int_eq(out.drain[1], 0);
    /* The draining copy is a source, and leaves the new set. */
    ck_assert_uint_eq(out.nsrc, 3);
    ck_assert(!names(&out.next, "n2"));
    ck_assert_uint_eq(out.next.nreplicas, 3);
}
END_TEST

START_TEST(test_repairplan_draining_member_is_never_the_target)
{
    failed(3, DELAY_MS);
    for (unsigned k = 4; k <= 5; k++)
        drain(k);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_str_eq(set.m[out.target].id, "n6");
    /* Four members, n1 and n4 leaving: n1's copy has nowhere to go. */
    setup();
    set.n = 4;
    drain(1);
    drain(4);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_STUCK);
    ck_assert_str_eq(out.why, "no member left to take a copy");
}
END_TEST

START_TEST(test_repairplan_no_healthy_source_is_stuck)
{
    failed(1, DELAY_MS);
    failed(2, DELAY_MS);
    failed(3, DELAY_MS);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_STUCK);
    ck_assert_str_eq(out.why, "no healthy replica to copy from");
    ck_assert(out.under);
    ck_assert_uint_eq(out.good, 0);
}
END_TEST

START_TEST(test_repairplan_copy_in_flight_waits)
{
    failed(2, DELAY_MS);
    in.in_flight = true;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_BUSY);
    ck_assert(out.under); /* still counted as under-replicated */
}
END_TEST

START_TEST(test_repairplan_backoff_until_retry_at)
{
    failed(2, DELAY_MS);
    in.retry_at = NOW + 1;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_BACKOFF);
    ck_assert(out.under);
    in.retry_at = NOW;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
}
END_TEST

START_TEST(test_repairplan_unacked_age_starts_at_first_sight)
{
    rec.acked = 3; /* n3 never acked */
    plan();
    ck_assert(out.unacked);
    ck_assert_uint_eq(out.unacked_since, NOW);       /* a new note */
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_NONE); /* within the grace */
    in.unacked_since = NOW - GRACE_MS + 1;
    plan();
    ck_assert_uint_eq(out.unacked_since, NOW - GRACE_MS + 1);
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_NONE);
    in.unacked_since = NOW - GRACE_MS;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
}
END_TEST

START_TEST(test_repairplan_unacked_alive_replica_is_the_target)
{
    rec.acked = 3;
    in.unacked_since = NOW - GRACE_MS;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_str_eq(set.m[out.target].id, "n3");
    /* It appears once, now acked. */
    ck_assert_uint_eq(out.next.nreplicas, 3);
    ck_assert_uint_eq(out.next.acked, 7);
    ck_assert_str_eq(out.next.replica[2], "n3");
    /* A suspect unacked replica is not asked: placement picks another. */
    set.m[2].state = GDFS_MEMBER_SUSPECT;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert(strcmp(set.m[out.target].id, "n3") != 0);
}
END_TEST

START_TEST(test_repairplan_target_distinct_from_replicas)
{
    for (uint64_t t = 1; t < 40; t++) {
        rec.version.term = t; /* other names would do as well */
        rec.name[0] = (uint8_t)('a' + t % 26);
        failed(1, DELAY_MS);
        plan();
        ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
        ck_assert(!names(&rec, set.m[out.target].id));
        ck_assert_int_eq(set.m[out.target].state, GDFS_MEMBER_ALIVE);
    }
}
END_TEST

START_TEST(test_repairplan_never_fewer_copies_than_now)
{
    failed(1, DELAY_MS);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    /* Every replica that counts stays, with its ack; the target joins. */
    ck_assert_uint_eq(out.next.nreplicas, out.good + 1);
    ck_assert(names(&out.next, "n2"));
    ck_assert(names(&out.next, "n3"));
    ck_assert(!names(&out.next, "n1"));
    ck_assert_uint_eq(out.next.acked, 7);
    ck_assert(out.next.version.seq == rec.version.seq);
    /* A failed member still within its delay counts and is kept. */
    failed(2, DELAY_MS - 1);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert(names(&out.next, "n2"));
}
END_TEST

START_TEST(test_repairplan_departed_replica_lost_at_once)
{
    set.m[1].state = GDFS_MEMBER_LEFT;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_uint_eq(out.good, 2);
    ck_assert(!names(&out.next, "n2"));
    snprintf(rec.replica[1], sizeof(rec.replica[1]), "gone");
    set.m[1].state = GDFS_MEMBER_ALIVE;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert(!out.unacked); /* a non-member's ack does not matter */
}
END_TEST

START_TEST(test_repairplan_under_replicated_when_good_below_want)
{
    /* The figure status shows: replicas that count below what the file
     * should have, whatever is done about it. */
    failed(1, DELAY_MS - 1); /* counts for repair (WAIT), not as live */
    plan();
    ck_assert(out.under);
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_WAIT);
    failed(1, DELAY_MS);
    plan();
    ck_assert(out.under);
    ck_assert_uint_eq(out.good, 2);
    ck_assert_uint_eq(out.want, 3);
    /* A record naming fewer replicas than wanted is under-replicated. */
    set.m[0].state = GDFS_MEMBER_ALIVE;
    rec.nreplicas = 2;
    plan();
    ck_assert(out.under);
    /* Once the members are too few, fewer replicas are wanted. */
    set.n = 2;
    plan();
    ck_assert(!out.under);
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_NONE);
}
END_TEST

START_TEST(test_repairplan_three_nodes_one_failed_waits_quietly)
{
    /* Issue 13: 3 members, n3 failed past the delay. The file is short
     * (want 3, 2 live) but every live member holds a copy: WAIT, not
     * STUCK (which logs), until n3 comes back or a member joins. */
    set.n = 3;
    failed(3, DELAY_MS * 10);
    plan();
    ck_assert_uint_eq(out.want, 3);
    ck_assert_uint_eq(out.live, 2);
    ck_assert(out.under);
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_WAIT);
    ck_assert_str_eq(out.why, "no member left to take a copy");
    /* A fourth member: the copy goes there. */
    set.n = 4;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_str_eq(set.m[out.target].id, "n4");
    /* n3 back: healthy again. */
    set.n = 3;
    set.m[2].state = GDFS_MEMBER_ALIVE;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_NONE);
    ck_assert(!out.under);
}
END_TEST

START_TEST(test_repairplan_small_group_wants_fewer)
{
    set.n = 2;
    rec.nreplicas = 2;
    rec.acked = 3;
    plan();
    ck_assert_uint_eq(out.want, 2);
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_NONE);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

/* ---- inventory: a replica whose member lacks the version ------------------ */

START_TEST(test_repairplan_missing_copy_is_restored_on_its_member)
{
    /* n2 came back with an emptied disk: its inventory lacks "f" */
    in.missing = 2;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert(out.under);
    ck_assert_uint_eq(out.good, 2);
    ck_assert_uint_eq(out.live, 2);
    /* back onto n2 itself, from the two that hold it */
    ck_assert_str_eq(set.m[out.target].id, "n2");
    ck_assert_uint_eq(out.nsrc, 2);
    for (unsigned i = 0; i < out.nsrc; i++)
        ck_assert_str_ne(set.m[out.src[i]].id, "n2");
    ck_assert_uint_eq(out.next.nreplicas, 3);
    ck_assert_uint_eq(out.next.acked, 7);
    ck_assert(names(&out.next, "n1") && names(&out.next, "n2") &&
              names(&out.next, "n3"));
}
END_TEST

START_TEST(test_repairplan_missing_everywhere_is_stuck)
{
    /* no member holds it: nothing to copy from */
    in.missing = 7;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_STUCK);
    ck_assert(out.under);
    ck_assert_uint_eq(out.good, 0);
}
END_TEST

START_TEST(test_repairplan_target_needs_room_above_reserve)
{
    struct gdfs_capacity room[GDFS_GROUP_MAX];

    memset(room, 0, sizeof(room)); /* unknown: usable */
    rec.size = 1000;
    failed(2, DELAY_MS);
    in.room = room;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    /* Every other member without room for the file: none is the target,
     * and the file waits as when no member is free. */
    for (unsigned i = 3; i < set.n; i++)
        room[i] = (struct gdfs_capacity){true, 0, 1000 + 100, 100};
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_WAIT);
    ck_assert_str_eq(out.why, "no member left to take a copy");
    /* One byte more above n5's reserve and it takes the copy. */
    room[4].free++;
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_int_eq(out.target, 4);
}
END_TEST

START_TEST(test_repairplan_missing_on_failed_member_goes_elsewhere)
{
    /* a failed member that lacks the copy is lost at once, and cannot take
     * a copy: placement picks another member */
    in.missing = 2;
    failed(2, 1);
    plan();
    ck_assert_int_eq(out.act, GDFS_REPAIRPLAN_COPY);
    ck_assert_str_ne(set.m[out.target].id, "n2");
    ck_assert(!names(&out.next, "n2"));
}
END_TEST

static Suite *repairplan_suite(void)
{
    Suite *s = suite_create("repairplan");
    TCase *tc = tcase_create("repairplan");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_repairplan_healthy_record_needs_nothing);
    tcase_add_test(tc, test_repairplan_tombstone_needs_no_copies);
    tcase_add_test(tc, test_repairplan_failed_member_waits_repair_delay);
    tcase_add_test(tc, test_repairplan_suspect_member_counts_and_is_a_source);
    tcase_add_test(tc, test_repairplan_failed_member_is_no_source);
    tcase_add_test(tc, test_repairplan_draining_member_hands_off);
    tcase_add_test(tc, test_repairplan_draining_member_is_never_the_target);
    tcase_add_test(tc, test_repairplan_no_healthy_source_is_stuck);
    tcase_add_test(tc, test_repairplan_copy_in_flight_waits);
    tcase_add_test(tc, test_repairplan_backoff_until_retry_at);
    tcase_add_test(tc, test_repairplan_unacked_age_starts_at_first_sight);
    tcase_add_test(tc, test_repairplan_unacked_alive_replica_is_the_target);
    tcase_add_test(tc, test_repairplan_target_distinct_from_replicas);
    tcase_add_test(tc, test_repairplan_never_fewer_copies_than_now);
    tcase_add_test(tc, test_repairplan_departed_replica_lost_at_once);
    tcase_add_test(tc, test_repairplan_under_replicated_when_good_below_want);
    tcase_add_test(tc, test_repairplan_three_nodes_one_failed_waits_quietly);
    tcase_add_test(tc, test_repairplan_small_group_wants_fewer);
    tcase_add_test(tc, test_repairplan_missing_copy_is_restored_on_its_member);
    tcase_add_test(tc, test_repairplan_missing_everywhere_is_stuck);
    tcase_add_test(tc, test_repairplan_target_needs_room_above_reserve);
    tcase_add_test(tc,
                   test_repairplan_missing_on_failed_member_goes_elsewhere);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(repairplan_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
