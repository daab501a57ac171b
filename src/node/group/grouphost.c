/* The group thread; see grouphost.h.
 *
 * Locking: one mutex guards the state machine. The group thread holds it
 * while it feeds the machine an event (CPU work, plus an fsync when a term,
 * vote or member set changes); connection threads hold it briefly to read
 * a snapshot or to queue a message. */
#define GDFS_LOG_MODULE "group"
#include "node/group/grouphost.h"
#include "node/dbopts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "core/ring.h"
#include "log.h"
#include "node/group/inbox.h"
#include "node/group/peers.h"
#include "store/store.h"

#define TICK_MS 10
#define JOIN_TIMEOUT_FACTOR 40 /* election timeouts to wait for admission */
/* A peer can send bad messages as fast as it likes: one WARN per reason
 * per this long, saying how many went unlogged since. */
#define DROP_LOG_MS 10000
/* How often this node measures its disk room (and tries to make its spare
 * file again). */
#define ROOM_MS 1000
/* A member's reported room is used this many heartbeat rounds (plus an
 * election timeout) after its APPEND_ACK; older, it is unknown. */
#define ROOM_FRESH_BEATS 10

/* A member's disk room as its latest APPEND_ACK gave it. */
struct room_report {
    char id[GDFS_NODE_ID_MAX + 1];
    struct gdfs_capacity room;
    uint64_t at; /* our clock when it came */
};

struct gdfs_grouphost {
    const struct gdfs_config *cfg;
    struct gdfs_store *st;
    struct gdfs_peers *peers;
    struct gdfs_group g;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t changed; /* role or member set changed */
    int wake[2];            /* pipe: inbox has messages, or stop */
    bool stop;
    bool leaving; /* this node asked to leave (gdfs_grouphost_leave) */
    int stop_wr;
    int exit_code;
    uint64_t rng;
    uint64_t join_deadline;
    struct gdfs_inbox inbox;  /* from connection threads, under mu */
    uint64_t inbox_logged;    /* inbox.dropped when last logged */
    uint64_t inbox_logged_at; /* and when */
    uint8_t *frame;           /* encode buffer of the group thread */
    size_t frame_cap;
    bool warned_group[GDFS_GROUP_MAX];
    uint64_t drop_logged[GDFS_GROUP_DROP_COUNT]; /* when last logged */
    uint64_t drop_quiet[GDFS_GROUP_DROP_COUNT];  /* dropped since, unlogged */
    /* When each member of the saved set entered it (a counter of this
     * process): an id that left and came back enters again. */
    struct {
        char id[GDFS_NODE_ID_MAX + 1];
        uint64_t at;
        bool joining; /* asked to join again; no APPEND_ACK since */
    } entered[GDFS_GROUP_MAX];
    uint32_t nentered;
    uint64_t entries;
    /* disk room (issue 13 "Capacity"), under mu */
    int64_t reserve;               /* gdfs_node_reserve */
    struct gdfs_capacity own_room; /* measured every ROOM_MS */
    uint64_t room_at;              /* when */
    bool room_warned;              /* measuring failed, logged once */
    struct room_report rooms[GDFS_GROUP_MAX]; /* leader: the members' */
    struct gdfs_gmsg *ack; /* an APPEND_ACK with own_room stamped in */
    struct gdfs_gmsg *app; /* an APPEND with the placement hint stamped in */
    /* Placement exclusions (gdfs_group_status: full, draining), under mu:
     * the members being drained (set on the leader by the records room),
     * and what the leader's last APPEND said (on the others). */
    char draining[GDFS_GROUP_MAX][GDFS_NODE_ID_MAX + 1];
    uint32_t ndraining;
    struct {
        char id[GDFS_NODE_ID_MAX + 1];
        bool full, drain;
    } hint[GDFS_GROUP_MAX];
    uint32_t nhint;
    uint64_t hint_at, hint_term; /* when it came, and in which term */
};

/* Under mu: the index of member @id in h->entered, or -1. */
static int entry_index(const struct gdfs_grouphost *h, const char *id)
{
    for (uint32_t k = 0; k < h->nentered; k++)
        if (strcmp(h->entered[k].id, id) == 0)
            return (int)k;
    return -1;
}

/* Under mu: @set is the member set from now on; members not in the last
 * one entered now. Every membership change this node makes or takes is
 * saved first (a leader makes each one), so a leave and a join again are
 * never seen as one set. */
static void note_entries(struct gdfs_grouphost *h,
                         const struct gdfs_members *set)
{
    uint64_t at[GDFS_GROUP_MAX];
    bool joining[GDFS_GROUP_MAX];

    for (uint32_t i = 0; i < set->n; i++) {
        int k = entry_index(h, set->m[i].id);

        at[i] = k >= 0 ? h->entered[k].at : ++h->entries;
        joining[i] = k >= 0 && h->entered[k].joining;
    }
    for (uint32_t i = 0; i < set->n; i++) {
        memcpy(h->entered[i].id, set->m[i].id, sizeof(h->entered[i].id));
        h->entered[i].at = at[i];
        h->entered[i].joining = joining[i];
    }
    h->nentered = set->n;
}

