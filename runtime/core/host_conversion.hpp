#pragma once
// Host conversion at run time: a kernel legalized for a target that cannot run `cast` (M1/M2,
// generic) takes and returns fp16 where its source declared fp32 (ir::Kernel::hostConversions).
// Callers still pass and receive fp32: the conversion happens here, on the CPU.
#include <memory>

#include "runtime/core/backend.hpp"

namespace anec::runtime {

// `program` takes the kernel's interface with the program's dtypes (fp16 for converted tensors;
// withPackedIo gives that). The result takes the callers' dtypes: each converted fp32 input is
// rounded to fp16 (to nearest even, as the in-program cast would) and each converted fp16 output
// is widened to fp32 (exactly), by interface name. Without host conversions, `program`.
std::unique_ptr<Executable> withHostConversion(std::unique_ptr<Executable> program,
                                               const ir::Kernel& kernel);

} // namespace anec::runtime
