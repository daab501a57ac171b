/* The group state machine; see group.h for the rules and their sources.
 *
 * Sections: helpers, member set, roles and elections, failure detection,
 * message handlers, public entry points. */
#include "core/group.h"

#include <stdio.h>
#include <string.h>

#include "core/ring.h"
#include "err.h"

/* ---- helpers ------------------------------------------------------------- */

int gdfs_group_find(const struct gdfs_members *set, const char *id)
{
    for (uint32_t i = 0; i < set->n; i++)
        if (strcmp(set->m[i].id, id) == 0)
            return (int)i;
    return -1;
}

const char *gdfs_group_role_name(int role)
{
    static const char *const names[] = {"follower",  "precandidate",
                                        "candidate", "leader",
                                        "joining",   "removed"};

    return role >= 0 && role <= GDFS_ROLE_REMOVED ? names[role] : "?";
}

const char *gdfs_group_kind_name(int type)
{
    static const char *const names[] = {"?",          "HEARTBEAT", "APPEND",
                                        "APPEND_ACK", "VOTE",      "VOTE_ACK",
                                        "SUSPECT",    "JOIN",      "LEAVE"};

    return type >= GDFS_GMSG_HEARTBEAT && type <= GDFS_GMSG_LEAVE ? names[type]
                                                                  : "?";
}

const char *gdfs_group_drop_text(int reason)
{
    static const char *const texts[] = {
#define GDFS_GROUP_DROP_TEXT(name, text) text,
        GDFS_GROUP_DROP_LIST(GDFS_GROUP_DROP_TEXT)
#undef GDFS_GROUP_DROP_TEXT
    };

    return reason >= 0 && reason < GDFS_GROUP_DROP_COUNT ? texts[reason] : "?";
}

static void copy_id(char *dst, const char *src)
{
    snprintf(dst, GDFS_NODE_ID_MAX + 1, "%s", src);
}

static void event(struct gdfs_group *g, int ev, const char *detail)
{
    if (g->io.event != NULL)
        g->io.event(g->io.ctx, ev, detail);
}

/* A string field of @cap bytes holds a NUL (so strcmp and "%s" stay in
 * it) and, unless @may_be_empty, something before it. */
static bool str_ok(const char *s, size_t cap, bool may_be_empty)
{
    return memchr(s, '\0', cap) != NULL && (may_be_empty || s[0] != '\0');
}

#define STR_OK(arr, may_be_empty) str_ok((arr), sizeof(arr), (may_be_empty))

/* Count and report a message @m (NULL: this node's own action) that breaks
 * rule @reason; the caller then drops it. */
static void drop(struct gdfs_group *g, const struct gdfs_gmsg *m, int reason)
{
    struct gdfs_group_drop *d = &g->last_drop;

    g->drops[reason]++;
    memset(d, 0, sizeof(*d));
    d->reason = reason;
    if (m != NULL) {
        d->type = m->type;
        /* well formed or not: at most the array, always terminated */
        snprintf(d->from, sizeof(d->from), "%.*s", (int)sizeof(m->from),
                 m->from);
        d->term = m->term;
    } else {
        d->own = true;
        copy_id(d->from, g->self);
        d->term = g->term;
    }
    event(g, GDFS_GEV_DROPPED, gdfs_group_drop_text(reason));
}

/* x + 1 for a counter below GDFS_GROUP_COUNTER_LIMIT, staying below it
 * (only a counter pushed there by lies stops rising). */
static uint64_t counter_next(uint64_t x)
{
    return x < GDFS_GROUP_COUNTER_LIMIT - 1 ? x + 1
                                            : GDFS_GROUP_COUNTER_LIMIT - 1;
}

static uint64_t election_timeout(struct gdfs_group *g)
{
    return g->cfg.election_ms + g->io.random(g->io.ctx) % g->cfg.election_ms;
}

uint32_t gdfs_group_majority(uint32_t voters)
{
    return voters / 2 + 1;
}

uint32_t gdfs_group_quorum(const struct gdfs_group *g)
{
    return gdfs_group_set_majority(&g->set);
}

uint32_t gdfs_group_set_majority(const struct gdfs_members *set)
{
    uint32_t voters = 0;

    /* The state machine never marks a member LEFT (a departed one leaves
     * the set), so for its own set this is set.n / 2 + 1. */
    for (uint32_t i = 0; i < set->n; i++)
        voters += set->m[i].state != GDFS_MEMBER_LEFT;
    return gdfs_group_majority(voters);
}

static int self_index(const struct gdfs_group *g)
{
    return gdfs_group_find(&g->set, g->self);
}

/* Fill the common header and hand @m to the host for node @to (a
 * member, or one removed lately). */
static void send_to_member(struct gdfs_group *g, const struct gdfs_member *to,
                           struct gdfs_gmsg *m)
{
    copy_id(m->from, g->self);
    copy_id(m->group_id, g->set.group_id);
    g->io.send(g->io.ctx, to->id, to->addr, m);
}

/* The same for member @i. */
static void send_to(struct gdfs_group *g, int i, struct gdfs_gmsg *m)
{
    send_to_member(g, &g->set.m[i], m);
}

/* Leader: this term's APPEND of the member set into @m. */
static void fill_append(const struct gdfs_group *g, struct gdfs_gmsg *m,
                        uint64_t now)
{
    memset(m, 0, sizeof(*m));
    m->type = GDFS_GMSG_APPEND;
    m->term = g->term;
    m->u.append.sent_at = now;
    m->u.append.committed = g->committed;
    m->u.append.set = g->set;
}

/* Send @m to every member but this node. */
static void broadcast(struct gdfs_group *g, struct gdfs_gmsg *m)
{
    for (uint32_t i = 0; i < g->set.n; i++)
        if (strcmp(g->set.m[i].id, g->self) != 0)
            send_to(g, (int)i, m);
}

/* Persist a new term/vote; false if the host could not (nothing
 * changes then). */
