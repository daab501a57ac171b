/* Requests about this node and the group that are neither the data path
 * nor the leader's records: lshere, versions, status (with re-replication
 * and scrub figures), the group view, leave (with the hand-off of this
 * node's copies), forget (a failed member, through the leader) and the
 * leader's HEALTH and DRAIN; see admin.h. */
#define GDFS_LOG_MODULE "node"
#include "node/admin.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "node/data/gateway.h"
#include "node/records/leaderops.h"
#include "node/upkeep/repair.h"
#include "node/upkeep/scrub_stats.h"
#include "node/group/grouphost.h"
#include "node/records/records.h"
#include "node/rpc.h"
#include "store/store.h"

/* How long a leaving node's copies may take to be handed off. */
#define DRAIN_MS 300000

#define LIST_PAGE_MAX 1000

/* ---- list, locate, versions ---------------------------------------------- */

struct list_ctx {
    struct gdfs_proto_writer *w;
    int full;
};

static int add_file(void *ctx, const uint8_t *name, size_t namelen,
                    const struct gdfs_store_version *v)
{
    struct list_ctx *lc = ctx;
    struct gdfs_list_entry e = {.name = {name, namelen},
                                .size = v->size,
                                .version = v->version,
                                .replicas = 1};

    if (gdfs_proto_add_list(lc->w, &e) != GDFS_OK) {
        lc->full = 1;
        return 1;
    }
    return 0;
}

/* lshere: the committed copies this node holds. */
int gdfs_admin_list_here(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_LIST, .reqid = m->reqid};
    struct gdfs_proto_writer w;
    struct list_ctx lc = {&w, 0};
    uint32_t max = m->u.list.max;
    bool more;
    int rc;

    if (max == 0 || max > LIST_PAGE_MAX)
        max = LIST_PAGE_MAX;
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    if (rc == GDFS_OK)
        rc = gdfs_store_list(s->st, m->u.list.after.p, m->u.list.after.len,
                             max, add_file, &lc, &more);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "lshere: %s",
                                gdfs_store_errmsg(s->st));
    return gdfs_reply_writer(s, &w, more || lc.full);
}

static int add_version(void *ctx, const uint8_t *name, size_t namelen,
                       const struct gdfs_store_version *v)
{
    struct list_ctx *lc = ctx;
    struct gdfs_version_entry e = {.version = v->version,
                                   .size = v->size,
                                   .tombstone = v->state ==
                                                GDFS_VERSION_TOMBSTONE};

    (void)name;
    (void)namelen;
    if (gdfs_proto_add_version(lc->w, &e) != GDFS_OK) {
        lc->full = 1;
        return 1;
    }
    return 0;
}

int gdfs_admin_versions(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_VERSIONS, .reqid = m->reqid};
    struct gdfs_proto_writer w;
    struct list_ctx lc = {&w, 0};
    char name[256];
    int rc;

    gdfs_log_name(&m->u.put.name, name, sizeof(name));
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    if (rc == GDFS_OK)
        rc = gdfs_store_versions(s->st, m->u.put.name.p, m->u.put.name.len,
                                 add_version, &lc);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "versions %s: %s", name,
                                gdfs_store_errmsg(s->st));
    if (w.count == 0 && !(m->flags & GDFS_FLAG_FORWARDED)) {
        /* No copy here: ask a replica of the file. */
        char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1], why[512];
        struct gdfs_meta meta;

        rc = gdfs_gateway_lookup(s, &m->u.put.name, &meta, addrs, why,
                                 sizeof(why));
        if (rc == GDFS_OK && meta.tombstone) {
            rc = GDFS_ENOENT;
            snprintf(why, sizeof(why), "no such file (removed)");
        }
        if (rc != GDFS_OK)
            return gdfs_reply_error(s, m->reqid, rc, "versions %s: %s", name,
                                    why);
        for (unsigned i = 0; i < meta.nreplicas; i++)
            if (addrs[i][0] != '\0' &&
                strcmp(meta.replica[i], s->cfg->node_id) != 0)
                return gdfs_leaderops_forward(s, m, addrs[i], "versions");
    }
    if (w.count == 0)
        return gdfs_reply_error(s, m->reqid, GDFS_ENOENT,
                                "versions %s: no such file", name);
    return gdfs_reply_writer(s, &w, false);
}

