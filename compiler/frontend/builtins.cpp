// The builtin functions: each has a parameter list (for argument checking) and a lowering onto
// registry ops. Shapes are checked by the registry; the builtin checks what the registry cannot
// know (constant weights, argument kinds) and gives messages in the language's terms.
#include "frontend/builtins.hpp"

#include <cmath>
#include <functional>
#include <map>

#include "frontend/arguments.hpp"
#include "frontend/dynamic_weights.hpp"

namespace anec::frontend {

namespace {
// The arguments of one builtin call, with typed accessors. An accessor that fails reports the
// problem, marks the call failed and returns nothing; lowerings check failed() once at the end.
class BuiltinCall {
  public:
    BuiltinCall(BodyLowerer& lowerer, const ast::Expr& expr, std::string name, BoundArguments args)
        : lowerer(lowerer), expr(expr), name(std::move(name)), args_(std::move(args)) {}

    BodyLowerer& lowerer;
    const ast::Expr& expr;
    std::string name;

    SourceLoc loc() const { return expr.loc; }
    bool failed() const { return failed_; }
    bool has(size_t i) const { return args_[i] != nullptr; }
    bool isList(size_t i) const {
        return has(i) && args_[i]->value->as<ast::ListExpr>() != nullptr;
    }
    SourceLoc argLoc(size_t i) const { return has(i) ? args_[i]->value->loc : expr.loc; }
    Reporter& reporter() { return lowerer.reporter(); }
    Operand fail() {
        failed_ = true;
        return Operand::error();
    }
    void error(SourceLoc at, const std::string& message) {
        reporter().error(at, message);
        failed_ = true;
    }

