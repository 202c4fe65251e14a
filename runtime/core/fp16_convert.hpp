#pragma once
// Bulk fp16 <-> fp32 conversion for the runtime: F16C on x86-64 CPUs that have it (chosen at run
// time), the portable bit-exact conversions of support/fp16.hpp elsewhere. Both give identical
// results: round to nearest even, overflow to +-inf, NaN stays NaN.
#include <cstddef>
#include <cstdint>

namespace anec::runtime {

void halfToFloat(const uint16_t* in, float* out, size_t count);
void floatToHalf(const float* in, uint16_t* out, size_t count);
// Rounds every value to the nearest fp16 value (as a float), in place: the fp16 result rounding
// of the numeric model.
void roundToHalf(float* values, size_t count);

// The portable paths, always available (the tests compare them with the SIMD paths).
void halfToFloatPortable(const uint16_t* in, float* out, size_t count);
void floatToHalfPortable(const float* in, uint16_t* out, size_t count);
void roundToHalfPortable(float* values, size_t count);

// Whether the SIMD paths are in use on this machine.
bool hasSimdHalfConversion();

} // namespace anec::runtime
