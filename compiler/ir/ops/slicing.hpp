#pragma once
// The resolved meaning of slice_by_size and slice_by_index attributes: one start/stride/count per
// input axis. Shared by shape inference and constant folding, so both agree on the semantics.
#include <cstdint>
#include <vector>

#include "ir/attributes.hpp"
#include "ir/types.hpp"
#include "support/expected.hpp"

namespace anec::ir {

struct AxisSlice {
    int64_t start = 0;     // first selected index (normalised, in range)
    int64_t stride = 1;    // non-zero; negative walks backwards
    int64_t count = 0;     // selected elements (>= 1)
    bool squeezed = false; // slice_by_index squeeze_mask: the axis is removed from the result
};

// `attrs` must have defaults filled in (as after inferOp). Fails with a user-facing message.
Expected<std::vector<AxisSlice>> resolveSliceBySize(const TensorType& x, const AttrMap& attrs);
Expected<std::vector<AxisSlice>> resolveSliceByIndex(const TensorType& x, const AttrMap& attrs);

// The result shape: the counts of the axes that are not squeezed.
Shape slicedShape(const std::vector<AxisSlice>& slices);

} // namespace anec::ir