static bool save_term(struct gdfs_group *g, uint64_t term, const char *vote)
{
    if (g->io.save_term(g->io.ctx, term, vote) != 0)
        return false;
    if (term != g->term)
        g->term_leader[0] = '\0'; /* nobody is known to lead it yet */
    g->term = term;
    copy_id(g->voted_for, vote);
    return true;
}

/* ---- member set ---------------------------------------------------------- */

/* Take @set as the member set: keep per-peer bookkeeping by id, start
 * fresh timers for newcomers. */
static void adopt_set(struct gdfs_group *g, const struct gdfs_members *set,
                      uint64_t now)
{
    struct gdfs_peer old[GDFS_GROUP_MAX];
    bool reshaped = gdfs_version_cmp(&set->version, &g->set.version) != 0;

    memcpy(old, g->peer, sizeof(old));
    g->prev = g->set;
    g->set = *set;
    /* Remember where removed members were: a leader removing itself
     * still needs its acks. */
    for (uint32_t i = 0; i < g->prev.n; i++)
        if (gdfs_group_find(&g->set, g->prev.m[i].id) < 0) {
            g->gone[g->ngone % GDFS_GONE_MAX] = g->prev.m[i];
            g->ngone++;
        }
    for (uint32_t i = 0; i < g->set.n; i++) {
        int j = gdfs_group_find(&g->prev, g->set.m[i].id);

        if (j >= 0) {
            g->peer[i] = old[j];
            /* The ring changed: new neighbours get a fresh grace period
             * instead of being suspected for silence they owed no one. */
            if (reshaped && !g->peer[i].suspect)
                g->peer[i].last_rx = now;
        } else {
            memset(&g->peer[i], 0, sizeof(g->peer[i]));
            g->peer[i].last_rx = now;
            g->peer[i].last_ack = now;
        }
    }
}

/* The leader changes member @i's liveness state. */
static void set_state(struct gdfs_group *g, int i, uint8_t state, uint64_t now)
{
    if (g->set.m[i].state == state)
        return;
    /* Liveness is soft state: not persisted (a restarted leader learns it
     * again within suspect_ms), so no fsync ever delays a heartbeat. */
    g->set.m[i].state = state;
    g->set.m[i].since = now;
    event(g, GDFS_GEV_STATE, g->set.m[i].id);
}

static bool pending_change(const struct gdfs_group *g)
{
    return gdfs_version_cmp(&g->set.version, &g->committed) > 0;
}

/* Leader: a new member set, one node more or less than the current one. */
static int propose(struct gdfs_group *g, struct gdfs_members *next,
                   uint64_t now)
{
    if (g->set.version.seq >= GDFS_GROUP_COUNTER_LIMIT - 1)
        return GDFS_ETOOBIG; /* never wraps; 2^63 changes never happen */
    next->version.seq = g->set.version.seq + 1;
    next->version.term = g->term;
    if (g->io.save_members(g->io.ctx, next) != 0)
        return GDFS_ESTORE;
    adopt_set(g, next, now);
    event(g, GDFS_GEV_MEMBERS, g->self);
    g->next_heartbeat = now; /* tell everyone at the next tick */
    return GDFS_OK;
}

static int propose_add(struct gdfs_group *g, const char *id, const char *addr,
                       uint64_t now)
{
    struct gdfs_members next = g->set;
    struct gdfs_member *m;

    if (next.n >= GDFS_GROUP_MAX)
        return GDFS_ETOOBIG;
    m = &next.m[next.n++];
    memset(m, 0, sizeof(*m));
    copy_id(m->id, id);
    snprintf(m->addr, sizeof(m->addr), "%s", addr);
    m->state = GDFS_MEMBER_ALIVE;
    m->since = now;
    return propose(g, &next, now);
}

static int propose_remove(struct gdfs_group *g, int i, uint64_t now)
{
    struct gdfs_members next = g->set;

    /* The removed node gets the new set too, so that it learns it is out
     * (a leader removing itself is told by its own commit). */
    g->leaving = g->set.m[i];
    g->has_leaving = strcmp(g->set.m[i].id, g->self) != 0;
    next.m[i] = next.m[next.n - 1];
    next.n--;
    return propose(g, &next, now);
}

/* Leader: member @i now answers at @addr (it moved, and joined again
 * under its id). The voters stay the same, so any two majorities still
 * overlap; it is still one change, committed like the others. */
static int propose_readdress(struct gdfs_group *g, int i, const char *addr,
                             uint64_t now)
{
    struct gdfs_members next = g->set;

    snprintf(next.m[i].addr, sizeof(next.m[i].addr), "%s", addr);
    return propose(g, &next, now);
}

/* Leader: commit the member set once a majority of it holds it. */
static void check_commit(struct gdfs_group *g)
{
    uint32_t have = 0;

    if (!pending_change(g))
        return;
    for (uint32_t i = 0; i < g->set.n; i++)
        if (strcmp(g->set.m[i].id, g->self) == 0 ||
            gdfs_version_cmp(&g->peer[i].acked, &g->set.version) >= 0)
            have++;
    if (have >= gdfs_group_quorum(g)) {
        g->committed = g->set.version;
        event(g, GDFS_GEV_COMMITTED, g->self);
        if (self_index(g) < 0 && g->role == GDFS_ROLE_LEADER) {
            /* It led the change that removed it (thesis §4.2.2): tell the
             * others once more, then go. */
            g->next_heartbeat = 0;
            g->role = GDFS_ROLE_REMOVED;
            g->leader[0] = '\0';
            event(g, GDFS_GEV_STEP_DOWN, g->self);
            event(g, GDFS_GEV_REMOVED, g->self);
        }
    }
}

void gdfs_group_set_log(struct gdfs_group *g, uint64_t term, uint64_t index)
{
    if (term >= GDFS_GROUP_COUNTER_LIMIT || index >= GDFS_GROUP_COUNTER_LIMIT)
        return;
    g->log_term = term;
    g->log_index = index;
}

void gdfs_group_hold_votes(struct gdfs_group *g)
{
    g->votes_held = true;
}

