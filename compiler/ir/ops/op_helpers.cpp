#include "ir/ops/op_helpers.hpp"

#include <limits>

#include "ir/vjp.hpp"

namespace anec::ir::ops {

std::string listString(const std::vector<int64_t>& values) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i)
        out += (i ? ", " : "") + std::to_string(values[i]);
    return out + "]";
}

Expected<size_t> checkAxis(const std::string& what, int64_t axis, const TensorType& x) {
    auto normalized = normalizeAxis(axis, x.rank());
    if (!normalized)
        return fail(what + " " + std::to_string(axis) + " is out of range for " + x.str() +
                    " (rank " + std::to_string(x.rank()) + ")");
    return *normalized;
}

Expected<std::vector<size_t>> checkAxes(const std::string& what, const std::vector<int64_t>& axes,
                                        const TensorType& x) {
    std::vector<size_t> out;
    std::vector<bool> seen(x.rank(), false);
    for (int64_t axis : axes) {
        auto normalized = checkAxis(what, axis, x);
        if (!normalized) return fail(normalized.error());
        if (seen[*normalized])
            return fail(what + " " + listString(axes) + " name axis " +
                        std::to_string(*normalized) + " of " + x.str() + " twice");
        seen[*normalized] = true;
        out.push_back(*normalized);
    }
    return out;
}

Expected<bool> checkPerDim(const std::string& what, const std::vector<int64_t>& values,
                           const TensorType& x) {
    if (values.size() != x.rank())
        return fail(what + " " + listString(values) + " has " + std::to_string(values.size()) +
                    " entries but " + x.str() + " has rank " + std::to_string(x.rank()));
    return true;
}

Expected<bool> checkBoolList(const std::string& what, const std::vector<int64_t>& values) {
    for (int64_t v : values)
        if (v != 0 && v != 1)
            return fail(what + " " + listString(values) + " must hold only 0 or 1");
    return true;
}

Expected<bool> checkFloat(const std::string& what, const TensorType& x) {
    if (!isFloat(x.dtype)) return fail(what + " needs a floating-point tensor, got " + x.str());
    return true;
}

Expected<bool> checkFloatOrInt32(const std::string& what, const TensorType& x) {
    if (x.dtype != DType::Fp16 && x.dtype != DType::Fp32 && x.dtype != DType::Int32)
        return fail(what + " needs an fp16, fp32 or int32 tensor, got " + x.str());
    return true;
}

Expected<bool> checkScalar(const std::string& what, const TensorType& x) {
    if (!x.isScalar()) return fail(what + " must be a scalar, got " + x.str());
    return true;
}

void addFloatUnary(OpRegistry& registry, const std::string& name, std::vector<AttrSpec> attrs,
                   const std::string& summary, VjpFn vjp, bool zeroGradient) {
    registry.add({
        .name = name,
        .operands = {{"x"}},
        .attrs = std::move(attrs),
        .infer = [name](const InferContext& ctx) -> Results {
            if (auto ok = checkFloat(name, *ctx.operand(0)); !ok) return fail(ok.error());
            return single(*ctx.operand(0));
        },
        .summary = summary,
        .vjp = std::move(vjp),
        .zeroGradient = zeroGradient,
    });
}

VjpFn unaryVjp(UnaryVjpPart derivative) {
    return [derivative](VjpContext& c) -> std::vector<Value*> {
        if (!c.wants(0)) return {nullptr};
        return {c.mul(c.cotangentOrZero(), derivative(c, c.operand(0), c.result()))};
    };
}

VjpFn maskedUnaryVjp(UnaryVjpPart mask) {
    return [mask](VjpContext& c) -> std::vector<Value*> {
        if (!c.wants(0)) return {nullptr};
        return {c.where(mask(c, c.operand(0), c.result()), c.cotangentOrZero())};
    };
}

Value* scalarLike(VjpContext& c, double value, const Value* like) {
    return c.scalar(value, like->type.dtype);
}

Value* compareWith(VjpContext& c, const std::string& kind, Value* x, double value) {
    return c.create(kind, {x, scalarLike(c, value, x)});
}

} // namespace anec::ir::ops
