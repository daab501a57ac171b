/* Unit tests of the checkpointer (src/store/checkpoint.c) on real SQLite
 * files: the WAL stays near its cap under a long put, a writer over the
 * cap still moves while a reader holds old frames, the WAL is truncated
 * once idle (and only once no reader holds it), one checkpointer per
 * database, no committed page lost to SQLite's WAL-reset race. */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "hash.h"
#include "store/checkpoint.h"
#include "store/store.h"

#define CHUNK (64u << 10)

static char dir[256];
static char path[300];
static char wal[310];
static struct gdfs_store *st;
/* 64 KiB pages: SQLite's own checkpoint would wait for 1000 of them
 * (64 MiB), far beyond what these tests write. */
static const struct gdfs_store_opts opts = {.page_size = 65536,
                                            .cache_kib = 1024,
                                            .keep_versions = 3};

static struct gdfs_store *open_store(void)
{
    struct gdfs_store *s = NULL;
    char err[512];
    int rc = gdfs_store_open(path, &opts, &s, err, sizeof(err));

    ck_assert_msg(rc == GDFS_OK, "open: %s", err);
    return s;
}

static struct gdfs_checkpoint *start(uint32_t start_kib, uint32_t cap_kib,
                                     uint32_t idle_ms)
{
    struct gdfs_checkpoint_opts co = {start_kib, cap_kib, idle_ms};
    struct gdfs_checkpoint *ck = NULL;
    char err[512];
    int rc = gdfs_checkpoint_start(path, &opts, &co, &ck, err, sizeof(err));

    ck_assert_msg(rc == GDFS_OK, "checkpoint_start: %s", err);
    return ck;
}

static void setup(void)
{
    struct stat sb;

    /* On tmpfs where there is one: what these tests race and bound is in
     * the WAL index and the WAL's size, not on disk, and without fsync
     * costs far more checkpoint passes fit in a second. */
    snprintf(dir, sizeof(dir), "%s/gdfs-test-ckpt-XXXXXX",
             stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
                     access("/dev/shm", W_OK) == 0
                 ? "/dev/shm"
                 : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, GDFS_STORE_DB_NAME);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    st = open_store();
    ck_assert_int_eq(gdfs_store_init_node(st, "n1", "g1", "127.0.0.1:1", 1),
                     GDFS_OK);
}

static void teardown(void)
{
    char cmd[400];

    gdfs_store_close(st);
    st = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static long long wal_size(void)
{
    struct stat sb;

    return stat(wal, &sb) == 0 ? (long long)sb.st_size : 0;
}

#define NAME(s) (const uint8_t *)(s), strlen(s)

/* Put @nchunks chunks of CHUNK bytes under @name and commit; returns the
 * largest WAL file size seen after a chunk. */
static long long put_file(const char *name, uint32_t nchunks)
{
    struct gdfs_store_version v;
    struct gdfs_hash list;
    uint8_t *buf = malloc(CHUNK), sha[GDFS_SHA256_LEN];
    long long peak = 0;

    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(gdfs_store_put_begin(st, NAME(name), CHUNK, NULL, &v),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_hash_init(&list), GDFS_OK);
    for (uint32_t i = 0; i < nchunks; i++) {
        memset(buf, (int)i, CHUNK);
        gdfs_hash_sha256(buf, CHUNK, sha);
        gdfs_hash_update(&list, sha, sizeof(sha));
        ck_assert_int_eq(gdfs_store_put_chunk(st, v.id, i, sha, buf, CHUNK),
                         GDFS_OK);
        if (wal_size() > peak)
            peak = wal_size();
    }
    gdfs_hash_final(&list, sha);
    ck_assert_int_eq(gdfs_store_put_commit(st, v.id, (uint64_t)nchunks * CHUNK,
                                           nchunks, sha, &v.version),
                     GDFS_OK);
    free(buf);
    return peak;
}

/* Every chunk of @name reads back as put_file wrote it. */
static void check_file(const char *name, uint32_t nchunks)
{
    struct gdfs_store_version v;
    uint8_t *buf = malloc(CHUNK), sha[GDFS_SHA256_LEN];
    size_t len;

    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME(name), 0, &v), GDFS_OK);
    ck_assert_uint_eq(v.nchunks, nchunks);
    for (uint32_t i = 0; i < nchunks; i++) {
        ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, i, buf, CHUNK, &len,
                                               sha),
                         GDFS_OK);
        ck_assert_uint_eq(len, CHUNK);
        ck_assert_int_eq(buf[0], (int)(i & 0xff));
        ck_assert_int_eq(buf[CHUNK - 1], (int)(i & 0xff));
    }
    free(buf);
}

/* Poll (5 s at most) until @ck has truncated the WAL more than @before
 * times and the WAL file is empty; the stats then. */
