/* TLS 1.3 PSK channel over a transport connection; see channel.h.
 *
 * Layout: the caller's struct gdfs_conn keeps its address; its contents
 * (the plugin's connection) move into struct channel's inner conn, and
 * c->t / c->impl point at the channel. OpenSSL reads and writes the
 * inner conn through a BIO of our own (conn_bio_*), which turns the
 * plugin's GDFS_EAGAIN into BIO retries, so SSL_read/SSL_write report
 * WANT_READ / WANT_WRITE and ->events can tell net.c which direction to
 * wait for. */
#include "auth/channel.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "clock.h"
#include "net.h"

/* The suites whose hash (SHA-256) the PSK is bound to. */
#define SUITES "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
/* Bytes read from the transport at once (about 8 records of 16 KiB). */
#define READ_AHEAD_LEN (128 * 1024)
static const unsigned char suite_aes128gcm[2] = {0x13, 0x01};

enum { OP_RECV = 0, OP_SEND = 1 };

struct channel {
    struct gdfs_transport t; /* c->t while wrapped */
    struct gdfs_conn inner;  /* the plugin's connection */
    SSL *ssl;
    int need[2];        /* GDFS_EV_* the last recv / send waits for */
    int inner_rc;       /* the plugin's last error, for messages */
    int closed_by_peer; /* the plugin reported end of stream */
    /* Handshake state (accepting side). */
    const uint8_t *gk;
    struct gdfs_auth_peer *peer;
    int offered; /* 0 none, 1 malformed identity, 2 well-formed */
    char identity[GDFS_IDENTITY_MAX + 1];
    /* Dialling side. */
    const struct gdfs_cred *self;
};

static const struct gdfs_transport_ops channel_ops;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static SSL_CTX *server_ctx, *client_ctx;
static BIO_METHOD *conn_bio;

/* ---- the BIO over the plugin connection --------------------------------- */

static int conn_bio_write(BIO *b, const char *buf, size_t len, size_t *done)
{
    struct channel *ch = BIO_get_data(b);
    size_t n = 0;
    int rc;

    BIO_clear_retry_flags(b);
    rc = gdfs_conn_send(&ch->inner, buf, len, &n);
    if (n > 0) {
        *done = n;
        return 1;
    }
    if (rc == GDFS_EAGAIN || rc == GDFS_OK) {
        BIO_set_retry_write(b);
        return 0;
    }
    ch->inner_rc = rc;
    return 0;
}

static int conn_bio_read(BIO *b, char *buf, size_t len, size_t *done)
{
    struct channel *ch = BIO_get_data(b);
    size_t n = 0;
    int rc;

    BIO_clear_retry_flags(b);
    rc = gdfs_conn_recv(&ch->inner, buf, len, &n);
    if (rc == GDFS_OK && n > 0) {
        *done = n;
        return 1;
    }
    if (rc == GDFS_EAGAIN) {
        BIO_set_retry_read(b);
        return 0;
    }
    if (rc == GDFS_ECLOSED)
        ch->closed_by_peer = 1;
    else
        ch->inner_rc = rc;
    return 0;
}

static long conn_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int conn_bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* ---- PSK callbacks ------------------------------------------------------- */

/* A session that carries only the PSK, as TLS 1.3 external PSKs do. */
static SSL_SESSION *psk_session(SSL *ssl, const uint8_t key[GDFS_CRED_KEY_LEN])
{
    const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, suite_aes128gcm);
    SSL_SESSION *s = SSL_SESSION_new();

    if (s == NULL || cipher == NULL ||
        !SSL_SESSION_set1_master_key(s, key, GDFS_CRED_KEY_LEN) ||
        !SSL_SESSION_set_cipher(s, cipher) ||
        !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
        SSL_SESSION_free(s);
        return NULL;
    }
    return s;
}

/* Accepting side: the dialler's identity names its key. */
static int find_psk(SSL *ssl, const unsigned char *identity, size_t len,
                    SSL_SESSION **sess)
{
    struct channel *ch = SSL_get_app_data(ssl);
    enum gdfs_cred_role role;
    char id[GDFS_CRED_ID_MAX + 1];
    uint8_t key[GDFS_CRED_KEY_LEN];

    *sess = NULL;
    if (gdfs_cred_identity_parse(identity, len, &role, id) != GDFS_OK) {
        ch->offered = 1;
        return 1; /* no session: the handshake fails */
    }
    ch->offered = 2;
    memcpy(ch->identity, identity, len);
    ch->identity[len] = '\0';
    gdfs_cred_derive(ch->gk, role, id, key);
    *sess = psk_session(ssl, key);
    gdfs_cred_wipe(key, sizeof(key));
    if (*sess == NULL)
        return 0;
    ch->peer->role = role;
    snprintf(ch->peer->id, sizeof(ch->peer->id), "%s", id);
    return 1;
}

