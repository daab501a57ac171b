/* Shared handler helpers; see session.h. */
#define GDFS_LOG_MODULE "node"
#include "node/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "node/dbopts.h"

/* ---- helpers ------------------------------------------------------------- */

int gdfs_session_io_ms(const struct gdfs_session *s)
{
    return (int)s->cfg->io_timeout_ms;
}

int gdfs_session_room_check(const struct gdfs_session *s, uint64_t more,
                            char *why, size_t whylen)
{
    return gdfs_store_room_check(s->cfg->data_dir, gdfs_node_reserve(s->cfg),
                                 more, s->cfg->node_id, why, whylen);
}

int gdfs_reply_error(struct gdfs_session *s, uint32_t reqid, int status,
                     const char *fmt, ...)
{
    char text[GDFS_ERRMSG_MAX + 1];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return gdfs_net_send_error(s->conn, reqid, status, gdfs_session_io_ms(s),
                               "%s", text);
}

int gdfs_reply_ok(struct gdfs_session *s, uint32_t reqid,
                  const struct gdfs_version *v)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_OK, .reqid = reqid};

    r.u.ok.version = *v;
    return gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                             gdfs_session_io_ms(s));
}

int gdfs_reply_writer(struct gdfs_session *s, struct gdfs_proto_writer *w,
                      bool more)
{
    size_t len;
    int rc = gdfs_proto_writer_finish(w, more, &len);

    if (rc != GDFS_OK)
        return rc;
    return gdfs_net_send_all(s->conn, s->out, len, gdfs_session_io_ms(s));
}

/* Printable form of a name for logs (cut, control bytes cannot occur). */
void gdfs_log_name(const struct gdfs_bytes *n, char *out, size_t cap)
{
    int len = n->len > 200 ? 200 : (int)n->len;

    snprintf(out, cap, "%.*s%s", len, (const char *)n->p,
             n->len > 200 ? "..." : "");
}

int gdfs_reply_raw(struct gdfs_session *s, uint32_t reqid, uint8_t *frame,
                   size_t len)
{
    frame[8] = (uint8_t)(reqid >> 24);
    frame[9] = (uint8_t)(reqid >> 16);
    frame[10] = (uint8_t)(reqid >> 8);
    frame[11] = (uint8_t)reqid;
    return gdfs_net_send_all(s->conn, frame, len, gdfs_session_io_ms(s));
}
