// Elementwise ops: numpy-broadcasting binary ops, comparisons, logical ops, select and unary math.
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
                    const std::string& summary) {
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
    });
}

// d(x + y): the cotangent, summed back to each operand's shape.
std::vector<Value*> addVjp(VjpContext& c) {
    Value* g = c.cotangent();
    return {c.wants(0) ? c.sumToShape(g, c.operand(0)->type.shape) : nullptr,
            c.wants(1) ? c.sumToShape(g, c.operand(1)->type.shape) : nullptr};
}
} // namespace

void registerElementwiseOps(OpRegistry& registry) {
    addBinary(registry, "add", "add", false, "x + y with broadcasting", addVjp);
    addBinary(registry, "sub", "subtract", false, "x - y with broadcasting");
    addBinary(registry, "mul", "multiply", false, "x * y with broadcasting");
    addBinary(registry, "real_div", "divide", false, "x / y with broadcasting");
    addBinary(registry, "pow", "raise", false, "x ** y with broadcasting");
    addBinary(registry, "maximum", "take the maximum of", false, "elementwise max(x, y)");
    addBinary(registry, "minimum", "take the minimum of", false, "elementwise min(x, y)");
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
    });

    addTypedBinary(registry, "floor_div", false, "floor(x / y) with broadcasting");
    addTypedBinary(registry, "mod", false,
                   "x - floor(x / y) * y with broadcasting (the sign of y, like numpy.mod)");
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
    addFloatUnary(registry, "sqrt", {}, "square root");
    addFloatUnary(registry, "rsqrt", {{"epsilon", AttrKind::Float, 1e-12}},
                  "1 / sqrt(x + epsilon)");
    addFloatUnary(registry, "inverse", {{"epsilon", AttrKind::Float, 1e-4}}, "1 / (x + epsilon)");
    addFloatUnary(registry, "exp", {}, "e ** x");
    addFloatUnary(registry, "exp2", {}, "2 ** x");
    addFloatUnary(registry, "log", {{"epsilon", AttrKind::Float, 1e-45}},
                  "natural log of (x + epsilon)");
    addFloatUnary(registry, "tanh", {}, "hyperbolic tangent");
    addFloatUnary(registry, "sigmoid", {}, "1 / (1 + exp(-x))");
    addFloatUnary(registry, "relu", {}, "max(x, 0)");
    addFloatUnary(registry, "silu", {}, "x * sigmoid(x)");
    addFloatUnary(registry, "abs", {}, "|x|");
    addFloatUnary(registry, "sign", {}, "-1, 0 or 1 by the sign of x (NaN stays NaN)");
    addFloatUnary(registry, "square", {}, "x * x");
    addFloatUnary(registry, "floor", {}, "the largest integer <= x");
    addFloatUnary(registry, "ceil", {}, "the smallest integer >= x");
    addFloatUnary(registry, "round", {}, "the nearest integer, halves to even (0.5 -> 0)");
    addFloatUnary(registry, "erf", {}, "the error function");
    addFloatUnary(registry, "sin", {}, "sine (radians)");
    addFloatUnary(registry, "cos", {}, "cosine (radians)");
    addFloatUnary(registry, "tan", {}, "tangent (radians)");
    addFloatUnary(registry, "asin", {}, "arcsine (NaN outside [-1, 1])");
    addFloatUnary(registry, "acos", {}, "arccosine (NaN outside [-1, 1])");
    addFloatUnary(registry, "atan", {}, "arctangent");
    addFloatUnary(registry, "sinh", {}, "hyperbolic sine");
    addFloatUnary(registry, "cosh", {}, "hyperbolic cosine");
    addFloatUnary(registry, "atanh", {}, "inverse hyperbolic tangent (NaN outside [-1, 1])");
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
    });
    addFloatUnary(
        registry, "clip",
        {{"alpha", AttrKind::Float, std::nullopt}, {"beta", AttrKind::Float, std::nullopt}},
        "min(max(x, alpha), beta)");

    registry.add({
        .name = "identity",
        .operands = {{"x"}},
        .attrs = {},
        .infer = [](const InferContext& ctx) { return ops::single(*ctx.operand(0)); },
        .summary = "x unchanged",
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
    });
}

} // namespace anec::ir
