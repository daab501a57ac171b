/* Unit tests for src/config.c: INI file -> struct gdfs_config.
 *
 * Every test writes its INI text to node.ini in a fresh mkdtemp directory
 * (removed by the teardown). Sections follow the functions under test:
 * parse_u32, parse_hostport, defaults/free, load (valid files, structure,
 * required keys, numbers, strings, plugin section, files and data_dir,
 * shipped examples). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* ======================================================================
 * Fixture and helpers
 * ====================================================================== */

static char tmpdir[PATH_MAX];
static char ini_path[PATH_MAX + 16];
static char err[1024];
static struct gdfs_config cfg;

#define MINIMAL                                                               \
    "[node]\n"                                                                \
    "id = n1\n"                                                               \
    "listen = 127.0.0.1:7001\n"                                               \
    "data_dir = /tmp/gdfs/n1\n"

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/gdfs-test-config.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(ini_path, sizeof(ini_path), "%s/node.ini", tmpdir);
    memset(&cfg, 0, sizeof(cfg));
    err[0] = '\0';
}

static void teardown(void)
{
    gdfs_config_free(&cfg);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* Write the formatted text to node.ini and load it, checking data_dir if
 * @check. A previous successful load is freed first. */
static int vload(int check, const char *fmt, va_list ap)
{
    char text[8192];
    int n;

    n = vsnprintf(text, sizeof(text), fmt, ap);
    ck_assert_int_lt(n, (int)sizeof(text));
    gdfs_config_free(&cfg);
    write_file(ini_path, text);
    err[0] = '\0';
    return gdfs_config_load(ini_path, &cfg, check, err, sizeof(err));
}

static int load(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int load_checked(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Load without the data_dir check. */
static int load(const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vload(0, fmt, ap);
    va_end(ap);
    return rc;
}

/* Load with the data_dir check. */
static int load_checked(const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vload(1, fmt, ap);
    va_end(ap);
    return rc;
}

static void assert_cfg_empty(void)
{
    ck_assert_ptr_null(cfg.path);
    ck_assert_ptr_null(cfg.node_id);
    ck_assert_ptr_null(cfg.listen);
    ck_assert_ptr_null(cfg.advertise);
    ck_assert_ptr_null(cfg.data_dir);
    ck_assert_ptr_null(cfg.plugin);
    ck_assert_ptr_null(cfg.plugin_dir);
    ck_assert_uint_eq(cfg.nplugin_kv, 0);
    ck_assert_uint_eq(cfg.nextra, 0);
}

#define ASSERT_ERR_HAS(s)                                                     \
    ck_assert_msg(strstr(err, (s)) != NULL, "error '%s' lacks '%s'", err, (s))

/* The load failed with GDFS_ECONFIG, left nothing in cfg, and the message
 * names the file and contains @what (normally "[section] key"). */
#define ASSERT_LOAD_FAILS(rc, what)                                           \
    do {                                                                      \
        ck_assert_int_eq((rc), GDFS_ECONFIG);                                 \
        ASSERT_ERR_HAS("node.ini");                                           \
        ASSERT_ERR_HAS(what);                                                 \
        assert_cfg_empty();                                                   \
    } while (0)

#define ASSERT_LOAD_OK(rc)                                                    \
    ck_assert_msg((rc) == GDFS_OK, "load failed: %s", err)

/* ======================================================================
 * gdfs_config_parse_u32
 * ====================================================================== */

START_TEST(test_config_parse_u32_accepts_decimal)
{
    uint32_t v = 0;

    ck_assert_int_eq(gdfs_config_parse_u32("0", 0, 10, &v), GDFS_OK);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(gdfs_config_parse_u32("042", 0, 100, &v), GDFS_OK);
    ck_assert_uint_eq(v, 42);
    ck_assert_int_eq(gdfs_config_parse_u32("4294967295", 0, UINT32_MAX, &v),
                     GDFS_OK);
    ck_assert_uint_eq(v, UINT32_MAX);
    ck_assert_int_eq(gdfs_config_parse_u32("0000000000000000000007", 0, 10,
                                           &v),
                     GDFS_OK);
    ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(test_config_parse_u32_rejects_bad_input)
{
    static const char *const bad[] = {
        "",   "-1",  "+1", "1x",         "0x10",        " 5",  "5 ",
        "1.", "1e3", "x",  "4294967296", "99999999999", "\t1",
    };
    uint32_t v = 12345;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(gdfs_config_parse_u32(bad[i], 0, UINT32_MAX, &v) ==
                          GDFS_EINVAL,
                      "'%s' accepted", bad[i]);
    ck_assert_int_eq(gdfs_config_parse_u32(NULL, 0, 1, &v), GDFS_EINVAL);
    ck_assert_uint_eq(v, 12345); /* untouched on error */
}
END_TEST

START_TEST(test_config_parse_u32_checks_range)
{
    uint32_t v;

    ck_assert_int_eq(gdfs_config_parse_u32("9", 10, 20, &v), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_config_parse_u32("10", 10, 20, &v), GDFS_OK);
    ck_assert_int_eq(gdfs_config_parse_u32("20", 10, 20, &v), GDFS_OK);
    ck_assert_int_eq(gdfs_config_parse_u32("21", 10, 20, &v), GDFS_EINVAL);
}
END_TEST

/* ======================================================================
 * gdfs_config_parse_hostport
 * ====================================================================== */

START_TEST(test_config_parse_hostport_valid)
{
    char host[64];
    uint16_t port = 0;

    ck_assert_int_eq(gdfs_config_parse_hostport("127.0.0.1:7001", host,
                                                sizeof(host), &port),
                     GDFS_OK);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_eq(port, 7001);
    ck_assert_int_eq(gdfs_config_parse_hostport("[::1]:80", host, sizeof(host),
                                                &port),
                     GDFS_OK);
    ck_assert_str_eq(host, "::1");
    ck_assert_uint_eq(port, 80);
    ck_assert_int_eq(gdfs_config_parse_hostport("node-1.example:65535", host,
                                                sizeof(host), &port),
                     GDFS_OK);
    ck_assert_str_eq(host, "node-1.example");
    ck_assert_uint_eq(port, 65535);
    ck_assert_int_eq(gdfs_config_parse_hostport("h:1", host, sizeof(host),
                                                &port),
                     GDFS_OK);
    ck_assert_uint_eq(port, 1);
}
END_TEST

START_TEST(test_config_parse_hostport_invalid)
{
    static const char *const bad[] = {
        "x",      "h:0",     "h:70000", ":5",      "h:",     "[::1]",
        "::1:80", "[::1]80", "[]:80",   "h:-1",    "h:0x50", "h: 80",
        "a b:80", "[::1:80", "h:65536", "[a[b]:1", "",
    };
    char host[64];
    uint16_t port = 0;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(gdfs_config_parse_hostport(bad[i], host, sizeof(host),
                                                 &port) == GDFS_EINVAL,
                      "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_config_parse_hostport_host_too_long)
{
    char host[8];
    uint16_t port;

    ck_assert_int_eq(gdfs_config_parse_hostport("1234567:1", host,
                                                sizeof(host), &port),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_config_parse_hostport("12345678:1", host,
                                                sizeof(host), &port),
                     GDFS_EINVAL);
}
END_TEST

/* ======================================================================
 * gdfs_config_defaults, gdfs_config_free
 * ====================================================================== */

START_TEST(test_config_defaults_values)
{
    gdfs_config_defaults(&cfg);
    ck_assert_ptr_null(cfg.path);
    ck_assert_ptr_null(cfg.node_id);
    ck_assert_ptr_null(cfg.listen);
    ck_assert_ptr_null(cfg.advertise);
    ck_assert_ptr_null(cfg.data_dir);
    ck_assert_str_eq(cfg.plugin, "tcp");
    ck_assert_ptr_nonnull(cfg.plugin_dir);
    ck_assert_int_eq(cfg.log_level, GDFS_LOG_INFO);
    ck_assert_uint_eq(cfg.max_clients, 256);
    ck_assert_uint_eq(cfg.idle_timeout_ms, 30000);
    ck_assert_uint_eq(cfg.dial_timeout_ms, 3000);
    ck_assert_uint_eq(cfg.io_timeout_ms, 10000);
    ck_assert_uint_eq(cfg.chunk_size, 262144);
    ck_assert_uint_eq(cfg.keep_versions, 3);
    ck_assert_uint_eq(cfg.scrub_rate_mib_s, 8);
    ck_assert_uint_eq(cfg.scrub_interval_s, 86400);
    ck_assert_uint_eq(cfg.inventory_interval_ms, 60000);
    ck_assert_uint_eq(cfg.log_keep_entries, 10000);
    ck_assert_uint_eq(cfg.page_size, 4096);
    ck_assert_uint_eq(cfg.cache_kib, 2048);
    ck_assert_uint_eq(cfg.reserve_mib, GDFS_CONFIG_RESERVE_AUTO);
    ck_assert_uint_eq(cfg.nplugin_kv, 0);
}
END_TEST

START_TEST(test_config_free_is_safe_and_idempotent)
{
    struct gdfs_config z;

    memset(&z, 0, sizeof(z));
    gdfs_config_free(&z);
    gdfs_config_defaults(&cfg);
    gdfs_config_free(&cfg);
    assert_cfg_empty();
    gdfs_config_free(&cfg);
    assert_cfg_empty();
    ASSERT_LOAD_OK(load(MINIMAL "[tcp]\na = 1\n"));
    gdfs_config_free(&cfg);
    assert_cfg_empty();
    gdfs_config_free(&cfg);
}
END_TEST

/* ======================================================================
 * gdfs_config_load: valid files
 * ====================================================================== */

START_TEST(test_config_minimal_file_gets_defaults)
{
    ASSERT_LOAD_OK(load(MINIMAL));
    ck_assert_str_eq(cfg.path, ini_path);
    ck_assert_str_eq(cfg.node_id, "n1");
    ck_assert_str_eq(cfg.listen, "127.0.0.1:7001");
    ck_assert_str_eq(cfg.advertise, "127.0.0.1:7001");
    ck_assert_str_eq(cfg.data_dir, "/tmp/gdfs/n1");
    ck_assert_int_eq(cfg.log_level, GDFS_LOG_INFO);
    ck_assert_uint_eq(cfg.max_clients, 256);
    ck_assert_uint_eq(cfg.idle_timeout_ms, 30000);
    ck_assert_str_eq(cfg.plugin, "tcp");
#ifdef GDFS_PLUGIN_DIR
    ck_assert_str_eq(cfg.plugin_dir, GDFS_PLUGIN_DIR);
#else
    ck_assert_str_eq(cfg.plugin_dir, "/usr/local/lib/gdfs");
#endif
    ck_assert_uint_eq(cfg.dial_timeout_ms, 3000);
    ck_assert_uint_eq(cfg.io_timeout_ms, 10000);
    ck_assert_uint_eq(cfg.chunk_size, 262144);
    ck_assert_uint_eq(cfg.keep_versions, 3);
    ck_assert_uint_eq(cfg.page_size, 4096);
    ck_assert_uint_eq(cfg.cache_kib, 2048);
    ck_assert_uint_eq(cfg.reserve_mib, GDFS_CONFIG_RESERVE_AUTO);
    ck_assert_uint_eq(cfg.nplugin_kv, 0);
    ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_config_full_file)
{
    char data_dir[PATH_MAX + 16];

    snprintf(data_dir, sizeof(data_dir), "%s/data", tmpdir);
    ASSERT_LOAD_OK(
        load_checked("; every key set to something other than its default\n"
                     "[node]\n"
                     "id = node-7.a_b\n"
                     "listen = 0.0.0.0:7100\n"
                     "advertise = \"[::1]:7100\"   ; after a quoted value\n"
                     "data_dir = %s\n"
                     "log_level = debug\n"
                     "max_clients = 17\n"
                     "idle_timeout_ms = 1234\n"
                     "\n"
                     "[transport]\n"
                     "plugin = ssh\n"
                     "plugin_dir = /opt/gdfs/plugins\n"
                     "dial_timeout_ms = 55\n"
                     "io_timeout_ms = 66\n"
                     "\n"
                     "# hash comment\n"
                     "[files]\n"
                     "chunk_size = 8192\n"
                     "keep_versions = 9\n"
                     "scrub_rate_mib_s = 0\n"
                     "scrub_interval_s = 60\n"
                     "\n"
                     "[store]\n"
                     "page_size = 16384\n"
                     "cache_kib = 100\n"
                     "reserve_mib = 64\n"
                     "\n"
                     "[ssh]\n"
                     "user = gdfs\n"
                     "key = /etc/gdfs/id_ed25519\n",
                     data_dir));
    ck_assert_str_eq(cfg.node_id, "node-7.a_b");
    ck_assert_str_eq(cfg.listen, "0.0.0.0:7100");
    ck_assert_str_eq(cfg.advertise, "[::1]:7100");
    ck_assert_str_eq(cfg.data_dir, data_dir);
    ck_assert_int_eq(cfg.log_level, GDFS_LOG_DEBUG);
    ck_assert_uint_eq(cfg.max_clients, 17);
    ck_assert_uint_eq(cfg.idle_timeout_ms, 1234);
    ck_assert_str_eq(cfg.plugin, "ssh");
    ck_assert_str_eq(cfg.plugin_dir, "/opt/gdfs/plugins");
    ck_assert_uint_eq(cfg.dial_timeout_ms, 55);
    ck_assert_uint_eq(cfg.io_timeout_ms, 66);
    ck_assert_uint_eq(cfg.chunk_size, 8192);
    ck_assert_uint_eq(cfg.keep_versions, 9);
    ck_assert_uint_eq(cfg.scrub_rate_mib_s, 0);
    ck_assert_uint_eq(cfg.scrub_interval_s, 60);
    ck_assert_uint_eq(cfg.page_size, 16384);
    ck_assert_uint_eq(cfg.cache_kib, 100);
    ck_assert_uint_eq(cfg.reserve_mib, 64);
    ck_assert_uint_eq(cfg.nplugin_kv, 2);
    ck_assert_str_eq(cfg.plugin_kv[0].key, "user");
    ck_assert_str_eq(cfg.plugin_kv[0].value, "gdfs");
    ck_assert_str_eq(cfg.plugin_kv[1].key, "key");
    ck_assert_str_eq(cfg.plugin_kv[1].value, "/etc/gdfs/id_ed25519");
}
END_TEST

START_TEST(test_config_names_are_case_insensitive)
{
    ASSERT_LOAD_OK(load("[NODE]\nID = n1\nListen = h:1\nDATA_DIR = /d\n"
                        "[Files]\nChunk_Size = 8192\n"));
    ck_assert_str_eq(cfg.node_id, "n1");
    ck_assert_uint_eq(cfg.chunk_size, 8192);
}
END_TEST

START_TEST(test_config_quoted_values)
{
    ASSERT_LOAD_OK(load("[node]\nid = \"n1\"\nlisten = 'h:1'\n"
                        "data_dir = \"/d;x\"\n"));
    ck_assert_str_eq(cfg.node_id, "n1");
    ck_assert_str_eq(cfg.listen, "h:1");
    ck_assert_str_eq(cfg.data_dir, "/d;x");
}
END_TEST

/* iniparser 4.1 reads "data_dir = /srv/gdfs#2" as "/srv/gdfs", without a
 * word: such a value is refused, naming file, line and key, and saying how
 * to quote it. */
START_TEST(test_config_value_cut_at_hash_or_semicolon_refused)
{
    ASSERT_LOAD_FAILS(load("[node]\nid = n1\nlisten = h:1\n"
                           "data_dir = /srv/gdfs#2\n"),
                      "node.ini:4: [node] data_dir: the value contains '#', "
                      "where iniparser would cut it; quote the whole value "
                      "(\"/srv/gdfs#2\") or move a comment to its own line");
    ASSERT_LOAD_FAILS(load(MINIMAL "[ssh]\nidentity = /k;old\n"),
                      "node.ini:6: [ssh] identity: the value contains ';'");
    /* A value with a double quote gets the single-quoted form. */
    ASSERT_LOAD_FAILS(load(MINIMAL "[ssh]\nuser = a\"b#c\n"), "('a\"b#c')");
    ASSERT_LOAD_FAILS(load(MINIMAL "[ssh]\nuser = a\"b'#c\n"),
                      "and both kinds of quote, so it cannot be quoted");
}
END_TEST

/* A comment after a value may be meant as a comment or as part of the
 * value: only the operator knows, so it is refused too. */
START_TEST(test_config_trailing_comment_after_value_refused)
{
    ASSERT_LOAD_FAILS(load("[node]\nid = n1 ; the first node\n"
                           "listen = h:1\ndata_dir = /d\n"),
                      "node.ini:2: [node] id: the value contains ';'");
    ASSERT_ERR_HAS("(\"n1 ; the first node\")");
    ASSERT_LOAD_FAILS(load(MINIMAL "[files]\nkeep_versions = 4 # four\n"),
                      "node.ini:6: [files] keep_versions: the value contains "
                      "'#'");
    /* Comment lines, and blanks before them, are fine. */
    ASSERT_LOAD_OK(load("# a\n; b\n  # c\n[node] \nid = n1\n\t; d\n"
                        "listen = h:1\ndata_dir = /d\n"));
}
END_TEST

START_TEST(test_config_quoted_value_with_comment_after_it)
{
    ASSERT_LOAD_OK(load("[node]\nid = n1\nlisten = h:1\n"
                        "data_dir = \"/srv/gdfs#2\"  ; the second disk\n"
                        "[transport]\nplugin = ssh\n"
                        "[ssh]\nidentity = '/k;old'# old key\n"));
    ck_assert_str_eq(cfg.data_dir, "/srv/gdfs#2");
    ck_assert_str_eq(cfg.plugin_kv[0].value, "/k;old");
}
END_TEST

/* iniparser drops what follows a closing quote, and an opening quote
 * never closed. */
START_TEST(test_config_quote_misuse_refused)
{
    ASSERT_LOAD_FAILS(load("[node]\nid = n1\nlisten = h:1\n"
                           "data_dir = \"/srv/a\" b\n"),
                      "node.ini:4: [node] data_dir: iniparser would drop 'b' "
                      "after the closing quote");
    ASSERT_LOAD_FAILS(load("[node]\nid = n1\nlisten = h:1\n"
                           "data_dir = \"/srv/a#b\n"),
                      "node.ini:4: [node] data_dir: the value opens a quote "
                      "(\") that it never closes");
    ASSERT_LOAD_FAILS(load(MINIMAL "[ssh]\nuser = 'ab\n"),
                      "[ssh] user: the value opens a quote (')");
}
END_TEST

/* A line ending in '\' continues on the next, for iniparser as here: the
 * error names the line the value starts on. */
START_TEST(test_config_cut_in_continued_line_refused)
{
    ASSERT_LOAD_OK(load("[node]\nid = n1\nlisten = h:1\n"
                        "data_dir = /srv/\\\n   gdfs\n"));
    ck_assert_str_eq(cfg.data_dir, "/srv/   gdfs");
    ASSERT_LOAD_FAILS(load("[node]\nid = n1\nlisten = h:1\n"
                           "data_dir = /srv/\\\n  gdfs#2\n"),
                      "node.ini:4: [node] data_dir: the value contains '#'");
}
END_TEST

START_TEST(test_config_later_key_wins)
{
    ASSERT_LOAD_OK(load(MINIMAL "[files]\nkeep_versions = 4\n"
                                "[files]\nkeep_versions = 5\n"));
    ck_assert_uint_eq(cfg.keep_versions, 5);
}
END_TEST

START_TEST(test_config_group_timing_rules)
{
    ASSERT_LOAD_OK(load(MINIMAL ""));
    ck_assert_uint_eq(cfg.heartbeat_ms, 100);
    ck_assert_uint_eq(cfg.suspect_ms, 600);
    ck_assert_uint_eq(cfg.election_ms, 700);
    ck_assert_uint_eq(cfg.lease_ms, 560);
    ck_assert_uint_eq(cfg.dead_ms, 3600000);
    ck_assert_uint_eq(cfg.repair_delay_ms, 30000);
    ck_assert_uint_eq(cfg.repair_rate_mib_s, 100);
    gdfs_config_free(&cfg);
    ASSERT_LOAD_FAILS(load(MINIMAL "[group]\nlease_ms = 700\n"),
                      "[group] lease_ms: 700 must be less than election_ms");
    ASSERT_LOAD_FAILS(load(MINIMAL "[group]\nsuspect_ms = 150\n"),
                      "[group] suspect_ms: 150 is less than two heartbeats");
    ASSERT_LOAD_FAILS(load(MINIMAL "[group]\nheartbeat_ms = 400\n"),
                      "[group] suspect_ms: 600 is less than two heartbeats");
    ASSERT_LOAD_OK(load(MINIMAL "[group]\nheartbeat_ms = 50\nsuspect_ms = "
                                "300\nelection_ms = 400\nlease_ms = 300\n"));
    ck_assert_uint_eq(cfg.election_ms, 400);
}
END_TEST

/* ======================================================================
 * gdfs_config_load: structure (sections, keys)
 * ====================================================================== */

START_TEST(test_config_unknown_section)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "[groups]\nseeds = a:1\n"),
                      "unknown section [groups]");
    ASSERT_LOAD_FAILS(load(MINIMAL "[group]\nseeds = a:1\n"),
                      "[group] seeds: unknown key");
    ASSERT_LOAD_FAILS(load(MINIMAL "[empty]\n"), "unknown section [empty]");
    ASSERT_LOAD_FAILS(load(MINIMAL "[node:id]\n"),
                      "unknown section [node:id]");
}
END_TEST

START_TEST(test_config_unknown_key)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "foo = 1\n"), "[node] foo: unknown key");
    ASSERT_LOAD_FAILS(load(MINIMAL "[files]\nid = n1\n"),
                      "[files] id: unknown key");
    ASSERT_LOAD_FAILS(load(MINIMAL "[store]\npage_size_kib = 4\n"),
                      "[store] page_size_kib: unknown key");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\ntype = tcp\n"),
                      "[transport] type: unknown key");
}
END_TEST

