/* Unit tests of the plugin loader (src/transport.c), the tcp plugin and
 * the frame I/O helpers (src/net.c) over real loopback sockets. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "proto.h"
#include "transport.h"

static const char *plugin_dir(void)
{
    const char *d = getenv("GDFS_PLUGIN_DIR");

    return d != NULL ? d : "plugins/tcp/.libs";
}

/* Test plugins are built beside this program (check_LTLIBRARIES). */
static const char *test_plugin_dir(void)
{
    const char *d = getenv("GDFS_BUILDDIR");
    static char buf[4096];

    snprintf(buf, sizeof(buf), "%s/tests/unit/.libs", d ? d : ".");
    return buf;
}

static struct gdfs_transport *load_tcp(void)
{
    struct gdfs_transport *t = NULL;
    char err[512];
    int rc = gdfs_transport_new(plugin_dir(), "tcp", 0, NULL, NULL, &t, err,
                                sizeof(err));

    ck_assert_msg(rc == GDFS_OK, "load tcp: %s", err);
    return t;
}

/* ---- loader -------------------------------------------------------------- */

START_TEST(test_transport_loads_tcp)
{
    struct gdfs_transport *t = load_tcp();

    ck_assert_str_eq(t->ops->name, "tcp");
    ck_assert_uint_eq(t->ops->abi_version >> 16, GDFS_TRANSPORT_ABI_MAJOR);
    gdfs_transport_free(t);
}
END_TEST

START_TEST(test_transport_missing_plugin_names_file)
{
    struct gdfs_transport *t = NULL;
    char err[512];

    ck_assert_int_eq(gdfs_transport_new("/nonexistent", "tcp", 0, NULL, NULL,
                                        &t, err, sizeof(err)),
                     GDFS_EPLUGIN);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/tcp.so"));
}
END_TEST

START_TEST(test_transport_bad_name_refused)
{
    struct gdfs_transport *t = NULL;
    char err[512];

    ck_assert_int_eq(gdfs_transport_new(plugin_dir(), "../tcp", 0, NULL, NULL,
                                        &t, err, sizeof(err)),
                     GDFS_EPLUGIN);
    ck_assert_ptr_nonnull(strstr(err, "../tcp"));
}
END_TEST

START_TEST(test_transport_abi_mismatch_names_versions)
{
    struct gdfs_transport *t = NULL;
    char err[512];

    ck_assert_int_eq(gdfs_transport_new(test_plugin_dir(), "plugin_badabi", 0,
                                        NULL, NULL, &t, err, sizeof(err)),
                     GDFS_EPLUGIN);
    ck_assert_ptr_nonnull(strstr(err, "plugin_badabi.so"));
    ck_assert_ptr_nonnull(strstr(err, "ABI 99.0"));
    ck_assert_ptr_nonnull(strstr(err, "ABI 1."));
}
END_TEST

START_TEST(test_transport_missing_symbol_named)
{
    struct gdfs_transport *t = NULL;
    char err[512];

    ck_assert_int_eq(gdfs_transport_new(test_plugin_dir(), "plugin_nosym", 0,
                                        NULL, NULL, &t, err, sizeof(err)),
                     GDFS_EPLUGIN);
    ck_assert_ptr_nonnull(strstr(err, "plugin_nosym.so"));
    ck_assert_ptr_nonnull(strstr(err, GDFS_TRANSPORT_ENTRY_NAME));
}
END_TEST

START_TEST(test_transport_tcp_unknown_key_refused)
{
    const char *k[] = {"nodelay", "colour"}, *v[] = {"yes", "blue"};
    struct gdfs_transport *t = NULL;
    char err[512];

    ck_assert_int_eq(gdfs_transport_new(plugin_dir(), "tcp", 2, k, v, &t, err,
                                        sizeof(err)),
                     GDFS_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "colour"));
    ck_assert_int_eq(gdfs_transport_new(plugin_dir(), "tcp", 1, k + 0,
                                        (const char *[]){"maybe"}, &t, err,
                                        sizeof(err)),
                     GDFS_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "nodelay"));
}
END_TEST

/* ---- tcp connections ----------------------------------------------------- */

struct pair {
    struct gdfs_transport *t;
    struct gdfs_listener l;
    struct gdfs_conn client, server;
    char addr[64];
};

