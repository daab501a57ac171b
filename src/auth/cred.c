/* Credentials and the group key; see cred.h. */
#include "auth/cred.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "err.h"
#include "hash.h"

#define LINE_TAG "gdfs1"
#define IDENTITY_TAG "gdfs1 "
#define PSK_LABEL "gdfs1 psk "

static const char *const role_names[] = {
    [GDFS_CRED_NODE] = "node",     [GDFS_CRED_READ] = "read",
    [GDFS_CRED_WRITE] = "write",   [GDFS_CRED_ADMIN] = "admin",
    [GDFS_CRED_MEMBER] = "member",
};

const char *gdfs_cred_role_name(enum gdfs_cred_role r)
{
    if (r <= GDFS_CRED_NONE || r > GDFS_CRED_MEMBER)
        return NULL;
    return role_names[r];
}

/* Roles a credential line or an identity may name (member: identity
 * only, checked by the callers). */
static enum gdfs_cred_role role_lookup(const char *p, size_t len)
{
    for (int r = GDFS_CRED_NODE; r <= GDFS_CRED_MEMBER; r++)
        if (strlen(role_names[r]) == len && memcmp(role_names[r], p, len) == 0)
            return (enum gdfs_cred_role)r;
    return GDFS_CRED_NONE;
}

enum gdfs_cred_role gdfs_cred_role_parse(const char *name)
{
    enum gdfs_cred_role r = role_lookup(name, strlen(name));

    return r == GDFS_CRED_MEMBER ? GDFS_CRED_NONE : r;
}