START_TEST(test_config_key_outside_section)
{
    ASSERT_LOAD_FAILS(load("stray = 1\n" MINIMAL),
                      "stray: key outside any section");
}
END_TEST

START_TEST(test_config_syntax_error)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "this line has no equals sign\n"),
                      "cannot parse INI file");
}
END_TEST

START_TEST(test_config_empty_file)
{
    ASSERT_LOAD_FAILS(load("%s", ""), "[node] id: required key missing");
}
END_TEST

/* ======================================================================
 * gdfs_config_load: required keys
 * ====================================================================== */

static const char *const required_keys[] = {"id", "listen", "data_dir"};

START_TEST(test_config_required_key_missing)
{
    const char *lines[] = {"id = n1\n", "listen = 127.0.0.1:7001\n",
                           "data_dir = /tmp/gdfs/n1\n"};
    char text[512] = "[node]\n";
    char want[64];

    for (int i = 0; i < 3; i++)
        if (i != _i)
            strcat(text, lines[i]);
    snprintf(want, sizeof(want), "[node] %s: required key missing",
             required_keys[_i]);
    ASSERT_LOAD_FAILS(load("%s", text), want);
}
END_TEST

START_TEST(test_config_required_key_empty)
{
    const char *vals[] = {"n1", "127.0.0.1:7001", "/tmp/gdfs/n1"};
    char text[512] = "[node]\n";
    char want[64];

    for (int i = 0; i < 3; i++) {
        char line[128];
        snprintf(line, sizeof(line), "%s = %s\n", required_keys[i],
                 i == _i ? "" : vals[i]);
        strcat(text, line);
    }
    snprintf(want, sizeof(want), "[node] %s: must not be empty",
             required_keys[_i]);
    ASSERT_LOAD_FAILS(load("%s", text), want);
}
END_TEST

