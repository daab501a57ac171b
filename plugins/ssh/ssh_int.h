/* Internals of the "ssh" transport plugin, shared by its files. Nothing
 * here is exported from ssh.so (built with -fvisibility=hidden; the only
 * exported symbol is gdfs_transport_entry, in ssh.c).
 *
 *   conf.c     the [ssh] INI section -> struct ssh_conf; node address ->
 *              the sshd to go through (struct ssh_target)
 *   hostkey.c  known_hosts check and SHA256 fingerprints
 *   session.c  one SSH session: TCP connect, handshake, host key check,
 *              public key auth, direct-tcpip channels; all with deadlines
 *   pool.c     idle sessions per peer node, bounded; backoff after failed
 *              set-ups; the keepalive thread for idle sessions
 *   pump.c     the thread that moves one connection's bytes between the
 *              caller's socketpair and its channel
 *   ssh.c      the ops table: init/shutdown, listen/accept (plain TCP on
 *              loopback), dial/send/recv/events/close, the entry point
 *
 * Threads: a session is used by one thread at a time. It is owned by the
 * pool while idle (only the keepalive thread touches it, after taking it
 * out of the idle list), by the dialling thread while a channel is being
 * opened, and by the connection's pump thread from then until the
 * connection is closed, when it goes back to the pool. Ownership moves
 * under the pool's mutex or through pthread_create/pthread_join. */
#ifndef GDFS_SSH_INT_H
#define GDFS_SSH_INT_H

#define GDFS_PLUGIN_BUILD
#include "transport.h"
#include "../common/dial.h"

#include <libssh2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define SSH_HOST_MAX 256
#define SSH_USER_MAX 64
#define SSH_PATH_MAX 1024
#define SSH_METHODS_MAX 512
#define SSH_HOSTMAP_MAX 32
#define SSH_ERR_MAX GDFS_TRANSPORT_ERRMSG
#define SSH_FP_MAX 64 /* "SHA256:" + 43 base64 characters + NUL */
/* Where a peer node listens, seen from its own sshd (DESIGN.md: a node
 * using ssh listens on 127.0.0.1 only). */
#define SSH_FWD_HOST "127.0.0.1"

/* ======================================================================
 * conf.c
 * ====================================================================== */

/* host.<node host> = <ssh host>[:<ssh port>] */
struct ssh_hostmap {
    char node_host[SSH_HOST_MAX];
    char ssh_host[SSH_HOST_MAX];
    int ssh_port; /* 0: the section's port */
};

struct ssh_conf {
    char user[SSH_USER_MAX];
    char identity[SSH_PATH_MAX];    /* private key file */
    char known_hosts[SSH_PATH_MAX]; /* OpenSSH known_hosts file */
    int port;                       /* sshd port [22] */
    char ciphers[SSH_METHODS_MAX];  /* "" = libssh2's default order */
    char macs[SSH_METHODS_MAX];
    int keepalive_s;  /* keepalive interval for idle sessions; 0 = off */
    int max_sessions; /* kept open per peer node */
    size_t nhosts;
    struct ssh_hostmap hosts[SSH_HOSTMAP_MAX];
};

/* Where a dial to a node address goes: the sshd to log in to, and the
 * port the peer node listens on (on SSH_FWD_HOST of that machine). */
struct ssh_target {
    char ssh_host[SSH_HOST_MAX];
    int ssh_port;
    int node_port;
};

/* Fill @cf with the defaults: user = the effective user's name, identity
 * = @home/.ssh/id_ed25519, known_hosts = @home/.ssh/known_hosts, port 22,
 * keepalive_s 30, max_sessions 4. @user or @home may be NULL (then the
 * password database, then $HOME, decide). */
void ssh_conf_defaults(struct ssh_conf *cf, const char *user,
                       const char *home);

/* Apply the @n key/value pairs of the [ssh] section to @cf (after
 * ssh_conf_defaults). @home expands a leading "~/" in paths (NULL: as in
 * ssh_conf_defaults). GDFS_OK, or GDFS_ECONFIG with @err naming the key:
 * "[ssh] port: bad value '0' (1..65535)", "[ssh] colour: unknown key".
 * Touches no file and no network. */
int ssh_conf_apply(struct ssh_conf *cf, size_t n, const char *const *keys,
                   const char *const *values, const char *home, char *err,
                   size_t errlen);

