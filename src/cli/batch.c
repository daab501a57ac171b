/* gdfs-cli batch transfers: put -r LOCALDIR PREFIX, get -r PREFIX
 * LOCALDIR, and put/get --batch FILE (lines "LOCAL<TAB>NAME" for put,
 * "NAME<TAB>LOCAL" for get; FILE - reads stdin).
 *
 * The job list is built first (a directory walk, the lines of FILE, or the
 * names ls returns that start with PREFIX); then -p N worker threads take
 * jobs in turn, each over its own connection to the node, kept open from
 * one file to the next (and opened again after a failure, which may leave
 * it out of step). With N transfers in flight, the fsyncs one put waits
 * for overlap the others' work. One output line per file as it finishes
 * (a JSON object with -j), failures on stderr naming the file and the
 * reason, and a summary line; a failed file does not stop the others.
 *
 * Sections: jobs, building the list, path checks, workers, the command. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "clock.h"
#include "net.h"

#define LIST_PAGE 1000

/* ---- jobs ---------------------------------------------------------------- */

struct job {
    char *local;
    char *name;
    char *error; /* set while building: fails without a transfer */
};

struct batch {
    struct cli *tmpl; /* address, transport, timeouts, output mode */
    bool put;
    struct job *jobs;
    size_t n, cap;
    pthread_mutex_t mu; /* the members below and stdout/stderr */
    size_t next;        /* next job to take */
    size_t ok, failed;
    uint64_t bytes;
};

/* Add a job (copies of the strings; @error may be NULL). -1 out of
 * memory. */
static int add_job(struct batch *b, const char *local, const char *name,
                   const char *error)
{
    struct job *j;

    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        struct job *nj = realloc(b->jobs, cap * sizeof(*nj));

        if (nj == NULL)
            return -1;
        b->jobs = nj;
        b->cap = cap;
    }
    j = &b->jobs[b->n];
    j->local = strdup(local);
    j->name = strdup(name);
    j->error = error ? strdup(error) : NULL;
    if (j->local == NULL || j->name == NULL || (error && j->error == NULL)) {
        free(j->local);
        free(j->name);
        free(j->error);
        return -1;
    }
    b->n++;
    return 0;
}

static void free_jobs(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->jobs[i].local);
        free(b->jobs[i].name);
        free(b->jobs[i].error);
    }
    free(b->jobs);
}

/* @a + @b in a new string (NULL: out of memory). */
static char *concat(const char *a, const char *sep, const char *b)
{
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    char *s = malloc(la + ls + lb + 1);

    if (s != NULL) {
        memcpy(s, a, la);
        memcpy(s + la, sep, ls);
        memcpy(s + la + ls, b, lb + 1);
    }
    return s;
}

/* ---- building the list --------------------------------------------------- */

/* nftw passes no context: the walk in progress (one at a time). */
static struct {
    struct batch *b;
    const char *prefix;
    size_t rootlen;
    int oom;
} walk;

static int walk_one(const char *path, const struct stat *sb, int type,
                    struct FTW *ftw)
{
    const char *rel = path + walk.rootlen;
    char *name;
    int rc;

    (void)sb;
    (void)ftw;
    while (*rel == '/')
        rel++;
    if (type == FTW_DNR || type == FTW_NS) {
        char why[128];

        snprintf(why, sizeof(why), "cannot read it: %s", strerror(errno));
        if (add_job(walk.b, path, "", why) != 0)
            return walk.oom = 1;
        return 0;
    }
    if (type != FTW_F || !S_ISREG(sb->st_mode))
        return 0; /* directories, symlinks, devices... */
    if ((name = concat(walk.prefix, "", rel)) == NULL)
        return walk.oom = 1;
    rc = add_job(walk.b, path, name, NULL);
    free(name);
    if (rc != 0)
        return walk.oom = 1;
    return 0;
}

