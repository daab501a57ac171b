/* THE transport plugin ABI.
 *
 * A transport plugin is a shared object (<plugin_dir>/<name>.so) that
 * exports exactly one symbol, GDFS_TRANSPORT_ENTRY_NAME, a function of type
 * gdfs_transport_entry_fn. The host (gdfs-node, gdfs-cli, unit tests)
 * passes its ABI version and a table of host services in; the plugin
 * returns a const table of operations out (the shape of SQLite's VFS and
 * glusterfs' xlator_api). A plugin includes only this header, libc and its
 * own libraries: it never links against gdfs code.
 *
 * The plugin moves bytes and nothing else: it never sees gdfs messages.
 *
 * Versioning: abi_version = major << 16 | minor. The loader refuses a
 * plugin whose major differs from the host's, naming both versions. The
 * ops table only grows at its end; members added in a later minor are
 * marked ("members below: ABI 1.1") and may be NULL in older plugins.
 *
 * Threads: a transport instance may be used from several threads at once
 * (listen, dial); a connection is used by one thread at a time.
 *
 * Errors: every op returns GDFS_OK or a GDFS_* code from err.h, and puts a
 * human-readable reason into the object's errmsg. GDFS_EAGAIN means "not
 * now": wait for the fd/direction that ->events reports, then call again.
 */
#ifndef GDFS_TRANSPORT_H
#define GDFS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GDFS_TRANSPORT_ABI_MAJOR 1
#define GDFS_TRANSPORT_ABI_MINOR 1
#define GDFS_TRANSPORT_ABI                                                    \
    ((GDFS_TRANSPORT_ABI_MAJOR << 16) | GDFS_TRANSPORT_ABI_MINOR)
#define GDFS_TRANSPORT_ENTRY_NAME "gdfs_transport_entry"
#define GDFS_TRANSPORT_ERRMSG 256

/* Direction bits for ->events. */
#define GDFS_EV_READ 1
#define GDFS_EV_WRITE 2

/* Services the host lends to a plugin. Valid from entry until shutdown. */
struct gdfs_host_api {
    unsigned abi_version; /* the host's GDFS_TRANSPORT_ABI */
    /* Log a line through the host's logger (level: 0 debug .. 4 error). */
    void (*log)(int level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
    /* The plugin's own INI section ([<name>]) as key/value pairs, keys in
     * lower case. The strings belong to the host. */
    size_t nconf;
    const char *const *conf_keys;
    const char *const *conf_values;
};

/* A transport instance. Caller-allocated; the plugin owns *impl. */
struct gdfs_transport {
    const struct gdfs_transport_ops *ops;
    const struct gdfs_host_api *host;
    void *impl;
    char errmsg[GDFS_TRANSPORT_ERRMSG];
};

/* A listening endpoint. Caller-allocated; the plugin owns *impl. */
struct gdfs_listener {
    struct gdfs_transport *t;
    void *impl;
    char errmsg[GDFS_TRANSPORT_ERRMSG];
};

/* A connection (dialled or accepted). Caller-allocated; the plugin owns
 * *impl. peer is filled by the plugin (printable, for logs). */
struct gdfs_conn {
    struct gdfs_transport *t;
    void *impl;
    char peer[96];
    char errmsg[GDFS_TRANSPORT_ERRMSG];
};

struct gdfs_transport_ops {
    unsigned abi_version; /* GDFS_TRANSPORT_ABI the plugin was built for */
    const char *name;     /* "tcp", "ssh": equal to the .so's base name */

    /* Set up t->impl from t->host (its INI section). Unknown or bad keys:
     * GDFS_ECONFIG naming the key. */
    int (*init)(struct gdfs_transport *t);
    /* Free everything init allocated. Connections and listeners are
     * closed before. */
    void (*shutdown)(struct gdfs_transport *t);

    /* Listen on @addr ("HOST:PORT"). l->t is set by the caller. No
     * reference to @addr is kept. */
    int (*listen)(struct gdfs_listener *l, const char *addr);
    /* The fd to poll for readability before ->accept. */
    int (*listener_fd)(struct gdfs_listener *l);
    /* Accept one connection into @c (c->t set by the caller). Never
     * blocks: GDFS_EAGAIN when none is pending. */
    int (*accept)(struct gdfs_listener *l, struct gdfs_conn *c);
    void (*listener_close)(struct gdfs_listener *l);

    /* Connect to @addr ("HOST:PORT"), blocking at most @timeout_ms. c->t
     * is set by the caller. The connection is non-blocking afterwards. */
    int (*dial)(struct gdfs_conn *c, const char *addr, int timeout_ms);
    /* Send up to @len bytes; *nsent gets how many were taken (possibly 0
     * with GDFS_EAGAIN). GDFS_ECLOSED if the peer is gone. Never blocks. */
    int (*send)(struct gdfs_conn *c, const void *buf, size_t len,
                size_t *nsent);
    /* Receive up to @len bytes; *nread > 0 with GDFS_OK, GDFS_EAGAIN when
     * nothing is there yet, GDFS_ECLOSED at orderly end of stream. Never
     * blocks. */
    int (*recv)(struct gdfs_conn *c, void *buf, size_t len, size_t *nread);
    /* Which fd to poll, and for which direction(s) (GDFS_EV_*), before
     * retrying the operation that returned GDFS_EAGAIN (@want: the
     * direction of that operation; a plugin may need the other one, as
     * a TLS or SSH layer does). */
    int (*events)(struct gdfs_conn *c, int want, int *fd, int *mask);
    /* Close and free c->impl. */
    void (*close)(struct gdfs_conn *c);

    /* Members below: ABI 1.1; read them only when the table's
     * abi_version minor is >= 1 (older plugins' tables end above). */

