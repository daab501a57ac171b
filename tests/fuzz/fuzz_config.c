/* libFuzzer target for gdfs_config_load: the input bytes are an INI file.
 *
 * iniparser only reads from a path, so the input is written to one
 * temporary file, created on the first call and rewritten on each one
 * (removed at exit). data_dir is not checked, so nothing else touches the
 * file system. iniparser may print syntax complaints to stderr; that is
 * expected. Build (see tests/fuzz/run.sh):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
 *       -I/usr/include/iniparser tests/fuzz/fuzz_config.c src/err.c
 *       src/log.c src/config.c -liniparser
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];
static int fd = -1;

static void remove_input(void)
{
    if (path[0] != '\0')
        unlink(path);
}

/* Replace the file's content by @data. Returns 0, or -1 on I/O error. */
static int rewrite(const uint8_t *data, size_t size)
{
    size_t done = 0;

    if (ftruncate(fd, 0) != 0)
        return -1;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gdfs_config cfg;
    char err[512];

    if (fd < 0) {
        snprintf(path, sizeof(path), "/tmp/gdfs-fuzz-config.XXXXXX");
        fd = mkstemp(path);
        if (fd < 0) {
            perror("mkstemp");
            abort();
        }
        atexit(remove_input);
    }
    if (rewrite(data, size) != 0) {
        perror(path);
        abort();
    }
    if (gdfs_config_load(path, &cfg, 0, err, sizeof(err)) == GDFS_OK) {
        /* What the loader promises on success. */
        if (cfg.node_id == NULL || cfg.listen == NULL ||
            cfg.advertise == NULL || cfg.data_dir == NULL ||
            cfg.plugin == NULL || cfg.plugin_dir == NULL ||
            cfg.nplugin_kv > GDFS_CONFIG_MAX_PLUGIN_KEYS ||
            cfg.chunk_size % 4096 != 0 ||
            (cfg.page_size & (cfg.page_size - 1)) != 0)
            abort();
        gdfs_config_free(&cfg);
    } else if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL) {
        abort(); /* every failure must say why */
    }
    return 0;
}
