#pragma once
// Conversions between host bytes (kernel inputs/outputs, constants) and execution buffers.
#include <cstdint>
#include <span>

#include "ir/const_data.hpp"
#include "runtime/core/tensor.hpp"
#include "runtime/reference/buffer.hpp"

namespace anec::runtime::reference {

// `bytes` hold type.numElements() little-endian elements of type.dtype (a supported dtype);
// fp16 converts exactly to T, bool bytes become 0 or 1.
template <typename T>
Buffer importBytes(const ir::TensorType& type, std::span<const uint8_t> bytes);
template <typename T> Buffer importConst(const ir::ConstData& data) {
    return importBytes<T>(data.type(), data.bytes());
}
// The buffer as bytes of its declared dtype: fp16 and fp32 rounded to nearest even.
template <typename T> Tensor exportBuffer(const Buffer& buffer);

} // namespace anec::runtime::reference
