/* Unit tests of the put's frame ring (src/node/data/fanout.c): every consumer
 * takes every frame in order, the ring holds at most GDFS_FANOUT_SLOTS
 * frames a consumer has not taken, and a consumer that fails no longer
 * holds the others back. Consumers here record what they take and can be
 * held at a gate or made to fail at a given frame. */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "node/data/fanout.h"

#define NFRAMES 40

struct sink {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool held;    /* the consumer waits at the gate */
    int fail_at;  /* fail when taking this frame (-1: never) */
    unsigned got; /* frames taken */
    uint8_t seen[NFRAMES];
    bool intact; /* every frame arrived as pushed */
};

static struct sink sinks[GDFS_REPLICAS];

static void sinks_init(void)
{
    for (unsigned i = 0; i < GDFS_REPLICAS; i++) {
        struct sink *k = &sinks[i];

        memset(k, 0, sizeof(*k));
        pthread_mutex_init(&k->mu, NULL);
        pthread_cond_init(&k->cv, NULL);
        k->fail_at = -1;
        k->intact = true;
    }
}

static void gate(unsigned i, bool held)
{
    pthread_mutex_lock(&sinks[i].mu);
    sinks[i].held = held;
    pthread_cond_broadcast(&sinks[i].cv);
    pthread_mutex_unlock(&sinks[i].mu);
}

static unsigned got(unsigned i)
{
    unsigned n;

    pthread_mutex_lock(&sinks[i].mu);
    n = sinks[i].got;
    pthread_mutex_unlock(&sinks[i].mu);
    return n;
}

/* Frame n: n + 1 bytes, each n. */
static size_t frame_of(unsigned n, uint8_t *buf)
{
    memset(buf, (int)n, n + 1);
    return n + 1;
}

static int take(void *ctx, unsigned i, const uint8_t *frame, size_t len)
{
    struct sink *k = &((struct sink *)ctx)[i];
    int rc = GDFS_OK;

    pthread_mutex_lock(&k->mu);
    while (k->held)
        pthread_cond_wait(&k->cv, &k->mu);
    if ((int)k->got == k->fail_at) {
        rc = GDFS_EIO;
    } else {
        if (len != (size_t)frame[0] + 1 || frame[len - 1] != frame[0])
            k->intact = false;
        k->seen[k->got++] = frame[0];
    }
    pthread_mutex_unlock(&k->mu);
    return rc;
}

static struct gdfs_fanout *start(unsigned n)
{
    struct gdfs_fanout *f;

    ck_assert_int_eq(gdfs_fanout_new(NFRAMES + 1, &f), GDFS_OK);
    for (unsigned i = 0; i < n; i++)
        ck_assert_int_eq(gdfs_fanout_add(f, i, take, sinks), GDFS_OK);
    return f;
}

