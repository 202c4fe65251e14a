// avg_pool and max_pool over 1 to 3 spatial dims, with the window geometry of ir/ops/pooling.hpp.
// Sums accumulate in T; padding is skipped by max_pool and counts as 0 in avg_pool (unless
// exclude_padding_from_average).
#include <limits>

#include "ir/ops/pooling.hpp"
#include "runtime/reference/element_math.hpp"
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
// Per output position (row-major over the spatial dims), the input positions its window covers
// (padding left out) and the average's divisor.
struct PoolPlan {
    int64_t planes = 1;     // N * C
    int64_t inputPlane = 1; // spatial elements of the input
    std::vector<std::vector<int64_t>> windows;
    std::vector<int64_t> divisors;
};

PoolPlan planPool(const ir::Shape& x, const ir::PoolGeometry& g, bool excludePadding) {
    PoolPlan plan;
    plan.planes = x[0] * x[1];
    const ir::Shape in(x.begin() + 2, x.end()), out(g.out.begin() + 2, g.out.end());
    const std::vector<int64_t> inStrides = rowMajorStrides(in);
    for (int64_t d : in)
        plan.inputPlane *= d;
    int64_t outCount = 1, kernelCount = 1;
    for (size_t d = 0; d < out.size(); ++d) {
        outCount *= out[d];
        kernelCount *= g.kernel[d];
    }
    std::vector<int64_t> position(out.size()), offset(out.size());
    for (int64_t o = 0; o < outCount; ++o) {
        for (int64_t rest = o, d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
            position[static_cast<size_t>(d)] = rest % out[static_cast<size_t>(d)];
            rest /= out[static_cast<size_t>(d)];
        }
        std::vector<int64_t> window;
        for (int64_t k = 0; k < kernelCount; ++k) {
            bool inside = true;
            int64_t flat = 0;
            for (int64_t rest = k, d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
                const size_t u = static_cast<size_t>(d);
                const int64_t at = position[u] * g.strides[u] - g.padBefore[u] + rest % g.kernel[u];
                rest /= g.kernel[u];
                inside = inside && at >= 0 && at < in[u];
                flat += at * inStrides[u];
            }
            if (inside) window.push_back(flat);
        }
        plan.divisors.push_back(excludePadding ? static_cast<int64_t>(window.size()) : kernelCount);
        plan.windows.push_back(std::move(window));
    }
    return plan;
}

template <typename T> Kernel preparePool(const OpContext<T>& ctx, bool average) {
    const ir::TensorType& x = *ctx.operandType(0);
    auto geometry = ir::resolvePool(ctx.op().kind(), x, ctx.attrs());
    if (!geometry) ctx.error(geometry.error());
    const bool exclude = average && ctx.boolAttr("exclude_padding_from_average");
    const PoolPlan plan = planPool(x.shape, *geometry, exclude);
    return [plan, average](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        const T* xs = in[0]->in<T>();
        T* y = results[0].out<T>();
        for (int64_t p = 0; p < plan.planes; ++p) {
            const T* plane = xs + p * plan.inputPlane;
            for (size_t o = 0; o < plan.windows.size(); ++o) {
                T value = average ? T(0) : -std::numeric_limits<T>::infinity();
                for (int64_t at : plan.windows[o])
                    value = average ? value + plane[at] : nanMax(value, plane[at]);
                *y++ = average ? value / static_cast<T>(plan.divisors[o]) : value;
            }
        }
    };
}
} // namespace

template <typename T> void addPoolingEvaluators(EvaluatorTable<T>& table) {
    table["avg_pool"] = {[](const OpContext<T>& ctx) { return preparePool(ctx, true); }};
    table["max_pool"] = {[](const OpContext<T>& ctx) { return preparePool(ctx, false); }, true};
}

ANEC_INSTANTIATE_EVALUATORS(addPoolingEvaluators);

} // namespace anec::runtime::reference