/* ---- status and group -------------------------------------------------- */

/* ---- health: re-replication figures --------------------------------------- */

static void health_of(const struct gdfs_repair_stats *st,
                      struct gdfs_health_figures *h)
{
    memset(h, 0, sizeof(*h));
    h->known = st->known;
    if (st->known) {
        h->under = st->under;
        h->nnames = (uint8_t)st->nnames;
        for (uint32_t i = 0; i < st->nnames; i++) {
            h->names[i].p = st->names[i].p;
            h->names[i].len = st->names[i].len;
        }
    }
    h->pending = st->pending;
    h->running = st->running;
    h->done = st->done;
    h->failed = st->failed;
    h->bytes = st->bytes;
}

/* Room for a ROOMS list of every member (proto.h gdfs_proto_pack_capacity):
 * idlen:8 id used:64 free:64 reserve:64 each. */
#define ROOMS_CAP (GDFS_GROUP_MAX * (1 + GDFS_NODE_ID_MAX + 3 * 8))

/* The members' disk room in @gs (the leader's view, or only this node's
 * own on a follower) as a ROOMS list in @buf. */
static void pack_rooms(const struct gdfs_group_status *gs, uint8_t *buf,
                       struct gdfs_list_body *out)
{
    struct gdfs_capacity_entry e[GDFS_GROUP_MAX];

    for (uint32_t i = 0; i < gs->n; i++) {
        e[i].id.p = (const uint8_t *)gs->m[i].id;
        e[i].id.len = strlen(gs->m[i].id);
        e[i].room = gs->m[i].room;
    }
    if (gdfs_proto_pack_capacity(e, gs->n, buf, ROOMS_CAP, out) != GDFS_OK)
        memset(out, 0, sizeof(*out)); /* cannot happen: ids and caps valid */
}

/* HEALTH: the leader's figures, and its members' disk room. */
int gdfs_admin_health(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_HEALTH, .reqid = m->reqid};
    struct gdfs_repair_stats *st = malloc(sizeof(*st));
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    uint8_t *rooms = malloc(ROOMS_CAP);
    char why[512];
    int rc = gdfs_grouphost_check_write(s->group, why, sizeof(why));

    if (st == NULL || gs == NULL || rooms == NULL) {
        rc = gdfs_reply_error(s, m->reqid, GDFS_ENOMEM,
                              "health: out of memory");
        goto out;
    }
    if (rc != GDFS_OK) {
        rc = gdfs_reply_error(s, m->reqid, rc, "health: %s", why);
        goto out;
    }
    gdfs_repair_stats(s->repair, st);
    health_of(st, &r.u.health);
    gdfs_grouphost_status(s->group, gs);
    pack_rooms(gs, rooms, &r.u.health.capacity);
    rc = gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                           gdfs_session_io_ms(s));
out:
    free(st);
    free(gs);
    free(rooms);
    return rc;
}

/* status_health's figures, from this node if it leads, else from the
 * leader's HEALTH. */
static void status_health_of(struct gdfs_session *s,
                             struct gdfs_repair_stats *st,
                             struct gdfs_health_figures *h, uint8_t *buf,
                             size_t cap, uint8_t *rooms)
{
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_HEALTH}, r;
    char addr[GDFS_ADDR_MAX + 1], why[512];
    struct gdfs_rpc_conn *c;
    int io = gdfs_session_io_ms(s) < 2000 ? gdfs_session_io_ms(s) : 2000;
    bool self;

    memset(st, 0, sizeof(*st));
    if (gdfs_records_leader(s->records, addr, &self, why, sizeof(why)) !=
        GDFS_OK) {
        health_of(st, h);
        return;
    }
    if (self) {
        gdfs_repair_stats(s->repair, st);
        health_of(st, h);
        return;
    }
    if (gdfs_rpc_call(gdfs_records_rpc(s->records), addr, &req,
                      GDFS_MSG_NDTOCL_HEALTH, &r, &c, io, why,
                      sizeof(why)) != GDFS_OK) {
        health_of(st, h);
        return;
    }
    /* Names and rooms point into c's buffer: keep them in @buf, @rooms. */
    *h = r.u.health;
    if (h->capacity.len > ROOMS_CAP) /* over 64 entries: decode refused */
        memset(&h->capacity, 0, sizeof(h->capacity));
    if (h->capacity.len > 0) {
        memcpy(rooms, h->capacity.p, h->capacity.len);
        h->capacity.p = rooms;
    }
    for (uint8_t i = 0; i < h->nnames; i++) {
        size_t n = h->names[i].len <= cap ? h->names[i].len : 0;

        memcpy(buf, h->names[i].p, n);
        h->names[i].p = buf;
        h->names[i].len = n;
        buf += n;
        cap -= n;
    }
    gdfs_rpc_close(gdfs_records_rpc(s->records), c);
}