/* Under mu, before the machine takes @m: a member that asks to join
 * although it is one started again without its state (an emptied or new
 * disk, see README): it enters anew, so that the copies it held count
 * for nothing until it reports them (DESIGN.md invariant 8). Once per
 * episode: its JOINs repeat until its first APPEND_ACK. */
static void note_rejoin(struct gdfs_grouphost *h, const struct gdfs_gmsg *m)
{
    int k = entry_index(h, m->from);

    if (k < 0 || h->g.role != GDFS_ROLE_LEADER)
        return;
    if (m->type == GDFS_GMSG_APPEND_ACK) {
        h->entered[k].joining = false;
    } else if (m->type == GDFS_GMSG_JOIN && !h->entered[k].joining) {
        h->entered[k].joining = true;
        h->entered[k].at = ++h->entries;
        gdfs_log(GDFS_LOG_NOTICE,
                 "member %s asks to join again: it started without its "
                 "state, so its copies count once it reports them",
                 m->from);
    }
}

/* Under mu: when member @id entered the set (0 if it is not in it). */
static uint64_t entered_at(const struct gdfs_grouphost *h, const char *id)
{
    int k = entry_index(h, id);

    return k >= 0 ? h->entered[k].at : 0;
}

/* Ask the node to stop with @code. */
static void request_exit(struct gdfs_grouphost *h, int code)
{
    char c = 'g';

    h->exit_code = code;
    if (write(h->stop_wr, &c, 1) < 0) {
        /* A stop is pending already. */
    }
}

/* ---- placement exclusions ------------------------------------------------- */

static struct gdfs_capacity room_of(const struct gdfs_grouphost *h,
                                    const char *id, uint64_t now);

/* Leader, mu held: whether member @id takes no new put, as this node
 * knows: *full, no room above its reserve as it last reported it;
 * *drain, its copies are being handed off. */
static void leader_flags(const struct gdfs_grouphost *h, const char *id,
                         uint64_t now, bool *full, bool *drain)
{
    struct gdfs_capacity room = room_of(h, id, now);

    *full = room.known && !gdfs_capacity_fits(&room, 0);
    *drain = false;
    for (uint32_t d = 0; d < h->ndraining; d++)
        if (strcmp(h->draining[d], id) == 0)
            *drain = true;
}

/* mu held: keep the exclusions of an APPEND of the leader of this term
 * (after the machine took it, so that it knows the leader). */
static void note_hint(struct gdfs_grouphost *h, const struct gdfs_gmsg *m,
                      uint64_t now)
{
    const struct gdfs_members *set = &m->u.append.set;

    if (m->type != GDFS_GMSG_APPEND || !m->u.append.hint ||
        m->term != h->g.term || strcmp(m->from, h->g.leader) != 0)
        return;
    h->nhint = 0;
    for (uint32_t i = 0; i < set->n && i < GDFS_GROUP_MAX; i++) {
        bool full = (m->u.append.full >> i) & 1u,
             drain = (m->u.append.drain >> i) & 1u;

        if (!full && !drain)
            continue;
        snprintf(h->hint[h->nhint].id, sizeof(h->hint[0].id), "%s",
                 set->m[i].id);
        h->hint[h->nhint].full = full;
        h->hint[h->nhint].drain = drain;
        h->nhint++;
    }
    h->hint_at = now;
    h->hint_term = m->term;
}

/* mu held: member @id's exclusions for gdfs_group_status: the leader's
 * own, or its last word if fresh (within an election timeout, in this
 * term); none when not known. */
static void excluded(const struct gdfs_grouphost *h, const char *id,
                     uint64_t now, bool *full, bool *drain)
{
    *full = *drain = false;
    if (h->g.role == GDFS_ROLE_LEADER) {
        leader_flags(h, id, now, full, drain);
        return;
    }
    if (h->hint_term != h->g.term || now - h->hint_at > h->cfg->election_ms)
        return;
    for (uint32_t k = 0; k < h->nhint; k++)
        if (strcmp(h->hint[k].id, id) == 0) {
            *full = h->hint[k].full;
            *drain = h->hint[k].drain;
        }
}

void gdfs_grouphost_set_draining(struct gdfs_grouphost *h,
                                 const char (*ids)[GDFS_NODE_ID_MAX + 1],
                                 unsigned n)
{
    pthread_mutex_lock(&h->mu);
    h->ndraining = 0;
    for (unsigned i = 0; i < n && i < GDFS_GROUP_MAX; i++)
        snprintf(h->draining[h->ndraining++], sizeof(h->draining[0]), "%s",
                 ids[i]);
    pthread_mutex_unlock(&h->mu);
}

/* ---- io callbacks (called with the lock held, on the group thread) ------- */

