/* gdfs-cli internals shared by its files: the connection to one node and
 * the commands. Exit status of every command: 0 success, 1 the operation
 * failed, 2 usage or configuration error. */
#ifndef GDFS_CLI_H
#define GDFS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "transport.h"

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

struct cli {
    struct gdfs_transport *t;
    struct gdfs_conn conn;
    bool connected;
    char addr[GDFS_ADDR_MAX + 1]; /* node asked */
    int dial_timeout_ms;
    int io_timeout_ms;
    bool json;
    bool progress; /* stderr is a terminal */
    uint64_t seq;  /* get --version N (0 = newest) */
    bool stale_ok; /* get --stale-ok: read without a quorum if need be */
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

/* Commands (transfer.c). Each returns an exit status. */
int cli_put(struct cli *c, const char *local, const char *name);
int cli_get(struct cli *c, const char *name, const char *local);

#endif
