// Compile-time evaluation of integer and real constant expressions and of tensor types.
#include <cmath>
#include <limits>

#include "frontend/sema.hpp"
#include "ir/types.hpp"
#include "support/checked_math.hpp"
#include "support/suggest.hpp"

namespace anec::frontend {

namespace {
// Python semantics: the quotient rounds toward negative infinity.
int64_t floorDiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

const char* binaryOpSpelling(ast::BinaryOp op) {
    switch (op) {
    case ast::BinaryOp::Add:
        return "+";
    case ast::BinaryOp::Sub:
        return "-";
    case ast::BinaryOp::Mul:
        return "*";
    case ast::BinaryOp::Div:
        return "/";
    case ast::BinaryOp::Mod:
        return "%";
    case ast::BinaryOp::MatMul:
        return "@";
    case ast::BinaryOp::Lt:
        return "<";
    case ast::BinaryOp::Le:
        return "<=";
    case ast::BinaryOp::Gt:
        return ">";
    case ast::BinaryOp::Ge:
        return ">=";
    case ast::BinaryOp::Eq:
        return "==";
    case ast::BinaryOp::Ne:
        return "!=";
    case ast::BinaryOp::And:
        return "and";
    case ast::BinaryOp::Or:
        return "or";
    }
    return "?";
}
} // namespace

std::optional<int64_t> ConstEvaluator::constValue(const std::string& name) {
    auto it = globals_.consts.find(name);
    if (it == globals_.consts.end()) return std::nullopt;
    ConstEntry& entry = it->second;
    switch (entry.state) {
    case ConstEntry::State::Done:
        return entry.value;
    case ConstEntry::State::Failed:
        return std::nullopt;
    case ConstEntry::State::Evaluating:
        reporter_.error(entry.decl->loc, "constant '" + name + "' depends on itself");
        entry.state = ConstEntry::State::Failed;
        return std::nullopt;
    case ConstEntry::State::Pending:
        break;
    }
    entry.state = ConstEntry::State::Evaluating;
    auto value = entry.decl->value ? evalInt(*entry.decl->value) : std::nullopt;
    if (entry.state == ConstEntry::State::Failed) return std::nullopt; // a cycle was found inside
    entry.state = value ? ConstEntry::State::Done : ConstEntry::State::Failed;
    entry.value = value.value_or(0);
    return value;
}

std::optional<int64_t> ConstEvaluator::evalInt(const ast::Expr& expr, const Scope* scope) {
    if (const auto* lit = expr.as<ast::IntLit>()) return lit->value;
    if (const auto* lit = expr.as<ast::FloatLit>()) {
        reporter_.error(expr.loc, "expected an integer, got '" + lit->text + "'");
        return std::nullopt;
    }
    if (const auto* ref = expr.as<ast::NameRef>()) return evalIntName(expr, ref->name, scope);
    if (const auto* index = expr.as<ast::IndexExpr>()) return evalShapeQuery(expr, *index, scope);
    if (const auto* member = expr.as<ast::MemberExpr>()) return evalQualified(expr, *member);
    if (const auto* unary = expr.as<ast::UnaryExpr>()) {
        if (unary->op != ast::UnaryOp::Neg || !unary->operand) {
            reporter_.error(expr.loc, "expected an integer constant expression");
            return std::nullopt;
        }
        auto value = evalInt(*unary->operand, scope);
        if (!value) return std::nullopt;
        if (*value == std::numeric_limits<int64_t>::min()) {
            reporter_.error(expr.loc, "integer overflow in constant expression");
            return std::nullopt;
        }
        return -*value;
    }
    if (const auto* binary = expr.as<ast::BinaryExpr>()) return evalIntBinary(expr, *binary, scope);
    reporter_.error(expr.loc, "expected an integer constant expression");
    return std::nullopt;
}

std::optional<int64_t> ConstEvaluator::evalIntName(const ast::Expr& expr, const std::string& name,
                                                   const Scope* scope) {
    if (scope) {
        if (const LocalBinding* local = scope->find(name)) {
            const Operand& operand = local->operand;
            if (operand.isError()) return std::nullopt;
            if (operand.isNumber() && operand.integral) return static_cast<int64_t>(operand.number);
            reporter_.error(expr.loc, "'" + name + "' is not an integer constant");
            return std::nullopt;
        }
    }
    if (globals_.consts.count(name)) return constValue(name);
    if (globals_.poisoned.count(name)) return std::nullopt;
    if (globals_.defines(name))
        reporter_.error(expr.loc, "'" + name + "' is not an integer constant");
    else
        reportUndeclared(expr.loc, name, scope);
    return std::nullopt;
}

void ConstEvaluator::reportUndeclared(SourceLoc loc, const std::string& name, const Scope* scope) {
    std::vector<std::string> candidates = globals_.names();
    if (scope) {
        std::vector<std::string> locals = scope->visibleNames();
        candidates.insert(candidates.begin(), locals.begin(), locals.end());
    }
    reporter_.error(loc, "use of undeclared name '" + name + "'" + didYouMean(name, candidates));
}

// `x.shape[i]`: a dimension of a local tensor (negative i counts from the end).
std::optional<int64_t> ConstEvaluator::evalShapeQuery(const ast::Expr& expr,
                                                      const ast::IndexExpr& index,
                                                      const Scope* scope) {
    const auto* member = index.base ? index.base->as<ast::MemberExpr>() : nullptr;
    const auto* base = member && member->base ? member->base->as<ast::NameRef>() : nullptr;
    if (!member || member->member != "shape" || index.items.size() != 1 ||
        index.items[0].kind != ast::SliceItem::Kind::Index || !index.items[0].index) {
        reporter_.error(expr.loc, "expected an integer constant expression (a subscript here "
                                  "can only be x.shape[i])");
        return std::nullopt;
    }
    const LocalBinding* local = base && scope ? scope->find(base->name) : nullptr;
    if (!local) {
        reporter_.error(member->base->loc, "'.shape' needs the name of a tensor here");
        return std::nullopt;
    }
    if (local->operand.isError()) return std::nullopt;
    if (!local->operand.isTensor()) {
        reporter_.error(member->base->loc, "'" + base->name + "' is not a tensor");
        return std::nullopt;
    }
    auto axis = evalInt(*index.items[0].index, scope);
    if (!axis) return std::nullopt;
    const ir::TensorType& type = local->operand.value->type;
    auto dim = ir::normalizeAxis(*axis, type.rank());
    if (!dim) {
        reporter_.error(index.items[0].loc,
                        "axis " + std::to_string(*axis) + " is out of range for " + type.str());
        return std::nullopt;
    }
    return type.shape[*dim];
}

// `nn.HD`: a constant of the module imported as `nn`.
std::optional<int64_t> ConstEvaluator::evalQualified(const ast::Expr& expr,
                                                     const ast::MemberExpr& member) {
    const auto* base = member.base ? member.base->as<ast::NameRef>() : nullptr;
    auto module = base ? globals_.modules.find(base->name) : globals_.modules.end();
    if (module == globals_.modules.end()) {
        reporter_.error(expr.loc, "expected an integer constant expression");
        return std::nullopt;
    }
    if (!module->second) return std::nullopt; // the file has errors (reported)
    ConstEvaluator& other = *module->second->evaluator;
    if (!module->second->globals.consts.count(member.member)) {
        reporter_.error(expr.loc, "'" + module->second->name + "' has no constant '" +
                                      member.member + "'" +
                                      didYouMean(member.member, module->second->globals.names()));
        return std::nullopt;
    }
    return other.constValue(member.member);
}

std::optional<bool> ConstEvaluator::evalCondition(const ast::Expr& expr, const Scope* scope) {
    if (const auto* lit = expr.as<ast::BoolLit>()) return lit->value;
    if (const auto* unary = expr.as<ast::UnaryExpr>(); unary && unary->op == ast::UnaryOp::Not) {
        auto value = unary->operand ? evalCondition(*unary->operand, scope) : std::nullopt;
        return value ? std::optional<bool>(!*value) : std::nullopt;
    }
    const auto* binary = expr.as<ast::BinaryExpr>();
    if (!binary || !binary->lhs || !binary->rhs) {
        reporter_.error(expr.loc, "expected a condition, such as 'DIM % HEADS == 0'");
        return std::nullopt;
    }
    if (binary->op == ast::BinaryOp::And || binary->op == ast::BinaryOp::Or) {
        auto lhs = evalCondition(*binary->lhs, scope);
        auto rhs = evalCondition(*binary->rhs, scope);
        if (!lhs || !rhs) return std::nullopt;
        return binary->op == ast::BinaryOp::And ? (*lhs && *rhs) : (*lhs || *rhs);
    }
    auto lhs = evalInt(*binary->lhs, scope);
    auto rhs = evalInt(*binary->rhs, scope);
    if (!lhs || !rhs) return std::nullopt;
    switch (binary->op) {
    case ast::BinaryOp::Lt:
        return *lhs < *rhs;
    case ast::BinaryOp::Le:
        return *lhs <= *rhs;
    case ast::BinaryOp::Gt:
        return *lhs > *rhs;
    case ast::BinaryOp::Ge:
        return *lhs >= *rhs;
    case ast::BinaryOp::Eq:
        return *lhs == *rhs;
    case ast::BinaryOp::Ne:
        return *lhs != *rhs;
    default:
        reporter_.error(expr.loc, "expected a condition, such as 'DIM % HEADS == 0'");
        return std::nullopt;
    }
}

std::optional<std::vector<int64_t>>
ConstEvaluator::evalIndex(const std::vector<ast::ExprPtr>& index, const Scope* scope) {
    std::vector<int64_t> values;
    bool ok = true;
    for (const ast::ExprPtr& part : index) {
        std::optional<int64_t> value = part ? evalInt(*part, scope) : std::nullopt;
        if (!value) {
            ok = false;
            continue;
        }
        if (*value < 0) {
            reporter_.error(part->loc,
                            "an element index must not be negative, got " + std::to_string(*value));
            ok = false;
            continue;
        }
        values.push_back(*value);
    }
    if (!ok) return std::nullopt;
    return values;
}

std::optional<std::string> ConstEvaluator::formatString(const std::string& text, SourceLoc loc,
                                                        const Scope* scope) {
    std::string result;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            result += c;
            ++i;
            continue;
        }
        if (c == '}') {
            reporter_.error(loc, "unmatched '}' in \"" + text + "\" (write '}}' for a brace)");
            return std::nullopt;
        }
        if (c != '{') {
            result += c;
            continue;
        }
        size_t close = text.find('}', i);
        if (close == std::string::npos) {
            reporter_.error(loc, "unmatched '{' in \"" + text + "\" (write '{{' for a brace)");
            return std::nullopt;
        }
        std::string name = text.substr(i + 1, close - i - 1);
        ast::Expr ref{loc, ast::NameRef{name}};
        auto value = evalIntName(ref, name, scope);
        if (!value) return std::nullopt;
        result += std::to_string(*value);
        i = close;
    }
    return result;
}