static void check_all_in_order(unsigned i, unsigned n)
{
    ck_assert_uint_eq(sinks[i].got, n);
    ck_assert(sinks[i].intact);
    for (unsigned k = 0; k < n; k++)
        ck_assert_uint_eq(sinks[i].seen[k], k);
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(test_fanout_every_consumer_takes_every_frame_in_order)
{
    struct gdfs_fanout *f;
    uint8_t buf[NFRAMES + 1];

    sinks_init();
    f = start(GDFS_REPLICAS);
    for (unsigned n = 0; n < NFRAMES; n++)
        ck_assert_int_eq(gdfs_fanout_push(f, buf, frame_of(n, buf)), GDFS_OK);
    gdfs_fanout_flush(f);
    for (unsigned i = 0; i < GDFS_REPLICAS; i++) {
        check_all_in_order(i, NFRAMES);
        ck_assert(!gdfs_fanout_reap(f, i));
    }
    gdfs_fanout_free(f);
}
END_TEST

struct pusher {
    struct gdfs_fanout *f;
    unsigned n;
    pthread_mutex_t mu;
    unsigned pushed;
};

static void *push_main(void *arg)
{
    struct pusher *p = arg;
    uint8_t buf[NFRAMES + 1];

    for (unsigned n = 0; n < p->n; n++) {
        ck_assert_int_eq(gdfs_fanout_push(p->f, buf, frame_of(n, buf)),
                         GDFS_OK);
        pthread_mutex_lock(&p->mu);
        p->pushed++;
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static unsigned pushed(struct pusher *p)
{
    unsigned n;

    pthread_mutex_lock(&p->mu);
    n = p->pushed;
    pthread_mutex_unlock(&p->mu);
    return n;
}

START_TEST(test_fanout_a_held_consumer_bounds_the_ring)
{
    struct pusher p = {.n = 12, .mu = PTHREAD_MUTEX_INITIALIZER};
    struct timespec pause = {0, 200 * 1000 * 1000};
    pthread_t tid;

    sinks_init();
    gate(1, true); /* consumer 1 takes nothing yet */
    p.f = start(2);
    ck_assert_int_eq(pthread_create(&tid, NULL, push_main, &p), 0);
    /* Consumer 0 keeps up; consumer 1 holds its first frame: the pusher
     * gets GDFS_FANOUT_SLOTS frames in, and no more. */
    for (int t = 0; t < 500 && pushed(&p) < GDFS_FANOUT_SLOTS; t++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    nanosleep(&pause, NULL);
    ck_assert_uint_eq(pushed(&p), GDFS_FANOUT_SLOTS);
    ck_assert_uint_eq(got(1), 0);
    gate(1, false);
    ck_assert_int_eq(pthread_join(tid, NULL), 0);
    gdfs_fanout_flush(p.f);
    check_all_in_order(0, p.n);
    check_all_in_order(1, p.n);
    gdfs_fanout_free(p.f);
}
END_TEST

START_TEST(test_fanout_a_failed_consumer_stops_and_holds_nothing_back)
{
    struct gdfs_fanout *f;
    uint8_t buf[NFRAMES + 1];

    sinks_init();
    sinks[1].fail_at = 2;
    f = start(3);
    for (unsigned n = 0; n < NFRAMES; n++)
        ck_assert_int_eq(gdfs_fanout_push(f, buf, frame_of(n, buf)), GDFS_OK);
    gdfs_fanout_flush(f);
    check_all_in_order(0, NFRAMES);
    check_all_in_order(2, NFRAMES);
    check_all_in_order(1, 2); /* frames 0 and 1, then it failed */
    ck_assert(gdfs_fanout_reap(f, 1));
    ck_assert(!gdfs_fanout_reap(f, 1)); /* reaped once */
    ck_assert(!gdfs_fanout_reap(f, 0));
    gdfs_fanout_free(f);
}
END_TEST

START_TEST(test_fanout_push_with_every_consumer_failed_returns)
{
    struct gdfs_fanout *f;
    uint8_t buf[NFRAMES + 1];

    sinks_init();
    sinks[0].fail_at = 0;
    f = start(1);
    for (unsigned n = 0; n < NFRAMES; n++)
        ck_assert_int_eq(gdfs_fanout_push(f, buf, frame_of(n, buf)), GDFS_OK);
    gdfs_fanout_flush(f);
    ck_assert_uint_eq(got(0), 0);
    ck_assert(gdfs_fanout_reap(f, 0));
    gdfs_fanout_free(f);
}
END_TEST

START_TEST(test_fanout_refuses_a_frame_over_its_size)
{
    struct gdfs_fanout *f;
    uint8_t buf[NFRAMES + 2] = {0};

    sinks_init();
    f = start(1);
    ck_assert_int_eq(gdfs_fanout_push(f, buf, sizeof(buf)), GDFS_ETOOBIG);
    gdfs_fanout_flush(f);
    ck_assert_uint_eq(got(0), 0);
    gdfs_fanout_free(f);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *fanout_suite(void)
{
    Suite *s = suite_create("fanout");
    TCase *tc = tcase_create("fanout");

    tcase_add_test(tc, test_fanout_every_consumer_takes_every_frame_in_order);
    tcase_add_test(tc, test_fanout_a_held_consumer_bounds_the_ring);
    tcase_add_test(tc,
                   test_fanout_a_failed_consumer_stops_and_holds_nothing_back);
    tcase_add_test(tc, test_fanout_push_with_every_consumer_failed_returns);
    tcase_add_test(tc, test_fanout_refuses_a_frame_over_its_size);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fanout_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
