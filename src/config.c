/* Node configuration: one INI file -> struct gdfs_config (see config.h).
 *
 * This is the only file that includes iniparser.h. Sections:
 *   1. key table and small helpers (errors, strings, name checks)
 *   2. number and HOST:PORT parsers (public, also used by the CLI)
 *   3. data_dir check (mkdir -p 0700, writable, private)
 *   4. values iniparser would cut (a second read of the raw lines)
 *   5. defaults, free, load
 *
 * Not reentrant: iniparser reports syntax errors through one process-wide
 * callback, which gdfs_config_load points at a static buffer for the
 * duration of the load. A node loads its configuration once, at startup,
 * before any thread exists.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "log.h"

#ifndef GDFS_PLUGIN_DIR
#define GDFS_PLUGIN_DIR "/usr/local/lib/gdfs"
#endif

#define NODE_ID_MAX 64
#define PLUGIN_NAME_MAX 32
#define HOST_MAX 256
#define CHUNK_ALIGN 4096u

/* ======================================================================
 * 1. Key table and helpers
 * ====================================================================== */

enum key_kind {
    KEY_STRING,   /* checked by hand in gdfs_config_load */
    KEY_U32,      /* plain number in [min, max] */
    KEY_U32_4K,   /* ... and a multiple of CHUNK_ALIGN */
    KEY_U32_POW2, /* ... and a power of two */
};

struct key_def {
    const char *section;
    const char *key;
    enum key_kind kind;
    uint32_t min;
    uint32_t max;
    uint32_t def;
    size_t off; /* offset of the uint32_t in struct gdfs_config */
};

/* clang-format off */
#define U32(sec, k, kind, lo, hi, dflt)                                     \
    {sec, #k, kind, lo, hi, dflt, offsetof(struct gdfs_config, k)}
#define STR(sec, k) {sec, k, KEY_STRING, 0, 0, 0, 0}
/* clang-format on */

/* Every key of every built-in section. The [<plugin>] section is not here:
 * the plugin checks its own keys. */
static const struct key_def key_defs[] = {
    STR("node", "id"),
    STR("node", "listen"),
    STR("node", "advertise"),
    STR("node", "data_dir"),
    STR("node", "log_level"),
    U32("node", max_clients, KEY_U32, 1, 4096, 256),
    U32("node", max_peers, KEY_U32, 1, 4096, 256),
    U32("node", max_per_source, KEY_U32, 1, 4096, 64),
    U32("node", idle_timeout_ms, KEY_U32, 100, 3600000, 30000),
    STR("transport", "plugin"),
    STR("transport", "plugin_dir"),
    STR("transport", "plugins"),
    U32("transport", dial_timeout_ms, KEY_U32, 10, 600000, 3000),
    U32("transport", io_timeout_ms, KEY_U32, 10, 3600000, 10000),
    U32("files", chunk_size, KEY_U32_4K, 4096, 4194304, 262144),
    U32("files", keep_versions, KEY_U32, 1, 1000, 3),
    U32("files", sync_interval_s, KEY_U32, 1, 86400, 30),
    U32("files", inventory_interval_ms, KEY_U32, 100, 86400000, 60000),
    U32("files", log_keep_entries, KEY_U32, 16, 100000000, 10000),
    U32("files", orphan_age_s, KEY_U32, 1, 31536000, 3600),
    U32("files", repair_delay_ms, KEY_U32, 0, 86400000, 30000),
    U32("files", repair_rate_mib_s, KEY_U32, 0, 1000000, 100),
    U32("files", scrub_rate_mib_s, KEY_U32, 0, 100000, 8),
    U32("files", scrub_interval_s, KEY_U32, 1, 31536000, 86400),
    U32("store", page_size, KEY_U32_POW2, 512, 65536, 4096),
    U32("store", cache_kib, KEY_U32, 64, 1048576, 2048),
    /* Unset: GDFS_CONFIG_RESERVE_AUTO, sized from the filesystem at run
     * time (store.h gdfs_store_room_reserve). */
    U32("store", reserve_mib, KEY_U32, 0, 1048576, GDFS_CONFIG_RESERVE_AUTO),
    U32("group", heartbeat_ms, KEY_U32, 10, 60000, 100),
    U32("group", suspect_ms, KEY_U32, 20, 600000, 600),
    U32("group", election_ms, KEY_U32, 20, 600000, 700),
    U32("group", lease_ms, KEY_U32, 10, 600000, 560),
    U32("group", dead_ms, KEY_U32, 0, 604800000, 3600000),
};

#undef U32
#undef STR

#define NKEY_DEFS (sizeof(key_defs) / sizeof(key_defs[0]))

static const char *const sections[] = {"node", "transport", "files", "store",
                                       "group"};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static bool is_builtin_section(const char *s)
{
    for (size_t i = 0; i < NSECTIONS; i++)
        if (strcmp(s, sections[i]) == 0)
            return true;
    return false;
}

static bool is_known_key(const char *section, const char *key)
{
    for (size_t i = 0; i < NKEY_DEFS; i++)
        if (strcmp(section, key_defs[i].section) == 0 &&
            strcmp(key, key_defs[i].key) == 0)
            return true;
    return false;
}

static int errorf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Format a message into @err (if there is room for one) and return
 * GDFS_ECONFIG, so that error paths read "return errorf(...)". */
static int errorf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return GDFS_ECONFIG;
}