/* Listen on a free loopback port, dial it and accept. */
static void open_pair(struct pair *p)
{
    int rc = GDFS_ENET;

    p->t = load_tcp();
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int i = 0; i < 50 && rc != GDFS_OK; i++) {
        snprintf(p->addr, sizeof(p->addr), "127.0.0.1:%d",
                 20000 + rand() % 40000);
        rc = gdfs_listener_open(p->t, &p->l, p->addr);
    }
    ck_assert_int_eq(rc, GDFS_OK);
    ck_assert_int_eq(gdfs_conn_dial(p->t, &p->client, p->addr, 1000), GDFS_OK);
    for (int i = 0; i < 100; i++) {
        rc = gdfs_listener_accept(&p->l, &p->server);
        if (rc != GDFS_EAGAIN)
            break;
        usleep(10000);
    }
    ck_assert_int_eq(rc, GDFS_OK);
    ck_assert_ptr_nonnull(strstr(p->server.peer, "127.0.0.1:"));
}

static void close_pair(struct pair *p)
{
    gdfs_conn_close(&p->client);
    gdfs_conn_close(&p->server);
    gdfs_listener_close(&p->l);
    gdfs_transport_free(p->t);
}

START_TEST(test_transport_tcp_frame_round_trip)
{
    struct pair p;
    uint8_t out[256], in[GDFS_PROTO_HDR_LEN + 4096];
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_GET, .reqid = 7}, r;

    open_pair(&p);
    m.u.get.seq = 3;
    m.u.get.name.p = (const uint8_t *)"some/name";
    m.u.get.name.len = 9;
    ck_assert_int_eq(gdfs_net_send_msg(&p.client, &m, out, sizeof(out), 1000),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_net_recv_msg(&p.server, in, sizeof(in), 4096, 1000,
                                       1000, &r),
                     GDFS_OK);
    ck_assert_int_eq(r.type, GDFS_MSG_CLTOND_GET);
    ck_assert_int_eq(r.reqid, 7);
    ck_assert_int_eq(r.u.get.seq, 3);
    ck_assert_mem_eq(r.u.get.name.p, "some/name", 9);
    close_pair(&p);
}
END_TEST

START_TEST(test_transport_tcp_idle_times_out)
{
    struct pair p;
    uint8_t in[GDFS_PROTO_HDR_LEN + 64];
    struct gdfs_msg r;

    open_pair(&p);
    /* Half a header, then silence. */
    ck_assert_int_eq(gdfs_net_send_all(&p.client, "GDF", 3, 1000), GDFS_OK);
    ck_assert_int_eq(gdfs_net_recv_msg(&p.server, in, sizeof(in), 64, 200, 200,
                                       &r),
                     GDFS_ETIMEDOUT);
    close_pair(&p);
}
END_TEST

START_TEST(test_transport_tcp_oversized_frame_is_eproto)
{
    struct pair p;
    uint8_t in[GDFS_PROTO_HDR_LEN + 64];
    const uint8_t hdr[16] = {'G', 'D',  'F', 'S', 1, GDFS_MSG_CLTOND_PUT,
                             0,   0,    0,   0,   0, 1,
                             0,   0x10, 0,   0};
    struct gdfs_msg r;

    open_pair(&p);
    ck_assert_int_eq(gdfs_net_send_all(&p.client, hdr, sizeof(hdr), 1000),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_net_recv_msg(&p.server, in, sizeof(in), 64, 1000,
                                       1000, &r),
                     GDFS_EPROTO);
    close_pair(&p);
}
END_TEST

START_TEST(test_transport_tcp_peer_close_is_eclosed)
{
    struct pair p;
    uint8_t in[GDFS_PROTO_HDR_LEN + 64];
    struct gdfs_msg r;

    open_pair(&p);
    gdfs_conn_close(&p.client);
    ck_assert_int_eq(gdfs_net_recv_msg(&p.server, in, sizeof(in), 64, 1000,
                                       1000, &r),
                     GDFS_ECLOSED);
    close_pair(&p);
}
END_TEST

