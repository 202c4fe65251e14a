#include "runtime/reference/io_convert.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "runtime/core/fp16_convert.hpp"
#include "support/fp16.hpp"

namespace anec::runtime::reference {

namespace {
template <typename E> std::vector<E> copyElements(std::span<const uint8_t> bytes, size_t count) {
    std::vector<E> values(count);
    std::memcpy(values.data(), bytes.data(), count * sizeof(E));
    return values;
}

// Conversions go through a small aligned chunk: the caller's bytes need not be aligned for
// uint16_t, and no tensor-sized temporary is allocated.
constexpr size_t kChunk = 4096;

template <typename T> void importHalves(std::span<const uint8_t> bytes, T* out, size_t count) {
    uint16_t chunk[kChunk];
    for (size_t start = 0; start < count; start += kChunk) {
        const size_t n = std::min(kChunk, count - start);
        std::memcpy(chunk, bytes.data() + start * sizeof(uint16_t), n * sizeof(uint16_t));
        if constexpr (std::is_same_v<T, float>) {
            runtime::halfToFloat(chunk, out + start, n);
        } else {
            for (size_t i = 0; i < n; ++i)
                out[start + i] = anec::halfToFloat(chunk[i]);
        }
    }
}

template <typename T> void exportHalves(const T* values, uint8_t* bytes, size_t count) {
    uint16_t chunk[kChunk];
    for (size_t start = 0; start < count; start += kChunk) {
        const size_t n = std::min(kChunk, count - start);
        if constexpr (std::is_same_v<T, float>) {
            runtime::floatToHalf(values + start, chunk, n);
        } else {
            for (size_t i = 0; i < n; ++i)
                chunk[i] = doubleToHalf(values[start + i]);
        }
        std::memcpy(bytes + start * sizeof(uint16_t), chunk, n * sizeof(uint16_t));
    }
}
} // namespace

template <typename T>
Buffer importBytes(const ir::TensorType& type, std::span<const uint8_t> bytes) {
    const size_t count = static_cast<size_t>(type.numElements());
    switch (type.dtype) {
    case ir::DType::Fp16: {
        Buffer buffer = allocate<T>(type);
        importHalves<T>(bytes, buffer.out<T>(), count);
        return buffer;
    }
    case ir::DType::Fp32: {
        Buffer buffer = allocate<T>(type);
        if constexpr (std::is_same_v<T, float>) {
            std::memcpy(buffer.out<float>(), bytes.data(), count * sizeof(float));
        } else {
            std::vector<float> values = copyElements<float>(bytes, count);
            for (size_t i = 0; i < count; ++i)
                buffer.out<T>()[i] = values[i];
        }
        return buffer;
    }
    case ir::DType::Int32: {
        Buffer buffer = allocate<int32_t>(type);
        std::memcpy(buffer.out<int32_t>(), bytes.data(), count * sizeof(int32_t));
        return buffer;
    }
    case ir::DType::Int8:
    case ir::DType::UInt8: {
        Buffer buffer = allocate<int32_t>(type);
        const bool isSigned = type.dtype == ir::DType::Int8;
        for (size_t i = 0; i < count; ++i)
            buffer.out<int32_t>()[i] = isSigned ? static_cast<int8_t>(bytes[i]) : bytes[i];
        return buffer;
    }
    default: { // Bool
        Buffer buffer = allocate<uint8_t>(type);
        for (size_t i = 0; i < count; ++i)
            buffer.out<uint8_t>()[i] = bytes[i] != 0;
        return buffer;
    }
    }
}

template <typename T> Tensor exportBuffer(const Buffer& buffer) {
    Tensor tensor(buffer.type);
    const size_t count = buffer.size();
    uint8_t* bytes = tensor.bytes().data();
    switch (buffer.type.dtype) {
    case ir::DType::Fp16:
        exportHalves(buffer.in<T>(), bytes, count);
        break;
    case ir::DType::Fp32: {
        if constexpr (std::is_same_v<T, float>) {
            std::memcpy(bytes, buffer.in<float>(), count * sizeof(float));
        } else {
            std::vector<float> values(count);
            for (size_t i = 0; i < count; ++i)
                values[i] = static_cast<float>(buffer.in<double>()[i]);
            std::memcpy(bytes, values.data(), count * sizeof(float));
        }
        break;
    }
    case ir::DType::Int32:
        std::memcpy(bytes, buffer.in<int32_t>(), count * sizeof(int32_t));
        break;
    case ir::DType::Int8:
    case ir::DType::UInt8: // kernels keep the values in range; this is the two's complement byte
        for (size_t i = 0; i < count; ++i)
            bytes[i] = static_cast<uint8_t>(buffer.in<int32_t>()[i]);
        break;
    default:
        std::memcpy(bytes, buffer.in<uint8_t>(), count);
        break;
    }
    return tensor;
}

template Buffer importBytes<float>(const ir::TensorType&, std::span<const uint8_t>);
template Buffer importBytes<double>(const ir::TensorType&, std::span<const uint8_t>);
template Tensor exportBuffer<float>(const Buffer&);
template Tensor exportBuffer<double>(const Buffer&);

} // namespace anec::runtime::reference
