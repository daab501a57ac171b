/* Unit tests of the store (src/store/store.c) on real SQLite files in a
 * temporary directory: schema and migration, node identity, versions,
 * visibility of unfinished puts, garbage collection, tombstones, listing,
 * corruption detection. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hash.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/store_int.h" /* st_begin: hold the writer lock in a test */

/* ---- fixture ------------------------------------------------------------- */

static char dir[256];
static char path[300];
static struct gdfs_store *st;
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

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/gdfs-test-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, GDFS_STORE_DB_NAME);
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

#define NAME(s) (const uint8_t *)(s), strlen(s)

/* Put @nchunks chunks of @chunk bytes (last one @last bytes) filled with
 * @fill under @name; returns the version row, committed if @commit. */
static struct gdfs_store_version put_file(struct gdfs_store *s,
                                          const char *name, uint32_t chunk,
                                          uint32_t nchunks, uint32_t last,
                                          int fill, int commit)
{
    struct gdfs_store_version v;
    struct gdfs_hash list;
    uint8_t *buf = malloc(chunk), sha[GDFS_SHA256_LEN];
    uint64_t size = 0;

    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(gdfs_store_put_begin(s, NAME(name), chunk, NULL, &v),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_hash_init(&list), GDFS_OK);
    for (uint32_t i = 0; i < nchunks; i++) {
        uint32_t len = i + 1 == nchunks ? last : chunk;

        memset(buf, fill + (int)i, len);
        gdfs_hash_sha256(buf, len, sha);
        gdfs_hash_update(&list, sha, sizeof(sha));
        ck_assert_int_eq(gdfs_store_put_chunk(s, v.id, i, sha, buf, len),
                         GDFS_OK);
        size += len;
    }
    gdfs_hash_final(&list, sha);
    if (commit)
        ck_assert_int_eq(gdfs_store_put_commit(s, v.id, size, nchunks, sha,
                                               &v.version),
                         GDFS_OK);
    free(buf);
    v.size = size;
    v.nchunks = nchunks;
    return v;
}

static int count_cb(void *ctx, const uint8_t *name, size_t namelen,
                    const struct gdfs_store_version *v)
{
    (void)name;
    (void)namelen;
    (void)v;
    (*(int *)ctx)++;
    return 0;
}

/* ---- schema -------------------------------------------------------------- */

START_TEST(test_store_schema_version_set)
{
    sqlite3 *db;
    sqlite3_stmt *s;

    ck_assert_int_ge(gdfs_store_schema_version(), 1);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
                                        NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(s, 0), gdfs_store_schema_version());
    sqlite3_finalize(s);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_store_refuses_newer_database)
{
    struct gdfs_store *s = NULL;
    sqlite3 *db;
    char sql[64], err[512];

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
             gdfs_store_schema_version() + 1);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(gdfs_store_open(path, &opts, &s, err, sizeof(err)),
                     GDFS_EVERSION);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "newer"));
}
END_TEST

START_TEST(test_store_reopen_keeps_data)
{
    struct gdfs_store_version v = put_file(st, "a", 4096, 2, 10, 1, 1), got;

    gdfs_store_close(st);
    st = open_store();
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("a"), 0, &got), GDFS_OK);
    ck_assert_int_eq(got.id, v.id);
    ck_assert_int_eq(got.size, 4096 + 10);
}
END_TEST

START_TEST(test_store_no_migrate_checks_only)
{
    struct gdfs_store *s = NULL;
    struct gdfs_store_opts nm = opts;
    char p2[300], err[512];

    nm.no_migrate = true;
    /* The fixture's database is current: opens without the write lock. */
    ck_assert_int_eq(gdfs_store_open(path, &nm, &s, err, sizeof(err)),
                     GDFS_OK);
    gdfs_store_close(s);
    s = NULL;
    /* A new file is not migrated by such a connection. */
    snprintf(p2, sizeof(p2), "%s/fresh.db", dir);
    ck_assert_int_eq(gdfs_store_open(p2, &nm, &s, err, sizeof(err)),
                     GDFS_EVERSION);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_store_refuses_non_database)
{
    struct gdfs_store *s = NULL;
    char junk[300], err[512];
    FILE *f;

    snprintf(junk, sizeof(junk), "%s/junk.db", dir);
    f = fopen(junk, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not an sqlite database at all. ", f);
    fclose(f);
    ck_assert_int_ne(gdfs_store_open(junk, &opts, &s, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "junk.db"));
}
END_TEST

/* Mode bits of @f ("%s%s" of @base and @suffix). */
static unsigned mode_of(const char *base, const char *suffix)
{
    char f[400];
    struct stat sb;

    snprintf(f, sizeof(f), "%s%s", base, suffix);
    ck_assert_msg(stat(f, &sb) == 0, "stat %s", f);
    return (unsigned)(sb.st_mode & 07777);
}

/* Under the usual umask 022, SQLite alone would make the database and
 * its -wal and -shm 0644: readable by every local user. */
START_TEST(test_store_new_files_are_private)
{
    struct gdfs_store *s = NULL;
    char p2[300], err[512];
    mode_t old = umask(022);

    snprintf(p2, sizeof(p2), "%s/private.db", dir);
    ck_assert_int_eq(gdfs_store_open(p2, &opts, &s, err, sizeof(err)),
                     GDFS_OK);
    umask(old);
    ck_assert_int_eq(gdfs_store_init_node(s, "n1", "g1", "127.0.0.1:1", 1),
                     GDFS_OK);
    put_file(s, "a", 4096, 2, 10, 1, 1);
    ck_assert_uint_eq(mode_of(p2, ""), 0600);
    ck_assert_uint_eq(mode_of(p2, "-wal"), 0600);
    ck_assert_uint_eq(mode_of(p2, "-shm"), 0600);
    ck_assert_int_eq(gdfs_store_check_modes(p2, err, sizeof(err)), GDFS_OK);
    gdfs_store_close(s);
}
END_TEST

START_TEST(test_store_check_modes_names_open_files)
{
    char p2[310], want[2048], err[2048];

    ck_assert_int_eq(gdfs_store_check_modes(path, err, sizeof(err)), GDFS_OK);
    /* Nothing there yet: nothing to refuse. */
    snprintf(p2, sizeof(p2), "%s/none.db", dir);
    ck_assert_int_eq(gdfs_store_check_modes(p2, err, sizeof(err)), GDFS_OK);

    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(gdfs_store_check_modes(path, err, sizeof(err)),
                     GDFS_ECONFIG);
    snprintf(want, sizeof(want),
             "database file open to group or others (the database holds "
             "every file stored on this node): %s (mode 0644); fix: chmod "
             "600 '%s'",
             path, path);
    ck_assert_str_eq(err, want);

    snprintf(p2, sizeof(p2), "%s-wal", path);
    ck_assert_int_eq(chmod(p2, 0640), 0);
    ck_assert_int_eq(gdfs_store_check_modes(path, err, sizeof(err)),
                     GDFS_ECONFIG);
    snprintf(want, sizeof(want),
             "database files open to group or others (the database holds "
             "every file stored on this node): %s (mode 0644), %s (mode "
             "0640); fix: chmod 600 '%s' '%s'",
             path, p2, path, p2);
    ck_assert_str_eq(err, want);
    /* Group or other bits of any kind count, not only read. */
    ck_assert_int_eq(chmod(path, 0600), 0);
    ck_assert_int_eq(chmod(p2, 0601), 0);
    ck_assert_int_eq(gdfs_store_check_modes(path, err, sizeof(err)),
                     GDFS_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "(mode 0601)"));
}
END_TEST

START_TEST(test_store_migrates_v1_database)
{
    struct gdfs_store *s = NULL;
    struct gdfs_node_state ns;
    sqlite3 *db;
    char p2[300], err[512];

    /* A database as schema 1 left it, with a node row. */
    snprintf(p2, sizeof(p2), "%s/v1.db", dir);
    ck_assert_int_eq(sqlite3_open(p2, &db), SQLITE_OK);
    ck_assert_int_eq(gdfs_migrations[0].version, 1);
    ck_assert_int_eq(sqlite3_exec(db, gdfs_migrations[0].sql, NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "PRAGMA user_version=1; INSERT INTO node "
                                  "(one, node_id, group_id, current_term) "
                                  "VALUES (1, 'old', 'gold', 5)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(gdfs_store_open(p2, &opts, &s, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_get_node(s, &ns), GDFS_OK);
    ck_assert_str_eq(ns.node_id, "old");
    ck_assert_uint_eq(ns.term, 5);
    gdfs_store_close(s);
    ck_assert_int_eq(sqlite3_open(p2, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "SELECT members_seq FROM node", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}
END_TEST

/* ---- node identity ------------------------------------------------------- */

START_TEST(test_store_init_twice_refused)
{
    struct gdfs_node_state ns;

    ck_assert_int_eq(gdfs_store_init_node(st, "n2", "g2", "x:1", 1),
                     GDFS_EGROUP);
    ck_assert_ptr_nonnull(strstr(gdfs_store_errmsg(st), "g1"));
    ck_assert_int_eq(gdfs_store_get_node(st, &ns), GDFS_OK);
    ck_assert_str_eq(ns.node_id, "n1");
    ck_assert_str_eq(ns.group_id, "g1");
    ck_assert_int_eq(ns.term, 1);
}
END_TEST

START_TEST(test_store_uninitialised_is_enoent)
{
    struct gdfs_store *s = NULL;
    struct gdfs_node_state ns;
    struct gdfs_store_version v;
    char p2[300], err[512];

    snprintf(p2, sizeof(p2), "%s/other.db", dir);
    ck_assert_int_eq(gdfs_store_open(p2, &opts, &s, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_get_node(s, &ns), GDFS_ENOENT);
    /* The version is allocated at commit: that is where it fails. */
    ck_assert_int_eq(gdfs_store_put_begin(s, NAME("x"), 4096, NULL, &v),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_commit(s, v.id, 0, 0, (uint8_t[32]){0},
                                           NULL),
                     GDFS_ENOENT);
    gdfs_store_close(s);
}
END_TEST

/* ---- versions ------------------------------------------------------------ */

START_TEST(test_store_versions_increase)
{
    struct gdfs_store_version a = put_file(st, "f", 4096, 1, 100, 1, 1);
    struct gdfs_store_version b = put_file(st, "g", 4096, 1, 100, 1, 1);
    struct gdfs_store_version c = put_file(st, "f", 4096, 1, 200, 2, 1);
    struct gdfs_store_version got;

    ck_assert_int_eq(a.version.seq, 1);
    ck_assert_int_eq(b.version.seq, 2);
    ck_assert_int_eq(c.version.seq, 3);
    ck_assert_int_eq(a.version.term, 1);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &got), GDFS_OK);
    ck_assert_int_eq(got.version.seq, 3);
    ck_assert_int_eq(got.size, 200);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 1, &got), GDFS_OK);
    ck_assert_int_eq(got.size, 100);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 2, &got), GDFS_ENOENT);
}
END_TEST

