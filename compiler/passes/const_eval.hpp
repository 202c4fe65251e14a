#pragma once
// Build-time evaluation of ops whose operands are all constants: data movement (reshape, slices,
// gather, pad, tile, ...), tensors made from nothing (fill, range_1d, band_part masks),
// elementwise math (binary, comparisons, select, unary math and activations) and reductions.
// Values are computed in double and rounded once to the result dtype. Not folded: ops with
// several results, quantization (int8 weights stay int8), matmul/conv/normalisation/softmax, and
// results more than 2^24 elements larger than every operand.
#include <optional>
#include <vector>

#include "ir/ir.hpp"

namespace anec::passes {

// Whether evaluateConstOp knows the op kind.
bool isConstEvaluable(const std::string& kind);

// The value of `op` given the values of its operands (in operand order), or nullopt when the op
// kind is not evaluable, the result is not representable (e.g. an integer overflow), an integer
// division is by zero or the result is too large; the op is then left alone. The returned data has
// an empty blobName.
std::optional<ir::ConstData> evaluateConstOp(const ir::Op& op,
                                             const std::vector<const ir::ConstData*>& operands);

} // namespace anec::passes
