/* Unit tests of credentials (src/auth/cred.c) and the TLS 1.3 PSK channel
 * (src/auth/channel.c) over the real tcp plugin on loopback. */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/authz.h"
#include "auth/channel.h"
#include "auth/cred.h"
#include "net.h"
#include "transport.h"

static const uint8_t gk[GDFS_GROUP_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t other_gk[GDFS_GROUP_KEY_LEN] = {9, 9, 9};

/* ---- credentials --------------------------------------------------------- */

START_TEST(test_cred_round_trip)
{
    struct gdfs_cred c, back;
    char line[GDFS_CRED_LINE_MAX + 1], err[200];

    ck_assert_int_eq(gdfs_cred_issue(gk, GDFS_CRED_WRITE, &c), GDFS_OK);
    ck_assert_uint_eq(strlen(c.id), 16);
    gdfs_cred_format(&c, line, sizeof(line));
    ck_assert_msg(strncmp(line, "gdfs1:write:", 12) == 0, "%s", line);
    ck_assert_int_eq(gdfs_cred_parse(line, &back, err, sizeof(err)), GDFS_OK);
    ck_assert_int_eq(back.role, GDFS_CRED_WRITE);
    ck_assert_str_eq(back.id, c.id);
    ck_assert_mem_eq(back.key, c.key, GDFS_CRED_KEY_LEN);
}
END_TEST

START_TEST(test_cred_key_depends_on_role_id_and_group)
{
    uint8_t a[GDFS_CRED_KEY_LEN], b[GDFS_CRED_KEY_LEN];

    gdfs_cred_derive(gk, GDFS_CRED_READ, "abc", a);
    gdfs_cred_derive(gk, GDFS_CRED_READ, "abc", b);
    ck_assert_mem_eq(a, b, sizeof(a));
    gdfs_cred_derive(gk, GDFS_CRED_WRITE, "abc", b);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    gdfs_cred_derive(gk, GDFS_CRED_READ, "abd", b);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    gdfs_cred_derive(other_gk, GDFS_CRED_READ, "abc", b);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
}
END_TEST

START_TEST(test_cred_parse_refuses_bad_lines)
{
    static const char *bad[] = {
        "",
        "gdfs1:read:abc",
        "gdfs2:read:abc:00",
        "gdfs1:member:abc:"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "gdfs1:root:abc:"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "gdfs1:read:a/b:"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "gdfs1:read::"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "gdfs1:read:abc:"
        "000000000000000000000000000000000000000000000000000000000000000",
        "gdfs1:read:abc:"
        "000000000000000000000000000000000000000000000000000000000000000g",
        "gdfs1:read:abc:"
        "0000000000000000000000000000000000000000000000000000000000000000:x",
    };
    struct gdfs_cred c;
    char err[200];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(gdfs_cred_parse(bad[i], &c, err, sizeof(err)) ==
                          GDFS_EINVAL,
                      "accepted '%s'", bad[i]);
    ck_assert_int_eq(
        gdfs_cred_parse("  gdfs1:admin:x.y_z-1:"
                        "00000000000000000000000000000000000000000000000000000"
                        "000000000ff\r\n",
                        &c, err, sizeof(err)),
        GDFS_OK);
    ck_assert_int_eq(c.role, GDFS_CRED_ADMIN);
    ck_assert_str_eq(c.id, "x.y_z-1");
    ck_assert_uint_eq(c.key[31], 0xff);
}
END_TEST

START_TEST(test_cred_identity_parse_is_strict)
{
    enum gdfs_cred_role role;
    char id[GDFS_CRED_ID_MAX + 1];
    static const char *bad[] = {"gdfs1 member",     "gdfs1 member ",
                                "gdfs1 root n1",    "gdfs1  member n1",
                                "gdfs1 member n 1", "gdfs1 member n1\n",
                                "GDFS1 member n1",  "gdfs1 member n\x01"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(gdfs_cred_identity_parse((const uint8_t *)bad[i],
                                               strlen(bad[i]), &role,
                                               id) == GDFS_EAUTH,
                      "accepted '%s'", bad[i]);
    ck_assert_int_eq(gdfs_cred_identity_parse(
                         (const uint8_t *)"gdfs1 member n-1", 16, &role, id),
                     GDFS_OK);
    ck_assert_int_eq(role, GDFS_CRED_MEMBER);
    ck_assert_str_eq(id, "n-1");
}
END_TEST

static void tmpdir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/gdfs-test-auth.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(out));
}

