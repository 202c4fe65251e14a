#pragma once
// Copies of IR: whole kernels, or the ops of one kernel appended to another (kernel fusion).
#include <memory>
#include <unordered_map>

#include "ir/ir.hpp"
#include "support/expected.hpp"

namespace anec::ir {

// Source value -> the value standing for it in the copy.
using ValueMap = std::unordered_map<const Value*, Value*>;

// Appends a copy of every op of `source` to `target`, in order. Operands are looked up in
// `mapping` (the caller maps the source's inputs); every copied result is added to it. Constant
// data is shared, not copied. Fails when an operand is not mapped (an input left unmapped, or
// ops out of order); `target` then holds the ops copied so far. Returns the number of ops copied.
Expected<size_t> cloneOpsInto(const Kernel& source, Kernel& target, ValueMap& mapping);

// An independent copy of a kernel: same name, inputs, ops, outputs and packing metadata.
Expected<std::unique_ptr<Kernel>> cloneKernel(const Kernel& kernel);

} // namespace anec::ir
