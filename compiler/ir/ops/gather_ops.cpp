// Indexing by tensors: gather (MIL iOS16, with batch_dims: the embedding lookup),
// gather_along_axis and scatter_along_axis (a KV-cache write). Indices are int32 and must lie in
// [0, size) of the gathered axis (iOS17+ treat negative indices as out of range; anec does so in
// every opset); constant indices are checked here, the reference backend checks the others when it
// runs.
#include <algorithm>

#include "ir/ops/op_helpers.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
using ops::Results;

Expected<bool> checkIndicesType(const std::string& opName, const TensorType& indices) {
    if (indices.dtype != DType::Int32)
        return fail(opName + " indices must be int32, got " + indices.str() +
                    " (cast them with cast(indices, int32))");
    return true;
}

// Constant indices must select existing elements.
Expected<bool> checkConstantIndices(const std::string& opName, const ConstData* indices,
                                    const TensorType& x, size_t axis) {
    if (!indices) return true;
    const int64_t size = x.shape[axis];
    const std::vector<int64_t> values = indices->toInts();
    for (size_t i = 0; i < values.size(); ++i)
        if (values[i] < 0 || values[i] >= size)
            return fail(opName + " index " + std::to_string(values[i]) + " (element " +
                        std::to_string(i) + " of the indices) is out of range for axis " +
                        std::to_string(axis) + " of " + x.str() + " (valid: 0 to " +
                        std::to_string(size - 1) + ")");
    return true;
}

Expected<bool> checkGatheredTensor(const std::string& opName, const TensorType& x) {
    if (auto ok = ops::checkFloatOrInt32(opName, x); !ok) return ok;
    if (x.isScalar()) return fail(opName + " needs x of rank >= 1, got " + x.str());
    return true;
}

// result = x.shape[:axis] + indices.shape[batch_dims:] + x.shape[axis + 1:]
Results inferGather(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const TensorType& indices = *ctx.operand(1);
    if (auto ok = checkGatheredTensor("gather", x); !ok) return fail(ok.error());
    if (auto ok = checkIndicesType("gather", indices); !ok) return fail(ok.error());
    auto axis = ops::checkAxis("gather axis", ctx.intAttr("axis"), x);
    if (!axis) return fail(axis.error());
    const int64_t batchDims = ctx.intAttr("batch_dims");
    const std::string both = " (x " + x.str() + ", indices " + indices.str() + ")";
    if (batchDims < 0 || static_cast<size_t>(batchDims) > indices.rank() ||
        static_cast<size_t>(batchDims) > *axis)
        return fail("gather batch_dims " + std::to_string(batchDims) +
                    " must be between 0 and both the rank of indices and the axis " +
                    std::to_string(*axis) + both);
    const size_t batch = static_cast<size_t>(batchDims);
    if (!std::equal(x.shape.begin(), x.shape.begin() + batch, indices.shape.begin()))
        return fail("gather with batch_dims " + std::to_string(batchDims) +
                    " needs the same leading dimensions in x and indices" + both);
    if (auto ok = checkConstantIndices("gather", ctx.operandValue(1), x, *axis); !ok)
        return fail(ok.error());
    Shape out(x.shape.begin(), x.shape.begin() + static_cast<std::ptrdiff_t>(*axis));
    out.insert(out.end(), indices.shape.begin() + batchDims, indices.shape.end());
    out.insert(out.end(), x.shape.begin() + static_cast<std::ptrdiff_t>(*axis) + 1, x.shape.end());
    return ops::single({x.dtype, out});
}

