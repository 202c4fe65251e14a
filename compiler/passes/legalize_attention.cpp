// Rule 9: the ANE's conv has no usable bias, so conv(x, W, bias) becomes
//   conv(x, W) + reshape(bias, [1, Cout, 1, 1])
// (fold-constants folds the reshape of a constant bias).
// Rule 10: the ANE ignores scaled_dot_product_attention's mask, so the op is decomposed exactly as
// MIL defines it (ir/ops/attention_ops.cpp):
//   scores = matmul(query, key, transpose_y = true) * (1 / sqrt(E))
//   scores = scores + mask                         (float mask: additive)
//   scores = select(mask, scores, lowest finite)   (bool mask: true keeps a position)
//   result = matmul(softmax(scores, axis = -1), value)
// A masked position gets the lowest finite value (-65504 in fp16) rather than -inf, which the
// ANE need not handle: exp() of it is 0 all the same. Only a row masked entirely differs (a
// uniform average instead of NaN).
#include <cmath>
#include <limits>

#include "passes/legalize.hpp"

namespace anec::passes::legalize {

namespace {

ir::Value* withoutBias(ir::Builder& b, const ir::Op& op) {
    ir::Value* conv = emit(b, "conv", {op.operands[0], op.operands[1]}, op.attrs, op.loc);
    int64_t channels = op.operands[1]->type.shape[0];
    ir::Value* bias = emit(b, "reshape", {op.operands[2]},
                           {{"shape", std::vector<int64_t>{1, channels, 1, 1}}}, op.loc);
    return emit(b, "add", {conv, bias}, {}, op.loc);
}

double lowestFinite(ir::DType dtype) {
    return dtype == ir::DType::Fp16 ? -65504.0 : -std::numeric_limits<float>::max();
}

ir::Value* decomposeSdpa(ir::Builder& b, const ir::Op& op) {
    ir::Value* query = op.operands[0];
    ir::Value* key = op.operands[1];
    ir::Value* value = op.operands[2];
    ir::Value* mask = op.operands.size() > 3 ? op.operands[3] : nullptr;
    const ir::DType dt = query->type.dtype;
    const SourceLoc loc = op.loc;
    const std::string base = op.result()->name.empty() ? "attention" : op.result()->name;
    const double scale = 1.0 / std::sqrt(static_cast<double>(query->type.shape.back()));

    ir::Value* scores =
        emit(b, "matmul", {query, key}, {{"transpose_y", true}}, loc, base + "_scores");
    scores = emit(b, "mul", {scores, scalarConst(b, dt, scale, loc)}, {}, loc, base + "_scaled");
    if (mask && mask->type.dtype == ir::DType::Bool)
        scores = emit(b, "select", {mask, scores, scalarConst(b, dt, lowestFinite(dt), loc)}, {},
                      loc, base + "_masked");
    else if (mask)
        scores = emit(b, "add", {scores, mask}, {}, loc, base + "_masked");
    ir::Value* probs = emit(b, "softmax", {scores}, {{"axis", int64_t{-1}}}, loc, base + "_probs");
    return emit(b, "matmul", {probs, value}, {}, loc);
}
} // namespace

bool hasConvBias(const ir::Op& op) {
    return op.kind() == "conv" && op.operands.size() >= 3 && op.operands[2];
}

size_t splitConvBias(ir::Kernel& kernel) {
    return rewriteOps(kernel, hasConvBias, withoutBias);
}

bool isAttention(const ir::Op& op) {
    return op.kind() == "scaled_dot_product_attention";
}

size_t decomposeAttention(ir::Kernel& kernel) {
    return rewriteOps(kernel, isAttention, decomposeSdpa);
}

} // namespace anec::passes::legalize