    /* 1 if bytes the plugin already holds can be read now without waiting
     * for the fd (a layer that decrypts ahead); NULL means never. */
    int (*pending)(struct gdfs_conn *c);
};

/* Does @ops have the ABI 1.1 members? */
#define GDFS_TRANSPORT_HAS_1_1(ops) (((ops)->abi_version & 0xffffu) >= 1)

/* The one symbol a plugin exports. Returns its ops table (static, const),
 * or NULL with a reason in @err if @host_abi has a major it cannot serve. */
typedef const struct gdfs_transport_ops *(*gdfs_transport_entry_fn)(
    unsigned host_abi, char *err, size_t errlen);

#ifdef GDFS_PLUGIN_BUILD
/* What each plugin defines (and the only symbol it exports). */
__attribute__((visibility("default"))) const struct gdfs_transport_ops *
gdfs_transport_entry(unsigned host_abi, char *err, size_t errlen);
#endif

/* ======================================================================
 * Host side: the plugin loader and the call wrappers. Plugins do not use
 * what follows.
 * ====================================================================== */
#ifndef GDFS_PLUGIN_BUILD

/* Load <@dir>/<@name>.so, check its ABI, and initialise a transport with
 * the @nconf key/value pairs of its INI section (strings copied).
 * Returns GDFS_OK and *out (free with gdfs_transport_free), or
 * GDFS_EPLUGIN (missing file, missing symbol, ABI mismatch: @err names the
 * file and both versions) or the plugin's init error (GDFS_ECONFIG...). */
int gdfs_transport_new(const char *dir, const char *name, size_t nconf,
                       const char *const *keys, const char *const *values,
                       struct gdfs_transport **out, char *err, size_t errlen);

/* Shut the plugin down and unload it, and every transport attached to
 * it. NULL is fine. */
void gdfs_transport_free(struct gdfs_transport *t);

/* Transport sets (mixed groups). A member's address may name the
 * transport to dial it with: "ssh://HOST:PORT", "tcp://HOST:PORT"; a bare
 * "HOST:PORT" means the node's own ([transport] plugin). The host loads
 * that plugin (gdfs_transport_new) and attaches the others it lists in
 * [transport] plugins; gdfs_conn_dial picks among them by scheme. */

/* Attach @extra to @t: ownership passes to @t (freed with it). At most
 * GDFS_TRANSPORT_SET_MAX transports in all. GDFS_EINVAL if full or if one
 * with the same name is there already (@err says which). */
#define GDFS_TRANSPORT_SET_MAX 5
int gdfs_transport_attach(struct gdfs_transport *t,
                          struct gdfs_transport *extra, char *err,
                          size_t errlen);

/* Pick the transport for @addr among @t and those attached to it: by
 * @addr's scheme, or @t itself when it has none. *@bare points into
 * @addr past the scheme. GDFS_OK, or GDFS_EINVAL with @err naming the
 * address when its scheme names no loaded transport. */
int gdfs_transport_pick(struct gdfs_transport *t, const char *addr,
                        struct gdfs_transport **out, const char **bare,
                        char *err, size_t errlen);

/* Load each plugin of @cfg's [transport] plugins (from its plugin_dir,
 * with its own INI section) and attach it to @t. GDFS_OK, or the first
 * failure as gdfs_transport_new reports it (@err names the plugin). */
struct gdfs_config;
int gdfs_transport_attach_config(struct gdfs_transport *t,
                                 const struct gdfs_config *cfg, char *err,
                                 size_t errlen);

/* Call wrappers. None of them runs a callback. */

/* Dial @addr ("[scheme://]HOST:PORT") with the transport gdfs_transport_pick
 * chooses among @t and those attached to it. */
static inline int gdfs_conn_dial(struct gdfs_transport *t, struct gdfs_conn *c,
                                 const char *addr, int timeout_ms)
{
    const char *bare;
    int rc;

    c->t = t;
    c->impl = NULL;
    c->peer[0] = c->errmsg[0] = '\0';
    rc = gdfs_transport_pick(t, addr, &c->t, &bare, c->errmsg,
                             sizeof(c->errmsg));
    if (rc != GDFS_OK)
        return rc;
    return c->t->ops->dial(c, bare, timeout_ms);
}

static inline int gdfs_conn_send(struct gdfs_conn *c, const void *buf,
                                 size_t len, size_t *nsent)
{
    return c->t->ops->send(c, buf, len, nsent);
}

static inline int gdfs_conn_recv(struct gdfs_conn *c, void *buf, size_t len,
                                 size_t *nread)
{
    return c->t->ops->recv(c, buf, len, nread);
}

static inline int gdfs_conn_events(struct gdfs_conn *c, int want, int *fd,
                                   int *mask)
{
    return c->t->ops->events(c, want, fd, mask);
}

static inline void gdfs_conn_close(struct gdfs_conn *c)
{
    if (c->impl != NULL)
        c->t->ops->close(c);
    c->impl = NULL;
}

static inline int gdfs_listener_open(struct gdfs_transport *t,
                                     struct gdfs_listener *l, const char *addr)
{
    l->t = t;
    l->impl = NULL;
    l->errmsg[0] = '\0';
    return t->ops->listen(l, addr);
}

static inline int gdfs_listener_accept(struct gdfs_listener *l,
                                       struct gdfs_conn *c)
{
    c->t = l->t;
    c->impl = NULL;
    c->peer[0] = c->errmsg[0] = '\0';
    return l->t->ops->accept(l, c);
}

static inline void gdfs_listener_close(struct gdfs_listener *l)
{
    if (l->impl != NULL)
        l->t->ops->listener_close(l);
    l->impl = NULL;
}

#endif /* GDFS_PLUGIN_BUILD */
#endif /* GDFS_TRANSPORT_H */
