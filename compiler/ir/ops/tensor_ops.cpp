// MIL's tensor operations (coremltools iOS15/16 tensor_operation): tensors made from nothing
// (fill, range_1d), masks and scans (band_part, cumsum), padding and replication (pad, tile,
// stack, reverse, pixel_shuffle, upsample_nearest_neighbor) and sorting (topk, argsort).
#include <cmath>
#include <limits>

#include "ir/ops/op_helpers.hpp"
#include "ir/ops/slicing.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
using ops::listString;
using ops::Results;

// The largest element count a made-up tensor may have (the language's limit for tensor types).
constexpr int64_t kMaxElements = int64_t(1) << 48;

Expected<bool> checkSize(const std::string& what, const Shape& shape) {
    auto count = ops::checkedProduct(shape);
    if (!count || *count > kMaxElements)
        return fail(what + ": the result " + shapeString(shape) + " is too large");
    return true;
}

Results inferBandPart(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (x.dtype != DType::Bool) {
        if (auto ok = ops::checkFloatOrInt32("band_part", x); !ok)
            return fail(ok.error() + " (or bool)");
    }
    if (x.rank() < 2)
        return fail("band_part needs a tensor of rank >= 2 (its last two dims are the matrix), "
                    "got " +
                    x.str());
    return ops::single(x);
}

Results inferCumsum(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = ops::checkFloatOrInt32("cumsum", x); !ok) return fail(ok.error());
    if (x.isScalar()) return fail("cumsum needs a tensor of rank >= 1, got " + x.str());
    auto axis = ops::checkAxis("cumsum axis", ctx.intAttr("axis"), x);
    if (!axis) return fail(axis.error());
    return ops::single(x);
}

// MIL fill: shape (a constant here, like reshape's) and an optional scalar value (default fp32 0).
Results inferFill(const InferContext& ctx) {
    const std::vector<int64_t>& shape = ctx.intListAttr("shape");
    const TensorType* value = ctx.operand(0);
    if (shape.empty()) return fail("fill needs a shape with at least one dimension");
    for (int64_t d : shape)
        if (d < 1) return fail("fill shape " + listString(shape) + " must be positive");
    if (auto ok = checkSize("fill", shape); !ok) return fail(ok.error());
    if (!value) return ops::single({DType::Fp32, shape});
    if (auto ok = ops::checkScalar("fill value", *value); !ok) return fail(ok.error());
    if (value->dtype != DType::Bool) {
        if (auto ok = ops::checkFloatOrInt32("fill value", *value); !ok)
            return fail(ok.error() + " (or bool)");
    }
    return ops::single({value->dtype, shape});
}

// ceil((end - start) / step) elements start, start + step, ...; the operands must be constants.
Results inferRange(const InferContext& ctx) {
    const char* names[] = {"start", "end", "step"};
    double values[3] = {0, 0, 0};
    const TensorType& start = *ctx.operand(0);
    for (size_t i = 0; i < 3; ++i) {
        const TensorType& operand = *ctx.operand(i);
        const std::string what = std::string("range_1d ") + names[i];
        if (auto ok = ops::checkScalar(what, operand); !ok) return fail(ok.error());
        if (auto ok = ops::checkFloatOrInt32(what, operand); !ok) return fail(ok.error());
        if (operand.dtype != start.dtype)
            return fail("range_1d needs start, end and step of one type, got " + start.str() +
                        ", " + ctx.operand(1)->str() + " and " + ctx.operand(2)->str());
        const ConstData* value = ctx.operandValue(i);
        if (!value)
            return fail("range_1d needs constant start, end and step (they set its length), but " +
                        std::string(names[i]) + " is computed");
        values[i] = value->at(0);
    }
    auto spell = [&](double v) {
        return isInteger(start.dtype) ? std::to_string(static_cast<int64_t>(v))
                                      : attributeString(v);
    };
    const std::string range =
        "range_1d from " + spell(values[0]) + " to " + spell(values[1]) + " by " + spell(values[2]);
    if (values[2] == 0 || !std::isfinite(values[0] + values[1] + values[2]))
        return fail(range + ": the step must be non-zero and all three finite");
    const double count = std::ceil((values[1] - values[0]) / values[2]);
    if (count < 1) return fail(range + " is empty");
    if (count > static_cast<double>(std::numeric_limits<int32_t>::max()))
        return fail(range + " has too many elements");
    return ops::single({start.dtype, {static_cast<int64_t>(count)}});
}

