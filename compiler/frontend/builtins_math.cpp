// The math builtins: elementwise unary math (folded for numbers), binary and logical ops,
// activations with parameters, reductions (reduce_*, argmax, argmin, log_softmax), the
// per-channel norms and quantization.
#include <cmath>

#include "frontend/builtin_call.hpp"
#include "ir/ops/unary_math.hpp"

namespace anec::frontend {

namespace {
// What a number argument outside an op's domain is told (the others are never out of it).
std::string domainProblem(const std::string& kind) {
    if (kind == "sqrt") return "negative argument";
    if (kind == "asin" || kind == "acos" || kind == "atanh") return "argument outside [-1, 1]";
    return "argument outside its domain";
}

// A number argument is folded (`1 / sqrt(HD)`, `sin(0.5)` are compile-time numbers); a tensor
// gets the op.
LowerFn unary(const std::string& kind) {
    return [kind](BuiltinCall& c) {
        Operand x = c.value(0);
        if (c.failed()) return c.fail();
        if (!x.isNumber()) return c.lowerer.createOp(kind, {x.value}, {}, c.loc());
        const double folded = ir::unaryMathFunction(kind)(x.number);
        if (std::isnan(folded)) {
            c.error(c.loc(),
                    kind + " of " + formatNumber(x.number, false) + ": " + domainProblem(kind));
            return c.fail();
        }
        if (!std::isfinite(folded)) {
            c.error(c.loc(), kind + " overflows");
            return c.fail();
        }
        return Operand::numberOf(folded, false);
    };
}

// log, rsqrt and inverse: f(x + epsilon); numbers are folded.
LowerFn unaryWithEpsilon(const std::string& kind, double epsilon) {
    return [kind, epsilon](BuiltinCall& c) {
        Operand x = c.value(0);
        auto eps = c.real(1, epsilon);
        if (c.failed()) return c.fail();
        if (!x.isNumber()) return c.lowerer.createOp(kind, {x.value}, {{"epsilon", *eps}}, c.loc());
        const double shifted = x.number + *eps;
        if (kind == "inverse" ? shifted == 0 : shifted <= 0) {
            c.error(c.loc(), kind + " of " + formatNumber(x.number, x.integral) + ": argument is " +
                                 (kind == "inverse" ? "zero" : "not positive"));
            return c.fail();
        }
        return Operand::numberOf(kind == "log"     ? std::log(shifted)
                                 : kind == "rsqrt" ? 1 / std::sqrt(shifted)
                                                   : 1 / shifted,
                                 false);
    };
}

LowerFn binary(const char* kind, const char* verb) {
    return [kind, verb](BuiltinCall& c) {
        Operand a = c.value(0);
        Operand b = c.value(1);
        if (c.failed()) return c.fail();
        if (a.isNumber() && b.isNumber()) {
            c.error(c.loc(), c.name + " needs at least one tensor argument");
            return c.fail();
        }
        return c.lowerer.binaryOp(kind, a, b, c.loc(), verb);
    };
}

Operand lowerLogicalNot(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("logical_not", {x}, {}, c.loc());
}

// An activation with float parameters (alpha, beta) that have language defaults.
LowerFn withParameters(const char* kind, std::vector<std::pair<const char*, double>> params) {
    return [kind, params](BuiltinCall& c) {
        ir::Value* x = c.tensor(0);
        ir::AttrMap attrs;
        for (size_t i = 0; i < params.size(); ++i)
            if (auto value = c.real(i + 1, params[i].second))
                attrs.emplace(params[i].first, *value);
        if (c.failed()) return c.fail();
        return c.lowerer.createOp(kind, {x}, std::move(attrs), c.loc());
    };
}

LowerFn reduction(const char* kind) {
    return [kind](BuiltinCall& c) {
        ir::Value* x = c.tensor(0);
        auto axes = c.intList(1);
        auto keepDims = c.boolean(2, false);
        if (c.failed()) return c.fail();
        return c.lowerer.createOp(kind, {x}, {{"axes", *axes}, {"keep_dims", *keepDims}}, c.loc());
    };
}

// argmax / argmin: MIL reduce_argmax / reduce_argmin along one axis.
LowerFn argReduction(const char* kind) {
    return [kind](BuiltinCall& c) {
        ir::Value* x = c.tensor(0);
        auto axis = c.integer(1);
        auto keepDims = c.boolean(2, false);
        if (c.failed()) return c.fail();
        return c.lowerer.createOp(kind, {x}, {{"axis", *axis}, {"keep_dims", *keepDims}}, c.loc());
    };
}

// (x - max) - log(sum(exp(x - max))) along axis: exp never overflows, and the sum is at least 1
// (log needs no epsilon), so the result is exact up to the rounding of each step.
Operand lowerLogSoftmax(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto axis = c.integer(1, -1);
    if (c.failed()) return c.fail();
    BodyLowerer& l = c.lowerer;
    const ir::AttrMap along{{"axes", std::vector<int64_t>{*axis}}, {"keep_dims", true}};
    Operand max = l.createOp("reduce_max", {x}, along, c.loc());
    if (!max.isTensor()) return c.fail();
    Operand shifted = l.createOp("sub", {x, max.value}, {}, c.loc());
    if (!shifted.isTensor()) return c.fail();
    Operand exps = l.createOp("exp", {shifted.value}, {}, c.loc());
    if (!exps.isTensor()) return c.fail();
    Operand sum = l.createOp("reduce_sum", {exps.value}, along, c.loc());
    if (!sum.isTensor()) return c.fail();
    Operand logSum = l.createOp("log", {sum.value}, {{"epsilon", 0.0}}, c.loc());
    if (!logSum.isTensor()) return c.fail();
    return l.createOp("sub", {shifted.value, logSum.value}, {}, c.loc());
}

Operand lowerBatchNorm(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    ir::Value* mean = c.tensor(1);
    ir::Value* variance = c.tensor(2);
    ir::Value* gamma = c.tensor(3);
    ir::Value* beta = c.tensor(4);
    auto epsilon = c.real(5, kSafeEpsilon);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("batch_norm", {x, mean, variance, gamma, beta},
                              {{"epsilon", *epsilon}}, c.loc());
}

Operand lowerInstanceNorm(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    ir::Value* gamma = c.tensor(1);
    ir::Value* beta = c.tensor(2);
    auto epsilon = c.real(3, kSafeEpsilon);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("instance_norm", {x, gamma, beta}, {{"epsilon", *epsilon}}, c.loc());
}

Operand lowerL2Norm(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto epsilon = c.real(1, kSafeEpsilon);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("l2_norm", {x}, {{"epsilon", *epsilon}}, c.loc());
}

// quantize(x, scale, zero_point, axis, dtype) / dequantize(x, scale, zero_point, axis): scale
// and zero_point are numbers (per tensor) or constant vectors (per channel along axis).
Operand lowerQuantization(BuiltinCall& c, bool quantize) {
    ir::Value* x = c.tensor(0);
    if (c.failed()) return c.fail();
    std::optional<ir::DType> quantized = x->type.dtype;
    if (quantize)
        quantized = c.has(4) ? c.typeName(4, {ir::DType::Int8, ir::DType::UInt8}) : ir::DType::Int8;
    const ir::DType real = quantize ? x->type.dtype : ir::DType::Fp16;
    ir::Value* scale = c.tensorOrNumber(1, real);
    ir::Value* zeroPoint = quantized ? c.tensorOrNumber(2, *quantized) : nullptr;
    auto axis = c.integer(3);
    if (c.failed() || !quantized) return c.fail();
    ir::AttrMap attrs;
    if (axis) attrs.emplace("axis", *axis);
    if (quantize) attrs.emplace("output_dtype", std::string(ir::dtypeName(*quantized)));
    return c.lowerer.createOp(quantize ? "quantize" : "dequantize", {x, scale, zeroPoint},
                              std::move(attrs), c.loc());
}
} // namespace

void addMathBuiltins(std::map<std::string, Builtin>& t) {
    for (const char* kind :
         {"sqrt", "exp",    "exp2",  "tanh", "sigmoid", "relu",  "relu6",    "silu",    "abs",
          "sign", "square", "floor", "ceil", "round",   "erf",   "sin",      "cos",     "tan",
          "asin", "acos",   "atan",  "sinh", "cosh",    "atanh", "softplus", "softsign"})
        t[kind] = {{{"x"}}, unary(kind)};
    t["rsqrt"] = {{{"x"}, optional("epsilon")}, unaryWithEpsilon("rsqrt", kSafeEpsilon)};
    t["log"] = {{{"x"}, optional("epsilon")}, unaryWithEpsilon("log", kSafeEpsilon)};
    t["inverse"] = {{{"x"}, optional("epsilon")}, unaryWithEpsilon("inverse", 1e-4)};
    t["leaky_relu"] = {{{"x"}, optional("alpha")}, withParameters("leaky_relu", {{"alpha", 0.01}})};
    t["elu"] = {{{"x"}, optional("alpha")}, withParameters("elu", {{"alpha", 1.0}})};
    t["sigmoid_hard"] = {{{"x"}, optional("alpha"), optional("beta")},
                         withParameters("sigmoid_hard", {{"alpha", 1.0 / 6}, {"beta", 0.5}})};

    t["pow"] = {{{"x"}, {"y"}}, binary("pow", "raise")};
    t["maximum"] = {{{"a"}, {"b"}}, binary("maximum", "take the maximum of")};
    t["minimum"] = {{{"a"}, {"b"}}, binary("minimum", "take the minimum of")};
    t["floor_div"] = {{{"a"}, {"b"}}, binary("floor_div", "floor-divide")};
    t["mod"] = {{{"a"}, {"b"}}, binary("mod", "take the modulo of")};
    for (const char* kind : {"logical_and", "logical_or", "logical_xor"})
        t[kind] = {{{"a"}, {"b"}}, binary(kind, "combine")};
    t["logical_not"] = {{{"x"}}, lowerLogicalNot};

    for (const char* kind :
         {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l1_norm",
          "reduce_l2_norm", "reduce_log_sum", "reduce_log_sum_exp", "reduce_sum_square"})
        t[kind] = {{{"x"}, {"axes"}, optional("keep_dims")}, reduction(kind)};
    t["argmax"] = {{{"x"}, {"axis"}, optional("keep_dims")}, argReduction("reduce_argmax")};
    t["argmin"] = {{{"x"}, {"axis"}, optional("keep_dims")}, argReduction("reduce_argmin")};
    t["log_softmax"] = {{{"x"}, optional("axis")}, lowerLogSoftmax};

    t["batch_norm"] = {
        {{"x"}, {"mean"}, {"variance"}, optional("gamma"), optional("beta"), optional("epsilon")},
        lowerBatchNorm};
    t["instance_norm"] = {{{"x"}, optional("gamma"), optional("beta"), optional("epsilon")},
                          lowerInstanceNorm};
    t["l2_norm"] = {{{"x"}, optional("epsilon")}, lowerL2Norm};
    t["quantize"] = {
        {{"x"}, {"scale"}, optional("zero_point"), optional("axis"), optional("dtype")},
        [](BuiltinCall& c) { return lowerQuantization(c, true); }};
    t["dequantize"] = {{{"x"}, {"scale"}, optional("zero_point"), optional("axis")},
                       [](BuiltinCall& c) { return lowerQuantization(c, false); }};
}

} // namespace anec::frontend
