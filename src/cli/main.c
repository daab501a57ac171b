/* gdfs-cli: the user's tool.
 *
 *   gdfs-cli [-c FILE | -n HOST:PORT] [options] COMMAND ...
 *     put LOCAL NAME        upload (or update: a new version); LOCAL - = stdin
 *     get NAME LOCAL        download; LOCAL - = stdout; --version N for an
 *                           older version
 *     put -r DIR PREFIX, get -r PREFIX DIR, put/get --batch FILE
 *                           many files, -p N in flight (batch.c)
 *     remove NAME           remove a file (commits a tombstone)
 *     locate NAME           which nodes hold NAME
 *     ls                    every file
 *     lshere [HOST:PORT]    files with a replica on that node
 *     versions NAME         kept versions of NAME
 *     status                the node, its group, leader, term, members and
 *                           the group's health
 *     leave                 the node asked leaves its group
 *     forget NODE_ID        remove a failed member for good (admin)
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage or configuration
 * error. status says how the group is: 0 healthy; 3 degraded (files
 * under-replicated, a member suspect, failed or unknown, copies being
 * re-created, or the leader's figures not known); 1 no quorum (the node
 * knows no leader) or the node cannot be reached. Sections: helpers,
 * connection, commands, main. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "auth/channel.h"
#include "auth/requests.h"
#include "cli/output.h"
#include "config.h"
#include "log.h"
#include "net.h"

#define LIST_PAGE 1000

/* ---- helpers ------------------------------------------------------------- */

static int exit_for(int rc)
{
    switch (rc) {
    case GDFS_EINVAL:
    case GDFS_ENAME:
    case GDFS_ECONFIG:
    case GDFS_EPLUGIN:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_FAIL;
    }
}

/* A batch worker's captured messages (NULL: straight to stderr). */
static __thread char *capture_buf;
static __thread size_t capture_cap;

void cli_capture(char *buf, size_t cap)
{
    capture_buf = buf;
    capture_cap = cap;
    if (buf != NULL && cap > 0)
        buf[0] = '\0';
}

/* One message: "gdfs-cli: TEXT" on stderr, or TEXT appended to the
 * capture buffer ("; " between messages). */
static void say(const char *text)
{
    size_t used;

    if (capture_buf == NULL) {
        fprintf(stderr, "gdfs-cli: %s\n", text);
        return;
    }
    used = strlen(capture_buf);
    snprintf(capture_buf + used, capture_cap - used, "%s%s",
             used > 0 ? "; " : "", text);
}

int cli_fail(int rc, const char *fmt, ...)
{
    char text[2048];
    size_t n;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    n = strlen(text);
    snprintf(text + n, sizeof(text) - n, ": %s", gdfs_strerror(rc));
    say(text);
    return exit_for(rc);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("gdfs-cli: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (gdfs-cli --help for usage)\n", stderr);
    return CLI_EXIT_USAGE;
}

const char *cli_name_problem(const char *name)
{
    static __thread char why[96];
    size_t len = strlen(name);

    if (gdfs_proto_check_name((const uint8_t *)name, len) == GDFS_OK)
        return NULL;
    if (len == 0)
        snprintf(why, sizeof(why),
                 "invalid name: empty (names are 1-%d "
                 "bytes)",
                 GDFS_NAME_MAX);
    else if (len > GDFS_NAME_MAX)
        snprintf(why, sizeof(why),
                 "invalid name: %zu bytes long (at most "
                 "%d)",
                 len, GDFS_NAME_MAX);
    else
        snprintf(why, sizeof(why),
                 "invalid name: contains a control "
                 "character (bytes 0x01-0x1f and 0x7f are not allowed)");
    return why;
}

static int check_name(const char *name)
{
    const char *why = cli_name_problem(name);

    return why == NULL ? 0 : usage_error("%s", why);
}

/* ---- connection ---------------------------------------------------------- */

int cli_connect(struct cli *c)
{
    int rc;

    if (c->connected)
        return 0;
    rc = gdfs_channel_dial(c->t, &c->conn, c->addr, c->dial_timeout_ms,
                           &c->cred);
    if (rc != GDFS_OK)
        return cli_fail(rc, "cannot reach node %s: %s", c->addr,
                        c->conn.errmsg);
    c->connected = true;
    return 0;
}

int cli_recv(struct cli *c, struct gdfs_msg *r, const char *what)
{
    int rc = gdfs_net_recv_msg(&c->conn, c->in, c->incap,
                               GDFS_PROTO_MAX_PAYLOAD, c->io_timeout_ms,
                               c->io_timeout_ms, r);

    if (rc != GDFS_OK)
        return cli_fail(rc, "%s: node %s: %s", what, c->addr, c->conn.errmsg);
    if (r->type == GDFS_MSG_NDTOCL_ERROR) {
        rc = (int)r->u.error.status;
        /* The node's message names the operation and the cause. */
        char text[GDFS_ERRMSG_MAX + 1];

        if (r->u.error.msg.len > 0)
            snprintf(text, sizeof(text), "%.*s", (int)r->u.error.msg.len,
                     (const char *)r->u.error.msg.p);
        else
            snprintf(text, sizeof(text), "%s: %s", what, gdfs_strerror(rc));
        say(text);
        return exit_for(rc);
    }
    if (r->reqid != c->reqid)
        return cli_fail(GDFS_EPROTO, "%s: reply to request %u, expected %u",
                        what, r->reqid, c->reqid);
    return 0;
}

