// Elementwise ops: numpy-broadcasting binary ops, comparisons, logical ops, select and unary math.
#include <cmath>
#include <numbers>

#include "ir/ops/op_helpers.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
Expected<std::vector<TensorType>> inferBroadcast(const std::string& opName, const TensorType& x,
                                                 const TensorType& y, bool boolResult) {
    if (x.dtype != y.dtype)
        return fail("cannot " + opName + " " + x.str() + " and " + y.str() +
                    ": element types differ");
    auto shape = broadcastShapes(x.shape, y.shape);
    if (!shape) return fail("cannot " + opName + " " + x.str() + " and " + y.str());
    return ops::single({boolResult ? DType::Bool : x.dtype, *shape});
}

void addBinary(OpRegistry& registry, const std::string& name, const std::string& verb,
               bool boolResult, const std::string& summary, VjpFn vjp = {}) {
    registry.add({
        .name = name,
        .operands = {{"x"}, {"y"}},
        .attrs = {},
        .infer =
            [verb, boolResult](const InferContext& ctx) {
                return inferBroadcast(verb, *ctx.operand(0), *ctx.operand(1), boolResult);
            },
        .summary = summary,
        .vjp = std::move(vjp),
    });
}

// Binary ops restricted to some element types: logical ops take bool, floor_div and mod take
// MIL's numeric types.
void addTypedBinary(OpRegistry& registry, const std::string& name, bool logical,
                    const std::string& summary, VjpFn vjp = {}, bool zeroGradient = false) {
    registry.add({
        .name = name,
        .operands = {{"x"}, {"y"}},
        .attrs = {},
        .infer = [name, logical](const InferContext& ctx) -> ops::Results {
            const TensorType& x = *ctx.operand(0);
            if (logical && x.dtype != DType::Bool)
                return fail(name + " needs bool tensors, got " + x.str());
            if (!logical) {
                if (auto ok = ops::checkFloatOrInt32(name, x); !ok) return fail(ok.error());
            }
            return inferBroadcast("apply " + name + " to", x, *ctx.operand(1), false);
        },
        .summary = summary,
        .vjp = std::move(vjp),
        .zeroGradient = zeroGradient,
    });
}

// ---- VJPs of the broadcasting ops: g has the broadcast shape; each operand's cotangent is
// summed back to its shape ----

// A full-shape cotangent summed back to operand i's shape.
Value* toOperand(VjpContext& c, size_t i, Value* full) {
    return c.sumToShape(full, c.operand(i)->type.shape);
}

// d(x + y): the cotangent, summed back to each operand's shape.
std::vector<Value*> addVjp(VjpContext& c) {
    Value* g = c.cotangent();
    return {c.wants(0) ? toOperand(c, 0, g) : nullptr, c.wants(1) ? toOperand(c, 1, g) : nullptr};
}

std::vector<Value*> subVjp(VjpContext& c) {
    Value* g = c.cotangent();
    return {c.wants(0) ? toOperand(c, 0, g) : nullptr,
            c.wants(1) ? c.neg(toOperand(c, 1, g)) : nullptr};
}

std::vector<Value*> mulVjp(VjpContext& c) {
    Value* g = c.cotangent();
    return {c.wants(0) ? toOperand(c, 0, c.mul(g, c.operand(1))) : nullptr,
            c.wants(1) ? toOperand(c, 1, c.mul(g, c.operand(0))) : nullptr};
}

// z = x / y: dx = g / y, dy = -g * x / y^2 = -(g / y) * z.
std::vector<Value*> realDivVjp(VjpContext& c) {
    Value* gOverY = c.div(c.cotangent(), c.operand(1));
    return {c.wants(0) ? toOperand(c, 0, gOverY) : nullptr,
            c.wants(1) ? c.neg(toOperand(c, 1, c.mul(gOverY, c.result()))) : nullptr};
}

// z = x ** y: dx = g * y * x ** (y - 1); dy = g * z * log(x), taken only where x > 0 (elsewhere
// log(x) is undefined, and the gradient is 0). log reads 1 there, so that no NaN is made.
std::vector<Value*> powVjp(VjpContext& c) {
    Value* g = c.cotangent();
    Value* x = c.operand(0);
    Value* y = c.operand(1);
    Value* dx = nullptr;
    Value* dy = nullptr;
    if (c.wants(0)) {
        Value* power = c.create("pow", {x, c.sub(y, ops::scalarLike(c, 1, y))});
        dx = toOperand(c, 0, c.mul(g, c.mul(y, power)));
    }
    if (c.wants(1)) {
        Value* positive = ops::compareWith(c, "greater", x, 0);
        Value* safeX = c.create("select", {positive, x, ops::scalarLike(c, 1, x)});
        Value* logX = c.create("log", {safeX}, {{"epsilon", 0.0}});
        dy = toOperand(c, 1, c.mul(c.mul(g, c.result()), logX));
    }
    return {dx, dy};
}