bool gdfs_cred_id_valid(const char *id, size_t len)
{
    if (len == 0 || len > GDFS_CRED_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = id[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

void gdfs_cred_identity(enum gdfs_cred_role role, const char *id, char *out,
                        size_t cap)
{
    snprintf(out, cap, IDENTITY_TAG "%s %s", gdfs_cred_role_name(role), id);
}

int gdfs_cred_identity_parse(const uint8_t *p, size_t len,
                             enum gdfs_cred_role *role, char *id)
{
    size_t tag = strlen(IDENTITY_TAG), sp;

    if (len <= tag || len > GDFS_IDENTITY_MAX ||
        memcmp(p, IDENTITY_TAG, tag) != 0)
        return GDFS_EAUTH;
    p += tag;
    len -= tag;
    for (sp = 0; sp < len && p[sp] != ' '; sp++)
        ;
    if (sp == len)
        return GDFS_EAUTH;
    *role = role_lookup((const char *)p, sp);
    if (*role == GDFS_CRED_NONE ||
        !gdfs_cred_id_valid((const char *)p + sp + 1, len - sp - 1))
        return GDFS_EAUTH;
    memcpy(id, p + sp + 1, len - sp - 1);
    id[len - sp - 1] = '\0';
    return GDFS_OK;
}

void gdfs_cred_derive(const uint8_t gk[GDFS_GROUP_KEY_LEN],
                      enum gdfs_cred_role role, const char *id,
                      uint8_t key[GDFS_CRED_KEY_LEN])
{
    char msg[sizeof(PSK_LABEL) + GDFS_IDENTITY_MAX + 1];
    char ident[GDFS_IDENTITY_MAX + 1];
    unsigned len = GDFS_CRED_KEY_LEN;
    int n;

    gdfs_cred_identity(role, id, ident, sizeof(ident));
    n = snprintf(msg, sizeof(msg), PSK_LABEL "%s", ident);
    HMAC(EVP_sha256(), gk, GDFS_GROUP_KEY_LEN, (const unsigned char *)msg,
         (size_t)n, key, &len);
}

void gdfs_cred_make(const uint8_t gk[GDFS_GROUP_KEY_LEN],
                    enum gdfs_cred_role role, const char *id,
                    struct gdfs_cred *c)
{
    memset(c, 0, sizeof(*c));
    c->role = role;
    snprintf(c->id, sizeof(c->id), "%s", id);
    gdfs_cred_derive(gk, role, c->id, c->key);
}

static int random_bytes(void *p, size_t n)
{
    uint8_t *b = p;

    while (n > 0) {
        ssize_t got = getrandom(b, n, 0);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return GDFS_EIO;
        b += got;
        n -= (size_t)got;
    }
    return GDFS_OK;
}

int gdfs_cred_issue(const uint8_t gk[GDFS_GROUP_KEY_LEN],
                    enum gdfs_cred_role role, struct gdfs_cred *c)
{
    uint8_t rnd[8];
    char id[2 * sizeof(rnd) + 1];

    if (random_bytes(rnd, sizeof(rnd)) != GDFS_OK)
        return GDFS_EIO;
    gdfs_hash_hex(rnd, sizeof(rnd), id);
    gdfs_cred_make(gk, role, id, c);
    return GDFS_OK;
}

void gdfs_cred_format(const struct gdfs_cred *c, char *out, size_t cap)
{
    char hex[2 * GDFS_CRED_KEY_LEN + 1];

    gdfs_hash_hex(c->key, GDFS_CRED_KEY_LEN, hex);
    snprintf(out, cap, LINE_TAG ":%s:%s:%s", gdfs_cred_role_name(c->role),
             c->id, hex);
    gdfs_cred_wipe(hex, sizeof(hex));
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int unhex(const char *p, size_t len, uint8_t *out, size_t outlen)
{
    if (len != 2 * outlen)
        return -1;
    for (size_t i = 0; i < outlen; i++) {
        int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int gdfs_cred_parse(const char *line, struct gdfs_cred *c, char *err,
                    size_t errlen)
{
    const char *p = line, *end, *f[4];
    size_t flen[4];
    int nf = 0;

    memset(c, 0, sizeof(*c));
    while (*p == ' ' || *p == '\t')
        p++;
    end = p + strlen(p);
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' ||
                       end[-1] == '\t'))
        end--;
    while (nf < 4) {
        const char *colon = memchr(p, ':', (size_t)(end - p));

        f[nf] = p;
        flen[nf] = (size_t)((colon && nf < 3 ? colon : end) - p);
        nf++;
        if (colon == NULL || nf == 4)
            break;
        p = colon + 1;
    }
    if (nf != 4 || flen[0] != strlen(LINE_TAG) ||
        memcmp(f[0], LINE_TAG, flen[0]) != 0) {
        snprintf(err, errlen,
                 "not a gdfs credential (expected gdfs1:ROLE:ID:KEY, as "
                 "'gdfs-node token' prints it)");
        return GDFS_EINVAL;
    }
    c->role = role_lookup(f[1], flen[1]);
    if (c->role == GDFS_CRED_NONE || c->role == GDFS_CRED_MEMBER) {
        snprintf(err, errlen,
                 "credential role '%.*s' unknown (node, read, write, admin)",
                 (int)(flen[1] > 16 ? 16 : flen[1]), f[1]);
        return GDFS_EINVAL;
    }
    if (!gdfs_cred_id_valid(f[2], flen[2])) {
        snprintf(err, errlen, "credential id is not 1..%d of [A-Za-z0-9._-]",
                 GDFS_CRED_ID_MAX);
        return GDFS_EINVAL;
    }
    memcpy(c->id, f[2], flen[2]);
    c->id[flen[2]] = '\0';
    if (unhex(f[3], flen[3], c->key, GDFS_CRED_KEY_LEN) != 0) {
        gdfs_cred_wipe(c, sizeof(*c));
        snprintf(err, errlen, "credential key is not %d hex digits",
                 2 * GDFS_CRED_KEY_LEN);
        return GDFS_EINVAL;
    }
    return GDFS_OK;
}

/* Refuse a secret file that group or others may read or write. */
static int check_private(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return GDFS_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return GDFS_EINVAL;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen,
                 "%s: owned by uid %u, not by this process's (%u): a secret "
                 "is trusted only from its own user",
                 path, (unsigned)st.st_uid, (unsigned)geteuid());
        return GDFS_EINVAL;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen,
                 "%s: mode %03o lets others read a secret; run 'chmod 600 "
                 "%s'",
                 path, (unsigned)(st.st_mode & 0777), path);
        return GDFS_EINVAL;
    }
    return GDFS_OK;
}

/* Read at most @cap - 1 bytes of a private file into @buf. */
static int read_private(const char *path, char *buf, size_t cap, char *err,
                        size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n;
    int rc;

    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? GDFS_ENOENT : GDFS_EIO;
    }
    rc = check_private(fd, path, err, errlen);
    if (rc == GDFS_OK) {
        n = read(fd, buf, cap - 1);
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            rc = GDFS_EIO;
        } else {
            buf[n] = '\0';
        }
    }
    close(fd);
    return rc;
}

