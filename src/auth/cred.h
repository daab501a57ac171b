/* Credentials: who may talk to a group, and the keys that prove it.
 *
 * A group has one secret, the group key (32 random bytes made by `init`,
 * kept in data_dir/group.key, mode 0600, handed to a joining node over
 * the authenticated channel). Every member holds it; nothing else does.
 *
 * Every connection proves an *identity* (a short text sent in the clear as
 * the TLS 1.3 PSK identity) with the key that belongs to it:
 *
 *   key(identity) = HMAC-SHA256(group key, "gdfs1 psk " || identity)
 *
 * so a member can check any identity without a table of issued keys, and
 * a credential holder knows only its own key. Identities:
 *
 *   "gdfs1 member NODE_ID"   a member (or a node joining with the key it
 *                            was handed): node-to-node traffic
 *   "gdfs1 ROLE ID"          a credential: ROLE is node (a join token),
 *                            read, write or admin; ID is 1..GDFS_CRED_ID_MAX
 *                            bytes of [A-Za-z0-9._-] (16 random hex digits
 *                            for issued ones)
 *
 * A credential is written as one line, "gdfs1:ROLE:ID:KEY" (KEY: 64 hex
 * digits): the join token and the client key file both hold one. A
 * credential is revoked by its ID (records under GDFS_REVOKED_PREFIX: see
 * node/authz.h); the role is part of the identity, so it cannot be
 * changed without a new key.
 *
 * Pure code plus the key file's I/O; libcrypto's HMAC. */
#ifndef GDFS_AUTH_CRED_H
#define GDFS_AUTH_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDFS_GROUP_KEY_LEN 32
#define GDFS_CRED_KEY_LEN 32
#define GDFS_CRED_ID_MAX 64
/* Longest identity: "gdfs1 member " + a node id. */
#define GDFS_IDENTITY_MAX 80
/* Longest credential line, without its newline. */
#define GDFS_CRED_LINE_MAX                                                    \
    (6 + 6 + GDFS_CRED_ID_MAX + 1 + 2 * GDFS_CRED_KEY_LEN)
/* The group key's file in data_dir. */
#define GDFS_GROUP_KEY_FILE "group.key"
/* File names under which revocations are recorded: PREFIX + credential ID. */
#define GDFS_REVOKED_PREFIX ".gdfs/revoked/"
/* Names under this prefix belong to the group, not to users. */
#define GDFS_RESERVED_PREFIX ".gdfs/"

/* What an identity may do. Ordered: a higher client role includes the
 * lower ones. */
enum gdfs_cred_role {
    GDFS_CRED_NONE = 0,
    GDFS_CRED_NODE = 1,  /* join token: fetch the group key, nothing else */
    GDFS_CRED_READ = 2,  /* get, ls, locate, lshere, versions, status */
    GDFS_CRED_WRITE = 3, /* + put, remove */
    GDFS_CRED_ADMIN = 4, /* + leave, drain, revoke */
    GDFS_CRED_MEMBER = 5 /* a group member: everything, node messages too */
};

/* A credential: an identity and the key that proves it. */
struct gdfs_cred {
    enum gdfs_cred_role role; /* NODE..ADMIN, or MEMBER */
    char id[GDFS_CRED_ID_MAX + 1];
    uint8_t key[GDFS_CRED_KEY_LEN];
};

/* "node", "read", "write", "admin", "member"; NULL for others. */
const char *gdfs_cred_role_name(enum gdfs_cred_role r);
/* The role named @name (node|read|write|admin), or GDFS_CRED_NONE. */
enum gdfs_cred_role gdfs_cred_role_parse(const char *name);

/* true if @id (@len bytes) is a valid credential or node id. */
bool gdfs_cred_id_valid(const char *id, size_t len);

/* The identity text of @role and @id into @out (GDFS_IDENTITY_MAX + 1
 * bytes). */
void gdfs_cred_identity(enum gdfs_cred_role role, const char *id, char *out,
                        size_t cap);

/* Parse an identity (@len hostile bytes, not NUL-terminated) into *role and
 * @id (GDFS_CRED_ID_MAX + 1 bytes). GDFS_OK or GDFS_EAUTH. */
int gdfs_cred_identity_parse(const uint8_t *p, size_t len,
                             enum gdfs_cred_role *role, char *id);

/* The key of @role/@id under group key @gk. */
void gdfs_cred_derive(const uint8_t gk[GDFS_GROUP_KEY_LEN],
                      enum gdfs_cred_role role, const char *id,
                      uint8_t key[GDFS_CRED_KEY_LEN]);

/* Fill @c for @role/@id under @gk. */
void gdfs_cred_make(const uint8_t gk[GDFS_GROUP_KEY_LEN],
                    enum gdfs_cred_role role, const char *id,
                    struct gdfs_cred *c);

/* A new credential of @role with a random 16-hex-digit id. GDFS_OK or
 * GDFS_EIO (no randomness). */
int gdfs_cred_issue(const uint8_t gk[GDFS_GROUP_KEY_LEN],
                    enum gdfs_cred_role role, struct gdfs_cred *c);

/* "gdfs1:ROLE:ID:KEYHEX" into @out (GDFS_CRED_LINE_MAX + 1 bytes). */
void gdfs_cred_format(const struct gdfs_cred *c, char *out, size_t cap);

/* Parse a credential line (surrounding blanks and a trailing newline
 * allowed). GDFS_OK, or GDFS_EINVAL with @err saying what is wrong. */
int gdfs_cred_parse(const char *line, struct gdfs_cred *c, char *err,
                    size_t errlen);

/* Read a credential from the first non-empty, non-# line of @path.
 * Refuses a file that group or others may read (like ssh's private keys).
 * GDFS_OK, GDFS_EIO or GDFS_EINVAL with @err naming the file. */
int gdfs_cred_load(const char *path, struct gdfs_cred *c, char *err,
                   size_t errlen);

/* The group key in @data_dir/group.key: load it (mode must be 0600 or
 * stricter), or create a new random one (GDFS_EGROUP if one exists).
 * GDFS_ENOENT when there is none. */
int gdfs_group_key_load(const char *data_dir, uint8_t gk[GDFS_GROUP_KEY_LEN],
                        char *err, size_t errlen);
int gdfs_group_key_create(const char *data_dir,
                          const uint8_t *gk /* NULL: new random */, char *err,
                          size_t errlen);

/* Overwrite @n bytes at @p (keys on the stack before they go out of scope). */
void gdfs_cred_wipe(void *p, size_t n);

#endif
