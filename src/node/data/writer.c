/* A copy being written into this node's store; see writer.h. */
#include "node/data/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gdfs_writer_init(struct gdfs_writer *w, struct gdfs_store *st,
                      const struct gdfs_bytes *name, uint32_t chunk_size,
                      const struct gdfs_version *v)
{
    memset(w, 0, sizeof(*w));
    w->st = st;
    w->namelen = name->len > GDFS_NAME_MAX ? GDFS_NAME_MAX : name->len;
    memcpy(w->name, name->p, w->namelen);
    w->chunk_size = chunk_size;
    w->version = *v;
}

/* The row, and the held first chunk in it. */
static int begin(struct gdfs_writer *w)
{
    struct gdfs_store_version v;
    int rc = w->version.seq == 0
                 ? gdfs_store_put_begin_later(w->st, w->name, w->namelen,
                                              w->chunk_size, &v)
                 : gdfs_store_put_begin(w->st, w->name, w->namelen,
                                        w->chunk_size, &w->version, &v);

    if (rc != GDFS_OK)
        return rc;
    w->begun = true;
    w->vid = v.id;
    if (w->holding) {
        w->holding = false;
        rc = gdfs_store_put_chunk(w->st, w->vid, 0, w->first.sha256,
                                  w->first.data, w->first.len);
    }
    return rc;
}

int gdfs_writer_chunk(struct gdfs_writer *w, uint32_t idx,
                      const uint8_t sha256[GDFS_SHA256_LEN], const void *data,
                      size_t len, char *why, size_t whylen)
{
    int rc;

    if (idx == 0 && !w->begun && !w->holding) {
        if (len > w->chunk_size) {
            snprintf(why, whylen, "chunk 0: %zu bytes, more than %u", len,
                     w->chunk_size);
            return GDFS_EPROTO;
        }
        if (w->held == NULL && (w->held = malloc(w->chunk_size)) == NULL) {
            snprintf(why, whylen, "out of memory");
            return GDFS_ENOMEM;
        }
        memcpy(w->held, data, len);
        memcpy(w->first.sha256, sha256, GDFS_SHA256_LEN);
        w->first.data = w->held;
        w->first.len = len;
        w->holding = true;
        return GDFS_OK;
    }
    if (!w->begun && (rc = begin(w)) != GDFS_OK) {
        snprintf(why, whylen, "%s", gdfs_store_errmsg(w->st));
        return rc;
    }
    rc = gdfs_store_put_chunk(w->st, w->vid, idx, sha256, data, len);
    if (rc != GDFS_OK)
        snprintf(why, whylen, "chunk %u: %s", idx, gdfs_store_errmsg(w->st));
    return rc;
}

int gdfs_writer_end(struct gdfs_writer *w, uint64_t size, uint32_t nchunks,
                    const uint8_t sha256[GDFS_SHA256_LEN], char *why,
                    size_t whylen)
{
    bool later = w->version.seq == 0;
    int rc;

    if (!w->begun)
        rc = gdfs_store_put_whole(w->st, w->name, w->namelen, w->chunk_size,
                                  later ? NULL : &w->version,
                                  w->holding ? &w->first : NULL, size, nchunks,
                                  sha256, &w->vid);
    else if (later)
        rc = gdfs_store_put_commit_later(w->st, w->vid, size, nchunks, sha256);
    else
        rc = gdfs_store_put_commit(w->st, w->vid, size, nchunks, sha256, NULL);
    free(w->held);
    w->held = NULL;
    w->holding = false;
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "commit: %s", gdfs_store_errmsg(w->st));
        return rc;
    }
    w->done = true;
    return GDFS_OK;
}

int gdfs_writer_abandon(struct gdfs_writer *w, char *why, size_t whylen)
{
    int rc = GDFS_OK;

    free(w->held);
    w->held = NULL;
    w->holding = false;
    if (w->begun && !w->done &&
        (rc = gdfs_store_put_abort(w->st, w->vid)) != GDFS_OK)
        snprintf(why, whylen, "%s", gdfs_store_errmsg(w->st));
    w->begun = false;
    return rc;
}
