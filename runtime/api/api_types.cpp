// The public value types: dtypes, shapes, errors and owned tensors.
#include <cstring>
#include <limits>

#include "api/api_internal.hpp"
#include "support/fp16.hpp"

#ifndef ANEC_VERSION
#define ANEC_VERSION "0.0.0"
#endif

namespace anec::inline api {

namespace {

void checkDType(DType dtype) {
    if (static_cast<int>(dtype) < static_cast<int>(DType::Bool) ||
        static_cast<int>(dtype) > static_cast<int>(DType::Float64))
        throw Error(ErrorCode::InvalidArgument,
                    "invalid dtype value " + std::to_string(static_cast<int>(dtype)));
}

} // namespace

bool isFloatType(DType dtype) {
    return dtype == DType::Float16 || dtype == DType::Float32 || dtype == DType::Float64;
}

double loadFloat(DType dtype, const uint8_t* p) {
    return ir::loadElement(toIr(dtype), p);
}

void storeFloat(DType dtype, uint8_t* p, double value) {
    ir::storeElement(toIr(dtype), p, value);
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

Error::~Error() = default;

std::string_view dtypeName(DType dtype) {
    return ir::dtypeName(toIr(dtype));
}

size_t dtypeSize(DType dtype) {
    return ir::dtypeSize(toIr(dtype));
}

int64_t elementCount(const Shape& shape) {
    int64_t count = 1;
    for (int64_t dim : shape) {
        if (dim < 0) throw Error(ErrorCode::InvalidArgument, "negative dimension in a shape");
        if (dim != 0 && count > std::numeric_limits<int64_t>::max() / 16 / dim)
            throw Error(ErrorCode::InvalidArgument, "shape too large");
        count *= dim;
    }
    return count;
}

ir::DType toIr(DType dtype) {
    checkDType(dtype);
    switch (dtype) {
    case DType::Bool:
        return ir::DType::Bool;
    case DType::Int8:
        return ir::DType::Int8;
    case DType::Int16:
        return ir::DType::Int16;
    case DType::Int32:
        return ir::DType::Int32;
    case DType::Int64:
        return ir::DType::Int64;
    case DType::UInt8:
        return ir::DType::UInt8;
    case DType::UInt16:
        return ir::DType::UInt16;
    case DType::UInt32:
        return ir::DType::UInt32;
    case DType::UInt64:
        return ir::DType::UInt64;
    case DType::Float16:
        return ir::DType::Fp16;
    case DType::Float32:
        return ir::DType::Fp32;
    case DType::Float64:
        return ir::DType::Fp64;
    }
    return ir::DType::Fp32;
}

DType fromIr(ir::DType dtype) {
    switch (dtype) {
    case ir::DType::Bool:
        return DType::Bool;
    case ir::DType::Int8:
        return DType::Int8;
    case ir::DType::Int16:
        return DType::Int16;
    case ir::DType::Int32:
        return DType::Int32;
    case ir::DType::Int64:
        return DType::Int64;
    case ir::DType::UInt8:
        return DType::UInt8;
    case ir::DType::UInt16:
        return DType::UInt16;
    case ir::DType::UInt32:
        return DType::UInt32;
    case ir::DType::UInt64:
        return DType::UInt64;
    case ir::DType::Fp16:
        return DType::Float16;
    case ir::DType::Fp32:
        return DType::Float32;
    case ir::DType::Fp64:
        return DType::Float64;
    case ir::DType::String:
        break;
    }
    throw Error(ErrorCode::Unsupported, "string tensors cannot cross the API");
}

TensorInfo tensorInfo(const std::string& name, const ir::TensorType& type) {
    return TensorInfo{name, fromIr(type.dtype), type.shape};
}

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)),
      bytes_(static_cast<size_t>(anec::elementCount(shape_)) * dtypeSize(dtype), 0) {}

Tensor::Tensor(DType dtype, Shape shape, const void* data) : Tensor(dtype, std::move(shape)) {
    if (data == nullptr && !bytes_.empty())
        throw Error(ErrorCode::InvalidArgument, "a tensor's data pointer is null");
    if (!bytes_.empty()) std::memcpy(bytes_.data(), data, bytes_.size());
}

Tensor Tensor::fromFloats(std::span<const float> values, Shape shape, DType dtype) {
    if (!isFloatType(dtype))
        throw Error(ErrorCode::InvalidArgument, "Tensor::fromFloats makes fp16, fp32 or fp64 "
                                                "tensors, not " +
                                                    std::string(dtypeName(dtype)));
    Tensor tensor(dtype, std::move(shape));
    if (static_cast<int64_t>(values.size()) != tensor.elementCount())
        throw Error(ErrorCode::InvalidArgument, std::to_string(values.size()) +
                                                    " values cannot fill a tensor of shape " +
                                                    ir::shapeString(tensor.shape()));
    size_t size = dtypeSize(dtype);
    for (size_t i = 0; i < values.size(); ++i)
        storeFloat(dtype, tensor.bytes_.data() + i * size, values[i]);
    return tensor;
}

std::vector<float> Tensor::toFloats() const {
    size_t size = dtypeSize(dtype_);
    std::vector<float> values(bytes_.size() / size);
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<float>(ir::loadElement(toIr(dtype_), bytes_.data() + i * size));
    return values;
}

Tensor Tensor::convertedTo(DType dtype) const {
    if (dtype == dtype_) return *this;
    if (!isFloatType(dtype) || !isFloatType(dtype_))
        throw Error(ErrorCode::InvalidArgument, "cannot convert a " +
                                                    std::string(dtypeName(dtype_)) + " tensor to " +
                                                    std::string(dtypeName(dtype)));
    Tensor converted(dtype, shape_);
    size_t inSize = dtypeSize(dtype_), outSize = dtypeSize(dtype);
    for (size_t i = 0; i < bytes_.size() / inSize; ++i)
        storeFloat(dtype, converted.bytes_.data() + i * outSize,
                   loadFloat(dtype_, bytes_.data() + i * inSize));
    return converted;
}

std::string_view version() {
    return ANEC_VERSION;
}

} // namespace anec::inline api