/* The figures for a status reply: this node's if it leads, else the
 * leader's (asked with HEALTH; not known when there is no leader or it
 * does not answer soon). @st keeps the name bytes @h points to, @rooms
 * (ROOMS_CAP bytes) the members' disk room: the leader's list, or only
 * this node's own (in @gs) when there is none. */
static void status_health(struct gdfs_session *s, struct gdfs_repair_stats *st,
                          struct gdfs_health_figures *h, uint8_t *buf,
                          size_t cap, const struct gdfs_group_status *gs,
                          uint8_t *rooms)
{
    status_health_of(s, st, h, buf, cap, rooms);
    if (h->capacity.count == 0)
        pack_rooms(gs, rooms, &h->capacity);
}

/* This node's scrub figures (src/node/upkeep/scrub.c). */
static void status_scrub(struct gdfs_session *s, struct gdfs_scrub_figures *f)
{
    struct gdfs_scrub_stats st;

    gdfs_scrub_stats(s->scrub, &st);
    f->running = st.running;
    f->passes = st.passes;
    f->checked = st.checked;
    f->total = st.total;
    f->bad = st.bad;
    f->repaired = st.repaired;
}

int gdfs_admin_status(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_STATUS, .reqid = m->reqid};
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    struct gdfs_proto_writer w;
    int rc;

    if (gs == NULL)
        return gdfs_reply_error(s, m->reqid, GDFS_ENOMEM,
                                "status: out of memory");
    gdfs_grouphost_status(s->group, gs);
    r.u.status_reply.id.p = (const uint8_t *)gs->self;
    r.u.status_reply.id.len = strlen(gs->self);
    /* A joining node has no group yet. */
    r.u.status_reply.group.p = (const uint8_t *)(gs->group_id[0] ? gs->group_id
                                                                 : "-");
    r.u.status_reply.group.len = gs->group_id[0] ? strlen(gs->group_id) : 1;
    r.u.status_reply.leader.p = (const uint8_t *)gs->leader;
    r.u.status_reply.leader.len = strlen(gs->leader);
    r.u.status_reply.term = gs->term;
    r.u.status_reply.role = (uint8_t)gs->role;
    rc = gdfs_proto_writer_begin(&w, s->out, s->outcap, &r);
    for (uint32_t i = 0; rc == GDFS_OK && i < gs->n; i++) {
        struct gdfs_member_entry e = {.id = {(const uint8_t *)gs->m[i].id,
                                             strlen(gs->m[i].id)},
                                      .addr = {(const uint8_t *)gs->m[i].addr,
                                               strlen(gs->m[i].addr)},
                                      .state = gs->m[i].state,
                                      .ring = gs->m[i].ring};

        /* Without a leader this node hears of the others only through
         * its ring neighbours, and nobody marks failures: what it holds
         * may be long stale, so it vouches for nobody but itself. A
         * member that left stays left (a committed change). */
        if (gs->leader[0] == '\0' && strcmp(gs->m[i].id, gs->self) != 0 &&
            gs->m[i].state != GDFS_MEMBER_LEFT)
            e.state = GDFS_MEMBER_UNKNOWN;
        rc = gdfs_proto_add_member(&w, &e);
    }
    if (rc == GDFS_OK) {
        struct gdfs_repair_stats *st = malloc(sizeof(*st));
        uint8_t *names = malloc(GDFS_HEALTH_NAMES_MAX * GDFS_NAME_MAX);
        uint8_t *rooms = malloc(ROOMS_CAP);
        struct gdfs_health_figures h;
        struct gdfs_scrub_figures sc;

        rc = GDFS_ENOMEM;
        if (st != NULL && names != NULL && rooms != NULL) {
            status_health(s, st, &h, names,
                          GDFS_HEALTH_NAMES_MAX * GDFS_NAME_MAX, gs, rooms);
            status_scrub(s, &sc);
            rc = gdfs_proto_writer_status_tail(&w, &h, &sc);
        }
        free(st);
        free(names);
        free(rooms);
    }
    free(gs);
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "status: reply too large");
    return gdfs_reply_writer(s, &w, false);
}

