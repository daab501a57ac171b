/* gdfs-node: one storage node.
 *
 *   gdfs-node -c FILE init            start a new group with this node as
 *                                     its first leader (term 1) and a new
 *                                     group key, then serve
 *   gdfs-node -c FILE join --token T HOST:PORT
 *                                     trade join token T for the group key
 *                                     at the member HOST:PORT, join its
 *                                     group, then serve
 *   gdfs-node -c FILE                 restart a member from its database
 *   gdfs-node -c FILE token --role R  print a new credential (node: a join
 *                                     token; read, write, admin: a client's)
 *   gdfs-node -c FILE revoke ID       revoke credential ID, through this
 *                                     node (which must be running)
 *
 * Start-up is an ordered table of steps, undone in reverse on exit (moosefs
 * RunTab). Exit status: 0 clean stop (SIGTERM/SIGINT), 1 runtime failure,
 * 2 usage or configuration error (bad INI, missing plugin, database of
 * another group or node, data_dir or database open to group or others, a
 * damaged database). */
#define GDFS_LOG_MODULE "node"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "auth/cred.h"
#include "auth/requests.h"
#include "clock.h"
#include "config.h"
#include "hash.h"
#include "log.h"
#include "net.h"
#include "node/dbopts.h"
#include "node/group/grouphost.h"
#include "node/memory.h"
#include "node/records/records.h"
#include "node/records/inventory.h"
#include "node/records/sync.h"
#include "node/server.h"
#include "node/upkeep/orphans.h"
#include "node/upkeep/readrepair.h"
#include "node/upkeep/repair.h"
#include "node/upkeep/scrub.h"
#include "store/checkpoint.h"
#include "store/store.h"
#include "transport.h"

#define EXIT_USAGE 2

struct node {
    const char *config_path;
    int do_init;
    const char *join;       /* seed address with `join` */
    struct gdfs_cred token; /* join's --token (role node) */
    bool has_token;
    struct gdfs_config cfg;
    struct gdfs_store *st; /* the main thread's connection */
    struct gdfs_checkpoint *ckpt;
    struct gdfs_node_state state;
    struct gdfs_server srv;
    struct gdfs_sync *sync;       /* record sync */
    struct gdfs_orphans *orphans; /* orphan copies */
    struct gdfs_memory *mem;      /* the allocator's trimming */
    int stop_pipe[2];
    int exit_code; /* for the failing step: 1 or EXIT_USAGE */
};

static int stop_wr = -1;

static void on_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;

    if (write(stop_wr, &c, 1) < 0) {
        /* Pipe full: a stop is already pending. */
    }
    errno = saved;
}

/* ---- start-up steps ------------------------------------------------------ */

static int step_signals(struct node *n)
{
    struct sigaction sa;

    if (pipe2(n->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        gdfs_log(GDFS_LOG_ERROR, "pipe: %s", strerror(errno));
        return -1;
    }
    stop_wr = n->stop_pipe[1];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    gdfs_net_set_stop_fd(n->stop_pipe[0]);
    n->srv.stop_rd = n->stop_pipe[0];
    return 0;
}

static void undo_signals(struct node *n)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    gdfs_net_set_stop_fd(-1);
    close(n->stop_pipe[0]);
    close(n->stop_pipe[1]);
}

static void undo_store(struct node *n);

/* A database SQLite finds damaged (@why says how): refuse to start on it,
 * naming the file and the way back (README, "A damaged database"). A store
 * that lost pages may have lost a vote, a term or acknowledged copies
 * without knowing it: it must never lead or serve. The group key is
 * kept, so the node needs no join token to come back empty. */
static int damaged(struct node *n, const char *why)
{
    const char *dir = n->cfg.data_dir;

    gdfs_log(GDFS_LOG_ERROR,
             "database %s is damaged (%s); the node will not start on it. "
             "Move the database aside, keeping %s/%s: 'mkdir %s.damaged && "
             "mv %s/%s* %s.damaged/', then start the node empty with "
             "'gdfs-node -c %s join HOST:PORT' (HOST:PORT: another "
             "member); the other members still hold every file (README, "
             "\"A damaged database\")",
             n->srv.db_path, why, dir, GDFS_GROUP_KEY_FILE, dir, dir,
             GDFS_STORE_DB_NAME, dir, n->config_path);
    n->exit_code = EXIT_USAGE;
    return -1;
}

