/* What every request handler shares: the per-connection session, reply
 * helpers, and the two streaming loops (receiving a put's chunks, sending
 * a stored version's chunks). */
#ifndef GDFS_NODE_SESSION_H
#define GDFS_NODE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "node/files.h"
#include "node/grouphost.h"
#include "node/readrepair.h"
#include "node/repair.h"
#include "proto.h"
#include "store/store.h"
#include "transport.h"

struct gdfs_session {
    const struct gdfs_config *cfg;
    struct gdfs_grouphost *group;       /* the group thread */
    struct gdfs_files *files;           /* the files layer */
    struct gdfs_repair *repair;         /* re-replication (leader) */
    struct gdfs_readrepair *readrepair; /* read repair's queue */
    struct gdfs_scrub *scrub;           /* this node's scrub (figures) */
    struct gdfs_store *st;              /* this thread's own connection */
    struct gdfs_conn *conn;
    uint8_t *in;  /* receive buffer: frame header + max payload */
    size_t incap;
    uint8_t *out; /* send buffer: replies and chunks */
    size_t outcap;
    uint32_t max_payload; /* largest frame payload accepted from clients */
};

int gdfs_session_io_ms(const struct gdfs_session *s);

/* Send an ERROR reply; returns what sending returned, so a handler can
 * "return gdfs_reply_error(...)" and keep the connection (GDFS_OK) or
 * close it (send failed). */
int gdfs_reply_error(struct gdfs_session *s, uint32_t reqid, int status,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int gdfs_reply_ok(struct gdfs_session *s, uint32_t reqid,
                  const struct gdfs_version *v);
int gdfs_reply_writer(struct gdfs_session *s, struct gdfs_proto_writer *w,
                      bool more);
/* Re-stamp the frame in @frame with @reqid and send it. */
int gdfs_reply_raw(struct gdfs_session *s, uint32_t reqid, uint8_t *frame,
                   size_t len);

/* Printable form of a name for logs. */
void gdfs_log_name(const struct gdfs_bytes *n, char *out, size_t cap);

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
 * checked against its SHA-256 unless sink->unverified) up to PUT_END, which lands
 * in @end and is checked against what arrived (the hash list over the
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
 * if the data fails its checksum, GDFS_ENOENT if the chunk is gone (the
 * version was removed or collected: every 16th chunk renews the snapshot,
 * so a long stream does not pin the WAL). The caller checks that s->out
 * holds v->chunk_size bytes of payload. */
int gdfs_load_chunk(struct gdfs_session *s, uint32_t reqid,
                    const struct gdfs_store_version *v, uint32_t idx,
                    const char *name, uint8_t sha256[GDFS_SHA256_LEN],
                    size_t *framelen, char *why, size_t whylen);

#endif
