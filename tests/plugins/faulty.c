/* "faulty": a test transport plugin that cuts links on demand.
 *
 * It loads the real tcp plugin and passes everything through, except that
 * a node cannot dial, or send on a connection it dialled, to an address
 * that a rules file blocks for it. gdfs nodes send group messages only on
 * connections they dialled, so blocking A -> B on A and B -> A on B is a
 * partition between them (client connections to a node, as gdfs-cli's,
 * are not affected). Built for the tests only; never installed.
 *
 * INI section [faulty]:
 *   inner_dir = DIR    where tcp.so is (required)
 *   rules = FILE       the rules file (required); it may not exist yet
 * Rules file: one "FROM TO" pair of node addresses (HOST:PORT) per line:
 * the node listening on FROM cannot reach TO. "FROM *" cuts FROM off from
 * everyone. The file is read again whenever it changes. */
#define GDFS_PLUGIN_BUILD
#include "transport.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct faulty {
    const struct gdfs_transport_ops *inner_ops;
    struct gdfs_transport inner;
    void *dl;
    char rules[1024];
    char self[256]; /* the address this node listens on */
    pthread_mutex_t mu;
    struct timespec mtime;
    char *text; /* the rules file's contents */
};

struct fconn {
    struct gdfs_conn inner;
    char dst[256];
};

struct flistener {
    struct gdfs_listener inner;
};

static const struct gdfs_host_api *host;

/* ---- rules --------------------------------------------------------------- */

/* Re-read the rules file if it changed. Under f->mu. */
static void reload(struct faulty *f)
{
    struct stat st;
    FILE *fp;
    long n;

    if (stat(f->rules, &st) != 0) {
        free(f->text);
        f->text = NULL;
        return;
    }
    if (f->text != NULL && st.st_mtim.tv_sec == f->mtime.tv_sec &&
        st.st_mtim.tv_nsec == f->mtime.tv_nsec)
        return;
    fp = fopen(f->rules, "r");
    if (fp == NULL)
        return;
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    free(f->text);
    f->text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    if (f->text != NULL && n > 0 &&
        fread(f->text, 1, (size_t)n, fp) != (size_t)n)
        f->text[0] = '\0';
    fclose(fp);
    f->mtime = st.st_mtim;
}

static bool blocked(struct faulty *f, const char *dst)
{
    bool cut = false;
    char *copy, *line, *save = NULL;

    pthread_mutex_lock(&f->mu);
    reload(f);
    copy = f->text ? strdup(f->text) : NULL;
    pthread_mutex_unlock(&f->mu);
    if (copy == NULL)
        return false;
    for (line = strtok_r(copy, "\n", &save); line && !cut;
         line = strtok_r(NULL, "\n", &save)) {
        char from[256], to[256];

        if (sscanf(line, "%255s %255s", from, to) == 2 &&
            strcmp(from, f->self) == 0 &&
            (strcmp(to, "*") == 0 || strcmp(to, dst) == 0))
            cut = true;
    }
    free(copy);
    return cut;
}

/* ---- transport ----------------------------------------------------------- */

static int f_init(struct gdfs_transport *t)
{
    struct faulty *f = calloc(1, sizeof(*f));
    const char *inner_dir = NULL;
    char path[1100];
    gdfs_transport_entry_fn entry;
    int rc;

    if (f == NULL)
        return GDFS_ENOMEM;
    host = t->host;
    pthread_mutex_init(&f->mu, NULL);
    for (size_t i = 0; i < t->host->nconf; i++) {
        const char *k = t->host->conf_keys[i], *v = t->host->conf_values[i];

        if (strcmp(k, "inner_dir") == 0)
            inner_dir = v;
        else if (strcmp(k, "rules") == 0)
            snprintf(f->rules, sizeof(f->rules), "%s", v);
        else {
            snprintf(t->errmsg, sizeof(t->errmsg), "[faulty] %s: unknown key",
                     k);
            free(f);
            return GDFS_ECONFIG;
        }
    }
    if (inner_dir == NULL || f->rules[0] == '\0') {
        snprintf(t->errmsg, sizeof(t->errmsg),
                 "[faulty] needs inner_dir and rules");
        free(f);
        return GDFS_ECONFIG;
    }
    snprintf(path, sizeof(path), "%s/tcp.so", inner_dir);
    f->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    *(void **)&entry = f->dl ? dlsym(f->dl, GDFS_TRANSPORT_ENTRY_NAME) : NULL;
    f->inner_ops =
        entry ? entry(GDFS_TRANSPORT_ABI, t->errmsg, sizeof(t->errmsg)) : NULL;
    if (f->inner_ops == NULL) {
        snprintf(t->errmsg, sizeof(t->errmsg), "[faulty] cannot load %.200s",
                 path);
        if (f->dl)
            dlclose(f->dl);
        free(f);
        return GDFS_EPLUGIN;
    }
    /* The inner tcp gets an empty section: defaults. */
    f->inner.ops = f->inner_ops;
    f->inner.host = t->host;
    {
        static struct gdfs_host_api empty;

        empty = *t->host;
        empty.nconf = 0;
        f->inner.host = &empty;
    }
    rc = f->inner_ops->init(&f->inner);
    if (rc != GDFS_OK) {
        snprintf(t->errmsg, sizeof(t->errmsg), "%s", f->inner.errmsg);
        dlclose(f->dl);
        free(f);
        return rc;
    }
    t->impl = f;
    return GDFS_OK;
}

