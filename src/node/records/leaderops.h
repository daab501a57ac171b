/* Requests answered by the leader from its committed metadata records;
 * client requests that need it are forwarded from any node (see
 * leaderops.c). */
#ifndef GDFS_NODE_LEADEROPS_H
#define GDFS_NODE_LEADEROPS_H

#include "node/session.h"
#include "store/store.h"

/* This node leads (lease, record log ready): the record of @name. */
int gdfs_leaderops_record(struct gdfs_session *s, const uint8_t *name,
                          size_t namelen, struct gdfs_meta *out, char *why,
                          size_t whylen);

/* Pass client request @m on to the node at @addr (flagged FORWARDED) and
 * relay its one-frame reply; @what names the operation in errors. */
int gdfs_leaderops_forward(struct gdfs_session *s, const struct gdfs_msg *m,
                           const char *addr, const char *what);

int gdfs_leaderops_alloc(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_leaderops_commit(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_leaderops_lookup(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_leaderops_remove(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_leaderops_list(struct gdfs_session *s, const struct gdfs_msg *m);
int gdfs_leaderops_locate(struct gdfs_session *s, const struct gdfs_msg *m);

#endif
