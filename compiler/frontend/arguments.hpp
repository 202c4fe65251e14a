#pragma once
// Matching the positional and keyword arguments of a call against a parameter list.
#include <optional>
#include <string>
#include <vector>

#include "frontend/ast.hpp"
#include "frontend/sema.hpp"

namespace anec::frontend {

struct ParamSpec {
    std::string name;
    bool required = true;
};

// One entry per parameter: the argument bound to it, or nullptr when omitted.
using BoundArguments = std::vector<const ast::Argument*>;

// Reports too many arguments ("linear expects 2 arguments, got 3"), unknown keywords ("unknown
// keyword argument 'stride' for conv"), duplicates and missing required arguments.
std::optional<BoundArguments> bindArguments(const std::string& callee,
                                            const std::vector<ParamSpec>& params,
                                            const std::vector<ast::Argument>& args,
                                            SourceLoc callLoc, Reporter& reporter);

} // namespace anec::frontend
