/* Deterministic tests of the group state machine (src/core/group.c) over
 * an in-memory network with an injected clock, in the manner of
 * canonical/raft's fixture: exact scenarios first (election, failure
 * detection, partitions, pause, join, leave), then thousands of randomized
 * schedules (drops, delays, partitions, crashes, restarts) from seeds,
 * checking the safety invariants at every step. A failing seed is printed;
 * GDFS_SIM_SEED=N replays only that one, GDFS_SIM_SEEDS=N sets how many. */
#include <check.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/group.h"
#include "core/ring.h"

/* ---- the simulated world ------------------------------------------------- */

#define MAXN 9
#define MAXTERM 4096
#define STEP_MS 5

static const struct gdfs_group_cfg cfg = {
    .heartbeat_ms = 50,
    .suspect_ms = 300,
    .election_ms = 500,
    .lease_ms = 400,
    .dead_ms = 0,
};
/* What world_init starts nodes with: cfg, unless a test changes it. */
static struct gdfs_group_cfg sim_cfg;

struct disk { /* what survives a crash */
    uint64_t term;
    char vote[GDFS_NODE_ID_MAX + 1];
    struct gdfs_members set;
    bool has_set;
};

struct node {
    char id[8];
    char addr[32];
    struct gdfs_group g;
    struct disk disk;
    bool up;     /* process running */
    bool paused; /* SIGSTOPped: neither ticks nor receives */
    uint64_t rng;
};

struct msg {
    uint64_t due;
    int to;
    struct gdfs_gmsg m;
    struct msg *next;
};

struct led {
    uint64_t term;
    char id[8];
};

struct world {
    int n;
    struct node node[MAXN];
    uint64_t now;
    uint64_t rng;
    struct msg *inflight;
    bool cut[MAXN][MAXN]; /* cut[a][b]: a's messages to b are lost */
    unsigned drop_pct;
    unsigned delay_max;
    struct led leader_of[MAXTERM]; /* who led a term, at term % MAXTERM */
    unsigned drop_events[MAXN];    /* GDFS_GEV_DROPPED seen, by node */
    bool hostile; /* messages are forged: drops are expected */
    /* A joined node keeps its votes held (gdfs_group_hold_votes); else it
     * is released once it follows a leader, as its host does when its
     * record log has caught up (no log here: at once). */
    bool keep_held;
    char failure[512];
};

