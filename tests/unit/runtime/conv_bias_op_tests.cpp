// conv with a bias on the reference backend: the bias is added per output channel, after the conv
// result is rounded (fp16-faithful), as the conv + add that ane-legalize makes of it.
#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
// y[n, c, h, w] = sum over (ci, ky, kx) x[n, ci, h*s + ky, w*s + kx] * w[c, ci, ky, kx] + b[c]
// for a valid, ungrouped conv with equal strides; `round` applies to the conv result.
std::vector<double> biasedConvRef(const SingleOp& op, int64_t stride,
                                  const std::function<double(double)>& round) {
    const ir::Shape& xs = op.type(0).shape;
    const ir::Shape& ws = op.type(1).shape;
    const int64_t outH = (xs[2] - ws[2]) / stride + 1, outW = (xs[3] - ws[3]) / stride + 1;
    const ir::Shape out{xs[0], ws[0], outH, outW};
    std::vector<double> y(static_cast<size_t>(count(out)));
    for (int64_t flat = 0; flat < count(out); ++flat) {
        auto i = unflatten(flat, out);
        double sum = 0;
        for (int64_t ci = 0; ci < ws[1]; ++ci)
            for (int64_t ky = 0; ky < ws[2]; ++ky)
                for (int64_t kx = 0; kx < ws[3]; ++kx)
                    sum += op.values(0)[static_cast<size_t>(
                               flatten({i[0], ci, i[2] * stride + ky, i[3] * stride + kx}, xs))] *
                           op.values(1)[static_cast<size_t>(flatten({i[1], ci, ky, kx}, ws))];
        y[static_cast<size_t>(flat)] = round(sum) + op.values(2)[static_cast<size_t>(i[1])];
    }
    return y;
}

void checkBiasedConv(ir::Shape x, ir::Shape w, int64_t stride, bool constant, Random& random) {
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
        SingleOp op("conv", {{"strides", std::vector<int64_t>{stride, stride}}});
        ir::TensorType xt{dtype, x}, wt{dtype, w}, bt{dtype, {w[0]}};
        op.operand(xt, random.values(xt, -1, 1))
            .operand(wt, random.values(wt, -1, 1), constant)
            .operand(bt, random.values(bt, -4, 4), constant);
        INFO(op.describe());
        checkValues(op.run(Precision::Float64),
                    biasedConvRef(op, stride, [](double v) { return v; }), float64Tolerance(dtype),
                    "float64");
        checkValues(op.run(Precision::Fp16Faithful),
                    biasedConvRef(op, stride, [dtype](double v) { return roundTo(dtype, v); }),
                    composite(dtype), "fp16-faithful");
    }
}
} // namespace

TEST_CASE("conv adds its bias per output channel", "[runtime][ops][bias]") {
    Random random(71);
    checkBiasedConv({1, 16, 1, 8}, {24, 16, 1, 1}, 1, true, random); // the linear layer
    checkBiasedConv({2, 3, 5, 6}, {4, 3, 3, 2}, 1, false, random);
    checkBiasedConv({1, 2, 7, 7}, {3, 2, 3, 3}, 2, true, random);
}

TEST_CASE("fp16-faithful conv bias rounds the conv result first", "[runtime][ops][bias]") {
    // conv = 2048 + 1 = 2049 ties to 2048 in fp16; + bias 1 = 2049 ties to 2048 again. One
    // rounding of the exact 2050 (Float64) gives 2050.
    SingleOp op("conv");
    op.operand({ir::DType::Fp16, {1, 2, 1, 1}}, {2048, 1})
        .operand({ir::DType::Fp16, {1, 2, 1, 1}}, {1, 1}, true)
        .operand({ir::DType::Fp16, {1}}, {1}, true);
    CHECK(op.run(Precision::Fp16Faithful) == std::vector<double>{2048});
    CHECK(op.run(Precision::Float64) == std::vector<double>{2050});
}

TEST_CASE("an absent bias leaves conv unchanged", "[runtime][ops][bias]") {
    SingleOp op("conv");
    op.operand({ir::DType::Fp32, {1, 2, 1, 2}}, {1, 2, 3, 4})
        .operand({ir::DType::Fp32, {1, 2, 1, 1}}, {10, 100}, true)
        .absent();
    op.check({310, 420}, kExact);
}
