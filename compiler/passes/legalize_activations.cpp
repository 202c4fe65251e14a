// Rule 8: the ANE compiler accepts neither gelu nor silu. Both become tanh/sigmoid arithmetic:
//   gelu (TANH_APPROXIMATION and EXACT) -> 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
//   gelu SIGMOID_APPROXIMATION          -> x * sigmoid(1.702 x)
//   silu                                -> x * sigmoid(x)
// EXACT uses the tanh form too: it differs from the erf form by less than 1e-3 everywhere
// (4.7e-4 at most; tests/unit/passes/legalize_tests.cpp), about one fp16 rounding of outputs near
// 1, so it is not warned about.
#include <cmath>

#include "passes/legalize.hpp"

namespace anec::passes::legalize {

namespace {

std::string hint(const ir::Op& op, const std::string& suffix) {
    const std::string& base = op.result()->name;
    return base.empty() ? std::string() : base + "_" + suffix;
}

ir::Value* geluTanh(ir::Builder& b, const ir::Op& op) {
    ir::Value* x = op.operands[0];
    ir::DType dt = x->type.dtype;
    SourceLoc loc = op.loc;
    const double sqrt2OverPi = std::sqrt(2.0 / M_PI);
    ir::Value* x2 = emit(b, "mul", {x, x}, {}, loc, hint(op, "x2"));
    ir::Value* x3 = emit(b, "mul", {x2, x}, {}, loc, hint(op, "x3"));
    ir::Value* cubic = emit(b, "mul", {x3, scalarConst(b, dt, 0.044715, loc)}, {}, loc);
    ir::Value* inner = emit(b, "add", {x, cubic}, {}, loc, hint(op, "inner"));
    ir::Value* scaled = emit(b, "mul", {inner, scalarConst(b, dt, sqrt2OverPi, loc)}, {}, loc);
    ir::Value* t = emit(b, "tanh", {scaled}, {}, loc, hint(op, "tanh"));
    ir::Value* onePlus = emit(b, "add", {t, scalarConst(b, dt, 1.0, loc)}, {}, loc);
    ir::Value* half = emit(b, "mul", {x, scalarConst(b, dt, 0.5, loc)}, {}, loc, hint(op, "half"));
    return emit(b, "mul", {half, onePlus}, {}, loc);
}

// x * sigmoid(scale * x); scale 1 is silu.
ir::Value* sigmoidGate(ir::Builder& b, const ir::Op& op, double scale) {
    ir::Value* x = op.operands[0];
    ir::Value* arg = x;
    if (scale != 1.0)
        arg = emit(b, "mul", {x, scalarConst(b, x->type.dtype, scale, op.loc)}, {}, op.loc);
    ir::Value* gate = emit(b, "sigmoid", {arg}, {}, op.loc, hint(op, "gate"));
    return emit(b, "mul", {x, gate}, {}, op.loc);
}

ir::Value* decompose(ir::Builder& b, const ir::Op& op) {
    if (op.kind() == "silu") return sigmoidGate(b, op, 1.0);
    const std::string* mode = op.attr<std::string>("mode");
    if (mode && *mode == "SIGMOID_APPROXIMATION") return sigmoidGate(b, op, 1.702);
    return geluTanh(b, op);
}
} // namespace

bool isRejectedActivation(const ir::Op& op) {
    return op.kind() == "gelu" || op.kind() == "silu";
}

size_t decomposeActivations(ir::Kernel& kernel) {
    return rewriteOps(kernel, isRejectedActivation, decompose);
}

} // namespace anec::passes::legalize