static struct world W;

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void sim_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void sim_fail(const char *fmt, ...)
{
    va_list ap;

    if (W.failure[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(W.failure, sizeof(W.failure), fmt, ap);
    va_end(ap);
}

static int node_index(const char *id)
{
    for (int i = 0; i < W.n; i++)
        if (strcmp(W.node[i].id, id) == 0)
            return i;
    return -1;
}

static int addr_index(const char *addr)
{
    for (int i = 0; i < W.n; i++)
        if (strcmp(W.node[i].addr, addr) == 0)
            return i;
    return -1;
}

/* ---- io callbacks -------------------------------------------------------- */

static void io_send(void *ctx, const char *to, const char *addr,
                    const struct gdfs_gmsg *m)
{
    struct node *from = ctx;
    int f = (int)(from - W.node);
    int t = to[0] ? node_index(to) : addr_index(addr);
    struct msg *q;

    if (t < 0 || W.cut[f][t])
        return;
    if (W.drop_pct && xorshift(&W.rng) % 100 < W.drop_pct)
        return;
    q = malloc(sizeof(*q));
    ck_assert_ptr_nonnull(q);
    q->due = W.now + 1 + (W.delay_max ? xorshift(&W.rng) % W.delay_max : 0);
    q->to = t;
    q->m = *m;
    q->next = W.inflight;
    W.inflight = q;
}

static int io_save_term(void *ctx, uint64_t term, const char *vote)
{
    struct node *nd = ctx;

    if (term < nd->disk.term)
        sim_fail("%s: term went back from %" PRIu64 " to %" PRIu64, nd->id,
                 nd->disk.term, term);
    if (term == nd->disk.term && nd->disk.vote[0] && vote[0] &&
        strcmp(vote, nd->disk.vote) != 0)
        sim_fail("%s voted twice in term %" PRIu64 " (%s, then %s)", nd->id,
                 term, nd->disk.vote, vote);
    if (term == nd->disk.term && nd->disk.vote[0] && !vote[0])
        sim_fail("%s forgot its vote in term %" PRIu64, nd->id, term);
    nd->disk.term = term;
    snprintf(nd->disk.vote, sizeof(nd->disk.vote), "%s", vote);
    return 0;
}

static int io_save_members(void *ctx, const struct gdfs_members *set)
{
    struct node *nd = ctx;

    nd->disk.set = *set;
    nd->disk.has_set = true;
    return 0;
}

static uint64_t io_random(void *ctx)
{
    return xorshift(&((struct node *)ctx)->rng);
}

static void io_event(void *ctx, int ev, const char *detail)
{
    struct node *nd = ctx;

    if (ev == GDFS_GEV_DROPPED) {
        W.drop_events[nd - W.node]++;
        if (detail == NULL || detail[0] == '\0')
            sim_fail("%s: a drop without a reason", nd->id);
        /* Honest nodes, however faulty the network, break no rule: a
         * drop there is a rule that refuses legitimate traffic. */
        if (!W.hostile)
            sim_fail("%s dropped a %s from %s (term %" PRIu64 "): %s", nd->id,
                     gdfs_group_kind_name(nd->g.last_drop.type),
                     nd->g.last_drop.from, nd->g.last_drop.term, detail);
        return;
    }

    if (ev == GDFS_GEV_LEADER) {
        uint64_t term = strtoull(detail, NULL, 10);
        /* Terms near the limit share slots with small ones: a slot holds
         * the newest term that fell in it (no run spans MAXTERM terms). */
        struct led *lo = &W.leader_of[term % MAXTERM];

        if (lo->id[0] && lo->term == term && strcmp(lo->id, nd->id) != 0)
            sim_fail("two leaders in term %" PRIu64 ": %s and %s", term,
                     lo->id, nd->id);
        lo->term = term;
        snprintf(lo->id, sizeof(lo->id), "%s", nd->id);
    }
}

static struct gdfs_group_io io_for(struct node *nd)
{
    struct gdfs_group_io io = {nd,           io_send,
                               io_save_term, io_save_members,
                               io_random,    io_event};
    return io;
}

/* ---- world control ------------------------------------------------------- */

static void world_free(void)
{
    while (W.inflight) {
        struct msg *q = W.inflight;
        W.inflight = q->next;
        free(q);
    }
}

/* @n nodes, all members of one group from the start (as after n joins). */
static void world_init(int n, uint64_t seed)
{
    struct gdfs_members set;

    world_free();
    memset(&W, 0, sizeof(W));
    if (sim_cfg.heartbeat_ms == 0)
        sim_cfg = cfg;
    W.n = n;
    W.rng = seed * 2654435761u + 1;
    W.now = 1000;
    memset(&set, 0, sizeof(set));
    snprintf(set.group_id, sizeof(set.group_id), "g");
    set.version.seq = (uint64_t)n;
    set.version.term = 1;
    set.n = (uint32_t)n;
    for (int i = 0; i < n; i++) {
        struct node *nd = &W.node[i];

        snprintf(nd->id, sizeof(nd->id), "n%d", i + 1);
        snprintf(nd->addr, sizeof(nd->addr), "10.0.0.%d:7000", i + 1);
        snprintf(set.m[i].id, sizeof(set.m[i].id), "%s", nd->id);
        snprintf(set.m[i].addr, sizeof(set.m[i].addr), "%s", nd->addr);
    }
    for (int i = 0; i < n; i++) {
        struct node *nd = &W.node[i];
        struct gdfs_group_io io = io_for(nd);

        nd->rng = seed * 7919 + (uint64_t)i * 104729 + 17;
        nd->disk.set = set;
        nd->disk.has_set = true;
        nd->up = true;
        ck_assert_int_eq(gdfs_group_start(&nd->g, nd->id, &sim_cfg, &io, 0, "",
                                          &set, W.now),
                         GDFS_OK);
    }
}

static void crash(int i)
{
    W.node[i].up = false;
}

static void restart(int i)
{
    struct node *nd = &W.node[i];
    struct gdfs_group_io io = io_for(nd);

    nd->up = true;
    nd->paused = false;
    gdfs_group_start(&nd->g, nd->id, &sim_cfg, &io, nd->disk.term,
                     nd->disk.vote, &nd->disk.set, W.now);
}

/* Cut every link between the nodes in mask @a and the others. */
static void partition(unsigned a)
{
    for (int x = 0; x < W.n; x++)
        for (int y = 0; y < W.n; y++)
            W.cut[x][y] = ((a >> x) & 1) != ((a >> y) & 1);
}

static void heal(void)
{
    memset(W.cut, 0, sizeof(W.cut));
}

/* Safety checked at every step. */
static void check_invariants(void)
{
    int writers = 0;

    for (int i = 0; i < W.n; i++) {
        struct node *nd = &W.node[i];

        /* Paused nodes too: one resumed now could take a write before its
         * next tick. */
        if (nd->up && gdfs_group_can_write(&nd->g, W.now))
            writers++;
    }
    /* One clock for all here, so leases admit no overlap at all. */
    if (writers > 1)
        sim_fail("%d nodes may accept writes at t=%" PRIu64, writers, W.now);
}

/* Advance the world by @ms, delivering messages and ticking nodes. */
static void run(uint64_t ms)
{
    uint64_t end = W.now + ms;

    while (W.now < end && W.failure[0] == '\0') {
        struct msg **pp = &W.inflight;

        W.now += STEP_MS;
        while (*pp) {
            struct msg *q = *pp;
            struct node *nd = &W.node[q->to];

            if (q->due > W.now || (nd->up && nd->paused)) {
                pp = &q->next;
                continue;
            }
            *pp = q->next;
            if (nd->up)
                gdfs_group_recv(&nd->g, &q->m, W.now);
            free(q);
        }
        for (int i = 0; i < W.n; i++) {
            struct gdfs_group *g = &W.node[i].g;

            if (!W.node[i].up || W.node[i].paused)
                continue;
            if (g->votes_held && !W.keep_held &&
                g->role == GDFS_ROLE_FOLLOWER && g->leader[0] != '\0')
                gdfs_group_release_votes(g);
            gdfs_group_tick(g, W.now);
        }
        check_invariants();
    }
}

static int leaders(unsigned mask, int *who)
{
    int n = 0;

    for (int i = 0; i < W.n; i++) {
        struct node *nd = &W.node[i];

        if (((mask >> i) & 1) && nd->up && !nd->paused &&
            nd->g.role == GDFS_ROLE_LEADER) {
            n++;
            if (who)
                *who = i;
        }
    }
    return n;
}

#define ALL ((1u << W.n) - 1)

/* Every running node in @mask follows the same leader in the same term. */
static bool agree(unsigned mask, int leader)
{
    for (int i = 0; i < W.n; i++) {
        struct node *nd = &W.node[i];

        if (!((mask >> i) & 1) || !nd->up)
            continue;
        if (strcmp(nd->g.leader, W.node[leader].id) != 0 ||
            nd->g.term != W.node[leader].g.term)
            return false;
    }
    return true;
}

static int state_of(int viewer, int member)
{
    int j = gdfs_group_find(&W.node[viewer].g.set, W.node[member].id);

    return j < 0 ? -1 : W.node[viewer].g.set.m[j].state;
}

/* ---- ring ---------------------------------------------------------------- */

START_TEST(test_ring_neighbours_are_two_each_side)
{
    struct gdfs_members set;
    int nb[4], count[15] = {0};

    world_init(1, 1);
    memset(&set, 0, sizeof(set));
    set.n = 15;
    for (int i = 0; i < 15; i++)
        snprintf(set.m[i].id, sizeof(set.m[i].id), "node-%d", i);
    for (int i = 0; i < 15; i++) {
        size_t k = gdfs_ring_neighbours(&set, i, nb);

        ck_assert_uint_eq(k, 4);
        for (size_t x = 0; x < k; x++) {
            ck_assert_int_ne(nb[x], i);
            count[nb[x]]++;
        }
    }
    /* Symmetric: everyone is watched by exactly four. */
    for (int i = 0; i < 15; i++)
        ck_assert_int_eq(count[i], 4);
    set.n = 3;
    ck_assert_uint_eq(gdfs_ring_neighbours(&set, 0, nb), 2);
    set.n = 1;
    ck_assert_uint_eq(gdfs_ring_neighbours(&set, 0, nb), 0);
    ck_assert_uint_eq(gdfs_ring_key("n1"), gdfs_ring_key("n1"));
    ck_assert_uint_ne(gdfs_ring_key("n1"), gdfs_ring_key("n2"));
}
END_TEST

/* ---- exact scenarios ----------------------------------------------------- */

START_TEST(test_group_majority_is_more_than_half)
{
    ck_assert_uint_eq(gdfs_group_majority(0), 1);
    ck_assert_uint_eq(gdfs_group_majority(1), 1);
    ck_assert_uint_eq(gdfs_group_majority(2), 2);
    ck_assert_uint_eq(gdfs_group_majority(3), 2);
    ck_assert_uint_eq(gdfs_group_majority(4), 3);
    ck_assert_uint_eq(gdfs_group_majority(5), 3);
}
END_TEST

START_TEST(test_group_of_one_leads_at_once)
{
    world_init(1, 3);
    run(STEP_MS);
    ck_assert_int_eq(W.node[0].g.role, GDFS_ROLE_LEADER);
    ck_assert_uint_eq(W.node[0].g.term, 1);
    ck_assert(gdfs_group_can_write(&W.node[0].g, W.now));
}
END_TEST

START_TEST(test_group_elects_one_leader)
{
    int l = -1;

    world_init(5, 11);
    run(3000);
    ck_assert_str_eq(W.failure, "");
    ck_assert_int_eq(leaders(ALL, &l), 1);
    ck_assert(agree(ALL, l));
    ck_assert(gdfs_group_can_write(&W.node[l].g, W.now));
    /* Pre-vote: no term was wasted on split votes beyond a few. */
    ck_assert_uint_le(W.node[l].g.term, 3);
}
END_TEST

START_TEST(test_group_leader_crash_replaced)
{
    int l = -1, l2 = -1;
    uint64_t t0, term;

    world_init(5, 12);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    term = W.node[l].g.term;
    crash(l);
    t0 = W.now;
    while (leaders(ALL, &l2) == 0 && W.now - t0 < 5000)
        run(STEP_MS);
    ck_assert_int_eq(leaders(ALL, &l2), 1);
    ck_assert_int_ne(l2, l);
    ck_assert_uint_gt(W.node[l2].g.term, term);
    /* election_ms 500: replaced within two timeouts plus a round. */
    ck_assert_uint_lt(W.now - t0, 2 * cfg.election_ms + 200);
    run(500);
    ck_assert(agree(ALL & ~(1u << l), l2));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

/* Crash leader @l of a 5-node world and run until the others agree on a
 * new one (10 s at most): its index. */
static int successor_of(int l)
{
    int l2 = -1;
    uint64_t t0 = W.now;

    crash(l);
    while (leaders(ALL, &l2) == 0 && W.now - t0 < 10000)
        run(STEP_MS);
    ck_assert_int_eq(leaders(ALL, &l2), 1);
    ck_assert_str_eq(W.failure, "");
    return l2;
}

/* The election restriction (thesis §3.6.1): with the leader gone, only a
 * node whose record log is at least as up to date as a majority's can
 * win. Two of five lag behind: they never win, whatever the schedule;
 * with equal logs the same schedules let them win sometimes, so the check
 * is not vacuous. */
static int winner_with_logs(uint64_t seed, bool lagging)
{
    int l = -1;
    uint64_t term;

    world_init(5, seed);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    term = W.node[l].g.term;
    for (int i = 0; i < 5; i++) {
        /* nodes l+3 and l+4 hold fewer entries, or an older last term */
        int k = (i - l + 5) % 5;
        bool behind = lagging && k >= 3;

        gdfs_group_set_log(&W.node[i].g, k == 4 && behind ? term - 1 : term,
                           k == 3 && behind ? 4 : 10);
    }
    return (successor_of(l) - l + 5) % 5;
}

START_TEST(test_group_vote_needs_a_log_as_up_to_date)
{
    unsigned lagging_won = 0;

    for (uint64_t seed = 1; seed <= 40; seed++) {
        ck_assert_int_lt(winner_with_logs(seed, true), 3);
        lagging_won += winner_with_logs(seed, false) >= 3;
    }
    ck_assert_uint_gt(lagging_won, 0);
}
END_TEST

/* Crash node @w, empty its disk and have it join again through leader
 * @l, keeping its votes held; it is a follower again. */
static struct node *wipe_and_join(int w, int l)
{
    struct node *nd = &W.node[w];
    struct gdfs_group_io io;

    crash(w);
    memset(&nd->disk, 0, sizeof(nd->disk));
    io = io_for(nd);
    nd->up = true;
    W.keep_held = true;
    gdfs_group_start_join(&nd->g, nd->id, nd->addr, W.node[l].addr, &cfg, &io,
                          W.now);
    run(1500);
    ck_assert_int_eq(nd->g.role, GDFS_ROLE_FOLLOWER);
    ck_assert(nd->g.votes_held);
    return nd;
}

/* A member back with an emptied disk (a wiped data_dir, then join under
 * its id) lost the entries it acknowledged. Five nodes, all at entry 10
 * but two lagging at entry 4; the follower next to the leader is wiped
 * and joins again with an empty log; then the leader dies. Only the one
 * up-to-date survivor may win: a lagging node that got the wiped node's
 * vote would lead without entries 5 to 10, which a majority (the leader,
 * the wiped node and the up-to-date one) had stored. The joined node
 * holds its votes (gdfs_group_start_join) until its host releases them:
 * released at once, the same schedules let a lagging node win, so the
 * check is not vacuous. Returns the winner's distance from the old leader
 * (2: the up-to-date one; 3 or 4: a lagging one). */
static int winner_after_wipe(uint64_t seed, bool release)
{
    struct node *nd;
    int l = -1, l2, w;
    uint64_t term;

    world_init(5, seed);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    term = W.node[l].g.term;
    for (int i = 0; i < 5; i++)
        gdfs_group_set_log(&W.node[i].g, term, (i - l + 5) % 5 >= 3 ? 4 : 10);
    w = (l + 1) % 5;
    nd = wipe_and_join(w, l);
    gdfs_group_set_log(&nd->g, 0, 0);
    if (release)
        ck_assert(gdfs_group_release_votes(&nd->g));
    l2 = successor_of(l);
    ck_assert_int_ne(l2, w); /* an empty log never wins */
    return (l2 - l + 5) % 5;
}

START_TEST(test_group_wiped_member_votes_only_when_caught_up)
{
    unsigned lagging_won = 0;

    for (uint64_t seed = 1; seed <= 30; seed++) {
        ck_assert_int_eq(winner_after_wipe(seed, false), 2);
        lagging_won += winner_after_wipe(seed, true) >= 3;
    }
    ck_assert_uint_gt(lagging_won, 0);
}
END_TEST

/* Released, a joined node counts its vote of the current term as given
 * (it may have voted before its disk was emptied) to the leader it
 * follows, on disk too: in that term it grants no other. */
START_TEST(test_group_released_votes_start_at_the_next_term)
{
    struct node *nd;
    int l = -1, w;

    world_init(3, 7);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    w = (l + 1) % 3;
    nd = wipe_and_join(w, l);
    ck_assert(gdfs_group_release_votes(&nd->g));
    ck_assert(!nd->g.votes_held);
    ck_assert_str_eq(nd->g.voted_for, W.node[l].id);
    ck_assert_uint_eq(nd->disk.term, nd->g.term);
    ck_assert_str_eq(nd->disk.vote, W.node[l].id);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_follower_crash_marked_failed_then_alive)
{
    int l = -1, f;
    uint64_t t0;
    bool everywhere;

    world_init(5, 13);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    f = (l + 1) % W.n;
    crash(f);
    t0 = W.now;
    do {
        run(STEP_MS);
        everywhere = true;
        for (int i = 0; i < W.n; i++)
            if (i != f && state_of(i, f) != GDFS_MEMBER_FAILED)
                everywhere = false;
    } while (!everywhere && W.now - t0 < 5000);
    ck_assert_msg(everywhere, "follower not marked failed everywhere");
    ck_assert_uint_lt(W.now - t0, 2 * cfg.suspect_ms + 3 * cfg.heartbeat_ms);
    /* The leader kept its place: a follower's death costs no election. */
    ck_assert_int_eq(W.node[l].g.role, GDFS_ROLE_LEADER);
    restart(f);
    run(2000);
    for (int i = 0; i < W.n; i++)
        ck_assert_int_eq(state_of(i, f), GDFS_MEMBER_ALIVE);
    ck_assert(agree(ALL, l));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_new_leader_shown_failed_is_alive)
{
    int l = -1, l2 = -1;
    uint64_t t0;

    world_init(3, 21);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    /* The old leader's last view showed both followers failed (each one
     * was back before it learnt so); then it dies. */
    for (int i = 0; i < W.n; i++)
        if (i != l) {
            int me = gdfs_group_find(&W.node[i].g.set, W.node[i].g.self);

            W.node[i].g.set.m[me].state = GDFS_MEMBER_FAILED;
        }
    crash(l);
    t0 = W.now;
    while (leaders(ALL, &l2) == 0 && W.now - t0 < 5000)
        run(STEP_MS);
    ck_assert_int_eq(leaders(ALL, &l2), 1);
    run(1000);
    /* The new leader is alive in its own view, and so in everyone's. */
    for (int i = 0; i < W.n; i++)
        if (i != l)
            ck_assert_int_eq(state_of(i, l2), GDFS_MEMBER_ALIVE);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_partition_minority_has_no_leader)
{
    int l = -1, l2 = -1;
    unsigned minority, majority;

    world_init(5, 14);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    /* The old leader and one follower on the small side. */
    minority = (1u << l) | (1u << ((l + 1) % 5));
    majority = ALL & ~minority;
    partition(minority);
    run(3000);
    ck_assert_int_eq(leaders(minority, NULL), 0);
    for (int i = 0; i < W.n; i++)
        if ((minority >> i) & 1)
            ck_assert(!gdfs_group_can_write(&W.node[i].g, W.now));
    ck_assert_int_eq(leaders(majority, &l2), 1);
    ck_assert(gdfs_group_can_write(&W.node[l2].g, W.now));
    heal();
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l2), 1);
    ck_assert(agree(ALL, l2));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_cut_off_node_does_not_disrupt_leader)
{
    int l = -1, l2 = -1, f;
    uint64_t term;

    world_init(5, 15);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    term = W.node[l].g.term;
    f = (l + 2) % W.n;
    partition(1u << f);
    run(5000);
    /* Pre-vote: the isolated node never raised its term. */
    ck_assert_uint_eq(W.node[f].g.term, term);
    heal();
    run(2000);
    ck_assert_int_eq(leaders(ALL, &l2), 1);
    ck_assert_int_eq(l2, l);
    ck_assert_uint_eq(W.node[l].g.term, term);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_paused_leader_steps_down)
{
    int l = -1, l2 = -1;

    world_init(5, 16);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    W.node[l].paused = true; /* SIGSTOP */
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l2), 1);
    ck_assert_int_ne(l2, l);
    W.node[l].paused = false; /* SIGCONT */
    /* At once, before it hears anyone: its lease has run out. */
    ck_assert(!gdfs_group_can_write(&W.node[l].g, W.now + STEP_MS));
    run(1000);
    ck_assert_int_ne(W.node[l].g.role, GDFS_ROLE_LEADER);
    ck_assert(agree(ALL, l2));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_join_and_leave)
{
    int l = -1;
    struct node *nd;
    struct gdfs_group_io io;

    world_init(4, 17);
    /* Node 4 is not a member yet: start 1..3 as a group of three. */
    W.n = 4;
    {
        struct gdfs_members set = W.node[0].disk.set;

        set.n = 3;
        for (int i = 0; i < 3; i++) {
            W.node[i].disk.set = set;
            io = io_for(&W.node[i]);
            gdfs_group_start(&W.node[i].g, W.node[i].id, &cfg, &io, 0, "",
                             &set, W.now);
        }
    }
    nd = &W.node[3];
    memset(&nd->disk, 0, sizeof(nd->disk));
    io = io_for(nd);
    gdfs_group_start_join(&nd->g, nd->id, nd->addr, W.node[0].addr, &cfg, &io,
                          W.now);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(W.node[i].g.set.n, 4);
        ck_assert_int_eq(gdfs_version_cmp(&W.node[i].g.committed,
                                          &W.node[l].g.set.version),
                         0);
    }
    ck_assert_int_eq(nd->g.role, GDFS_ROLE_FOLLOWER);
    ck_assert(nd->disk.has_set);
    ck_assert_str_eq(nd->disk.set.group_id, "g");
    /* A follower leaves through the leader. */
    {
        int f = (l + 1) % 4;

        ck_assert_int_eq(gdfs_group_propose_leave(&W.node[l].g, W.node[f].id,
                                                  W.now),
                         GDFS_OK);
        /* Already out of the leader's set; and one change at a time. */
        ck_assert_int_eq(gdfs_group_propose_leave(&W.node[l].g, W.node[f].id,
                                                  W.now),
                         GDFS_ENOENT);
        ck_assert_int_eq(gdfs_group_propose_leave(&W.node[l].g,
                                                  W.node[(l + 2) % 4].id,
                                                  W.now),
                         GDFS_EBUSY);
        run(2000);
        ck_assert_int_eq(W.node[f].g.role, GDFS_ROLE_REMOVED);
        for (int i = 0; i < 4; i++)
            if (i != f)
                ck_assert_uint_eq(W.node[i].g.set.n, 3);
        ck_assert_int_eq(gdfs_group_propose_leave(&W.node[(l + 2) % 4].g,
                                                  W.node[l].id, W.now),
                         GDFS_ENOTLEADER);
        /* The leader itself leaves: it commits its removal, goes, and the
         * two left elect one of them. */
        ck_assert_int_eq(gdfs_group_request_leave(&W.node[l].g, W.now),
                         GDFS_OK);
        run(3000);
        ck_assert_int_eq(W.node[l].g.role, GDFS_ROLE_REMOVED);
        {
            int l2 = -1;
            unsigned rest = ALL & ~(1u << l) & ~(1u << f);

            ck_assert_int_eq(leaders(rest, &l2), 1);
            ck_assert_uint_eq(W.node[l2].g.set.n, 2);
            ck_assert(agree(rest, l2));
        }
    }
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_dead_member_removed_after_dead_ms)
{
    int l = -1, f;

    sim_cfg = cfg;
    sim_cfg.dead_ms = 2000;
    world_init(5, 18);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    f = (l + 1) % W.n;
    crash(f);
    run(1500); /* failed, not yet dead long enough */
    ck_assert_uint_eq(W.node[l].g.set.n, 5);
    ck_assert_int_eq(state_of(l, f), GDFS_MEMBER_FAILED);
    run(3000);
    for (int i = 0; i < W.n; i++)
        if (i != f)
            ck_assert_uint_eq(W.node[i].g.set.n, 4);
    ck_assert_int_eq(gdfs_version_cmp(&W.node[l].g.committed,
                                      &W.node[l].g.set.version),
                     0);
    /* Four members: the quorum is three. */
    ck_assert_uint_eq(gdfs_group_quorum(&W.node[l].g), 3);
    sim_cfg = cfg;
    ck_assert_str_eq(W.failure, "");
}
END_TEST

