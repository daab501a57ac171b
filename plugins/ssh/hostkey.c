/* Strict host key checking for the ssh plugin: known_hosts lookup and
 * SHA256 fingerprints as ssh-keygen prints them (see ssh_int.h).
 *
 * An unknown, changed or revoked ("@revoked") host key is never accepted,
 * and nothing is ever written to known_hosts: adding a host is the
 * operator's decision. */
#include "ssh_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- encodings ------------------------------------------------------------ */

size_t ssh_base64(const unsigned char *in, size_t n, bool pad, char *out,
                  size_t outlen)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        size_t left = n - i;
        char q[4];
        size_t emit;

        if (left > 1)
            v |= (unsigned)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        q[0] = abc[(v >> 18) & 63];
        q[1] = abc[(v >> 12) & 63];
        q[2] = left > 1 ? abc[(v >> 6) & 63] : '=';
        q[3] = left > 2 ? abc[v & 63] : '=';
        emit = pad ? 4 : (left > 2 ? 4 : left + 1);
        if (o + emit + 1 > outlen)
            return 0;
        memcpy(out + o, q, emit);
        o += emit;
    }
    if (o + 1 > outlen)
        return 0;
    out[o] = '\0';
    return o;
}

void ssh_fingerprint(const unsigned char sha256[32], char *out, size_t outlen)
{
    char b64[48];

    ssh_base64(sha256, 32, false, b64, sizeof(b64));
    snprintf(out, outlen, "SHA256:%s", b64);
}

void ssh_known_name(const char *host, int port, char *out, size_t outlen)
{
    if (port == 22)
        snprintf(out, outlen, "%s", host);
    else
        snprintf(out, outlen, "[%s]:%d", host, port);
}

const char *ssh_keytype_name(int type)
{
    switch (type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return "ssh-rsa";
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        return "ssh-dss";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        return "ecdsa-sha2-nistp256";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        return "ecdsa-sha2-nistp384";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return "ecdsa-sha2-nistp521";
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return "ssh-ed25519";
    default:
        return "unknown-key-type";
    }
}

static int knownhost_keybits(int type)
{
    switch (type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default:
        return -1;
    }
}

/* ---- known_hosts ---------------------------------------------------------- */

/* Decode the base64 @b64 (RFC 4648, padding optional) in place: the
 * bytes take the place of the text, which is at least as long. Returns
 * their number, or -1 on a character outside the alphabet. */
static long base64_decode_inplace(char *b64)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char *out = (unsigned char *)b64;
    unsigned v = 0;
    long o = 0;
    int bits = 0;

    for (const char *p = b64; *p != '\0' && *p != '='; p++) {
        const char *at = strchr(abc, *p);
        if (at == NULL)
            return -1;
        v = (v << 6) | (unsigned)(at - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits);
        }
    }
    return o;
}

/* What reading a known_hosts file found besides the host entries. */
struct kh_scan {
    const char *key; /* the server's key blob (@keylen bytes) */
    size_t keylen;
    int skipped;    /* lines neither read nor understood */
    int revoked;    /* line of a @revoked entry for the key, or 0 */
    int unreadable; /* line of a @revoked entry we cannot read, or 0 */
};

/* A "@revoked HOSTS TYPE BASE64 [COMMENT]" line, from its first blank
 * after the marker: does it revoke @sc->key? Every @revoked line is read,
 * whatever its host patterns: a key revoked for one name is not trusted
 * under another (OpenSSH matches the patterns; we are stricter, and need
 * no pattern matcher). 1 yes, 0 no, -1 the line cannot be read. */
static int revokes(char *p, const struct kh_scan *sc)
{
    char *field[3];
    long n;

    for (int i = 0; i < 3; i++) {
        p += strspn(p, " \t");
        if (*p == '\0' || *p == '\r' || *p == '\n' || *p == '#')
            return -1;
        field[i] = p;
        p += strcspn(p, " \t\r\n");
        if (*p != '\0')
            *p++ = '\0';
    }
    n = base64_decode_inplace(field[2]);
    if (n <= 0)
        return -1;
    return (size_t)n == sc->keylen &&
           memcmp(field[2], sc->key, sc->keylen) == 0;
}

/* Read @path into @kh line by line. libssh2_knownhost_readfile stops at
 * the first line it cannot parse (a key type it does not know, a marker),
 * which would hide every entry after it; here such lines are skipped and
 * counted in @sc->skipped. libssh2 knows no markers: "@revoked" lines are
 * read here and matched against @sc->key (first match in @sc->revoked,
 * first one that cannot be read in @sc->unreadable); other markers
 * ("@cert-authority") are skipped. 0, or an errno value. */