int cli_call(struct cli *c, struct gdfs_msg *m, struct gdfs_msg *r,
             const char *what)
{
    int rc = cli_connect(c);

    if (rc != 0)
        return rc;
    if (m->type != GDFS_MSG_CLTOND_PUT_END)
        c->reqid++;
    m->reqid = c->reqid;
    rc = gdfs_net_send_msg(&c->conn, m, c->out, c->outcap, c->io_timeout_ms);
    if (rc != GDFS_OK) {
        /* The node may have answered (refused) before it stopped reading. */
        if (gdfs_net_readable(&c->conn))
            return cli_recv(c, r, what);
        return cli_fail(rc, "%s: node %s: %s", what, c->addr, c->conn.errmsg);
    }
    return cli_recv(c, r, what);
}

/* ---- commands ------------------------------------------------------------ */

static int cmd_remove(struct cli *c, const char *name)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_REMOVE}, r;
    int rc;

    m.u.put.name.p = (const uint8_t *)name;
    m.u.put.name.len = strlen(name);
    if ((rc = cli_call(c, &m, &r, "remove")) != 0)
        return rc;
    if (r.type != GDFS_MSG_NDTOCL_OK)
        return cli_fail(GDFS_EPROTO, "remove: unexpected reply");
    if (c->json) {
        printf("{\"name\": ");
        output_json_string(stdout, (const uint8_t *)name, strlen(name));
        printf(", \"version\": %llu, \"removed\": true}\n",
               (unsigned long long)r.u.ok.version.seq);
    } else {
        printf("removed %s (version %llu)\n", name,
               (unsigned long long)r.u.ok.version.seq);
    }
    return 0;
}

static int cmd_ls(struct cli *c, int scope)
{
    uint8_t after[GDFS_NAME_MAX];
    size_t afterlen = 0;
    int first = 1, rc;
    bool more;

    if (c->json)
        printf("[");
    do {
        struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_LIST}, r;
        struct gdfs_list_entry e;
        size_t off = 0;

        m.u.list.scope = (uint8_t)scope;
        m.u.list.max = LIST_PAGE;
        m.u.list.after.p = after;
        m.u.list.after.len = afterlen;
        if ((rc = cli_call(c, &m, &r, scope ? "lshere" : "ls")) != 0)
            return rc;
        if (r.type != GDFS_MSG_NDTOCL_LIST)
            return cli_fail(GDFS_EPROTO, "ls: unexpected reply");
        more = r.u.list_reply.more;
        while (gdfs_proto_next_list(&r.u.list_reply.body, &off, &e)) {
            if (c->json) {
                printf("%s\n  {\"name\": ", first ? "" : ",");
                output_json_string(stdout, e.name.p, e.name.len);
                printf(", \"size\": %llu, \"version\": %llu, "
                       "\"replicas\": %u}",
                       (unsigned long long)e.size,
                       (unsigned long long)e.version.seq, e.replicas);
            } else {
                printf("%12llu %6llu  ", (unsigned long long)e.size,
                       (unsigned long long)e.version.seq);
                output_raw(stdout, e.name.p, e.name.len);
                putchar('\n');
            }
            first = 0;
            memcpy(after, e.name.p, e.name.len);
            afterlen = e.name.len;
        }
        if (r.u.list_reply.body.count == 0)
            more = false;
    } while (more);
    if (c->json)
        printf("%s]\n", first ? "" : "\n");
    return 0;
}

static int cmd_locate(struct cli *c, const char *name)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_LOCATE}, r;
    struct gdfs_replica_entry e;
    size_t off = 0;
    int rc, first = 1;

    m.u.put.name.p = (const uint8_t *)name;
    m.u.put.name.len = strlen(name);
    if ((rc = cli_call(c, &m, &r, "locate")) != 0)
        return rc;
    if (r.type != GDFS_MSG_NDTOCL_LOCATE)
        return cli_fail(GDFS_EPROTO, "locate: unexpected reply");
    if (c->json) {
        printf("{\"name\": ");
        output_json_string(stdout, (const uint8_t *)name, strlen(name));
        printf(", \"version\": %llu, \"size\": %llu, \"replicas\": [",
               (unsigned long long)r.u.locate_reply.version.seq,
               (unsigned long long)r.u.locate_reply.size);
    } else {
        printf("%s: version %llu, %llu bytes\n", name,
               (unsigned long long)r.u.locate_reply.version.seq,
               (unsigned long long)r.u.locate_reply.size);
    }
    while (gdfs_proto_next_replica(&r.u.locate_reply.body, &off, &e)) {
        if (c->json) {
            printf("%s{\"node\": ", first ? "" : ", ");
            output_json_string(stdout, e.id.p, e.id.len);
            printf(", \"addr\": ");
            output_json_string(stdout, e.addr.p, e.addr.len);
            printf(", \"version\": %llu, \"state\": \"%s\", \"copy\": \"%s\"}",
                   (unsigned long long)e.version.seq,
                   output_state_name(e.state), output_copy_name(e.copy));
        } else {
            printf("  %-16.*s %-24.*s version %-6llu %-8s copy %s\n",
                   (int)e.id.len, (const char *)e.id.p, (int)e.addr.len,
                   (const char *)e.addr.p, (unsigned long long)e.version.seq,
                   output_state_name(e.state), output_copy_name(e.copy));
        }
        first = 0;
    }
    if (c->json)
        printf("]}\n");
    return 0;
}