std::optional<int64_t> ConstEvaluator::evalIntBinary(const ast::Expr& expr,
                                                     const ast::BinaryExpr& binary,
                                                     const Scope* scope) {
    if (!binary.lhs || !binary.rhs) return std::nullopt;
    auto lhs = evalInt(*binary.lhs, scope);
    auto rhs = evalInt(*binary.rhs, scope);
    if (!lhs || !rhs) return std::nullopt;
    int64_t a = *lhs, b = *rhs, result = 0;
    bool overflow = false;
    switch (binary.op) {
    case ast::BinaryOp::Add:
        overflow = __builtin_add_overflow(a, b, &result);
        break;
    case ast::BinaryOp::Sub:
        overflow = __builtin_sub_overflow(a, b, &result);
        break;
    case ast::BinaryOp::Mul:
        overflow = __builtin_mul_overflow(a, b, &result);
        break;
    case ast::BinaryOp::Div:
        if (b == 0) {
            reporter_.error(expr.loc, "division by zero in constant expression");
            return std::nullopt;
        }
        overflow = a == std::numeric_limits<int64_t>::min() && b == -1;
        if (!overflow) result = floorDiv(a, b);
        break;
    case ast::BinaryOp::Mod:
        if (b == 0) {
            reporter_.error(expr.loc, "division by zero in constant expression");
            return std::nullopt;
        }
        result = a == std::numeric_limits<int64_t>::min() && b == -1 ? 0 : a - floorDiv(a, b) * b;
        break;
    default:
        reporter_.error(expr.loc, std::string("operator '") + binaryOpSpelling(binary.op) +
                                      "' is not allowed in an integer constant expression");
        return std::nullopt;
    }
    if (overflow) {
        reporter_.error(expr.loc, "integer overflow in constant expression");
        return std::nullopt;
    }
    return result;
}