bool gdfs_group_release_votes(struct gdfs_group *g)
{
    if (!g->votes_held)
        return true;
    /* What it voted for in this term before its disk was emptied is
     * forgotten: it counts as given, to the leader it follows (or to
     * itself), so no second vote goes out in this term. */
    if (g->term > 0 && g->voted_for[0] == '\0' &&
        !save_term(g, g->term,
                   g->term_leader[0] != '\0' ? g->term_leader : g->self))
        return false;
    g->votes_held = false;
    return true;
}

/* ---- roles and elections ------------------------------------------------- */

static void become_follower(struct gdfs_group *g, const char *leader,
                            uint64_t now)
{
    bool was_leader = g->role == GDFS_ROLE_LEADER;

    if (g->role == GDFS_ROLE_JOINING || g->role == GDFS_ROLE_REMOVED)
        return;
    g->role = GDFS_ROLE_FOLLOWER;
    if (was_leader)
        event(g, GDFS_GEV_STEP_DOWN, g->self);
    if (strcmp(g->leader, leader) != 0) {
        copy_id(g->leader, leader);
        if (leader[0] != '\0')
            event(g, GDFS_GEV_NEW_LEADER, leader);
    }
    g->election_at = now + election_timeout(g);
}

/* A higher term was seen: adopt it (no vote yet) and follow. */
static bool adopt_term(struct gdfs_group *g, uint64_t term, uint64_t now)
{
    if (!save_term(g, term, ""))
        return false;
    become_follower(g, "", now);
    return true;
}

static void become_leader(struct gdfs_group *g, uint64_t now)
{
    char detail[32];

    g->role = GDFS_ROLE_LEADER;
    copy_id(g->leader, g->self);
    copy_id(g->term_leader, g->self);
    /* Its own entry may say suspect or failed (the last leader's view of
     * it, before it came back): a leader is alive, and tells everyone. */
    {
        int me = gdfs_group_find(&g->set, g->self);

        if (me >= 0)
            set_state(g, me, GDFS_MEMBER_ALIVE, now);
    }
    /* `since` came from the last leader's clock (or from whoever sent the
     * set): meaningless on ours, and a value ahead of or far behind ours
     * would remove a failed member at once. Its dead_ms starts now. */
    for (uint32_t i = 0; i < g->set.n; i++)
        g->set.m[i].since = now;
    for (uint32_t i = 0; i < g->set.n; i++) {
        /* A grace period for the step-down check; the lease itself needs
         * acks of this term's APPENDs. */
        g->peer[i].last_ack = now;
        g->peer[i].ack_sent_at = 0;
        g->peer[i].reported_by_other = false;
        memset(&g->peer[i].acked, 0, sizeof(g->peer[i].acked));
    }
    g->next_heartbeat = now;
    snprintf(detail, sizeof(detail), "%llu", (unsigned long long)g->term);
    event(g, GDFS_GEV_LEADER, detail);
    /* A set this node holds but never saw committed (an earlier leader's
     * last change) is committed by this term's acks, as Raft commits an
     * earlier term's entries under a new one. */
    check_commit(g);
}

static uint32_t count_votes(const struct gdfs_group *g)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < g->set.n; i++)
        if (g->peer[i].vote)
            n++;
    return n;
}

static void clear_votes(struct gdfs_group *g)
{
    int self = self_index(g);

    for (uint32_t i = 0; i < g->set.n; i++)
        g->peer[i].vote = (int)i == self;
}

static void ask_votes(struct gdfs_group *g, bool pre)
{
    struct gdfs_gmsg m;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_GMSG_VOTE;
    m.term = pre ? g->term + 1 : g->term;
    m.u.vote.pre = pre;
    m.u.vote.version = g->set.version;
    m.u.vote.log_term = g->log_term;
    m.u.vote.log_index = g->log_index;
    broadcast(g, &m);
}

/* Whether term + 1 stays below the limit. Only a node pushed to the
 * limit by lies fails this; it follows, never leads, rather than wrap. */
static bool may_campaign(struct gdfs_group *g, uint64_t now)
{
    if (g->term < GDFS_GROUP_COUNTER_LIMIT - 1)
        return true;
    drop(g, NULL, GDFS_GROUP_DROP_TERM_AT_LIMIT);
    g->role = GDFS_ROLE_FOLLOWER;
    g->election_at = now + election_timeout(g);
    return false;
}

static void start_election(struct gdfs_group *g, uint64_t now)
{
    if (!may_campaign(g, now) || !save_term(g, g->term + 1, g->self))
        return;
    g->role = GDFS_ROLE_CANDIDATE;
    g->leader[0] = '\0';
    g->election_at = now + election_timeout(g);
    clear_votes(g);
    if (count_votes(g) >= gdfs_group_quorum(g)) {
        become_leader(g, now);
        return;
    }
    ask_votes(g, false);
}

static void start_prevote(struct gdfs_group *g, uint64_t now)
{
    if (!may_campaign(g, now))
        return;
    g->role = GDFS_ROLE_PRECANDIDATE;
    g->leader[0] = '\0';
    g->election_at = now + election_timeout(g);
    clear_votes(g);
    if (count_votes(g) >= gdfs_group_quorum(g)) {
        start_election(g, now);
        return;
    }
    ask_votes(g, true);
}

/* Members (this one included) heard from since @since (leader's view). */
static uint32_t heard_since(const struct gdfs_group *g, uint64_t since,
                            bool by_sent_at)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < g->set.n; i++) {
        uint64_t t = by_sent_at ? g->peer[i].ack_sent_at : g->peer[i].last_ack;

        if (strcmp(g->set.m[i].id, g->self) == 0 || (t != 0 && t >= since))
            n++;
    }
    return n;
}

bool gdfs_group_can_write(const struct gdfs_group *g, uint64_t now)
{
    uint64_t since = now > g->cfg.lease_ms ? now - g->cfg.lease_ms : 1;

    return g->role == GDFS_ROLE_LEADER &&
           heard_since(g, since, true) >= gdfs_group_quorum(g);
}

/* ---- failure detection --------------------------------------------------- */