static int cmd_versions(struct cli *c, const char *name)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_VERSIONS}, r;
    struct gdfs_version_entry e;
    size_t off = 0;
    int rc, first = 1;

    m.u.put.name.p = (const uint8_t *)name;
    m.u.put.name.len = strlen(name);
    if ((rc = cli_call(c, &m, &r, "versions")) != 0)
        return rc;
    if (r.type != GDFS_MSG_NDTOCL_VERSIONS)
        return cli_fail(GDFS_EPROTO, "versions: unexpected reply");
    if (c->json)
        printf("[");
    while (gdfs_proto_next_version(&r.u.versions_reply.body, &off, &e)) {
        if (c->json)
            printf("%s{\"version\": %llu, \"term\": %llu, \"size\": %llu, "
                   "\"removed\": %s}",
                   first ? "" : ", ", (unsigned long long)e.version.seq,
                   (unsigned long long)e.version.term,
                   (unsigned long long)e.size, e.tombstone ? "true" : "false");
        else
            printf("%6llu  %12llu  %s\n", (unsigned long long)e.version.seq,
                   (unsigned long long)e.size, e.tombstone ? "removed" : "");
        first = 0;
    }
    if (c->json)
        printf("]\n");
    return 0;
}

static const char *role_name(int role)
{
    static const char *const names[] = {"follower",  "precandidate",
                                        "candidate", "leader",
                                        "joining",   "removed"};

    return role >= 0 && role <= 5 ? names[role] : "unknown";
}

/* Print the ids of the members whose ring bits include @bit, as a JSON
 * list or space-separated. */
static void ring_list(const struct gdfs_list_body *body, int bit, bool json)
{
    struct gdfs_member_entry e;
    size_t off = 0;
    int first = 1;

    if (json)
        printf("[");
    while (gdfs_proto_next_member(body, &off, &e)) {
        if (!(e.ring & bit))
            continue;
        printf("%s", first ? "" : json ? ", " : " ");
        if (json)
            output_json_string(stdout, e.id.p, e.id.len);
        else
            output_raw(stdout, e.id.p, e.id.len);
        first = 0;
    }
    printf(json ? "]" : first ? "-\n" : "\n");
}

/* What status says of the group (its exit status: 0, 3, 1). */
enum status_health { HEALTHY = 0, DEGRADED, NO_QUORUM };

static const char *const health_names[] = {"healthy", "degraded", "no quorum"};

/* Members that are not left: the most copies a file can have is
 * min(GDFS_REPLICAS, that). */
static unsigned group_members(const struct gdfs_list_body *body)
{
    struct gdfs_member_entry e;
    size_t off = 0;
    unsigned n = 0;

    while (gdfs_proto_next_member(body, &off, &e))
        n += e.state != GDFS_MEMBER_LEFT;
    return n;
}

/* Member @id's disk room in the status reply @r (known false if the
 * reply has none for it). */
static struct gdfs_capacity room_of(const struct gdfs_msg *r,
                                    const struct gdfs_bytes *id)
{
    struct gdfs_capacity_entry e;
    struct gdfs_capacity none = {.known = false};
    size_t off = 0;

    while (
        r->u.status_reply.has_tail &&
        gdfs_proto_next_capacity(&r->u.status_reply.health.capacity, &off, &e))
        if (e.id.len == id->len && memcmp(e.id.p, id->p, id->len) == 0)
            return e.room;
    return none;
}

