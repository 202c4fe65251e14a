// Normalisation: layer_norm (rms_norm is decomposed by the frontend into elementwise ops).
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
}

} // namespace anec::ir
