/*
 * bench/nfq-delay.c: hold every packet sent to an NFQUEUE for a fixed
 * time, then let it go on, in order. bench/latency.sh runs one inside
 * each node's network namespace, behind the rule
 *     iptables -A INPUT -i eth0 -j NFQUEUE --queue-num Q --queue-bypass
 * (or OUTPUT -o eth0 with --hold out) so that every packet between two
 * nodes waits DELAY_MS once: they see a round trip of 2 * DELAY_MS.
 *
 * Why not tc netem: kernels built without sch_netem (and without modules
 * to load it) have no netem qdisc; NFQUEUE and a program like this one
 * do the same for a fixed delay.
 *
 *     nfq-delay DELAY_MS [QUEUE_NUM]     (DELAY_MS 0..10000, QUEUE 0..65535)
 *
 * Build (bench/latency.sh does it on first use):
 *     cc -O2 -Wall -Wextra -Werror -o nfq-delay nfq-delay.c -lnetfilter_queue
 *
 * It only ever accepts packets: it never drops nor changes one. When it
 * cannot keep a packet (its own table full, the kernel's queue full), the
 * packet goes on at once rather than being lost (fail-open), and it is
 * counted. SIGTERM or SIGINT: every held packet is let go, the counts are
 * printed on stderr, and it exits 0. If it dies, --queue-bypass lets the
 * traffic through undelayed.
 */
/* ppoll */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

/*
 * Held packets, oldest first. The delay is the same for every packet, so
 * the due times come in the order the packets came: a FIFO keeps the
 * order and the next due packet is always at the head. The kernel's queue
 * is capped below this size (QUEUE_MAXLEN), so the table fills only if
 * the kernel accepts more than it was told to hold.
 */
#define HELD_MAX 65536u
#define QUEUE_MAXLEN 32768u
/* A second of 100 Mbit/s in packets of 1500 bytes is ~8300 packets; the
 * socket buffer must hold the messages for all the packets the kernel may
 * queue before we read them, or it drops them (ENOBUFS). */
#define RCVBUF_BYTES (16u * 1024 * 1024)

struct held {
    uint32_t id;
    int64_t due_ns;
};

static struct held held[HELD_MAX];
static size_t head, count;
static int64_t delay_ns;
static volatile sig_atomic_t stop;
static unsigned long n_in, n_full, n_enobufs, n_verdict_err;

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void accept_id(struct nfq_q_handle *qh, uint32_t id)
{
    if (nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL) < 0)
        n_verdict_err++;
}

/* A packet came: note its id and when it is due. */
static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg,
                     struct nfq_data *nfa, void *data)
{
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    uint32_t id;

    (void)msg;
    (void)data;
    if (ph == NULL)
        return 0;
    id = ntohl(ph->packet_id);
    n_in++;
    if (count == HELD_MAX) {
        /* No room: let it go now rather than leave it in the kernel. */
        n_full++;
        accept_id(qh, id);
        return 0;
    }
    held[(head + count) % HELD_MAX] =
        (struct held){ .id = id, .due_ns = now_ns() + delay_ns };
    count++;
    return 0;
}

/* Let every due packet go (all of them with ALL); returns the ns until
 * the next one is due, or -1 when none is held. */
static int64_t release(struct nfq_q_handle *qh, int all)
{
    int64_t t = now_ns();

    while (count > 0 && (all || held[head].due_ns <= t)) {
        accept_id(qh, held[head].id);
        head = (head + 1) % HELD_MAX;
        count--;
    }
    if (count == 0)
        return -1;
    return held[head].due_ns - t;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* parse_long S LO HI: S as a decimal number in LO..HI, or exit 2. */
static long parse_long(const char *what, const char *s, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "nfq-delay: %s must be %ld..%ld, not \"%s\"\n", what,
                lo, hi, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    static char buf[65536] __attribute__((aligned(8)));
    struct nfq_handle *h;
    struct nfq_q_handle *qh;
    struct sigaction sa;
    long delay_ms, qnum = 0;
    int fd, one = 1, rcvbuf = RCVBUF_BYTES;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: nfq-delay DELAY_MS [QUEUE_NUM]\n");
        return 2;
    }
    delay_ms = parse_long("DELAY_MS", argv[1], 0, 10000);
    if (argc == 3)
        qnum = parse_long("QUEUE_NUM", argv[2], 0, 65535);
    delay_ns = (int64_t)delay_ms * 1000000;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a signal must wake ppoll so that we stop. */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    h = nfq_open();
    if (h == NULL) {
        perror("nfq-delay: nfq_open");
        return 1;
    }
    qh = nfq_create_queue(h, (uint16_t)qnum, on_packet, NULL);
    if (qh == NULL) {
        perror("nfq-delay: nfq_create_queue (queue bound by another program?)");
        return 1;
    }
    /* Only the packet id is needed: no payload copied to us. */
    if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
        perror("nfq-delay: nfq_set_mode");
        return 1;
    }
    /* Room for a burst; when even that is full the kernel accepts the
     * packet (fail-open) instead of dropping it. Older kernels lack the
     * flag: a warning, not an error. */
    if (nfq_set_queue_maxlen(qh, QUEUE_MAXLEN) < 0)
        perror("nfq-delay: nfq_set_queue_maxlen (warning)");
    if (nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0)
        perror("nfq-delay: fail-open flag (warning)");
    fd = nfq_fd(h);
    /* A larger receive buffer, and ENOBUFS not reported: an overrun costs
     * the kernel's copies of packet messages, which fail-open and the
     * bypass then pass on; we count it and go on. */
    /* SO_RCVBUFFORCE goes past net.core.rmem_max (root); else the most
     * SO_RCVBUF gives. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
        perror("nfq-delay: SO_RCVBUF (warning)");
    if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one) < 0)
        perror("nfq-delay: NETLINK_NO_ENOBUFS (warning)");

    fprintf(stderr, "nfq-delay: queue %ld, delay %ld ms\n", qnum, delay_ms);
    while (!stop) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        struct timespec ts, *tsp = NULL;
        int64_t wait_ns = release(qh, 0);
        int r;

        if (wait_ns >= 0) {
            ts.tv_sec = (time_t)(wait_ns / 1000000000);
            ts.tv_nsec = (long)(wait_ns % 1000000000);
            tsp = &ts;
        }
        r = ppoll(&p, 1, tsp, NULL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            perror("nfq-delay: ppoll");
            break;
        }
        if (r == 0)
            continue;
        /* Read everything there is before going back to the timers. */
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

            if (n > 0) {
                nfq_handle_packet(h, buf, (int)(n > INT_MAX ? INT_MAX : n));
                continue;
            }
            if (n < 0 && errno == ENOBUFS) {
                n_enobufs++;
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                errno != EINTR) {
                perror("nfq-delay: recv");
                stop = 1;
            }
            break;
        }
    }
    release(qh, 1);
    fprintf(stderr,
            "nfq-delay: exit; packets %lu, let go early (table full) %lu, "
            "overruns %lu, verdict errors %lu\n",
            n_in, n_full, n_enobufs, n_verdict_err);
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
