#ifndef BATON_ALLOCATION_COUNTER_H
#define BATON_ALLOCATION_COUNTER_H
#include <stdint.h>
/// Number of malloc/calloc/realloc calls since the process started (benchmarks only).
uint64_t baton_allocation_count(void);
#endif
