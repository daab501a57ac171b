/* Unit tests of the ssh plugin's pure parts, compiled in from its sources
 * (plugins/ssh/conf.c, hostkey.c): the [ssh] section, node address ->
 * sshd mapping, base64 and fingerprints, and known_hosts matching (plain,
 * "[host]:port", hashed "|1|", changed keys, @revoked keys, unreadable
 * lines), and a
 * session set-up whose sshd name does not resolve in time (the resolver
 * replaced by a slow one). No network: the sessions and the pump are
 * exercised by tests/cluster/10-ssh.sh against a real sshd. */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../plugins/common/dial.h"
#include "../../plugins/ssh/ssh_int.h"

/* Two ed25519 public keys made with ssh-keygen -t ed25519, and the
 * fingerprints ssh-keygen -l -E sha256 printed for them. */
#define K1_B64                                                                \
    "AAAAC3NzaC1lZDI1NTE5AAAAIPCLhhfmJdA46J7KMaXqPtTS0jaBR2V6xHa4jrihPilJ"
#define K1_FP "SHA256:m3zIdujayZC/cGtsRa/yvMVexI2wl7hRF1YsyFV0h2g"
#define K2_B64                                                                \
    "AAAAC3NzaC1lZDI1NTE5AAAAIBondN76lCA2Yl+SpH8BtEkM+Hxe6vM7EOhRcB3WvprY"
#define K2_FP "SHA256:eYKYHBQ/aJAI4UEv84RUD6n7yrFw890QEBm5zf/FeW8"
/* ssh-keygen -H of "[10.1.2.3]:2222 <K1>" and "gw.example.org <K1>". */
#define K1_HASHED_10_1_2_3_2222                                               \
    "|1|CZHfwLyLvM+2whTYoem4mB00Upg=|a4NmQSYFu28xVGtvJetiLbqkxAQ= "           \
    "ssh-ed25519 " K1_B64
#define K1_HASHED_GW                                                          \
    "|1|j42jA6ByBfBZy5iYyyQiJhn8Vg0=|/X1FkfLz6RyNdFW1aAMh/JVMW7Y= "           \
    "ssh-ed25519 " K1_B64

/* ---- fixture --------------------------------------------------------------- */

static LIBSSH2_SESSION *sess;
static char dir[] = "/tmp/gdfs-test-ssh.XXXXXX";
static char err[SSH_ERR_MAX];

static void setup(void)
{
    ck_assert_int_eq(libssh2_init(0), 0);
    sess = libssh2_session_init();
    ck_assert_ptr_nonnull(sess);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    err[0] = '\0';
}

static void teardown(void)
{
    char cmd[64];

    libssh2_session_free(sess);
    libssh2_exit();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write @text to <dir>/@name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* write_file with mode 0600, as ssh-keygen makes a private key. */
static const char *write_key(const char *name, const char *text)
{
    const char *path = write_file(name, text);

    ck_assert_int_eq(chmod(path, 0600), 0);
    return path;
}

/* The raw blob of a base64 public key: *@len bytes in a static buffer. */
static const char *blob(const char *b64, size_t *len)
{
    static unsigned char out[128];
    int n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)strlen(b64));
    size_t pad = 0;

    ck_assert_int_gt(n, 0);
    for (size_t i = strlen(b64); i > 0 && b64[i - 1] == '='; i--)
        pad++;
    *len = (size_t)n - pad;
    return (const char *)out;
}

/* ssh_hostkey_check for @host:@port, the server sending key @b64. */
static int check_key(const char *path, const char *host, int port,
                     const char *b64, const char *fp)
{
    size_t len;
    const char *k = blob(b64, &len);

    return ssh_hostkey_check(sess, path, host, port, k, len,
                             LIBSSH2_HOSTKEY_TYPE_ED25519, fp, err,
                             sizeof(err));
}

static int apply(struct ssh_conf *cf, const char *key, const char *value)
{
    const char *k[1] = {key}, *v[1] = {value};

    return ssh_conf_apply(cf, 1, k, v, "/home/u", err, sizeof(err));
}

#define ck_assert_err_has(s)                                                  \
    ck_assert_msg(strstr(err, (s)) != NULL, "error '%s' lacks '%s'", err, (s))

