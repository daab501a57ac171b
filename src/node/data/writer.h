/* A copy being written into this node's store from a put's stream: by a
 * replica (replica.c) and by a gateway that is a replica itself
 * (gateway.c). The first chunk is held in memory until the next frame,
 * so that a file of one chunk (most small ones) is stored in one durable
 * transaction (gdfs_store_put_whole) instead of three; a larger file
 * gets its version row and first chunk when its second chunk comes. */
#ifndef GDFS_NODE_DATA_WRITER_H
#define GDFS_NODE_DATA_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "store/store.h"

struct gdfs_writer {
    struct gdfs_store *st;
    uint8_t name[GDFS_NAME_MAX];
    size_t namelen;
    uint32_t chunk_size;
    struct gdfs_version version; /* 0 0: it comes later (put_assign) */
    bool begun;                  /* the version row exists: vid */
    bool done;                   /* the copy is complete and durable */
    int64_t vid;                 /* its row, once begun or done */
    uint8_t *held;               /* the first chunk's bytes, until then */
    struct gdfs_store_chunk first;
    bool holding;
};

/* A copy of @name in chunks of @chunk_size, at @v (seq 0: without a
 * version until put_assign). Nothing is stored yet. */
void gdfs_writer_init(struct gdfs_writer *w, struct gdfs_store *st,
                      const struct gdfs_bytes *name, uint32_t chunk_size,
                      const struct gdfs_version *v);

/* Chunk @idx (they come in order), checked already. @why on failure. */
int gdfs_writer_chunk(struct gdfs_writer *w, uint32_t idx,
                      const uint8_t sha256[GDFS_SHA256_LEN], const void *data,
                      size_t len, char *why, size_t whylen);

/* PUT_END's figures: the copy made durable (uncommitted; without a
 * version if it comes later); w->vid is its row. @why on failure. */
int gdfs_writer_end(struct gdfs_writer *w, uint64_t size, uint32_t nchunks,
                    const uint8_t sha256[GDFS_SHA256_LEN], char *why,
                    size_t whylen);

/* Drop what was stored of a copy not ended, and free the writer's
 * memory (an ended copy stays); @why on failure of the drop. */
int gdfs_writer_abandon(struct gdfs_writer *w, char *why, size_t whylen);

#endif