static int step_store(struct node *n)
{
    /* The main connection migrates the schema, before any thread. */
    struct gdfs_store_opts so = gdfs_node_store_opts(&n->cfg, false);
    char err[1024];
    uint64_t t0;
    int rc;

    snprintf(n->srv.db_path, sizeof(n->srv.db_path), "%s/%s", n->cfg.data_dir,
             GDFS_STORE_DB_NAME);
    /* Before the open: SQLite would make new -wal and -shm files with the
     * database's loose mode. (The configuration load checked data_dir.) */
    rc = gdfs_store_check_modes(n->srv.db_path, err, sizeof(err));
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s", err);
        n->exit_code = EXIT_USAGE;
        return -1;
    }
    rc = gdfs_store_open(n->srv.db_path, &so, &n->st, err, sizeof(err));
    if (rc == GDFS_ECORRUPT)
        return damaged(n, err);
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s", err);
        n->exit_code = rc == GDFS_EVERSION ? EXIT_USAGE : 1;
        return -1;
    }
    /* Before any step reads it: quick_check, not integrity_check, whose
     * index-against-table pass costs more than reading the file once. */
    t0 = gdfs_clock_ms();
    rc = gdfs_store_check(n->st, err, sizeof(err));
    if (rc != GDFS_OK) {
        /* A failed step is not undone: close it here. */
        undo_store(n);
        if (rc == GDFS_ECORRUPT)
            return damaged(n, err);
        gdfs_log(GDFS_LOG_ERROR, "%s: %s", n->srv.db_path, err);
        return -1;
    }
    gdfs_log(GDFS_LOG_INFO, "%s passed quick_check in %llu ms", n->srv.db_path,
             (unsigned long long)(gdfs_clock_ms() - t0));
    return 0;
}

static void undo_store(struct node *n)
{
    gdfs_store_close(n->st);
    n->st = NULL;
}

static int step_memory(struct node *n)
{
    if (gdfs_memory_start(&n->mem) != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "no memory for the trimming thread");
        return -1;
    }
    return 0;
}

static void undo_memory(struct node *n)
{
    gdfs_memory_stop(n->mem);
    n->mem = NULL;
}

static int step_checkpoint(struct node *n)
{
    struct gdfs_store_opts so = gdfs_node_store_opts(&n->cfg, true);
    struct gdfs_checkpoint_opts co = {GDFS_CHECKPOINT_START_KIB,
                                      GDFS_CHECKPOINT_CAP_KIB,
                                      GDFS_CHECKPOINT_IDLE_MS};
    char err[1024];

    if (gdfs_checkpoint_start(n->srv.db_path, &so, &co, &n->ckpt, err,
                              sizeof(err)) != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s", err);
        return -1;
    }
    return 0;
}

static void undo_checkpoint(struct node *n)
{
    gdfs_checkpoint_stop(n->ckpt);
    n->ckpt = NULL;
}

/* A random 128-bit group id, hex. */
static int new_group_id(char *out)
{
    uint8_t raw[16];

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -1;
    gdfs_hash_hex(raw, sizeof(raw), out);
    return 0;
}

/* init: make the database belong to a new group; join: check that it
 * belongs to none; restart: check that it belongs to one, as this node. */