START_TEST(test_transport_tcp_dial_refused)
{
    struct gdfs_transport *t = load_tcp();
    struct gdfs_conn c;

    /* Port 1 on loopback: nobody listens there in a test run. */
    ck_assert_int_eq(gdfs_conn_dial(t, &c, "127.0.0.1:1", 1000), GDFS_ENET);
    ck_assert_ptr_nonnull(strstr(c.errmsg, "127.0.0.1:1"));
    ck_assert_int_eq(gdfs_conn_dial(t, &c, "no-port-here", 1000), GDFS_EINVAL);
    gdfs_transport_free(t);
}
END_TEST

START_TEST(test_transport_tcp_stop_fd_interrupts_wait)
{
    struct pair p;
    uint8_t in[GDFS_PROTO_HDR_LEN + 64];
    struct gdfs_msg r;
    int fds[2];

    open_pair(&p);
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    gdfs_net_set_stop_fd(fds[0]);
    ck_assert_int_eq(gdfs_net_recv_msg(&p.server, in, sizeof(in), 64, 5000,
                                       5000, &r),
                     GDFS_ESHUTDOWN);
    gdfs_net_set_stop_fd(-1);
    close(fds[0]);
    close(fds[1]);
    close_pair(&p);
}
END_TEST

/* Large transfer through a small socket buffer: send_all must cope with
 * partial sends while the peer reads concurrently. */
struct reader {
    struct gdfs_conn *c;
    size_t len;
    int rc;
    unsigned long sum;
};

static void *read_all(void *arg)
{
    struct reader *rd = arg;
    uint8_t *buf = malloc(rd->len);

    rd->rc = gdfs_net_recv_all(rd->c, buf, rd->len, 5000);
    rd->sum = 0;
    for (size_t i = 0; i < rd->len; i++)
        rd->sum += buf[i];
    free(buf);
    return NULL;
}

START_TEST(test_transport_tcp_large_transfer)
{
    struct pair p;
    size_t len = 8 * 1024 * 1024;
    uint8_t *buf = malloc(len);
    unsigned long sum = 0;
    struct reader rd;
    pthread_t th;

    open_pair(&p);
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 31 + 7);
        sum += buf[i];
    }
    rd.c = &p.server;
    rd.len = len;
    ck_assert_int_eq(pthread_create(&th, NULL, read_all, &rd), 0);
    ck_assert_int_eq(gdfs_net_send_all(&p.client, buf, len, 5000), GDFS_OK);
    pthread_join(th, NULL);
    ck_assert_int_eq(rd.rc, GDFS_OK);
    ck_assert_uint_eq(rd.sum, sum);
    free(buf);
    close_pair(&p);
}
END_TEST

/* ---- transport sets: pick by scheme ----------------------------------- */

/* tcp with the test-only "faulty" plugin (a pass-through to tcp.so when
 * no rule blocks) attached: two transports with different names. */
static struct gdfs_transport *load_set(void)
{
    const char *fdir = getenv("GDFS_FAULTY_DIR");
    const char *k[] = {"inner_dir", "rules"};
    const char *v[] = {plugin_dir(), "/nonexistent/rules"};
    struct gdfs_transport *t = load_tcp(), *f = NULL;
    char err[512];
    int rc = gdfs_transport_new(fdir ? fdir : "tests/plugins/.libs", "faulty",
                                2, k, v, &f, err, sizeof(err));

    ck_assert_msg(rc == GDFS_OK, "load faulty: %s", err);
    ck_assert_int_eq(gdfs_transport_attach(t, f, err, sizeof(err)), GDFS_OK);
    return t;
}

START_TEST(test_transport_pick_by_scheme)
{
    struct gdfs_transport *t = load_set(), *got = NULL;
    const char *bare = NULL;
    char err[512] = "";

    ck_assert_int_eq(gdfs_transport_pick(t, "h:1", &got, &bare, err,
                                         sizeof(err)),
                     GDFS_OK);
    ck_assert_ptr_eq(got, t);
    ck_assert_str_eq(bare, "h:1");
    ck_assert_int_eq(gdfs_transport_pick(t, "tcp://h:2", &got, &bare, err,
                                         sizeof(err)),
                     GDFS_OK);
    ck_assert_ptr_eq(got, t);
    ck_assert_str_eq(bare, "h:2");
    ck_assert_int_eq(gdfs_transport_pick(t, "faulty://[::1]:3", &got, &bare,
                                         err, sizeof(err)),
                     GDFS_OK);
    ck_assert_str_eq(got->ops->name, "faulty");
    ck_assert_str_eq(bare, "[::1]:3");
    /* A prefix of a loaded name is not that name. */
    ck_assert_int_eq(gdfs_transport_pick(t, "fault://h:4", &got, &bare, err,
                                         sizeof(err)),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_transport_pick(t, "ssh://h:5", &got, &bare, err,
                                         sizeof(err)),
                     GDFS_EINVAL);
    ck_assert_str_eq(err, "address ssh://h:5 needs the ssh transport, which "
                          "is not loaded (add it to [transport] plugins)");
    gdfs_transport_free(t);
}
END_TEST

