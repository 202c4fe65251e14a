#include "ir/const_data.hpp"

#include <cstring>
#include <stdexcept>

#include "support/fp16.hpp"

namespace anec::ir {

namespace {
template <typename T> T load(const uint8_t* p) {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
}
template <typename T> void store(uint8_t* p, T value) { std::memcpy(p, &value, sizeof(T)); }

void storeElement(DType dtype, uint8_t* p, double v) {
    switch (dtype) {
    case DType::Bool: store<uint8_t>(p, v != 0.0); break;
    case DType::Int8: store<int8_t>(p, static_cast<int8_t>(v)); break;
    case DType::Int16: store<int16_t>(p, static_cast<int16_t>(v)); break;
    case DType::Int32: store<int32_t>(p, static_cast<int32_t>(v)); break;
    case DType::Int64: store<int64_t>(p, static_cast<int64_t>(v)); break;
    case DType::UInt8: store<uint8_t>(p, static_cast<uint8_t>(v)); break;
    case DType::UInt16: store<uint16_t>(p, static_cast<uint16_t>(v)); break;
    case DType::UInt32: store<uint32_t>(p, static_cast<uint32_t>(v)); break;
    case DType::UInt64: store<uint64_t>(p, static_cast<uint64_t>(v)); break;
    case DType::Fp16: store<uint16_t>(p, doubleToHalf(v)); break;
    case DType::Fp32: store<float>(p, static_cast<float>(v)); break;
    case DType::Fp64: store<double>(p, v); break;
    case DType::String: throw std::logic_error("string constants have no element storage");
    }
}
} // namespace

ConstData::ConstData(TensorType type, std::vector<uint8_t> bytes)
    : type_(std::move(type)), bytes_(std::move(bytes)) {
    if (static_cast<int64_t>(bytes_.size()) != type_.byteSize())
        throw std::logic_error("ConstData: byte count does not match " + type_.str());
}

ConstData ConstData::fromDoubles(TensorType type, std::span<const double> values) {
    if (static_cast<int64_t>(values.size()) != type.numElements())
        throw std::logic_error("ConstData::fromDoubles: element count does not match " + type.str());
    size_t size = dtypeSize(type.dtype);
    std::vector<uint8_t> bytes(values.size() * size);
    for (size_t i = 0; i < values.size(); ++i) storeElement(type.dtype, bytes.data() + i * size, values[i]);
    return ConstData(std::move(type), std::move(bytes));
}

ConstData ConstData::splat(TensorType type, double value) {
    std::vector<double> values(static_cast<size_t>(type.numElements()), value);
    return fromDoubles(std::move(type), values);
}

double ConstData::at(int64_t index) const {
    const uint8_t* p = bytes_.data() + index * static_cast<int64_t>(dtypeSize(type_.dtype));
    switch (type_.dtype) {
    case DType::Bool: return load<uint8_t>(p) != 0;
    case DType::Int8: return load<int8_t>(p);
    case DType::Int16: return load<int16_t>(p);
    case DType::Int32: return load<int32_t>(p);
    case DType::Int64: return static_cast<double>(load<int64_t>(p));
    case DType::UInt8: return load<uint8_t>(p);
    case DType::UInt16: return load<uint16_t>(p);
    case DType::UInt32: return load<uint32_t>(p);
    case DType::UInt64: return static_cast<double>(load<uint64_t>(p));
    case DType::Fp16: return halfToFloat(load<uint16_t>(p));
    case DType::Fp32: return load<float>(p);
    case DType::Fp64: return load<double>(p);
    case DType::String: break;
    }
    throw std::logic_error("string constants have no elements");
}

std::vector<double> ConstData::toDoubles() const {
    std::vector<double> out(static_cast<size_t>(numElements()));
    for (int64_t i = 0; i < numElements(); ++i) out[static_cast<size_t>(i)] = at(i);
    return out;
}

std::vector<int64_t> ConstData::toInts() const {
    std::vector<int64_t> out(static_cast<size_t>(numElements()));
    for (int64_t i = 0; i < numElements(); ++i) {
        const uint8_t* p = bytes_.data() + i * static_cast<int64_t>(dtypeSize(type_.dtype));
        out[static_cast<size_t>(i)] = type_.dtype == DType::Int64 ? load<int64_t>(p)
                                      : type_.dtype == DType::UInt64
                                          ? static_cast<int64_t>(load<uint64_t>(p))
                                          : static_cast<int64_t>(at(i));
    }
    return out;
}

bool ConstData::isSplat() const {
    size_t size = dtypeSize(type_.dtype);
    for (size_t i = size; i < bytes_.size(); i += size)
        if (std::memcmp(bytes_.data(), bytes_.data() + i, size) != 0) return false;
    return true;
}

} // namespace anec::ir
