/* libFuzzer target for the group state machine (src/core/group.c), as a
 * peer that lies sees it: no key, any frame.
 *
 * The input is a script read a byte at a time (0s once it runs out).
 * First how to start: node n1 of the group {n1, n2, n3}, at a small term,
 * made follower, pre-candidate, candidate or leader by the messages that
 * make it so, or a node still joining. Then up to STEPS_MAX steps, each
 * one of:
 *   - a message of any kind "from" anyone (the members, strangers, n1
 *     itself, an empty id), of this group or another, with a term and
 *     counters near the node's own or at the edges (0, own + 2^32 and
 *     one more, 2^63 - 1, 2^63, 2^64 - 1, any 64 bits), a member set made
 *     up or derived from the node's own (one member less, a newer
 *     version, states changed), an APPEND_ACK echoing a time past or to
 *     come;
 *   - raw bytes through the wire decoder (gdfs_proto_decode_group), and
 *     the message if they decode;
 *   - time passing (0 to about 2 s) and a tick;
 *   - a crash and restart from what the node persisted;
 *   - a leave asked by the host (gdfs_group_request_leave, or
 *     gdfs_group_propose_leave of any member), or a forget of any member
 *     (gdfs_group_propose_forget: never of the node itself);
 *   - the next save (term or member set) failing.
 * Time only moves forward.
 *
 * Oracles, after every step (a violation calls abort()):
 *   - the term never decreases, in memory or on "disk", and stays below
 *     2^63; a vote, once cast in a term, is never changed or forgotten;
 *   - at most one leader per term as this node sees it (its `leader`, or
 *     itself when leading);
 *   - a leader names itself as leader; only a leader may write;
 *   - the member set in memory and each one persisted is valid: at most
 *     GDFS_GROUP_MAX members, ids non-empty and unique, no member LEFT,
 *     versions and incarnations below 2^63, this node's own incarnation
 *     too; the node is in it unless joining, removed, or asked by its
 *     host to remove itself while leading;
 *   - the node is removed only by a newer set in an APPEND of its own
 *     term, from the node it followed in that term if it followed one,
 *     or by its own removal as leader;
 *   - every message it sends encodes (gdfs_proto_encode_group), so the
 *     host never fails to send it, with a term below 2^63.
 * And no crash, assert, or sanitizer report anywhere.
 *
 * FUZZ_GROUP_ORACLE in the environment narrows the oracles, to show what
 * an older group.c did one fault at a time: "crash" keeps only crashes
 * (asserts, sanitizers); "terms" only that terms and votes never go back
 * (without the 2^63 bound, so that a wrap shows as a term that did).
 * FUZZ_GROUP_WIRE=1 delivers only what the wire can carry (each message
 * made goes through gdfs_proto_encode_group and back, as on a node, and
 * is skipped if the decoder would refuse it). FUZZ_GROUP_TRACE=1 prints each
 * step (to read a crash's script). Build: see tests/fuzz/run.sh, which links
 * the core. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/group.h"
#include "err.h"
#include "proto.h"

#define STEPS_MAX 96
#define LIMIT (UINT64_C(1) << 63)
#define JUMP (UINT64_C(1) << 32)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the script ------------------------------------------------------ */

static const uint8_t *in;
static size_t in_left;

static uint8_t byte(void)
{
    if (in_left == 0)
        return 0;
    in_left--;
    return *in++;
}

static uint64_t u64(void)
{
    uint64_t x = 0;

    for (int i = 0; i < 8; i++)
        x = x << 8 | byte();
    return x;
}

/* ---- the world around node n1 ---------------------------------------- */

static const char *const ids[] = {"n1", "n2", "n3", "n4", "n5", "x", ""};
#define NIDS (sizeof(ids) / sizeof(ids[0]))

static struct gdfs_group g;
static struct gdfs_gmsg msg; /* the message being delivered */
static struct gdfs_members start_set;
static uint64_t now, rng;

static struct {
    uint64_t term;
    char vote[GDFS_NODE_ID_MAX + 1];
    struct gdfs_members set;
    bool has_set;
} disk;

static bool fail_next_save; /* fault: the next save fails */
static bool left_self;      /* the host had this leader remove itself */
static bool check_all = true, check_terms = true, trace, wire_only;
static uint8_t frame[GDFS_PROTO_HDR_LEN + 64 * 1024];

