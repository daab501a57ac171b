/* Request authorization on a node; see authz.h. */
#define GDFS_LOG_MODULE "authz"
#include "node/authz.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/authz.h"
#include "clock.h"
#include "log.h"
#include "node/group/grouphost.h"
#include "store/store.h"

/* How often a client's credential is looked up again. */
#define REVOKED_RECHECK_MS 1000
/* How long a leader message may wait for this node to learn its term. */
#define LEADER_WAIT_MS 1000

static int revoked(struct gdfs_session *s, char *why, size_t whylen)
{
    uint64_t now = gdfs_clock_ms();
    char name[sizeof(GDFS_REVOKED_PREFIX) + GDFS_CRED_ID_MAX];
    struct gdfs_meta meta;
    int n, rc;

    if (s->peer.role == GDFS_CRED_MEMBER)
        return GDFS_OK;
    if (s->revoked_checked_ms != 0 &&
        now - s->revoked_checked_ms < REVOKED_RECHECK_MS)
        return GDFS_OK;
    n = snprintf(name, sizeof(name), GDFS_REVOKED_PREFIX "%s", s->peer.id);
    rc = gdfs_store_meta_get(s->st, (const uint8_t *)name, (size_t)n, &meta);
    if (rc == GDFS_OK && !meta.tombstone) {
        snprintf(why, whylen,
                 "authentication failed: credential revoked (id %s, role %s)",
                 s->peer.id, gdfs_cred_role_name(s->peer.role));
        return GDFS_EAUTH;
    }
    if (rc != GDFS_OK && rc != GDFS_ENOENT) {
        /* Cannot tell: refuse rather than serve a revoked credential. */
        snprintf(why, whylen,
                 "node cannot check credential %s against revocations: %s",
                 s->peer.id, gdfs_store_errmsg(s->st));
        return GDFS_EBUSY;
    }
    s->revoked_checked_ms = now;
    return GDFS_OK;
}

/* The term a leader message speaks for. */
static uint64_t leader_term(const struct gdfs_msg *m)
{
    switch (m->type) {
    case GDFS_MSG_NDTOND_META_SUM:
        return m->u.meta_sum.term;
    case GDFS_MSG_NDTOND_META_SYNC:
        return m->u.meta_sync.term;
    case GDFS_MSG_NDTOND_LOG_APPEND:
        return m->u.log_append.term;
    case GDFS_MSG_NDTOND_LOG_SNAP:
        return m->u.log_snap.term;
    default:
        return 0;
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static int from_leader(struct gdfs_session *s, const struct gdfs_msg *m,
                       char *why, size_t whylen)
{
    struct gdfs_group_status st;
    uint64_t term = leader_term(m);
    uint64_t until = gdfs_clock_ms() + LEADER_WAIT_MS;

    for (;;) {
        gdfs_grouphost_status(s->group, &st);
        if (term != 0 && term < st.term)
            return GDFS_OK; /* stale: the handler answers GDFS_ESTALE */
        if ((term == 0 || term == st.term) && st.leader[0] != '\0') {
            if (strcmp(st.leader, s->peer.id) == 0)
                return GDFS_OK;
            snprintf(why, whylen,
                     "permission denied: %s from %s, but %s leads term %llu "
                     "here",
                     gdfs_proto_type_name(m->type), s->peer.id, st.leader,
                     (unsigned long long)st.term);
            return GDFS_EPERM;
        }
        if (gdfs_clock_ms() >= until)
            break;
        sleep_ms(10);
    }
    snprintf(why, whylen,
             "%s from %s for term %llu: this node knows no leader of that "
             "term (its term is %llu)",
             gdfs_proto_type_name(m->type), s->peer.id,
             (unsigned long long)term, (unsigned long long)st.term);
    return GDFS_ENOTLEADER;
}

int gdfs_node_authz(struct gdfs_session *s, const struct gdfs_msg *m,
                    char *why, size_t whylen)
{
    int rc = gdfs_authz_request(&s->peer, m->type, why, whylen);

    if (rc != GDFS_OK)
        return rc;
    /* A write under .gdfs/ (a revocation) is checked against revocations
     * afresh, not from the last second's answer. */
    if ((m->type == GDFS_MSG_CLTOND_PUT ||
         m->type == GDFS_MSG_CLTOND_REMOVE) &&
        gdfs_authz_reserved(m->u.put.name.p, m->u.put.name.len))
        s->revoked_checked_ms = 0;
    if ((rc = revoked(s, why, whylen)) != GDFS_OK)
        return rc;
    switch (m->type) {
    case GDFS_MSG_CLTOND_PUT:
    case GDFS_MSG_CLTOND_REMOVE:
        return gdfs_authz_name(&s->peer, m->u.put.name.p, m->u.put.name.len,
                               m->type == GDFS_MSG_CLTOND_REMOVE, why, whylen);
    case GDFS_MSG_NDTOND_DRAIN:
        if (m->u.drain.id.len != strlen(s->peer.id) ||
            memcmp(m->u.drain.id.p, s->peer.id, m->u.drain.id.len) != 0) {
            snprintf(why, whylen,
                     "permission denied: member %s asked to drain %.*s (a "
                     "member may only drain itself)",
                     s->peer.id, (int)m->u.drain.id.len,
                     (const char *)m->u.drain.id.p);
            return GDFS_EPERM;
        }
        return GDFS_OK;
    default:
        break;
    }
    if (gdfs_proto_auth_of(m->type) == GDFS_AUTH_LEADER)
        return from_leader(s, m, why, whylen);
    return GDFS_OK;
}
