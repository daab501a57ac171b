/* gdfs-cli put and get: stream a file chunk by chunk, so memory does not
 * grow with its size, and check every chunk's SHA-256 and the file's hash
 * list. A get writes a temporary file beside LOCAL and renames it into
 * place only when every byte checked out, so LOCAL is never half-written. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "hash.h"
#include "net.h"

/* ---- put ----------------------------------------------------------------- */

/* Read up to @len bytes (fewer only at end of file). */
static int read_full(int fd, uint8_t *buf, size_t len, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = read(fd, buf + *got, len - *got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* Stream the chunks of @fd; on success *size, *nchunks and @sha (hash
 * list) describe what was sent. A reply arriving early (the node refused
 * the put) stops the stream: *early is set and the caller reads it. */
static int send_chunks(struct cli *c, int fd, uint32_t chunk_size,
                       const char *local, struct progress *pg, uint64_t *size,
                       uint32_t *nchunks, uint8_t *sha, int *early)
{
    uint8_t *data = c->out + GDFS_PROTO_CHUNK_OVERHEAD;
    struct gdfs_hash list;
    int rc;

    *size = 0;
    *nchunks = 0;
    *early = 0;
    if (gdfs_hash_init(&list) != GDFS_OK)
        return cli_fail(GDFS_ENOMEM, "put: hash");
    for (;;) {
        uint8_t csha[GDFS_SHA256_LEN];
        size_t got;

        if (read_full(fd, data, chunk_size, &got) != 0) {
            gdfs_hash_discard(&list);
            return cli_fail(GDFS_EIO, "put: read %s: %s", local,
                            strerror(errno));
        }
        if (got == 0)
            break;
        if (gdfs_net_readable(&c->conn)) {
            *early = 1;
            gdfs_hash_discard(&list);
            return 0;
        }
        gdfs_hash_sha256(data, got, csha);
        gdfs_hash_update(&list, csha, sizeof(csha));
        gdfs_proto_encode_chunk_hdr(c->out, c->reqid, *nchunks, csha,
                                    (uint32_t)got);
        rc = gdfs_net_send_all(&c->conn, c->out,
                               GDFS_PROTO_CHUNK_OVERHEAD + got,
                               c->io_timeout_ms);
        if (rc != GDFS_OK) {
            /* The node may have said why before it stopped reading. */
            if (gdfs_net_readable(&c->conn)) {
                *early = 1;
                gdfs_hash_discard(&list);
                return 0;
            }
            gdfs_hash_discard(&list);
            return cli_fail(rc, "put: sending chunk %u to %s: %s", *nchunks,
                            c->addr, c->conn.errmsg);
        }
        (*nchunks)++;
        *size += got;
        progress_add(pg, got);
        if (got < chunk_size)
            break;
    }
    gdfs_hash_final(&list, sha);
    return 0;
}

int cli_put_file(struct cli *c, const char *local, const char *name,
                 struct cli_done *done)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_PUT};
    struct gdfs_msg r;
    struct progress pg;
    struct stat sb;
    uint64_t size;
    uint32_t nchunks, chunk_size;
    uint8_t sha[GDFS_SHA256_LEN];
    int fd, early, status;

    fd = strcmp(local, "-") == 0 ? STDIN_FILENO : open(local, O_RDONLY);
    if (fd < 0)
        return cli_fail(GDFS_EINVAL, "put: cannot open %s: %s", local,
                        strerror(errno));
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        return cli_fail(GDFS_EINVAL, "put: %s is a directory", local);
    }
    m.u.put.name.p = (const uint8_t *)name;
    m.u.put.name.len = strlen(name);
    status = cli_call(c, &m, &r, "put");
    if (status != 0)
        goto out;
    if (r.type != GDFS_MSG_NDTOCL_PUT_READY ||
        r.u.put_ready.chunk_size + (size_t)GDFS_PROTO_CHUNK_OVERHEAD >
            c->outcap) {
        status = cli_fail(GDFS_EPROTO, "put %s: unexpected %s reply", name,
                          gdfs_proto_type_name(r.type));
        goto out;
    }
    chunk_size = r.u.put_ready.chunk_size;
    progress_start(&pg, c->progress, "put",
                   S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : UINT64_MAX);
    status = send_chunks(c, fd, chunk_size, local, &pg, &size, &nchunks, sha,
                         &early);
    if (status != 0 || early) {
        progress_end(&pg, 0);
        if (early) {
            status = cli_recv(c, &r, "put");
            if (status == 0)
                status = cli_fail(GDFS_EPROTO, "put %s: unexpected %s reply",
                                  name, gdfs_proto_type_name(r.type));
        }
        goto out;
    }
    m.type = GDFS_MSG_CLTOND_PUT_END;
    m.u.put_end.size = size;
    m.u.put_end.nchunks = nchunks;
    memcpy(m.u.put_end.sha256, sha, sizeof(sha));
    status = cli_call(c, &m, &r, "put");
    progress_end(&pg, status == 0);
    if (status != 0)
        goto out;
    if (r.type != GDFS_MSG_NDTOCL_OK) {
        status = cli_fail(GDFS_EPROTO, "put %s: unexpected %s reply", name,
                          gdfs_proto_type_name(r.type));
        goto out;
    }
    done->version = r.u.ok.version.seq;
    done->size = size;
    status = 0;
