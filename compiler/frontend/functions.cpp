// User functions: inlined at every call with their own scope, in the names of the file that
// declares them; typed parameters and results are checked, parameters may have defaults, a
// function may return several values, recursion is an error.
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
    std::vector<std::string>& stack;
    CallFrame(std::vector<std::string>& s, std::string name) : stack(s) {
        stack.push_back(std::move(name));
    }
    ~CallFrame() { stack.pop_back(); }
};

std::string resultName(const ast::FnDecl& fn, size_t i) {
    const std::string& name = fn.results[i].name;
    if (fn.results.size() == 1 && name.empty()) return "the result of '" + fn.name + "'";
    return "result " + (name.empty() ? std::to_string(i + 1) : "'" + name + "'") + " of '" +
           fn.name + "'";
}
} // namespace

Operand BodyLowerer::inlineCall(const ast::Expr& expr, const ast::CallExpr& call,
                                const FnEntry& entry) {
    const ast::FnDecl& fn = *entry.decl;
    const Module& home = entry.home ? *entry.home : module_;
    auto& stack = ctx_.callStack;
    std::string key = home.key + ":" + fn.name;
    if (std::find(stack.begin(), stack.end(), key) != stack.end()) {
        reporter().error(expr.loc, "recursive call to '" + fn.name + "'");
        return Operand::error();
    }
    std::vector<ParamSpec> specs;
    for (const ast::Param& param : fn.params)
        specs.push_back({param.name, param.defaultValue == nullptr});
    auto bound = bindArguments(fn.name, specs, call.args, expr.loc, reporter());
    if (!bound) return Operand::error();

    std::vector<Operand> args;
    for (const ast::Argument* arg : *bound)
        args.push_back(arg ? lowerExpr(*arg->value) : Operand::error());

    ctx_.inlinedFns.insert(&fn);
    CallFrame frame(stack, key);
    FrameScope note(reporter(), {expr.loc, "in call to '" + fn.name + "' from " + owner()});
    Scope calleeScope;
    BodyLowerer callee(ctx_, calleeScope, home, BodyKind::Function, "function '" + fn.name + "'");
    for (size_t i = 0; i < fn.params.size(); ++i) {
        const ast::Param& param = fn.params[i];
        SourceLoc at = (*bound)[i] ? (*bound)[i]->loc : param.loc;
        // A default is evaluated in the function's own names, after the earlier parameters.
        Operand arg = (*bound)[i] ? args[i] : callee.lowerExpr(*param.defaultValue);
        if (arg.kind == Operand::Kind::Tuple) {
            reporter().error(at, "a tuple of values cannot be passed to '" + fn.name + "'");
            arg = Operand::error();
        }
        if (param.type) {
            auto type = callee.evaluator().evalType(*param.type);
            arg = type ? coerceToDeclared(*this, arg, *type, at,
                                          "parameter '" + param.name + "' of '" + fn.name + "'")
                       : Operand::error();
        }
        callee.defineLocal(param.name, param.loc,
                           LocalBinding{LocalBinding::Kind::Param, param.loc, arg});
    }

    const ast::Stmt* returnStmt = callee.lowerBlock(fn.body, true);
    if (!returnStmt) {
        reporter().error(fn.loc, "function '" + fn.name + "' does not return a value");
        return Operand::error();
    }
    const auto* ret = &std::get<ast::ReturnStmt>(returnStmt->node);
    std::vector<Operand> results;
    for (const ast::ExprPtr& value : ret->values)
        results.push_back(value ? callee.lowerExpr(*value) : Operand::error());
    SourceLoc returnLoc = returnStmt->loc;
    auto resultLoc = [&](size_t i) {
        return results.size() == 1 || !ret->values[i] ? returnLoc : ret->values[i]->loc;
    };
    if (fn.resultsDeclared && results.size() != fn.results.size()) {
        reporter().error(returnLoc, "function '" + fn.name + "' is declared with " +
                                        std::to_string(fn.results.size()) + " result" +
                                        (fn.results.size() == 1 ? "" : "s") + " but returns " +
                                        std::to_string(results.size()));
        return Operand::error();
    }
    bool failed = false;
    for (size_t i = 0; i < results.size(); ++i) {
        if (results[i].isError()) failed = true;
        if (!fn.resultsDeclared || !fn.results[i].type || results[i].isError()) continue;
        auto type = callee.evaluator().evalType(*fn.results[i].type);
        results[i] =
            type ? coerceToDeclared(callee, results[i], *type, resultLoc(i), resultName(fn, i))
                 : Operand::error();
        failed = failed || results[i].isError();
    }
    if (results.size() == 1) return results[0];
    if (failed) return Operand::error();
    std::vector<ir::Value*> values;
    for (size_t i = 0; i < results.size(); ++i) {
        if (!results[i].isTensor()) {
            reporter().error(resultLoc(i),
                             "each of several results must be a tensor, got " +
                                 std::string(results[i].isNumber() ? "a number" : "a tuple"));
            return Operand::error();
        }
        values.push_back(results[i].value);
    }
    return Operand::tuple(std::move(values));
}

