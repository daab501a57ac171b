/* rawframe: send one node-to-node request to a node, as a member that
 * misbehaves would, and print the reply. For the cluster tests of what a
 * node refuses from its peers (tests/cluster/22-hostile-peer.sh).
 *
 *   rawframe HOST:PORT replicate NAME SEQ TERM SIZE CHUNK_SIZE SHA256HEX
 *            SRC...
 *       NDTOND_REPLICATE of that version (no replicas named, nchunks from
 *       SIZE and CHUNK_SIZE) from the source addresses SRC
 *   rawframe HOST:PORT meta-sync TERM NAME SEQ VTERM
 *       a one-page NDTOND_META_SYNC from the "leader of TERM" carrying one
 *       record: NAME at version (SEQ, VTERM), empty, on no replica
 *
 * Prints "OK SEQ TERM", "ERROR STATUS MESSAGE" or "FRAME TYPE" (any other
 * reply) and exits 0; exits 1 on a bad argument or a transport failure.
 * Plain TCP, no plugin: a node-to-node request is just a frame. Built for
 * make check only (check_PROGRAMS), never installed. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

#define CAP (GDFS_PROTO_HDR_LEN + GDFS_PROTO_MAX_PAYLOAD)

static uint8_t out[CAP], in[CAP];

static __attribute__((noreturn)) void die(const char *what)
{
    fprintf(stderr, "rawframe: %s\n", what);
    exit(1);
}

static uint64_t num(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);

    if (*s == '\0' || *end != '\0')
        die("not a number");
    return v;
}

static struct gdfs_bytes bs(const char *s)
{
    struct gdfs_bytes b = {(const uint8_t *)s, strlen(s)};
    return b;
}

static int dial(const char *addr)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    int fd;

    if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
        die("address is HOST:PORT");
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
        die("cannot resolve the address");
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        die("cannot connect");
    freeaddrinfo(ai);
    return fd;
}

static void read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t got = read(fd, p, n);

        if (got <= 0)
            die("connection closed before the reply");
        p += got;
        n -= (size_t)got;
    }
}

/* Send @len bytes of @out, then print the one reply frame. */
static void exchange(int fd, size_t len)
{
    struct gdfs_frame_hdr hdr;
    struct gdfs_msg r;

    if (write(fd, out, len) != (ssize_t)len)
        die("send failed");
    read_all(fd, in, GDFS_PROTO_HDR_LEN);
    if (gdfs_proto_decode_hdr(in, GDFS_PROTO_MAX_PAYLOAD, &hdr) != GDFS_OK)
        die("bad reply header");
    read_all(fd, in + GDFS_PROTO_HDR_LEN, hdr.len);
    if (gdfs_proto_decode(&hdr, in + GDFS_PROTO_HDR_LEN, &r) != GDFS_OK)
        die("bad reply");
    if (r.type == GDFS_MSG_NDTOCL_OK)
        printf("OK %llu %llu\n", (unsigned long long)r.u.ok.version.seq,
               (unsigned long long)r.u.ok.version.term);
    else if (r.type == GDFS_MSG_NDTOCL_ERROR)
        printf("ERROR %u %.*s\n", r.u.error.status, (int)r.u.error.msg.len,
               (const char *)r.u.error.msg.p);
    else
        printf("FRAME %s\n", gdfs_proto_type_name(r.type));
}

static size_t replicate(char **a, int n)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_REPLICATE, .reqid = 1};
    struct gdfs_record *rec = &m.u.replicate.rec;
    size_t len;

    if (n < 7 || n - 6 > GDFS_REPLICATE_SRC_MAX ||
        strlen(a[5]) != 2 * GDFS_SHA256_LEN)
        die("replicate NAME SEQ TERM SIZE CHUNK_SIZE SHA256HEX SRC...");
    rec->name = bs(a[0]);
    rec->version.seq = num(a[1]);
    rec->version.term = num(a[2]);
    rec->size = num(a[3]);
    rec->chunk_size = (uint32_t)num(a[4]);
    if (rec->chunk_size == 0)
        die("chunk size 0");
    rec->nchunks = (uint32_t)(rec->size / rec->chunk_size +
                              (rec->size % rec->chunk_size != 0));
    for (int i = 0; i < GDFS_SHA256_LEN; i++) {
        unsigned v;

        if (sscanf(a[5] + 2 * i, "%2x", &v) != 1)
            die("bad SHA256HEX");
        rec->sha256[i] = (uint8_t)v;
    }
    for (int i = 6; i < n; i++)
        m.u.replicate.src[m.u.replicate.nsrc++] = bs(a[i]);
    if (gdfs_proto_encode(&m, out, sizeof(out), &len) != GDFS_OK)
        die("cannot encode that REPLICATE");
    return len;
}

static size_t meta_sync(char **a, int n)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_META_SYNC, .reqid = 1};
    struct gdfs_proto_writer w;
    struct gdfs_record rec;
    size_t len;

    if (n != 4)
        die("meta-sync TERM NAME SEQ VTERM");
    m.u.meta_sync.term = num(a[0]);
    memset(&rec, 0, sizeof(rec));
    rec.name = bs(a[1]);
    rec.version.seq = num(a[2]);
    rec.version.term = num(a[3]);
    if (gdfs_proto_writer_begin(&w, out, sizeof(out), &m) != GDFS_OK ||
        gdfs_proto_add_record(&w, &rec) != GDFS_OK ||
        gdfs_proto_writer_finish(&w, false, &len) != GDFS_OK)
        die("cannot encode that META_SYNC");
    return len;
}

int main(int argc, char **argv)
{
    size_t len;
    int fd;

    if (argc < 3)
        die("usage: rawframe HOST:PORT replicate|meta-sync ARGS...");
    if (strcmp(argv[2], "replicate") == 0)
        len = replicate(argv + 3, argc - 3);
    else if (strcmp(argv[2], "meta-sync") == 0)
        len = meta_sync(argv + 3, argc - 3);
    else
        die("unknown request");
    fd = dial(argv[1]);
    exchange(fd, len);
    close(fd);
    return 0;
}
