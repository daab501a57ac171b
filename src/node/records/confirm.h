/* Confirmations: the leader tells the members which records committed,
 * so they apply them (the second phase of a record on a member; see
 * confirm.c). */
#ifndef GDFS_NODE_CONFIRM_H
#define GDFS_NODE_CONFIRM_H

#include <stddef.h>
#include <stdint.h>

#include "node/records/records.h"
#include "node/group/grouphost.h"

struct gdfs_confirm;

/* Start the confirmation thread and hook it to @records' commits. */
int gdfs_confirm_start(struct gdfs_records *records, struct gdfs_grouphost *g,
                       struct gdfs_confirm **out, char *err, size_t errlen);
/* Unhook and stop; records still queued are not sent (record sync settles
 * them). */
void gdfs_confirm_stop(struct gdfs_confirm *c);

#endif