// mask ? g : 0 and mask ? 0 : g, each summed to the shape of the operand it is for (the operands
// `first` and `second`), built only when wanted.
std::vector<Value*> splitByMask(VjpContext& c, Value* mask, size_t first, size_t second) {
    Value* g = c.cotangent();
    std::vector<Value*> out(c.numOperands(), nullptr);
    if (c.wants(first)) out[first] = toOperand(c, first, c.where(mask, g));
    if (c.wants(second))
        out[second] = toOperand(c, second, c.create("select", {mask, ops::scalarLike(c, 0, g), g}));
    return out;
}

// maximum/minimum: the cotangent goes to the operand taken; a tie goes to x.
VjpFn extremumVjp(const std::string& xWinsComparison) {
    return [xWinsComparison](VjpContext& c) {
        return splitByMask(c, c.create(xWinsComparison, {c.operand(0), c.operand(1)}), 0, 1);
    };
}

std::vector<Value*> selectVjp(VjpContext& c) {
    return splitByMask(c, c.operand(0), 1, 2); // cond is bool: never wanted
}

// x mod y = x - floor(x / y) * y: dx = g, dy = -g * floor(x / y) (away from the jumps).
std::vector<Value*> modVjp(VjpContext& c) {
    Value* g = c.cotangent();
    Value* dy = nullptr;
    if (c.wants(1)) {
        Value* quotient = c.create("floor_div", {c.operand(0), c.operand(1)});
        dy = c.neg(toOperand(c, 1, c.mul(g, quotient)));
    }
    return {c.wants(0) ? toOperand(c, 0, g) : nullptr, dy};
}

std::vector<Value*> identityVjp(VjpContext& c) {
    return {c.wants(0) ? c.cotangent() : nullptr};
}

// Between float types the cotangent is cast back to x's type; a cast from or to an integer or
// bool carries no gradient (autodiff never asks: such values are not differentiable).
std::vector<Value*> castVjp(VjpContext& c) {
    Value* x = c.operand(0);
    if (!c.wants(0) || !isFloat(x->type.dtype) || !isFloat(c.result()->type.dtype))
        return {nullptr};
    return {c.cast(c.cotangent(), x->type.dtype)};
}

// ---- derivatives f'(x) of the unary math ops, from x and the result y (ops::unaryVjp) ----
using ops::compareWith;
using ops::scalarLike;

// 1 - v^2 and 1 + v^2 (tanh, tan, asin, atan, atanh).
Value* oneMinusSquare(VjpContext& c, Value* v) {
    return c.sub(scalarLike(c, 1, v), c.square(v));
}
Value* onePlusSquare(VjpContext& c, Value* v) {
    return c.add(scalarLike(c, 1, v), c.square(v));
}
// 1 / v and 1 / sqrt(v), exactly (epsilon 0).
Value* reciprocal(VjpContext& c, Value* v) {
    return c.create("inverse", {v}, {{"epsilon", 0.0}});
}
Value* reciprocalSqrt(VjpContext& c, Value* v) {
    return c.create("rsqrt", {v}, {{"epsilon", 0.0}});
}

// y = 1 / sqrt(x + epsilon): f' = -y^3 / 2.
Value* rsqrtDerivative(VjpContext& c, Value*, Value* y) {
    return c.mulScalar(c.mul(c.square(y), y), -0.5);
}

// y = 1 / (x + epsilon): f' = -y^2.
Value* inverseDerivative(VjpContext& c, Value*, Value* y) {
    return c.neg(c.square(y));
}

// y = log(x + epsilon): f' = 1 / (x + epsilon), with the forward's epsilon.
Value* logDerivative(VjpContext& c, Value* x, Value*) {
    return c.create("inverse", {x}, {{"epsilon", c.floatAttr("epsilon")}});
}

// y = x * sigmoid(x) = x * s: f' = s + x * s * (1 - s) = s * (1 - y) + y.
Value* siluDerivative(VjpContext& c, Value* x, Value* y) {
    Value* s = c.create("sigmoid", {x});
    return c.add(c.mul(s, c.sub(scalarLike(c, 1, y), y)), y);
}

