#pragma once
// Textual IR for `anec build --emit=ir`, --print-ir-after and golden tests.
#include <string>

#include "ir/ir.hpp"

namespace anec::ir {

std::string printModule(const Module& module);
std::string printKernel(const Kernel& kernel);

} // namespace anec::ir
