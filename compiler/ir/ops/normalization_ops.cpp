// Normalisation: layer_norm over axes, the per-channel batch_norm and instance_norm of CNNs, and
// l2_norm (rms_norm is decomposed by the frontend into elementwise ops), with their VJPs.
#include <algorithm>

#include "ir/ops/op_helpers.hpp"
#include "ir/vjp.hpp"

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

// ---- gradients ----

std::vector<int64_t> allDimsBut(size_t rank, const std::vector<int64_t>& dims) {
    std::vector<int64_t> others;
    for (size_t d = 0; d < rank; ++d)
        if (std::find(dims.begin(), dims.end(), static_cast<int64_t>(d)) == dims.end())
            others.push_back(static_cast<int64_t>(d));
    return others;
}

// How layer_norm and instance_norm lay out x: the dims each group normalises over (ascending),
// and the shape gamma/beta take to broadcast against x (1 along the dims they do not vary over).
struct NormLayout {
    std::vector<int64_t> normalized;
    std::vector<int64_t> paramDims;
    Shape paramView;
};

NormLayout normLayout(const Shape& x, std::vector<int64_t> normalized,
                      std::vector<int64_t> paramDims) {
    Shape view(x.size(), 1);
    for (int64_t d : paramDims)
        view[static_cast<size_t>(d)] = x[static_cast<size_t>(d)];
    return {std::move(normalized), std::move(paramDims), view};
}

// A per-dims parameter gradient: `a` (x's shape) summed over the dims the parameter does not
// vary over, in the parameter's own shape.
Value* paramGradient(VjpContext& c, Value* a, const NormLayout& layout, const Value* param) {
    return c.reshape(c.sumKeep(a, allDimsBut(a->type.rank(), layout.paramDims)), param->type.shape);
}

// y = xhat * gamma + beta with xhat = (x - mean) * rstd over each group of n elements:
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * gamma,
//   dgamma = sum(g * xhat), dbeta = sum(g) over the dims gamma / beta do not vary along.
std::vector<Value*> groupNormVjp(VjpContext& c, const NormLayout& layout) {
    Value* x = c.operand(0);
    Value* gamma = c.operand(1);
    Value* g = c.cotangentOrZero();
    std::vector<Value*> grads(c.numOperands(), nullptr);
    if (c.wants(2)) grads[2] = paramGradient(c, g, layout, c.operand(2));
    if (!c.wants(0) && !c.wants(1)) return grads;
    Value* centered = c.sub(x, c.reduceKeep("reduce_mean", x, layout.normalized));
    Value* variance = c.reduceKeep("reduce_mean", c.square(centered), layout.normalized);
    Value* rstd = c.create("rsqrt", {variance}, {{"epsilon", c.floatAttr("epsilon")}});
    Value* xhat = c.mul(centered, rstd);
    if (c.wants(1)) grads[1] = paramGradient(c, c.mul(g, xhat), layout, gamma);
    if (c.wants(0)) {
        Value* dxhat = gamma ? c.mul(g, c.reshape(gamma, layout.paramView)) : g;
        Value* meanD = c.reduceKeep("reduce_mean", dxhat, layout.normalized);
        Value* meanDX = c.reduceKeep("reduce_mean", c.mul(dxhat, xhat), layout.normalized);
        grads[0] = c.mul(rstd, c.sub(c.sub(dxhat, meanD), c.mul(xhat, meanDX)));
    }
    return grads;
}

std::vector<int64_t> dimsFrom(size_t first, size_t rank) {
    std::vector<int64_t> dims;
    for (size_t d = first; d < rank; ++d)
        dims.push_back(static_cast<int64_t>(d));
    return dims;
}

std::vector<Value*> layerNormVjp(VjpContext& c) {
    const Shape& x = c.operand(0)->type.shape;
    const std::vector<int64_t>& axes = c.intListAttr("axes");
    std::vector<int64_t> normalized;
    if (axes.empty()) normalized = dimsFrom(0, x.size());
    for (int64_t axis : axes)
        normalized.push_back(static_cast<int64_t>(*normalizeAxis(axis, x.size())));
    std::sort(normalized.begin(), normalized.end());
    return groupNormVjp(c, normLayout(x, normalized, normalized));
}

std::vector<Value*> instanceNormVjp(VjpContext& c) {
    const Shape& x = c.operand(0)->type.shape;
    return groupNormVjp(c, normLayout(x, dimsFrom(2, x.size()), {1}));
}

// Inference batch_norm, y = (x - mean) * s + beta with s = gamma * rstd, rstd = (variance +
// epsilon)^-1/2 per channel: dx = g * s, dmean = -sum(g) * s, dgamma = sum(g * (x - mean)) * rstd,
// dvariance = -1/2 * sum(g * (x - mean)) * s * rstd^2, dbeta = sum(g), sums over all but dim 1.
std::vector<Value*> batchNormVjp(VjpContext& c) {
    Value* x = c.operand(0);
    Value* gamma = c.operand(3);
    Value* g = c.cotangentOrZero();
    const size_t rank = x->type.rank();
    const Shape channels = c.operand(1)->type.shape;
    const NormLayout layout = normLayout(x->type.shape, {}, {1});
    auto perChannel = [&](Value* v) { return c.reshape(v, layout.paramView); };
    auto toChannels = [&](Value* v) { return c.reshape(v, channels); };
    const std::vector<int64_t> others = allDimsBut(rank, {1});

    Value* rstd =
        perChannel(c.create("rsqrt", {c.operand(2)}, {{"epsilon", c.floatAttr("epsilon")}}));
    Value* scale = gamma ? c.mul(rstd, perChannel(gamma)) : rstd;
    std::vector<Value*> grads(c.numOperands(), nullptr);
    if (c.wants(0)) grads[0] = c.mul(g, scale);
    if (c.wants(1) || c.wants(4)) {
        Value* sumG = c.sumKeep(g, others);
        if (c.wants(1)) grads[1] = toChannels(c.neg(c.mul(sumG, scale)));
        if (c.wants(4)) grads[4] = toChannels(sumG);
    }
    if (c.wants(2) || c.wants(3)) {
        Value* sumGC = c.sumKeep(c.mul(g, c.sub(x, perChannel(c.operand(1)))), others);
        if (c.wants(3)) grads[3] = toChannels(c.mul(sumGC, rstd));
        if (c.wants(2))
            grads[2] = toChannels(c.mulScalar(c.mul(c.mul(sumGC, scale), c.square(rstd)), -0.5));
    }
    return grads;
}

// y = x * r with r = (sum(x * x) + epsilon)^-1/2 over the last three dims:
// dx = r * (g - y * sum(g * y)).
std::vector<Value*> l2NormVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    Value* x = c.operand(0);
    Value* y = c.result();
    Value* g = c.cotangentOrZero();
    const std::vector<int64_t> dims = dimsFrom(x->type.rank() - 3, x->type.rank());
    Value* r =
        c.create("rsqrt", {c.sumKeep(c.square(x), dims)}, {{"epsilon", c.floatAttr("epsilon")}});
    return {c.mul(r, c.sub(g, c.mul(y, c.sumKeep(c.mul(g, y), dims))))};
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
        .vjp = layerNormVjp,
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
        .vjp = batchNormVjp,
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
        .vjp = instanceNormVjp,
    });
    registry.add({
        .name = "l2_norm",
        .operands = {{"x"}},
        .attrs = {{"epsilon", AttrKind::Float, 1e-6}},
        .infer = inferL2Norm,
        .summary = "x / sqrt(sum(x * x) + epsilon) over the last three dims",
        .vjp = l2NormVjp,
    });
}

} // namespace anec::ir
