// Counts the heap allocations of a process: LD_PRELOAD it and read the line it prints at exit.
// Run a program twice with different amounts of work and divide the difference in calls by the
// difference in work, to get the allocations per unit of work (docs/guard-detectors.md).
//
//     cc -shared -fPIC -O2 -o /tmp/malloc-count.so bench/malloc-count.c
//     LD_PRELOAD=/tmp/malloc-count.so ./program
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);

static atomic_long calls;
static atomic_long bytes;

void *malloc(size_t size) {
    atomic_fetch_add(&calls, 1);
    atomic_fetch_add(&bytes, (long)size);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    atomic_fetch_add(&calls, 1);
    atomic_fetch_add(&bytes, (long)(count * size));
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    atomic_fetch_add(&calls, 1);
    atomic_fetch_add(&bytes, (long)size);
    return __libc_realloc(pointer, size);
}

__attribute__((destructor)) static void report(void) {
    fprintf(stderr, "malloc-count: %ld calls, %ld bytes\n", atomic_load(&calls), atomic_load(&bytes));
}
