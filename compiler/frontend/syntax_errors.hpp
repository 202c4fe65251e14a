#pragma once
// How the .ane grammar reads in syntax errors (see syntax_error_reporting.hpp): the tokens and
// rules of grammar/Ane.g4 and the wording of "expected ..." messages.
#include <string>

#include "frontend/antlr.hpp"
#include "frontend/syntax_error_reporting.hpp"

namespace anec::frontend {

const SyntaxDialect& aneSyntaxDialect();

// "')'", "',' or ')'", "an expression", "a statement or '}'", ...
std::string describeExpected(const antlr4::misc::IntervalSet& expected,
                             const antlr4::dfa::Vocabulary& vocabulary);

} // namespace anec::frontend
