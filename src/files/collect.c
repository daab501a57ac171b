/* A new leader's merge of collected records and its serve decision; see
 * collect.h for the rules. */
#include "files/collect.h"

#include <string.h>

#include "core/group.h"

bool gdfs_collect_same(const struct gdfs_meta *a, const struct gdfs_meta *b)
{
    if (a->acked != b->acked || a->nreplicas != b->nreplicas ||
        a->tombstone != b->tombstone)
        return false;
    for (unsigned i = 0; i < a->nreplicas && i < GDFS_REPLICAS; i++)
        if (strcmp(a->replica[i], b->replica[i]) != 0)
            return false;
    return true;
}

enum gdfs_collect_take gdfs_collect_merge(const struct gdfs_meta *held,
                                          const struct gdfs_meta *in)
{
    int cmp;

    if (held == NULL)
        return GDFS_COLLECT_NEWER;
    cmp = gdfs_version_cmp(&in->version, &held->version);
    if (cmp < 0)
        return GDFS_COLLECT_OLDER;
    if (cmp > 0)
        return GDFS_COLLECT_NEWER;
    return gdfs_collect_same(in, held) ? GDFS_COLLECT_KEEP
                                       : GDFS_COLLECT_RESET;
}

bool gdfs_collect_may_serve(const struct gdfs_members *set, const bool *holds)
{
    uint32_t have = 0;

    for (uint32_t i = 0; i < set->n; i++)
        if (holds[i] && set->m[i].state != GDFS_MEMBER_LEFT)
            have++;
    return have >= gdfs_group_set_majority(set);
}
