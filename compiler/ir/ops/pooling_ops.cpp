// Pooling: avg_pool and max_pool over the spatial dims of x [N, C, spatial...] (1 to 3 of them),
// with MIL's pad types. ceil_mode (a PyTorch output-size rule) is not supported.
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
Results inferPool(const std::string& opName, const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (auto ok = ops::checkFloat(opName, x); !ok) return fail(ok.error());
    auto geometry = resolvePool(opName, x, ctx.attrs());
    if (!geometry) return fail(geometry.error());
    return ops::single({x.dtype, geometry->out});
}

void addPool(OpRegistry& registry, const std::string& name, bool average,
             const std::string& summary) {
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
    });
}
} // namespace

// Empty strides and pad mean MIL's defaults (all 1, all 0) and are not emitted.
void registerPoolingOps(OpRegistry& registry) {
    addPool(registry, "avg_pool", true,
            "mean over each window of the spatial dims (padding counts as 0 unless "
            "exclude_padding_from_average)");
    addPool(registry, "max_pool", false, "maximum over each window of the spatial dims");
}

} // namespace anec::ir