START_TEST(test_store_versions_follow_commit_order)
{
    struct gdfs_store_version slow = put_file(st, "o", 4096, 1, 1, 1, 0), got;
    struct gdfs_store_version fast;
    uint8_t sha[GDFS_SHA256_LEN];
    struct gdfs_hash list;
    uint8_t buf[1] = {1};
    int n = 0;

    /* Three puts begin and commit while the slow one is still open. */
    for (int i = 0; i < 3; i++)
        fast = put_file(st, "o", 4096, 1, 2, 2 + i, 1);
    gdfs_hash_sha256(buf, 1, sha);
    ck_assert_int_eq(gdfs_hash_init(&list), GDFS_OK);
    gdfs_hash_update(&list, sha, sizeof(sha));
    gdfs_hash_final(&list, sha);
    ck_assert_int_eq(gdfs_store_put_commit(st, slow.id, 1, 1, sha,
                                           &slow.version),
                     GDFS_OK);
    /* Committed last, so newest: it is what a get returns, and keeping
     * three versions never drops the one just committed. */
    ck_assert_uint_gt(slow.version.seq, fast.version.seq);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("o"), 0, &got), GDFS_OK);
    ck_assert_int_eq(got.id, slow.id);
    ck_assert_int_eq(gdfs_store_versions(st, NAME("o"), count_cb, &n),
                     GDFS_OK);
    ck_assert_int_eq(n, 3);
}
END_TEST

START_TEST(test_store_unfinished_put_invisible)
{
    struct gdfs_store_version v = put_file(st, "w", 4096, 3, 4096, 1, 0), got;
    struct gdfs_store *other = open_store();
    int n = 0;
    bool more;

    /* Not visible to this or another connection before the commit. */
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("w"), 0, &got), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_lookup(other, NAME("w"), 0, &got),
                     GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_list(other, NULL, 0, 100, count_cb, &n, &more),
                     GDFS_OK);
    ck_assert_int_eq(n, 0);
    /* A crash here: recovery drops it. */
    gdfs_store_close(other);
    ck_assert_int_eq(gdfs_store_recover(st, &n), GDFS_OK);
    ck_assert_int_eq(n, 1);
    /* Its row is gone: a late commit cannot resurrect it. */
    ck_assert_int_eq(gdfs_store_put_commit(st, v.id, 3 * 4096, 3,
                                           (uint8_t[32]){0}, NULL),
                     GDFS_ENOENT);
}
END_TEST

START_TEST(test_store_commit_checks_chunk_count)
{
    struct gdfs_store_version v = put_file(st, "c", 4096, 2, 4096, 1, 0), got;
    uint8_t sha[GDFS_SHA256_LEN] = {0};

    ck_assert_int_eq(gdfs_store_put_commit(st, v.id, 3 * 4096, 3, sha, NULL),
                     GDFS_ECORRUPT);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("c"), 0, &got), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_put_abort(st, v.id), GDFS_OK);
}
END_TEST

START_TEST(test_store_abort_drops_chunks)
{
    struct gdfs_store_version v = put_file(st, "ab", 4096, 2, 4096, 1, 0);
    uint8_t buf[4096], sha[GDFS_SHA256_LEN];
    size_t len;

    ck_assert_int_eq(gdfs_store_put_abort(st, v.id), GDFS_OK);
    ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, 0, buf, sizeof(buf), &len,
                                           sha),
                     GDFS_ENOENT);
}
END_TEST

START_TEST(test_store_read_chunks_back)
{
    struct gdfs_store_version v = put_file(st, "r", 8192, 3, 5, 7, 1);
    uint8_t buf[8192], sha[GDFS_SHA256_LEN], want[GDFS_SHA256_LEN];
    size_t len;

    for (uint32_t i = 0; i < 3; i++) {
        ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, i, buf, sizeof(buf),
                                               &len, sha),
                         GDFS_OK);
        ck_assert_uint_eq(len, i == 2 ? 5 : 8192);
        ck_assert_int_eq(buf[0], 7 + (int)i);
        gdfs_hash_sha256(buf, len, want);
        ck_assert_mem_eq(sha, want, sizeof(want));
    }
    ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, 3, buf, sizeof(buf), &len,
                                           sha),
                     GDFS_ENOENT);
    /* A buffer too small for the chunk is refused, not overrun. */
    ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, 0, buf, 100, &len, sha),
                     GDFS_ECORRUPT);
}
END_TEST

START_TEST(test_store_keep_versions)
{
    int n = 0;

    for (int i = 0; i < 6; i++)
        put_file(st, "k", 4096, 1, 10 + (uint32_t)i, i, 1);
    ck_assert_int_eq(gdfs_store_versions(st, NAME("k"), count_cb, &n),
                     GDFS_OK);
    ck_assert_int_eq(n, (int)opts.keep_versions);
}
END_TEST

START_TEST(test_store_remove_tombstone)
{
    struct gdfs_store_version v = put_file(st, "t", 4096, 2, 1, 1, 1), got;
    struct gdfs_version tomb;
    uint8_t buf[4096], sha[GDFS_SHA256_LEN];
    size_t len;
    int n = 0;
    bool more;

    ck_assert_int_eq(gdfs_store_remove(st, NAME("t"), NULL, &tomb), GDFS_OK);
    ck_assert_int_gt(tomb.seq, v.version.seq);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("t"), 0, &got), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_remove(st, NAME("t"), NULL, &tomb),
                     GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_remove(st, NAME("never"), NULL, &tomb),
                     GDFS_ENOENT);
    /* Chunks of the removed version are gone. */
    ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, 0, buf, sizeof(buf), &len,
                                           sha),
                     GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_list(st, NULL, 0, 10, count_cb, &n, &more),
                     GDFS_OK);
    ck_assert_int_eq(n, 0);
    /* A put after the remove brings the name back, newer. */
    v = put_file(st, "t", 4096, 1, 3, 1, 1);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("t"), 0, &got), GDFS_OK);
    ck_assert_int_gt(got.version.seq, tomb.seq);
}
END_TEST

/* ---- listing ------------------------------------------------------------- */

struct names {
    char got[16][8];
    int n;
};

static int names_cb(void *ctx, const uint8_t *name, size_t namelen,
                    const struct gdfs_store_version *v)
{
    struct names *ns = ctx;

    (void)v;
    ck_assert_int_lt(ns->n, 16);
    snprintf(ns->got[ns->n++], 8, "%.*s", (int)namelen, (const char *)name);
    return 0;
}

START_TEST(test_store_list_pages_in_order)
{
    const char *in[] = {"d", "b", "a", "e", "c"};
    struct names ns = {.n = 0};
    bool more;

    for (int i = 0; i < 5; i++)
        put_file(st, in[i], 4096, 1, 1, i, 1);
    put_file(st, "b", 4096, 1, 2, 9, 1); /* an update lists once */
    ck_assert_int_eq(gdfs_store_list(st, NULL, 0, 2, names_cb, &ns, &more),
                     GDFS_OK);
    ck_assert_int_eq(ns.n, 2);
    ck_assert(more);
    ck_assert_str_eq(ns.got[0], "a");
    ck_assert_str_eq(ns.got[1], "b");
    ck_assert_int_eq(gdfs_store_list(st, NAME("b"), 10, names_cb, &ns, &more),
                     GDFS_OK);
    ck_assert_int_eq(ns.n, 5);
    ck_assert(!more);
    ck_assert_str_eq(ns.got[2], "c");
    ck_assert_str_eq(ns.got[4], "e");
}
END_TEST

START_TEST(test_store_names_are_bytes)
{
    const uint8_t n1[] = {0xff, 'x'}, n2[] = {'x', 0xc3, 0xa9};
    struct gdfs_store_version v, got;

    ck_assert_int_eq(gdfs_store_put_begin(st, n1, 2, 4096, NULL, &v), GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_commit(st, v.id, 0, 0, (uint8_t[32]){0},
                                           NULL),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(st, n1, 2, 0, &got), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(st, n1, 1, 0, &got), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_lookup(st, n2, 3, 0, &got), GDFS_ENOENT);
}
END_TEST

/* ---- corruption ---------------------------------------------------------- */

START_TEST(test_store_flipped_byte_detected_by_checksum)
{
    struct gdfs_store_version v = put_file(st, "z", 4096, 1, 4096, 3, 1);
    uint8_t buf[4096], sha[GDFS_SHA256_LEN], actual[GDFS_SHA256_LEN];
    sqlite3 *db;
    size_t len;

    /* Flip one byte of the stored chunk behind the store's back. */
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "UPDATE chunks SET data = "
                                  "x'00' || substr(data, 2)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, 0, buf, sizeof(buf), &len,
                                           sha),
                     GDFS_OK);
    gdfs_hash_sha256(buf, len, actual);
    ck_assert_mem_ne(sha, actual, sizeof(sha));
}
END_TEST

/* Overwrite page @pgno (1-based) of the closed database at path with a
 * fixed garbage pattern, as a bad sector or a torn write would leave it. */
static void smash_page(int pgno)
{
    uint8_t junk[65536];
    FILE *f = fopen(path, "r+b");

    ck_assert_ptr_nonnull(f);
    memset(junk, 0xa5, sizeof(junk));
    ck_assert_int_eq(fseek(f, (long)(pgno - 1) * opts.page_size, SEEK_SET), 0);
    ck_assert_uint_eq(fwrite(junk, 1, opts.page_size, f), opts.page_size);
    ck_assert_int_eq(fclose(f), 0);
}

/* The root page of table @name of the database at path. */
static int root_page(const char *name)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int pg;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "SELECT rootpage FROM sqlite_master "
                                        "WHERE name = ?",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    pg = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return pg;
}

START_TEST(test_store_check_passes_sound_database)
{
    char err[512] = "";

    for (int i = 0; i < 5; i++) {
        char name[8];

        snprintf(name, sizeof(name), "f%d", i);
        put_file(st, name, 65536, 3, 100, i, 1);
    }
    ck_assert_int_eq(gdfs_store_check(st, err, sizeof(err)), GDFS_OK);
    ck_assert_str_eq(err, "");
}
END_TEST

/* A damaged b-tree page: the store still opens (SQLite reads pages only
 * as it needs them), and the check says it is damaged, in SQLite's
 * words. */
START_TEST(test_store_check_finds_damaged_page)
{
    char err[512] = "";
    int pg;

    for (int i = 0; i < 5; i++) {
        char name[8];

        snprintf(name, sizeof(name), "f%d", i);
        put_file(st, name, 65536, 3, 100, i, 1);
    }
    gdfs_store_close(st); /* the last connection: checkpoints the WAL */
    st = NULL;
    pg = root_page("versions");
    ck_assert_int_gt(pg, 1);
    smash_page(pg);
    st = open_store();
    ck_assert_int_eq(gdfs_store_check(st, err, sizeof(err)), GDFS_ECORRUPT);
    ck_assert_msg(strncmp(err, "quick_check: ", 13) == 0, "err: %s", err);
    /* One log line, SQLite's own words after the prefix. */
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_ptr_null(strstr(err, "***"));
    ck_assert_msg(strlen(err) > 13, "err: %s", err);
}
END_TEST

/* Page 1 holds the header and the schema: SQLite cannot open the store
 * at all, and that is damage too, not an I/O failure. */
