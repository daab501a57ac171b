/* hostile: a hostile peer for tests/cluster/22-hostile.sh.
 *
 * It speaks raw gdfs frames to one node and reports what the node did with
 * each: the attacks a group must shrug off (forged group messages at the
 * leader's term, huge terms, record log appends and record pushes, fake
 * joins, forged leaves and drains, replication from an attacker's address,
 * allocations and commits, reads and writes without a credential, asking
 * for the group key), and hundreds of idle connections. Each attack frame
 * is built here with gdfs_proto_encode, gdfs_proto_encode_group or the
 * list writer from the facts the command line gives (group id, leader,
 * term, members, a file), and sent on a connection of its own:
 *
 *   --plain (default)  plain TCP, no TLS: the frame as the open protocol
 *                      before authentication would have taken it
 *   --key-file F       through the TLS-PSK channel with credential F
 *                      (gdfs1:ROLE:ID:KEY; any role, a join token too)
 *   --identity "ROLE ID" --key HEX
 *                      through the channel offering that identity with a
 *                      raw key (a wrong one, a forged member's, a made-up
 *                      identity; ROLE may be member, ID any bytes)
 *
 * One line per attack on stdout, "ATTACK: OUTCOME", OUTCOME one of
 *   refused at handshake: WHY       the channel was not set up
 *   no gdfs reply: closed ...       the node closed the connection without
 *                                   a gdfs frame (plain: what it sent)
 *   no reply within MS ms           the node kept the connection silent
 *   ERROR GDFS_E...: MESSAGE        the node refused the request
 *   REPLY NDTOCL_...                the node served it
 *   cannot reach ADDR: WHY          not even a connection (exit 1)
 * With --repeat, the runs of equal outcomes on one connection
 * ("N x OUTCOME; then M x OUTCOME..."). "idle" holds connections that
 * never say a word and prints what the node did with them.
 * Everything read from the network is hostile input too: replies are read
 * into bounded buffers, headers and payloads checked by the decoder, and
 * messages printed with non-printable bytes replaced.
 *
 * Exit status: 0 every attack was sent (whatever the node did), 1 one
 * could not be (the node unreachable), 2 usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/channel.h"
#include "auth/cred.h"
#include "clock.h"
#include "net.h"
#include "proto.h"
#include "transport.h"

#define MEMBERS_MAX GDFS_GROUP_MAX
/* Replies are small (an ERROR, a STATUS, a LIST page): a bound for them. */
#define REPLY_PAYLOAD_MAX (256u * 1024)
#define FRAME_CAP (64u * 1024)
#define IDLE_MAX 4096

/* What the attacks are built from (gdfs-cli --json status / ls). */
struct facts {
    const char *group;  /* group id */
    const char *leader; /* the leader's id */
    uint64_t term;      /* the leader's term */
    struct {
        const char *id, *addr;
    } m[MEMBERS_MAX]; /* the members */
    unsigned nm;
    const char *victim;   /* the member the attacks aim at */
    const char *file;     /* an existing file */
    uint64_t seq;         /* its newest version's seq */
    const char *attacker; /* an address the attacker listens on */
};

struct attack {
    const char *name;
    const char *what;
    int (*build)(const struct facts *f, uint8_t *buf, size_t cap, size_t *len);
};

/* ---- frames -------------------------------------------------------------- */

static struct gdfs_bytes bs(const char *s)
{
    return (struct gdfs_bytes){(const uint8_t *)s, strlen(s)};
}

/* A group message of @kind from @from at @term, in the facts' group. */
static void gmsg_base(struct gdfs_gmsg *g, const struct facts *f, uint8_t kind,
                      const char *from, uint64_t term)
{
    memset(g, 0, sizeof(*g));
    g->type = kind;
    snprintf(g->from, sizeof(g->from), "%s", from);
    if (kind != GDFS_GMSG_JOIN)
        snprintf(g->group_id, sizeof(g->group_id), "%s", f->group);
    g->term = term;
}

static int encode_gmsg(struct gdfs_gmsg *g, uint8_t *buf, size_t cap,
                       size_t *len)
{
    int rc = gdfs_proto_encode_group(g, buf, cap, len);

    free(g);
    return rc;
}

static struct gdfs_gmsg *gmsg_new(void)
{
    struct gdfs_gmsg *g = calloc(1, sizeof(*g));

    if (g == NULL) {
        fprintf(stderr, "hostile: out of memory\n");
        exit(1);
    }
    return g;
}

/* The leader, at its own term, announcing a member set without the
 * victim. */
static int b_append(const struct facts *f, uint8_t *buf, size_t cap,
                    size_t *len)
{
    struct gdfs_gmsg *g = gmsg_new();
    struct gdfs_members *set = &g->u.append.set;

    gmsg_base(g, f, GDFS_GMSG_APPEND, f->leader, f->term);
    g->u.append.sent_at = 0;
    g->u.append.committed = (struct gdfs_version){1000, f->term};
    snprintf(set->group_id, sizeof(set->group_id), "%s", f->group);
    set->version = (struct gdfs_version){1000, f->term};
    for (unsigned i = 0; i < f->nm; i++) {
        struct gdfs_member *x = &set->m[set->n];

        if (strcmp(f->m[i].id, f->victim) == 0)
            continue;
        snprintf(x->id, sizeof(x->id), "%s", f->m[i].id);
        snprintf(x->addr, sizeof(x->addr), "%s", f->m[i].addr);
        x->state = GDFS_MEMBER_ALIVE;
        set->n++;
    }
    return encode_gmsg(g, buf, cap, len);
}