static int nomem(const char *path, char *err, size_t errlen)
{
    errorf(err, errlen, "%s: out of memory", path);
    return GDFS_ENOMEM;
}

/* Replace *@dst (freed) by a copy of @s. GDFS_ENOMEM leaves *@dst as was. */
static int set_str(char **dst, const char *s)
{
    char *copy = strdup(s);

    if (copy == NULL)
        return GDFS_ENOMEM;
    free(*dst);
    *dst = copy;
    return GDFS_OK;
}

static bool is_node_id(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > NODE_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool is_plugin_name(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > PLUGIN_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* ======================================================================
 * 2. Parsers
 * ====================================================================== */

enum num_result { NUM_OK, NUM_SYNTAX, NUM_OVERFLOW };

/* Digits only, base 10, at most UINT32_MAX. strtoul would accept spaces,
 * a sign and (with base 0) "0x"; iniparser_getint would read "042" as
 * octal. Neither is what an operator means. */
static enum num_result parse_digits(const char *s, uint32_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s == '\0')
        return NUM_SYNTAX;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return NUM_SYNTAX;
        if (v <= UINT32_MAX)
            v = v * 10 + (uint64_t)(*p - '0');
    }
    /* Keep scanning after an overflow so that "99999999999x" is a syntax
     * error, not a range error. */
    if (v > UINT32_MAX)
        return NUM_OVERFLOW;
    *out = (uint32_t)v;
    return NUM_OK;
}

int gdfs_config_parse_u32(const char *s, uint32_t min, uint32_t max,
                          uint32_t *out)
{
    uint32_t v;

    if (parse_digits(s, &v) != NUM_OK || v < min || v > max)
        return GDFS_EINVAL;
    *out = v;
    return GDFS_OK;
}

int gdfs_config_parse_hostport(const char *s, char *host, size_t hostlen,
                               uint16_t *port)
{
    const char *h, *colon;
    size_t hlen;
    uint32_t p;

    if (s == NULL || host == NULL || hostlen == 0)
        return GDFS_EINVAL;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return GDFS_EINVAL;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
        if (memchr(h, '[', hlen) != NULL)
            return GDFS_EINVAL;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return GDFS_EINVAL;
        h = s;
        hlen = (size_t)(colon - s);
        /* An unbracketed host with a colon is a bare v6 address: ambiguous
         * ("::1:80"), so it must be written "[::1]:80". */
        if (memchr(h, ':', hlen) != NULL || memchr(h, ']', hlen) != NULL)
            return GDFS_EINVAL;
    }
    if (hlen == 0 || hlen >= hostlen)
        return GDFS_EINVAL;
    for (size_t i = 0; i < hlen; i++)
        if ((unsigned char)h[i] <= ' ' || h[i] == 0x7f || h[i] == '/')
            return GDFS_EINVAL;
    if (gdfs_config_parse_u32(colon + 1, 1, 65535, &p) != GDFS_OK)
        return GDFS_EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return GDFS_OK;
}