static int step_identity(struct node *n)
{
    int rc;

    if (n->do_init) {
        char gid[33];

        if (new_group_id(gid) != 0) {
            gdfs_log(GDFS_LOG_ERROR, "getrandom: %s", strerror(errno));
            return -1;
        }
        /* Term 0: the first election makes it leader in term 1. */
        rc = gdfs_store_init_node(n->st, n->cfg.node_id, gid, n->cfg.advertise,
                                  0);
        if (rc != GDFS_OK) {
            gdfs_log(GDFS_LOG_ERROR, "init: %s%s", gdfs_store_errmsg(n->st),
                     rc == GDFS_EGROUP ? "; start it without 'init'" : "");
            n->exit_code = rc == GDFS_EGROUP ? EXIT_USAGE : 1;
            return -1;
        }
        gdfs_log(GDFS_LOG_NOTICE, "initialised group %s", gid);
    }
    rc = gdfs_store_get_node(n->st, &n->state);
    if (rc == GDFS_ECORRUPT) /* what quick_check cannot see */
        return damaged(n, gdfs_store_errmsg(n->st));
    if (n->join != NULL) {
        if (rc == GDFS_OK) {
            gdfs_log(GDFS_LOG_ERROR,
                     "join: %s already belongs to group %s as node %s; "
                     "restart it without 'join' (or empty data_dir to join "
                     "anew)",
                     n->srv.db_path, n->state.group_id, n->state.node_id);
            n->exit_code = EXIT_USAGE;
            return -1;
        }
        if (rc != GDFS_ENOENT) {
            gdfs_log(GDFS_LOG_ERROR, "%s", gdfs_store_errmsg(n->st));
            return -1;
        }
        snprintf(n->state.node_id, sizeof(n->state.node_id), "%s",
                 n->cfg.node_id);
        return 0;
    }
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR,
                 "%s: %s; start a group with '%s -c %s init' or join one "
                 "with '%s -c %s join HOST:PORT'",
                 n->srv.db_path, gdfs_store_errmsg(n->st), "gdfs-node",
                 n->config_path, "gdfs-node", n->config_path);
        n->exit_code = rc == GDFS_ENOENT ? EXIT_USAGE : 1;
        return -1;
    }
    if (strcmp(n->state.node_id, n->cfg.node_id) != 0) {
        gdfs_log(GDFS_LOG_ERROR,
                 "%s belongs to node '%s', but %s says [node] id = '%s'",
                 n->srv.db_path, n->state.node_id, n->config_path,
                 n->cfg.node_id);
        n->exit_code = EXIT_USAGE;
        return -1;
    }
    return 0;
}

/* The group key: made by init, fetched with the join token by join,
 * loaded on restart; then this node's member credential from it. */
static int step_keys(struct node *n)
{
    struct gdfs_node_state state;
    char err[1024], group[GDFS_NODE_ID_MAX + 1];
    uint8_t gk[GDFS_GROUP_KEY_LEN];
    bool owned = gdfs_store_get_node(n->st, &state) == GDFS_OK;
    int rc;

    n->exit_code = EXIT_USAGE;
    if (owned && (n->do_init || n->join != NULL))
        return 0; /* the identity step refuses: the database has a group */
    if (!owned && !n->do_init && n->join == NULL)
        return 0; /* the identity step says how to start one */
    rc = gdfs_group_key_load(n->cfg.data_dir, gk, err, sizeof(err));
    if (rc == GDFS_ENOENT && owned) {
        gdfs_log(GDFS_LOG_ERROR,
                 "%s belongs to group %s but %s/%s is missing: the database "
                 "was made by a gdfs without authentication (or the key was "
                 "deleted). This gdfs cannot serve it: start a new group on "
                 "an empty data_dir (init, then join with a token) and copy "
                 "the files in with gdfs-cli get/put; see README, "
                 "\"Upgrading\"",
                 n->srv.db_path, state.group_id, n->cfg.data_dir,
                 GDFS_GROUP_KEY_FILE);
        return -1;
    }
    if (rc == GDFS_ENOENT && n->do_init) {
        rc = gdfs_group_key_create(n->cfg.data_dir, NULL, err, sizeof(err));
        if (rc == GDFS_OK)
            rc = gdfs_group_key_load(n->cfg.data_dir, gk, err, sizeof(err));
        if (rc == GDFS_OK)
            gdfs_log(GDFS_LOG_NOTICE, "made a new group key in %s/%s",
                     n->cfg.data_dir, GDFS_GROUP_KEY_FILE);
    } else if (rc == GDFS_ENOENT && n->join != NULL) {
        if (!n->has_token) {
            gdfs_log(GDFS_LOG_ERROR,
                     "join needs a join token: run 'gdfs-node -c FILE token "
                     "--role node' on a member and pass what it prints with "
                     "--token (or --token-file)");
            return -1;
        }
        rc = gdfs_auth_enrol(n->srv.transport, n->join, &n->token,
                             n->cfg.node_id, (int)n->cfg.io_timeout_ms, gk,
                             group, err, sizeof(err));
        if (rc != GDFS_OK) {
            gdfs_log(GDFS_LOG_ERROR, "join: %s", err);
            n->exit_code = rc == GDFS_EAUTH || rc == GDFS_EPERM ? EXIT_USAGE
                                                                : 1;
            return -1;
        }
        rc = gdfs_group_key_create(n->cfg.data_dir, gk, err, sizeof(err));
        if (rc == GDFS_OK)
            gdfs_log(GDFS_LOG_NOTICE,
                     "join token %s accepted by %s: group %s key stored in "
                     "%s/%s",
                     n->token.id, n->join, group, n->cfg.data_dir,
                     GDFS_GROUP_KEY_FILE);
    }
    gdfs_cred_wipe(&n->token, sizeof(n->token));
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s", err);
        gdfs_cred_wipe(gk, sizeof(gk));
        return -1;
    }
    memcpy(n->srv.group_key, gk, sizeof(gk));
    gdfs_cred_make(gk, GDFS_CRED_MEMBER, n->cfg.node_id, &n->srv.self);
    gdfs_cred_wipe(gk, sizeof(gk));
    n->exit_code = 1;
    return 0;
}

