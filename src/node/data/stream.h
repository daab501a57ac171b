/* The two streaming loops of the data path: a put's chunks arriving on a
 * session (stored by a replica, passed on by a gateway) and a stored
 * version's chunks leaving it (a get, a replica read, a copy). Memory: one
 * frame in the session's buffers, whatever the file size. */
#ifndef GDFS_NODE_DATA_STREAM_H
#define GDFS_NODE_DATA_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/session.h"
#include "proto.h"
#include "store/store.h"

/* Where received chunks go: stored (a replica) or passed on (a gateway).
 * @frame/@framelen is the whole CHUNK frame as received. Returns GDFS_OK
 * or an error with @why filled. */
struct gdfs_chunk_sink {
    int (*chunk)(void *ctx, uint32_t idx, const uint8_t *sha256,
                 const uint8_t *data, size_t len, uint8_t *frame,
                 size_t framelen, char *why, size_t whylen);
    void *ctx;
    /* false (the default): hash each chunk's data and refuse a mismatch,
     * as whoever stores it must. true: trust the SHA-256 the frame claims
     * (only a gateway passing chunks on to replicas that check them). */
    bool unverified;
};

/* Receive a put's CHUNK frames (in order, all full but the last, each
 * checked against its SHA-256 unless sink->unverified) up to PUT_END, which
 * lands in @end and is checked against what arrived (the hash list over the
 * chunks' SHA-256s). *in_step: the sender's stream is still
 * between frames (after an error the rest can be drained). */
int gdfs_receive_chunks(struct gdfs_session *s, uint32_t chunk_size,
                        const struct gdfs_chunk_sink *sink,
                        struct gdfs_msg *end, bool *in_step, char *why,
                        size_t whylen);

/* Read and drop frames up to the sender's PUT_END (after a failed put). */
int gdfs_drain_put(struct gdfs_session *s);

/* Send stored version @v as GET_INFO + CHUNK frames, every chunk checked
 * against its stored checksum. Run inside a store snapshot. */
int gdfs_send_version(struct gdfs_session *s, uint32_t reqid,
                      const struct gdfs_store_version *v, const char *name);
/* The same with the CHUNK frames starting at index @first (RGET_FROM). */
int gdfs_send_version_from(struct gdfs_session *s, uint32_t reqid,
                           const struct gdfs_store_version *v,
                           const char *name, uint32_t first);

/* The GET_INFO frame describing stored version @v. */
void gdfs_get_info_of(const struct gdfs_store_version *v, uint32_t reqid,
                      struct gdfs_msg *out);

/* Read chunk @idx of stored version @v (inside a store snapshot) and
 * check it against its stored SHA-256 (@sha256 gets it); on success s->out
 * holds it as a CHUNK frame stamped @reqid, *framelen bytes long. On
 * failure (logged, naming @name) @why says what was wrong: GDFS_ECORRUPT
 * if the data fails its checksum or has another length than @v's shape
 * gives chunk @idx, GDFS_ENOENT if the chunk is gone (the
 * version was removed or collected: every 16th chunk renews the snapshot,
 * so a long stream does not pin the WAL). The caller checks that s->out
 * holds v->chunk_size bytes of payload. */
int gdfs_load_chunk(struct gdfs_session *s, uint32_t reqid,
                    const struct gdfs_store_version *v, uint32_t idx,
                    const char *name, uint8_t sha256[GDFS_SHA256_LEN],
                    size_t *framelen, char *why, size_t whylen);

#endif