START_TEST(test_store_open_of_damaged_header_is_ecorrupt)
{
    struct gdfs_store *s = NULL;
    char err[512];

    gdfs_store_close(st);
    st = NULL;
    smash_page(1);
    ck_assert_int_eq(gdfs_store_open(path, &opts, &s, err, sizeof(err)),
                     GDFS_ECORRUPT);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

/* ---- checking and replacing chunks ----------------------------------------- */

/* Run @sql on the database behind the store's back. */
static void raw_sql(const char *sql)
{
    sqlite3 *db;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static int count_rows(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int n;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* Chunk @idx as put_file(fill) wrote it. */
static void good_chunk(uint32_t idx, int fill, uint8_t *buf, uint32_t len,
                       uint8_t sha[GDFS_SHA256_LEN])
{
    memset(buf, fill + (int)idx, len);
    gdfs_hash_sha256(buf, len, sha);
}

START_TEST(test_store_verify_chunk_detects_bad_and_missing)
{
    struct gdfs_store_version v = put_file(st, "f", 4096, 3, 10, 5, 1);
    uint8_t sha[GDFS_SHA256_LEN], want[GDFS_SHA256_LEN], buf[4096];

    for (uint32_t i = 0; i < 3; i++) {
        good_chunk(i, 5, buf, i == 2 ? 10 : 4096, want);
        ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, i, sha), GDFS_OK);
        ck_assert_mem_eq(sha, want, sizeof(sha));
    }
    raw_sql("UPDATE chunks SET data = x'00' || substr(data, 2) WHERE idx = 1");
    raw_sql("DELETE FROM chunks WHERE idx = 2");
    ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, 0, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, 1, sha), GDFS_ECORRUPT);
    good_chunk(1, 5, buf, 4096, want);
    ck_assert_mem_eq(sha, want, sizeof(sha)); /* the stored checksum */
    ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, 2, sha), GDFS_ENOENT);
}
END_TEST

START_TEST(test_store_replace_chunks_in_one_commit)
{
    struct gdfs_store_version v = put_file(st, "f", 4096, 4, 4096, 1, 1);
    struct gdfs_store_version now;
    uint8_t buf[4096], sha[GDFS_SHA256_LEN], got[4096];
    int64_t sid;
    size_t len;
    int n = 0;
    bool more;

    raw_sql("UPDATE chunks SET data = x'00' || substr(data, 2) "
            "WHERE idx IN (1, 3)");
    ck_assert_int_eq(gdfs_store_replace_begin(st, v.id, &sid), GDFS_OK);
    for (uint32_t i = 1; i < 4; i += 2) {
        good_chunk(i, 1, buf, 4096, sha);
        ck_assert_int_eq(gdfs_store_put_chunk(st, sid, i, sha, buf, 4096),
                         GDFS_OK);
    }
    /* Staged: invisible, and the old chunks still in place. */
    ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, 1, NULL),
                     GDFS_ECORRUPT);
    ck_assert_int_eq(gdfs_store_list(st, NULL, 0, 10, count_cb, &n, &more),
                     GDFS_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &now), GDFS_OK);
    ck_assert_int_eq(now.id, v.id);

    ck_assert_int_eq(gdfs_store_replace_commit(st, v.id, sid), GDFS_OK);
    for (uint32_t i = 0; i < 4; i++) {
        ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, i, NULL), GDFS_OK);
        ck_assert_int_eq(gdfs_store_read_chunk(st, v.id, i, got, sizeof(got),
                                               &len, sha),
                         GDFS_OK);
        good_chunk(i, 1, buf, 4096, sha);
        ck_assert_uint_eq(len, 4096);
        ck_assert_mem_eq(got, buf, len);
    }
    /* The staging row is gone; the version keeps its id and number. */
    ck_assert_int_eq(count_rows("SELECT count(*) FROM versions"), 1);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM chunks"), 4);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &now), GDFS_OK);
    ck_assert_int_eq(now.id, v.id);
    ck_assert_uint_eq(now.version.seq, v.version.seq);
}
END_TEST

START_TEST(test_store_replace_refuses_incomplete_result)
{
    struct gdfs_store_version v = put_file(st, "f", 4096, 3, 4096, 1, 1);
    uint8_t buf[4096], sha[GDFS_SHA256_LEN];
    int64_t sid;

    raw_sql("DELETE FROM chunks WHERE idx = 2");
    raw_sql("UPDATE chunks SET data = x'00' || substr(data, 2) WHERE idx = 1");
    ck_assert_int_eq(gdfs_store_replace_begin(st, v.id, &sid), GDFS_OK);
    good_chunk(1, 1, buf, 4096, sha);
    ck_assert_int_eq(gdfs_store_put_chunk(st, sid, 1, sha, buf, 4096),
                     GDFS_OK);
    /* Chunk 2 would still be missing: refused, nothing changed. */
    ck_assert_int_eq(gdfs_store_replace_commit(st, v.id, sid), GDFS_ECORRUPT);
    ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, 1, NULL),
                     GDFS_ECORRUPT);
    good_chunk(2, 1, buf, 4096, sha);
    ck_assert_int_eq(gdfs_store_put_chunk(st, sid, 2, sha, buf, 4096),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_replace_commit(st, v.id, sid), GDFS_OK);
    for (uint32_t i = 0; i < 3; i++)
        ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, i, NULL), GDFS_OK);
}
END_TEST

START_TEST(test_store_replace_staging_dropped_by_recover_and_abort)
{
    struct gdfs_store_version v = put_file(st, "f", 4096, 2, 4096, 1, 1);
    uint8_t buf[4096], sha[GDFS_SHA256_LEN];
    int64_t sid;
    int dropped = 0;

    ck_assert_int_eq(gdfs_store_replace_begin(st, v.id, &sid), GDFS_OK);
    good_chunk(0, 1, buf, 4096, sha);
    ck_assert_int_eq(gdfs_store_put_chunk(st, sid, 0, sha, buf, 4096),
                     GDFS_OK);
    /* A crash before the commit: the restart drops the staging row only. */
    gdfs_store_close(st);
    st = open_store();
    ck_assert_int_eq(gdfs_store_recover(st, &dropped), GDFS_OK);
    ck_assert_int_eq(dropped, 1);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM chunks"), 2);
    ck_assert_int_eq(gdfs_store_verify_chunk(st, v.id, 0, NULL), GDFS_OK);
    /* An abandoned repair is dropped by put_abort. */
    ck_assert_int_eq(gdfs_store_replace_begin(st, v.id, &sid), GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_chunk(st, sid, 1, sha, buf, 4096),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_abort(st, sid), GDFS_OK);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM versions"), 1);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM chunks"), 2);
}
END_TEST

START_TEST(test_store_replace_of_collected_version_is_enoent)
{
    struct gdfs_store_version v = put_file(st, "f", 4096, 1, 4096, 1, 1);
    struct gdfs_version tomb;
    uint8_t buf[4096], sha[GDFS_SHA256_LEN];
    int64_t sid;

    ck_assert_int_eq(gdfs_store_replace_begin(st, v.id, &sid), GDFS_OK);
    good_chunk(0, 1, buf, 4096, sha);
    ck_assert_int_eq(gdfs_store_put_chunk(st, sid, 0, sha, buf, 4096),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_remove(st, NAME("f"), NULL, &tomb), GDFS_OK);
    ck_assert_int_eq(gdfs_store_replace_commit(st, v.id, sid), GDFS_ENOENT);
    /* Only the tombstone is left: no staging row, no chunks. */
    ck_assert_int_eq(count_rows("SELECT count(*) FROM versions"), 1);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM chunks"), 0);
    /* Only complete versions can be repaired. */
    ck_assert_int_eq(gdfs_store_replace_begin(st, v.id, &sid), GDFS_ENOENT);
}
END_TEST

/* ---- group state --------------------------------------------------------- */

START_TEST(test_store_term_and_vote_persist)
{
    uint64_t term;
    char vote[GDFS_NODE_ID_MAX + 1];
    struct gdfs_members set;

    ck_assert_int_eq(gdfs_store_set_term(st, 7, "n3"), GDFS_OK);
    gdfs_store_close(st);
    st = open_store();
    ck_assert_int_eq(gdfs_store_load_group(st, &term, vote, &set), GDFS_OK);
    ck_assert_uint_eq(term, 7);
    ck_assert_str_eq(vote, "n3");
    ck_assert_str_eq(set.group_id, "g1");
    ck_assert_uint_eq(set.n, 1);
    ck_assert_str_eq(set.m[0].id, "n1");
    ck_assert_str_eq(set.m[0].addr, "127.0.0.1:1");
    ck_assert_int_eq(set.m[0].state, GDFS_MEMBER_ALIVE);
    ck_assert_int_eq(gdfs_store_set_term(st, 8, ""), GDFS_OK);
    ck_assert_int_eq(gdfs_store_load_group(st, &term, vote, &set), GDFS_OK);
    ck_assert_uint_eq(term, 8);
    ck_assert_str_eq(vote, "");
}
END_TEST

START_TEST(test_store_member_set_round_trip)
{
    struct gdfs_members set, got;
    uint64_t term;
    char vote[GDFS_NODE_ID_MAX + 1];

    memset(&set, 0, sizeof(set));
    snprintf(set.group_id, sizeof(set.group_id), "g1");
    set.version.seq = 4;
    set.version.term = 2;
    set.n = 3;
    for (int i = 0; i < 3; i++) {
        snprintf(set.m[i].id, sizeof(set.m[i].id), "n%d", 3 - i);
        snprintf(set.m[i].addr, sizeof(set.m[i].addr), "h%d:1", i);
        set.m[i].state = (uint8_t)i;
        set.m[i].incarnation = (uint64_t)i * 10;
    }
    ck_assert_int_eq(gdfs_store_save_members(st, "n1", &set), GDFS_OK);
    ck_assert_int_eq(gdfs_store_load_group(st, &term, vote, &got), GDFS_OK);
    ck_assert_uint_eq(got.version.seq, 4);
    ck_assert_uint_eq(got.version.term, 2);
    ck_assert_uint_eq(got.n, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(got.m[i].id, set.m[i].id); /* order kept */
        ck_assert_str_eq(got.m[i].addr, set.m[i].addr);
        ck_assert_int_eq(got.m[i].state, set.m[i].state);
        ck_assert_uint_eq(got.m[i].incarnation, set.m[i].incarnation);
    }
    /* A set of another group is refused and changes nothing. */
    snprintf(set.group_id, sizeof(set.group_id), "other");
    set.n = 1;
    ck_assert_int_eq(gdfs_store_save_members(st, "n1", &set), GDFS_EGROUP);
    ck_assert_int_eq(gdfs_store_load_group(st, &term, vote, &got), GDFS_OK);
    ck_assert_uint_eq(got.n, 3);
}
END_TEST

