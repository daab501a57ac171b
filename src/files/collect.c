/* The merge of a leader's record into the one held, and the check of
 * what a leader may send; see collect.h for the rules. */
#include "files/collect.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

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

/* Why @m cannot come from the leader of @term, or NULL. */
static const char *refuse(uint64_t term, const struct gdfs_meta *m)
{
    if (m->version.seq == 0 || m->version.seq > GDFS_VERSION_MAX)
        return "seq out of range";
    if (m->version.term > term)
        return "version of a later term than its sender's";
    if (m->namelen == 0 || m->namelen > GDFS_NAME_MAX)
        return "no name";
    if (m->nreplicas > GDFS_REPLICAS || (m->acked >> m->nreplicas) != 0)
        return "replica count or acks out of range";
    if (m->tombstone && (m->size != 0 || m->nchunks != 0))
        return "a tombstone with bytes";
    for (unsigned i = 0; i < m->nreplicas; i++) {
        if (m->replica[i][0] == '\0')
            return "an empty replica id";
        for (unsigned j = 0; j < i; j++)
            if (strcmp(m->replica[i], m->replica[j]) == 0)
                return "a replica named twice";
    }
    return NULL;
}

int gdfs_collect_check(uint64_t term, const struct gdfs_meta *ms, unsigned n,
                       char *why, size_t whylen)
{
    if (term == 0 || term > GDFS_VERSION_MAX) {
        snprintf(why, whylen, "term %llu out of range",
                 (unsigned long long)term);
        return GDFS_EINVAL;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct gdfs_meta *m = &ms[i];
        const char *what = refuse(term, m);
        int len = (int)(m->namelen > 200 ? 200 : m->namelen);

        if (what == NULL)
            continue;
        snprintf(why, whylen,
                 "record %u of %u (%.*s%s, version %llu of term %llu) from "
                 "the leader of term %llu: %s",
                 i + 1, n, len, (const char *)m->name,
                 m->namelen > 200 ? "..." : "",
                 (unsigned long long)m->version.seq,
                 (unsigned long long)m->version.term, (unsigned long long)term,
                 what);
        return GDFS_EINVAL;
    }
    return GDFS_OK;
}