/* Ring heartbeats out; silent neighbours turn suspect and are reported. */
static void ring_tick(struct gdfs_group *g, uint64_t now, bool beat)
{
    int nb[2 * GDFS_RING_SIDE], self = self_index(g);
    size_t n = self >= 0 ? gdfs_ring_neighbours(&g->set, self, nb) : 0;
    struct gdfs_gmsg m;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_GMSG_HEARTBEAT;
    m.term = g->term;
    m.u.heartbeat.incarnation = g->incarnation;
    for (size_t k = 0; k < n; k++) {
        struct gdfs_peer *p = &g->peer[nb[k]];
        const char *id = g->set.m[nb[k]].id;

        if (beat)
            send_to(g, nb[k], &m);
        if (p->last_rx >= now || now - p->last_rx <= g->cfg.suspect_ms)
            continue;
        if (!p->suspect) {
            p->suspect = true;
            event(g, GDFS_GEV_SUSPECT, id);
        }
        if (p->reported != 0 && now - p->reported < g->cfg.suspect_ms)
            continue;
        p->reported = now;
        if (g->role == GDFS_ROLE_LEADER) {
            g->peer[nb[k]].reported_by_other = true;
        } else if (g->leader[0] != '\0') {
            int l = gdfs_group_find(&g->set, g->leader);
            struct gdfs_gmsg s;

            if (l < 0)
                continue;
            memset(&s, 0, sizeof(s));
            s.type = GDFS_GMSG_SUSPECT;
            s.term = g->term;
            copy_id(s.u.suspect.target, id);
            s.u.suspect.incarnation = g->set.m[nb[k]].incarnation;
            send_to(g, l, &s);
        }
    }
}

/* Leader: confirm reported members it does not hear from either, and
 * remove members failed for longer than dead_ms. */
static void leader_confirm(struct gdfs_group *g, uint64_t now)
{
    for (uint32_t i = 0; i < g->set.n; i++) {
        struct gdfs_member *m = &g->set.m[i];
        uint64_t silent = now - g->peer[i].last_ack;

        if (strcmp(m->id, g->self) == 0)
            continue;
        if (m->state != GDFS_MEMBER_FAILED && silent > g->cfg.suspect_ms &&
            (g->peer[i].reported_by_other || silent > 2 * g->cfg.suspect_ms))
            set_state(g, (int)i, GDFS_MEMBER_FAILED, now);
        if (m->state == GDFS_MEMBER_FAILED && g->cfg.dead_ms != 0 &&
            now - m->since > g->cfg.dead_ms && !pending_change(g)) {
            propose_remove(g, (int)i, now);
            return; /* the set changed under the loop */
        }
    }
}

/* ---- message handlers ---------------------------------------------------- */

static void reply(struct gdfs_group *g, const struct gdfs_gmsg *to,
                  struct gdfs_gmsg *m)
{
    int i = gdfs_group_find(&g->set, to->from);

    if (i >= 0) {
        send_to(g, i, m);
        return;
    }
    for (unsigned k = 0; k < GDFS_GONE_MAX && k < g->ngone; k++)
        if (strcmp(g->gone[k].id, to->from) == 0) {
            send_to_member(g, &g->gone[k], m);
            return;
        }
}

static void on_heartbeat(struct gdfs_group *g, int from,
                         const struct gdfs_gmsg *m, uint64_t now)
{
    struct gdfs_peer *p = &g->peer[from];

    p->last_rx = now;
    if (m->u.heartbeat.incarnation > g->set.m[from].incarnation &&
        g->role != GDFS_ROLE_LEADER)
        g->set.m[from].incarnation = m->u.heartbeat.incarnation;
    if (p->suspect) {
        p->suspect = false;
        p->reported = 0;
    }
}

/* Follower side of APPEND: the leader's member set and liveness view. */
static bool follow_set(struct gdfs_group *g, const struct gdfs_members *set,
                       uint64_t now)
{
    int me = gdfs_group_find(set, g->self);
    bool changed = gdfs_version_cmp(&set->version, &g->set.version) != 0;

    if (me < 0) {
        if (g->role == GDFS_ROLE_JOINING)
            return false; /* not added yet */
        g->io.save_members(g->io.ctx, set);
        adopt_set(g, set, now);
        g->role = GDFS_ROLE_REMOVED;
        g->leader[0] = '\0';
        event(g, GDFS_GEV_REMOVED, g->self);
        return false;
    }
    if (!changed) {
        /* Same membership: take the leader's liveness view. */
        for (uint32_t i = 0; i < set->n && i < g->set.n; i++) {
            if (g->set.m[i].state != set->m[i].state ||
                strcmp(g->set.m[i].id, set->m[i].id) != 0) {
                changed = true;
                break;
            }
        }
    }
    if (changed) {
        bool reshaped = gdfs_version_cmp(&set->version, &g->set.version) != 0;

        if (reshaped && g->io.save_members(g->io.ctx, set) != 0)
            return false;
        adopt_set(g, set, now);
        /* Events after adopting, so that they see the new states. */
        for (uint32_t i = 0; i < g->set.n; i++) {
            int j = gdfs_group_find(&g->prev, g->set.m[i].id);

            if (j >= 0 && g->prev.m[j].state != g->set.m[i].state)
                event(g, GDFS_GEV_STATE, g->set.m[i].id);
        }
        if (reshaped)
            event(g, GDFS_GEV_MEMBERS, g->self);
    }
    /* Refute: shown suspect or failed at our incarnation or later. */
    if (set->m[me].state != GDFS_MEMBER_ALIVE &&
        set->m[me].incarnation >= g->incarnation)
        g->incarnation = counter_next(set->m[me].incarnation);
    return true;
}