static int step_group(struct node *n)
{
    char err[1024];
    int rc = gdfs_grouphost_start(&n->cfg, n->srv.db_path, n->srv.transport,
                                  &n->srv.self,
                                  n->join ? GDFS_GROUPHOST_JOIN
                                          : GDFS_GROUPHOST_RESTART,
                                  n->join, n->stop_pipe[1], &n->srv.group, err,
                                  sizeof(err));

    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s", err);
        n->exit_code = rc == GDFS_EGROUP ? EXIT_USAGE : 1;
        return -1;
    }
    return 0;
}

static void undo_group(struct node *n)
{
    gdfs_grouphost_stop(n->srv.group);
    n->srv.group = NULL;
}

/* The end of a step that started a thread: @err says why it could not. */
static int thread_started(struct node *n, int rc, const char *err)
{
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s", err);
        n->exit_code = 1;
        return -1;
    }
    return 0;
}

static int step_records(struct node *n)
{
    char err[1024];
    int rc = gdfs_records_start(&n->cfg, n->srv.db_path, n->srv.transport,
                                &n->srv.self, n->srv.group, &n->srv.records,
                                err, sizeof(err));

    return thread_started(n, rc, err);
}

static void undo_records(struct node *n)
{
    gdfs_records_stop(n->srv.records);
    n->srv.records = NULL;
}

static int step_sync(struct node *n)
{
    char err[1024];
    int rc = gdfs_sync_start(&n->cfg, n->srv.db_path, n->srv.records,
                             n->srv.group, &n->sync, err, sizeof(err));

    return thread_started(n, rc, err);
}

static int step_orphans(struct node *n)
{
    char err[1024];
    int rc = gdfs_orphans_start(&n->cfg, n->srv.db_path, n->srv.records,
                                n->srv.group, &n->orphans, err, sizeof(err));

    return thread_started(n, rc, err);
}

static void undo_orphans(struct node *n)
{
    gdfs_orphans_stop(n->orphans);
    n->orphans = NULL;
}

static int step_repair(struct node *n)
{
    char err[1024];
    int rc = gdfs_repair_start(&n->cfg, n->srv.db_path, n->srv.records,
                               n->srv.group, n->srv.inventory, &n->srv.repair,
                               err, sizeof(err));

    return thread_started(n, rc, err);
}

static int step_inventory(struct node *n)
{
    char err[1024];
    int rc = gdfs_inventory_start(&n->cfg, n->srv.db_path, n->srv.records,
                                  n->srv.group, &n->srv.inventory, err,
                                  sizeof(err));

    return thread_started(n, rc, err);
}

static void undo_inventory(struct node *n)
{
    gdfs_inventory_stop(n->srv.inventory);
    n->srv.inventory = NULL;
}

static void undo_sync(struct node *n)
{
    gdfs_sync_stop(n->sync);
    n->sync = NULL;
}

static void undo_repair(struct node *n)
{
    gdfs_repair_stop(n->srv.repair);
    n->srv.repair = NULL;
}

