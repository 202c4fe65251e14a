#pragma once
// MIL syntax tree -> IR: one kernel per function. Parameters become kernel inputs; `const`
// statements become constants (a const op where a tensor operand uses it, only attribute values
// where it is used as op parameters); other statements become ops of the registry, each named
// argument bound to an operand or converted to an attribute; the returned variables become the
// outputs. Every problem is reported at its line and column (docs/mil.md lists the checks).
#include <filesystem>
#include <memory>

#include "ir/ir.hpp"
#include "mil/blob.hpp"
#include "mil/mil_ast.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil {

// BLOBFILE paths resolve against `modelDir` (@model_path); `check` says how blob metadata that
// disagrees with the MIL is treated (mil/blob.hpp). Returns nullptr when errors were reported.
std::unique_ptr<ir::Module> lowerMil(const syntax::Program& program,
                                     const std::filesystem::path& modelDir,
                                     DiagnosticEngine& diagnostics,
                                     MetadataCheck check = MetadataCheck::Lenient);

} // namespace anec::mil
