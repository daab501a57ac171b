/* Transport plugin loader: dlopen <dir>/<name>.so, find the one entry
 * symbol, check the ABI major, initialise the plugin with its INI
 * section. See transport.h for the ABI. */
#define GDFS_LOG_MODULE "transport"
#include "transport.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* Everything one loaded plugin needs, in one allocation-owned block. The
 * transport comes first so that a struct gdfs_transport * is also a
 * struct loaded *. */
struct loaded {
    struct gdfs_transport t;
    struct gdfs_host_api host;
    void *dl;
    size_t nconf;
    char **keys;
    char **values;
    /* Transports attached to this one (a set; see transport.h). */
    size_t nattached;
    struct gdfs_transport *attached[GDFS_TRANSPORT_SET_MAX - 1];
};

static void host_log(int level, const char *fmt, ...)
{
    va_list ap;

    if (level < gdfs_log_min_level)
        return;
    va_start(ap, fmt);
    gdfs_log_vwrite(level, "plugin", fmt, ap);
    va_end(ap);
}

static void free_conf(struct loaded *p)
{
    for (size_t i = 0; i < p->nconf; i++) {
        free(p->keys ? p->keys[i] : NULL);
        free(p->values ? p->values[i] : NULL);
    }
    free(p->keys);
    free(p->values);
}

static int copy_conf(struct loaded *p, size_t n, const char *const *keys,
                     const char *const *values)
{
    p->keys = calloc(n + 1, sizeof(char *));
    p->values = calloc(n + 1, sizeof(char *));
    if (p->keys == NULL || p->values == NULL)
        return GDFS_ENOMEM;
    p->nconf = n;
    for (size_t i = 0; i < n; i++) {
        p->keys[i] = strdup(keys[i]);
        p->values[i] = strdup(values[i]);
        if (p->keys[i] == NULL || p->values[i] == NULL)
            return GDFS_ENOMEM;
    }
    return GDFS_OK;
}

static int valid_name(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
            return 0;
    return 1;
}

int gdfs_transport_new(const char *dir, const char *name, size_t nconf,
                       const char *const *keys, const char *const *values,
                       struct gdfs_transport **out, char *err, size_t errlen)
{
    char path[4096];
    struct loaded *p;
    gdfs_transport_entry_fn entry;
    const struct gdfs_transport_ops *ops;
    char perr[256] = "";
    int rc;

    *out = NULL;
    if (!valid_name(name)) {
        snprintf(err, errlen, "transport plugin name '%s' is not [a-z0-9_]+",
                 name);
        return GDFS_EPLUGIN;
    }
    snprintf(path, sizeof(path), "%s/%s.so", dir, name);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "transport plugin %s: not found or unreadable",
                 path);
        return GDFS_EPLUGIN;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (p->dl == NULL) {
        snprintf(err, errlen, "transport plugin %s: cannot load: %s", path,
                 dlerror());
        rc = GDFS_EPLUGIN;
        goto fail;
    }
    /* POSIX allows this object-to-function pointer conversion for dlsym. */
    *(void **)&entry = dlsym(p->dl, GDFS_TRANSPORT_ENTRY_NAME);
    if (entry == NULL) {
        snprintf(err, errlen, "transport plugin %s: no symbol %s", path,
                 GDFS_TRANSPORT_ENTRY_NAME);
        rc = GDFS_EPLUGIN;
        goto fail;
    }
    ops = entry(GDFS_TRANSPORT_ABI, perr, sizeof(perr));
    if (ops == NULL) {
        snprintf(err, errlen,
                 "transport plugin %s: refused host ABI %u.%u: %s", path,
                 GDFS_TRANSPORT_ABI_MAJOR, GDFS_TRANSPORT_ABI_MINOR, perr);
        rc = GDFS_EPLUGIN;
        goto fail;
    }
    if ((ops->abi_version >> 16) != GDFS_TRANSPORT_ABI_MAJOR) {
        snprintf(err, errlen,
                 "transport plugin %s: ABI %u.%u, but this program needs "
                 "ABI %u.x (%u.%u)",
                 path, ops->abi_version >> 16, ops->abi_version & 0xffff,
                 GDFS_TRANSPORT_ABI_MAJOR, GDFS_TRANSPORT_ABI_MAJOR,
                 GDFS_TRANSPORT_ABI_MINOR);
        rc = GDFS_EPLUGIN;
        goto fail;
    }
    if (ops->name == NULL || strcmp(ops->name, name) != 0 ||
        ops->init == NULL || ops->dial == NULL || ops->send == NULL ||
        ops->recv == NULL || ops->events == NULL || ops->close == NULL ||
        ops->listen == NULL || ops->accept == NULL ||
        ops->listener_fd == NULL || ops->listener_close == NULL) {
        snprintf(err, errlen,
                 "transport plugin %s: ops table incomplete or named '%s'",
                 path, ops->name ? ops->name : "(null)");
        rc = GDFS_EPLUGIN;
        goto fail;
    }
    rc = copy_conf(p, nconf, keys, values);
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    p->host.abi_version = GDFS_TRANSPORT_ABI;
    p->host.log = host_log;
    p->host.nconf = p->nconf;
    p->host.conf_keys = (const char *const *)p->keys;
    p->host.conf_values = (const char *const *)p->values;
    p->t.ops = ops;
    p->t.host = &p->host;
    rc = ops->init(&p->t);
    if (rc != GDFS_OK) {
        snprintf(err, errlen, "transport %s: %s", name, p->t.errmsg);
        goto fail;
    }
    gdfs_log(GDFS_LOG_DEBUG, "loaded %s (ABI %u.%u)", path,
             ops->abi_version >> 16, ops->abi_version & 0xffff);
    *out = &p->t;
    return GDFS_OK;
