/* Handlers for requests about this node and its group (see admin.c):
 * each takes the session and the decoded request, replies, and returns
 * GDFS_OK to keep the connection or an error to close it. */
#ifndef GDFS_NODE_ADMIN_H
#define GDFS_NODE_ADMIN_H

#include "node/session.h"

/* LIST with scope "here": the copies this node holds. */
int gdfs_admin_list_here(struct gdfs_session *s, const struct gdfs_msg *m);
/* VERSIONS: the versions of a name kept on this node. */
int gdfs_admin_versions(struct gdfs_session *s, const struct gdfs_msg *m);
/* STATUS: this node's view of the group, health, repair and scrub. */
int gdfs_admin_status(struct gdfs_session *s, const struct gdfs_msg *m);
/* GROUP: the member set as this node knows it. */
/* CLTOND_ENROL: hand a node that proved a join token the group key. */
int gdfs_admin_enrol(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_admin_group(struct gdfs_session *s, const struct gdfs_msg *m);
/* LEAVE: hand this node's copies off, then leave the group. */
int gdfs_admin_leave(struct gdfs_session *s, const struct gdfs_msg *m);
/* FORGET (admin): remove a failed member for good, through the leader. */
int gdfs_admin_forget(struct gdfs_session *s, const struct gdfs_msg *m);
/* DRAIN (leader): re-create a leaving member's copies elsewhere. */
int gdfs_admin_drain(struct gdfs_session *s, const struct gdfs_msg *m);
/* HEALTH (leader): the re-replication figures for a member's status. */
int gdfs_admin_health(struct gdfs_session *s, const struct gdfs_msg *m);

#endif
