/* The record log's bookkeeping (rlog.h): sections in order are the
 * helpers, start and the election restriction, the leader's side, the
 * follower's side, and compaction. */
#include "core/rlog.h"

#include <assert.h>
#include <string.h>

#include "err.h"

/* Entries handed to io->apply per read. */
#define APPLY_BATCH 256
/* Entries handed to io->append per call when the leader appends. */
#define APPEND_BATCH 16
/* A read budget for applying: the host stops at it, one entry at least. */
#define APPLY_BYTES ((size_t)1 << 20)

/* ---- helpers ------------------------------------------------------------ */

/* The term of entry @index, snapshot index <= @index <= last index. */
static int term_of(const struct gdfs_rlog *l, uint64_t index, uint64_t *term)
{
    assert(index >= l->snap_index && index <= l->last_index);
    if (index == l->snap_index) {
        *term = l->snap_term;
        return GDFS_OK;
    }
    if (index == l->last_index) {
        *term = l->last_term;
        return GDFS_OK;
    }
    return l->io.term_at(l->io.ctx, index, term);
}

/* Hand the committed entries not yet applied to io->apply, in order. */
static int apply_committed(struct gdfs_rlog *l)
{
    struct gdfs_rlog_entry buf[APPLY_BATCH];

    while (l->applied < l->commit) {
        size_t n = 0;
        int rc = l->io.read(l->io.ctx, l->applied + 1, APPLY_BYTES, buf,
                            APPLY_BATCH, &n);
        if (rc != GDFS_OK)
            return rc;
        /* The host's storage broke the read contract (a damaged store):
         * an error, never an abort. */
        if (n < 1 || n > APPLY_BATCH)
            return GDFS_ECORRUPT;
        size_t k = 0;
        while (k < n && l->applied + k < l->commit) {
            if (buf[k].index != l->applied + 1 + k)
                return GDFS_ECORRUPT;
            k++;
        }
        rc = l->io.apply(l->io.ctx, buf, k);
        if (rc != GDFS_OK)
            return rc;
        l->applied += k;
    }
    return GDFS_OK;
}

/* Leader: the highest index a majority of voters holds, by match index
 * (its own is its last index). */
static uint64_t majority_match(const struct gdfs_rlog *l)
{
    uint64_t m[GDFS_RLOG_VOTERS_MAX];
    unsigned n = l->nvoters;

    for (unsigned i = 0; i < n; i++) {
        uint64_t v = i == l->self ? l->last_index : l->peer[i].match;
        unsigned j = i;
        while (j > 0 && m[j - 1] < v) { /* descending insertion sort */
            m[j] = m[j - 1];
            j--;
        }
        m[j] = v;
    }
    return m[n / 2]; /* held by n / 2 + 1 voters: a majority */
}

/* Leader: commit what a majority holds, if it is of the current term
 * (§5.4.2: an older entry is committed only under a newer one). */
static int advance_commit(struct gdfs_rlog *l)
{
    uint64_t n = majority_match(l), t;
    int rc;

    if (n <= l->commit)
        return GDFS_OK;
    rc = term_of(l, n, &t);
    if (rc != GDFS_OK)
        return rc;
    if (t != l->term && !l->cfg.test_commit_old_terms)
        return GDFS_OK;
    l->commit = n;
    return apply_committed(l);
}

/* ---- start and the election restriction -------------------------------- */