// result[.., i, ..] = x[.., indices[.., i, ..], ..] along axis; the result has indices' shape.
Results inferGatherAlongAxis(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const TensorType& indices = *ctx.operand(1);
    if (auto ok = checkGatheredTensor("gather_along_axis", x); !ok) return fail(ok.error());
    if (auto ok = checkIndicesType("gather_along_axis", indices); !ok) return fail(ok.error());
    auto axis = ops::checkAxis("gather_along_axis axis", ctx.intAttr("axis"), x);
    if (!axis) return fail(axis.error());
    const std::string both = "x " + x.str() + " and indices " + indices.str();
    if (indices.rank() != x.rank())
        return fail("gather_along_axis needs " + both + " of the same rank");
    for (size_t d = 0; d < x.rank(); ++d)
        if (d != *axis && indices.shape[d] != x.shape[d])
            return fail("gather_along_axis needs " + both + " to agree in every dimension but " +
                        "the axis " + std::to_string(*axis) + "; dimension " + std::to_string(d) +
                        " differs");
    if (auto ok = checkConstantIndices("gather_along_axis", ctx.operandValue(1), x, *axis); !ok)
        return fail(ok.error());
    return ops::single({x.dtype, indices.shape});
}
// data with updates written (combined by mode) at indices along axis; updates has the shape of
// indices, which agree with data in every dim but the axis.
Results inferScatterAlongAxis(const InferContext& ctx) {
    const TensorType& data = *ctx.operand(0);
    const TensorType& indices = *ctx.operand(1);
    const TensorType& updates = *ctx.operand(2);
    const std::string& mode = ctx.stringAttr("mode");
    const std::string op = "scatter_along_axis";
    if (auto ok = checkGatheredTensor(op, data); !ok) return fail(ok.error());
    if (auto ok = checkIndicesType(op, indices); !ok) return fail(ok.error());
    auto axis = ops::checkAxis(op + " axis", ctx.intAttr("axis"), data);
    if (!axis) return fail(axis.error());
    static const char* kModes[] = {"update", "add", "sub", "mul", "div", "max", "min"};
    if (std::find(std::begin(kModes), std::end(kModes), mode) == std::end(kModes))
        return fail(op + " mode must be update, add, sub, mul, div, max or min, got \"" + mode +
                    "\"");
    if (updates.dtype != data.dtype || updates.shape != indices.shape)
        return fail(op + " updates " + updates.str() + " must have the shape of indices " +
                    indices.str() + " and the element type of data " + data.str());
    if (indices.rank() != data.rank())
        return fail(op + " needs data " + data.str() + " and indices " + indices.str() +
                    " of the same rank");
    for (size_t d = 0; d < data.rank(); ++d)
        if (d != *axis && indices.shape[d] != data.shape[d])
            return fail(op + " needs data " + data.str() + " and indices " + indices.str() +
                        " to agree in every dimension but the axis " + std::to_string(*axis) +
                        "; dimension " + std::to_string(d) + " differs");
    if (auto ok = checkConstantIndices(op, ctx.operandValue(1), data, *axis); !ok)
        return fail(ok.error());
    return ops::single(data);
}

// ---- gradients: indices are integers and get none ----

int64_t productOfDims(const Shape& shape, size_t begin, size_t end) {
    int64_t n = 1;
    for (size_t d = begin; d < end; ++d)
        n *= shape[d];
    return n;
}

// The cotangent added into zeros at the gathered rows. Not a scatter, which the ANE lacks: with
// x = [batch, pre, size, inner], indices = [batch, count] and the cotangent
// g = [batch, pre, count, inner], dx = onehotT @ g, where onehotT[b, s, i] is
// indices[b, i] == s (a compare and a cast) and the matmul sums the rows of repeated indices.
// It holds batch * size * count elements: for a large vocabulary a scatter_along_axis (mode add)
// would be smaller.
std::vector<Value*> gatherVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    Value* x = c.operand(0);
    const Shape& xShape = x->type.shape;
    const Shape& indexShape = c.operand(1)->type.shape;
    const size_t axis = *normalizeAxis(c.intAttr("axis"), xShape.size());
    const size_t batchDims = static_cast<size_t>(c.intAttr("batch_dims"));
    const int64_t batch = productOfDims(xShape, 0, batchDims),
                  pre = productOfDims(xShape, batchDims, axis);
    const int64_t size = xShape[axis], inner = productOfDims(xShape, axis + 1, xShape.size());
    const int64_t count = productOfDims(indexShape, batchDims, indexShape.size());
    Value* rows = c.reshape(c.operand(1), {batch, 1, 1, count});
    Value* positions = c.reshape(c.arange(size, DType::Int32), {size, 1});
    Value* oneHotT = c.cast(c.create("equal", {rows, positions}), x->type.dtype);
    Value* g = c.reshape(c.cotangent(), {batch, pre, count, inner});
    return {c.reshape(c.create("matmul", {oneHotT, g}), xShape), nullptr};
}

