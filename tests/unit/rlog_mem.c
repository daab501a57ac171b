/* In-memory storage for the record log's tests (rlog_mem.h). A broken
 * call from the module is a bug in it: abort with a message. */
#include "rlog_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "%s:%d: rlog io misused: %s\n", __FILE__,         \
                    __LINE__, #c);                                            \
            abort();                                                          \
        }                                                                     \
    } while (0)
#define CHECK_EQ(a, b) CHECK((a) == (b))

uint64_t mem_last(const struct store *s)
{
    return s->snap_index + s->n;
}

uint64_t mem_mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * UINT64_C(0x100000001b3) + 7;
}

static int io_term_at(void *ctx, uint64_t index, uint64_t *term)
{
    struct store *s = ctx;
    CHECK(index > s->snap_index && index <= mem_last(s));
    *term = s->e[index - s->snap_index - 1].term;
    return GDFS_OK;
}

static int io_append(void *ctx, const struct gdfs_rlog_entry *e, size_t n)
{
    struct store *s = ctx;
    if (s->fail_append > 0) {
        s->fail_append--;
        return GDFS_EIO;
    }
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(e[i].index, mem_last(s) + 1);
        CHECK_EQ(e[i].len, sizeof(uint64_t));
        CHECK(s->n < MAXLOG);
        s->e[s->n].term = e[i].term;
        memcpy(&s->e[s->n].val, e[i].data, sizeof(uint64_t));
        s->n++;
    }
    return GDFS_OK;
}

static int io_truncate_from(void *ctx, uint64_t index)
{
    struct store *s = ctx;
    CHECK(index > s->snap_index && index <= mem_last(s));
    s->n = index - s->snap_index - 1;
    s->truncations++;
    return GDFS_OK;
}

static int io_read(void *ctx, uint64_t from, size_t max_bytes,
                   struct gdfs_rlog_entry *out, size_t max, size_t *n)
{
    struct store *s = ctx;
    size_t bytes = 0;
    CHECK(from > s->snap_index && from <= mem_last(s));
    *n = 0;
    for (uint64_t i = from; i <= mem_last(s) && *n < max; i++) {
        const struct ent *e = &s->e[i - s->snap_index - 1];
        if (*n > 0 && bytes + sizeof(e->val) > max_bytes)
            break;
        out[*n].index = i;
        out[*n].term = e->term;
        out[*n].data = &e->val;
        out[*n].len = sizeof(e->val);
        bytes += sizeof(e->val);
        (*n)++;
    }
    return GDFS_OK;
}

static int io_apply(void *ctx, const struct gdfs_rlog_entry *e, size_t n)
{
    struct store *s = ctx;

    for (size_t i = 0; i < n; i++) {
        struct ent x;
        x.term = e[i].term;
        memcpy(&x.val, e[i].data, sizeof(x.val));
        s->hash = mem_mix(s->hash, x.val);
        if (s->on_apply)
            s->on_apply(s, e[i].index, &x);
    }
    return GDFS_OK;
}

static void drop_through(struct store *s, uint64_t index)
{
    uint64_t k = index - s->snap_index;
    memmove(s->e, s->e + k, (s->n - k) * sizeof(s->e[0]));
    s->n -= k;
}

static int io_snapshot(void *ctx, uint64_t index, uint64_t term)
{
    struct store *s = ctx;
    CHECK(index > s->snap_index && index <= mem_last(s));
    drop_through(s, index);
    s->snap_index = index;
    s->snap_term = term;
    s->snap_hash = s->hash;
    return GDFS_OK;
}

static int io_install(void *ctx, uint64_t index, uint64_t term, bool keep)
{
    struct store *s = ctx;
    if (keep)
        drop_through(s, index);
    else
        s->n = 0;
    s->snap_index = index;
    s->snap_term = term;
    s->snap_hash = s->pending_hash;
    s->hash = s->pending_hash;
    return GDFS_OK;
}

struct gdfs_rlog_io mem_io(struct store *s)
{
    struct gdfs_rlog_io io = {
        .ctx = s,
        .term_at = io_term_at,
        .append = io_append,
        .truncate_from = io_truncate_from,
        .read = io_read,
        .apply = io_apply,
        .snapshot = io_snapshot,
        .install = io_install,
    };
    return io;
}

int mem_open(struct gdfs_rlog *l, struct store *s,
             const struct gdfs_rlog_cfg *cfg, uint64_t applied)
{
    struct gdfs_rlog_io io = mem_io(s);
    struct gdfs_rlog_disk d = {
        .snap_index = s->snap_index,
        .snap_term = s->snap_term,
        .last_index = mem_last(s),
        .last_term = s->n ? s->e[s->n - 1].term : s->snap_term,
    };
    return gdfs_rlog_init(l, cfg, &io, &d, applied);
}
