// scaled_dot_product_attention on the reference backend against a plain double implementation:
// exact in Float64; in the fp16-faithful model against the same steps rounded to fp16 after each
// one (matmul, scale, mask, softmax, matmul), which is what the decomposition computes.
#include "op_test_harness.hpp"

#include <limits>

using namespace anec;
using namespace anec::test;

namespace {
const char* const kSdpa = "scaled_dot_product_attention";

struct AttentionShapes {
    ir::Shape q, k, v, mask; // mask empty: no mask
    bool boolMask = false;
};

// softmax(q @ k^T * scale + mask) @ v, with `round` applied after each step.
std::vector<double> attentionRef(const SingleOp& op, const AttentionShapes& s, bool hasMask,
                                 const std::function<double(double)>& round) {
    const size_t rank = s.q.size();
    const int64_t l = s.q[rank - 2], e = s.q[rank - 1], n = s.k[rank - 2], ev = s.v[rank - 1];
    const int64_t batch = count(s.q) / (l * e);
    const double scale = round(1.0 / std::sqrt(static_cast<double>(e)));
    ir::Shape scoresShape = s.q;
    scoresShape.back() = n;
    const auto& q = op.values(0);
    const auto& k = op.values(1);
    const auto& v = op.values(2);
    std::vector<double> out;
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t i = 0; i < l; ++i) {
            std::vector<double> row(static_cast<size_t>(n));
            for (int64_t j = 0; j < n; ++j) {
                double dot = 0;
                for (int64_t x = 0; x < e; ++x)
                    dot += q[static_cast<size_t>((b * l + i) * e + x)] *
                           k[static_cast<size_t>((b * n + j) * e + x)];
                double score = round(round(dot) * scale);
                if (hasMask) {
                    auto index = unflatten((b * l + i) * n + j, scoresShape);
                    double m = op.values(3)[static_cast<size_t>(broadcastFlat(index, s.mask))];
                    if (s.boolMask)
                        score = m != 0 ? score : -std::numeric_limits<double>::infinity();
                    else
                        score = round(score + m);
                }
                row[static_cast<size_t>(j)] = score;
            }
            double maximum = -std::numeric_limits<double>::infinity(), sum = 0;
            for (double score : row)
                maximum = std::max(maximum, score);
            for (double& score : row) {
                score = std::exp(score - maximum);
                sum += score;
            }
            for (double& score : row)
                score = round(score / sum);
            for (int64_t y = 0; y < ev; ++y) {
                double acc = 0;
                for (int64_t j = 0; j < n; ++j)
                    acc +=
                        row[static_cast<size_t>(j)] * v[static_cast<size_t>((b * n + j) * ev + y)];
                out.push_back(acc);
            }
        }
    }
    return out;
}

SingleOp attentionOp(const AttentionShapes& s, ir::DType dtype, Random& random) {
    SingleOp op(kSdpa);
    ir::TensorType q{dtype, s.q}, k{dtype, s.k}, v{dtype, s.v};
    op.operand(q, random.values(q, -1, 1))
        .operand(k, random.values(k, -1, 1))
        .operand(v, random.values(v, -1, 1));
    if (!s.mask.empty()) {
        ir::TensorType mask{s.boolMask ? ir::DType::Bool : dtype, s.mask};
        std::vector<double> values = random.values(mask, -3, 0);
        // A bool mask keeps position 0 of every row (a row that keeps nothing is NaN).
        if (s.boolMask)
            for (size_t i = 0; i < values.size(); i += static_cast<size_t>(s.mask.back()))
                values[i] = 1;
        op.operand(mask, values);
    }
    return op;
}

void checkAttention(const AttentionShapes& s, Random& random) {
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
        SingleOp op = attentionOp(s, dtype, random);
        const bool hasMask = !s.mask.empty();
        INFO(op.describe());
        auto exact = attentionRef(op, s, hasMask, [](double x) { return x; });
        auto stepped =
            attentionRef(op, s, hasMask, [dtype](double x) { return roundTo(dtype, x); });
        checkValues(op.run(Precision::Float64), exact, float64Tolerance(dtype), "float64");
        checkValues(op.run(Precision::Fp16Faithful), stepped, composite(dtype), "fp16-faithful");
    }
}
} // namespace

TEST_CASE("attention without a mask", "[runtime][ops][attention]") {
    Random random(61);
    checkAttention({{1, 2, 5, 8}, {1, 2, 7, 8}, {1, 2, 7, 3}, {}}, random);
    checkAttention({{3, 4, 16}, {3, 6, 16}, {3, 6, 16}, {}}, random);
    checkAttention({{1, 1, 1, 1, 4}, {1, 1, 1, 1, 4}, {1, 1, 1, 1, 2}, {}}, random);
}

TEST_CASE("attention adds a float mask that broadcasts to the scores",
          "[runtime][ops][attention]") {
    Random random(62);
    checkAttention({{1, 2, 5, 8}, {1, 2, 7, 8}, {1, 2, 7, 3}, {1, 2, 5, 7}}, random);
    checkAttention({{1, 2, 5, 8}, {1, 2, 7, 8}, {1, 2, 7, 3}, {5, 7}}, random);
    checkAttention({{2, 3, 4, 6}, {2, 3, 5, 6}, {2, 3, 5, 2}, {2, 1, 1, 5}}, random);
    checkAttention({{2, 4, 6}, {2, 5, 6}, {2, 5, 2}, {5}}, random);
}

