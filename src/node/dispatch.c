/* gdfs-node's request dispatch: each request message to its handler, in
 * the room that owns it (see dispatch.h). */
#define GDFS_LOG_MODULE "node"
#include "node/dispatch.h"

#include "log.h"
#include "node/admin.h"
#include "node/authz.h"
#include "node/data/gateway.h"
#include "node/data/probe.h"
#include "node/data/replica.h"
#include "node/records/inventory.h"
#include "node/records/leaderops.h"
#include "node/records/sync.h"

/* ---- dispatch ------------------------------------------------------------ */

/* Refuse @m when its sender may not ask it: an ERROR reply; the
 * connection stays open after a refused request, but not after a failed
 * authentication or a member that forged another's name. */
static int refuse(struct gdfs_session *s, const struct gdfs_msg *m, int rc,
                  const char *why)
{
    int sent;

    gdfs_log(rc == GDFS_ENOTLEADER ? GDFS_LOG_INFO : GDFS_LOG_WARN,
             "%s (%s %s): %s", s->conn->peer,
             gdfs_cred_role_name(s->peer.role), s->peer.id, why);
    sent = gdfs_reply_error(s, m->reqid, rc, "%s", why);
    if (rc == GDFS_EAUTH || rc == GDFS_EPROTO ||
        s->peer.role == GDFS_CRED_MEMBER)
        return rc == GDFS_ENOTLEADER ? sent : rc;
    return sent;
}

int gdfs_dispatch(struct gdfs_session *s, const struct gdfs_msg *m)
{
    char why[512];
    int rc = gdfs_node_authz(s, m, why, sizeof(why));

    if (rc != GDFS_OK)
        return refuse(s, m, rc, why);
    switch (m->type) {
    case GDFS_MSG_CLTOND_ENROL:
        return gdfs_admin_enrol(s, m);
    case GDFS_MSG_CLTOND_PUT:
        return gdfs_gateway_put(s, m);
    case GDFS_MSG_CLTOND_GET:
        return gdfs_gateway_get(s, m);
    case GDFS_MSG_CLTOND_REMOVE:
        return gdfs_leaderops_remove(s, m);
    case GDFS_MSG_CLTOND_LIST:
        return m->u.list.scope == GDFS_LIST_HERE ? gdfs_admin_list_here(s, m)
                                                 : gdfs_leaderops_list(s, m);
    case GDFS_MSG_CLTOND_LOCATE:
        return gdfs_leaderops_locate(s, m);
    case GDFS_MSG_NDTOND_ALLOC:
        return gdfs_leaderops_alloc(s, m);
    case GDFS_MSG_NDTOND_COMMIT:
        return gdfs_leaderops_commit(s, m);
    case GDFS_MSG_NDTOND_LOOKUP:
        return gdfs_leaderops_lookup(s, m);
    case GDFS_MSG_NDTOND_RPUT:
        return gdfs_replica_put(s, m);
    case GDFS_MSG_NDTOND_RGET:
    case GDFS_MSG_NDTOND_RGET_FROM:
        return gdfs_replica_get(s, m);
    case GDFS_MSG_NDTOND_PROBE:
        return gdfs_probe_handle(s, m);
    case GDFS_MSG_NDTOND_REPLICATE:
        return gdfs_replica_replicate(s, m);
    case GDFS_MSG_NDTOND_LOG_APPEND:
        return gdfs_reclog_handle_append(s, gdfs_records_log(s->records), m);
    case GDFS_MSG_NDTOND_LOG_SNAP:
        return gdfs_reclog_handle_snap(s, gdfs_records_log(s->records), m);
    case GDFS_MSG_NDTOND_META_SUM:
        return gdfs_sync_handle_sum(s, m);
    case GDFS_MSG_NDTOND_META_SYNC:
        return gdfs_sync_handle_push(s, m);
    case GDFS_MSG_NDTOND_INV_SUM:
        return gdfs_inventory_handle_sum(s, m);
    case GDFS_MSG_NDTOND_INV_LIST:
        return gdfs_inventory_handle_list(s, m);
    case GDFS_MSG_CLTOND_VERSIONS:
        return gdfs_admin_versions(s, m);
    case GDFS_MSG_CLTOND_STATUS:
        return gdfs_admin_status(s, m);
    case GDFS_MSG_NDTOND_GROUP:
        return gdfs_admin_group(s, m);
    case GDFS_MSG_CLTOND_LEAVE:
        return gdfs_admin_leave(s, m);
    case GDFS_MSG_CLTOND_FORGET:
        return gdfs_admin_forget(s, m);
    case GDFS_MSG_NDTOND_DRAIN:
        return gdfs_admin_drain(s, m);
    case GDFS_MSG_NDTOND_HEALTH:
        return gdfs_admin_health(s, m);
    default:
        gdfs_log(GDFS_LOG_WARN, "%s sent %s out of place; closing",
                 s->conn->peer, gdfs_proto_type_name(m->type));
        gdfs_reply_error(s, m->reqid, GDFS_EPROTO, "unexpected %s request",
                         gdfs_proto_type_name(m->type));
        return GDFS_EPROTO;
    }
}
