/* Who may ask what: the pure part of authorization.
 *
 * A request is allowed by its message's auth column (proto/messages.h)
 * and the identity the channel proved (auth/channel.h): client roles are
 * ordered (read < write < admin), a join token may only enrol, members
 * may send everything. What needs the node's state is checked by the node
 * (node/authz.h): revocations, that a member's message names itself, that
 * a leader's message comes from the leader of its term. */
#ifndef GDFS_AUTH_AUTHZ_H
#define GDFS_AUTH_AUTHZ_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "auth/channel.h"

/* May @peer send a request of wire type @type? GDFS_OK, GDFS_EPERM with
 * a reason in @why ("permission denied: role read cannot put"), or
 * GDFS_EPROTO for a type that is never a request (a reply). For a
 * GDFS_AUTH_LEADER message GDFS_OK only says the peer is a member. */
int gdfs_authz_request(const struct gdfs_auth_peer *peer, uint8_t type,
                       char *why, size_t whylen);

/* Is @name (@len bytes) under GDFS_RESERVED_PREFIX? */
bool gdfs_authz_reserved(const uint8_t *name, size_t len);

/* May @peer put (@remove false) or remove the file name @name (@len
 * bytes)? Names under GDFS_RESERVED_PREFIX (revocations) are for admins
 * and members; a revocation (GDFS_REVOKED_PREFIX) is never removed by a
 * client, admins included: revoking is for good, so that a stolen admin
 * credential cannot lift its own revocation. GDFS_OK or GDFS_EPERM with
 * @why. */
int gdfs_authz_name(const struct gdfs_auth_peer *peer, const uint8_t *name,
                    size_t len, bool remove, char *why, size_t whylen);

#endif