/* ---- conf: defaults and keys ------------------------------------------------- */

START_TEST(test_ssh_conf_defaults)
{
    struct ssh_conf cf;

    ssh_conf_defaults(&cf, "alice", "/home/alice");
    ck_assert_str_eq(cf.user, "alice");
    ck_assert_str_eq(cf.identity, "/home/alice/.ssh/id_ed25519");
    ck_assert_str_eq(cf.known_hosts, "/home/alice/.ssh/known_hosts");
    ck_assert_int_eq(cf.port, 22);
    ck_assert_int_eq(cf.keepalive_s, 30);
    ck_assert_int_eq(cf.max_sessions, 4);
    ck_assert_str_eq(cf.ciphers, "");
    ck_assert_uint_eq(cf.nhosts, 0);
}
END_TEST

START_TEST(test_ssh_conf_every_key)
{
    struct ssh_conf cf;
    const char *k[] = {"user",    "identity", "known_hosts", "port",
                       "ciphers", "macs",     "keepalive_s", "max_sessions"};
    const char *v[] = {"gdfs",
                       "~/keys/node",
                       "/etc/gdfs/known_hosts",
                       "2222",
                       "aes128-ctr,aes256-ctr",
                       "hmac-sha2-256",
                       "0",
                       "8"};

    ssh_conf_defaults(&cf, "x", "/home/x");
    ck_assert_int_eq(ssh_conf_apply(&cf, 8, k, v, "/home/u", err, sizeof(err)),
                     GDFS_OK);
    ck_assert_str_eq(cf.user, "gdfs");
    ck_assert_str_eq(cf.identity, "/home/u/keys/node");
    ck_assert_str_eq(cf.known_hosts, "/etc/gdfs/known_hosts");
    ck_assert_int_eq(cf.port, 2222);
    ck_assert_str_eq(cf.ciphers, "aes128-ctr,aes256-ctr");
    ck_assert_str_eq(cf.macs, "hmac-sha2-256");
    ck_assert_int_eq(cf.keepalive_s, 0);
    ck_assert_int_eq(cf.max_sessions, 8);
}
END_TEST

START_TEST(test_ssh_conf_identity_file_is_an_alias)
{
    struct ssh_conf cf;
    const char *k[] = {"identity_file", "identity"};
    const char *v[] = {"/k1", "/k2"};

    ssh_conf_defaults(&cf, "x", "/home/x");
    ck_assert_int_eq(apply(&cf, "identity_file", "/keys/a"), GDFS_OK);
    ck_assert_str_eq(cf.identity, "/keys/a");
    ssh_conf_defaults(&cf, "x", "/home/x");
    ck_assert_int_eq(ssh_conf_apply(&cf, 2, k, v, NULL, err, sizeof(err)),
                     GDFS_ECONFIG);
    ck_assert_err_has("[ssh] identity: identity is already set");
}
END_TEST

START_TEST(test_ssh_conf_unknown_key_named)
{
    struct ssh_conf cf;

    ssh_conf_defaults(&cf, "x", "/home/x");
    ck_assert_int_eq(apply(&cf, "colour", "blue"), GDFS_ECONFIG);
    ck_assert_str_eq(err, "[ssh] colour: unknown key");
    ck_assert_int_eq(apply(&cf, "key", "/k"), GDFS_ECONFIG);
    ck_assert_str_eq(err, "[ssh] key: unknown key");
}
END_TEST

