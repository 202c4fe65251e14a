#pragma once
// The exact (double) meaning of the unary math ops without attributes (sin, exp, relu, ...):
// what constant folding computes, and what the language computes for number arguments. The
// reference backend computes the same functions in its own precision.
#include <string>

namespace anec::ir {

using UnaryMathFn = double (*)(double);

// nullptr when `kind` is not such an op.
UnaryMathFn unaryMathFunction(const std::string& kind);

} // namespace anec::ir