int gdfs_config_parse_addr(const char *s, char *scheme, size_t schemelen,
                           char *host, size_t hostlen, uint16_t *port)
{
    const char *sep;
    size_t n;

    if (s == NULL || scheme == NULL || schemelen == 0)
        return GDFS_EINVAL;
    sep = strstr(s, "://");
    if (sep == NULL) {
        scheme[0] = '\0';
        return gdfs_config_parse_hostport(s, host, hostlen, port);
    }
    n = (size_t)(sep - s);
    if (n == 0 || n > PLUGIN_NAME_MAX || n >= schemelen)
        return GDFS_EINVAL;
    memcpy(scheme, s, n);
    scheme[n] = '\0';
    if (!is_plugin_name(scheme) ||
        gdfs_config_parse_hostport(sep + 3, host, hostlen, port) != GDFS_OK) {
        scheme[0] = '\0';
        return GDFS_EINVAL;
    }
    return GDFS_OK;
}

/* ======================================================================
 * 3. data_dir
 * ====================================================================== */

/* mkdir -p @dir with mode 0700. Returns 0 or an errno value. */
static int mkdir_p(const char *dir)
{
    char *p = strdup(dir);
    int e = 0;

    if (p == NULL)
        return ENOMEM;
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            e = errno;
            goto out;
        }
        *s = '/';
    }
    if (mkdir(p, 0700) != 0 && errno != EEXIST)
        e = errno;
out:
    free(p);
    return e;
}

