// Shape ops: reshape, transpose, concat, split, slicing, expand_dims and squeeze. None of them
// computes anything; they move or select elements, so every element type except string works.
#include <algorithm>

#include "ir/ops/op_helpers.hpp"
#include "ir/ops/slicing.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
using ops::listString;
using ops::Results;

Expected<bool> checkHasElements(const std::string& opName, const TensorType& x) {
    if (x.dtype == DType::String) return fail(opName + " cannot take a string, got " + x.str());
    return true;
}

Results inferReshape(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const std::vector<int64_t>& shape = ctx.intListAttr("shape");
    if (auto ok = checkHasElements("reshape", x); !ok) return fail(ok.error());
    std::string target = "cannot reshape " + x.str() + " to " + listString(shape);
    auto count = ops::checkedProduct(x.shape);
    if (!count) return fail("reshape needs a static shape, got " + x.str());
    Shape out = shape;
    std::optional<size_t> inferred;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == -1) {
            if (inferred) return fail(target + ": only one dimension may be -1");
            inferred = i;
        } else if (out[i] == 0) {
            // MIL: 0 copies the corresponding dimension of x (only when the ranks agree).
            if (shape.size() != x.rank())
                return fail(target + ": 0 (keep the dimension) needs a shape of rank " +
                            std::to_string(x.rank()));
            out[i] = x.shape[i];
        } else if (out[i] < 0) {
            return fail(target + ": dimension " + std::to_string(out[i]) + " is negative");
        }
    }
    Shape known = out;
    if (inferred) known[*inferred] = 1;
    auto knownCount = ops::checkedProduct(known);
    if (!knownCount) return fail(target + ": too many elements");
    if (inferred) {
        if (*knownCount == 0 || *count % *knownCount != 0)
            return fail(target + ": " + std::to_string(*count) + " elements do not divide into " +
                        "the other dimensions (" + std::to_string(*knownCount) + " elements)");
        out[*inferred] = *count / *knownCount;
    } else if (*knownCount != *count) {
        return fail(target + ": " + std::to_string(*count) + " elements vs " +
                    std::to_string(*knownCount));
    }
    return ops::single({x.dtype, out});
}

Results inferTranspose(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const std::vector<int64_t>& perm = ctx.intListAttr("perm");
    if (auto ok = checkHasElements("transpose", x); !ok) return fail(ok.error());
    if (perm.size() != x.rank())
        return fail("transpose perm " + listString(perm) + " has " + std::to_string(perm.size()) +
                    " entries but " + x.str() + " has rank " + std::to_string(x.rank()));
    auto axes = ops::checkAxes("transpose perm", perm, x);
    if (!axes) return fail(axes.error());
    Shape out;
    for (size_t axis : *axes)
        out.push_back(x.shape[axis]);
    return ops::single({x.dtype, out});
}

Results inferConcat(const InferContext& ctx) {
    const auto& values = ctx.operands();
    if (values.empty()) return fail("concat needs at least one value");
    const TensorType& first = *values[0];
    if (auto ok = checkHasElements("concat", first); !ok) return fail(ok.error());
    if (first.isScalar()) return fail("concat needs tensors of rank >= 1, got " + first.str());
    auto axis = ops::checkAxis("concat axis", ctx.intAttr("axis"), first);
    if (!axis) return fail(axis.error());
    bool interleave = ctx.boolAttr("interleave");
    Shape out = first.shape;
    for (size_t i = 1; i < values.size(); ++i) {
        const TensorType& value = *values[i];
        std::string both = "cannot concat " + first.str() + " and " + value.str();
        if (value.dtype != first.dtype) return fail(both + ": element types differ");
        if (value.rank() != first.rank()) return fail(both + ": ranks differ");
        for (size_t d = 0; d < first.rank(); ++d) {
            if (d == *axis && !interleave) continue;
            if (value.shape[d] != first.shape[d])
                return fail(both + " along axis " + std::to_string(*axis) + ": dimension " +
                            std::to_string(d) + " differs" +
                            (d == *axis ? " (interleave needs equal shapes)" : ""));
        }
        out[*axis] += value.shape[*axis];
    }
    return ops::single({first.dtype, out});
}