// erf' = 2 / sqrt(pi) * exp(-x^2).
Value* erfDerivative(VjpContext& c, Value* x, Value*) {
    return c.mulScalar(c.create("exp", {c.neg(c.square(x))}), 2 / std::sqrt(std::numbers::pi));
}

// The three gelu modes, each differentiated as runtime/reference/eval_unary.cpp computes it.
// EXACT: y = x * Phi(x), Phi(x) = (1 + erf(x / sqrt(2))) / 2: f' = Phi(x) + x * phi(x), with
// phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
Value* geluExactDerivative(VjpContext& c, Value* x) {
    Value* erf = c.create("erf", {c.mulScalar(x, 1 / std::numbers::sqrt2)});
    Value* cdf = c.mulScalar(c.add(erf, scalarLike(c, 1, x)), 0.5);
    Value* density = c.mulScalar(c.create("exp", {c.mulScalar(c.square(x), -0.5)}),
                                 1 / std::sqrt(2 * std::numbers::pi));
    return c.add(cdf, c.mul(x, density));
}

// TANH_APPROXIMATION: y = x (1 + t) / 2, t = tanh(k (x + a x^3)):
// f' = (1 + t) / 2 + x (1 - t^2) k (1 + 3 a x^2) / 2.
Value* geluTanhDerivative(VjpContext& c, Value* x) {
    const double k = std::sqrt(2 / std::numbers::pi), a = 0.044715;
    Value* x2 = c.square(x);
    Value* inner = c.mul(x, c.add(scalarLike(c, 1, x), c.mulScalar(x2, a)));
    Value* t = c.create("tanh", {c.mulScalar(inner, k)});
    Value* innerSlope = c.add(scalarLike(c, k, x), c.mulScalar(x2, 3 * a * k));
    Value* tanhPart = c.mul(c.mul(x, oneMinusSquare(c, t)), innerSlope);
    return c.mulScalar(c.add(c.add(t, scalarLike(c, 1, x)), tanhPart), 0.5);
}

// SIGMOID_APPROXIMATION: y = x * s, s = sigmoid(1.702 x): f' = s + 1.702 * y * (1 - s).
Value* geluSigmoidDerivative(VjpContext& c, Value* x, Value* y) {
    const double k = 1.702;
    Value* s = c.create("sigmoid", {c.mulScalar(x, k)});
    return c.add(s, c.mulScalar(c.mul(y, c.sub(scalarLike(c, 1, s), s)), k));
}

Value* geluDerivative(VjpContext& c, Value* x, Value* y) {
    const std::string& mode = c.stringAttr("mode");
    if (mode == "TANH_APPROXIMATION") return geluTanhDerivative(c, x);
    if (mode == "SIGMOID_APPROXIMATION") return geluSigmoidDerivative(c, x, y);
    return geluExactDerivative(c, x);
}

// clip passes the cotangent strictly between its bounds (0 at a bound).
Value* clipMask(VjpContext& c, Value* x, Value*) {
    return c.create("logical_and", {compareWith(c, "greater", x, c.floatAttr("alpha")),
                                    compareWith(c, "less", x, c.floatAttr("beta"))});
}
} // namespace

