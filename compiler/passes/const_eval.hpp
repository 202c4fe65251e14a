#pragma once
// Build-time evaluation of the data-movement and simple arithmetic ops whose operands are all
// constants. Values are computed in double and rounded once to the result dtype.
#include <optional>
#include <vector>

#include "ir/ir.hpp"

namespace anec::passes {

// Whether evaluateConstOp knows the op kind.
bool isConstEvaluable(const std::string& kind);

// The value of `op` given the values of its operands (in operand order), or nullopt when the op
// kind is not evaluable or the result is not representable (e.g. an integer overflow); the op is
// then left alone. The returned data has an empty blobName.
std::optional<ir::ConstData> evaluateConstOp(const ir::Op& op,
                                             const std::vector<const ir::ConstData*>& operands);

} // namespace anec::passes
