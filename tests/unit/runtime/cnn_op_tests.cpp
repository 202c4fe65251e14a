// CNN and quantization ops against plain loops: avg_pool / max_pool (pad types, 1-D to 3-D),
// batch_norm, instance_norm, l2_norm, quantize and dequantize.
#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
using List = std::vector<int64_t>;

struct PoolCase {
    ir::Shape x;
    List kernel, strides;
    std::string padType;
    List pad; // custom only
};

// The independent pooling: every output position looks at its window in the padded input.
std::vector<double> poolRef(const PoolCase& c, const std::vector<double>& x, bool average,
                            bool exclude, const ir::Shape& out) {
    const size_t dims = c.x.size() - 2;
    std::vector<int64_t> before(dims, 0);
    for (size_t d = 0; d < dims; ++d) {
        const int64_t stride = c.strides.empty() ? 1 : c.strides[d];
        if (c.padType == "custom") before[d] = c.pad[2 * d];
        if (c.padType == "same" || c.padType == "same_lower") {
            int64_t total =
                std::max<int64_t>((out[2 + d] - 1) * stride + c.kernel[d] - c.x[2 + d], 0);
            before[d] = c.padType == "same" ? total / 2 : (total + 1) / 2;
        }
    }
    std::vector<double> result;
    for (int64_t i = 0; i < count(out); ++i) {
        auto index = unflatten(i, out);
        double sum = 0, best = -INFINITY;
        int64_t inside = 0, windowSize = 1;
        for (size_t d = 0; d < dims; ++d)
            windowSize *= c.kernel[d];
        for (int64_t k = 0; k < windowSize; ++k) {
            auto offset = unflatten(k, ir::Shape(c.kernel.begin(), c.kernel.end()));
            std::vector<int64_t> source{index[0], index[1]};
            bool valid = true;
            for (size_t d = 0; d < dims; ++d) {
                const int64_t stride = c.strides.empty() ? 1 : c.strides[d];
                const int64_t p = index[2 + d] * stride - before[d] + offset[d];
                valid = valid && p >= 0 && p < c.x[2 + d];
                source.push_back(p);
            }
            if (!valid) continue;
            const double v = x[static_cast<size_t>(flatten(source, c.x))];
            sum += v;
            best = std::max(best, v);
            ++inside;
        }
        result.push_back(average ? sum / double(exclude ? inside : windowSize) : best);
    }
    return result;
}
} // namespace

TEST_CASE("avg_pool and max_pool over 1 to 3 spatial dims", "[runtime][ops][pool]") {
    Random random(81);
    const std::vector<PoolCase> cases = {
        {{1, 2, 6, 5}, {2, 2}, {2, 2}, "valid", {}},
        {{2, 3, 7, 7}, {3, 3}, {2, 2}, "same", {}},
        {{1, 2, 6, 6}, {2, 3}, {1, 1}, "same_lower", {}}, // odd total padding: 1 before
        {{1, 2, 5, 4}, {3, 3}, {1, 1}, "custom", {1, 1, 2, 0}},
        {{2, 3, 9}, {4}, {3}, "same", {}},
        {{1, 2, 4, 3, 5}, {2, 2, 3}, {}, "valid", {}},
    };
    for (const PoolCase& c : cases) {
        for (bool average : {true, false}) {
            for (bool exclude : {false, true}) {
                if (!average && exclude) continue;
                ir::TensorType x{ir::DType::Fp16, c.x};
                ir::AttrMap attrs{{"kernel_sizes", c.kernel},
                                  {"strides", c.strides},
                                  {"pad_type", c.padType},
                                  {"pad", c.pad}};
                if (average) attrs["exclude_padding_from_average"] = exclude;
                SingleOp op(average ? "avg_pool" : "max_pool", attrs);
                op.operand(x, random.values(x));
                const ir::Shape out = op.module()->kernels[0]->outputs[0].value->type.shape;
                op.check(poolRef(c, op.values(0), average, exclude, out),
                         average ? composite(ir::DType::Fp16) : kExact);
            }
        }
    }
}

TEST_CASE("batch_norm uses the given per-channel statistics", "[runtime][ops][norm]") {
    Random random(82);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
        ir::TensorType x{dtype, {2, 3, 2, 2}}, c{dtype, {3}};
        std::vector<double> mean = random.values(c), variance = random.values(c, 0.5, 2),
                            gamma = random.values(c), beta = random.values(c);
        SingleOp op("batch_norm", {{"epsilon", 0.125}});
        op.operand(x, random.values(x))
            .operand(c, mean, true)
            .operand(c, variance, true)
            .operand(c, gamma, true)
            .operand(c, beta, true);
        std::vector<double> expected;
        for (int64_t i = 0; i < x.numElements(); ++i) {
            size_t ch = static_cast<size_t>(unflatten(i, x.shape)[1]);
            double v = op.values(0)[static_cast<size_t>(i)];
            expected.push_back((v - mean[ch]) / std::sqrt(variance[ch] + roundTo(dtype, 0.125)) *
                                   gamma[ch] +
                               beta[ch]);
        }
        op.check(expected, composite(dtype));
    }
}

