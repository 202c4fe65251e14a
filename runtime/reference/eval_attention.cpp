// scaled_dot_product_attention (MIL iOS18), computed as the decomposition ane-legalize emits:
//   scores = query @ key^T           (matmul, transpose_y)
//   scores = scores * (1 / sqrt(E))  (mul by a constant of the operands' dtype)
//   scores = scores + mask           (float mask: add; bool mask: false gives -inf, as
//                                     coremltools defines it: true = the position takes part)
//   probs  = softmax(scores, axis = -1)
//   result = probs @ value           (matmul)
// In the fp16-faithful model each of these conceptual ops rounds its fp16 result (the last one
// when the step ends, like every op), and the 1/sqrt(E) constant is rounded to fp16, so the op
// gives the same numbers before and after legalization. The batch dims of query, key and value
// are equal (the registry checks it); the mask broadcasts to the scores.
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "runtime/core/fp16_convert.hpp"
#include "runtime/reference/element_math.hpp"
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/gemm.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
struct AttentionPlan {
    int64_t batch = 1, l = 1, s = 1, e = 1, ev = 1;
    bool roundsHalf = false; // fp16 operands in the fp16-faithful model
    bool hasMask = false, boolMask = false;
    StridedLoop maskLoop; // the mask broadcast over the scores [batch.., L, S]
};

// Rounds fp16 intermediates to fp16 (fp16-faithful model only).
template <typename T> void roundStep(const AttentionPlan& plan, std::vector<T>& values) {
    if constexpr (OpContext<T>::kFaithful) {
        if (plan.roundsHalf) runtime::roundToHalf(values.data(), values.size());
    }
}

template <typename T> AttentionPlan planAttention(const OpContext<T>& ctx) {
    const ir::TensorType& query = *ctx.operandType(0);
    const ir::Shape& q = query.shape;
    const ir::Shape& v = ctx.operandType(2)->shape;
    const size_t rank = q.size();
    AttentionPlan plan;
    for (size_t d = 0; d + 2 < rank; ++d)
        plan.batch *= q[d];
    plan.l = q[rank - 2];
    plan.e = q[rank - 1];
    plan.s = v[rank - 2];
    plan.ev = v[rank - 1];
    plan.roundsHalf = OpContext<T>::kFaithful && query.dtype == ir::DType::Fp16;
    for (int64_t dim : {plan.l, plan.s, plan.e, plan.ev})
        if (!fitsBlas(dim)) ctx.error("is too large for BLAS");
    if (const ir::TensorType* mask = ctx.operandType(3)) {
        ir::Shape scores = q;
        scores.back() = plan.s;
        plan.hasMask = true;
        plan.boolMask = mask->dtype == ir::DType::Bool;
        plan.maskLoop = planBroadcast(scores, {mask->shape});
    }
    return plan;
}

// The scale constant as the program holds it: 1/sqrt(E) in the operands' dtype.
template <typename T> T attentionScale(const AttentionPlan& plan) {
    T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(plan.e)));
    if constexpr (OpContext<T>::kFaithful) {
        if (plan.roundsHalf) runtime::roundToHalf(&scale, 1);
    }
    return scale;
}

template <typename T, typename M>
void applyMask(const AttentionPlan& plan, const M* mask, std::vector<T>& scores) {
    const StridedLoop& loop = plan.maskLoop;
    const int64_t stride = loop.innerStride(0);
    forEachRow(loop, [&](int64_t out, const int64_t* offsets) {
        for (int64_t i = 0; i < loop.inner; ++i) {
            const M m = mask[offsets[0] + i * stride];
            T& score = scores[static_cast<size_t>(out + i)];
            if constexpr (std::is_same_v<M, uint8_t>) {
                if (!m) score = -std::numeric_limits<T>::infinity();
            } else {
                score += m;
            }
        }
    });
}

// exp(x - max) / sum over each row of S scores.
template <typename T> void softmaxRows(int64_t rows, int64_t length, std::vector<T>& x) {
    for (int64_t r = 0; r < rows; ++r) {
        T* row = x.data() + r * length;
        T maximum = -std::numeric_limits<T>::infinity();
        for (int64_t i = 0; i < length; ++i)
            maximum = nanMax(maximum, row[i]);
        T sum = 0;
        for (int64_t i = 0; i < length; ++i) {
            row[i] = std::exp(row[i] - maximum);
            sum += row[i];
        }
        for (int64_t i = 0; i < length; ++i)
            row[i] /= sum;
    }
}

template <typename T>
void runAttention(const AttentionPlan& p, const Operands& in, std::vector<T>& scores, T* out) {
    const T* q = in[0]->in<T>();
    const T* k = in[1]->in<T>();
    const T* v = in[2]->in<T>();
    for (int64_t b = 0; b < p.batch; ++b)
        gemm(false, true, p.l, p.s, p.e, q + b * p.l * p.e, p.e, k + b * p.s * p.e, p.e,
             scores.data() + b * p.l * p.s, p.s);
    roundStep(p, scores);
    const T scale = attentionScale<T>(p);
    for (T& score : scores)
        score *= scale;
    roundStep(p, scores);
    if (p.hasMask) {
        if (p.boolMask)
            applyMask(p, in[3]->in<uint8_t>(), scores);
        else
            applyMask(p, in[3]->in<T>(), scores);
        roundStep(p, scores);
    }
    softmaxRows(p.batch * p.l, p.s, scores);
    roundStep(p, scores);
    for (int64_t b = 0; b < p.batch; ++b)
        gemm(false, false, p.l, p.ev, p.s, scores.data() + b * p.l * p.s, p.s, v + b * p.s * p.ev,
             p.ev, out + b * p.l * p.ev, p.ev);
}

template <typename T> Kernel prepareAttention(const OpContext<T>& ctx) {
    const AttentionPlan plan = planAttention(ctx);
    return [plan](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        std::vector<T> scores(static_cast<size_t>(plan.batch * plan.l * plan.s));
        runAttention(plan, in, scores, results[0].out<T>());
    };
}
} // namespace

template <typename T> void addAttentionEvaluators(EvaluatorTable<T>& table) {
    table["scaled_dot_product_attention"] = {prepareAttention<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addAttentionEvaluators);

} // namespace anec::runtime::reference