int gdfs_rlog_init(struct gdfs_rlog *l, const struct gdfs_rlog_cfg *cfg,
                   const struct gdfs_rlog_io *io,
                   const struct gdfs_rlog_disk *disk, uint64_t applied)
{
    memset(l, 0, sizeof(*l));
    if (cfg->batch_max == 0)
        return GDFS_EINVAL;
    if (disk->last_index >= GDFS_RLOG_LIMIT ||
        disk->last_term >= GDFS_RLOG_LIMIT || disk->snap_index > applied ||
        applied > disk->last_index || disk->snap_term > disk->last_term ||
        (disk->snap_index == 0) != (disk->snap_term == 0) ||
        (disk->last_index == 0) != (disk->last_term == 0) ||
        (disk->last_index == disk->snap_index &&
         disk->last_term != disk->snap_term))
        return GDFS_ECORRUPT;
    l->cfg = *cfg;
    l->io = *io;
    l->snap_index = disk->snap_index;
    l->snap_term = disk->snap_term;
    l->last_index = disk->last_index;
    l->last_term = disk->last_term;
    l->commit = applied;
    l->applied = applied;
    return GDFS_OK;
}

bool gdfs_rlog_up_to_date(const struct gdfs_rlog *l, uint64_t last_term,
                          uint64_t last_index)
{
    if (last_term != l->last_term)
        return last_term > l->last_term;
    return last_index >= l->last_index;
}

/* ---- leader ------------------------------------------------------------- */

int gdfs_rlog_lead(struct gdfs_rlog *l, uint64_t term, unsigned nvoters,
                   unsigned self)
{
    if (nvoters == 0 || nvoters > GDFS_RLOG_VOTERS_MAX || self >= nvoters ||
        term == 0 || term >= GDFS_RLOG_LIMIT || term < l->last_term)
        return GDFS_EINVAL;
    l->leader = true;
    l->term = term;
    l->nvoters = nvoters;
    l->self = self;
    for (unsigned i = 0; i < nvoters; i++) {
        l->peer[i].next = l->last_index + 1;
        l->peer[i].match = 0;
    }
    return GDFS_OK;
}

void gdfs_rlog_follow(struct gdfs_rlog *l)
{
    l->leader = false;
    l->term = 0;
}

int gdfs_rlog_append(struct gdfs_rlog *l, const void *const *data,
                     const size_t *len, size_t n)
{
    struct gdfs_rlog_entry e[APPEND_BATCH];

    if (!l->leader)
        return GDFS_ENOTLEADER;
    if (n >= GDFS_RLOG_LIMIT - 1 - l->last_index)
        return GDFS_ETOOBIG;
    for (size_t done = 0; done < n;) {
        size_t k = n - done < APPEND_BATCH ? n - done : APPEND_BATCH;
        int rc;
        for (size_t i = 0; i < k; i++) {
            e[i].index = l->last_index + 1 + i;
            e[i].term = l->term;
            e[i].data = data[done + i];
            e[i].len = len[done + i];
        }
        rc = l->io.append(l->io.ctx, e, k);
        if (rc != GDFS_OK)
            return rc;
        l->last_index += k;
        l->last_term = l->term;
        done += k;
    }
    return advance_commit(l);
}

int gdfs_rlog_prepare(struct gdfs_rlog *l, unsigned peer, size_t max_bytes,
                      struct gdfs_rlog_entry *buf, struct gdfs_rlog_req *req,
                      bool *snapshot)
{
    struct gdfs_rlog_progress *p;
    int rc;

    memset(req, 0, sizeof(*req));
    *snapshot = false;
    if (!l->leader)
        return GDFS_ENOTLEADER;
    if (peer >= l->nvoters || peer == l->self)
        return GDFS_EINVAL;
    p = &l->peer[peer];
    if (p->next <= l->snap_index) {
        *snapshot = true;
        return GDFS_OK;
    }
    req->prev_index = p->next - 1;
    rc = term_of(l, req->prev_index, &req->prev_term);
    if (rc != GDFS_OK)
        return rc;
    req->commit = l->commit;
    req->entries = buf;
    if (p->next <= l->last_index) {
        rc = l->io.read(l->io.ctx, p->next, max_bytes, buf, l->cfg.batch_max,
                        &req->n);
        if (rc != GDFS_OK)
            return rc;
        if (req->n < 1 || req->n > l->cfg.batch_max)
            return GDFS_ECORRUPT; /* the host broke the read contract */
    }
    return GDFS_OK;
}