static void io_send(void *ctx, const char *to, const char *addr,
                    const struct gdfs_gmsg *m)
{
    struct gdfs_grouphost *h = ctx;
    size_t len;

    (void)to;
    /* The state machine knows nothing of disks: the ack it makes carries
     * this node's room to the leader from here. */
    if (m->type == GDFS_GMSG_APPEND_ACK) {
        *h->ack = *m;
        h->ack->u.append_ack.room = h->own_room;
        m = h->ack;
    }
    /* ... and the leader's APPEND carries where puts should not go, for
     * gateways that place puts themselves (docs/record-log.md "Round
     * trips of a put"). */
    if (m->type == GDFS_GMSG_APPEND) {
        uint64_t now = gdfs_clock_ms();

        *h->app = *m;
        h->app->u.append.hint = true;
        for (uint32_t i = 0; i < m->u.append.set.n; i++) {
            bool full, drain;

            leader_flags(h, m->u.append.set.m[i].id, now, &full, &drain);
            h->app->u.append.full |= (uint64_t)full << i;
            h->app->u.append.drain |= (uint64_t)drain << i;
        }
        m = h->app;
    }
    if (gdfs_proto_encode_group(m, h->frame, h->frame_cap, &len) != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "cannot encode a group message for %s", addr);
        return;
    }
    gdfs_peers_send(h->peers, addr, h->frame, len);
}

/* A save found the disk full: give it a piece of the spare file's room
 * (store.h "disk room") and say so; true if there was some to give. The
 * next room check makes the file whole again once the disk has room. */
static bool give_spare(struct gdfs_grouphost *h, const char *what)
{
    if (!gdfs_store_spare_release(h->cfg->data_dir))
        return false;
    gdfs_log(GDFS_LOG_WARN,
             "disk full: %s uses the spare file's room (%s is below its "
             "reserve; free space there)",
             what, h->cfg->data_dir);
    return true;
}

static int io_save_term(void *ctx, uint64_t term, const char *vote)
{
    struct gdfs_grouphost *h = ctx;
    int rc = gdfs_store_set_term(h->st, term, vote);

    while (rc == GDFS_ENOSPC && give_spare(h, "saving the term"))
        rc = gdfs_store_set_term(h->st, term, vote);
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "cannot save term %llu: %s",
                 (unsigned long long)term, gdfs_store_errmsg(h->st));
    return rc;
}

static int io_save_members(void *ctx, const struct gdfs_members *set)
{
    struct gdfs_grouphost *h = ctx;
    int rc = gdfs_store_save_members(h->st, h->cfg->node_id, set);

    while (rc == GDFS_ENOSPC && give_spare(h, "saving the member set"))
        rc = gdfs_store_save_members(h->st, h->cfg->node_id, set);
    if (rc != GDFS_OK)
        gdfs_log(GDFS_LOG_ERROR, "cannot save the member set: %s",
                 gdfs_store_errmsg(h->st));
    else
        note_entries(h, set);
    return rc;
}

static uint64_t io_random(void *ctx)
{
    struct gdfs_grouphost *h = ctx;
    uint64_t x = h->rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return h->rng = x;
}

static const char *state_name(int s)
{
    static const char *const names[] = {"alive", "suspect", "failed", "left"};

    return s >= 0 && s <= GDFS_MEMBER_STATE_MAX ? names[s] : "?";
}

/* The state machine dropped a message (g->last_drop): WARN, rate-limited
 * per reason. */
static void log_drop(struct gdfs_grouphost *h, const char *why)
{
    const struct gdfs_group_drop *d = &h->g.last_drop;
    uint64_t now = gdfs_clock_ms();
    int r = d->reason;

    if (r < 0 || r >= GDFS_GROUP_DROP_COUNT)
        return;
    if (h->drop_logged[r] != 0 && now - h->drop_logged[r] < DROP_LOG_MS) {
        h->drop_quiet[r]++;
        return;
    }
    if (d->own)
        gdfs_log(GDFS_LOG_WARN, "group rule kept (term %llu): %s",
                 (unsigned long long)d->term, why);
    else
        gdfs_log(GDFS_LOG_WARN,
                 "dropped a group %s from %s (term %llu): %s; %llu more "
                 "such unlogged since the last, %llu in all",
                 gdfs_group_kind_name(d->type), d->from,
                 (unsigned long long)d->term, why,
                 (unsigned long long)h->drop_quiet[r],
                 (unsigned long long)h->g.drops[r]);
    h->drop_logged[r] = now;
    h->drop_quiet[r] = 0;
}