// MIL pad: pad holds (before, after) pairs for the last len(pad) / 2 dims of x.
Results inferPad(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const std::vector<int64_t>& pad = ctx.intListAttr("pad");
    const std::string& mode = ctx.stringAttr("mode");
    if (auto ok = ops::checkFloat("pad", x); !ok) return fail(ok.error());
    if (mode != "constant" && mode != "reflect" && mode != "replicate")
        return fail("pad mode must be \"constant\", \"reflect\" or \"replicate\", got \"" + mode +
                    "\"");
    if (pad.empty() || pad.size() % 2 != 0 || pad.size() / 2 > x.rank())
        return fail("pad " + listString(pad) +
                    " must hold a (before, after) pair for each of the last dims of " + x.str() +
                    " (2 to " + std::to_string(2 * x.rank()) + " values)");
    Shape out = x.shape;
    const size_t first = x.rank() - pad.size() / 2;
    for (size_t i = 0; i < pad.size(); ++i) {
        const size_t d = first + i / 2;
        if (pad[i] < 0) return fail("pad " + listString(pad) + " must not be negative");
        // reflect mirrors without repeating the edge, so it needs pad < dim; replicate repeats
        // the edge element (coremltools allows up to the dim).
        const int64_t limit = mode == "reflect" ? x.shape[d] - 1 : x.shape[d];
        if (mode != "constant" && pad[i] > limit)
            return fail("pad " + listString(pad) + " in mode \"" + mode + "\" can add at most " +
                        std::to_string(limit) + " elements on each side of dimension " +
                        std::to_string(d) + " of " + x.str());
        out[d] += pad[i];
    }
    if (auto ok = checkSize("pad", out); !ok) return fail(ok.error());
    return ops::single({x.dtype, out});
}

Expected<bool> checkElements(const std::string& opName, const TensorType& x) {
    if (x.dtype == DType::String) return fail(opName + " cannot take a string, got " + x.str());
    return true;
}

Results inferTile(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const std::vector<int64_t>& reps = ctx.intListAttr("reps");
    if (auto ok = checkElements("tile", x); !ok) return fail(ok.error());
    if (x.isScalar()) return fail("tile needs a tensor of rank >= 1, got " + x.str());
    if (auto ok = ops::checkPerDim("tile reps", reps, x); !ok) return fail(ok.error());
    Shape out = x.shape;
    for (size_t d = 0; d < x.rank(); ++d) {
        if (reps[d] < 1) return fail("tile reps " + listString(reps) + " must be positive");
        if (reps[d] > kMaxElements / out[d])
            return fail("tile: the result of repeating " + x.str() + " " + listString(reps) +
                        " times is too large");
        out[d] *= reps[d];
    }
    if (auto ok = checkSize("tile", out); !ok) return fail(ok.error());
    return ops::single({x.dtype, out});
}

Results inferStack(const InferContext& ctx) {
    const auto& values = ctx.operands();
    if (values.empty()) return fail("stack needs at least one value");
    const TensorType& first = *values[0];
    if (auto ok = checkElements("stack", first); !ok) return fail(ok.error());
    for (const TensorType* value : values)
        if (*value != first)
            return fail("stack needs values of one type, got " + first.str() + " and " +
                        value->str());
    const int64_t axis = ctx.intAttr("axis");
    auto normalized = normalizeAxis(axis, first.rank() + 1); // an axis of the result
    if (!normalized)
        return fail("stack axis " + std::to_string(axis) + " is out of range for the rank-" +
                    std::to_string(first.rank() + 1) + " result of stacking " + first.str());
    Shape out = first.shape;
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(*normalized),
               static_cast<int64_t>(values.size()));
    return ops::single({first.dtype, out});
}

