/* One SSH session of the ssh plugin: TCP connect, handshake, host key
 * check, public key auth, direct-tcpip channels (see ssh_int.h).
 *
 * libssh2 runs in non-blocking mode throughout. Each step is retried on
 * LIBSSH2_ERROR_EAGAIN after poll() on the directions libssh2 says it
 * blocked on (libssh2_session_block_directions), never busy-looping, and
 * never past the caller's deadline. Sections: helpers, TCP connect,
 * session set-up, channels, teardown. */
#include "ssh_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers -------------------------------------------------------------- */

int ssh_sess_wait(struct ssh_sess *ss, long deadline_ms)
{
    int dirs = libssh2_session_block_directions(ss->s);
    struct pollfd p = {.fd = ss->fd};
    int n;

    if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
        p.events |= POLLIN;
    if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        p.events |= POLLOUT;
    if (p.events == 0)
        p.events = POLLIN | POLLOUT;
    do
        n = poll(&p, 1, dial_left_ms(deadline_ms));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return GDFS_ENET;
    if (n == 0)
        return GDFS_ETIMEDOUT;
    /* POLLERR/POLLHUP: let libssh2 find out and say what happened. */
    return GDFS_OK;
}

/* libssh2's last error text for @s, for messages. */
static const char *last_error(LIBSSH2_SESSION *s)
{
    char *msg = NULL;

    libssh2_session_last_error(s, &msg, NULL, 0);
    return msg != NULL && *msg != '\0' ? msg : "unknown libssh2 error";
}

/* ---- TCP connect ------------------------------------------------------------ */