int gdfs_rlog_take_ack(struct gdfs_rlog *l, unsigned peer,
                       const struct gdfs_rlog_ack *ack)
{
    struct gdfs_rlog_progress *p;
    uint64_t next;

    if (!l->leader)
        return GDFS_ENOTLEADER;
    if (peer >= l->nvoters || peer == l->self)
        return GDFS_EINVAL;
    p = &l->peer[peer];
    if (ack->ok) {
        if (ack->match > l->last_index)
            return GDFS_EPROTO;
        if (ack->match > p->match)
            p->match = ack->match;
        if (p->next < p->match + 1)
            p->next = p->match + 1;
        return advance_commit(l);
    }
    if (ack->last_index >= GDFS_RLOG_LIMIT ||
        ack->conflict_term >= GDFS_RLOG_LIMIT ||
        ack->conflict_from >= GDFS_RLOG_LIMIT)
        return GDFS_EPROTO;
    if (ack->last_index < p->match) {
        /* It holds less than it acknowledged: it lost its log (an emptied
         * or replaced disk, taken back under its id). Raft assumes this
         * never happens; nothing it holds is known to agree any more, so
         * start over from its last index (the commit index stays: it
         * never moves back). */
        p->match = 0;
        p->next = ack->last_index + 1;
        return GDFS_OK;
    }
    /* Back up a term at a time (§5.3); a hint that points forward or
     * below what the voter is known to hold is ignored. */
    next = ack->conflict_term != 0 ? ack->conflict_from : ack->last_index + 1;
    if (next < p->next && next > p->match)
        p->next = next;
    else if (p->next > p->match + 1)
        p->next--; /* no usable hint: one entry back */
    return GDFS_OK;
}

/* ---- follower ----------------------------------------------------------- */

/* Refuse a request whose numbers cannot be a leader's. */
static bool req_valid(const struct gdfs_rlog_req *req)
{
    uint64_t term;

    if (req->prev_index >= GDFS_RLOG_LIMIT ||
        req->prev_term >= GDFS_RLOG_LIMIT || req->commit >= GDFS_RLOG_LIMIT ||
        req->n >= GDFS_RLOG_LIMIT - 1 - req->prev_index ||
        (req->prev_index == 0) != (req->prev_term == 0) ||
        (req->n > 0 && req->entries == NULL))
        return false;
    term = req->prev_term;
    for (size_t i = 0; i < req->n; i++) {
        const struct gdfs_rlog_entry *e = &req->entries[i];
        if (e->index != req->prev_index + 1 + i || e->term < term ||
            e->term == 0 || e->term >= GDFS_RLOG_LIMIT ||
            (e->len > 0 && e->data == NULL))
            return false;
        term = e->term;
    }
    return true;
}

/* The first index of the run of @term that ends at @index, looking back
 * at most GDFS_RLOG_HINT_SCAN entries. */
static int first_of_term(const struct gdfs_rlog *l, uint64_t index,
                         uint64_t term, uint64_t *first)
{
    *first = index;
    for (unsigned k = 0; k<GDFS_RLOG_HINT_SCAN && * first> l->snap_index + 1;
         k++) {
        uint64_t t;
        int rc = term_of(l, *first - 1, &t);
        if (rc != GDFS_OK)
            return rc;
        if (t != term)
            break;
        (*first)--;
    }
    return GDFS_OK;
}

int gdfs_rlog_take_append(struct gdfs_rlog *l, const struct gdfs_rlog_req *req,
                          struct gdfs_rlog_ack *ack)
{
    uint64_t last_new = req->prev_index + req->n;
    size_t i = 0;
    int rc;