Value* scatterAlong(VjpContext& c, Value* data, Value* indices, Value* updates,
                    const std::string& mode) {
    return c.create("scatter_along_axis", {data, indices, updates},
                    {{"axis", c.intAttr("axis")}, {"mode", mode}});
}

Value* gatherAlong(VjpContext& c, Value* x, Value* indices) {
    return c.create("gather_along_axis", {x, indices}, {{"axis", c.intAttr("axis")}});
}

// Elementwise gather: the cotangent added into zeros where each element was read. A one-hot
// would hold indices x size elements per line; scatter_along_axis with mode add is exact.
std::vector<Value*> gatherAlongAxisVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    return {scatterAlong(c, c.zerosLike(c.operand(0)), c.operand(1), c.cotangent(), "add"),
            nullptr};
}

// Each update's position along the axis (int32, the shape of indices): it tells the updates of
// one target apart, and orders them as scatter_along_axis applies them.
Value* updateNumbers(VjpContext& c, Value* indices) {
    const Shape& shape = indices->type.shape;
    const size_t axis = *normalizeAxis(c.intAttr("axis"), shape.size());
    Shape lineShape(shape.size(), 1);
    lineShape[axis] = shape[axis];
    std::vector<int64_t> reps(shape);
    reps[axis] = 1;
    return c.create("tile", {c.reshape(c.arange(shape[axis], DType::Int32), lineShape)},
                    {{"reps", reps}});
}

// Mode update: whether each update is the one left at its target (the last one written there).
Value* lastWriters(VjpContext& c, Value* data, Value* indices) {
    Value* numbers = updateNumbers(c, indices);
    Value* written =
        scatterAlong(c, c.splat({DType::Int32, data->type.shape}, -1), indices, numbers, "update");
    return c.create("equal", {gatherAlong(c, written, indices), numbers});
}

// Modes max and min: whether each update is the value the result took. Ties keep the current
// value (as the forward does): data when it equals the result, else the first update that does.
Value* chosenUpdates(VjpContext& c, Value* data, Value* indices, Value* updates) {
    Value* numbers = updateNumbers(c, indices);
    Value* resultAt = gatherAlong(c, c.result(), indices);
    Value* candidates =
        c.create("logical_and", {c.create("equal", {resultAt, updates}),
                                 c.create("not_equal", {gatherAlong(c, data, indices), resultAt})});
    const double none = static_cast<double>(updates->type.shape[*normalizeAxis(
        c.intAttr("axis"), updates->type.rank())]); // larger than every number
    Value* candidateNumbers =
        c.create("select", {candidates, numbers, c.scalar(none, DType::Int32)});
    Value* first = scatterAlong(c, c.splat({DType::Int32, data->type.shape}, none), indices,
                                candidateNumbers, "min");
    return c.create("equal", {gatherAlong(c, first, indices), numbers});
}

// The cotangent of data for each mode (g is the result's).
Value* scatterDataCotangent(VjpContext& c, const std::string& mode, Value* g) {
    Value* data = c.operand(0);
    Value* indices = c.operand(1);
    Value* updates = c.operand(2);
    if (mode == "add" || mode == "sub") return g;
    if (mode == "update") return scatterAlong(c, g, indices, c.zerosLike(updates), "update");
    if (mode == "div") // the result is data / (the product of its updates)
        return c.mul(g, scatterAlong(c, c.splat(data->type, 1), indices, updates, "div"));
    if (mode == "mul") // the result is data * (the product of its updates)
        return c.mul(g, scatterAlong(c, c.splat(data->type, 1), indices, updates, "mul"));
    // max, min: where data is the result
    return c.where(c.create("equal", {c.result(), data}), g);
}