Results inferSplit(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = checkHasElements("split", x); !ok) return fail(ok.error());
    auto axis = ops::checkAxis("split axis", ctx.intAttr("axis"), x);
    if (!axis) return fail(axis.error());
    const int64_t dim = x.shape[*axis];
    const int64_t numSplits = ctx.intAttr("num_splits");
    std::vector<int64_t> sizes = ctx.intListAttr("split_sizes");
    std::string what = "cannot split " + x.str() + " along axis " + std::to_string(*axis);
    if (numSplits < 0)
        return fail(what + ": num_splits " + std::to_string(numSplits) + " is negative");
    if (sizes.empty()) {
        if (numSplits == 0) return fail("split needs split_sizes or num_splits");
        if (dim % numSplits != 0)
            return fail(what + " into " + std::to_string(numSplits) + " equal parts: " +
                        std::to_string(dim) + " is not a multiple of " + std::to_string(numSplits));
        sizes.assign(static_cast<size_t>(numSplits), dim / numSplits);
    } else {
        if (numSplits != 0 && numSplits != static_cast<int64_t>(sizes.size()))
            return fail(what + ": num_splits " + std::to_string(numSplits) +
                        " disagrees with the " + std::to_string(sizes.size()) + " split_sizes " +
                        listString(sizes));
        for (int64_t size : sizes)
            if (size <= 0)
                return fail(what + ": split_sizes " + listString(sizes) + " must be positive");
        int64_t total = 0;
        for (int64_t size : sizes) {
            if (size > dim - total) {
                total = dim + 1; // more than the axis holds; also avoids overflow
                break;
            }
            total += size;
        }
        if (total != dim)
            return fail(what + ": split_sizes " + listString(sizes) + " do not add up to " +
                        std::to_string(dim));
    }
    std::vector<TensorType> results;
    for (int64_t size : sizes) {
        TensorType part = x;
        part.shape[*axis] = size;
        results.push_back(part);
    }
    return results;
}

Results inferSlice(const InferContext& ctx, bool byIndex) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = checkHasElements(byIndex ? "slice_by_index" : "slice_by_size", x); !ok)
        return fail(ok.error());
    auto slices =
        byIndex ? resolveSliceByIndex(x, ctx.attrs()) : resolveSliceBySize(x, ctx.attrs());
    if (!slices) return fail(slices.error());
    return ops::single({x.dtype, slicedShape(*slices)});
}

Results inferExpandDims(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    if (auto ok = checkHasElements("expand_dims", x); !ok) return fail(ok.error());
    if (axes.empty()) return fail("expand_dims needs at least one axis");
    // Axes index the result, whose rank is rank(x) + len(axes).
    TensorType result{x.dtype, Shape(x.rank() + axes.size(), 1)};
    std::vector<bool> inserted(result.rank(), false);
    for (int64_t axis : axes) {
        auto normalized = normalizeAxis(axis, result.rank());
        if (!normalized)
            return fail("expand_dims axis " + std::to_string(axis) +
                        " is out of range for the rank-" + std::to_string(result.rank()) +
                        " result of expanding " + x.str());
        if (inserted[*normalized])
            return fail("expand_dims axes " + listString(axes) + " insert at position " +
                        std::to_string(*normalized) + " twice");
        inserted[*normalized] = true;
    }
    size_t next = 0;
    for (size_t d = 0; d < result.rank(); ++d)
        if (!inserted[d]) result.shape[d] = x.shape[next++];
    return ops::single(result);
}

Results inferSqueeze(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    if (auto ok = checkHasElements("squeeze", x); !ok) return fail(ok.error());
    if (x.isScalar()) return fail("squeeze needs a tensor of rank >= 1, got " + x.str());
    std::vector<bool> removed(x.rank(), false);
    if (axes.empty()) {
        for (size_t d = 0; d < x.rank(); ++d)
            removed[d] = x.shape[d] == 1;
    } else {
        auto normalized = ops::checkAxes("squeeze axes", axes, x);
        if (!normalized) return fail(normalized.error());
        for (size_t axis : *normalized) {
            if (x.shape[axis] != 1)
                return fail("cannot squeeze axis " + std::to_string(axis) + " of " + x.str() +
                            ": its size is " + std::to_string(x.shape[axis]) + ", not 1");
            removed[axis] = true;
        }
    }
    Shape out;
    for (size_t d = 0; d < x.rank(); ++d)
        if (!removed[d]) out.push_back(x.shape[d]);
    return ops::single({x.dtype, out});
}

// ---- gradients: every shape op moves elements, so its VJP moves the cotangent back ----