static int check_dir(const char *path, const char *dir, char *err,
                     size_t errlen)
{
    struct stat st;
    int e;

    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return errorf(err, errlen, "%s: [node] data_dir: '%s': %s", path,
                          dir, strerror(errno));
        e = mkdir_p(dir);
        if (e != 0)
            return errorf(err, errlen,
                          "%s: [node] data_dir: cannot create '%s': %s", path,
                          dir, strerror(e));
        if (stat(dir, &st) != 0)
            return errorf(err, errlen, "%s: [node] data_dir: '%s': %s", path,
                          dir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return errorf(err, errlen, "%s: [node] data_dir: '%s': %s", path, dir,
                      strerror(ENOTDIR));
    if (access(dir, W_OK | X_OK) != 0)
        return errorf(err, errlen, "%s: [node] data_dir: '%s': %s", path, dir,
                      strerror(errno));
    /* The database in it holds every file stored on the node. */
    if ((st.st_mode & 077) != 0)
        return errorf(err, errlen,
                      "%s: [node] data_dir: '%s' is open to group or others "
                      "(mode %04o); fix: chmod 700 '%s'",
                      path, dir, (unsigned)(st.st_mode & 07777), dir);
    return GDFS_OK;
}

/* ======================================================================
 * 4. Values iniparser would cut
 * ====================================================================== */

/* iniparser 4.1 splits "key = value" with sscanf and says nothing when it
 * drops part of a value: an unquoted value ends at its first '#' or ';'
 * ("/srv/gdfs#2" reads as "/srv/gdfs"), a quoted one ("..." or '...') at
 * its closing quote whatever follows ('"a" b' reads as "a"), and an
 * opening quote that is never closed is dropped. So the raw lines are
 * read a second time, split as iniparser splits them (leading and
 * trailing blanks stripped, comment lines starting with '#' or ';', a
 * line ending in '\' continued by the next), and a value iniparser would
 * not read whole is refused:
 *   - an unquoted value with '#' or ';' anywhere, a trailing comment
 *     included: "a ;b" may be a value or a value and a comment, and only
 *     the operator knows which;
 *   - a quoted value followed by anything but blanks and a comment;
 *   - an opening quote without its closing one. */

/* The message for @value (@what, at @path:@lineno), which holds @c where
 * iniparser would cut it: how to write it instead. */
static int cut_error(const char *path, unsigned lineno, const char *what,
                     const char *value, char c, char *err, size_t errlen)
{
    char quote = strchr(value, '"') == NULL    ? '"'
                 : strchr(value, '\'') == NULL ? '\''
                                               : '\0';

    if (quote == '\0')
        return errorf(err, errlen,
                      "%s:%u: %s: the value contains '%c', where iniparser "
                      "would cut it, and both kinds of quote, so it cannot "
                      "be quoted either",
                      path, lineno, what, c);
    return errorf(err, errlen,
                  "%s:%u: %s: the value contains '%c', where iniparser would "
                  "cut it; quote the whole value (%c%s%c) or move a comment "
                  "to its own line",
                  path, lineno, what, c, quote, value, quote);
}

/* One logical line (blanks stripped at both ends) in section @sec. */
static int check_line(const char *path, unsigned lineno, char *sec,
                      size_t seclen, const char *line, char *err,
                      size_t errlen)
{
    const char *eq, *v, *p, *close;
    char what[256];
    size_t n;

    if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
        return GDFS_OK;
    n = strlen(line);
    if (line[0] == '[' && line[n - 1] == ']') {
        p = line + 1;
        while (isspace((unsigned char)*p))
            p++;
        n = strcspn(p, "]");
        while (n > 0 && isspace((unsigned char)p[n - 1]))
            n--;
        snprintf(sec, seclen, "%.*s", (int)n, p);
        return GDFS_OK;
    }
    eq = strchr(line, '=');
    if (eq == NULL)
        return GDFS_OK; /* not a value (iniparser refuses such a line) */
    for (p = eq; p > line && isspace((unsigned char)p[-1]); p--)
        ;
    if (sec[0] != '\0')
        snprintf(what, sizeof(what), "[%s] %.*s", sec, (int)(p - line), line);
    else
        snprintf(what, sizeof(what), "%.*s", (int)(p - line), line);
    v = eq + 1;
    while (isspace((unsigned char)*v))
        v++;
    if (*v == '"' || *v == '\'') {
        close = strchr(v + 1, *v);
        if (close == NULL)
            return errorf(err, errlen,
                          "%s:%u: %s: the value opens a quote (%c) that it "
                          "never closes",
                          path, lineno, what, *v);
        for (p = close + 1; isspace((unsigned char)*p); p++)
            ;
        if (*p != '\0' && *p != '#' && *p != ';')
            return errorf(err, errlen,
                          "%s:%u: %s: iniparser would drop '%s' after the "
                          "closing quote; put it inside the quotes or remove "
                          "it",
                          path, lineno, what, p);
        return GDFS_OK;
    }
    p = strpbrk(v, "#;");
    if (p != NULL)
        return cut_error(path, lineno, what, v, *p, err, errlen);
    return GDFS_OK;
}

/* Read @path as iniparser_load does and check every value with
 * check_line. Called after iniparser_load succeeded. */
static int check_cuts(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL, *logical = NULL, sec[128] = "";
    size_t cap = 0, lcap = 0, llen = 0;
    unsigned lineno = 0, start = 0;
    int rc = GDFS_OK;

    if (f == NULL)
        return errorf(err, errlen, "%s: cannot read: %s", path,
                      strerror(errno));
    while (rc == GDFS_OK && getline(&buf, &cap, f) != -1) {
        size_t len = strlen(buf); /* iniparser stops at a NUL too */
        char *p;

        lineno++;
        while (len > 0 && isspace((unsigned char)buf[len - 1]))
            len--;
        if (llen == 0)
            start = lineno;
        if (llen + len + 1 > lcap) {
            size_t want = (llen + len + 1) * 2;
            char *grown = realloc(logical, want);
            if (grown == NULL) {
                rc = nomem(path, err, errlen);
                break;
            }
            logical = grown;
            lcap = want;
        }
        memcpy(logical + llen, buf, len);
        llen += len;
        logical[llen] = '\0';
        if (llen > 0 && logical[llen - 1] == '\\') {
            logical[--llen] = '\0'; /* continued on the next line */
            continue;
        }
        for (p = logical; isspace((unsigned char)*p); p++)
            ;
        rc = check_line(path, start, sec, sizeof(sec), p, err, errlen);
        llen = 0;
    }
    free(buf);
    free(logical);
    fclose(f);
    return rc;
}

/* ======================================================================
 * 5. Defaults, free, load
 * ====================================================================== */

void gdfs_config_defaults(struct gdfs_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = GDFS_LOG_INFO;
    for (size_t i = 0; i < NKEY_DEFS; i++)
        if (key_defs[i].kind != KEY_STRING)
            *(uint32_t *)((char *)cfg + key_defs[i].off) = key_defs[i].def;
    /* On ENOMEM these stay NULL; gdfs_config_load checks. */
    cfg->plugin = strdup("tcp");
    cfg->plugin_dir = strdup(GDFS_PLUGIN_DIR);
}

void gdfs_config_free(struct gdfs_config *cfg)
{
    char **strs[] = {&cfg->path,      &cfg->node_id,  &cfg->listen,
                     &cfg->advertise, &cfg->data_dir, &cfg->plugin,
                     &cfg->plugin_dir};
    size_t n = cfg->nplugin_kv;

    for (size_t e = 0; e < cfg->nextra && e < GDFS_CONFIG_MAX_EXTRA_PLUGINS;
         e++) {
        struct gdfs_config_plugin *x = &cfg->extra[e];
        for (size_t i = 0; i < x->nkv && i < GDFS_CONFIG_MAX_PLUGIN_KEYS;
             i++) {
            free(x->kv[i].key);
            free(x->kv[i].value);
        }
        free(x->name);
        memset(x, 0, sizeof(*x));
    }
    cfg->nextra = 0;
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    if (n > GDFS_CONFIG_MAX_PLUGIN_KEYS)
        n = GDFS_CONFIG_MAX_PLUGIN_KEYS;
    for (size_t i = 0; i < n; i++) {
        free(cfg->plugin_kv[i].key);
        free(cfg->plugin_kv[i].value);
        cfg->plugin_kv[i].key = NULL;
        cfg->plugin_kv[i].value = NULL;
    }
    cfg->nplugin_kv = 0;
}

/* First message iniparser sent to its error callback during this load. */
static char ini_msg[256];

static int capture_ini_error(const char *fmt, ...)
{
    va_list ap;

    if (ini_msg[0] != '\0')
        return 0;
    va_start(ap, fmt);
    vsnprintf(ini_msg, sizeof(ini_msg), fmt, ap);
    va_end(ap);
    return 0;
}

/* "iniparser: syntax error in f (3):\n-> x\n"
 * becomes "syntax error in f (3): -> x". */
static const char *tidy_ini_msg(void)
{
    const char *prefix = "iniparser: ";
    char *m = ini_msg;
    size_t n;

    for (char *p = m; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    n = strlen(m);
    while (n > 0 && m[n - 1] == ' ')
        m[--n] = '\0';
    if (strncmp(m, prefix, strlen(prefix)) == 0)
        m += strlen(prefix);
    return m;
}

/* Value of [@section] @key, or NULL if absent. Points into @d. */
static const char *get(dictionary *d, const char *section, const char *key)
{
    char full[128];

    snprintf(full, sizeof(full), "%s:%s", section, key);
    return iniparser_getstring(d, full, NULL);
}

/* Check that the file can be opened and read before iniparser does, so
 * that the message carries errno (iniparser only says "cannot open").
 * A directory opens fine but reads as an empty file: refuse it. */
static int check_readable(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int e = 0;

    if (fd < 0)
        return errorf(err, errlen, "%s: cannot read: %s", path,
                      strerror(errno));
    if (fstat(fd, &st) != 0)
        e = errno;
    else if (S_ISDIR(st.st_mode))
        e = EISDIR;
    close(fd);
    if (e != 0)
        return errorf(err, errlen, "%s: cannot read: %s", path, strerror(e));
    return GDFS_OK;
}

/* The key/value list for section [@name] if it belongs to a loaded
 * plugin (the configured one or one in plugins), with its count in
 * *@n; else NULL. */
static struct gdfs_config_kv *plugin_section(struct gdfs_config *c,
                                             const char *name, size_t **n)
{
    if (strcmp(name, c->plugin) == 0) {
        *n = &c->nplugin_kv;
        return c->plugin_kv;
    }
    for (size_t i = 0; i < c->nextra; i++)
        if (strcmp(name, c->extra[i].name) == 0) {
            *n = &c->extra[i].nkv;
            return c->extra[i].kv;
        }
    return NULL;
}

/* [transport] plugins: a comma list of plugin names (spaces around the
 * commas allowed), none of them a built-in section, the configured plugin
 * or listed twice. */
static int get_plugins(dictionary *d, const char *path, struct gdfs_config *c,
                       char *err, size_t errlen)
{
    const char *v = get(d, "transport", "plugins");
    const char *p = v;

    if (v == NULL)
        return GDFS_OK;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        char name[PLUGIN_NAME_MAX + 1];

        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 0 || n > PLUGIN_NAME_MAX)
            return errorf(err, errlen,
                          "%s: [transport] plugins: '%s' is not a comma list "
                          "of plugin names (1..%d of a-z 0-9 _)",
                          path, v, PLUGIN_NAME_MAX);
        memcpy(name, p, n);
        name[n] = '\0';
        if (!is_plugin_name(name))
            return errorf(err, errlen,
                          "%s: [transport] plugins: '%s' is not a plugin name "
                          "(1..%d of a-z 0-9 _)",
                          path, name, PLUGIN_NAME_MAX);
        if (is_builtin_section(name))
            return errorf(err, errlen,
                          "%s: [transport] plugins: '%s' is a built-in "
                          "section name",
                          path, name);
        for (size_t i = 0; i < c->nextra; i++)
            if (strcmp(name, c->extra[i].name) == 0)
                return errorf(err, errlen,
                              "%s: [transport] plugins: '%s' is listed twice",
                              path, name);
        if (strcmp(name, c->plugin) != 0) { /* that one is loaded anyway */
            if (c->nextra == GDFS_CONFIG_MAX_EXTRA_PLUGINS)
                return errorf(err, errlen,
                              "%s: [transport] plugins: more than %d plugins "
                              "besides [transport] plugin",
                              path, GDFS_CONFIG_MAX_EXTRA_PLUGINS);
            c->extra[c->nextra].name = strdup(name);
            if (c->extra[c->nextra].name == NULL)
                return nomem(path, err, errlen);
            c->nextra++;
        }
        if (end == NULL)
            return GDFS_OK;
        p = end + 1;
    }
}

