// Elementwise ops: numpy-broadcasting binary ops, comparisons, select and unary activations.
#include "ir/ops/op_helpers.hpp"

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
               bool boolResult, const std::string& summary) {
    registry.add({
        .name = name,
        .operands = {{"x"}, {"y"}},
        .attrs = {},
        .infer =
            [verb, boolResult](const InferContext& ctx) {
                return inferBroadcast(verb, *ctx.operand(0), *ctx.operand(1), boolResult);
            },
        .summary = summary,
    });
}

Expected<std::vector<TensorType>> inferFloatUnary(const std::string& name,
                                                  const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (!isFloat(x.dtype)) return fail(name + " needs a floating-point tensor, got " + x.str());
    return ops::single(x);
}

void addUnary(OpRegistry& registry, const std::string& name, std::vector<AttrSpec> attrs,
              const std::string& summary) {
    registry.add({
        .name = name,
        .operands = {{"x"}},
        .attrs = std::move(attrs),
        .infer = [name](const InferContext& ctx) { return inferFloatUnary(name, ctx); },
        .summary = summary,
    });
}
} // namespace

void registerElementwiseOps(OpRegistry& registry) {
    addBinary(registry, "add", "add", false, "x + y with broadcasting");
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

    addUnary(registry, "sqrt", {}, "square root");
    addUnary(registry, "rsqrt", {{"epsilon", AttrKind::Float, 1e-12}}, "1 / sqrt(x + epsilon)");
    addUnary(registry, "exp", {}, "e ** x");
    addUnary(registry, "log", {{"epsilon", AttrKind::Float, 1e-45}},
             "natural log of (x + epsilon)");
    addUnary(registry, "tanh", {}, "hyperbolic tangent");
    addUnary(registry, "sigmoid", {}, "1 / (1 + exp(-x))");
    addUnary(registry, "relu", {}, "max(x, 0)");
    addUnary(registry, "silu", {}, "x * sigmoid(x)");
    addUnary(registry, "abs", {}, "|x|");
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
            return inferFloatUnary("gelu", ctx);
        },
        .summary = "GELU: mode EXACT, TANH_APPROXIMATION or SIGMOID_APPROXIMATION",
    });
    addUnary(registry, "clip",
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
