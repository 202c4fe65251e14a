#pragma once
// MIL's constexpr_* ops compute a constant from constants when the program is loaded (Core ML
// uses them for compressed weights). The reader evaluates them into ordinary constants, so the IR
// never sees them:
//   constexpr_affine_dequantize(quantized_data, zero_point, scale, axis)
//       = scale * (quantized_data - zero_point), scale and zero_point per slice along axis
//   constexpr_cast(source_val, output_dtype)
#include <map>
#include <string>
#include <vector>

#include "mil/mil_values.hpp"
#include "support/expected.hpp"

namespace anec::mil {

// Every constexpr_* op is evaluated at load time (or rejected as unsupported).
bool isConstexprOp(const std::string& op);

// The parameter names of a constexpr op, sorted; nullptr for one anec cannot evaluate.
const std::vector<std::string>* constexprParameters(const std::string& op);
// "constexpr_affine_dequantize and constexpr_cast"
std::string supportedConstexprOps();

// Evaluates `op` on its arguments (by parameter name, all of constexprParameters(op) given).
// Fails with a message saying which argument is wrong and why.
Expected<Constant> evaluateConstexpr(const std::string& op,
                                     const std::map<std::string, Constant>& arguments);

} // namespace anec::mil