fail:
    free_conf(p);
    if (p->dl != NULL)
        dlclose(p->dl);
    free(p);
    return rc;
}

void gdfs_transport_free(struct gdfs_transport *t)
{
    struct loaded *p = (struct loaded *)t;

    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nattached; i++)
        gdfs_transport_free(p->attached[i]);
    if (p->t.ops->shutdown != NULL)
        p->t.ops->shutdown(&p->t);
    free_conf(p);
    dlclose(p->dl);
    free(p);
}

int gdfs_transport_attach(struct gdfs_transport *t,
                          struct gdfs_transport *extra, char *err,
                          size_t errlen)
{
    struct loaded *p = (struct loaded *)t;

    if (strcmp(t->ops->name, extra->ops->name) == 0)
        goto dup;
    for (size_t i = 0; i < p->nattached; i++)
        if (strcmp(p->attached[i]->ops->name, extra->ops->name) == 0)
            goto dup;
    if (p->nattached == GDFS_TRANSPORT_SET_MAX - 1) {
        snprintf(err, errlen, "at most %d transports can be loaded at once",
                 GDFS_TRANSPORT_SET_MAX);
        return GDFS_EINVAL;
    }
    p->attached[p->nattached++] = extra;
    return GDFS_OK;
dup:
    snprintf(err, errlen, "transport %s is loaded already", extra->ops->name);
    return GDFS_EINVAL;
}

int gdfs_transport_pick(struct gdfs_transport *t, const char *addr,
                        struct gdfs_transport **out, const char **bare,
                        char *err, size_t errlen)
{
    struct loaded *p = (struct loaded *)t;
    const char *sep = strstr(addr, "://");
    size_t n;

    *out = t;
    *bare = addr;
    if (sep == NULL)
        return GDFS_OK;
    n = (size_t)(sep - addr);
    *bare = sep + 3;
    if (strlen(t->ops->name) == n && strncmp(t->ops->name, addr, n) == 0)
        return GDFS_OK;
    for (size_t i = 0; i < p->nattached; i++) {
        struct gdfs_transport *a = p->attached[i];
        if (strlen(a->ops->name) == n && strncmp(a->ops->name, addr, n) == 0) {
            *out = a;
            return GDFS_OK;
        }
    }
    *bare = addr;
    snprintf(err, errlen,
             "address %s needs the %.*s transport, which is not loaded "
             "(add it to [transport] plugins)",
             addr, (int)(n < 32 ? n : 32), addr);
    return GDFS_EINVAL;
}

int gdfs_transport_attach_config(struct gdfs_transport *t,
                                 const struct gdfs_config *cfg, char *err,
                                 size_t errlen)
{
    for (size_t e = 0; e < cfg->nextra; e++) {
        const struct gdfs_config_plugin *x = &cfg->extra[e];
        const char *keys[GDFS_CONFIG_MAX_PLUGIN_KEYS];
        const char *vals[GDFS_CONFIG_MAX_PLUGIN_KEYS];
        struct gdfs_transport *extra;
        int rc;

        for (size_t i = 0; i < x->nkv; i++) {
            keys[i] = x->kv[i].key;
            vals[i] = x->kv[i].value;
        }
        rc = gdfs_transport_new(cfg->plugin_dir, x->name, x->nkv, keys, vals,
                                &extra, err, errlen);
        if (rc != GDFS_OK)
            return rc;
        rc = gdfs_transport_attach(t, extra, err, errlen);
        if (rc != GDFS_OK) {
            gdfs_transport_free(extra);
            return rc;
        }
    }
    return GDFS_OK;
}