static void on_append(struct gdfs_group *g, const struct gdfs_gmsg *m,
                      uint64_t now)
{
    struct gdfs_gmsg ack;

    memset(&ack, 0, sizeof(ack));
    ack.type = GDFS_GMSG_APPEND_ACK;
    if (m->term < g->term) {
        /* A stale leader: tell it the newer term. */
        ack.term = g->term;
        reply(g, m, &ack);
        return;
    }
    if (m->term == g->term && g->term_leader[0] != '\0' &&
        strcmp(g->term_leader, m->from) != 0) {
        /* One leader per term (thesis §3.4): a second one is forged or a
         * bug. The one we know keeps its place; a leader keeps leading. */
        drop(g, m, GDFS_GROUP_DROP_TWO_LEADERS);
        return;
    }
    if (g->role == GDFS_ROLE_JOINING) {
        if (gdfs_group_find(&m->u.append.set, g->self) < 0)
            return;
        if (g->io.save_members(g->io.ctx, &m->u.append.set) != 0)
            return;
        adopt_set(g, &m->u.append.set, now);
        g->role = GDFS_ROLE_FOLLOWER;
        /* A member now (it has a node row): take the leader's term. */
        if (m->term > g->term && !save_term(g, m->term, ""))
            return;
        copy_id(g->term_leader, m->from);
        event(g, GDFS_GEV_MEMBERS, g->self);
    } else {
        /* Known before this message: it followed the sender this term. */
        bool known = g->term_leader[0] != '\0';

        copy_id(g->term_leader, m->from);
        if (gdfs_group_find(&m->u.append.set, g->self) < 0 &&
            (!known || gdfs_version_cmp(&m->u.append.set.version,
                                        &g->set.version) <= 0)) {
            /* Taking it would stop this node for good: not on the word of
             * a node it never followed, nor for a set older than its own
             * (a leader it does follow sends its removal again until it
             * is committed). */
            drop(g, m, GDFS_GROUP_DROP_SELF_REMOVAL);
            return;
        }
        if (!follow_set(g, &m->u.append.set, now))
            return;
    }
    if (g->role == GDFS_ROLE_REMOVED)
        return;
    become_follower(g, m->from, now);
    g->heard_leader = now;
    if (gdfs_version_cmp(&m->u.append.committed, &g->committed) > 0)
        g->committed = m->u.append.committed;
    ack.term = g->term;
    ack.u.append_ack.sent_at = m->u.append.sent_at;
    ack.u.append_ack.version = g->set.version;
    ack.u.append_ack.incarnation = g->incarnation;
    reply(g, m, &ack);
}

static void on_append_ack(struct gdfs_group *g, int from,
                          const struct gdfs_gmsg *m, uint64_t now)
{
    struct gdfs_peer *p = &g->peer[from];
    struct gdfs_member *mem = &g->set.m[from];

    if (g->role != GDFS_ROLE_LEADER || m->term != g->term)
        return;
    if (m->u.append_ack.sent_at > now ||
        gdfs_version_cmp(&m->u.append_ack.version, &g->set.version) > 0) {
        /* It echoes an APPEND this leader never sent: a time to come (which
         * would hold the lease for ever) or a set it never made (which
         * would commit a change no majority holds). */
        drop(g, m, GDFS_GROUP_DROP_COUNTER);
        return;
    }
    p->last_ack = now;
    if (m->u.append_ack.sent_at > p->ack_sent_at)
        p->ack_sent_at = m->u.append_ack.sent_at;
    p->acked = m->u.append_ack.version;
    p->reported_by_other = false;
    if (m->u.append_ack.incarnation > mem->incarnation) {
        mem->incarnation = m->u.append_ack.incarnation;
        set_state(g, from, GDFS_MEMBER_ALIVE, now);
    }
    check_commit(g);
}

static void on_vote(struct gdfs_group *g, int from, const struct gdfs_gmsg *m,
                    uint64_t now)
{
    struct gdfs_gmsg ack;
    bool sticky = g->role == GDFS_ROLE_LEADER ||
                  (g->leader[0] != '\0' &&
                   now - g->heard_leader < g->cfg.election_ms);
    /* Its member set no older than ours, and its record log at least as
     * up to date (thesis §3.6.1, the election restriction). */
    bool fresh = gdfs_version_cmp(&m->u.vote.version, &g->set.version) >= 0 &&
                 (m->u.vote.log_term > g->log_term ||
                  (m->u.vote.log_term == g->log_term &&
                   m->u.vote.log_index >= g->log_index));

    memset(&ack, 0, sizeof(ack));
    ack.type = GDFS_GMSG_VOTE_ACK;
    ack.u.vote_ack.pre = m->u.vote.pre;
    if (m->u.vote.pre) {
        ack.u.vote_ack.granted = m->term > g->term && fresh && !sticky &&
                                 !g->votes_held;
        ack.term = ack.u.vote_ack.granted ? m->term : g->term;
        reply(g, m, &ack);
        return;
    }
    if (sticky) {
        /* Thesis §4.2.3: neither raise the term nor vote. */
        ack.term = g->term;
        reply(g, m, &ack);
        return;
    }
    if (m->term > g->term && !adopt_term(g, m->term, now))
        return;
    if (m->term == g->term && fresh && !g->votes_held &&
        (g->voted_for[0] == '\0' || strcmp(g->voted_for, m->from) == 0) &&
        save_term(g, g->term, m->from)) {
        ack.u.vote_ack.granted = true;
        g->election_at = now + election_timeout(g);
    }
    (void)from;
    ack.term = g->term;
    reply(g, m, &ack);
}

static void on_vote_ack(struct gdfs_group *g, int from,
                        const struct gdfs_gmsg *m, uint64_t now)
{
    if (!m->u.vote_ack.granted)
        return; /* a higher term was already adopted by the caller */
    if (m->u.vote_ack.pre) {
        if (g->role != GDFS_ROLE_PRECANDIDATE || m->term != g->term + 1)
            return;
        g->peer[from].vote = true;
        if (count_votes(g) >= gdfs_group_quorum(g))
            start_election(g, now);
        return;
    }
    if (g->role != GDFS_ROLE_CANDIDATE || m->term != g->term)
        return;
    g->peer[from].vote = true;
    if (count_votes(g) >= gdfs_group_quorum(g))
        become_leader(g, now);
}

