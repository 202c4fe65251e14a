#pragma once
// The host copy of a constant tensor (weights, literals, folded values).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ir/types.hpp"

namespace anec::ir {

class ConstData {
  public:
    ConstData() = default;
    // bytes are little-endian, row-major, dtypeSize(type.dtype) bytes per element.
    ConstData(TensorType type, std::vector<uint8_t> bytes);

    // Rounds every value to the element type (fp16: round to nearest even).
    static ConstData fromDoubles(TensorType type, std::span<const double> values);
    static ConstData splat(TensorType type, double value);

    const TensorType& type() const { return type_; }
    const std::vector<uint8_t>& bytes() const { return bytes_; }
    int64_t numElements() const { return type_.numElements(); }

    // Element i converted to double (fp16 exactly, integers exactly up to 2^53).
    double at(int64_t index) const;
    std::vector<double> toDoubles() const;
    // Integer view of integral tensors (attribute-like constants such as shapes).
    std::vector<int64_t> toInts() const;
    bool isSplat() const;

    // Where this constant lives in the emitted program: a non-empty name puts it in a weight
    // blob named after it; otherwise it is written inline in the MIL text.
    std::string blobName;

    bool operator==(const ConstData& other) const {
        return type_ == other.type_ && bytes_ == other.bytes_;
    }

  private:
    TensorType type_;
    std::vector<uint8_t> bytes_;
};

} // namespace anec::ir
