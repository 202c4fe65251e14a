// Reductions over axes (reduce_sum, reduce_mean, ..., reduce_log_sum_exp), reduce_argmax /
// reduce_argmin along one axis, and softmax, with their VJPs (the int32 argmax / argmin carry no
// gradient).
#include <functional>

#include "ir/ops/op_helpers.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
using ops::Results;

// floatOnly: norms and logarithms, whose int32 versions MIL would truncate.
Results inferReduce(const std::string& name, bool floatOnly, const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (floatOnly) {
        if (auto ok = ops::checkFloat(name, x); !ok) return fail(ok.error());
    }
    if (!ops::isNumeric(x.dtype)) return fail(name + " needs a numeric tensor, got " + x.str());
    const std::vector<int64_t>& axes = ctx.intListAttr("axes");
    std::vector<bool> reduced(x.rank(), axes.empty()); // MIL: no axes reduces over all of them
    auto normalized = ops::checkAxes(name + " axes", axes, x);
    if (!normalized) return fail(normalized.error());
    for (size_t axis : *normalized)
        reduced[axis] = true;
    const bool keepDims = ctx.boolAttr("keep_dims");
    Shape out;
    for (size_t d = 0; d < x.rank(); ++d) {
        if (!reduced[d])
            out.push_back(x.shape[d]);
        else if (keepDims)
            out.push_back(1);
    }
    return ops::single({x.dtype, out});
}

void addReduce(OpRegistry& registry, const std::string& name, const std::string& summary, VjpFn vjp,
               bool floatOnly = false) {
    registry.add({
        .name = name,
        .operands = {{"x"}},
        .attrs = {{"axes", AttrKind::IntList, std::vector<int64_t>{}},
                  {"keep_dims", AttrKind::Bool, false}},
        .infer = [name,
                  floatOnly](const InferContext& ctx) { return inferReduce(name, floatOnly, ctx); },
        .summary = summary + " over axes (empty: all); keep_dims keeps them as size 1",
        .vjp = std::move(vjp),
    });
}

// reduce_argmax / reduce_argmin: the int32 index along one axis.
void addArgReduce(OpRegistry& registry, const std::string& name, const std::string& summary) {
    registry.add({
        .name = name,
        .operands = {{"x"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{-1}}, {"keep_dims", AttrKind::Bool, false}},
        .infer = [name](const InferContext& ctx) -> Results {
            const TensorType& x = *ctx.operand(0);
            if (auto ok = ops::checkFloatOrInt32(name, x); !ok) return fail(ok.error());
            if (x.isScalar()) return fail(name + " needs a tensor of rank >= 1, got " + x.str());
            auto axis = ops::checkAxis(name + " axis", ctx.intAttr("axis"), x);
            if (!axis) return fail(axis.error());
            Shape out = x.shape;
            if (ctx.boolAttr("keep_dims"))
                out[*axis] = 1;
            else
                out.erase(out.begin() + static_cast<std::ptrdiff_t>(*axis));
            return ops::single({DType::Int32, out});
        },
        .summary = summary + " along axis (int32; the first on ties)",
    });
}

Results inferSoftmax(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    if (!isFloat(x.dtype)) return fail("softmax needs a floating-point tensor, got " + x.str());
    if (x.isScalar()) return fail("softmax needs a tensor of rank >= 1, got " + x.str());
    auto axis = ops::checkAxis("softmax axis", ctx.intAttr("axis"), x);
    if (!axis) return fail(axis.error());
    return ops::single(x);
}

// ---- gradients ----

// The dims a reduction over `axes` removes (MIL: no axes means all of them), ascending.
std::vector<int64_t> reducedDims(size_t rank, const std::vector<int64_t>& axes) {
    std::vector<bool> reduced(rank, axes.empty());
    for (int64_t axis : axes)
        reduced[*normalizeAxis(axis, rank)] = true;
    std::vector<int64_t> dims;
    for (size_t d = 0; d < rank; ++d)
        if (reduced[d]) dims.push_back(static_cast<int64_t>(d));
    return dims;
}

// What every reduction's VJP starts from: x, the reduced dims, and the cotangent and result
// reshaped to the keep_dims shape (x's shape with 1 along the reduced dims), so that both
// broadcast against x whatever keep_dims was.
struct ReduceGrad {
    Value* x;
    std::vector<int64_t> dims;
    Value* g; // the cotangent, keep_dims shape
    Value* y; // the result, keep_dims shape
};

ReduceGrad reduceGrad(VjpContext& c) {
    Value* x = c.operand(0);
    std::vector<int64_t> dims = reducedDims(x->type.rank(), c.intListAttr("axes"));
    Shape kept = x->type.shape;
    for (int64_t d : dims)
        kept[static_cast<size_t>(d)] = 1;
    return {x, dims, c.reshape(c.cotangentOrZero(), kept), c.reshape(c.result(), kept)};
}

Value* isEqual(VjpContext& c, Value* a, double value) {
    return c.create("equal", {a, c.scalar(value, a->type.dtype)});
}

// A keep_dims-shaped value spread over x's shape, times `factor` (1 for a plain broadcast): a
// scalar multiply and a tile, not a multiply by a constant of x's size (which would be a weight
// blob as large as x).
Value* spread(VjpContext& c, Value* kept, const Value* x, double factor = 1) {
    Value* scaled = factor == 1 ? kept : c.mulScalar(kept, factor);
    std::vector<int64_t> reps;
    bool repeats = false;
    for (size_t d = 0; d < x->type.rank(); ++d) {
        reps.push_back(x->type.shape[d] / kept->type.shape[d]);
        repeats = repeats || reps.back() != 1;
    }
    return repeats ? c.create("tile", {scaled}, {{"reps", reps}}) : scaled;
}