#define CHECK_IF(on, cond)                                                    \
    do {                                                                      \
        if ((on) && !(cond)) {                                                \
            fprintf(stderr, "fuzz_group: oracle failed: %s (line %d)\n",      \
                    #cond, __LINE__);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

#define CHECK(cond) CHECK_IF(check_all, cond)
#define CHECK_TERM(cond) CHECK_IF(check_terms, cond)
#define CHECK_LIMIT(x) CHECK((x) < LIMIT)

static bool set_valid(const struct gdfs_members *set)
{
    if (set->n > GDFS_GROUP_MAX || set->version.seq >= LIMIT)
        return false;
    for (uint32_t i = 0; i < set->n; i++) {
        const struct gdfs_member *m = &set->m[i];

        if (memchr(m->id, '\0', sizeof(m->id)) == NULL || m->id[0] == '\0' ||
            m->state > GDFS_MEMBER_FAILED || m->incarnation >= LIMIT)
            return false;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(m->id, set->m[j].id) == 0)
                return false;
    }
    return true;
}

static void io_send(void *ctx, const char *to, const char *addr,
                    const struct gdfs_gmsg *m)
{
    size_t len;

    (void)ctx;
    (void)to;
    (void)addr;
    CHECK_LIMIT(m->term);
    CHECK(gdfs_proto_encode_group(m, frame, sizeof(frame), &len) == GDFS_OK);
}

static int io_save_term(void *ctx, uint64_t term, const char *vote)
{
    (void)ctx;
    if (fail_next_save) {
        fail_next_save = false;
        return GDFS_ESTORE;
    }
    CHECK_TERM(term >= disk.term);
    CHECK_LIMIT(term);
    if (term == disk.term && disk.vote[0] != '\0')
        CHECK_TERM(strcmp(vote, disk.vote) == 0); /* not changed, kept */
    disk.term = term;
    snprintf(disk.vote, sizeof(disk.vote), "%s", vote);
    return 0;
}

static int io_save_members(void *ctx, const struct gdfs_members *set)
{
    (void)ctx;
    if (fail_next_save) {
        fail_next_save = false;
        return GDFS_ESTORE;
    }
    CHECK(set_valid(set));
    disk.set = *set;
    disk.has_set = true;
    return 0;
}

static uint64_t io_random(void *ctx)
{
    (void)ctx;
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const struct gdfs_group_cfg cfg = {
    .heartbeat_ms = 50,
    .suspect_ms = 300,
    .election_ms = 500,
    .lease_ms = 400,
    .dead_ms = 2000,
};
static const struct gdfs_group_io io = {NULL,         io_send,
                                        io_save_term, io_save_members,
                                        io_random,    NULL};

/* ---- what this node has seen ----------------------------------------- */

static uint64_t seen_term;  /* highest term it held */
static char seen_leader[8]; /* the leader it knew in seen_term */

/* The oracles (see the top of the file). @prev_role and @removal_ok come
 * from before the step: whether a removal was allowed by it. */
static void check(int prev_role, bool removal_ok)
{
    int me = gdfs_group_find(&g.set, g.self);

    if (trace) {
        fprintf(stderr,
                "  -> %s term %" PRIu64 " leader \"%s\" set %" PRIu64
                ".%" PRIu64 ":",
                gdfs_group_role_name(g.role), g.term, g.leader,
                g.set.version.term, g.set.version.seq);
        for (uint32_t i = 0; i < g.set.n && i < GDFS_GROUP_MAX; i++)
            fprintf(stderr, " %.8s/%u", g.set.m[i].id, g.set.m[i].state);
        fprintf(stderr, "\n");
    }

    CHECK_TERM(g.term >= seen_term || g.role == GDFS_ROLE_REMOVED);
    CHECK_LIMIT(g.term);
    CHECK_LIMIT(g.incarnation);
    CHECK(g.term <= disk.term || g.role == GDFS_ROLE_JOINING);
    if (g.term > seen_term) {
        seen_term = g.term;
        seen_leader[0] = '\0';
    }
    if (g.leader[0] != '\0' && g.term == seen_term) {
        if (seen_leader[0] == '\0')
            snprintf(seen_leader, sizeof(seen_leader), "%s", g.leader);
        CHECK(strcmp(seen_leader, g.leader) == 0); /* one per term */
    }
    if (g.role == GDFS_ROLE_LEADER)
        CHECK(strcmp(g.leader, g.self) == 0);
    if (gdfs_group_can_write(&g, now))
        CHECK(g.role == GDFS_ROLE_LEADER);
    if (g.role != GDFS_ROLE_JOINING)
        CHECK(set_valid(&g.set));
    if (me < 0)
        CHECK(g.role == GDFS_ROLE_REMOVED || g.role == GDFS_ROLE_JOINING ||
              left_self);
    if (g.role == GDFS_ROLE_REMOVED && prev_role != GDFS_ROLE_REMOVED)
        CHECK(removal_ok || prev_role == GDFS_ROLE_LEADER);
}

/* ---- making messages --------------------------------------------------- */

static uint64_t pick_counter(uint64_t own)
{
    switch (byte() % 10) {
    case 0:
        return 0;
    case 1:
        return own;
    case 2:
        return own + 1;
    case 3:
        return own + byte();
    case 4:
        return LIMIT - 1;
    case 5:
        return LIMIT;
    case 6:
        return UINT64_MAX;
    case 7:
        return u64();
    default:
        return own > 0 ? own - 1 : 0;
    }
}

static uint64_t pick_term(void)
{
    switch (byte() % 12) {
    case 0:
    case 1:
        return g.term;
    case 2:
        return g.term + 1;
    case 3:
        return g.term > 0 ? g.term - 1 : 0;
    case 4:
        return g.term + byte() % 4;
    case 5:
        return g.term + JUMP;
    case 6:
        return g.term + JUMP + 1;
    case 7:
        return LIMIT - 1;
    case 8:
        return LIMIT;
    case 9:
        return UINT64_MAX;
    case 10:
        return u64();
    default:
        return 0;
    }
}

static void pick_version(struct gdfs_version *v, uint64_t term)
{
    *v = g.set.version;
    switch (byte() % 6) {
    case 0:
        break;
    case 1:
        v->seq++;
        break;
    case 2:
        v->seq++;
        v->term = term;
        break;
    case 3:
        v->seq = pick_counter(v->seq);
        break;
    case 4:
        v->term = pick_counter(v->term);
        break;
    default:
        v->seq = u64();
        v->term = u64();
        break;
    }
}

static void put_id(char *dst, size_t cap, uint8_t b)
{
    snprintf(dst, cap, "%s", ids[b % NIDS]);
}

static void pick_set(struct gdfs_members *set, uint64_t term)
{
    uint8_t how = byte();

    if (how % 3 != 0) {
        /* The node's own set, changed a little. */
        *set = g.role == GDFS_ROLE_JOINING ? start_set : g.set;
        if ((how & 0x04) && set->n > 0) { /* one member less */
            uint32_t k = byte() % set->n;

            set->m[k] = set->m[--set->n];
        }
        if ((how & 0x08) && set->n < GDFS_GROUP_MAX) { /* one more */
            struct gdfs_member *m = &set->m[set->n++];

            memset(m, 0, sizeof(*m));
            put_id(m->id, sizeof(m->id), byte());
            snprintf(m->addr, sizeof(m->addr), "10.0.0.9:1");
        }
        if (how & 0x10)
            for (uint32_t i = 0; i < set->n; i++) {
                set->m[i].state = byte() % 5; /* 4: out of range */
                set->m[i].incarnation = pick_counter(set->m[i].incarnation);
            }
        if (how & 0x20)
            pick_version(&set->version, term);
        if (how & 0x40)
            set->m[0].since = u64();
    } else {
        /* Made up. */
        memset(set, 0, sizeof(*set));
        set->n = byte() % 6;
        if (how & 0x80)
            set->n = GDFS_GROUP_MAX + 1;
        for (uint32_t i = 0; i < set->n && i < GDFS_GROUP_MAX; i++) {
            struct gdfs_member *m = &set->m[i];

            put_id(m->id, sizeof(m->id), byte());
            snprintf(m->addr, sizeof(m->addr), "10.0.0.%u:1", i + 1);
            m->state = byte() % 5;
            m->incarnation = pick_counter(0);
            m->since = u64();
        }
        pick_version(&set->version, term);
    }
    snprintf(set->group_id, sizeof(set->group_id), "%s",
             (how & 0x02) && byte() % 4 == 0 ? "h" : "g");
}

static void make_msg(void)
{
    uint8_t b = byte();

    memset(&msg, 0, sizeof(msg));
    msg.type = b % 9 == 0 && (b & 0x80) ? b : 1 + b % 8; /* rarely bad */
    put_id(msg.from, sizeof(msg.from),
           byte() % 16 < 12 ? 1 + byte() % 2 : byte());
    b = byte();
    snprintf(msg.group_id, sizeof(msg.group_id), "%s",
             b % 8 == 0   ? "h"
             : b % 8 == 1 ? ""
                          : "g");
    msg.term = pick_term();
    switch (msg.type) {
    case GDFS_GMSG_HEARTBEAT:
        msg.u.heartbeat.incarnation = pick_counter(0);
        break;
    case GDFS_GMSG_APPEND:
        msg.u.append.sent_at = now - byte() % 64;
        pick_set(&msg.u.append.set, msg.term);
        msg.u.append.committed = msg.u.append.set.version;
        if (byte() % 2)
            pick_version(&msg.u.append.committed, msg.term);
        break;
    case GDFS_GMSG_APPEND_ACK:
        b = byte();
        msg.u.append_ack.sent_at = b % 4 == 0   ? u64()
                                   : b % 4 == 1 ? now + 1 + b
                                                : now - b % 128;
        pick_version(&msg.u.append_ack.version, msg.term);
        msg.u.append_ack.incarnation = pick_counter(0);
        break;
    case GDFS_GMSG_VOTE:
        msg.u.vote.pre = byte() % 2;
        pick_version(&msg.u.vote.version, msg.term);
        b = byte();
        msg.u.vote.log_term = b % 3 == 0 ? 0 : msg.term + (b % 3 == 2);
        msg.u.vote.log_index = pick_counter(0);
        break;
    case GDFS_GMSG_VOTE_ACK:
        b = byte();
        msg.u.vote_ack.pre = b & 1;
        msg.u.vote_ack.granted = b & 2;
        break;
    case GDFS_GMSG_SUSPECT:
        put_id(msg.u.suspect.target, sizeof(msg.u.suspect.target), byte());
        msg.u.suspect.incarnation = pick_counter(0);
        break;
    case GDFS_GMSG_JOIN:
        snprintf(msg.u.join.addr, sizeof(msg.u.join.addr), "%s",
                 byte() % 8 ? "10.0.0.7:1" : "");
        break;
    }
}

/* A message whose fields decode on the wire, from raw bytes. */
static bool raw_msg(void)
{
    uint8_t buf[512];
    size_t n = byte();

    for (size_t i = 0; i < n; i++)
        buf[i] = byte();
    return gdfs_proto_decode_group(buf, n, &msg) == GDFS_OK;
}

/* Send msg through the encoder and the decoder; false if they refuse. */
static bool through_wire(void)
{
    size_t len;

    if (gdfs_proto_encode_group(&msg, frame, sizeof(frame), &len) != GDFS_OK)
        return false;
    return gdfs_proto_decode_group(frame + GDFS_PROTO_HDR_LEN,
                                   len - GDFS_PROTO_HDR_LEN, &msg) == GDFS_OK;
}

/* ---- steps ------------------------------------------------------------ */

static void deliver(void)
{
    int prev = g.role;
    /* A removal may follow only an APPEND of the term the node held, from
     * no other node than the one it followed in that term (if any), with
     * a set newer than its own. */
    bool removal_ok =
        msg.type == GDFS_GMSG_APPEND && msg.term == g.term &&
        (seen_leader[0] == '\0' || strcmp(seen_leader, msg.from) == 0) &&
        gdfs_version_cmp(&msg.u.append.set.version, &g.set.version) > 0;

    if (trace)
        fprintf(stderr,
                "t=%" PRIu64 " %s term %" PRIu64 " <- kind %u from \"%.8s\" "
                "group \"%.8s\" term %" PRIu64 "\n",
                now, gdfs_group_role_name(g.role), g.term, msg.type, msg.from,
                msg.group_id, msg.term);
    gdfs_group_recv(&g, &msg, now);
    check(prev, removal_ok);
}

static void tick(uint64_t ms)
{
    int prev = g.role;

    now += ms;
    if (trace)
        fprintf(stderr, "t=%" PRIu64 " %s term %" PRIu64 " tick\n", now,
                gdfs_group_role_name(g.role), g.term);
    gdfs_group_tick(&g, now);
    check(prev, false);
}

static void restart(void)
{
    int rc;

    if (!disk.has_set || g.role == GDFS_ROLE_REMOVED)
        return;
    rc = gdfs_group_start(&g, "n1", &cfg, &io, disk.term, disk.vote, &disk.set,
                          now);
    /* What it persisted always starts it again, unless it was out. */
    CHECK(rc == GDFS_OK ||
          (rc == GDFS_EGROUP && gdfs_group_find(&disk.set, "n1") < 0));
    seen_leader[0] = '\0'; /* it forgot whom it followed */
    check(g.role, false);
}

/* Deliver a message of @type from @from at @term that a real peer
 * would send (the set-up of each role). */
static void honest(int type, const char *from, uint64_t term, bool pre)
{
    memset(&msg, 0, sizeof(msg));
    msg.type = (uint8_t)type;
    snprintf(msg.from, sizeof(msg.from), "%s", from);
    snprintf(msg.group_id, sizeof(msg.group_id), "g");
    msg.term = term;
    msg.u.vote_ack.pre = pre;
    msg.u.vote_ack.granted = true;
    deliver();
}

static void start(void)
{
    static const uint64_t terms[] = {0, 1, 7, 1000};
    uint8_t how = byte();

    memset(&disk, 0, sizeof(disk));
    memset(&start_set, 0, sizeof(start_set));
    snprintf(start_set.group_id, sizeof(start_set.group_id), "g");
    start_set.version.seq = 3;
    start_set.version.term = 1;
    start_set.n = 3;
    for (int i = 0; i < 3; i++) {
        snprintf(start_set.m[i].id, sizeof(start_set.m[i].id), "n%d", i + 1);
        snprintf(start_set.m[i].addr, sizeof(start_set.m[i].addr),
                 "10.0.0.%d:7000", i + 1);
    }
    now = 1000;
    rng = 0x9e3779b97f4a7c15ull;
    seen_term = 0;
    seen_leader[0] = '\0';
    fail_next_save = false;
    left_self = false;
    if (how % 5 == 4) {
        gdfs_group_start_join(&g, "n1", "10.0.0.1:7000", "10.0.0.2:7000", &cfg,
                              &io, now);
        check(GDFS_ROLE_JOINING, false);
        return;
    }
    disk.term = terms[(how >> 3) % 4];
    disk.set = start_set;
    disk.has_set = true;
    if (gdfs_group_start(&g, "n1", &cfg, &io, disk.term, "", &disk.set, now) !=
        GDFS_OK)
        abort();
    check(g.role, false);
    if (how % 5 >= 1) /* pre-candidate: its election timeout */
        tick(2 * cfg.election_ms);
    if (how % 5 >= 2) /* candidate: n2 would vote */
        honest(GDFS_GMSG_VOTE_ACK, "n2", g.term + 1, true);
    if (how % 5 >= 3) /* leader: n2 did */
        honest(GDFS_GMSG_VOTE_ACK, "n2", g.term, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool env_read;

    if (!env_read) {
        const char *o = getenv("FUZZ_GROUP_ORACLE");

        check_all = o == NULL || strcmp(o, "all") == 0;
        check_terms = check_all || strcmp(o, "terms") == 0;
        trace = getenv("FUZZ_GROUP_TRACE") != NULL;
        wire_only = getenv("FUZZ_GROUP_WIRE") != NULL;
        env_read = true;
    }
    in = data;
    in_left = size;
    start();
    for (int step = 0; step < STEPS_MAX && in_left > 0; step++) {
        uint8_t op = byte();

        now += op >> 6; /* 0..3 ms between steps */
        switch (op % 16) {
        case 10:
            tick((uint64_t)byte() * 8);
            break;
        case 11:
            tick(1);
            break;
        case 12:
            restart();
            break;
        case 13: {
            int prev = g.role, how = byte() % 3;
            char id[8];

            if (how == 1) {
                snprintf(id, sizeof(id), "n1");
                if (gdfs_group_request_leave(&g, now) == GDFS_OK &&
                    prev == GDFS_ROLE_LEADER)
                    left_self = true;
            } else if (how == 0) {
                put_id(id, sizeof(id), byte());
                if (gdfs_group_propose_leave(&g, id, now) == GDFS_OK &&
                    strcmp(id, "n1") == 0)
                    left_self = true;
            } else {
                put_id(id, sizeof(id), byte());
                /* Only a failed member: never the leader itself. */
                if (gdfs_group_propose_forget(&g, id, now) == GDFS_OK &&
                    strcmp(id, "n1") == 0)
                    abort();
            }
            check(prev, false);
            break;
        }
        case 14:
            fail_next_save = true;
            break;
        case 15:
            if (raw_msg())
                deliver();
            break;
        default:
            make_msg();
            if (!wire_only || through_wire())
                deliver();
            break;
        }
    }
    return 0;
}
