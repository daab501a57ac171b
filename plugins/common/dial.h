/* Outbound TCP for the transport plugins: name resolution and connect,
 * both bounded by the caller's deadline (DESIGN.md "Transport plugins":
 * a dial never blocks longer than its timeout).
 *
 * getaddrinfo itself has no timeout: with a slow or dead DNS server it
 * blocks for the resolver's own retries (5 s per try and server, by
 * default), whatever the dial timeout says. So a lookup of a name (not a
 * numeric address) runs in a detached helper thread; the caller waits on
 * a condition variable until the deadline and, if the answer is late,
 * returns GDFS_ETIMEDOUT ("resolving HOST took longer than N ms") while
 * the thread finishes alone. The result is shared and reference-counted:
 * whoever lets go last (the caller, or the thread when the caller gave
 * up) frees it. Concurrent lookups of the same name share one thread, and
 * at most DIAL_MAX_LOOKUPS names are looked up at once, so a dead DNS
 * server and a node that dials every heartbeat cannot pile up threads.
 *
 * Compiled into each plugin that uses it (tcp.so, ssh.so), not into gdfs:
 * plugins link against no gdfs code. Names are file-local to the plugin
 * (-fvisibility=hidden). A plugin using it is linked with -z nodelete
 * (Makefile.am): a lookup thread may outlive the dial that started it,
 * so dlclose must not unmap its code. Deadlines are milliseconds of
 * gdfs_clock_ms() (src/clock.c, compiled into the plugin as well). */
#ifndef GDFS_PLUGIN_DIAL_H
#define GDFS_PLUGIN_DIAL_H

#include <netdb.h>

#include "clock.h"

/* Distinct names looked up at once, per process. */
#define DIAL_MAX_LOOKUPS 16

/* The resolver behind dial_resolve: getaddrinfo's signature. */
typedef int (*dial_resolver_fn)(const char *host, const char *port,
                                const struct addrinfo *hints,
                                struct addrinfo **res);

/* A lookup's answer, shared with its helper thread (opaque). */
struct dial_names;

/* The deadline @timeout_ms from now. */
long dial_deadline(long timeout_ms);
/* Milliseconds left until @deadline_ms (0 once past): a poll timeout. */
int dial_left_ms(long deadline_ms);

/* Resolve @host (a name or numeric address) and @port (numeric) to
 * stream-socket addresses, until @deadline_ms at most. A numeric @host is
 * converted at once, without a thread. On GDFS_OK *@list is the address
 * list, valid until dial_names_release(*@names) (the caller must call it).
 * Errors, with @err saying what (no prefix; the caller adds its own):
 * GDFS_ETIMEDOUT "resolving HOST took longer than N ms" (the lookup goes on
 * in its thread and its answer is dropped); GDFS_ENET "cannot resolve
 * HOST: <reason>"; GDFS_EBUSY when DIAL_MAX_LOOKUPS other names are being
 * looked up; GDFS_EINVAL for a name longer than 255; GDFS_ENOMEM. No
 * reference to @host or @port is kept after return. Thread-safe. */
int dial_resolve(const char *host, const char *port, long deadline_ms,
                 struct dial_names **names, const struct addrinfo **list,
                 char *err, size_t errlen);

/* Let go of a lookup's answer. NULL is fine. */
void dial_names_release(struct dial_names *names);

/* Resolve @host:@port (as dial_resolve) and connect a non-blocking
 * SOCK_CLOEXEC stream socket to the first address that answers, all
 * before @deadline_ms. @tune, if not NULL, is called with each new socket
 * and @arg before its connect (socket options). On GDFS_OK *@fd is the
 * connected socket (the caller closes it). Errors as dial_resolve, or
 * GDFS_ETIMEDOUT "connect timed out", GDFS_ENET "<strerror>" from the
 * last address tried; @err has no prefix. */
int dial_connect(const char *host, const char *port, long deadline_ms,
                 void (*tune)(int fd, void *arg), void *arg, int *fd,
                 char *err, size_t errlen);

/* For tests: replace the resolver (NULL: getaddrinfo again). Lookups
 * already running keep the one they started with. */
void dial_set_resolver(dial_resolver_fn fn);

/* For tests: lookup threads still running (their callers may have given
 * up). */
int dial_lookups_running(void);

#endif
