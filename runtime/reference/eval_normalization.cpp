// layer_norm: (x - mean) / sqrt(var + epsilon) * gamma + beta over `axes` (biased variance,
// two passes, accumulated in T); gamma and beta are optional. instance_norm is layer_norm over
// the spatial dims with per-channel gamma/beta; batch_norm uses given statistics; l2_norm.
#include <cmath>
#include <vector>

#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
// Walks x with operand 0 = its group (the position in the non-normalised dims) and operand 1 =
// its position in gamma/beta (the dims `hasParam` marks, in dimension order).
StridedLoop planNorm(const ir::Shape& x, const std::vector<bool>& normalized,
                     const std::vector<bool>& hasParam, int64_t& groups, int64_t& count) {
    ir::Shape groupShape = x, paramShape = x;
    for (size_t d = 0; d < x.size(); ++d) {
        if (normalized[d]) groupShape[d] = 1;
        if (!hasParam[d]) paramShape[d] = 1;
    }
    std::vector<int64_t> groupStrides = rowMajorStrides(groupShape);
    std::vector<int64_t> paramStrides = rowMajorStrides(paramShape);
    groups = count = 1;
    for (size_t d = 0; d < x.size(); ++d) {
        if (normalized[d]) groupStrides[d] = 0;
        if (!hasParam[d]) paramStrides[d] = 0;
        (normalized[d] ? count : groups) *= x[d];
    }
    return planWalk(x, {groupStrides, paramStrides});
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

// layer_norm over `normalized` dims with gamma/beta over `hasParam` dims (operands 1 and 2).
template <typename T>
Kernel normKernel(const OpContext<T>& ctx, const std::vector<bool>& normalized,
                  const std::vector<bool>& hasParam) {
    LayerNormPlan plan;
    plan.loop = planNorm(ctx.operandType(0)->shape, normalized, hasParam, plan.groups, plan.count);
    const T epsilon = ctx.floatAttr("epsilon");
    return [plan, epsilon](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        const T* gamma = in.size() > 1 && in[1] ? in[1]->in<T>() : nullptr;
        const T* beta = in.size() > 2 && in[2] ? in[2]->in<T>() : nullptr;
        layerNorm(plan, epsilon, in[0]->in<T>(), gamma, beta, results[0].out<T>());
    };
}

template <typename T> Kernel prepareLayerNorm(const OpContext<T>& ctx) {
    const ir::TensorType& x = *ctx.operandType(0);
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    std::vector<bool> normalized(x.rank(), axes.empty());
    for (int64_t axis : axes)
        normalized[*ir::normalizeAxis(axis, x.rank())] = true;
    return normKernel(ctx, normalized, normalized);
}

// layer_norm over the spatial dims (2...) of each (N, C) slice; gamma and beta per channel.
template <typename T> Kernel prepareInstanceNorm(const OpContext<T>& ctx) {
    const size_t rank = ctx.operandType(0)->rank();
    std::vector<bool> spatial(rank, true), channel(rank, false);
    spatial[0] = spatial[1] = false;
    channel[1] = true;
    return normKernel(ctx, spatial, channel);
}

// (x - mean) / sqrt(variance + epsilon) * gamma + beta with per-channel statistics.
template <typename T> Kernel prepareBatchNorm(const OpContext<T>& ctx) {
    const ir::TensorType& x = *ctx.operandType(0);
    const AxisWalk walk = axisWalk(x.shape, 1);
    const T epsilon = ctx.floatAttr("epsilon");
    return [walk, epsilon](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        const T* xs = in[0]->in<T>();
        const T* mean = in[1]->in<T>();
        const T* variance = in[2]->in<T>();
        const T* gamma = in[3] ? in[3]->in<T>() : nullptr;
        const T* beta = in[4] ? in[4]->in<T>() : nullptr;
        T* y = results[0].out<T>();
        for (int64_t o = 0; o < walk.outer; ++o)
            for (int64_t c = 0; c < walk.length; ++c) {
                const T scale = T(1) / std::sqrt(variance[c] + epsilon);
                for (int64_t j = 0; j < walk.inner; ++j) {
                    const int64_t at = (o * walk.length + c) * walk.inner + j;
                    T value = (xs[at] - mean[c]) * scale;
                    if (gamma) value *= gamma[c];
                    if (beta) value += beta[c];
                    y[at] = value;
                }
            }
    };
}

// x / sqrt(sum(x * x) + epsilon) over the last three dims.
template <typename T> Kernel prepareL2Norm(const OpContext<T>& ctx) {
    const ir::Shape& x = ctx.operandType(0)->shape;
    int64_t count = 1;
    for (size_t d = x.size() - 3; d < x.size(); ++d)
        count *= x[d];
    const T epsilon = ctx.floatAttr("epsilon");
    return [count, epsilon](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        const T* xs = in[0]->in<T>();
        T* y = results[0].out<T>();
        for (size_t start = 0; start < results[0].size(); start += static_cast<size_t>(count)) {
            T sum = 0;
            for (int64_t i = 0; i < count; ++i)
                sum += xs[start + i] * xs[start + i];
            const T scale = T(1) / std::sqrt(sum + epsilon);
            for (int64_t i = 0; i < count; ++i)
                y[start + i] = xs[start + i] * scale;
        }
    };
}
} // namespace

template <typename T> void addNormalizationEvaluators(EvaluatorTable<T>& table) {
    table["layer_norm"] = {prepareLayerNorm<T>};
    table["instance_norm"] = {prepareInstanceNorm<T>};
    table["batch_norm"] = {prepareBatchNorm<T>};
    table["l2_norm"] = {prepareL2Norm<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addNormalizationEvaluators);

} // namespace anec::runtime::reference