/* ---- forget: removing a failed member now ------------------------------- */

/* Run until the leader @l shows member @f failed (at most @ms). */
static bool run_until_failed(int l, int f, uint64_t ms)
{
    for (uint64_t t = 0; t < ms && state_of(l, f) != GDFS_MEMBER_FAILED;
         t += 50)
        run(50);
    return state_of(l, f) == GDFS_MEMBER_FAILED;
}

/* Every running node but those in @gone holds @n members, with the
 * leader's set committed. */
static void all_hold(unsigned gone, int l, uint32_t n)
{
    for (int i = 0; i < W.n; i++)
        if (!((gone >> i) & 1) && W.node[i].up)
            ck_assert_uint_eq(W.node[i].g.set.n, n);
    ck_assert_int_eq(gdfs_version_cmp(&W.node[l].g.committed,
                                      &W.node[l].g.set.version),
                     0);
}

/* Node @l is asked to forget member @i. */
static int forget(int l, int i)
{
    return gdfs_group_propose_forget(&W.node[l].g, W.node[i].id, W.now);
}

/* A group of @n whose leader (*l) has just forgotten member *f, crashed
 * and confirmed failed; the removal is committed. */
static void forgotten_one(int n, uint64_t seed, int *l, int *f)
{
    world_init(n, seed);
    run(3000);
    ck_assert_int_eq(leaders(ALL, l), 1);
    *f = (*l + 1) % W.n;
    crash(*f);
    ck_assert(run_until_failed(*l, *f, 3000));
    ck_assert_int_eq(forget(*l, *f), GDFS_OK);
    run(1000);
    all_hold(1u << *f, *l, (uint32_t)n - 1);
}

