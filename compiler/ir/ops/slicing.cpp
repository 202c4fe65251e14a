#include "ir/ops/slicing.hpp"

#include <algorithm>
#include <string>

#include "ir/ops/op_helpers.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
const std::vector<int64_t>& listAttr(const AttrMap& attrs, const std::string& name) {
    static const std::vector<int64_t> kEmpty;
    auto it = attrs.find(name);
    if (it == attrs.end()) return kEmpty;
    const auto* list = std::get_if<std::vector<int64_t>>(&it->second);
    return list ? *list : kEmpty;
}

// An empty optional list means "the MIL default" for every axis.
std::vector<int64_t> orDefault(const std::vector<int64_t>& values, size_t rank, int64_t fallback) {
    return values.empty() ? std::vector<int64_t>(rank, fallback) : values;
}

// Python slice bounds: negative indices count from the end, then clamp into the walkable range.
int64_t clampIndex(int64_t index, int64_t dim, int64_t low, int64_t high) {
    if (index < 0) index += dim;
    return std::clamp(index, low, high);
}
} // namespace

Expected<std::vector<AxisSlice>> resolveSliceBySize(const TensorType& x, const AttrMap& attrs) {
    if (!x.isStatic()) return fail("slice_by_size needs a static shape, got " + x.str());
    const std::vector<int64_t>& begin = listAttr(attrs, "begin");
    const std::vector<int64_t>& size = listAttr(attrs, "size");
    if (auto ok = ops::checkPerDim("slice_by_size begin", begin, x); !ok) return fail(ok.error());
    if (auto ok = ops::checkPerDim("slice_by_size size", size, x); !ok) return fail(ok.error());
    std::vector<AxisSlice> slices(x.rank());
    for (size_t axis = 0; axis < x.rank(); ++axis) {
        int64_t dim = x.shape[axis];
        std::string where = " for axis " + std::to_string(axis) + " of " + x.str();
        int64_t start = begin[axis] < 0 ? begin[axis] + dim : begin[axis];
        if (start < 0 || start >= dim)
            return fail("slice_by_size begin " + std::to_string(begin[axis]) + " is out of range" +
                        where);
        if (size[axis] == 0 || size[axis] < -1)
            return fail("slice_by_size size " + std::to_string(size[axis]) +
                        " must be positive or -1 (to the end)" + where);
        int64_t count = size[axis] == -1 ? dim - start : size[axis];
        if (count > dim - start)
            return fail("slice_by_size of " + x.str() + " with begin " + ops::listString(begin) +
                        " and size " + ops::listString(size) + " runs past the end of axis " +
                        std::to_string(axis) + " (" + std::to_string(start) + " + " +
                        std::to_string(count) + " > " + std::to_string(dim) + ")");
        slices[axis] = {start, 1, count, false};
    }
    return slices;
}

Expected<std::vector<AxisSlice>> resolveSliceByIndex(const TensorType& x, const AttrMap& attrs) {
    if (!x.isStatic()) return fail("slice_by_index needs a static shape, got " + x.str());
    const size_t rank = x.rank();
    const std::vector<int64_t>& begin = listAttr(attrs, "begin");
    const std::vector<int64_t>& end = listAttr(attrs, "end");
    std::vector<int64_t> stride = orDefault(listAttr(attrs, "stride"), rank, 1);
    std::vector<int64_t> beginMask = orDefault(listAttr(attrs, "begin_mask"), rank, 0);
    std::vector<int64_t> endMask = orDefault(listAttr(attrs, "end_mask"), rank, 0);
    std::vector<int64_t> squeezeMask = orDefault(listAttr(attrs, "squeeze_mask"), rank, 0);
    const std::pair<const char*, const std::vector<int64_t>*> lists[] = {
        {"begin", &begin},          {"end", &end},          {"stride", &stride},
        {"begin_mask", &beginMask}, {"end_mask", &endMask}, {"squeeze_mask", &squeezeMask}};
    for (const auto& [name, values] : lists) {
        std::string what = std::string("slice_by_index ") + name;
        if (auto ok = ops::checkPerDim(what, *values, x); !ok) return fail(ok.error());
        if (std::string(name).ends_with("_mask"))
            if (auto ok = ops::checkBoolList(what, *values); !ok) return fail(ok.error());
    }

    std::vector<AxisSlice> slices(rank);
    for (size_t axis = 0; axis < rank; ++axis) {
        const int64_t dim = x.shape[axis];
        const int64_t step = stride[axis];
        std::string where = " for axis " + std::to_string(axis) + " of " + x.str();
        if (step == 0) return fail("slice_by_index stride must not be 0" + where);
        // Forward walks cover [0, dim); backward walks start at most at dim-1 and stop before -1.
        int64_t low = step > 0 ? 0 : -1;
        int64_t high = step > 0 ? dim : dim - 1;
        int64_t start =
            beginMask[axis] ? (step > 0 ? 0 : dim - 1) : clampIndex(begin[axis], dim, low, high);
        if (squeezeMask[axis]) {
            if (start < 0 || start >= dim)
                return fail("slice_by_index squeezes index " + std::to_string(begin[axis]) +
                            ", which is out of range" + where);
            slices[axis] = {start, 1, 1, true};
            continue;
        }
        int64_t stop =
            endMask[axis] ? (step > 0 ? dim : -1) : clampIndex(end[axis], dim, low, high);
        int64_t span = step > 0 ? stop - start : start - stop;
        int64_t absStep = step > 0 ? step : -step;
        int64_t count = span > 0 ? (span + absStep - 1) / absStep : 0;
        if (count == 0)
            return fail("slice_by_index selects nothing (begin " + std::to_string(begin[axis]) +
                        ", end " + std::to_string(end[axis]) + ", stride " + std::to_string(step) +
                        ")" + where);
        slices[axis] = {start, step, count, false};
    }
    return slices;
}

Shape slicedShape(const std::vector<AxisSlice>& slices) {
    Shape shape;
    for (const AxisSlice& slice : slices)
        if (!slice.squeezed) shape.push_back(slice.count);
    return shape;
}

Value* sliceAlongAxis(VjpContext& c, Value* x, size_t axis, int64_t begin, int64_t size) {
    const Shape& shape = x->type.shape;
    if (begin == 0 && size == shape.at(axis)) return x;
    std::vector<int64_t> begins(shape.size(), 0), sizes(shape.size(), -1);
    begins[axis] = begin;
    sizes[axis] = size;
    return c.create("slice_by_size", {x}, {{"begin", begins}, {"size", sizes}});
}

Value* padWithZeros(VjpContext& c, Value* x,
                    const std::vector<std::pair<int64_t, int64_t>>& perAxis) {
    // pad covers the last dims only: start at the first axis that gets any zeros.
    size_t first = perAxis.size();
    for (size_t d = perAxis.size(); d-- > 0;)
        if (perAxis[d].first != 0 || perAxis[d].second != 0) first = d;
    if (first == perAxis.size()) return x;
    std::vector<int64_t> pad;
    for (size_t d = first; d < perAxis.size(); ++d) {
        pad.push_back(perAxis[d].first);
        pad.push_back(perAxis[d].second);
    }
    return c.create("pad", {x}, {{"pad", pad}});
}

Value* padAlongAxis(VjpContext& c, Value* x, size_t axis, int64_t before, int64_t after) {
    std::vector<std::pair<int64_t, int64_t>> perAxis(x->type.rank(), {0, 0});
    perAxis.at(axis) = {before, after};
    return padWithZeros(c, x, perAxis);
}

} // namespace anec::ir
