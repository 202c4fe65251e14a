// Activations beyond the plain unary math: MIL's relu6, softplus, softsign, and the ones with
// alpha/beta parameters (leaky_relu, elu, sigmoid_hard). All take fp16/fp32 and keep x's type.
#include "ir/ops/op_helpers.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
using ops::compareWith;
using ops::scalarLike;

// lo < v < hi: where a clamp passes its input through (0 at the bounds, like clip and relu).
Value* strictlyBetween(VjpContext& c, Value* v, double lo, double hi) {
    return c.create("logical_and",
                    {compareWith(c, "greater", v, lo), compareWith(c, "less", v, hi)});
}

Value* relu6Mask(VjpContext& c, Value* x, Value*) {
    return strictlyBetween(c, x, 0, 6);
}

// softplus' = sigmoid.
Value* softplusDerivative(VjpContext& c, Value* x, Value*) {
    return c.create("sigmoid", {x});
}

// y = x / (1 + |x|): f' = 1 / (1 + |x|)^2 = (1 - |y|)^2.
Value* softsignDerivative(VjpContext& c, Value*, Value* y) {
    return c.square(c.sub(scalarLike(c, 1, y), c.create("abs", {y})));
}

// 1 where x >= 0 (the forward's branch, so 1 at 0), else alpha.
Value* leakyReluDerivative(VjpContext& c, Value* x, Value*) {
    return c.create("select", {compareWith(c, "greater_equal", x, 0), scalarLike(c, 1, x),
                               scalarLike(c, c.floatAttr("alpha"), x)});
}

// y = alpha * (exp(x) - 1) for x <= 0: f' = alpha * exp(x) = y + alpha there, 1 for x > 0.
Value* eluDerivative(VjpContext& c, Value* x, Value* y) {
    Value* negativeSlope = c.add(y, scalarLike(c, c.floatAttr("alpha"), y));
    return c.create("select",
                    {compareWith(c, "greater", x, 0), scalarLike(c, 1, x), negativeSlope});
}

// y = clamp(alpha * x + beta, 0, 1): f' = alpha where 0 < y < 1 (y equals the unclamped value
// exactly there, so the mask needs no recomputation), else 0.
Value* sigmoidHardDerivative(VjpContext& c, Value*, Value* y) {
    return c.where(strictlyBetween(c, y, 0, 1), scalarLike(c, c.floatAttr("alpha"), y));
}
} // namespace

void registerActivationOps(OpRegistry& registry) {
    using ops::addFloatUnary;
    using ops::unaryVjp;
    const AttrSpec alpha{"alpha", AttrKind::Float, std::nullopt};
    const AttrSpec beta{"beta", AttrKind::Float, std::nullopt};
    addFloatUnary(registry, "relu6", {}, "min(max(x, 0), 6)", ops::maskedUnaryVjp(relu6Mask));
    addFloatUnary(registry, "softplus", {}, "log(1 + exp(x))", unaryVjp(softplusDerivative));
    addFloatUnary(registry, "softsign", {}, "x / (1 + |x|)", unaryVjp(softsignDerivative));
    addFloatUnary(registry, "leaky_relu", {alpha}, "x if x >= 0, else alpha * x",
                  unaryVjp(leakyReluDerivative));
    addFloatUnary(registry, "elu", {alpha}, "x if x > 0, else alpha * (exp(x) - 1)",
                  unaryVjp(eluDerivative));
    addFloatUnary(registry, "sigmoid_hard", {alpha, beta}, "min(max(alpha * x + beta, 0), 1)",
                  unaryVjp(sigmoidHardDerivative));
}

} // namespace anec::ir
