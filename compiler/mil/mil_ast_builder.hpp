#pragma once
// MIL parse tree -> syntax tree: locations, unescaped strings, number tokens and resolved types.
#include <memory>

#include "frontend/source_positions.hpp"
#include "mil/mil_antlr.hpp"
#include "mil/mil_ast.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil {

// Reports malformed string escapes and dimensions; the caller discards the tree when any error
// was reported.
std::unique_ptr<syntax::Program> buildMilAst(grammar::MilParser::ProgramContext& tree,
                                             const frontend::TokenLocator& locator,
                                             DiagnosticEngine& diagnostics);

} // namespace anec::mil
