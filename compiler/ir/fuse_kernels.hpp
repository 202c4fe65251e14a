#pragma once
// Multi-kernel fusion (`fuse up, down as ffn`): one kernel that runs several kernels in order,
// with the outputs of earlier kernels feeding the same-named inputs of later ones inside it.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "support/diagnostics.hpp"
#include "support/expected.hpp"

namespace anec::ir {

// The connection rule, applied in the listed order:
// - an input of a kernel named like an output of an earlier kernel is fed by that output (the
//   types must be equal); such an output stays inside the fused kernel;
// - any other input becomes an input of the fused kernel; kernels with inputs of the same name
//   (and type) share one fused input;
// - outputs not consumed by a later kernel, and those named in `keep`, become outputs of the
//   fused kernel, in order.
// Fails (the frontend reports these with source locations first) on a type mismatch, two
// outputs of one name, or an output named like an input of an earlier kernel.
Expected<std::unique_ptr<Kernel>> fuseKernels(const std::vector<const Kernel*>& kernels,
                                              const std::string& name, SourceLoc loc = {},
                                              const std::set<std::string>& keep = {});

} // namespace anec::ir