START_TEST(test_group_forget_only_a_failed_member)
{
    int l = -1, f, g2;

    world_init(5, 61);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    f = (l + 1) % W.n;
    g2 = (l + 2) % W.n;
    /* Alive: refused, nothing proposed; so is the leader itself, a name
     * that is no member, and any follower asked. */
    ck_assert_int_eq(forget(l, f), GDFS_EGROUP);
    ck_assert_int_eq(forget(l, l), GDFS_EGROUP);
    ck_assert_int_eq(gdfs_group_propose_forget(&W.node[l].g, "n99", W.now),
                     GDFS_ENOENT);
    ck_assert_int_eq(forget(f, g2), GDFS_ENOTLEADER);
    all_hold(0, l, 5);
    crash(f);
    crash(g2);
    /* Silent but not yet confirmed failed: still refused. */
    run(100);
    ck_assert_int_ne(state_of(l, f), GDFS_MEMBER_FAILED);
    ck_assert_int_eq(forget(l, f), GDFS_EGROUP);
    ck_assert(run_until_failed(l, f, 3000));
    ck_assert(run_until_failed(l, g2, 3000));
    /* Failed: removed now, long before any dead_ms; one change at a
     * time. */
    ck_assert_int_eq(forget(l, f), GDFS_OK);
    ck_assert_int_eq(forget(l, f), GDFS_ENOENT);
    ck_assert_int_eq(forget(l, g2), GDFS_EBUSY);
    run(1000);
    all_hold((1u << f) | (1u << g2), l, 4);
    /* Three of four alive commit the second removal too. */
    ck_assert_int_eq(forget(l, g2), GDFS_OK);
    run(1000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    all_hold((1u << f) | (1u << g2), l, 3);
    ck_assert_uint_eq(gdfs_group_quorum(&W.node[l].g), 2);
    ck_assert(agree(ALL & ~(1u << f) & ~(1u << g2), l));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_forget_needs_a_majority)
{
    int l = -1, f, g2;

    /* One of three dead: the other two are a majority of the three and
     * of the two left, so the change commits. */
    forgotten_one(3, 62, &l, &f);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    /* Two of three dead: the leader loses its majority and steps down;
     * nobody can commit a change, so nobody may propose one. */
    world_init(3, 63);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    f = (l + 1) % 3;
    g2 = (l + 2) % 3;
    crash(f);
    crash(g2);
    run(3000);
    ck_assert_int_eq(leaders(ALL, NULL), 0);
    ck_assert_int_eq(forget(l, f), GDFS_ENOTLEADER);
    ck_assert_uint_eq(W.node[l].g.set.n, 3);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_forgotten_node_restarted_is_told_and_stops)
{
    int l = -1, f;

    forgotten_one(4, 64, &l, &f);
    /* Back from its old database, which still names it a member: it
     * campaigns, nobody votes for a non-member, and the leader sends it
     * the set. The first such APPEND it drops (it does not follow that
     * leader yet: the rule against being removed by a stranger), the
     * next it takes, and it stops for good. */
    ck_assert_int_ge(gdfs_group_find(&W.node[f].disk.set, W.node[f].id), 0);
    W.hostile = true; /* that one drop is expected */
    restart(f);
    run(6000);
    ck_assert_int_eq(W.node[f].g.role, GDFS_ROLE_REMOVED);
    ck_assert_int_lt(gdfs_group_find(&W.node[f].disk.set, W.node[f].id), 0);
    ck_assert_uint_le(W.drop_events[f], 1);
    ck_assert_uint_eq(W.node[f].g.drops[GDFS_GROUP_DROP_SELF_REMOVAL],
                      W.drop_events[f]);
    for (int i = 0; i < W.n; i++)
        if (i != f)
            ck_assert_uint_eq(W.drop_events[i], 0);
    /* It never disturbed the group, and a restart is refused. */
    ck_assert_int_eq(leaders(ALL, &l), 1);
    all_hold(1u << f, l, 3);
    ck_assert(agree(ALL & ~(1u << f), l));
    restart(f);
    ck_assert_int_eq(W.node[f].g.role, GDFS_ROLE_REMOVED);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_member_joins_again_at_a_new_address)
{
    struct gdfs_group_io io;
    struct node *nd;
    int l = -1, f, seed;

    world_init(3, 65);
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    f = (l + 1) % 3;
    seed = (l + 2) % 3; /* joins through a follower: it relays the JOIN */
    crash(f);
    ck_assert(run_until_failed(l, f, 3000));
    /* A new machine: same id, new address, empty disk. */
    nd = &W.node[f];
    snprintf(nd->addr, sizeof(nd->addr), "10.0.9.%d:7100", f + 1);
    memset(&nd->disk, 0, sizeof(nd->disk));
    io = io_for(nd);
    nd->up = true;
    gdfs_group_start_join(&nd->g, nd->id, nd->addr, W.node[seed].addr, &cfg,
                          &io, W.now);
    run(3000);
    ck_assert_int_eq(nd->g.role, GDFS_ROLE_FOLLOWER);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    all_hold(0, l, 3);
    ck_assert(agree(ALL, l));
    for (int i = 0; i < 3; i++) {
        const struct gdfs_members *set = &W.node[i].g.set;

        ck_assert_str_eq(set->m[gdfs_group_find(set, nd->id)].addr, nd->addr);
        ck_assert_int_eq(state_of(i, f), GDFS_MEMBER_ALIVE);
    }
    ck_assert_str_eq(
        nd->disk.set.m[gdfs_group_find(&nd->disk.set, nd->id)].addr, nd->addr);
    /* Joining again at the address the set holds (a replaced disk)
     * changes nothing: the leader's next APPEND admits it. */
    {
        struct gdfs_version v = W.node[l].g.set.version;

        memset(&nd->disk, 0, sizeof(nd->disk));
        gdfs_group_start_join(&nd->g, nd->id, nd->addr, W.node[l].addr, &cfg,
                              &io, W.now);
        run(2000);
        ck_assert_int_eq(nd->g.role, GDFS_ROLE_FOLLOWER);
        ck_assert_int_eq(gdfs_version_cmp(&W.node[l].g.set.version, &v), 0);
    }
    ck_assert_str_eq(W.failure, "");
}
END_TEST

/* ---- hostile input ------------------------------------------------------ */

/* What a raw-frame client can send: any kind, any sender, any term. The
 * message is static (a struct gdfs_gmsg is large). */
static struct gdfs_gmsg *forge(int type, const char *from, uint64_t term)
{
    static struct gdfs_gmsg m;

    memset(&m, 0, sizeof(m));
    m.type = (uint8_t)type;
    snprintf(m.from, sizeof(m.from), "%s", from);
    snprintf(m.group_id, sizeof(m.group_id), "g");
    m.term = term;
    return &m;
}

/* An APPEND carrying node @i's own member set, as its leader would. */
static struct gdfs_gmsg *forge_append(int i, const char *from, uint64_t term)
{
    struct gdfs_gmsg *m = forge(GDFS_GMSG_APPEND, from, term);

    m->u.append.set = W.node[i].g.set;
    m->u.append.committed = W.node[i].g.committed;
    m->u.append.sent_at = W.now;
    return m;
}

static uint64_t drops(int i, int reason)
{
    return W.node[i].g.drops[reason];
}

/* A three-node group with a leader and everyone agreeing on it: *l is the
 * leader, *f one follower. From then on drops are expected. */
static void settled_three(uint64_t seed, int *l, int *f)
{
    world_init(3, seed);
    run(3000);
    ck_assert_int_eq(leaders(ALL, l), 1);
    ck_assert(agree(ALL, *l));
    W.hostile = true;
    *f = (*l + 1) % 3;
}

START_TEST(test_group_drops_malformed_and_own_id)
{
    int l, f;
    struct gdfs_gmsg *m;
    uint64_t term;

    settled_three(31, &l, &f);
    term = W.node[f].g.term;
    /* Its own id: never acted on, whatever the kind. */
    gdfs_group_recv(&W.node[f].g,
                    forge(GDFS_GMSG_VOTE, W.node[f].id, term + 1), W.now);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_FROM_SELF), 1);
    ck_assert_uint_eq(W.node[f].g.term, term);
    /* A kind out of range, a sender without its NUL, a set of 65. */
    gdfs_group_recv(&W.node[f].g, forge(0, W.node[l].id, term), W.now);
    m = forge(GDFS_GMSG_HEARTBEAT, "", term);
    memset(m->from, 'x', sizeof(m->from));
    gdfs_group_recv(&W.node[f].g, m, W.now);
    m = forge_append(f, W.node[l].id, term + 1);
    m->u.append.set.n = GDFS_GROUP_MAX + 1;
    gdfs_group_recv(&W.node[f].g, m, W.now);
    m = forge(GDFS_GMSG_SUSPECT, W.node[l].id, term);
    gdfs_group_recv(&W.node[f].g, m, W.now); /* empty target */
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_MALFORMED), 4);
    ck_assert_uint_eq(W.drop_events[f], 5);
    ck_assert_uint_eq(W.node[f].g.term, term);
    ck_assert_int_eq(W.node[f].g.role, GDFS_ROLE_FOLLOWER);
    ck_assert_str_eq(W.node[f].g.last_drop.from, W.node[l].id);
    ck_assert_uint_eq(W.node[f].g.last_drop.type, GDFS_GMSG_SUSPECT);
    run(1000);
    ck_assert(agree(ALL, l));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_leader_keeps_leading_on_append_in_its_term)
{
    int l, f;
    uint64_t term;

    settled_three(32, &l, &f);
    term = W.node[l].g.term;
    /* A member's id, the leader's own term: a second leader of one term.
     * It used to reach an assert and abort the process. */
    gdfs_group_recv(&W.node[l].g, forge_append(l, W.node[f].id, term), W.now);
    ck_assert_uint_eq(drops(l, GDFS_GROUP_DROP_TWO_LEADERS), 1);
    ck_assert_int_eq(W.node[l].g.role, GDFS_ROLE_LEADER);
    ck_assert_uint_eq(W.node[l].g.term, term);
    ck_assert_str_eq(W.node[l].g.leader, W.node[l].id);
    ck_assert(gdfs_group_can_write(&W.node[l].g, W.now));
    run(1000);
    ck_assert_int_eq(W.node[l].g.role, GDFS_ROLE_LEADER);
    ck_assert(agree(ALL, l));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_follower_keeps_the_leader_of_its_term)
{
    int l, f, other;
    uint64_t term;

    settled_three(33, &l, &f);
    other = (l + 2) % 3;
    term = W.node[f].g.term;
    gdfs_group_recv(&W.node[f].g, forge_append(f, W.node[other].id, term),
                    W.now);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_TWO_LEADERS), 1);
    ck_assert_str_eq(W.node[f].g.leader, W.node[l].id);
    /* Still so once it has stopped following (a pre-vote clears the
     * leader it follows, not the one it knows led the term). */
    W.node[f].g.role = GDFS_ROLE_PRECANDIDATE;
    W.node[f].g.leader[0] = '\0';
    gdfs_group_recv(&W.node[f].g, forge_append(f, W.node[other].id, term),
                    W.now);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_TWO_LEADERS), 2);
    ck_assert_int_eq(W.node[f].g.role, GDFS_ROLE_PRECANDIDATE);
    /* The leader it knew is followed again at its next APPEND. */
    run(500);
    ck_assert(agree(ALL, l));
    ck_assert_uint_eq(W.node[l].g.term, term);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