Results inferReverse(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = checkElements("reverse", x); !ok) return fail(ok.error());
    auto axes = ops::checkAxes("reverse axes", ctx.intListAttr("axes"), x);
    if (!axes) return fail(axes.error());
    return ops::single(x);
}

// [N, C * f * f, H, W] -> [N, C, H * f, W * f] (PyTorch's PixelShuffle).
Results inferPixelShuffle(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const int64_t f = ctx.intAttr("upscale_factor");
    if (auto ok = ops::checkFloat("pixel_shuffle", x); !ok) return fail(ok.error());
    if (x.rank() != 4) return fail("pixel_shuffle needs x of rank 4 [N, C, H, W], got " + x.str());
    if (f < 1 || f > x.shape[1] || x.shape[1] % (f * f) != 0)
        return fail("pixel_shuffle upscale_factor " + std::to_string(f) +
                    " must be positive with its square dividing the " + std::to_string(x.shape[1]) +
                    " channels of " + x.str());
    Shape out{x.shape[0], x.shape[1] / (f * f), x.shape[2] * f, x.shape[3] * f};
    if (auto ok = checkSize("pixel_shuffle", out); !ok) return fail(ok.error());
    return ops::single({x.dtype, out});
}

// Integer scale factors for the last two dims (MIL also allows fp32 ones; anec does not).
Results inferUpsample(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const int64_t sh = ctx.intAttr("scale_factor_height"), sw = ctx.intAttr("scale_factor_width");
    if (auto ok = ops::checkFloat("upsample_nearest_neighbor", x); !ok) return fail(ok.error());
    if (x.rank() < 3)
        return fail("upsample_nearest_neighbor needs x of rank >= 3 ([.., H, W]), got " + x.str());
    if (sh < 1 || sw < 1)
        return fail("upsample_nearest_neighbor scale factors must be positive integers, got " +
                    std::to_string(sh) + " and " + std::to_string(sw));
    Shape out = x.shape;
    if (sh > kMaxElements / out[out.size() - 2] || sw > kMaxElements / out.back())
        return fail("upsample_nearest_neighbor: the result is too large");
    out[out.size() - 2] *= sh;
    out.back() *= sw;
    if (auto ok = checkSize("upsample_nearest_neighbor", out); !ok) return fail(ok.error());
    return ops::single({x.dtype, out});
}

// The sorted axis of topk / argsort.
Expected<size_t> checkSortAxis(const std::string& opName, const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = ops::checkFloatOrInt32(opName, x); !ok) return fail(ok.error());
    if (x.isScalar()) return fail(opName + " needs a tensor of rank >= 1, got " + x.str());
    return ops::checkAxis(opName + " axis", ctx.intAttr("axis"), x);
}

Results inferTopk(const InferContext& ctx) {
    auto axis = checkSortAxis("topk", ctx);
    if (!axis) return fail(axis.error());
    const TensorType& x = *ctx.operand(0);
    const int64_t k = ctx.intAttr("k");
    if (k < 1 || k > x.shape[*axis])
        return fail("topk k " + std::to_string(k) + " must be between 1 and the size " +
                    std::to_string(x.shape[*axis]) + " of axis " + std::to_string(*axis) + " of " +
                    x.str());
    Shape out = x.shape;
    out[*axis] = k;
    return std::vector<TensorType>{{x.dtype, out}, {DType::Int32, out}};
}

Results inferArgsort(const InferContext& ctx) {
    auto axis = checkSortAxis("argsort", ctx);
    if (!axis) return fail(axis.error());
    return ops::single({DType::Int32, ctx.operand(0)->shape});
}

// ---- gradients (argsort and topk's indices are integers: none) ----

std::vector<int64_t> onlyAxis(size_t axis) {
    return {static_cast<int64_t>(axis)};
}

// band_part is a fixed mask: the cotangent masked the same way.
std::vector<Value*> bandPartVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    return {c.create("band_part", {c.cotangent()},
                     {{"lower", c.intAttr("lower")}, {"upper", c.intAttr("upper")}})};
}