/* Check that the identity and known_hosts files can be read, that the
 * identity is private (ssh_conf_check_identity), and that libssh2 knows
 * at least one of the listed ciphers and MACs (libssh2 must be
 * initialised). GDFS_OK or GDFS_ECONFIG naming key, file and reason. */
int ssh_conf_check(const struct ssh_conf *cf, char *err, size_t errlen);

/* Check that the private key file @path can be read and gives no access
 * to group or others, as ssh insists. GDFS_OK, or GDFS_ECONFIG with @err
 * ("[ssh] identity: UNPROTECTED PRIVATE KEY FILE '...' (mode 0644) ...
 * fix: chmod 600 '...'", or why it cannot be read). */
int ssh_conf_check_identity(const char *path, char *err, size_t errlen);

/* Split @addr ("HOST:PORT", "[V6]:PORT") into @host and @port (1..65535).
 * 0 or -1. */
int ssh_split_hostport(const char *addr, char *host, size_t hostlen,
                       int *port);

/* Resolve the node address @addr to the sshd and node port to use.
 * GDFS_OK or GDFS_EINVAL with @err. */
int ssh_conf_target(const struct ssh_conf *cf, const char *addr,
                    struct ssh_target *t, char *err, size_t errlen);

/* ======================================================================
 * hostkey.c
 * ====================================================================== */

/* Base64 (RFC 4648, with '=' padding if @pad) of @n bytes into @out.
 * Returns the length written, or 0 if @outlen is too small. */
size_t ssh_base64(const unsigned char *in, size_t n, bool pad, char *out,
                  size_t outlen);

/* "SHA256:<base64, no padding>" of a 32-byte SHA-256, as ssh-keygen -l
 * prints it. */
void ssh_fingerprint(const unsigned char sha256[32], char *out, size_t outlen);

/* The name known_hosts uses for @host:@port: "host" for port 22,
 * "[host]:port" otherwise (OpenSSH's rule). */
void ssh_known_name(const char *host, int port, char *out, size_t outlen);

/* "ssh-ed25519", "ssh-rsa"... for a LIBSSH2_HOSTKEY_TYPE_*. */
const char *ssh_keytype_name(int hostkey_type);

/* Check a server's host key against the known_hosts file @path, as
 * OpenSSH does: the entry must be for ssh_known_name(@host, @port) exactly
 * (plain or hashed "|1|" form; unlike libssh2's own check, "[h]:p" does
 * not fall back to an entry for "h"). @key/@keylen is the raw key blob,
 * @type a LIBSSH2_HOSTKEY_TYPE_*, @fp its fingerprint (for messages).
 * @s is any libssh2 session (only used for allocation).
 * GDFS_OK on a match. GDFS_ECONFIG with @err naming the host, key type,
 * fingerprint and file when the host is unknown, its key has CHANGED, the
 * key is on a "@revoked" line (whatever that line's host patterns, and
 * even if a plain entry lists it too), a @revoked line cannot be read, or
 * the file cannot be read. Other lines libssh2 cannot parse (other
 * markers included) are skipped (and counted in the message). */
int ssh_hostkey_check(LIBSSH2_SESSION *s, const char *path, const char *host,
                      int port, const char *key, size_t keylen, int type,
                      const char *fp, char *err, size_t errlen);

/* ======================================================================
 * session.c
 * ====================================================================== */

struct ssh_peer;

struct ssh_sess {
    LIBSSH2_SESSION *s;
    int fd;                  /* the TCP socket to sshd, non-blocking */
    char host[SSH_HOST_MAX]; /* the sshd, for messages */
    int port;
    struct ssh_peer *peer; /* pool entry (set by pool.c) */
    struct ssh_sess *next; /* idle list (pool.c) */
    long idle_since_ms;    /* when it went back to the pool */
};

/* Wait on @ss's socket for the direction(s) libssh2 last blocked on
 * (both if it says none), until @deadline_ms. GDFS_OK when ready,
 * GDFS_ETIMEDOUT, or GDFS_ENET (poll error, socket error or hang-up). */
int ssh_sess_wait(struct ssh_sess *ss, long deadline_ms);

