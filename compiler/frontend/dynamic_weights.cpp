// Dynamic weights: kernel inputs that stand for weights (see dynamic_weights.hpp).
#include "frontend/dynamic_weights.hpp"

#include "ir/value_sources.hpp"

#include <unordered_set>

namespace anec::frontend {

namespace {

// W.T of a rank-2 W: the transpose op's input.
ir::Value* transposedMatrix(ir::Value* value) {
    if (!value->definingOp || value->definingOp->kind() != "transpose" || value->type.rank() != 2)
        return nullptr;
    const auto* perm = value->definingOp->attr<std::vector<int64_t>>("perm");
    if (!perm || *perm != std::vector<int64_t>{1, 0}) return nullptr;
    return value->definingOp->operands.at(0);
}
} // namespace

bool isDynamicWeight(const Globals& globals, const std::string& name) {
    auto it = globals.weights.find(name);
    return it != globals.weights.end() && it->second.decl &&
           (it->second.decl->dynamic || globals.trainedWeights.count(name));
}

bool reportInputNamedLikeDynamicWeight(const Globals& globals, Reporter& reporter,
                                       const std::string& name, SourceLoc loc) {
    if (reporter.error(loc, "kernel input '" + name + "' has the name of dynamic weight '" + name +
                                "', which every kernel using it takes as an input of that "
                                "name; rename one of them"))
        reporter.note(globals.weights.at(name).decl->loc,
                      "dynamic weight '" + name + "' is declared here");
    return false;
}

ir::Value* addDynamicWeightInput(ir::Kernel& kernel, const std::string& name,
                                 std::shared_ptr<const ir::ConstData> initial) {
    ir::Value* input = kernel.addInput(name, initial->type());
    kernel.dynamicWeights.push_back(ir::DynamicWeight{name, std::move(initial)});
    return input;
}

const ir::DynamicWeight* dynamicWeightIn(const ir::Value* value, const ir::Kernel& kernel) {
    const ir::DynamicWeight* found = nullptr;
    ir::forEachSource(value, [&](const ir::Value* v) {
        if (v->isKernelInput()) found = kernel.findDynamicWeight(v->name);
        return found == nullptr;
    });
    return found;
}

bool isRuntimeWeight(const ir::Value* value, const ir::Kernel& kernel) {
    bool onlyWeights = true;
    ir::forEachSource(value, [&](const ir::Value* v) {
        if (v->isKernelInput() && !kernel.findDynamicWeight(v->name)) onlyWeights = false;
        return onlyWeights;
    });
    return onlyWeights;
}

std::string constantWeightNeeded(const std::string& builtin, const std::string& weight) {
    return builtin + " needs a constant weight, but '" + weight +
           "' is a dynamic weight (given at run time; the ANE's conv only takes weights fixed "
           "at build time): use linear(x, " +
           weight + ") or matmul instead";
}

Operand lowerLinearAsMatmul(BodyLowerer& lowerer, ir::Value* x, ir::Value* w, ir::Value* bias,
                            SourceLoc loc) {
    const ir::Shape& xs = x->type.shape; // [N, Cin, H, W], checked by linear
    ir::Value* matrix = transposedMatrix(w);
    bool transposeW = matrix != nullptr;
    if (!matrix) matrix = w;
    int64_t cout = w->type.shape[0];
    Operand x3 = lowerer.createOp(
        "reshape", {x}, {{"shape", std::vector<int64_t>{xs[0], xs[1], xs[2] * xs[3]}}}, loc);
    if (!x3.isTensor()) return x3;
    Operand y3 = lowerer.createOp("matmul", {matrix, x3.value},
                                  {{"transpose_x", transposeW}, {"transpose_y", false}}, loc);
    if (!y3.isTensor()) return y3;
    Operand y = lowerer.createOp("reshape", {y3.value},
                                 {{"shape", std::vector<int64_t>{xs[0], cout, xs[2], xs[3]}}}, loc);
    if (!y.isTensor() || !bias) return y;
    Operand b4 =
        lowerer.createOp("reshape", {bias}, {{"shape", std::vector<int64_t>{1, cout, 1, 1}}}, loc);
    if (!b4.isTensor()) return b4;
    return lowerer.createOp("add", {y.value, b4.value}, {}, loc);
}

void mergeDynamicWeights(ir::Kernel& fused, const std::vector<const ir::Kernel*>& parts) {
    for (const ir::Kernel* part : parts)
        for (const ir::DynamicWeight& weight : part->dynamicWeights)
            if (!fused.findDynamicWeight(weight.name)) fused.dynamicWeights.push_back(weight);
}

} // namespace anec::frontend
