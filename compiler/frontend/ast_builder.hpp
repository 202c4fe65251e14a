#pragma once
// Converts an error-free ANTLR parse tree of a .ane file into the AST (frontend/ast.hpp).
#include <cstddef>
#include <memory>

#include "frontend/antlr.hpp"
#include "frontend/ast.hpp"
#include "frontend/source_positions.hpp"
#include "support/diagnostics.hpp"

namespace anec::frontend {

// Deeper expressions are rejected with a diagnostic: the parser, the builder and every later
// stage recurse over expressions, and unbounded input must not overflow the stack.
constexpr size_t kMaxExpressionNesting = 256;

// Checks what the grammar leaves open (literal ranges, string escapes, chained comparisons,
// kernel parameter types, nesting depth) and reports problems to `diagnostics`; the caller
// discards the program when errors were reported.
std::unique_ptr<ast::Program> buildAst(grammar::AneParser::ProgramContext& tree,
                                       const TokenLocator& locator, DiagnosticEngine& diagnostics);

} // namespace anec::frontend
