// conv and matmul through BLAS GEMM (accumulating in T: fp32 in the fp16-faithful model).
// conv: a 1x1, stride-1, unpadded conv is one GEMM per batch and group straight on x
// (Y[Cout, H*W] = W[Cout, Cin] · X[Cin, H*W]); any other conv unrolls x (im2col) first. The
// optional bias is added per output channel after the conv.
#include <algorithm>
#include <vector>

#include "runtime/core/fp16_convert.hpp"
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/gemm.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
struct ConvGeometry {
    int64_t batch, inChannels, inH, inW;
    int64_t outChannels, kernelH, kernelW;
    int64_t outH, outW;
    int64_t strideH, strideW, dilationH, dilationW;
    int64_t padTop, padLeft; // padding before the data (after it is implied by the output size)
    int64_t groups;

    int64_t groupIn() const { return inChannels / groups; }
    int64_t groupOut() const { return outChannels / groups; }
    // Rows of the unrolled input: one per (channel, ky, kx) of a group.
    int64_t patch() const { return groupIn() * kernelH * kernelW; }
    bool isPointwise() const {
        return kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padTop == 0 &&
               padLeft == 0 && outH == inH && outW == inW;
    }
};

// Padding before the data along one axis: MIL "same" puts the odd pixel after, "same_lower"
// before.
int64_t padBefore(const std::string& padType, int64_t in, int64_t out, int64_t kernel,
                  int64_t stride, int64_t dilation, int64_t custom) {
    if (padType == "custom") return custom;
    if (padType == "valid") return 0;
    int64_t total = std::max<int64_t>((out - 1) * stride + (kernel - 1) * dilation + 1 - in, 0);
    return padType == "same_lower" ? (total + 1) / 2 : total / 2;
}

template <typename T> ConvGeometry convGeometry(const OpContext<T>& ctx) {
    const ir::Shape& x = ctx.operandType(0)->shape;
    const ir::Shape& w = ctx.operandType(1)->shape;
    const ir::Shape& y = ctx.resultType().shape;
    const auto& strides = ctx.intListAttr("strides");
    const auto& dilations = ctx.intListAttr("dilations");
    const auto& pad = ctx.intListAttr("pad");
    const std::string& padType = ctx.stringAttr("pad_type");
    ConvGeometry g{x[0],         x[1],       x[2],       x[3],
                   w[0],         w[2],       w[3],       y[2],
                   y[3],         strides[0], strides[1], dilations[0],
                   dilations[1], 0,          0,          ctx.intAttr("groups")};
    g.padTop = padBefore(padType, g.inH, g.outH, g.kernelH, g.strideH, g.dilationH, pad[0]);
    g.padLeft = padBefore(padType, g.inW, g.outW, g.kernelW, g.strideW, g.dilationW, pad[2]);
    for (int64_t dim : {g.groupOut(), g.outH * g.outW, g.patch(), g.inH * g.inW})
        if (!fitsBlas(dim)) ctx.error("is too large for BLAS");
    return g;
}

// Unrolls one group of one image: cols[(c, ky, kx), (oy, ox)] = x[c, oy*s + ky*d - pad, ...],
// zero outside the image.
template <typename T> void im2col(const ConvGeometry& g, const T* x, T* cols) {
    const int64_t outPixels = g.outH * g.outW;
    for (int64_t c = 0; c < g.groupIn(); ++c) {
        const T* plane = x + c * g.inH * g.inW;
        for (int64_t ky = 0; ky < g.kernelH; ++ky) {
            for (int64_t kx = 0; kx < g.kernelW; ++kx) {
                T* row = cols + ((c * g.kernelH + ky) * g.kernelW + kx) * outPixels;
                for (int64_t oy = 0; oy < g.outH; ++oy) {
                    const int64_t iy = oy * g.strideH + ky * g.dilationH - g.padTop;
                    T* out = row + oy * g.outW;
                    if (iy < 0 || iy >= g.inH) {
                        std::fill(out, out + g.outW, T(0));
                        continue;
                    }
                    for (int64_t ox = 0; ox < g.outW; ++ox) {
                        const int64_t ix = ox * g.strideW + kx * g.dilationW - g.padLeft;
                        out[ox] = ix >= 0 && ix < g.inW ? plane[iy * g.inW + ix] : T(0);
                    }
                }
            }
        }
    }
}

