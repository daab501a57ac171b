/* Unit tests of the plugins' outbound TCP (plugins/common/dial.c): a name
 * lookup never holds the caller past its deadline, a late answer is
 * dropped by the helper thread that finishes alone, lookups of one name
 * share a thread, the number of lookups at once is capped, and numeric
 * addresses need no lookup. The resolver is replaced (dial_set_resolver)
 * by one the test can hold at a gate, as a DNS server that does not
 * answer would hold getaddrinfo. */
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "../../plugins/common/dial.h"

/* ---- a resolver held at a gate --------------------------------------------- */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv; /* on the monotonic clock: main() */
static bool gate_open;
static int calls;      /* resolver calls so far */
static int answer = 0; /* what the resolver returns once let through */

/* Waits at the gate (10 s at most, so a broken test cannot hang), then
 * answers @answer; a success resolves 127.0.0.1, whatever the name. */
static int gated_resolver(const char *host, const char *port,
                          const struct addrinfo *hints, struct addrinfo **res)
{
    uint64_t until = gdfs_clock_ms() + 10000;
    struct addrinfo h = *hints;
    int a;

    (void)host;
    pthread_mutex_lock(&gate_mu);
    calls++;
    while (!gate_open)
        if (gdfs_clock_cond_wait_until(&gate_cv, &gate_mu, until) != 0)
            break;
    a = answer;
    pthread_mutex_unlock(&gate_mu);
    if (a != 0)
        return a;
    h.ai_flags |= AI_NUMERICHOST;
    return getaddrinfo("127.0.0.1", port, &h, res);
}