/* Dialling side: offer our identity and its key. */
static int use_psk(SSL *ssl, const EVP_MD *md, const unsigned char **id,
                   size_t *idlen, SSL_SESSION **sess)
{
    struct channel *ch = SSL_get_app_data(ssl);

    *sess = NULL;
    if (md != NULL && EVP_MD_get_type(md) != NID_sha256)
        return 1; /* the server picked a suite our PSK cannot serve */
    gdfs_cred_identity(ch->self->role, ch->self->id, ch->identity,
                       sizeof(ch->identity));
    *sess = psk_session(ssl, ch->self->key);
    if (*sess == NULL)
        return 0;
    *id = (const unsigned char *)ch->identity;
    *idlen = strlen(ch->identity);
    return 1;
}

static SSL_CTX *ctx_new(const SSL_METHOD *method)
{
    SSL_CTX *ctx = SSL_CTX_new(method);

    if (ctx == NULL)
        return NULL;
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_ciphersuites(ctx, SUITES)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* No resumption tickets: every connection proves its key afresh, and
     * no post-handshake message makes an idle connection look readable. */
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* Partial writes: the conn ABI reports how much was taken. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Read ahead into a buffer of several records: without it each
     * 16 KiB record costs two reads of the transport (header, body),
     * 13 000 system calls per 100 MiB. Bytes read ahead count in
     * SSL_has_pending (ch_pending), so readiness stays right. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, READ_AHEAD_LEN);
    return ctx;
}

static void init_once(void)
{
    conn_bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                            "gdfs conn");
    if (conn_bio != NULL) {
        BIO_meth_set_write_ex(conn_bio, conn_bio_write);
        BIO_meth_set_read_ex(conn_bio, conn_bio_read);
        BIO_meth_set_ctrl(conn_bio, conn_bio_ctrl);
        BIO_meth_set_create(conn_bio, conn_bio_create);
    }
    server_ctx = ctx_new(TLS_server_method());
    if (server_ctx != NULL)
        SSL_CTX_set_psk_find_session_callback(server_ctx, find_psk);
    client_ctx = ctx_new(TLS_client_method());
    if (client_ctx != NULL) {
        /* A server that answers with a certificate instead of our PSK is
         * not a member: with no trust store, verification fails. */
        SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_psk_use_session_callback(client_ctx, use_psk);
    }
}

/* ---- wrapping ------------------------------------------------------------ */

static void tls_reason(char *out, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

    if (e == 0)
        snprintf(out, cap, "connection ended");
    else if (r != NULL)
        snprintf(out, cap, "tls: %s", r);
    else
        ERR_error_string_n(e, out, cap);
    ERR_clear_error();
}

static void channel_free(struct channel *ch)
{
    if (ch->ssl != NULL)
        SSL_free(ch->ssl); /* frees the BIO too */
    gdfs_conn_close(&ch->inner);
    free(ch);
}

