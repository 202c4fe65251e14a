#pragma once
// MIL text -> syntax tree (mil_ast.hpp): lexing and parsing with the generated MIL parser, syntax
// errors in the words of the shared reporting (frontend/syntax_error_reporting.hpp), and the
// conversion of the parse tree (mil_ast_builder.cpp).
#include <cstdint>
#include <memory>

#include "mil/mil_ast.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil {

// Parses the file registered as `file` in the diagnostics' SourceManager. Reports every syntax
// error; returns nullptr when there were any.
std::unique_ptr<syntax::Program> parseMilSyntax(uint32_t file, DiagnosticEngine& diagnostics);

// Nesting deeper than this (of literals, tuples and types) is rejected before the
// recursive-descent parser can exhaust the stack.
inline constexpr size_t kMaxMilNesting = 200;

} // namespace anec::mil
