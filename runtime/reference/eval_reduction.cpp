// reduce_sum / reduce_mean / reduce_max / reduce_min over axes, and softmax along one axis.
// Sums accumulate in T (fp32 in the fp16-faithful model) or exactly in int64 for int32.
#include <cmath>
#include <limits>
#include <vector>

#include "runtime/reference/element_math.hpp"
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
enum class Reduction { Sum, Mean, Max, Min };

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

template <typename Acc, typename E, typename F>
void accumulate(const StridedLoop& loop, const E* x, Acc* acc, F combine) {
    const int64_t n = loop.inner, stride = loop.innerStride(0);
    forEachRow(loop, [&](int64_t xOffset, const int64_t* off) {
        const E* row = x + xOffset;
        Acc* target = acc + off[0];
        if (stride == 0) {
            Acc value = *target;
            for (int64_t i = 0; i < n; ++i)
                value = combine(value, static_cast<Acc>(row[i]));
            *target = value;
        } else {
            for (int64_t i = 0; i < n; ++i)
                target[i] = combine(target[i], static_cast<Acc>(row[i]));
        }
    });
}

template <typename E, typename Acc>
void reduce(Reduction kind, const StridedLoop& loop, int64_t count, const E* x, E* out,
            size_t outSize) {
    Acc initial = 0;
    if (kind == Reduction::Max) initial = std::numeric_limits<Acc>::lowest();
    if (kind == Reduction::Min) initial = std::numeric_limits<Acc>::max();
    if constexpr (std::is_floating_point_v<Acc>) {
        if (kind == Reduction::Max) initial = -std::numeric_limits<Acc>::infinity();
        if (kind == Reduction::Min) initial = std::numeric_limits<Acc>::infinity();
    }
    std::vector<Acc> acc(outSize, initial);
    if (kind == Reduction::Max)
        accumulate(loop, x, acc.data(), [](Acc a, Acc b) { return nanMax(a, b); });
    else if (kind == Reduction::Min)
        accumulate(loop, x, acc.data(), [](Acc a, Acc b) { return nanMin(a, b); });
    else
        accumulate(loop, x, acc.data(), [](Acc a, Acc b) { return a + b; });
    for (size_t i = 0; i < outSize; ++i) {
        Acc value = kind == Reduction::Mean ? acc[i] / static_cast<Acc>(count) : acc[i];
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
    const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), x.rank());
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < x.rank(); ++d) {
        if (d < axis) outer *= x.shape[d];
        if (d > axis) inner *= x.shape[d];
    }
    const int64_t length = x.shape[axis];
    return [outer, length, inner](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        softmax(outer, length, inner, in[0]->in<T>(), results[0].out<T>());
    };
}
} // namespace

template <typename T> void addReductionEvaluators(EvaluatorTable<T>& table) {
    table["reduce_sum"] = {ReduceOp<Reduction::Sum>::prepare<T>};
    table["reduce_mean"] = {ReduceOp<Reduction::Mean>::prepare<T>};
    table["reduce_max"] = {ReduceOp<Reduction::Max>::prepare<T>};
    table["reduce_min"] = {ReduceOp<Reduction::Min>::prepare<T>};
    table["softmax"] = {prepareSoftmax<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addReductionEvaluators);

} // namespace anec::runtime::reference