START_TEST(test_config_no_node_section)
{
    ASSERT_LOAD_FAILS(load("[files]\nkeep_versions = 2\n"),
                      "[node] id: required key missing");
}
END_TEST

/* ======================================================================
 * gdfs_config_load: numbers
 * ====================================================================== */

struct num_case {
    const char *section;
    const char *key;
    uint32_t min;
    uint32_t max;
    size_t off;
    int pow2; /* message says "power of two" */
};

#define NUM(sec, k, lo, hi, p2)                                               \
    {                                                                         \
        sec, #k, lo, hi, offsetof(struct gdfs_config, k), p2                  \
    }

static const struct num_case num_cases[] = {
    NUM("node", max_clients, 1, 4096, 0),
    NUM("node", idle_timeout_ms, 100, 3600000, 0),
    NUM("transport", dial_timeout_ms, 10, 600000, 0),
    NUM("transport", io_timeout_ms, 10, 3600000, 0),
    NUM("files", chunk_size, 4096, 4194304, 0),
    NUM("files", keep_versions, 1, 1000, 0),
    NUM("files", repair_delay_ms, 0, 86400000, 0),
    NUM("files", repair_rate_mib_s, 0, 1000000, 0),
    NUM("files", scrub_rate_mib_s, 0, 100000, 0),
    NUM("files", scrub_interval_s, 1, 31536000, 0),
    NUM("files", inventory_interval_ms, 100, 86400000, 0),
    NUM("files", log_keep_entries, 16, 100000000, 0),
    NUM("store", page_size, 512, 65536, 1),
    NUM("store", cache_kib, 64, 1048576, 0),
    NUM("store", reserve_mib, 0, 1048576, 0),
};

