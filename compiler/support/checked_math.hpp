#pragma once
// Overflow-checked arithmetic for sizes that come from user input (absurd shapes must give an
// error, not wrap around).
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

namespace anec {

// The product of dims (an element count), or nullopt when a dim is negative or the product
// would overflow int64.
inline std::optional<int64_t> checkedProduct(std::span<const int64_t> dims) {
    int64_t product = 1;
    for (int64_t d : dims) {
        if (d < 0) return std::nullopt;
        if (d != 0 && product > std::numeric_limits<int64_t>::max() / d) return std::nullopt;
        product *= d;
    }
    return product;
}

} // namespace anec
