#pragma once
// One MIL function -> one IR kernel (see mil_lowering.hpp). Internal to the MIL reader:
// mil_lowering.cpp holds the driver, names, parameters and returns; mil_const_lowering.cpp the
// `const` and constexpr statements; mil_op_lowering.cpp the ops and their arguments.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "ir/op_registry.hpp"
#include "mil/mil_ast.hpp"
#include "mil/mil_values.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil {

// A declared result type matches the inferred one when they are equal, where the declaration may
// leave dimensions open (`?`).
bool matchesDeclared(const ir::TensorType& declared, const ir::TensorType& inferred);
// "a, b, c"
std::string joinNames(const std::vector<std::string>& names);

class FunctionLowering {
  public:
    FunctionLowering(const syntax::Function& function, ValueReader& values,
                     DiagnosticEngine& diagnostics);

    // The kernel, also when errors were reported (the caller discards it then).
    std::unique_ptr<ir::Kernel> run();

  private:
    struct Symbol {
        SourceLoc loc;
        ir::Value* value = nullptr;       // inputs, op results and constants used as operands
        std::optional<Constant> constant; // the value of a const statement
        bool poisoned = false;            // its definition had an error: uses say nothing more
    };

    // The arguments of one op statement while they are bound.
    struct OpCall {
        const ir::OpDef& def;
        const syntax::Statement& statement;
        std::string opName;
        std::set<std::string> given;
        std::map<std::string, std::vector<ir::Value*>> operandValues; // by operand name
        std::vector<ir::Value*> operands;                             // in spec order
        ir::AttrMap attrs;

        std::string argumentPhrase(const std::string& name) const {
            return "argument '" + name + "' of '" + def.name + "'";
        }
    };

    void error(SourceLoc loc, std::string message) { diagnostics_.error(loc, std::move(message)); }

    // mil_lowering.cpp
    void collectUses();
    bool define(const std::string& name, Symbol symbol);
    void poison(const std::vector<syntax::Declaration>& results);
    Symbol* lookup(const std::string& name, SourceLoc loc);
    std::optional<ir::TensorType> declaredType(const syntax::Declaration& declaration);
    std::optional<std::string> readOpName(const syntax::Argument& argument);
    void lowerParam(const syntax::Declaration& param);
    void lowerReturns();

    // mil_const_lowering.cpp
    void lowerConst(const syntax::Statement& statement);
    void lowerConstexpr(const syntax::Statement& statement);
    void defineConstant(const syntax::Statement& statement, const Constant& constant,
                        const std::string& opName);
    std::optional<Constant> constantArgument(const std::string& phrase,
                                             const syntax::ArgValue& value);
    void materialize(const std::string& name, Symbol& symbol);

    // mil_op_lowering.cpp
    void lowerOp(const syntax::Statement& statement);
    bool bindArguments(OpCall& call);
    bool bindOperand(OpCall& call, const ir::OperandSpec& spec, const syntax::ArgValue& value);
    bool bindAttribute(OpCall& call, const ir::AttrSpec& spec, const syntax::ArgValue& value);
    bool collectOperands(OpCall& call);
    bool checkAttributes(const OpCall& call);
    ir::Value* operandValue(const OpCall& call, const std::string& argument,
                            const syntax::ArgValue& value);
    void defineResults(const syntax::Statement& statement, ir::Op& op);

    const syntax::Function& function_;
    ValueReader& values_;
    DiagnosticEngine& diagnostics_;
    const ir::OpRegistry& registry_;
    std::unique_ptr<ir::Kernel> kernel_;
    std::map<std::string, Symbol> symbols_;
    std::set<std::string> used_;          // variables used anywhere
    std::set<std::string> usedAsOperand_; // ... as a tensor operand or returned
};

} // namespace anec::mil