static int append_ack(const struct facts *f, uint64_t term, uint8_t *buf,
                      size_t cap, size_t *len)
{
    struct gdfs_gmsg *g = gmsg_new();

    gmsg_base(g, f, GDFS_GMSG_APPEND_ACK, f->victim, term);
    g->u.append_ack.version = (struct gdfs_version){1000, f->term};
    g->u.append_ack.incarnation = 1;
    return encode_gmsg(g, buf, cap, len);
}

static int b_ack_max(const struct facts *f, uint8_t *buf, size_t cap,
                     size_t *len)
{
    return append_ack(f, UINT64_MAX, buf, cap, len);
}

static int b_ack_half(const struct facts *f, uint8_t *buf, size_t cap,
                      size_t *len)
{
    return append_ack(f, UINT64_C(1) << 63, buf, cap, len);
}

static int vote(const struct facts *f, uint64_t term, bool pre, uint8_t *buf,
                size_t cap, size_t *len)
{
    struct gdfs_gmsg *g = gmsg_new();

    gmsg_base(g, f, GDFS_GMSG_VOTE, f->victim, term);
    g->u.vote.pre = pre;
    g->u.vote.version = (struct gdfs_version){UINT64_MAX, UINT64_MAX};
    return encode_gmsg(g, buf, cap, len);
}

static int b_vote_max(const struct facts *f, uint8_t *buf, size_t cap,
                      size_t *len)
{
    return vote(f, UINT64_MAX, false, buf, cap, len);
}

static int b_vote_half(const struct facts *f, uint8_t *buf, size_t cap,
                       size_t *len)
{
    return vote(f, UINT64_C(1) << 63, false, buf, cap, len);
}

static int b_prevote_max(const struct facts *f, uint8_t *buf, size_t cap,
                         size_t *len)
{
    return vote(f, UINT64_MAX, true, buf, cap, len);
}

static int b_heartbeat(const struct facts *f, uint8_t *buf, size_t cap,
                       size_t *len)
{
    struct gdfs_gmsg *g = gmsg_new();

    gmsg_base(g, f, GDFS_GMSG_HEARTBEAT, f->victim, UINT64_C(1) << 63);
    g->u.heartbeat.incarnation = UINT64_MAX;
    return encode_gmsg(g, buf, cap, len);
}

/* The leader told, by a member, that the victim is silent. */
static int b_suspect(const struct facts *f, uint8_t *buf, size_t cap,
                     size_t *len)
{
    struct gdfs_gmsg *g = gmsg_new();
    const char *from = f->leader;

    for (unsigned i = 0; i < f->nm; i++)
        if (strcmp(f->m[i].id, f->leader) != 0 &&
            strcmp(f->m[i].id, f->victim) != 0)
            from = f->m[i].id;
    gmsg_base(g, f, GDFS_GMSG_SUSPECT, from, f->term);
    snprintf(g->u.suspect.target, sizeof(g->u.suspect.target), "%s",
             f->victim);
    g->u.suspect.incarnation = UINT64_MAX;
    return encode_gmsg(g, buf, cap, len);
}

static int join(const struct facts *f, const char *id, uint8_t *buf,
                size_t cap, size_t *len)
{
    struct gdfs_gmsg *g = gmsg_new();

    gmsg_base(g, f, GDFS_GMSG_JOIN, id, f->term);
    snprintf(g->u.join.addr, sizeof(g->u.join.addr), "%s", f->attacker);
    return encode_gmsg(g, buf, cap, len);
}

static int b_join_new(const struct facts *f, uint8_t *buf, size_t cap,
                      size_t *len)
{
    return join(f, "evil-1", buf, cap, len);
}

static int b_join_new2(const struct facts *f, uint8_t *buf, size_t cap,
                       size_t *len)
{
    return join(f, "evil-2", buf, cap, len);
}

/* A member's id at the attacker's address: take its place. */
static int b_join_member(const struct facts *f, uint8_t *buf, size_t cap,
                         size_t *len)
{
    return join(f, f->victim, buf, cap, len);
}

static int b_leave(const struct facts *f, uint8_t *buf, size_t cap,
                   size_t *len)
{
    struct gdfs_gmsg *g = gmsg_new();

    gmsg_base(g, f, GDFS_GMSG_LEAVE, f->victim, f->term);
    return encode_gmsg(g, buf, cap, len);
}

static int b_cltond_leave(const struct facts *f, uint8_t *buf, size_t cap,
                          size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_LEAVE, .reqid = 1};

    (void)f;
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_cltond_forget(const struct facts *f, uint8_t *buf, size_t cap,
                           size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_FORGET, .reqid = 1};

    m.u.drain.id = bs(f->victim);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_drain(const struct facts *f, uint8_t *buf, size_t cap,
                   size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_DRAIN, .reqid = 1};

    m.u.drain.id = bs(f->victim);
    return gdfs_proto_encode(&m, buf, cap, len);
}

/* A record of the file: a newer version at the leader's term, a
 * tombstone or a copy the attacker claims to hold. */
static void file_record(const struct facts *f, uint64_t seq, bool tombstone,
                        struct gdfs_record *r)
{
    memset(r, 0, sizeof(*r));
    r->name = bs(f->file);
    r->version = (struct gdfs_version){seq, f->term};
    r->tombstone = tombstone;
    if (!tombstone) {
        r->size = 1;
        r->chunk_size = GDFS_CHUNK_MIN;
        r->nchunks = 1;
        memset(r->sha256, 0xee, sizeof(r->sha256));
        r->nreplicas = 1;
        r->acked = 1;
        r->replica[0].id = bs("evil-1");
        r->replica[0].addr = bs(f->attacker);
    }
}

/* A LOG_APPEND at @term from the start of the log, carrying one entry of
 * @term (the file's newer version on the attacker) and committing it. */