    ir::Value* tensor(size_t i) {
        if (!has(i)) return nullptr;
        ir::Value* value = lowerer.lowerTensor(*args_[i]->value);
        if (!value) failed_ = true;
        return value;
    }
    // A tensor, or a number that will adopt the dtype of the tensor it meets.
    Operand value(size_t i) {
        if (!has(i)) return Operand::error();
        Operand operand = lowerer.lowerExpr(*args_[i]->value);
        if (operand.kind == Operand::Kind::Tuple) {
            error(argLoc(i), "expected a tensor, got a tuple of values");
            return Operand::error();
        }
        if (operand.isError()) failed_ = true;
        return operand;
    }
    // A constant tensor (weights and expressions of weights): conv weights are baked at build time.
    // With acceptRuntimeWeight, also a weight given at run time (dynamic weights and expressions
    // of them), which linear lowers to matmul.
    ir::Value* constantTensor(size_t i, bool acceptRuntimeWeight = false) {
        ir::Value* value = tensor(i);
        if (value && !BodyLowerer::isConstant(value)) {
            const ir::Kernel& kernel = lowerer.context().kernel;
            if (acceptRuntimeWeight && isRuntimeWeight(value, kernel)) return value;
            const ir::DynamicWeight* dynamic = dynamicWeightIn(value, kernel);
            if (dynamic && !acceptRuntimeWeight) {
                error(argLoc(i), constantWeightNeeded(name, dynamic->name));
                return nullptr;
            }
        }
        return constant(value, i, "weight", "use matmul for computed operands");
    }
    // MIL conv takes its bias as a constant too.
    ir::Value* constantBias(size_t i) {
        return constant(tensor(i), i, "bias", "add a computed bias after the " + name);
    }
    std::optional<int64_t> integer(size_t i, std::optional<int64_t> fallback = std::nullopt) {
        if (!has(i)) return fallback;
        auto value = lowerer.evaluator().evalInt(*args_[i]->value, &lowerer.scope());
        if (!value) failed_ = true;
        return value;
    }
    std::optional<std::vector<int64_t>> intList(size_t i,
                                                std::optional<std::vector<int64_t>> fallback = {}) {
        if (!has(i)) return fallback;
        const auto* list = args_[i]->value->as<ast::ListExpr>();
        if (!list) {
            error(argLoc(i),
                  name + " expects a list of integers for '" + paramName(i) + "', as in [1, 2]");
            return std::nullopt;
        }
        std::vector<int64_t> values;
        for (const ast::ExprPtr& element : list->elements) {
            auto value =
                element ? lowerer.evaluator().evalInt(*element, &lowerer.scope()) : std::nullopt;
            if (!value) failed_ = true;
            values.push_back(value.value_or(0));
        }
        if (failed_) return std::nullopt;
        return values;
    }
    std::optional<double> real(size_t i, std::optional<double> fallback = std::nullopt) {
        if (!has(i)) return fallback;
        auto value = lowerer.evaluator().evalReal(*args_[i]->value, &lowerer.scope());
        if (!value) failed_ = true;
        return value;
    }
    std::optional<bool> boolean(size_t i, bool fallback) {
        if (!has(i)) return fallback;
        if (const auto* lit = args_[i]->value->as<ast::BoolLit>()) return lit->value;
        error(argLoc(i), name + " expects true or false for '" + paramName(i) + "'");
        return std::nullopt;
    }
    std::optional<std::string> string(size_t i,
                                      std::optional<std::string> fallback = std::nullopt) {
        if (!has(i)) return fallback;
        if (const auto* lit = args_[i]->value->as<ast::StringLit>()) return lit->value;
        error(argLoc(i), name + " expects a string for '" + paramName(i) + "'");
        return std::nullopt;
    }
    std::optional<ir::DType> dtype(size_t i) {
        if (!has(i)) return std::nullopt;
        const ast::Expr& arg = *args_[i]->value;
        std::string text;
        if (const auto* ref = arg.as<ast::NameRef>()) text = ref->name;
        if (const auto* lit = arg.as<ast::StringLit>()) text = lit->value;
        auto dtype = languageDType(text);
        if (!dtype)
            error(argLoc(i),
                  name + " expects a type (fp16, fp32, int32 or bool) for '" + paramName(i) + "'");
        return dtype;
    }
    std::vector<ir::Value*> tensorList(size_t i) {
        std::vector<ir::Value*> values;
        if (!has(i)) return values;
        const auto* list = args_[i]->value->as<ast::ListExpr>();
        if (!list) {
            error(argLoc(i),
                  name + " expects a list of tensors for '" + paramName(i) + "', as in [a, b]");
            return values;
        }
        for (const ast::ExprPtr& element : list->elements) {
            ir::Value* value = element ? lowerer.lowerTensor(*element) : nullptr;
            if (!value) failed_ = true;
            values.push_back(value);
        }
        if (values.empty()) error(argLoc(i), name + " needs at least one tensor");
        return values;
    }

    void setParamNames(const std::vector<ParamSpec>* params) { params_ = params; }

  private:
    std::string paramName(size_t i) const { return params_ ? (*params_)[i].name : "?"; }

    ir::Value* constant(ir::Value* value, size_t i, const std::string& what,
                        const std::string& hint) {
        if (value && !BodyLowerer::isConstant(value)) {
            error(argLoc(i), name + " needs a constant " + what +
                                 " (a weight or an expression of weights), got a computed " +
                                 value->type.str() + "; " + hint);
            return nullptr;
        }
        return value;
    }

