#pragma once
// The .ane front end: source text -> AST (parser.cpp) -> checked, typed IR (sema / irgen).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "frontend/ast.hpp"
#include "ir/ir.hpp"
#include "support/diagnostics.hpp"

namespace anec::frontend {

struct Options {
    // -D NAME=VALUE: overrides `const NAME = ...`; a name that is not a declared const is an error.
    std::map<std::string, int64_t> defines;
    // `anec train --batch B`: sequences per step, overriding the train declaration's `batch`.
    std::optional<int64_t> trainBatch;
};

// Parses the file registered as `file` in the diagnostics' SourceManager. Syntax errors are
// reported with their positions; returns nullptr when there were any.
std::unique_ptr<ast::Program> parseAne(uint32_t file, DiagnosticEngine& diagnostics);

// Resolves names and imports (read and registered in `sources`; null: imports are errors),
// evaluates constants, expands loops, loads weights (npy paths relative to the .ane file), checks
// every shape and dtype and builds the IR. Reports every error; returns nullptr when there were
// any.
std::unique_ptr<ir::Module> lowerProgram(const ast::Program& program, SourceManager* sources,
                                         DiagnosticEngine& diagnostics, const Options& options);

// parseAne + lowerProgram.
std::unique_ptr<ir::Module> compileAne(uint32_t file, SourceManager& sources,
                                       DiagnosticEngine& diagnostics, const Options& options);

} // namespace anec::frontend