#define NNUM_CASES ((int)(sizeof(num_cases) / sizeof(num_cases[0])))

static int load_num(const struct num_case *c, const char *value)
{
    /* Quoted, so that iniparser passes spaces through to us. */
    if (strcmp(c->section, "node") == 0)
        return load(MINIMAL "%s = \"%s\"\n", c->key, value);
    return load(MINIMAL "[%s]\n%s = \"%s\"\n", c->section, c->key, value);
}

static uint32_t num_field(const struct num_case *c)
{
    return *(const uint32_t *)((const char *)&cfg + c->off);
}

/* min-1, min, max, max+1 for every number key (loop over num_cases). */
START_TEST(test_config_number_range_edges)
{
    const struct num_case *c = &num_cases[_i];
    char v[32], want[256], name[64];

    snprintf(name, sizeof(name), "[%s] %s", c->section, c->key);

    snprintf(v, sizeof(v), "%u", c->min);
    ASSERT_LOAD_OK(load_num(c, v));
    ck_assert_uint_eq(num_field(c), c->min);

    snprintf(v, sizeof(v), "%u", c->max);
    ASSERT_LOAD_OK(load_num(c, v));
    ck_assert_uint_eq(num_field(c), c->max);

    snprintf(v, sizeof(v), "%u", c->min - 1);
    snprintf(want, sizeof(want), "%s: '%s' is not %s%u..%u", name, v,
             c->pow2 ? "a power of two in " : "in ", c->min, c->max);
    ASSERT_LOAD_FAILS(load_num(c, v), want);

    snprintf(v, sizeof(v), "%u", c->max + 1);
    snprintf(want, sizeof(want), "%s: '%s' is not %s%u..%u", name, v,
             c->pow2 ? "a power of two in " : "in ", c->min, c->max);
    ASSERT_LOAD_FAILS(load_num(c, v), want);
}
END_TEST

