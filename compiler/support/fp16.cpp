#include "support/fp16.hpp"

#include <cmath>
#include <cstring>

namespace anec {

namespace {
// Shared rounding core: sign, and |value| as a double (exact for float inputs).
uint16_t roundMagnitudeToHalf(bool negative, double magnitude) {
    uint16_t sign = negative ? 0x8000 : 0;
    if (std::isnan(magnitude)) return sign | 0x7e00;
    if (magnitude >= 65520.0) return sign | 0x7c00; // rounds up to infinity
    if (magnitude < std::ldexp(1.0, -25)) {
        // Below half of the smallest subnormal: zero, except exactly-half ties handled below.
        return sign;
    }
    int exponent = 0;
    std::frexp(magnitude, &exponent); // magnitude = m * 2^exponent, m in [0.5, 1)
    int halfExponent = exponent - 1;  // value in [2^e, 2^(e+1))
    // Quantum of the representation: normals have 10 fraction bits; subnormals a fixed 2^-24.
    int quantumExponent = halfExponent < -14 ? -24 : halfExponent - 10;
    double scaled = std::ldexp(magnitude, -quantumExponent); // exact: power-of-two scaling
    double rounded = std::nearbyint(scaled);                 // default mode: ties to even
    uint32_t units = static_cast<uint32_t>(rounded);
    if (quantumExponent == -24) {
        // Subnormal (or rounded up into the smallest normal: 1024 units == 0x0400 encodes it).
        return sign | static_cast<uint16_t>(units);
    }
    if (units == 2048) { // mantissa overflowed into the next binade
        units = 1024;
        ++halfExponent;
    }
    if (halfExponent > 15) return sign | 0x7c00;
    uint16_t biased = static_cast<uint16_t>(halfExponent + 15);
    return sign | static_cast<uint16_t>(biased << 10) | static_cast<uint16_t>(units - 1024);
}
} // namespace

uint16_t floatToHalf(float value) {
    return roundMagnitudeToHalf(std::signbit(value), std::fabs(static_cast<double>(value)));
}

uint16_t doubleToHalf(double value) {
    return roundMagnitudeToHalf(std::signbit(value), std::fabs(value));
}

float halfToFloat(uint16_t bits) {
    uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
    uint32_t exponent = (bits >> 10) & 0x1f;
    uint32_t mantissa = bits & 0x3ff;
    float magnitude;
    if (exponent == 0)
        magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    else if (exponent == 31)
        magnitude = mantissa ? NAN : INFINITY;
    else
        magnitude =
            std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
    uint32_t out;
    std::memcpy(&out, &magnitude, sizeof out);
    out |= sign;
    float result;
    std::memcpy(&result, &out, sizeof result);
    return result;
}

} // namespace anec