static int list_tree(struct batch *b, const char *root, const char *prefix)
{
    struct stat sb;
    size_t len = strlen(root);

    if (stat(root, &sb) != 0)
        return cli_fail(GDFS_EINVAL, "put -r: %s: %s", root, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return cli_fail(GDFS_EINVAL, "put -r: %s is not a directory", root);
    while (len > 1 && root[len - 1] == '/')
        len--;
    walk.b = b;
    walk.prefix = prefix;
    walk.rootlen = len;
    walk.oom = 0;
    if (nftw(root, walk_one, 32, FTW_PHYS) != 0 && !walk.oom)
        return cli_fail(GDFS_EIO, "put -r: walking %s: %s", root,
                        strerror(errno));
    if (walk.oom)
        return cli_fail(GDFS_ENOMEM, "put -r: the file list");
    return 0;
}

/* Lines of @path ("-" = stdin): put "LOCAL<TAB>NAME" (split at the last
 * tab: names hold none), get "NAME<TAB>LOCAL" (split at the first). Empty
 * lines are skipped; a line without a tab becomes a failed job. */
static int list_lines(struct batch *b, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    int status = 0;

    if (f == NULL)
        return cli_fail(GDFS_EINVAL, "--batch: cannot open %s: %s", path,
                        strerror(errno));
    while ((len = getline(&line, &cap, f)) >= 0) {
        char *tab, where[64];
        int rc;

        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0)
            continue;
        tab = b->put ? strrchr(line, '\t') : strchr(line, '\t');
        if (tab == NULL) {
            snprintf(where, sizeof(where), "%s line %u",
                     f == stdin ? "stdin" : path, lineno);
            rc = add_job(b, where, "",
                         b->put ? "expected LOCAL<TAB>NAME"
                                : "expected NAME<TAB>LOCAL");
        } else {
            *tab = '\0';
            rc = b->put ? add_job(b, line, tab + 1, NULL)
                        : add_job(b, tab + 1, line, NULL);
        }
        if (rc != 0) {
            status = cli_fail(GDFS_ENOMEM, "--batch: the file list");
            break;
        }
    }
    if (status == 0 && ferror(f))
        status = cli_fail(GDFS_EIO, "--batch: reading %s", path);
    free(line);
    if (f != stdin)
        fclose(f);
    return status;
}

/* ---- path checks --------------------------------------------------------- */

/* NULL if @rel (a name less the prefix) maps to a path inside LOCALDIR
 * one to one, else why not: no "..", ".", or empty components. */
static const char *rel_problem(const char *rel)
{
    const char *p = rel;

    if (*rel == '\0')
        return "the name is the prefix itself, which leaves no local file "
               "name";
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);

        if (n == 2 && p[0] == '.' && p[1] == '.')
            return "a '..' component would write outside LOCALDIR";
        if (n == 1 && p[0] == '.')
            return "a '.' component has no local file of its own";
        if (n == 0)
            return "an empty path component ('/' at the start or end, or "
                   "'//')";
        if (slash == NULL)
            return NULL;
        p = slash + 1;
    }
}

/* Names from ls starting with @prefix, each to LOCALDIR/(name - prefix). */
static int list_prefix(struct batch *b, struct cli *c, const char *prefix,
                       const char *root)
{
    size_t plen = strlen(prefix);
    uint8_t after[GDFS_NAME_MAX];
    size_t afterlen = plen < sizeof(after) ? plen : sizeof(after);
    bool more = true;
    int rc;

    /* Names sort bytewise: those starting with @prefix follow it. */
    memcpy(after, prefix, afterlen);
    while (more) {
        struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_LIST}, r;
        struct gdfs_list_entry e;
        size_t off = 0;

        m.u.list.scope = GDFS_LIST_ALL;
        m.u.list.max = LIST_PAGE;
        m.u.list.after.p = after;
        m.u.list.after.len = afterlen;
        if ((rc = cli_call(c, &m, &r, "get -r: ls")) != 0)
            return rc;
        if (r.type != GDFS_MSG_NDTOCL_LIST)
            return cli_fail(GDFS_EPROTO, "get -r: ls: unexpected reply");
        more = r.u.list_reply.more && r.u.list_reply.body.count > 0;
        while (gdfs_proto_next_list(&r.u.list_reply.body, &off, &e)) {
            char name[GDFS_NAME_MAX + 1], *local;
            const char *why;

            if (e.name.len < plen || memcmp(e.name.p, prefix, plen) != 0) {
                more = false; /* past the names with this prefix */
                break;
            }
            memcpy(name, e.name.p, e.name.len);
            name[e.name.len] = '\0';
            memcpy(after, e.name.p, e.name.len);
            afterlen = e.name.len;
            why = rel_problem(name + plen);
            if ((local = concat(root, "/", name + plen)) == NULL ||
                add_job(b, local, name, why) != 0) {
                free(local);
                return cli_fail(GDFS_ENOMEM, "get -r: the file list");
            }
            free(local);
        }
    }
    return 0;
}

