// Counts heap allocations for the benchmark executable by interposing malloc, calloc and
// realloc (an executable's definitions take precedence over libc's in ELF symbol lookup)
// and forwarding to glibc's own entry points. Linked only into BatonBench.
#include "AllocationCounter.h"
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static uint64_t allocations = 0;

void *malloc(size_t size) {
    __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
    __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, size);
}

uint64_t baton_allocation_count(void) { return __atomic_load_n(&allocations, __ATOMIC_RELAXED); }
