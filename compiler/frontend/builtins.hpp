#pragma once
// The builtin functions of .ane (linear, conv, matmul, cast, reshape, softmax, ...): argument
// checking and lowering onto registry ops.
#include <string>
#include <vector>

#include "frontend/lowering.hpp"

namespace anec::frontend {

bool isBuiltinName(const std::string& name);
// Every builtin's name, sorted (for "did you mean" suggestions).
const std::vector<std::string>& builtinNames();

// Lowers a call of a builtin (isBuiltinName(call.callee) must hold).
Operand lowerBuiltinCall(BodyLowerer& lowerer, const ast::Expr& expr, const ast::CallExpr& call);

} // namespace anec::frontend