START_TEST(test_ssh_conf_bad_values_named)
{
    static const struct {
        const char *key, *value, *want;
    } bad[] = {
        {"port", "0", "[ssh] port: bad value '0' (expected 1..65535)"},
        {"port", "65536", "[ssh] port: bad value '65536'"},
        {"port", "22x", "[ssh] port: bad value '22x'"},
        {"port", "", "[ssh] port: bad value ''"},
        {"port", "-1", "[ssh] port: bad value '-1'"},
        {"keepalive_s", "3601", "[ssh] keepalive_s: bad value '3601'"},
        {"max_sessions", "0", "[ssh] max_sessions: bad value '0'"},
        {"user", "a b", "[ssh] user: bad value 'a b'"},
        {"user", "", "[ssh] user: bad value ''"},
        {"identity", "", "[ssh] identity: bad value ''"},
        {"ciphers", "aes128-ctr,,aes256-ctr",
         "[ssh] ciphers: bad value 'aes128-ctr,,aes256-ctr'"},
        {"ciphers", "AES;rm", "[ssh] ciphers: bad value 'AES;rm'"},
        {"macs", "hmac-sha2-256,", "[ssh] macs: bad value"},
        {"host.n2", "", "[ssh] host.n2: bad value ''"},
        {"host.n2", "gw:0", "[ssh] host.n2: bad value 'gw:0'"},
        {"host.n2", "::1", "[ssh] host.n2: bad value '::1'"},
        {"host.n2", "[::1", "[ssh] host.n2: bad value '[::1'"},
        {"host.", "gw", "[ssh] host.: '' is not a host name"},
        {"host.a/b", "gw", "[ssh] host.a/b: 'a/b' is not a host name"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ssh_conf cf;

        ssh_conf_defaults(&cf, "x", "/home/x");
        err[0] = '\0';
        ck_assert_msg(apply(&cf, bad[i].key, bad[i].value) == GDFS_ECONFIG,
                      "%s = '%s' accepted", bad[i].key, bad[i].value);
        ck_assert_err_has(bad[i].want);
    }
}
END_TEST

START_TEST(test_ssh_conf_check_names_missing_files)
{
    struct ssh_conf cf;
    char path[256];

    ssh_conf_defaults(&cf, "x", dir);
    ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_ECONFIG);
    snprintf(path, sizeof(path),
             "[ssh] identity: cannot read '%s/.ssh/id_ed25519': No such file "
             "or directory",
             dir);
    ck_assert_str_eq(err, path);
    snprintf(cf.identity, sizeof(cf.identity), "%s",
             write_key("id", "not really a key\n"));
    ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_ECONFIG);
    ck_assert_err_has("[ssh] known_hosts: cannot read");
    snprintf(cf.known_hosts, sizeof(cf.known_hosts), "%s",
             write_file("kh", ""));
    ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_OK);
}
END_TEST

/* A private key group or others may read is refused, at start-up as
 * ssh refuses it, with the fix in the message. */
START_TEST(test_ssh_conf_check_refuses_unprotected_identity)
{
    static const unsigned modes[] = {0644, 0640, 0604, 0601, 0660, 0666};
    struct ssh_conf cf;
    char want[3 * SSH_PATH_MAX];

    ssh_conf_defaults(&cf, "x", "/home/x");
    snprintf(cf.identity, sizeof(cf.identity), "%s", write_key("id", "k"));
    snprintf(cf.known_hosts, sizeof(cf.known_hosts), "%s",
             write_file("kh", ""));
    ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_OK);
    ck_assert_int_eq(ssh_conf_check_identity(cf.identity, err, sizeof(err)),
                     GDFS_OK);
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        ck_assert_int_eq(chmod(cf.identity, modes[i]), 0);
        ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_ECONFIG);
        snprintf(want, sizeof(want),
                 "[ssh] identity: UNPROTECTED PRIVATE KEY FILE '%s' (mode "
                 "%04o, open to group or others); fix: chmod 600 '%s'",
                 cf.identity, modes[i], cf.identity);
        ck_assert_str_eq(err, want);
    }
    /* Read-only for its owner is fine, as for ssh. */
    ck_assert_int_eq(chmod(cf.identity, 0400), 0);
    ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_OK);
}
END_TEST

START_TEST(test_ssh_conf_check_methods_against_libssh2)
{
    struct ssh_conf cf;

    ssh_conf_defaults(&cf, "x", "/home/x");
    snprintf(cf.identity, sizeof(cf.identity), "%s", write_key("id", "k"));
    snprintf(cf.known_hosts, sizeof(cf.known_hosts), "%s",
             write_file("kh", ""));
    ck_assert_int_eq(apply(&cf, "ciphers", "rot13-cbc,aes128-ctr"), GDFS_OK);
    ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_OK);
    ck_assert_int_eq(apply(&cf, "ciphers", "rot13-cbc"), GDFS_OK);
    ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_ECONFIG);
    ck_assert_err_has("[ssh] ciphers: libssh2 supports none of 'rot13-cbc' "
                      "(it has: ");
    ck_assert_err_has("aes128-ctr");
    ck_assert_int_eq(apply(&cf, "ciphers", "aes256-ctr"), GDFS_OK);
    ck_assert_int_eq(apply(&cf, "macs", "hmac-md6"), GDFS_OK);
    ck_assert_int_eq(ssh_conf_check(&cf, err, sizeof(err)), GDFS_ECONFIG);
    ck_assert_err_has("[ssh] macs: libssh2 supports none of 'hmac-md6'");
}
END_TEST