static int log_append(const struct facts *f, uint64_t term, uint8_t *buf,
                      size_t cap, size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_LOG_APPEND, .reqid = 1};
    uint8_t entry[4096];
    struct gdfs_proto_writer w;
    struct gdfs_log_entry e;
    struct gdfs_record r;
    size_t elen;
    int rc;

    m.u.log_append.term = term;
    m.u.log_append.commit = 1;
    file_record(f, f->seq + 1000, false, &r);
    rc = gdfs_proto_encode_entry(GDFS_ENTRY_RECORD, &r, entry, sizeof(entry),
                                 &elen);
    if (rc == GDFS_OK)
        rc = gdfs_proto_writer_begin(&w, buf, cap, &m);
    e = (struct gdfs_log_entry){term, entry, elen};
    if (rc == GDFS_OK)
        rc = gdfs_proto_add_log_entry(&w, &e);
    if (rc == GDFS_OK)
        rc = gdfs_proto_writer_finish(&w, false, len);
    return rc;
}

static int b_log_append(const struct facts *f, uint8_t *buf, size_t cap,
                        size_t *len)
{
    return log_append(f, f->term, buf, cap, len);
}

static int b_log_append_term(const struct facts *f, uint8_t *buf, size_t cap,
                             size_t *len)
{
    /* the highest a peer may send */
    return log_append(f, GDFS_VERSION_MAX, buf, cap, len);
}

static int b_meta_sum(const struct facts *f, uint8_t *buf, size_t cap,
                      size_t *len)
{
    static const uint8_t zero[GDFS_META_SUMS_LEN];
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_META_SUM, .reqid = 1};

    m.u.meta_sum.term = f->term;
    m.u.meta_sum.sums = (struct gdfs_bytes){zero, sizeof(zero)};
    return gdfs_proto_encode(&m, buf, cap, len);
}

/* A tombstone of the file, "committed", with every bucket marked complete
 * (so a member would also drop the accepted records, left from before the
 * record log, that the push lacks). */
static int b_meta_sync(const struct facts *f, uint8_t *buf, size_t cap,
                       size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_META_SYNC, .reqid = 1};
    struct gdfs_proto_writer w;
    struct gdfs_record r;
    int rc;

    m.u.meta_sync.term = f->term;
    m.u.meta_sync.complete = UINT64_MAX;
    file_record(f, f->seq + 1000, true, &r);
    rc = gdfs_proto_writer_begin(&w, buf, cap, &m);
    if (rc == GDFS_OK)
        rc = gdfs_proto_add_record(&w, &r);
    if (rc == GDFS_OK)
        rc = gdfs_proto_writer_finish(&w, false, len);
    return rc;
}

/* Fetch the file's version from the attacker's address. */
static int b_replicate(const struct facts *f, uint8_t *buf, size_t cap,
                       size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_REPLICATE, .reqid = 1};

    file_record(f, f->seq, false, &m.u.replicate.rec);
    m.u.replicate.nsrc = 1;
    m.u.replicate.src[0] = bs(f->attacker);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_alloc(const struct facts *f, uint8_t *buf, size_t cap,
                   size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_ALLOC, .reqid = 1};

    m.u.put.name = bs(f->file);
    return gdfs_proto_encode(&m, buf, cap, len);
}

/* "Commit" a tombstone: a remove without a put or a remove request. */
static int b_commit(const struct facts *f, uint8_t *buf, size_t cap,
                    size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_COMMIT, .reqid = 1};

    file_record(f, f->seq + 2000, true, &m.u.record.rec);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_rput(const struct facts *f, uint8_t *buf, size_t cap, size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_RPUT, .reqid = 1};

    m.u.rput.version = (struct gdfs_version){f->seq + 1000, f->term};
    m.u.rput.chunk_size = GDFS_CHUNK_MIN;
    m.u.rput.name = bs(f->file);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_rget(const struct facts *f, uint8_t *buf, size_t cap, size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_RGET, .reqid = 1};

    m.u.rget.version = (struct gdfs_version){f->seq, f->term};
    m.u.rget.name = bs(f->file);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_lookup(const struct facts *f, uint8_t *buf, size_t cap,
                    size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_LOOKUP, .reqid = 1};

    m.u.get.name = bs(f->file);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_probe(const struct facts *f, uint8_t *buf, size_t cap,
                   size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_PROBE, .reqid = 1};

    m.u.rget.name = bs(f->file);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_health(const struct facts *f, uint8_t *buf, size_t cap,
                    size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_HEALTH, .reqid = 1};

    (void)f;
    return gdfs_proto_encode(&m, buf, cap, len);
}

/* Ask for the group key without a join token. */
static int b_enrol(const struct facts *f, uint8_t *buf, size_t cap,
                   size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_ENROL, .reqid = 1};

    (void)f;
    m.u.drain.id = bs("evil-1");
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_get(const struct facts *f, uint8_t *buf, size_t cap, size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_GET, .reqid = 1};

    m.u.get.name = bs(f->file);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_put(const struct facts *f, uint8_t *buf, size_t cap, size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_PUT, .reqid = 1};

    m.u.put.name = bs(f->file);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_remove(const struct facts *f, uint8_t *buf, size_t cap,
                    size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_REMOVE, .reqid = 1};

    m.u.put.name = bs(f->file);
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_status(const struct facts *f, uint8_t *buf, size_t cap,
                    size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_STATUS, .reqid = 1};

    (void)f;
    return gdfs_proto_encode(&m, buf, cap, len);
}

static int b_ls(const struct facts *f, uint8_t *buf, size_t cap, size_t *len)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_LIST, .reqid = 1};

    (void)f;
    m.u.list.scope = GDFS_LIST_ALL;
    m.u.list.max = 1000;
    return gdfs_proto_encode(&m, buf, cap, len);
}

