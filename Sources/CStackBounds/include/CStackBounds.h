#ifndef BATON_STACK_BOUNDS_H
#define BATON_STACK_BOUNDS_H
#include <stdint.h>
/// The lowest address of the calling thread's stack, or 0 when it cannot be known. JSONata
/// evaluation stops with an error before recursion reaches it.
uintptr_t baton_stack_low(void);
#endif