/* Create the directories of @path below its first @keep bytes (LOCALDIR,
 * which exists). A component that exists but is not a directory (a
 * symlink, say) is refused: it could lead outside LOCALDIR. */
static int make_parents(const char *path, size_t keep, char *why,
                        size_t whylen)
{
    char dir[4096];
    size_t len = strlen(path);

    if (len >= sizeof(dir)) {
        snprintf(why, whylen, "local path too long");
        return -1;
    }
    memcpy(dir, path, len + 1);
    for (char *p = dir + keep + 1; (p = strchr(p, '/')) != NULL; p++) {
        struct stat sb;

        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            snprintf(why, whylen, "mkdir %s: %s", dir, strerror(errno));
            return -1;
        }
        if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            snprintf(why, whylen, "%s is not a directory", dir);
            return -1;
        }
        *p = '/';
    }
    return 0;
}

/* ---- workers ------------------------------------------------------------- */

static void report(struct batch *b, const struct job *j, int status,
                   const struct cli_done *done, const char *why)
{
    const char *op = b->put ? "put" : "get";
    const char *from = b->put ? j->local : j->name;
    const char *to = b->put ? j->name : j->local;

    pthread_mutex_lock(&b->mu);
    if (status == 0) {
        b->ok++;
        b->bytes += done->size;
    } else {
        b->failed++;
        if (j->name[0] == '\0') /* a bad line, an unreadable directory */
            fprintf(stderr, "gdfs-cli: %s: %s: %s\n", op, j->local,
                    why[0] ? why : "failed");
        else
            fprintf(stderr, "gdfs-cli: %s %s -> %s: %s\n", op, from, to,
                    why[0] ? why : "failed");
    }
    if (b->tmpl->json) {
        printf("{\"op\": \"%s\", \"local\": ", op);
        output_json_string(stdout, (const uint8_t *)j->local,
                           strlen(j->local));
        printf(", \"name\": ");
        output_json_string(stdout, (const uint8_t *)j->name, strlen(j->name));
        if (status == 0) {
            printf(", \"ok\": true, \"version\": %llu, \"size\": %llu}\n",
                   (unsigned long long)done->version,
                   (unsigned long long)done->size);
        } else {
            printf(", \"ok\": false, \"error\": ");
            output_json_string(stdout, (const uint8_t *)why, strlen(why));
            printf("}\n");
        }
    } else if (status == 0) {
        printf("%s %s -> %s: version %llu, %llu bytes\n", op, from, to,
               (unsigned long long)done->version,
               (unsigned long long)done->size);
    }
    pthread_mutex_unlock(&b->mu);
}

/* One job over @c; 0 or an exit status with @why filled. */
static int run_job(struct batch *b, struct cli *c, const struct job *j,
                   struct cli_done *done, char *why, size_t whylen)
{
    const char *bad;

    if (j->error != NULL) {
        snprintf(why, whylen, "%s", j->error);
        return CLI_EXIT_FAIL;
    }
    if ((bad = cli_name_problem(j->name)) != NULL) {
        snprintf(why, whylen, "%s", bad);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(j->local, "-") == 0) {
        snprintf(why, whylen,
                 "LOCAL '-' (stdin/stdout) is not allowed in "
                 "a batch");
        return CLI_EXIT_USAGE;
    }
    if (b->put)
        return cli_put_file(c, j->local, j->name, done);
    return cli_get_file(c, j->name, j->local, done);
}

struct worker {
    struct batch *b;
    size_t rootlen; /* get -r: LOCALDIR's length in each local path */
    pthread_t thread;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct batch *b = w->b;
    struct cli c = *b->tmpl;
    char why[2048];

