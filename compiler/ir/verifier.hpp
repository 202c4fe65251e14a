#pragma once
// Structural and type checks of the IR, run after IR generation, after every pass and on MIL input.
#include "ir/ir.hpp"
#include "support/diagnostics.hpp"

namespace anec::ir {

// Reports every problem as an error prefixed "IR verifier: " at the op's location; returns true
// when the module is valid.
bool verifyModule(const Module& module, DiagnosticEngine& diagnostics);
bool verifyKernel(const Kernel& kernel, DiagnosticEngine& diagnostics);

} // namespace anec::ir
