// Checksums S3 computes over every object's bytes. The fold for CRC-64/NVME follows Intel's
// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ" (Gopal et al., 2009) in its
// bit-reflected form: a 128-bit block B (first byte lowest) stands for the polynomial
// LO·x^64 + HI, and a carry-less product of two reflected 64-bit values is the product of
// their polynomials times x, so the constant that moves a half n bits on is x^(n-1) mod P.
#include "CChecksums.h"
#include <pthread.h>
#include <string.h>

#define CRC64_POLY 0x9A6C9329AC4BC9B5ULL
#define CRC32C_POLY 0x82F63B78U

/// Eight tables for CRC-64/NVME by slicing: table k maps a byte k places further on (the way
/// on a CPU without PCLMULQDQ, and for inputs shorter than a fold).
static uint64_t crc64_table[8][256];
static uint32_t crc32c_table[256];
/// x^191, x^127 (one block on), x^575, x^511 (four blocks on), each mod P, reflected.
static uint64_t k191, k127, k575, k511;
static int has_pclmul, has_sse42;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/// x^n mod P in the reflected form: bit i stands for x^(63-i), so multiplying by x is a shift
/// right, and x^64 folds back in as the polynomial.
static uint64_t xpow(unsigned n) {
    uint64_t r = 1ULL << 63;
    for (unsigned i = 0; i < n; i++) r = (r & 1) ? (r >> 1) ^ CRC64_POLY : r >> 1;
    return r;
}

static void setup(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint64_t c = i;
        uint32_t d = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? CRC64_POLY ^ (c >> 1) : c >> 1;
            d = (d & 1) ? CRC32C_POLY ^ (d >> 1) : d >> 1;
        }
        crc64_table[0][i] = c;
        crc32c_table[i] = d;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            crc64_table[k][i] = (crc64_table[k - 1][i] >> 8) ^ crc64_table[0][crc64_table[k - 1][i] & 0xFF];
    k191 = xpow(191);
    k127 = xpow(127);
    k575 = xpow(575);
    k511 = xpow(511);
#if defined(__x86_64__)
    __builtin_cpu_init();
    has_pclmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    has_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

static uint64_t crc64_bytes(uint64_t c, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        c ^= w;
        c = crc64_table[7][c & 0xFF] ^ crc64_table[6][(c >> 8) & 0xFF] ^ crc64_table[5][(c >> 16) & 0xFF]
            ^ crc64_table[4][(c >> 24) & 0xFF] ^ crc64_table[3][(c >> 32) & 0xFF] ^ crc64_table[2][(c >> 40) & 0xFF]
            ^ crc64_table[1][(c >> 48) & 0xFF] ^ crc64_table[0][c >> 56];
        p += 8;
        n -= 8;
    }
    for (size_t i = 0; i < n; i++) c = crc64_table[0][(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c;
}

static uint32_t crc32c_bytes(uint32_t c, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) c = crc32c_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__)
#include <immintrin.h>

/// B moved `n` bits on (k_lo = x^(n+63) mod P for its first half, k_hi = x^(n-1) mod P for its
/// second), plus the next block.
__attribute__((target("pclmul,sse4.1")))
static inline __m128i fold(__m128i b, __m128i k, __m128i next) {
    __m128i lo = _mm_clmulepi64_si128(b, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(b, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("pclmul,sse4.1")))
static uint64_t crc64_pclmul(uint64_t crc, const uint8_t *p, size_t n) {
    // The register joins the message: it is XORed into the first eight bytes.
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi64_si128((long long)crc));
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    p += 64;
    n -= 64;
    const __m128i k4 = _mm_set_epi64x((long long)k511, (long long)k575);
    while (n >= 64) {
        x0 = fold(x0, k4, _mm_loadu_si128((const __m128i *)p));
        x1 = fold(x1, k4, _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = fold(x2, k4, _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = fold(x3, k4, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        n -= 64;
    }
    const __m128i k1 = _mm_set_epi64x((long long)k127, (long long)k191);
    __m128i x = fold(x0, k1, x1);
    x = fold(x, k1, x2);
    x = fold(x, k1, x3);
    while (n >= 16) {
        x = fold(x, k1, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        n -= 16;
    }
    // The block's 16 bytes as a message after a zero register give B·x^64 mod P, the CRC so far.
    uint8_t last[16];
    _mm_storeu_si128((__m128i *)last, x);
    return crc64_bytes(crc64_bytes(0, last, 16), p, n);
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t d = (uint32_t)c;
    while (n > 0) {
        d = _mm_crc32_u8(d, *p++);
        n--;
    }
    return d;
}
#endif

uint64_t baton_crc64nvme_update(uint64_t crc, const uint8_t *bytes, size_t length) {
    pthread_once(&once, setup);
#if defined(__x86_64__)
    if (has_pclmul && length >= 64) return crc64_pclmul(crc, bytes, length);
#endif
    return crc64_bytes(crc, bytes, length);
}

uint32_t baton_crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length) {
    pthread_once(&once, setup);
#if defined(__x86_64__)
    if (has_sse42) return crc32c_sse42(crc, bytes, length);
#endif
    return crc32c_bytes(crc, bytes, length);
}
