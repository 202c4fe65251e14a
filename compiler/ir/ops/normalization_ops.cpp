// Normalisation: layer_norm over axes, the per-channel batch_norm and instance_norm of CNNs, and
// l2_norm (rms_norm is decomposed by the frontend into elementwise ops).
#include "ir/ops/op_helpers.hpp"

namespace anec::ir {

namespace {
using ops::Results;

// gamma and beta hold one value per normalised element: the normalised dims of x, in axis order.
Expected<bool> checkScale(const std::string& name, const TensorType* scale, const TensorType& x,
                          const Shape& normalizedShape) {
    if (!scale) return true;
    if (scale->dtype != x.dtype)
        return fail("layer_norm " + name + " " + scale->str() + " and x " + x.str() +
                    " have different element types");
    if (scale->shape != normalizedShape)
        return fail("layer_norm " + name + " " + scale->str() + " must have shape " +
                    shapeString(normalizedShape) + " (the normalised dimensions of x " + x.str() +
                    ")");
    return true;
}

Results inferLayerNorm(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (!isFloat(x.dtype)) return fail("layer_norm needs a floating-point x, got " + x.str());
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    auto normalized = ops::checkAxes("layer_norm axes", axes, x);
    if (!normalized) return fail(normalized.error());
    std::vector<bool> isNormalized(x.rank(), axes.empty()); // MIL: no axes normalises all
    for (size_t axis : *normalized)
        isNormalized[axis] = true;
    Shape normalizedShape;
    for (size_t d = 0; d < x.rank(); ++d)
        if (isNormalized[d]) normalizedShape.push_back(x.shape[d]);
    if (auto ok = checkScale("gamma", ctx.operand(1), x, normalizedShape); !ok)
        return fail(ok.error());
    if (auto ok = checkScale("beta", ctx.operand(2), x, normalizedShape); !ok)
        return fail(ok.error());
    if (ctx.floatAttr("epsilon") < 0)
        return fail("layer_norm epsilon must not be negative, got " +
                    attributeString(ctx.floatAttr("epsilon")));
    return ops::single(x);
}
// batch_norm / instance_norm parameters: one value per channel, [C], in x's element type.
Expected<bool> checkPerChannel(const std::string& opName, const std::string& name,
                               const TensorType* param, const TensorType& x) {
    if (!param) return true;
    if (param->dtype != x.dtype || param->shape != Shape{x.shape[1]})
        return fail(opName + " " + name + " " + param->str() + " must be " +
                    TensorType{x.dtype, {x.shape[1]}}.str() + " (one value per channel of x " +
                    x.str() + ")");
    return true;
}

// x [N, C, spatial...] with `maxRank` >= rank >= 3; the per-channel operands from `first` on.
Results inferChannelNorm(const std::string& opName, size_t maxRank,
                         const std::vector<std::string>& names, const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = ops::checkFloat(opName, x); !ok) return fail(ok.error());
    if (x.rank() < 3 || x.rank() > maxRank)
        return fail(opName + " needs x of rank 3 to " + std::to_string(maxRank) +
                    " [N, C, spatial...], got " + x.str());
    for (size_t i = 0; i < names.size(); ++i)
        if (auto ok = checkPerChannel(opName, names[i], ctx.operand(i + 1), x); !ok)
            return fail(ok.error());
    if (ctx.floatAttr("epsilon") < 0)
        return fail(opName + " epsilon must not be negative, got " +
                    attributeString(ctx.floatAttr("epsilon")));
    return ops::single(x);
}

Results inferL2Norm(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = ops::checkFloat("l2_norm", x); !ok) return fail(ok.error());
    if (x.rank() < 3)
        return fail("l2_norm needs x of rank >= 3 (it normalises the last three dims), got " +
                    x.str());
    if (ctx.floatAttr("epsilon") < 0)
        return fail("l2_norm epsilon must not be negative, got " +
                    attributeString(ctx.floatAttr("epsilon")));
    return ops::single(x);
}
} // namespace

void registerNormalizationOps(OpRegistry& registry) {
    registry.add({
        .name = "layer_norm",
        .operands = {{"x"}, {"gamma", OperandArity::Optional}, {"beta", OperandArity::Optional}},
        .attrs = {{"axes", AttrKind::IntList, std::vector<int64_t>{}},
                  {"epsilon", AttrKind::Float, 1e-5}},
        .infer = inferLayerNorm,
        .summary = "(x - mean) / sqrt(var + epsilon) * gamma + beta over axes (empty: all)",
    });
    registry.add({
        .name = "batch_norm",
        .operands = {{"x"},
                     {"mean"},
                     {"variance"},
                     {"gamma", OperandArity::Optional},
                     {"beta", OperandArity::Optional}},
        .attrs = {{"epsilon", AttrKind::Float, 1e-5}},
        .infer =
            [](const InferContext& ctx) {
                return inferChannelNorm("batch_norm", 5, {"mean", "variance", "gamma", "beta"},
                                        ctx);
            },
        .summary = "(x - mean) / sqrt(variance + epsilon) * gamma + beta per channel (dim 1) "
                   "with given statistics",
    });
    registry.add({
        .name = "instance_norm",
        .operands = {{"x"}, {"gamma", OperandArity::Optional}, {"beta", OperandArity::Optional}},
        .attrs = {{"epsilon", AttrKind::Float, 1e-5}},
        .infer =
            [](const InferContext& ctx) {
                return inferChannelNorm("instance_norm", 4, {"gamma", "beta"}, ctx);
            },
        .summary = "layer_norm over the spatial dims of each (N, C) slice, then gamma and beta "
                   "per channel",
    });
    registry.add({
        .name = "l2_norm",
        .operands = {{"x"}},
        .attrs = {{"epsilon", AttrKind::Float, 1e-6}},
        .infer = inferL2Norm,
        .summary = "x / sqrt(sum(x * x) + epsilon) over the last three dims",
    });
}

} // namespace anec::ir