/* Append ", " (after the first) and the formatted reason to @why. */
static void add_why(char *why, size_t whylen, size_t *used, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));
static void add_why(char *why, size_t whylen, size_t *used, const char *fmt,
                    ...)
{
    va_list ap;
    int n;

    if (*used > 0 && *used + 2 < whylen) {
        memcpy(why + *used, ", ", 3);
        *used += 2;
    }
    if (*used >= whylen)
        return;
    va_start(ap, fmt);
    n = vsnprintf(why + *used, whylen - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = *used + (size_t)n < whylen ? *used + (size_t)n : whylen - 1;
}

/* Judge the reply: no quorum when the node knows no leader (it is then
 * joining, removed, or cut off from a majority); degraded when a member
 * is not alive, files are under-replicated, copies are queued or running,
 * or the leader's figures are not known (it has not finished a pass, or
 * did not answer). The cumulative count of failed copies is not looked
 * at: a copy that keeps failing leaves its file under-replicated, which
 * is. @why gets the reasons. (Not known also while the leader waits for
 * a live member's inventory report.) */
static enum status_health judge(const struct gdfs_msg *r, char *why,
                                size_t whylen)
{
    const struct gdfs_health_figures *h = &r->u.status_reply.health;
    unsigned notalive = 0, full = 0;
    struct gdfs_member_entry e;
    size_t off = 0, used = 0;

    why[0] = '\0';
    if (r->u.status_reply.leader.len == 0) {
        snprintf(why, whylen, "the node knows no leader");
        return NO_QUORUM;
    }
    while (gdfs_proto_next_member(&r->u.status_reply.body, &off, &e)) {
        struct gdfs_capacity room = room_of(r, &e.id);

        notalive += e.state != GDFS_MEMBER_ALIVE &&
                    e.state != GDFS_MEMBER_LEFT;
        /* It takes no new copies: files may stay under-replicated. */
        full += e.state != GDFS_MEMBER_LEFT && !gdfs_capacity_fits(&room, 0);
    }
    if (notalive > 0)
        add_why(why, whylen, &used, "%u member%s not alive", notalive,
                notalive > 1 ? "s" : "");
    if (full > 0)
        add_why(why, whylen, &used, "%u member%s below %s disk reserve", full,
                full > 1 ? "s" : "", full > 1 ? "their" : "its");
    if (r->u.status_reply.has_tail) {
        if (!h->known)
            add_why(why, whylen, &used, "under-replicated files not known");
        else if (h->under > 0)
            add_why(why, whylen, &used, "%u file%s under-replicated", h->under,
                    h->under > 1 ? "s" : "");
        if (h->pending + h->running > 0)
            add_why(why, whylen, &used, "%u cop%s being re-created",
                    h->pending + h->running,
                    h->pending + h->running > 1 ? "ies" : "y");
    }
    return used > 0 ? DEGRADED : HEALTHY;
}

/* The status reply's re-replication and scrub figures (absent from a node
 * that predates them). */
static void print_health(struct cli *c, const struct gdfs_msg *r)
{
    const struct gdfs_health_figures *h = &r->u.status_reply.health;
    const struct gdfs_scrub_figures *sc = &r->u.status_reply.scrub;

    if (!r->u.status_reply.has_tail)
        return;
    if (c->json) {
        if (h->known)
            printf(", \"under_replicated\": %u", h->under);
        else
            printf(", \"under_replicated\": null");
        printf(", \"under_replicated_files\": [");
        for (uint8_t i = 0; i < h->nnames; i++) {
            printf("%s", i ? ", " : "");
            output_json_string(stdout, h->names[i].p, h->names[i].len);
        }
        printf("], \"repair\": {\"pending\": %u, \"running\": %u, "
               "\"done\": %llu, \"failed\": %llu, \"bytes\": %llu}",
               h->pending, h->running, (unsigned long long)h->done,
               (unsigned long long)h->failed, (unsigned long long)h->bytes);
        printf(", \"scrub\": {\"running\": %s, \"passes\": %u, "
               "\"checked\": %llu, \"total\": %llu, \"bad\": %llu, "
               "\"repaired\": %llu}",
               sc->running ? "true" : "false", sc->passes,
               (unsigned long long)sc->checked, (unsigned long long)sc->total,
               (unsigned long long)sc->bad, (unsigned long long)sc->repaired);
        return;
    }
    if (!h->known) {
        printf("under-replicated unknown (no leader answered, or it has not "
               "verified every member's copies yet)\n");
    } else {
        printf("under-replicated %u", h->under);
        for (uint8_t i = 0; i < h->nnames; i++) {
            printf("%s", i ? " " : " (");
            output_raw(stdout, h->names[i].p, h->names[i].len);
        }
        printf("%s\n", h->nnames == 0         ? ""
                       : h->under > h->nnames ? " ...)"
                                              : ")");
    }
    printf("repair           pending %u, running %u, done %llu, failed "
           "%llu, %llu bytes copied\n",
           h->pending, h->running, (unsigned long long)h->done,
           (unsigned long long)h->failed, (unsigned long long)h->bytes);
    if (!sc->running)
        printf("scrub            not running (%u passes done, %llu bad "
               "chunks found, %llu repaired)\n",
               sc->passes, (unsigned long long)sc->bad,
               (unsigned long long)sc->repaired);
    else
        printf("scrub            pass %u: %llu of %llu chunks checked, %llu "
               "bad, %llu repaired\n",
               sc->passes + 1, (unsigned long long)sc->checked,
               (unsigned long long)sc->total, (unsigned long long)sc->bad,
               (unsigned long long)sc->repaired);
}

static int cmd_status(struct cli *c)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_STATUS}, r;
    struct gdfs_member_entry e;
    const struct gdfs_list_body *body;
    enum status_health health;
    unsigned members, want;
    char why[256];
    size_t off = 0;
    int rc, first = 1;

    if ((rc = cli_call(c, &m, &r, "status")) != 0)
        return rc;
    if (r.type != GDFS_MSG_NDTOCL_STATUS)
        return cli_fail(GDFS_EPROTO, "status: unexpected reply");
    body = &r.u.status_reply.body;
