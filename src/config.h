/* Node configuration: one INI file -> struct gdfs_config.
 *
 * config.c is the only file that includes iniparser.h. Every value is
 * copied out of the iniparser dictionary, which is freed before
 * gdfs_config_load returns. Unknown sections or keys, bad numbers (parsed in
 * base 10 by us: iniparser would read "042" as octal), out-of-range values,
 * unusable paths and values iniparser would cut short (an unquoted '#' or
 * ';', a trailing comment included: see config.c section 4) are refused
 * with a message that names the file, the key and the reason.
 *
 * Sections and keys (defaults in brackets; see examples/node.ini):
 *   [node]      id (required), listen (required, HOST:PORT), advertise
 *               [= listen], data_dir (required), log_level [info],
 *               max_clients [256] (client connections), max_peers [256]
 *               (connections from members), max_per_source [64] (client
 *               connections from one source address), idle_timeout_ms
 *               [30000]
 *   [transport] plugin [tcp], plugin_dir [$(pkglibdir)],
 *               dial_timeout_ms [3000], io_timeout_ms [10000],
 *               plugins [none]: more plugins to load, a comma list
 *               ("tcp, ssh"), for members whose advertised address names
 *               one ("ssh://host:port"; see gdfs_transport_pick)
 *   [files]     chunk_size [262144], keep_versions [3], sync_interval_s [30],
 *               inventory_interval_ms [60000] (a member reports the
 *               copies it holds to the leader this often, and at start
 *               and when the leader changes), log_keep_entries [10000]
 *               (applied record log entries kept for members a little
 *               behind; one further behind gets the record table),
 *               orphan_age_s [3600],
 *               repair_delay_ms
 *               [30000] (a failed member's copies are re-created after
 *               it has been failed this long), repair_rate_mib_s [100]
 *               (re-replication bandwidth, all copies together; 0 =
 *               unlimited), scrub_rate_mib_s [8] (MiB/s a scrub
 *               reads; 0 = no scrub), scrub_interval_s [86400] (pause
 *               between scrub passes)
 *   [store]     page_size [4096], cache_kib [2048], reserve_mib [5% of
 *               data_dir's filesystem, 8 MiB..4 GiB, at most a quarter of
 *               it] (space kept free: no new copies below it)
 *   [group]     heartbeat_ms [100], suspect_ms [600] (>= 2 heartbeats),
 *               election_ms [700] (timeouts drawn in [e, 2e)), lease_ms
 *               [560] (< election_ms), dead_ms [3600000] (a member failed
 *               this long is removed from the group; 0 = never)
 *   [<plugin>]  a section named like the transport plugin or one listed
 *               in plugins: its keys go to that plugin unchecked here;
 *               the plugin refuses unknown ones.
 * [node] advertise may carry a scheme, "<plugin>://HOST:PORT", naming
 * the plugin or one of plugins: other members dial it with that plugin.
 */
#ifndef GDFS_CONFIG_H
#define GDFS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GDFS_CONFIG_MAX_PLUGIN_KEYS 32
#define GDFS_CONFIG_MAX_EXTRA_PLUGINS 4
/* [store] reserve_mib when the key is not set: above its range. */
#define GDFS_CONFIG_RESERVE_AUTO UINT32_MAX

struct gdfs_config_kv {
    char *key;
    char *value;
};

/* A plugin listed in [transport] plugins, with its own section. */
struct gdfs_config_plugin {
    char *name;
    size_t nkv;
    struct gdfs_config_kv kv[GDFS_CONFIG_MAX_PLUGIN_KEYS];
};

struct gdfs_config {
    char *path; /* the INI file this came from */
    /* [node] */
    char *node_id;
    char *listen;
    char *advertise;
    char *data_dir;
    int log_level; /* GDFS_LOG_* */
    uint32_t max_clients;
    uint32_t max_peers;
    uint32_t max_per_source;
    uint32_t idle_timeout_ms;
    /* [transport] */
    char *plugin;
    char *plugin_dir;
    uint32_t dial_timeout_ms;
    uint32_t io_timeout_ms;
    /* [files] */
    uint32_t chunk_size;
    uint32_t keep_versions;
    uint32_t sync_interval_s; /* leader: compare records with each member */
    uint32_t
        inventory_interval_ms; /* member: report its copies to the leader */
    uint32_t log_keep_entries; /* record log: applied entries kept */
    uint32_t orphan_age_s;     /* uncommitted copies older than this go */
    uint32_t repair_delay_ms;
    uint32_t repair_rate_mib_s;
    uint32_t scrub_rate_mib_s; /* 0: scrub disabled */
    uint32_t scrub_interval_s;
    /* [store] */
    uint32_t page_size;
    uint32_t cache_kib;
    /* Free space this node keeps on data_dir's filesystem, in MiB:
     * placement and the node's own replica writes stay above it. 0 = no
     * reserve; GDFS_CONFIG_RESERVE_AUTO (the key unset) = sized from the
     * filesystem (gdfs_store_room_reserve). */
    uint32_t reserve_mib;
    /* [group] */
    uint32_t heartbeat_ms;
    uint32_t suspect_ms;
    uint32_t election_ms;
    uint32_t lease_ms;
    uint32_t dead_ms;
    /* [<plugin>] section, handed to the transport plugin as is */
    size_t nplugin_kv;
    struct gdfs_config_kv plugin_kv[GDFS_CONFIG_MAX_PLUGIN_KEYS];
    /* [transport] plugins, each with its [<name>] section */
    size_t nextra;
    struct gdfs_config_plugin extra[GDFS_CONFIG_MAX_EXTRA_PLUGINS];
};

/* Read @path into @cfg (which need not be initialised).
 * Returns GDFS_OK, or GDFS_ECONFIG with a message in @err like
 * "node.ini: [node] listen: expected HOST:PORT, got 'x'". On error @cfg
 * holds nothing that needs freeing. @check_data_dir: also require data_dir
 * to exist (or be creatable: mkdir -p, mode 0700), be writable and give no
 * access to group or others (the message says "chmod 700"). */
int gdfs_config_load(const char *path, struct gdfs_config *cfg,
                     int check_data_dir, char *err, size_t errlen);

/* Fill @cfg with defaults only (no file); used by the CLI with -n. Strings
 * that have no default stay NULL. */
void gdfs_config_defaults(struct gdfs_config *cfg);

/* Free what gdfs_config_load or gdfs_config_defaults allocated. */
void gdfs_config_free(struct gdfs_config *cfg);

/* Parse an unsigned decimal number in [min, max] from @s: digits only, no
 * sign, no spaces, no base prefix ("042" is forty-two). GDFS_EINVAL on
 * anything else or out of range. */
int gdfs_config_parse_u32(const char *s, uint32_t min, uint32_t max,
                          uint32_t *out);

/* Split "HOST:PORT" (HOST may be "[v6]") into @host (NUL-terminated,
 * brackets removed) and @port. GDFS_EINVAL if malformed or port not in
 * 1..65535. */
int gdfs_config_parse_hostport(const char *s, char *host, size_t hostlen,
                               uint16_t *port);

/* A node address: "HOST:PORT" as gdfs_config_parse_hostport, optionally
 * behind a transport scheme, "ssh://HOST:PORT". @scheme gets the scheme
 * ("" if none: the default transport); it must be a plugin name (1..32 of
 * a-z 0-9 _). GDFS_EINVAL if malformed or @schemelen is too small. */
int gdfs_config_parse_addr(const char *s, char *scheme, size_t schemelen,
                           char *host, size_t hostlen, uint16_t *port);

#endif
