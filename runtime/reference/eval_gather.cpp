// gather (with batch_dims), gather_along_axis and scatter_along_axis. Indices come from the
// program's data, so each one is checked when the kernel runs: an index outside [0, size) is an
// error naming the op.
#include <cstring>

#include "runtime/reference/element_math.hpp"
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
int64_t product(const ir::Shape& shape, size_t begin, size_t end) {
    int64_t n = 1;
    for (size_t d = begin; d < end; ++d)
        n *= shape[d];
    return n;
}

// The index as an offset along the gathered axis; throws for an index outside [0, size).
int64_t checkedIndex(const ir::Op& op, int32_t index, int64_t size) {
    if (index < 0 || index >= size)
        opError(op, "index " + std::to_string(index) + " is out of range for an axis of size " +
                        std::to_string(size) + " (valid: 0 to " + std::to_string(size - 1) + ")");
    return index;
}

// x = [batch, pre, size, inner] and indices = [batch, count] (dims grouped): the result is
// [batch, pre, count, inner], each inner block copied from x at its index.
template <typename T> Kernel prepareGather(const OpContext<T>& ctx) {
    const ir::Shape& x = ctx.operandType(0)->shape;
    const ir::Shape& indices = ctx.operandType(1)->shape;
    const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), x.size());
    const size_t batchDims = static_cast<size_t>(ctx.intAttr("batch_dims"));
    struct Plan {
        int64_t batch, pre, size, inner, count;
    };
    const Plan plan{product(x, 0, batchDims), product(x, batchDims, axis), x[axis],
                    product(x, axis + 1, x.size()), product(indices, batchDims, indices.size())};
    const ir::Op* op = &ctx.op();
    return visitElement<T>(ctx.resultType().dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [plan, op](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            const E* xs = in[0]->in<E>();
            const int32_t* idx = in[1]->in<int32_t>();
            E* y = results[0].out<E>();
            const size_t block = static_cast<size_t>(plan.inner) * sizeof(E);
            for (int64_t b = 0; b < plan.batch; ++b)
                for (int64_t p = 0; p < plan.pre; ++p)
                    for (int64_t i = 0; i < plan.count; ++i) {
                        const int64_t at = checkedIndex(*op, idx[b * plan.count + i], plan.size);
                        std::memcpy(y, xs + ((b * plan.pre + p) * plan.size + at) * plan.inner,
                                    block);
                        y += plan.inner;
                    }
        };
    });
}

// result[o, l, j] = x[o, indices[o, l, j], j] around the axis.
template <typename T> Kernel prepareGatherAlongAxis(const OpContext<T>& ctx) {
    const ir::Shape& x = ctx.operandType(0)->shape;
    const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), x.size());
    const AxisWalk in = axisWalk(x, axis);
    const AxisWalk out = axisWalk(ctx.operandType(1)->shape, axis);
    const ir::Op* op = &ctx.op();
    return visitElement<T>(ctx.resultType().dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [in, out, op](const Operands& operands, Results& results) {
            results[0] = allocate<E>(results[0].type);
            const E* xs = operands[0]->in<E>();
            const int32_t* idx = operands[1]->in<int32_t>();
            E* y = results[0].out<E>();
            for (int64_t o = 0; o < out.outer; ++o)
                for (int64_t l = 0; l < out.length; ++l)
                    for (int64_t j = 0; j < out.inner; ++j) {
                        const int64_t at = (o * out.length + l) * out.inner + j;
                        const int64_t from = checkedIndex(*op, idx[at], in.length);
                        y[at] = xs[(o * in.length + from) * in.inner + j];
                    }
        };
    });
}
// How scatter_along_axis combines the current value `a` with the update `u`.
template <typename E> E combine(const std::string& mode, const ir::Op& op, E a, E u) {
    if (mode == "update") return u;
    if (mode == "add") return static_cast<E>(a + u);
    if (mode == "sub") return static_cast<E>(a - u);
    if (mode == "mul") return static_cast<E>(a * u);
    if (mode == "max") return nanMax(a, u);
    if (mode == "min") return nanMin(a, u);
    if constexpr (std::is_integral_v<E>) { // div like real_div: true division, truncated
        if (u == 0) opError(op, "integer division by zero");
        return saturateToInt32(static_cast<double>(a) / static_cast<double>(u));
    } else {
        return a / u;
    }
}

// A copy of data, then each update in order: out[o, indices[o, l, j], j] op= updates[o, l, j].
template <typename T> Kernel prepareScatterAlongAxis(const OpContext<T>& ctx) {
    const ir::Shape& data = ctx.operandType(0)->shape;
    const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), data.size());
    const AxisWalk to = axisWalk(data, axis);
    const AxisWalk from = axisWalk(ctx.operandType(1)->shape, axis);
    const std::string mode = ctx.stringAttr("mode");
    const ir::Op* op = &ctx.op();
    return visitElement<T>(ctx.resultType().dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [to, from, mode, op](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            E* y = results[0].out<E>();
            std::memcpy(y, in[0]->in<E>(), results[0].size() * sizeof(E));
            const int32_t* idx = in[1]->in<int32_t>();
            const E* updates = in[2]->in<E>();
            for (int64_t o = 0; o < from.outer; ++o)
                for (int64_t l = 0; l < from.length; ++l)
                    for (int64_t j = 0; j < from.inner; ++j) {
                        const int64_t at = (o * from.length + l) * from.inner + j;
                        const int64_t target = checkedIndex(*op, idx[at], to.length);
                        E& value = y[(o * to.length + target) * to.inner + j];
                        value = combine(mode, *op, value, updates[at]);
                    }
        };
    });
}
} // namespace

template <typename T> void addGatherEvaluators(EvaluatorTable<T>& table) {
    table["gather"] = {prepareGather<T>, true};
    table["gather_along_axis"] = {prepareGatherAlongAxis<T>, true};
    table["scatter_along_axis"] = {prepareScatterAlongAxis<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addGatherEvaluators);

} // namespace anec::runtime::reference
