#pragma once
// Semantic analysis state shared by the .ane lowering files: diagnostics with de-duplication,
// lowered expression values, scopes, the global symbol table and constant evaluation.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "frontend/ast.hpp"
#include "frontend/frontend.hpp"
#include "ir/ir.hpp"
#include "support/diagnostics.hpp"

namespace anec::frontend {

// Reports errors once per location and message: a function body inlined at several call sites
// would otherwise repeat its errors.
class Reporter {
  public:
    explicit Reporter(DiagnosticEngine& diagnostics) : diagnostics_(diagnostics) {}

    // Returns false when the same error was already reported (callers then skip their notes).
    bool error(SourceLoc loc, std::string message);
    void note(SourceLoc loc, std::string message);
    DiagnosticEngine& engine() { return diagnostics_; }

  private:
    DiagnosticEngine& diagnostics_;
    std::set<std::tuple<uint32_t, uint32_t, uint32_t, std::string>> seen_;
};

// What an expression lowers to. Error means "already reported": users stay silent.
struct Operand {
    enum class Kind { Error, Tensor, Number, Tuple };
    Kind kind = Kind::Error;
    ir::Value* value = nullptr;     // Tensor
    double number = 0;              // Number (a literal or a constant, not yet a tensor)
    bool integral = false;          // Number written as (or computed from) integers
    std::vector<ir::Value*> values; // Tuple (multi-result builtins such as split)

    static Operand error() { return {}; }
    static Operand tensor(ir::Value* v) { return {Kind::Tensor, v, 0, false, {}}; }
    static Operand numberOf(double n, bool isIntegral) {
        return {Kind::Number, nullptr, n, isIntegral, {}};
    }
    static Operand tuple(std::vector<ir::Value*> vs) {
        return {Kind::Tuple, nullptr, 0, false, std::move(vs)};
    }

    bool isError() const { return kind == Kind::Error; }
    bool isTensor() const { return kind == Kind::Tensor; }
    bool isNumber() const { return kind == Kind::Number; }
};

std::string formatNumber(double value, bool integral);

// A name local to a kernel or function body.
struct LocalBinding {
    enum class Kind { Input, Output, Let, Param };
    Kind kind = Kind::Let;
    SourceLoc loc;
    Operand operand;
    bool assigned = false;              // outputs only
    SourceLoc assignedAt;               // outputs only
    std::optional<ir::TensorType> type; // declared type of inputs and outputs
};

class Scope {
  public:
    LocalBinding* find(const std::string& name);
    const LocalBinding* find(const std::string& name) const;
    // Returns nullptr when the name is already bound in this scope.
    LocalBinding* define(const std::string& name, LocalBinding binding);
    const std::vector<std::string>& order() const { return order_; }

  private:
    std::map<std::string, LocalBinding> bindings_;
    std::vector<std::string> order_;
};

struct ConstEntry {
    enum class State { Pending, Evaluating, Done, Failed };
    const ast::ConstDecl* decl = nullptr;
    State state = State::Pending;
    int64_t value = 0;
};

struct WeightEntry {
    const ast::WeightDecl* decl = nullptr;
    std::shared_ptr<const ir::ConstData> data; // null when the declaration had errors
};

// Every top-level name of a program.
struct Globals {
    std::map<std::string, ConstEntry> consts;
    std::map<std::string, WeightEntry> weights;
    std::map<std::string, const ast::FnDecl*> fns;
    std::map<std::string, const ast::KernelDecl*> kernels;
    std::map<std::string, const ast::FuseDecl*> fusions;
    std::map<std::string, SourceLoc> definitions; // all of the above, for redefinition checks

    bool defines(const std::string& name) const { return definitions.count(name) != 0; }
};

// Integer constant expressions (shapes, slice bounds, axes; `/` is floor division) and real
// constant expressions (weight scales, epsilons; `/` is true division, sqrt allowed). Names are
// consts, or with a scope, locals bound to numbers.
class ConstEvaluator {
  public:
    ConstEvaluator(Globals& globals, Reporter& reporter) : globals_(globals), reporter_(reporter) {}

    std::optional<int64_t> evalInt(const ast::Expr& expr, const Scope* scope = nullptr);
    std::optional<double> evalReal(const ast::Expr& expr, const Scope* scope = nullptr);
    // The value of a global const, evaluating it on first use (constants may refer to later ones).
    std::optional<int64_t> constValue(const std::string& name);
    // `fp16[1, DIM, 1, SEQ]` -> TensorType; dims must be positive.
    std::optional<ir::TensorType> evalType(const ast::TypeExpr& type);

  private:
    std::optional<int64_t> evalIntBinary(const ast::Expr& expr, const ast::BinaryExpr& binary,
                                         const Scope* scope);
    std::optional<double> evalRealName(const ast::Expr& expr, const std::string& name,
                                       const Scope* scope);
    std::optional<double> evalRealCall(const ast::Expr& expr, const ast::CallExpr& call,
                                       const Scope* scope);

    Globals& globals_;
    Reporter& reporter_;
};

// Collects the global declarations of a program, reporting redefinitions and unknown -D names.
void collectGlobals(const ast::Program& program, const Options& options, Globals& globals,
                    Reporter& reporter);

// The type names the language accepts: fp16, fp32, int32, bool.
std::optional<ir::DType> languageDType(const std::string& name);

} // namespace anec::frontend
