/* The ssh plugin's [ssh] INI section -> struct ssh_conf, and node
 * address -> sshd (see ssh_int.h and the key list in ssh.c). Pure except
 * for ssh_conf_defaults (password database, $HOME) and ssh_conf_check
 * (reads files, asks libssh2). */
#include "ssh_int.h"

#include "../common/sock.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- defaults ------------------------------------------------------------ */

static const char *home_dir(const char *home)
{
    const char *h = home;
    struct passwd *pw;

    if (h == NULL)
        h = getenv("HOME");
    if ((h == NULL || *h == '\0') && (pw = getpwuid(geteuid())) != NULL)
        h = pw->pw_dir;
    return h != NULL && *h != '\0' ? h : "/";
}

void ssh_conf_defaults(struct ssh_conf *cf, const char *user, const char *home)
{
    const char *h = home_dir(home);

    memset(cf, 0, sizeof(*cf));
    if (user == NULL) {
        struct passwd *pw = getpwuid(geteuid());
        user = pw != NULL ? pw->pw_name : getenv("USER");
    }
    snprintf(cf->user, sizeof(cf->user), "%s", user != NULL ? user : "root");
    snprintf(cf->identity, sizeof(cf->identity), "%s/.ssh/id_ed25519", h);
    snprintf(cf->known_hosts, sizeof(cf->known_hosts), "%s/.ssh/known_hosts",
             h);
    cf->port = 22;
    cf->keepalive_s = 30;
    cf->max_sessions = 4;
}

/* ---- value parsers ------------------------------------------------------- */

/* Base 10, digits only, in [lo, hi]. */
static int parse_int(const char *s, int lo, int hi, int *out)
{
    long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > hi)
            return -1;
    }
    if (v < lo)
        return -1;
    *out = (int)v;
    return 0;
}

static bool printable_word(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

/* A host name or address as it may appear in a node address: letters,
 * digits, '.', '-', '_' (and ':' for IPv6 when @v6). */
static bool host_chars(const char *s, size_t n, bool v6)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' ||
              (v6 && c == ':')))
            return false;
    }
    return true;
}

int ssh_split_hostport(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *h, *p;
    size_t n;
    bool v6;

    if (sock_split_addr(addr, &h, &n, &p, &v6) != 0 || n >= hostlen ||
        !host_chars(h, n, v6) || parse_int(p, 1, 65535, port) != 0)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    return 0;
}

/* "host", "host:port", "[v6]" or "[v6]:port". */
static int parse_ssh_endpoint(const char *v, char *host, size_t hostlen,
                              int *port)
{
    const char *colon;

    *port = 0;
    if (v[0] == '[') {
        const char *end = strchr(v, ']');
        size_t n;
        if (end == NULL)
            return -1;
        n = (size_t)(end - v - 1);
        if (n >= hostlen || !host_chars(v + 1, n, true))
            return -1;
        if (end[1] == ':') {
            if (parse_int(end + 2, 1, 65535, port) != 0)
                return -1;
        } else if (end[1] != '\0') {
            return -1;
        }
        memcpy(host, v + 1, n);
        host[n] = '\0';
        return 0;
    }
    colon = strchr(v, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL)
        return -1; /* a bare IPv6 address: ambiguous, must be "[...]" */
    if (colon == NULL)
        return host_chars(v, strlen(v), false) && strlen(v) < hostlen
                   ? (snprintf(host, hostlen, "%s", v), 0)
                   : -1;
    if ((size_t)(colon - v) >= hostlen ||
        !host_chars(v, (size_t)(colon - v), false) ||
        parse_int(colon + 1, 1, 65535, port) != 0)
        return -1;
    memcpy(host, v, (size_t)(colon - v));
    host[colon - v] = '\0';
    return 0;
}

/* Comma list of method names: [a-z0-9@.+_-] separated by single commas. */
static bool method_list(const char *s)
{
    bool need = true;

    for (; *s; s++) {
        char c = *s;
        if (c == ',') {
            if (need)
                return false;
            need = true;
        } else if (islower((unsigned char)c) || isdigit((unsigned char)c) ||
                   c == '@' || c == '.' || c == '-' || c == '_' || c == '+') {
            need = false;
        } else {
            return false;
        }
    }
    return !need;
}