namespace {
// Name resolution without types, for functions that are never called.
class NameChecker {
  public:
    NameChecker(const Globals& globals, Reporter& reporter)
        : globals_(globals), reporter_(reporter) {}

    void check(const ast::FnDecl& fn) {
        for (const ast::Param& param : fn.params) {
            visit(param.defaultValue.get());
            locals_.insert(param.name);
        }
        statements(fn.body);
    }

  private:
    void statements(const std::vector<ast::Stmt>& body) {
        for (const ast::Stmt& stmt : body) {
            if (const auto* let = std::get_if<ast::LetStmt>(&stmt.node)) {
                visit(let->value.get());
                for (const ast::Binding& name : let->names)
                    locals_.insert(name.name);
            } else if (const auto* assign = std::get_if<ast::AssignStmt>(&stmt.node)) {
                visit(assign->value.get());
            } else if (const auto* ret = std::get_if<ast::ReturnStmt>(&stmt.node)) {
                for (const ast::ExprPtr& value : ret->values)
                    visit(value.get());
            } else if (const auto* loop = std::get_if<ast::ForStmt>(&stmt.node)) {
                visit(loop->range.start.get());
                visit(loop->range.stop.get());
                locals_.insert(loop->var.name);
                statements(loop->body);
            } else if (const auto* check = std::get_if<ast::AssertStmt>(&stmt.node)) {
                visit(check->cond.get());
            }
        }
    }

    bool known(const std::string& name) const {
        return locals_.count(name) || globals_.defines(name) || languageDType(name);
    }

    void visit(const ast::Expr* expr) {
        if (!expr) return;
        if (const auto* ref = expr->as<ast::NameRef>()) {
            if (!known(ref->name))
                reporter_.error(expr->loc, "use of undeclared name '" + ref->name + "'");
        } else if (const auto* unary = expr->as<ast::UnaryExpr>()) {
            visit(unary->operand.get());
        } else if (const auto* binary = expr->as<ast::BinaryExpr>()) {
            visit(binary->lhs.get());
            visit(binary->rhs.get());
        } else if (const auto* call = expr->as<ast::CallExpr>()) {
            bool callable = !call->module.empty() ? globals_.modules.count(call->module) != 0
                                                  : globals_.fns.count(call->callee) ||
                                                        globals_.kernels.count(call->callee) ||
                                                        globals_.arrays.count(call->callee) ||
                                                        isBuiltinName(call->callee);
            if (!callable)
                reporter_.error(expr->loc, "call to undeclared function '" + call->callee + "'");
            for (const ast::ExprPtr& index : call->element)
                visit(index.get());
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

void checkUnusedFunction(const ast::FnDecl& fn, const Module& module, Reporter& reporter) {
    NameChecker(module.globals, reporter).check(fn);
}

} // namespace anec::frontend