START_TEST(test_config_chunk_size_range_edges)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "[files]\nchunk_size = 4095\n"),
                      "[files] chunk_size: '4095' is not in 4096..4194304");
    ASSERT_LOAD_OK(load(MINIMAL "[files]\nchunk_size = 4096\n"));
    ck_assert_uint_eq(cfg.chunk_size, 4096);
    ASSERT_LOAD_OK(load(MINIMAL "[files]\nchunk_size = 4194304\n"));
    ck_assert_uint_eq(cfg.chunk_size, 4194304);
    ASSERT_LOAD_FAILS(load(MINIMAL "[files]\nchunk_size = 4194305\n"),
                      "[files] chunk_size: '4194305' is not in 4096..4194304");
    ASSERT_LOAD_FAILS(load(MINIMAL "[files]\nchunk_size = 123\n"),
                      "[files] chunk_size: '123' is not in 4096..4194304");
}
END_TEST

START_TEST(test_config_max_clients_range_edges)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "max_clients = 0\n"),
                      "[node] max_clients: '0' is not in 1..4096");
    ASSERT_LOAD_OK(load(MINIMAL "max_clients = 1\n"));
    ck_assert_uint_eq(cfg.max_clients, 1);
    ASSERT_LOAD_OK(load(MINIMAL "max_clients = 4096\n"));
    ck_assert_uint_eq(cfg.max_clients, 4096);
    ASSERT_LOAD_FAILS(load(MINIMAL "max_clients = 4097\n"),
                      "[node] max_clients: '4097' is not in 1..4096");
}
END_TEST

START_TEST(test_config_leading_zero_is_decimal)
{
    ASSERT_LOAD_OK(load(MINIMAL "max_clients = 042\n"
                                "[files]\nkeep_versions = 0100\n"));
    ck_assert_uint_eq(cfg.max_clients, 42);
    ck_assert_uint_eq(cfg.keep_versions, 100);
}
END_TEST

START_TEST(test_config_bad_numbers)
{
    static const char *const bad[] = {"",   "-1", "1x",  "0x10", " 5",
                                      "5 ", "+5", "1.5", "five"};
    char want[64];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(want, sizeof(want),
                 "[node] max_clients: '%s' is not a base-10 number", bad[i]);
        ASSERT_LOAD_FAILS(load(MINIMAL "max_clients = \"%s\"\n", bad[i]),
                          want);
    }
    /* Too big for 32 bits: a number, but out of range. */
    ASSERT_LOAD_FAILS(load(MINIMAL "max_clients = 99999999999\n"),
                      "[node] max_clients: '99999999999' is not in 1..4096");
    ASSERT_LOAD_FAILS(load(MINIMAL "[files]\nchunk_size = 4294967296\n"),
                      "[files] chunk_size: '4294967296' is not in");
    ASSERT_LOAD_FAILS(load(MINIMAL "max_clients =\n"),
                      "[node] max_clients: '' is not a base-10 number");
}
END_TEST

START_TEST(test_config_chunk_size_not_multiple_of_4096)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "[files]\nchunk_size = 5000\n"),
                      "[files] chunk_size: '5000' is not a multiple of 4096");
    ASSERT_LOAD_FAILS(load(MINIMAL "[files]\nchunk_size = 4194303\n"),
                      "[files] chunk_size: '4194303' is not a multiple");
    ASSERT_LOAD_OK(load(MINIMAL "[files]\nchunk_size = 12288\n"));
    ck_assert_uint_eq(cfg.chunk_size, 12288);
}
END_TEST

START_TEST(test_config_bad_page_size)
{
    static const char *const bad[] = {"1000",   "768", "511",   "256",
                                      "131072", "0",   "65535", "0x200"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ASSERT_LOAD_FAILS(load(MINIMAL "[store]\npage_size = %s\n", bad[i]),
                          "[store] page_size: '");
    ASSERT_LOAD_FAILS(load(MINIMAL "[store]\npage_size = 1000\n"),
                      "[store] page_size: '1000' is not a power of two in "
                      "512..65536");
    ASSERT_LOAD_OK(load(MINIMAL "[store]\npage_size = 1024\n"));
    ck_assert_uint_eq(cfg.page_size, 1024);
}
END_TEST

/* ======================================================================
 * gdfs_config_load: strings
 * ====================================================================== */

START_TEST(test_config_bad_listen)
{
    static const char *const bad[] = {"x",  "h:0",    "h:70000", ":5",
                                      "h:", "::1:80", "[::1]",   "h:080x"};
    char want[128];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(want, sizeof(want),
                 "[node] listen: expected HOST:PORT, got '%s'", bad[i]);
        ASSERT_LOAD_FAILS(load("[node]\nid = n1\nlisten = %s\n"
                               "data_dir = /d\n",
                               bad[i]),
                          want);
    }
    ASSERT_LOAD_OK(
        load("[node]\nid = n1\nlisten = [::1]:80\ndata_dir = /d\n"));
    ck_assert_str_eq(cfg.listen, "[::1]:80");
    ck_assert_str_eq(cfg.advertise, "[::1]:80");
}
END_TEST

START_TEST(test_config_bad_advertise)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "advertise = nowhere\n"),
                      "[node] advertise: expected HOST:PORT, got 'nowhere'");
    ASSERT_LOAD_FAILS(load(MINIMAL "advertise =\n"),
                      "[node] advertise: must not be empty");
    ASSERT_LOAD_OK(load(MINIMAL "advertise = n1.example:7001\n"));
    ck_assert_str_eq(cfg.advertise, "n1.example:7001");
    ck_assert_str_eq(cfg.listen, "127.0.0.1:7001");
}
END_TEST

START_TEST(test_config_bad_node_id)
{
    char long_id[80];
    static const char *const bad[] = {"a b", "a/b", "n1!", "n\xc3\xa9", "a:b"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ASSERT_LOAD_FAILS(load("[node]\nid = %s\nlisten = h:1\n"
                               "data_dir = /d\n",
                               bad[i]),
                          "[node] id: '");
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    ASSERT_LOAD_FAILS(load("[node]\nid = %s\nlisten = h:1\ndata_dir = /d\n",
                           long_id),
                      "[node] id: '");
    long_id[64] = '\0';
    ASSERT_LOAD_OK(
        load("[node]\nid = %s\nlisten = h:1\ndata_dir = /d\n", long_id));
    ck_assert_str_eq(cfg.node_id, long_id);
}
END_TEST

START_TEST(test_config_log_levels)
{
    static const char *const names[] = {"debug", "info", "notice", "warn",
                                        "error"};
    static const int levels[] = {GDFS_LOG_DEBUG, GDFS_LOG_INFO,
                                 GDFS_LOG_NOTICE, GDFS_LOG_WARN,
                                 GDFS_LOG_ERROR};

    for (int i = 0; i < 5; i++) {
        ASSERT_LOAD_OK(load(MINIMAL "log_level = %s\n", names[i]));
        ck_assert_int_eq(cfg.log_level, levels[i]);
    }
    ASSERT_LOAD_FAILS(load(MINIMAL "log_level = verbose\n"),
                      "[node] log_level: 'verbose' is not one of");
    ASSERT_LOAD_FAILS(load(MINIMAL "log_level =\n"),
                      "[node] log_level: '' is not one of");
}
END_TEST

START_TEST(test_config_empty_plugin_dir)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugin_dir =\n"),
                      "[transport] plugin_dir: must not be empty");
}
END_TEST