// x_k reaches every y_i whose sum includes it, i.e. the i on the other side of k: the cotangent
// summed the other way round (exclusive stays exclusive).
std::vector<Value*> cumsumVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    return {c.create("cumsum", {c.cotangent()},
                     {{"axis", c.intAttr("axis")},
                      {"exclusive", c.boolAttr("exclusive")},
                      {"reverse", !c.boolAttr("reverse")}})};
}

// Every element is the value: its cotangent is the sum.
std::vector<Value*> fillVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    return {c.sumToShape(c.cotangent(), {})};
}

// Element i is start + i * step (the length depends on end only through a ceil: no gradient).
std::vector<Value*> rangeVjp(VjpContext& c) {
    Value* g = c.cotangent();
    std::vector<Value*> gradients(3, nullptr);
    if (c.wants(0)) gradients[0] = c.sumToShape(g, {});
    if (c.wants(2)) {
        const DType dtype = g->type.dtype;
        Value* index = c.arange(g->type.shape[0], dtype);
        gradients[2] = c.sumToShape(c.mul(g, index), {});
    }
    return gradients;
}

// Where the cotangent of a border (`count` elements on the `front` or back side of an axis of
// size n) goes in x, as a tensor of x's size along that axis. Replicate copies the edge element
// into each border element; reflect mirrors without the edge: front border element j copies
// element count - j and back border element t copies n - 2 - t, so the reversed border lands on
// 1..count or n-1-count..n-2.
Value* borderToSource(VjpContext& c, Value* border, size_t axis, int64_t count, int64_t n,
                      bool front, const std::string& mode) {
    if (mode == "replicate") {
        Value* edge = c.sumKeep(border, onlyAxis(axis));
        return front ? padAlongAxis(c, edge, axis, 0, n - 1)
                     : padAlongAxis(c, edge, axis, n - 1, 0);
    }
    Value* mirrored = c.create("reverse", {border}, {{"axes", onlyAxis(axis)}});
    return front ? padAlongAxis(c, mirrored, axis, 1, n - 1 - count)
                 : padAlongAxis(c, mirrored, axis, n - 1 - count, 1);
}

// The cotangent along one axis of size n padded by (before, after) in mode reflect or
// replicate: the middle, plus each border's cotangent added to the elements it copied.
Value* unpadAxis(VjpContext& c, Value* g, size_t axis, int64_t before, int64_t after, int64_t n,
                 const std::string& mode) {
    Value* total = sliceAlongAxis(c, g, axis, before, n);
    if (before > 0) {
        Value* border = sliceAlongAxis(c, g, axis, 0, before);
        total = c.add(total, borderToSource(c, border, axis, before, n, true, mode));
    }
    if (after > 0) {
        Value* border = sliceAlongAxis(c, g, axis, before + n, after);
        total = c.add(total, borderToSource(c, border, axis, after, n, false, mode));
    }
    return total;
}

// Constant padding: the middle block of the cotangent. Reflect and replicate padding also send
// the border's cotangent back to the elements it copied, one axis after the other (the source
// index is computed per axis).
std::vector<Value*> padVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    const Shape& x = c.operand(0)->type.shape;
    const std::vector<int64_t>& pad = c.intListAttr("pad");
    const std::string& mode = c.stringAttr("mode");
    const size_t first = x.size() - pad.size() / 2;
    Value* g = c.cotangent();
    if (mode == "constant") {
        std::vector<int64_t> begin(x.size(), 0);
        for (size_t d = first; d < x.size(); ++d)
            begin[d] = pad[2 * (d - first)];
        if (g->type.shape == x) return {g}; // all pads 0
        return {
            c.create("slice_by_size", {g}, {{"begin", begin}, {"size", std::vector<int64_t>(x)}})};
    }
    for (size_t d = first; d < x.size(); ++d)
        g = unpadAxis(c, g, d, pad[2 * (d - first)], pad[2 * (d - first) + 1], x[d], mode);
    return {g};
}