/* ---- conf: node address -> sshd ----------------------------------------------- */

START_TEST(test_ssh_target_default_is_node_host_and_ssh_port)
{
    struct ssh_conf cf;
    struct ssh_target t;

    ssh_conf_defaults(&cf, "x", "/home/x");
    ck_assert_int_eq(apply(&cf, "port", "2222"), GDFS_OK);
    ck_assert_int_eq(ssh_conf_target(&cf, "10.0.0.2:7001", &t, err,
                                     sizeof(err)),
                     GDFS_OK);
    ck_assert_str_eq(t.ssh_host, "10.0.0.2");
    ck_assert_int_eq(t.ssh_port, 2222);
    ck_assert_int_eq(t.node_port, 7001);
    ck_assert_int_eq(ssh_conf_target(&cf, "[::1]:7001", &t, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_str_eq(t.ssh_host, "::1");
}
END_TEST

START_TEST(test_ssh_target_host_map)
{
    struct ssh_conf cf;
    struct ssh_target t;
    const char *k[] = {"host.node2", "host.10.0.0.3", "host.n4"};
    const char *v[] = {"gw.example.org:2200", "jump3", "[fe80::1]:22"};

    ssh_conf_defaults(&cf, "x", "/home/x");
    ck_assert_int_eq(ssh_conf_apply(&cf, 3, k, v, NULL, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_uint_eq(cf.nhosts, 3);
    ck_assert_int_eq(ssh_conf_target(&cf, "NODE2:7002", &t, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_str_eq(t.ssh_host, "gw.example.org");
    ck_assert_int_eq(t.ssh_port, 2200);
    ck_assert_int_eq(t.node_port, 7002);
    ck_assert_int_eq(ssh_conf_target(&cf, "10.0.0.3:7003", &t, err,
                                     sizeof(err)),
                     GDFS_OK);
    ck_assert_str_eq(t.ssh_host, "jump3");
    ck_assert_int_eq(t.ssh_port, 22);
    ck_assert_int_eq(ssh_conf_target(&cf, "n4:1", &t, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_str_eq(t.ssh_host, "fe80::1");
    ck_assert_int_eq(ssh_conf_target(&cf, "10.0.0.33:7003", &t, err,
                                     sizeof(err)),
                     GDFS_OK);
    ck_assert_str_eq(t.ssh_host, "10.0.0.33"); /* no prefix matching */
}
END_TEST

START_TEST(test_ssh_target_bad_address)
{
    struct ssh_conf cf;
    struct ssh_target t;
    const char *bad[] = {"n2",    "n2:",       "n2:0",  "n2:70000",
                         ":7001", "[::1]7001", "a b:1", "ssh://n2:7001"};

    ssh_conf_defaults(&cf, "x", "/home/x");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(ssh_conf_target(&cf, bad[i], &t, err, sizeof(err)) ==
                          GDFS_EINVAL,
                      "'%s' accepted", bad[i]);
        ck_assert_err_has("is not HOST:PORT");
    }
}
END_TEST

/* ---- base64, fingerprints, names ---------------------------------------------- */

START_TEST(test_ssh_base64_rfc4648_vectors)
{
    static const char *in[] = {"",     "f",     "fo",    "foo",
                               "foob", "fooba", "foobar"};
    static const char *padded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                   "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *bare[] = {"",       "Zg",      "Zm8",     "Zm9v",
                                 "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[16];

    for (size_t i = 0; i < 7; i++) {
        ck_assert_uint_eq(ssh_base64((const unsigned char *)in[i],
                                     strlen(in[i]), true, out, sizeof(out)),
                          strlen(padded[i]));
        ck_assert_str_eq(out, padded[i]);
        ssh_base64((const unsigned char *)in[i], strlen(in[i]), false, out,
                   sizeof(out));
        ck_assert_str_eq(out, bare[i]);
    }
    ck_assert_uint_eq(ssh_base64((const unsigned char *)"foobar", 6, true, out,
                                 8),
                      0); /* 8 characters and a NUL do not fit */
}
END_TEST

START_TEST(test_ssh_fingerprint_matches_ssh_keygen)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    char fp[SSH_FP_MAX];
    size_t len;
    const char *k = blob(K1_B64, &len);

    ck_assert_uint_eq(len, 51); /* string "ssh-ed25519" + string key */
    SHA256((const unsigned char *)k, len, h);
    ssh_fingerprint(h, fp, sizeof(fp));
    ck_assert_str_eq(fp, K1_FP);
    k = blob(K2_B64, &len);
    SHA256((const unsigned char *)k, len, h);
    ssh_fingerprint(h, fp, sizeof(fp));
    ck_assert_str_eq(fp, K2_FP);
}
END_TEST

START_TEST(test_ssh_known_name_brackets_other_ports)
{
    char n[64];

    ssh_known_name("gw.example.org", 22, n, sizeof(n));
    ck_assert_str_eq(n, "gw.example.org");
    ssh_known_name("10.1.2.3", 2222, n, sizeof(n));
    ck_assert_str_eq(n, "[10.1.2.3]:2222");
    ssh_known_name("::1", 2222, n, sizeof(n));
    ck_assert_str_eq(n, "[::1]:2222");
    ck_assert_str_eq(ssh_keytype_name(LIBSSH2_HOSTKEY_TYPE_ED25519),
                     "ssh-ed25519");
}
END_TEST

/* ---- known_hosts ----------------------------------------------------------------- */

START_TEST(test_ssh_hostkey_plain_host_port_entry)
{
    const char *kh = write_file("kh", "# a comment\n\n"
                                      "[10.1.2.3]:2222 ssh-ed25519 " K1_B64
                                      " node1\n");

    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP), GDFS_OK);
    /* The same host on another port is another host. */
    ck_assert_int_eq(check_key(kh, "10.1.2.3", 22, K1_B64, K1_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("host key for 10.1.2.3 (ssh-ed25519 " K1_FP
                      ") is not in ");
    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2223, K1_B64, K1_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("host key for [10.1.2.3]:2223 (ssh-ed25519 " K1_FP
                      ") is not in ");
    ck_assert_err_has("; refusing");
}
END_TEST

START_TEST(test_ssh_hostkey_port_22_entry_does_not_cover_other_ports)
{
    const char *kh = write_file("kh", "10.1.2.3 ssh-ed25519 " K1_B64 "\n");

    ck_assert_int_eq(check_key(kh, "10.1.2.3", 22, K1_B64, K1_FP), GDFS_OK);
    /* libssh2's own port fallback would accept this; OpenSSH does not. */
    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("[10.1.2.3]:2222");
}
END_TEST

START_TEST(test_ssh_hostkey_changed_key_refused)
{
    const char *kh = write_file("kh",
                                "[10.1.2.3]:2222 ssh-ed25519 " K1_B64 "\n");
    char want[512];

    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K2_B64, K2_FP),
                     GDFS_ECONFIG);
    snprintf(want, sizeof(want),
             "ssh: host key for [10.1.2.3]:2222 has CHANGED: the server "
             "sent ssh-ed25519 %s, %s has another key for it; refusing",
             K2_FP, kh);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_ssh_hostkey_hashed_entries)
{
    const char *kh = write_file("kh", K1_HASHED_10_1_2_3_2222 "\n" K1_HASHED_GW
                                                              "\n");

    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP), GDFS_OK);
    ck_assert_int_eq(check_key(kh, "gw.example.org", 22, K1_B64, K1_FP),
                     GDFS_OK);
    ck_assert_int_eq(check_key(kh, "gw.example.org", 2222, K1_B64, K1_FP),
                     GDFS_ECONFIG);
    ck_assert_int_eq(check_key(kh, "gw.example.org", 22, K2_B64, K2_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("CHANGED");
}
END_TEST

START_TEST(test_ssh_hostkey_bad_lines_skipped_not_fatal)
{
    /* libssh2_knownhost_readfile would stop at the first bad line. A
     * marker other than @revoked is not supported: skipped. */
    const char *kh = write_file("kh",
                                "@cert-authority * ssh-ed25519 " K2_B64 "\n"
                                "garbage\n"
                                "[10.1.2.3]:2222 ssh-ed25519 " K1_B64 "\n");

    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP), GDFS_OK);
    ck_assert_int_eq(check_key(kh, "10.9.9.9", 2222, K1_B64, K1_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("(2 unreadable lines skipped)");
}
END_TEST

/* A revoked key is refused even when a plain entry lists it: libssh2
 * knows no markers, and the plugin used to skip the @revoked line. */
START_TEST(test_ssh_hostkey_revoked_refused_even_if_listed)
{
    const char *kh = write_file("kh",
                                "[10.1.2.3]:2222 ssh-ed25519 " K1_B64 "\n"
                                "# revoked after the laptop was lost\n"
                                "@revoked * ssh-ed25519 " K1_B64 " old\n");
    char want[512];

    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP),
                     GDFS_ECONFIG);
    snprintf(want, sizeof(want),
             "ssh: host key for [10.1.2.3]:2222 (ssh-ed25519 %s) is REVOKED "
             "in %s (line 3); refusing",
             K1_FP, kh);
    ck_assert_str_eq(err, want);
    /* Before the plain entry, for another host name, or hashed: the same.
     * The host patterns of a @revoked line do not limit it. */
    kh = write_file("kh", "@revoked\tgw.example.org ssh-ed25519 " K1_B64 "\n"
                          "[10.1.2.3]:2222 ssh-ed25519 " K1_B64 "\n");
    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("is REVOKED in ");
    ck_assert_err_has("(line 1)");
    kh = write_file("kh", "@revoked " K1_HASHED_GW "\n" K1_HASHED_GW "\n");
    ck_assert_int_eq(check_key(kh, "gw.example.org", 22, K1_B64, K1_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("REVOKED");
}
END_TEST

START_TEST(test_ssh_hostkey_revoked_other_key_does_not_matter)
{
    const char *kh = write_file("kh",
                                "@revoked * ssh-ed25519 " K2_B64 "\r\n"
                                "[10.1.2.3]:2222 ssh-ed25519 " K1_B64 "\n");

    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP), GDFS_OK);
    /* The revoked key itself, unknown for this host: REVOKED says more. */
    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K2_B64, K2_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("is REVOKED in ");
}
END_TEST

/* A revocation that cannot be read might be for this very key: every
 * key is refused until the line is fixed. */
START_TEST(test_ssh_hostkey_unreadable_revoked_line_refuses)
{
    static const char *const bad[] = {
        "@revoked *\n",
        "@revoked * ssh-ed25519\n",
        "@revoked * ssh-ed25519 not*base64\n",
    };
    char want[512];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256];
        const char *kh;

        snprintf(text, sizeof(text),
                 "[10.1.2.3]:2222 ssh-ed25519 " K1_B64 "\n%s", bad[i]);
        kh = write_file("kh", text);
        ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP),
                         GDFS_ECONFIG);
        snprintf(want, sizeof(want),
                 "ssh: host key for [10.1.2.3]:2222: cannot read @revoked "
                 "line 2 of %s (want @revoked HOSTS TYPE BASE64); refusing "
                 "every key until it is fixed",
                 kh);
        ck_assert_str_eq(err, want);
    }
}
END_TEST