/* ======================================================================
 * gdfs_config_load: the plugin section
 * ====================================================================== */

START_TEST(test_config_plugin_section_keys_copied)
{
    ASSERT_LOAD_OK(load(MINIMAL "[tcp]\nnodelay = yes\nBacklog = 64\n"
                                "empty =\nquoted = \" a b \"\n"));
    ck_assert_str_eq(cfg.plugin, "tcp");
    ck_assert_uint_eq(cfg.nplugin_kv, 4);
    ck_assert_str_eq(cfg.plugin_kv[0].key, "nodelay");
    ck_assert_str_eq(cfg.plugin_kv[0].value, "yes");
    ck_assert_str_eq(cfg.plugin_kv[1].key, "backlog"); /* lowered */
    ck_assert_str_eq(cfg.plugin_kv[1].value, "64");
    ck_assert_str_eq(cfg.plugin_kv[2].key, "empty");
    ck_assert_str_eq(cfg.plugin_kv[2].value, "");
    ck_assert_str_eq(cfg.plugin_kv[3].key, "quoted");
    ck_assert_str_eq(cfg.plugin_kv[3].value, " a b ");

    ASSERT_LOAD_OK(load(MINIMAL "[transport]\nplugin = my_tls2\n"
                                "[my_tls2]\ncert = /c\n"));
    ck_assert_str_eq(cfg.plugin, "my_tls2");
    ck_assert_uint_eq(cfg.nplugin_kv, 1);
    ck_assert_str_eq(cfg.plugin_kv[0].key, "cert");
    ck_assert_str_eq(cfg.plugin_kv[0].value, "/c");
}
END_TEST

START_TEST(test_config_other_plugin_section_refused)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "[ssh]\nuser = gdfs\n"),
                      "unknown section [ssh]");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugin = ssh\n"
                                   "[tcp]\nnodelay = yes\n"),
                      "unknown section [tcp]");
}
END_TEST

START_TEST(test_config_bad_plugin_name)
{
    static const char *const bad[] = {"TCP",  "a-b", "a b",
                                      "x.so", "a:b", "../x"};
    char long_name[40];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugin = %s\n", bad[i]),
                          "[transport] plugin: '");
    memset(long_name, 'a', 33);
    long_name[33] = '\0';
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugin = %s\n", long_name),
                      "[transport] plugin: '");
    long_name[32] = '\0';
    ASSERT_LOAD_OK(load(MINIMAL "[transport]\nplugin = %s\n", long_name));
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugin = node\n"),
                      "[transport] plugin: 'node' is a built-in section");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugin =\n"),
                      "[transport] plugin: must not be empty");
}
END_TEST

START_TEST(test_config_too_many_plugin_keys)
{
    char text[4096] = MINIMAL "[tcp]\n";
    char line[32];

    for (int i = 0; i < GDFS_CONFIG_MAX_PLUGIN_KEYS; i++) {
        snprintf(line, sizeof(line), "k%d = v%d\n", i, i);
        strcat(text, line);
    }
    ASSERT_LOAD_OK(load("%s", text));
    ck_assert_uint_eq(cfg.nplugin_kv, GDFS_CONFIG_MAX_PLUGIN_KEYS);
    ck_assert_str_eq(cfg.plugin_kv[GDFS_CONFIG_MAX_PLUGIN_KEYS - 1].value,
                     "v31");
    strcat(text, "one_more = x\n");
    ASSERT_LOAD_FAILS(load("%s", text), "[tcp]: more than 32 keys");
}
END_TEST

START_TEST(test_config_plugin_key_with_colon_refused)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "[tcp]\na:b = 1\n"),
                      "[tcp] a:b: ':' is not allowed");
}
END_TEST

START_TEST(test_config_error_after_plugin_keys_frees_all)
{
    /* The plugin keys are copied before the numbers are checked. */
    ASSERT_LOAD_FAILS(load(MINIMAL "[tcp]\na = 1\nb = 2\n"
                                   "[files]\nchunk_size = 1\n"),
                      "[files] chunk_size");
}
END_TEST

/* ======================================================================
 * gdfs_config_load: the file itself and data_dir
 * ====================================================================== */

START_TEST(test_config_unreadable_file)
{
    char path[PATH_MAX + 32];

    snprintf(path, sizeof(path), "%s/missing.ini", tmpdir);
    ck_assert_int_eq(gdfs_config_load(path, &cfg, 0, err, sizeof(err)),
                     GDFS_ECONFIG);
    ASSERT_ERR_HAS(path);
    ASSERT_ERR_HAS(strerror(ENOENT));
    assert_cfg_empty();

    ck_assert_int_eq(gdfs_config_load(tmpdir, &cfg, 0, err, sizeof(err)),
                     GDFS_ECONFIG);
    ASSERT_ERR_HAS(tmpdir);
    ASSERT_ERR_HAS(strerror(EISDIR));
    assert_cfg_empty();
}
END_TEST

START_TEST(test_config_small_error_buffer)
{
    char small[8];

    write_file(ini_path, "[bogus]\n");
    ck_assert_int_eq(gdfs_config_load(ini_path, &cfg, 0, small, sizeof(small)),
                     GDFS_ECONFIG);
    ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
    ck_assert_int_eq(gdfs_config_load(ini_path, &cfg, 0, NULL, 0),
                     GDFS_ECONFIG);
}
END_TEST

static int load_with_data_dir(const char *dir)
{
    return load_checked("[node]\nid = n1\nlisten = 127.0.0.1:7001\n"
                        "data_dir = %s\n",
                        dir);
}

START_TEST(test_config_data_dir_not_a_directory)
{
    char file[PATH_MAX + 16], sub[PATH_MAX + 32];

    snprintf(file, sizeof(file), "%s/plain", tmpdir);
    write_file(file, "not a directory\n");
    ASSERT_LOAD_FAILS(load_with_data_dir(file), "[node] data_dir");
    ASSERT_ERR_HAS(file);
    ASSERT_ERR_HAS(strerror(ENOTDIR));

    /* mkdir -p cannot go through a file either. */
    snprintf(sub, sizeof(sub), "%s/deeper", file);
    ASSERT_LOAD_FAILS(load_with_data_dir(sub), "[node] data_dir");
    ASSERT_ERR_HAS(sub);
    ASSERT_ERR_HAS(strerror(ENOTDIR));
}
END_TEST

