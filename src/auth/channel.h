/* The authenticated, encrypted channel every gdfs connection runs in.
 *
 * TLS 1.3 (OpenSSL libssl) in external-PSK mode over the transport's byte
 * stream, whatever the transport (tcp, or ssh with its own encryption
 * underneath): the dialler offers its identity and proves its key (see
 * auth/cred.h) in the PSK binder; the node that accepts derives the same
 * key from the group key and proves it back in its Finished message; both
 * sides' randoms make every handshake fresh (no replay); the key exchange
 * is (EC)DHE with the PSK (psk_dhe_ke: past sessions stay secret if a key
 * leaks later). No certificates: a server that offers one is refused. After
 * the handshake every byte travels in TLS records (AES-128-GCM with the
 * record sequence number in the nonce: frames cannot be forged, replayed,
 * reordered or cut without the connection failing).
 *
 * A channel wraps a connected struct gdfs_conn in place: afterwards the
 * conn's ops are the channel's, so net.h's helpers and everything above
 * them work unchanged, and gdfs_conn_close closes both layers.
 *
 * What the channel proves is who is at the other end: the node that
 * accepted learns the peer's identity (a member's node id, or a
 * credential's role and id); the dialler learns that the node it reached
 * holds the group key. What that identity may do (roles, revocation,
 * membership, leadership) is decided above it (node/authz.h). */
#ifndef GDFS_AUTH_CHANNEL_H
#define GDFS_AUTH_CHANNEL_H

#include "auth/cred.h"
#include "transport.h"

/* Who is at the other end of an accepted connection. */
struct gdfs_auth_peer {
    enum gdfs_cred_role role; /* MEMBER for a node; else a credential role */
    char id[GDFS_CRED_ID_MAX + 1]; /* node id, or credential id */
};

/* Dial @addr with @t (as gdfs_conn_dial) and run the handshake as @self
 * within @timeout_ms. GDFS_OK: @c is an encrypted channel. Else @c is
 * closed and c->errmsg says why: GDFS_EAUTH when the node refused @self
 * or could not prove the group key ("authentication failed: ..."), or the
 * transport's error. */
int gdfs_channel_dial(struct gdfs_transport *t, struct gdfs_conn *c,
                      const char *addr, int timeout_ms,
                      const struct gdfs_cred *self);

/* Run the accepting side of the handshake on @c (just accepted) within
 * @timeout_ms: the peer must prove a key derived from @gk. GDFS_OK: @c is
 * an encrypted channel and *peer says who dialled. Else GDFS_EAUTH (the
 * peer's identity was malformed or its proof wrong: c->errmsg says which),
 * GDFS_ETIMEDOUT, or a transport error; @c is left open for the caller to
 * close. */
int gdfs_channel_accept(struct gdfs_conn *c,
                        const uint8_t gk[GDFS_GROUP_KEY_LEN], int timeout_ms,
                        struct gdfs_auth_peer *peer);

#endif