static int step_readrepair(struct node *n)
{
    char err[512];

    if (gdfs_readrepair_start(&n->cfg, n->srv.records, &n->srv.readrepair, err,
                              sizeof(err)) != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s", err);
        return -1;
    }
    return 0;
}

static void undo_readrepair(struct node *n)
{
    gdfs_readrepair_stop(n->srv.readrepair);
    n->srv.readrepair = NULL;
}

static int step_scrub(struct node *n)
{
    char err[1024];

    if (gdfs_scrub_start(&n->cfg, n->srv.db_path, n->srv.records, n->srv.group,
                         &n->srv.scrub, err, sizeof(err)) != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s", err);
        return -1;
    }
    return 0;
}

static void undo_scrub(struct node *n)
{
    gdfs_scrub_stop(n->srv.scrub);
    n->srv.scrub = NULL;
}

static int step_recover(struct node *n)
{
    int dropped = 0;
    int rc = gdfs_store_recover(n->st, &dropped);

    if (rc == GDFS_ECORRUPT)
        return damaged(n, gdfs_store_errmsg(n->st));
    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "recover: %s", gdfs_store_errmsg(n->st));
        return -1;
    }
    if (dropped > 0)
        gdfs_log(GDFS_LOG_NOTICE,
                 "dropped %d unfinished put(s) left by an earlier run",
                 dropped);
    return 0;
}

static int step_transport(struct node *n)
{
    const char *keys[GDFS_CONFIG_MAX_PLUGIN_KEYS];
    const char *vals[GDFS_CONFIG_MAX_PLUGIN_KEYS];
    char err[1024];

    for (size_t i = 0; i < n->cfg.nplugin_kv; i++) {
        keys[i] = n->cfg.plugin_kv[i].key;
        vals[i] = n->cfg.plugin_kv[i].value;
    }
    if (gdfs_transport_new(n->cfg.plugin_dir, n->cfg.plugin, n->cfg.nplugin_kv,
                           keys, vals, &n->srv.transport, err,
                           sizeof(err)) != GDFS_OK ||
        gdfs_transport_attach_config(n->srv.transport, &n->cfg, err,
                                     sizeof(err)) != GDFS_OK) {
        gdfs_transport_free(n->srv.transport);
        n->srv.transport = NULL;
        gdfs_log(GDFS_LOG_ERROR, "%s: %s", n->config_path, err);
        n->exit_code = EXIT_USAGE;
        return -1;
    }
    return 0;
}

static void undo_transport(struct node *n)
{
    gdfs_transport_free(n->srv.transport);
    n->srv.transport = NULL;
}

static int step_listen(struct node *n)
{
    int rc = gdfs_listener_open(n->srv.transport, &n->srv.listener,
                                n->cfg.listen);

    if (rc != GDFS_OK) {
        gdfs_log(GDFS_LOG_ERROR, "%s: [node] listen = %s: %s", n->config_path,
                 n->cfg.listen, n->srv.listener.errmsg);
        /* An address that does not parse or resolve is a configuration
         * error; one that is busy or not ours is a runtime failure. */
        n->exit_code = rc == GDFS_EINVAL ? EXIT_USAGE : 1;
        return -1;
    }
    gdfs_log(GDFS_LOG_NOTICE, "listening on %s (%s transport)", n->cfg.listen,
             n->cfg.plugin);
    return 0;
}

static void undo_listen(struct node *n)
{
    gdfs_listener_close(&n->srv.listener);
}