static void io_event(void *ctx, int ev, const char *detail)
{
    struct gdfs_grouphost *h = ctx;
    struct gdfs_group *g = &h->g;
    int i;

    switch (ev) {
    case GDFS_GEV_LEADER:
        gdfs_log(GDFS_LOG_NOTICE, "leader is %s (term %s): this node", g->self,
                 detail);
        break;
    case GDFS_GEV_STEP_DOWN:
        gdfs_log(GDFS_LOG_NOTICE,
                 "no longer leader in term %llu (lost the majority or saw "
                 "a newer term)",
                 (unsigned long long)g->term);
        break;
    case GDFS_GEV_NEW_LEADER:
        gdfs_log(GDFS_LOG_NOTICE, "leader is %s (term %llu)", detail,
                 (unsigned long long)g->term);
        break;
    case GDFS_GEV_SUSPECT:
        gdfs_log(GDFS_LOG_NOTICE,
                 "node %s suspect (no heartbeat for %u ms); told the leader",
                 detail, g->cfg.suspect_ms);
        break;
    case GDFS_GEV_STATE:
        i = gdfs_group_find(&g->set, detail);
        gdfs_log(GDFS_LOG_NOTICE, "node %s is %s", detail,
                 i >= 0 ? state_name(g->set.m[i].state) : "gone");
        break;
    case GDFS_GEV_MEMBERS:
        gdfs_log(GDFS_LOG_NOTICE, "member set version %llu.%llu: %u members",
                 (unsigned long long)g->set.version.term,
                 (unsigned long long)g->set.version.seq, g->set.n);
        break;
    case GDFS_GEV_COMMITTED:
        gdfs_log(GDFS_LOG_INFO, "member set version %llu.%llu committed",
                 (unsigned long long)g->set.version.term,
                 (unsigned long long)g->set.version.seq);
        break;
    case GDFS_GEV_REMOVED:
        if (h->leaving) {
            gdfs_log(GDFS_LOG_NOTICE, "this node left group %s; stopping",
                     g->set.group_id);
            request_exit(h, 0);
            break;
        }
        /* Forgotten by an admin, or failed longer than dead_ms, while it
         * was down or cut off: what it holds is stale. */
        gdfs_log(GDFS_LOG_ERROR,
                 "this node was removed from group %s (forgotten by an "
                 "admin, or failed longer than dead_ms) and is no longer a "
                 "member; stopping. To use it again, empty its data_dir "
                 "and join (README, \"Operating gdfs\")",
                 g->set.group_id);
        request_exit(h, 2);
        break;
    case GDFS_GEV_DROPPED:
        log_drop(h, detail);
        return; /* nothing changed */
    }
    pthread_cond_broadcast(&h->changed);
}

/* ---- disk room ----------------------------------------------------------- */

/* Measure this node's room every ROOM_MS, and make the spare file again
 * when it is missing and there is room for it (mu held). */
static void measure_room(struct gdfs_grouphost *h, uint64_t now)
{
    char err[512];
    int rc;

    if (h->room_at != 0 && now - h->room_at < ROOM_MS)
        return;
    h->room_at = now;
    rc = gdfs_store_spare_make(h->cfg->data_dir, h->reserve);
    if (rc == GDFS_OK || rc == GDFS_ENOSPC)
        rc = gdfs_store_room_measure(h->cfg->data_dir, h->reserve,
                                     &h->own_room, err, sizeof(err));
    else
        snprintf(err, sizeof(err), "cannot make %s/%s-spare", h->cfg->data_dir,
                 GDFS_STORE_DB_NAME);
    if (rc != GDFS_OK && rc != GDFS_ENOSPC) {
        h->own_room.known = false;
        if (!h->room_warned)
            gdfs_log(GDFS_LOG_WARN, "disk room: %s", err);
    }
    h->room_warned = rc != GDFS_OK && rc != GDFS_ENOSPC;
}

/* A member's APPEND_ACK: keep the room it reports (mu held). Only a
 * member's (the channel proved the sender, node/admin.c), and only as
 * many as the group has members: a slot of an id no longer in the set,
 * or the oldest, is reused. */
static void note_room(struct gdfs_grouphost *h, const struct gdfs_gmsg *m,
                      uint64_t now)
{
    struct room_report *slot = NULL;

    if (m->type != GDFS_GMSG_APPEND_ACK || !m->u.append_ack.room.known ||
        gdfs_group_find(&h->g.set, m->from) < 0)
        return;
    for (size_t i = 0; i < GDFS_GROUP_MAX && slot == NULL; i++)
        if (strcmp(h->rooms[i].id, m->from) == 0)
            slot = &h->rooms[i];
    for (size_t i = 0; i < GDFS_GROUP_MAX && slot == NULL; i++)
        if (h->rooms[i].id[0] == '\0' ||
            gdfs_group_find(&h->g.set, h->rooms[i].id) < 0)
            slot = &h->rooms[i];
    if (slot == NULL) { /* not reached while ids are unique members */
        slot = &h->rooms[0];
        for (size_t i = 1; i < GDFS_GROUP_MAX; i++)
            if (h->rooms[i].at < slot->at)
                slot = &h->rooms[i];
    }
    snprintf(slot->id, sizeof(slot->id), "%s", m->from);
    slot->room = m->u.append_ack.room;
    slot->at = now;
}

/* Member @id's room as this node knows it now (mu held). */
static struct gdfs_capacity room_of(const struct gdfs_grouphost *h,
                                    const char *id, uint64_t now)
{
    uint64_t fresh = (uint64_t)ROOM_FRESH_BEATS * h->cfg->heartbeat_ms +
                     h->cfg->election_ms;
    struct gdfs_capacity none = {.known = false};

    if (strcmp(id, h->g.self) == 0)
        return h->own_room;
    if (h->g.role != GDFS_ROLE_LEADER)
        return none;
    for (size_t i = 0; i < GDFS_GROUP_MAX; i++)
        if (strcmp(h->rooms[i].id, id) == 0)
            return now - h->rooms[i].at <= fresh ? h->rooms[i].room : none;
    return none;
}

