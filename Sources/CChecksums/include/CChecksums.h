#ifndef CCHECKSUMS_H
#define CCHECKSUMS_H
#include <stddef.h>
#include <stdint.h>

/// CRC-64/NVME's register (reflected polynomial 0x9A6C9329AC4BC9B5, no init or final xor
/// applied here) after `length` more bytes: carry-less multiplication folding 64 bytes a step
/// where the CPU has PCLMULQDQ, eight tables (slicing by eight) elsewhere and for short inputs.
uint64_t baton_crc64nvme_update(uint64_t crc, const uint8_t *bytes, size_t length);

/// CRC-32C's register (Castagnoli, reflected 0x82F63B78, no init or final xor) after `length`
/// more bytes: the CPU's CRC32 instruction where it has SSE 4.2, a byte table elsewhere.
uint32_t baton_crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length);

#endif
