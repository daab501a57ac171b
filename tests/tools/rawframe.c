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
 *   rawframe HOST:PORT rput NAME FILE VERSION...
 *       for each version SEQ:TERM in turn, on one connection and without
 * waiting for any reply (as a gateway streams a put): NDTOND_RPUT of NAME at
 *       that version, FILE (at most 64 KiB) as one CHUNK, and PUT_END;
 *       then the replies: each stream's answer to RPUT, and after a
 *       PUT_READY ("READY SEQ TERM") the answer to PUT_END. A version
 *       0:0=SEQ:TERM is a stream whose version comes later: RPUT at 0 0,
 *       the data, then, after its replies, NDTOND_RPUT_VERSION SEQ:TERM
 *       with the stream's content (0:0=SEQ:TERM~: with a size one larger;
 *       0:0=-: none, the connection closes after the OK, as a gateway
 *       that died) and its reply; such a stream is sent after the
 *       others' replies
 *   rawframe HOST:PORT alloc NAME
 *       NDTOND_ALLOC of NAME: prints "PLACE SEQ TERM ID..."
 *   rawframe HOST:PORT commit NAME SEQ TERM FILE ID...
 *       NDTOND_COMMIT of NAME at (SEQ, TERM) with FILE's content in one
 *       65536-byte chunk, on replicas ID... each acknowledged
 *
 * Prints "OK SEQ TERM", "ERROR STATUS MESSAGE" or "FRAME TYPE" (any other
 * reply), one line per reply, and exits 0; exits 1 on a bad argument or a
 * transport failure.
 * Plain TCP, no plugin: a node-to-node request is just a frame. Built for
 * make check only (check_PROGRAMS), never installed. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hash.h"
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

static void write_all(int fd, const uint8_t *p, size_t n)
{
    if (write(fd, p, n) != (ssize_t)n)
        die("send failed");
}

/* Read and print one reply frame; its type. */
static uint8_t print_reply(int fd)
{
    struct gdfs_frame_hdr hdr;
    struct gdfs_msg r;

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
    else if (r.type == GDFS_MSG_NDTOCL_PLACE) {
        printf("PLACE %llu %llu", (unsigned long long)r.u.place.version.seq,
               (unsigned long long)r.u.place.version.term);
        for (unsigned i = 0; i < r.u.place.nreplicas; i++)
            printf(" %.*s", (int)r.u.place.replica[i].id.len,
                   (const char *)r.u.place.replica[i].id.p);
        printf("\n");
    } else if (r.type == GDFS_MSG_NDTOCL_PUT_READY)
        printf("READY %llu %llu\n",
               (unsigned long long)r.u.put_ready.version.seq,
               (unsigned long long)r.u.put_ready.version.term);
    else
        printf("FRAME %s\n", gdfs_proto_type_name(r.type));
    fflush(stdout);
    return r.type;
}

/* Send @len bytes of @out, then print the one reply frame. */
static void exchange(int fd, size_t len)
{
    write_all(fd, out, len);
    print_reply(fd);
}

#define RPUT_DATA_MAX 65536

/* SHA-256 over the one chunk's SHA-256: a one-chunk file's checksum. */
static void file_sum(const uint8_t *data, size_t len,
                     uint8_t sum[GDFS_SHA256_LEN])
{
    uint8_t sha[GDFS_SHA256_LEN];

    gdfs_hash_sha256(data, len, sha);
    gdfs_hash_sha256(sha, sizeof(sha), sum);
}

/* FILE's bytes (1 to RPUT_DATA_MAX) into @data; their count. */
static size_t read_small(const char *path, uint8_t *data)
{
    FILE *f = fopen(path, "rb");
    size_t got;

    if (f == NULL)
        die("cannot open FILE");
    got = fread(data, 1, RPUT_DATA_MAX + 1, f);
    fclose(f);
    if (got == 0 || got > RPUT_DATA_MAX)
        die("FILE must hold 1 to 65536 bytes");
    return got;
}

/* Encode @m into out and send it. */
static void send_msg(int fd, struct gdfs_msg *m)
{
    size_t len;

    if (gdfs_proto_encode(m, out, sizeof(out), &len) != GDFS_OK)
        die("cannot encode a frame");
    write_all(fd, out, len);
}

/* One stream: RPUT of @name at @v, @data as one CHUNK, then PUT_END. */
static void send_stream(int fd, const char *name, const uint8_t *data,
                        size_t got, struct gdfs_version v)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_RPUT, .reqid = 1};

    m.u.rput.version = v;
    m.u.rput.chunk_size = RPUT_DATA_MAX;
    m.u.rput.name = bs(name);
    send_msg(fd, &m);
    m = (struct gdfs_msg){.type = GDFS_MSG_CHUNK, .reqid = 1};
    gdfs_hash_sha256(data, got, m.u.chunk.sha256);
    m.u.chunk.data = (struct gdfs_bytes){data, got};
    send_msg(fd, &m);
    m = (struct gdfs_msg){.type = GDFS_MSG_CLTOND_PUT_END, .reqid = 1};
    m.u.put_end.size = got;
    m.u.put_end.nchunks = 1;
    file_sum(data, got, m.u.put_end.sha256);
    send_msg(fd, &m);
}