static void on_suspect(struct gdfs_group *g, const struct gdfs_gmsg *m,
                       uint64_t now)
{
    int t = gdfs_group_find(&g->set, m->u.suspect.target);

    if (g->role != GDFS_ROLE_LEADER || t < 0 ||
        strcmp(m->u.suspect.target, g->self) == 0 ||
        m->u.suspect.incarnation < g->set.m[t].incarnation)
        return;
    g->peer[t].reported_by_other = true;
    if (now - g->peer[t].last_ack > g->cfg.suspect_ms)
        set_state(g, t, GDFS_MEMBER_FAILED, now);
    else if (g->set.m[t].state == GDFS_MEMBER_ALIVE)
        set_state(g, t, GDFS_MEMBER_SUSPECT, now); /* it will refute */
}

static void on_join(struct gdfs_group *g, const struct gdfs_gmsg *m,
                    uint64_t now)
{
    int i = gdfs_group_find(&g->set, m->from);

    if (g->role != GDFS_ROLE_LEADER) {
        /* Pass it on to the leader we know. */
        int l = g->leader[0] ? gdfs_group_find(&g->set, g->leader) : -1;

        if (l >= 0 && g->role == GDFS_ROLE_FOLLOWER)
            g->io.send(g->io.ctx, g->set.m[l].id, g->set.m[l].addr, m);
        return;
    }
    if (pending_change(g))
        return; /* busy: the joining node asks again */
    if (i < 0) {
        propose_add(g, m->from, m->u.join.addr, now);
        return;
    }
    /* Already in: the next APPEND tells it, at the address it gives now
     * if that changed (a member moved to a new machine under its id). */
    if (strcmp(g->set.m[i].addr, m->u.join.addr) != 0)
        propose_readdress(g, i, m->u.join.addr, now);
}

/* Leader: @m comes from a node that is no longer a member. If it was
 * removed lately (so its address is known) and that removal is committed,
 * send it the member set: it stops once it takes a set without itself
 * from the leader it follows (on_append), which two of these make. A node
 * removed while it was down or cut off learns it this way, as a leaving
 * one does from the leader's last APPEND. */
static void tell_removed(struct gdfs_group *g, const struct gdfs_gmsg *m,
                         uint64_t now)
{
    struct gdfs_gmsg *a = &g->scratch; /* large: not on the stack */

    if (g->role != GDFS_ROLE_LEADER || pending_change(g))
        return;
    for (unsigned k = 0; k < GDFS_GONE_MAX && k < g->ngone; k++) {
        if (strcmp(g->gone[k].id, m->from) != 0)
            continue;
        fill_append(g, a, now);
        send_to_member(g, &g->gone[k], a);
        return;
    }
}

/* ---- public entry points ------------------------------------------------- */

static void init_common(struct gdfs_group *g, const char *self,
                        const struct gdfs_group_cfg *cfg,
                        const struct gdfs_group_io *io)
{
    memset(g, 0, sizeof(*g));
    g->cfg = *cfg;
    g->io = *io;
    copy_id(g->self, self);
}

int gdfs_group_start(struct gdfs_group *g, const char *self,
                     const struct gdfs_group_cfg *cfg,
                     const struct gdfs_group_io *io, uint64_t term,
                     const char *voted_for, const struct gdfs_members *set,
                     uint64_t now)
{
    int me;

    init_common(g, self, cfg, io);
    if (term >= GDFS_GROUP_COUNTER_LIMIT) {
        g->role = GDFS_ROLE_REMOVED; /* inert */
        return GDFS_ECORRUPT;
    }
    g->term = term;
    copy_id(g->voted_for, voted_for ? voted_for : "");
    me = gdfs_group_find(set, self);
    if (me < 0) {
        g->set = *set;
        g->role = GDFS_ROLE_REMOVED;
        return GDFS_EGROUP;
    }
    adopt_set(g, set, now);
    /* Peers' links to a restarted node come back with some delay: give
     * them a second suspect_ms before suspecting anyone. */
    for (uint32_t i = 0; i < g->set.n; i++)
        g->peer[i].last_rx = now + g->cfg.suspect_ms;
    /* What we knew may be older than the truth: a restart refutes any
     * suspicion at once. */
    g->incarnation = counter_next(set->m[me].incarnation);
    snprintf(g->self_addr, sizeof(g->self_addr), "%s", set->m[me].addr);
    g->role = GDFS_ROLE_FOLLOWER;
    /* A group of one need not wait: its first tick elects it. */
    g->election_at = set->n == 1 ? now : now + election_timeout(g);
    g->next_heartbeat = now;
    return GDFS_OK;
}

int gdfs_group_start_join(struct gdfs_group *g, const char *self,
                          const char *self_addr, const char *seed_addr,
                          const struct gdfs_group_cfg *cfg,
                          const struct gdfs_group_io *io, uint64_t now)
{
    init_common(g, self, cfg, io);
    snprintf(g->self_addr, sizeof(g->self_addr), "%s", self_addr);
    snprintf(g->seed_addr, sizeof(g->seed_addr), "%s", seed_addr);
    g->role = GDFS_ROLE_JOINING;
    g->next_join = now;
    /* Its log is empty; it may be a member back with an emptied disk. */
    g->votes_held = true;
    return GDFS_OK;
}

static void send_appends(struct gdfs_group *g, uint64_t now)
{
    struct gdfs_gmsg *m = &g->scratch; /* large: not on the stack */

    fill_append(g, m, now);
    broadcast(g, m);
    if (g->has_leaving) {
        send_to_member(g, &g->leaving, m);
        if (!pending_change(g))
            g->has_leaving = false; /* committed: told once more, done */
    }
}

