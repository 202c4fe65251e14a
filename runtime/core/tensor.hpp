#pragma once
// Host tensors handed to and returned by backends.
#include <cstdint>
#include <span>
#include <vector>

#include "ir/types.hpp"

namespace anec::runtime {

// An owned tensor: its type and its bytes (row-major, little-endian, dtypeSize bytes per element).
class Tensor {
  public:
    Tensor() = default;
    explicit Tensor(ir::TensorType type); // zero-filled
    // Throws anec::Error when the byte count does not match the type.
    Tensor(ir::TensorType type, std::vector<uint8_t> bytes);

    const ir::TensorType& type() const { return type_; }
    std::span<const uint8_t> bytes() const { return bytes_; }
    std::span<uint8_t> bytes() { return bytes_; }
    std::vector<uint8_t> release() { return std::move(bytes_); }

  private:
    ir::TensorType type_;
    std::vector<uint8_t> bytes_;
};

// A borrowed input: the caller keeps the bytes alive for the duration of the call.
struct TensorView {
    ir::TensorType type;
    std::span<const uint8_t> bytes;
};

} // namespace anec::runtime