// reshape, expand_dims and squeeze keep the element order: the cotangent is reshaped back.
std::vector<Value*> reshapeBackVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    return {c.reshape(c.cotangent(), c.operand(0)->type.shape)};
}

// Result dim i is x dim perm[i], so x dim perm[i] is cotangent dim i: the inverse permutation.
std::vector<Value*> transposeVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    const std::vector<int64_t>& perm = c.intListAttr("perm");
    const size_t rank = perm.size();
    std::vector<int64_t> inverse(rank);
    for (size_t i = 0; i < rank; ++i)
        inverse[*normalizeAxis(perm[i], rank)] = static_cast<int64_t>(i);
    return {c.transpose(c.cotangent(), inverse)};
}

// The pieces of `g` along `axis` with these sizes (one split; g itself for one piece).
std::vector<Value*> splitAlong(VjpContext& c, Value* g, size_t axis,
                               const std::vector<int64_t>& sizes) {
    if (sizes.size() == 1) return {g};
    return c.createMulti("split", {g},
                         {{"axis", static_cast<int64_t>(axis)}, {"split_sizes", sizes}});
}

// Interleaved values alternate along the axis: [.., along * n, ..] viewed as [.., along, n, ..]
// holds value k at index k of the new axis.
std::vector<Value*> interleavedConcatVjp(VjpContext& c, size_t axis) {
    const size_t n = c.numOperands();
    const Shape& shape = c.operand(0)->type.shape;
    Shape grouped = shape;
    grouped.insert(grouped.begin() + static_cast<std::ptrdiff_t>(axis) + 1,
                   static_cast<int64_t>(n));
    std::vector<Value*> pieces =
        splitAlong(c, c.reshape(c.cotangent(), grouped), axis + 1, std::vector<int64_t>(n, 1));
    std::vector<Value*> gradients(n, nullptr);
    for (size_t i = 0; i < n; ++i)
        if (c.wants(i)) gradients[i] = c.reshape(pieces[i], shape);
    return gradients;
}

std::vector<Value*> concatVjp(VjpContext& c) {
    const size_t axis = *normalizeAxis(c.intAttr("axis"), c.operand(0)->type.rank());
    if (c.boolAttr("interleave") && c.numOperands() > 1) return interleavedConcatVjp(c, axis);
    std::vector<int64_t> sizes;
    for (size_t i = 0; i < c.numOperands(); ++i)
        sizes.push_back(c.operand(i)->type.shape[axis]);
    std::vector<Value*> gradients = splitAlong(c, c.cotangent(), axis, sizes);
    for (size_t i = 0; i < gradients.size(); ++i)
        if (!c.wants(i)) gradients[i] = nullptr;
    return gradients;
}

// The pieces' cotangents joined again; an unused piece contributes zeros.
std::vector<Value*> splitVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    std::vector<Value*> pieces;
    for (size_t i = 0; i < c.numResults(); ++i)
        pieces.push_back(c.cotangentOrZero(i));
    if (pieces.size() == 1) return {pieces[0]};
    const int64_t axis = c.intAttr("axis");
    return {c.create("concat", pieces, {{"axis", axis}})};
}

// The cotangent of a slice lands where the slice read x, zeros everywhere else: per axis, a
// backward walk is reversed and a stride s > 1 spreads the elements s apart, then one pad puts
// the block at its place. No scatter: reshapes and pads suit the ANE.
std::vector<Value*> sliceVjp(VjpContext& c, bool byIndex) {
    if (!c.wants(0)) return {nullptr};
    const TensorType& x = c.operand(0)->type;
    auto slices = byIndex ? resolveSliceByIndex(x, c.attrs()) : resolveSliceBySize(x, c.attrs());
    if (!slices) c.unsupported("cannot resolve the slice: " + slices.error());
    Shape walked; // squeezed axes as size 1, so that g has x's rank
    for (const AxisSlice& slice : *slices)
        walked.push_back(slice.count);
    Value* g = c.reshape(c.cotangent(), walked);
    std::vector<std::pair<int64_t, int64_t>> padding;
    for (size_t axis = 0; axis < slices->size(); ++axis) {
        const AxisSlice& slice = (*slices)[axis];
        int64_t low = slice.start, step = slice.stride;
        if (step < 0) { // the same elements walked forwards from the lowest one
            low = slice.start + (slice.count - 1) * step;
            step = -step;
            if (slice.count > 1)
                g = c.create("reverse", {g},
                             {{"axes", std::vector<int64_t>{static_cast<int64_t>(axis)}}});
        }
        int64_t extent = slice.count; // elements of g along the axis after spreading
        if (step > 1 && slice.count > 1) {
            g = dilateWithZeros(c, g, static_cast<int64_t>(axis), step);
            extent = slice.count * step; // the trailing zeros may run past the end of x:
            if (low + extent > x.shape[axis]) {
                extent = (slice.count - 1) * step + 1;
                g = sliceAlongAxis(c, g, axis, 0, extent);
            }
        }
        padding.push_back({low, x.shape[axis] - low - extent});
    }
    return {padWithZeros(c, g, padding)};
}

