// User functions: inlined at every call with their own scope; typed parameters and return types
// are checked, recursion is an error.
#include <algorithm>

#include "frontend/arguments.hpp"
#include "frontend/builtins.hpp"
#include "frontend/lowering.hpp"

namespace anec::frontend {

namespace {
// An argument or result matches a declared type exactly; a number becomes a scalar constant.
Operand coerceToDeclared(BodyLowerer& lowerer, const Operand& operand,
                         const ir::TensorType& declared, SourceLoc loc, const std::string& what) {
    if (operand.isError()) return operand;
    if (operand.isNumber() && declared.isScalar()) {
        ir::Value* value = lowerer.materialize(operand, declared.dtype, loc);
        return value ? Operand::tensor(value) : Operand::error();
    }
    std::string actual = operand.isTensor() ? operand.value->type.str()
                         : operand.isNumber()
                             ? "the number " + formatNumber(operand.number, operand.integral)
                             : "a tuple of values";
    if (!operand.isTensor() || operand.value->type != declared) {
        lowerer.reporter().error(loc,
                                 what + " is declared " + declared.str() + " but got " + actual);
        return Operand::error();
    }
    return operand;
}

struct CallFrame {
    std::vector<const ast::FnDecl*>& stack;
    CallFrame(std::vector<const ast::FnDecl*>& s, const ast::FnDecl* fn) : stack(s) {
        stack.push_back(fn);
    }
    ~CallFrame() { stack.pop_back(); }
};
} // namespace

Operand BodyLowerer::inlineCall(const ast::Expr& expr, const ast::CallExpr& call,
                                const ast::FnDecl& fn) {
    auto& stack = ctx_.callStack;
    if (std::find(stack.begin(), stack.end(), &fn) != stack.end()) {
        reporter().error(expr.loc, "recursive call to '" + fn.name + "'");
        return Operand::error();
    }
    std::vector<ParamSpec> specs;
    for (const ast::Param& param : fn.params)
        specs.push_back({param.name, true});
    auto bound = bindArguments(fn.name, specs, call.args, expr.loc, reporter());
    if (!bound) return Operand::error();

    std::vector<Operand> args;
    for (const ast::Argument* arg : *bound)
        args.push_back(lowerExpr(*arg->value));

    ctx_.inlinedFns.insert(&fn);
    CallFrame frame(stack, &fn);
    Scope calleeScope;
    BodyLowerer callee(ctx_, calleeScope, &fn);
    for (size_t i = 0; i < fn.params.size(); ++i) {
        const ast::Param& param = fn.params[i];
        Operand arg = args[i];
        if (arg.kind == Operand::Kind::Tuple) {
            reporter().error((*bound)[i]->loc,
                             "a tuple of values cannot be passed to '" + fn.name + "'");
            arg = Operand::error();
        }
        if (param.type) {
            auto type = evaluator().evalType(*param.type);
            arg = type ? coerceToDeclared(*this, arg, *type, (*bound)[i]->loc,
                                          "parameter '" + param.name + "' of '" + fn.name + "'")
                       : Operand::error();
        }
        callee.defineLocal(param.name, param.loc,
                           LocalBinding{LocalBinding::Kind::Param, param.loc, arg});
    }

    std::optional<Operand> result;
    SourceLoc returnLoc = fn.loc;
    for (size_t i = 0; i < fn.body.size(); ++i) {
        const ast::Stmt& stmt = fn.body[i];
        if (const auto* let = std::get_if<ast::LetStmt>(&stmt.node)) {
            callee.lowerLet(*let, stmt.loc);
        } else if (const auto* assign = std::get_if<ast::AssignStmt>(&stmt.node)) {
            callee.lowerAssign(*assign, stmt.loc);
        } else {
            const auto& ret = std::get<ast::ReturnStmt>(stmt.node);
            if (i + 1 != fn.body.size())
                reporter().error(stmt.loc, "'return' must be the last statement of function '" +
                                               fn.name + "'");
            result = ret.value ? callee.lowerExpr(*ret.value) : Operand::error();
            returnLoc = stmt.loc;
            break;
        }
    }
    if (!result) {
        reporter().error(fn.loc, "function '" + fn.name + "' does not return a value");
        return Operand::error();
    }
    if (fn.returnType && !result->isError()) {
        auto type = evaluator().evalType(*fn.returnType);
        if (!type) return Operand::error();
        return coerceToDeclared(callee, *result, *type, returnLoc,
                                "the result of '" + fn.name + "'");
    }
    return *result;
}

namespace {
// Name resolution without types, for functions that are never called.
class NameChecker {
  public:
    NameChecker(const Globals& globals, Reporter& reporter)
        : globals_(globals), reporter_(reporter) {}

    void check(const ast::FnDecl& fn) {
        for (const ast::Param& param : fn.params)
            locals_.insert(param.name);
        for (const ast::Stmt& stmt : fn.body) {
            if (const auto* let = std::get_if<ast::LetStmt>(&stmt.node)) {
                visit(let->value.get());
                for (const ast::Binding& name : let->names)
                    locals_.insert(name.name);
            } else if (const auto* assign = std::get_if<ast::AssignStmt>(&stmt.node)) {
                visit(assign->value.get());
            } else {
                visit(std::get<ast::ReturnStmt>(stmt.node).value.get());
            }
        }
    }

  private:
    void visit(const ast::Expr* expr) {
        if (!expr) return;
        if (const auto* ref = expr->as<ast::NameRef>()) {
            if (!locals_.count(ref->name) && !globals_.defines(ref->name) &&
                !languageDType(ref->name))
                reporter_.error(expr->loc, "use of undeclared name '" + ref->name + "'");
        } else if (const auto* unary = expr->as<ast::UnaryExpr>()) {
            visit(unary->operand.get());
        } else if (const auto* binary = expr->as<ast::BinaryExpr>()) {
            visit(binary->lhs.get());
            visit(binary->rhs.get());
        } else if (const auto* call = expr->as<ast::CallExpr>()) {
            if (!globals_.fns.count(call->callee) && !isBuiltinName(call->callee))
                reporter_.error(expr->loc, "call to undeclared function '" + call->callee + "'");
            for (const ast::Argument& arg : call->args)
                visit(arg.value.get());
        } else if (const auto* index = expr->as<ast::IndexExpr>()) {
            visit(index->base.get());
            for (const ast::SliceItem& item : index->items)
                for (const ast::ExprPtr* part : {&item.index, &item.start, &item.stop, &item.step})
                    visit(part->get());
        } else if (const auto* member = expr->as<ast::MemberExpr>()) {
            visit(member->base.get());
        } else if (const auto* list = expr->as<ast::ListExpr>()) {
            for (const ast::ExprPtr& element : list->elements)
                visit(element.get());
        }
    }

    const Globals& globals_;
    Reporter& reporter_;
    std::set<std::string> locals_;
};
} // namespace

void checkUnusedFunction(const ast::FnDecl& fn, const Globals& globals, Reporter& reporter) {
    NameChecker(globals, reporter).check(fn);
}

} // namespace anec::frontend
