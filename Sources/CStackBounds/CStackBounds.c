#define _GNU_SOURCE
#include <pthread.h>
#include "CStackBounds.h"

/* Reading the bounds is slow for the main thread (glibc parses /proc/self/maps), so each
   thread asks once. */
static __thread uintptr_t cached_low = 0;
static __thread int cached = 0;

static uintptr_t stack_low(void);

uintptr_t baton_stack_low(void) {
    if (!cached) {
        cached_low = stack_low();
        cached = 1;
    }
    return cached_low;
}

static uintptr_t stack_low(void) {
#if defined(__linux__)
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return 0;
    void *addr = 0;
    size_t size = 0;
    int rc = pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    return rc == 0 ? (uintptr_t)addr : 0;
#elif defined(__APPLE__)
    pthread_t self = pthread_self();
    return (uintptr_t)pthread_get_stackaddr_np(self) - pthread_get_stacksize_np(self);
#else
    return 0;
#endif
}