/* clang-format off */
static const struct attack attacks[] = {
    {"append",         "APPEND from the leader at its term, a member set without the victim", b_append},
    {"append-ack-max", "APPEND_ACK from the victim at term 2^64-1", b_ack_max},
    {"append-ack-half","APPEND_ACK from the victim at term 2^63", b_ack_half},
    {"vote-max",       "VOTE from the victim at term 2^64-1", b_vote_max},
    {"vote-half",      "VOTE from the victim at term 2^63", b_vote_half},
    {"prevote-max",    "pre-VOTE from the victim at term 2^64-1", b_prevote_max},
    {"heartbeat",      "HEARTBEAT from the victim at term 2^63", b_heartbeat},
    {"suspect",        "SUSPECT of the victim, from another member", b_suspect},
    {"join-new",       "JOIN from the fake id evil-1 at the attacker's address", b_join_new},
    {"join-new2",      "JOIN from the fake id evil-2 at the attacker's address", b_join_new2},
    {"join-member",    "JOIN under the victim's id at the attacker's address", b_join_member},
    {"leave",          "group LEAVE forged from the victim", b_leave},
    {"cltond-leave",   "CLTOND_LEAVE: make the node asked leave", b_cltond_leave},
    {"cltond-forget",  "CLTOND_FORGET: remove the victim from the group", b_cltond_forget},
    {"drain",          "NDTOND_DRAIN naming the victim", b_drain},
    {"log-append",     "LOG_APPEND at the leader's term: the file's newer version on the attacker, committed", b_log_append},
    {"log-append-term","LOG_APPEND at term 2^63-1: the file's newer version on the attacker, committed", b_log_append_term},
    {"meta-sum",       "META_SUM at the leader's term with empty digests", b_meta_sum},
    {"meta-sync",      "META_SYNC at the leader's term: a tombstone of the file, every bucket complete", b_meta_sync},
    {"replicate",      "REPLICATE the file from the attacker's address", b_replicate},
    {"alloc",          "NDTOND_ALLOC of the file", b_alloc},
    {"commit",         "NDTOND_COMMIT of a tombstone of the file", b_commit},
    {"rput",           "NDTOND_RPUT of a new version of the file", b_rput},
    {"rget",           "NDTOND_RGET of the file", b_rget},
    {"lookup",         "NDTOND_LOOKUP of the file", b_lookup},
    {"probe",          "NDTOND_PROBE of the file", b_probe},
    {"health",         "NDTOND_HEALTH", b_health},
    {"enrol",          "CLTOND_ENROL: ask for the group key", b_enrol},
    {"get",            "CLTOND_GET of the file", b_get},
    {"put",            "CLTOND_PUT of the file", b_put},
    {"remove",         "CLTOND_REMOVE of the file", b_remove},
    {"status",         "CLTOND_STATUS", b_status},
    {"ls",             "CLTOND_LIST", b_ls},
};
/* clang-format on */
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

/* Is the encoded @frame a node-to-node message (what attack "node"
 * runs)? Its type is the header's sixth byte. */
static bool is_node_message(const uint8_t *frame)
{
    return strncmp(gdfs_proto_type_name(frame[5]), "NDTOND_", 7) == 0;
}

/* ---- output -------------------------------------------------------------- */

/* Append a hostile string to @out, printable: at most @max bytes, others
 * as '?'. */