#define BS(b) (int)(b).len, (const char *)(b).p
    if (c->json) {
        /* Ids are [A-Za-z0-9._-] and the group hex, but addresses may hold
         * any printable byte: escape every string. */
        printf("{\"node\": ");
        output_json_string(stdout, r.u.status_reply.id.p,
                           r.u.status_reply.id.len);
        printf(", \"group\": ");
        output_json_string(stdout, r.u.status_reply.group.p,
                           r.u.status_reply.group.len);
        printf(", ");
        if (r.u.status_reply.leader.len > 0) {
            printf("\"leader\": ");
            output_json_string(stdout, r.u.status_reply.leader.p,
                               r.u.status_reply.leader.len);
            printf(", ");
        } else {
            printf("\"leader\": null, ");
        }
        printf("\"term\": %llu, \"role\": \"%s\", \"heartbeats_to\": ",
               (unsigned long long)r.u.status_reply.term,
               role_name(r.u.status_reply.role));
        ring_list(body, GDFS_RING_TO, true);
        printf(", \"heartbeats_from\": ");
        ring_list(body, GDFS_RING_FROM, true);
        printf(", \"members\": [");
    } else {
        printf("node             %.*s (%s)\ngroup            %.*s\n"
               "leader           %.*s\nterm             %llu\n",
               BS(r.u.status_reply.id), role_name(r.u.status_reply.role),
               BS(r.u.status_reply.group),
               r.u.status_reply.leader.len ? (int)r.u.status_reply.leader.len
                                           : 1,
               r.u.status_reply.leader.len
                   ? (const char *)r.u.status_reply.leader.p
                   : "-",
               (unsigned long long)r.u.status_reply.term);
        printf("heartbeats to    ");
        ring_list(body, GDFS_RING_TO, false);
        printf("heartbeats from  ");
        ring_list(body, GDFS_RING_FROM, false);
        printf("members\n");
    }
    while (gdfs_proto_next_member(body, &off, &e)) {
        struct gdfs_capacity room = room_of(&r, &e.id);
        char u[32], f[32], rs[32];

        if (c->json) {
            printf("%s{\"id\": ", first ? "" : ", ");
            output_json_string(stdout, e.id.p, e.id.len);
            printf(", \"addr\": ");
            output_json_string(stdout, e.addr.p, e.addr.len);
            printf(", \"state\": \"%s\"", output_state_name(e.state));
            if (room.known)
                printf(", \"used_bytes\": %llu, \"free_bytes\": %llu, "
                       "\"reserve_bytes\": %llu}",
                       (unsigned long long)room.used,
                       (unsigned long long)room.free,
                       (unsigned long long)room.reserve);
            else
                printf(", \"used_bytes\": null, \"free_bytes\": null, "
                       "\"reserve_bytes\": null}");
        } else {
            printf("  %-16.*s %-24.*s %-7s %-8s", BS(e.id), BS(e.addr),
                   output_state_name(e.state),
                   e.id.len == r.u.status_reply.leader.len &&
                           memcmp(e.id.p, r.u.status_reply.leader.p,
                                  e.id.len) == 0
                       ? "(leader)"
                       : "");
            if (room.known)
                printf("  used %9s  free %9s  reserve %9s%s\n",
                       output_size(room.used, u, sizeof(u)),
                       output_size(room.free, f, sizeof(f)),
                       output_size(room.reserve, rs, sizeof(rs)),
                       gdfs_capacity_fits(&room, 0) ? "" : "  (full)");
            else
                printf("  disk room unknown\n");
        }
        first = 0;
    }
#undef BS
    if (c->json)
        printf("]");
    print_health(c, &r);
    health = judge(&r, why, sizeof(why));
    members = group_members(body);
    want = members < GDFS_REPLICAS ? members : GDFS_REPLICAS;
    if (c->json) {
        printf(", \"replica_target\": %u, \"small_group\": %s, "
               "\"health\": \"%s\"",
               want, want < GDFS_REPLICAS ? "true" : "false",
               health_names[health]);
        if (why[0] != '\0') {
            printf(", \"health_why\": ");
            output_json_string(stdout, (const uint8_t *)why, strlen(why));
        }
        printf("}\n");
    } else {
        if (want < GDFS_REPLICAS)
            printf("note             group has only %u member%s: files keep "
                   "%u cop%s, not %d\n",
                   members, members == 1 ? "" : "s", want,
                   want == 1 ? "y" : "ies", GDFS_REPLICAS);
        printf("health           %s%s%s\n", health_names[health],
               why[0] != '\0' ? ": " : "", why);
    }
    return health == HEALTHY    ? 0
           : health == DEGRADED ? CLI_EXIT_DEGRADED
                                : CLI_EXIT_FAIL;
}

static int cmd_leave(struct cli *c)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_LEAVE}, r;
    int rc;

    /* The node hands its copies off (up to 5 minutes), then waits for
     * the group to commit its removal. */
    if (c->io_timeout_ms < 330000)
        c->io_timeout_ms = 330000;
    if ((rc = cli_call(c, &m, &r, "leave")) != 0)
        return rc;
    if (r.type != GDFS_MSG_NDTOCL_OK)
        return cli_fail(GDFS_EPROTO, "leave: unexpected reply");
    if (r.u.ok.version.seq > 0)
        fprintf(stderr,
                "gdfs-cli: leave: warning: %llu files are under-replicated: "
                "no other member could take their copies (a group needs 4 "
                "members for a leaving one's copies to move)\n",
                (unsigned long long)r.u.ok.version.seq);
    if (!c->json)
        printf("node %s left its group\n", c->addr);
    return 0;
}

/* forget NODE_ID: the leader removes a failed member for good now. */
static int cmd_forget(struct cli *c, const char *id)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_FORGET}, r;
    size_t len;
    int rc;

    m.u.drain.id.p = (const uint8_t *)id;
    m.u.drain.id.len = strlen(id);
    /* The codec checks the id as the node will. */
    if (gdfs_proto_encode(&m, c->out, c->outcap, &len) != GDFS_OK)
        return usage_error("forget: '%s' is not a node id (1-%d of "
                           "A-Z a-z 0-9 . _ -)",
                           id, GDFS_NODE_ID_MAX);
    if ((rc = cli_call(c, &m, &r, "forget")) != 0)
        return rc;
    if (r.type != GDFS_MSG_NDTOCL_OK)
        return cli_fail(GDFS_EPROTO, "forget: unexpected reply");
    if (c->json)
        printf("{\"forgotten\": \"%s\", \"members_version\": %llu}\n", id,
               (unsigned long long)r.u.ok.version.seq);
    else
        printf("forgot %s: no longer a member (member set version %llu); "
               "its copies are re-created on the other members\n",
               id, (unsigned long long)r.u.ok.version.seq);
    return 0;
}