TEST_CASE("a bool mask keeps the positions where it is true", "[runtime][ops][attention]") {
    Random random(63);
    checkAttention({{1, 2, 5, 8}, {1, 2, 7, 8}, {1, 2, 7, 3}, {1, 2, 5, 7}, true}, random);
    checkAttention({{2, 4, 6}, {2, 5, 6}, {2, 5, 2}, {1, 5}, true}, random);

    // Causal mask, one query per key: row i averages v[0..i] when every score is equal.
    SingleOp op(kSdpa);
    op.operand({ir::DType::Fp16, {1, 3, 2}}, std::vector<double>(6, 0.0))
        .operand({ir::DType::Fp16, {1, 3, 2}}, std::vector<double>(6, 0.0))
        .operand({ir::DType::Fp16, {1, 3, 1}}, {3, 6, 9})
        .operand({ir::DType::Bool, {3, 3}}, {1, 0, 0, 1, 1, 0, 1, 1, 1});
    op.check({3, 4.5, 6}, kExact);
    // A row that keeps nothing has no softmax: NaN, as coremltools' definition gives.
    SingleOp none(kSdpa);
    none.operand({ir::DType::Fp32, {1, 1, 2}}, {1, 1})
        .operand({ir::DType::Fp32, {1, 2, 2}}, {1, 0, 0, 1})
        .operand({ir::DType::Fp32, {1, 2, 1}}, {1, 2})
        .operand({ir::DType::Bool, {1, 2}}, {0, 0});
    CHECK(std::isnan(none.run(Precision::Float64)[0]));
}

TEST_CASE("attention scales the scores by 1/sqrt(E)", "[runtime][ops][attention]") {
    // E = 4, so the scale is 0.5: scores q.k = [4, 0] become [2, 0]; softmax = [e^2, 1]/(e^2+1).
    SingleOp op(kSdpa);
    op.operand({ir::DType::Fp32, {1, 1, 4}}, {1, 1, 1, 1})
        .operand({ir::DType::Fp32, {1, 2, 4}}, {1, 1, 1, 1, 0, 0, 0, 0})
        .operand({ir::DType::Fp32, {1, 2, 1}}, {1, 0});
    const double p = std::exp(2.0) / (std::exp(2.0) + 1);
    op.check({p}, singleOp(ir::DType::Fp32));
}

TEST_CASE("fp16-faithful attention rounds the scores like the decomposed ops",
          "[runtime][ops][attention]") {
    // q.k1 = 2048 + 1 = 2049 is not an fp16 value (ties to 2048); q.k2 = 2048. Rounded after the
    // matmul the scores are equal and the output is 0.5; unrounded (Float64) it is
    // sigmoid((2049 - 2048) / sqrt(4)) = sigmoid(0.5).
    SingleOp op(kSdpa);
    op.operand({ir::DType::Fp16, {1, 1, 4}}, {1, 1, 0, 0})
        .operand({ir::DType::Fp16, {1, 2, 4}}, {2048, 1, 0, 0, 2048, 0, 0, 0})
        .operand({ir::DType::Fp16, {1, 2, 1}}, {1, 0});
    CHECK(op.run(Precision::Fp16Faithful)[0] == 0.5);
    CHECK(op.run(Precision::Float64)[0] == Approx(1 / (1 + std::exp(-0.5))).epsilon(1e-3));
}

TEST_CASE("an attention kernel written in .ane runs on the reference backend",
          "[runtime][attention]") {
    auto module = compileModule(
        "kernel k(q: fp16[1, 2, 3, 4], kv: fp16[1, 2, 5, 4], m: fp16[3, 5]) -> (y: fp16[1, 2, "
        "3, 4]) {\n"
        "    y = scaled_dot_product_attention(q, kv, kv, mask = m)\n"
        "}\n");
    Random random(64);
    SingleOp op =
        attentionOp({{1, 2, 3, 4}, {1, 2, 5, 4}, {1, 2, 5, 4}, {3, 5}}, ir::DType::Fp16, random);
    auto executable =
        runtime::createReferenceBackend(Precision::Fp16Faithful)->prepare(module, "k");
    std::vector<runtime::Tensor> tensors{makeTensor(op.type(0), op.values(0)),
                                         makeTensor(op.type(1), op.values(1)),
                                         makeTensor(op.type(3), op.values(3))};
    auto outputs = executable->run(
        {{"q", viewOf(tensors[0])}, {"kv", viewOf(tensors[1])}, {"m", viewOf(tensors[2])}});
    // key and value are the same tensor here: give the reference the same values.
    SingleOp same(kSdpa);
    same.operand(op.type(0), op.values(0))
        .operand(op.type(1), op.values(1))
        .operand(op.type(1), op.values(1))
        .operand(op.type(3), op.values(3));
    AttentionShapes shapes{{1, 2, 3, 4}, {1, 2, 5, 4}, {1, 2, 5, 4}, {3, 5}};
    auto expected =
        attentionRef(same, shapes, true, [](double x) { return roundTo(ir::DType::Fp16, x); });
    checkValues(toDoubles(outputs.at("y")), expected, composite(ir::DType::Fp16), ".ane kernel");
}
