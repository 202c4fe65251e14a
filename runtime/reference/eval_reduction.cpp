// reduce_* over axes, reduce_argmax / reduce_argmin and softmax along one axis. Sums accumulate
// in T (fp32 in the fp16-faithful model) or exactly in int64 for int32.
#include <cmath>
#include <limits>
#include <vector>

#include "runtime/reference/element_math.hpp"
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
enum class Reduction { Sum, Mean, Max, Min, Prod, L1Norm, SumSquare, L2Norm, LogSum, LogSumExp };

// Walks x in order; operand 0 is the position in the result (stride 0 along reduced axes).
template <typename T> StridedLoop planReduction(const OpContext<T>& ctx, int64_t& count) {
    const ir::TensorType& x = *ctx.operandType(0);
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    std::vector<bool> reduced(x.rank(), axes.empty());
    for (int64_t axis : axes)
        reduced[*ir::normalizeAxis(axis, x.rank())] = true;
    ir::Shape kept = x.shape;
    count = 1;
    for (size_t d = 0; d < x.rank(); ++d)
        if (reduced[d]) {
            count *= x.shape[d];
            kept[d] = 1;
        }
    std::vector<int64_t> strides = rowMajorStrides(kept);
    for (size_t d = 0; d < x.rank(); ++d)
        if (reduced[d]) strides[d] = 0;
    return planWalk(x.shape, {strides});
}

// combine(accumulator, element, result index) for every element of x.
template <typename Acc, typename E, typename F>
void accumulate(const StridedLoop& loop, const E* x, Acc* acc, F combine) {
    const int64_t n = loop.inner, stride = loop.innerStride(0);
    forEachRow(loop, [&](int64_t xOffset, const int64_t* off) {
        const E* row = x + xOffset;
        Acc* target = acc + off[0];
        if (stride == 0) {
            Acc value = *target;
            for (int64_t i = 0; i < n; ++i)
                value = combine(value, static_cast<Acc>(row[i]), off[0]);
            *target = value;
        } else {
            for (int64_t i = 0; i < n; ++i)
                target[i] = combine(target[i], static_cast<Acc>(row[i]), off[0] + i);
        }
    });
}

template <typename Acc> Acc initialValue(Reduction kind) {
    if (kind == Reduction::Prod) return Acc(1);
    if constexpr (std::is_floating_point_v<Acc>) {
        if (kind == Reduction::Max || kind == Reduction::LogSumExp)
            return -std::numeric_limits<Acc>::infinity();
        if (kind == Reduction::Min) return std::numeric_limits<Acc>::infinity();
    } else {
        if (kind == Reduction::Max) return std::numeric_limits<Acc>::lowest();
        if (kind == Reduction::Min) return std::numeric_limits<Acc>::max();
    }
    return Acc(0);
}

// Integer products wrap like int32 arithmetic (modular, without signed overflow).
template <typename Acc> Acc multiply(Acc a, Acc b) {
    if constexpr (std::is_floating_point_v<Acc>) {
        return a * b;
    } else {
        return static_cast<Acc>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    }
}

template <typename Acc>
void accumulateAll(Reduction kind, const StridedLoop& loop, const auto* x, std::vector<Acc>& acc) {
    auto run = [&](auto combine) { accumulate(loop, x, acc.data(), combine); };
    switch (kind) {
    case Reduction::Max:
        return run([](Acc a, Acc b, int64_t) { return nanMax(a, b); });
    case Reduction::Min:
        return run([](Acc a, Acc b, int64_t) { return nanMin(a, b); });
    case Reduction::Prod:
        return run([](Acc a, Acc b, int64_t) { return multiply(a, b); });
    case Reduction::L1Norm:
        return run([](Acc a, Acc b, int64_t) { return a + (b < Acc(0) ? -b : b); });
    case Reduction::SumSquare:
    case Reduction::L2Norm:
        return run([](Acc a, Acc b, int64_t) { return a + multiply(b, b); });
    case Reduction::LogSumExp: { // max + log(sum(exp(x - max))): no overflow for large x
        std::vector<Acc> maxima(acc.size(), initialValue<Acc>(Reduction::Max));
        accumulate(loop, x, maxima.data(), [](Acc a, Acc b, int64_t) { return nanMax(a, b); });
        std::fill(acc.begin(), acc.end(), Acc(0));
        run([&maxima](Acc a, Acc b, int64_t i) {
            return a + static_cast<Acc>(std::exp(b - maxima[static_cast<size_t>(i)]));
        });
        for (size_t i = 0; i < acc.size(); ++i)
            acc[i] = std::isfinite(static_cast<double>(maxima[i]))
                         ? maxima[i] + static_cast<Acc>(std::log(acc[i]))
                         : maxima[i]; // all -inf (or +inf / NaN among them)
        return;
    }
    default:
        return run([](Acc a, Acc b, int64_t) { return a + b; });
    }
}

template <typename E, typename Acc>
void reduce(Reduction kind, const StridedLoop& loop, int64_t count, const E* x, E* out,
            size_t outSize) {
    std::vector<Acc> acc(outSize, initialValue<Acc>(kind));
    accumulateAll(kind, loop, x, acc);
    for (size_t i = 0; i < outSize; ++i) {
        Acc value = acc[i];
        if (kind == Reduction::Mean) value = acc[i] / static_cast<Acc>(count);
        if (kind == Reduction::L2Norm) value = static_cast<Acc>(std::sqrt(acc[i]));
        if (kind == Reduction::LogSum) value = static_cast<Acc>(std::log(acc[i]));
        out[i] = static_cast<E>(value); // int32: wraps like int32 arithmetic
    }
}