// One VJP per reduction, from x and d(result) (only operand 0 exists).
using ReduceRule = std::function<Value*(VjpContext&, const ReduceGrad&)>;

VjpFn reduceVjp(ReduceRule rule) {
    return [rule = std::move(rule)](VjpContext& c) -> std::vector<Value*> {
        if (!c.wants(0)) return {nullptr};
        return {rule(c, reduceGrad(c))};
    };
}

Value* sumRule(VjpContext& c, const ReduceGrad& r) {
    return spread(c, r.g, r.x);
}

Value* meanRule(VjpContext& c, const ReduceGrad& r) {
    int64_t count = 1;
    for (int64_t d : r.dims)
        count *= r.x->type.shape[static_cast<size_t>(d)];
    return spread(c, r.g, r.x, 1.0 / static_cast<double>(count));
}

// reduce_max / reduce_min: the cotangent split equally among the elements equal to the result
// (a tie of k elements gives each g / k; the one-sided derivatives differ there, and this is
// their average for k = 2, what central differences see).
Value* extremumRule(VjpContext& c, const ReduceGrad& r) {
    const DType dtype = r.x->type.dtype;
    Value* isExtremum = c.cast(c.create("equal", {r.x, r.y}), dtype);
    Value* share = c.div(r.g, c.sumKeep(isExtremum, r.dims));
    return c.mul(share, isExtremum);
}

// d prod / d x_i is the product of the other elements, computed without dividing by zero: with
// p the product of the non-zero elements and z the number of zeros, it is p / x_i when z = 0;
// p for the zero itself and 0 for the rest when z = 1; 0 everywhere when z >= 2.
Value* prodRule(VjpContext& c, const ReduceGrad& r) {
    const DType dtype = r.x->type.dtype;
    Value* isZero = isEqual(c, r.x, 0);
    Value* safeX = c.create("select", {isZero, c.scalar(1, dtype), r.x});
    Value* nonZeroProduct = c.reduceKeep("reduce_prod", safeX, r.dims);
    Value* zeros = c.sumKeep(c.cast(isZero, dtype), r.dims);
    Value* noZero = c.cast(isEqual(c, zeros, 0), dtype);
    Value* oneZero = c.cast(isEqual(c, zeros, 1), dtype);
    Value* othersOverP = c.create("select", {isZero, oneZero, c.div(noZero, safeX)});
    return c.mul(c.mul(r.g, nonZeroProduct), othersOverP);
}

// d|x| = sign(x): 0 at x = 0.
Value* l1NormRule(VjpContext& c, const ReduceGrad& r) {
    return c.mul(r.g, c.create("sign", {r.x}));
}

Value* sumSquareRule(VjpContext& c, const ReduceGrad& r) {
    return c.mul(c.mulScalar(r.g, 2), r.x);
}

// x / ||x||; where the norm is 0 (all of x is) the gradient is 0, not NaN.
Value* l2NormRule(VjpContext& c, const ReduceGrad& r) {
    Value* safeNorm = c.create("select", {isEqual(c, r.y, 0), c.scalar(1, r.y->type.dtype), r.y});
    return c.mul(c.div(r.g, safeNorm), r.x);
}

Value* logSumRule(VjpContext& c, const ReduceGrad& r) {
    return spread(c, c.div(r.g, c.sumKeep(r.x, r.dims)), r.x);
}

// The softmax of x over the reduced dims: exp(x - result) <= 1, so nothing overflows.
Value* logSumExpRule(VjpContext& c, const ReduceGrad& r) {
    return c.mul(r.g, c.create("exp", {c.sub(r.x, r.y)}));
}

// dx = y * (g - sum(g * y)) along the axis.
std::vector<Value*> softmaxVjp(VjpContext& c) {
    if (!c.wants(0)) return {nullptr};
    Value* y = c.result();
    Value* g = c.cotangentOrZero();
    Value* along = c.sumKeep(c.mul(g, y), {c.intAttr("axis")});
    return {c.mul(y, c.sub(g, along))};
}
} // namespace

void registerReductionOps(OpRegistry& registry) {
    addReduce(registry, "reduce_sum", "sum", reduceVjp(sumRule));
    addReduce(registry, "reduce_mean", "mean", reduceVjp(meanRule));
    addReduce(registry, "reduce_max", "maximum", reduceVjp(extremumRule));
    addReduce(registry, "reduce_min", "minimum", reduceVjp(extremumRule));
    addReduce(registry, "reduce_prod", "product", reduceVjp(prodRule));
    addReduce(registry, "reduce_l1_norm", "sum of |x|", reduceVjp(l1NormRule));
    addReduce(registry, "reduce_sum_square", "sum of x * x", reduceVjp(sumSquareRule));
    addReduce(registry, "reduce_l2_norm", "sqrt of the sum of x * x", reduceVjp(l2NormRule), true);
    addReduce(registry, "reduce_log_sum", "log of the sum", reduceVjp(logSumRule), true);
    addReduce(registry, "reduce_log_sum_exp",
              "log(sum(exp(x))), computed as max + log(sum(exp(x - max)))",
              reduceVjp(logSumExpRule), true);
    addArgReduce(registry, "reduce_argmax", "index of the maximum");
    addArgReduce(registry, "reduce_argmin", "index of the minimum");
    registry.add({
        .name = "softmax",
        .operands = {{"x"}},
        .attrs = {{"axis", AttrKind::Int, int64_t{-1}}},
        .infer = inferSoftmax,
        .summary = "exp(x - max) / sum(exp(x - max)) along axis",
        .vjp = softmaxVjp,
    });
}

} // namespace anec::ir
