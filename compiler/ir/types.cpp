#include "ir/types.hpp"

#include "support/fp16.hpp"

#include <array>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace anec::ir {

namespace {
struct DTypeInfo {
    DType dtype;
    std::string_view name;
    size_t size;
};
constexpr std::array<DTypeInfo, 13> kDTypes{{
    {DType::Bool, "bool", 1},
    {DType::Int8, "int8", 1},
    {DType::Int16, "int16", 2},
    {DType::Int32, "int32", 4},
    {DType::Int64, "int64", 8},
    {DType::UInt8, "uint8", 1},
    {DType::UInt16, "uint16", 2},
    {DType::UInt32, "uint32", 4},
    {DType::UInt64, "uint64", 8},
    {DType::Fp16, "fp16", 2},
    {DType::Fp32, "fp32", 4},
    {DType::Fp64, "fp64", 8},
    {DType::String, "string", 0},
}};
} // namespace

std::string_view dtypeName(DType dtype) {
    return kDTypes[static_cast<size_t>(dtype)].name;
}

std::optional<DType> parseDType(std::string_view name) {
    for (const DTypeInfo& info : kDTypes)
        if (info.name == name) return info.dtype;
    return std::nullopt;
}

size_t dtypeSize(DType dtype) {
    return kDTypes[static_cast<size_t>(dtype)].size;
}

bool isFloat(DType dtype) {
    return dtype == DType::Fp16 || dtype == DType::Fp32 || dtype == DType::Fp64;
}

bool isInteger(DType dtype) {
    return dtype != DType::Bool && dtype != DType::String && !isFloat(dtype);
}

std::string shapeString(const Shape& shape) {
    std::string out = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) out += ",";
        out += shape[i] == kDynamicDim ? std::string("?") : std::to_string(shape[i]);
    }
    return out + "]";
}

bool TensorType::isStatic() const {
    for (int64_t d : shape)
        if (d < 0) return false;
    return true;
}

int64_t TensorType::numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d < 0 ? 0 : d;
    return n;
}

std::string TensorType::str() const {
    std::string out(dtypeName(dtype));
    return isScalar() ? out : out + shapeString(shape);
}

std::string TensorType::milStr() const {
    if (isScalar()) return std::string(dtypeName(dtype));
    std::string out = "tensor<" + std::string(dtypeName(dtype)) + ", [";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) out += ", ";
        out += shape[i] == kDynamicDim ? std::string("?") : std::to_string(shape[i]);
    }
    return out + "]>";
}

std::optional<Shape> broadcastShapes(const Shape& a, const Shape& b) {
    size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (size_t i = 0; i < rank; ++i) {
        int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da == db || db == 1)
            out[i] = da;
        else if (da == 1)
            out[i] = db;
        else
            return std::nullopt;
    }
    return out;
}

std::optional<size_t> normalizeAxis(int64_t axis, size_t rank) {
    int64_t r = static_cast<int64_t>(rank);
    if (axis < -r || axis >= r) return std::nullopt;
    return static_cast<size_t>(axis < 0 ? axis + r : axis);
}

namespace {
template <typename T> T load(const uint8_t* p) {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
}
template <typename T> void store(uint8_t* p, T value) {
    std::memcpy(p, &value, sizeof(T));
}
} // namespace

double loadElement(DType dtype, const uint8_t* p) {
    switch (dtype) {
    case DType::Bool:
        return load<uint8_t>(p) != 0;
    case DType::Int8:
        return load<int8_t>(p);
    case DType::Int16:
        return load<int16_t>(p);
    case DType::Int32:
        return load<int32_t>(p);
    case DType::Int64:
        return static_cast<double>(load<int64_t>(p));
    case DType::UInt8:
        return load<uint8_t>(p);
    case DType::UInt16:
        return load<uint16_t>(p);
    case DType::UInt32:
        return load<uint32_t>(p);
    case DType::UInt64:
        return static_cast<double>(load<uint64_t>(p));
    case DType::Fp16:
        return halfToFloat(load<uint16_t>(p));
    case DType::Fp32:
        return load<float>(p);
    case DType::Fp64:
        return load<double>(p);
    case DType::String:
        break;
    }
    throw std::logic_error("string tensors have no numeric elements");
}

void storeElement(DType dtype, uint8_t* p, double v) {
    switch (dtype) {
    case DType::Bool:
        store<uint8_t>(p, v != 0.0);
        break;
    case DType::Int8:
        store<int8_t>(p, static_cast<int8_t>(v));
        break;
    case DType::Int16:
        store<int16_t>(p, static_cast<int16_t>(v));
        break;
    case DType::Int32:
        store<int32_t>(p, static_cast<int32_t>(v));
        break;
    case DType::Int64:
        store<int64_t>(p, static_cast<int64_t>(v));
        break;
    case DType::UInt8:
        store<uint8_t>(p, static_cast<uint8_t>(v));
        break;
    case DType::UInt16:
        store<uint16_t>(p, static_cast<uint16_t>(v));
        break;
    case DType::UInt32:
        store<uint32_t>(p, static_cast<uint32_t>(v));
        break;
    case DType::UInt64:
        store<uint64_t>(p, static_cast<uint64_t>(v));
        break;
    case DType::Fp16:
        store<uint16_t>(p, doubleToHalf(v));
        break;
    case DType::Fp32:
        store<float>(p, static_cast<float>(v));
        break;
    case DType::Fp64:
        store<double>(p, v);
        break;
    case DType::String:
        throw std::logic_error("string tensors have no numeric elements");
    }
}

} // namespace anec::ir