/* Move @c's plugin connection into a new channel (not yet attached). */
static struct channel *channel_new(struct gdfs_conn *c, int accepting,
                                   char *err, size_t errlen)
{
    struct channel *ch;
    SSL_CTX *ctx;
    BIO *bio;

    pthread_once(&once, init_once);
    ctx = accepting ? server_ctx : client_ctx;
    if (ctx == NULL || conn_bio == NULL) {
        snprintf(err, errlen, "TLS 1.3 with PSK is not available in libssl");
        return NULL;
    }
    ch = calloc(1, sizeof(*ch));
    if (ch == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ch->inner = *c;
    ch->t = *c->t;
    ch->t.ops = &channel_ops;
    ch->t.impl = NULL;
    ch->ssl = SSL_new(ctx);
    bio = BIO_new(conn_bio);
    if (ch->ssl == NULL || bio == NULL) {
        BIO_free(bio);
        if (ch->ssl != NULL)
            SSL_free(ch->ssl);
        free(ch);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    BIO_set_data(bio, ch);
    SSL_set_bio(ch->ssl, bio, bio);
    SSL_set_app_data(ch->ssl, ch);
    return ch;
}

static int handshake(struct channel *ch, int accepting, int timeout_ms,
                     char *why, size_t whylen)
{
    uint64_t deadline = gdfs_clock_ms() + (uint64_t)timeout_ms;

    for (;;) {
        int r, e, dir, rc;
        long left;

        ERR_clear_error();
        r = accepting ? SSL_accept(ch->ssl) : SSL_connect(ch->ssl);
        if (r == 1)
            break;
        e = SSL_get_error(ch->ssl, r);
        if (e == SSL_ERROR_WANT_READ)
            dir = GDFS_EV_READ;
        else if (e == SSL_ERROR_WANT_WRITE)
            dir = GDFS_EV_WRITE;
        else if (ch->inner_rc != GDFS_OK) {
            snprintf(why, whylen, "%s",
                     ch->inner.errmsg[0] ? ch->inner.errmsg
                                         : gdfs_strerror(ch->inner_rc));
            ERR_clear_error();
            return ch->inner_rc;
        } else if (e != SSL_ERROR_SSL && ch->closed_by_peer) {
            snprintf(why, whylen, "connection closed during the handshake");
            ERR_clear_error();
            return GDFS_ECLOSED;
        } else {
            tls_reason(why, whylen);
            return GDFS_EAUTH;
        }
        left = (long)(deadline - gdfs_clock_ms());
        if (left <= 0 || (long)deadline < (long)gdfs_clock_ms()) {
            snprintf(why, whylen, "no handshake within %d ms", timeout_ms);
            return GDFS_ETIMEDOUT;
        }
        rc = gdfs_net_wait(&ch->inner, dir, (int)left);
        if (rc != GDFS_OK) {
            snprintf(why, whylen, "%s", ch->inner.errmsg);
            return rc;
        }
    }
    /* Only a PSK handshake proves anything. */
    if (!SSL_session_reused(ch->ssl)) {
        snprintf(why, whylen, "the peer did not use a group key");
        return GDFS_EAUTH;
    }
    return GDFS_OK;
}

int gdfs_channel_dial(struct gdfs_transport *t, struct gdfs_conn *c,
                      const char *addr, int timeout_ms,
                      const struct gdfs_cred *self)
{
    char why[GDFS_TRANSPORT_ERRMSG];
    uint64_t start = gdfs_clock_ms();
    struct channel *ch;
    long left;
    int rc;

    rc = gdfs_conn_dial(t, c, addr, timeout_ms);
    if (rc != GDFS_OK)
        return rc;
    ch = channel_new(c, 0, c->errmsg, sizeof(c->errmsg));
    if (ch == NULL) {
        gdfs_conn_close(c);
        return GDFS_ENOMEM;
    }
    ch->self = self;
    left = timeout_ms - (long)(gdfs_clock_ms() - start);
    rc = handshake(ch, 0, left > 100 ? (int)left : 100, why, sizeof(why));
    if (rc != GDFS_OK) {
        if (rc == GDFS_EAUTH)
            snprintf(c->errmsg, sizeof(c->errmsg),
                     "authentication failed: %.48s did not accept '%.48s' "
                     "(wrong key, another group's, or not a gdfs node) "
                     "[%.32s]",
                     addr, ch->identity, why);
        else if (rc == GDFS_ECLOSED)
            snprintf(c->errmsg, sizeof(c->errmsg),
                     "%.80s closed the connection during the secure "
                     "handshake (at its connection limit, or not a gdfs "
                     "node of this version)",
                     addr);
        else
            snprintf(c->errmsg, sizeof(c->errmsg),
                     "secure handshake with %.80s: %.150s", addr, why);
        c->impl = NULL;
        channel_free(ch);
        return rc;
    }
    c->t = &ch->t;
    c->impl = ch;
    return GDFS_OK;
}

/* A printable copy of a hostile identity, for logs. */
static void printable(const char *in, char *out, size_t cap)
{
    size_t i;

    for (i = 0; in[i] != '\0' && i + 1 < cap; i++)
        out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
    out[i] = '\0';
}

int gdfs_channel_accept(struct gdfs_conn *c,
                        const uint8_t gk[GDFS_GROUP_KEY_LEN], int timeout_ms,
                        struct gdfs_auth_peer *peer)
{
    char why[GDFS_TRANSPORT_ERRMSG], ident[GDFS_IDENTITY_MAX + 1];
    struct channel *ch;
    int rc;

    memset(peer, 0, sizeof(*peer));
    ch = channel_new(c, 1, c->errmsg, sizeof(c->errmsg));
    if (ch == NULL)
        return GDFS_ENOMEM;
    ch->gk = gk;
    ch->peer = peer;
    rc = handshake(ch, 1, timeout_ms, why, sizeof(why));
    if (rc != GDFS_OK) {
        char msg[GDFS_TRANSPORT_ERRMSG];

        printable(ch->identity, ident, sizeof(ident));
        if (rc != GDFS_EAUTH)
            snprintf(msg, sizeof(msg), "%.80s: handshake: %.150s", c->peer,
                     why);
        else if (ch->offered == 0)
            snprintf(msg, sizeof(msg),
                     "%.80s: authentication failed: no gdfs credential "
                     "offered (%.100s)",
                     c->peer, why);
        else if (ch->offered == 1)
            snprintf(msg, sizeof(msg),
                     "%.80s: authentication failed: malformed identity",
                     c->peer);
        else
            snprintf(msg, sizeof(msg),
                     "%.64s: authentication failed for '%.64s': wrong key "
                     "or another group's (%.64s)",
                     c->peer, ident, why);
        /* Hand the plugin connection back for the caller to close. */
        *c = ch->inner;
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", msg);
        ch->inner.impl = NULL;
        channel_free(ch);
        memset(peer, 0, sizeof(*peer));
        return rc;
    }
    c->t = &ch->t;
    c->impl = ch;
    return GDFS_OK;
}

/* ---- the wrapped connection's ops ---------------------------------------- */

static int io_result(struct gdfs_conn *c, struct channel *ch, int op, int r)
{
    int e = SSL_get_error(ch->ssl, r);
    char why[200];

    switch (e) {
    case SSL_ERROR_WANT_READ:
        ch->need[op] = GDFS_EV_READ;
        return GDFS_EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        ch->need[op] = GDFS_EV_WRITE;
        return GDFS_EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        snprintf(c->errmsg, sizeof(c->errmsg), "%s closed the connection",
                 c->peer);
        return GDFS_ECLOSED;
    default:
        if (ch->inner_rc != GDFS_OK) {
            snprintf(c->errmsg, sizeof(c->errmsg), "%s", ch->inner.errmsg);
            ERR_clear_error();
            return ch->inner_rc;
        }
        if (ch->closed_by_peer) {
            snprintf(c->errmsg, sizeof(c->errmsg), "%s closed the connection",
                     c->peer);
            ERR_clear_error();
            return GDFS_ECLOSED;
        }
        tls_reason(why, sizeof(why));
        snprintf(c->errmsg, sizeof(c->errmsg),
                 "%.80s: secure channel broken: %.150s", c->peer, why);
        return GDFS_ENET;
    }
}

static int ch_send(struct gdfs_conn *c, const void *buf, size_t len,
                   size_t *nsent)
{
    struct channel *ch = c->impl;
    int r;

    *nsent = 0;
    if (len == 0)
        return GDFS_OK;
    ERR_clear_error();
    r = SSL_write_ex(ch->ssl, buf, len, nsent);
    if (r == 1)
        return GDFS_OK;
    *nsent = 0;
    return io_result(c, ch, OP_SEND, r);
}

static int ch_recv(struct gdfs_conn *c, void *buf, size_t len, size_t *nread)
{
    struct channel *ch = c->impl;
    int r;

    *nread = 0;
    ERR_clear_error();
    r = SSL_read_ex(ch->ssl, buf, len, nread);
    if (r == 1)
        return GDFS_OK;
    *nread = 0;
    return io_result(c, ch, OP_RECV, r);
}

static int ch_events(struct gdfs_conn *c, int want, int *fd, int *mask)
{
    struct channel *ch = c->impl;
    int need = ch->need[want == GDFS_EV_WRITE ? OP_SEND : OP_RECV];

    return gdfs_conn_events(&ch->inner, need ? need : want, fd, mask);
}

static int ch_pending(struct gdfs_conn *c)
{
    struct channel *ch = c->impl;

    return SSL_has_pending(ch->ssl);
}

static void ch_close(struct gdfs_conn *c)
{
    struct channel *ch = c->impl;

    ERR_clear_error();
    SSL_shutdown(ch->ssl); /* one close_notify, never waited for */
    ERR_clear_error();
    channel_free(ch);
    c->impl = NULL;
}

static int ch_unused_init(struct gdfs_transport *t)
{
    (void)t;
    return GDFS_EINVAL;
}

static void ch_unused_shutdown(struct gdfs_transport *t)
{
    (void)t;
}

static const struct gdfs_transport_ops channel_ops = {
    .abi_version = GDFS_TRANSPORT_ABI,
    .name = "tls",
    .init = ch_unused_init,
    .shutdown = ch_unused_shutdown,
    .send = ch_send,
    .recv = ch_recv,
    .events = ch_events,
    .close = ch_close,
    .pending = ch_pending,
};