void gdfs_group_tick(struct gdfs_group *g, uint64_t now)
{
    bool beat = now >= g->next_heartbeat;

    if (g->role == GDFS_ROLE_REMOVED)
        return;
    if (g->role == GDFS_ROLE_JOINING) {
        if (now >= g->next_join) {
            struct gdfs_gmsg m;

            memset(&m, 0, sizeof(m));
            m.type = GDFS_GMSG_JOIN;
            copy_id(m.from, g->self);
            snprintf(m.u.join.addr, sizeof(m.u.join.addr), "%s", g->self_addr);
            g->io.send(g->io.ctx, "", g->seed_addr, &m);
            g->next_join = now + g->cfg.election_ms;
        }
        return;
    }
    if (beat)
        g->next_heartbeat = now + g->cfg.heartbeat_ms;
    ring_tick(g, now, beat);
    if (g->role == GDFS_ROLE_LEADER) {
        uint64_t since = now > g->cfg.election_ms ? now - g->cfg.election_ms
                                                  : 0;

        if (heard_since(g, since, false) < gdfs_group_quorum(g)) {
            /* Lost the majority: stop acting as leader. */
            become_follower(g, "", now);
            return;
        }
        if (beat)
            send_appends(g, now);
        leader_confirm(g, now);
        return;
    }
    /* A node holding its votes has lost (or never had) entries it may
     * have acknowledged: it would not win, and must not lead. */
    if (now >= g->election_at && !g->votes_held)
        start_prevote(g, now);
}

/* Every string ends inside its array, the kind and the member count are
 * in range: what the decoder guarantees, checked again here so that no
 * host (or fuzzer) can walk the machine off an array. */
static bool well_formed(const struct gdfs_gmsg *m)
{
    const struct gdfs_members *set = &m->u.append.set;

    if (m->type < GDFS_GMSG_HEARTBEAT || m->type > GDFS_GMSG_LEAVE ||
        !STR_OK(m->from, false) || !STR_OK(m->group_id, true))
        return false;
    switch (m->type) {
    case GDFS_GMSG_APPEND:
        if (set->n > GDFS_GROUP_MAX || !STR_OK(set->group_id, true))
            return false;
        for (uint32_t i = 0; i < set->n; i++)
            if (!STR_OK(set->m[i].id, false) ||
                !STR_OK(set->m[i].addr, false) ||
                set->m[i].state > GDFS_MEMBER_STATE_MAX)
                return false;
        return true;
    case GDFS_GMSG_SUSPECT:
        return STR_OK(m->u.suspect.target, false);
    case GDFS_GMSG_JOIN:
        return STR_OK(m->u.join.addr, false);
    default:
        return true;
    }
}

/* Whether @id is in this node's member set or was removed lately. */
static bool was_member(const struct gdfs_group *g, const char *id)
{
    if (gdfs_group_find(&g->set, id) >= 0)
        return true;
    for (unsigned k = 0; k < GDFS_GONE_MAX && k < g->ngone; k++)
        if (strcmp(g->gone[k].id, id) == 0)
            return true;
    return false;
}

/* The member set of APPEND @m: of this group, 1 to GDFS_GROUP_MAX members
 * with distinct ids, none LEFT (the machine never sends one: a member that
 * leaves leaves the set, and LEFT ones would shrink the majority), with
 * the sender in it, or, for a leader that removed itself, in ours. A drop
 * reason, or -1 if it is fine. */
static int set_check(const struct gdfs_group *g, const struct gdfs_gmsg *m)
{
    const struct gdfs_members *set = &m->u.append.set;
    bool joining = g->role == GDFS_ROLE_JOINING;

    if (set->n == 0 || set->group_id[0] == '\0' ||
        strcmp(set->group_id, joining ? m->group_id : g->set.group_id) != 0)
        return GDFS_GROUP_DROP_SET;
    for (uint32_t i = 0; i < set->n; i++) {
        if (set->m[i].state == GDFS_MEMBER_LEFT)
            return GDFS_GROUP_DROP_SET;
        /* at most 64 x 63 / 2 comparisons of ids of <= 64 bytes */
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(set->m[i].id, set->m[j].id) == 0)
                return GDFS_GROUP_DROP_SET;
    }
    if (gdfs_group_find(set, m->from) < 0 &&
        (joining || !was_member(g, m->from)))
        return GDFS_GROUP_DROP_NOT_IN_SET;
    return -1;
}

/* A member set version a message of term @term may carry: made by a
 * leader of that term or an earlier one, and below the limit. */
static bool version_ok(const struct gdfs_version *v, uint64_t term)
{
    return v->seq < GDFS_GROUP_COUNTER_LIMIT && v->term <= term;
}

/* The counters of @m in range (its term is checked already): +1 of any
 * of them can never wrap, and no version claims a later term than the
 * message. */
static bool counters_ok(const struct gdfs_gmsg *m)
{
    const uint64_t limit = GDFS_GROUP_COUNTER_LIMIT;
    const struct gdfs_members *set = &m->u.append.set;

    switch (m->type) {
    case GDFS_GMSG_HEARTBEAT:
        return m->u.heartbeat.incarnation < limit;
    case GDFS_GMSG_APPEND:
        if (!version_ok(&set->version, m->term) ||
            !version_ok(&m->u.append.committed, m->term) ||
            gdfs_version_cmp(&m->u.append.committed, &set->version) > 0)
            return false;
        for (uint32_t i = 0; i < set->n; i++)
            if (set->m[i].incarnation >= limit)
                return false;
        return true;
    case GDFS_GMSG_APPEND_ACK:
        return m->u.append_ack.incarnation < limit &&
               version_ok(&m->u.append_ack.version, m->term);
    case GDFS_GMSG_VOTE:
        return version_ok(&m->u.vote.version, m->term) &&
               m->u.vote.log_term <= m->term && m->u.vote.log_index < limit;
    case GDFS_GMSG_SUSPECT:
        return m->u.suspect.incarnation < limit;
    default:
        return true;
    }
}