const std::vector<int64_t> kNone{};
} // namespace

void registerShapeOps(OpRegistry& registry) {
    registry.add({
        .name = "reshape",
        .operands = {{"x"}},
        .attrs = {{"shape", AttrKind::IntList, std::nullopt}},
        .infer = inferReshape,
        .summary = "same elements, new shape (one -1 is inferred, 0 keeps a dimension)",
        .vjp = reshapeBackVjp,
    });
    registry.add({
        .name = "transpose",
        .operands = {{"x"}},
        .attrs = {{"perm", AttrKind::IntList, std::nullopt}},
        .infer = inferTranspose,
        .summary = "permute dimensions: result dim i is x dim perm[i]",
        .vjp = transposeVjp,
    });
    registry.add({
        .name = "concat",
        .operands = {{"values", OperandArity::Variadic}},
        .attrs = {{"axis", AttrKind::Int, std::nullopt}, {"interleave", AttrKind::Bool, false}},
        .infer = inferConcat,
        .summary = "join tensors along axis (interleave alternates their slices)",
        .vjp = concatVjp,
    });
    // MIL's split has two optional parameters, exactly as here: an empty split_sizes and a zero
    // num_splits mean "not given" (and are not emitted); at least one must be given.
    registry.add({
        .name = "split",
        .operands = {{"x"}},
        .attrs = {{"axis", AttrKind::Int, std::nullopt},
                  {"num_splits", AttrKind::Int, int64_t{0}},
                  {"split_sizes", AttrKind::IntList, kNone}},
        .infer = inferSplit,
        .summary = "cut x along axis into num_splits equal parts or parts of split_sizes",
        .vjp = splitVjp,
    });
    registry.add({
        .name = "slice_by_size",
        .operands = {{"x"}},
        .attrs = {{"begin", AttrKind::IntList, std::nullopt},
                  {"size", AttrKind::IntList, std::nullopt}},
        .infer = [](const InferContext& ctx) { return inferSlice(ctx, false); },
        .summary = "x[begin : begin + size] per axis (size -1 = to the end)",
        .vjp = [](VjpContext& c) { return sliceVjp(c, false); },
    });
    // Empty stride/mask lists mean the MIL defaults (all 1 / all false) and are not emitted.
    registry.add({
        .name = "slice_by_index",
        .operands = {{"x"}},
        .attrs = {{"begin", AttrKind::IntList, std::nullopt},
                  {"end", AttrKind::IntList, std::nullopt},
                  {"stride", AttrKind::IntList, kNone},
                  {"begin_mask", AttrKind::BoolList, kNone},
                  {"end_mask", AttrKind::BoolList, kNone},
                  {"squeeze_mask", AttrKind::BoolList, kNone}},
        .infer = [](const InferContext& ctx) { return inferSlice(ctx, true); },
        .summary = "x[begin : end : stride] per axis with numpy semantics; squeeze_mask drops axes",
        .vjp = [](VjpContext& c) { return sliceVjp(c, true); },
    });
    registry.add({
        .name = "expand_dims",
        .operands = {{"x"}},
        .attrs = {{"axes", AttrKind::IntList, std::nullopt}},
        .infer = inferExpandDims,
        .summary = "insert size-1 dimensions at axes (of the result)",
        .vjp = reshapeBackVjp,
    });
    registry.add({
        .name = "squeeze",
        .operands = {{"x"}},
        .attrs = {{"axes", AttrKind::IntList, kNone}},
        .infer = inferSqueeze,
        .summary = "remove size-1 dimensions at axes (empty: all of them)",
        .vjp = reshapeBackVjp,
    });
}

} // namespace anec::ir
