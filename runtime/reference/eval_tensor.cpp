// MIL's tensor operations: band_part, cumsum, fill, range_1d, pad, tile, stack, reverse,
// pixel_shuffle, upsample_nearest_neighbor, topk and argsort. Those that only move elements (or
// write zeros / the pad value) are marked movesData: their fp16 values need no rounding.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
std::vector<int64_t> unflatten(int64_t flat, const ir::Shape& shape) {
    std::vector<int64_t> index(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        index[d] = flat % shape[d];
        flat /= shape[d];
    }
    return index;
}

// A result whose element i is x[sources[i]], or `fill` where sources[i] is -1. The table is
// computed once, at prepare time (the shapes are static).
template <typename T>
Kernel gatherBySources(const OpContext<T>& ctx, std::vector<int64_t> sources, double fill = 0) {
    return visitElement<T>(ctx.resultType().dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        const E fillValue = static_cast<E>(fill);
        return [sources = std::move(sources), fillValue](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            const E* x = in[0]->in<E>();
            E* y = results[0].out<E>();
            for (size_t i = 0; i < sources.size(); ++i)
                y[i] = sources[i] < 0 ? fillValue : x[sources[i]];
        };
    });
}

// sources[i] for every result element: `sourceIndex(resultIndex, xIndex)` fills x's index and
// returns false where the element comes from nowhere (pad's constant).
template <typename F>
std::vector<int64_t> sourceTable(const ir::Shape& result, const ir::Shape& x, F sourceIndex) {
    const std::vector<int64_t> strides = rowMajorStrides(x);
    const int64_t count = ir::TensorType{ir::DType::Fp32, result}.numElements();
    std::vector<int64_t> sources(static_cast<size_t>(count));
    std::vector<int64_t> from(x.size());
    for (int64_t i = 0; i < count; ++i) {
        const std::vector<int64_t> index = unflatten(i, result);
        int64_t flat = -1;
        if (sourceIndex(index, from)) {
            flat = 0;
            for (size_t d = 0; d < from.size(); ++d)
                flat += from[d] * strides[d];
        }
        sources[static_cast<size_t>(i)] = flat;
    }
    return sources;
}

template <typename T> Kernel prepareBandPart(const OpContext<T>& ctx) {
    const ir::Shape& shape = ctx.operandType(0)->shape;
    const int64_t lower = ctx.intAttr("lower"), upper = ctx.intAttr("upper");
    std::vector<int64_t> sources(static_cast<size_t>(ctx.resultType().numElements()));
    const int64_t rows = shape[shape.size() - 2], columns = shape.back();
    for (size_t i = 0; i < sources.size(); ++i) {
        const int64_t n = static_cast<int64_t>(i) % columns;
        const int64_t m = static_cast<int64_t>(i) / columns % rows;
        const bool keep = (lower < 0 || m - n <= lower) && (upper < 0 || n - m <= upper);
        sources[i] = keep ? static_cast<int64_t>(i) : -1;
    }
    return gatherBySources(ctx, std::move(sources));
}

// Running sums along the axis in T (int32: exact in int64, wrapping like int32).
template <typename T> Kernel prepareCumsum(const OpContext<T>& ctx) {
    const ir::TensorType& x = *ctx.operandType(0);
    const AxisWalk walk = axisWalk(x.shape, *ir::normalizeAxis(ctx.intAttr("axis"), x.rank()));
    const bool exclusive = ctx.boolAttr("exclusive"), reverse = ctx.boolAttr("reverse");
    return visitElement<T>(x.dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        using Acc = std::conditional_t<std::is_floating_point_v<E>, E, int64_t>;
        return [walk, exclusive, reverse](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            const E* xs = in[0]->in<E>();
            E* ys = results[0].out<E>();
            for (int64_t o = 0; o < walk.outer; ++o)
                for (int64_t j = 0; j < walk.inner; ++j) {
                    Acc sum = 0;
                    for (int64_t step = 0; step < walk.length; ++step) {
                        const int64_t l = reverse ? walk.length - 1 - step : step;
                        const int64_t at = (o * walk.length + l) * walk.inner + j;
                        if (!exclusive) sum += static_cast<Acc>(xs[at]);
                        ys[at] = static_cast<E>(sum);
                        if (exclusive) sum += static_cast<Acc>(xs[at]);
                    }
                }
        };
    });
}

