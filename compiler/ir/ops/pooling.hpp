#pragma once
// The resolved window geometry of avg_pool and max_pool (MIL pad_type valid/same/same_lower/
// custom over 1 to 3 spatial dims): shared by shape inference and the reference evaluator, so
// both agree on the padding.
#include <cstdint>
#include <vector>

#include "ir/attributes.hpp"
#include "ir/types.hpp"
#include "support/expected.hpp"

namespace anec::ir {

struct PoolGeometry {
    std::vector<int64_t> kernel;    // per spatial dim
    std::vector<int64_t> strides;   // per spatial dim
    std::vector<int64_t> padBefore; // per spatial dim (elements before the first input one)
    Shape out;                      // the result shape [N, C, out...]
};

// `attrs` must have defaults filled in (as after inferOp). `opName` starts the messages.
Expected<PoolGeometry> resolvePool(const std::string& opName, const TensorType& x,
                                   const AttrMap& attrs);

} // namespace anec::ir