/* Walk every dictionary entry in file order. iniparser 4.1 stores a
 * section as an entry "name" with a NULL value and a key as
 * "section:key" with a non-NULL value (keys before any section become
 * ":key"). The public section API matches keys by the prefix "section:",
 * which cannot tell [a] key "b:c" from [a:b] key "c", and does not show
 * keys outside any section at all; so we read the (public) struct. No
 * built-in section, plugin name or accepted key contains ':', which
 * makes the split at the first ':' exact. */
static int check_entries(dictionary *d, const char *path,
                         struct gdfs_config *c, char *err, size_t errlen)
{
    for (ssize_t i = 0; i < d->size; i++) {
        const char *name = d->key[i];
        const char *val = d->val[i];
        const char *colon, *key;
        char sec[PLUGIN_NAME_MAX + 1];
        size_t slen, *nkv;
        struct gdfs_config_kv *kvs;

        if (name == NULL)
            continue;
        if (val == NULL) {
            size_t *dummy;
            if (!is_builtin_section(name) &&
                plugin_section(c, name, &dummy) == NULL)
                return errorf(err, errlen, "%s: unknown section [%s]", path,
                              name);
            continue;
        }
        colon = strchr(name, ':');
        if (colon == NULL) /* not produced by iniparser_load */
            return errorf(err, errlen, "%s: unknown entry '%s'", path, name);
        key = colon + 1;
        slen = (size_t)(colon - name);
        if (slen == 0)
            return errorf(err, errlen, "%s: %s: key outside any section", path,
                          key);
        if (slen >= sizeof(sec))
            return errorf(err, errlen, "%s: unknown section [%.*s]", path,
                          (int)slen, name);
        memcpy(sec, name, slen);
        sec[slen] = '\0';
        if (is_builtin_section(sec)) {
            if (!is_known_key(sec, key))
                return errorf(err, errlen, "%s: [%s] %s: unknown key", path,
                              sec, key);
        } else if ((kvs = plugin_section(c, sec, &nkv)) != NULL) {
            struct gdfs_config_kv *kv;
            if (strchr(key, ':') != NULL)
                return errorf(err, errlen,
                              "%s: [%s] %s: ':' is not allowed in a key", path,
                              sec, key);
            if (*nkv >= GDFS_CONFIG_MAX_PLUGIN_KEYS)
                return errorf(err, errlen, "%s: [%s]: more than %d keys", path,
                              sec, GDFS_CONFIG_MAX_PLUGIN_KEYS);
            kv = &kvs[*nkv];
            kv->key = strdup(key);
            kv->value = strdup(val);
            (*nkv)++; /* counted even if half-copied: free handles */
            if (kv->key == NULL || kv->value == NULL)
                return nomem(path, err, errlen);
        } else {
            return errorf(err, errlen, "%s: unknown section [%s]", path, sec);
        }
    }
    return GDFS_OK;
}