/* Copy @v into @dst (@dstlen), expanding a leading "~/". */
static int set_path(char *dst, size_t dstlen, const char *v, const char *home)
{
    int n;

    if (*v == '\0')
        return -1;
    if (v[0] == '~' && v[1] == '/')
        n = snprintf(dst, dstlen, "%s%s", home_dir(home), v + 1);
    else
        n = snprintf(dst, dstlen, "%s", v);
    return n < 0 || (size_t)n >= dstlen ? -1 : 0;
}

/* ---- the section --------------------------------------------------------- */

#define HOST_PREFIX "host."

int ssh_conf_apply(struct ssh_conf *cf, size_t n, const char *const *keys,
                   const char *const *values, const char *home, char *err,
                   size_t errlen)
{
    bool have_identity = false;

    for (size_t i = 0; i < n; i++) {
        const char *k = keys[i], *v = values[i];
        const char *expect = NULL; /* set when the value is bad */

        if (strcmp(k, "user") == 0) {
            if (!printable_word(v) || strlen(v) >= sizeof(cf->user))
                expect = "a user name";
            else
                snprintf(cf->user, sizeof(cf->user), "%s", v);
        } else if (strcmp(k, "identity") == 0 ||
                   strcmp(k, "identity_file") == 0) {
            if (have_identity) {
                snprintf(err, errlen,
                         "[ssh] %s: identity is already set (identity and "
                         "identity_file are the same key: give one)",
                         k);
                return GDFS_ECONFIG;
            }
            have_identity = true;
            if (set_path(cf->identity, sizeof(cf->identity), v, home) != 0)
                expect = "a private key file";
        } else if (strcmp(k, "known_hosts") == 0) {
            if (set_path(cf->known_hosts, sizeof(cf->known_hosts), v, home) !=
                0)
                expect = "a known_hosts file";
        } else if (strcmp(k, "port") == 0) {
            if (parse_int(v, 1, 65535, &cf->port) != 0)
                expect = "1..65535";
        } else if (strcmp(k, "ciphers") == 0 || strcmp(k, "macs") == 0) {
            char *dst = k[0] == 'c' ? cf->ciphers : cf->macs;
            if (!method_list(v) || strlen(v) >= SSH_METHODS_MAX)
                expect = "a comma list of method names, e.g. "
                         "aes128-ctr,aes256-ctr";
            else
                snprintf(dst, SSH_METHODS_MAX, "%s", v);
        } else if (strcmp(k, "keepalive_s") == 0) {
            if (parse_int(v, 0, 3600, &cf->keepalive_s) != 0)
                expect = "0..3600 seconds, 0 = off";
        } else if (strcmp(k, "max_sessions") == 0) {
            if (parse_int(v, 1, 64, &cf->max_sessions) != 0)
                expect = "1..64";
        } else if (strncmp(k, HOST_PREFIX, strlen(HOST_PREFIX)) == 0) {
            const char *nh = k + strlen(HOST_PREFIX);
            struct ssh_hostmap *m;

            if (!host_chars(nh, strlen(nh), false) ||
                strlen(nh) >= SSH_HOST_MAX) {
                snprintf(err, errlen,
                         "[ssh] %s: '%s' is not a host name or IPv4 address "
                         "(form: host.<node host> = <ssh host>[:<port>])",
                         k, nh);
                return GDFS_ECONFIG;
            }
            if (cf->nhosts == SSH_HOSTMAP_MAX) {
                snprintf(err, errlen, "[ssh] %s: more than %d host.* keys", k,
                         SSH_HOSTMAP_MAX);
                return GDFS_ECONFIG;
            }
            m = &cf->hosts[cf->nhosts];
            snprintf(m->node_host, sizeof(m->node_host), "%s", nh);
            if (parse_ssh_endpoint(v, m->ssh_host, sizeof(m->ssh_host),
                                   &m->ssh_port) != 0)
                expect = "<ssh host>[:<port>] ([v6]:port for IPv6)";
            else
                cf->nhosts++;
        } else {
            snprintf(err, errlen, "[ssh] %s: unknown key", k);
            return GDFS_ECONFIG;
        }
        if (expect != NULL) {
            snprintf(err, errlen, "[ssh] %s: bad value '%s' (expected %s)", k,
                     v, expect);
            return GDFS_ECONFIG;
        }
    }
    return GDFS_OK;
}

