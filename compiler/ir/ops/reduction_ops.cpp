// Reductions over axes (reduce_sum, reduce_mean, reduce_max, reduce_min) and softmax.
#include "ir/ops/op_helpers.hpp"

namespace anec::ir {

namespace {
using ops::Results;

Results inferReduce(const std::string& name, const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (!ops::isNumeric(x.dtype)) return fail(name + " needs a numeric tensor, got " + x.str());
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    std::vector<bool> reduced(x.rank(), axes.empty()); // MIL: no axes reduces over all of them
    auto normalized = ops::checkAxes(name + " axes", axes, x);
    if (!normalized) return fail(normalized.error());
    for (size_t axis : *normalized)
        reduced[axis] = true;
    const bool keepDims = ctx.boolAttr("keep_dims");
    Shape out;
    for (size_t d = 0; d < x.rank(); ++d) {
        if (!reduced[d])
            out.push_back(x.shape[d]);
        else if (keepDims)
            out.push_back(1);
    }
    return ops::single({x.dtype, out});
}

void addReduce(OpRegistry& registry, const std::string& name, const std::string& summary) {
    registry.add({
        .name = name,
        .operands = {{"x"}},
        .attrs = {{"axes", AttrKind::IntList, std::vector<int64_t>{}},
                  {"keep_dims", AttrKind::Bool, false}},
        .infer = [name](const InferContext& ctx) { return inferReduce(name, ctx); },
        .summary = summary + " over axes (empty: all); keep_dims keeps them as size 1",
    });
}

Results inferSoftmax(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (!isFloat(x.dtype)) return fail("softmax needs a floating-point tensor, got " + x.str());
    if (x.isScalar()) return fail("softmax needs a tensor of rank >= 1, got " + x.str());
    auto axis = ops::checkAxis("softmax axis", ctx.intAttr("axis"), x);
    if (!axis) return fail(axis.error());
    return ops::single(x);
}
} // namespace

void registerReductionOps(OpRegistry& registry) {
    addReduce(registry, "reduce_sum", "sum");
    addReduce(registry, "reduce_mean", "mean");
    addReduce(registry, "reduce_max", "maximum");
    addReduce(registry, "reduce_min", "minimum");
    registry.add({
        .name = "softmax",
        .operands = {{"x"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{-1}}},
        .infer = inferSoftmax,
        .summary = "exp(x - max) / sum(exp(x - max)) along axis",
    });
}

} // namespace anec::ir