/* A required or optional string key: present values must be non-empty. */
static int get_str(dictionary *d, const char *path, const char *section,
                   const char *key, bool required, const char **out, char *err,
                   size_t errlen)
{
    const char *v = get(d, section, key);

    if (v == NULL && required)
        return errorf(err, errlen, "%s: [%s] %s: required key missing", path,
                      section, key);
    if (v != NULL && v[0] == '\0')
        return errorf(err, errlen, "%s: [%s] %s: must not be empty", path,
                      section, key);
    *out = v;
    return GDFS_OK;
}

static int get_numbers(dictionary *d, const char *path, struct gdfs_config *c,
                       char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEY_DEFS; i++) {
        const struct key_def *k = &key_defs[i];
        const char *v;
        uint32_t n;
        enum num_result r;

        if (k->kind == KEY_STRING)
            continue;
        v = get(d, k->section, k->key);
        if (v == NULL)
            continue; /* default already set */
        r = parse_digits(v, &n);
        if (r == NUM_SYNTAX)
            return errorf(err, errlen,
                          "%s: [%s] %s: '%s' is not a base-10 number", path,
                          k->section, k->key, v);
        if (k->kind == KEY_U32_POW2 &&
            (r != NUM_OK || n < k->min || n > k->max || (n & (n - 1)) != 0))
            return errorf(err, errlen,
                          "%s: [%s] %s: '%s' is not a power of two in %u..%u",
                          path, k->section, k->key, v, k->min, k->max);
        if (r != NUM_OK || n < k->min || n > k->max)
            return errorf(err, errlen, "%s: [%s] %s: '%s' is not in %u..%u",
                          path, k->section, k->key, v, k->min, k->max);
        if (k->kind == KEY_U32_4K && n % CHUNK_ALIGN != 0)
            return errorf(err, errlen,
                          "%s: [%s] %s: '%s' is not a multiple of %u", path,
                          k->section, k->key, v, CHUNK_ALIGN);
        *(uint32_t *)((char *)c + k->off) = n;
    }
    return GDFS_OK;
}