std::optional<double> ConstEvaluator::evalReal(const ast::Expr& expr, const Scope* scope) {
    if (const auto* lit = expr.as<ast::IntLit>()) return static_cast<double>(lit->value);
    if (const auto* lit = expr.as<ast::FloatLit>()) return lit->value;
    if (const auto* ref = expr.as<ast::NameRef>()) return evalRealName(expr, ref->name, scope);
    if (const auto* call = expr.as<ast::CallExpr>()) return evalRealCall(expr, *call, scope);
    if (expr.as<ast::IndexExpr>() || expr.as<ast::MemberExpr>()) {
        auto value = evalInt(expr, scope);
        return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
    }
    if (const auto* unary = expr.as<ast::UnaryExpr>()) {
        if (unary->op != ast::UnaryOp::Neg || !unary->operand) {
            reporter_.error(expr.loc, "expected a numeric constant expression");
            return std::nullopt;
        }
        auto value = evalReal(*unary->operand, scope);
        return value ? std::optional<double>(-*value) : std::nullopt;
    }
    if (const auto* binary = expr.as<ast::BinaryExpr>()) {
        if (!binary->lhs || !binary->rhs) return std::nullopt;
        auto lhs = evalReal(*binary->lhs, scope);
        auto rhs = evalReal(*binary->rhs, scope);
        if (!lhs || !rhs) return std::nullopt;
        switch (binary->op) {
        case ast::BinaryOp::Add:
            return *lhs + *rhs;
        case ast::BinaryOp::Sub:
            return *lhs - *rhs;
        case ast::BinaryOp::Mul:
            return *lhs * *rhs;
        case ast::BinaryOp::Div:
            if (*rhs == 0) {
                reporter_.error(expr.loc, "division by zero in constant expression");
                return std::nullopt;
            }
            return *lhs / *rhs;
        case ast::BinaryOp::Mod:
            if (*rhs == 0) {
                reporter_.error(expr.loc, "division by zero in constant expression");
                return std::nullopt;
            }
            return *lhs - std::floor(*lhs / *rhs) * *rhs;
        default:
            reporter_.error(expr.loc, std::string("operator '") + binaryOpSpelling(binary->op) +
                                          "' is not allowed in a numeric constant expression");
            return std::nullopt;
        }
    }
    reporter_.error(expr.loc, "expected a numeric constant expression");
    return std::nullopt;
}

