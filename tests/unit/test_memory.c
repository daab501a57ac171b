/* Unit tests of the node's allocator settings (src/node/memory.c): with
 * them, a chunk-sized frame is a mapping of its own every time, also after
 * one was freed (glibc's moving threshold would put the next one in the
 * heap arenas), and the trimming thread starts and stops. */
#include <check.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "node/memory.h"

/* A frame of the default chunk_size (256 KiB) with its header room. */
#define FRAME (256 * 1024 + 64 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

#ifndef SANITIZED
/* Mapped blocks in use now. */
static size_t mapped(void)
{
    return mallinfo2().hblks;
}
#endif

START_TEST(test_memory_frames_stay_mapped)
{
#ifdef SANITIZED
    /* The sanitizer's allocator replaces glibc's: nothing to check. */
    return;
#else
    struct gdfs_memory *m;
    size_t before;
    char *a, *b;

    ck_assert_int_eq(gdfs_memory_start(&m), GDFS_OK);
    ck_assert_ptr_nonnull(m);
    a = malloc(FRAME);
    ck_assert_ptr_nonnull(a);
    memset(a, 1, 4096);
    free(a);
    /* Freeing a mapped block of this size moves glibc's own threshold
     * above it: without the fixed one, the next frame is in the heap. */
    before = mapped();
    b = malloc(FRAME);
    ck_assert_ptr_nonnull(b);
    memset(b, 2, 4096);
    ck_assert_uint_eq(mapped(), before + 1);
    free(b);
    ck_assert_uint_eq(mapped(), before);
    gdfs_memory_stop(m);
#endif
}
END_TEST

START_TEST(test_memory_stop_null)
{
    gdfs_memory_stop(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("memory");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_memory_frames_stay_mapped);
    tcase_add_test(tc, test_memory_stop_null);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