template <typename T> Kernel prepareFill(const OpContext<T>& ctx) {
    const bool hasValue = ctx.operandType(0) != nullptr;
    return visitElement<T>(ctx.resultType().dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [hasValue](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            const E value = hasValue ? *in[0]->in<E>() : E(0);
            std::fill_n(results[0].out<E>(), results[0].size(), value);
        };
    });
}

// start + i * step, computed in T (int32: exactly) and rounded like any result.
template <typename T> Kernel prepareRange(const OpContext<T>& ctx) {
    double values[3];
    for (size_t i = 0; i < 3; ++i)
        values[i] = ctx.op().operands[i]->definingOp->constData->at(0); // constants (inference)
    return visitElement<T>(ctx.resultType().dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        using Acc = std::conditional_t<std::is_floating_point_v<E>, E, int64_t>;
        const Acc start = static_cast<Acc>(values[0]), step = static_cast<Acc>(values[2]);
        return [start, step](const Operands&, Results& results) {
            results[0] = allocate<E>(results[0].type);
            E* y = results[0].out<E>();
            for (size_t i = 0; i < results[0].size(); ++i)
                y[i] = static_cast<E>(start + static_cast<Acc>(i) * step);
        };
    });
}

// Where result index `at` of a padded dim reads x (dim size `size`, `before` added in front):
// false for the constant border.
bool padSource(const std::string& mode, int64_t at, int64_t before, int64_t size, int64_t& source) {
    source = at - before;
    if (source >= 0 && source < size) return true;
    if (mode == "constant") return false;
    if (mode == "replicate") {
        source = std::clamp<int64_t>(source, 0, size - 1);
    } else { // reflect, without repeating the edge (inference keeps pads below size)
        source = source < 0 ? -source : 2 * (size - 1) - source;
    }
    return true;
}

template <typename T> Kernel preparePad(const OpContext<T>& ctx) {
    const ir::Shape& x = ctx.operandType(0)->shape;
    const std::vector<int64_t>& pad = ctx.intListAttr("pad");
    const std::string& mode = ctx.stringAttr("mode");
    const size_t first = x.size() - pad.size() / 2;
    auto sources = sourceTable(ctx.resultType().shape, x, [&](const auto& index, auto& from) {
        for (size_t d = 0; d < x.size(); ++d) {
            from[d] = index[d];
            if (d >= first && !padSource(mode, index[d], pad[2 * (d - first)], x[d], from[d]))
                return false;
        }
        return true;
    });
    return gatherBySources(ctx, std::move(sources), ctx.floatAttr("constant_val"));
}

template <typename T> Kernel prepareTile(const OpContext<T>& ctx) {
    const ir::Shape& x = ctx.operandType(0)->shape;
    auto sources = sourceTable(ctx.resultType().shape, x, [&](const auto& index, auto& from) {
        for (size_t d = 0; d < x.size(); ++d)
            from[d] = index[d] % x[d];
        return true;
    });
    return gatherBySources(ctx, std::move(sources));
}

template <typename T> Kernel prepareReverse(const OpContext<T>& ctx) {
    const ir::Shape& x = ctx.operandType(0)->shape;
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    std::vector<bool> reversed(x.size(), axes.empty());
    for (int64_t axis : axes)
        reversed[*ir::normalizeAxis(axis, x.size())] = true;
    auto sources = sourceTable(x, x, [&](const auto& index, auto& from) {
        for (size_t d = 0; d < x.size(); ++d)
            from[d] = reversed[d] ? x[d] - 1 - index[d] : index[d];
        return true;
    });
    return gatherBySources(ctx, std::move(sources));
}

// result [n, c, h, w] reads x [n, c * f * f + (h % f) * f + w % f, h / f, w / f].
template <typename T> Kernel preparePixelShuffle(const OpContext<T>& ctx) {
    const int64_t f = ctx.intAttr("upscale_factor");
    auto sources = sourceTable(
        ctx.resultType().shape, ctx.operandType(0)->shape, [f](const auto& index, auto& from) {
            from = {index[0], index[1] * f * f + index[2] % f * f + index[3] % f, index[2] / f,
                    index[3] / f};
            return true;
        });
    return gatherBySources(ctx, std::move(sources));
}

