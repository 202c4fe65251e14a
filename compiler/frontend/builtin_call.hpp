#pragma once
// What the builtin lowerings share (builtins*.cpp): the arguments of one call with typed
// accessors, and the table entry of a builtin.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frontend/arguments.hpp"
#include "frontend/dynamic_weights.hpp"
#include "frontend/lowering.hpp"

namespace anec::frontend {

// The default epsilon of log, rsqrt and the norms: 2^-14, the smallest normal fp16 number. MIL
// writes epsilon in the op's dtype, so smaller defaults (MIL's 1e-45 and 1e-12) become 0 in fp16,
// and subnormals (1e-5) may be flushed to 0 by the hardware: log(0) = -inf, rsqrt(0) = inf.
constexpr double kSafeEpsilon = 0x1p-14;

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
    bool isBoolLiteral(size_t i) const {
        return has(i) && args_[i]->value->as<ast::BoolLit>() != nullptr;
    }
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

    // A number (a literal or constant expression), with its integrality; an error for tensors.
    std::optional<Operand> number(size_t i) {
        if (!has(i)) return std::nullopt;
        Operand operand = value(i);
        if (operand.isError()) return std::nullopt;
        if (!operand.isNumber()) {
            error(argLoc(i), name + " expects a number for '" + paramName(i) + "', got a tensor");
            return std::nullopt;
        }
        return operand;
    }
    // A tensor, or a number made a scalar constant of `dtype`.
    ir::Value* tensorOrNumber(size_t i, ir::DType dtype) {
        if (!has(i)) return nullptr;
        Operand operand = value(i);
        if (operand.isError()) return nullptr;
        if (operand.isTensor()) return operand.value;
        ir::Value* scalar = lowerer.materialize(operand, dtype, argLoc(i));
        if (!scalar) failed_ = true;
        return scalar;
    }
    // An int32 constant made from integers, e.g. gather indices written [3, 1, 4].
    ir::Value* int32Constant(const std::vector<int64_t>& values, bool asScalar = false) {
        ir::TensorType type{ir::DType::Int32, {}};
        if (!asScalar) type.shape = {static_cast<int64_t>(values.size())};
        std::vector<double> doubles(values.begin(), values.end());
        return lowerer.context().builder.createConst(
            std::make_shared<const ir::ConstData>(ir::ConstData::fromDoubles(type, doubles)),
            loc());
    }
    // A type name (`int8`, "uint8", ...) among `allowed`.
    std::optional<ir::DType> typeName(size_t i, const std::vector<ir::DType>& allowed) {
        if (!has(i)) return std::nullopt;
        const ast::Expr& arg = *args_[i]->value;
        std::string text;
        if (const auto* ref = arg.as<ast::NameRef>()) text = ref->name;
        if (const auto* lit = arg.as<ast::StringLit>()) text = lit->value;
        auto dtype = ir::parseDType(text);
        if (dtype && std::find(allowed.begin(), allowed.end(), *dtype) != allowed.end())
            return dtype;
        std::string names;
        for (size_t k = 0; k < allowed.size(); ++k)
            names += std::string(k == 0                    ? ""
                                 : k + 1 == allowed.size() ? " or "
                                                           : ", ") +
                     std::string(ir::dtypeName(allowed[k]));
        error(argLoc(i), name + " expects " + names + " for '" + paramName(i) + "'");
        return std::nullopt;
    }

    void setParamNames(const std::vector<ParamSpec>* params) { params_ = params; }
    std::string paramName(size_t i) const { return params_ ? (*params_)[i].name : "?"; }

  private:
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

inline ParamSpec optional(const char* name) {
    return {name, false};
}

// Registration of the builtin families defined outside builtins.cpp.
void addMathBuiltins(std::map<std::string, Builtin>& table);   // builtins_math.cpp
void addTensorBuiltins(std::map<std::string, Builtin>& table); // builtins_tensor.cpp

} // namespace anec::frontend