// The cotangent of a result that repeats x `factors[d]` times along each dim d, summed over the
// repeats: dim d of size x[d] * factors[d] viewed as [factors[d], x[d]] (tile: whole copies of x
// follow each other, `repeatsOutside`) or as [x[d], factors[d]] (upsample: each element
// repeated in place), the repeat dim summed away.
Value* sumBlocks(VjpContext& c, Value* g, const Shape& x, const std::vector<int64_t>& factors,
                 bool repeatsOutside) {
    Shape grouped;
    std::vector<int64_t> summed;
    for (size_t d = 0; d < x.size(); ++d) {
        if (factors[d] == 1) {
            grouped.push_back(x[d]);
            continue;
        }
        const int64_t at = static_cast<int64_t>(grouped.size()) + (repeatsOutside ? 0 : 1);
        grouped.push_back(repeatsOutside ? factors[d] : x[d]);
        grouped.push_back(repeatsOutside ? x[d] : factors[d]);
        summed.push_back(at);
    }
    return c.reshape(c.sumKeep(c.reshape(g, grouped), summed), x);
}

// Copy r of dim d holds x's dim d whole: [r * n] viewed as [r, n], summed over r.
std::vector<Value*> tileVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    return {sumBlocks(c, c.cotangent(), c.operand(0)->type.shape, c.intListAttr("reps"), true)};
}

// Each element fills an sh x sw block: [H * sh] viewed as [H, sh], summed over sh (and W).
std::vector<Value*> upsampleVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    const Shape& x = c.operand(0)->type.shape;
    std::vector<int64_t> factors(x.size(), 1);
    factors[x.size() - 2] = c.intAttr("scale_factor_height");
    factors[x.size() - 1] = c.intAttr("scale_factor_width");
    return {sumBlocks(c, c.cotangent(), x, factors, false)};
}

// Value k is index k of the new axis: split it into single slices, reshaped to the values.
std::vector<Value*> stackVjp(VjpContext& c) {
    const Shape& shape = c.operand(0)->type.shape;
    const size_t n = c.numOperands();
    const int64_t axis = static_cast<int64_t>(*normalizeAxis(c.intAttr("axis"), shape.size() + 1));
    std::vector<Value*> pieces{c.cotangent()};
    if (n > 1)
        pieces = c.createMulti("split", {c.cotangent()},
                               {{"axis", axis}, {"split_sizes", std::vector<int64_t>(n, 1)}});
    std::vector<Value*> gradients(n, nullptr);
    for (size_t i = 0; i < n; ++i)
        if (c.wants(i)) gradients[i] = c.reshape(pieces[i], shape);
    return gradients;
}

std::vector<Value*> reverseVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    return {c.create("reverse", {c.cotangent()}, {{"axes", c.intListAttr("axes")}})};
}

// Result [n, c, h * f + i, w * f + j] is x [n, c * f * f + i * f + j, h, w]: the cotangent
// viewed as [N, C, H, f, W, f], its (i, j) dims moved in front of (H, W), and merged into the
// channels.
std::vector<Value*> pixelShuffleVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    const Shape& x = c.operand(0)->type.shape;
    const int64_t f = c.intAttr("upscale_factor");
    const int64_t channels = x[1] / (f * f);
    Value* g = c.reshape(c.cotangent(), {x[0], channels, x[2], f, x[3], f});
    return {c.reshape(c.transpose(g, {0, 1, 3, 5, 2, 4}), x)};
}

// The values' cotangent scattered back to where topk took them; the indices are an integer
// result (ties: the element topk picked, the lower index).
std::vector<Value*> topkVjp(VjpContext& c) {
    if (!c.wants(0) || !c.cotangent(0)) return {nullptr};
    Value* x = c.operand(0);
    return {c.create("scatter_along_axis", {c.zerosLike(x), c.result(1), c.cotangent(0)},
                     {{"axis", c.intAttr("axis")}, {"mode", std::string("add")}})};
}
} // namespace

