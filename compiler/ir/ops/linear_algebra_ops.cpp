// Linear algebra: 2-D convolution (1x1 conv is the ANE's fast linear layer) and numpy matmul.
#include <algorithm>
#include <utility>

#include "ir/ops/conv_vjp.hpp"
#include "ir/ops/op_helpers.hpp"

namespace anec::ir {

namespace {
using ops::listString;
using ops::Results;

// Checks a strides/dilations attribute: two positive integers (height, width).
Expected<bool> checkPair(const std::string& name, const std::vector<int64_t>& values) {
    if (values.size() != 2 || values[0] < 1 || values[1] < 1)
        return fail("conv " + name + " must be 2 positive integers [height, width], got " +
                    listString(values));
    return true;
}

// Output length along one spatial axis; 0 or less when the kernel does not fit.
int64_t convOutputLength(const std::string& padType, int64_t in, int64_t kernel, int64_t stride,
                         int64_t dilation, int64_t padBefore, int64_t padAfter) {
    if (padType == "same" || padType == "same_lower") return (in + stride - 1) / stride;
    int64_t dilatedKernel = (kernel - 1) * dilation + 1;
    int64_t padded = in + (padType == "custom" ? padBefore + padAfter : 0);
    if (padded < dilatedKernel) return 0;
    return (padded - dilatedKernel) / stride + 1;
}

// The optional bias: one value per output channel, [Cout], in x's element type (MIL conv).
Expected<bool> checkConvBias(const TensorType* bias, const TensorType& x,
                             const TensorType& weight) {
    if (!bias) return true;
    if (bias->dtype != x.dtype)
        return fail("conv bias " + bias->str() + " and x " + x.str() +
                    " have different element types");
    if (bias->shape != Shape{weight.shape[0]})
        return fail("conv bias " + bias->str() + " must have shape " +
                    shapeString({weight.shape[0]}) + " (one value per output channel of weight " +
                    weight.str() + ")");
    return true;
}

Results inferConv(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const TensorType& weight = *ctx.operand(1);
    if (x.rank() != 4) return fail("conv needs x of rank 4 [N, C, H, W], got " + x.str());
    if (weight.rank() != 4)
        return fail("conv weight must have rank 4 [Cout, Cin/groups, kH, kW], got " + weight.str());
    if (!x.isStatic() || !weight.isStatic())
        return fail("conv needs static shapes, got x " + x.str() + " and weight " + weight.str());
    if (!isFloat(x.dtype)) return fail("conv needs a floating-point x, got " + x.str());
    if (weight.dtype != x.dtype)
        return fail("conv weight " + weight.str() + " and x " + x.str() +
                    " have different element types");

    const auto& strides = ctx.intListAttr("strides");
    const auto& dilations = ctx.intListAttr("dilations");
    const auto& pad = ctx.intListAttr("pad");
    const std::string& padType = ctx.stringAttr("pad_type");
    const int64_t groups = ctx.intAttr("groups");
    if (auto ok = checkPair("strides", strides); !ok) return fail(ok.error());
    if (auto ok = checkPair("dilations", dilations); !ok) return fail(ok.error());
    if (padType != "valid" && padType != "same" && padType != "same_lower" && padType != "custom")
        return fail(
            "conv pad_type must be \"valid\", \"same\", \"same_lower\" or \"custom\", got \"" +
            padType + "\"");
    if (pad.size() != 4 || *std::min_element(pad.begin(), pad.end()) < 0)
        return fail("conv pad must be 4 non-negative integers [top, bottom, left, right], got " +
                    listString(pad));
    if (padType != "custom" && pad != std::vector<int64_t>{0, 0, 0, 0})
        return fail("conv pad " + listString(pad) + " needs pad_type \"custom\", got \"" + padType +
                    "\"");
    if (groups < 1) return fail("conv groups must be positive, got " + std::to_string(groups));

    const int64_t inChannels = x.shape[1];
    const int64_t outChannels = weight.shape[0];
    if (inChannels % groups != 0)
        return fail("conv groups " + std::to_string(groups) + " does not divide the " +
                    std::to_string(inChannels) + " input channels of x " + x.str());
    if (outChannels % groups != 0)
        return fail("conv groups " + std::to_string(groups) + " does not divide the " +
                    std::to_string(outChannels) + " output channels of weight " + weight.str());
    if (weight.shape[1] * groups != inChannels)
        return fail("conv weight " + weight.str() + " expects " +
                    std::to_string(weight.shape[1] * groups) + " input channels but x " + x.str() +
                    " has " + std::to_string(inChannels) +
                    (groups > 1 ? " (groups = " + std::to_string(groups) + ")" : ""));
    if (weight.shape[2] < 1 || weight.shape[3] < 1)
        return fail("conv weight " + weight.str() + " has an empty kernel");
    if (auto ok = checkConvBias(ctx.operand(2), x, weight); !ok) return fail(ok.error());

    Shape out{x.shape[0], outChannels, 0, 0};
    for (size_t i = 0; i < 2; ++i) {
        out[2 + i] = convOutputLength(padType, x.shape[2 + i], weight.shape[2 + i], strides[i],
                                      dilations[i], pad[2 * i], pad[2 * i + 1]);
        if (out[2 + i] < 1)
            return fail("conv kernel " + std::to_string(weight.shape[2]) + "x" +
                        std::to_string(weight.shape[3]) + " (dilations " + listString(dilations) +
                        ") does not fit into x " + x.str() + " with pad " + listString(pad));
    }
    return ops::single({x.dtype, out});
}

Results inferMatmul(const InferContext& ctx) {
    const TensorType& x = *ctx.operand(0);
    const TensorType& y = *ctx.operand(1);
    const bool transposeX = ctx.boolAttr("transpose_x");
    const bool transposeY = ctx.boolAttr("transpose_y");
    auto spelled = [](const TensorType& t, bool transposed) {
        return t.str() + (transposed && t.rank() >= 2 ? " (transposed)" : "");
    };
    std::string both = "cannot matmul " + spelled(x, transposeX) + " and " + spelled(y, transposeY);
    if (x.dtype != y.dtype) return fail(both + ": element types differ");
    if (!ops::isNumeric(x.dtype)) return fail(both + ": matmul needs numbers");
    if (x.isScalar() || y.isScalar()) return fail(both + ": matmul needs tensors of rank >= 1");

    // numpy: a vector x is a row [1, K], a vector y a column [K, 1]; those dims are dropped after.
    Shape xs = x.rank() == 1 ? Shape{1, x.shape[0]} : x.shape;
    Shape ys = y.rank() == 1 ? Shape{y.shape[0], 1} : y.shape;
    if (transposeX && x.rank() >= 2) std::swap(xs[xs.size() - 1], xs[xs.size() - 2]);
    if (transposeY && y.rank() >= 2) std::swap(ys[ys.size() - 1], ys[ys.size() - 2]);
    const int64_t m = xs[xs.size() - 2], k = xs.back();
    const int64_t ky = ys[ys.size() - 2], n = ys.back();
    if (k != ky)
        return fail(both + ": inner dimensions " + std::to_string(k) + " and " +
                    std::to_string(ky) + " differ");
    Shape batchX(xs.begin(), xs.end() - 2), batchY(ys.begin(), ys.end() - 2);
    auto batch = broadcastShapes(batchX, batchY);
    if (!batch)
        return fail(both + ": batch dimensions " + shapeString(batchX) + " and " +
                    shapeString(batchY) + " do not broadcast");
    Shape out = *batch;
    if (x.rank() >= 2) out.push_back(m);
    if (y.rank() >= 2) out.push_back(n);
    return ops::single({x.dtype, out});
}

// z = X @ Y with X = x or x^T, Y = y or y^T (vectors promoted to a row / a column): dX = g @ Y^T
// and dY = X^T @ g, spelled with matmul's transpose flags on the stored x and y so that no
// transpose op is needed; batch dims the operand was broadcast along are summed back.
std::vector<Value*> matmulVjp(VjpContext& c) {
    Value* g = c.cotangent();
    if (!g) return {nullptr, nullptr};
    Value* x = c.operand(0);
    Value* y = c.operand(1);
    const bool xVector = x->type.rank() == 1, yVector = y->type.rank() == 1;
    const bool tx = c.boolAttr("transpose_x") && !xVector;
    const bool ty = c.boolAttr("transpose_y") && !yVector;
    Value* xm = xVector ? c.reshape(x, {1, x->type.shape[0]}) : x;
    Value* ym = yVector ? c.reshape(y, {y->type.shape[0], 1}) : y;
    // g with the matrix dims a vector operand dropped put back as size 1
    Shape gShape = g->type.shape;
    if (xVector) gShape.insert(gShape.end() - (yVector ? 0 : 1), 1);
    if (yVector) gShape.push_back(1);
    Value* gm = c.reshape(g, gShape);
    auto matmul = [&](Value* a, Value* b, bool ta, bool tb) {
        return c.create("matmul", {a, b}, {{"transpose_x", ta}, {"transpose_y", tb}});
    };
    Value* dx = nullptr;
    Value* dy = nullptr;
    if (c.wants(0)) {
        dx = tx ? matmul(ym, gm, ty, true) : matmul(gm, ym, false, !ty);
        dx = c.reshape(c.sumToShape(dx, xm->type.shape), x->type.shape);
    }
    if (c.wants(1)) {
        dy = ty ? matmul(gm, xm, true, tx) : matmul(xm, gm, !tx, false);
        dy = c.reshape(c.sumToShape(dy, ym->type.shape), y->type.shape);
    }
    return {dx, dy};
}
} // namespace

void registerLinearAlgebraOps(OpRegistry& registry) {
    // The ANE rejects conv bias: ane-legalize moves it into an add after the conv.
    registry.add({
        .name = "conv",
        .operands = {{"x"}, {"weight"}, {"bias", OperandArity::Optional}},
        .attrs = {{"dilations", AttrKind::IntList, std::vector<int64_t>{1, 1}},
                  {"groups", AttrKind::Int, int64_t{1}},
                  {"pad", AttrKind::IntList, std::vector<int64_t>{0, 0, 0, 0}},
                  {"pad_type", AttrKind::String, std::string("valid")},
                  {"strides", AttrKind::IntList, std::vector<int64_t>{1, 1}}},
        .infer = inferConv,
        .summary = "2-D convolution of x [N, Cin, H, W] with weight [Cout, Cin/groups, kH, kW], "
                   "plus an optional bias [Cout]",
        .vjp = vjp_windows::convVjp,
    });
    registry.add({
        .name = "matmul",
        .operands = {{"x"}, {"y"}},
        .attrs = {{"transpose_x", AttrKind::Bool, false}, {"transpose_y", AttrKind::Bool, false}},
        .infer = inferMatmul,
        .summary = "numpy matmul with batch broadcasting; transpose_x/y swap the last two dims",
        .vjp = matmulVjp,
    });
}

} // namespace anec::ir
