// quantize and dequantize (iOS17): per tensor, or per channel along `axis`. Quantized values are
// held widened in int32_t (see buffer.hpp).
#include <algorithm>
#include <cmath>

#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
// The scale and zero point per channel (one entry when per tensor) and how the data is walked:
// element (o, c, j) of the [outer, channels, inner] view uses entry c.
template <typename T> struct Affine {
    std::vector<T> scale;
    std::vector<T> zeroPoint;
    AxisWalk walk;

    size_t channel(size_t flat) const {
        return scale.size() == 1
                   ? 0
                   : static_cast<size_t>(static_cast<int64_t>(flat) / walk.inner % walk.length);
    }
};

template <typename T> std::vector<T> constantValues(const ir::Op& op, size_t operand) {
    std::vector<T> values;
    for (double v : op.operands[operand]->definingOp->constData->toDoubles())
        values.push_back(static_cast<T>(v));
    return values;
}

// Scale and zero point are constants (inference checks it).
template <typename T> Affine<T> affineOf(const OpContext<T>& ctx) {
    Affine<T> affine;
    affine.scale = constantValues<T>(ctx.op(), 1);
    affine.zeroPoint = ctx.operandType(2) ? constantValues<T>(ctx.op(), 2)
                                          : std::vector<T>(affine.scale.size(), T(0));
    const ir::TensorType& input = *ctx.operandType(0);
    if (ctx.hasAttr("axis"))
        affine.walk = axisWalk(input.shape, *ir::normalizeAxis(ctx.intAttr("axis"), input.rank()));
    return affine;
}

// clip(round(x / scale) + zero_point), rounding halves to even.
template <typename T> Kernel prepareQuantize(const OpContext<T>& ctx) {
    const Affine<T> affine = affineOf(ctx);
    const bool isSigned = ctx.resultType().dtype == ir::DType::Int8;
    const T low = isSigned ? T(-128) : T(0), high = isSigned ? T(127) : T(255);
    return [affine, low, high](const Operands& in, Results& results) {
        results[0] = allocate<int32_t>(results[0].type);
        const T* x = in[0]->in<T>();
        int32_t* q = results[0].out<int32_t>();
        for (size_t i = 0; i < results[0].size(); ++i) {
            const size_t c = affine.channel(i);
            const T value = std::nearbyint(x[i] / affine.scale[c]) + affine.zeroPoint[c];
            q[i] = value != value ? 0 : static_cast<int32_t>(std::clamp(value, low, high));
        }
    };
}

// scale * (x - zero_point)
template <typename T> Kernel prepareDequantize(const OpContext<T>& ctx) {
    const Affine<T> affine = affineOf(ctx);
    return [affine](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        const int32_t* q = in[0]->in<int32_t>();
        T* y = results[0].out<T>();
        for (size_t i = 0; i < results[0].size(); ++i) {
            const size_t c = affine.channel(i);
            y[i] = affine.scale[c] * (static_cast<T>(q[i]) - affine.zeroPoint[c]);
        }
    };
}
} // namespace

template <typename T> void addQuantizationEvaluators(EvaluatorTable<T>& table) {
    table["quantize"] = {prepareQuantize<T>};
    table["dequantize"] = {prepareDequantize<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addQuantizationEvaluators);

} // namespace anec::runtime::reference
