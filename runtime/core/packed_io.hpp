#pragma once
// Packed I/O at run time: a kernel whose inputs (outputs) the compiler packed into one tensor
// (ir::Kernel::packing, the pack-io pass) still takes and returns the original named tensors.
#include <memory>

#include "runtime/core/backend.hpp"

namespace anec::runtime {

// `program` runs the kernel as compiled (its packed inputs and outputs). The result takes the
// kernel's interface tensors, copies each packed input's members into one buffer at their
// channel offsets, and splits each packed output into its members. Without packing, `program`.
std::unique_ptr<Executable> withPackedIo(std::unique_ptr<Executable> program,
                                         const ir::Kernel& kernel);

} // namespace anec::runtime
