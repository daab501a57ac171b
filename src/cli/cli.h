/* gdfs-cli internals shared by its files: the connection to one node and
 * the commands. Exit status of every command: 0 success, 1 the operation
 * failed, 2 usage or configuration error; status also 3 degraded and 1
 * no quorum (main.c). */
#ifndef GDFS_CLI_H
#define GDFS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/cred.h"
#include "proto.h"
#include "transport.h"

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_DEGRADED 3 /* status only: the group works, but not whole */

struct cli {
    struct gdfs_transport *t;
    struct gdfs_cred cred; /* what every connection proves */
    struct gdfs_conn conn;
    bool connected;
    char addr[GDFS_ADDR_MAX + 1]; /* node asked */
    int dial_timeout_ms;
    int io_timeout_ms;
    bool json;
    bool progress;     /* stderr is a terminal */
    uint64_t seq;      /* get --version N (0 = newest) */
    bool recursive;    /* put -r LOCALDIR PREFIX, get -r PREFIX LOCALDIR */
    const char *batch; /* put/get --batch FILE ("-" = stdin) */
    unsigned parallel; /* batch workers (-p N) */
    bool stale_ok;     /* get --stale-ok: read without a quorum if need be */
    uint32_t reqid;
    uint8_t *in; /* receive buffer: header + GDFS_PROTO_MAX_PAYLOAD */
    size_t incap;
    uint8_t *out; /* send buffer */
    size_t outcap;
};

/* Report a failure on stderr as "gdfs-cli: <what>: <cause>" and return
 * the exit status for @rc (2 for bad input codes, else 1). */
int cli_fail(int rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* In the calling thread, send the messages of cli_fail and cli_recv to
 * @buf (@cap bytes, "; " between messages) instead of stderr; NULL sends
 * them to stderr again. @buf must stay valid until then. */
void cli_capture(char *buf, size_t cap);

/* Connect to cli->addr if not yet connected. 0 or an exit status (the
 * failure already printed). */
int cli_connect(struct cli *c);

/* Connect if needed, send @m and receive the reply into @r (pointers into
 * c->in). Returns 0, or an exit status after printing the cause (for an
 * ERROR reply: the node's status and message, under @what). */
int cli_call(struct cli *c, struct gdfs_msg *m, struct gdfs_msg *r,
             const char *what);

/* Receive one frame into @r; same return convention as cli_call. */
int cli_recv(struct cli *c, struct gdfs_msg *r, const char *what);

/* What one transfer did. */
struct cli_done {
    uint64_t version; /* seq */
    uint64_t size;
};

/* One put or get (transfer.c), printing nothing on success; @done gets
 * the version and size. Exit status; after a failure the connection may
 * be out of step (close it before reuse). */
int cli_put_file(struct cli *c, const char *local, const char *name,
                 struct cli_done *done);
int cli_get_file(struct cli *c, const char *name, const char *local,
                 struct cli_done *done);

/* Commands (transfer.c, batch.c). Each returns an exit status. */
int cli_put(struct cli *c, const char *local, const char *name);
int cli_get(struct cli *c, const char *name, const char *local);
/* put -r / put --batch / get -r / get --batch, as set in @c; @args are
 * the command's operands. */
int cli_batch(struct cli *c, bool put, char **args);

/* NULL if @name is a valid file name, else why not. */
const char *cli_name_problem(const char *name);

#endif
