/* The node's disk room: what its database takes, what its filesystem has
 * free, the reserve it keeps, and the spare file that keeps room for term
 * and vote saves; see store.h "disk room".
 *
 * Why a spare file: a node whose disk fills (with its own copies, or with
 * anyone else's files) must still persist a newer term and its vote before
 * it answers a candidate (DESIGN.md "Terms and votes"), or it drops out of
 * elections, and with the group's leader gone, out of the group. SQLite
 * cannot pre-allocate room for one row's updates, so the node keeps a
 * megabyte of its own: when a save finds the disk full, the group thread
 * shrinks the spare file by a piece and saves again into the room that
 * gave back (a piece at a time, so that the node's other writes on a full
 * disk cannot take all of it before the next term); once the disk has
 * room above the reserve again the file is made whole. The
 * reserve keeps the node's own copies from taking that room first. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MIB (1ull << 20)
#define RESERVE_MIN (8 * MIB)
#define RESERVE_MAX (4096 * MIB)

/* Beside the database, so that the files moved away with "gdfs.db*" (a
 * damaged database, README) take it along. */
static const char *const room_suffixes[] = {"", "-wal", "-shm", "-spare"};
#define SPARE_SUFFIX "-spare"

static uint64_t cap(uint64_t x)
{
    return x < GDFS_CAPACITY_MAX ? x : GDFS_CAPACITY_MAX;
}

uint64_t gdfs_store_room_reserve(uint64_t fs_bytes, int64_t reserve_bytes)
{
    uint64_t r;

    if (reserve_bytes >= 0)
        return cap((uint64_t)reserve_bytes);
    r = fs_bytes / 20;
    if (r < RESERVE_MIN)
        r = RESERVE_MIN;
    if (r > RESERVE_MAX)
        r = RESERVE_MAX;
    if (r > fs_bytes / 4)
        r = fs_bytes / 4;
    return cap(r);
}

int gdfs_store_room_measure(const char *data_dir, int64_t reserve_bytes,
                            struct gdfs_capacity *out, char *err,
                            size_t errlen)
{
    struct statvfs vfs;
    uint64_t used = 0;
    char f[4200];

    memset(out, 0, sizeof(*out));
    if (statvfs(data_dir, &vfs) != 0) {
        snprintf(err, errlen, "statvfs %.400s: %s", data_dir, strerror(errno));
        return GDFS_EIO;
    }
    for (size_t i = 0; i < sizeof(room_suffixes) / sizeof(room_suffixes[0]);
         i++) {
        struct stat sb;

        snprintf(f, sizeof(f), "%s/%s%s", data_dir, GDFS_STORE_DB_NAME,
                 room_suffixes[i]);
        if (stat(f, &sb) == 0)
            used += (uint64_t)sb.st_blocks * 512;
    }
    out->used = cap(used);
    out->free = cap((uint64_t)vfs.f_bavail * vfs.f_frsize);
    out->reserve =
        gdfs_store_room_reserve((uint64_t)vfs.f_blocks * vfs.f_frsize,
                                reserve_bytes);
    out->known = true;
    return GDFS_OK;
}

/* @b bytes as "12.3 MiB" (or "512 B") into @buf. */
static const char *mib(uint64_t b, char *buf, size_t len)
{
    if (b < 1024)
        snprintf(buf, len, "%llu B", (unsigned long long)b);
    else
        snprintf(buf, len, "%.1f MiB", (double)b / (double)MIB);
    return buf;
}

int gdfs_store_room_check(const char *data_dir, int64_t reserve_bytes,
                          uint64_t more, const char *node_id, char *why,
                          size_t whylen)
{
    struct gdfs_capacity c;
    char err[512], a[32], b[32];

    if (gdfs_store_room_measure(data_dir, reserve_bytes, &c, err,
                                sizeof(err)) != GDFS_OK ||
        gdfs_capacity_fits(&c, more))
        return GDFS_OK;
    snprintf(why, whylen,
             "no space: node %s has %s free, below its reserve of %s "
             "([store] reserve_mib) with %llu more bytes",
             node_id, mib(c.free, a, sizeof(a)), mib(c.reserve, b, sizeof(b)),
             (unsigned long long)more);
    return GDFS_ENOSPC;
}

int gdfs_store_spare_make(const char *data_dir, int64_t reserve_bytes)
{
    struct gdfs_capacity c;
    char f[4200], err[512];
    struct stat sb;
    int fd, rc;

    snprintf(f, sizeof(f), "%s/%s%s", data_dir, GDFS_STORE_DB_NAME,
             SPARE_SUFFIX);
    if (stat(f, &sb) != 0)
        sb.st_size = -1; /* none yet */
    if ((int64_t)sb.st_size >= (int64_t)GDFS_STORE_SPARE_BYTES)
        return GDFS_OK;
    if (gdfs_store_room_measure(data_dir, reserve_bytes, &c, err,
                                sizeof(err)) != GDFS_OK)
        return GDFS_EIO;
    if (!gdfs_capacity_fits(&c, GDFS_STORE_SPARE_BYTES))
        return GDFS_ENOSPC;
    fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == ENOSPC ? GDFS_ENOSPC : GDFS_EIO;
    /* Allocated, not sparse: its blocks are what the next save gets. Not
     * fsynced: a spare file lost in a crash is made again. A failure
     * leaves the pieces there were. */
    rc = posix_fallocate(fd, 0, GDFS_STORE_SPARE_BYTES);
    if (rc != 0 && sb.st_size >= 0 && ftruncate(fd, sb.st_size) != 0)
        rc = EIO;
    close(fd);
    if (rc != 0 && sb.st_size < 0)
        unlink(f);
    if (rc != 0)
        return rc == ENOSPC ? GDFS_ENOSPC : GDFS_EIO;
    return GDFS_OK;
}

bool gdfs_store_spare_release(const char *data_dir)
{
    struct stat sb;
    char f[4200];

    snprintf(f, sizeof(f), "%s/%s%s", data_dir, GDFS_STORE_DB_NAME,
             SPARE_SUFFIX);
    if (stat(f, &sb) != 0)
        return false;
    if ((uint64_t)sb.st_size <= GDFS_STORE_SPARE_PIECE)
        return unlink(f) == 0;
    return truncate(f, sb.st_size - GDFS_STORE_SPARE_PIECE) == 0;
}
