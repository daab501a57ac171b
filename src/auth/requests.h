/* The auth module's own requests, for gdfs-node and gdfs-cli alike:
 * enrolling (a joining node trades its join token for the group key) and
 * revoking a credential (an admin writes its revocation record). Each
 * dials, runs one exchange and closes. */
#ifndef GDFS_AUTH_REQUESTS_H
#define GDFS_AUTH_REQUESTS_H

#include <stddef.h>
#include <stdint.h>

#include "auth/cred.h"
#include "proto.h"
#include "transport.h"

/* Ask the member at @addr, proving join token @token, for the group key
 * (into @gk) and the group id (into @group, GDFS_NODE_ID_MAX + 1 bytes).
 * @node_id is ours, for the member's log. GDFS_OK, or the failure with
 * @err saying it (GDFS_EAUTH: the token was refused or revoked). */
int gdfs_auth_enrol(struct gdfs_transport *t, const char *addr,
                    const struct gdfs_cred *token, const char *node_id,
                    int timeout_ms, uint8_t gk[GDFS_GROUP_KEY_LEN],
                    char *group, char *err, size_t errlen);

/* Revoke credential @id through the node at @addr, proving @admin (an
 * admin credential or a member's): a put of GDFS_REVOKED_PREFIX + @id
 * whose content says who revoked it and when. Every member refuses the
 * credential once it holds the committed record (within seconds).
 * GDFS_OK with *version set, or the failure with @err. */
int gdfs_auth_revoke(struct gdfs_transport *t, const char *addr,
                     const struct gdfs_cred *admin, const char *id,
                     int timeout_ms, uint64_t *version, char *err,
                     size_t errlen);

#endif