template <typename T> Kernel prepareReduce(const OpContext<T>& ctx, Reduction kind) {
    int64_t count = 1;
    const StridedLoop loop = planReduction(ctx, count);
    return visitElement<T>(ctx.operandType(0)->dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        using Acc = std::conditional_t<std::is_floating_point_v<E>, E, int64_t>;
        return [kind, loop, count](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            reduce<E, Acc>(kind, loop, count, in[0]->in<E>(), results[0].out<E>(),
                           results[0].size());
        };
    });
}

template <Reduction kind> struct ReduceOp {
    template <typename T> static Kernel prepare(const OpContext<T>& ctx) {
        return prepareReduce(ctx, kind);
    }
};

// exp(x - max) / sum along the axis; the tensor is walked as [outer, length, inner] with the
// inner elements side by side so that every loop is contiguous.
template <typename T> void softmax(int64_t outer, int64_t length, int64_t inner, const T* x, T* y) {
    std::vector<T> maxima(static_cast<size_t>(inner)), sums(static_cast<size_t>(inner));
    for (int64_t o = 0; o < outer; ++o) {
        const T* xo = x + o * length * inner;
        T* yo = y + o * length * inner;
        std::fill(maxima.begin(), maxima.end(), -std::numeric_limits<T>::infinity());
        std::fill(sums.begin(), sums.end(), T(0));
        for (int64_t l = 0; l < length; ++l)
            for (int64_t j = 0; j < inner; ++j)
                maxima[j] = nanMax(maxima[j], xo[l * inner + j]);
        for (int64_t l = 0; l < length; ++l)
            for (int64_t j = 0; j < inner; ++j) {
                T e = std::exp(xo[l * inner + j] - maxima[j]);
                yo[l * inner + j] = e;
                sums[j] += e;
            }
        for (int64_t l = 0; l < length; ++l)
            for (int64_t j = 0; j < inner; ++j)
                yo[l * inner + j] /= sums[j];
    }
}

template <typename T> Kernel prepareSoftmax(const OpContext<T>& ctx) {
    const ir::TensorType& x = *ctx.operandType(0);
    const AxisWalk walk = axisWalk(x.shape, *ir::normalizeAxis(ctx.intAttr("axis"), x.rank()));
    return [walk](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        softmax(walk.outer, walk.length, walk.inner, in[0]->in<T>(), results[0].out<T>());
    };
}
// The index of the first maximum (minimum) along the axis; NaN counts as the maximum (and the
// minimum), like numpy's argmax/argmin.
template <typename T> Kernel prepareArgReduce(const OpContext<T>& ctx, bool findMax) {
    const ir::TensorType& x = *ctx.operandType(0);
    const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), x.rank());
    AxisWalk walk = axisWalk(x.shape, axis);
    return visitElement<T>(x.dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [walk, findMax](const Operands& in, Results& results) {
            results[0] = allocate<int32_t>(results[0].type);
            const E* x = in[0]->in<E>();
            int32_t* out = results[0].out<int32_t>();
            for (int64_t o = 0; o < walk.outer; ++o)
                for (int64_t j = 0; j < walk.inner; ++j) {
                    const E* line = x + o * walk.length * walk.inner + j;
                    int64_t best = 0;
                    for (int64_t l = 1; l < walk.length; ++l) {
                        const E current = line[best * walk.inner], value = line[l * walk.inner];
                        if (current != current) break; // the first NaN wins
                        if (value != value || (findMax ? value > current : value < current))
                            best = l;
                    }
                    out[o * walk.inner + j] = static_cast<int32_t>(best);
                }
        };
    });
}
} // namespace

template <typename T> void addReductionEvaluators(EvaluatorTable<T>& table) {
    table["reduce_sum"] = {ReduceOp<Reduction::Sum>::prepare<T>};
    table["reduce_mean"] = {ReduceOp<Reduction::Mean>::prepare<T>};
    table["reduce_max"] = {ReduceOp<Reduction::Max>::prepare<T>};
    table["reduce_min"] = {ReduceOp<Reduction::Min>::prepare<T>};
    table["reduce_prod"] = {ReduceOp<Reduction::Prod>::prepare<T>};
    table["reduce_l1_norm"] = {ReduceOp<Reduction::L1Norm>::prepare<T>};
    table["reduce_sum_square"] = {ReduceOp<Reduction::SumSquare>::prepare<T>};
    table["reduce_l2_norm"] = {ReduceOp<Reduction::L2Norm>::prepare<T>};
    table["reduce_log_sum"] = {ReduceOp<Reduction::LogSum>::prepare<T>};
    table["reduce_log_sum_exp"] = {ReduceOp<Reduction::LogSumExp>::prepare<T>};
    table["reduce_argmax"] = {[](const OpContext<T>& ctx) { return prepareArgReduce(ctx, true); }};
    table["reduce_argmin"] = {[](const OpContext<T>& ctx) { return prepareArgReduce(ctx, false); }};
    table["softmax"] = {prepareSoftmax<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addReductionEvaluators);

} // namespace anec::runtime::reference
