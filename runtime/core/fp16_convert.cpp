#include "runtime/core/fp16_convert.hpp"

#include "support/fp16.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ANEC_HAVE_F16C_PATH 1
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace anec::runtime {

void halfToFloatPortable(const uint16_t* in, float* out, size_t count) {
    for (size_t i = 0; i < count; ++i)
        out[i] = anec::halfToFloat(in[i]);
}

void floatToHalfPortable(const float* in, uint16_t* out, size_t count) {
    for (size_t i = 0; i < count; ++i)
        out[i] = anec::floatToHalf(in[i]);
}

void roundToHalfPortable(float* values, size_t count) {
    for (size_t i = 0; i < count; ++i)
        values[i] = anec::halfToFloat(anec::floatToHalf(values[i]));
}

#ifdef ANEC_HAVE_F16C_PATH
namespace {
// 8 lanes per step; the tail goes through the portable path (bit-identical results).
__attribute__((target("f16c,avx"))) void halfToFloatF16c(const uint16_t* in, float* out,
                                                         size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i half = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(half));
    }
    halfToFloatPortable(in + i, out + i, count - i);
}

__attribute__((target("f16c,avx"))) void floatToHalfF16c(const float* in, uint16_t* out,
                                                         size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i half = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), half);
    }
    floatToHalfPortable(in + i, out + i, count - i);
}

__attribute__((target("f16c,avx"))) void roundToHalfF16c(float* values, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i half = _mm256_cvtps_ph(_mm256_loadu_ps(values + i), _MM_FROUND_TO_NEAREST_INT);
        _mm256_storeu_ps(values + i, _mm256_cvtph_ps(half));
    }
    roundToHalfPortable(values + i, count - i);
}

// CPUID and XGETBV by hand: clang 14's __builtin_cpu_supports does not know "f16c". AVX also
// needs the OS to save the YMM registers (XCR0 bits 1 and 2).
bool detectF16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const unsigned needed = bit_F16C | bit_AVX | bit_OSXSAVE;
    if ((ecx & needed) != needed) return false;
    unsigned xcr0Low = 0, xcr0High = 0;
    __asm__("xgetbv" : "=a"(xcr0Low), "=d"(xcr0High) : "c"(0));
    return (xcr0Low & 0x6) == 0x6;
}
} // namespace

bool hasSimdHalfConversion() {
    static const bool available = detectF16c();
    return available;
}

void halfToFloat(const uint16_t* in, float* out, size_t count) {
    if (hasSimdHalfConversion()) return halfToFloatF16c(in, out, count);
    halfToFloatPortable(in, out, count);
}

void floatToHalf(const float* in, uint16_t* out, size_t count) {
    if (hasSimdHalfConversion()) return floatToHalfF16c(in, out, count);
    floatToHalfPortable(in, out, count);
}

void roundToHalf(float* values, size_t count) {
    if (hasSimdHalfConversion()) return roundToHalfF16c(values, count);
    roundToHalfPortable(values, count);
}
#else
bool hasSimdHalfConversion() {
    return false;
}
void halfToFloat(const uint16_t* in, float* out, size_t count) {
    halfToFloatPortable(in, out, count);
}
void floatToHalf(const float* in, uint16_t* out, size_t count) {
    floatToHalfPortable(in, out, count);
}
void roundToHalf(float* values, size_t count) {
    roundToHalfPortable(values, count);
}
#endif

} // namespace anec::runtime