static struct gdfs_checkpoint_stats truncated(struct gdfs_checkpoint *ck,
                                              uint64_t before)
{
    struct timespec ms10 = {0, 10000000};
    struct gdfs_checkpoint_stats s;

    for (int i = 0; i < 500; i++) {
        gdfs_checkpoint_stats(ck, &s);
        if (s.truncate > before && wal_size() == 0)
            break;
        nanosleep(&ms10, NULL);
    }
    ck_assert_msg(s.truncate > before && wal_size() == 0,
                  "truncate %llu (before %llu), busy %llu, WAL %lld bytes",
                  (unsigned long long)s.truncate, (unsigned long long)before,
                  (unsigned long long)s.busy, wal_size());
    return s;
}

START_TEST(test_ckpt_wal_bounded)
{
    /* 8 MiB through a 1 MiB cap; SQLite alone would let it reach 8 MiB. */
    struct gdfs_checkpoint *ck = start(256, 1024, 60000);
    struct gdfs_checkpoint_stats s;
    long long peak = put_file("big", 128);

    ck_assert_msg(peak <= (2 << 20), "WAL reached %lld bytes", peak);
    check_file("big", 128);
    gdfs_checkpoint_stats(ck, &s);
    ck_assert_uint_gt(s.passive, 0);
    ck_assert_uint_eq(s.truncate, 0); /* never idle for a minute here */
    gdfs_checkpoint_stop(ck);
}
END_TEST

START_TEST(test_ckpt_without_checkpointer_grows)
{
    /* The control: the same put with no checkpointer passes the bound
     * above, so that test measures the checkpointer. */
    long long peak = put_file("big", 128);

    ck_assert_msg(peak > (4 << 20), "WAL only reached %lld bytes", peak);
    check_file("big", 128);
}
END_TEST

START_TEST(test_ckpt_reader_does_not_stop_writer)
{
    struct gdfs_checkpoint *ck = start(256, 1024, 60000);
    struct gdfs_store *rd = open_store();
    struct gdfs_store_version v;

    put_file("first", 4);
    /* A reader holding a snapshot keeps every later frame in the WAL:
     * the writer over the cap must still finish, a pass per chunk. */
    ck_assert_int_eq(gdfs_store_snapshot_begin(rd), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(rd, NAME("first"), 0, &v), GDFS_OK);
    ck_assert_msg(put_file("second", 64) > (2 << 20),
                  "the reader did not hold the WAL");
    gdfs_store_snapshot_end(rd);
    check_file("second", 64);
    gdfs_store_close(rd);
    gdfs_checkpoint_stop(ck);
}
END_TEST

START_TEST(test_ckpt_idle_truncates)
{
    struct gdfs_checkpoint *ck = start(1 << 20, 2 << 20, 100);
    struct gdfs_store *rd = open_store();
    struct gdfs_checkpoint_stats s;
    struct gdfs_store_version v;

    put_file("a", 32);
    s = truncated(ck, 0);
    ck_assert_uint_eq(s.passive, 0); /* under start_kib: idle work only */
    check_file("a", 32);

    /* A reader on old frames puts the truncation off, not forever. */
    put_file("b", 8);
    ck_assert_int_eq(gdfs_store_snapshot_begin(rd), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(rd, NAME("b"), 0, &v), GDFS_OK);
    put_file("c", 8);
    for (int i = 0; i < 500; i++) {
        struct timespec ms10 = {0, 10000000};

        gdfs_checkpoint_stats(ck, &s);
        if (s.busy > 0)
            break;
        nanosleep(&ms10, NULL);
    }
    ck_assert_uint_gt(s.busy, 0);
    ck_assert_int_gt(wal_size(), 0);
    gdfs_store_snapshot_end(rd);
    truncated(ck, s.truncate);
    check_file("b", 8);
    check_file("c", 8);
    gdfs_store_close(rd);
    gdfs_checkpoint_stop(ck);
}
END_TEST

START_TEST(test_ckpt_one_per_database)
{
    struct gdfs_checkpoint *ck = start(256, 1024, 100), *two = NULL;
    struct gdfs_checkpoint_opts co = {256, 1024, 100};
    char err[512];

    ck_assert_int_eq(gdfs_checkpoint_start(path, &opts, &co, &two, err,
                                           sizeof(err)),
                     GDFS_EINVAL);
    ck_assert_ptr_null(two);
    ck_assert_ptr_nonnull(strstr(err, "already runs"));
    gdfs_checkpoint_stop(ck);
    /* Stopped: a new one may start. */
    ck = start(256, 1024, 100);
    gdfs_checkpoint_stop(ck);
}
END_TEST

/* Put @nchunks chunks of CHUNK bytes under @name through @s, chunk i
 * filled with (i + @seed) & 0xff so that a page left over from an earlier
 * version cannot pass for this one's, and commit. No assertion: it also
 * runs in a second writer thread; GDFS_OK or the first failure. */
