#pragma once
// IEEE 754 binary16 conversions that give the same bits on every platform (no _Float16 needed).
#include <cstdint>

namespace anec {

// Round to nearest, ties to even; overflow gives +-inf; NaN stays NaN (quiet).
uint16_t floatToHalf(float value);
// Exact (every half is representable as a float).
float halfToFloat(uint16_t bits);
// Rounds a double straight to half (no double rounding through float).
uint16_t doubleToHalf(double value);

} // namespace anec