TEST_CASE("instance_norm and l2_norm", "[runtime][ops][norm]") {
    Random random(83);
    ir::TensorType x{ir::DType::Fp32, {2, 3, 4}}, c{ir::DType::Fp32, {3}};
    std::vector<double> gamma = random.values(c), beta = random.values(c);
    SingleOp instance("instance_norm", {{"epsilon", 1e-3}});
    instance.operand(x, random.values(x)).operand(c, gamma, true).operand(c, beta, true);
    std::vector<double> expected(static_cast<size_t>(x.numElements()));
    for (size_t plane = 0; plane < 6; ++plane) {
        const double* v = instance.values(0).data() + plane * 4;
        double mean = (v[0] + v[1] + v[2] + v[3]) / 4, var = 0;
        for (int k = 0; k < 4; ++k)
            var += (v[k] - mean) * (v[k] - mean) / 4;
        for (int k = 0; k < 4; ++k)
            expected[plane * 4 + k] =
                (v[k] - mean) / std::sqrt(var + 1e-3) * gamma[plane % 3] + beta[plane % 3];
    }
    instance.check(expected, composite(ir::DType::Fp32));

    ir::TensorType y{ir::DType::Fp16, {2, 2, 3, 2}};
    SingleOp l2("l2_norm", {{"epsilon", 0.0}});
    l2.operand(y, random.values(y));
    std::vector<double> normalized;
    for (size_t batch = 0; batch < 2; ++batch) {
        double sum = 0;
        for (size_t k = 0; k < 12; ++k)
            sum += l2.values(0)[batch * 12 + k] * l2.values(0)[batch * 12 + k];
        for (size_t k = 0; k < 12; ++k)
            normalized.push_back(l2.values(0)[batch * 12 + k] / std::sqrt(sum));
    }
    l2.check(normalized, composite(ir::DType::Fp16));
}

TEST_CASE("quantize rounds halves to even and clips; dequantize inverts", "[runtime][ops][quant]") {
    const ir::TensorType x{ir::DType::Fp16, {2, 4}};
    const std::vector<double> values{0.25, 0.75, -0.25, 100, -100, 1.25, 0, -0.75};
    SingleOp perTensor("quantize", {{"output_dtype", std::string("int8")}});
    perTensor.operand(x, values).operand({ir::DType::Fp16, {}}, {0.5}, true);
    // x / 0.5: 0.5 -> 0, 1.5 -> 2, -0.5 -> -0, 200 -> 127, -200 -> -128, 2.5 -> 2, 0, -1.5 -> -2
    perTensor.check({0, 2, 0, 127, -128, 2, 0, -2}, kExact);

    SingleOp perChannel("quantize", {{"output_dtype", std::string("uint8")}, {"axis", int64_t(0)}});
    perChannel.operand(x, values)
        .operand({ir::DType::Fp16, {2}}, {0.25, 1}, true)
        .operand({ir::DType::UInt8, {2}}, {128, 10}, true);
    perChannel.check({129, 131, 127, 255, 0, 11, 10, 9}, kExact);

    const ir::TensorType q{ir::DType::Int8, {2, 3}};
    SingleOp dequantize("dequantize", {{"axis", int64_t(1)}});
    dequantize.operand(q, {-128, 0, 127, 5, -5, 3}, true)
        .operand({ir::DType::Fp32, {3}}, {0.5, 0.25, 2}, true)
        .operand({ir::DType::Int8, {3}}, {0, -2, 1}, true);
    dequantize.check({-64, 0.5, 252, 2.5, -0.75, 4}, kExact);
}

TEST_CASE("int8 and uint8 kernel inputs and outputs round-trip", "[runtime][ops][quant]") {
    SingleOp dequantize("dequantize");
    dequantize.operand({ir::DType::UInt8, {4}}, {0, 1, 200, 255})
        .operand({ir::DType::Fp16, {}}, {0.5}, true);
    dequantize.check({0, 0.5, 100, 127.5}, kExact);
    SingleOp identity("identity");
    identity.operand({ir::DType::Int8, {3}}, {-128, -1, 127});
    identity.check({-128, -1, 127}, kExact);
}