template <typename T> void runConv(const ConvGeometry& g, const T* x, const T* w, T* y) {
    const int64_t outPixels = g.outH * g.outW;
    const int64_t inPixels = g.inH * g.inW;
    std::vector<T> cols(g.isPointwise() ? 0 : static_cast<size_t>(g.patch() * outPixels));
    for (int64_t n = 0; n < g.batch; ++n) {
        for (int64_t group = 0; group < g.groups; ++group) {
            const T* xg = x + (n * g.inChannels + group * g.groupIn()) * inPixels;
            const T* wg = w + group * g.groupOut() * g.patch();
            T* yg = y + (n * g.outChannels + group * g.groupOut()) * outPixels;
            const T* b = xg;
            if (!g.isPointwise()) {
                im2col(g, xg, cols.data());
                b = cols.data();
            }
            gemm(false, false, g.groupOut(), outPixels, g.patch(), wg, g.patch(), b, outPixels, yg,
                 outPixels);
        }
    }
}

// y[n, c, :, :] += bias[c]. In the fp16-faithful model an fp16 conv result is first rounded to
// fp16 and the sum is rounded again when the step ends: bias is computed as the two ops (conv,
// then add) that ane-legalize turns it into, so the reference gives the same numbers before and
// after legalization.
template <typename T>
void addConvBias(const ConvGeometry& g, const T* bias, bool roundFirst, T* y) {
    const int64_t outPixels = g.outH * g.outW;
    if constexpr (OpContext<T>::kFaithful) {
        if (roundFirst)
            runtime::roundToHalf(y, static_cast<size_t>(g.batch * g.outChannels * outPixels));
    }
    for (int64_t n = 0; n < g.batch; ++n) {
        for (int64_t c = 0; c < g.outChannels; ++c) {
            T* plane = y + (n * g.outChannels + c) * outPixels;
            for (int64_t p = 0; p < outPixels; ++p)
                plane[p] += bias[c];
        }
    }
}

template <typename T> Kernel prepareConv(const OpContext<T>& ctx) {
    const ConvGeometry g = convGeometry(ctx);
    // A constant weight ([Cout, Cin/groups, kH, kW] is already the GEMM layout) is converted
    // once, at prepare time, and captured.
    const Buffer* constantWeight = ctx.constant(1);
    Buffer weight = constantWeight ? *constantWeight : Buffer{};
    const bool hasBias = ctx.operandType(2) != nullptr;
    const bool roundFirst = ctx.resultType().dtype == ir::DType::Fp16;
    return [g, weight, hasBias, roundFirst](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        const T* w = weight.storage ? weight.in<T>() : in[1]->in<T>();
        runConv(g, in[0]->in<T>(), w, results[0].out<T>());
        if (hasBias) addConvBias(g, in[2]->in<T>(), roundFirst, results[0].out<T>());
    };
}

// numpy matmul: the batch dims broadcast; a rank-1 x is a row and a rank-1 y a column.
struct MatmulPlan {
    int64_t m = 1, n = 1, k = 1;
    bool transposeX = false, transposeY = false;
    int64_t ldx = 1, ldy = 1;
    std::vector<int64_t> xOffsets, yOffsets; // per batch element, into x and y
};