/* Ordered start-up; each row's undo runs in reverse on exit. */
static const struct {
    int (*run)(struct node *);
    void (*undo)(struct node *);
    const char *name;
} steps[] = {
    /* Signals first: a SIGTERM during start-up must reach the stop pipe. */
    {step_signals, undo_signals, "signals"},
    /* Before any thread allocates: the allocator's thresholds. */
    {step_memory, undo_memory, "memory"},
    {step_store, undo_store, "store"},
    /* After the main connection migrated the schema; every later
     * connection's commits feed it. */
    {step_checkpoint, undo_checkpoint, "checkpointer"},
    /* Transport and listener before identity: `init` writes the new group
     * to the database, so everything that can still fail (a missing
     * plugin, a busy port) must fail before it. Clients that connect now
     * wait in the backlog until the server runs. */
    {step_transport, undo_transport, "transport"},
    {step_listen, undo_listen, "listen"},
    /* Before identity: `init` makes the key before the database names a
     * group, `join` fetches it before the group thread dials anyone. */
    {step_keys, NULL, "keys"},
    {step_identity, NULL, "identity"},
    /* Recover only a database we own. */
    {step_recover, NULL, "recover"},
    /* The group thread starts sending at once, so it comes after
     * everything that can refuse to start; every thread below asks it
     * who leads and who is alive. */
    {step_group, undo_group, "group"},
    {step_records, undo_records, "records"},
    /* Hooks into the records layer's commits: stopped before it. */
    /* Uses the records layer (its connections, its view of the leader). */
    {step_sync, undo_sync, "sync"},
    /* Reports to the leader through the records layer; its table is read
     * by the repair thread below, so it outlives that. */
    {step_inventory, undo_inventory, "inventory"},
    /* Asks the leader through the records layer. */
    {step_orphans, undo_orphans, "orphans"},
    /* Uses the records layer (leader checks, rpc, commits) and counts
     * against the inventory's table: after it, stopped before it. */
    {step_repair, undo_repair, "repair"},
    /* Uses the records layer's rpc pool: after it, stopped before it. */
    {step_readrepair, undo_readrepair, "read repair"},
    /* Repairs through the records layer and asks the group who is alive. */
    {step_scrub, undo_scrub, "scrub"},
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gdfs-node -c FILE [COMMAND]\n"
            "  -c FILE            node configuration (INI); see "
            "examples/node.ini\n"
            "commands:\n"
            "  init               start a new group (and its key) with this "
            "node as its leader\n"
            "  join --token T HOST:PORT\n"
            "                     join the group of the member at HOST:PORT "
            "with join token T\n"
            "                     (--token-file F: read T from file F)\n"
            "  token --role R     print a new credential: R = node (a join "
            "token), read,\n"
            "                     write or admin (a client's; see gdfs-cli "
            "--key-file)\n"
            "  revoke ID          revoke credential ID (this node must be "
            "running)\n"
            "  (no command: restart the node from its database)\n"
            "  -h  this help;  -V  version\n");
}

enum command { CMD_SERVE, CMD_TOKEN, CMD_REVOKE };

/* token --role R: a new credential from the group key in data_dir. No
 * database access: it works while the node runs. */
static int cmd_token(const struct gdfs_config *cfg, enum gdfs_cred_role role)
{
    uint8_t gk[GDFS_GROUP_KEY_LEN];
    struct gdfs_cred c;
    char err[1024], line[GDFS_CRED_LINE_MAX + 1];
    int rc = gdfs_group_key_load(cfg->data_dir, gk, err, sizeof(err));

    if (rc != GDFS_OK) {
        fprintf(stderr, "gdfs-node: token: %s%s\n", err,
                rc == GDFS_ENOENT ? " (run it on a member of the group)" : "");
        return EXIT_USAGE;
    }
    rc = gdfs_cred_issue(gk, role, &c);
    gdfs_cred_wipe(gk, sizeof(gk));
    if (rc != GDFS_OK) {
        fprintf(stderr, "gdfs-node: token: no randomness\n");
        return 1;
    }
    gdfs_cred_format(&c, line, sizeof(line));
    printf("%s\n", line);
    gdfs_cred_wipe(line, sizeof(line));
    gdfs_cred_wipe(&c, sizeof(c));
    return fflush(stdout) == 0 ? 0 : 1;
}