/* Node @i receives one message of every kind from @from at @term (JOIN
 * too if @join: a JOIN's term means nothing, it is checked for range). */
static void every_kind(int i, const char *from, uint64_t term, bool join)
{
    static const int kinds[] = {GDFS_GMSG_HEARTBEAT,  GDFS_GMSG_APPEND,
                                GDFS_GMSG_APPEND_ACK, GDFS_GMSG_VOTE,
                                GDFS_GMSG_VOTE,       GDFS_GMSG_VOTE_ACK,
                                GDFS_GMSG_SUSPECT,    GDFS_GMSG_LEAVE,
                                GDFS_GMSG_JOIN};

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct gdfs_gmsg *m = kinds[k] == GDFS_GMSG_APPEND
                                  ? forge_append(i, from, term)
                                  : forge(kinds[k], from, term);

        if (kinds[k] == GDFS_GMSG_JOIN && !join)
            break;
        m->u.vote.pre = k == 3; /* the first VOTE is a pre-vote */
        if (kinds[k] == GDFS_GMSG_VOTE)
            m->u.vote.version = W.node[i].g.set.version;
        if (kinds[k] == GDFS_GMSG_VOTE_ACK)
            m->u.vote_ack.granted = true;
        if (kinds[k] == GDFS_GMSG_SUSPECT)
            snprintf(m->u.suspect.target, sizeof(m->u.suspect.target), "%s",
                     W.node[i].id);
        if (kinds[k] == GDFS_GMSG_JOIN)
            snprintf(m->u.join.addr, sizeof(m->u.join.addr), "10.9.9.9:1");
        gdfs_group_recv(&W.node[i].g, m, W.now);
    }
}