// Mode mul: the product of the other updates to each update's target, without dividing by a
// zero: with P the product of the non-zero updates at the target and Z the number of zero ones,
// it is P / u (Z = 0), P for the one zero update (Z = 1), and 0 otherwise.
Value* productOfOthers(VjpContext& c, Value* data, Value* indices, Value* updates) {
    const DType dtype = updates->type.dtype;
    Value* isZero = c.create("equal", {updates, c.scalar(0, dtype)});
    Value* nonZero = c.create("select", {isZero, c.scalar(1, dtype), updates});
    Value* product =
        gatherAlong(c, scatterAlong(c, c.splat(data->type, 1), indices, nonZero, "mul"), indices);
    Value* zeros = gatherAlong(
        c, scatterAlong(c, c.zerosLike(data), indices, c.cast(isZero, dtype), "add"), indices);
    Value* zerosElsewhere = c.sub(zeros, c.cast(isZero, dtype)); // zero updates but this one
    return c.where(c.create("equal", {zerosElsewhere, c.scalar(0, dtype)}),
                   c.div(product, nonZero));
}

// The cotangent of the updates for each mode: the result's at their targets, where they count.
Value* scatterUpdatesCotangent(VjpContext& c, const std::string& mode, Value* g) {
    Value* data = c.operand(0);
    Value* indices = c.operand(1);
    Value* updates = c.operand(2);
    Value* atTargets = gatherAlong(c, g, indices);
    if (mode == "add") return atTargets;
    if (mode == "sub") return c.neg(atTargets);
    if (mode == "update") return c.where(lastWriters(c, data, indices), atTargets);
    if (mode == "div") // d(result)/du = -result / u, for every update dividing that target
        return c.neg(c.div(gatherAlong(c, c.mul(g, c.result()), indices), updates));
    if (mode == "mul") // data times the other updates to that target
        return c.mul(gatherAlong(c, c.mul(g, data), indices),
                     productOfOthers(c, data, indices, updates));
    return c.where(chosenUpdates(c, data, indices, updates), atTargets); // max, min
}

std::vector<Value*> scatterAlongAxisVjp(VjpContext& c) {
    const std::string& mode = c.stringAttr("mode");
    Value* g = c.cotangent();
    return {c.wants(0) ? scatterDataCotangent(c, mode, g) : nullptr, nullptr,
            c.wants(2) ? scatterUpdatesCotangent(c, mode, g) : nullptr};
}
} // namespace

void registerGatherOps(OpRegistry& registry) {
    registry.add({
        .name = "gather",
        .operands = {{"x"}, {"indices"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{0}}, {"batch_dims", AttrKind::Int, int64_t{0}}},
        .infer = inferGather,
        .summary = "the slices of x along axis at int32 indices (shape x[:axis] + "
                   "indices[batch_dims:] + x[axis+1:]); the embedding lookup",
        .vjp = gatherVjp,
    });
    registry.add({
        .name = "gather_along_axis",
        .operands = {{"x"}, {"indices"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{0}}},
        .infer = inferGatherAlongAxis,
        .summary = "x at int32 indices along axis, elementwise (numpy take_along_axis)",
        .vjp = gatherAlongAxisVjp,
    });
    registry.add({
        .name = "scatter_along_axis",
        .operands = {{"data"}, {"indices"}, {"updates"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{0}},
                  {"mode", AttrKind::String, std::string("add")}},
        .infer = inferScatterAlongAxis,
        .summary = "data with updates combined (mode update/add/sub/mul/div/max/min) into it at "
                   "int32 indices along axis; updates apply in order",
        .vjp = scatterAlongAxisVjp,
    });
}

} // namespace anec::ir