START_TEST(test_config_data_dir_created_when_missing)
{
    char dir[PATH_MAX + 16];
    struct stat st;

    snprintf(dir, sizeof(dir), "%s/a/b/c", tmpdir);
    ck_assert_int_ne(stat(dir, &st), 0);
    ASSERT_LOAD_OK(load_with_data_dir(dir));
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 0777 & ~0700u, 0);
    ck_assert_str_eq(cfg.data_dir, dir);

    /* Existing directory, trailing slash: fine too. */
    snprintf(dir, sizeof(dir), "%s/a/", tmpdir);
    ASSERT_LOAD_OK(load_with_data_dir(dir));
}
END_TEST

/* The database in data_dir holds every file stored on the node: a
 * data_dir group or others may enter is refused, saying the fix. */
START_TEST(test_config_data_dir_open_to_others_refused)
{
    char dir[PATH_MAX + 16], want[3 * PATH_MAX];

    snprintf(dir, sizeof(dir), "%s/open", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ASSERT_LOAD_FAILS(load_with_data_dir(dir), "[node] data_dir");
    snprintf(want, sizeof(want),
             "[node] data_dir: '%s' is open to group or others (mode 0755); "
             "fix: chmod 700 '%s'",
             dir, dir);
    ASSERT_ERR_HAS(want);
    ck_assert_int_eq(chmod(dir, 0701), 0);
    ASSERT_LOAD_FAILS(load_with_data_dir(dir), "(mode 0701)");
    ck_assert_int_eq(chmod(dir, 0700), 0);
    ASSERT_LOAD_OK(load_with_data_dir(dir));
    /* Only the node checks: the CLI reads the same file without it. */
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ASSERT_LOAD_OK(load(MINIMAL "[node]\ndata_dir = %s\n", dir));
}
END_TEST

START_TEST(test_config_data_dir_unchecked_without_flag)
{
    char dir[PATH_MAX + 16];
    struct stat st;

    snprintf(dir, sizeof(dir), "%s/never", tmpdir);
    ASSERT_LOAD_OK(load(MINIMAL "[node]\ndata_dir = %s\n", dir));
    ck_assert_str_eq(cfg.data_dir, dir);
    ck_assert_int_ne(stat(dir, &st), 0);
}
END_TEST

/* The shipped examples must stay loadable. Skipped when the source tree
 * cannot be found ($GDFS_SRCDIR, else the current directory). */
START_TEST(test_config_examples_load)
{
    static const char *const files[] = {"node.ini", "node1.ini", "node2.ini",
                                        "node3.ini"};
    const char *srcdir = getenv("GDFS_SRCDIR");
    char path[PATH_MAX];

    if (srcdir == NULL)
        srcdir = ".";
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/examples/%s", srcdir, files[i]);
        if (access(path, R_OK) != 0)
            continue;
        gdfs_config_free(&cfg);
        ck_assert_msg(gdfs_config_load(path, &cfg, 0, err, sizeof(err)) ==
                          GDFS_OK,
                      "%s: %s", path, err);
        ck_assert_str_eq(cfg.plugin, "tcp");
    }
}
END_TEST

START_TEST(test_config_ssh_examples_load)
{
    static const char *const files[] = {"node-a.ini", "node-b.ini",
                                        "node-c.ini"};
    const char *srcdir = getenv("GDFS_SRCDIR");
    char path[PATH_MAX];

    if (srcdir == NULL)
        srcdir = ".";
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/examples/ssh/%s", srcdir, files[i]);
        if (access(path, R_OK) != 0)
            continue;
        gdfs_config_free(&cfg);
        ck_assert_msg(gdfs_config_load(path, &cfg, 0, err, sizeof(err)) ==
                          GDFS_OK,
                      "%s: %s", path, err);
        ck_assert_str_eq(cfg.plugin, "ssh");
        ck_assert_str_eq(cfg.listen, "127.0.0.1:7001");
        ck_assert_uint_eq(cfg.nplugin_kv, 3); /* user, identity, known_hosts */
    }
}
END_TEST

/* ======================================================================
 * [transport] plugins and addresses with a scheme (mixed groups)
 * ====================================================================== */

START_TEST(test_config_parse_addr_scheme)
{
    char scheme[33], host[64];
    uint16_t port = 0;

    ck_assert_int_eq(gdfs_config_parse_addr("ssh://10.0.0.1:7001", scheme,
                                            sizeof(scheme), host, sizeof(host),
                                            &port),
                     GDFS_OK);
    ck_assert_str_eq(scheme, "ssh");
    ck_assert_str_eq(host, "10.0.0.1");
    ck_assert_uint_eq(port, 7001);
    ck_assert_int_eq(gdfs_config_parse_addr("tcp://[::1]:9", scheme,
                                            sizeof(scheme), host, sizeof(host),
                                            &port),
                     GDFS_OK);
    ck_assert_str_eq(scheme, "tcp");
    ck_assert_str_eq(host, "::1");
    ck_assert_int_eq(gdfs_config_parse_addr("h:1", scheme, sizeof(scheme),
                                            host, sizeof(host), &port),
                     GDFS_OK);
    ck_assert_str_eq(scheme, "");
    ck_assert_str_eq(host, "h");
}
END_TEST

START_TEST(test_config_parse_addr_invalid)
{
    static const char *const bad[] = {
        "://h:1",
        "SSH://h:1",
        "s-h://h:1",
        "ssh:/h:1",
        "ssh://h",
        "ssh://h:0",
        "ssh://",
        "ssh://ssh://h:1",
        "abcdefghijklmnopqrstuvwxyz0123456://h:1"};
    char scheme[33], host[64];
    uint16_t port;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(gdfs_config_parse_addr(bad[i], scheme, sizeof(scheme),
                                             host, sizeof(host),
                                             &port) == GDFS_EINVAL,
                      "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_config_plugins_list_and_sections)
{
    ASSERT_LOAD_OK(load(MINIMAL "[transport]\nplugins = ssh , faulty\n"
                                "[tcp]\nnodelay = no\n"
                                "[ssh]\nuser = gdfs\nport = 2222\n"
                                "[faulty]\nrules = /r\n"));
    ck_assert_str_eq(cfg.plugin, "tcp");
    ck_assert_uint_eq(cfg.nplugin_kv, 1);
    ck_assert_uint_eq(cfg.nextra, 2);
    ck_assert_str_eq(cfg.extra[0].name, "ssh");
    ck_assert_uint_eq(cfg.extra[0].nkv, 2);
    ck_assert_str_eq(cfg.extra[0].kv[1].key, "port");
    ck_assert_str_eq(cfg.extra[0].kv[1].value, "2222");
    ck_assert_str_eq(cfg.extra[1].name, "faulty");
    ck_assert_uint_eq(cfg.extra[1].nkv, 1);
    /* Listing the configured plugin too is harmless. */
    ASSERT_LOAD_OK(load(MINIMAL "[transport]\nplugin = ssh\n"
                                "plugins = tcp,ssh\n"));
    ck_assert_str_eq(cfg.plugin, "ssh");
    ck_assert_uint_eq(cfg.nextra, 1);
    ck_assert_str_eq(cfg.extra[0].name, "tcp");
}
END_TEST

START_TEST(test_config_plugins_bad_lists_refused)
{
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugins = ssh,,tcp\n"),
                      "[transport] plugins: 'ssh,,tcp' is not a comma list");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugins = ssh,\n"),
                      "[transport] plugins");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugins = ss-h\n"),
                      "[transport] plugins: 'ss-h' is not a plugin name");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugins = ssh ssh2\n"),
                      "[transport] plugins: 'ssh ssh2' is not a plugin name");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugins = ssh, ssh\n"),
                      "[transport] plugins: 'ssh' is listed twice");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugins = group\n"),
                      "[transport] plugins: 'group' is a built-in section");
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugins = a,b,c,d,e\n"),
                      "[transport] plugins: more than 4 plugins");
    /* A section for a plugin that is not loaded is still unknown. */
    ASSERT_LOAD_FAILS(load(MINIMAL "[transport]\nplugins = ssh\n"
                                   "[faulty]\nrules = /r\n"),
                      "unknown section [faulty]");
}
END_TEST

