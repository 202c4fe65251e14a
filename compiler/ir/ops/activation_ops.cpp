// Activations beyond the plain unary math: MIL's relu6, softplus, softsign, and the ones with
// alpha/beta parameters (leaky_relu, elu, sigmoid_hard). All take fp16/fp32 and keep x's type.
#include "ir/ops/op_helpers.hpp"

namespace anec::ir {

void registerActivationOps(OpRegistry& registry) {
    using ops::addFloatUnary;
    const AttrSpec alpha{"alpha", AttrKind::Float, std::nullopt};
    const AttrSpec beta{"beta", AttrKind::Float, std::nullopt};
    addFloatUnary(registry, "relu6", {}, "min(max(x, 0), 6)");
    addFloatUnary(registry, "softplus", {}, "log(1 + exp(x))");
    addFloatUnary(registry, "softsign", {}, "x / (1 + |x|)");
    addFloatUnary(registry, "leaky_relu", {alpha}, "x if x >= 0, else alpha * x");
    addFloatUnary(registry, "elu", {alpha}, "x if x > 0, else alpha * (exp(x) - 1)");
    addFloatUnary(registry, "sigmoid_hard", {alpha, beta}, "min(max(alpha * x + beta, 0), 1)");
}

} // namespace anec::ir