START_TEST(test_store_joining_node_becomes_member)
{
    struct gdfs_store *s = NULL;
    struct gdfs_members set, got;
    struct gdfs_node_state ns;
    uint64_t term;
    char p2[300], err[512], vote[GDFS_NODE_ID_MAX + 1];

    snprintf(p2, sizeof(p2), "%s/joiner.db", dir);
    ck_assert_int_eq(gdfs_store_open(p2, &opts, &s, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_load_group(s, &term, vote, &got), GDFS_ENOENT);
    memset(&set, 0, sizeof(set));
    snprintf(set.group_id, sizeof(set.group_id), "gj");
    set.n = 2;
    snprintf(set.m[0].id, sizeof(set.m[0].id), "a");
    snprintf(set.m[1].id, sizeof(set.m[1].id), "b");
    snprintf(set.m[0].addr, sizeof(set.m[0].addr), "a:1");
    snprintf(set.m[1].addr, sizeof(set.m[1].addr), "b:1");
    ck_assert_int_eq(gdfs_store_save_members(s, "b", &set), GDFS_OK);
    ck_assert_int_eq(gdfs_store_get_node(s, &ns), GDFS_OK);
    ck_assert_str_eq(ns.node_id, "b");
    ck_assert_str_eq(ns.group_id, "gj");
    ck_assert_uint_eq(ns.term, 0);
    gdfs_store_close(s);
}
END_TEST

/* A node that joined holds its votes (sql/007-votes-held.sql) until
 * released, across a reopen; a group's first node never does. */
START_TEST(test_store_joined_node_holds_votes)
{
    struct gdfs_store *s = NULL;
    struct gdfs_members set;
    bool held = true;
    char p2[300], err[512];

    ck_assert_int_eq(gdfs_store_votes_held(st, &held), GDFS_OK);
    ck_assert(!held);
    snprintf(p2, sizeof(p2), "%s/held.db", dir);
    ck_assert_int_eq(gdfs_store_open(p2, &opts, &s, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_votes_held(s, &held), GDFS_ENOENT);
    memset(&set, 0, sizeof(set));
    snprintf(set.group_id, sizeof(set.group_id), "gh");
    set.n = 1;
    snprintf(set.m[0].id, sizeof(set.m[0].id), "b");
    snprintf(set.m[0].addr, sizeof(set.m[0].addr), "b:1");
    ck_assert_int_eq(gdfs_store_save_members(s, "b", &set), GDFS_OK);
    ck_assert_int_eq(gdfs_store_votes_held(s, &held), GDFS_OK);
    ck_assert(held);
    /* A later member set leaves it held. */
    set.version.seq = 2;
    ck_assert_int_eq(gdfs_store_save_members(s, "b", &set), GDFS_OK);
    gdfs_store_close(s);
    ck_assert_int_eq(gdfs_store_open(p2, &opts, &s, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_votes_held(s, &held), GDFS_OK);
    ck_assert(held);
    ck_assert_int_eq(gdfs_store_release_votes(s), GDFS_OK);
    gdfs_store_close(s);
    ck_assert_int_eq(gdfs_store_open(p2, &opts, &s, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_votes_held(s, &held), GDFS_OK);
    ck_assert(!held);
    gdfs_store_close(s);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static int count_meta(void *ctx, const struct gdfs_meta *m)
{
    (void)m;
    (*(int *)ctx)++;
    return 0;
}

struct page {
    int n;
    uint8_t *last;
    size_t *lastlen;
};

static int page_meta(void *ctx, const struct gdfs_meta *m)
{
    struct page *p = ctx;

    p->n++;
    memcpy(p->last, m->name, m->namelen);
    *p->lastlen = m->namelen;
    return 0;
}

/* ---- replica copies and metadata records ---------------------------------- */

/* A one-chunk copy of @name stored as a replica under version (seq, term). */
static void put_replica(const char *name, uint64_t seq, uint64_t term)
{
    struct gdfs_version v = {seq, term};
    struct gdfs_store_version row;
    uint8_t data[100], sha[GDFS_SHA256_LEN], top[GDFS_SHA256_LEN];

    memset(data, (int)seq, sizeof(data));
    gdfs_hash_sha256(data, sizeof(data), sha);
    gdfs_hash_sha256(sha, sizeof(sha), top);
    ck_assert_int_eq(gdfs_store_put_begin(st, NAME(name), 4096, &v, &row),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_chunk(st, row.id, 0, sha, data, 100),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_commit(st, row.id, 100, 1, top, NULL),
                     GDFS_OK);
}

static struct gdfs_meta record(const char *name, uint64_t seq, uint64_t term,
                               bool tombstone)
{
    struct gdfs_meta m;

    memset(&m, 0, sizeof(m));
    m.namelen = strlen(name);
    memcpy(m.name, name, m.namelen);
    m.version.seq = seq;
    m.version.term = term;
    m.size = tombstone ? 0 : 100;
    m.chunk_size = tombstone ? 0 : 4096;
    m.nchunks = tombstone ? 0 : 1;
    m.tombstone = tombstone;
    m.nreplicas = 3;
    m.acked = 3;
    strcpy(m.replica[0], "n1");
    strcpy(m.replica[1], "n2");
    strcpy(m.replica[2], "n3");
    return m;
}

START_TEST(test_store_replica_copy_uncommitted_until_record)
{
    struct gdfs_store_version v;
    struct gdfs_version want = {7, 2};
    struct gdfs_meta m = record("f", 7, 2, false);
    bool applied = false;

    put_replica("f", 7, 2);
    /* Readable by exact version, but not the newest copy yet. */
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("f"), &want, &v),
                     GDFS_OK);
    ck_assert_uint_eq(v.size, 100);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &m, &applied), GDFS_OK);
    ck_assert(applied);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_OK);
    ck_assert_uint_eq(v.version.seq, 7);
    ck_assert_uint_eq(v.version.term, 2);
}
END_TEST

/* One 100-byte chunk of @fill into a row begun by put_begin_later,
 * completed without a version; *top gets the file hash. */
static int64_t later_copy(const char *name, int fill,
                          uint8_t top[GDFS_SHA256_LEN])
{
    struct gdfs_store_version row;
    uint8_t data[100], sha[GDFS_SHA256_LEN];

    memset(data, fill, sizeof(data));
    gdfs_hash_sha256(data, sizeof(data), sha);
    gdfs_hash_sha256(sha, sizeof(sha), top);
    ck_assert_int_eq(gdfs_store_put_begin_later(st, NAME(name), 4096, &row),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_chunk(st, row.id, 0, sha, data, 100),
                     GDFS_OK);
    /* put_commit is for rows that have or get a local version */
    ck_assert_int_eq(gdfs_store_put_commit(st, row.id, 100, 1, top, NULL),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_put_commit_later(st, row.id, 100, 1, top),
                     GDFS_OK);
    return row.id;
}

/* A gateway that streams before the leader named the version: the copy
 * is stored without one, then takes it from the gateway (put_assign) or,
 * when that word never came, from the record that names its content
 * (gdfs_store_adopt, the orphan sweep's); until then no version finds
 * it, and it is nobody's newest. */
START_TEST(test_store_replica_copy_version_later)
{
    struct gdfs_store_version v;
    struct gdfs_version want = {8, 2};
    struct gdfs_meta m = record("f", 8, 2, false), g;
    uint8_t top[GDFS_SHA256_LEN], other[GDFS_SHA256_LEN];
    int64_t id = later_copy("f", 1, top), id2, xid;
    unsigned n;

    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("f"), &want, &v),
                     GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_ENOENT);
    /* not its content: refused, nothing changes */
    memset(other, 7, sizeof(other));
    ck_assert_int_eq(gdfs_store_put_assign(st, id, &want, 100, 1, other),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_put_assign(st, id, &want, 101, 1, top),
                     GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_put_assign(st, id, &want, 100, 1, top),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("f"), &want, &v),
                     GDFS_OK);
    ck_assert_uint_eq(v.size, 100);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_ENOENT);
    /* once */
    ck_assert_int_eq(gdfs_store_put_assign(st, id, &want, 100, 1, top),
                     GDFS_EINVAL);
    memcpy(m.sha256, top, sizeof(top));
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &m, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_OK);
    ck_assert_uint_eq(v.version.seq, 8);

    /* The same bytes put again: the new copy is not taken for the one
     * the node holds, whatever record lands meanwhile; it gets its own
     * version (18-kill-mid-transfer caught a store that dropped it). */
    id2 = later_copy("f", 1, top);
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &m, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_adopt(st, &m, &n), GDFS_OK);
    ck_assert_uint_eq(n, 0); /* held already */
    want = (struct gdfs_version){9, 2};
    ck_assert_int_eq(gdfs_store_put_assign(st, id2, &want, 100, 1, top),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("f"), &want, &v),
                     GDFS_OK);
    /* a copy of a version held already is one too many */
    id2 = later_copy("f", 1, top);
    ck_assert_int_eq(gdfs_store_put_assign(st, id2, &want, 100, 1, top),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_assign(st, id2, &want, 100, 1, top),
                     GDFS_ENOENT);

    /* The leader's record names the content: the orphan sweep gives the
     * version (a gateway that went away before telling this replica). */
    later_copy("g", 2, top);
    later_copy("g", 3, other); /* another put's copy: stays without */
    g = record("g", 9, 2, false);
    memcpy(g.sha256, top, sizeof(top));
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &g, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("g"), 0, &v), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_adopt(st, &g, &n), GDFS_OK);
    ck_assert_uint_eq(n, 1); /* and not the other put's */
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("g"), 0, &v), GDFS_OK);
    ck_assert_uint_eq(v.version.seq, 9);
    ck_assert_int_eq(memcmp(v.sha256, top, sizeof(top)), 0);
    /* a tombstone leaves copies without a version to the orphan sweep
     * (the put may be newer than the remove) */
    xid = later_copy("x", 4, top);
    g = record("x", 11, 2, true);
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &g, NULL), GDFS_OK);
    want = (struct gdfs_version){12, 2};
    ck_assert_int_eq(gdfs_store_put_assign(st, xid, &want, 100, 1, top),
                     GDFS_OK);
}
END_TEST

START_TEST(test_store_record_before_copy_commits_it)
{
    struct gdfs_store_version v;
    struct gdfs_meta m = record("f", 3, 1, false);

    /* The leader's record can reach a slow replica before its own commit. */
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &m, NULL), GDFS_OK);
    put_replica("f", 3, 1);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_OK);
    ck_assert_uint_eq(v.version.seq, 3);
}
END_TEST

START_TEST(test_store_record_older_term_refused)
{
    struct gdfs_meta m = record("f", 5, 3, false),
                     old = record("g", 9, 2, false);
    struct gdfs_meta got;

    /* An empty page of term 3 promises it. */
    ck_assert_int_eq(gdfs_store_meta_put_many(st, 3, NULL, 0, 0, NULL),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &old, NULL), GDFS_ESTALE);
    ck_assert_ptr_nonnull(strstr(gdfs_store_errmsg(st), "term 2 is stale"));
    ck_assert_int_eq(gdfs_store_meta_get(st, NAME("g"), &got), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_meta_put_many(st, 2, NULL, 0, 0, NULL),
                     GDFS_ESTALE);
    ck_assert_int_eq(gdfs_store_meta_put(st, 3, &m, NULL), GDFS_OK);
    /* The promise survives a restart. */
    gdfs_store_close(st);
    st = open_store();
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &old, NULL), GDFS_ESTALE);
    ck_assert_int_eq(gdfs_store_meta_get(st, NAME("f"), &got), GDFS_OK);
    ck_assert_uint_eq(got.version.seq, 5);
}
END_TEST