START_TEST(test_config_advertise_scheme_must_be_loaded)
{
    ASSERT_LOAD_OK(load(MINIMAL "advertise = tcp://10.0.0.1:7001\n"));
    ck_assert_str_eq(cfg.advertise, "tcp://10.0.0.1:7001");
    ASSERT_LOAD_OK(load(MINIMAL "advertise = ssh://10.0.0.1:7001\n"
                                "[transport]\nplugins = ssh\n"));
    ck_assert_str_eq(cfg.advertise, "ssh://10.0.0.1:7001");
    ASSERT_LOAD_FAILS(load(MINIMAL "advertise = ssh://10.0.0.1:7001\n"),
                      "[node] advertise: 'ssh://10.0.0.1:7001' names "
                      "transport 'ssh', which is neither [transport] plugin "
                      "nor listed in plugins");
    ASSERT_LOAD_FAILS(load(MINIMAL "advertise = ssh:/10.0.0.1:7001\n"),
                      "[node] advertise: expected HOST:PORT, got "
                      "'ssh:/10.0.0.1:7001' (or PLUGIN://HOST:PORT)");
    /* listen takes no scheme: a node listens with its own plugin. */
    ASSERT_LOAD_FAILS(load("[node]\nid = n1\nlisten = tcp://127.0.0.1:1\n"
                           "data_dir = /tmp/x\n"),
                      "[node] listen: expected HOST:PORT");
}
END_TEST

/* ======================================================================
 * Suite
 * ====================================================================== */

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_config_parse_u32_accepts_decimal);
    tcase_add_test(tc, test_config_parse_u32_rejects_bad_input);
    tcase_add_test(tc, test_config_parse_u32_checks_range);
    tcase_add_test(tc, test_config_parse_hostport_valid);
    tcase_add_test(tc, test_config_parse_hostport_invalid);
    tcase_add_test(tc, test_config_parse_hostport_host_too_long);
    tcase_add_test(tc, test_config_defaults_values);
    tcase_add_test(tc, test_config_free_is_safe_and_idempotent);
    tcase_add_test(tc, test_config_minimal_file_gets_defaults);
    tcase_add_test(tc, test_config_full_file);
    tcase_add_test(tc, test_config_names_are_case_insensitive);
    tcase_add_test(tc, test_config_quoted_values);
    tcase_add_test(tc, test_config_value_cut_at_hash_or_semicolon_refused);
    tcase_add_test(tc, test_config_trailing_comment_after_value_refused);
    tcase_add_test(tc, test_config_quoted_value_with_comment_after_it);
    tcase_add_test(tc, test_config_quote_misuse_refused);
    tcase_add_test(tc, test_config_cut_in_continued_line_refused);
    tcase_add_test(tc, test_config_later_key_wins);
    tcase_add_test(tc, test_config_unknown_section);
    tcase_add_test(tc, test_config_group_timing_rules);
    tcase_add_test(tc, test_config_unknown_key);
    tcase_add_test(tc, test_config_key_outside_section);
    tcase_add_test(tc, test_config_syntax_error);
    tcase_add_test(tc, test_config_empty_file);
    tcase_add_loop_test(tc, test_config_required_key_missing, 0, 3);
    tcase_add_loop_test(tc, test_config_required_key_empty, 0, 3);
    tcase_add_test(tc, test_config_no_node_section);
    tcase_add_loop_test(tc, test_config_number_range_edges, 0, NNUM_CASES);
    tcase_add_test(tc, test_config_chunk_size_range_edges);
    tcase_add_test(tc, test_config_max_clients_range_edges);
    tcase_add_test(tc, test_config_leading_zero_is_decimal);
    tcase_add_test(tc, test_config_bad_numbers);
    tcase_add_test(tc, test_config_chunk_size_not_multiple_of_4096);
    tcase_add_test(tc, test_config_bad_page_size);
    tcase_add_test(tc, test_config_bad_listen);
    tcase_add_test(tc, test_config_bad_advertise);
    tcase_add_test(tc, test_config_bad_node_id);
    tcase_add_test(tc, test_config_log_levels);
    tcase_add_test(tc, test_config_empty_plugin_dir);
    tcase_add_test(tc, test_config_plugin_section_keys_copied);
    tcase_add_test(tc, test_config_other_plugin_section_refused);
    tcase_add_test(tc, test_config_bad_plugin_name);
    tcase_add_test(tc, test_config_too_many_plugin_keys);
    tcase_add_test(tc, test_config_plugin_key_with_colon_refused);
    tcase_add_test(tc, test_config_error_after_plugin_keys_frees_all);
    tcase_add_test(tc, test_config_unreadable_file);
    tcase_add_test(tc, test_config_small_error_buffer);
    tcase_add_test(tc, test_config_data_dir_not_a_directory);
    tcase_add_test(tc, test_config_data_dir_created_when_missing);
    tcase_add_test(tc, test_config_data_dir_open_to_others_refused);
    tcase_add_test(tc, test_config_data_dir_unchecked_without_flag);
    tcase_add_test(tc, test_config_examples_load);
    tcase_add_test(tc, test_config_ssh_examples_load);
    tcase_add_test(tc, test_config_parse_addr_scheme);
    tcase_add_test(tc, test_config_parse_addr_invalid);
    tcase_add_test(tc, test_config_plugins_list_and_sections);
    tcase_add_test(tc, test_config_plugins_bad_lists_refused);
    tcase_add_test(tc, test_config_advertise_scheme_must_be_loaded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