/* A stream whose version comes later: RPUT at 0 0 and the data, its
 * replies, then RPUT_VERSION @v (with a size one larger when @wrong) and
 * its reply. */
static void later_stream(int fd, const char *name, const uint8_t *data,
                         size_t got, struct gdfs_version v, bool wrong)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_RPUT_VERSION, .reqid = 2};

    send_stream(fd, name, data, got, (struct gdfs_version){0, 0});
    if (print_reply(fd) != GDFS_MSG_NDTOCL_PUT_READY ||
        print_reply(fd) != GDFS_MSG_NDTOCL_OK || v.seq == 0)
        return;
    m.u.put_end.version = v;
    m.u.put_end.size = got + (wrong ? 1 : 0);
    m.u.put_end.nchunks = 1;
    file_sum(data, got, m.u.put_end.sha256);
    send_msg(fd, &m);
    print_reply(fd);
}

/* rput NAME FILE VERSION...: the streams with plain versions, sent back to
 * back on @fd, then their replies; then the ones of versions to come. */
static void rput(int fd, char **a, int n)
{
    static uint8_t data[RPUT_DATA_MAX + 1];
    size_t got;

    if (n < 3)
        die("rput NAME FILE SEQ:TERM...");
    got = read_small(a[1], data);
    for (int pass = 0; pass < 3; pass++)
        for (int i = 2; i < n; i++) {
            unsigned long long seq, term, vseq, vterm;
            char tail = 0, extra;
            int k = sscanf(a[i], "%llu:%llu=%llu:%llu%c%c", &seq, &term, &vseq,
                           &vterm, &tail, &extra);

            if (k == 2 && strchr(a[i], '=') == NULL) {
                if (pass == 0)
                    send_stream(fd, a[0], data, got,
                                (struct gdfs_version){seq, term});
                else if (pass == 1 &&
                         print_reply(fd) == GDFS_MSG_NDTOCL_PUT_READY)
                    print_reply(fd);
            } else if (seq == 0 && term == 0 &&
                       (k == 4 || (k == 5 && tail == '~'))) {
                if (pass == 2)
                    later_stream(fd, a[0], data, got,
                                 (struct gdfs_version){vseq, vterm}, k == 5);
            } else if (strcmp(a[i], "0:0=-") == 0) {
                if (pass == 2) /* and no RPUT_VERSION: the last stream */
                    later_stream(fd, a[0], data, got,
                                 (struct gdfs_version){0, 0}, false);
            } else
                die("a version is SEQ:TERM or 0:0=SEQ:TERM[~] or 0:0=-");
        }
}

static size_t alloc(char **a, int n)
{
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_ALLOC, .reqid = 1};
    size_t len;

    if (n != 1)
        die("alloc NAME");
    m.u.put.name = bs(a[0]);
    if (gdfs_proto_encode(&m, out, sizeof(out), &len) != GDFS_OK)
        die("cannot encode that ALLOC");
    return len;
}

static size_t commit(char **a, int n)
{
    static uint8_t data[RPUT_DATA_MAX + 1];
    struct gdfs_msg m = {.type = GDFS_MSG_NDTOND_COMMIT, .reqid = 1};
    struct gdfs_record *rec = &m.u.record.rec;
    size_t len;

    if (n < 5 || n - 4 > GDFS_REPLICAS)
        die("commit NAME SEQ TERM FILE ID...");
    rec->name = bs(a[0]);
    rec->version.seq = num(a[1]);
    rec->version.term = num(a[2]);
    rec->size = read_small(a[3], data);
    rec->chunk_size = RPUT_DATA_MAX;
    rec->nchunks = 1;
    file_sum(data, rec->size, rec->sha256);
    for (int i = 4; i < n; i++) {
        rec->replica[rec->nreplicas].id = bs(a[i]);
        rec->acked |= (uint8_t)(1u << rec->nreplicas++);
    }
    if (gdfs_proto_encode(&m, out, sizeof(out), &len) != GDFS_OK)
        die("cannot encode that COMMIT");
    return len;
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
        die("usage: rawframe HOST:PORT "
            "replicate|meta-sync|rput|alloc|commit ARGS...");
    if (strcmp(argv[2], "rput") == 0) {
        fd = dial(argv[1]);
        rput(fd, argv + 3, argc - 3);
        close(fd);
        return 0;
    }
    if (strcmp(argv[2], "replicate") == 0)
        len = replicate(argv + 3, argc - 3);
    else if (strcmp(argv[2], "meta-sync") == 0)
        len = meta_sync(argv + 3, argc - 3);
    else if (strcmp(argv[2], "alloc") == 0)
        len = alloc(argv + 3, argc - 3);
    else if (strcmp(argv[2], "commit") == 0)
        len = commit(argv + 3, argc - 3);
    else
        die("unknown request");
    fd = dial(argv[1]);
    exchange(fd, len);
    close(fd);
    return 0;
}