/* Re-replication commits the version it copied with a new replica set; a
 * newer version committed meanwhile must keep its record, and the copy
 * made for the older one becomes an older committed version here. */
START_TEST(test_store_repair_commit_loses_to_newer_version)
{
    struct gdfs_meta v1 = record("f", 5, 1, false);
    struct gdfs_meta v2 = record("f", 6, 1, false), got;
    struct gdfs_store_version row;
    bool applied = true;

    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &v1, NULL), GDFS_OK);
    put_replica("f", 5, 1); /* the copy the repair made here */
    put_replica("f", 6, 1);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &v2, NULL), GDFS_OK);
    strcpy(v1.replica[2], "n4"); /* the repair's new set for version 5 */
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &v1, &applied), GDFS_OK);
    ck_assert(!applied);
    ck_assert_int_eq(gdfs_store_meta_get(st, NAME("f"), &got), GDFS_OK);
    ck_assert_uint_eq(got.version.seq, 6);
    ck_assert_str_eq(got.replica[2], "n3");
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &row), GDFS_OK);
    ck_assert_uint_eq(row.version.seq, 6);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 5, &row), GDFS_OK);
}
END_TEST

START_TEST(test_store_record_keeps_newest)
{
    struct gdfs_meta newer = record("f", 9, 2, false);
    struct gdfs_meta older = record("f", 12, 1, false);
    struct gdfs_meta same = record("f", 9, 2, false), got;
    bool applied = true;

    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &newer, &applied), GDFS_OK);
    ck_assert(applied);
    /* (12, term 1) is older than (9, term 2): ordered by term first. */
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &older, &applied), GDFS_OK);
    ck_assert(!applied);
    ck_assert_int_eq(gdfs_store_meta_get(st, NAME("f"), &got), GDFS_OK);
    ck_assert_uint_eq(got.version.seq, 9);
    /* The same version with a new replica set replaces the set. */
    strcpy(same.replica[2], "n4");
    same.acked = 1;
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &same, &applied), GDFS_OK);
    ck_assert(applied);
    ck_assert_int_eq(gdfs_store_meta_get(st, NAME("f"), &got), GDFS_OK);
    ck_assert_uint_eq(got.nreplicas, 3);
    ck_assert_str_eq(got.replica[2], "n4");
    ck_assert_uint_eq(got.acked, 1);
}
END_TEST

START_TEST(test_store_tombstone_record_drops_copies)
{
    struct gdfs_store_version v;
    struct gdfs_version v1 = {1, 1}, v3 = {3, 1};
    struct gdfs_meta put1 = record("f", 1, 1, false);
    struct gdfs_meta gone = record("f", 2, 1, true), got;
    bool more = true;
    int n = 0;

    put_replica("f", 1, 1);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &put1, NULL), GDFS_OK);
    put_replica("f", 3, 1); /* a newer put racing the remove: kept */
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &gone, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("f"), &v1, &v),
                     GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("f"), &v3, &v), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_meta_get(st, NAME("f"), &got), GDFS_OK);
    ck_assert(got.tombstone);
    /* Listing without tombstones skips it; with them it is there. */
    ck_assert_int_eq(gdfs_store_meta_list(st, NULL, 0, 10, false, count_meta,
                                          &n, &more),
                     GDFS_OK);
    ck_assert_int_eq(n, 0);
    ck_assert(!more);
    ck_assert_int_eq(gdfs_store_meta_list(st, NULL, 0, 10, true, count_meta,
                                          &n, &more),
                     GDFS_OK);
    ck_assert_int_eq(n, 1);
}
END_TEST

START_TEST(test_store_meta_list_pages_and_max_seq)
{
    char name[8];
    uint8_t last[8];
    size_t lastlen = 0;
    bool more = true;
    int n = 0, pages = 0;
    uint64_t seq = 0;

    for (int i = 0; i < 25; i++) {
        struct gdfs_meta m;

        snprintf(name, sizeof(name), "f%02d", i);
        m = record(name, 100 + (uint64_t)i, 1, false);
        ck_assert_int_eq(gdfs_store_meta_put(st, 1, &m, NULL), GDFS_OK);
    }
    while (more) {
        struct page p = {0, last, &lastlen};

        ck_assert_int_eq(gdfs_store_meta_list(st, last, lastlen, 10, true,
                                              page_meta, &p, &more),
                         GDFS_OK);
        n += p.n;
        pages++;
        ck_assert_int_le(pages, 4);
    }
    ck_assert_int_eq(n, 25);
    ck_assert_int_eq(gdfs_store_max_seq(st, &seq), GDFS_OK);
    ck_assert_uint_eq(seq, 124);
}
END_TEST

/* ---- checking copies: probes, the scrub's walk, damage marks -------------- */

START_TEST(test_store_probe_reports_versions)
{
    struct gdfs_version v = {7, 2}, other = {8, 2}, newest;
    struct gdfs_meta m = record("f", 7, 2, false);
    struct gdfs_store_version row;
    uint8_t have = 99;
    bool tomb = true;

    ck_assert_int_eq(gdfs_store_probe(st, NAME("f"), &v, &have, &newest,
                                      &tomb),
                     GDFS_OK);
    ck_assert_uint_eq(have, GDFS_PROBE_ABSENT);
    ck_assert_uint_eq(newest.seq, 0);
    ck_assert(!tomb);
    /* An uncommitted copy: held, but not the newest committed one. */
    put_replica("f", 7, 2);
    ck_assert_int_eq(gdfs_store_probe(st, NAME("f"), &v, &have, &newest,
                                      &tomb),
                     GDFS_OK);
    ck_assert_uint_eq(have, GDFS_PROBE_COMPLETE);
    ck_assert_uint_eq(newest.seq, 0);
    ck_assert_int_eq(gdfs_store_probe(st, NAME("f"), &other, &have, &newest,
                                      &tomb),
                     GDFS_OK);
    ck_assert_uint_eq(have, GDFS_PROBE_ABSENT);
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &m, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_probe(st, NAME("f"), NULL, &have, &newest,
                                      &tomb),
                     GDFS_OK);
    ck_assert_uint_eq(have, GDFS_PROBE_ABSENT); /* none asked */
    ck_assert_uint_eq(newest.seq, 7);
    ck_assert_uint_eq(newest.term, 2);
    ck_assert(!tomb);
    /* A damage mark shows; clearing it restores COMPLETE. */
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("f"), &v, &row),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_mark_damaged(st, row.id, 1), GDFS_OK);
    ck_assert_int_eq(gdfs_store_probe(st, NAME("f"), &v, &have, &newest,
                                      &tomb),
                     GDFS_OK);
    ck_assert_uint_eq(have, GDFS_PROBE_DAMAGED);
    ck_assert_int_eq(gdfs_store_mark_damaged(st, row.id, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_store_probe(st, NAME("f"), &v, &have, &newest,
                                      &tomb),
                     GDFS_OK);
    ck_assert_uint_eq(have, GDFS_PROBE_COMPLETE);
    /* A tombstone record drops the copies: nothing is held any more. */
    m = record("f", 9, 2, true);
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &m, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_probe(st, NAME("f"), &v, &have, &newest,
                                      &tomb),
                     GDFS_OK);
    ck_assert_uint_eq(have, GDFS_PROBE_ABSENT);
    ck_assert_uint_eq(newest.seq, 0);
    /* A tombstone version row (a local remove) is the newest, and says
     * so. */
    put_file(st, "t", 4096, 1, 5, 1, 1);
    ck_assert_int_eq(gdfs_store_remove(st, NAME("t"), NULL, &other), GDFS_OK);
    ck_assert_int_eq(gdfs_store_probe(st, NAME("t"), NULL, &have, &newest,
                                      &tomb),
                     GDFS_OK);
    ck_assert_uint_eq(newest.seq, other.seq);
    ck_assert(tomb);
}
END_TEST

START_TEST(test_store_copies_walk_in_id_order)
{
    struct gdfs_store_copy *c = calloc(8, sizeof(*c));
    struct gdfs_store_version unfinished;
    int64_t after = 0;
    uint64_t chunks = 0;
    unsigned n, total = 0;
    char seen[8][8];

    ck_assert_ptr_nonnull(c);
    put_file(st, "a", 4096, 3, 100, 1, 1);
    put_file(st, "b", 4096, 1, 4096, 2, 1);
    put_file(st, "a", 4096, 2, 10, 3, 1); /* a second version of a */
    put_replica("r", 5, 1);               /* uncommitted, just made */
    ck_assert_int_eq(gdfs_store_put_begin(st, NAME("w"), 4096, NULL,
                                          &unfinished),
                     GDFS_OK);
    /* Pages of 2, uncommitted copies younger than an hour left out. */
    do {
        ck_assert_int_eq(gdfs_store_copies(st, after, 3600, c, 2, &n),
                         GDFS_OK);
        for (unsigned i = 0; i < n; i++) {
            ck_assert_int_gt(c[i].v.id, after);
            after = c[i].v.id;
            ck_assert(c[i].committed);
            ck_assert_uint_eq(c[i].damaged, 0);
            ck_assert_int_eq(c[i].v.state, GDFS_VERSION_COMPLETE);
            snprintf(seen[total++], sizeof(seen[0]), "%.*s:%u",
                     (int)c[i].namelen, (const char *)c[i].name,
                     c[i].v.nchunks);
        }
    } while (n == 2);
    ck_assert_uint_eq(total, 3);
    ck_assert_str_eq(seen[0], "a:3");
    ck_assert_str_eq(seen[1], "b:1");
    ck_assert_str_eq(seen[2], "a:2");
    ck_assert_int_eq(gdfs_store_copies_chunks(st, 3600, &chunks), GDFS_OK);
    ck_assert_uint_eq(chunks, 6);
    /* Age 0: the uncommitted copy too, never the unfinished put. */
    ck_assert_int_eq(gdfs_store_copies(st, 0, 0, c, 8, &n), GDFS_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert(!c[3].committed);
    ck_assert_uint_eq(c[3].v.version.seq, 5);
    ck_assert_int_eq(gdfs_store_copies_chunks(st, 0, &chunks), GDFS_OK);
    ck_assert_uint_eq(chunks, 7);
    free(c);
}
END_TEST

START_TEST(test_store_mark_damaged_gone_row)
{
    struct gdfs_store_copy c;
    struct gdfs_store_version v = put_file(st, "d", 4096, 1, 5, 1, 1);
    unsigned n;

    ck_assert_int_eq(gdfs_store_mark_damaged(st, v.id + 100, 1), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_mark_damaged(st, v.id, 2), GDFS_OK);
    ck_assert_int_eq(gdfs_store_copies(st, 0, 0, &c, 1, &n), GDFS_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(c.damaged, 2);
}
END_TEST

/* ---- record sync and orphan copies (metasync.c) --------------------------- */

START_TEST(test_store_meta_digest_matches_records)
{
    struct gdfs_meta a = record("a", 1, 1, false),
                     b = record("b", 2, 1, false);
    struct gdfs_meta c = record("c", 3, 1, true);
    struct gdfs_meta_digest got, want, empty;
    unsigned bucket;

    memset(&empty, 0, sizeof(empty));
    ck_assert_int_eq(gdfs_store_meta_digest(st, &got), GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&got, &empty), 0);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &a, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &b, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &c, NULL), GDFS_OK);
    /* the same records added in another order give the same digest */
    memset(&want, 0, sizeof(want));
    gdfs_meta_digest_add(&want, &c);
    gdfs_meta_digest_add(&want, &a);
    gdfs_meta_digest_add(&want, &b);
    ck_assert_int_eq(gdfs_store_meta_digest(st, &got), GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&got, &want), 0);
    ck_assert_uint_ne(gdfs_meta_digest_diff(&got, &empty), 0);
    /* a changed replica set shows in exactly b's bucket */
    strcpy(b.replica[1], "n9");
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &b, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_meta_digest(st, &got), GDFS_OK);
    bucket = gdfs_meta_bucket(b.name, b.namelen);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&got, &want),
                      (uint64_t)1 << bucket);
}
END_TEST