START_TEST(test_group_refuses_terms_out_of_range)
{
    const uint64_t limit = GDFS_GROUP_COUNTER_LIMIT;
    const uint64_t jump = GDFS_GROUP_TERM_JUMP_MAX;
    int l, f;
    uint64_t term;

    settled_three(34, &l, &f);
    term = W.node[l].g.term;
    /* 2^64 - 1 used to be adopted and persisted, and the next election's
     * term + 1 wrapped to 0: now nothing at or past 2^63 changes a thing,
     * whoever sends it. */
    every_kind(l, W.node[f].id, UINT64_MAX, true);
    every_kind(l, W.node[f].id, limit, true);
    every_kind(f, W.node[l].id, UINT64_MAX, true);
    every_kind(f, W.node[l].id, limit, true);
    ck_assert_uint_eq(drops(l, GDFS_GROUP_DROP_TERM), 2 * 9);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_TERM), 2 * 9);
    /* Past the jump, from a node that is no member: nothing either. */
    every_kind(f, "x9", limit - 1, false);
    every_kind(f, "x9", term + jump + 1, false);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_TERM) +
                          drops(f, GDFS_GROUP_DROP_NOT_IN_SET),
                      2 * 9 + 2 * 8);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(W.node[i].g.term, term);
        ck_assert_uint_eq(W.node[i].disk.term, term);
    }
    ck_assert_int_eq(W.node[l].g.role, GDFS_ROLE_LEADER);
    ck_assert(gdfs_group_can_write(&W.node[l].g, W.now));
    run(1000);
    ck_assert(agree(ALL, l));
    ck_assert_uint_eq(W.node[l].g.term, term);

    /* Past the jump from a member: refused, never persisted, and the
     * node moves up by the jump only (a fence: it steps down). */
    gdfs_group_recv(&W.node[l].g,
                    forge(GDFS_GMSG_APPEND_ACK, W.node[f].id, term + jump + 1),
                    W.now);
    ck_assert_uint_eq(drops(l, GDFS_GROUP_DROP_TERM), 2 * 9 + 1);
    ck_assert_uint_eq(W.node[l].g.term, term + jump);
    ck_assert_uint_eq(W.node[l].disk.term, term + jump);
    ck_assert_str_eq(W.node[l].disk.vote, "");
    ck_assert_int_ne(W.node[l].g.role, GDFS_ROLE_LEADER);
    /* The group settles above it: the others learn it within the jump. */
    run(5000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    ck_assert(agree(ALL, l));
    ck_assert_uint_gt(W.node[l].g.term, term + jump);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_node_far_behind_catches_up)
{
    const uint64_t jump = GDFS_GROUP_TERM_JUMP_MAX;
    int l, f;
    uint64_t term;

    settled_three(36, &l, &f);
    term = W.node[f].g.term;
    /* While f is cut off, the others get three jumps ahead of it (terms
     * that were pushed on them, or ages of elections). */
    partition(1u << f);
    for (int i = 0; i < 3; i++)
        if (i != f) {
            crash(i);
            W.node[i].disk.term = term + 3 * jump;
            W.node[i].disk.vote[0] = '\0';
            restart(i);
        }
    run(3000);
    ck_assert_int_eq(leaders(ALL & ~(1u << f), &l), 1);
    ck_assert_uint_eq(W.node[f].g.term, term);
    heal();
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    ck_assert(agree(ALL, l));
    ck_assert_uint_ge(drops(f, GDFS_GROUP_DROP_TERM), 3);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_term_at_the_limit_never_wraps)
{
    const uint64_t top = GDFS_GROUP_COUNTER_LIMIT - 1;
    struct gdfs_group g;
    struct gdfs_group_io io;
    int l;

    world_init(3, 35);
    W.hostile = true;
    /* One election left before the limit. */
    for (int i = 0; i < 3; i++) {
        W.node[i].disk.term = top - 1;
        W.node[i].disk.vote[0] = '\0';
        restart(i);
    }
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    ck_assert_uint_eq(W.node[l].g.term, top);
    ck_assert(agree(ALL, l));
    /* None left: the other two never campaign past it. */
    crash(l);
    run(5000);
    ck_assert_int_eq(leaders(ALL, NULL), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(W.node[i].g.term, top);
        ck_assert_uint_eq(W.node[i].disk.term, top);
        if (i != l)
            ck_assert_uint_gt(drops(i, GDFS_GROUP_DROP_TERM_AT_LIMIT), 0);
    }
    ck_assert_str_eq(W.failure, ""); /* no term went back */
    /* A term past the limit on disk is not taken up at all. */
    io = io_for(&W.node[0]);
    ck_assert_int_eq(gdfs_group_start(&g, W.node[0].id, &cfg, &io, top + 1, "",
                                      &W.node[0].disk.set, W.now),
                     GDFS_ECORRUPT);
    ck_assert_int_eq(g.role, GDFS_ROLE_REMOVED);
}
END_TEST