out:
    if (fd != STDIN_FILENO)
        close(fd);
    return status;
}

int cli_put(struct cli *c, const char *local, const char *name)
{
    struct cli_done done;
    int status = cli_put_file(c, local, name, &done);

    if (status != 0)
        return status;
    if (c->json) {
        printf("{\"name\": ");
        output_json_string(stdout, (const uint8_t *)name, strlen(name));
        printf(", \"version\": %llu, \"size\": %llu}\n",
               (unsigned long long)done.version,
               (unsigned long long)done.size);
    } else {
        printf("%s: version %llu, %llu bytes\n", name,
               (unsigned long long)done.version,
               (unsigned long long)done.size);
    }
    return 0;
}

/* ---- get ----------------------------------------------------------------- */

static int write_full(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Receive and check every chunk of the version described by @info,
 * writing it to @fd. Returns an exit status. */
static int recv_chunks(struct cli *c, const char *name, const char *local,
                       const struct gdfs_msg *info, int fd)
{
    uint64_t size = info->u.get_info.size, left = size;
    uint32_t n = info->u.get_info.nchunks, cs = info->u.get_info.chunk_size;
    uint8_t sha[GDFS_SHA256_LEN], list_sha[GDFS_SHA256_LEN];
    uint8_t want_list[GDFS_SHA256_LEN];
    struct gdfs_hash list;
    struct progress pg;
    int rc;

    memcpy(want_list, info->u.get_info.sha256, sizeof(want_list));
    if (gdfs_hash_init(&list) != GDFS_OK)
        return cli_fail(GDFS_ENOMEM, "get: hash");
    progress_start(&pg, c->progress, "get", size);
    for (uint32_t i = 0; i < n; i++) {
        struct gdfs_msg r;
        size_t want = left < cs ? (size_t)left : cs;

        rc = cli_recv(c, &r, "get");
        if (rc != 0) {
            gdfs_hash_discard(&list);
            progress_end(&pg, 0);
            return rc;
        }
        if (r.type != GDFS_MSG_CHUNK || r.u.chunk.idx != i ||
            r.u.chunk.data.len != want) {
            gdfs_hash_discard(&list);
            progress_end(&pg, 0);
            return cli_fail(GDFS_EPROTO,
                            "get %s: expected chunk %u of %zu bytes, got %s",
                            name, i, want, gdfs_proto_type_name(r.type));
        }
        gdfs_hash_sha256(r.u.chunk.data.p, want, sha);
        if (memcmp(sha, r.u.chunk.sha256, sizeof(sha)) != 0) {
            gdfs_hash_discard(&list);
            progress_end(&pg, 0);
            return cli_fail(GDFS_ECORRUPT, "get %s: chunk %u", name, i);
        }
        gdfs_hash_update(&list, sha, sizeof(sha));
        if (write_full(fd, r.u.chunk.data.p, want) != 0) {
            int e = errno;

            gdfs_hash_discard(&list);
            progress_end(&pg, 0);
            return cli_fail(GDFS_EIO, "get %s: write %s: %s", name, local,
                            strerror(e));
        }
        left -= want;
        progress_add(&pg, want);
    }
    gdfs_hash_final(&list, list_sha);
    if (memcmp(list_sha, want_list, sizeof(list_sha)) != 0) {
        progress_end(&pg, 0);
        return cli_fail(GDFS_ECORRUPT, "get %s: file checksum mismatch", name);
    }
    progress_end(&pg, 1);
    return 0;
}

/* A temporary file beside @local: same directory, so rename is atomic.
 * It gets the mode of the file it replaces, or 0666 less the umask for a
 * new one, as open(2) would give. */
static int open_temp(const char *local, char *tmp, size_t cap)
{
    char dir[4096];
    struct stat sb;
    mode_t mode, mask;
    int fd;

    snprintf(dir, sizeof(dir), "%s", local);
    snprintf(tmp, cap, "%s/.%s.gdfs-XXXXXX", dirname(dir),
             strrchr(local, '/') ? strrchr(local, '/') + 1 : local);
    fd = mkstemp(tmp);
    if (fd < 0)
        return fd;
    if (stat(local, &sb) == 0) {
        mode = sb.st_mode & 07777;
    } else {
        mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    fchmod(fd, mode);
    return fd;
}

int cli_get_file(struct cli *c, const char *name, const char *local,
                 struct cli_done *done)
{
    struct gdfs_msg m = {.type = GDFS_MSG_CLTOND_GET};
    struct gdfs_msg r;
    char tmp[4200];
    int to_stdout = strcmp(local, "-") == 0;
    int fd = STDOUT_FILENO, status;
    struct stat sb;

    if (!to_stdout && stat(local, &sb) == 0 && S_ISDIR(sb.st_mode))
        return cli_fail(GDFS_EINVAL, "get: %s is a directory", local);
    m.flags = c->stale_ok ? GDFS_FLAG_STALE_OK : 0;
    m.u.get.seq = c->seq;
    m.u.get.name.p = (const uint8_t *)name;
    m.u.get.name.len = strlen(name);
    status = cli_call(c, &m, &r, "get");
    if (status == 0 && r.type == GDFS_MSG_NDTOCL_STALE) {
        /* Only after --stale-ok: the node had no quorum. */
        fprintf(stderr, "warning: %.*s\n", (int)r.u.stale.msg.len,
                (const char *)r.u.stale.msg.p);
        status = cli_recv(c, &r, "get");
    }
    if (status != 0)
        return status;
    if (r.type != GDFS_MSG_NDTOCL_GET_INFO)
        return cli_fail(GDFS_EPROTO, "get %s: unexpected %s reply", name,
                        gdfs_proto_type_name(r.type));
    done->version = r.u.get_info.version.seq;
    done->size = r.u.get_info.size;
    if (!to_stdout) {
        fd = open_temp(local, tmp, sizeof(tmp));
        if (fd < 0)
            return cli_fail(GDFS_EIO,
                            "get: cannot create a file beside %s: %s", local,
                            strerror(errno));
    }
    status = recv_chunks(c, name, local, &r, fd);
    if (to_stdout) {
        if (status == 0 && fflush(stdout) != 0)
            status = cli_fail(GDFS_EIO, "get: write stdout: %s",
                              strerror(errno));
        return status;
    }
    if (status == 0 && (fsync(fd) != 0 || close(fd) != 0)) {
        status = cli_fail(GDFS_EIO, "get: write %s: %s", local,
                          strerror(errno));
        fd = -1;
    } else if (status == 0) {
        fd = -1;
        if (rename(tmp, local) != 0)
            status = cli_fail(GDFS_EIO, "get: rename to %s: %s", local,
                              strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    if (status != 0)
        unlink(tmp);
    return status;
}

int cli_get(struct cli *c, const char *name, const char *local)
{
    struct cli_done done;

    return cli_get_file(c, name, local, &done);
}