static void add_text(char *out, size_t cap, const uint8_t *p, size_t len,
                     size_t max)
{
    size_t o = strlen(out);

    for (size_t i = 0; i < len && i < max && o + 1 < cap; i++)
        out[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    out[o] = '\0';
    if (len > max)
        snprintf(out + o, cap - o, "...");
}

/* The outcome line of reply @m. */
static void describe(const struct gdfs_msg *m, char *out, size_t cap)
{
    if (m->type == GDFS_MSG_NDTOCL_ERROR) {
        snprintf(out, cap, "ERROR %s: ", gdfs_errname((int)m->u.error.status));
        add_text(out, cap, m->u.error.msg.p, m->u.error.msg.len, 400);
        return;
    }
    snprintf(out, cap, "REPLY %s%s", gdfs_proto_type_name(m->type),
             m->type == GDFS_MSG_NDTOCL_ENROL ? " (the group key!)" : "");
}

/* ---- plain TCP ----------------------------------------------------------- */

/* Split "HOST:PORT" ("[V6]:PORT") into @host and @port. */
static int split_addr(const char *addr, char *host, size_t hcap, char *port,
                      size_t pcap)
{
    const char *colon = strrchr(addr, ':');
    const char *h = addr;
    size_t hl;

    if (colon == NULL || colon == addr || colon[1] == '\0')
        return -1;
    hl = (size_t)(colon - addr);
    if (addr[0] == '[' && colon[-1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= hcap || strlen(colon + 1) >= pcap)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, pcap, "%s", colon + 1);
    return 0;
}

/* Where plain connections come from: any address, or the IPv4 addresses
 * PREFIX.first .. PREFIX.(first + count - 1) in turn. */
struct sources {
    uint8_t a, b, c, first; /* A.B.C.first */
    unsigned count;
};

/* "A.B.C.D" or "A.B.C.D-LAST" into @s; -1 if it is neither. */
static int parse_sources(const char *spec, struct sources *s)
{
    unsigned a, b, c, d, last;
    char tail;
    int n = sscanf(spec, "%u.%u.%u.%u-%u%c", &a, &b, &c, &d, &last, &tail);

    if (n == 4)
        last = d;
    else if (n != 5)
        return -1;
    if (a > 255 || b > 255 || c > 255 || d > last || last > 255)
        return -1;
    s->a = (uint8_t)a;
    s->b = (uint8_t)b;
    s->c = (uint8_t)c;
    s->first = (uint8_t)d;
    s->count = last - d + 1;
    return 0;
}

/* The source of the @i-th connection, or NULL for any. */
static const char *source_nth(const struct sources *s, unsigned i, char *out,
                              size_t cap)
{
    if (s->count == 0)
        return NULL;
    snprintf(out, cap, "%u.%u.%u.%u", s->a, s->b, s->c,
             (uint8_t)(s->first + i % s->count));
    return out;
}

/* A non-blocking TCP connection to @addr from @source (NULL: any); -1 with
 * a message on stderr. With @wait_ms > 0, wait for it to be established. */
static int tcp_open(const char *addr, const char *source, int wait_ms)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    char host[256], port[16];
    int fd, rc;

    if (split_addr(addr, host, sizeof(host), port, sizeof(port)) != 0) {
        fprintf(stderr, "hostile: '%s' is not HOST:PORT\n", addr);
        return -1;
    }
    if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
        fprintf(stderr, "hostile: %s: %s\n", addr, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && source != NULL) {
        struct sockaddr_in sin = {.sin_family = AF_INET};

        if (inet_pton(AF_INET, source, &sin.sin_addr) != 1 ||
            bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
            fprintf(stderr, "hostile: cannot bind to source %s: %s\n", source,
                    strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
        errno != EINPROGRESS) {
        fprintf(stderr, "hostile: connect %s: %s\n", addr, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd >= 0 && wait_ms > 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t elen = sizeof(err);

        if (poll(&p, 1, wait_ms) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ||
            err != 0) {
            fprintf(stderr, "hostile: connect %s: %s\n", addr,
                    err ? strerror(err) : "timed out");
            close(fd);
            fd = -1;
        }
    }
    return fd;
}

/* Send @len bytes, then read what comes back until the node closes, the
 * reply is a whole frame, or @ms pass; report it. */
static int plain_attack(const char *addr, const struct sources *src,
                        const uint8_t *frame, size_t len, int ms)
{
    char source[32];
    static uint8_t in[GDFS_PROTO_HDR_LEN + REPLY_PAYLOAD_MAX];
    uint64_t until = gdfs_clock_ms() + (uint64_t)ms;
    size_t off = 0, got = 0;
    const char *end = NULL;
    struct gdfs_frame_hdr hdr;
    int fd = tcp_open(addr, source_nth(src, 0, source, sizeof(source)), ms);

    if (fd < 0) {
        printf("cannot reach %s (see stderr)\n", addr);
        return 1;
    }
    while (off < len) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        ssize_t n;

        if (poll(&p, 1, ms) != 1)
            break;
        n = send(fd, frame + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* closed under us: report what was read */
        off += (size_t)n;
    }
    for (;;) {
        int left = (int)(until - gdfs_clock_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if ((int64_t)(until - gdfs_clock_ms()) <= 0 ||
            poll(&p, 1, left) != 1) {
            end = "timeout";
            break;
        }
        n = recv(fd, in + got, sizeof(in) - got, 0);
        if (n == 0) {
            end = "closed";
            break;
        }
        if (n < 0) {
            end = errno == ECONNRESET ? "reset" : strerror(errno);
            break;
        }
        got += (size_t)n;
        if (got >= GDFS_PROTO_HDR_LEN &&
            gdfs_proto_decode_hdr(in, REPLY_PAYLOAD_MAX, &hdr) == GDFS_OK &&
            got >= gdfs_proto_frame_len(in))
            break; /* a whole gdfs frame */
        if (got == sizeof(in)) {
            end = "too much";
            break;
        }
    }
    close(fd);
    if (got >= GDFS_PROTO_HDR_LEN &&
        gdfs_proto_decode_hdr(in, REPLY_PAYLOAD_MAX, &hdr) == GDFS_OK &&
        got >= gdfs_proto_frame_len(in)) {
        struct gdfs_msg m;
        char line[600];

        if (gdfs_proto_decode(&hdr, in + GDFS_PROTO_HDR_LEN, &m) == GDFS_OK) {
            describe(&m, line, sizeof(line));
            printf("%s\n", line);
        } else
            printf("REPLY %s (payload does not decode)\n",
                   gdfs_proto_type_name(hdr.type));
        return 0;
    }
    if (strcmp(end, "timeout") == 0 && got == 0)
        printf("no reply within %d ms\n", ms);
    else
        printf("no gdfs reply: %s after %zu bytes%s\n", end, got,
               got > 0 && in[0] == 0x15 ? " (a TLS alert)" : "");
    return 0;
}

/* ---- through the channel ------------------------------------------------- */

/* One request on @c and the outcome line of its reply; false once the
 * connection is gone. */
static bool channel_round(struct gdfs_conn *c, const uint8_t *frame,
                          size_t len, int ms, char *out, size_t cap)
{
    static uint8_t in[GDFS_PROTO_HDR_LEN + REPLY_PAYLOAD_MAX];
    struct gdfs_msg m;
    int rc = gdfs_net_send_all(c, frame, len, ms);

    if (rc == GDFS_OK || gdfs_net_readable(c))
        rc = gdfs_net_recv_msg(c, in, sizeof(in), REPLY_PAYLOAD_MAX, ms, ms,
                               &m);
    if (rc == GDFS_OK) {
        describe(&m, out, cap);
        return true;
    }
    if (rc == GDFS_ETIMEDOUT)
        snprintf(out, cap, "no reply within %d ms", ms);
    else
        snprintf(out, cap, "no gdfs reply: %s (%s)", gdfs_errname(rc),
                 c->errmsg);
    return false;
}

/* Send the frame once, or with @repeat_s every 100 ms on the same
 * connection until @repeat_s pass or the connection ends, printing each
 * run of equal outcomes ("N x OUTCOME; then ..."). */
static int channel_attack(struct gdfs_transport *t, const char *addr,
                          const struct gdfs_cred *cred, const uint8_t *frame,
                          size_t len, int ms, int repeat_s)
{
    uint64_t until = gdfs_clock_ms() + (uint64_t)repeat_s * 1000;
    char line[600], last[600] = "";
    unsigned runs = 0, n = 0;
    struct gdfs_conn c;
    bool alive = true;
    int rc = gdfs_channel_dial(t, &c, addr, ms, cred);

    if (rc == GDFS_EAUTH || rc == GDFS_ECLOSED) {
        printf("refused at handshake: %s\n", c.errmsg);
        return 0;
    }
    if (rc != GDFS_OK) {
        printf("cannot reach %s: %s\n", addr, c.errmsg);
        return 1;
    }
    do {
        alive = channel_round(&c, frame, len, ms, line, sizeof(line));
        if (repeat_s == 0) {
            printf("%s\n", line);
            break;
        }
        if (n > 0 && strcmp(line, last) != 0) {
            printf("%s%u x %s", runs++ ? "; then " : "", n, last);
            n = 0;
        }
        snprintf(last, sizeof(last), "%s", line);
        n++;
        if (alive)
            nanosleep(&(struct timespec){0, 100000000L}, NULL);
    } while (alive && gdfs_clock_ms() < until);
    if (repeat_s > 0)
        printf("%s%u x %s\n", runs ? "; then " : "", n, last);
    gdfs_conn_close(&c);
    return 0;
}

/* ---- idle connections ---------------------------------------------------- */

static volatile sig_atomic_t idle_stop;

static void on_term(int sig)
{
    (void)sig;
    idle_stop = 1;
}

/* Hold @n connections that never send a byte for @secs seconds, or until
 * SIGTERM or SIGINT (then print the figures all the same). One the
 * node closes is opened again: after @reopen_ms if it was closed soon
 * (refused), at once if it lived a second or more (it held a handshake
 * slot until the node timed it out: take the slot back before anyone
 * else can); never if @reopen_ms is 0. */
static int idle(const char *addr, const struct sources *src, unsigned n,
                unsigned secs, int reopen_ms)
{
    char source[32];
    static struct pollfd p[IDLE_MAX];
    static uint64_t reopen_at[IDLE_MAX], opened_at[IDLE_MAX];
    uint64_t start = gdfs_clock_ms(), until = start + secs * 1000ull;
    unsigned opened = 0, closed = 0, held = 0, failed = 0, open_now = 0;
    struct sigaction sa = {.sa_handler = on_term};
    char buf[256];

    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (unsigned i = 0; i < n; i++) {
        p[i].fd = tcp_open(addr, source_nth(src, i, source, sizeof(source)),
                           0);
        p[i].events = POLLIN;
        opened_at[i] = start;
        if (p[i].fd < 0) {
            failed++;
            reopen_at[i] = start + (uint64_t)(reopen_ms ? reopen_ms : 1);
        } else {
            opened++;
        }
    }
    while (!idle_stop && gdfs_clock_ms() < until) {
        uint64_t now = gdfs_clock_ms();

        for (unsigned i = 0; i < n; i++) {
            if (p[i].fd >= 0 || reopen_ms == 0 || now < reopen_at[i])
                continue;
            p[i].fd = tcp_open(addr,
                               source_nth(src, i, source, sizeof(source)), 0);
            opened_at[i] = now;
            if (p[i].fd >= 0)
                opened++;
            else
                reopen_at[i] = now + (uint64_t)reopen_ms;
        }
        if (poll(p, n, 50) <= 0)
            continue;
        now = gdfs_clock_ms();
        for (unsigned i = 0; i < n; i++) {
            ssize_t r;

            if (p[i].fd < 0 || p[i].revents == 0)
                continue;
            /* Anything but a silent connection: the node closed it (or
             * sent a TLS alert first, which is read and dropped). */
            r = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (r > 0 || (r < 0 && errno == EAGAIN))
                continue;
            close(p[i].fd);
            p[i].fd = -1;
            closed++;
            if (now - opened_at[i] >= 1000) {
                held++;
                reopen_at[i] = now;
            } else {
                reopen_at[i] = now + (uint64_t)reopen_ms;
            }
        }
    }
    for (unsigned i = 0; i < n; i++)
        if (p[i].fd >= 0) {
            open_now++;
            close(p[i].fd);
        }
    if (src->count == 0)
        snprintf(source, sizeof(source), "any address");
    else
        snprintf(source, sizeof(source), "%u address%s", src->count,
                 src->count > 1 ? "es" : "");
    printf("idle: %u connections held %.1f s from %s: %u opened, %u closed "
           "by the node (%u after holding a slot 1 s or more), %u failed to "
           "open, %u still open at the end\n",
           n, (double)(gdfs_clock_ms() - start) / 1000, source, opened, closed,
           held, failed, open_now);
    return 0;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(
        f, "usage: hostile [CONNECTION] [FACTS] [-T MS] ADDR ATTACK...\n"
           "       hostile [--source IP] ADDR idle N SECS [REOPEN_MS]\n"
           "       hostile --list   (name, message type, what each "
           "attack sends)\n"
           "Sends each ATTACK's frame to the node at ADDR on a connection "
           "of its own\nand prints \"ATTACK: OUTCOME\" (see the head of "
           "tests/tools/hostile.c).\n"
           "ATTACK may be 'all' (every attack), 'node' (the NDTOND_ "
           "ones) or 'raw:HEX'\n(a frame given in hex).\n"
           "connection:\n"
           "  --plain              plain TCP, no TLS (default)\n"
           "  --source IP[-LAST]   plain: connect from this IPv4 address "
           "(or from each of\n"
           "                       IP's last byte up to LAST in turn)\n"
           "  --key-file F         TLS with credential F (gdfs1:ROLE:ID:KEY)\n"
           "  --identity 'ROLE ID' --key HEX\n"
           "                       TLS offering this identity with a raw "
           "64-hex-digit key\n"
           "  --repeat SECS        TLS: send the frame every 100 ms on one "
           "connection for\n"
           "                       SECS seconds or until it ends; print "
           "each run of outcomes\n"
           "facts (from gdfs-cli --json status and ls):\n"
           "  --group ID  --leader ID  --term N\n"
           "  --member ID=ADDR     a member (repeat for each)\n"
           "  --victim ID          the member attacked (default: the first "
           "that does not lead)\n"
           "  --file NAME --seq N  an existing file and its newest seq\n"
           "  --attacker ADDR      an address the attacker listens on\n"
           "  -T MS                timeout of each step (default 3000)\n"
           "idle: hold N connections that send nothing for SECS seconds (or "
           "until SIGTERM);\n"
           "  with REOPEN_MS, open again each one the node closes: after "
           "that many ms,\n"
           "  or at once if it lived a second or more (it held a handshake "
           "slot until it\n"
           "  timed out).\n");
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* @hex into @out (@cap bytes); the byte count, or -1. */
static long unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);

    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && s[0] != '-';
}

/* "ROLE ID" or "gdfs1 ROLE ID" (ROLE: node, read, write, admin, member; ID
 * any bytes, up to GDFS_CRED_ID_MAX) into @c, with @key. */
static int raw_identity(const char *ident, const char *keyhex,
                        struct gdfs_cred *c)
{
    static const char *roles[] = {"",      "node",  "read",
                                  "write", "admin", "member"};
    const char *sp;

    memset(c, 0, sizeof(*c));
    if (strncmp(ident, "gdfs1 ", 6) == 0)
        ident += 6;
    sp = strchr(ident, ' ');
    if (sp == NULL || strlen(sp + 1) > GDFS_CRED_ID_MAX)
        return -1;
    for (int r = GDFS_CRED_NODE; r <= GDFS_CRED_MEMBER; r++)
        if (strlen(roles[r]) == (size_t)(sp - ident) &&
            strncmp(roles[r], ident, (size_t)(sp - ident)) == 0)
            c->role = (enum gdfs_cred_role)r;
    if (c->role == GDFS_CRED_NONE)
        return -1;
    snprintf(c->id, sizeof(c->id), "%s", sp + 1);
    return unhex(keyhex, c->key, sizeof(c->key)) == GDFS_CRED_KEY_LEN ? 0 : -1;
}

enum {
    OPT_PLAIN = 256,
    OPT_SOURCE,
    OPT_KEY_FILE,
    OPT_IDENTITY,
    OPT_KEY,
    OPT_GROUP,
    OPT_LEADER,
    OPT_TERM,
    OPT_MEMBER,
    OPT_VICTIM,
    OPT_FILE,
    OPT_SEQ,
    OPT_ATTACKER,
    OPT_LIST,
    OPT_REPEAT,
};

/* Run attack @a (or the raw frame in @raw) and print its line. */
static int run_one(const char *label, const uint8_t *frame, size_t len,
                   struct gdfs_transport *t, const struct gdfs_cred *cred,
                   const char *addr, const struct sources *src, int ms,
                   int repeat_s)
{
    int rc;

    printf("%s: ", label);
    fflush(stdout);
    if (t == NULL)
        rc = plain_attack(addr, src, frame, len, ms);
    else
        rc = channel_attack(t, addr, cred, frame, len, ms, repeat_s);
    fflush(stdout);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"plain", no_argument, NULL, OPT_PLAIN},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"key-file", required_argument, NULL, OPT_KEY_FILE},
        {"identity", required_argument, NULL, OPT_IDENTITY},
        {"key", required_argument, NULL, OPT_KEY},
        {"group", required_argument, NULL, OPT_GROUP},
        {"leader", required_argument, NULL, OPT_LEADER},
        {"term", required_argument, NULL, OPT_TERM},
        {"member", required_argument, NULL, OPT_MEMBER},
        {"victim", required_argument, NULL, OPT_VICTIM},
        {"file", required_argument, NULL, OPT_FILE},
        {"seq", required_argument, NULL, OPT_SEQ},
        {"attacker", required_argument, NULL, OPT_ATTACKER},
        {"list", no_argument, NULL, OPT_LIST},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static uint8_t frame[FRAME_CAP];
    struct facts f = {.group = "g",
                      .leader = "n1",
                      .term = 1,
                      .file = "file1",
                      .seq = 1,
                      .attacker = "127.0.0.1:1"};
    const char *key_file = NULL, *identity = NULL, *keyhex = NULL;
    const char *addr, *plugin_dir;
    struct sources src = {.count = 0};
    struct gdfs_transport *t = NULL;
    struct gdfs_cred cred;
    char err[1024];
    int opt, ms = 3000, repeat_s = 0, status = 0;
    bool list = false;

    while ((opt = getopt_long(argc, argv, "+T:h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_PLAIN:
            key_file = identity = NULL;
            break;
        case OPT_SOURCE:
            if (parse_sources(optarg, &src) != 0) {
                fprintf(stderr, "hostile: --source %s: not A.B.C.D[-LAST]\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_KEY_FILE:
            key_file = optarg;
            break;
        case OPT_IDENTITY:
            identity = optarg;
            break;
        case OPT_KEY:
            keyhex = optarg;
            break;
        case OPT_GROUP:
            f.group = optarg;
            break;
        case OPT_LEADER:
            f.leader = optarg;
            break;
        case OPT_TERM:
            if (!parse_u64(optarg, &f.term)) {
                fprintf(stderr, "hostile: --term %s: not a number\n", optarg);
                return 2;
            }
            break;
        case OPT_MEMBER: {
            char *eq = strchr(optarg, '=');

            if (eq == NULL || f.nm == MEMBERS_MAX) {
                fprintf(stderr, "hostile: --member ID=ADDR (at most %d)\n",
                        MEMBERS_MAX);
                return 2;
            }
            *eq = '\0';
            f.m[f.nm].id = optarg;
            f.m[f.nm].addr = eq + 1;
            f.nm++;
            break;
        }
        case OPT_VICTIM:
            f.victim = optarg;
            break;
        case OPT_FILE:
            f.file = optarg;
            break;
        case OPT_SEQ:
            if (!parse_u64(optarg, &f.seq) || f.seq == 0) {
                fprintf(stderr, "hostile: --seq %s: not a seq\n", optarg);
                return 2;
            }
            break;
        case OPT_ATTACKER:
            f.attacker = optarg;
            break;
        case OPT_LIST:
            list = true;
            break;
        case OPT_REPEAT:
            repeat_s = atoi(optarg);
            if (repeat_s <= 0 || repeat_s > 3600) {
                fprintf(stderr, "hostile: --repeat %s: 1..3600 seconds\n",
                        optarg);
                return 2;
            }
            break;
        case 'T':
            ms = atoi(optarg);
            if (ms <= 0) {
                fprintf(stderr, "hostile: -T %s: not a timeout\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (f.victim == NULL)
        for (unsigned i = 0; i < f.nm && f.victim == NULL; i++)
            if (strcmp(f.m[i].id, f.leader) != 0)
                f.victim = f.m[i].id;
    if (f.victim == NULL)
        f.victim = "n2";
    if (list) {
        /* name, the frame's message type, what it does */
        for (size_t i = 0; i < NATTACKS; i++) {
            size_t len;

            if (attacks[i].build(&f, frame, sizeof(frame), &len) != GDFS_OK)
                return 2;
            printf("%-16s %-20s %s\n", attacks[i].name,
                   gdfs_proto_type_name(frame[5]), attacks[i].what);
        }
        return 0;
    }
    if (argc - optind < 2) {
        usage(stderr);
        return 2;
    }
    addr = argv[optind++];
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(argv[optind], "idle") == 0) {
        uint64_t n, secs, reopen = 0;

        if (argc - optind < 3 || argc - optind > 4 ||
            !parse_u64(argv[optind + 1], &n) || n == 0 || n > IDLE_MAX ||
            !parse_u64(argv[optind + 2], &secs) ||
            (argc - optind == 4 && !parse_u64(argv[optind + 3], &reopen))) {
            fprintf(stderr, "hostile: idle N SECS [REOPEN_MS] (N 1..%d)\n",
                    IDLE_MAX);
            return 2;
        }
        return idle(addr, &src, (unsigned)n, (unsigned)secs, (int)reopen);
    }
    if (key_file != NULL && identity != NULL) {
        fprintf(stderr, "hostile: --key-file or --identity, not both\n");
        return 2;
    }
    if (key_file != NULL &&
        gdfs_cred_load(key_file, &cred, err, sizeof(err)) != GDFS_OK) {
        fprintf(stderr, "hostile: %s\n", err);
        return 2;
    }
    if (identity != NULL &&
        (keyhex == NULL || raw_identity(identity, keyhex, &cred) != 0)) {
        fprintf(stderr,
                "hostile: --identity 'ROLE ID' needs --key with %d "
                "hex digits (ROLE: node, read, write, admin, "
                "member)\n",
                2 * GDFS_CRED_KEY_LEN);
        return 2;
    }
    if (key_file != NULL || identity != NULL) {
        plugin_dir = getenv("GDFS_PLUGIN_DIR");
        if (gdfs_transport_new(plugin_dir, "tcp", 0, NULL, NULL, &t, err,
                               sizeof(err)) != GDFS_OK) {
            fprintf(stderr, "hostile: %s (set GDFS_PLUGIN_DIR)\n", err);
            return 2;
        }
    }
    for (int i = optind; i < argc; i++) {
        const char *name = argv[i];
        bool all = strcmp(name, "all") == 0, node = strcmp(name, "node") == 0;
        bool found = false;
        size_t len;

        if (strncmp(name, "raw:", 4) == 0) {
            long n = unhex(name + 4, frame, sizeof(frame));

            if (n < 0) {
                fprintf(stderr, "hostile: %s: not hex\n", name);
                status = 2;
                break;
            }
            status |= run_one("raw", frame, (size_t)n, t, &cred, addr, &src,
                              ms, repeat_s);
            continue;
        }
        for (size_t k = 0; k < NATTACKS; k++) {
            const struct attack *a = &attacks[k];
            int rc;

            if (!all && !node && strcmp(a->name, name) != 0)
                continue;
            found = true;
            rc = a->build(&f, frame, sizeof(frame), &len);
            if (rc != GDFS_OK) {
                fprintf(stderr, "hostile: %s: cannot encode: %s\n", a->name,
                        gdfs_strerror(rc));
                status = 2;
                continue;
            }
            if (node && !is_node_message(frame))
                continue;
            status |= run_one(a->name, frame, len, t, &cred, addr, &src, ms,
                              repeat_s);
        }
        if (!found) {
            fprintf(stderr, "hostile: no attack '%s' (hostile --list)\n",
                    name);
            status = 2;
        }
    }
    gdfs_cred_wipe(&cred, sizeof(cred));
    gdfs_transport_free(t);
    return status;
}