static int check_hostport(const char *path, const char *key, const char *v,
                          char *err, size_t errlen)
{
    char host[HOST_MAX];
    uint16_t port;

    if (gdfs_config_parse_hostport(v, host, sizeof(host), &port) != GDFS_OK)
        return errorf(err, errlen,
                      "%s: [node] %s: expected HOST:PORT, got '%s'", path, key,
                      v);
    return GDFS_OK;
}

/* advertise: HOST:PORT, or <plugin>://HOST:PORT naming a loaded plugin
 * (the configured one or one in plugins). */
static int check_advertise(const char *path, const struct gdfs_config *c,
                           const char *v, char *err, size_t errlen)
{
    char scheme[PLUGIN_NAME_MAX + 1], host[HOST_MAX];
    uint16_t port;
    bool loaded;

    if (gdfs_config_parse_addr(v, scheme, sizeof(scheme), host, sizeof(host),
                               &port) != GDFS_OK)
        return errorf(err, errlen,
                      "%s: [node] advertise: expected HOST:PORT, got '%s' "
                      "(or PLUGIN://HOST:PORT)",
                      path, v);
    loaded = scheme[0] == '\0' || strcmp(scheme, c->plugin) == 0;
    for (size_t i = 0; i < c->nextra && !loaded; i++)
        loaded = strcmp(scheme, c->extra[i].name) == 0;
    if (!loaded)
        return errorf(err, errlen,
                      "%s: [node] advertise: '%s' names transport '%s', "
                      "which is neither [transport] plugin nor listed in "
                      "plugins",
                      path, v, scheme);
    return GDFS_OK;
}