START_TEST(test_ssh_hostkey_comma_list_of_names)
{
    const char *kh =
        write_file("kh", "a.example,[10.1.2.3]:2222 ssh-ed25519 " K1_B64 "\n");

    ck_assert_int_eq(check_key(kh, "10.1.2.3", 2222, K1_B64, K1_FP), GDFS_OK);
    ck_assert_int_eq(check_key(kh, "a.example", 22, K1_B64, K1_FP), GDFS_OK);
}
END_TEST

START_TEST(test_ssh_hostkey_missing_file_named)
{
    ck_assert_int_eq(check_key("/nonexistent/known_hosts", "h", 22, K1_B64,
                               K1_FP),
                     GDFS_ECONFIG);
    ck_assert_err_has("host key for h (ssh-ed25519 " K1_FP
                      "): cannot read known_hosts '/nonexistent/known_hosts'"
                      ": No such file or directory; refusing");
}
END_TEST

/* ---- session: the sshd's name lookup is bounded ----------------------------- */

/* A resolver as stuck as a DNS server that does not answer: 5 s. */
static int stuck_resolver(const char *host, const char *port,
                          const struct addrinfo *hints, struct addrinfo **res)
{
    (void)host;
    (void)port;
    (void)hints;
    (void)res;
    sleep(5);
    return EAI_AGAIN;
}