void registerElementwiseOps(OpRegistry& registry) {
    addBinary(registry, "add", "add", false, "x + y with broadcasting", addVjp);
    addBinary(registry, "sub", "subtract", false, "x - y with broadcasting", subVjp);
    addBinary(registry, "mul", "multiply", false, "x * y with broadcasting", mulVjp);
    addBinary(registry, "real_div", "divide", false, "x / y with broadcasting", realDivVjp);
    addBinary(registry, "pow", "raise", false, "x ** y with broadcasting", powVjp);
    addBinary(registry, "maximum", "take the maximum of", false, "elementwise max(x, y)",
              extremumVjp("greater_equal"));
    addBinary(registry, "minimum", "take the minimum of", false, "elementwise min(x, y)",
              extremumVjp("less_equal"));
    addBinary(registry, "less", "compare", true, "x < y");
    addBinary(registry, "less_equal", "compare", true, "x <= y");
    addBinary(registry, "greater", "compare", true, "x > y");
    addBinary(registry, "greater_equal", "compare", true, "x >= y");
    addBinary(registry, "equal", "compare", true, "x == y");
    addBinary(registry, "not_equal", "compare", true, "x != y");

    registry.add({
        .name = "select",
        .operands = {{"cond"}, {"a"}, {"b"}},
        .attrs = {},
        .infer = [](const InferContext& ctx) -> Expected<std::vector<TensorType>> {
            const TensorType& cond = *ctx.operand(0);
            const TensorType& a = *ctx.operand(1);
            const TensorType& b = *ctx.operand(2);
            if (cond.dtype != DType::Bool)
                return fail("select needs a bool condition, got " + cond.str());
            auto ab = inferBroadcast("select between", a, b, false);
            if (!ab) return ab;
            auto shape = broadcastShapes(cond.shape, (*ab)[0].shape);
            if (!shape)
                return fail("cannot select with condition " + cond.str() + " between " + a.str() +
                            " and " + b.str());
            return ops::single({a.dtype, *shape});
        },
        .summary = "cond ? a : b with broadcasting",
        .vjp = selectVjp,
    });

    addTypedBinary(registry, "floor_div", false, "floor(x / y) with broadcasting", {}, true);
    addTypedBinary(registry, "mod", false,
                   "x - floor(x / y) * y with broadcasting (the sign of y, like numpy.mod)",
                   modVjp);
    addTypedBinary(registry, "logical_and", true, "x and y (bool) with broadcasting");
    addTypedBinary(registry, "logical_or", true, "x or y (bool) with broadcasting");
    addTypedBinary(registry, "logical_xor", true, "x xor y (bool) with broadcasting");
    registry.add({
        .name = "logical_not",
        .operands = {{"x"}},
        .attrs = {},
        .infer = [](const InferContext& ctx) -> ops::Results {
            if (ctx.operand(0)->dtype != DType::Bool)
                return fail("logical_not needs a bool tensor, got " + ctx.operand(0)->str());
            return ops::single(*ctx.operand(0));
        },
        .summary = "not x (bool)",
    });

    // The epsilon defaults are MIL's (a MIL program that leaves epsilon out means them); the
    // language passes fp16-safe ones (docs/language.md).
    using ops::addFloatUnary;
    using ops::maskedUnaryVjp;
    using ops::unaryVjp;
    addFloatUnary(
        registry, "sqrt", {}, "square root",
        unaryVjp([](VjpContext& c, Value*, Value* y) { return c.div(scalarLike(c, 0.5, y), y); }));
    addFloatUnary(registry, "rsqrt", {{"epsilon", AttrKind::Float, 1e-12}}, "1 / sqrt(x + epsilon)",
                  unaryVjp(rsqrtDerivative));
    addFloatUnary(registry, "inverse", {{"epsilon", AttrKind::Float, 1e-4}}, "1 / (x + epsilon)",
                  unaryVjp(inverseDerivative));
    addFloatUnary(registry, "exp", {}, "e ** x",
                  unaryVjp([](VjpContext&, Value*, Value* y) { return y; }));
    addFloatUnary(registry, "exp2", {}, "2 ** x", unaryVjp([](VjpContext& c, Value*, Value* y) {
                      return c.mulScalar(y, std::numbers::ln2);
                  }));
    addFloatUnary(registry, "log", {{"epsilon", AttrKind::Float, 1e-45}},
                  "natural log of (x + epsilon)", unaryVjp(logDerivative));
    addFloatUnary(registry, "tanh", {}, "hyperbolic tangent",
                  unaryVjp([](VjpContext& c, Value*, Value* y) { return oneMinusSquare(c, y); }));
    addFloatUnary(registry, "sigmoid", {}, "1 / (1 + exp(-x))",
                  unaryVjp([](VjpContext& c, Value*, Value* y) {
                      return c.mul(y, c.sub(scalarLike(c, 1, y), y));
                  }));
    addFloatUnary(registry, "relu", {}, "max(x, 0)",
                  maskedUnaryVjp([](VjpContext& c, Value* x, Value*) {
                      return compareWith(c, "greater", x, 0); // 0 at x = 0
                  }));
    addFloatUnary(registry, "silu", {}, "x * sigmoid(x)", unaryVjp(siluDerivative));
    addFloatUnary(registry, "abs", {}, "|x|", unaryVjp([](VjpContext& c, Value* x, Value*) {
                      return c.create("sign", {x}); // 0 at x = 0
                  }));
    addFloatUnary(registry, "sign", {}, "-1, 0 or 1 by the sign of x (NaN stays NaN)", {}, true);
    addFloatUnary(registry, "square", {}, "x * x",
                  unaryVjp([](VjpContext& c, Value* x, Value*) { return c.mulScalar(x, 2); }));
    addFloatUnary(registry, "floor", {}, "the largest integer <= x", {}, true);
    addFloatUnary(registry, "ceil", {}, "the smallest integer >= x", {}, true);
    addFloatUnary(registry, "round", {}, "the nearest integer, halves to even (0.5 -> 0)", {},
                  true);
    addFloatUnary(registry, "erf", {}, "the error function", unaryVjp(erfDerivative));
    addFloatUnary(registry, "sin", {}, "sine (radians)",
                  unaryVjp([](VjpContext& c, Value* x, Value*) { return c.create("cos", {x}); }));
    addFloatUnary(
        registry, "cos", {}, "cosine (radians)",
        unaryVjp([](VjpContext& c, Value* x, Value*) { return c.neg(c.create("sin", {x})); }));
    addFloatUnary(registry, "tan", {}, "tangent (radians)",
                  unaryVjp([](VjpContext& c, Value*, Value* y) { return onePlusSquare(c, y); }));
    addFloatUnary(registry, "asin", {}, "arcsine (NaN outside [-1, 1])",
                  unaryVjp([](VjpContext& c, Value* x, Value*) {
                      return reciprocalSqrt(c, oneMinusSquare(c, x));
                  }));
    addFloatUnary(registry, "acos", {}, "arccosine (NaN outside [-1, 1])",
                  unaryVjp([](VjpContext& c, Value* x, Value*) {
                      return c.neg(reciprocalSqrt(c, oneMinusSquare(c, x)));
                  }));
    addFloatUnary(registry, "atan", {}, "arctangent", unaryVjp([](VjpContext& c, Value* x, Value*) {
                      return reciprocal(c, onePlusSquare(c, x));
                  }));
    addFloatUnary(registry, "sinh", {}, "hyperbolic sine",
                  unaryVjp([](VjpContext& c, Value* x, Value*) { return c.create("cosh", {x}); }));
    addFloatUnary(registry, "cosh", {}, "hyperbolic cosine",
                  unaryVjp([](VjpContext& c, Value* x, Value*) { return c.create("sinh", {x}); }));
    addFloatUnary(registry, "atanh", {}, "inverse hyperbolic tangent (NaN outside [-1, 1])",
                  unaryVjp([](VjpContext& c, Value* x, Value*) {
                      return reciprocal(c, oneMinusSquare(c, x));
                  }));
    registry.add({
        .name = "gelu",
        .operands = {{"x"}},
        .attrs = {{"mode", AttrKind::String, std::string("EXACT")}},
        .infer = [](const InferContext& ctx) -> Expected<std::vector<TensorType>> {
            const std::string& mode = ctx.stringAttr("mode");
            if (mode != "EXACT" && mode != "TANH_APPROXIMATION" && mode != "SIGMOID_APPROXIMATION")
                return fail("gelu mode must be EXACT, TANH_APPROXIMATION or SIGMOID_APPROXIMATION, "
                            "got \"" +
                            mode + "\"");
            if (auto ok = ops::checkFloat("gelu", *ctx.operand(0)); !ok) return fail(ok.error());
            return ops::single(*ctx.operand(0));
        },
        .summary = "GELU: mode EXACT, TANH_APPROXIMATION or SIGMOID_APPROXIMATION",
        .vjp = ops::unaryVjp(geluDerivative),
    });
    addFloatUnary(
        registry, "clip",
        {{"alpha", AttrKind::Float, std::nullopt}, {"beta", AttrKind::Float, std::nullopt}},
        "min(max(x, alpha), beta)", maskedUnaryVjp(clipMask));

    registry.add({
        .name = "identity",
        .operands = {{"x"}},
        .attrs = {},
        .infer = [](const InferContext& ctx) { return ops::single(*ctx.operand(0)); },
        .summary = "x unchanged",
        .vjp = identityVjp,
    });

    registry.add({
        .name = "cast",
        .operands = {{"x"}},
        .attrs = {{"dtype", AttrKind::String, std::nullopt}},
        .infer = [](const InferContext& ctx) -> Expected<std::vector<TensorType>> {
            const std::string& name = ctx.stringAttr("dtype");
            auto dtype = parseDType(name);
            if (!dtype || *dtype == DType::String)
                return fail("cast: unknown dtype '" + name + "'");
            return ops::single({*dtype, ctx.operand(0)->shape});
        },
        .summary = "convert to dtype (fp16, fp32, int32, bool, ...)",
        .vjp = castVjp,
    });
}

} // namespace anec::ir
