// Pooling: avg_pool and max_pool over the spatial dims of x [N, C, spatial...] (1 to 3 of them),
// with MIL's pad types. ceil_mode (a PyTorch output-size rule) is not supported.
#include <limits>

#include "ir/ops/conv_vjp.hpp"
#include "ir/ops/op_helpers.hpp"
#include "ir/ops/pooling.hpp"

namespace anec::ir {

namespace {
using ops::listString;
using ops::Results;

const std::vector<int64_t>& intList(const AttrMap& attrs, const std::string& name) {
    return std::get<std::vector<int64_t>>(attrs.at(name));
}

// A per-spatial-dim list: empty means the MIL default (`fallback` for every dim).
Expected<std::vector<int64_t>> perSpatialDim(const std::string& what,
                                             const std::vector<int64_t>& values, size_t count,
                                             int64_t fallback) {
    if (values.empty()) return std::vector<int64_t>(count, fallback);
    if (values.size() != count)
        return fail(what + " " + listString(values) + " needs " + std::to_string(count) +
                    " values, one per spatial dimension");
    return values;
}
} // namespace

Expected<PoolGeometry> resolvePool(const std::string& opName, const TensorType& x,
                                   const AttrMap& attrs) {
    if (x.rank() < 3 || x.rank() > 5)
        return fail(opName + " needs x of rank 3 to 5 [N, C, spatial...], got " + x.str());
    const size_t dims = x.rank() - 2;
    const std::string& padType = std::get<std::string>(attrs.at("pad_type"));
    if (padType != "valid" && padType != "same" && padType != "same_lower" && padType != "custom")
        return fail(opName + " pad_type must be \"valid\", \"same\", \"same_lower\" or " +
                    "\"custom\", got \"" + padType + "\"");
    if (std::get<bool>(attrs.at("ceil_mode")))
        return fail(opName + " ceil_mode is not supported (pad the input instead)");
    PoolGeometry g;
    auto kernel = perSpatialDim(opName + " kernel_sizes", intList(attrs, "kernel_sizes"), dims, 0);
    auto strides = perSpatialDim(opName + " strides", intList(attrs, "strides"), dims, 1);
    auto pad = perSpatialDim(opName + " pad", intList(attrs, "pad"), 2 * dims, 0);
    if (!kernel) return fail(kernel.error());
    if (!strides) return fail(strides.error());
    if (!pad) return fail(pad.error());
    g.kernel = *kernel;
    g.strides = *strides;
    if (padType != "custom" && !intList(attrs, "pad").empty())
        return fail(opName + " pad " + listString(intList(attrs, "pad")) +
                    " needs pad_type \"custom\", got \"" + padType + "\"");
    g.out = {x.shape[0], x.shape[1]};
    for (size_t i = 0; i < dims; ++i) {
        const int64_t in = x.shape[2 + i], k = g.kernel[i], s = g.strides[i];
        if (k < 1)
            return fail(opName + " kernel_sizes " + listString(g.kernel) + " must be positive");
        if (s < 1) return fail(opName + " strides " + listString(g.strides) + " must be positive");
        int64_t before = 0, after = 0, out = 0;
        if (padType == "same" || padType == "same_lower") {
            out = (in + s - 1) / s;
            const int64_t total = std::max<int64_t>((out - 1) * s + k - in, 0);
            before = padType == "same" ? total / 2 : total - total / 2;
        } else {
            if (padType == "custom") {
                before = (*pad)[2 * i];
                after = (*pad)[2 * i + 1];
                if (before < 0 || after < 0)
                    return fail(opName + " pad " + listString(*pad) + " must not be negative");
                if (before >= k || after >= k)
                    return fail(opName + " pad " + listString(*pad) +
                                " must be smaller than the kernel " + listString(g.kernel) +
                                " (a window of padding only)");
            }
            const int64_t padded = in + before + after;
            if (padded < k)
                return fail(opName + " kernel " + listString(g.kernel) + " does not fit in " +
                            x.str() + " (spatial dimension " + std::to_string(i) + ")");
            out = (padded - k) / s + 1;
        }
        g.padBefore.push_back(before);
        g.out.push_back(out);
    }
    return g;
}

namespace {
// The pooling VJPs spread each window's cotangent back over the window's input positions: with
// pb elements of padding before x along a spatial axis, tap k of output o reads x[o*s + k - pb].
// avg_pool's share of g (the same for every tap) is dilated by the stride, padded by
// kernel - 1 - pb before, and dx[i] = sum_k gpad[i + kernel - 1 - k]: slices and adds, or over 2
// spatial dims a depthwise conv with a ones kernel. max_pool's per-tap parts differ: each is
// dilated and padded (or cropped) into place by itself, and the taps added.
struct PoolVjpGeometry {
    PoolGeometry window;
    Shape in;                      // x's spatial dims
    std::vector<int64_t> padAfter; // < 0: trailing input elements no window reads
    int64_t taps = 1;
};

PoolVjpGeometry poolVjpGeometry(VjpContext& c) {
    const TensorType& x = c.operand(0)->type;
    auto window = resolvePool(c.op().kind(), x, c.attrs());
    if (!window) c.unsupported(window.error());
    PoolVjpGeometry geo{*window, Shape(x.shape.begin() + 2, x.shape.end()), {}, 1};
    for (size_t i = 0; i < geo.in.size(); ++i) {
        geo.padAfter.push_back((geo.window.out[2 + i] - 1) * geo.window.strides[i] +
                               geo.window.kernel[i] - geo.in[i] - geo.window.padBefore[i]);
        geo.taps *= geo.window.kernel[i];
    }
    return geo;
}

// The kernel offsets of tap t (row-major over the spatial dims, the evaluator's window order).
std::vector<int64_t> tapOffsets(const PoolVjpGeometry& geo, int64_t t) {
    std::vector<int64_t> at(geo.in.size());
    for (size_t i = geo.in.size(); i-- > 0;) {
        at[i] = t % geo.window.kernel[i];
        t /= geo.window.kernel[i];
    }
    return at;
}

// `spread` has the result's spatial dims last; dilated and padded to in + kernel - 1 per dim.
Value* paddedForWindows(VjpContext& c, Value* spread, const PoolVjpGeometry& geo) {
    const size_t dims = geo.in.size(), first = spread->type.rank() - dims;
    std::vector<int64_t> before, after;
    for (size_t i = 0; i < dims; ++i) {
        spread = dilateWithZeros(c, spread, static_cast<int64_t>(first + i), geo.window.strides[i]);
        const int64_t reach = geo.window.kernel[i] - 1;
        before.push_back(reach - geo.window.padBefore[i]);
        after.push_back(reach - geo.padAfter[i] - (geo.window.strides[i] - 1));
    }
    return padOrCrop(c, spread, before, after);
}

// dx = sum over taps of the window slices of `padded` ([N, C, spatial...]).
Value* sumWindowSlices(VjpContext& c, Value* padded, const PoolVjpGeometry& geo) {
    const size_t dims = geo.in.size();
    Value* total = nullptr;
    for (int64_t t = 0; t < geo.taps; ++t) {
        const std::vector<int64_t> at = tapOffsets(geo, t);
        std::vector<int64_t> begin, ones(dims, 1);
        for (size_t i = 0; i < dims; ++i)
            begin.push_back(geo.window.kernel[i] - 1 - at[i]);
        Value* v = vjp_windows::strided(c, padded, begin, ones, geo.in);
        total = total ? c.add(total, v) : v;
    }
    return total;
}

// The cotangent `part` of tap t of every window, moved to the input positions the tap read.
Value* scatterTap(VjpContext& c, Value* part, int64_t t, const PoolVjpGeometry& geo) {
    const std::vector<int64_t> at = tapOffsets(geo, t);
    std::vector<int64_t> before, after;
    for (size_t i = 0; i < geo.in.size(); ++i) {
        part = dilateWithZeros(c, part, static_cast<int64_t>(2 + i), geo.window.strides[i]);
        before.push_back(at[i] - geo.window.padBefore[i]);
        after.push_back(geo.in[i] - before.back() - part->type.shape[2 + i]);
    }
    return padOrCrop(c, part, before, after);
}

std::vector<Value*> avgPoolVjp(VjpContext& c) {
    Value* g = c.cotangent();
    if (!g || !c.wants(0)) return {nullptr};
    const PoolVjpGeometry geo = poolVjpGeometry(c);
    Value* x = c.operand(0);
    const DType dtype = x->type.dtype;
    bool padded = false;
    for (size_t i = 0; i < geo.in.size(); ++i)
        padded = padded || geo.window.padBefore[i] > 0 || geo.padAfter[i] > 0;
    Value* share; // each input position's part of g: g over the window's divisor
    if (c.boolAttr("exclude_padding_from_average") && padded) {
        // the divisor counts the window's non-padding elements: taps * avg_pool of ones
        Shape onesShape{1, 1};
        onesShape.insert(onesShape.end(), geo.in.begin(), geo.in.end());
        AttrMap attrs = c.attrs();
        attrs["exclude_padding_from_average"] = false;
        Value* fraction = c.create("avg_pool", {c.splat({dtype, onesShape}, 1)}, attrs);
        share = c.div(g, c.mulScalar(fraction, static_cast<double>(geo.taps)));
    } else {
        share = c.mulScalar(g, 1.0 / static_cast<double>(geo.taps));
    }
    Value* spread = paddedForWindows(c, share, geo);
    if (geo.in.size() != 2) return {sumWindowSlices(c, spread, geo)};
    // the sum of the window slices is a depthwise conv with a ones kernel
    const int64_t channels = x->type.shape[1];
    Value* ones = c.splat({dtype, {channels, 1, geo.window.kernel[0], geo.window.kernel[1]}}, 1);
    return {c.create("conv", {spread, ones}, {{"groups", channels}})};
}

// A max's cotangent goes to the first element of its window (in window order) equal to it.
std::vector<Value*> maxPoolVjp(VjpContext& c) {
    Value* g = c.cotangent();
    if (!g || !c.wants(0)) return {nullptr};
    const PoolVjpGeometry geo = poolVjpGeometry(c);
    Value* x = c.operand(0);
    Value* y = c.result();
    std::vector<int64_t> after;
    for (int64_t a : geo.padAfter)
        after.push_back(std::max<int64_t>(a, 0));
    // padding that no window can pick as its maximum
    const double lowest =
        x->type.dtype == DType::Fp16 ? -65504.0 : std::numeric_limits<float>::lowest();
    Value* xpad = padOrCrop(c, x, geo.window.padBefore, after, lowest);
    const std::vector<int64_t> count(geo.window.out.begin() + 2, geo.window.out.end());
    Value* dx = nullptr;
    Value* taken = nullptr; // windows whose maximum an earlier tap already took
    for (int64_t t = 0; t < geo.taps; ++t) {
        Value* tap = vjp_windows::strided(c, xpad, tapOffsets(geo, t), geo.window.strides, count);
        Value* isMax = c.create("equal", {tap, y});
        Value* first =
            taken ? c.create("logical_and", {isMax, c.create("logical_not", {taken})}) : isMax;
        if (t + 1 < geo.taps) taken = taken ? c.create("logical_or", {taken, isMax}) : isMax;
        Value* spread = scatterTap(c, c.where(first, g), t, geo);
        dx = dx ? c.add(dx, spread) : spread;
    }
    return {dx};
}

Results inferPool(const std::string& opName, const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = ops::checkFloat(opName, x); !ok) return fail(ok.error());
    auto geometry = resolvePool(opName, x, ctx.attrs());
    if (!geometry) return fail(geometry.error());
    return ops::single({x.dtype, geometry->out});
}

void addPool(OpRegistry& registry, const std::string& name, bool average,
             const std::string& summary, VjpFn vjp) {
    std::vector<AttrSpec> attrs = {{"kernel_sizes", AttrKind::IntList, std::nullopt},
                                   {"strides", AttrKind::IntList, std::vector<int64_t>{}},
                                   {"pad_type", AttrKind::String, std::nullopt},
                                   {"pad", AttrKind::IntList, std::vector<int64_t>{}},
                                   {"ceil_mode", AttrKind::Bool, false}};
    if (average) attrs.push_back({"exclude_padding_from_average", AttrKind::Bool, false});
    registry.add({
        .name = name,
        .operands = {{"x"}},
        .attrs = std::move(attrs),
        .infer = [name](const InferContext& ctx) { return inferPool(name, ctx); },
        .summary = summary,
        .vjp = std::move(vjp),
    });
}
} // namespace

// Empty strides and pad mean MIL's defaults (all 1, all 0) and are not emitted.
void registerPoolingOps(OpRegistry& registry) {
    addPool(registry, "avg_pool", true,
            "mean over each window of the spatial dims (padding counts as 0 unless "
            "exclude_padding_from_average)",
            avgPoolVjp);
    addPool(registry, "max_pool", false, "maximum over each window of the spatial dims",
            maxPoolVjp);
}

} // namespace anec::ir