    c.connected = false;
    c.progress = false;
    c.reqid = 0;
    c.in = malloc(c.incap);
    c.out = malloc(c.outcap);
    cli_capture(why, sizeof(why));
    for (;;) {
        struct cli_done done = {0, 0};
        struct job *j;
        int status;

        pthread_mutex_lock(&b->mu);
        j = b->next < b->n ? &b->jobs[b->next++] : NULL;
        pthread_mutex_unlock(&b->mu);
        if (j == NULL)
            break;
        why[0] = '\0';
        if (c.in == NULL || c.out == NULL) {
            snprintf(why, sizeof(why), "out of memory");
            status = CLI_EXIT_FAIL;
        } else if (!b->put && w->rootlen > 0 && j->error == NULL &&
                   make_parents(j->local, w->rootlen, why, sizeof(why)) != 0) {
            status = CLI_EXIT_FAIL;
        } else {
            status = run_job(b, &c, j, &done, why, sizeof(why));
        }
        if (status != 0 && c.connected) {
            gdfs_conn_close(&c.conn);
            c.connected = false;
        }
        report(b, j, status, &done, why);
    }
    cli_capture(NULL, 0);
    if (c.connected)
        gdfs_conn_close(&c.conn);
    free(c.in);
    free(c.out);
    return NULL;
}

/* ---- the command --------------------------------------------------------- */

/* mkdir -p @dir (symlinks on the way are the user's choice here). */
static int make_root(char *dir)
{
    struct stat sb;

    for (char *p = dir + 1;; p++) {
        char c = *p;

        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            int e = errno;

            *p = c;
            return cli_fail(GDFS_EIO, "get -r: mkdir %s: %s", dir,
                            strerror(e));
        }
        *p = c;
        if (c == '\0')
            break;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return cli_fail(GDFS_EINVAL, "get -r: %s is not a directory", dir);
    return 0;
}

int cli_batch(struct cli *c, bool put, char **args)
{
    struct batch b = {.tmpl = c, .put = put};
    struct worker *ws = NULL;
    unsigned nw = 0;
    size_t rootlen = 0;
    uint64_t t0 = gdfs_clock_ms();
    int status;

    pthread_mutex_init(&b.mu, NULL);
    if (c->batch != NULL) {
        status = list_lines(&b, c->batch);
    } else if (put) {
        if (strlen(args[1]) > GDFS_NAME_MAX)
            status = cli_fail(GDFS_ENAME,
                              "put -r: prefix %.40s... is "
                              "longer than a name may be",
                              args[1]);
        else
            status = list_tree(&b, args[0], args[1]);
    } else {
        rootlen = strlen(args[1]);
        while (rootlen > 1 && args[1][rootlen - 1] == '/')
            rootlen--;
        args[1][rootlen] = '\0';
        status = make_root(args[1]);
        if (status == 0)
            status = list_prefix(&b, c, args[0], args[1]);
        if (c->connected) { /* the workers open their own */
            gdfs_conn_close(&c->conn);
            c->connected = false;
        }
    }
    if (status == 0 && b.n > 0) {
        nw = c->parallel < b.n ? c->parallel : (unsigned)b.n;
        if ((ws = calloc(nw, sizeof(*ws))) == NULL)
            status = cli_fail(GDFS_ENOMEM, "workers");
    }
    for (unsigned i = 0; status == 0 && i < nw; i++) {
        ws[i].b = &b;
        ws[i].rootlen = rootlen;
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            status = cli_fail(GDFS_ENOMEM, "starting worker %u", i + 1);
            nw = i;
        }
    }
    for (unsigned i = 0; i < nw; i++)
        pthread_join(ws[i].thread, NULL);
    if (status == 0) {
        double secs = (double)(gdfs_clock_ms() - t0) / 1e3;

        if (c->json)
            printf("{\"summary\": \"%s\", \"files\": %zu, \"ok\": %zu, "
                   "\"failed\": %zu, \"bytes\": %llu, \"seconds\": %.3f}\n",
                   put ? "put" : "get", b.n, b.ok, b.failed,
                   (unsigned long long)b.bytes, secs);
        else
            printf("%s: %zu files, %zu ok, %zu failed, %llu bytes in %.3f "
                   "s\n",
                   put ? "put" : "get", b.n, b.ok, b.failed,
                   (unsigned long long)b.bytes, secs);
        status = b.failed > 0 ? CLI_EXIT_FAIL : 0;
    }
    free(ws);
    free_jobs(&b);
    pthread_mutex_destroy(&b.mu);
    return status;
}
