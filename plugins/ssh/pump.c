/* The pump: one thread per dialled ssh connection, moving bytes between
 * the caller's end of a socketpair and the connection's SSH channel (see
 * ssh_int.h).
 *
 * Why a thread and a socketpair instead of calling libssh2 from the
 * caller's send/recv: the plugin ABI promises a pollable fd whose
 * readiness means "->recv has bytes for you", and gdfs (net.c, the CLI)
 * relies on it, e.g. to notice an early reply with a zero-timeout poll.
 * The SSH socket does not keep that promise: it turns readable for window
 * adjustments that carry no data, and channel data libssh2 has already
 * pulled into its buffers leaves it unreadable. libssh2 also wants a
 * partly sent packet retried with the same bytes, which the ABI's send
 * does not promise. Behind a socketpair the caller gets exactly the
 * semantics of a TCP socket, and the thread that owns the session is the
 * only one that ever calls libssh2 on it. The cost is one copy through
 * the socketpair; it also lets the cipher work run on another core than
 * the caller's own (hashing) work.
 *
 * Closing: when the caller closes its end, the pump sends what is still
 * buffered (for at most linger_ms), closes the channel and returns the
 * session to the pool. When the peer closes the channel, the pump hands
 * the caller an end of stream (shutdown) and keeps sending until the
 * caller closes. An SSH or channel error ends the pump early: it records
 * why (ssh_link_why) and shuts the socketpair down, so the caller sees
 * ECLOSED/ECONNRESET, and the session is dropped. */
#include "ssh_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bytes buffered per direction. libssh2 sends at most 32 KiB per packet;
 * a few packets per wake-up keeps the thread busy rather than polling. */
#define PUMP_BUF (256 * 1024)

struct ssh_link {
    struct ssh_pool *pool;
    struct ssh_sess *ss;
    LIBSSH2_CHANNEL *ch;
    int fd;     /* the pump's end of the socketpair (non-blocking) */
    int app_fd; /* the caller's end (closed by ssh_link_close) */
    int linger_ms;
    int node_port; /* for messages */
    pthread_t thread;
    pthread_mutex_t mu;
    char why[SSH_ERR_MAX];       /* under mu */
    unsigned char out[PUMP_BUF]; /* caller -> channel */
    unsigned char in[PUMP_BUF];  /* channel -> caller */
};

static void set_why(struct ssh_link *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_why(struct ssh_link *l, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&l->mu);
    va_start(ap, fmt);
    vsnprintf(l->why, sizeof(l->why), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&l->mu);
}

void ssh_link_why(struct ssh_link *l, char *out, size_t outlen)
{
    pthread_mutex_lock(&l->mu);
    snprintf(out, outlen, "%s", l->why);
    pthread_mutex_unlock(&l->mu);
}

static const char *ssh_error(struct ssh_link *l)
{
    char *msg = NULL;

    libssh2_session_last_error(l->ss->s, &msg, NULL, 0);
    return msg != NULL && *msg != '\0' ? msg : "unknown libssh2 error";
}

/* ---- the loop ------------------------------------------------------------- */

/* How the loop ended: the caller closed; the peer closed the channel
 * (the session is fine); or something failed (the session is dropped). */
enum pump_end { END_CLOSED, END_RESET, END_FAILED };

/* libssh2 encrypts a packet once; if the socket takes only part of it
 * (EAGAIN with LIBSSH2_SESSION_BLOCK_OUTBOUND), the rest must go out
 * before any other packet, through the same call that started it. So
 * after such an EAGAIN the pump calls only that function again: a
 * channel write, or a channel read (which sends window adjustments). */
enum pump_pending { PENDING_NONE, PENDING_WRITE, PENDING_READ };

static enum pump_pending pending_after(struct ssh_link *l, ssize_t rc,
                                       enum pump_pending op)
{
    if (rc == LIBSSH2_ERROR_EAGAIN &&
        (libssh2_session_block_directions(l->ss->s) &
         LIBSSH2_SESSION_BLOCK_OUTBOUND))
        return op;
    return PENDING_NONE;
}

