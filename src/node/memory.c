/* The allocator's thresholds and the trimming thread; see memory.h. */
#define GDFS_LOG_MODULE "memory"
#include "node/memory.h"

#include <malloc.h>
#include <stdlib.h>

#include "err.h"
#include "log.h"
#include "worker.h"

/* Blocks from this size up get a mapping of their own. Below a chunk
 * frame (4 KiB chunks are the smallest: their frames stay in the heap),
 * above SQLite's pages (at most 64 KiB). */
#define MMAP_THRESHOLD (128 * 1024)
/* A trim walks every arena; free pages are given back once this much is
 * free. */
#define TRIM_EVERY_MS 10000
#define TRIM_ABOVE (4u << 20)

struct gdfs_memory {
    struct gdfs_worker w;
};

static void *trim_main(void *arg)
{
    struct gdfs_memory *m = arg;

    while (gdfs_worker_sleep_ms(&m->w, TRIM_EVERY_MS)) {
        struct mallinfo2 mi = mallinfo2();

        if (mi.fordblks >= TRIM_ABOVE)
            malloc_trim(0);
    }
    return NULL;
}

int gdfs_memory_start(struct gdfs_memory **out)
{
    struct gdfs_memory *m = calloc(1, sizeof(*m));

    *out = NULL;
    if (m == NULL)
        return GDFS_ENOMEM;
    /* Setting it turns glibc's moving threshold off. */
    if (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1)
        gdfs_log(GDFS_LOG_DEBUG, "the allocator takes no mmap threshold "
                                 "(a sanitizer's?)");
    if (gdfs_worker_start(&m->w, trim_main, m) != 0) {
        free(m);
        return GDFS_ENOMEM;
    }
    *out = m;
    return GDFS_OK;
}

void gdfs_memory_stop(struct gdfs_memory *m)
{
    if (m == NULL)
        return;
    gdfs_worker_stop(&m->w);
    free(m);
}