void gdfs_group_recv(struct gdfs_group *g, const struct gdfs_gmsg *m,
                     uint64_t now)
{
    int from, why;

    if (g->role == GDFS_ROLE_REMOVED)
        return;
    if (!well_formed(m)) {
        drop(g, m, GDFS_GROUP_DROP_MALFORMED);
        return;
    }
    if (strcmp(m->from, g->self) == 0) {
        /* Our own id from outside: a forgery, or a second node started
         * with this id. Either way never ours to act on (a leader that
         * removed itself would otherwise take its own JOIN). */
        drop(g, m, GDFS_GROUP_DROP_FROM_SELF);
        return;
    }
    if (g->role != GDFS_ROLE_JOINING && m->type != GDFS_GMSG_JOIN &&
        strcmp(m->group_id, g->set.group_id) != 0)
        return; /* another group (the host says so), not a rule broken */
    if (m->term >= GDFS_GROUP_COUNTER_LIMIT) {
        drop(g, m, GDFS_GROUP_DROP_TERM); /* never adopted nor persisted */
        return;
    }
    if (!counters_ok(m)) {
        drop(g, m, GDFS_GROUP_DROP_COUNTER);
        return;
    }
    if (m->type == GDFS_GMSG_APPEND && (why = set_check(g, m)) >= 0) {
        drop(g, m, why); /* before its term is adopted */
        return;
    }
    if (g->role == GDFS_ROLE_JOINING) {
        /* No term of its own yet to measure a jump from. */
        if (m->type == GDFS_GMSG_APPEND)
            on_append(g, m, now);
        return;
    }
    if (m->type == GDFS_GMSG_JOIN) {
        /* From a node that is no member yet: it has no group id (nor a
         * term anyone reads). */
        on_join(g, m, now);
        return;
    }
    from = gdfs_group_find(&g->set, m->from);
    if (m->term > g->term + GDFS_GROUP_TERM_JUMP_MAX) {
        /* Too far: not taken, never persisted. But a member may really be
         * that far ahead (this node was away for ages, or a lie moved the
         * others): refusing alone would shut this node out for good, so
         * a member's word moves it up by the jump, a fence (no vote, no
         * leader); a few messages close any real gap, and a liar needs
         * 2^31 of them to reach the limit. */
        drop(g, m, GDFS_GROUP_DROP_TERM);
        if (from >= 0)
            adopt_term(g, g->term + GDFS_GROUP_TERM_JUMP_MAX, now);
        return;
    }
    if (from < 0 && m->type == GDFS_GMSG_APPEND) {
        /* A leader that is removing itself is no longer in the set it
         * sends; it still leads until that set is committed (thesis
         * §4.2.2). */
        if (m->term > g->term && !adopt_term(g, m->term, now))
            return;
        on_append(g, m, now);
        return;
    }
    if (from < 0) {
        /* Not a member. A removed one that campaigns (restarted from its
         * old database, or back from a partition) is told. */
        if (m->type == GDFS_GMSG_VOTE)
            tell_removed(g, m, now);
        return;
    }
    /* Any message shows its sender is up. */
    g->peer[from].last_rx = now;
    if (m->type == GDFS_GMSG_VOTE_ACK && m->u.vote_ack.pre &&
        m->u.vote_ack.granted) {
        /* Carries the term the pre-candidate proposed, not a term anyone
         * holds: no fencing. */
        on_vote_ack(g, from, m, now);
        return;
    }
    switch (m->type) {
    case GDFS_GMSG_HEARTBEAT:
        on_heartbeat(g, from, m, now);
        return;
    case GDFS_GMSG_VOTE:
        on_vote(g, from, m, now);
        return;
    default:
        break;
    }
    /* Every other message carries its sender's term (fencing). */
    if (m->term > g->term && !adopt_term(g, m->term, now))
        return;
    switch (m->type) {
    case GDFS_GMSG_APPEND:
        on_append(g, m, now);
        break;
    case GDFS_GMSG_APPEND_ACK:
        on_append_ack(g, from, m, now);
        break;
    case GDFS_GMSG_VOTE_ACK:
        on_vote_ack(g, from, m, now);
        break;
    case GDFS_GMSG_SUSPECT:
        if (m->term == g->term)
            on_suspect(g, m, now);
        break;
    case GDFS_GMSG_LEAVE:
        if (g->role == GDFS_ROLE_LEADER && !pending_change(g))
            propose_remove(g, from, now);
        break;
    }
}

/* Leader: member @id's index into *i, for its removal; GDFS_ENOTLEADER
 * or GDFS_ENOENT if there is none to remove. */
static int removal_target(const struct gdfs_group *g, const char *id, int *i)
{
    *i = gdfs_group_find(&g->set, id);
    if (g->role != GDFS_ROLE_LEADER)
        return GDFS_ENOTLEADER;
    return *i < 0 ? GDFS_ENOENT : GDFS_OK;
}

int gdfs_group_propose_leave(struct gdfs_group *g, const char *id,
                             uint64_t now)
{
    int i, rc = removal_target(g, id, &i);

    if (rc != GDFS_OK)
        return rc;
    if (pending_change(g))
        return GDFS_EBUSY;
    if (g->set.n == 1)
        return GDFS_EINVAL; /* the last member cannot leave */
    return propose_remove(g, i, now);
}

int gdfs_group_propose_forget(struct gdfs_group *g, const char *id,
                              uint64_t now)
{
    int i, rc = removal_target(g, id, &i);

    if (rc != GDFS_OK)
        return rc;
    /* Only a member this leader has confirmed failed: a live one leaves
     * (with its copies handed off), and the leader is alive. */
    if (strcmp(id, g->self) == 0 || g->set.m[i].state != GDFS_MEMBER_FAILED)
        return GDFS_EGROUP;
    if (pending_change(g))
        return GDFS_EBUSY;
    return propose_remove(g, i, now);
}

int gdfs_group_request_leave(struct gdfs_group *g, uint64_t now)
{
    struct gdfs_gmsg m;
    int l;

    if (g->role == GDFS_ROLE_LEADER)
        return gdfs_group_propose_leave(g, g->self, now);
    l = g->leader[0] ? gdfs_group_find(&g->set, g->leader) : -1;
    if (l < 0 || g->role != GDFS_ROLE_FOLLOWER)
        return GDFS_ENOTLEADER;
    memset(&m, 0, sizeof(m));
    m.type = GDFS_GMSG_LEAVE;
    m.term = g->term;
    send_to(g, l, &m);
    return GDFS_OK;
}
