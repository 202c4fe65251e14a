#pragma once
// Typed lowering of kernel and function bodies to IR. One BodyLowerer per body (a kernel, one
// inlined function or kernel call, one loop iteration); they share the KernelContext of the
// kernel being built.
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "frontend/sema.hpp"
#include "ir/builder.hpp"

namespace anec::frontend {

struct KernelContext {
    KernelContext(Module& m, Reporter& r, ir::Kernel& k, std::set<const ast::FnDecl*>& inlined)
        : main(m), reporter(r), kernel(k), builder(k), inlinedFns(inlined) {}

    Module& main; // the program: weights and dynamic weights are its own
    Reporter& reporter;
    ir::Kernel& kernel;
    ir::Builder builder;
    std::map<std::string, ir::Value*> weightValues; // one const op per weight used in the kernel
    std::vector<std::string> callStack;       // functions and kernels being inlined (recursion)
    std::set<const ast::FnDecl*>& inlinedFns; // every function inlined somewhere
    // Ops whose operands are all constants, built once (createMultiOp), and their results; the
    // first scalar constant of each value, and for every scalar constant that first one
    // (materialize), so that ops of equal numbers are recognised as equal.
    using OpKey = std::tuple<std::string, std::vector<ir::Value*>, ir::AttrMap>;
    std::map<OpKey, ir::Op*> constantOps;
    std::set<const ir::Value*> constantValues;
    std::map<std::pair<ir::DType, double>, ir::Value*> scalars;
    std::map<const ir::Value*, ir::Value*> canonicalScalars;
};

// What a body belongs to: assignments to outputs are allowed in kernels only, `return` in
// functions only.
enum class BodyKind { Kernel, Function };

class BodyLowerer {
  public:
    // `owner` names the body in notes: "kernel 'attn_fwd'", "function 'rope'".
    BodyLowerer(KernelContext& context, Scope& scope, const Module& module, BodyKind kind,
                std::string owner)
        : ctx_(context), scope_(scope), module_(module), kind_(kind), owner_(std::move(owner)) {}

    // Lowers statements in order. A `return` statement is handed back (functions: the last
    // statement); nullptr when there is none.
    const ast::Stmt* lowerBlock(const std::vector<ast::Stmt>& body, bool allowReturn);
    void lowerStatement(const ast::Stmt& stmt);
    void lowerLet(const ast::LetStmt& let, SourceLoc loc);
    void lowerAssign(const ast::AssignStmt& assign, SourceLoc loc);
    void lowerFor(const ast::ForStmt& loop);

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
    const Module& module() const { return module_; }
    const Globals& globals() const { return module_.globals; }
    ConstEvaluator& evaluator() { return *module_.evaluator; }
    Reporter& reporter() { return ctx_.reporter; }
    const std::string& owner() const { return owner_; }

  private:
    Operand lowerName(const ast::Expr& expr, const std::string& name);
    Operand lowerWeight(const std::string& entryName, SourceLoc loc);
    Operand lowerUnary(const ast::Expr& expr, const ast::UnaryExpr& unary);
    Operand lowerBinary(const ast::Expr& expr, const ast::BinaryExpr& binary);
    Operand lowerCall(const ast::Expr& expr, const ast::CallExpr& call);
    Operand lowerQualifiedCall(const ast::Expr& expr, const ast::CallExpr& call);
    Operand lowerMember(const ast::Expr& expr, const ast::MemberExpr& member);
    Operand lowerSubscript(const ast::Expr& expr, const ast::IndexExpr& index); // slicing.cpp
    // `Wq[l]`: an element of a weight array; nullopt when `base` names no array.
    std::optional<Operand> lowerArrayElement(const ast::Expr& expr, const ast::IndexExpr& index);
    Operand inlineCall(const ast::Expr& expr, const ast::CallExpr& call,
                       const FnEntry& fn); // functions.cpp
    Operand inlineKernel(const ast::Expr& expr, const ast::CallExpr& call,
                         const KernelEntry& kernel); // kernel_calls.cpp
    void assignTo(const ast::Binding& target, const Operand& value);
    void reportUndeclared(SourceLoc loc, const std::string& name, const std::string& what,
                          const std::vector<std::string>& extra);

    KernelContext& ctx_;
    Scope& scope_;
    const Module& module_;
    BodyKind kind_;
    std::string owner_;
};

// Gives a value (and its op, when it has a single result) a readable name.
void nameValue(ir::Value* value, const std::string& name);

// The most ops one kernel may have after loops are unrolled and calls inlined.
constexpr size_t kMaxKernelOps = 1000000;

// Lowers one kernel (an entry: a plain kernel or an element of a kernel array); errors are
// reported and the kernel is returned anyway.
std::unique_ptr<ir::Kernel> lowerKernel(const KernelEntry& entry, Module& main, Reporter& reporter,
                                        std::set<const ast::FnDecl*>& inlinedFns);

// The type a kernel port is declared with (loop variables of its entry in scope).
std::optional<ir::TensorType> portType(const ast::Param& param, ConstEvaluator& evaluator,
                                       const Scope* scope);

// Checks every `fuse` declaration and appends the fused kernels to the module (after the
// kernels, in source order). With !kernelsValid only the checks run.
void lowerFusions(Module& main, Reporter& reporter, ir::Module& module, bool kernelsValid);

// Checks every `grad` declaration and appends its kernels (after the fused kernels, in source
// order): the backward kernel and, with `saving`, the forward kernel with taps before it.
void lowerGradients(Module& main, Reporter& reporter, ir::Module& module, bool kernelsValid);

// Checks the `train` declaration (at most one) and appends its step's kernels and schedule
// (ir::Module::trainSteps) after the gradient kernels.
// `batch` (when set) overrides the declaration's.
void lowerTraining(Module& main, Reporter& reporter, ir::Module& module, bool kernelsValid,
                   std::optional<int64_t> batch = std::nullopt);

// Reports undeclared names in a function that no kernel calls (its body is otherwise unchecked).
void checkUnusedFunction(const ast::FnDecl& fn, const Module& module, Reporter& reporter);

} // namespace anec::frontend
