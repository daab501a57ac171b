/* How the node keeps its resident memory bounded: records live on disk
 * (SQLite, with a page cache of [store] cache_kib per connection), and
 * what a put allocates is freed when it ends, so what grows otherwise is
 * memory the C library keeps after free (docs/ARCHITECTURE.md,
 * invariant 6).
 *
 * glibc's allocator moves its mmap threshold up to the size of the last
 * large block freed: after the first put, the chunk-sized frames every put
 * takes and frees (256 KiB by default) came from the heap arenas, where
 * their churn between long-lived small blocks (SQLite's pages) left free
 * holes the arenas keep. Putting 100 000 small files through the leader
 * of 3 nodes grew its anonymous memory from 11 to 38 MiB while the blocks
 * in use stayed between 17 and 29 MiB (mallinfo2); over 500 000 files in
 * 5 nodes it reached 184 MiB. A fixed threshold keeps those frames in
 * mappings of their own, returned to the system on free (22 MiB at
 * 100 000), and a periodic malloc_trim returns the free pages the arenas
 * of the node's many threads still hold: 18 MiB at 30 000 files, then
 * 16-19 MiB up to 100 000. */
#ifndef GDFS_NODE_MEMORY_H
#define GDFS_NODE_MEMORY_H

struct gdfs_memory;

/* Fix the allocator's thresholds and start the trimming thread. GDFS_OK,
 * or GDFS_ENOMEM (nothing started). */
int gdfs_memory_start(struct gdfs_memory **out);
/* Stop the thread. NULL is fine. */
void gdfs_memory_stop(struct gdfs_memory *m);

#endif
