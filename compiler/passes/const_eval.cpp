#include "passes/const_eval.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "ir/op_registry.hpp"
#include "ir/ops/slicing.hpp"

namespace anec::passes {

using ir::ConstData;
using ir::Shape;
using ir::TensorType;

namespace {
using Values = std::vector<double>;

std::vector<int64_t> rowMajorStrides(const Shape& shape) {
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;)
        strides[i - 1] = strides[i] * shape[i];
    return strides;
}

// Calls visit(outIndex, multiIndex) for every element of `shape` in row-major order.
void forEachIndex(const Shape& shape,
                  const std::function<void(int64_t, const std::vector<int64_t>&)>& visit) {
    int64_t count = 1;
    for (int64_t d : shape)
        count *= d;
    std::vector<int64_t> index(shape.size(), 0);
    for (int64_t flat = 0; flat < count; ++flat) {
        visit(flat, index);
        for (size_t d = shape.size(); d-- > 0;) {
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
}

// Flat index into `from` for an element of the broadcast result at `index` (numpy rules).
int64_t broadcastSource(const Shape& from, const std::vector<int64_t>& strides,
                        const std::vector<int64_t>& index) {
    size_t offset = index.size() - from.size();
    int64_t flat = 0;
    for (size_t d = 0; d < from.size(); ++d)
        if (from[d] != 1) flat += index[offset + d] * strides[d];
    return flat;
}

Values transposeValues(const ConstData& x, const std::vector<int64_t>& perm, const Shape& out) {
    const Values in = x.toDoubles();
    const std::vector<int64_t> inStrides = rowMajorStrides(x.type().shape);
    const int64_t rank = static_cast<int64_t>(perm.size());
    Values result(in.size());
    forEachIndex(out, [&](int64_t flat, const std::vector<int64_t>& index) {
        int64_t source = 0;
        for (size_t i = 0; i < perm.size(); ++i) {
            int64_t axis = perm[i] < 0 ? perm[i] + rank : perm[i];
            source += index[i] * inStrides[static_cast<size_t>(axis)];
        }
        result[static_cast<size_t>(flat)] = in[static_cast<size_t>(source)];
    });
    return result;
}

Values sliceValues(const ConstData& x, const std::vector<ir::AxisSlice>& slices) {
    const Values in = x.toDoubles();
    const std::vector<int64_t> inStrides = rowMajorStrides(x.type().shape);
    Shape walk; // the selection including squeezed axes (count 1), same order as the result
    for (const ir::AxisSlice& slice : slices)
        walk.push_back(slice.count);
    Values result;
    forEachIndex(walk, [&](int64_t, const std::vector<int64_t>& index) {
        int64_t source = 0;
        for (size_t d = 0; d < slices.size(); ++d)
            source += (slices[d].start + index[d] * slices[d].stride) * inStrides[d];
        result.push_back(in[static_cast<size_t>(source)]);
    });
    return result;
}

Values concatValues(const std::vector<const ConstData*>& values, size_t axis, bool interleave,
                    const Shape& out) {
    std::vector<Values> inputs;
    for (const ConstData* value : values)
        inputs.push_back(value->toDoubles());
    Values result(static_cast<size_t>(TensorType{ir::DType::Fp64, out}.numElements()));
    forEachIndex(out, [&](int64_t flat, const std::vector<int64_t>& index) {
        // Which input holds this element, and where along the axis.
        size_t which = 0;
        int64_t along = index[axis];
        if (interleave) {
            which = static_cast<size_t>(along % static_cast<int64_t>(values.size()));
            along /= static_cast<int64_t>(values.size());
        } else {
            while (along >= values[which]->type().shape[axis])
                along -= values[which++]->type().shape[axis];
        }
        const Shape& shape = values[which]->type().shape;
        int64_t source = 0;
        for (size_t d = 0; d < shape.size(); ++d)
            source = source * shape[d] + (d == axis ? along : index[d]);
        result[static_cast<size_t>(flat)] = inputs[which][static_cast<size_t>(source)];
    });
    return result;
}

std::optional<Values> binaryValues(const std::string& kind, const ConstData& x, const ConstData& y,
                                   const Shape& out) {
    std::function<double(double, double)> apply;
    if (kind == "add")
        apply = [](double a, double b) { return a + b; };
    else if (kind == "sub")
        apply = [](double a, double b) { return a - b; };
    else if (kind == "mul")
        apply = [](double a, double b) { return a * b; };
    else if (kind == "real_div" && ir::isFloat(x.type().dtype))
        apply = [](double a, double b) { return a / b; };
    else if (kind == "maximum")
        apply = [](double a, double b) { return std::max(a, b); };
    else if (kind == "minimum")
        apply = [](double a, double b) { return std::min(a, b); };
    else if (kind == "pow" && ir::isFloat(x.type().dtype))
        apply = [](double a, double b) { return std::pow(a, b); };
    else
        return std::nullopt;
    const Values xs = x.toDoubles(), ys = y.toDoubles();
    const auto xStrides = rowMajorStrides(x.type().shape),
               yStrides = rowMajorStrides(y.type().shape);
    Values result(static_cast<size_t>(TensorType{ir::DType::Fp64, out}.numElements()));
    forEachIndex(out, [&](int64_t flat, const std::vector<int64_t>& index) {
        double a = xs[static_cast<size_t>(broadcastSource(x.type().shape, xStrides, index))];
        double b = ys[static_cast<size_t>(broadcastSource(y.type().shape, yStrides, index))];
        result[static_cast<size_t>(flat)] = apply(a, b);
    });
    return result;
}

double attrFloat(const ir::AttrMap& attrs, const std::string& name) {
    return std::get<double>(attrs.at(name));
}

// The float unary math ops, with the registry's semantics (rsqrt/log add epsilon first).
std::optional<Values> unaryValues(const std::string& kind, const ConstData& x,
                                  const ir::AttrMap& attrs) {
    if (!ir::isFloat(x.type().dtype)) return std::nullopt;
    std::function<double(double)> apply;
    if (kind == "sqrt")
        apply = [](double v) { return std::sqrt(v); };
    else if (kind == "rsqrt")
        apply = [eps = attrFloat(attrs, "epsilon")](double v) { return 1.0 / std::sqrt(v + eps); };
    else if (kind == "exp")
        apply = [](double v) { return std::exp(v); };
    else if (kind == "log")
        apply = [eps = attrFloat(attrs, "epsilon")](double v) { return std::log(v + eps); };
    else if (kind == "tanh")
        apply = [](double v) { return std::tanh(v); };
    else if (kind == "sigmoid")
        apply = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    else if (kind == "silu")
        apply = [](double v) { return v / (1.0 + std::exp(-v)); };
    else if (kind == "relu")
        apply = [](double v) { return v > 0 ? v : 0.0; };
    else if (kind == "abs")
        apply = [](double v) { return std::fabs(v); };
    else if (kind == "clip")
        apply = [lo = attrFloat(attrs, "alpha"), hi = attrFloat(attrs, "beta")](double v) {
            return std::min(std::max(v, lo), hi);
        };
    else
        return std::nullopt;
    Values values = x.toDoubles();
    for (double& v : values)
        v = apply(v);
    return values;
}

// Integers must hold the exact value: otherwise the conversion would be undefined or lossy.
bool representable(ir::DType dtype, const Values& values) {
    if (!ir::isInteger(dtype)) return true;
    size_t bits = ir::dtypeSize(dtype) * 8;
    bool isSigned = dtype == ir::DType::Int8 || dtype == ir::DType::Int16 ||
                    dtype == ir::DType::Int32 || dtype == ir::DType::Int64;
    double high = std::ldexp(1.0, static_cast<int>(isSigned ? bits - 1 : bits));
    double low = isSigned ? -high : 0.0;
    for (double v : values)
        if (!std::isfinite(v) || v < low || v >= high) return false;
    return true;
}

const std::vector<int64_t>& intList(const ir::AttrMap& attrs, const std::string& name) {
    return std::get<std::vector<int64_t>>(attrs.at(name));
}
} // namespace

bool isConstEvaluable(const std::string& kind) {
    static const std::set<std::string> kinds = {
        "transpose", "reshape", "expand_dims",   "squeeze",        "identity", "cast",
        "add",       "sub",     "mul",           "real_div",       "maximum",  "minimum",
        "pow",       "concat",  "slice_by_size", "slice_by_index", "sqrt",     "rsqrt",
        "exp",       "log",     "tanh",          "sigmoid",        "silu",     "relu",
        "abs",       "clip"};
    return kinds.count(kind) > 0;
}

std::optional<ConstData> evaluateConstOp(const ir::Op& op,
                                         const std::vector<const ConstData*>& operands) {
    if (!isConstEvaluable(op.kind()) || op.results.size() != 1 || operands.empty())
        return std::nullopt;
    for (const ConstData* operand : operands)
        if (!operand || operand->type().dtype == ir::DType::String) return std::nullopt;
    // Re-run inference on a copy of the attributes: fills defaults and re-checks them.
    std::vector<const TensorType*> types;
    for (const ConstData* operand : operands)
        types.push_back(&operand->type());
    ir::AttrMap attrs = op.attrs;
    auto inferred = ir::inferOp(op.def(), types, attrs, nullptr);
    if (!inferred || inferred->size() != 1) return std::nullopt;
    const TensorType& type = inferred->front();
    const std::string& kind = op.kind();
    const ConstData& x = *operands[0];

    std::optional<Values> values;
    if (kind == "reshape" || kind == "expand_dims" || kind == "squeeze" || kind == "identity" ||
        kind == "cast") {
        values = x.toDoubles(); // same elements in the same order
    } else if (kind == "transpose") {
        values = transposeValues(x, intList(attrs, "perm"), type.shape);
    } else if (kind == "slice_by_size" || kind == "slice_by_index") {
        auto slices = kind == "slice_by_size" ? ir::resolveSliceBySize(x.type(), attrs)
                                              : ir::resolveSliceByIndex(x.type(), attrs);
        if (!slices) return std::nullopt;
        values = sliceValues(x, *slices);
    } else if (kind == "concat") {
        auto axis = ir::normalizeAxis(std::get<int64_t>(attrs.at("axis")), x.type().rank());
        if (!axis) return std::nullopt;
        values = concatValues(operands, *axis, std::get<bool>(attrs.at("interleave")), type.shape);
    } else if (operands.size() == 2) {
        values = binaryValues(kind, x, *operands[1], type.shape);
    } else if (operands.size() == 1) {
        values = unaryValues(kind, x, attrs);
    }
    if (!values || static_cast<int64_t>(values->size()) != type.numElements() ||
        !representable(type.dtype, *values))
        return std::nullopt;
    return ConstData::fromDoubles(type, *values);
}

} // namespace anec::passes