/* ---- the thread ---------------------------------------------------------- */

static void warn_other_group(struct gdfs_grouphost *h,
                             const struct gdfs_gmsg *m)
{
    int i = gdfs_group_find(&h->g.set, m->from);

    if (m->type == GDFS_GMSG_JOIN || m->group_id[0] == '\0' || i < 0 ||
        strcmp(m->group_id, h->g.set.group_id) == 0 || h->warned_group[i])
        return;
    h->warned_group[i] = true;
    gdfs_log(GDFS_LOG_ERROR,
             "member %s belongs to group %s, this node to group %s: one of "
             "the two databases is from another group",
             m->from, m->group_id, h->g.set.group_id);
}

/* Messages the inbox refused since the last report: WARN, at most every
 * DROP_LOG_MS. */
static void log_inbox_drops(struct gdfs_grouphost *h, uint64_t now)
{
    uint64_t n = h->inbox.dropped - h->inbox_logged;

    if (n == 0 ||
        (h->inbox_logged_at != 0 && now - h->inbox_logged_at < DROP_LOG_MS))
        return;
    gdfs_log(GDFS_LOG_WARN,
             "group inbox: dropped %llu message(s) from senders with %d "
             "already waiting (the last from %s), %llu in all",
             (unsigned long long)n, GDFS_INBOX_PER_SENDER,
             h->inbox.last_dropped, (unsigned long long)h->inbox.dropped);
    h->inbox_logged = h->inbox.dropped;
    h->inbox_logged_at = now;
}

static void *group_main(void *arg)
{
    struct gdfs_grouphost *h = arg;
    struct pollfd p = {.fd = h->wake[0], .events = POLLIN};

    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        struct gdfs_gmsg *m;
        uint64_t now;
        char drain[64];

        pthread_mutex_unlock(&h->mu);
        poll(&p, 1, TICK_MS);
        if (p.revents & POLLIN)
            while (read(h->wake[0], drain, sizeof(drain)) > 0) {
            }
        pthread_mutex_lock(&h->mu);
        now = gdfs_clock_ms();
        measure_room(h, now);
        while ((m = gdfs_inbox_take(&h->inbox)) != NULL) {
            warn_other_group(h, m);
            note_rejoin(h, m);
            note_room(h, m, now);
            gdfs_group_recv(&h->g, m, now);
            note_hint(h, m, now);
            free(m);
        }
        log_inbox_drops(h, now);
        gdfs_group_tick(&h->g, now);
        if (h->g.role == GDFS_ROLE_JOINING && h->join_deadline != 0 &&
            now > h->join_deadline) {
            gdfs_log(GDFS_LOG_ERROR,
                     "not admitted to a group within %llu ms: is %s "
                     "reachable, and is the id %s free?",
                     (unsigned long long)JOIN_TIMEOUT_FACTOR *
                         h->cfg->election_ms,
                     h->g.seed_addr, h->g.self);
            h->join_deadline = 0;
            request_exit(h, 1);
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* The machine votes with the record log's last entry from the start,
 * before any message (docs/record-log.md). */
static int load_log(struct gdfs_grouphost *h, char *err, size_t errlen)
{
    struct gdfs_store_log_state o;
    int rc = gdfs_store_log_state(h->st, &o);

    if (rc == GDFS_ENOENT)
        return GDFS_OK; /* joining: not a member yet, no log */
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "record log: %s", gdfs_store_errmsg(h->st));
        return rc;
    }
    gdfs_group_set_log(&h->g, o.last_term, o.last_index);
    return GDFS_OK;
}

/* A node that joined and had not caught up when it stopped holds its
 * votes again (group.h gdfs_group_hold_votes). */
static int load_held(struct gdfs_grouphost *h, char *err, size_t errlen)
{
    bool held;
    int rc = gdfs_store_votes_held(h->st, &held);

    if (rc != GDFS_OK) {
        snprintf(err, errlen, "%s", gdfs_store_errmsg(h->st));
        return rc;
    }
    if (held) {
        gdfs_group_hold_votes(&h->g);
        gdfs_log(GDFS_LOG_NOTICE,
                 "holding its votes until its record log catches up "
                 "(it joined and has not yet)");
    }
    return GDFS_OK;
}

int gdfs_grouphost_start(const struct gdfs_config *cfg, const char *db_path,
                         struct gdfs_transport *t,
                         const struct gdfs_cred *self, int mode,
                         const char *seed, int stop_wr,
                         struct gdfs_grouphost **out, char *err, size_t errlen)
{
    struct gdfs_grouphost *h = calloc(1, sizeof(*h));
    struct gdfs_store_opts so = gdfs_node_store_opts(cfg, true);
    struct gdfs_group_cfg gc = {cfg->heartbeat_ms, cfg->suspect_ms,
                                cfg->election_ms, cfg->lease_ms, cfg->dead_ms};
    struct gdfs_group_io io;
    struct gdfs_members *set = NULL;
    char vote[GDFS_NODE_ID_MAX + 1];
    uint64_t term;
    int rc;