/* ---- main ---------------------------------------------------------------- */

/* Long options without a short form. */
enum { OPT_STALE_OK = 256, OPT_KEY_FILE };

/* revoke ID: write the revocation record through the node asked. */
static int cmd_revoke(struct cli *c, const char *id)
{
    char err[1024];
    uint64_t version = 0;
    int rc;

    if (!gdfs_cred_id_valid(id, strlen(id)))
        return usage_error("revoke: '%s' is not a credential id", id);
    rc = gdfs_auth_revoke(c->t, c->addr, &c->cred, id, c->io_timeout_ms,
                          &version, err, sizeof(err));
    if (rc != GDFS_OK)
        return cli_fail(rc, "revoke %s: %s", id, err);
    if (c->json)
        printf("{\"revoked\": \"%s\", \"version\": %llu}\n", id,
               (unsigned long long)version);
    else
        printf("revoked %s (record version %llu): members refuse it within "
               "seconds\n",
               id, (unsigned long long)version);
    return 0;
}

/* The credential every connection proves: --key-file, $GDFS_KEY_FILE, or
 * with -c on a member's host that member's admin rights (from the group
 * key in its data_dir). 0 or an exit status (the cause printed). */
static int load_credential(struct cli *c, const char *key_file,
                           const struct gdfs_config *cfg, bool from_config)
{
    char err[1024], local[GDFS_CRED_ID_MAX + 1];
    uint8_t gk[GDFS_GROUP_KEY_LEN];
    int rc;

    if (key_file == NULL)
        key_file = getenv("GDFS_KEY_FILE");
    if (key_file != NULL && key_file[0] != '\0') {
        rc = gdfs_cred_load(key_file, &c->cred, err, sizeof(err));
        if (rc != GDFS_OK) {
            fprintf(stderr, "gdfs-cli: key file: %s\n", err);
            return CLI_EXIT_USAGE;
        }
        if (c->cred.role == GDFS_CRED_NODE) {
            fprintf(stderr,
                    "gdfs-cli: key file %s: that is a join token "
                    "(for gdfs-node join), not a client credential\n",
                    key_file);
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    if (from_config) {
        rc = gdfs_group_key_load(cfg->data_dir, gk, err, sizeof(err));
        if (rc == GDFS_OK) {
            snprintf(local, sizeof(local), "local.%s", cfg->node_id);
            gdfs_cred_make(gk, GDFS_CRED_ADMIN, local, &c->cred);
            gdfs_cred_wipe(gk, sizeof(gk));
            return 0;
        }
        fprintf(stderr,
                "gdfs-cli: no credential: -c acts with the node's admin "
                "rights only where its group key is readable (%s); else give "
                "--key-file F\n",
                err);
        return CLI_EXIT_USAGE;
    }
    fprintf(stderr,
            "gdfs-cli: no credential: give --key-file F (or set "
            "GDFS_KEY_FILE), or -c node.ini on a member's host; a member "
            "makes one with 'gdfs-node -c FILE token --role "
            "read|write|admin'\n");
    return CLI_EXIT_USAGE;
}

static void usage(FILE *f)
{
    fputs("usage: gdfs-cli [-c FILE | -n HOST:PORT] [options] COMMAND ...\n"
          "commands:\n"
          "  put LOCAL NAME        upload, or update NAME (new version); "
          "LOCAL - reads stdin\n"
          "  get NAME LOCAL        download; LOCAL - writes stdout\n"
          "  put -r LOCALDIR PREFIX  every regular file under LOCALDIR as "
          "PREFIX + its path\n"
          "  get -r PREFIX LOCALDIR  every file named PREFIX... into "
          "LOCALDIR (subdirectories for '/')\n"
          "  put --batch FILE      lines LOCAL<TAB>NAME (FILE - = stdin)\n"
          "  get --batch FILE      lines NAME<TAB>LOCAL (FILE - = stdin)\n"
          "  remove NAME           remove NAME\n"
          "  locate NAME           which nodes hold NAME\n"
          "  ls                    list every file\n"
          "  lshere [HOST:PORT]    list the files held by one node\n"
          "  versions NAME         list the kept versions of NAME\n"
          "  status                node, group, leader, term, ring, "
          "members, health;\n"
          "                        exits 0 healthy, 3 degraded, 1 no "
          "quorum or unreachable\n"
          "  leave                 the node asked leaves its group "
          "gracefully\n"
          "  revoke ID             revoke credential ID (admin)\n"
          "  forget NODE_ID        remove a failed member for good now "
          "(admin)\n"
          "options:\n"
          "  -c, --config FILE     take the node address and transport from "
          "a node's INI file\n"
          "                        (and, on its host, its admin rights)\n"
          "      --key-file F      the credential to connect with (default "
          "$GDFS_KEY_FILE)\n"
          "  -n, --node HOST:PORT  the node to ask (default: $GDFS_NODE)\n"
          "  -j, --json            print JSON (ls, lshere, locate, status, "
          "versions, put)\n"
          "  -v, --version N       get: read version N instead of the newest\n"
          "      --stale-ok        get: without a quorum, read the newest "
          "version a\n"
          "                        reachable replica holds (warns: it may "
          "be stale)\n"
          "  -t, --transport NAME  transport plugin with -n (default tcp)\n"
          "  -P, --plugin-dir DIR  where plugins are (default "
          "$GDFS_PLUGIN_DIR or " GDFS_PLUGIN_DIR ")\n"
          "  -T, --timeout MS      network timeout (default 10000)\n"
          "  -r, --recursive       put/get a directory tree (see above)\n"
          "  -b, --batch FILE      put/get the files FILE lists\n"
          "  -p, --parallel N      transfers in flight with -r/--batch "
          "(1-64, default 8)\n"
          "exit status: 0 success, 1 operation failed, 2 usage or "
          "configuration error;\n"
          "  status: 0 healthy, 3 degraded (under-replicated files, members "
          "suspect,\n"
          "  failed or unknown, copies being re-created), 1 no quorum (no "
          "leader) or\n"
          "  the node cannot be reached\n",
          f);
}

/* Number of operands each command takes: min, max. */
static const struct {
    const char *name;
    int min, max;
} commands[] = {
    {"put", 2, 2},   {"get", 2, 2},    {"remove", 1, 1}, {"locate", 1, 1},
    {"ls", 0, 0},    {"lshere", 0, 1}, {"status", 0, 0}, {"versions", 1, 1},
    {"leave", 0, 0}, {"revoke", 1, 1}, {"forget", 1, 1},
};

static int run(struct cli *c, const char *cmd, char **args)
{
    if ((c->recursive || c->batch != NULL) &&
        (strcmp(cmd, "put") == 0 || strcmp(cmd, "get") == 0))
        return cli_batch(c, strcmp(cmd, "put") == 0, args);
    if (strcmp(cmd, "put") == 0)
        return cli_put(c, args[0], args[1]);
    if (strcmp(cmd, "get") == 0)
        return cli_get(c, args[0], args[1]);
    if (strcmp(cmd, "remove") == 0)
        return cmd_remove(c, args[0]);
    if (strcmp(cmd, "locate") == 0)
        return cmd_locate(c, args[0]);
    if (strcmp(cmd, "ls") == 0)
        return cmd_ls(c, GDFS_LIST_ALL);
    if (strcmp(cmd, "lshere") == 0)
        return cmd_ls(c, GDFS_LIST_HERE);
    if (strcmp(cmd, "versions") == 0)
        return cmd_versions(c, args[0]);
    if (strcmp(cmd, "leave") == 0)
        return cmd_leave(c);
    if (strcmp(cmd, "revoke") == 0)
        return cmd_revoke(c, args[0]);
    if (strcmp(cmd, "forget") == 0)
        return cmd_forget(c, args[0]);
    return cmd_status(c);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"node", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"version", required_argument, NULL, 'v'},
        {"transport", required_argument, NULL, 't'},
        {"plugin-dir", required_argument, NULL, 'P'},
        {"timeout", required_argument, NULL, 'T'},
        {"recursive", no_argument, NULL, 'r'},
        {"batch", required_argument, NULL, 'b'},
        {"parallel", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"stale-ok", no_argument, NULL, OPT_STALE_OK},
        {"key-file", required_argument, NULL, OPT_KEY_FILE},
        {NULL, 0, NULL, 0},
    };
    struct cli c;
    struct gdfs_config cfg;
    const char *config = NULL, *node = NULL, *transport = NULL;
    const char *plugin_dir = NULL, *cmd, *name = NULL, *key_file = NULL;
    const char *keys[GDFS_CONFIG_MAX_PLUGIN_KEYS];
    const char *vals[GDFS_CONFIG_MAX_PLUGIN_KEYS];
    char err[1024];
    uint32_t v;
    int opt, ncmd, nargs, status, timeout = 0;

    memset(&c, 0, sizeof(c));
    c.io_timeout_ms = 10000;
    c.dial_timeout_ms = 3000;
    c.parallel = 8;
    while ((opt = getopt_long(argc, argv, "c:n:jv:t:P:T:rb:p:h", longopts,
                              NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 'n':
            node = optarg;
            break;
        case 'j':
            c.json = true;
            break;
        case 'v':
            if (gdfs_config_parse_u32(optarg, 1, UINT32_MAX, &v) != GDFS_OK)
                return usage_error("--version: '%s' is not a version number",
                                   optarg);
            c.seq = v;
            break;
        case 't':
            transport = optarg;
            break;
        case 'P':
            plugin_dir = optarg;
            break;
        case 'T':
            if (gdfs_config_parse_u32(optarg, 10, 3600000, &v) != GDFS_OK)
                return usage_error("--timeout: '%s' is not 10..3600000 ms",
                                   optarg);
            timeout = (int)v;
            break;
        case 'r':
            c.recursive = true;
            break;
        case 'b':
            c.batch = optarg;
            break;
        case 'p':
            if (gdfs_config_parse_u32(optarg, 1, 64, &v) != GDFS_OK)
                return usage_error("--parallel: '%s' is not 1..64", optarg);
            c.parallel = v;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_STALE_OK:
            c.stale_ok = true;
            break;
        case OPT_KEY_FILE:
            key_file = optarg;
            break;
        default:
            return usage_error("bad option");
        }
    }
    if (optind >= argc)
        return usage_error("no command given");
    cmd = argv[optind];
    nargs = argc - optind - 1;
    for (ncmd = 0; ncmd < (int)(sizeof(commands) / sizeof(commands[0]));
         ncmd++)
        if (strcmp(commands[ncmd].name, cmd) == 0)
            break;
    if (ncmd == (int)(sizeof(commands) / sizeof(commands[0])))
        return usage_error("unknown command '%s'", cmd);
    if (c.recursive || c.batch != NULL) {
        /* put -r DIR PREFIX, get -r PREFIX DIR, put/get --batch FILE */
        if (strcmp(cmd, "put") != 0 && strcmp(cmd, "get") != 0)
            return usage_error("-r and --batch go with put and get");
        if (c.recursive && c.batch != NULL)
            return usage_error("give -r or --batch, not both");
        if (c.seq != 0)
            return usage_error("--version goes with a single get");
        if (nargs != (c.recursive ? 2 : 0))
            return usage_error("%s %s takes %d operand(s), got %d", cmd,
                               c.recursive ? "-r" : "--batch FILE",
                               c.recursive ? 2 : 0, nargs);
    } else if (nargs < commands[ncmd].min || nargs > commands[ncmd].max)
        return usage_error("%s takes %d%s operand(s), got %d", cmd,
                           commands[ncmd].min,
                           commands[ncmd].max > commands[ncmd].min ? " or more"
                                                                   : "",
                           nargs);
    if (c.recursive || c.batch != NULL)
        name = NULL; /* each name is checked as its transfer starts */
    else if (strcmp(cmd, "put") == 0)
        name = argv[optind + 2];
    else if (strcmp(cmd, "get") == 0 || strcmp(cmd, "remove") == 0 ||
             strcmp(cmd, "locate") == 0 || strcmp(cmd, "versions") == 0)
        name = argv[optind + 1];
    if (name != NULL && check_name(name) != 0)
        return CLI_EXIT_USAGE;
    if (c.seq != 0 && strcmp(cmd, "get") != 0)
        return usage_error("--version goes with get");
    if (c.stale_ok && strcmp(cmd, "get") != 0)
        return usage_error("--stale-ok goes with get");
    if (config != NULL && node != NULL)
        return usage_error("give -c FILE or -n HOST:PORT, not both");

    /* Where to connect, and through which transport. */
    if (config != NULL) {
        if (gdfs_config_load(config, &cfg, 0, err, sizeof(err)) != GDFS_OK) {
            fprintf(stderr, "gdfs-cli: %s\n", err);
            return CLI_EXIT_USAGE;
        }
        node = cfg.advertise;
        c.dial_timeout_ms = (int)cfg.dial_timeout_ms;
        c.io_timeout_ms = (int)cfg.io_timeout_ms;
        if (transport != NULL || plugin_dir != NULL) {
            gdfs_config_free(&cfg);
            return usage_error("-t/-P go with -n, not with -c");
        }
    } else {
        gdfs_config_defaults(&cfg);
        if (node == NULL)
            node = getenv("GDFS_NODE");
        if (node == NULL) {
            gdfs_config_free(&cfg);
            return usage_error("no node: give -c FILE or -n HOST:PORT (or "
                               "set GDFS_NODE)");
        }
        if (transport != NULL) {
            free(cfg.plugin);
            cfg.plugin = strdup(transport);
        }
        if (plugin_dir == NULL)
            plugin_dir = getenv("GDFS_PLUGIN_DIR");
        if (plugin_dir != NULL) {
            free(cfg.plugin_dir);
            cfg.plugin_dir = strdup(plugin_dir);
        }
    }
    if (timeout != 0) /* -T wins over the INI's timeouts */
        c.io_timeout_ms = c.dial_timeout_ms = timeout;
    if (strcmp(cmd, "lshere") == 0 && nargs == 1)
        node = argv[optind + 1];
    if (strlen(node) > GDFS_ADDR_MAX) {
        gdfs_config_free(&cfg);
        return usage_error("node address too long");
    }
    snprintf(c.addr, sizeof(c.addr), "%s", node);
    status = load_credential(&c, key_file, &cfg, config != NULL);
    if (status != 0) {
        gdfs_config_free(&cfg);
        return status;
    }
    gdfs_log_init("cli", GDFS_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    c.progress = isatty(STDERR_FILENO) && !c.json;
    for (size_t i = 0; i < cfg.nplugin_kv; i++) {
        keys[i] = cfg.plugin_kv[i].key;
        vals[i] = cfg.plugin_kv[i].value;
    }
    if (gdfs_transport_new(cfg.plugin_dir, cfg.plugin, cfg.nplugin_kv, keys,
                           vals, &c.t, err, sizeof(err)) != GDFS_OK ||
        gdfs_transport_attach_config(c.t, &cfg, err, sizeof(err)) != GDFS_OK) {
        gdfs_transport_free(c.t);
        fprintf(stderr, "gdfs-cli: %s\n", err);
        gdfs_config_free(&cfg);
        return CLI_EXIT_USAGE;
    }
    c.incap = c.outcap = GDFS_PROTO_HDR_LEN + GDFS_PROTO_MAX_PAYLOAD;
    c.in = malloc(c.incap);
    c.out = malloc(c.outcap);
    if (c.in == NULL || c.out == NULL)
        status = cli_fail(GDFS_ENOMEM, "buffers");
    else
        status = run(&c, cmd, argv + optind + 1);
    if (c.connected)
        gdfs_conn_close(&c.conn);
    gdfs_transport_free(c.t);
    gdfs_config_free(&cfg);
    free(c.in);
    free(c.out);
    gdfs_cred_wipe(&c.cred, sizeof(c.cred));
    return status;
}
