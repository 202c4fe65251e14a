#pragma once
// The resolved meaning of slice_by_size and slice_by_index attributes: one start/stride/count per
// input axis. Shared by shape inference and constant folding, so both agree on the semantics.
#include <cstdint>
#include <utility>
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

// ---- gradient helpers, for the VJPs of the ops that select or pad (shape_ops, tensor_ops) ----
class Value;
class VjpContext;

// x[begin : begin + size] along `axis` (slice_by_size); x itself when that is all of it.
Value* sliceAlongAxis(VjpContext& c, Value* x, size_t axis, int64_t begin, int64_t size);
// x with (before, after) zeros added along each axis (one constant-mode pad; x when none).
Value* padWithZeros(VjpContext& c, Value* x,
                    const std::vector<std::pair<int64_t, int64_t>>& perAxis);
// x with `before` and `after` zeros added along one axis.
Value* padAlongAxis(VjpContext& c, Value* x, size_t axis, int64_t before, int64_t after);

} // namespace anec::ir