    BoundArguments args_;
    const std::vector<ParamSpec>* params_ = nullptr;
    bool failed_ = false;
};

using LowerFn = std::function<Operand(BuiltinCall&)>;

struct Builtin {
    std::vector<ParamSpec> params;
    LowerFn lower;
};

ParamSpec optional(const char* name) {
    return {name, false};
}

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

LowerFn reduction(const char* kind) {
    return [kind](BuiltinCall& c) {
        ir::Value* x = c.tensor(0);
        auto axes = c.intList(1);
        auto keepDims = c.boolean(2, false);
        if (c.failed()) return c.fail();
        return c.lowerer.createOp(kind, {x}, {{"axes", *axes}, {"keep_dims", *keepDims}}, c.loc());
    };
}

// A number argument is folded (`1 / sqrt(HD)` is a compile-time scale); a tensor gets the op.
std::optional<double> foldUnary(BuiltinCall& c, const std::string& kind, double x) {
    auto domainError = [&](const char* what) -> std::optional<double> {
        c.error(c.loc(), kind + " of " + formatNumber(x, false) + ": " + what);
        return std::nullopt;
    };
    if (kind == "sqrt")
        return x < 0 ? domainError("negative argument") : std::optional<double>(std::sqrt(x));
    if (kind == "exp") return std::exp(x);
    if (kind == "tanh") return std::tanh(x);
    if (kind == "sigmoid") return 1 / (1 + std::exp(-x));
    if (kind == "relu") return x > 0 ? x : 0;
    if (kind == "silu") return x / (1 + std::exp(-x));
    if (kind == "abs") return std::fabs(x);
    return domainError("needs a tensor");
}

LowerFn unary(const char* kind) {
    return [kind](BuiltinCall& c) {
        Operand x = c.value(0);
        if (c.failed()) return c.fail();
        if (x.isNumber()) {
            auto folded = foldUnary(c, kind, x.number);
            if (!folded || !std::isfinite(*folded)) {
                if (folded) c.error(c.loc(), std::string(kind) + " overflows");
                return c.fail();
            }
            return Operand::numberOf(*folded, false);
        }
        return c.lowerer.createOp(kind, {x.value}, {}, c.loc());
    };
}

LowerFn unaryWithEpsilon(const char* kind, double epsilon) {
    return [kind, epsilon](BuiltinCall& c) {
        Operand x = c.value(0);
        auto eps = c.real(1, epsilon);
        if (c.failed()) return c.fail();
        if (!x.isNumber()) return c.lowerer.createOp(kind, {x.value}, {{"epsilon", *eps}}, c.loc());
        double shifted = x.number + *eps;
        if (shifted <= 0) {
            c.error(c.loc(), std::string(kind) + " of " + formatNumber(x.number, x.integral) +
                                 ": argument is not positive");
            return c.fail();
        }
        return Operand::numberOf(
            std::string(kind) == "log" ? std::log(shifted) : 1 / std::sqrt(shifted), false);
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
    auto epsilon = c.real(4, 1e-5);
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
    auto epsilon = c.real(3, 1e-5);
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
        for (const char* kind : {"reduce_sum", "reduce_mean", "reduce_max"})
            t[kind] = {{{"x"}, {"axes"}, optional("keep_dims")}, reduction(kind)};
        for (const char* kind : {"sqrt", "exp", "tanh", "sigmoid", "relu", "silu", "abs"})
            t[kind] = {{{"x"}}, unary(kind)};
        t["rsqrt"] = {{{"x"}, optional("epsilon")}, unaryWithEpsilon("rsqrt", 1e-12)};
        t["log"] = {{{"x"}, optional("epsilon")}, unaryWithEpsilon("log", 1e-45)};
        t["pow"] = {{{"x"}, {"y"}}, binary("pow", "raise")};
        t["maximum"] = {{{"a"}, {"b"}}, binary("maximum", "take the maximum of")};
        t["minimum"] = {{{"a"}, {"b"}}, binary("minimum", "take the minimum of")};
        t["gelu"] = {{{"x"}, optional("mode")}, lowerGelu};
        t["layer_norm"] = {
            {{"x"}, {"axes"}, optional("gamma"), optional("beta"), optional("epsilon")},
            lowerLayerNorm};
        t["rms_norm"] = {{{"x"}, {"axes"}, optional("gamma"), optional("epsilon")}, lowerRmsNorm};
        t["clip"] = {{{"x"}, {"lo"}, {"hi"}}, lowerClip};
        t["select"] = {{{"cond"}, {"a"}, {"b"}}, lowerSelect};
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
        std::vector<std::string> result;
        for (const auto& [name, builtin] : builtins())
            result.push_back(name);
        return result;
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