static int put_seeded(struct gdfs_store *s, const char *name, uint32_t nchunks,
                      uint32_t seed)
{
    struct gdfs_store_version v;
    struct gdfs_hash list;
    uint8_t *buf = malloc(CHUNK), sha[GDFS_SHA256_LEN];
    int rc = buf ? GDFS_OK : GDFS_ENOMEM;

    if (rc == GDFS_OK)
        rc = gdfs_store_put_begin(s, NAME(name), CHUNK, NULL, &v);
    if (rc == GDFS_OK)
        rc = gdfs_hash_init(&list);
    for (uint32_t i = 0; rc == GDFS_OK && i < nchunks; i++) {
        memset(buf, (int)((i + seed) & 0xff), CHUNK);
        gdfs_hash_sha256(buf, CHUNK, sha);
        gdfs_hash_update(&list, sha, sizeof(sha));
        rc = gdfs_store_put_chunk(s, v.id, i, sha, buf, CHUNK);
    }
    if (rc == GDFS_OK) {
        gdfs_hash_final(&list, sha);
        rc = gdfs_store_put_commit(s, v.id, (uint64_t)nchunks * CHUNK, nchunks,
                                   sha, &v.version);
    }
    free(buf);
    return rc;
}

/* The second writer: its own connection, putting "race2" for as long as
 * the main thread puts "race". */
struct writer {
    pthread_t thread;
    struct gdfs_store *st;
    uint32_t seed; /* of its last complete put */
    int rc;
    char err[512]; /* when rc is not GDFS_OK */
    bool stop;     /* under mu */
    pthread_mutex_t mu;
};

static void *write_loop(void *arg)
{
    struct writer *w = arg;

    for (uint32_t seed = 1000;; seed++) {
        bool stop;

        pthread_mutex_lock(&w->mu);
        stop = w->stop;
        pthread_mutex_unlock(&w->mu);
        if (stop)
            break;
        if ((w->rc = put_seeded(w->st, "race2", 32, seed)) != GDFS_OK) {
            snprintf(w->err, sizeof(w->err), "%s", gdfs_store_errmsg(w->st));
            break;
        }
        w->seed = seed;
    }
    return NULL;
}

/* Every chunk of the newest @name holds what put_seeded(@seed) wrote,
 * every byte, and matches its stored SHA-256. */
static void check_seeded(const char *name, uint32_t nchunks, uint32_t seed,
                         int round)
{
    struct gdfs_store_version v;
    uint8_t *buf = malloc(CHUNK), sha[GDFS_SHA256_LEN];
    size_t len;

    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME(name), 0, &v), GDFS_OK);
    for (uint32_t i = 0; i < nchunks; i++) {
        int want = (int)((i + seed) & 0xff);

        ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, i, buf, CHUNK, &len,
                                               sha),
                         GDFS_OK);
        ck_assert_uint_eq(len, CHUNK);
        for (size_t k = 0; k < CHUNK; k++)
            ck_assert_msg(buf[k] == want,
                          "round %d: chunk %u byte %zu is %d, not %d", round,
                          i, k, buf[k], want);
        ck_assert_msg(gdfs_store_verify_chunk(st, v.id, i, NULL) == GDFS_OK,
                      "round %d: chunk %u fails its SHA-256", round, i);
    }
    free(buf);
}

START_TEST(test_ckpt_survives_wal_reset_race)
{
    /* SQLite's WAL-reset bug (checkpoint.c's opening comment): a commit
     * that restarts a fully checkpointed WAL while the next checkpoint
     * starts makes later checkpoints skip its pages. A cap of 1 KiB makes
     * every chunk wait for a pass, so commits land just as a pass
     * completed and the next begins, and two writers make those
     * collisions frequent. Rounds go on for a few seconds or until one
     * fails. */
    struct gdfs_checkpoint *ck = start(1, 1, 60000);
    struct writer w = {.mu = PTHREAD_MUTEX_INITIALIZER};
    uint64_t t0;
    int round = 0;

    w.st = open_store();
    ck_assert_int_eq(pthread_create(&w.thread, NULL, write_loop, &w), 0);
    t0 = gdfs_clock_ms();
    do {
        ck_assert_int_eq(put_seeded(st, "race", 32, (uint32_t)round), GDFS_OK);
        check_seeded("race", 32, (uint32_t)round, round);
        round++;
    } while (gdfs_clock_ms() - t0 < 6000);
    pthread_mutex_lock(&w.mu);
    w.stop = true;
    pthread_mutex_unlock(&w.mu);
    pthread_join(w.thread, NULL);
    ck_assert_msg(w.rc == GDFS_OK, "second writer: %s (%d)", w.err, w.rc);
    check_seeded("race2", 32, w.seed, -1);
    gdfs_store_close(w.st);
    gdfs_checkpoint_stop(ck);
}
END_TEST

static Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120); /* about 30 s alone; far more under load */
    tcase_add_test(tc, test_ckpt_wal_bounded);
    tcase_add_test(tc, test_ckpt_without_checkpointer_grows);
    tcase_add_test(tc, test_ckpt_reader_does_not_stop_writer);
    tcase_add_test(tc, test_ckpt_idle_truncates);
    tcase_add_test(tc, test_ckpt_one_per_database);
    tcase_add_test(tc, test_ckpt_survives_wal_reset_race);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(checkpoint_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
