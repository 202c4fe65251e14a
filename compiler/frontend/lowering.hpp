#pragma once
// Typed lowering of kernel and function bodies to IR. One BodyLowerer per body (a kernel, or one
// inlined function call); they share the KernelContext of the kernel being built.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "frontend/sema.hpp"
#include "ir/builder.hpp"

namespace anec::frontend {

struct KernelContext {
    KernelContext(Globals& g, ConstEvaluator& e, Reporter& r, ir::Kernel& k,
                  std::set<const ast::FnDecl*>& inlined)
        : globals(g), evaluator(e), reporter(r), kernel(k), builder(k), inlinedFns(inlined) {}

    Globals& globals;
    ConstEvaluator& evaluator;
    Reporter& reporter;
    ir::Kernel& kernel;
    ir::Builder builder;
    std::map<std::string, ir::Value*> weightValues; // one const op per weight used in the kernel
    std::vector<const ast::FnDecl*> callStack;      // functions being inlined, for recursion checks
    std::set<const ast::FnDecl*>& inlinedFns;       // every function inlined somewhere
};

class BodyLowerer {
  public:
    // `fn` is the function whose body this is, or nullptr for a kernel body.
    BodyLowerer(KernelContext& context, Scope& scope, const ast::FnDecl* fn)
        : ctx_(context), scope_(scope), fn_(fn) {}

    void lowerLet(const ast::LetStmt& let, SourceLoc loc);
    void lowerAssign(const ast::AssignStmt& assign, SourceLoc loc);

    Operand lowerExpr(const ast::Expr& expr);
    // Lowers an expression that must be a tensor (numbers and tuples are reported); null on error.
    ir::Value* lowerTensor(const ast::Expr& expr);

    // Creates an op through the registry; a failure becomes an error at `loc`.
    Operand createOp(const std::string& kind, std::vector<ir::Value*> operands, ir::AttrMap attrs,
                     SourceLoc loc);
    ir::Op* createMultiOp(const std::string& kind, std::vector<ir::Value*> operands,
                          ir::AttrMap attrs, SourceLoc loc);
    // A scalar constant of `dtype` for a number (a literal meeting a tensor); null on error.
    ir::Value* materialize(const Operand& number, ir::DType dtype, SourceLoc loc);
    // lhs <op> rhs with numbers adopting the other operand's dtype.
    Operand binaryOp(const std::string& kind, const Operand& lhs, const Operand& rhs, SourceLoc loc,
                     const std::string& verb);
    // True when the value is computed from constants only (weights, literals, folded ops).
    static bool isConstant(const ir::Value* value);
    // Binds a name in the current scope, reporting redefinitions of locals and globals.
    bool defineLocal(const std::string& name, SourceLoc loc, LocalBinding binding);

    KernelContext& context() { return ctx_; }
    Scope& scope() { return scope_; }
    ConstEvaluator& evaluator() { return ctx_.evaluator; }
    Reporter& reporter() { return ctx_.reporter; }
    const ast::FnDecl* function() const { return fn_; }

  private:
    Operand lowerName(const ast::Expr& expr, const std::string& name);
    Operand lowerWeight(const std::string& name, SourceLoc loc);
    Operand lowerUnary(const ast::Expr& expr, const ast::UnaryExpr& unary);
    Operand lowerBinary(const ast::Expr& expr, const ast::BinaryExpr& binary);
    Operand lowerCall(const ast::Expr& expr, const ast::CallExpr& call);
    Operand lowerMember(const ast::Expr& expr, const ast::MemberExpr& member);
    Operand lowerSubscript(const ast::Expr& expr, const ast::IndexExpr& index); // slicing.cpp
    Operand inlineCall(const ast::Expr& expr, const ast::CallExpr& call,
                       const ast::FnDecl& fn); // functions.cpp

    KernelContext& ctx_;
    Scope& scope_;
    const ast::FnDecl* fn_;
};

// Gives a value (and its op, when it has a single result) a readable name.
void nameValue(ir::Value* value, const std::string& name);

// Lowers one kernel declaration; errors are reported and the kernel is returned anyway.
std::unique_ptr<ir::Kernel> lowerKernel(const ast::KernelDecl& decl, Globals& globals,
                                        ConstEvaluator& evaluator, Reporter& reporter,
                                        std::set<const ast::FnDecl*>& inlinedFns);

// Reports undeclared names in a function that no kernel calls (its body is otherwise unchecked).
// Checks every `fuse` declaration and appends the fused kernels to the module (after the
// kernels, in source order). With !kernelsValid only the checks run.
void lowerFusions(const ast::Program& program, Globals& globals, ConstEvaluator& evaluator,
                  Reporter& reporter, ir::Module& module, bool kernelsValid);

void checkUnusedFunction(const ast::FnDecl& fn, const Globals& globals, Reporter& reporter);

} // namespace anec::frontend
