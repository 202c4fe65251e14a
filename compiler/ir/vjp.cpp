#include "ir/vjp.hpp"

#include <algorithm>
#include <cmath>

#include "fmt/format.h"
#include "ir/op_registry.hpp"

namespace anec::ir {

namespace {
// The op's attributes as shape inference sees them: with the registry's defaults.
AttrMap attrsWithDefaults(const Op& op) {
    AttrMap attrs = op.attrs;
    for (const AttrSpec& spec : op.def().attrs)
        if (!attrs.count(spec.name) && spec.defaultValue)
            attrs.emplace(spec.name, *spec.defaultValue);
    return attrs;
}
} // namespace

VjpContext::VjpContext(Builder& builder, const Op& op, std::vector<Value*> operands,
                       std::vector<Value*> results, std::vector<Value*> cotangents,
                       std::vector<bool> wanted)
    : builder_(builder), op_(op), operands_(std::move(operands)), results_(std::move(results)),
      cotangents_(std::move(cotangents)), wanted_(std::move(wanted)),
      attrs_(attrsWithDefaults(op)) {}

Value* VjpContext::cotangentOrZero(size_t i) {
    if (Value* c = cotangent(i)) return c;
    return zerosLike(result(i));
}

Value* VjpContext::create(const std::string& kind, std::vector<Value*> operands, AttrMap attrs) {
    auto value = builder_.createValue(kind, std::move(operands), std::move(attrs), op_.loc);
    if (!value)
        throw VjpError("cannot build " + kind + " in the gradient of " + op_.kind() + ": " +
                       value.error());
    return *value;
}

std::vector<Value*> VjpContext::createMulti(const std::string& kind, std::vector<Value*> operands,
                                            AttrMap attrs) {
    auto op = builder_.create(kind, std::move(operands), std::move(attrs), op_.loc);
    if (!op)
        throw VjpError("cannot build " + kind + " in the gradient of " + op_.kind() + ": " +
                       op.error());
    std::vector<Value*> values;
    for (const auto& result : (*op)->results)
        values.push_back(result.get());
    return values;
}

Value* VjpContext::scalar(double value, DType dtype) {
    return splat(TensorType{dtype, {}}, value);
}

Value* VjpContext::splat(const TensorType& type, double value) {
    // fp16's smallest normal number is 2^-14: below it a gradient keeps fewer bits, below 2^-24
    // none. A cotangent of 1 (the loss's), times the scale and this factor, must stay above it.
    constexpr double kSmallestNormal = 0x1p-14;
    double reached = std::fabs(value) * lossScale_;
    if (rangeWarnings_ && type.dtype == DType::Fp16 && value != 0 && reached < kSmallestNormal) {
        double scale = std::exp2(std::ceil(std::log2(kSmallestNormal / std::fabs(value))));
        rangeWarnings_->push_back(
            {op_.loc, fmt::format("the gradient of {} multiplies by {:g}, so a gradient of 1 "
                                  "(times the loss scale {:g}) falls below fp16's smallest normal "
                                  "number 2^-14 there and underflows; scale the loss by at least "
                                  "{:g} ('scale {:g}') or compute in fp32",
                                  op_.kind(), value, lossScale_, scale, scale)});
    }
    return builder_.createConst(std::make_shared<ConstData>(ConstData::splat(type, value)),
                                op_.loc);
}

Value* VjpContext::arange(int64_t count, DType dtype) {
    return create("range_1d",
                  {scalar(0, dtype), scalar(static_cast<double>(count), dtype), scalar(1, dtype)});
}

Value* VjpContext::cast(Value* a, DType dtype) {
    if (a->type.dtype == dtype) return a;
    return create("cast", {a}, {{"dtype", std::string(dtypeName(dtype))}});
}

Value* VjpContext::reshape(Value* a, const Shape& shape) {
    if (a->type.shape == shape) return a;
    return create("reshape", {a}, {{"shape", std::vector<int64_t>(shape)}});
}

Value* VjpContext::transpose(Value* a, const std::vector<int64_t>& perm) {
    return create("transpose", {a}, {{"perm", perm}});
}

Value* VjpContext::reduceKeep(const std::string& kind, Value* a, const std::vector<int64_t>& axes) {
    return create(kind, {a}, {{"axes", axes}, {"keep_dims", true}});
}

Value* VjpContext::sumToShape(Value* gradient, const Shape& shape) {
    const Shape& from = gradient->type.shape;
    if (from == shape) return gradient;
    size_t lead = from.size() - shape.size();
    std::vector<int64_t> axes;
    for (size_t d = 0; d < from.size(); ++d)
        if (d < lead || (shape[d - lead] == 1 && from[d] != 1))
            axes.push_back(static_cast<int64_t>(d));
    return reshape(sumKeep(gradient, axes), shape);
}

Value* VjpContext::where(Value* mask, Value* a) {
    return create("select", {mask, a, scalar(0, a->type.dtype)});
}

void VjpContext::unsupported(const std::string& message) const {
    throw VjpError("the gradient of " + op_.kind() + " " + message);
}

Value* dilateWithZeros(VjpContext& c, Value* v, int64_t axis, int64_t stride) {
    if (stride == 1) return v;
    // as [outer * length, 1, inner], padded to [outer * length, stride, inner]: reshapes and a
    // pad, no concat (which some ANE compilers reject)
    const Shape& shape = v->type.shape;
    const size_t a = static_cast<size_t>(axis);
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
        if (d < a) outer *= shape[d];
        if (d > a) inner *= shape[d];
    }
    Value* rows = c.reshape(v, {outer * shape[a], 1, inner});
    rows = padOrCrop(c, rows, {0, 0}, {stride - 1, 0});
    Shape dilated = shape;
    dilated[a] *= stride;
    return c.reshape(rows, dilated);
}

Value* padOrCrop(VjpContext& c, Value* v, const std::vector<int64_t>& before,
                 const std::vector<int64_t>& after, double value) {
    const Shape& shape = v->type.shape;
    const size_t first = shape.size() - before.size();
    std::vector<int64_t> begin(shape.size(), 0), end(shape.begin(), shape.end());
    std::vector<int64_t> pad;
    bool crop = false, padded = false;
    for (size_t i = 0; i < before.size(); ++i) {
        begin[first + i] = std::max<int64_t>(-before[i], 0);
        end[first + i] -= std::max<int64_t>(-after[i], 0);
        crop = crop || before[i] < 0 || after[i] < 0;
        pad.push_back(std::max<int64_t>(before[i], 0));
        pad.push_back(std::max<int64_t>(after[i], 0));
        padded = padded || before[i] > 0 || after[i] > 0;
    }
    if (crop) v = c.create("slice_by_index", {v}, {{"begin", begin}, {"end", end}});
    if (padded)
        v = c.create("pad", {v},
                     {{"pad", pad}, {"mode", std::string("constant")}, {"constant_val", value}});
    return v;
}

} // namespace anec::ir