    *out = NULL;
    if (h == NULL) {
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    h->cfg = cfg;
    h->stop_wr = stop_wr;
    gdfs_inbox_init(&h->inbox);
    h->wake[0] = h->wake[1] = -1;
    pthread_mutex_init(&h->mu, NULL);
    gdfs_clock_cond_init(&h->changed); /* timed waits: leave */
    h->frame_cap = GDFS_PROTO_HDR_LEN + 64 * 1024;
    h->frame = malloc(h->frame_cap);
    h->ack = malloc(sizeof(*h->ack));
    h->app = malloc(sizeof(*h->app));
    h->reserve = gdfs_node_reserve(cfg);
    set = malloc(sizeof(*set));
    if (h->frame == NULL || h->ack == NULL || h->app == NULL || set == NULL ||
        pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
        getrandom(&h->rng, sizeof(h->rng), 0) != sizeof(h->rng)) {
        snprintf(err, errlen, "cannot set up the group thread: %s",
                 strerror(errno));
        rc = GDFS_ENOMEM;
        goto fail;
    }
    h->rng |= 1;
    rc = gdfs_store_open(db_path, &so, &h->st, err, errlen);
    if (rc != GDFS_OK)
        goto fail;
    rc = gdfs_peers_new(t, self, (int)cfg->dial_timeout_ms,
                        (int)cfg->io_timeout_ms, &h->peers);
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    measure_room(h, gdfs_clock_ms());
    io = (struct gdfs_group_io){
        h, io_send, io_save_term, io_save_members, io_random, io_event};
    if (mode == GDFS_GROUPHOST_JOIN) {
        gdfs_group_start_join(&h->g, cfg->node_id, cfg->advertise, seed, &gc,
                              &io, gdfs_clock_ms());
        if ((rc = load_log(h, err, errlen)) != GDFS_OK)
            goto fail;
        h->join_deadline = gdfs_clock_ms() +
                           (uint64_t)JOIN_TIMEOUT_FACTOR * cfg->election_ms;
        gdfs_log(GDFS_LOG_NOTICE, "asking %s to let node %s (%s) join", seed,
                 cfg->node_id, cfg->advertise);
    } else {
        rc = gdfs_store_load_group(h->st, &term, vote, set);
        if (rc != GDFS_OK) {
            snprintf(err, errlen, "%s", gdfs_store_errmsg(h->st));
            goto fail;
        }
        rc = gdfs_group_start(&h->g, cfg->node_id, &gc, &io, term, vote, set,
                              gdfs_clock_ms());
        if (rc == GDFS_ECORRUPT) {
            snprintf(err, errlen,
                     "node %s: the stored group state is out of range "
                     "(term %llu; terms stay below 2^63): it cannot take "
                     "part safely; empty its data_dir and join",
                     cfg->node_id, (unsigned long long)term);
            goto fail;
        }
        if (rc != GDFS_OK) {
            snprintf(err, errlen,
                     "node %s is not a member of group %s any more (it "
                     "left or was removed): to use it again, empty its "
                     "data_dir and join",
                     cfg->node_id, set->group_id);
            rc = GDFS_EGROUP;
            goto fail;
        }
        {
            int me = gdfs_group_find(&h->g.set, cfg->node_id);

            /* The address may have changed in the INI since. */
            if (me >= 0 && strcmp(h->g.set.m[me].addr, cfg->advertise) != 0)
                gdfs_log(GDFS_LOG_WARN,
                         "advertise %s differs from the address the group "
                         "knows (%s); the group keeps using the latter (to "
                         "move a node, empty data_dir but for group.key and "
                         "join: README, \"Operating gdfs\")",
                         cfg->advertise, h->g.set.m[me].addr);
        }
        if ((rc = load_log(h, err, errlen)) != GDFS_OK ||
            (rc = load_held(h, err, errlen)) != GDFS_OK)
            goto fail;
        note_entries(h, &h->g.set);
        gdfs_log(GDFS_LOG_NOTICE, "member of group %s (term %llu, %u members)",
                 set->group_id, (unsigned long long)term, set->n);
        /* A group of one elects itself here, before the first client. */
        gdfs_group_tick(&h->g, gdfs_clock_ms());
    }
    if (pthread_create(&h->thread, NULL, group_main, h) != 0) {
        snprintf(err, errlen, "cannot start the group thread");
        rc = GDFS_ENOMEM;
        goto fail;
    }
    h->running = true;
    free(set);
    *out = h;
    return GDFS_OK;
fail:
    free(set);
    gdfs_grouphost_stop(h);
    return rc;
}

void gdfs_grouphost_stop(struct gdfs_grouphost *h)
{
    if (h == NULL)
        return;
    if (h->running) {
        pthread_mutex_lock(&h->mu);
        h->stop = true;
        pthread_mutex_unlock(&h->mu);
        if (write(h->wake[1], "s", 1) < 0) {
            /* The pipe is full: the thread wakes anyway. */
        }
        pthread_join(h->thread, NULL);
    }
    gdfs_peers_free(h->peers);
    gdfs_inbox_clear(&h->inbox);
    gdfs_store_close(h->st);
    if (h->wake[0] >= 0) {
        close(h->wake[0]);
        close(h->wake[1]);
    }
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->mu);
    free(h->frame);
    free(h->ack);
    free(h->app);
    free(h);
}