START_TEST(test_ssh_session_open_bounded_by_slow_lookup)
{
    struct ssh_conf cf;
    struct ssh_sess *ss = (struct ssh_sess *)&cf;
    long t0;

    ssh_conf_defaults(&cf, "alice", "/home/alice");
    dial_set_resolver(stuck_resolver);
    t0 = (long)gdfs_clock_ms();
    ck_assert_int_eq(ssh_sess_open(&cf, "sshd.example", 2222, t0 + 300, &ss,
                                   err, sizeof(err)),
                     GDFS_ETIMEDOUT);
    ck_assert_int_lt((long)gdfs_clock_ms() - t0, 2000);
    ck_assert_ptr_null(ss);
    ck_assert_err_has("ssh: connect to sshd sshd.example port 2222: "
                      "resolving sshd.example took longer than ");
}
END_TEST

static Suite *ssh_suite(void)
{
    Suite *s = suite_create("ssh");
    TCase *conf = tcase_create("conf"), *target = tcase_create("target");
    TCase *enc = tcase_create("encodings"), *kh = tcase_create("known_hosts");
    TCase *sess_tc = tcase_create("session");
    TCase *all[] = {conf, target, enc, kh, sess_tc};

    for (size_t i = 0; i < 5; i++)
        tcase_add_checked_fixture(all[i], setup, teardown);
    tcase_add_test(conf, test_ssh_conf_defaults);
    tcase_add_test(conf, test_ssh_conf_every_key);
    tcase_add_test(conf, test_ssh_conf_identity_file_is_an_alias);
    tcase_add_test(conf, test_ssh_conf_unknown_key_named);
    tcase_add_test(conf, test_ssh_conf_bad_values_named);
    tcase_add_test(conf, test_ssh_conf_check_names_missing_files);
    tcase_add_test(conf, test_ssh_conf_check_refuses_unprotected_identity);
    tcase_add_test(conf, test_ssh_conf_check_methods_against_libssh2);
    tcase_add_test(target, test_ssh_target_default_is_node_host_and_ssh_port);
    tcase_add_test(target, test_ssh_target_host_map);
    tcase_add_test(target, test_ssh_target_bad_address);
    tcase_add_test(enc, test_ssh_base64_rfc4648_vectors);
    tcase_add_test(enc, test_ssh_fingerprint_matches_ssh_keygen);
    tcase_add_test(enc, test_ssh_known_name_brackets_other_ports);
    tcase_add_test(kh, test_ssh_hostkey_plain_host_port_entry);
    tcase_add_test(kh,
                   test_ssh_hostkey_port_22_entry_does_not_cover_other_ports);
    tcase_add_test(kh, test_ssh_hostkey_changed_key_refused);
    tcase_add_test(kh, test_ssh_hostkey_hashed_entries);
    tcase_add_test(kh, test_ssh_hostkey_bad_lines_skipped_not_fatal);
    tcase_add_test(kh, test_ssh_hostkey_revoked_refused_even_if_listed);
    tcase_add_test(kh, test_ssh_hostkey_revoked_other_key_does_not_matter);
    tcase_add_test(kh, test_ssh_hostkey_unreadable_revoked_line_refuses);
    tcase_add_test(kh, test_ssh_hostkey_comma_list_of_names);
    tcase_add_test(kh, test_ssh_hostkey_missing_file_named);
    tcase_add_test(sess_tc, test_ssh_session_open_bounded_by_slow_lookup);
    for (size_t i = 0; i < 5; i++)
        suite_add_tcase(s, all[i]);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ssh_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
