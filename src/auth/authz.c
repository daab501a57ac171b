/* Request authorization by message and role; see authz.h. */
#include "auth/authz.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

/* The verb a user knows for a client message: "CLTOND_PUT" -> "put". */
static void verb_of(uint8_t type, char *out, size_t cap)
{
    const char *n = gdfs_proto_type_name(type);
    size_t i = 0;

    if (strncmp(n, "CLTOND_", 7) == 0)
        n += 7;
    for (; n[i] != '\0' && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)n[i]);
    out[i] = '\0';
}

static enum gdfs_cred_role needed_role(enum gdfs_msg_auth a)
{
    switch (a) {
    case GDFS_AUTH_READ:
        return GDFS_CRED_READ;
    case GDFS_AUTH_WRITE:
        return GDFS_CRED_WRITE;
    case GDFS_AUTH_ADMIN:
        return GDFS_CRED_ADMIN;
    default:
        return GDFS_CRED_MEMBER;
    }
}

int gdfs_authz_request(const struct gdfs_auth_peer *peer, uint8_t type,
                       char *why, size_t whylen)
{
    enum gdfs_msg_auth a = gdfs_proto_auth_of(type);
    char verb[32];

    if (a == GDFS_AUTH_REPLY) {
        snprintf(why, whylen, "unexpected %s request",
                 gdfs_proto_type_name(type));
        return GDFS_EPROTO;
    }
    if (peer->role == GDFS_CRED_MEMBER)
        return GDFS_OK;
    verb_of(type, verb, sizeof(verb));
    if (a == GDFS_AUTH_JOIN) {
        if (peer->role == GDFS_CRED_NODE)
            return GDFS_OK;
        snprintf(
            why, whylen,
            "permission denied: role %s cannot %s (it needs a join token)",
            gdfs_cred_role_name(peer->role), verb);
        return GDFS_EPERM;
    }
    if (peer->role == GDFS_CRED_NODE) {
        snprintf(why, whylen,
                 "permission denied: a join token only lets a node join (it "
                 "cannot %s)",
                 verb);
        return GDFS_EPERM;
    }
    if (a == GDFS_AUTH_MEMBER || a == GDFS_AUTH_LEADER) {
        snprintf(why, whylen,
                 "permission denied: %s is for group members, not a client "
                 "(role %s)",
                 gdfs_proto_type_name(type), gdfs_cred_role_name(peer->role));
        return GDFS_EPERM;
    }
    if (peer->role >= needed_role(a) && peer->role <= GDFS_CRED_ADMIN)
        return GDFS_OK;
    snprintf(why, whylen, "permission denied: role %s cannot %s",
             gdfs_cred_role_name(peer->role), verb);
    return GDFS_EPERM;
}

bool gdfs_authz_reserved(const uint8_t *name, size_t len)
{
    size_t plen = strlen(GDFS_RESERVED_PREFIX);

    return len >= plen && memcmp(name, GDFS_RESERVED_PREFIX, plen) == 0;
}

int gdfs_authz_name(const struct gdfs_auth_peer *peer, const uint8_t *name,
                    size_t len, bool remove, char *why, size_t whylen)
{
    size_t rlen = strlen(GDFS_REVOKED_PREFIX);

    if (!gdfs_authz_reserved(name, len) || peer->role == GDFS_CRED_MEMBER)
        return GDFS_OK;
    if (peer->role != GDFS_CRED_ADMIN) {
        snprintf(why, whylen,
                 "permission denied: names under %s belong to the group "
                 "(role %s cannot write them)",
                 GDFS_RESERVED_PREFIX, gdfs_cred_role_name(peer->role));
        return GDFS_EPERM;
    }
    if (remove && len >= rlen &&
        memcmp(name, GDFS_REVOKED_PREFIX, rlen) == 0) {
        snprintf(why, whylen,
                 "permission denied: a revocation is for good and cannot be "
                 "removed (issue a new credential instead)");
        return GDFS_EPERM;
    }
    return GDFS_OK;
}