START_TEST(test_transport_attach_refuses_a_second_of_a_name)
{
    struct gdfs_transport *t = load_set(), *t2 = load_tcp();
    char err[512];

    ck_assert_int_eq(gdfs_transport_attach(t, t2, err, sizeof(err)),
                     GDFS_EINVAL);
    ck_assert_str_eq(err, "transport tcp is loaded already");
    gdfs_transport_free(t2);
    gdfs_transport_free(t);
}
END_TEST

START_TEST(test_transport_dial_goes_by_scheme)
{
    struct gdfs_transport *t = load_set();
    struct gdfs_listener l;
    struct gdfs_conn c;
    char addr[64], with[80];
    int rc = GDFS_ENET;

    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int i = 0; i < 50 && rc != GDFS_OK; i++) {
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", 20000 + rand() % 40000);
        rc = gdfs_listener_open(t, &l, addr);
    }
    ck_assert_int_eq(rc, GDFS_OK);
    snprintf(with, sizeof(with), "faulty://%s", addr);
    ck_assert_int_eq(gdfs_conn_dial(t, &c, with, 1000), GDFS_OK);
    ck_assert_str_eq(c.t->ops->name, "faulty");
    gdfs_conn_close(&c);
    snprintf(with, sizeof(with), "tcp://%s", addr);
    ck_assert_int_eq(gdfs_conn_dial(t, &c, with, 1000), GDFS_OK);
    ck_assert_ptr_eq(c.t, t);
    gdfs_conn_close(&c);
    snprintf(with, sizeof(with), "ssh://%s", addr);
    ck_assert_int_eq(gdfs_conn_dial(t, &c, with, 1000), GDFS_EINVAL);
    ck_assert_ptr_nonnull(strstr(c.errmsg, "needs the ssh transport"));
    ck_assert_ptr_null(c.impl);
    gdfs_listener_close(&l);
    gdfs_transport_free(t);
}
END_TEST

static Suite *transport_suite(void)
{
    Suite *s = suite_create("transport");
    TCase *loader = tcase_create("loader"), *tcp = tcase_create("tcp");

    tcase_add_test(loader, test_transport_loads_tcp);
    tcase_add_test(loader, test_transport_missing_plugin_names_file);
    tcase_add_test(loader, test_transport_bad_name_refused);
    tcase_add_test(loader, test_transport_abi_mismatch_names_versions);
    tcase_add_test(loader, test_transport_missing_symbol_named);
    tcase_add_test(loader, test_transport_tcp_unknown_key_refused);
    tcase_add_test(tcp, test_transport_tcp_frame_round_trip);
    tcase_add_test(tcp, test_transport_tcp_idle_times_out);
    tcase_add_test(tcp, test_transport_tcp_oversized_frame_is_eproto);
    tcase_add_test(tcp, test_transport_tcp_peer_close_is_eclosed);
    tcase_add_test(tcp, test_transport_tcp_dial_refused);
    tcase_add_test(tcp, test_transport_tcp_stop_fd_interrupts_wait);
    tcase_add_test(tcp, test_transport_tcp_large_transfer);
    TCase *set = tcase_create("set");

    tcase_add_test(set, test_transport_pick_by_scheme);
    tcase_add_test(set, test_transport_attach_refuses_a_second_of_a_name);
    tcase_add_test(set, test_transport_dial_goes_by_scheme);
    suite_add_tcase(s, loader);
    suite_add_tcase(s, tcp);
    suite_add_tcase(s, set);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(transport_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
