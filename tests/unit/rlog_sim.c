/* A simulated group of record logs (rlog_sim.h). Sections: the world,
 * the checks, the election model, the network, the steps. */
#include "rlog_sim.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "rlog_mem.h"

/* ---- the world ---------------------------------------------------------- */

#define MAXN 5
#define MAXMSG 256
#define MAXIDX 4096  /* indices the checks follow: appends stop below it */
#define MAXTERM 4096 /* terms: elections stop below it */
#define BATCH 8

enum { MSG_APPEND, MSG_SNAP, MSG_ACK };

struct msg {
    int type, from, to;
    uint64_t term;
    struct gdfs_rlog_req req; /* APPEND: entries point into e[] */
    struct gdfs_rlog_entry e[BATCH];
    uint64_t val[BATCH];
    uint64_t snap_index, snap_term, snap_hash; /* SNAP */
    struct gdfs_rlog_ack ack;                  /* ACK */
};

struct node {
    struct store st; /* durable, but for its state machine */
    struct gdfs_rlog l;
    uint64_t term; /* durable */
    uint64_t seen; /* committed entries already recorded */
    bool up;
};

struct record {
    bool set;
    uint64_t term, val;
    uint64_t in_term; /* committed: the term of the node that saw it */
    uint64_t hash;    /* applied: the state machine after it */
};

static struct world {
    const struct sim_opts *o;
    unsigned n;
    struct node node[MAXN];
    struct msg msg[MAXMSG];
    unsigned nmsg;
    uint64_t rng;
    bool cut[MAXN][MAXN];
    uint64_t term_max;
    int leader_of[MAXTERM]; /* node + 1, 0: none */
    struct record committed[MAXIDX];
    uint64_t top; /* the highest index recorded committed */
    struct record applied[MAXIDX];
    uint64_t next_val;
    int fail;
    char *why;
    size_t why_len;
} W;

struct sim_stats sim_stats;

