// Shape ops: reshape, expand_dims and squeeze share their operand's storage; transpose,
// slicing, concat and split copy elements (any dtype, no rounding: the values are unchanged).
#include <algorithm>
#include <cstring>

#include "ir/ops/slicing.hpp"
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
template <typename T> Kernel prepareView(const OpContext<T>&) {
    return [](const Operands& in, Results& results) { results[0].storage = in[0]->storage; };
}

// Copies the elements that `loop` walks (starting at `base` in x) into a new result, in order.
template <typename T> Kernel stridedCopy(const OpContext<T>& ctx, StridedLoop loop, int64_t base) {
    return visitElement<T>(ctx.resultType().dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [loop, base](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            const E* x = in[0]->in<E>() + base;
            E* y = results[0].out<E>();
            const int64_t n = loop.inner, stride = loop.innerStride(0);
            forEachRow(loop, [&](int64_t o, const int64_t* off) {
                if (stride == 1) {
                    std::memcpy(y + o, x + off[0], static_cast<size_t>(n) * sizeof(E));
                } else {
                    for (int64_t i = 0; i < n; ++i)
                        y[o + i] = x[off[0] + i * stride];
                }
            });
        };
    });
}

template <typename T> Kernel prepareTranspose(const OpContext<T>& ctx) {
    const ir::TensorType& x = *ctx.operandType(0);
    const std::vector<int64_t> inStrides = rowMajorStrides(x.shape);
    std::vector<int64_t> strides;
    for (int64_t axis : ctx.intListAttr("perm"))
        strides.push_back(inStrides[*ir::normalizeAxis(axis, x.rank())]);
    return stridedCopy(ctx, planStrided(ctx.resultType().shape, strides), 0);
}

template <typename T> Kernel prepareSlice(const OpContext<T>& ctx, bool byIndex) {
    const ir::TensorType& x = *ctx.operandType(0);
    auto slices =
        byIndex ? ir::resolveSliceByIndex(x, ctx.attrs()) : ir::resolveSliceBySize(x, ctx.attrs());
    if (!slices) ctx.error(slices.error());
    const std::vector<int64_t> inStrides = rowMajorStrides(x.shape);
    ir::Shape walk; // every input axis, squeezed ones with count 1: same order as the result
    std::vector<int64_t> strides;
    int64_t base = 0;
    for (size_t d = 0; d < slices->size(); ++d) {
        const ir::AxisSlice& slice = (*slices)[d];
        walk.push_back(slice.count);
        strides.push_back(slice.stride * inStrides[d]);
        base += slice.start * inStrides[d];
    }
    return stridedCopy(ctx, planStrided(walk, strides), base);
}

template <typename T> Kernel prepareConcat(const OpContext<T>& ctx) {
    const ir::TensorType& first = *ctx.operandType(0);
    const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), first.rank());
    const bool interleave = ctx.boolAttr("interleave");
    const AxisWalk split = axisWalk(first.shape, axis);
    std::vector<int64_t> blocks; // elements each value contributes per outer index
    for (size_t i = 0; i < ctx.numOperands(); ++i)
        blocks.push_back(ctx.operandType(i)->shape[axis] * split.inner);
    const int64_t along = first.shape[axis];
    return visitElement<T>(first.dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [split, blocks, along, interleave](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            E* y = results[0].out<E>();
            const size_t inner = static_cast<size_t>(split.inner) * sizeof(E);
            for (int64_t o = 0; o < split.outer; ++o) {
                if (interleave) { // slice k of every value, then slice k + 1, ...
                    for (int64_t k = 0; k < along; ++k)
                        for (const Buffer* value : in) {
                            std::memcpy(y, value->in<E>() + (o * along + k) * split.inner, inner);
                            y += split.inner;
                        }
                    continue;
                }
                for (size_t i = 0; i < in.size(); ++i) {
                    std::memcpy(y, in[i]->in<E>() + o * blocks[i],
                                static_cast<size_t>(blocks[i]) * sizeof(E));
                    y += blocks[i];
                }
            }
        };
    });
}

template <typename T> Kernel prepareSplit(const OpContext<T>& ctx) {
    const ir::TensorType& x = *ctx.operandType(0);
    const size_t axis = *ir::normalizeAxis(ctx.intAttr("axis"), x.rank());
    const AxisWalk split = axisWalk(x.shape, axis);
    const int64_t xBlock = x.shape[axis] * split.inner;
    std::vector<int64_t> starts, blocks; // per result: offset along the block, block size
    int64_t start = 0;
    for (const auto& result : ctx.op().results) {
        starts.push_back(start);
        blocks.push_back(result->type.shape[axis] * split.inner);
        start += blocks.back();
    }
    return visitElement<T>(x.dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [split, xBlock, starts, blocks](const Operands& in, Results& results) {
            const E* x = in[0]->in<E>();
            for (size_t r = 0; r < results.size(); ++r) {
                results[r] = allocate<E>(results[r].type);
                E* y = results[r].out<E>();
                for (int64_t o = 0; o < split.outer; ++o)
                    std::memcpy(y + o * blocks[r], x + o * xBlock + starts[r],
                                static_cast<size_t>(blocks[r]) * sizeof(E));
            }
        };
    });
}
} // namespace

template <typename T> void addShapeEvaluators(EvaluatorTable<T>& table) {
    table["reshape"] = {prepareView<T>, true};
    table["expand_dims"] = {prepareView<T>, true};
    table["squeeze"] = {prepareView<T>, true};
    table["transpose"] = {prepareTranspose<T>, true};
    table["slice_by_size"] = {[](const OpContext<T>& ctx) { return prepareSlice(ctx, false); },
                              true};
    table["slice_by_index"] = {[](const OpContext<T>& ctx) { return prepareSlice(ctx, true); },
                               true};
    table["concat"] = {prepareConcat<T>, true};
    table["split"] = {prepareSplit<T>, true};
}

ANEC_INSTANTIATE_EVALUATORS(addShapeEvaluators);

} // namespace anec::runtime::reference