START_TEST(test_store_meta_put_many_all_or_none)
{
    struct gdfs_meta ms[3] = {record("x", 4, 2, false),
                              record("y", 5, 2, false),
                              record("z", 6, 2, true)};
    struct gdfs_store_version v;
    struct gdfs_version z1 = {1, 1};
    struct gdfs_meta got;
    unsigned applied = 99;

    put_replica("x", 4, 2);
    put_replica("z", 1, 1);
    ck_assert_int_eq(gdfs_store_meta_put_many(st, 2, ms, 3, 0, &applied),
                     GDFS_OK);
    ck_assert_uint_eq(applied, 3);
    /* x's copy is committed, z's older copy is dropped by the tombstone */
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("x"), 0, &v), GDFS_OK);
    ck_assert_uint_eq(v.version.seq, 4);
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("z"), &z1, &v),
                     GDFS_ENOENT);
    /* sending them again changes nothing */
    ck_assert_int_eq(gdfs_store_meta_put_many(st, 2, ms, 3, 0, &applied),
                     GDFS_OK);
    ck_assert_uint_eq(applied, 0);
    /* a stale term is refused as a whole */
    ck_assert_int_eq(gdfs_store_meta_put_many(st, 3, NULL, 0, 0, NULL),
                     GDFS_OK);
    ms[0] = record("w", 9, 2, false);
    ck_assert_int_eq(gdfs_store_meta_put_many(st, 2, ms, 1, 0, &applied),
                     GDFS_ESTALE);
    ck_assert_int_eq(gdfs_store_meta_get(st, NAME("w"), &got), GDFS_ENOENT);
}
END_TEST

/* The writer lock is bounded: a writer held up longer than busy_ms fails
 * with GDFS_EBUSY and a message that says why, then works once the lock
 * is free. */
START_TEST(test_store_writer_lock_wait_is_bounded)
{
    struct gdfs_store_opts o = opts;
    struct gdfs_store *other = NULL;
    struct timespec t0, t1;
    char err[512];
    long ms;

    o.busy_ms = 200;
    o.no_migrate = true;
    ck_assert_int_eq(gdfs_store_open(path, &o, &other, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_int_eq(st_begin(st, false), GDFS_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(gdfs_store_meta_put_many(other, 5, NULL, 0, 0, NULL),
                     GDFS_EBUSY);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_ge(ms, 190);
    ck_assert_ptr_nonnull(strstr(gdfs_store_errmsg(other), "database busy"));
    st_rollback(st);
    ck_assert_int_eq(gdfs_store_meta_put_many(other, 5, NULL, 0, 0, NULL),
                     GDFS_OK);
    gdfs_store_close(other);
}
END_TEST

/* A renewed snapshot sees what other connections committed since: a long
 * stream that renews it no longer pins the WAL to its start. */
START_TEST(test_store_snapshot_renew_moves_forward)
{
    struct gdfs_store *other = open_store();
    struct gdfs_store_version v, x, y, z;
    struct gdfs_version gone;

    x = put_file(st, "x", 4096, 1, 10, 1, 1);
    ck_assert_int_eq(gdfs_store_snapshot_renew(st, NULL), GDFS_OK); /* none */
    ck_assert_int_eq(gdfs_store_snapshot_begin(st), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("x"), 0, &v), GDFS_OK);
    y = put_file(other, "y", 4096, 1, 10, 2, 1);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("y"), 0, &v), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_snapshot_renew(st, &x), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("y"), 0, &v), GDFS_OK);
    /* x removed meanwhile: its row is gone for the renewed snapshot, and
     * a row id reused by another version is not taken for it. */
    ck_assert_int_eq(gdfs_store_remove(other, NAME("x"), NULL, &gone),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_snapshot_renew(st, &x), GDFS_ENOENT);
    z = y; /* y's row, another version: as if the id had been reused */
    z.version = x.version;
    ck_assert_int_eq(gdfs_store_snapshot_renew(st, &z), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_snapshot_renew(st, &y), GDFS_OK);
    gdfs_store_snapshot_end(st);
    gdfs_store_close(other);
}
END_TEST

static int note_copy(void *ctx, const struct gdfs_copy_ref *c)
{
    struct gdfs_copy_ref *out = ctx;

    out[0] = *c;
    out[1].namelen++; /* count in the spare slot */
    return 0;
}

START_TEST(test_store_orphan_copies_listed_and_dropped)
{
    struct gdfs_copy_ref seen[2];
    struct gdfs_store_version v;
    struct gdfs_version o = {5, 1}, k = {6, 1};
    struct gdfs_meta rk = record("kept", 6, 1, false);
    bool dropped = true;
    int64_t later = (int64_t)time(NULL) + 10;

    put_replica("orphan", 5, 1);
    put_replica("kept", 6, 1);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &rk, NULL), GDFS_OK);
    /* only the uncommitted one, and only once old enough */
    memset(seen, 0, sizeof(seen));
    ck_assert_int_eq(gdfs_store_uncommitted(st, later - 3600, 10, note_copy,
                                            seen),
                     GDFS_OK);
    ck_assert_uint_eq(seen[1].namelen, 0);
    ck_assert_int_eq(gdfs_store_uncommitted(st, later, 10, note_copy, seen),
                     GDFS_OK);
    ck_assert_uint_eq(seen[1].namelen, 1);
    ck_assert_mem_eq(seen[0].name, "orphan", 6);
    ck_assert_uint_eq(seen[0].version.seq, 5);
    /* a committed copy is never dropped as an orphan */
    ck_assert_int_eq(gdfs_store_drop_uncommitted(st, NAME("kept"), &k,
                                                 &dropped),
                     GDFS_OK);
    ck_assert(!dropped);
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("kept"), &k, &v),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_drop_uncommitted(st, NAME("orphan"), &o,
                                                 &dropped),
                     GDFS_OK);
    ck_assert(dropped);
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("orphan"), &o, &v),
                     GDFS_ENOENT);
    /* a copy whose record arrives is committed, and kept */
    put_replica("late", 8, 1);
    rk = record("late", 8, 1, false);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &rk, NULL), GDFS_OK);
    o.seq = 8;
    ck_assert_int_eq(gdfs_store_drop_uncommitted(st, NAME("late"), &o,
                                                 &dropped),
                     GDFS_OK);
    ck_assert(!dropped);
}
END_TEST

START_TEST(test_store_orphan_age_counts_from_completion)
{
    struct gdfs_version v = {4, 1};
    struct gdfs_store_version row;
    struct gdfs_copy_ref seen[2];
    uint8_t data[10] = {1}, sha[GDFS_SHA256_LEN], top[GDFS_SHA256_LEN];
    int64_t t0 = (int64_t)time(NULL);

    /* A put that streams for a while: its copy becomes complete two
     * seconds after it began, and is not old as of one second in. */
    gdfs_hash_sha256(data, sizeof(data), sha);
    gdfs_hash_sha256(sha, sizeof(sha), top);
    ck_assert_int_eq(gdfs_store_put_begin(st, NAME("slow"), 4096, &v, &row),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_chunk(st, row.id, 0, sha, data, 10),
                     GDFS_OK);
    while ((int64_t)time(NULL) < t0 + 2)
        usleep(50 * 1000);
    ck_assert_int_eq(gdfs_store_put_commit(st, row.id, 10, 1, top, NULL),
                     GDFS_OK);
    memset(seen, 0, sizeof(seen));
    ck_assert_int_eq(gdfs_store_uncommitted(st, t0 + 1, 10, note_copy, seen),
                     GDFS_OK);
    ck_assert_uint_eq(seen[1].namelen, 0);
    ck_assert_int_eq(gdfs_store_uncommitted(st, (int64_t)time(NULL) + 1, 10,
                                            note_copy, seen),
                     GDFS_OK);
    ck_assert_uint_eq(seen[1].namelen, 1);
    ck_assert_int_ge(seen[0].created, t0 + 2);
}
END_TEST

START_TEST(test_store_put_begin_replaces_a_dead_stream)
{
    struct gdfs_version v = {6, 2};
    struct gdfs_store_version row, again, got;
    uint8_t data[10] = {7}, sha[GDFS_SHA256_LEN], top[GDFS_SHA256_LEN];

    gdfs_hash_sha256(data, sizeof(data), sha);
    gdfs_hash_sha256(sha, sizeof(sha), top);
    /* A stream of version 6 that died without its abort (full disk) */
    ck_assert_int_eq(gdfs_store_put_begin(st, NAME("f"), 4096, &v, &row),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_chunk(st, row.id, 0, sha, data, 10),
                     GDFS_OK);
    /* ... does not stop a later copy of the same version */
    ck_assert_int_eq(gdfs_store_put_begin(st, NAME("f"), 4096, &v, &again),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_chunk(st, again.id, 0, sha, data, 10),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_put_commit(st, again.id, 10, 1, top, NULL),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("f"), &v, &got),
                     GDFS_OK);
    ck_assert_int_eq(got.id, again.id);
    /* the dead stream's row and chunk are gone */
    ck_assert_int_eq(gdfs_store_put_commit(st, row.id, 10, 1, top, NULL) ==
                         GDFS_OK,
                     0);
}
END_TEST

/* ---- copy inventory (inventory.c) ----------------------------------------- */

struct inv_seen {
    unsigned n;
    struct gdfs_meta_digest d; /* what was listed, digested */
};

static int inv_collect(void *ctx, const uint8_t *name, size_t namelen,
                       const struct gdfs_version *v)
{
    struct inv_seen *seen = ctx;

    seen->n++;
    gdfs_inv_digest_add(&seen->d, name, namelen, v);
    return 0;
}

static uint64_t bucket_bit(const char *name)
{
    return (uint64_t)1 << gdfs_meta_bucket(NAME(name));
}