template <typename T> MatmulPlan planMatmul(const OpContext<T>& ctx) {
    const ir::Shape& xs = ctx.operandType(0)->shape;
    const ir::Shape& ys = ctx.operandType(1)->shape;
    MatmulPlan plan;
    plan.transposeX = ctx.boolAttr("transpose_x") && xs.size() >= 2;
    plan.transposeY = ctx.boolAttr("transpose_y") && ys.size() >= 2;
    // The stored matrices: x [rows, cols] (rank 1: [1, K]); y (rank 1: [K, 1]).
    const int64_t xRows = xs.size() >= 2 ? xs[xs.size() - 2] : 1, xCols = xs.back();
    const int64_t yRows = ys.size() >= 2 ? ys[ys.size() - 2] : ys[0];
    const int64_t yCols = ys.size() >= 2 ? ys.back() : 1;
    plan.m = plan.transposeX ? xCols : xRows;
    plan.k = plan.transposeX ? xRows : xCols;
    plan.n = plan.transposeY ? yRows : yCols;
    plan.ldx = xCols;
    plan.ldy = yCols;
    for (int64_t dim : {plan.m, plan.n, plan.k})
        if (!fitsBlas(dim)) ctx.error("is too large for BLAS");

    ir::Shape batchX(xs.begin(), xs.end() - std::min<size_t>(xs.size(), 2));
    ir::Shape batchY(ys.begin(), ys.end() - std::min<size_t>(ys.size(), 2));
    ir::Shape batch = ir::broadcastShapes(batchX, batchY).value_or(ir::Shape{});
    StridedLoop loop = planBroadcast(batch, {batchX, batchY});
    forEachRow(loop, [&](int64_t, const int64_t* offsets) {
        for (int64_t i = 0; i < loop.inner; ++i) {
            plan.xOffsets.push_back((offsets[0] + i * loop.innerStride(0)) * xRows * xCols);
            plan.yOffsets.push_back((offsets[1] + i * loop.innerStride(1)) * yRows * yCols);
        }
    });
    return plan;
}

// Exact int32 matmul (int64 accumulation, wrapped to int32 like int32 arithmetic).
void integerMatmul(const MatmulPlan& p, const int32_t* x, const int32_t* y, int32_t* out) {
    for (int64_t i = 0; i < p.m; ++i) {
        for (int64_t j = 0; j < p.n; ++j) {
            int64_t sum = 0;
            for (int64_t l = 0; l < p.k; ++l) {
                int64_t a = p.transposeX ? x[l * p.ldx + i] : x[i * p.ldx + l];
                int64_t b = p.transposeY ? y[j * p.ldy + l] : y[l * p.ldy + j];
                sum += a * b;
            }
            out[i * p.n + j] = static_cast<int32_t>(sum);
        }
    }
}

template <typename T> Kernel prepareMatmul(const OpContext<T>& ctx) {
    const MatmulPlan plan = planMatmul(ctx);
    if (ctx.operandType(0)->dtype == ir::DType::Int32) {
        return [plan](const Operands& in, Results& results) {
            results[0] = allocate<int32_t>(results[0].type);
            for (size_t b = 0; b < plan.xOffsets.size(); ++b)
                integerMatmul(plan, in[0]->in<int32_t>() + plan.xOffsets[b],
                              in[1]->in<int32_t>() + plan.yOffsets[b],
                              results[0].out<int32_t>() +
                                  static_cast<int64_t>(b) * plan.m * plan.n);
        };
    }
    if (!isFloat(ctx.operandType(0)->dtype))
        ctx.error("the reference backend runs matmul on floats and int32 only, got " +
                  ctx.operandType(0)->str());
    return [plan](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        for (size_t b = 0; b < plan.xOffsets.size(); ++b)
            gemm(plan.transposeX, plan.transposeY, plan.m, plan.n, plan.k,
                 in[0]->in<T>() + plan.xOffsets[b], plan.ldx, in[1]->in<T>() + plan.yOffsets[b],
                 plan.ldy, results[0].out<T>() + static_cast<int64_t>(b) * plan.m * plan.n, plan.n);
    };
}
} // namespace

template <typename T> void addLinearAlgebraEvaluators(EvaluatorTable<T>& table) {
    table["conv"] = {prepareConv<T>};
    table["matmul"] = {prepareMatmul<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addLinearAlgebraEvaluators);

} // namespace anec::runtime::reference