void registerTensorOps(OpRegistry& registry) {
    registry.add({
        .name = "band_part",
        .operands = {{"x"}},
        .attrs = {{"lower", AttrKind::Int, int64_t{-1}}, {"upper", AttrKind::Int, int64_t{-1}}},
        .infer = inferBandPart,
        .summary = "x where the last two dims (row m, column n) satisfy m - n <= lower and "
                   "n - m <= upper (negative: no limit), else 0 / false",
        .vjp = bandPartVjp,
    });
    registry.add({
        .name = "cumsum",
        .operands = {{"x"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{0}},
                  {"exclusive", AttrKind::Bool, false},
                  {"reverse", AttrKind::Bool, false}},
        .infer = inferCumsum,
        .summary = "running sums along axis (exclusive: without the element itself; reverse: "
                   "from the end)",
        .vjp = cumsumVjp,
    });
    registry.add({
        .name = "fill",
        .operands = {{"value", OperandArity::Optional}},
        .attrs = {{"shape", AttrKind::IntList, std::nullopt}},
        .infer = inferFill,
        .summary = "a tensor of shape filled with the scalar value (absent: fp32 0)",
        .vjp = fillVjp,
    });
    registry.add({
        .name = "range_1d",
        .operands = {{"start"}, {"end"}, {"step"}},
        .attrs = {},
        .infer = inferRange,
        .summary = "start, start + step, ... up to end (exclusive), like numpy.arange; constant "
                   "int32, fp16 or fp32 scalars",
        .vjp = rangeVjp,
    });
    registry.add({
        .name = "pad",
        .operands = {{"x"}},
        .attrs = {{"pad", AttrKind::IntList, std::nullopt},
                  {"mode", AttrKind::String, std::string("constant")},
                  {"constant_val", AttrKind::Float, 0.0}},
        .infer = inferPad,
        .summary = "pads the last len(pad)/2 dims by (before, after) pairs: mode constant "
                   "(constant_val), reflect or replicate",
        .vjp = padVjp,
    });
    registry.add({
        .name = "tile",
        .operands = {{"x"}},
        .attrs = {{"reps", AttrKind::IntList, std::nullopt}},
        .infer = inferTile,
        .summary = "x repeated reps[d] times along each dim d",
        .vjp = tileVjp,
    });
    registry.add({
        .name = "stack",
        .operands = {{"values", OperandArity::Variadic}},
        .attrs = {{"axis", AttrKind::Int, std::nullopt}},
        .infer = inferStack,
        .summary = "tensors of one type joined along a new axis (of the result)",
        .vjp = stackVjp,
    });
    registry.add({
        .name = "reverse",
        .operands = {{"x"}},
        .attrs = {{"axes", AttrKind::IntList, std::vector<int64_t>{}}},
        .infer = inferReverse,
        .summary = "x with the order of the elements along axes reversed (empty: all axes)",
        .vjp = reverseVjp,
    });
    registry.add({
        .name = "pixel_shuffle",
        .operands = {{"x"}},
        .attrs = {{"upscale_factor", AttrKind::Int, std::nullopt}},
        .infer = inferPixelShuffle,
        .summary = "[N, C*f*f, H, W] -> [N, C, H*f, W*f]: channels into space (PixelShuffle)",
        .vjp = pixelShuffleVjp,
    });
    registry.add({
        .name = "upsample_nearest_neighbor",
        .operands = {{"x"}},
        .attrs = {{"scale_factor_height", AttrKind::Int, int64_t{1}},
                  {"scale_factor_width", AttrKind::Int, int64_t{1}}},
        .infer = inferUpsample,
        .summary = "repeats each element of the last two dims by integer scale factors",
        .vjp = upsampleVjp,
    });
    registry.add({
        .name = "topk",
        .operands = {{"x"}},
        .attrs = {{"k", AttrKind::Int, int64_t{1}},
                  {"axis", AttrKind::Int, int64_t{-1}},
                  {"ascending", AttrKind::Bool, false}},
        .infer = inferTopk,
        .summary = "the k largest (ascending: smallest) values along axis and their int32 "
                   "indices, sorted; ties keep the lower index first",
        .vjp = topkVjp,
    });
    registry.add({
        .name = "argsort",
        .operands = {{"x"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{-1}}, {"ascending", AttrKind::Bool, false}},
        .infer = inferArgsort,
        .summary = "the int32 indices that sort x along axis (default descending; stable)",
    });
}

} // namespace anec::ir