std::optional<double> ConstEvaluator::evalRealName(const ast::Expr& expr, const std::string& name,
                                                   const Scope* scope) {
    if (scope) {
        if (const LocalBinding* local = scope->find(name)) {
            if (local->operand.isError()) return std::nullopt;
            if (local->operand.isNumber()) return local->operand.number;
            reporter_.error(expr.loc, "'" + name + "' is not a numeric constant");
            return std::nullopt;
        }
    }
    if (globals_.consts.count(name)) {
        auto value = constValue(name);
        return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
    }
    if (globals_.poisoned.count(name)) return std::nullopt;
    if (globals_.defines(name))
        reporter_.error(expr.loc, "'" + name + "' is not a numeric constant");
    else
        reportUndeclared(expr.loc, name, scope);
    return std::nullopt;
}

std::optional<double> ConstEvaluator::evalRealCall(const ast::Expr& expr, const ast::CallExpr& call,
                                                   const Scope* scope) {
    if (call.callee != "sqrt") {
        reporter_.error(expr.loc,
                        "'" + call.callee + "' cannot be used in a numeric constant expression");
        return std::nullopt;
    }
    if (call.args.size() != 1 || !call.args[0].keyword.empty() || !call.args[0].value) {
        reporter_.error(expr.loc,
                        "sqrt expects 1 argument, got " + std::to_string(call.args.size()));
        return std::nullopt;
    }
    auto value = evalReal(*call.args[0].value, scope);
    if (!value) return std::nullopt;
    if (*value < 0) {
        reporter_.error(expr.loc,
                        "sqrt of a negative number (" + formatNumber(*value, false) + ")");
        return std::nullopt;
    }
    return std::sqrt(*value);
}

std::optional<ir::TensorType> ConstEvaluator::evalType(const ast::TypeExpr& type,
                                                       const Scope* scope) {
    auto dtype = languageDType(type.dtype);
    if (!dtype) {
        reporter_.error(type.loc, "unknown type '" + type.dtype +
                                      "' (expected fp16, fp32, int32 or bool)" +
                                      didYouMean(type.dtype, {"fp16", "fp32", "int32", "bool"}));
        return std::nullopt;
    }
    ir::TensorType result{*dtype, {}};
    bool ok = true;
    for (size_t i = 0; i < type.dims.size(); ++i) {
        if (!type.dims[i]) {
            ok = false;
            continue;
        }
        auto dim = evalInt(*type.dims[i], scope);
        if (!dim) {
            ok = false;
            continue;
        }
        if (*dim <= 0) {
            reporter_.error(type.dims[i]->loc, "dimension " + std::to_string(i) +
                                                   " must be positive, got " +
                                                   std::to_string(*dim));
            ok = false;
            continue;
        }
        result.shape.push_back(*dim);
    }
    if (!ok) return std::nullopt;
    if (type.hasShape && type.dims.empty()) {
        reporter_.error(type.loc, "a tensor type needs at least one dimension (write '" +
                                      type.dtype + "' for a scalar)");
        return std::nullopt;
    }
    if (!checkedProduct(result.shape) || *checkedProduct(result.shape) > (int64_t(1) << 48)) {
        reporter_.error(type.loc, "tensor type " + result.str() + " is too large");
        return std::nullopt;
    }
    return result;
}

} // namespace anec::frontend