int ssh_conf_check_identity(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int e = 0;

    if (fd < 0 || fstat(fd, &st) != 0)
        e = errno;
    if (fd >= 0)
        close(fd);
    if (e != 0) {
        snprintf(err, errlen, "[ssh] identity: cannot read '%s': %s", path,
                 strerror(e));
        return GDFS_ECONFIG;
    }
    /* ssh's own rule (sshkey_perm_ok), without its exception for a key
     * owned by another user: a key others may read is no secret. */
    if ((st.st_mode & 077) != 0) {
        snprintf(err, errlen,
                 "[ssh] identity: UNPROTECTED PRIVATE KEY FILE '%s' (mode "
                 "%04o, open to group or others); fix: chmod 600 '%s'",
                 path, (unsigned)(st.st_mode & 07777), path);
        return GDFS_ECONFIG;
    }
    return GDFS_OK;
}

static int check_readable(const char *key, const char *path, char *err,
                          size_t errlen)
{
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "[ssh] %s: cannot read '%s': %s", key, path,
                 strerror(e));
        return GDFS_ECONFIG;
    }
    fclose(f);
    return GDFS_OK;
}

/* Is at least one name of the comma list @want among libssh2's methods
 * of kind @method? */
static int check_methods(LIBSSH2_SESSION *s, int method, const char *key,
                         const char *want, char *err, size_t errlen)
{
    const char **algs = NULL;
    char list[SSH_METHODS_MAX], *save = NULL, *name;
    char have[SSH_METHODS_MAX] = "";
    bool found = false;
    int n;

    if (want[0] == '\0')
        return GDFS_OK;
    n = libssh2_session_supported_algs(s, method, &algs);
    if (n <= 0) {
        snprintf(err, errlen, "[ssh] %s: cannot ask libssh2 for its methods",
                 key);
        return GDFS_ECONFIG;
    }
    snprintf(list, sizeof(list), "%s", want);
    for (name = strtok_r(list, ",", &save); name != NULL && !found;
         name = strtok_r(NULL, ",", &save))
        for (int i = 0; i < n; i++)
            if (strcmp(name, algs[i]) == 0)
                found = true;
    for (int i = 0; i < n; i++) {
        size_t used = strlen(have);
        snprintf(have + used, sizeof(have) - used, "%s%s", i ? "," : "",
                 algs[i]);
    }
    libssh2_free(s, (void *)algs);
    if (!found) {
        snprintf(err, errlen,
                 "[ssh] %s: libssh2 supports none of '%s' (it has: %s)", key,
                 want, have);
        return GDFS_ECONFIG;
    }
    return GDFS_OK;
}

int ssh_conf_check(const struct ssh_conf *cf, char *err, size_t errlen)
{
    LIBSSH2_SESSION *s;
    int rc;

    rc = ssh_conf_check_identity(cf->identity, err, errlen);
    if (rc == GDFS_OK)
        rc = check_readable("known_hosts", cf->known_hosts, err, errlen);
    if (rc != GDFS_OK || (cf->ciphers[0] == '\0' && cf->macs[0] == '\0'))
        return rc;
    s = libssh2_session_init();
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    rc = check_methods(s, LIBSSH2_METHOD_CRYPT_CS, "ciphers", cf->ciphers, err,
                       errlen);
    if (rc == GDFS_OK)
        rc = check_methods(s, LIBSSH2_METHOD_MAC_CS, "macs", cf->macs, err,
                           errlen);
    libssh2_session_free(s);
    return rc;
}

/* ---- node address -> sshd ------------------------------------------------ */

int ssh_conf_target(const struct ssh_conf *cf, const char *addr,
                    struct ssh_target *t, char *err, size_t errlen)
{
    char host[SSH_HOST_MAX];

    if (ssh_split_hostport(addr, host, sizeof(host), &t->node_port) != 0) {
        snprintf(err, errlen, "ssh: '%s' is not HOST:PORT", addr);
        return GDFS_EINVAL;
    }
    snprintf(t->ssh_host, sizeof(t->ssh_host), "%s", host);
    t->ssh_port = cf->port;
    for (size_t i = 0; i < cf->nhosts; i++) {
        if (strcasecmp(cf->hosts[i].node_host, host) != 0)
            continue;
        snprintf(t->ssh_host, sizeof(t->ssh_host), "%s",
                 cf->hosts[i].ssh_host);
        if (cf->hosts[i].ssh_port != 0)
            t->ssh_port = cf->hosts[i].ssh_port;
        break;
    }
    return GDFS_OK;
}
