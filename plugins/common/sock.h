/* Plain TCP sockets for the transport plugins: the listening side (both
 * tcp.so and ssh.so take connections as plain non-blocking sockets: the
 * ssh plugin's peers arrive through the local sshd), send and recv on a
 * socket, errno mapping and the split of a node address.
 *
 * Compiled into each plugin that uses it, as dial.c is, not into gdfs:
 * plugins link against no gdfs code. Names are file-local to the plugin
 * (-fvisibility=hidden). */
#ifndef GDFS_PLUGIN_SOCK_H
#define GDFS_PLUGIN_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct gdfs_listener;
struct gdfs_conn;

/* A listener's impl (and the tcp plugin's connections'): one socket. */
struct sock {
    int fd;
};

/* The status of a failed send or recv that set errno to @e: GDFS_EAGAIN,
 * GDFS_ECLOSED (EPIPE, ECONNRESET, ENOTCONN), GDFS_ETIMEDOUT, GDFS_ENOMEM
 * (ENOMEM, ENOBUFS), else GDFS_ENET. */
int sock_status(int e);

/* Split "host:port" or "[v6]:port" (the last ':' separates the port of an
 * unbracketed address) without checking either part: *host points at the
 * host in @addr, *hostlen is its length (maybe 0), *port points at the
 * port (maybe empty), *v6 says whether it was bracketed. 0, or -1 when
 * @addr has neither shape. The pointers point into @addr. */
int sock_split_addr(const char *addr, const char **host, size_t *hostlen,
                    const char **port, bool *v6);

/* A check of the address a listener is about to bind: GDFS_OK, or an
 * error code with @err saying why (the listener's message as it stands). */
typedef int (*sock_check_fn)(const struct sockaddr *sa, const char *addr,
                             char *err, size_t errlen);

/* Listen on @host:@port (numeric port), @addr as the caller wrote it (for
 * messages): a non-blocking SOCK_CLOEXEC socket with SO_REUSEADDR, bound
 * to the first address the name resolves to, if @check (may be NULL)
 * accepts it. On GDFS_OK l->impl is a struct sock (sock_listener_close
 * frees it). Errors, with l->errmsg set: GDFS_EINVAL "listen ADDR:
 * <resolver error>", @check's, GDFS_ENET "listen ADDR: <strerror>",
 * GDFS_ENOMEM. No reference to the strings is kept. */
int sock_listen(struct gdfs_listener *l, const char *addr, const char *host,
                const char *port, sock_check_fn check);
/* The listening socket of a sock_listen listener. */
int sock_listener_fd(struct gdfs_listener *l);
/* Close a sock_listen listener and free its impl. */
void sock_listener_close(struct gdfs_listener *l);

/* Accept one connection on a sock_listen listener: a non-blocking
 * SOCK_CLOEXEC socket in *fd (the caller owns it), its peer's numeric
 * address in c->peer (empty if unknown). GDFS_EAGAIN when there is none
 * (or it was aborted); GDFS_EBUSY (out of file descriptors) or GDFS_ENET,
 * with l->errmsg "accept: <strerror>". */
int sock_accept(struct gdfs_listener *l, struct gdfs_conn *c, int *fd);

/* A struct sock for @fd (NULL when out of memory; @fd stays the
 * caller's then). sock_free closes the socket and frees it. */
struct sock *sock_new(int fd);
void sock_free(struct sock *s);

/* send(2) @len bytes of @buf on @fd (MSG_NOSIGNAL, retried on EINTR):
 * GDFS_OK with *nsent, else sock_status of the failure with @err "send to
 * PEER: <strerror>". */
int sock_send(int fd, const void *buf, size_t len, size_t *nsent,
              const char *peer, char *err, size_t errlen);
/* recv(2) up to @len bytes into @buf from @fd (retried on EINTR): GDFS_OK
 * with *nread > 0; GDFS_ECLOSED "PEER closed the connection" at end of
 * stream; else sock_status of the failure with @err "recv from PEER:
 * <strerror>". */
int sock_recv(int fd, void *buf, size_t len, size_t *nread, const char *peer,
              char *err, size_t errlen);

#endif