static int read_known_hosts(LIBSSH2_KNOWNHOSTS *kh, const char *path,
                            struct kh_scan *sc)
{
    static const char marker[] = "@revoked";
    char line[16384];
    FILE *f = fopen(path, "r");
    bool tail = false; /* inside a line longer than the buffer */
    int lineno = 0;

    if (f == NULL)
        return errno;
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        char *p = line;
        bool whole = len > 0 && line[len - 1] == '\n';

        if (tail) { /* rest of an over-long line, already counted */
            tail = !whole;
            continue;
        }
        lineno++;
        if (!whole && !feof(f)) {
            sc->skipped++;
            tail = true;
            continue;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '\n' || *p == '#')
            continue;
        if (strncmp(p, marker, strlen(marker)) == 0 &&
            (p[strlen(marker)] == ' ' || p[strlen(marker)] == '\t')) {
            int r = revokes(p + strlen(marker), sc);
            if (r > 0 && sc->revoked == 0)
                sc->revoked = lineno;
            if (r < 0 && sc->unreadable == 0)
                sc->unreadable = lineno;
            continue;
        }
        if (*p == '@' ||
            libssh2_knownhost_readline(kh, p, strlen(p),
                                       LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
            sc->skipped++;
    }
    fclose(f);
    return 0;
}

int ssh_hostkey_check(LIBSSH2_SESSION *s, const char *path, const char *host,
                      int port, const char *key, size_t keylen, int type,
                      const char *fp, char *err, size_t errlen)
{
    char name[SSH_HOST_MAX + 16], skipped_note[48] = "";
    LIBSSH2_KNOWNHOSTS *kh;
    struct libssh2_knownhost *found = NULL;
    struct kh_scan sc = {.key = key, .keylen = keylen};
    int bits = knownhost_keybits(type), e, r;

    ssh_known_name(host, port, name, sizeof(name));
    if (bits < 0) {
        snprintf(err, errlen,
                 "ssh: host key for %s is of a type libssh2 does not know "
                 "(%s); refusing",
                 name, fp);
        return GDFS_ECONFIG;
    }
    kh = libssh2_knownhost_init(s);
    if (kh == NULL) {
        snprintf(err, errlen, "ssh: out of memory");
        return GDFS_ENOMEM;
    }
    e = read_known_hosts(kh, path, &sc);
    if (e != 0) {
        libssh2_knownhost_free(kh);
        snprintf(err, errlen,
                 "ssh: host key for %s (%s %s): cannot read known_hosts "
                 "'%s': %s; refusing",
                 name, ssh_keytype_name(type), fp, path, strerror(e));
        return GDFS_ECONFIG;
    }
    /* A revocation wins over any plain entry for the same key. */
    if (sc.revoked != 0) {
        libssh2_knownhost_free(kh);
        snprintf(err, errlen,
                 "ssh: host key for %s (%s %s) is REVOKED in %s (line %d); "
                 "refusing",
                 name, ssh_keytype_name(type), fp, path, sc.revoked);
        return GDFS_ECONFIG;
    }
    /* One we cannot read might be for this key: fail closed. */
    if (sc.unreadable != 0) {
        libssh2_knownhost_free(kh);
        snprintf(err, errlen,
                 "ssh: host key for %s: cannot read @revoked line %d of %s "
                 "(want @revoked HOSTS TYPE BASE64); refusing every key "
                 "until it is fixed",
                 name, sc.unreadable, path);
        return GDFS_ECONFIG;
    }
    /* Port -1: match @name literally. With a port, libssh2 would also
     * accept an entry for the bare host, which OpenSSH does not. */
    r = libssh2_knownhost_checkp(kh, name, -1, key, keylen,
                                 LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                     LIBSSH2_KNOWNHOST_KEYENC_RAW | bits,
                                 &found);
    libssh2_knownhost_free(kh);
    if (sc.skipped > 0)
        snprintf(skipped_note, sizeof(skipped_note),
                 " (%d unreadable line%s skipped)", sc.skipped,
                 sc.skipped == 1 ? "" : "s");
    switch (r) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
        return GDFS_OK;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
        snprintf(err, errlen,
                 "ssh: host key for %s has CHANGED: the server sent %s %s, "
                 "%s has another key for it; refusing",
                 name, ssh_keytype_name(type), fp, path);
        return GDFS_ECONFIG;
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
        snprintf(err, errlen,
                 "ssh: host key for %s (%s %s) is not in %s%s; refusing", name,
                 ssh_keytype_name(type), fp, path, skipped_note);
        return GDFS_ECONFIG;
    default:
        snprintf(err, errlen,
                 "ssh: host key for %s (%s %s): check against %s failed; "
                 "refusing",
                 name, ssh_keytype_name(type), fp, path);
        return GDFS_ECONFIG;
    }
}