/* ---- calls from connection threads --------------------------------------- */

void gdfs_grouphost_deliver(struct gdfs_grouphost *h,
                            const struct gdfs_gmsg *m)
{
    struct gdfs_gmsg *copy = malloc(sizeof(*copy));
    bool queued;

    if (copy == NULL)
        return;
    *copy = *m;
    pthread_mutex_lock(&h->mu);
    /* Keyed by the sender, the member the channel authenticated
     * (node/admin.c): each member its own quota, the rest one. */
    queued = gdfs_inbox_put(&h->inbox, copy,
                            gdfs_group_find(&h->g.set, copy->from) >= 0
                                ? copy->from
                                : NULL);
    pthread_mutex_unlock(&h->mu);
    if (!queued) {
        free(copy);
        return;
    }
    if (write(h->wake[1], "m", 1) < 0) {
        /* Full: the thread is awake already. */
    }
}

void gdfs_grouphost_status(struct gdfs_grouphost *h,
                           struct gdfs_group_status *out)
{
    struct gdfs_group *g = &h->g;
    uint64_t now = gdfs_clock_ms();
    int nb[2 * GDFS_RING_SIDE], self;
    size_t k = 0;

    pthread_mutex_lock(&h->mu);
    memset(out, 0, sizeof(*out));
    out->role = g->role;
    out->term = g->term;
    snprintf(out->self, sizeof(out->self), "%s", g->self);
    snprintf(out->leader, sizeof(out->leader), "%s", g->leader);
    snprintf(out->group_id, sizeof(out->group_id), "%s", g->set.group_id);
    out->incarnation = g->incarnation;
    out->set_version = g->set.version;
    self = gdfs_group_find(&g->set, g->self);
    if (self >= 0)
        k = gdfs_ring_neighbours(&g->set, self, nb);
    out->n = g->set.n;
    for (uint32_t i = 0; i < g->set.n; i++) {
        snprintf(out->m[i].id, sizeof(out->m[i].id), "%s", g->set.m[i].id);
        snprintf(out->m[i].addr, sizeof(out->m[i].addr), "%s",
                 g->set.m[i].addr);
        out->m[i].state = g->set.m[i].state;
        out->m[i].incarnation = g->set.m[i].incarnation;
        out->m[i].entered = entered_at(h, g->set.m[i].id);
        out->m[i].room = room_of(h, g->set.m[i].id, now);
        excluded(h, g->set.m[i].id, now, &out->m[i].full, &out->m[i].draining);
        for (size_t x = 0; x < k; x++)
            if (nb[x] == (int)i) {
                out->m[i].ring |= GDFS_RING_TO;
                if (g->peer[i].last_rx >= now ||
                    now - g->peer[i].last_rx <= g->cfg.suspect_ms)
                    out->m[i].ring |= GDFS_RING_FROM;
            }
    }
    pthread_mutex_unlock(&h->mu);
}

bool gdfs_grouphost_caught_up(struct gdfs_grouphost *h, uint64_t term,
                              uint64_t index)
{
    bool voting;

    pthread_mutex_lock(&h->mu);
    if (h->g.votes_held && h->g.term == term &&
        gdfs_group_release_votes(&h->g)) {
        if (gdfs_store_release_votes(h->st) != GDFS_OK)
            gdfs_log(GDFS_LOG_WARN,
                     "votes released, not saved (held again after a "
                     "restart): %s",
                     gdfs_store_errmsg(h->st));
        gdfs_log(GDFS_LOG_NOTICE,
                 "record log caught up with the leader of term %llu "
                 "(entry %llu): this node votes again",
                 (unsigned long long)term, (unsigned long long)index);
    }
    voting = !h->g.votes_held;
    pthread_mutex_unlock(&h->mu);
    return voting;
}

bool gdfs_grouphost_set_log(struct gdfs_grouphost *h, uint64_t term,
                            uint64_t index, uint64_t in_term)
{
    bool same;

    pthread_mutex_lock(&h->mu);
    gdfs_group_set_log(&h->g, term, index);
    same = h->g.term == in_term;
    pthread_mutex_unlock(&h->mu);
    return same;
}