static uint64_t rnd(void)
{
    uint64_t z = (W.rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static void fail(int check, const char *fmt, ...)
{
    va_list ap;

    if (W.fail != SIM_OK ||
        (W.o->only != SIM_OK && check != W.o->only && check != SIM_HOSTILE))
        return;
    W.fail = check;
    va_start(ap, fmt);
    vsnprintf(W.why, W.why_len, fmt, ap);
    va_end(ap);
}

static bool honest(void)
{
    return !W.o->break_election && !W.o->break_restriction &&
           !W.o->cfg.test_skip_prev_check && !W.o->cfg.test_commit_old_terms &&
           !W.o->cfg.test_commit_past_new;
}

/* ---- the checks --------------------------------------------------------- */

static const struct ent *entry(const struct node *x, uint64_t index)
{
    if (index <= x->st.snap_index || index > mem_last(&x->st))
        return NULL;
    return &x->st.e[index - x->st.snap_index - 1];
}

/* State Machine Safety, on every apply: one entry per index, one state. */
static void on_apply(struct store *s, uint64_t index, const struct ent *e)
{
    struct record *r;

    if (index >= MAXIDX)
        return;
    r = &W.applied[index];
    if (!r->set) {
        *r = (struct record){.set = true,
                             .term = e->term,
                             .val = e->val,
                             .hash = s->hash};
        return;
    }
    if (r->term != e->term || r->val != e->val || r->hash != s->hash)
        fail(SIM_STATE_MACHINE_SAFETY,
             "node %d applied %" PRIu64 " (term %" PRIu64 ") at index %" PRIu64
             ", another node %" PRIu64 " (term %" PRIu64 ")",
             (int)((struct node *)s->owner - W.node), e->val, e->term, index,
             r->val, r->term);
}

/* Log Matching: two logs with an entry of the same index and term agree
 * on every entry up to it. */
static void check_log_matching(void)
{
    for (unsigned a = 0; a < W.n; a++)
        for (unsigned b = a + 1; b < W.n; b++) {
            const struct node *x = &W.node[a], *y = &W.node[b];
            uint64_t lo = (x->st.snap_index > y->st.snap_index
                               ? x->st.snap_index
                               : y->st.snap_index) +
                          1;
            uint64_t hi = mem_last(&x->st) < mem_last(&y->st)
                              ? mem_last(&x->st)
                              : mem_last(&y->st);
            uint64_t top = 0;
            for (uint64_t i = hi; i >= lo && top == 0; i--)
                if (entry(x, i)->term == entry(y, i)->term)
                    top = i;
            for (uint64_t i = lo; i <= top; i++) {
                const struct ent *p = entry(x, i), *q = entry(y, i);
                if (p->term != q->term || p->val != q->val) {
                    fail(SIM_LOG_MATCHING,
                         "nodes %u and %u agree at index %" PRIu64
                         " but differ at %" PRIu64,
                         a, b, top, i);
                    return;
                }
            }
        }
}

/* Record what each node has committed; two different entries committed
 * at one index break State Machine Safety. */
static void record_commits(void)
{
    for (unsigned k = 0; k < W.n; k++) {
        struct node *x = &W.node[k];
        uint64_t i = x->seen > x->st.snap_index ? x->seen : x->st.snap_index;
        if (!x->up)
            continue;
        for (i++; i <= x->l.commit && i < MAXIDX; i++) {
            const struct ent *e = entry(x, i);
            struct record *r = &W.committed[i];
            if (!r->set) {
                *r = (struct record){.set = true,
                                     .term = e->term,
                                     .val = e->val,
                                     .in_term = x->term};
                if (i > W.top)
                    W.top = i;
            } else if (r->term != e->term || r->val != e->val) {
                fail(SIM_STATE_MACHINE_SAFETY,
                     "node %u committed another entry at index %" PRIu64, k,
                     i);
            }
        }
        x->seen = x->l.commit;
    }
}

/* Leader Completeness: a leader of term T holds every entry committed in
 * a term before T. */
static void check_leader_completeness(void)
{
    for (unsigned k = 0; k < W.n; k++) {
        const struct node *x = &W.node[k];
        if (!x->up || !x->l.leader)
            continue;
        for (uint64_t i = x->st.snap_index + 1; i <= W.top; i++) {
            const struct record *r = &W.committed[i];
            const struct ent *e;
            if (!r->set || r->in_term >= x->l.term)
                continue;
            e = entry(x, i);
            if (e == NULL || e->term != r->term || e->val != r->val) {
                fail(SIM_LEADER_COMPLETENESS,
                     "leader %u of term %" PRIu64 " lacks index %" PRIu64
                     " committed in term %" PRIu64,
                     k, x->l.term, i, r->in_term);
                return;
            }
        }
    }
}

/* ---- the election model ------------------------------------------------- */

static bool reach(unsigned a, unsigned b)
{
    return a == b || (!W.cut[a][b] && !W.cut[b][a]);
}

static void adopt(struct node *x, uint64_t term)
{
    if (term > x->term) {
        x->term = term;
        gdfs_rlog_follow(&x->l);
    }
}

static void become_leader(unsigned c, uint64_t term)
{
    struct node *x = &W.node[c];
    uint64_t v = ++W.next_val;
    const void *data[1] = {&v};
    size_t len[1] = {sizeof(v)};

    if (W.leader_of[term] != 0 && W.leader_of[term] != (int)c + 1) {
        fail(SIM_ELECTION_SAFETY, "nodes %d and %u both lead term %" PRIu64,
             W.leader_of[term] - 1, c, term);
        return;
    }
    W.leader_of[term] = (int)c + 1;
    sim_stats.elections++;
    if (gdfs_rlog_lead(&x->l, term, W.n, c) != GDFS_OK || W.o->no_noop)
        return;
    /* an entry of its own term commits what earlier leaders left */
    if (gdfs_rlog_append(&x->l, data, len, 1) != GDFS_OK)
        fail(SIM_HOSTILE, "node %u: append failed", c);
}

static void elect(void)
{
    unsigned c = pick(W.n), votes = 0;
    struct node *x = &W.node[c];
    uint64_t term;

    if (!x->up || W.term_max + 1 >= MAXTERM)
        return;
    if (W.o->break_election && W.term_max > 0 && pick(2) == 0) {
        /* broken on purpose: lead the newest term without votes */
        term = W.term_max;
        adopt(x, term);
        if (x->term == term && !x->l.leader)
            become_leader(c, term);
        return;
    }
    term = ++W.term_max;
    for (unsigned v = 0; v < W.n; v++) {
        struct node *y = &W.node[v];
        if (!y->up || !reach(c, v) || y->term >= term)
            continue;
        if (v != c && !W.o->break_restriction &&
            !gdfs_rlog_up_to_date(&y->l, x->l.last_term, x->l.last_index))
            continue;
        adopt(y, term); /* one vote per term: it is now at this term */
        votes++;
    }
    if (votes * 2 > W.n)
        become_leader(c, term);
}

/* ---- the network -------------------------------------------------------- */

static void post(const struct msg *m)
{
    if (W.nmsg < MAXMSG && !W.cut[m->from][m->to])
        W.msg[W.nmsg++] = *m;
}

static void send_to(unsigned from, unsigned to)
{
    struct node *x = &W.node[from];
    struct msg m = {.from = (int)from, .to = (int)to, .term = x->term};
    bool snap;
    size_t budget = 8 * (1 + pick(BATCH));

    if (gdfs_rlog_prepare(&x->l, to, budget, m.e, &m.req, &snap) != GDFS_OK)
        return;
    if (snap) {
        m.type = MSG_SNAP;
        m.snap_index = x->st.snap_index;
        m.snap_term = x->st.snap_term;
        m.snap_hash = x->st.snap_hash;
    } else {
        m.type = MSG_APPEND;
        for (size_t i = 0; i < m.req.n; i++)
            memcpy(&m.val[i], m.e[i].data, sizeof(m.val[i]));
    }
    post(&m);
}

static void answer(struct node *x, const struct msg *m,
                   const struct gdfs_rlog_ack *ack)
{
    struct msg a = {.type = MSG_ACK,
                    .from = m->to,
                    .to = m->from,
                    .term = x->term,
                    .ack = *ack};
    post(&a);
}

static void receive(struct msg *m)
{
    struct node *x = &W.node[m->to];
    struct gdfs_rlog_ack ack;
    int rc;

    if (!x->up || m->term < x->term)
        return;
    adopt(x, m->term);
    if (m->type == MSG_ACK) {
        if (!x->l.leader || x->l.term != m->term)
            return;
        rc = gdfs_rlog_take_ack(&x->l, (unsigned)m->from, &m->ack);
        if (rc != GDFS_OK && honest())
            fail(SIM_HOSTILE, "leader %d refused an ack: %d", m->to, rc);
        return;
    }
    if (x->l.leader)
        return; /* two leaders in a term: only with break_election */
    if (m->type == MSG_SNAP) {
        uint64_t before = x->st.snap_index;
        x->st.pending_hash = m->snap_hash;
        rc = gdfs_rlog_take_snapshot(&x->l, m->snap_index, m->snap_term, &ack);
        if (rc == GDFS_OK && x->st.snap_index != before &&
            m->snap_index < MAXIDX && W.applied[m->snap_index].set &&
            W.applied[m->snap_index].hash != m->snap_hash)
            fail(SIM_STATE_MACHINE_SAFETY,
                 "node %d installed another state at %" PRIu64, m->to,
                 m->snap_index);
        if (x->st.snap_index != before)
            sim_stats.installed++;
    } else {
        for (size_t i = 0; i < m->req.n; i++)
            m->e[i].data = &m->val[i];
        m->req.entries = m->e;
        rc = gdfs_rlog_take_append(&x->l, &m->req, &ack);
    }
    if (rc == GDFS_OK)
        answer(x, m, &ack);
    else if (honest())
        fail(SIM_HOSTILE, "node %d refused a message: %d", m->to, rc);
}

static void deliver(void)
{
    unsigned i;
    struct msg m;

    if (W.nmsg == 0)
        return;
    i = pick(W.nmsg);
    m = W.msg[i];
    if (pick(10) != 0) /* one in ten stays: delivered twice */
        W.msg[i] = W.msg[--W.nmsg];
    if (pick(10) == 0 || W.cut[m.from][m.to])
        return; /* lost */
    receive(&m);
}

/* ---- the steps ---------------------------------------------------------- */

static void crash_or_restart(void)
{
    unsigned k = pick(W.n);
    struct node *x = &W.node[k];
    unsigned down = 0;

    for (unsigned j = 0; j < W.n; j++)
        down += !W.node[j].up;
    if (x->up) {
        /* at most a minority down at once, so that work goes on */
        if (down + 1 <= (W.n - 1) / 2)
            x->up = false; /* volatile state goes; store and term stay */
        return;
    }
    x->up = true;
    x->st.hash = x->st.snap_hash;
    x->seen = 0;
    if (mem_open(&x->l, &x->st, &W.o->cfg, x->st.snap_index) != GDFS_OK)
        fail(SIM_HOSTILE, "node %u cannot restart", k);
}

static void partition(void)
{
    unsigned k = pick(W.n);

    memset(W.cut, 0, sizeof(W.cut));
    if (pick(2) == 0)
        return; /* healed */
    for (unsigned j = 0; j < W.n; j++)
        W.cut[k][j] = W.cut[j][k] = j != k;
}

static void client_put(void)
{
    for (unsigned k = 0; k < W.n; k++) {
        struct node *x = &W.node[k];
        uint64_t v[3];
        const void *data[3];
        size_t len[3], n = 1 + pick(3);
        if (!x->up || !x->l.leader || x->l.last_index + 8 >= MAXIDX)
            continue;
        for (size_t i = 0; i < n; i++) {
            v[i] = ++W.next_val;
            data[i] = &v[i];
            len[i] = sizeof(v[i]);
        }
        if (gdfs_rlog_append(&x->l, data, len, n) != GDFS_OK)
            fail(SIM_HOSTILE, "node %u: append failed", k);
    }
}

static void replicate(void)
{
    for (unsigned k = 0; k < W.n; k++) {
        struct node *x = &W.node[k];
        if (!x->up || !x->l.leader)
            continue;
        for (unsigned j = 0; j < W.n; j++)
            if (j != k && pick(2) == 0)
                send_to(k, j);
    }
}

static void step(void)
{
    unsigned r = pick(100);
    bool led = false;

    for (unsigned k = 0; k < W.n; k++)
        led = led || (W.node[k].up && W.node[k].l.leader);
    if (r < 1 || (!led && r < 10))
        elect();
    else if (r < 3)
        crash_or_restart();
    else if (r < 5)
        partition();
    else if (r < 8) {
        struct node *x = &W.node[pick(W.n)];
        if (x->up && gdfs_rlog_compact(&x->l) != GDFS_OK)
            fail(SIM_HOSTILE, "compaction failed");
    } else if (r < 20)
        client_put();
    else if (r < 35)
        replicate();
    else
        for (unsigned k = pick(4); k < 4; k++)
            deliver();
}

int sim_run(uint64_t seed, const struct sim_opts *o, char *why, size_t len)
{
    memset(&W, 0, sizeof(W));
    W.o = o;
    W.n = o->n;
    W.rng = seed;
    W.why = why;
    W.why_len = len;
    why[0] = '\0';
    for (unsigned k = 0; k < W.n; k++) {
        struct node *x = &W.node[k];
        x->up = true;
        x->st.on_apply = on_apply;
        x->st.owner = x;
        if (mem_open(&x->l, &x->st, &o->cfg, 0) != GDFS_OK)
            fail(SIM_HOSTILE, "node %u cannot start", k);
    }
    for (unsigned s = 0; s < o->steps && W.fail == SIM_OK; s++) {
        step();
        record_commits();
        check_log_matching();
        check_leader_completeness();
    }
    sim_stats.committed += W.top;
    for (unsigned k = 0; k < W.n; k++)
        sim_stats.truncated += W.node[k].st.truncations;
    return W.fail;
}