    memset(ack, 0, sizeof(*ack));
    if (l->leader || !req_valid(req))
        return GDFS_EPROTO; /* a leader takes no entries in its own term */
    if (req->prev_index > l->last_index) { /* a gap: ask for earlier */
        ack->last_index = l->last_index;
        return GDFS_OK;
    }
    /* At or below the snapshot everything is committed and agrees. */
    if (req->prev_index >= l->snap_index && !l->cfg.test_skip_prev_check) {
        uint64_t t;
        rc = term_of(l, req->prev_index, &t);
        if (rc != GDFS_OK)
            return rc;
        if (t != req->prev_term) {
            if (req->prev_index <= l->commit)
                return GDFS_EPROTO; /* denies a committed entry */
            ack->last_index = l->last_index;
            ack->conflict_term = t;
            return first_of_term(l, req->prev_index, t, &ack->conflict_from);
        }
    }
    /* Skip what the snapshot holds and what agrees; the first conflict
     * and what follows it go (Figure 2, receiver rules 3 and 4). */
    while (i < req->n && req->entries[i].index <= l->snap_index)
        i++;
    for (; i < req->n && req->entries[i].index <= l->last_index; i++) {
        uint64_t t, index = req->entries[i].index;
        rc = term_of(l, index, &t);
        if (rc != GDFS_OK)
            return rc;
        if (t == req->entries[i].term)
            continue;
        if (index <= l->commit)
            return GDFS_EPROTO; /* would remove a committed entry */
        rc = l->io.truncate_from(l->io.ctx, index);
        if (rc != GDFS_OK)
            return rc;
        l->last_index = index - 1;
        rc = term_of(l, l->last_index, &l->last_term);
        if (rc != GDFS_OK)
            return rc;
        break;
    }
    if (i < req->n) {
        rc = l->io.append(l->io.ctx, &req->entries[i], req->n - i);
        if (rc != GDFS_OK)
            return rc;
        l->last_index = req->entries[req->n - 1].index;
        l->last_term = req->entries[req->n - 1].term;
    }
    ack->ok = true;
    ack->match = last_new;
    if (l->cfg.test_commit_past_new)
        last_new = l->last_index;
    if (req->commit > l->commit && last_new > l->commit)
        l->commit = req->commit < last_new ? req->commit : last_new;
    return apply_committed(l);
}

int gdfs_rlog_take_snapshot(struct gdfs_rlog *l, uint64_t index, uint64_t term,
                            struct gdfs_rlog_ack *ack)
{
    bool keep = false;
    int rc;

    memset(ack, 0, sizeof(*ack));
    if (l->leader || index == 0 || index >= GDFS_RLOG_LIMIT || term == 0 ||
        term >= GDFS_RLOG_LIMIT)
        return GDFS_EPROTO;
    ack->ok = true;
    ack->match = index;
    if (index <= l->commit) /* it holds that much already, committed */
        return GDFS_OK;
    if (index <= l->last_index) {
        uint64_t t;
        rc = term_of(l, index, &t);
        if (rc != GDFS_OK)
            return rc;
        keep = t == term;
    }
    rc = l->io.install(l->io.ctx, index, term, keep);
    if (rc != GDFS_OK) {
        memset(ack, 0, sizeof(*ack));
        return rc;
    }
    l->snap_index = index;
    l->snap_term = term;
    if (!keep) {
        l->last_index = index;
        l->last_term = term;
    }
    l->commit = index;
    l->applied = index;
    return GDFS_OK;
}

/* ---- compaction --------------------------------------------------------- */

int gdfs_rlog_compact(struct gdfs_rlog *l)
{
    return gdfs_rlog_compact_to(l, l->applied);
}

int gdfs_rlog_compact_to(struct gdfs_rlog *l, uint64_t index)
{
    uint64_t t;
    int rc;

    if (index > l->applied)
        return GDFS_EINVAL;
    if (index <= l->snap_index)
        return GDFS_OK;
    rc = term_of(l, index, &t);
    if (rc != GDFS_OK)
        return rc;
    rc = l->io.snapshot(l->io.ctx, index, t);
    if (rc != GDFS_OK)
        return rc;
    l->snap_index = index;
    l->snap_term = t;
    return GDFS_OK;
}