static void open_gate(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static int ncalls(void)
{
    int n;

    pthread_mutex_lock(&gate_mu);
    n = calls;
    pthread_mutex_unlock(&gate_mu);
    return n;
}

/* Wait (5 s at most) until no lookup thread runs: the ones whose callers
 * gave up have finished and freed their answers. */
static void wait_threads_done(void)
{
    for (int i = 0; i < 500 && dial_lookups_running() > 0; i++)
        usleep(10000);
    ck_assert_int_eq(dial_lookups_running(), 0);
}

static char err[256];

static void setup(void)
{
    gate_open = false;
    calls = 0;
    answer = 0;
    err[0] = '\0';
    dial_set_resolver(gated_resolver);
}

static void teardown(void)
{
    open_gate();
    wait_threads_done();
    dial_set_resolver(NULL);
}

/* ---- dial_resolve ---------------------------------------------------------------- */

START_TEST(test_dial_numeric_address_needs_no_lookup)
{
    struct dial_names *n;
    const struct addrinfo *ai;

    ck_assert_int_eq(dial_resolve("127.0.0.1", "7001", dial_deadline(1000), &n,
                                  &ai, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_ptr_nonnull(ai);
    ck_assert_int_eq(ai->ai_family, AF_INET);
    ck_assert_int_eq(ncalls(), 0);
    dial_names_release(n);
    ck_assert_int_eq(dial_resolve("::1", "7001", dial_deadline(1000), &n, &ai,
                                  err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(ai->ai_family, AF_INET6);
    dial_names_release(n);
    ck_assert_int_eq(ncalls(), 0);
}
END_TEST

START_TEST(test_dial_slow_lookup_bounded_by_deadline)
{
    struct dial_names *n = NULL;
    const struct addrinfo *ai = NULL;
    long t0 = (long)gdfs_clock_ms(), took;
    int budget;

    ck_assert_int_eq(dial_resolve("slow.example", "7001", t0 + 200, &n, &ai,
                                  err, sizeof(err)),
                     GDFS_ETIMEDOUT);
    took = (long)gdfs_clock_ms() - t0;
    ck_assert_int_ge(took, 190);
    ck_assert_int_lt(took, 1000); /* the resolver holds 10 s */
    ck_assert_ptr_null(n);
    ck_assert_ptr_null(ai);
    ck_assert_int_eq(sscanf(err,
                            "resolving slow.example took longer than "
                            "%d ms",
                            &budget),
                     1);
    ck_assert_int_ge(budget, 190);
    ck_assert_int_le(budget, 200);
    /* The thread still runs; let it answer: it frees what nobody wants. */
    ck_assert_int_eq(dial_lookups_running(), 1);
    open_gate();
    wait_threads_done();
    ck_assert_int_eq(ncalls(), 1);
}
END_TEST

START_TEST(test_dial_lookup_answered_in_time)
{
    struct dial_names *n;
    const struct addrinfo *ai;

    open_gate();
    ck_assert_int_eq(dial_resolve("fast.example", "7001", dial_deadline(5000),
                                  &n, &ai, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_ptr_nonnull(ai);
    ck_assert_int_eq(ncalls(), 1);
    dial_names_release(n);
}
END_TEST

START_TEST(test_dial_lookup_failure_named)
{
    struct dial_names *n;
    const struct addrinfo *ai;

    answer = EAI_NONAME;
    open_gate();
    ck_assert_int_eq(dial_resolve("nosuch.example", "7001",
                                  dial_deadline(5000), &n, &ai, err,
                                  sizeof(err)),
                     GDFS_ENET);
    ck_assert_ptr_null(n);
    ck_assert_str_eq(err, "cannot resolve nosuch.example: Name or service "
                          "not known");
}
END_TEST

START_TEST(test_dial_lookups_of_one_name_share_a_thread)
{
    struct dial_names *n;
    const struct addrinfo *ai;

    /* While the gate is closed the first lookup cannot end, so each
     * later call finds it running and waits on it instead of starting a
     * thread of its own. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(dial_resolve("same.example", "7001",
                                      dial_deadline(20), &n, &ai, err,
                                      sizeof(err)),
                         GDFS_ETIMEDOUT);
    ck_assert_int_eq(dial_lookups_running(), 1);
    ck_assert_int_eq(ncalls(), 1);
    ck_assert_int_eq(dial_resolve("other.example", "7001", dial_deadline(20),
                                  &n, &ai, err, sizeof(err)),
                     GDFS_ETIMEDOUT);
    ck_assert_int_eq(dial_lookups_running(), 2);
    ck_assert_int_eq(ncalls(), 2);
}
END_TEST

START_TEST(test_dial_lookups_at_once_are_capped)
{
    struct dial_names *n;
    const struct addrinfo *ai;
    char host[64];

    for (int i = 0; i < DIAL_MAX_LOOKUPS; i++) {
        snprintf(host, sizeof(host), "dead%d.example", i);
        ck_assert_int_eq(dial_resolve(host, "7001", dial_deadline(20), &n, &ai,
                                      err, sizeof(err)),
                         GDFS_ETIMEDOUT);
    }
    ck_assert_int_eq(dial_lookups_running(), DIAL_MAX_LOOKUPS);
    ck_assert_int_eq(dial_resolve("one-more.example", "7001",
                                  dial_deadline(2000), &n, &ai, err,
                                  sizeof(err)),
                     GDFS_EBUSY);
    ck_assert_ptr_nonnull(strstr(err, "cannot resolve one-more.example"));
    ck_assert_ptr_nonnull(strstr(err, "lookups are still running"));
    /* Numeric addresses are not held up by them. */
    ck_assert_int_eq(dial_resolve("127.0.0.1", "7001", dial_deadline(20), &n,
                                  &ai, err, sizeof(err)),
                     GDFS_OK);
    dial_names_release(n);
    open_gate();
    wait_threads_done();
    ck_assert_int_eq(dial_resolve("one-more.example", "7001",
                                  dial_deadline(2000), &n, &ai, err,
                                  sizeof(err)),
                     GDFS_OK);
    dial_names_release(n);
}
END_TEST

/* ---- dial_connect ------------------------------------------------------------------ */

/* A listening socket on a free loopback port; its port in @port. */
static int listener(char *port, size_t portlen)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    snprintf(port, portlen, "%d", ntohs(a.sin_port));
    return fd;
}

static void count_tune(int fd, void *arg)
{
    (void)fd;
    (*(int *)arg)++;
}

START_TEST(test_dial_connect_by_name_and_number)
{
    char port[16];
    int lfd = listener(port, sizeof(port)), fd = -1, tuned = 0;

    ck_assert_int_eq(dial_connect("127.0.0.1", port, dial_deadline(2000),
                                  count_tune, &tuned, &fd, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tuned, 1);
    close(fd);
    open_gate(); /* the name resolves to 127.0.0.1 */
    ck_assert_int_eq(dial_connect("node.example", port, dial_deadline(2000),
                                  NULL, NULL, &fd, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_ge(fd, 0);
    close(fd);
    close(lfd);
    /* Nobody listens there any more. */
    ck_assert_int_eq(dial_connect("127.0.0.1", port, dial_deadline(2000), NULL,
                                  NULL, &fd, err, sizeof(err)),
                     GDFS_ENET);
    ck_assert_int_eq(fd, -1);
    ck_assert_str_eq(err, "Connection refused");
}
END_TEST

START_TEST(test_dial_connect_bounded_by_slow_lookup)
{
    long t0 = (long)gdfs_clock_ms();
    int fd = 0;

    ck_assert_int_eq(dial_connect("slow.example", "7001", t0 + 300, NULL, NULL,
                                  &fd, err, sizeof(err)),
                     GDFS_ETIMEDOUT);
    ck_assert_int_lt((long)gdfs_clock_ms() - t0, 1000);
    ck_assert_int_eq(fd, -1);
    ck_assert_ptr_nonnull(strstr(err, "resolving slow.example took longer"));
}
END_TEST

static Suite *dial_suite(void)
{
    Suite *s = suite_create("dial");
    TCase *res = tcase_create("resolve"), *con = tcase_create("connect");
    TCase *all[] = {res, con};

    for (size_t i = 0; i < 2; i++) {
        tcase_add_checked_fixture(all[i], setup, teardown);
        tcase_set_timeout(all[i], 20);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_test(res, test_dial_numeric_address_needs_no_lookup);
    tcase_add_test(res, test_dial_slow_lookup_bounded_by_deadline);
    tcase_add_test(res, test_dial_lookup_answered_in_time);
    tcase_add_test(res, test_dial_lookup_failure_named);
    tcase_add_test(res, test_dial_lookups_of_one_name_share_a_thread);
    tcase_add_test(res, test_dial_lookups_at_once_are_capped);
    tcase_add_test(con, test_dial_connect_by_name_and_number);
    tcase_add_test(con, test_dial_connect_bounded_by_slow_lookup);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dial_suite());
    int failed;

    gdfs_clock_cond_init(&gate_cv);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