int gdfs_admin_group(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_gmsg *g = malloc(sizeof(*g));
    int rc;

    if (g == NULL)
        return GDFS_ENOMEM;
    rc = gdfs_proto_decode_group(m->u.group.raw.p, m->u.group.raw.len, g);
    if (rc == GDFS_OK && strcmp(g->from, s->peer.id) != 0 &&
        !(g->type == GDFS_GMSG_JOIN &&
          gdfs_records_member(s->records, s->peer.id, NULL, NULL))) {
        /* Only the member itself may speak for it; a member passes a
         * joining node's JOIN on to the leader (core/group.c on_join). */
        gdfs_log(GDFS_LOG_WARN,
                 "%s: member %s sent a group message from '%s'; closing",
                 s->conn->peer, s->peer.id, g->from);
        rc = GDFS_EPERM;
    } else if (rc == GDFS_OK) {
        gdfs_grouphost_deliver(s->group, g);
    }
    free(g);
    return rc; /* one-way: no reply */
}

/* ENROL: a node with a join token asks for the group key. */
int gdfs_admin_enrol(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_ENROL, .reqid = m->reqid};
    struct gdfs_group_status st;
    int rc;

    gdfs_grouphost_status(s->group, &st);
    if (st.group_id[0] == '\0')
        return gdfs_reply_error(s, m->reqid, GDFS_EGROUP,
                                "this node belongs to no group yet");
    memcpy(r.u.enrol.key, s->group_key, sizeof(r.u.enrol.key));
    r.u.enrol.group.p = (const uint8_t *)st.group_id;
    r.u.enrol.group.len = strlen(st.group_id);
    gdfs_log(GDFS_LOG_NOTICE, "node %.*s enrolled with join token %s (%s)",
             (int)m->u.drain.id.len, (const char *)m->u.drain.id.p, s->peer.id,
             s->conn->peer);
    rc = gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                           gdfs_session_io_ms(s));
    gdfs_cred_wipe(r.u.enrol.key, sizeof(r.u.enrol.key));
    return rc;
}

/* DRAIN (on the leader): hand off the copies of the member named. */
int gdfs_admin_drain(struct gdfs_session *s, const struct gdfs_msg *m)
{
    char id[GDFS_NODE_ID_MAX + 1], why[512];
    struct gdfs_version v = {0, 0};
    uint32_t stuck = 0;
    int rc;

    snprintf(id, sizeof(id), "%.*s", (int)m->u.drain.id.len,
             (const char *)m->u.drain.id.p);
    rc = gdfs_repair_drain(s->repair, id, DRAIN_MS, &stuck, why, sizeof(why));
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "hand-off of %s: %s", id,
                                why);
    v.seq = stuck;
    return gdfs_reply_ok(s, m->reqid, &v);
}

/* Before leaving: have the leader move every copy this node holds
 * (docs/ARCHITECTURE.md "Upkeep", hand-off on leave). *stuck gets the
 * files left under-replicated. */
static int hand_off(struct gdfs_session *s, uint32_t *stuck, char *why,
                    size_t whylen)
{
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_DRAIN}, r;
    char addr[GDFS_ADDR_MAX + 1];
    struct gdfs_rpc_conn *c;
    bool self;
    int rc = gdfs_records_leader(s->records, addr, &self, why, whylen);

    *stuck = 0;
    if (rc != GDFS_OK)
        return rc;
    if (self)
        return gdfs_repair_drain(s->repair, s->cfg->node_id, DRAIN_MS, stuck,
                                 why, whylen);
    req.u.drain.id.p = (const uint8_t *)s->cfg->node_id;
    req.u.drain.id.len = strlen(s->cfg->node_id);
    rc = gdfs_rpc_call(gdfs_records_rpc(s->records), addr, &req,
                       GDFS_MSG_NDTOCL_OK, &r, &c,
                       DRAIN_MS + gdfs_session_io_ms(s), why, whylen);
    if (rc != GDFS_OK)
        return rc;
    *stuck = (uint32_t)r.u.ok.version.seq;
    gdfs_rpc_close(gdfs_records_rpc(s->records), c);
    return GDFS_OK;
}