START_TEST(test_store_inv_digest_counts_claims_and_held_copies)
{
    /* record(): n1 and n2 acked (acked = 3), n3 named but not acked. */
    struct gdfs_meta a = record("a", 1, 1, false),
                     b = record("b", 2, 1, false);
    struct gdfs_meta c = record("c", 3, 1, true);
    struct gdfs_version va = {1, 1}, vb = {2, 1};
    struct gdfs_meta_digest held, claimed, want, empty;

    memset(&empty, 0, sizeof(empty));
    put_replica("a", 1, 1);
    put_replica("c", 9, 1); /* a copy no record names: not in a digest */
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &a, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &b, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_meta_put(st, 1, &c, NULL), GDFS_OK);

    memset(&want, 0, sizeof(want));
    gdfs_inv_digest_add(&want, NAME("b"), &vb);
    gdfs_inv_digest_add(&want, NAME("a"), &va);
    ck_assert_int_eq(gdfs_store_inv_digest(st, "n2", false, &claimed),
                     GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&claimed, &want), 0);
    /* held: only a is here; the difference is exactly b's bucket */
    ck_assert_int_eq(gdfs_store_inv_digest(st, "n2", true, &held), GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&held, &claimed), bucket_bit("b"));
    ck_assert_uint_ne(gdfs_meta_digest_diff(&held, &empty), 0);
    /* a member named but not acked, or not named, is claimed nothing */
    ck_assert_int_eq(gdfs_store_inv_digest(st, "n3", false, &claimed),
                     GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&claimed, &empty), 0);
    ck_assert_int_eq(gdfs_store_inv_digest(st, "n9", false, &claimed),
                     GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&claimed, &empty), 0);
}
END_TEST

START_TEST(test_store_inv_digest_skips_damaged_and_other_versions)
{
    struct gdfs_meta a = record("a", 5, 2, false);
    struct gdfs_store_version row;
    struct gdfs_meta_digest held, empty;

    memset(&empty, 0, sizeof(empty));
    /* an older version held is not the one the record claims */
    put_replica("a", 4, 2);
    ck_assert_int_eq(gdfs_store_meta_put(st, 2, &a, NULL), GDFS_OK);
    ck_assert_int_eq(gdfs_store_inv_digest(st, "n1", true, &held), GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&held, &empty), 0);
    put_replica("a", 5, 2);
    ck_assert_int_eq(gdfs_store_inv_digest(st, "n1", true, &held), GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&held, &empty), bucket_bit("a"));
    /* a copy a scrub found damaged is not reported held */
    ck_assert_int_eq(gdfs_store_lookup_exact(st, NAME("a"), &a.version, &row),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_mark_damaged(st, row.id, 1), GDFS_OK);
    ck_assert_int_eq(gdfs_store_inv_digest(st, "n1", true, &held), GDFS_OK);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&held, &empty), 0);
}
END_TEST

START_TEST(test_store_inv_claims_lists_masked_buckets)
{
    static const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    struct inv_seen got, want;
    uint64_t mask = bucket_bit("a") | bucket_bit("e");

    memset(&want, 0, sizeof(want));
    for (unsigned i = 0; i < 8; i++) {
        struct gdfs_meta m = record(names[i], i + 1, 1, false);

        ck_assert_int_eq(gdfs_store_meta_put(st, 1, &m, NULL), GDFS_OK);
        if ((mask & bucket_bit(names[i])) != 0)
            gdfs_inv_digest_add(&want.d, NAME(names[i]), &m.version);
    }
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(gdfs_store_inv_claims(st, "n1", mask, inv_collect, &got),
                     GDFS_OK);
    ck_assert_uint_ge(got.n, 2);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&got.d, &want.d), 0);
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(gdfs_store_inv_claims(st, "n3", mask, inv_collect, &got),
                     GDFS_OK);
    ck_assert_uint_eq(got.n, 0);
}
END_TEST

START_TEST(test_store_inv_copies_pages_through_masked_buckets)
{
    struct inv_seen got, want;
    struct gdfs_store_version row;
    uint64_t mask = ~(uint64_t)0;
    int64_t after = 0;
    bool more = true;
    unsigned pages = 0;
    char name[8];

    /* 20 files, two versions each, committed or not: all 40 copies; one
     * put still being written is not a copy. */
    memset(&want, 0, sizeof(want));
    for (unsigned i = 0; i < 20; i++) {
        struct gdfs_version v1 = {i * 2 + 1, 1}, v2 = {i * 2 + 2, 1};

        snprintf(name, sizeof(name), "f%02u", i);
        put_replica(name, v1.seq, 1);
        put_replica(name, v2.seq, 1);
        gdfs_inv_digest_add(&want.d, NAME(name), &v1);
        gdfs_inv_digest_add(&want.d, NAME(name), &v2);
    }
    {
        struct gdfs_version w = {99, 1};

        ck_assert_int_eq(gdfs_store_put_begin(st, NAME("f00"), 4096, &w, &row),
                         GDFS_OK);
    }
    memset(&got, 0, sizeof(got));
    while (more) {
        unsigned before = got.n;

        ck_assert_int_eq(gdfs_store_inv_copies(st, mask, after, 7, inv_collect,
                                               &got, &after, &more),
                         GDFS_OK);
        ck_assert_uint_le(got.n - before, 7);
        ck_assert_uint_lt(++pages, 20);
    }
    ck_assert_uint_eq(got.n, 40);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&got.d, &want.d), 0);

    /* one bucket: exactly the copies of the files in it */
    mask = bucket_bit("f03");
    memset(&want, 0, sizeof(want));
    for (unsigned i = 0; i < 20; i++) {
        struct gdfs_version v1 = {i * 2 + 1, 1}, v2 = {i * 2 + 2, 1};

        snprintf(name, sizeof(name), "f%02u", i);
        if ((mask & bucket_bit(name)) == 0)
            continue;
        gdfs_inv_digest_add(&want.d, NAME(name), &v1);
        gdfs_inv_digest_add(&want.d, NAME(name), &v2);
    }
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(gdfs_store_inv_copies(st, mask, 0, 1000, inv_collect,
                                           &got, &after, &more),
                     GDFS_OK);
    ck_assert(!more);
    ck_assert_uint_ge(got.n, 2);
    ck_assert_uint_eq(gdfs_meta_digest_diff(&got.d, &want.d), 0);
    /* an empty mask lists nothing */
    memset(&got, 0, sizeof(got));
    ck_assert_int_eq(gdfs_store_inv_copies(st, 0, 0, 1000, inv_collect, &got,
                                           &after, &more),
                     GDFS_OK);
    ck_assert_uint_eq(got.n, 0);
}
END_TEST

/* ---- disk room (room.c) ---------------------------------------------------- */

#define MIB (1ull << 20)

START_TEST(test_store_room_reserve_default_and_set)
{
    /* 5% of the filesystem, 8 MiB..4 GiB, at most a quarter of it */
    ck_assert_uint_eq(gdfs_store_room_reserve(1024 * MIB, -1),
                      1024 * MIB / 20);
    ck_assert_uint_eq(gdfs_store_room_reserve(64 * MIB, -1), 8 * MIB);
    ck_assert_uint_eq(gdfs_store_room_reserve(16 * MIB, -1), 4 * MIB);
    ck_assert_uint_eq(gdfs_store_room_reserve(0, -1), 0);
    ck_assert_uint_eq(gdfs_store_room_reserve(1ull << 50, -1), 4096 * MIB);
    /* set: as it is, even above the filesystem (nothing is placed) */
    ck_assert_uint_eq(gdfs_store_room_reserve(1ull << 50, 0), 0);
    ck_assert_uint_eq(gdfs_store_room_reserve(64 * MIB, 100 * MIB), 100 * MIB);
    ck_assert_uint_eq(gdfs_store_room_reserve(64 * MIB, INT64_MAX),
                      GDFS_CAPACITY_MAX);
}
END_TEST