/* Everything after iniparser_load: fill @c from @d. */
static int load_dict(dictionary *d, const char *path, struct gdfs_config *c,
                     int check_data_dir, char *err, size_t errlen)
{
    const char *id, *listen, *advertise, *data_dir, *level, *plugin;
    const char *plugin_dir;
    int rc, lvl;

    /* The plugin name decides which extra section is allowed, so it comes
     * first. */
    rc = get_str(d, path, "transport", "plugin", false, &plugin, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    if (plugin != NULL) {
        if (!is_plugin_name(plugin))
            return errorf(err, errlen,
                          "%s: [transport] plugin: '%s' is not a plugin name "
                          "(1..%d of a-z 0-9 _)",
                          path, plugin, PLUGIN_NAME_MAX);
        if (is_builtin_section(plugin))
            return errorf(err, errlen,
                          "%s: [transport] plugin: '%s' is a built-in section "
                          "name",
                          path, plugin);
        if (set_str(&c->plugin, plugin) != GDFS_OK)
            return nomem(path, err, errlen);
    }
    rc = get_plugins(d, path, c, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    rc = check_entries(d, path, c, err, errlen);
    if (rc != GDFS_OK)
        return rc;

    /* [node] */
    rc = get_str(d, path, "node", "id", true, &id, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    if (!is_node_id(id))
        return errorf(err, errlen,
                      "%s: [node] id: '%s' is not a node id "
                      "(1..%d of A-Z a-z 0-9 . _ -)",
                      path, id, NODE_ID_MAX);
    rc = get_str(d, path, "node", "listen", true, &listen, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    rc = check_hostport(path, "listen", listen, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    rc = get_str(d, path, "node", "advertise", false, &advertise, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    if (advertise == NULL)
        advertise = listen;
    rc = check_advertise(path, c, advertise, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    rc = get_str(d, path, "node", "data_dir", true, &data_dir, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    level = get(d, "node", "log_level");
    if (level != NULL) {
        lvl = gdfs_log_level_parse(level);
        if (lvl < 0)
            return errorf(err, errlen,
                          "%s: [node] log_level: '%s' is not one of debug, "
                          "info, notice, warn, error",
                          path, level);
        c->log_level = lvl;
    }

    /* [transport] */
    rc = get_str(d, path, "transport", "plugin_dir", false, &plugin_dir, err,
                 errlen);
    if (rc != GDFS_OK)
        return rc;

    /* numbers in all sections */
    rc = get_numbers(d, path, c, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    /* [group] timing: the rules that make leases and detection sound. */
    if (c->suspect_ms < 2 * c->heartbeat_ms)
        return errorf(err, errlen,
                      "%s: [group] suspect_ms: %u is less than two "
                      "heartbeats (heartbeat_ms = %u)",
                      path, c->suspect_ms, c->heartbeat_ms);
    if (c->election_ms < 2 * c->heartbeat_ms)
        return errorf(err, errlen,
                      "%s: [group] election_ms: %u is less than two "
                      "heartbeats (heartbeat_ms = %u)",
                      path, c->election_ms, c->heartbeat_ms);
    if (c->lease_ms >= c->election_ms)
        return errorf(err, errlen,
                      "%s: [group] lease_ms: %u must be less than "
                      "election_ms (%u): a lease outliving the election "
                      "timeout would allow two leaders to accept writes",
                      path, c->lease_ms, c->election_ms);

    if (set_str(&c->node_id, id) != GDFS_OK ||
        set_str(&c->listen, listen) != GDFS_OK ||
        set_str(&c->advertise, advertise) != GDFS_OK ||
        set_str(&c->data_dir, data_dir) != GDFS_OK ||
        (plugin_dir != NULL && set_str(&c->plugin_dir, plugin_dir) != GDFS_OK))
        return nomem(path, err, errlen);

    if (check_data_dir)
        return check_dir(path, c->data_dir, err, errlen);
    return GDFS_OK;
}

int gdfs_config_load(const char *path, struct gdfs_config *cfg,
                     int check_data_dir, char *err, size_t errlen)
{
    struct gdfs_config c;
    dictionary *d;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    rc = check_readable(path, err, errlen);
    if (rc != GDFS_OK)
        return rc;

    gdfs_config_defaults(&c);
    if (c.plugin == NULL || c.plugin_dir == NULL ||
        set_str(&c.path, path) != GDFS_OK) {
        rc = nomem(path, err, errlen);
        goto fail;
    }

    ini_msg[0] = '\0';
    iniparser_set_error_callback(capture_ini_error);
    d = iniparser_load(path);
    iniparser_set_error_callback(NULL); /* back to iniparser's default */
    if (d == NULL) {
        if (ini_msg[0] != '\0')
            rc = errorf(err, errlen, "%s: cannot parse INI file (%s)", path,
                        tidy_ini_msg());
        else
            rc = errorf(err, errlen, "%s: cannot parse INI file", path);
        goto fail;
    }
    /* Before load_dict: a cut value would otherwise meet its checks as
     * if whole ("listen = h:70#01" is "expected HOST:PORT, got 'h:70'"). */
    rc = check_cuts(path, err, errlen);
    if (rc == GDFS_OK)
        rc = load_dict(d, path, &c, check_data_dir, err, errlen);
    iniparser_freedict(d);
    if (rc != GDFS_OK)
        goto fail;
    *cfg = c;
    return GDFS_OK;

fail:
    gdfs_config_free(&c);
    return rc;
}