int gdfs_admin_leave(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_version none = {0, 0};
    uint32_t stuck = 0;
    char why[1024];
    int rc = hand_off(s, &stuck, why, sizeof(why));

    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_WARN, "leave: hand-off: %s", why);
        return gdfs_reply_error(s, m->reqid, rc,
                                "leave: node %s stays in the group: its "
                                "copies could not be handed off: %s",
                                s->cfg->node_id, why);
    }
    if (stuck > 0)
        gdfs_log(GDFS_LOG_WARN,
                 "leave: %u files stay under-replicated: no other member "
                 "could take their copies",
                 stuck);
    rc = gdfs_grouphost_leave(s->group, (int)(20 * s->cfg->election_ms));
    switch (rc) {
    case GDFS_OK:
        none.seq = stuck;
        return gdfs_reply_ok(s, m->reqid, &none);
    case GDFS_ENOTLEADER:
        return gdfs_reply_error(
            s, m->reqid, GDFS_ENOQUORUM,
            "leave: node %s knows no leader to ask; try again "
            "when the group has one",
            s->cfg->node_id);
    case GDFS_EINVAL:
        return gdfs_reply_error(
            s, m->reqid, rc, "leave: node %s is the only member of its group",
            s->cfg->node_id);
    case GDFS_EBUSY:
        return gdfs_reply_error(s, m->reqid, rc,
                                "leave: another membership change is in "
                                "progress; try again");
    default:
        return gdfs_reply_error(
            s, m->reqid, rc,
            "leave: the group did not commit the removal of "
            "%s in time",
            s->cfg->node_id);
    }
}

/* FORGET: an admin removes a failed member for good, through the leader
 * (core/group.h gdfs_group_propose_forget). Its copies then count as lost
 * at once and the leader's repair re-creates them on the other members. */
int gdfs_admin_forget(struct gdfs_session *s, const struct gdfs_msg *m)
{
    char id[GDFS_NODE_ID_MAX + 1], addr[GDFS_ADDR_MAX + 1], why[1024];
    struct gdfs_version v = {0, 0};
    bool self;
    int rc;

    snprintf(id, sizeof(id), "%.*s", (int)m->u.drain.id.len,
             (const char *)m->u.drain.id.p);
    rc = gdfs_records_leader(s->records, addr, &self, why, sizeof(why));
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "forget %s: %s", id, why);
    if (!self) {
        if (m->flags & GDFS_FLAG_FORWARDED) /* never passed on twice */
            return gdfs_reply_error(s, m->reqid, GDFS_ENOTLEADER,
                                    "forget %s: node %s is not the leader "
                                    "any more; ask again",
                                    id, s->cfg->node_id);
        gdfs_log(GDFS_LOG_NOTICE,
                 "forget %s asked by %s (%s): passed on to "
                 "the leader at %s",
                 id, s->peer.id, gdfs_cred_role_name(s->peer.role), addr);
        return gdfs_leaderops_forward(s, m, addr, "forget");
    }
    /* Answer well within the asker's io timeout (a forwarding member's). */
    rc = gdfs_grouphost_forget(s->group, id, gdfs_session_io_ms(s) / 2, &v,
                               why, sizeof(why));
    if (rc != GDFS_OK)
        return gdfs_reply_error(s, m->reqid, rc, "forget %s: %s", id, why);
    gdfs_log(GDFS_LOG_NOTICE,
             "member %s removed for good at the request of %s (%s); its "
             "copies are re-created on the other members",
             id, s->peer.id, gdfs_cred_role_name(s->peer.role));
    return gdfs_reply_ok(s, m->reqid, &v);
}