template <typename T> Kernel prepareUpsample(const OpContext<T>& ctx) {
    const int64_t sh = ctx.intAttr("scale_factor_height"), sw = ctx.intAttr("scale_factor_width");
    const ir::Shape& x = ctx.operandType(0)->shape;
    auto sources = sourceTable(ctx.resultType().shape, x, [&](const auto& index, auto& from) {
        from.assign(index.begin(), index.end());
        from[x.size() - 2] /= sh;
        from[x.size() - 1] /= sw;
        return true;
    });
    return gatherBySources(ctx, std::move(sources));
}

// Value k of the result's new axis is values[k]: blocks of x.numElements() / outer elements.
template <typename T> Kernel prepareStack(const OpContext<T>& ctx) {
    const ir::TensorType& first = *ctx.operandType(0);
    const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), first.rank() + 1);
    const AxisWalk walk = axisWalk(ctx.resultType().shape, axis);
    return visitElement<T>(first.dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [walk](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            E* y = results[0].out<E>();
            const size_t block = static_cast<size_t>(walk.inner) * sizeof(E);
            for (int64_t o = 0; o < walk.outer; ++o)
                for (const Buffer* value : in) {
                    std::memcpy(y, value->in<E>() + o * walk.inner, block);
                    y += walk.inner;
                }
        };
    });
}

// NaN sorts as the largest value; equal values keep their order (lower index first).
template <typename E> bool sortsBefore(E a, E b, bool ascending) {
    const bool aNan = a != a, bNan = b != b;
    if (aNan || bNan) return aNan != bNan && aNan != ascending;
    return ascending ? a < b : a > b;
}

// The first `k` indices along the axis of x in sorted order, per (outer, inner) line; the
// values too when `withValues` (topk).
template <typename T> Kernel prepareSort(const OpContext<T>& ctx, int64_t k, bool withValues) {
    const ir::TensorType& x = *ctx.operandType(0);
    const AxisWalk walk = axisWalk(x.shape, *ir::normalizeAxis(ctx.intAttr("axis"), x.rank()));
    const bool ascending = ctx.boolAttr("ascending");
    return visitElement<T>(x.dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [walk, k, ascending, withValues](const Operands& in, Results& results) {
            const E* xs = in[0]->in<E>();
            Buffer& indexResult = results[withValues ? 1 : 0];
            indexResult = allocate<int32_t>(indexResult.type);
            if (withValues) results[0] = allocate<E>(results[0].type);
            std::vector<int64_t> order(static_cast<size_t>(walk.length));
            for (int64_t o = 0; o < walk.outer; ++o)
                for (int64_t j = 0; j < walk.inner; ++j) {
                    const E* line = xs + o * walk.length * walk.inner + j;
                    std::iota(order.begin(), order.end(), 0);
                    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
                        return sortsBefore(line[a * walk.inner], line[b * walk.inner], ascending);
                    });
                    for (int64_t r = 0; r < k; ++r) {
                        const int64_t at = (o * k + r) * walk.inner + j;
                        const int64_t source = order[static_cast<size_t>(r)];
                        indexResult.out<int32_t>()[at] = static_cast<int32_t>(source);
                        if (withValues) results[0].out<E>()[at] = line[source * walk.inner];
                    }
                }
        };
    });
}
} // namespace

template <typename T> void addTensorEvaluators(EvaluatorTable<T>& table) {
    table["band_part"] = {prepareBandPart<T>, true};
    table["cumsum"] = {prepareCumsum<T>};
    table["fill"] = {prepareFill<T>, true};
    table["range_1d"] = {prepareRange<T>};
    table["pad"] = {preparePad<T>, true};
    table["tile"] = {prepareTile<T>, true};
    table["reverse"] = {prepareReverse<T>, true};
    table["stack"] = {prepareStack<T>, true};
    table["pixel_shuffle"] = {preparePixelShuffle<T>, true};
    table["upsample_nearest_neighbor"] = {prepareUpsample<T>, true};
    table["topk"] = {
        [](const OpContext<T>& ctx) { return prepareSort(ctx, ctx.intAttr("k"), true); }, true};
    table["argsort"] = {[](const OpContext<T>& ctx) {
                            const ir::TensorType& x = *ctx.operandType(0);
                            const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), x.rank());
                            return prepareSort(ctx, x.shape[axis], false);
                        },
                        true};
}

ANEC_INSTANTIATE_EVALUATORS(addTensorEvaluators);

} // namespace anec::runtime::reference