int gdfs_grouphost_check_write(struct gdfs_grouphost *h, char *why,
                               size_t whylen)
{
    struct gdfs_group *g = &h->g;
    int rc = GDFS_OK;

    pthread_mutex_lock(&h->mu);
    if (g->role != GDFS_ROLE_LEADER) {
        int l = g->leader[0] ? gdfs_group_find(&g->set, g->leader) : -1;

        if (l >= 0)
            snprintf(why, whylen,
                     "node %s is not the leader; the leader is %s at %s "
                     "(term %llu)",
                     g->self, g->leader, g->set.m[l].addr,
                     (unsigned long long)g->term);
        else
            gdfs_err_noquorum(why, whylen,
                              "node %s knows no leader (term %llu); a "
                              "majority of the %u members may be "
                              "unreachable",
                              g->self, (unsigned long long)g->term, g->set.n);
        rc = l >= 0 ? GDFS_ENOTLEADER : GDFS_ENOQUORUM;
    } else if (!gdfs_group_can_write(g, gdfs_clock_ms())) {
        rc = gdfs_err_noquorum(why, whylen,
                               "leader %s has not heard from a majority of "
                               "the %u members within its lease (term "
                               "%llu)",
                               g->self, g->set.n, (unsigned long long)g->term);
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

int gdfs_grouphost_leave(struct gdfs_grouphost *h, int timeout_ms)
{
    uint64_t deadline = gdfs_clock_ms() + (uint64_t)timeout_ms;
    int rc;

    pthread_mutex_lock(&h->mu);
    rc = gdfs_group_request_leave(&h->g, gdfs_clock_ms());
    h->leaving |= rc == GDFS_OK;
    while (rc == GDFS_OK && h->g.role != GDFS_ROLE_REMOVED) {
        if (gdfs_clock_ms() >= deadline) {
            rc = GDFS_ETIMEDOUT;
            break;
        }
        gdfs_clock_cond_wait_ms(&h->changed, &h->mu, 200);
        /* A follower's request may be lost: ask again until it is done. */
        if (h->g.role == GDFS_ROLE_FOLLOWER)
            gdfs_group_request_leave(&h->g, gdfs_clock_ms());
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

/* Why the leader refused to forget member @id (rc from the core). */
static void forget_refused(const struct gdfs_group *g, const char *id, int rc,
                           char *why, size_t whylen)
{
    int i = gdfs_group_find(&g->set, id);

    switch (rc) {
    case GDFS_ENOTLEADER:
        snprintf(why, whylen, "node %s is not the leader any more; ask again",
                 g->self);
        break;
    case GDFS_ENOENT:
        snprintf(why, whylen, "%s is not a member of group %s", id,
                 g->set.group_id);
        break;
    case GDFS_EBUSY:
        snprintf(why, whylen,
                 "another membership change is in progress; try again");
        break;
    case GDFS_EGROUP:
        if (strcmp(id, g->self) == 0)
            snprintf(why, whylen,
                     "%s is the leader; make it leave ('gdfs-cli leave' on "
                     "it), or stop it so that another member leads, then "
                     "forget it",
                     id);
        else if (i >= 0 && g->set.m[i].state == GDFS_MEMBER_SUSPECT)
            snprintf(why, whylen,
                     "%s is suspect, not failed: the leader has not "
                     "confirmed it down yet; try again in a few seconds, "
                     "or use 'gdfs-cli leave' on it if it is up",
                     id);
        else
            snprintf(why, whylen,
                     "%s is alive; use 'gdfs-cli leave' on it (its copies "
                     "are handed off first), or stop it first (it is "
                     "failed within seconds)",
                     id);
        break;
    default:
        snprintf(why, whylen, "cannot propose the removal of %s: %s", id,
                 gdfs_strerror(rc));
        break;
    }
}

int gdfs_grouphost_forget(struct gdfs_grouphost *h, const char *id,
                          int timeout_ms, struct gdfs_version *version,
                          char *why, size_t whylen)
{
    uint64_t deadline = gdfs_clock_ms() + (uint64_t)timeout_ms;
    struct gdfs_version want;
    int rc;

    pthread_mutex_lock(&h->mu);
    rc = gdfs_group_propose_forget(&h->g, id, gdfs_clock_ms());
    if (rc != GDFS_OK) {
        forget_refused(&h->g, id, rc, why, whylen);
        goto out;
    }
    want = h->g.set.version;
    gdfs_log(GDFS_LOG_NOTICE,
             "removing failed member %s for good (member set "
             "version %llu.%llu)",
             id, (unsigned long long)want.term, (unsigned long long)want.seq);
    /* Committed once a majority of the remaining members hold it. */
    while (gdfs_version_cmp(&h->g.committed, &want) < 0) {
        if (h->g.role != GDFS_ROLE_LEADER) {
            rc = gdfs_err_noquorum(why, whylen,
                                   "node %s stopped leading before the "
                                   "removal of %s was committed (the next "
                                   "leader may still commit it: see status)",
                                   h->g.self, id);
            goto out;
        }
        if (gdfs_clock_ms() >= deadline) {
            snprintf(why, whylen,
                     "the removal of %s was not committed within %d ms (a "
                     "majority of the %u remaining members must hold it)",
                     id, timeout_ms, h->g.set.n);
            rc = GDFS_ETIMEDOUT;
            goto out;
        }
        gdfs_clock_cond_wait_ms(&h->changed, &h->mu, 200);
    }
    *version = want;
out:
    pthread_mutex_unlock(&h->mu);
    return rc;
}

int gdfs_grouphost_exit_code(struct gdfs_grouphost *h)
{
    return h != NULL ? h->exit_code : 0;
}
