// Lowering of expressions: names, literals, operators, calls and `.T`.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "frontend/builtins.hpp"
#include "frontend/dynamic_weights.hpp"
#include "frontend/lowering.hpp"
#include "ir/value_sources.hpp"
#include "support/suggest.hpp"

namespace anec::frontend {

namespace {
struct BinaryOpInfo {
    const char* kind; // the IR op
    const char* verb; // for messages
    const char* spelling;
};

BinaryOpInfo binaryOpInfo(ast::BinaryOp op) {
    switch (op) {
    case ast::BinaryOp::Add:
        return {"add", "add", "+"};
    case ast::BinaryOp::Sub:
        return {"sub", "subtract", "-"};
    case ast::BinaryOp::Mul:
        return {"mul", "multiply", "*"};
    case ast::BinaryOp::Div:
        return {"real_div", "divide", "/"};
    case ast::BinaryOp::Mod:
        return {"", "take the remainder of", "%"};
    case ast::BinaryOp::MatMul:
        return {"matmul", "multiply", "@"};
    case ast::BinaryOp::Lt:
        return {"less", "compare", "<"};
    case ast::BinaryOp::Le:
        return {"less_equal", "compare", "<="};
    case ast::BinaryOp::Gt:
        return {"greater", "compare", ">"};
    case ast::BinaryOp::Ge:
        return {"greater_equal", "compare", ">="};
    case ast::BinaryOp::Eq:
        return {"equal", "compare", "=="};
    case ast::BinaryOp::Ne:
        return {"not_equal", "compare", "!="};
    case ast::BinaryOp::And:
        return {"logical_and", "combine", "and"};
    case ast::BinaryOp::Or:
        return {"logical_or", "combine", "or"};
    }
    return {"add", "add", "?"};
}

// Folds arithmetic between two numbers (literals and consts); `/` is true division here.
Operand foldNumbers(ast::BinaryOp op, const Operand& lhs, const Operand& rhs, SourceLoc loc,
                    Reporter& reporter) {
    bool integral = lhs.integral && rhs.integral;
    double result = 0;
    switch (op) {
    case ast::BinaryOp::Add:
        result = lhs.number + rhs.number;
        break;
    case ast::BinaryOp::Sub:
        result = lhs.number - rhs.number;
        break;
    case ast::BinaryOp::Mul:
        result = lhs.number * rhs.number;
        break;
    case ast::BinaryOp::Div:
        if (rhs.number == 0) {
            reporter.error(loc, "division by zero");
            return Operand::error();
        }
        result = lhs.number / rhs.number;
        integral = integral && result == std::floor(result); // true division, as in Python
        break;
    case ast::BinaryOp::Mod:
        if (rhs.number == 0) {
            reporter.error(loc, "division by zero");
            return Operand::error();
        }
        result =
            lhs.number - std::floor(lhs.number / rhs.number) * rhs.number; // Python's sign rule
        break;
    default:
        reporter.error(loc, std::string("'") + binaryOpInfo(op).spelling +
                                "' needs tensor operands, got two numbers");
        return Operand::error();
    }
    if (!std::isfinite(result)) {
        reporter.error(loc, "numeric overflow in constant arithmetic");
        return Operand::error();
    }
    return Operand::numberOf(result, integral && std::fabs(result) < 9007199254740992.0);
}
} // namespace

void nameValue(ir::Value* value, const std::string& name) {
    if (!value || !value->definingOp || value->definingOp->isConst()) return;
    value->name = name;
    if (value->definingOp->results.size() == 1) value->definingOp->name = name;
}

bool BodyLowerer::isConstant(const ir::Value* value) {
    bool constant = true;
    ir::forEachSource(value, [&](const ir::Value* v) {
        constant = v->definingOp != nullptr; // a kernel input is not a constant
        return constant;
    });
    return constant;
}

bool BodyLowerer::defineLocal(const std::string& name, SourceLoc loc, LocalBinding binding) {
    SourceLoc previous;
    if (const LocalBinding* local = scope_.find(name))
        previous = local->loc;
    else if (binding.kind == LocalBinding::Kind::Input && isDynamicWeight(globals(), name)) {
        // Bound anyway (as an error), so that its uses report nothing more.
        binding.operand = Operand::error();
        scope_.define(name, std::move(binding));
        return reportInputNamedLikeDynamicWeight(globals(), reporter(), name, loc);
    } else if (globals().defines(name))
        previous = globals().definitions.at(name);
    else {
        scope_.define(name, std::move(binding));
        return true;
    }
    if (reporter().error(loc, "'" + name + "' is already defined") && previous.valid())
        reporter().note(previous, "previous definition is here");
    return false;
}

Operand BodyLowerer::createOp(const std::string& kind, std::vector<ir::Value*> operands,
                              ir::AttrMap attrs, SourceLoc loc) {
    ir::Op* op = createMultiOp(kind, std::move(operands), std::move(attrs), loc);
    if (!op) return Operand::error();
    if (op->results.size() != 1) {
        reporter().error(loc, kind + " produces " + std::to_string(op->results.size()) + " values");
        return Operand::error();
    }
    return Operand::tensor(op->result());
}

ir::Op* BodyLowerer::createMultiOp(const std::string& kind, std::vector<ir::Value*> operands,
                                   ir::AttrMap attrs, SourceLoc loc) {
    // Ops of constants only are built once per kernel: a table that several calls compute (the
    // RoPE angles of every layer) is then folded once at build time.
    bool constant = std::all_of(operands.begin(), operands.end(), [&](const ir::Value* v) {
        return !v ||
               (v->definingOp && (v->definingOp->isConst() || ctx_.constantValues.count(v) != 0));
    });
    // Scalar constants of equal value count as one (each number makes its own const op).
    std::vector<ir::Value*> canonical;
    for (ir::Value* v : operands) {
        auto same = ctx_.canonicalScalars.find(v);
        canonical.push_back(same == ctx_.canonicalScalars.end() ? v : same->second);
    }
    KernelContext::OpKey key{kind, std::move(canonical), attrs};
    if (constant)
        if (auto known = ctx_.constantOps.find(key); known != ctx_.constantOps.end())
            return known->second;
    auto op = ctx_.builder.create(kind, std::move(operands), std::move(attrs), loc);
    if (!op) {
        reporter().error(loc, op.error());
        return nullptr;
    }
    if (constant) {
        ctx_.constantOps.emplace(std::move(key), *op);
        for (const auto& result : (*op)->results)
            ctx_.constantValues.insert(result.get());
    }
    return *op;
}

ir::Value* BodyLowerer::materialize(const Operand& number, ir::DType dtype, SourceLoc loc) {
    std::string text = formatNumber(number.number, number.integral);
    if (dtype == ir::DType::Bool) {
        reporter().error(loc, "cannot use the number " + text + " with a bool tensor");
        return nullptr;
    }
    if (ir::isInteger(dtype) && number.number != std::floor(number.number)) {
        reporter().error(loc, "cannot use " + text + " with an " +
                                  std::string(ir::dtypeName(dtype)) + " tensor");
        return nullptr;
    }
    auto data = std::make_shared<const ir::ConstData>(
        ir::ConstData::splat(ir::TensorType{dtype, {}}, number.number));
    ir::Value* value = ctx_.builder.createConst(std::move(data), loc);
    auto first = ctx_.scalars.emplace(std::pair(dtype, number.number), value).first;
    ctx_.canonicalScalars.emplace(value, first->second);
    return value;
}

Operand BodyLowerer::binaryOp(const std::string& kind, const Operand& lhs, const Operand& rhs,
                              SourceLoc loc, const std::string& verb) {
    if (lhs.isError() || rhs.isError()) return Operand::error();
    if (lhs.kind == Operand::Kind::Tuple || rhs.kind == Operand::Kind::Tuple) {
        reporter().error(loc, "cannot " + verb + " a tuple of values");
        return Operand::error();
    }
    if (lhs.isNumber() && rhs.isNumber()) {
        reporter().error(loc, kind + " needs at least one tensor operand");
        return Operand::error();
    }
    ir::Value* x = lhs.isTensor() ? lhs.value : materialize(lhs, rhs.value->type.dtype, loc);
    ir::Value* y = rhs.isTensor() ? rhs.value : materialize(rhs, lhs.value->type.dtype, loc);
    if (!x || !y) return Operand::error();
    return createOp(kind, {x, y}, {}, loc);
}

ir::Value* BodyLowerer::lowerTensor(const ast::Expr& expr) {
    Operand operand = lowerExpr(expr);
    switch (operand.kind) {
    case Operand::Kind::Tensor:
        return operand.value;
    case Operand::Kind::Error:
        return nullptr;
    case Operand::Kind::Number:
        reporter().error(expr.loc, "expected a tensor, got the number " +
                                       formatNumber(operand.number, operand.integral));
        return nullptr;
    case Operand::Kind::Tuple:
        reporter().error(expr.loc, "expected a tensor, got a tuple of " +
                                       std::to_string(operand.values.size()) + " values");
        return nullptr;
    }
    return nullptr;
}

Operand BodyLowerer::lowerExpr(const ast::Expr& expr) {
    if (const auto* lit = expr.as<ast::IntLit>())
        return Operand::numberOf(static_cast<double>(lit->value), true);
    if (const auto* lit = expr.as<ast::FloatLit>()) return Operand::numberOf(lit->value, false);
    if (const auto* ref = expr.as<ast::NameRef>()) return lowerName(expr, ref->name);
    if (const auto* unary = expr.as<ast::UnaryExpr>()) return lowerUnary(expr, *unary);
    if (const auto* binary = expr.as<ast::BinaryExpr>()) return lowerBinary(expr, *binary);
    if (const auto* call = expr.as<ast::CallExpr>()) return lowerCall(expr, *call);
    if (const auto* index = expr.as<ast::IndexExpr>()) return lowerSubscript(expr, *index);
    if (const auto* member = expr.as<ast::MemberExpr>()) return lowerMember(expr, *member);
    if (expr.as<ast::BoolLit>())
        reporter().error(expr.loc, "'true' and 'false' can only be builtin arguments");
    else if (expr.as<ast::StringLit>())
        reporter().error(expr.loc, "a string can only be a builtin argument");
    else if (expr.as<ast::ListExpr>())
        reporter().error(expr.loc, "a list can only be a builtin argument");
    return Operand::error();
}

Operand BodyLowerer::lowerName(const ast::Expr& expr, const std::string& name) {
    if (LocalBinding* local = scope_.find(name)) {
        if (local->kind == LocalBinding::Kind::Output && !local->assigned) {
            reporter().error(expr.loc, "output '" + name + "' is used before it is assigned");
            return Operand::error();
        }
        return local->operand;
    }
    const Globals& g = globals();
    if (g.consts.count(name)) {
        auto value = evaluator().constValue(name);
        return value ? Operand::numberOf(static_cast<double>(*value), true) : Operand::error();
    }
    if (g.weights.count(name)) return lowerWeight(name, expr.loc);
    if (g.poisoned.count(name)) return Operand::error();
    if (auto array = g.arrays.find(name); array != g.arrays.end())
        reporter().error(expr.loc,
                         "'" + name + "' is an array; use one element, as in '" + name + "[0]'");
    else if (g.fns.count(name))
        reporter().error(expr.loc, "function '" + name +
                                       "' cannot be used as a value; call it as " + name + "(...)");
    else if (g.kernels.count(name))
        reporter().error(expr.loc, "kernel '" + name + "' cannot be used as a value; call it as " +
                                       name + "(...)");
    else if (g.modules.count(name))
        reporter().error(expr.loc, "'" + name +
                                       "' is an imported file; use one of its names, as "
                                       "in '" +
                                       name + ".NAME'");
    else if (languageDType(name))
        reporter().error(expr.loc, "type '" + name +
                                       "' can only be a builtin argument, as in cast(x, " + name +
                                       ")");
    else if (isBuiltinName(name))
        reporter().error(expr.loc, "builtin '" + name + "' cannot be used as a value; call it as " +
                                       name + "(...)");
    else
        reportUndeclared(expr.loc, name, "name", scope_.visibleNames());
    return Operand::error();
}

void BodyLowerer::reportUndeclared(SourceLoc loc, const std::string& name, const std::string& what,
                                   const std::vector<std::string>& extra) {
    std::vector<std::string> candidates = extra;
    std::vector<std::string> names = globals().names();
    candidates.insert(candidates.end(), names.begin(), names.end());
    std::string message = what == "function" ? "call to undeclared function '" + name + "'"
                                             : "use of undeclared " + what + " '" + name + "'";
    reporter().error(loc, message + didYouMean(name, candidates));
}

std::optional<Operand> BodyLowerer::lowerArrayElement(const ast::Expr& expr,
                                                      const ast::IndexExpr& index) {
    const auto* ref = index.base->as<ast::NameRef>();
    if (!ref || scope_.find(ref->name)) return std::nullopt;
    auto array = globals().arrays.find(ref->name);
    if (array == globals().arrays.end()) return std::nullopt;
    if (array->second.kind != ArrayEntry::Kind::Weight) {
        reporter().error(expr.loc, "'" + ref->name +
                                       "' is an array of kernels; call an element, "
                                       "as in '" +
                                       ref->name + "[0](...)'");
        return Operand::error();
    }
    for (const ast::SliceItem& item : index.items) {
        if (item.kind != ast::SliceItem::Kind::Index) {
            reporter().error(item.loc, "an element of weight array '" + ref->name +
                                           "' is chosen by integers, as in '" + ref->name + "[l]'");
            return Operand::error();
        }
    }
    std::vector<int64_t> values;
    for (const ast::SliceItem& item : index.items) {
        auto value = evaluator().evalInt(*item.index, &scope_);
        if (!value) return Operand::error();
        values.push_back(*value);
    }
    auto element = array->second.elements.find(values);
    if (element == array->second.elements.end()) {
        reporter().error(expr.loc, "weight array '" + ref->name + "' has no element " +
                                       elementName(ref->name, values));
        return Operand::error();
    }
    return lowerWeight(element->second, expr.loc);
}

Operand BodyLowerer::lowerWeight(const std::string& name, SourceLoc loc) {
    auto cached = ctx_.weightValues.find(name);
    if (cached != ctx_.weightValues.end()) return Operand::tensor(cached->second);
    const WeightEntry& entry = globals().weights.at(name);
    if (!entry.data) return Operand::error(); // the declaration's error was reported
    ir::Value* value = isDynamicWeight(globals(), name)
                           ? addDynamicWeightInput(ctx_.kernel, name, entry.data)
                           : ctx_.builder.createConst(entry.data, loc, name);
    ctx_.weightValues.emplace(name, value);
    return Operand::tensor(value);
}

Operand BodyLowerer::lowerUnary(const ast::Expr& expr, const ast::UnaryExpr& unary) {
    if (!unary.operand) return Operand::error();
    Operand operand = lowerExpr(*unary.operand);
    if (operand.isError()) return operand;
    if (unary.op == ast::UnaryOp::Neg) {
        if (operand.isNumber()) return Operand::numberOf(-operand.number, operand.integral);
        if (operand.isTensor() && operand.value->type.dtype == ir::DType::Bool) {
            reporter().error(expr.loc, "cannot negate " + operand.value->type.str());
            return Operand::error();
        }
        return binaryOp("mul", operand, Operand::numberOf(-1, true), expr.loc, "negate");
    }
    if (!operand.isTensor() || operand.value->type.dtype != ir::DType::Bool) {
        reporter().error(expr.loc, "'not' needs a bool tensor (or a condition, in an assert)");
        return Operand::error();
    }
    return createOp("logical_not", {operand.value}, {}, expr.loc);
}

Operand BodyLowerer::lowerBinary(const ast::Expr& expr, const ast::BinaryExpr& binary) {
    if (!binary.lhs || !binary.rhs) return Operand::error();
    Operand lhs = lowerExpr(*binary.lhs);
    Operand rhs = lowerExpr(*binary.rhs);
    if (lhs.isError() || rhs.isError()) return Operand::error();
    BinaryOpInfo info = binaryOpInfo(binary.op);
    if (lhs.isNumber() && rhs.isNumber())
        return foldNumbers(binary.op, lhs, rhs, expr.loc, reporter());
    if (binary.op == ast::BinaryOp::Mod) {
        reporter().error(expr.loc, "'%' is only defined between constants");
        return Operand::error();
    }
    if (binary.op == ast::BinaryOp::And || binary.op == ast::BinaryOp::Or) {
        bool boolTensors = lhs.isTensor() && rhs.isTensor() &&
                           lhs.value->type.dtype == ir::DType::Bool &&
                           rhs.value->type.dtype == ir::DType::Bool;
        if (!boolTensors) {
            reporter().error(expr.loc,
                             std::string("'") + info.spelling +
                                 "' needs two bool tensors (or conditions, in an assert)");
            return Operand::error();
        }
    }
    if (binary.op == ast::BinaryOp::MatMul) {
        if (!lhs.isTensor() || !rhs.isTensor()) {
            reporter().error(expr.loc, "'@' needs two tensors");
            return Operand::error();
        }
        return createOp("matmul", {lhs.value, rhs.value},
                        {{"transpose_x", false}, {"transpose_y", false}}, expr.loc);
    }
    return binaryOp(info.kind, lhs, rhs, expr.loc, info.verb);
}

Operand BodyLowerer::lowerCall(const ast::Expr& expr, const ast::CallExpr& call) {
    if (!call.module.empty()) return lowerQualifiedCall(expr, call);
    const Globals& g = globals();
    if (!call.element.empty()) {
        auto array = g.arrays.find(call.callee);
        if (array == g.arrays.end() || array->second.kind != ArrayEntry::Kind::Kernel) {
            if (array == g.arrays.end()) {
                std::vector<std::string> arrays;
                for (const auto& [name, entry] : g.arrays)
                    arrays.push_back(name);
                reporter().error(expr.loc, "use of undeclared kernel array '" + call.callee + "'" +
                                               didYouMean(call.callee, arrays));
            } else
                reporter().error(expr.loc, "'" + call.callee + "' is not an array of kernels");
            return Operand::error();
        }
        auto index = evaluator().evalIndex(call.element, &scope_);
        if (!index) return Operand::error();
        auto element = array->second.elements.find(*index);
        if (element == array->second.elements.end()) {
            reporter().error(expr.loc, "kernel array '" + call.callee + "' has no element " +
                                           elementName(call.callee, *index));
            return Operand::error();
        }
        return inlineKernel(expr, call, g.kernels.at(element->second));
    }
    if (auto fn = g.fns.find(call.callee); fn != g.fns.end())
        return inlineCall(expr, call, fn->second);
    if (auto kernel = g.kernels.find(call.callee); kernel != g.kernels.end())
        return inlineKernel(expr, call, kernel->second);
    if (isBuiltinName(call.callee)) return lowerBuiltinCall(*this, expr, call);
    if (g.poisoned.count(call.callee)) return Operand::error();
    if (g.fusions.count(call.callee))
        reporter().error(expr.loc, "fused kernel '" + call.callee +
                                       "' cannot be called; call the kernels it fuses");
    else if (g.arrays.count(call.callee))
        reporter().error(expr.loc, "'" + call.callee + "' is an array; call one element, as in '" +
                                       call.callee + "[0](...)'");
    else if (scope_.find(call.callee) || g.defines(call.callee))
        reporter().error(expr.loc, "'" + call.callee + "' is not a function");
    else
        reportUndeclared(expr.loc, call.callee, "function", builtinNames());
    return Operand::error();
}

// `nn.rms_norm(x)`: a function of the file imported as `nn`.
Operand BodyLowerer::lowerQualifiedCall(const ast::Expr& expr, const ast::CallExpr& call) {
    auto module = globals().modules.find(call.module);
    if (module == globals().modules.end()) {
        if (scope_.find(call.module) || globals().defines(call.module))
            reporter().error(expr.loc, "'" + call.module + "' is not an imported file");
        else
            reportUndeclared(expr.loc, call.module, "name", scope_.visibleNames());
        return Operand::error();
    }
    if (!module->second) return Operand::error(); // the file has errors (reported)
    const Globals& imported = module->second->globals;
    auto fn = imported.fns.find(call.callee);
    if (fn == imported.fns.end() || !call.element.empty()) {
        std::vector<std::string> names;
        for (const auto& [name, entry] : imported.fns)
            names.push_back(name);
        reporter().error(expr.loc, "'" + module->second->name + "' has no function '" +
                                       call.callee + "'" + didYouMean(call.callee, names));
        return Operand::error();
    }
    return inlineCall(expr, call, fn->second);
}

Operand BodyLowerer::lowerMember(const ast::Expr& expr, const ast::MemberExpr& member) {
    if (!member.base) return Operand::error();
    if (const auto* ref = member.base->as<ast::NameRef>();
        ref && !scope_.find(ref->name) && globals().modules.count(ref->name)) {
        auto value = evaluator().evalInt(expr, &scope_); // nn.HD: a constant of the module
        return value ? Operand::numberOf(static_cast<double>(*value), true) : Operand::error();
    }
    ir::Value* base = lowerTensor(*member.base);
    if (member.member == "shape") {
        reporter().error(expr.loc, "'.shape' is used with one dimension, as in 'x.shape[1]'");
        return Operand::error();
    }
    if (member.member != "T") {
        reporter().error(expr.loc, "unknown member '." + member.member +
                                       "' (a tensor has .T and .shape[i])" +
                                       didYouMean(member.member, {"T", "shape"}));
        return Operand::error();
    }
    if (!base) return Operand::error();
    size_t rank = base->type.rank();
    if (rank < 2) {
        reporter().error(expr.loc,
                         "'.T' needs a tensor of rank 2 or more, got " + base->type.str());
        return Operand::error();
    }
    std::vector<int64_t> perm;
    for (size_t i = 0; i < rank; ++i)
        perm.push_back(static_cast<int64_t>(i));
    std::swap(perm[rank - 1], perm[rank - 2]);
    return createOp("transpose", {base}, {{"perm", perm}}, expr.loc);
}

} // namespace anec::frontend