int gdfs_cred_load(const char *path, struct gdfs_cred *c, char *err,
                   size_t errlen)
{
    char buf[4096], why[200];
    char *line, *save = NULL;
    int rc = read_private(path, buf, sizeof(buf), err, errlen);

    if (rc != GDFS_OK)
        return rc == GDFS_ENOENT ? GDFS_EIO : rc;
    for (line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        const char *p = line;

        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#' || *p == '\r')
            continue;
        rc = gdfs_cred_parse(p, c, why, sizeof(why));
        gdfs_cred_wipe(buf, sizeof(buf));
        if (rc != GDFS_OK)
            snprintf(err, errlen, "%s: %s", path, why);
        return rc;
    }
    gdfs_cred_wipe(buf, sizeof(buf));
    snprintf(err, errlen, "%s: no credential line in it", path);
    return GDFS_EINVAL;
}

static void key_path(const char *data_dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", data_dir, GDFS_GROUP_KEY_FILE);
}

int gdfs_group_key_load(const char *data_dir, uint8_t gk[GDFS_GROUP_KEY_LEN],
                        char *err, size_t errlen)
{
    char path[4096], buf[256];
    size_t len;
    int rc;

    key_path(data_dir, path, sizeof(path));
    rc = read_private(path, buf, sizeof(buf), err, errlen);
    if (rc != GDFS_OK)
        return rc;
    len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    rc = unhex(buf, len, gk, GDFS_GROUP_KEY_LEN);
    gdfs_cred_wipe(buf, sizeof(buf));
    if (rc != 0) {
        snprintf(err, errlen, "%s: not a group key (%d hex digits)", path,
                 2 * GDFS_GROUP_KEY_LEN);
        return GDFS_EINVAL;
    }
    return GDFS_OK;
}

int gdfs_group_key_create(const char *data_dir, const uint8_t *gk, char *err,
                          size_t errlen)
{
    uint8_t key[GDFS_GROUP_KEY_LEN];
    char path[4096], hex[2 * GDFS_GROUP_KEY_LEN + 2];
    size_t len;
    int fd, rc = GDFS_OK;

    key_path(data_dir, path, sizeof(path));
    if (gk != NULL)
        memcpy(key, gk, sizeof(key));
    else if (random_bytes(key, sizeof(key)) != GDFS_OK) {
        snprintf(err, errlen, "no randomness for a group key");
        return GDFS_EIO;
    }
    gdfs_hash_hex(key, sizeof(key), hex);
    gdfs_cred_wipe(key, sizeof(key));
    len = strlen(hex);
    hex[len++] = '\n';
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
              0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        gdfs_cred_wipe(hex, sizeof(hex));
        return errno == EEXIST ? GDFS_EGROUP : GDFS_EIO;
    }
    if (write(fd, hex, len) != (ssize_t)len || fsync(fd) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = GDFS_EIO;
    }
    gdfs_cred_wipe(hex, sizeof(hex));
    if (close(fd) != 0 && rc == GDFS_OK) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = GDFS_EIO;
    }
    if (rc != GDFS_OK)
        unlink(path);
    return rc;
}

void gdfs_cred_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
