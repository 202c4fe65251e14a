#pragma once
// Scalar helpers shared by evaluators: defined conversions (no undefined behaviour on NaN or
// out-of-range values) and NaN-propagating max/min.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace anec::runtime::reference {

// Truncates toward zero like numpy's astype(int32); NaN gives 0, out-of-range values saturate.
inline int32_t saturateToInt32(double value) {
    if (std::isnan(value)) return 0;
    if (value <= static_cast<double>(std::numeric_limits<int32_t>::min()))
        return std::numeric_limits<int32_t>::min();
    if (value >= static_cast<double>(std::numeric_limits<int32_t>::max()))
        return std::numeric_limits<int32_t>::max();
    return static_cast<int32_t>(value);
}

// Element conversion for cast: floats to int32 as above, anything to bool is "!= 0", bool to
// numbers is 0/1, int32 to float rounds to nearest.
template <typename To, typename From> To convertElement(From value) {
    if constexpr (std::is_same_v<To, uint8_t>) {
        return value != From(0) ? 1 : 0;
    } else if constexpr (std::is_same_v<To, int32_t> && std::is_floating_point_v<From>) {
        return saturateToInt32(static_cast<double>(value));
    } else {
        return static_cast<To>(value);
    }
}

// numpy maximum/minimum: NaN wins.
template <typename V> V nanMax(V a, V b) {
    if (a != a) return a;
    if (b != b) return b;
    return a > b ? a : b;
}
template <typename V> V nanMin(V a, V b) {
    if (a != a) return a;
    if (b != b) return b;
    return a < b ? a : b;
}

} // namespace anec::runtime::reference
