// The bulk fp16 conversions (F16C where available) agree with the portable bit-exact ones.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "runtime/core/fp16_convert.hpp"
#include "support/fp16.hpp"

using namespace anec;

namespace {
uint32_t bitsOf(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

float floatFromBits(uint32_t bits) {
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

bool isHalfNan(uint16_t h) {
    return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

// NaN payloads may differ between F16C and the portable path; sign and NaN-ness may not.
bool sameHalf(uint16_t a, uint16_t b) {
    if (isHalfNan(a) || isHalfNan(b)) return isHalfNan(a) && isHalfNan(b) && (a >> 15) == (b >> 15);
    return a == b;
}

bool sameFloat(float a, float b) {
    if (std::isnan(a) || std::isnan(b))
        return std::isnan(a) && std::isnan(b) && std::signbit(a) == std::signbit(b);
    return bitsOf(a) == bitsOf(b);
}

// Floats that stress rounding: exact halves, ties between neighbours, values just around ties,
// subnormal halves, the overflow threshold, infinities and NaNs, plus random bit patterns.
std::vector<float> interestingFloats() {
    std::vector<float> values;
    for (uint32_t h = 0; h < 0x7c00; ++h) {
        float value = halfToFloat(static_cast<uint16_t>(h));
        float next = halfToFloat(static_cast<uint16_t>(h + 1));
        float tie = (value + next) / 2; // exact in float
        for (float v : {value, tie, std::nextafter(tie, 0.0f), std::nextafter(tie, 1e9f)}) {
            values.push_back(v);
            values.push_back(-v);
        }
    }
    for (float v :
         {65504.0f, 65519.99f, 65520.0f, 65536.0f, 1e10f, 3.4e38f,
          std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min(),
          std::ldexp(1.0f, -25), std::ldexp(1.0f, -26), std::ldexp(3.0f, -26)}) {
        values.push_back(v);
        values.push_back(-v);
    }
    values.push_back(std::numeric_limits<float>::quiet_NaN());
    values.push_back(-std::numeric_limits<float>::quiet_NaN());
    values.push_back(floatFromBits(0x7f800001)); // signalling NaN
    std::mt19937 rng(42);
    for (int i = 0; i < 200000; ++i)
        values.push_back(floatFromBits(static_cast<uint32_t>(rng())));
    return values;
}
} // namespace

TEST_CASE("bulk half to float agrees with the portable conversion on all 65536 halves",
          "[runtime][fp16]") {
    INFO("SIMD conversion in use: " << runtime::hasSimdHalfConversion());
    std::vector<uint16_t> halves(65536 + 5); // + a tail that is not a multiple of 8
    for (size_t i = 0; i < halves.size(); ++i)
        halves[i] = static_cast<uint16_t>(i);
    std::vector<float> fast(halves.size()), portable(halves.size());
    runtime::halfToFloat(halves.data(), fast.data(), halves.size());
    runtime::halfToFloatPortable(halves.data(), portable.data(), halves.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < halves.size(); ++i) {
        mismatches += !sameFloat(fast[i], portable[i]);
        mismatches += !sameFloat(portable[i], halfToFloat(halves[i]));
    }
    CHECK(mismatches == 0);
    CHECK(fast[0x3c00] == 1.0f);
    CHECK(fast[0x0001] == std::ldexp(1.0f, -24)); // smallest subnormal
    CHECK(fast[0x7bff] == 65504.0f);
    CHECK(std::isinf(fast[0xfc00]));
    CHECK(std::isnan(fast[0x7e00]));
}

TEST_CASE("bulk float to half agrees with the portable conversion", "[runtime][fp16]") {
    std::vector<float> values = interestingFloats();
    std::vector<uint16_t> fast(values.size()), portable(values.size());
    runtime::floatToHalf(values.data(), fast.data(), values.size());
    runtime::floatToHalfPortable(values.data(), portable.data(), values.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < values.size(); ++i) {
        if (sameHalf(fast[i], portable[i]) && sameHalf(portable[i], floatToHalf(values[i])))
            continue;
        if (mismatches++ < 5)
            FAIL_CHECK("float " << values[i] << " (0x" << std::hex << bitsOf(values[i])
                                << "): SIMD 0x" << fast[i] << ", portable 0x" << portable[i]);
    }
    CHECK(mismatches == 0);
}

TEST_CASE("float to half rounds ties to even, keeps subnormals and overflows to infinity",
          "[runtime][fp16]") {
    const std::vector<float> in = {
        1.0f + std::ldexp(1.0f, -11),                // tie -> 1 (even)
        1.0f + 3 * std::ldexp(1.0f, -11),            // tie -> 1 + 2^-9 (even)
        std::ldexp(1.0f, -24),                       // smallest subnormal
        std::ldexp(1.0f, -25),                       // tie with 0 -> 0
        std::ldexp(3.0f, -25),                       // tie -> 2^-23 (even)
        std::ldexp(1.0f, -26),                       // underflows to 0
        65504.0f,                                    // largest finite
        65519.0f,                                    // rounds down to 65504
        65520.0f,                                    // tie at the top -> inf
        -1e6f,                                       // -inf
        std::nextafter(std::ldexp(1.0f, -14), 0.0f), // rounds up to the smallest normal
        std::numeric_limits<float>::quiet_NaN(),
        0.0f,
        -0.0f,
        1.0f,
        1.0f,
        1.0f}; // padding so the SIMD path sees all of the above
    const std::vector<uint16_t> expected = {0x3c00, 0x3c02, 0x0001, 0x0000, 0x0002, 0x0000,
                                            0x7bff, 0x7bff, 0x7c00, 0xfc00, 0x0400, 0x7e00,
                                            0x0000, 0x8000, 0x3c00, 0x3c00, 0x3c00};
    std::vector<uint16_t> fast(in.size()), portable(in.size());
    runtime::floatToHalf(in.data(), fast.data(), in.size());
    runtime::floatToHalfPortable(in.data(), portable.data(), in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        INFO("value " << in[i]);
        CHECK(sameHalf(fast[i], expected[i]));
        CHECK(sameHalf(portable[i], expected[i]));
    }
}

TEST_CASE("rounding floats to fp16 values in place agrees with the portable path",
          "[runtime][fp16]") {
    std::vector<float> values = interestingFloats();
    std::vector<float> fast = values, portable = values;
    runtime::roundToHalf(fast.data(), fast.size());
    runtime::roundToHalfPortable(portable.data(), portable.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < values.size(); ++i)
        mismatches += !sameFloat(fast[i], portable[i]) ||
                      !sameFloat(portable[i], halfToFloat(floatToHalf(values[i])));
    CHECK(mismatches == 0);
}
