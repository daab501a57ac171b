/* Big-endian put/get on a byte cursor (the shape of moosefs datapack.h).
 *
 * Both cursors are "sticky": the first access that would go past the end
 * sets @bad and every later access does nothing (gets return 0 / NULL), so a
 * decoder can read a whole message and test @bad once at the end. Nothing
 * here allocates, and no access ever touches a byte outside [p, p + len).
 *
 * Used only by the protocol code in src/proto/. */
#ifndef GDFS_PACK_H
#define GDFS_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- reader -------------------------------------------------------------- */

struct gdfs_pack_reader {
    const uint8_t *p; /* start of the input; not owned */
    size_t len;       /* bytes at @p */
    size_t off;       /* next byte to read */
    bool bad;         /* a read went past the end */
};

static inline void gdfs_pack_reader_init(struct gdfs_pack_reader *r,
                                         const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->bad = false;
}

/* Bytes not yet read (0 once @bad is set). */
static inline size_t gdfs_pack_left(const struct gdfs_pack_reader *r)
{
    return r->bad ? 0 : r->len - r->off;
}

/* True, and marks the reader bad, unless @n more bytes are present. */
static inline bool gdfs_pack_short(struct gdfs_pack_reader *r, size_t n)
{
    if (r->bad || r->len - r->off < n) {
        r->bad = true;
        return true;
    }
    return false;
}

static inline uint8_t gdfs_pack_get_u8(struct gdfs_pack_reader *r)
{
    if (gdfs_pack_short(r, 1))
        return 0;
    return r->p[r->off++];
}

static inline uint16_t gdfs_pack_get_u16(struct gdfs_pack_reader *r)
{
    const uint8_t *q;

    if (gdfs_pack_short(r, 2))
        return 0;
    q = r->p + r->off;
    r->off += 2;
    return (uint16_t)((unsigned)q[0] << 8 | (unsigned)q[1]);
}

static inline uint32_t gdfs_pack_get_u32(struct gdfs_pack_reader *r)
{
    const uint8_t *q;

    if (gdfs_pack_short(r, 4))
        return 0;
    q = r->p + r->off;
    r->off += 4;
    return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 |
           (uint32_t)q[3];
}

static inline uint64_t gdfs_pack_get_u64(struct gdfs_pack_reader *r)
{
    uint64_t hi = gdfs_pack_get_u32(r);
    uint64_t lo = gdfs_pack_get_u32(r);

    return hi << 32 | lo;
}

/* Pointer to the next @n bytes (inside the input, same lifetime), or NULL
 * when fewer than @n remain. @n == 0 yields a valid pointer too, as long as
 * the input pointer is not NULL. */
static inline const uint8_t *gdfs_pack_get_bytes(struct gdfs_pack_reader *r,
                                                 size_t n)
{
    const uint8_t *q;

    if (gdfs_pack_short(r, n) || r->p == NULL)
        return NULL;
    q = r->p + r->off;
    r->off += n;
    return q;
}

/* Copy the next @n bytes into @dst (zero-filled when short). */
static inline void gdfs_pack_get_copy(struct gdfs_pack_reader *r, void *dst,
                                      size_t n)
{
    const uint8_t *q = gdfs_pack_get_bytes(r, n);

    if (q != NULL)
        memcpy(dst, q, n);
    else
        memset(dst, 0, n);
}

/* ---- writer -------------------------------------------------------------- */

struct gdfs_pack_writer {
    uint8_t *p; /* output buffer; not owned */
    size_t cap; /* bytes at @p */
    size_t off; /* next byte to write */
    bool bad;   /* a write did not fit */
};

static inline void gdfs_pack_writer_init(struct gdfs_pack_writer *w,
                                         uint8_t *p, size_t cap, size_t off)
{
    w->p = p;
    w->cap = cap;
    w->off = off;
    w->bad = off > cap;
}

/* True, and marks the writer bad, unless @n more bytes fit. */
static inline bool gdfs_pack_full(struct gdfs_pack_writer *w, size_t n)
{
    if (w->bad || w->cap - w->off < n) {
        w->bad = true;
        return true;
    }
    return false;
}

static inline void gdfs_pack_put_u8(struct gdfs_pack_writer *w, uint8_t v)
{
    if (gdfs_pack_full(w, 1))
        return;
    w->p[w->off++] = v;
}

static inline void gdfs_pack_put_u16(struct gdfs_pack_writer *w, uint16_t v)
{
    if (gdfs_pack_full(w, 2))
        return;
    w->p[w->off++] = (uint8_t)(v >> 8);
    w->p[w->off++] = (uint8_t)v;
}

static inline void gdfs_pack_put_u32(struct gdfs_pack_writer *w, uint32_t v)
{
    if (gdfs_pack_full(w, 4))
        return;
    w->p[w->off++] = (uint8_t)(v >> 24);
    w->p[w->off++] = (uint8_t)(v >> 16);
    w->p[w->off++] = (uint8_t)(v >> 8);
    w->p[w->off++] = (uint8_t)v;
}

static inline void gdfs_pack_put_u64(struct gdfs_pack_writer *w, uint64_t v)
{
    if (gdfs_pack_full(w, 8))
        return;
    gdfs_pack_put_u32(w, (uint32_t)(v >> 32));
    gdfs_pack_put_u32(w, (uint32_t)v);
}

/* @src may be NULL when @n is 0. */
static inline void gdfs_pack_put_bytes(struct gdfs_pack_writer *w,
                                       const void *src, size_t n)
{
    if (gdfs_pack_full(w, n))
        return;
    if (n > 0)
        memcpy(w->p + w->off, src, n);
    w->off += n;
}

/* Overwrite bytes already written (count and length patches); @p points at
 * a field inside the written part of the buffer. */
static inline void gdfs_pack_patch_u8(uint8_t *p, uint8_t v)
{
    p[0] = v;
}

static inline void gdfs_pack_patch_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void gdfs_pack_patch_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