static void f_shutdown(struct gdfs_transport *t)
{
    struct faulty *f = t->impl;

    f->inner_ops->shutdown(&f->inner);
    dlclose(f->dl);
    free(f->text);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static int f_listen(struct gdfs_listener *l, const char *addr)
{
    struct faulty *f = l->t->impl;
    struct flistener *fl = calloc(1, sizeof(*fl));
    int rc;

    if (fl == NULL)
        return GDFS_ENOMEM;
    snprintf(f->self, sizeof(f->self), "%s", addr);
    fl->inner.t = &f->inner;
    rc = f->inner_ops->listen(&fl->inner, addr);
    if (rc != GDFS_OK) {
        snprintf(l->errmsg, sizeof(l->errmsg), "%s", fl->inner.errmsg);
        free(fl);
        return rc;
    }
    l->impl = fl;
    return GDFS_OK;
}

static int f_listener_fd(struct gdfs_listener *l)
{
    struct faulty *f = l->t->impl;

    return f->inner_ops->listener_fd(&((struct flistener *)l->impl)->inner);
}

static int f_accept(struct gdfs_listener *l, struct gdfs_conn *c)
{
    struct faulty *f = l->t->impl;
    struct fconn *fc = calloc(1, sizeof(*fc));
    int rc;

    if (fc == NULL)
        return GDFS_ENOMEM;
    fc->inner.t = &f->inner;
    rc = f->inner_ops->accept(&((struct flistener *)l->impl)->inner,
                              &fc->inner);
    if (rc != GDFS_OK) {
        snprintf(l->errmsg, sizeof(l->errmsg), "%s",
                 ((struct flistener *)l->impl)->inner.errmsg);
        free(fc);
        return rc;
    }
    snprintf(c->peer, sizeof(c->peer), "%s", fc->inner.peer);
    c->impl = fc; /* dst stays empty: accepted links are never cut */
    return GDFS_OK;
}

static void f_listener_close(struct gdfs_listener *l)
{
    struct faulty *f = l->t->impl;
    struct flistener *fl = l->impl;

    f->inner_ops->listener_close(&fl->inner);
    free(fl);
    l->impl = NULL;
}

static int f_dial(struct gdfs_conn *c, const char *addr, int timeout_ms)
{
    struct faulty *f = c->t->impl;
    struct fconn *fc;
    int rc;

    if (blocked(f, addr)) {
        snprintf(c->errmsg, sizeof(c->errmsg),
                 "connect %.180s: cut off by the faulty test plugin", addr);
        return GDFS_ENET;
    }
    fc = calloc(1, sizeof(*fc));
    if (fc == NULL)
        return GDFS_ENOMEM;
    fc->inner.t = &f->inner;
    snprintf(fc->dst, sizeof(fc->dst), "%s", addr);
    rc = f->inner_ops->dial(&fc->inner, addr, timeout_ms);
    if (rc != GDFS_OK) {
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", fc->inner.errmsg);
        free(fc);
        return rc;
    }
    snprintf(c->peer, sizeof(c->peer), "%s", addr);
    c->impl = fc;
    return GDFS_OK;
}

static int f_send(struct gdfs_conn *c, const void *buf, size_t len,
                  size_t *nsent)
{
    struct faulty *f = c->t->impl;
    struct fconn *fc = c->impl;
    int rc;

    *nsent = 0;
    if (fc->dst[0] != '\0' && blocked(f, fc->dst)) {
        snprintf(c->errmsg, sizeof(c->errmsg),
                 "send to %.180s: cut off by the faulty test plugin", fc->dst);
        return GDFS_ECLOSED;
    }
    rc = f->inner_ops->send(&fc->inner, buf, len, nsent);
    if (rc != GDFS_OK)
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", fc->inner.errmsg);
    return rc;
}

static int f_recv(struct gdfs_conn *c, void *buf, size_t len, size_t *nread)
{
    struct faulty *f = c->t->impl;
    struct fconn *fc = c->impl;
    int rc = f->inner_ops->recv(&fc->inner, buf, len, nread);

    if (rc != GDFS_OK)
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", fc->inner.errmsg);
    return rc;
}

static int f_events(struct gdfs_conn *c, int want, int *fd, int *mask)
{
    struct faulty *f = c->t->impl;

    return f->inner_ops->events(&((struct fconn *)c->impl)->inner, want, fd,
                                mask);
}

static void f_close(struct gdfs_conn *c)
{
    struct faulty *f = c->t->impl;
    struct fconn *fc = c->impl;

    f->inner_ops->close(&fc->inner);
    free(fc);
    c->impl = NULL;
}

static const struct gdfs_transport_ops faulty_ops = {
    .abi_version = GDFS_TRANSPORT_ABI,
    .name = "faulty",
    .init = f_init,
    .shutdown = f_shutdown,
    .listen = f_listen,
    .listener_fd = f_listener_fd,
    .accept = f_accept,
    .listener_close = f_listener_close,
    .dial = f_dial,
    .send = f_send,
    .recv = f_recv,
    .events = f_events,
    .close = f_close,
};

const struct gdfs_transport_ops *gdfs_transport_entry(unsigned host_abi,
                                                      char *err, size_t errlen)
{
    if ((host_abi >> 16) != GDFS_TRANSPORT_ABI_MAJOR) {
        snprintf(err, errlen, "faulty plugin implements ABI %u.%u",
                 GDFS_TRANSPORT_ABI_MAJOR, GDFS_TRANSPORT_ABI_MINOR);
        return NULL;
    }
    return &faulty_ops;
}
