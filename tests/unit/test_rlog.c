/* Tests of the record log (src/core/rlog.c) over in-memory storage: exact
 * scenarios from the Raft paper first (Figure 7's follower logs, Figure
 * 8's commit rule, truncation, snapshots, hostile input), then thousands
 * of randomized schedules of 3 and 5 nodes (drops, duplicates, reordering,
 * partitions, crashes, restarts, compaction) with a small election model,
 * checking Election Safety, Log Matching, Leader Completeness and State
 * Machine Safety (Raft paper Figure 3) at every step. Each check is shown
 * to fail when the rule behind it is broken on purpose. A failing seed is
 * printed; GDFS_SIM_SEED=N replays only that one, GDFS_SIM_SEEDS=N sets
 * how many. */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rlog.h"
#include "err.h"
#include "rlog_mem.h"
#include "rlog_sim.h"

static const struct gdfs_rlog_cfg cfg0 = {.batch_max = 8};

/* ---- exact scenarios ---------------------------------------------------- */

struct pair {
    struct store ls, fs; /* leader's and follower's */
    struct gdfs_rlog leader, follower;
};

/* Fill @s with entries of @terms (values index * 100 + term). */
static void fill(struct store *s, const uint64_t *terms, size_t n)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < n; i++) {
        s->e[i].term = terms[i];
        s->e[i].val = (i + 1) * 100 + terms[i];
    }
    s->n = n;
}

/* One round: the leader sends to voter 1, which answers. Returns the
 * follower's rc. */
static int round_trip(struct pair *p)
{
    struct gdfs_rlog_entry buf[8];
    struct gdfs_rlog_req req;
    struct gdfs_rlog_ack ack;
    bool snap;
    int rc;

    ck_assert_int_eq(gdfs_rlog_prepare(&p->leader, 1, 1 << 20, buf, &req,
                                       &snap),
                     GDFS_OK);
    if (snap) {
        p->fs.pending_hash = p->ls.snap_hash;
        rc = gdfs_rlog_take_snapshot(&p->follower, p->leader.snap_index,
                                     p->leader.snap_term, &ack);
    } else {
        rc = gdfs_rlog_take_append(&p->follower, &req, &ack);
    }
    if (rc == GDFS_OK)
        ck_assert_int_eq(gdfs_rlog_take_ack(&p->leader, 1, &ack), GDFS_OK);
    return rc;
}

static bool same_log(const struct store *a, const struct store *b)
{
    if (mem_last(a) != mem_last(b))
        return false;
    for (uint64_t i = 1; i <= mem_last(a); i++) {
        if (i <= a->snap_index || i <= b->snap_index)
            continue;
        const struct ent *x = &a->e[i - a->snap_index - 1];
        const struct ent *y = &b->e[i - b->snap_index - 1];
        if (x->term != y->term || x->val != y->val)
            return false;
    }
    return true;
}

static uint64_t noop = 0;
static const void *const noop_data[1] = {&noop};
static const size_t noop_len[1] = {sizeof(noop)};

static const uint64_t fig7_leader[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};

/* Raft paper Figure 7: the leader of term 8 brings each follower's log to
 * its own, removing what conflicts, in a few rounds. */