START_TEST(test_group_key_file)
{
    char dir[64], path[128], err[300];
    uint8_t a[GDFS_GROUP_KEY_LEN], b[GDFS_GROUP_KEY_LEN];
    struct stat st;

    tmpdir(dir, sizeof(dir));
    ck_assert_int_eq(gdfs_group_key_load(dir, a, err, sizeof(err)),
                     GDFS_ENOENT);
    ck_assert_int_eq(gdfs_group_key_create(dir, NULL, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_group_key_create(dir, NULL, err, sizeof(err)),
                     GDFS_EGROUP);
    snprintf(path, sizeof(path), "%s/group.key", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(gdfs_group_key_load(dir, a, err, sizeof(err)), GDFS_OK);
    ck_assert_int_eq(gdfs_group_key_load(dir, b, err, sizeof(err)), GDFS_OK);
    ck_assert_mem_eq(a, b, sizeof(a));
    ck_assert_int_eq(chmod(path, 0640), 0);
    ck_assert_int_eq(gdfs_group_key_load(dir, a, err, sizeof(err)),
                     GDFS_EINVAL);
    ck_assert_msg(strstr(err, "chmod 600") != NULL, "%s", err);
    ck_assert_int_eq(chmod(path, 0600), 0);
    /* Owned by another user (one root can give it to): not trusted. */
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        ck_assert_int_eq(gdfs_group_key_load(dir, a, err, sizeof(err)),
                         GDFS_EINVAL);
        ck_assert_msg(strstr(err, "owned by uid 65534") != NULL, "%s", err);
    }
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_cred_load_refuses_open_file)
{
    char dir[64], path[128], err[300], line[GDFS_CRED_LINE_MAX + 1];
    struct gdfs_cred c, back;
    FILE *f;

    tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/key", dir);
    gdfs_cred_make(gk, GDFS_CRED_READ, "r1", &c);
    gdfs_cred_format(&c, line, sizeof(line));
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "# a read key\n\n%s\n", line);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(gdfs_cred_load(path, &back, err, sizeof(err)),
                     GDFS_EINVAL);
    ck_assert_int_eq(chmod(path, 0600), 0);
    ck_assert_int_eq(gdfs_cred_load(path, &back, err, sizeof(err)), GDFS_OK);
    ck_assert_str_eq(back.id, "r1");
    ck_assert_mem_eq(back.key, c.key, GDFS_CRED_KEY_LEN);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ---- the channel over tcp ------------------------------------------------ */

static const char *plugin_dir(void)
{
    const char *d = getenv("GDFS_PLUGIN_DIR");

    return d != NULL ? d : "plugins/tcp/.libs";
}

struct side {
    struct gdfs_transport *t;
    struct gdfs_listener l;
    char addr[64];
    const uint8_t *gk; /* accepting side's group key */
    struct gdfs_conn server;
    struct gdfs_auth_peer peer;
    int accept_rc;
    int raw; /* accept without a handshake */
};

static void *accept_main(void *arg)
{
    struct side *s = arg;
    int rc;

    do {
        struct pollfd p = {.fd = s->t->ops->listener_fd(&s->l),
                           .events = POLLIN};

        poll(&p, 1, 2000);
        rc = gdfs_listener_accept(&s->l, &s->server);
    } while (rc == GDFS_EAGAIN);
    ck_assert_int_eq(rc, GDFS_OK);
    s->accept_rc = s->raw ? GDFS_OK
                          : gdfs_channel_accept(&s->server, s->gk, 2000,
                                                &s->peer);
    return NULL;
}

static void side_open(struct side *s, const uint8_t *key)
{
    char err[512];
    int rc;

    memset(s, 0, sizeof(*s));
    s->gk = key;
    rc = gdfs_transport_new(plugin_dir(), "tcp", 0, NULL, NULL, &s->t, err,
                            sizeof(err));
    ck_assert_msg(rc == GDFS_OK, "load tcp: %s", err);
    for (int port = 24000 + getpid() % 5000, i = 0; i < 50; i++, port++) {
        snprintf(s->addr, sizeof(s->addr), "127.0.0.1:%d", port);
        if (gdfs_listener_open(s->t, &s->l, s->addr) == GDFS_OK)
            return;
    }
    ck_abort_msg("no free port");
}

static void side_close(struct side *s)
{
    gdfs_conn_close(&s->server);
    gdfs_listener_close(&s->l);
    gdfs_transport_free(s->t);
}

/* Dial @s as @self while a thread accepts; the dial's result. */
static int connect_pair(struct side *s, const struct gdfs_cred *self,
                        struct gdfs_conn *client)
{
    pthread_t tid;
    int rc;

    ck_assert_int_eq(pthread_create(&tid, NULL, accept_main, s), 0);
    rc = gdfs_channel_dial(s->t, client, s->addr, 2000, self);
    if (rc != GDFS_OK)
        gdfs_conn_close(client); /* nothing is left open: a no-op */
    pthread_join(tid, NULL);
    return rc;
}

struct sender {
    struct gdfs_conn *c;
    const uint8_t *p;
    size_t n;
    int rc;
};

static void *send_main(void *arg)
{
    struct sender *a = arg;

    a->rc = gdfs_net_send_all(a->c, a->p, a->n, 5000);
    return NULL;
}

START_TEST(test_channel_member_and_data_both_ways)
{
    struct side s;
    struct gdfs_conn client;
    struct gdfs_cred self;
    size_t big = 3u * 1024 * 1024 + 17;
    uint8_t *out = malloc(big), *in = malloc(big);
    struct sender a;
    pthread_t tid;

    ck_assert(out != NULL && in != NULL);
    side_open(&s, gk);
    gdfs_cred_make(gk, GDFS_CRED_MEMBER, "n2", &self);
    ck_assert_int_eq(connect_pair(&s, &self, &client), GDFS_OK);
    ck_assert_int_eq(s.accept_rc, GDFS_OK);
    ck_assert_int_eq(s.peer.role, GDFS_CRED_MEMBER);
    ck_assert_str_eq(s.peer.id, "n2");
    ck_assert_str_eq(client.t->ops->name, "tls");
    ck_assert_int_eq(gdfs_net_readable(&s.server), 0);
    ck_assert_int_eq(gdfs_net_send_all(&client, "ping", 4, 1000), GDFS_OK);
    ck_assert_int_eq(gdfs_net_recv_all(&s.server, in, 4, 1000), GDFS_OK);
    ck_assert_mem_eq(in, "ping", 4);
    for (size_t i = 0; i < big; i++)
        out[i] = (uint8_t)(i * 7 + 3);
    /* More than socket buffers hold, each way in turn. */
    a = (struct sender){&s.server, out, big, -1};
    ck_assert_int_eq(pthread_create(&tid, NULL, send_main, &a), 0);
    ck_assert_int_eq(gdfs_net_recv_all(&client, in, big, 5000), GDFS_OK);
    pthread_join(tid, NULL);
    ck_assert_int_eq(a.rc, GDFS_OK);
    ck_assert_mem_eq(in, out, big);
    memset(in, 0, big);
    a = (struct sender){&client, out, big, -1};
    ck_assert_int_eq(pthread_create(&tid, NULL, send_main, &a), 0);
    ck_assert_int_eq(gdfs_net_recv_all(&s.server, in, big, 5000), GDFS_OK);
    pthread_join(tid, NULL);
    ck_assert_int_eq(a.rc, GDFS_OK);
    ck_assert_mem_eq(in, out, big);
    /* Two small writes, one read of the first: the rest is held decrypted
     * (or in a record) and counts as readable. */
    ck_assert_int_eq(gdfs_net_send_all(&client, "abcdef", 6, 1000), GDFS_OK);
    ck_assert_int_eq(gdfs_net_recv_all(&s.server, in, 2, 1000), GDFS_OK);
    ck_assert_int_eq(gdfs_net_readable(&s.server), 1);
    ck_assert_int_eq(gdfs_net_recv_all(&s.server, in, 4, 1000), GDFS_OK);
    ck_assert_mem_eq(in, "cdef", 4);
    /* Closing one end is an orderly end of stream at the other. */
    gdfs_conn_close(&client);
    {
        size_t n;
        int rc;

        do {
            ck_assert_int_eq(gdfs_net_wait(&s.server, GDFS_EV_READ, 1000),
                             GDFS_OK);
            rc = gdfs_conn_recv(&s.server, in, 16, &n);
        } while (rc == GDFS_EAGAIN);
        ck_assert_int_eq(rc, GDFS_ECLOSED);
    }
    side_close(&s);
    free(out);
    free(in);
}
END_TEST

START_TEST(test_channel_client_credential_identity)
{
    struct side s;
    struct gdfs_conn client;
    struct gdfs_cred self;

    side_open(&s, gk);
    ck_assert_int_eq(gdfs_cred_issue(gk, GDFS_CRED_READ, &self), GDFS_OK);
    ck_assert_int_eq(connect_pair(&s, &self, &client), GDFS_OK);
    ck_assert_int_eq(s.accept_rc, GDFS_OK);
    ck_assert_int_eq(s.peer.role, GDFS_CRED_READ);
    ck_assert_str_eq(s.peer.id, self.id);
    gdfs_conn_close(&client);
    side_close(&s);
}
END_TEST

START_TEST(test_channel_wrong_key_fails_both_sides)
{
    struct side s;
    struct gdfs_conn client;
    struct gdfs_cred self;

    side_open(&s, gk);
    /* Right identity, key of another group. */
    gdfs_cred_make(other_gk, GDFS_CRED_ADMIN, "a1", &self);
    ck_assert_int_eq(connect_pair(&s, &self, &client), GDFS_EAUTH);
    ck_assert_msg(strstr(client.errmsg, "authentication failed") != NULL, "%s",
                  client.errmsg);
    ck_assert_int_eq(s.accept_rc, GDFS_EAUTH);
    ck_assert_msg(strstr(s.server.errmsg, "gdfs1 admin a1") != NULL, "%s",
                  s.server.errmsg);
    ck_assert_str_eq(s.peer.id, "");
    ck_assert_str_eq(s.server.t->ops->name, "tcp"); /* handed back */
    side_close(&s);
}
END_TEST

START_TEST(test_channel_malformed_identity_refused)
{
    struct side s;
    struct gdfs_conn client;
    struct gdfs_cred self;

    side_open(&s, gk);
    gdfs_cred_make(gk, GDFS_CRED_READ, "ok", &self);
    snprintf(self.id, sizeof(self.id), "bad id"); /* a space: malformed */
    ck_assert_int_eq(connect_pair(&s, &self, &client), GDFS_EAUTH);
    ck_assert_int_eq(s.accept_rc, GDFS_EAUTH);
    ck_assert_msg(strstr(s.server.errmsg, "malformed identity") != NULL, "%s",
                  s.server.errmsg);
    side_close(&s);
}
END_TEST

/* A client of the open protocol (a plain gdfs frame) gets no service. */
START_TEST(test_channel_plain_frame_refused)
{
    struct side s;
    struct gdfs_conn client;
    pthread_t tid;
    uint8_t frame[16] = {'G', 'D', 'F', 'S', 1, 14};

    side_open(&s, gk);
    ck_assert_int_eq(pthread_create(&tid, NULL, accept_main, &s), 0);
    ck_assert_int_eq(gdfs_conn_dial(s.t, &client, s.addr, 1000), GDFS_OK);
    ck_assert_int_eq(gdfs_net_send_all(&client, frame, sizeof(frame), 1000),
                     GDFS_OK);
    pthread_join(tid, NULL);
    ck_assert_int_eq(s.accept_rc, GDFS_EAUTH);
    ck_assert_msg(strstr(s.server.errmsg, "no gdfs credential") != NULL, "%s",
                  s.server.errmsg);
    gdfs_conn_close(&client);
    side_close(&s);
}
END_TEST

/* A server without the group key cannot pass itself off as a member. */
START_TEST(test_channel_server_must_prove_key)
{
    struct side s;
    struct gdfs_conn client;
    struct gdfs_cred self;

    side_open(&s, other_gk);
    gdfs_cred_make(gk, GDFS_CRED_MEMBER, "n1", &self);
    ck_assert_int_eq(connect_pair(&s, &self, &client), GDFS_EAUTH);
    ck_assert_int_eq(s.accept_rc, GDFS_EAUTH);
    side_close(&s);
}
END_TEST

/* ---- authorization by message and role ---------------------------------- */

static int may(enum gdfs_cred_role role, uint8_t type, char *why)
{
    struct gdfs_auth_peer p = {.role = role};

    snprintf(p.id, sizeof(p.id), "x1");
    return gdfs_authz_request(&p, type, why, 256);
}

START_TEST(test_authz_roles)
{
    char why[256];

    /* read */
    ck_assert_int_eq(may(GDFS_CRED_READ, GDFS_MSG_CLTOND_GET, why), GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_READ, GDFS_MSG_CLTOND_LIST, why), GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_READ, GDFS_MSG_CLTOND_STATUS, why),
                     GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_READ, GDFS_MSG_CLTOND_PUT, why),
                     GDFS_EPERM);
    ck_assert_str_eq(why, "permission denied: role read cannot put");
    ck_assert_int_eq(may(GDFS_CRED_READ, GDFS_MSG_CLTOND_REMOVE, why),
                     GDFS_EPERM);
    ck_assert_str_eq(why, "permission denied: role read cannot remove");
    ck_assert_int_eq(may(GDFS_CRED_READ, GDFS_MSG_CLTOND_LEAVE, why),
                     GDFS_EPERM);
    /* write */
    ck_assert_int_eq(may(GDFS_CRED_WRITE, GDFS_MSG_CLTOND_PUT, why), GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_WRITE, GDFS_MSG_CLTOND_REMOVE, why),
                     GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_WRITE, GDFS_MSG_CLTOND_LEAVE, why),
                     GDFS_EPERM);
    ck_assert_str_eq(why, "permission denied: role write cannot leave");
    ck_assert_int_eq(may(GDFS_CRED_WRITE, GDFS_MSG_CLTOND_FORGET, why),
                     GDFS_EPERM);
    ck_assert_str_eq(why, "permission denied: role write cannot forget");
    ck_assert_int_eq(may(GDFS_CRED_NODE, GDFS_MSG_CLTOND_FORGET, why),
                     GDFS_EPERM);
    /* admin */
    ck_assert_int_eq(may(GDFS_CRED_ADMIN, GDFS_MSG_CLTOND_LEAVE, why),
                     GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_ADMIN, GDFS_MSG_CLTOND_FORGET, why),
                     GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_ADMIN, GDFS_MSG_CLTOND_GET, why), GDFS_OK);
    /* no client role reaches node messages */
    for (int r = GDFS_CRED_NODE; r <= GDFS_CRED_ADMIN; r++) {
        ck_assert_int_eq(may(r, GDFS_MSG_NDTOND_GROUP, why), GDFS_EPERM);
        ck_assert_int_eq(may(r, GDFS_MSG_NDTOND_LOG_APPEND, why), GDFS_EPERM);
        ck_assert_int_eq(may(r, GDFS_MSG_NDTOND_REPLICATE, why), GDFS_EPERM);
        ck_assert_int_eq(may(r, GDFS_MSG_NDTOND_DRAIN, why), GDFS_EPERM);
        ck_assert_int_eq(may(r, GDFS_MSG_NDTOND_ALLOC, why), GDFS_EPERM);
    }
    /* a join token only enrols; only a join token (or a member) enrols */
    ck_assert_int_eq(may(GDFS_CRED_NODE, GDFS_MSG_CLTOND_ENROL, why), GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_NODE, GDFS_MSG_CLTOND_GET, why),
                     GDFS_EPERM);
    ck_assert_int_eq(may(GDFS_CRED_ADMIN, GDFS_MSG_CLTOND_ENROL, why),
                     GDFS_EPERM);
    /* members: everything that is a request; replies never */
    ck_assert_int_eq(may(GDFS_CRED_MEMBER, GDFS_MSG_NDTOND_META_SYNC, why),
                     GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_MEMBER, GDFS_MSG_CLTOND_PUT, why), GDFS_OK);
    ck_assert_int_eq(may(GDFS_CRED_MEMBER, GDFS_MSG_NDTOCL_OK, why),
                     GDFS_EPROTO);
    ck_assert_int_eq(may(GDFS_CRED_ADMIN, 250, why), GDFS_EPROTO);
    ck_assert_int_eq(may(GDFS_CRED_NONE, GDFS_MSG_CLTOND_GET, why),
                     GDFS_EPERM);
}
END_TEST