START_TEST(test_group_refuses_counters_out_of_range)
{
    const uint64_t limit = GDFS_GROUP_COUNTER_LIMIT;
    int l, f, me, ml;
    uint64_t term, inc, n = 0;
    struct gdfs_gmsg *m;
    struct gdfs_version set_v;

    settled_three(37, &l, &f);
    term = W.node[f].g.term;
    inc = W.node[f].g.incarnation;
    me = gdfs_group_find(&W.node[f].g.set, W.node[f].id);
    ml = gdfs_group_find(&W.node[f].g.set, W.node[l].id);
    set_v = W.node[f].g.set.version;
    /* Shown suspect at 2^64 - 1: the refutation's + 1 used to wrap to 0. */
    m = forge_append(f, W.node[l].id, term);
    m->u.append.set.m[me].state = GDFS_MEMBER_SUSPECT;
    m->u.append.set.m[me].incarnation = UINT64_MAX;
    gdfs_group_recv(&W.node[f].g, m, W.now), n++;
    m = forge_append(f, W.node[l].id, term);
    m->u.append.set.version.seq = UINT64_MAX;
    gdfs_group_recv(&W.node[f].g, m, W.now), n++;
    m = forge_append(f, W.node[l].id, term); /* a version of a later term */
    m->u.append.set.version.term = term + 1;
    gdfs_group_recv(&W.node[f].g, m, W.now), n++;
    m = forge_append(f, W.node[l].id, term); /* committed beyond the set */
    m->u.append.committed = m->u.append.set.version;
    m->u.append.committed.seq++;
    gdfs_group_recv(&W.node[f].g, m, W.now), n++;
    m = forge(GDFS_GMSG_HEARTBEAT, W.node[l].id, term);
    m->u.heartbeat.incarnation = limit;
    gdfs_group_recv(&W.node[f].g, m, W.now), n++;
    m = forge(GDFS_GMSG_VOTE, W.node[l].id, term + 1);
    m->u.vote.pre = true;
    m->u.vote.version.term = term + 2;
    gdfs_group_recv(&W.node[f].g, m, W.now), n++;
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_COUNTER), n);
    ck_assert_uint_eq(W.node[f].g.incarnation, inc);
    ck_assert_uint_lt(W.node[f].g.set.m[ml].incarnation, limit);
    ck_assert_int_eq(gdfs_version_cmp(&W.node[f].g.set.version, &set_v), 0);
    ck_assert_int_eq(gdfs_version_cmp(&W.node[f].disk.set.version, &set_v), 0);
    ck_assert_uint_eq(W.node[f].g.term, term);

    /* At the top of the range a refutation stays there: no wrap. */
    m = forge_append(f, W.node[l].id, term);
    m->u.append.set.m[me].state = GDFS_MEMBER_SUSPECT;
    m->u.append.set.m[me].incarnation = limit - 1;
    gdfs_group_recv(&W.node[f].g, m, W.now);
    ck_assert_uint_eq(W.node[f].g.incarnation, limit - 1);

    /* The leader's side: acks of an APPEND it never sent. */
    n = 0;
    m = forge(GDFS_GMSG_APPEND_ACK, W.node[f].id, term);
    m->u.append_ack.version = W.node[l].g.set.version;
    m->u.append_ack.incarnation = limit;
    gdfs_group_recv(&W.node[l].g, m, W.now), n++;
    m = forge(GDFS_GMSG_APPEND_ACK, W.node[f].id, term);
    m->u.append_ack.version = W.node[l].g.set.version;
    m->u.append_ack.version.seq++; /* a set it never made */
    gdfs_group_recv(&W.node[l].g, m, W.now), n++;
    m = forge(GDFS_GMSG_SUSPECT, W.node[f].id, term);
    snprintf(m->u.suspect.target, sizeof(m->u.suspect.target), "%s",
             W.node[(l + 2) % 3].id);
    m->u.suspect.incarnation = UINT64_MAX;
    gdfs_group_recv(&W.node[l].g, m, W.now), n++;
    ck_assert_uint_eq(drops(l, GDFS_GROUP_DROP_COUNTER), n);
    ck_assert_int_eq(W.node[l].g.role, GDFS_ROLE_LEADER);
    run(1000);
    ck_assert(agree(ALL, l));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_lease_ignores_acks_from_the_future)
{
    int l, f;

    settled_three(38, &l, &f);
    /* Both followers "acknowledge" an APPEND sent in a year: taken, that
     * would hold the leader's lease for a year. */
    for (int k = 1; k <= 2; k++) {
        struct gdfs_gmsg *m = forge(GDFS_GMSG_APPEND_ACK,
                                    W.node[(l + k) % 3].id, W.node[l].g.term);

        m->u.append_ack.version = W.node[l].g.set.version;
        m->u.append_ack.sent_at = W.now + 365ull * 24 * 3600 * 1000;
        gdfs_group_recv(&W.node[l].g, m, W.now);
    }
    ck_assert_uint_eq(drops(l, GDFS_GROUP_DROP_COUNTER), 2);
    /* Cut off, it loses the lease in time, before the others elect (the
     * world fails the test if two nodes may write at once). */
    partition(1u << l);
    run(cfg.lease_ms + 2 * STEP_MS);
    ck_assert(!gdfs_group_can_write(&W.node[l].g, W.now));
    run(3000);
    ck_assert_int_eq(leaders(ALL & ~(1u << l), NULL), 1);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

/* @i's member set without member @gone (as a leader removing it sends). */
static struct gdfs_gmsg *forge_without(int i, int gone, const char *from,
                                       uint64_t term)
{
    struct gdfs_gmsg *m = forge_append(i, from, term);
    struct gdfs_members *set = &m->u.append.set;
    int k = gdfs_group_find(set, W.node[gone].id);

    set->m[k] = set->m[set->n - 1];
    set->n--;
    return m;
}

START_TEST(test_group_refuses_bad_member_sets)
{
    int l, f, other;
    uint64_t term;
    struct gdfs_gmsg *m;
    struct gdfs_members before;

    settled_three(39, &l, &f);
    other = (l + 2) % 3;
    term = W.node[f].g.term;
    before = W.node[f].g.set;
    m = forge_append(f, W.node[l].id, term); /* a member twice */
    snprintf(m->u.append.set.m[1].id, sizeof(m->u.append.set.m[1].id), "%s",
             m->u.append.set.m[0].id);
    gdfs_group_recv(&W.node[f].g, m, W.now);
    m = forge_append(f, W.node[l].id, term); /* LEFT: a smaller majority */
    m->u.append.set.m[gdfs_group_find(&m->u.append.set, W.node[other].id)]
        .state = GDFS_MEMBER_LEFT;
    gdfs_group_recv(&W.node[f].g, m, W.now);
    m = forge_append(f, W.node[l].id, term); /* another group's set */
    snprintf(m->u.append.set.group_id, sizeof(m->u.append.set.group_id), "h");
    gdfs_group_recv(&W.node[f].g, m, W.now);
    m = forge_append(f, W.node[l].id, term); /* nobody */
    m->u.append.set.n = 0;
    gdfs_group_recv(&W.node[f].g, m, W.now);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_SET), 4);
    /* From a stranger who is not in the set it sends either, at a higher
     * term: dropped before the term is taken. */
    m = forge_append(f, "x9", term + 1);
    gdfs_group_recv(&W.node[f].g, m, W.now);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_NOT_IN_SET), 1);
    ck_assert_uint_eq(W.node[f].g.term, term);
    ck_assert_uint_eq(W.node[f].g.set.n, before.n);
    ck_assert_int_eq(gdfs_version_cmp(&W.node[f].g.set.version,
                                      &before.version),
                     0);
    run(1000);
    ck_assert(agree(ALL, l));
    ck_assert_str_eq(W.failure, "");
}
END_TEST

START_TEST(test_group_removes_itself_only_on_its_leaders_word)
{
    int l, f, other;
    uint64_t term;
    struct gdfs_gmsg *m;

    settled_three(40, &l, &f);
    other = (l + 2) % 3;
    term = W.node[f].g.term;
    /* Stale: answered with the newer term, nothing taken. */
    m = forge_without(f, f, W.node[l].id, term - 1);
    m->u.append.set.version.term = 0;
    m->u.append.set.version.seq++;
    gdfs_group_recv(&W.node[f].g, m, W.now);
    /* Another member in the same term: a second leader. */
    m = forge_without(f, f, W.node[other].id, term);
    m->u.append.set.version.seq++;
    gdfs_group_recv(&W.node[f].g, m, W.now);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_TWO_LEADERS), 1);
    /* Its own leader, but a set no newer than the one it holds. */
    m = forge_without(f, f, W.node[l].id, term);
    gdfs_group_recv(&W.node[f].g, m, W.now);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_SELF_REMOVAL), 1);
    /* A member at a higher term: the term is a fence and is taken, but a
     * node it never followed does not remove it. */
    m = forge_without(f, f, W.node[other].id, term + 1);
    m->u.append.set.version.term = term + 1;
    m->u.append.set.version.seq++;
    gdfs_group_recv(&W.node[f].g, m, W.now);
    ck_assert_uint_eq(drops(f, GDFS_GROUP_DROP_SELF_REMOVAL), 2);
    ck_assert_uint_eq(W.node[f].g.term, term + 1);
    ck_assert_int_eq(W.node[f].g.role, GDFS_ROLE_FOLLOWER);
    ck_assert_int_ge(gdfs_group_find(&W.node[f].g.set, W.node[f].id), 0);
    ck_assert_int_ge(gdfs_group_find(&W.node[f].disk.set, W.node[f].id), 0);
    /* The group gets over the forged term and keeps all three. */
    run(3000);
    ck_assert_int_eq(leaders(ALL, &l), 1);
    ck_assert(agree(ALL, l));
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(W.node[i].g.set.n, 3);
    /* The real thing, its leader removing it, still works. */
    f = (l + 1) % 3;
    ck_assert_int_eq(gdfs_group_propose_leave(&W.node[l].g, W.node[f].id,
                                              W.now),
                     GDFS_OK);
    run(2000);
    ck_assert_int_eq(W.node[f].g.role, GDFS_ROLE_REMOVED);
    ck_assert_str_eq(W.failure, "");
}
END_TEST

