#pragma once
// Dynamic weights at run time: a kernel compiled with `dynamic weight W` takes W as an input
// (ir::Kernel::dynamicWeights), but callers need not pass it on every run. The executable keeps
// each weight's current value (its initial value until setDynamicWeight replaces it), so that a
// training loop updates weights between runs without preparing (compiling) the kernel again.
#include <memory>

#include "runtime/core/backend.hpp"

namespace anec::runtime {

// `program` runs the kernel with every input bound. The result lists the same inputs(), but
// run() accepts each dynamic weight as optional: a given one is used for that call only, an
// omitted one takes the current value. Without dynamic weights, `program` itself.
std::unique_ptr<Executable> withDynamicWeights(std::unique_ptr<Executable> program,
                                               const ir::Kernel& kernel);

} // namespace anec::runtime
