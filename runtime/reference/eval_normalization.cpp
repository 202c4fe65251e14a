// layer_norm: (x - mean) / sqrt(var + epsilon) * gamma + beta over `axes` (biased variance,
// two passes, accumulated in T); gamma and beta are optional.
#include <cmath>
#include <vector>

#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
// Walks x with operand 0 = its group (the position in the non-normalised dims) and operand 1 =
// its position in gamma/beta (the normalised dims, in dimension order).
template <typename T>
StridedLoop planLayerNorm(const OpContext<T>& ctx, int64_t& groups, int64_t& count) {
    const ir::TensorType& x = *ctx.operandType(0);
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    std::vector<bool> normalized(x.rank(), axes.empty());
    for (int64_t axis : axes)
        normalized[*ir::normalizeAxis(axis, x.rank())] = true;
    ir::Shape groupShape = x.shape, normShape = x.shape;
    for (size_t d = 0; d < x.rank(); ++d)
        (normalized[d] ? groupShape : normShape)[d] = 1;
    std::vector<int64_t> groupStrides = rowMajorStrides(groupShape);
    std::vector<int64_t> normStrides = rowMajorStrides(normShape);
    groups = count = 1;
    for (size_t d = 0; d < x.rank(); ++d) {
        (normalized[d] ? groupStrides : normStrides)[d] = 0;
        (normalized[d] ? count : groups) *= x.shape[d];
    }
    return planWalk(x.shape, {groupStrides, normStrides});
}

struct LayerNormPlan {
    StridedLoop loop;
    int64_t groups = 1, count = 1;
};

template <typename T>
void layerNorm(const LayerNormPlan& plan, T epsilon, const T* x, const T* gamma, const T* beta,
               T* y) {
    const StridedLoop& loop = plan.loop;
    const int64_t n = loop.inner, sg = loop.innerStride(0), sn = loop.innerStride(1);
    std::vector<T> mean(static_cast<size_t>(plan.groups), T(0));
    std::vector<T> scale(static_cast<size_t>(plan.groups), T(0)); // variance, then 1/std
    forEachRow(loop, [&](int64_t o, const int64_t* off) {
        for (int64_t i = 0; i < n; ++i)
            mean[off[0] + i * sg] += x[o + i];
    });
    for (T& m : mean)
        m /= static_cast<T>(plan.count);
    forEachRow(loop, [&](int64_t o, const int64_t* off) {
        for (int64_t i = 0; i < n; ++i) {
            T d = x[o + i] - mean[off[0] + i * sg];
            scale[off[0] + i * sg] += d * d;
        }
    });
    for (T& s : scale)
        s = T(1) / std::sqrt(s / static_cast<T>(plan.count) + epsilon);
    forEachRow(loop, [&](int64_t o, const int64_t* off) {
        for (int64_t i = 0; i < n; ++i) {
            const int64_t g = off[0] + i * sg, k = off[1] + i * sn;
            T value = (x[o + i] - mean[g]) * scale[g];
            if (gamma) value *= gamma[k];
            if (beta) value += beta[k];
            y[o + i] = value;
        }
    });
}

template <typename T> Kernel prepareLayerNorm(const OpContext<T>& ctx) {
    LayerNormPlan plan;
    plan.loop = planLayerNorm(ctx, plan.groups, plan.count);
    const T epsilon = ctx.floatAttr("epsilon");
    return [plan, epsilon](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        const T* gamma = in.size() > 1 && in[1] ? in[1]->in<T>() : nullptr;
        const T* beta = in.size() > 2 && in[2] ? in[2]->in<T>() : nullptr;
        layerNorm(plan, epsilon, in[0]->in<T>(), gamma, beta, results[0].out<T>());
    };
}
} // namespace

template <typename T> void addNormalizationEvaluators(EvaluatorTable<T>& table) {
    table["layer_norm"] = {prepareLayerNorm<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addNormalizationEvaluators);

} // namespace anec::runtime::reference