/* Open a session to the sshd at @host:@port: TCP connect, handshake (with
 * @cf's cipher and MAC preferences), host key check against
 * @cf->known_hosts, public key authentication as @cf->user with
 * @cf->identity; keepalive configured. Blocks until @deadline_ms at
 * most. On success *@out is a non-blocking session (free with
 * ssh_sess_free). Errors: GDFS_ETIMEDOUT, GDFS_ENET (resolve, connect,
 * handshake), GDFS_ECONFIG (host key refused, key not accepted, key file
 * unusable), GDFS_ENOMEM; @err says which step and why. */
int ssh_sess_open(const struct ssh_conf *cf, const char *host, int port,
                  long deadline_ms, struct ssh_sess **out, char *err,
                  size_t errlen);

/* Open a direct-tcpip channel through @ss to SSH_FWD_HOST:@port on the
 * server's side, until @deadline_ms. *@broken is set when the session
 * itself failed (discard it) rather than the server refusing the channel
 * (the session is fine). GDFS_OK, GDFS_ENET, GDFS_ETIMEDOUT. */
int ssh_sess_channel(struct ssh_sess *ss, int port, long deadline_ms,
                     LIBSSH2_CHANNEL **out, bool *broken, char *err,
                     size_t errlen);

/* Close @ch gracefully (EOF, CLOSE, wait for the server's CLOSE) until
 * @deadline_ms and free it. 0 if the session is still usable, -1 if
 * not (timed out or failed: discard the session). */
int ssh_sess_channel_close(struct ssh_sess *ss, LIBSSH2_CHANNEL *ch,
                           long deadline_ms);

/* 1 if @ss's server has closed the connection (or it failed), as far as
 * a non-blocking look at the socket can tell; 0 otherwise. */
int ssh_sess_dead(struct ssh_sess *ss);

/* Disconnect (best effort, without blocking), free the session, close
 * the socket, free @ss. NULL is fine. */
void ssh_sess_free(struct ssh_sess *ss);

/* ======================================================================
 * pool.c
 * ====================================================================== */

struct ssh_pool;

/* Create the pool for @cf (kept by reference: it must outlive the pool)
 * and, if @cf->keepalive_s > 0, its keepalive thread. @log: the host's
 * logger. GDFS_OK, GDFS_ENOMEM, GDFS_EIO (thread). */
int ssh_pool_new(const struct ssh_conf *cf,
                 void (*log)(int level, const char *fmt, ...),
                 struct ssh_pool **out);

/* Stop the keepalive thread and free every idle session. No session may
 * be in use. NULL is fine. */
void ssh_pool_free(struct ssh_pool *p);

/* A session with a fresh channel to @t: an idle session to that peer
 * node if one works, else a new one (never a wait for one in use; beyond
 * cf->max_sessions, ssh_pool_put closes instead of keeping). After failed
 * set-ups a new one is tried no sooner than a backoff (100 ms doubling to
 * 2 s) after the last; inside the backoff the last error is returned at
 * once. Blocks until @deadline_ms at most. On success the caller owns
 * *@ss (give it back with ssh_pool_put) and *@ch. Errors as
 * ssh_sess_open, or the channel's (ssh_sess_channel). */
int ssh_pool_get(struct ssh_pool *p, const struct ssh_target *t,
                 long deadline_ms, struct ssh_sess **ss, LIBSSH2_CHANNEL **ch,
                 char *err, size_t errlen);

/* Give @ss back: to the idle list if @usable and no more than
 * max_sessions are open to its peer node, else it is freed. */
void ssh_pool_put(struct ssh_pool *p, struct ssh_sess *ss, bool usable);

/* ======================================================================
 * pump.c
 * ====================================================================== */

struct ssh_link;

/* Start a pump for @ss/@ch (ownership of both passes to it): the caller
 * gets *@app_fd, a non-blocking stream socket that behaves like a TCP
 * connection to the peer (@node_port: for messages). @linger_ms bounds
 * the flush after the caller closes. GDFS_OK, GDFS_ENOMEM, GDFS_EIO; on error
 * @ss/@ch are given back to @p / freed. */
int ssh_link_start(struct ssh_pool *p, struct ssh_sess *ss,
                   LIBSSH2_CHANNEL *ch, int node_port, int linger_ms,
                   struct ssh_link **out, int *app_fd);

/* Why the pump stopped before the caller closed ("" if it did not):
 * copied into @out. */
void ssh_link_why(struct ssh_link *l, char *out, size_t outlen);

/* Close the caller's end, let the pump flush (at most its linger time),
 * join it and free @l. */
void ssh_link_close(struct ssh_link *l);

#endif
