#include "driver/tensor_io.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "frontend/weights.hpp"
#include "support/diagnostics.hpp"
#include "support/fp16.hpp"

namespace anec::driver {

namespace {

std::optional<npy::DType> npyDType(ir::DType dtype) {
    switch (dtype) {
    case ir::DType::Fp16:
        return npy::DType::Float16;
    case ir::DType::Fp32:
        return npy::DType::Float32;
    case ir::DType::Fp64:
        return npy::DType::Float64;
    case ir::DType::Int32:
        return npy::DType::Int32;
    case ir::DType::Bool:
        return npy::DType::Bool;
    default:
        return std::nullopt;
    }
}

bool isNpyFloat(npy::DType dtype) {
    return dtype == npy::DType::Float16 || dtype == npy::DType::Float32 ||
           dtype == npy::DType::Float64;
}

// Which .npy dtypes can fill a tensor of `dtype`, for messages.
std::string acceptedArrays(ir::DType dtype) {
    if (ir::isFloat(dtype)) return "float16 or float32";
    return std::string(npy::numpyName(*npyDType(dtype)));
}

} // namespace

runtime::Tensor tensorFromNpy(const npy::Array& array, const ir::TensorType& type,
                              const std::string& what) {
    std::optional<npy::DType> exact = npyDType(type.dtype);
    if (!exact)
        throw Error(what + ": the kernel declares " + type.str() +
                    ", a dtype .npy input does not support");
    bool floatToFloat = ir::isFloat(type.dtype) && isNpyFloat(array.dtype);
    if (array.dtype != *exact && !floatToFloat)
        throw Error(what + ": the file holds " + std::string(npy::numpyName(array.dtype)) +
                    " data but the kernel declares " + type.str() + " (give " +
                    acceptedArrays(type.dtype) + ")");
    if (array.shape != type.shape)
        throw Error(what + ": the file has shape " + ir::shapeString(array.shape) +
                    " but the kernel declares " + type.str());
    if (array.dtype == *exact) return runtime::Tensor(type, array.data);

    runtime::Tensor tensor(type);
    uint8_t* out = tensor.bytes().data();
    size_t size = ir::dtypeSize(type.dtype);
    for (int64_t i = 0; i < array.numElements(); ++i)
        ir::storeElement(type.dtype, out + static_cast<size_t>(i) * size, array.at(i));
    return tensor;
}

npy::Array npyFromTensor(const runtime::Tensor& tensor, const std::string& what) {
    std::optional<npy::DType> dtype = npyDType(tensor.type().dtype);
    if (!dtype)
        throw Error(what + " has type " + tensor.type().str() +
                    ", a dtype .npy output does not support");
    npy::Array array;
    array.dtype = *dtype;
    array.shape = tensor.type().shape;
    array.data.assign(tensor.bytes().begin(), tensor.bytes().end());
    return array;
}

std::vector<double> tensorValues(const runtime::Tensor& tensor) {
    ir::DType dtype = tensor.type().dtype;
    size_t size = ir::dtypeSize(dtype);
    if (size == 0) throw Error("a tensor of type " + tensor.type().str() + " holds no numbers");
    size_t count = tensor.bytes().size() / size;
    std::vector<double> values(count);
    const uint8_t* bytes = tensor.bytes().data();
    for (size_t i = 0; i < count; ++i)
        values[i] = ir::loadElement(dtype, bytes + i * size);
    return values;
}

runtime::Tensor randomTensor(const ir::TensorType& type, uint64_t seed) {
    runtime::Tensor tensor(type);
    frontend::SplitMix64 generator(seed);
    uint8_t* out = tensor.bytes().data();
    size_t size = ir::dtypeSize(type.dtype);
    for (int64_t i = 0; i < type.numElements(); ++i) {
        double value = frontend::uniformSigned(generator.next(), 1.0);
        uint8_t* p = out + static_cast<size_t>(i) * size;
        if (ir::isFloat(type.dtype))
            ir::storeElement(type.dtype, p, value);
        else if (type.dtype == ir::DType::Int32)
            ir::storeElement(type.dtype, p, std::floor(value));
        else if (type.dtype == ir::DType::Bool)
            *p = value >= 0 ? 1 : 0;
        else
            throw Error("random inputs of type " + type.str() + " are not supported");
    }
    return tensor;
}

ValueSummary summarize(const std::vector<double>& values) {
    ValueSummary summary;
    summary.count = static_cast<int64_t>(values.size());
    double sum = 0;
    int64_t finite = 0;
    double lowest = std::numeric_limits<double>::infinity();
    double highest = -lowest;
    for (double value : values) {
        if (std::isnan(value))
            ++summary.nanCount;
        else if (std::isinf(value))
            ++summary.infCount;
        else {
            ++finite;
            sum += value;
            lowest = std::min(lowest, value);
            highest = std::max(highest, value);
        }
    }
    double nan = std::numeric_limits<double>::quiet_NaN();
    summary.min = finite > 0 ? lowest : nan;
    summary.max = finite > 0 ? highest : nan;
    summary.mean = finite > 0 ? sum / static_cast<double>(finite) : nan;
    return summary;
}

Difference compareValues(const std::vector<double>& actual, const std::vector<double>& expected,
                         double atol, double rtol) {
    if (actual.size() != expected.size())
        throw Error("cannot compare " + std::to_string(actual.size()) + " values with " +
                    std::to_string(expected.size()));
    const double inf = std::numeric_limits<double>::infinity();
    Difference difference;
    difference.count = static_cast<int64_t>(actual.size());
    for (size_t i = 0; i < actual.size(); ++i) {
        double a = actual[i], e = expected[i];
        bool same = (std::isnan(a) && std::isnan(e)) || (std::isinf(a) && a == e);
        if (same) continue;
        double absError = (std::isfinite(a) && std::isfinite(e)) ? std::abs(a - e) : inf;
        double relError = e != 0 ? absError / std::abs(e) : (absError == 0 ? 0 : inf);
        difference.maxAbs = std::max(difference.maxAbs, absError);
        difference.maxRel = std::max(difference.maxRel, relError);
        if (std::isinf(absError) || absError > atol + rtol * std::abs(e)) ++difference.mismatches;
    }
    return difference;
}

ReferenceError measureAgainstReference(const std::vector<double>& actual,
                                       const std::vector<double>& reference) {
    if (actual.size() != reference.size())
        throw Error("cannot compare " + std::to_string(actual.size()) + " values with " +
                    std::to_string(reference.size()));
    ReferenceError error;
    error.count = static_cast<int64_t>(actual.size());
    for (size_t i = 0; i < actual.size(); ++i) {
        if (std::isfinite(reference[i]))
            error.maxReference = std::max(error.maxReference, std::abs(reference[i]));
        if (std::isfinite(actual[i]) && std::isfinite(reference[i]))
            error.maxAbs = std::max(error.maxAbs, std::abs(actual[i] - reference[i]));
    }
    if (error.maxReference > 0)
        error.relative = error.maxAbs / error.maxReference;
    else if (error.maxAbs > 0)
        error.relative = std::numeric_limits<double>::infinity();
    error.actual = summarize(actual);
    error.reference = summarize(reference);
    return error;
}

std::string formatNumber(double value, int significantDigits) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    return fmt::format("{:.{}g}", value, significantDigits);
}

} // namespace anec::driver
