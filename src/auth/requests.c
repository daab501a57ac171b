/* Enrol and revoke requests; see requests.h. */
#include "auth/requests.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "auth/channel.h"
#include "hash.h"
#include "net.h"

/* Replies here are small: an ERROR, OK, PUT_READY or ENROL. */
#define REPLY_MAX 2048

/* Send @m and receive one reply into @r (pointers into @buf). An ERROR
 * reply becomes its status, with its text in @err. */
static int call(struct gdfs_conn *c, struct gdfs_msg *m, uint8_t *buf,
                size_t cap, int timeout_ms, struct gdfs_msg *r, char *err,
                size_t errlen)
{
    int rc = gdfs_net_send_msg(c, m, buf, cap, timeout_ms);

    if (rc == GDFS_OK)
        rc = gdfs_net_recv_msg(c, buf, cap, (uint32_t)(cap - 16), timeout_ms,
                               timeout_ms, r);
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "%s",
                 c->errmsg[0] ? c->errmsg : gdfs_strerror(rc));
        return rc;
    }
    if (r->type == GDFS_MSG_NDTOCL_ERROR) {
        snprintf(err, errlen, "%.*s", (int)r->u.error.msg.len,
                 (const char *)r->u.error.msg.p);
        return r->u.error.status != 0 ? (int)r->u.error.status : GDFS_EPROTO;
    }
    return GDFS_OK;
}

int gdfs_auth_enrol(struct gdfs_transport *t, const char *addr,
                    const struct gdfs_cred *token, const char *node_id,
                    int timeout_ms, uint8_t gk[GDFS_GROUP_KEY_LEN],
                    char *group, char *err, size_t errlen)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_ENROL, .reqid = 1}, r;
    struct gdfs_conn c;
    uint8_t buf[REPLY_MAX];
    int rc;

    rc = gdfs_channel_dial(t, &c, addr, timeout_ms, token);
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "%s", c.errmsg);
        return rc;
    }
    m.u.drain.id.p = (const uint8_t *)node_id;
    m.u.drain.id.len = strlen(node_id);
    rc = call(&c, &m, buf, sizeof(buf), timeout_ms, &r, err, errlen);
    if (rc == GDFS_OK && r.type != GDFS_MSG_NDTOCL_ENROL) {
        snprintf(err, errlen, "%s answered %s to ENROL", addr,
                 gdfs_proto_type_name(r.type));
        rc = GDFS_EPROTO;
    }
    if (rc == GDFS_OK) {
        memcpy(gk, r.u.enrol.key, GDFS_GROUP_KEY_LEN);
        memcpy(group, r.u.enrol.group.p, r.u.enrol.group.len);
        group[r.u.enrol.group.len] = '\0';
    }
    gdfs_cred_wipe(buf, sizeof(buf));
    gdfs_conn_close(&c);
    return rc;
}

/* An id gdfs_cred_issue makes (16 lowercase hex digits) or a node's local
 * admin ("local." + node id). Anything else matches no credential: node
 * ids are members, never revoked, and ids are case-sensitive. */
static bool issued_form(const char *id)
{
    size_t n = strlen(id);

    if (strncmp(id, "local.", 6) == 0)
        return n > 6;
    if (n != 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') ||
              (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return true;
}

int gdfs_auth_revoke(struct gdfs_transport *t, const char *addr,
                     const struct gdfs_cred *admin, const char *id,
                     int timeout_ms, uint64_t *version, char *err,
                     size_t errlen)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_PUT, .reqid = 1}, r;
    char name[sizeof(GDFS_REVOKED_PREFIX) + GDFS_CRED_ID_MAX];
    char text[256];
    uint8_t buf[REPLY_MAX], chunk_sha[GDFS_SHA256_LEN];
    uint8_t file_sha[GDFS_SHA256_LEN];
    struct gdfs_conn c;
    size_t tlen;
    int rc;

    if (!gdfs_cred_id_valid(id, strlen(id)) || !issued_form(id)) {
        snprintf(err, errlen,
                 "'%s' is not a credential id: one that 'gdfs-node token' "
                 "issues (16 hex digits, the third field of the credential "
                 "line) or a node's local admin (local.NODE); a member "
                 "leaves the group with 'gdfs-cli leave', not revoke",
                 id);
        return GDFS_EINVAL;
    }
    snprintf(name, sizeof(name), GDFS_REVOKED_PREFIX "%s", id);
    /* Not who revoked it: any reader may get the record, and an admin's id
     * is worth keeping from them. */
    tlen = (size_t)snprintf(text, sizeof(text),
                            "credential %s revoked at %lld\n", id,
                            (long long)time(NULL));
    rc = gdfs_channel_dial(t, &c, addr, timeout_ms, admin);
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "%s", c.errmsg);
        return rc;
    }
    m.u.put.name.p = (const uint8_t *)name;
    m.u.put.name.len = strlen(name);
    rc = call(&c, &m, buf, sizeof(buf), timeout_ms, &r, err, errlen);
    if (rc == GDFS_OK && r.type != GDFS_MSG_NDTOCL_PUT_READY) {
        snprintf(err, errlen, "%s answered %s to a put", addr,
                 gdfs_proto_type_name(r.type));
        rc = GDFS_EPROTO;
    }
    if (rc == GDFS_OK) {
        /* One chunk (the text is far below any chunk size), then the
         * file hash: SHA-256 over the chunk hashes. */
        gdfs_hash_sha256(text, tlen, chunk_sha);
        gdfs_hash_sha256(chunk_sha, sizeof(chunk_sha), file_sha);
        m = (struct gdfs_msg){.type = GDFS_MSG_CHUNK, .reqid = 1};
        m.u.chunk.idx = 0;
        memcpy(m.u.chunk.sha256, chunk_sha, sizeof(chunk_sha));
        m.u.chunk.data.p = (const uint8_t *)text;
        m.u.chunk.data.len = tlen;
        rc = gdfs_net_send_msg(&c, &m, buf, sizeof(buf), timeout_ms);
        if (rc != GDFS_OK)
            snprintf(err, errlen, "%s", c.errmsg);
    }
    if (rc == GDFS_OK) {
        m = (struct gdfs_msg){.type = GDFS_MSG_CLTOND_PUT_END, .reqid = 1};
        m.u.put_end.size = tlen;
        m.u.put_end.nchunks = 1;
        memcpy(m.u.put_end.sha256, file_sha, sizeof(file_sha));
        rc = call(&c, &m, buf, sizeof(buf), timeout_ms, &r, err, errlen);
        if (rc == GDFS_OK && r.type != GDFS_MSG_NDTOCL_OK) {
            snprintf(err, errlen, "%s answered %s to a put", addr,
                     gdfs_proto_type_name(r.type));
            rc = GDFS_EPROTO;
        }
        if (rc == GDFS_OK)
            *version = r.u.ok.version.seq;
    }
    gdfs_conn_close(&c);
    return rc;
}
