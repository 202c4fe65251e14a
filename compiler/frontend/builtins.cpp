// The builtin functions: each has a parameter list (for argument checking) and a lowering onto
// registry ops. Shapes are checked by the registry; the builtin checks what the registry cannot
// know (constant weights, argument kinds) and gives messages in the language's terms.
#include "frontend/builtins.hpp"

#include <algorithm>
#include <cmath>

#include "frontend/builtin_call.hpp"

namespace anec::frontend {

namespace {
// `bias` may be null (no bias operand).
Operand conv2d(BuiltinCall& c, ir::Value* x, ir::Value* weight, ir::Value* bias,
               ir::AttrMap attrs) {
    return c.lowerer.createOp("conv", {x, weight, bias}, std::move(attrs), c.loc());
}

ir::AttrMap convAttrs(std::vector<int64_t> strides, std::string padType, std::vector<int64_t> pad,
                      std::vector<int64_t> dilations, int64_t groups) {
    return {{"strides", strides},
            {"pad_type", padType},
            {"pad", pad},
            {"dilations", dilations},
            {"groups", groups}};
}

Operand lowerLinear(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    ir::Value* w = c.constantTensor(1, /*acceptRuntimeWeight=*/true);
    ir::Value* bias = c.constantBias(2);
    if (c.failed() || !x || !w) return c.fail();
    const ir::TensorType& wt = w->type;
    if (wt.rank() != 2) {
        c.error(c.argLoc(1), "linear weight must have rank 2 [Cout, Cin], got " + wt.str());
        return c.fail();
    }
    if (x->type.rank() != 4) {
        c.error(c.argLoc(0), "linear needs x of rank 4 [N, Cin, H, W], got " + x->type.str());
        return c.fail();
    }
    if (x->type.shape[1] != wt.shape[1]) {
        c.error(c.loc(), "linear weight " + wt.str() + " expects " + std::to_string(wt.shape[1]) +
                             " input channels but x " + x->type.str() + " has " +
                             std::to_string(x->type.shape[1]));
        return c.fail();
    }
    // conv needs a constant weight (rule 11); a dynamic one multiplies at run time.
    if (!BodyLowerer::isConstant(w)) return lowerLinearAsMatmul(c.lowerer, x, w, bias, c.loc());
    // Materialised as [Cout, Cin, 1, 1] by constant folding.
    Operand w4 = c.lowerer.createOp(
        "reshape", {w}, {{"shape", std::vector<int64_t>{wt.shape[0], wt.shape[1], 1, 1}}}, c.loc());
    if (!w4.isTensor()) return c.fail();
    return conv2d(c, x, w4.value, bias, convAttrs({1, 1}, "valid", {0, 0, 0, 0}, {1, 1}, 1));
}

Operand lowerConv(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    ir::Value* w = c.constantTensor(1);
    auto strides = c.intList(2, std::vector<int64_t>{1, 1});
    auto dilations = c.intList(4, std::vector<int64_t>{1, 1});
    auto groups = c.integer(5, 1);
    ir::Value* bias = c.constantBias(6);
    std::string padType = "valid";
    std::vector<int64_t> pad{0, 0, 0, 0};
    if (c.isList(3)) {
        if (auto values = c.intList(3)) {
            if (values->size() != 4)
                c.error(c.argLoc(3), "conv padding list must be [top, bottom, left, right], got " +
                                         std::to_string(values->size()) + " values");
            padType = "custom";
            pad = *values;
        }
    } else if (auto text = c.string(3, std::string("valid"))) {
        if (*text != "valid" && *text != "same")
            c.error(
                c.argLoc(3),
                "conv padding must be \"valid\", \"same\" or [top, bottom, left, right], got \"" +
                    *text + "\"");
        padType = *text;
    }
    if (c.failed() || !x || !w || !strides || !dilations || !groups) return c.fail();
    return conv2d(c, x, w, bias, convAttrs(*strides, padType, pad, *dilations, *groups));
}

Operand lowerMatmul(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    ir::Value* y = c.tensor(1);
    auto tx = c.boolean(2, false);
    auto ty = c.boolean(3, false);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("matmul", {x, y}, {{"transpose_x", *tx}, {"transpose_y", *ty}},
                              c.loc());
}

// MIL scaled_dot_product_attention; the optional mask is bool (true keeps a position) or float
// (added to the scores).
Operand lowerAttention(BuiltinCall& c) {
    ir::Value* query = c.tensor(0);
    ir::Value* key = c.tensor(1);
    ir::Value* value = c.tensor(2);
    ir::Value* mask = c.tensor(3);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("scaled_dot_product_attention", {query, key, value, mask}, {},
                              c.loc());
}

Operand lowerCast(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto dtype = c.dtype(1);
    if (c.failed()) return c.fail();
    if (x->type.dtype == *dtype) return Operand::tensor(x);
    return c.lowerer.createOp("cast", {x}, {{"dtype", std::string(ir::dtypeName(*dtype))}},
                              c.loc());
}

// reshape / transpose / softmax: one tensor and one attribute.
LowerFn withIntList(const char* kind, const char* attr) {
    return [kind, attr](BuiltinCall& c) {
        ir::Value* x = c.tensor(0);
        auto values = c.intList(1);
        if (c.failed()) return c.fail();
        return c.lowerer.createOp(kind, {x}, {{attr, *values}}, c.loc());
    };
}

Operand lowerSoftmax(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto axis = c.integer(1, -1);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("softmax", {x}, {{"axis", *axis}}, c.loc());
}

Operand lowerConcat(BuiltinCall& c) {
    std::vector<ir::Value*> values = c.tensorList(0);
    auto axis = c.integer(1);
    auto interleave = c.boolean(2, false);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("concat", values, {{"axis", *axis}, {"interleave", *interleave}},
                              c.loc());
}

Operand lowerSplit(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto sizes = c.intList(1);
    auto parts = c.integer(2, 0);
    auto axis = c.integer(3);
    if (c.failed()) return c.fail();
    if (c.has(1) == c.has(2)) {
        c.error(c.loc(), "split needs exactly one of sizes=[..] and parts=N");
        return c.fail();
    }
    ir::AttrMap attrs{{"axis", *axis}};
    if (c.has(1))
        attrs.emplace("split_sizes", *sizes);
    else
        attrs.emplace("num_splits", *parts);
    ir::Op* op = c.lowerer.createMultiOp("split", {x}, std::move(attrs), c.loc());
    if (!op) return c.fail();
    std::vector<ir::Value*> results;
    for (const auto& result : op->results)
        results.push_back(result.get());
    return Operand::tuple(std::move(results));
}

Operand lowerGelu(BuiltinCall& c) {
    static const std::map<std::string, std::string> kModes{
        {"exact", "EXACT"}, {"tanh", "TANH_APPROXIMATION"}, {"sigmoid", "SIGMOID_APPROXIMATION"}};
    ir::Value* x = c.tensor(0);
    auto mode = c.string(1, std::string("exact"));
    if (mode && !kModes.count(*mode))
        c.error(c.argLoc(1),
                "gelu mode must be \"exact\", \"tanh\" or \"sigmoid\", got \"" + *mode + "\"");
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("gelu", {x}, {{"mode", kModes.at(*mode)}}, c.loc());
}

// The shapes a norm's gamma/beta may be written in: MIL's (x's normalised dimensions, [C] for
// axes [1]) or broadcastable to x ([1, C, 1, 1]). `milForm` picks the one the lowering needs.
ir::Value* affineParam(BuiltinCall& c, size_t arg, ir::Value* param, const ir::Value* x,
                       const std::vector<int64_t>& axes, bool milForm) {
    if (!param || !x || axes.empty()) return param;
    const ir::Shape& shape = x->type.shape;
    std::vector<bool> normalised(shape.size(), false);
    for (int64_t axis : axes) {
        auto d = ir::normalizeAxis(axis, shape.size());
        if (!d) return param; // the op reports the bad axis
        normalised[*d] = true;
    }
    ir::Shape mil, broadcast;
    for (size_t d = 0; d < shape.size(); ++d) {
        if (normalised[d]) mil.push_back(shape[d]);
        broadcast.push_back(normalised[d] ? shape[d] : 1);
    }
    const ir::Shape& from = milForm ? broadcast : mil;
    const ir::Shape& to = milForm ? mil : broadcast;
    if (param->type.shape != from || from == to) return param;
    Operand reshaped = c.lowerer.createOp("reshape", {param}, {{"shape", to}}, c.argLoc(arg));
    return reshaped.isTensor() ? reshaped.value : nullptr;
}

Operand lowerLayerNorm(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto axes = c.intList(1);
    ir::Value* gamma = c.tensor(2);
    ir::Value* beta = c.tensor(3);
    auto epsilon = c.real(4, kSafeEpsilon);
    if (c.failed()) return c.fail();
    gamma = affineParam(c, 2, gamma, x, *axes, true);
    beta = affineParam(c, 3, beta, x, *axes, true);
    if ((c.has(2) && !gamma) || (c.has(3) && !beta)) return c.fail();
    return c.lowerer.createOp("layer_norm", {x, gamma, beta},
                              {{"axes", *axes}, {"epsilon", *epsilon}}, c.loc());
}

// x * rsqrt(reduce_mean(x * x, axes, keep_dims = true), epsilon) * gamma
Operand lowerRmsNorm(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto axes = c.intList(1);
    ir::Value* gamma = c.tensor(2);
    auto epsilon = c.real(3, kSafeEpsilon);
    if (c.failed()) return c.fail();
    gamma = affineParam(c, 2, gamma, x, *axes, false);
    if (c.has(2) && !gamma) return c.fail();
    BodyLowerer& l = c.lowerer;
    Operand squared = l.createOp("mul", {x, x}, {}, c.loc());
    if (!squared.isTensor()) return c.fail();
    Operand mean =
        l.createOp("reduce_mean", {squared.value}, {{"axes", *axes}, {"keep_dims", true}}, c.loc());
    if (!mean.isTensor()) return c.fail();
    Operand scale = l.createOp("rsqrt", {mean.value}, {{"epsilon", *epsilon}}, c.loc());
    if (!scale.isTensor()) return c.fail();
    Operand normalized = l.createOp("mul", {x, scale.value}, {}, c.loc());
    if (!normalized.isTensor() || !gamma) return normalized;
    return l.createOp("mul", {normalized.value, gamma}, {}, c.loc());
}

Operand lowerClip(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto lo = c.real(1);
    auto hi = c.real(2);
    if (c.failed()) return c.fail();
    if (*lo > *hi) {
        c.error(c.loc(), "clip bounds are reversed: " + formatNumber(*lo, false) + " > " +
                             formatNumber(*hi, false));
        return c.fail();
    }
    return c.lowerer.createOp("clip", {x}, {{"alpha", *lo}, {"beta", *hi}}, c.loc());
}

Operand lowerSelect(BuiltinCall& c) {
    ir::Value* cond = c.tensor(0);
    Operand a = c.value(1);
    Operand b = c.value(2);
    if (c.failed()) return c.fail();
    if (a.isNumber() && b.isNumber()) {
        c.error(c.loc(), "select needs at least one tensor among its two choices");
        return c.fail();
    }
    ir::Value* x =
        a.isTensor() ? a.value : c.lowerer.materialize(a, b.value->type.dtype, c.argLoc(1));
    ir::Value* y =
        b.isTensor() ? b.value : c.lowerer.materialize(b, a.value->type.dtype, c.argLoc(2));
    if (!x || !y) return c.fail();
    return c.lowerer.createOp("select", {cond, x, y}, {}, c.loc());
}

const std::map<std::string, Builtin>& builtins() {
    static const std::map<std::string, Builtin> table = [] {
        std::map<std::string, Builtin> t;
        t["linear"] = {{{"x"}, {"W"}, optional("bias")}, lowerLinear};
        t["conv"] = {{{"x"},
                      {"W"},
                      optional("strides"),
                      optional("padding"),
                      optional("dilations"),
                      optional("groups"),
                      optional("bias")},
                     lowerConv};
        // Not `attention`: kernels may be named that (examples/attention_fwd.ane), and a kernel
        // may not share a builtin's name.
        t["scaled_dot_product_attention"] = {{{"q"}, {"k"}, {"v"}, optional("mask")},
                                             lowerAttention};
        t["matmul"] = {{{"x"}, {"y"}, optional("transpose_x"), optional("transpose_y")},
                       lowerMatmul};
        t["cast"] = {{{"x"}, {"dtype"}}, lowerCast};
        t["reshape"] = {{{"x"}, {"shape"}}, withIntList("reshape", "shape")};
        t["transpose"] = {{{"x"}, {"perm"}}, withIntList("transpose", "perm")};
        t["concat"] = {{{"values"}, {"axis"}, optional("interleave")}, lowerConcat};
        t["split"] = {{{"x"}, optional("sizes"), optional("parts"), {"axis"}}, lowerSplit};
        t["softmax"] = {{{"x"}, optional("axis")}, lowerSoftmax};
        t["gelu"] = {{{"x"}, optional("mode")}, lowerGelu};
        t["layer_norm"] = {
            {{"x"}, {"axes"}, optional("gamma"), optional("beta"), optional("epsilon")},
            lowerLayerNorm};
        t["rms_norm"] = {{{"x"}, {"axes"}, optional("gamma"), optional("epsilon")}, lowerRmsNorm};
        t["clip"] = {{{"x"}, {"lo"}, {"hi"}}, lowerClip};
        t["select"] = {{{"cond"}, {"a"}, {"b"}}, lowerSelect};
        addMathBuiltins(t);
        addTensorBuiltins(t);
        return t;
    }();
    return table;
}
} // namespace

bool isBuiltinName(const std::string& name) {
    return builtins().count(name) != 0;
}

const std::vector<std::string>& builtinNames() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> all;
        for (const auto& [name, builtin] : builtins())
            all.push_back(name);
        return all; // std::map keeps them sorted
    }();
    return names;
}

Operand lowerBuiltinCall(BodyLowerer& lowerer, const ast::Expr& expr, const ast::CallExpr& call) {
    const Builtin& builtin = builtins().at(call.callee);
    auto bound =
        bindArguments(call.callee, builtin.params, call.args, expr.loc, lowerer.reporter());
    if (!bound) return Operand::error();
    BuiltinCall builtinCall(lowerer, expr, call.callee, std::move(*bound));
    builtinCall.setParamNames(&builtin.params);
    return builtin.lower(builtinCall);
}

} // namespace anec::frontend
