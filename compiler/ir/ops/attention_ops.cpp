// Attention: MIL's iOS18 scaled_dot_product_attention,
//   softmax(query @ key^T / sqrt(E) + mask, axis = -1) @ value.
// The shape rules follow coremltools' op definition: query [B.., L, E], key [B.., S, E] and
// value [B.., S, Ev] have the same rank (>= 3) and the same batch dims B..; the optional
// attn_mask is bool (true = the position takes part) or the float type of query, and broadcasts
// to the scores [B.., L, S] with its last dim equal to S. The ANE ignores the mask (rule 10), so
// ane-legalize decomposes the op.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/ops/op_helpers.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
using ops::Results;

std::string operandsText(const TensorType& query, const TensorType& key, const TensorType& value) {
    return "query " + query.str() + ", key " + key.str() + " and value " + value.str();
}

// Ranks, element types, batch dims and the E / S dims shared by query, key and value.
Expected<bool> checkQkv(const TensorType& query, const TensorType& key, const TensorType& value) {
    const std::string all = operandsText(query, key, value);
    const std::string op = "scaled_dot_product_attention";
    if (!query.isStatic() || !key.isStatic() || !value.isStatic())
        return fail(op + " needs static shapes, got " + all);
    if (query.dtype != DType::Fp16 && query.dtype != DType::Fp32)
        return fail(op + " needs fp16 or fp32 tensors, got " + all);
    if (key.dtype != query.dtype || value.dtype != query.dtype)
        return fail(op + " needs one element type, got " + all);
    if (query.rank() < 3 || key.rank() != query.rank() || value.rank() != query.rank())
        return fail(op + " needs " + all + " of one rank >= 3 ([batch.., sequence, embedding])");
    const size_t batchRank = query.rank() - 2;
    if (!std::equal(query.shape.begin(), query.shape.begin() + batchRank, key.shape.begin()) ||
        !std::equal(query.shape.begin(), query.shape.begin() + batchRank, value.shape.begin()))
        return fail(op + " needs the same batch dimensions in " + all);
    if (key.shape.back() != query.shape.back())
        return fail(op + ": query " + query.str() + " and key " + key.str() +
                    " have different embedding sizes (" + std::to_string(query.shape.back()) +
                    " and " + std::to_string(key.shape.back()) + ")");
    if (value.shape[batchRank] != key.shape[batchRank])
        return fail(op + ": key " + key.str() + " and value " + value.str() +
                    " have different sequence lengths (" + std::to_string(key.shape[batchRank]) +
                    " and " + std::to_string(value.shape[batchRank]) + ")");
    return true;
}

// The mask broadcasts to the scores [B.., L, S] (it adds no dims) and ends in S.
Expected<bool> checkMask(const TensorType* mask, const TensorType& query, const TensorType& key) {
    if (!mask) return true;
    const std::string op = "scaled_dot_product_attention";
    if (mask->dtype != DType::Bool && mask->dtype != query.dtype)
        return fail(op + " attn_mask " + mask->str() + " must be bool or " +
                    std::string(dtypeName(query.dtype)) + " like query " + query.str());
    Shape scores = query.shape;
    scores.back() = key.shape[key.rank() - 2];
    auto broadcast = broadcastShapes(mask->shape, scores);
    if (mask->isScalar() || mask->shape.back() != scores.back() || !broadcast ||
        *broadcast != scores)
        return fail(op + " attn_mask " + mask->str() + " must broadcast to the scores " +
                    shapeString(scores) + " ([batch.., L, S]) with its last dim equal to S = " +
                    std::to_string(scores.back()));
    return true;
}

Results inferAttention(const InferContext& ctx) {
    const TensorType& query = *ctx.operand(0);
    const TensorType& key = *ctx.operand(1);
    const TensorType& value = *ctx.operand(2);
    if (auto ok = checkQkv(query, key, value); !ok) return fail(ok.error());
    if (auto ok = checkMask(ctx.operand(3), query, key); !ok) return fail(ok.error());
    Shape out = query.shape;
    out.back() = value.shape.back();
    return ops::single({query.dtype, out});
}

// ---- gradient ----

// The attention probabilities softmax(query @ key^T * scale + mask), recomputed as ane-legalize
// decomposes the op (a bool mask's false positions get the lowest finite value, whose exp is 0
// like that of the -inf the reference uses).
Value* attentionProbs(VjpContext& c, Value* scale) {
    Value* mask = c.numOperands() > 3 ? c.operand(3) : nullptr;
    const DType dtype = c.operand(0)->type.dtype;
    Value* scores =
        c.mul(c.create("matmul", {c.operand(0), c.operand(1)}, {{"transpose_y", true}}), scale);
    if (mask && mask->type.dtype == DType::Bool) {
        const double lowest = dtype == DType::Fp16
                                  ? -65504.0
                                  : -static_cast<double>(std::numeric_limits<float>::max());
        scores = c.create("select", {mask, scores, c.scalar(lowest, dtype)});
    } else if (mask) {
        scores = c.add(scores, mask);
    }
    return c.create("softmax", {scores}, {{"axis", int64_t{-1}}});
}

// With P the probabilities and g the cotangent of P @ value:
//   dvalue = P^T @ g, dS = P * (dP - sum(dP * P, -1)) with dP = g @ value^T,
//   dquery = dS @ key * scale, dkey = dS^T @ query * scale, a float mask gets dS (summed to its
//   shape); a bool mask has no gradient.
std::vector<Value*> attentionVjp(VjpContext& c) {
    Value* query = c.operand(0);
    Value* key = c.operand(1);
    Value* value = c.operand(2);
    Value* g = c.cotangentOrZero();
    const double e = static_cast<double>(query->type.shape.back());
    Value* scale = c.scalar(1.0 / std::sqrt(e), query->type.dtype);
    Value* probs = attentionProbs(c, scale);
    std::vector<Value*> grads(c.numOperands(), nullptr);
    if (c.wants(2)) grads[2] = c.create("matmul", {probs, g}, {{"transpose_x", true}});
    const bool wantsMask = c.numOperands() > 3 && c.wants(3);
    if (!c.wants(0) && !c.wants(1) && !wantsMask) return grads;
    Value* dprobs = c.create("matmul", {g, value}, {{"transpose_y", true}});
    Value* dscores = c.mul(probs, c.sub(dprobs, c.sumKeep(c.mul(dprobs, probs), {-1})));
    if (wantsMask) grads[3] = c.sumToShape(dscores, c.operand(3)->type.shape);
    Value* dscaled = c.mul(dscores, scale);
    if (c.wants(0)) grads[0] = c.create("matmul", {dscaled, key});
    if (c.wants(1)) grads[1] = c.create("matmul", {dscaled, query}, {{"transpose_x", true}});
    return grads;
}
} // namespace

void registerAttentionOps(OpRegistry& registry) {
    registry.add({
        .name = "scaled_dot_product_attention",
        .operands = {{"query"}, {"key"}, {"value"}, {"attn_mask", OperandArity::Optional}},
        .attrs = {},
        .infer = inferAttention,
        .summary = "softmax(query @ key^T / sqrt(E) + attn_mask) @ value over the last two dims "
                   "(bool mask: true keeps a position)",
        .sinceIos = 18,
        .vjp = attentionVjp,
    });
}

} // namespace anec::ir