START_TEST(test_authz_reserved_names)
{
    struct gdfs_auth_peer p = {.role = GDFS_CRED_WRITE};
    const char *rev = GDFS_REVOKED_PREFIX "abc";
    char why[256];

    ck_assert_int_eq(gdfs_authz_name(&p, (const uint8_t *)rev, strlen(rev),
                                     false, why, sizeof(why)),
                     GDFS_EPERM);
    ck_assert_int_eq(gdfs_authz_name(&p, (const uint8_t *)".gdfsx", 6, false,
                                     why, sizeof(why)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_authz_name(&p, (const uint8_t *)".gdfs", 5, false,
                                     why, sizeof(why)),
                     GDFS_OK);
    p.role = GDFS_CRED_ADMIN;
    ck_assert_int_eq(gdfs_authz_name(&p, (const uint8_t *)rev, strlen(rev),
                                     false, why, sizeof(why)),
                     GDFS_OK);
    /* A revocation is for good: not even an admin removes it (a stolen
     * admin credential would lift its own). */
    ck_assert_int_eq(gdfs_authz_name(&p, (const uint8_t *)rev, strlen(rev),
                                     true, why, sizeof(why)),
                     GDFS_EPERM);
    ck_assert(strstr(why, "cannot be removed") != NULL);
    ck_assert_int_eq(gdfs_authz_name(&p, (const uint8_t *)".gdfs/other", 11,
                                     true, why, sizeof(why)),
                     GDFS_OK);
    p.role = GDFS_CRED_MEMBER;
    ck_assert_int_eq(gdfs_authz_name(&p, (const uint8_t *)rev, strlen(rev),
                                     true, why, sizeof(why)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_authz_name(&p, (const uint8_t *)rev, strlen(rev),
                                     false, why, sizeof(why)),
                     GDFS_OK);
}
END_TEST

static Suite *suite(void)
{
    Suite *su = suite_create("auth");
    TCase *cred = tcase_create("cred");
    TCase *ch = tcase_create("channel");

    tcase_add_test(cred, test_cred_round_trip);
    tcase_add_test(cred, test_cred_key_depends_on_role_id_and_group);
    tcase_add_test(cred, test_cred_parse_refuses_bad_lines);
    tcase_add_test(cred, test_cred_identity_parse_is_strict);
    tcase_add_test(cred, test_group_key_file);
    tcase_add_test(cred, test_cred_load_refuses_open_file);
    tcase_set_timeout(ch, 30);
    tcase_add_test(ch, test_channel_member_and_data_both_ways);
    tcase_add_test(ch, test_channel_client_credential_identity);
    tcase_add_test(ch, test_channel_wrong_key_fails_both_sides);
    tcase_add_test(ch, test_channel_malformed_identity_refused);
    tcase_add_test(ch, test_channel_plain_frame_refused);
    tcase_add_test(ch, test_channel_server_must_prove_key);
    TCase *az = tcase_create("authz");

    tcase_add_test(az, test_authz_roles);
    tcase_add_test(az, test_authz_reserved_names);
    suite_add_tcase(su, az);
    suite_add_tcase(su, cred);
    suite_add_tcase(su, ch);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