static void fig7(const uint64_t *terms, size_t n, unsigned max_rounds)
{
    static struct pair p;
    unsigned rounds = 0;

    fill(&p.ls, fig7_leader, 10);
    fill(&p.fs, terms, n);
    ck_assert_int_eq(mem_open(&p.leader, &p.ls, &cfg0, 0), GDFS_OK);
    ck_assert_int_eq(mem_open(&p.follower, &p.fs, &cfg0, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_lead(&p.leader, 8, 3, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_append(&p.leader, noop_data, noop_len, 1),
                     GDFS_OK);
    while (!same_log(&p.ls, &p.fs)) {
        ck_assert_int_eq(round_trip(&p), GDFS_OK);
        ck_assert_uint_le(++rounds, max_rounds);
    }
    ck_assert_int_eq(round_trip(&p), GDFS_OK); /* the ack of the last */
    ck_assert_uint_eq(p.leader.peer[1].match, 11);
    /* a majority (leader and this follower) holds index 11, of term 8 */
    ck_assert_uint_eq(p.leader.commit, 11);
    ck_assert_uint_eq(p.leader.applied, 11);
}

/* The followers (a)-(f) of Figure 7, with the rounds each may take. */
static const struct fig7_case {
    const char *what;
    uint64_t terms[12];
    size_t n;
    unsigned max_rounds;
} fig7_cases[] = {
    {"a: missing one", {1, 1, 1, 4, 4, 5, 5, 6, 6}, 9, 3},
    {"b: missing many", {1, 1, 1, 4}, 4, 3},
    {"c: an extra entry of term 6", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 11, 3},
    {"d: extra entries of term 7",
     {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},
     12,
     3},
    {"e: conflicting entries of term 4", {1, 1, 1, 4, 4, 4, 4}, 7, 4},
    {"f: conflicting entries of terms 2 and 3",
     {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},
     11,
     4},
};

START_TEST(test_rlog_figure7_follower_brought_to_leader)
{
    const struct fig7_case *c = &fig7_cases[_i];
    fig7(c->terms, c->n, c->max_rounds);
}
END_TEST

/* Figure 8 (c): S1 leads term 4 of 5 voters with (1, 2:2) and learns
 * that S2 and S3 hold index 2 of term 2 too: a majority. */
static void fig8(struct gdfs_rlog *l, struct store *s,
                 const struct gdfs_rlog_cfg *c)
{
    static const uint64_t t[] = {1, 2};
    struct gdfs_rlog_ack ok2 = {.ok = true, .match = 2};

    fill(s, t, 2);
    ck_assert_int_eq(mem_open(l, s, c, 1), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_lead(l, 4, 5, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_take_ack(l, 1, &ok2), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_take_ack(l, 2, &ok2), GDFS_OK);
}

/* ... yet index 2 is not committed until an entry of term 4 is. */
START_TEST(test_rlog_figure8_old_term_not_committed_by_count)
{
    static struct store s;
    struct gdfs_rlog l;
    struct gdfs_rlog_ack ok3 = {.ok = true, .match = 3};

    fig8(&l, &s, &cfg0);
    ck_assert_uint_eq(l.commit, 1);
    ck_assert_int_eq(gdfs_rlog_append(&l, noop_data, noop_len, 1), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_take_ack(&l, 1, &ok3), GDFS_OK);
    ck_assert_uint_eq(l.commit, 1);
    ck_assert_int_eq(gdfs_rlog_take_ack(&l, 2, &ok3), GDFS_OK);
    ck_assert_uint_eq(l.commit, 3); /* index 3 of term 4: 2 comes along */
    ck_assert_uint_eq(l.applied, 3);
}
END_TEST

/* The test switch commits by count alone: the rule above is what it
 * breaks. */
START_TEST(test_rlog_figure8_switch_commits_old_term)
{
    static struct store s;
    struct gdfs_rlog l;
    struct gdfs_rlog_cfg c = cfg0;

    c.test_commit_old_terms = true;
    fig8(&l, &s, &c);
    ck_assert_uint_eq(l.commit, 2);
}
END_TEST

START_TEST(test_rlog_election_restriction)
{
    static const uint64_t t[] = {1, 1, 3};
    static struct store s;
    struct gdfs_rlog l;

    fill(&s, t, 3);
    ck_assert_int_eq(mem_open(&l, &s, &cfg0, 0), GDFS_OK);
    ck_assert(gdfs_rlog_up_to_date(&l, 3, 3));
    ck_assert(gdfs_rlog_up_to_date(&l, 3, 4));
    ck_assert(!gdfs_rlog_up_to_date(&l, 3, 2));
    ck_assert(gdfs_rlog_up_to_date(&l, 4, 1));
    ck_assert(!gdfs_rlog_up_to_date(&l, 2, 99));
}
END_TEST

/* A conflicting suffix goes; a committed entry never does, and a request
 * that asks for it is refused with the state unchanged. */
START_TEST(test_rlog_truncates_conflict_but_not_committed)
{
    static const uint64_t t[] = {1, 1, 2, 2};
    static struct store s;
    struct gdfs_rlog l;
    struct gdfs_rlog_entry e[2];
    uint64_t v[2] = {77, 78};
    struct gdfs_rlog_req req = {
        .prev_index = 2, .prev_term = 1, .commit = 4, .entries = e, .n = 2};
    struct gdfs_rlog_ack ack;

    for (int i = 0; i < 2; i++) {
        e[i].index = 3 + i;
        e[i].term = 3;
        e[i].data = &v[i];
        e[i].len = sizeof(v[i]);
    }
    fill(&s, t, 4);
    ck_assert_int_eq(mem_open(&l, &s, &cfg0, 3), GDFS_OK); /* 3 committed */
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    ck_assert_uint_eq(mem_last(&s), 4);
    ck_assert_uint_eq(s.e[2].term, 2);
    ck_assert_uint_eq(l.commit, 3);

    ck_assert_int_eq(mem_open(&l, &s, &cfg0, 2), GDFS_OK); /* 2 committed */
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_OK);
    ck_assert(ack.ok);
    ck_assert_uint_eq(ack.match, 4);
    ck_assert_uint_eq(s.e[2].term, 3);
    ck_assert_uint_eq(s.e[3].val, 78);
    ck_assert_uint_eq(l.last_term, 3);
    ck_assert_uint_eq(l.commit, 4); /* min(leader commit, last new) */
    ck_assert_uint_eq(l.applied, 4);

    /* a prev entry denied at a committed index is hostile too */
    req.prev_term = 2;
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
}
END_TEST

/* Commit follows the last new entry, not the leader's commit alone. */
START_TEST(test_rlog_follower_commit_is_min_of_last_new)
{
    static const uint64_t t[] = {1, 1, 1, 1, 1};
    static struct store s;
    struct gdfs_rlog l;
    struct gdfs_rlog_req req = {.prev_index = 2, .prev_term = 1, .commit = 5};
    struct gdfs_rlog_ack ack;

    fill(&s, t, 5); /* entries 3..5 may still differ from the leader's */
    ck_assert_int_eq(mem_open(&l, &s, &cfg0, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_OK);
    ck_assert_uint_eq(l.commit, 2);
    ck_assert_uint_eq(ack.match, 2);
}
END_TEST

/* A follower behind the snapshot gets the snapshot, then the tail. */
START_TEST(test_rlog_snapshot_sent_then_tail)
{
    static const uint64_t lt[] = {1, 1, 2, 2, 2, 3};
    static const uint64_t ft[] = {1, 2};
    static struct pair p;
    bool snap;
    struct gdfs_rlog_entry buf[8];
    struct gdfs_rlog_req req;

    fill(&p.ls, lt, 6);
    fill(&p.fs, ft, 2);
    ck_assert_int_eq(mem_open(&p.leader, &p.ls, &cfg0, 5), GDFS_OK);
    ck_assert_int_eq(mem_open(&p.follower, &p.fs, &cfg0, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_compact(&p.leader), GDFS_OK);
    ck_assert_uint_eq(p.ls.snap_index, 5);
    ck_assert_uint_eq(p.ls.n, 1);
    ck_assert_int_eq(gdfs_rlog_compact(&p.leader), GDFS_OK); /* no-op */
    ck_assert_uint_eq(p.leader.snap_index, 5);
    ck_assert_int_eq(gdfs_rlog_lead(&p.leader, 3, 3, 0), GDFS_OK);
    /* next = 7 at first: a failure backs it up to below the snapshot */
    ck_assert_int_eq(round_trip(&p), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_prepare(&p.leader, 1, 1 << 20, buf, &req,
                                       &snap),
                     GDFS_OK);
    ck_assert(snap);
    ck_assert_int_eq(round_trip(&p), GDFS_OK); /* the snapshot */
    ck_assert_uint_eq(p.fs.snap_index, 5);
    ck_assert_uint_eq(p.fs.n, 0); /* its entry 2 of term 2 disagreed */
    ck_assert_uint_eq(p.follower.applied, 5);
    ck_assert_uint_eq(p.fs.hash, p.ls.snap_hash);
    ck_assert_int_eq(round_trip(&p), GDFS_OK); /* the tail */
    ck_assert(same_log(&p.ls, &p.fs));
    ck_assert_uint_eq(p.leader.peer[1].match, 6);
}
END_TEST

/* Compacting below the applied index keeps a tail: a follower just
 * behind gets entries, one behind the new snapshot gets the snapshot. */
START_TEST(test_rlog_compact_to_keeps_a_tail)
{
    static const uint64_t lt[] = {1, 1, 2, 2, 2, 3};
    static struct store s;
    struct gdfs_rlog_entry buf[8];
    struct gdfs_rlog_req req;
    struct gdfs_rlog l;
    bool snap;

    fill(&s, lt, 6);
    ck_assert_int_eq(mem_open(&l, &s, &cfg0, 5), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_compact_to(&l, 6), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_rlog_compact_to(&l, 3), GDFS_OK);
    ck_assert_uint_eq(s.snap_index, 3);
    ck_assert_uint_eq(l.snap_term, 2);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_int_eq(gdfs_rlog_compact_to(&l, 2), GDFS_OK); /* no-op */
    ck_assert_uint_eq(l.snap_index, 3);
    ck_assert_int_eq(gdfs_rlog_lead(&l, 3, 3, 0), GDFS_OK);
    l.peer[1].next = 4;
    ck_assert_int_eq(gdfs_rlog_prepare(&l, 1, 1 << 20, buf, &req, &snap),
                     GDFS_OK);
    ck_assert(!snap);
    ck_assert_uint_eq(req.prev_index, 3);
    ck_assert_uint_eq(req.prev_term, 2);
    ck_assert_uint_eq(req.n, 3);
    l.peer[2].next = 3;
    ck_assert_int_eq(gdfs_rlog_prepare(&l, 2, 1 << 20, buf, &req, &snap),
                     GDFS_OK);
    ck_assert(snap);
}
END_TEST

/* A voter that acknowledged every entry and then lost its log (an emptied
 * disk, taken back under its id) is sent the whole log again, instead of
 * being refused forever at the index it once held. */
START_TEST(test_rlog_follower_that_lost_its_log_is_refilled)
{
    static const uint64_t lt[] = {1, 1, 2, 2, 2, 3};
    static struct pair p;

    fill(&p.ls, lt, 6);
    memset(&p.fs, 0, sizeof(p.fs));
    ck_assert_int_eq(mem_open(&p.leader, &p.ls, &cfg0, 6), GDFS_OK);
    ck_assert_int_eq(mem_open(&p.follower, &p.fs, &cfg0, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_lead(&p.leader, 3, 3, 0), GDFS_OK);
    p.leader.peer[1].match = 6;
    p.leader.peer[1].next = 7;
    for (int i = 0; i < 3 && !same_log(&p.ls, &p.fs); i++)
        ck_assert_int_eq(round_trip(&p), GDFS_OK);
    ck_assert(same_log(&p.ls, &p.fs));
    ck_assert_uint_eq(p.leader.peer[1].match, 6);
    ck_assert_uint_eq(p.leader.commit, 6); /* never moved back */
}
END_TEST

/* A snapshot ending on an entry the follower holds keeps what follows. */
START_TEST(test_rlog_snapshot_keeps_agreeing_tail)
{
    static const uint64_t t[] = {1, 1, 2, 2};
    static struct store s;
    struct gdfs_rlog l;
    struct gdfs_rlog_ack ack;

    fill(&s, t, 4);
    ck_assert_int_eq(mem_open(&l, &s, &cfg0, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_take_snapshot(&l, 3, 2, &ack), GDFS_OK);
    ck_assert(ack.ok);
    ck_assert_uint_eq(ack.match, 3);
    ck_assert_uint_eq(s.snap_index, 3);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_uint_eq(l.last_index, 4);
    ck_assert_uint_eq(l.commit, 3);
    /* an older snapshot changes nothing */
    ck_assert_int_eq(gdfs_rlog_take_snapshot(&l, 2, 1, &ack), GDFS_OK);
    ck_assert_uint_eq(s.snap_index, 3);
}
END_TEST

/* Every number from a message is checked; nothing changes on refusal. */
START_TEST(test_rlog_refuses_hostile_numbers)
{
    static const uint64_t t[] = {1, 2};
    static struct store s;
    struct gdfs_rlog l;
    struct gdfs_rlog_entry e = {.index = 3, .term = 2, .len = 8};
    uint64_t v = 5;
    struct gdfs_rlog_req req = {.prev_index = 2,
                                .prev_term = 2,
                                .entries = &e,
                                .n = 1};
    struct gdfs_rlog_ack ack;
    const uint64_t big = GDFS_RLOG_LIMIT;

    e.data = &v;
    fill(&s, t, 2);
    ck_assert_int_eq(mem_open(&l, &s, &cfg0, 0), GDFS_OK);
    req.commit = big;
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    req.commit = 0;
    e.index = 4; /* out of sequence */
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    e.index = 3;
    e.term = 1; /* falls below prev term */
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    e.term = big;
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    e.term = 2;
    req.prev_index = big - 1;
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    req.prev_index = 0; /* prev 0 with a term */
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    req.prev_index = 2;
    e.data = NULL;
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    ck_assert_uint_eq(mem_last(&s), 2);
    ck_assert_int_eq(gdfs_rlog_take_snapshot(&l, big, 1, &ack), GDFS_EPROTO);
    ck_assert_int_eq(gdfs_rlog_take_snapshot(&l, 3, 0, &ack), GDFS_EPROTO);
    ck_assert_uint_eq(l.snap_index, 0);
    /* a gap is not hostile: the answer asks for earlier entries */
    e.data = &v;
    req.prev_index = 9;
    req.prev_term = 2;
    e.index = 10;
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_OK);
    ck_assert(!ack.ok);
    ck_assert_uint_eq(ack.last_index, 2);

    /* a leader refuses acks claiming more than it holds, and entries
     * or a snapshot (another leader of its term) */
    ck_assert_int_eq(gdfs_rlog_lead(&l, 3, 3, 0), GDFS_OK);
    req.prev_index = 2;
    e.index = 3;
    ck_assert_int_eq(gdfs_rlog_take_append(&l, &req, &ack), GDFS_EPROTO);
    ck_assert_int_eq(gdfs_rlog_take_snapshot(&l, 5, 3, &ack), GDFS_EPROTO);
    ck_assert_uint_eq(l.last_index, 2);
    ack = (struct gdfs_rlog_ack){.ok = true, .match = 3};
    ck_assert_int_eq(gdfs_rlog_take_ack(&l, 1, &ack), GDFS_EPROTO);
    ack = (struct gdfs_rlog_ack){.last_index = big};
    ck_assert_int_eq(gdfs_rlog_take_ack(&l, 1, &ack), GDFS_EPROTO);
    ck_assert_int_eq(gdfs_rlog_take_ack(&l, 0, &ack), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_rlog_take_ack(&l, 7, &ack), GDFS_EINVAL);
    ck_assert_uint_eq(l.peer[1].match, 0);
    ck_assert_uint_eq(l.peer[1].next, 3);
}
END_TEST

/* The host's numbers are checked at start, and a failed write leaves the
 * numbers describing what is stored. */
START_TEST(test_rlog_init_and_io_failure)
{
    static const uint64_t t[] = {1, 2};
    static struct store s;
    struct gdfs_rlog l;
    struct gdfs_rlog_io io = mem_io(&s);
    struct gdfs_rlog_disk d = {.last_index = 2, .last_term = 2};

    fill(&s, t, 2);
    ck_assert_int_eq(gdfs_rlog_init(&l, &cfg0, &io, &d, 3), GDFS_ECORRUPT);
    d.last_term = 0;
    ck_assert_int_eq(gdfs_rlog_init(&l, &cfg0, &io, &d, 0), GDFS_ECORRUPT);
    ck_assert_int_eq(mem_open(&l, &s, &cfg0, 2), GDFS_OK);
    ck_assert_int_eq(gdfs_rlog_append(&l, noop_data, noop_len, 1),
                     GDFS_ENOTLEADER);
    ck_assert_int_eq(gdfs_rlog_lead(&l, 1, 1, 0), GDFS_EINVAL); /* < 2 */
    ck_assert_int_eq(gdfs_rlog_lead(&l, 2, 1, 0), GDFS_OK);
    s.fail_append = 1;
    ck_assert_int_eq(gdfs_rlog_append(&l, noop_data, noop_len, 1), GDFS_EIO);
    ck_assert_uint_eq(l.last_index, 2);
    ck_assert_int_eq(gdfs_rlog_append(&l, noop_data, noop_len, 1), GDFS_OK);
    ck_assert_uint_eq(l.commit, 3); /* a single voter commits at once */
}
END_TEST

/* ---- random hostile input ---------------------------------------------- */

static uint64_t fuzz_rng;

/* check's assertions write to a pipe on every call: too slow for the
 * hundreds of thousands below, which only speak when they fail. */
#define REQUIRE(c)                                                            \
    do {                                                                      \
        if (!(c))                                                             \
            ck_abort_msg("%s", #c);                                           \
    } while (0)

static uint64_t fuzz(void)
{
    fuzz_rng ^= fuzz_rng << 13;
    fuzz_rng ^= fuzz_rng >> 7;
    fuzz_rng ^= fuzz_rng << 17;
    return fuzz_rng;
}

/* A number from a message: small and plausible mostly, else extreme. */
static uint64_t fuzz_number(void)
{
    static const uint64_t extreme[] = {0, GDFS_RLOG_LIMIT - 1, GDFS_RLOG_LIMIT,
                                       UINT64_MAX};
    if (fuzz() % 8 != 0)
        return fuzz() % 32;
    return extreme[fuzz() % 4];
}

/* What was committed, entry by entry, as the log's commit index grew. */
static struct ent fuzz_ref[MAXLOG];

static void fuzz_check(const struct gdfs_rlog *l, const struct store *s,
                       uint64_t *seen)
{
    REQUIRE(l->snap_index <= l->applied);
    REQUIRE(l->applied <= l->commit);
    REQUIRE(l->commit <= l->last_index);
    REQUIRE(l->last_index == mem_last(s));
    REQUIRE(l->snap_index == s->snap_index);
    REQUIRE(l->commit >= *seen);
    for (uint64_t i = s->snap_index + 1; i <= l->commit && i < MAXLOG; i++) {
        const struct ent *e = &s->e[i - s->snap_index - 1];
        if (i > *seen)
            fuzz_ref[i] = *e;
        REQUIRE(e->term == fuzz_ref[i].term);
        REQUIRE(e->val == fuzz_ref[i].val);
    }
    *seen = l->commit;
}

/* Random requests, snapshots and acks with numbers in and out of range:
 * every answer is OK or a refusal, the numbers stay ordered, and no
 * committed entry ever changes. */
START_TEST(test_rlog_random_hostile_input_keeps_committed)
{
    static struct store s;

    fuzz_rng = 88172645463325252u;
    for (int round = 0; round < 300; round++) {
        uint64_t terms[20], t = 1, seen = 10;
        struct gdfs_rlog l;

        for (int i = 0; i < 20; i++)
            terms[i] = t += fuzz() % 2;
        fill(&s, terms, 20);
        ck_assert_int_eq(mem_open(&l, &s, &cfg0, 10), GDFS_OK);
        if (fuzz() % 2)
            ck_assert_int_eq(gdfs_rlog_compact(&l), GDFS_OK);
        for (int i = 1; i <= 10 && i > (int)s.snap_index; i++)
            fuzz_ref[i] = s.e[i - s.snap_index - 1];
        for (int k = 0; k < 200; k++) {
            struct gdfs_rlog_entry e[4];
            uint64_t v[4];
            struct gdfs_rlog_req req = {.prev_index = fuzz_number(),
                                        .prev_term = fuzz_number(),
                                        .commit = fuzz_number(),
                                        .entries = e,
                                        .n = fuzz() % 5};
            struct gdfs_rlog_ack ack;
            int rc;

            for (size_t i = 0; i < req.n; i++) {
                e[i].index = fuzz() % 8 ? req.prev_index + 1 + i
                                        : fuzz_number();
                e[i].term = fuzz() % 8 ? req.prev_term + i / 2 : fuzz_number();
                v[i] = fuzz();
                e[i].data = &v[i];
                e[i].len = sizeof(v[i]);
            }
            if (fuzz() % 16 == 0) {
                s.pending_hash = fuzz();
                rc = gdfs_rlog_take_snapshot(&l, fuzz_number(), fuzz_number(),
                                             &ack);
                if (rc == GDFS_OK && l.snap_index > seen)
                    seen = l.snap_index; /* a leader's committed state */
            } else {
                rc = gdfs_rlog_take_append(&l, &req, &ack);
            }
            REQUIRE(rc == GDFS_OK || rc == GDFS_EPROTO);
            if (rc == GDFS_OK && ack.ok)
                REQUIRE(ack.match <= l.last_index);
            fuzz_check(&l, &s, &seen);
        }
        ck_assert_int_eq(gdfs_rlog_lead(&l, GDFS_RLOG_LIMIT - 1, 3, 0),
                         GDFS_OK);
        for (int k = 0; k < 200; k++) {
            struct gdfs_rlog_ack ack = {.ok = fuzz() % 2,
                                        .match = fuzz_number(),
                                        .last_index = fuzz_number(),
                                        .conflict_term = fuzz_number(),
                                        .conflict_from = fuzz_number()};
            unsigned peer = (unsigned)(fuzz() % 4);
            int rc = gdfs_rlog_take_ack(&l, peer, &ack);

            REQUIRE(rc == GDFS_OK || rc == GDFS_EPROTO || rc == GDFS_EINVAL);
            REQUIRE(l.peer[1].match <= l.last_index);
            REQUIRE(l.peer[1].next > l.peer[1].match);
            REQUIRE(l.peer[1].next <= l.last_index + 1);
            fuzz_check(&l, &s, &seen);
        }
    }
}
END_TEST

/* ---- randomized schedules ---------------------------------------------- */

/* Run @count schedules from @first (GDFS_SIM_SEED: that one only); returns
 * how many broke @want (SIM_OK: any property) and prints the first few. */
static unsigned run_seeds(const struct sim_opts *o, uint64_t first,
                          uint64_t count, int want, const char *name)
{
    const char *one = getenv("GDFS_SIM_SEED");
    unsigned bad = 0;
    char why[256];

    if (one && want == SIM_OK) {
        first = strtoull(one, NULL, 10);
        count = 1;
    }
    for (uint64_t s = first; s < first + count; s++) {
        int rc = sim_run(s, o, why, sizeof(why));
        if (rc == SIM_OK || (want != SIM_OK && rc != want))
            continue;
        if (++bad <= 3 && want == SIM_OK)
            fprintf(stderr,
                    "%s seed %" PRIu64 " failed check %d: %s (replay: "
                    "GDFS_SIM_SEED=%" PRIu64 " tests/unit/test_rlog)\n",
                    name, s, rc, why, s);
        if (want != SIM_OK)
            break; /* caught: enough */
    }
    return bad;
}

static uint64_t seeds(uint64_t dflt)
{
    const char *many = getenv("GDFS_SIM_SEEDS");
    return many ? strtoull(many, NULL, 10) : dflt;
}

/* The schedules did real work: entries committed (ten a schedule on
 * average), snapshots installed, conflicts truncated, leaders elected. */
static void assert_busy(uint64_t count)
{
    if (getenv("GDFS_SIM_SEED"))
        return;
    ck_assert_uint_ge(sim_stats.committed, 10 * count);
    ck_assert_uint_gt(sim_stats.installed, 0);
    ck_assert_uint_gt(sim_stats.truncated, 0);
    ck_assert_uint_ge(sim_stats.elections, count);
}

/* Schedules of @n nodes in which every rule holds: none may break a
 * property, and they must have done real work. */
static void honest(unsigned n, bool lazy, uint64_t dflt, const char *name)
{
    struct sim_opts o = {.n = n, .steps = 1000, .cfg = cfg0, .no_noop = lazy};
    uint64_t count = seeds(dflt);

    ck_assert_uint_eq(run_seeds(&o, 1, count, SIM_OK, name), 0);
    assert_busy(count);
}

START_TEST(test_rlog_random_schedules_3)
{
    honest(3, false, 5000, "n=3");
}
END_TEST

/* Leaders that append nothing of their own term until a client does:
 * what earlier terms left stays uncommitted meanwhile (§5.4.2). */
START_TEST(test_rlog_random_schedules_3_lazy_leaders)
{
    honest(3, true, 5000, "n=3 lazy");
}
END_TEST

START_TEST(test_rlog_random_schedules_5)
{
    honest(5, false, 3000, "n=5");
}
END_TEST

/* Each check catches its rule broken on purpose (a switch in the log's
 * cfg or in the election model), with only that check on, within a few
 * hundred schedules of 3 nodes. */
static const struct broken {
    const char *rule;
    struct sim_opts o;
} broken[] = {
    {"a node leads a term it shares, without votes",
     {.break_election = true, .only = SIM_ELECTION_SAFETY}},
    {"a follower skips the consistency check",
     {.cfg.test_skip_prev_check = true, .only = SIM_LOG_MATCHING}},
    {"votes ignore the election restriction",
     {.break_restriction = true, .only = SIM_LEADER_COMPLETENESS}},
    {"a follower commits past its last new entry",
     {.cfg.test_commit_past_new = true, .only = SIM_STATE_MACHINE_SAFETY}},
};

START_TEST(test_rlog_checks_catch_broken_rules)
{
    struct sim_opts o = broken[_i].o;

    o.n = 3;
    o.steps = 600;
    o.cfg.batch_max = cfg0.batch_max;
    ck_assert_msg(run_seeds(&o, 1, 500, o.only, "") == 1,
                  "check %d missed: %s", o.only, broken[_i].rule);
}
END_TEST

static Suite *rlog_suite(void)
{
    Suite *s = suite_create("rlog");
    TCase *exact = tcase_create("exact"), *checks = tcase_create("checks"),
          *random = tcase_create("random");

    tcase_add_loop_test(exact, test_rlog_figure7_follower_brought_to_leader, 0,
                        (int)(sizeof(fig7_cases) / sizeof(fig7_cases[0])));
    tcase_add_test(exact, test_rlog_figure8_old_term_not_committed_by_count);
    tcase_add_test(exact, test_rlog_figure8_switch_commits_old_term);
    tcase_add_test(exact, test_rlog_election_restriction);
    tcase_add_test(exact, test_rlog_truncates_conflict_but_not_committed);
    tcase_add_test(exact, test_rlog_follower_commit_is_min_of_last_new);
    tcase_add_test(exact, test_rlog_snapshot_sent_then_tail);
    tcase_add_test(exact, test_rlog_compact_to_keeps_a_tail);
    tcase_add_test(exact, test_rlog_follower_that_lost_its_log_is_refilled);
    tcase_add_test(exact, test_rlog_snapshot_keeps_agreeing_tail);
    tcase_add_test(exact, test_rlog_refuses_hostile_numbers);
    tcase_add_test(exact, test_rlog_init_and_io_failure);
    tcase_add_test(exact, test_rlog_random_hostile_input_keeps_committed);
    tcase_add_loop_test(checks, test_rlog_checks_catch_broken_rules, 0,
                        (int)(sizeof(broken) / sizeof(broken[0])));
    tcase_set_timeout(checks, 600);
    tcase_add_test(random, test_rlog_random_schedules_3);
    tcase_add_test(random, test_rlog_random_schedules_3_lazy_leaders);
    tcase_add_test(random, test_rlog_random_schedules_5);
    tcase_set_timeout(random, 600); /* ASan on 2 busy cores: minutes */
    suite_add_tcase(s, exact);
    suite_add_tcase(s, checks);
    suite_add_tcase(s, random);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rlog_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