static enum pump_end pump(struct ssh_link *l)
{
    size_t out_len = 0, out_off = 0, in_len = 0, in_off = 0;
    bool app_eof = false;  /* the caller closed: no more bytes to send */
    bool hup = false;      /* the caller's end is gone (seen by poll) */
    bool chan_eof = false; /* the peer sent EOF */
    bool shut = false;     /* ... and the caller was told */
    long linger_until = 0;
    enum pump_pending pending = PENDING_NONE;
    const char *peer = l->ss->host;
    int sshport = l->ss->port;

    for (;;) {
        bool progress = false;
        int wdirs = 0, rdirs = 0;
        ssize_t n;

        /* 1. caller -> buffer */
        if (!app_eof && out_len == 0) {
            n = recv(l->fd, l->out, sizeof(l->out), 0);
            if (n > 0) {
                out_len = (size_t)n;
                out_off = 0;
                progress = true;
            } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
                                  errno != EINTR)) {
                app_eof = true;
                progress = true;
            }
        }
        /* 2. buffer -> channel; a packet libssh2 sent in part is retried
         * with the same bytes, as it requires. */
        if (out_off < out_len && pending != PENDING_READ) {
            n = libssh2_channel_write(l->ch, (const char *)l->out + out_off,
                                      out_len - out_off);
            pending = pending_after(l, n, PENDING_WRITE);
            if (n > 0) {
                out_off += (size_t)n;
                if (out_off == out_len)
                    out_len = out_off = 0;
                progress = true;
            } else if (n == LIBSSH2_ERROR_EAGAIN || n == 0) {
                wdirs = libssh2_session_block_directions(l->ss->s);
                if (n == 0) /* window full: wait for an adjustment */
                    wdirs |= LIBSSH2_SESSION_BLOCK_INBOUND;
            } else {
                set_why(l, "ssh: sending through sshd %s port %d: %s", peer,
                        sshport, ssh_error(l));
                return END_FAILED;
            }
        }
        /* 3. channel -> buffer */
        if (!chan_eof && in_len == 0 && pending != PENDING_WRITE) {
            n = libssh2_channel_read(l->ch, (char *)l->in, sizeof(l->in));
            pending = pending_after(l, n, PENDING_READ);
            if (n > 0) {
                in_len = (size_t)n;
                in_off = 0;
                progress = true;
            } else if (n == 0 || n == LIBSSH2_ERROR_EAGAIN) {
                if (libssh2_channel_eof(l->ch)) {
                    chan_eof = true;
                    progress = true;
                } else {
                    rdirs = libssh2_session_block_directions(l->ss->s);
                }
            } else {
                set_why(l, "ssh: receiving through sshd %s port %d: %s", peer,
                        sshport, ssh_error(l));
                return END_FAILED;
            }
        }
        /* 4. buffer -> caller */
        if (in_off < in_len) {
            n = send(l->fd, l->in + in_off, in_len - in_off, MSG_NOSIGNAL);
            if (n > 0) {
                in_off += (size_t)n;
                if (in_off == in_len)
                    in_len = in_off = 0;
                progress = true;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR) {
                in_len = in_off = 0; /* the caller is gone: drop */
                app_eof = true;
                progress = true;
            }
        }
        if (chan_eof && in_len == 0 && !shut) {
            shutdown(l->fd, SHUT_WR);
            shut = true;
            progress = true;
        }
        /* After its EOF, sshd closes the channel once the peer's socket is
         * gone (it learns that when it next writes to it). Like a TCP
         * reset, that ends the connection: without this, bytes sent to a
         * dead peer would vanish into the channel and nobody would notice. */
        if (shut && pending == PENDING_NONE) {
            int rc = libssh2_channel_wait_closed(l->ch);
            if (rc == 0) {
                set_why(l,
                        "%s:%d closed the connection (through sshd %s "
                        "port %d)",
                        SSH_FWD_HOST, l->node_port, peer, sshport);
                return END_RESET;
            }
            if (rc != LIBSSH2_ERROR_EAGAIN) {
                set_why(l, "ssh: through sshd %s port %d: %s", peer, sshport,
                        ssh_error(l));
                return END_FAILED;
            }
            rdirs |= LIBSSH2_SESSION_BLOCK_INBOUND;
        }
        if (app_eof && out_len == 0 && pending == PENDING_NONE)
            return END_CLOSED;
        if ((app_eof || hup) && linger_until == 0)
            linger_until = dial_deadline(l->linger_ms);
        if (progress)
            continue;

        /* Nothing moved: wait for the caller or the server. */
        {
            struct pollfd p[2];
            long wait = -1;
            int dirs = wdirs | rdirs, r;

            p[0].fd = l->fd;
            p[0].events = 0;
            if (!hup && !app_eof && out_len == 0)
                p[0].events |= POLLIN;
            if (in_off < in_len)
                p[0].events |= POLLOUT;
            if (hup && p[0].events == 0)
                p[0].fd = -1; /* POLLHUP would wake us in a loop */
            p[1].fd = l->ss->fd;
            p[1].events = 0;
            if (pending != PENDING_NONE) {
                /* Only the rest of that packet may go next: waking up
                 * for incoming data would spin. */
                p[1].events = POLLOUT;
            } else {
                if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
                    p[1].events |= POLLIN;
                if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
                    p[1].events |= POLLOUT;
                if (!chan_eof && in_len == 0)
                    p[1].events |= POLLIN;
            }
            if (linger_until != 0) {
                wait = linger_until - (long)gdfs_clock_ms();
                if (wait <= 0) {
                    set_why(l,
                            "ssh: through sshd %s port %d: data not sent "
                            "within %d ms of close",
                            peer, sshport, l->linger_ms);
                    return END_FAILED;
                }
            }
            p[0].revents = p[1].revents = 0;
            r = poll(p, 2, (int)wait);
            if (r < 0 && errno != EINTR) {
                set_why(l, "ssh: poll: %s", strerror(errno));
                return END_FAILED;
            }
            if (p[0].revents & (POLLHUP | POLLERR))
                hup = true;
        }
    }
}