static void nodelay(int fd, void *arg)
{
    int one = 1;

    (void)arg;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* The name lookup is bounded by @deadline_ms too (dial.h): a slow DNS
 * server must not hold a dial past its timeout. */
static int tcp_connect(const char *host, int port, long deadline_ms, int *out,
                       char *err, size_t errlen)
{
    char portstr[16];
    int n;

    snprintf(portstr, sizeof(portstr), "%d", port);
    /* The reason goes after this prefix (only read on failure). */
    n = snprintf(err, errlen, "ssh: connect to sshd %s port %d: ", host, port);
    if (n < 0 || (size_t)n >= errlen)
        n = 0;
    return dial_connect(host, portstr, deadline_ms, nodelay, NULL, out,
                        err + n, errlen - (size_t)n);
}

/* ---- session set-up ----------------------------------------------------------- */

/* Run @call (an expression) until it stops saying EAGAIN, waiting on the
 * socket in between; leaves its last result in @rc. A timeout leaves
 * LIBSSH2_ERROR_TIMEOUT in @rc. */
#define RETRY(ss, rc, deadline, call)                                         \
    do {                                                                      \
        (rc) = (call);                                                        \
        if ((rc) != LIBSSH2_ERROR_EAGAIN)                                     \
            break;                                                            \
        if (ssh_sess_wait((ss), (deadline)) != GDFS_OK) {                     \
            (rc) = LIBSSH2_ERROR_TIMEOUT;                                     \
            break;                                                            \
        }                                                                     \
    } while (1)

static int timed_out(const char *step, const char *host, int port, char *err,
                     size_t errlen)
{
    snprintf(err, errlen, "ssh: sshd %s port %d: timed out during %s", host,
             port, step);
    return GDFS_ETIMEDOUT;
}

static int set_prefs(LIBSSH2_SESSION *s, const struct ssh_conf *cf, char *err,
                     size_t errlen)
{
    static const struct {
        int method;
        size_t off;
        const char *key;
    } prefs[] = {
        {LIBSSH2_METHOD_CRYPT_CS, offsetof(struct ssh_conf, ciphers),
         "ciphers"},
        {LIBSSH2_METHOD_CRYPT_SC, offsetof(struct ssh_conf, ciphers),
         "ciphers"},
        {LIBSSH2_METHOD_MAC_CS, offsetof(struct ssh_conf, macs), "macs"},
        {LIBSSH2_METHOD_MAC_SC, offsetof(struct ssh_conf, macs), "macs"},
    };

    for (size_t i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
        const char *v = (const char *)cf + prefs[i].off;
        if (v[0] != '\0' &&
            libssh2_session_method_pref(s, prefs[i].method, v) != 0) {
            snprintf(err, errlen, "ssh: [ssh] %s = %s: %s", prefs[i].key, v,
                     last_error(s));
            return GDFS_ECONFIG;
        }
    }
    return GDFS_OK;
}

static int check_host_key(struct ssh_sess *ss, const struct ssh_conf *cf,
                          const char *host, int port, char *err, size_t errlen)
{
    size_t keylen = 0;
    int type = 0;
    const char *key = libssh2_session_hostkey(ss->s, &keylen, &type);
    const char *hash = libssh2_hostkey_hash(ss->s,
                                            LIBSSH2_HOSTKEY_HASH_SHA256);
    char fp[SSH_FP_MAX];

    if (key == NULL || hash == NULL) {
        snprintf(err, errlen, "ssh: sshd %s port %d sent no host key", host,
                 port);
        return GDFS_ENET;
    }
    ssh_fingerprint((const unsigned char *)hash, fp, sizeof(fp));
    return ssh_hostkey_check(ss->s, cf->known_hosts, host, port, key, keylen,
                             type, fp, err, errlen);
}

static int authenticate(struct ssh_sess *ss, const struct ssh_conf *cf,
                        const char *host, int port, long deadline_ms,
                        char *err, size_t errlen)
{
    int rc;

    /* libssh2 reads the key again for every session: so is its mode
     * checked, as it was at start-up. */
    rc = ssh_conf_check_identity(cf->identity, err, errlen);
    if (rc != GDFS_OK)
        return rc;
    /* No public key file: libssh2 derives the public key from the
     * private one, so a stale .pub beside it cannot mislead. */
    RETRY(ss, rc, deadline_ms,
          libssh2_userauth_publickey_fromfile_ex(ss->s, cf->user,
                                                 (unsigned)strlen(cf->user),
                                                 NULL, cf->identity, NULL));
    switch (rc) {
    case 0:
        return GDFS_OK;
    case LIBSSH2_ERROR_TIMEOUT:
        return timed_out("authentication", host, port, err, errlen);
    case LIBSSH2_ERROR_FILE:
        snprintf(err, errlen,
                 "ssh: cannot use identity %s (an unencrypted ed25519 "
                 "private key is expected): %s",
                 cf->identity, last_error(ss->s));
        return GDFS_ECONFIG;
    case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
    case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
        snprintf(err, errlen,
                 "ssh: sshd %s port %d refused user %s with key %s (is its "
                 "public key in that user's authorized_keys?)",
                 host, port, cf->user, cf->identity);
        return GDFS_ECONFIG;
    default:
        snprintf(err, errlen,
                 "ssh: sshd %s port %d: authentication as %s failed: %s", host,
                 port, cf->user, last_error(ss->s));
        return GDFS_ENET;
    }
}

int ssh_sess_open(const struct ssh_conf *cf, const char *host, int port,
                  long deadline_ms, struct ssh_sess **out, char *err,
                  size_t errlen)
{
    struct ssh_sess *ss = calloc(1, sizeof(*ss));
    int rc, lrc;

    *out = NULL;
    if (ss == NULL) {
        snprintf(err, errlen, "ssh: out of memory");
        return GDFS_ENOMEM;
    }
    ss->fd = -1;
    snprintf(ss->host, sizeof(ss->host), "%s", host);
    ss->port = port;
    rc = tcp_connect(host, port, deadline_ms, &ss->fd, err, errlen);
    if (rc != GDFS_OK)
        goto fail;
    ss->s = libssh2_session_init();
    if (ss->s == NULL) {
        snprintf(err, errlen, "ssh: out of memory");
        rc = GDFS_ENOMEM;
        goto fail;
    }
    rc = set_prefs(ss->s, cf, err, errlen);
    if (rc != GDFS_OK)
        goto fail;
    libssh2_session_set_blocking(ss->s, 0);
    RETRY(ss, lrc, deadline_ms, libssh2_session_handshake(ss->s, ss->fd));
    if (lrc == LIBSSH2_ERROR_TIMEOUT) {
        rc = timed_out("the SSH handshake", host, port, err, errlen);
        goto fail;
    }
    if (lrc != 0) {
        snprintf(err, errlen, "ssh: handshake with sshd %s port %d: %s", host,
                 port, last_error(ss->s));
        rc = GDFS_ENET;
        goto fail;
    }
    rc = check_host_key(ss, cf, host, port, err, errlen);
    if (rc != GDFS_OK)
        goto fail;
    rc = authenticate(ss, cf, host, port, deadline_ms, err, errlen);
    if (rc != GDFS_OK)
        goto fail;
    /* want_reply = 0: a reply would wait unread in an idle session. */
    if (cf->keepalive_s > 0)
        libssh2_keepalive_config(ss->s, 0, (unsigned)cf->keepalive_s);
    *out = ss;
    return GDFS_OK;
fail:
    ssh_sess_free(ss);
    return rc;
}

/* ---- channels ----------------------------------------------------------------- */

int ssh_sess_channel(struct ssh_sess *ss, int port, long deadline_ms,
                     LIBSSH2_CHANNEL **out, bool *broken, char *err,
                     size_t errlen)
{
    LIBSSH2_CHANNEL *ch;
    int e;

    *out = NULL;
    *broken = false;
    for (;;) {
        /* The originator address is informational for sshd. */
        ch = libssh2_channel_direct_tcpip_ex(ss->s, SSH_FWD_HOST, port,
                                             "127.0.0.1", 0);
        if (ch != NULL)
            break;
        e = libssh2_session_last_errno(ss->s);
        if (e != LIBSSH2_ERROR_EAGAIN)
            break;
        if (ssh_sess_wait(ss, deadline_ms) != GDFS_OK) {
            e = LIBSSH2_ERROR_TIMEOUT;
            break;
        }
    }
    if (ch != NULL) {
        *out = ch;
        return GDFS_OK;
    }
    if (e == LIBSSH2_ERROR_TIMEOUT) {
        /* A half-opened channel would confuse the next user. */
        *broken = true;
        snprintf(err, errlen,
                 "ssh: timed out opening a channel to %s:%d through sshd",
                 SSH_FWD_HOST, port);
        return GDFS_ETIMEDOUT;
    }
    if (e == LIBSSH2_ERROR_CHANNEL_FAILURE) {
        /* The server said no (connect failed, prohibited): the session is
         * fine. */
        snprintf(err, errlen, "ssh: sshd could not open %s:%d for us: %s",
                 SSH_FWD_HOST, port, last_error(ss->s));
        return GDFS_ENET;
    }
    *broken = true;
    snprintf(err, errlen, "ssh: opening a channel to %s:%d: %s", SSH_FWD_HOST,
             port, last_error(ss->s));
    return GDFS_ENET;
}

int ssh_sess_channel_close(struct ssh_sess *ss, LIBSSH2_CHANNEL *ch,
                           long deadline_ms)
{
    int rc;

    RETRY(ss, rc, deadline_ms, libssh2_channel_close(ch));
    if (rc != 0)
        return -1; /* ssh_sess_free frees the channel with the session */
    RETRY(ss, rc, deadline_ms, libssh2_channel_free(ch));
    return rc == 0 ? 0 : -1;
}

int ssh_sess_dead(struct ssh_sess *ss)
{
    struct pollfd p = {.fd = ss->fd, .events = POLLIN};
    char c;
    ssize_t n;

    if (poll(&p, 1, 0) <= 0)
        return 0;
    if (p.revents & (POLLERR | POLLNVAL))
        return 1;
    n = recv(ss->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* ---- teardown ------------------------------------------------------------------ */

void ssh_sess_free(struct ssh_sess *ss)
{
    if (ss == NULL)
        return;
    if (ss->s != NULL) {
        /* Best effort: if the socket is full, the server learns from the
         * closed connection instead. */
        libssh2_session_disconnect(ss->s, "gdfs: closing");
        /* From here every socket call fails at once, so that freeing
         * channels left open (their CLOSE cannot be sent) never says
         * EAGAIN: libssh2 gives up on them and frees everything. */
        if (ss->fd >= 0)
            shutdown(ss->fd, SHUT_RDWR);
        for (int i = 0; i < 8; i++)
            if (libssh2_session_free(ss->s) != LIBSSH2_ERROR_EAGAIN)
                break;
    }
    if (ss->fd >= 0)
        close(ss->fd);
    free(ss);
}