/* revoke ID: through this node, with its own admin rights. */
static int cmd_revoke(const struct gdfs_config *cfg, const char *id)
{
    const char *keys[GDFS_CONFIG_MAX_PLUGIN_KEYS];
    const char *vals[GDFS_CONFIG_MAX_PLUGIN_KEYS];
    struct gdfs_transport *t = NULL;
    uint8_t gk[GDFS_GROUP_KEY_LEN];
    struct gdfs_cred admin;
    char err[1024], local[GDFS_CRED_ID_MAX + 1];
    uint64_t version = 0;
    int rc = gdfs_group_key_load(cfg->data_dir, gk, err, sizeof(err));

    if (rc != GDFS_OK) {
        fprintf(stderr, "gdfs-node: revoke: %s\n", err);
        return EXIT_USAGE;
    }
    snprintf(local, sizeof(local), "local.%s", cfg->node_id);
    gdfs_cred_make(gk, GDFS_CRED_ADMIN, local, &admin);
    gdfs_cred_wipe(gk, sizeof(gk));
    for (size_t i = 0; i < cfg->nplugin_kv; i++) {
        keys[i] = cfg->plugin_kv[i].key;
        vals[i] = cfg->plugin_kv[i].value;
    }
    if (gdfs_transport_new(cfg->plugin_dir, cfg->plugin, cfg->nplugin_kv, keys,
                           vals, &t, err, sizeof(err)) != GDFS_OK ||
        gdfs_transport_attach_config(t, cfg, err, sizeof(err)) != GDFS_OK) {
        fprintf(stderr, "gdfs-node: revoke: %s\n", err);
        gdfs_transport_free(t);
        return EXIT_USAGE;
    }
    rc = gdfs_auth_revoke(t, cfg->advertise, &admin, id,
                          (int)cfg->io_timeout_ms, &version, err, sizeof(err));
    gdfs_cred_wipe(&admin, sizeof(admin));
    gdfs_transport_free(t);
    if (rc != GDFS_OK) {
        fprintf(stderr, "gdfs-node: revoke %s: %s\n", id, err);
        return 1;
    }
    printf("revoked %s (record version %llu): members refuse it within "
           "seconds\n",
           id, (unsigned long long)version);
    return 0;
}

/* join's arguments: [--token T | --token=T | --token-file F] HOST:PORT. */
static int parse_join(struct node *n, int argc, char **argv)
{
    const char *tok = NULL, *tokfile = NULL;
    char err[512], host[256], scheme[64];
    uint16_t port;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--token") == 0 && i + 1 < argc)
            tok = argv[++i];
        else if (strncmp(argv[i], "--token=", 8) == 0)
            tok = argv[i] + 8;
        else if (strcmp(argv[i], "--token-file") == 0 && i + 1 < argc)
            tokfile = argv[++i];
        else if (strncmp(argv[i], "--token-file=", 13) == 0)
            tokfile = argv[i] + 13;
        else if (argv[i][0] == '-' || n->join != NULL) {
            fprintf(stderr, "gdfs-node: join: unexpected '%s'\n", argv[i]);
            return EXIT_USAGE;
        } else
            n->join = argv[i];
    }
    if (n->join == NULL) {
        fprintf(stderr, "gdfs-node: join: HOST:PORT of a member is missing\n");
        return EXIT_USAGE;
    }
    if (gdfs_config_parse_addr(n->join, scheme, sizeof(scheme), host,
                               sizeof(host), &port) != GDFS_OK) {
        fprintf(stderr, "gdfs-node: join: '%s' is not [PLUGIN://]HOST:PORT\n",
                n->join);
        return EXIT_USAGE;
    }
    if (tok != NULL && tokfile != NULL) {
        fprintf(stderr,
                "gdfs-node: join: --token or --token-file, not both\n");
        return EXIT_USAGE;
    }
    if (tok == NULL && tokfile == NULL)
        return 0; /* only if data_dir already holds the group key */
    rc = tok != NULL ? gdfs_cred_parse(tok, &n->token, err, sizeof(err))
                     : gdfs_cred_load(tokfile, &n->token, err, sizeof(err));
    if (rc == GDFS_OK && n->token.role != GDFS_CRED_NODE) {
        snprintf(err, sizeof(err),
                 "that is a %s credential, not a join token (make one with "
                 "'gdfs-node -c FILE token --role node' on a member)",
                 gdfs_cred_role_name(n->token.role));
        rc = GDFS_EINVAL;
    }
    if (rc != GDFS_OK) {
        fprintf(stderr, "gdfs-node: join: token: %s\n", err);
        return EXIT_USAGE;
    }
    n->has_token = true;
    return 0;
}