START_TEST(test_store_room_measure_counts_spare_file)
{
    struct gdfs_capacity c, d;
    char err[512], why[512];

    ck_assert_int_eq(gdfs_store_room_measure(dir, 0, &c, err, sizeof(err)),
                     GDFS_OK);
    ck_assert(c.known);
    ck_assert_uint_gt(c.used, 0); /* the database and its WAL */
    ck_assert_uint_gt(c.free, 0);
    ck_assert_uint_eq(c.reserve, 0);
    ck_assert_int_eq(gdfs_store_spare_make(dir, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_store_spare_make(dir, 0), GDFS_OK); /* there */
    ck_assert_int_eq(gdfs_store_room_measure(dir, 0, &d, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_uint_ge(d.used, c.used + GDFS_STORE_SPARE_BYTES);
    /* given back a piece at a time, then made whole again */
    for (unsigned i = 0; i < GDFS_STORE_SPARE_BYTES / GDFS_STORE_SPARE_PIECE;
         i++)
        ck_assert(gdfs_store_spare_release(dir));
    ck_assert(!gdfs_store_spare_release(dir));
    ck_assert(gdfs_store_spare_make(dir, 0) == GDFS_OK);
    ck_assert(gdfs_store_spare_release(dir));
    ck_assert_int_eq(gdfs_store_spare_make(dir, 0), GDFS_OK);
    ck_assert_int_eq(gdfs_store_room_measure(dir, 0, &d, err, sizeof(err)),
                     GDFS_OK);
    ck_assert_uint_ge(d.used, c.used + GDFS_STORE_SPARE_BYTES);
    while (gdfs_store_spare_release(dir))
        ;
    /* a reserve above what is free: the check and the spare file refuse */
    ck_assert_int_eq(gdfs_store_room_check(dir, 0, 1, "n1", why, sizeof(why)),
                     GDFS_OK);
    ck_assert_int_eq(gdfs_store_room_check(dir, (int64_t)GDFS_CAPACITY_MAX, 1,
                                           "n1", why, sizeof(why)),
                     GDFS_ENOSPC);
    ck_assert_msg(strstr(why, "no space: node n1 has ") == why, "%s", why);
    ck_assert_int_eq(gdfs_store_spare_make(dir, (int64_t)GDFS_CAPACITY_MAX),
                     GDFS_ENOSPC);
    /* a directory that is not there cannot be measured */
    ck_assert_int_eq(gdfs_store_room_measure("/nonexistent-gdfs", -1, &c, err,
                                             sizeof(err)),
                     GDFS_EIO);
    ck_assert(!c.known);
}
END_TEST

/* ---- the record log (reclog.c) ------------------------------------------- */

static struct gdfs_store_log_entry entry(uint64_t index, uint64_t term,
                                         const char *data)
{
    struct gdfs_store_log_entry e = {index, term, data, strlen(data)};

    return e;
}

static struct gdfs_store_log_state log_state(struct gdfs_store *s)
{
    struct gdfs_store_log_state o;

    ck_assert_int_eq(gdfs_store_log_state(s, &o), GDFS_OK);
    return o;
}

START_TEST(test_store_log_appends_reads_and_survives_reopen)
{
    struct gdfs_store_log_entry e[3] = {entry(1, 1, "a"), entry(2, 1, "bb"),
                                        entry(3, 2, "ccc")},
                                out[4];
    struct gdfs_store_log_state o = log_state(st);
    uint8_t buf[16];
    uint64_t term = 0;
    size_t n = 0;

    ck_assert_uint_eq(o.last_index, 0);
    ck_assert_uint_eq(o.applied, 0);
    ck_assert_int_eq(gdfs_store_log_append(st, e, 3), GDFS_OK);
    gdfs_store_close(st);
    st = open_store();
    o = log_state(st);
    ck_assert_uint_eq(o.last_index, 3);
    ck_assert_uint_eq(o.last_term, 2);
    ck_assert_int_eq(gdfs_store_log_term_at(st, 2, &term), GDFS_OK);
    ck_assert_uint_eq(term, 1);
    ck_assert_int_eq(gdfs_store_log_term_at(st, 4, &term), GDFS_ENOENT);
    ck_assert_int_eq(gdfs_store_log_read(st, 1, 1 << 20, buf, sizeof(buf), out,
                                         4, &n),
                     GDFS_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(out[2].index, 3);
    ck_assert_uint_eq(out[2].len, 3);
    ck_assert_int_eq(memcmp(out[2].data, "ccc", 3), 0);
    ck_assert_int_eq(memcmp(out[1].data, "bb", 2), 0);
    /* The byte budget stops before the entry that passes it, but gives
     * one at least. */
    ck_assert_int_eq(gdfs_store_log_read(st, 1, 2, buf, sizeof(buf), out, 4,
                                         &n),
                     GDFS_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(gdfs_store_log_read(st, 3, 1, buf, sizeof(buf), out, 4,
                                         &n),
                     GDFS_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(gdfs_store_log_read(st, 3, 1, buf, 2, out, 4, &n),
                     GDFS_ETOOBIG);
    ck_assert_int_eq(gdfs_store_log_read(st, 4, 100, buf, sizeof(buf), out, 4,
                                         &n),
                     GDFS_OK);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_store_log_refuses_gaps_and_falling_terms)
{
    struct gdfs_store_log_entry a = entry(1, 2, "a"), gap = entry(3, 2, "x"),
                                fall = entry(2, 1, "x"),
                                zero = entry(2, 0, "x");
    struct gdfs_store_log_entry big = {2, 2, NULL, 0};
    static uint8_t huge[GDFS_STORE_LOG_ENTRY_MAX + 1];

    big.data = huge;
    big.len = sizeof(huge);
    ck_assert_int_eq(gdfs_store_log_append(st, &a, 1), GDFS_OK);
    ck_assert_int_eq(gdfs_store_log_append(st, &gap, 1), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_log_append(st, &fall, 1), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_log_append(st, &zero, 1), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_log_append(st, &big, 1), GDFS_EINVAL);
    ck_assert_uint_eq(log_state(st).last_index, 1);
}
END_TEST

START_TEST(test_store_log_apply_commits_the_record_in_order)
{
    struct gdfs_store_log_entry e[2] = {entry(1, 2, "r"), entry(2, 2, "-")};
    struct gdfs_meta m = record("f", 7, 2, false);
    struct gdfs_store_log_apply a1 = {1, 2, &m}, a2 = {2, 2, NULL},
                                a3 = {3, 2, NULL},
                                bad[2] = {{1, 2, &m}, {3, 2, NULL}};
    struct gdfs_store_version v;

    put_replica("f", 7, 2);
    ck_assert_int_eq(gdfs_store_log_append(st, e, 2), GDFS_OK);
    /* Not in order, and not past the last entry; a batch all or none. */
    ck_assert_int_eq(gdfs_store_log_apply(st, &a2, 1, false), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_log_apply(st, bad, 2, false), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_ENOENT);
    ck_assert_uint_eq(log_state(st).applied, 0);
    ck_assert_int_eq(gdfs_store_log_apply(st, &a1, 1, false), GDFS_OK);
    ck_assert_int_eq(gdfs_store_lookup(st, NAME("f"), 0, &v), GDFS_OK);
    ck_assert_uint_eq(v.version.seq, 7);
    ck_assert_int_eq(gdfs_store_log_apply(st, &a2, 1, true), GDFS_OK);
    ck_assert_int_eq(gdfs_store_log_apply(st, &a3, 1, true), GDFS_EINVAL);
    ck_assert_uint_eq(log_state(st).applied, 2);
    /* An applied entry is never removed. */
    ck_assert_int_eq(gdfs_store_log_truncate(st, 2), GDFS_EINVAL);
    ck_assert_uint_eq(log_state(st).last_index, 2);
}
END_TEST

START_TEST(test_store_log_truncates_compacts_and_installs)
{
    struct gdfs_store_log_entry e[4] = {entry(1, 1, "a"), entry(2, 1, "b"),
                                        entry(3, 2, "c"), entry(4, 2, "d")},
                                again = entry(3, 3, "C");
    struct gdfs_store_log_apply a1 = {1, 1, NULL};
    struct gdfs_store_log_state o;
    uint64_t term;

    ck_assert_int_eq(gdfs_store_log_append(st, e, 4), GDFS_OK);
    ck_assert_int_eq(gdfs_store_log_apply(st, &a1, 1, false), GDFS_OK);
    ck_assert_int_eq(gdfs_store_log_truncate(st, 3), GDFS_OK);
    o = log_state(st);
    ck_assert_uint_eq(o.last_index, 2);
    ck_assert_uint_eq(o.last_term, 1);
    ck_assert_int_eq(gdfs_store_log_append(st, &again, 1), GDFS_OK);
    /* Not past the applied index. */
    ck_assert_int_eq(gdfs_store_log_compact(st, 2, 1), GDFS_EINVAL);
    ck_assert_int_eq(gdfs_store_log_compact(st, 1, 1), GDFS_OK);
    o = log_state(st);
    ck_assert_uint_eq(o.snap_index, 1);
    ck_assert_uint_eq(o.last_index, 3);
    ck_assert_int_eq(gdfs_store_log_term_at(st, 1, &term), GDFS_ENOENT);
    /* A snapshot that agrees with entry 2 keeps what follows it... */
    ck_assert_int_eq(gdfs_store_log_install(st, 2, 1, true), GDFS_OK);
    o = log_state(st);
    ck_assert_uint_eq(o.snap_index, 2);
    ck_assert_uint_eq(o.applied, 2);
    ck_assert_uint_eq(o.last_index, 3);
    ck_assert_uint_eq(o.last_term, 3);
    /* ... one that does not drops the log. */
    ck_assert_int_eq(gdfs_store_log_install(st, 9, 4, false), GDFS_OK);
    gdfs_store_close(st);
    st = open_store();
    o = log_state(st);
    ck_assert_uint_eq(o.snap_index, 9);
    ck_assert_uint_eq(o.snap_term, 4);
    ck_assert_uint_eq(o.last_index, 9);
    ck_assert_uint_eq(o.last_term, 4);
    ck_assert_uint_eq(o.applied, 9);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_store_schema_version_set);
    tcase_add_test(tc, test_store_room_reserve_default_and_set);
    tcase_add_test(tc, test_store_room_measure_counts_spare_file);
    tcase_add_test(tc, test_store_refuses_newer_database);
    tcase_add_test(tc, test_store_reopen_keeps_data);
    tcase_add_test(tc, test_store_refuses_non_database);
    tcase_add_test(tc, test_store_check_passes_sound_database);
    tcase_add_test(tc, test_store_check_finds_damaged_page);
    tcase_add_test(tc, test_store_open_of_damaged_header_is_ecorrupt);
    tcase_add_test(tc, test_store_new_files_are_private);
    tcase_add_test(tc, test_store_check_modes_names_open_files);
    tcase_add_test(tc, test_store_no_migrate_checks_only);
    tcase_add_test(tc, test_store_migrates_v1_database);
    tcase_add_test(tc, test_store_init_twice_refused);
    tcase_add_test(tc, test_store_uninitialised_is_enoent);
    tcase_add_test(tc, test_store_versions_increase);
    tcase_add_test(tc, test_store_versions_follow_commit_order);
    tcase_add_test(tc, test_store_unfinished_put_invisible);
    tcase_add_test(tc, test_store_commit_checks_chunk_count);
    tcase_add_test(tc, test_store_abort_drops_chunks);
    tcase_add_test(tc, test_store_read_chunks_back);
    tcase_add_test(tc, test_store_keep_versions);
    tcase_add_test(tc, test_store_remove_tombstone);
    tcase_add_test(tc, test_store_list_pages_in_order);
    tcase_add_test(tc, test_store_names_are_bytes);
    tcase_add_test(tc, test_store_flipped_byte_detected_by_checksum);
    tcase_add_test(tc, test_store_verify_chunk_detects_bad_and_missing);
    tcase_add_test(tc, test_store_replace_chunks_in_one_commit);
    tcase_add_test(tc, test_store_replace_refuses_incomplete_result);
    tcase_add_test(tc,
                   test_store_replace_staging_dropped_by_recover_and_abort);
    tcase_add_test(tc, test_store_replace_of_collected_version_is_enoent);
    tcase_add_test(tc, test_store_term_and_vote_persist);
    tcase_add_test(tc, test_store_member_set_round_trip);
    tcase_add_test(tc, test_store_joining_node_becomes_member);
    tcase_add_test(tc, test_store_joined_node_holds_votes);
    tcase_add_test(tc, test_store_replica_copy_uncommitted_until_record);
    tcase_add_test(tc, test_store_replica_copy_version_later);
    tcase_add_test(tc, test_store_record_before_copy_commits_it);
    tcase_add_test(tc, test_store_record_older_term_refused);
    tcase_add_test(tc, test_store_record_keeps_newest);
    tcase_add_test(tc, test_store_repair_commit_loses_to_newer_version);
    tcase_add_test(tc, test_store_tombstone_record_drops_copies);
    tcase_add_test(tc, test_store_meta_list_pages_and_max_seq);
    tcase_add_test(tc, test_store_probe_reports_versions);
    tcase_add_test(tc, test_store_copies_walk_in_id_order);
    tcase_add_test(tc, test_store_mark_damaged_gone_row);
    tcase_add_test(tc, test_store_meta_digest_matches_records);
    tcase_add_test(tc, test_store_meta_put_many_all_or_none);
    tcase_add_test(tc, test_store_writer_lock_wait_is_bounded);
    tcase_add_test(tc, test_store_snapshot_renew_moves_forward);
    tcase_add_test(tc, test_store_orphan_copies_listed_and_dropped);
    tcase_add_test(tc, test_store_orphan_age_counts_from_completion);
    tcase_add_test(tc, test_store_put_begin_replaces_a_dead_stream);
    tcase_add_test(tc, test_store_inv_digest_counts_claims_and_held_copies);
    tcase_add_test(tc, test_store_inv_digest_skips_damaged_and_other_versions);
    tcase_add_test(tc, test_store_inv_claims_lists_masked_buckets);
    tcase_add_test(tc, test_store_inv_copies_pages_through_masked_buckets);
    tcase_add_test(tc, test_store_log_appends_reads_and_survives_reopen);
    tcase_add_test(tc, test_store_log_refuses_gaps_and_falling_terms);
    tcase_add_test(tc, test_store_log_apply_commits_the_record_in_order);
    tcase_add_test(tc, test_store_log_truncates_compacts_and_installs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
