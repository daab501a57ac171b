/* Authorization of each request on a node: the pure rules of
 * auth/authz.h plus what needs this node's state.
 *   - a credential revoked by a record under GDFS_REVOKED_PREFIX (checked
 *     at the first request and again at most every second after);
 *   - names under GDFS_RESERVED_PREFIX only for admins and members;
 *   - a member's DRAIN must name the member itself (its GROUP messages'
 *     `from` is checked where they are decoded, admin.c);
 *   - leader messages only from the member this node believes leads the
 *     message's term (waiting briefly for the group thread to learn of a
 *     new term: a new leader's first message may overtake its APPEND). */
#ifndef GDFS_NODE_AUTHZ_H
#define GDFS_NODE_AUTHZ_H

#include <stddef.h>

#include "node/session.h"

/* GDFS_OK: serve @m. Else the status to reply with (GDFS_EPERM,
 * GDFS_EAUTH: close after replying, GDFS_ENOTLEADER) and @why. */
int gdfs_node_authz(struct gdfs_session *s, const struct gdfs_msg *m,
                    char *why, size_t whylen);

#endif