int main(int argc, char **argv)
{
    struct node n;
    char err[1024];
    size_t done = 0;
    int opt, rc = 0;
    enum command cmd = CMD_SERVE;
    enum gdfs_cred_role role = GDFS_CRED_NONE;
    const char *revoke_id = NULL;

    memset(&n, 0, sizeof(n));
    n.exit_code = 1;
    /* '+': options end at the command; the command parses its own. */
    while ((opt = getopt(argc, argv, "+c:hV")) != -1) {
        switch (opt) {
        case 'c':
            n.config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("gdfs-node %s (schema %d, transport ABI %d.%d)\n",
                   PACKAGE_VERSION, gdfs_store_schema_version(),
                   GDFS_TRANSPORT_ABI_MAJOR, GDFS_TRANSPORT_ABI_MINOR);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (n.config_path == NULL) {
        fprintf(stderr, "gdfs-node: -c FILE is required\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (optind < argc) {
        const char *c = argv[optind];

        if (strcmp(c, "init") == 0 && optind + 1 == argc) {
            n.do_init = 1;
        } else if (strcmp(c, "join") == 0) {
            if ((rc = parse_join(&n, argc - optind - 1, argv + optind + 1)) !=
                0)
                return rc;
        } else if (strcmp(c, "token") == 0) {
            cmd = CMD_TOKEN;
            if (optind + 3 == argc && strcmp(argv[optind + 1], "--role") == 0)
                role = gdfs_cred_role_parse(argv[optind + 2]);
            else if (optind + 2 == argc &&
                     strncmp(argv[optind + 1], "--role=", 7) == 0)
                role = gdfs_cred_role_parse(argv[optind + 1] + 7);
            else {
                fprintf(stderr,
                        "gdfs-node: token: --role node|read|write|admin\n");
                return EXIT_USAGE;
            }
            if (role == GDFS_CRED_NONE) {
                fprintf(stderr,
                        "gdfs-node: token: role '%s' unknown (node, "
                        "read, write, admin)\n",
                        argv[argc - 1]);
                return EXIT_USAGE;
            }
        } else if (strcmp(c, "revoke") == 0 && optind + 2 == argc) {
            cmd = CMD_REVOKE;
            revoke_id = argv[optind + 1];
        } else {
            fprintf(stderr, "gdfs-node: unknown command or arguments: '%s'\n",
                    c);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (gdfs_config_load(n.config_path, &n.cfg, 1, err, sizeof(err)) !=
        GDFS_OK) {
        fprintf(stderr, "gdfs-node: %s\n", err);
        return EXIT_USAGE;
    }
    if (cmd != CMD_SERVE) {
        rc = cmd == CMD_TOKEN ? cmd_token(&n.cfg, role)
                              : cmd_revoke(&n.cfg, revoke_id);
        gdfs_config_free(&n.cfg);
        return rc;
    }
    gdfs_log_init(n.cfg.node_id, n.cfg.log_level);
    n.srv.cfg = &n.cfg;
    for (; done < NSTEPS; done++) {
        if (steps[done].run(&n) != 0) {
            gdfs_log(GDFS_LOG_ERROR, "start-up failed at step '%s'",
                     steps[done].name);
            rc = n.exit_code;
            break;
        }
    }
    if (done == NSTEPS) {
        int srv_rc = gdfs_server_run(&n.srv);

        if (srv_rc == GDFS_EBUSY) {
            /* A thread is stuck in a transfer or a commit: leave without
             * pulling the plugin and the configuration from under it.
             * SQLite's WAL keeps the database consistent; an unfinished
             * put is dropped at the next start. */
            gdfs_log(GDFS_LOG_ERROR, "exiting without a clean stop");
            _exit(1);
        }
        if (srv_rc != GDFS_OK)
            rc = 1;
        if (gdfs_grouphost_exit_code(n.srv.group) != 0)
            rc = gdfs_grouphost_exit_code(n.srv.group);
        gdfs_log(GDFS_LOG_NOTICE, "stopping");
    }
    while (done-- > 0)
        if (steps[done].undo != NULL)
            steps[done].undo(&n);
    gdfs_config_free(&n.cfg);
    if (rc == 0)
        gdfs_log(GDFS_LOG_NOTICE, "stopped cleanly");
    return rc;
}