static void *pump_main(void *arg)
{
    struct ssh_link *l = arg;
    enum pump_end end = pump(l);
    bool usable = false;

    if (end != END_CLOSED)
        /* Tell the caller now, not at its next timeout. */
        shutdown(l->fd, SHUT_RDWR);
    if (end != END_FAILED)
        usable = ssh_sess_channel_close(l->ss, l->ch,
                                        dial_deadline(l->linger_ms)) == 0;
    /* A failed channel takes the session with it: whatever went wrong may
     * have left libssh2 mid-packet. ssh_sess_free frees the channel. */
    ssh_pool_put(l->pool, l->ss, usable);
    l->ss = NULL;
    l->ch = NULL;
    return NULL;
}

/* ---- start and close ---------------------------------------------------------- */

int ssh_link_start(struct ssh_pool *p, struct ssh_sess *ss,
                   LIBSSH2_CHANNEL *ch, int node_port, int linger_ms,
                   struct ssh_link **out, int *app_fd)
{
    struct ssh_link *l = calloc(1, sizeof(*l));
    int sv[2], rc;
    sigset_t all, old;

    *out = NULL;
    if (l == NULL) {
        rc = GDFS_ENOMEM;
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0) {
        rc = errno == EMFILE || errno == ENFILE ? GDFS_EBUSY : GDFS_EIO;
        free(l);
        goto fail;
    }
    l->pool = p;
    l->ss = ss;
    l->ch = ch;
    l->app_fd = sv[0];
    l->fd = sv[1];
    l->linger_ms = linger_ms;
    l->node_port = node_port;
    pthread_mutex_init(&l->mu, NULL);
    /* Signals belong to the host's threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&l->thread, NULL, pump_main, l);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        close(sv[0]);
        close(sv[1]);
        pthread_mutex_destroy(&l->mu);
        free(l);
        rc = GDFS_EIO;
        goto fail;
    }
    *out = l;
    *app_fd = sv[0];
    return GDFS_OK;
fail:
    ssh_pool_put(p, ss, false); /* frees the channel with the session */
    return rc;
}

void ssh_link_close(struct ssh_link *l)
{
    close(l->app_fd);
    pthread_join(l->thread, NULL);
    close(l->fd);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
