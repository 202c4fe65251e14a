// Reductions over axes (reduce_sum, reduce_mean, ..., reduce_log_sum_exp), reduce_argmax /
// reduce_argmin along one axis, and softmax.
#include "ir/ops/op_helpers.hpp"

namespace anec::ir {

namespace {
using ops::Results;

// floatOnly: norms and logarithms, whose int32 versions MIL would truncate.
Results inferReduce(const std::string& name, bool floatOnly, const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (floatOnly) {
        if (auto ok = ops::checkFloat(name, x); !ok) return fail(ok.error());
    }
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

void addReduce(OpRegistry& registry, const std::string& name, const std::string& summary,
               bool floatOnly = false) {
    registry.add({
        .name = name,
        .operands = {{"x"}},
        .attrs = {{"axes", AttrKind::IntList, std::vector<int64_t>{}},
                  {"keep_dims", AttrKind::Bool, false}},
        .infer = [name,
                  floatOnly](const InferContext& ctx) { return inferReduce(name, floatOnly, ctx); },
        .summary = summary + " over axes (empty: all); keep_dims keeps them as size 1",
    });
}

// reduce_argmax / reduce_argmin: the int32 index along one axis.
void addArgReduce(OpRegistry& registry, const std::string& name, const std::string& summary) {
    registry.add({
        .name = name,
        .operands = {{"x"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{-1}}, {"keep_dims", AttrKind::Bool, false}},
        .infer = [name](const InferContext& ctx) -> Results {
            const TensorType& x = *ctx.operand(0);
            if (auto ok = ops::checkFloatOrInt32(name, x); !ok) return fail(ok.error());
            if (x.isScalar()) return fail(name + " needs a tensor of rank >= 1, got " + x.str());
            auto axis = ops::checkAxis(name + " axis", ctx.intAttr("axis"), x);
            if (!axis) return fail(axis.error());
            Shape out = x.shape;
            if (ctx.boolAttr("keep_dims"))
                out[*axis] = 1;
            else
                out.erase(out.begin() + static_cast<std::ptrdiff_t>(*axis));
            return ops::single({DType::Int32, out});
        },
        .summary = summary + " along axis (int32; the first on ties)",
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
    addReduce(registry, "reduce_prod", "product");
    addReduce(registry, "reduce_l1_norm", "sum of |x|");
    addReduce(registry, "reduce_sum_square", "sum of x * x");
    addReduce(registry, "reduce_l2_norm", "sqrt of the sum of x * x", true);
    addReduce(registry, "reduce_log_sum", "log of the sum", true);
    addReduce(registry, "reduce_log_sum_exp",
              "log(sum(exp(x))), computed as max + log(sum(exp(x - max)))", true);
    addArgReduce(registry, "reduce_argmax", "index of the maximum");
    addArgReduce(registry, "reduce_argmin", "index of the minimum");
    registry.add({
        .name = "softmax",
        .operands = {{"x"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{-1}}},
        .infer = inferSoftmax,
        .summary = "exp(x - max) / sum(exp(x - max)) along axis",
    });
}

} // namespace anec::ir