/* In @viewer's member set, @member failed "since" 0. */
static void show_failed_since_0(int viewer, int member)
{
    struct gdfs_members *set = &W.node[viewer].g.set;
    struct gdfs_member *m = &set->m[gdfs_group_find(set, W.node[member].id)];

    m->state = GDFS_MEMBER_FAILED;
    m->since = 0;
}

START_TEST(test_group_new_leader_times_failures_on_its_own_clock)
{
    int l, f, other, l2 = -1;

    sim_cfg = cfg;
    sim_cfg.dead_ms = 2000;
    settled_three(41, &l, &f);
    other = (l + 2) % 3;
    /* Each follower was shown the other failed, "since" a time on another
     * clock (0 here; far ahead of ours works the same way). */
    show_failed_since_0(f, other);
    show_failed_since_0(other, f);
    crash(l);
    while (leaders(ALL, &l2) == 0 && W.now < 20000)
        run(STEP_MS);
    ck_assert_int_eq(leaders(ALL, &l2), 1);
    /* Well within dead_ms of the election: the member it was shown failed
     * is still in, and has refuted. */
    run(500);
    ck_assert_uint_eq(W.node[l2].g.set.n, 3);
    ck_assert_int_eq(state_of(l2, l2 == f ? other : f), GDFS_MEMBER_ALIVE);
    sim_cfg = cfg;
    ck_assert_str_eq(W.failure, "");
}
END_TEST

/* ---- randomized schedules ------------------------------------------------ */

static unsigned popcount(unsigned x)
{
    return (unsigned)__builtin_popcount(x);
}

/* One schedule: random faults for ~20 s of simulated time, then a long
 * calm. Returns "" or what failed. */
static const char *simulate(uint64_t seed)
{
    uint64_t calm_from = 0;
    unsigned side = 0;               /* current partition mask, 0 = healed */
    int n = 3 + (int)(seed % 3) * 2; /* 3, 5 or 7 */

    world_init(n, seed);
    for (int phase = 0; phase < 40 && W.failure[0] == '\0'; phase++) {
        uint64_t r = xorshift(&W.rng);
        int victim = (int)(r % (uint64_t)n);

        switch ((r >> 8) % 8) {
        case 0:
            side = (unsigned)(xorshift(&W.rng) % ALL);
            partition(side);
            break;
        case 1:
            side = 0;
            heal();
            break;
        case 2:
            crash(victim);
            break;
        case 3:
            if (!W.node[victim].up)
                restart(victim);
            break;
        case 4:
            W.node[victim].paused = !W.node[victim].paused;
            break;
        case 5:
            W.drop_pct = (unsigned)(xorshift(&W.rng) % 30);
            break;
        case 6:
            W.delay_max = (unsigned)(xorshift(&W.rng) % 200);
            break;
        default:
            break;
        }
        run(100 + xorshift(&W.rng) % 900);
        calm_from = W.now;
        /* Whenever the network has held still for a while, check that a
         * side without a majority of the members has no leader. */
        if (side != 0 && W.drop_pct == 0) {
            unsigned sides[2] = {side, ALL & ~side};

            run(2 * cfg.election_ms + 2 * (uint64_t)W.delay_max);
            for (int s = 0; s < 2; s++)
                if (popcount(sides[s]) < (unsigned)n / 2 + 1 &&
                    leaders(sides[s], NULL) > 0)
                    sim_fail("a leader on the minority side (mask %#x) at "
                             "t=%" PRIu64,
                             sides[s], W.now);
        }
    }
    /* Calm: everyone up, no faults. One leader, agreed by all. */
    heal();
    W.drop_pct = 0;
    W.delay_max = 0;
    for (int i = 0; i < n; i++) {
        W.node[i].paused = false;
        if (!W.node[i].up)
            restart(i);
    }
    (void)calm_from;
    run(6000);
    if (W.failure[0] == '\0') {
        int l = -1;

        if (leaders(ALL, &l) != 1)
            sim_fail("%d leaders after 6 s of calm", leaders(ALL, NULL));
        else if (!agree(ALL, l))
            sim_fail("members disagree on leader or term after calm");
        else if (!gdfs_group_can_write(&W.node[l].g, W.now))
            sim_fail("the leader holds no lease after calm");
    }
    world_free();
    return W.failure;
}

START_TEST(test_group_random_schedules)
{
    const char *one = getenv("GDFS_SIM_SEED");
    const char *many = getenv("GDFS_SIM_SEEDS");
    uint64_t first = one ? strtoull(one, NULL, 10) : 1;
    uint64_t count = one ? 1 : many ? strtoull(many, NULL, 10) : 1000;
    unsigned bad = 0;

    for (uint64_t s = first; s < first + count; s++) {
        const char *why = simulate(s);

        if (why[0] != '\0') {
            fprintf(stderr,
                    "seed %" PRIu64
                    " failed: %s (replay: GDFS_SIM_SEED=%" PRIu64
                    " tests/unit/test_group)\n",
                    s, why, s);
            if (++bad >= 5)
                break;
        }
    }
    ck_assert_msg(bad == 0, "%u schedule(s) failed; see stderr", bad);
}
END_TEST

static Suite *group_suite(void)
{
    Suite *s = suite_create("group");
    TCase *exact = tcase_create("exact"), *random = tcase_create("random");

    tcase_add_test(exact, test_ring_neighbours_are_two_each_side);
    tcase_add_test(exact, test_group_majority_is_more_than_half);
    tcase_add_test(exact, test_group_of_one_leads_at_once);
    tcase_add_test(exact, test_group_elects_one_leader);
    tcase_add_test(exact, test_group_leader_crash_replaced);
    tcase_add_test(exact, test_group_vote_needs_a_log_as_up_to_date);
    tcase_add_test(exact, test_group_wiped_member_votes_only_when_caught_up);
    tcase_add_test(exact, test_group_released_votes_start_at_the_next_term);
    tcase_add_test(exact, test_group_new_leader_shown_failed_is_alive);
    tcase_add_test(exact, test_group_follower_crash_marked_failed_then_alive);
    tcase_add_test(exact, test_group_partition_minority_has_no_leader);
    tcase_add_test(exact, test_group_cut_off_node_does_not_disrupt_leader);
    tcase_add_test(exact, test_group_paused_leader_steps_down);
    tcase_add_test(exact, test_group_join_and_leave);
    tcase_add_test(exact, test_group_dead_member_removed_after_dead_ms);
    tcase_add_test(exact, test_group_forget_only_a_failed_member);
    tcase_add_test(exact, test_group_forget_needs_a_majority);
    tcase_add_test(exact,
                   test_group_forgotten_node_restarted_is_told_and_stops);
    tcase_add_test(exact, test_group_member_joins_again_at_a_new_address);
    tcase_add_test(exact, test_group_drops_malformed_and_own_id);
    tcase_add_test(exact,
                   test_group_leader_keeps_leading_on_append_in_its_term);
    tcase_add_test(exact, test_group_follower_keeps_the_leader_of_its_term);
    tcase_add_test(exact, test_group_refuses_terms_out_of_range);
    tcase_add_test(exact, test_group_node_far_behind_catches_up);
    tcase_add_test(exact, test_group_term_at_the_limit_never_wraps);
    tcase_add_test(exact, test_group_refuses_counters_out_of_range);
    tcase_add_test(exact, test_group_lease_ignores_acks_from_the_future);
    tcase_add_test(exact, test_group_refuses_bad_member_sets);
    tcase_add_test(exact, test_group_removes_itself_only_on_its_leaders_word);
    tcase_add_test(exact,
                   test_group_new_leader_times_failures_on_its_own_clock);
    tcase_add_test(random, test_group_random_schedules);
    tcase_set_timeout(random, 600); /* ASan on 2 busy cores: minutes */
    suite_add_tcase(s, exact);
    suite_add_tcase(s, random);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(group_suite());
    int failed;

    /* Messages are malloc'd and freed by the thousand: keep the heap
     * instead of returning it to the kernel and faulting it back in. */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 64 << 20);

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
