#pragma once
// Reading and writing NumPy .npy files (format versions 1, 2 and 3, little-endian; Fortran-order
// arrays are reordered to C order on reading; written in C order;
// float16/float32/float64/int32/bool). Malformed or truncated input gives an error, never a crash.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.hpp"

namespace anec::npy {

enum class DType { Float16, Float32, Float64, Int32, Bool };

std::string_view descr(DType dtype);     // "<f4", "|b1", ...
std::string_view numpyName(DType dtype); // "float32", "bool", ...
size_t itemSize(DType dtype);
std::optional<DType> parseDescr(std::string_view descr);

struct Array {
    DType dtype = DType::Float32;
    std::vector<int64_t> shape; // empty for a 0-d array
    std::vector<uint8_t> data;  // little-endian, row-major

    int64_t numElements() const;
    // Element i as a double (float16 exactly).
    double at(int64_t index) const;
    // "float32[2048,768]"
    std::string typeString() const;

    static Array fromDoubles(DType dtype, std::vector<int64_t> shape,
                             std::span<const double> values);
};

Expected<Array> parse(std::span<const uint8_t> bytes);
Expected<Array> read(const std::string& path);

// The bytes of a version 1 file (version 2 when the header needs it), header padded to 64 bytes.
std::vector<uint8_t> encode(const Array& array);
// Returns the number of bytes written.
Expected<size_t> write(const std::string& path, const Array& array);

} // namespace anec::npy
