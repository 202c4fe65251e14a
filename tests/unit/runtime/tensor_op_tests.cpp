// gather, gather_along_axis and the tensor ops (band_part, cumsum, fill, range_1d, pad, tile,
// stack, reverse, topk, argsort) against plain index arithmetic in the test.
#include <numeric>

#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
using List = std::vector<int64_t>;

std::vector<double> iota(const ir::TensorType& type, double first = -5) {
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = type.dtype == ir::DType::Bool ? double(i % 3 == 0) : double(i) + first;
    return values;
}

size_t at(const std::vector<int64_t>& index, const ir::Shape& shape) {
    return static_cast<size_t>(flatten(index, shape));
}
} // namespace

TEST_CASE("gather is an embedding lookup along any axis", "[runtime][ops][gather]") {
    Random random(71);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32}) {
        for (int trial = 0; trial < 6; ++trial) {
            ir::TensorType x{dtype, random.shape(static_cast<size_t>(random.integer(1, 3)), 5)};
            const size_t axis = static_cast<size_t>(random.integer(0, int64_t(x.rank()) - 1));
            ir::TensorType indices{ir::DType::Int32,
                                   random.shape(static_cast<size_t>(random.integer(0, 2)), 3)};
            std::vector<double> idx;
            for (int64_t i = 0; i < indices.numElements(); ++i)
                idx.push_back(static_cast<double>(random.integer(0, x.shape[axis] - 1)));
            SingleOp op("gather", {{"axis", int64_t(axis)}});
            op.operand(x, iota(x)).operand(indices, idx, trial % 2 == 0);
            ir::Shape out(x.shape.begin(), x.shape.begin() + int64_t(axis));
            out.insert(out.end(), indices.shape.begin(), indices.shape.end());
            out.insert(out.end(), x.shape.begin() + int64_t(axis) + 1, x.shape.end());
            std::vector<double> expected;
            for (int64_t i = 0; i < count(out); ++i) {
                auto index = unflatten(i, out);
                std::vector<int64_t> position(index.begin() + int64_t(axis),
                                              index.begin() + int64_t(axis + indices.rank()));
                std::vector<int64_t> source(index.begin(), index.begin() + int64_t(axis));
                source.push_back(static_cast<int64_t>(idx[at(position, indices.shape)]));
                source.insert(source.end(), index.begin() + int64_t(axis + indices.rank()),
                              index.end());
                expected.push_back(op.values(0)[at(source, x.shape)]);
            }
            op.check(expected, kExact);
        }
    }
}

TEST_CASE("gather with batch_dims picks per batch", "[runtime][ops][gather]") {
    // x [2, 3, 2], indices [2, 2] with batch_dims 1 along axis 1: out[b, i, k] = x[b, idx[b, i], k]
    ir::TensorType x{ir::DType::Fp16, {2, 3, 2}};
    SingleOp op("gather", {{"axis", int64_t(1)}, {"batch_dims", int64_t(1)}});
    op.operand(x, iota(x, 0)).operand({ir::DType::Int32, {2, 2}}, {2, 0, 1, 1});
    op.check({4, 5, 0, 1, 8, 9, 8, 9}, kExact);
}

TEST_CASE("gather rejects an index out of range when it runs", "[runtime][ops][gather]") {
    SingleOp op("gather");
    op.operand({ir::DType::Fp16, {4, 2}}, iota({ir::DType::Fp16, {4, 2}}))
        .operand({ir::DType::Int32, {2}}, {1, 4});
    for (Precision precision : {Precision::Fp16Faithful, Precision::Float64})
        CHECK_THROWS_WITH(op.run(precision),
                          Catch::Contains("'gather' (line 7:3)") &&
                              Catch::Contains("index 4 is out of range for an axis of size 4"));
    SingleOp negative("gather_along_axis");
    negative.operand({ir::DType::Fp16, {2}}, {1, 2}).operand({ir::DType::Int32, {2}}, {0, -1});
    CHECK_THROWS_WITH(negative.run(Precision::Float64),
                      Catch::Contains("index -1 is out of range"));
}

TEST_CASE("gather_along_axis takes elementwise along the axis", "[runtime][ops][gather]") {
    Random random(72);
    for (int64_t axis : {0, 1, -1}) {
        ir::TensorType x{ir::DType::Fp32, {3, 4}};
        const size_t a = static_cast<size_t>(axis < 0 ? axis + 2 : axis);
        ir::TensorType indices{ir::DType::Int32, x.shape};
        indices.shape[a] = 5;
        std::vector<double> idx;
        for (int64_t i = 0; i < indices.numElements(); ++i)
            idx.push_back(static_cast<double>(random.integer(0, x.shape[a] - 1)));
        SingleOp op("gather_along_axis", {{"axis", axis}});
        op.operand(x, iota(x)).operand(indices, idx);
        std::vector<double> expected;
        for (int64_t i = 0; i < indices.numElements(); ++i) {
            auto index = unflatten(i, indices.shape);
            index[a] = static_cast<int64_t>(idx[static_cast<size_t>(i)]);
            expected.push_back(op.values(0)[at(index, x.shape)]);
        }
        op.check(expected, kExact);
    }
}

TEST_CASE("band_part keeps a band of the last two dims", "[runtime][ops][tensor]") {
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Int32, ir::DType::Bool}) {
        for (auto [lower, upper] :
             std::vector<std::pair<int64_t, int64_t>>{{-1, 0}, {0, -1}, {0, 0}, {1, 2}, {-1, -1}}) {
            ir::TensorType x{dtype, {2, 3, 4}};
            SingleOp op("band_part", {{"lower", lower}, {"upper", upper}});
            op.operand(x, iota(x, 1));
            std::vector<double> expected = op.values(0);
            for (size_t i = 0; i < expected.size(); ++i) {
                int64_t m = int64_t(i) / 4 % 3, n = int64_t(i) % 4;
                if ((lower >= 0 && m - n > lower) || (upper >= 0 && n - m > upper)) expected[i] = 0;
            }
            op.check(expected, kExact);
        }
    }
}

TEST_CASE("cumsum: inclusive, exclusive and reversed", "[runtime][ops][tensor]") {
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32}) {
        for (int64_t axis : {0, 1, -1}) {
            for (int flags = 0; flags < 4; ++flags) {
                const bool exclusive = flags & 1, reverse = flags & 2;
                ir::TensorType x{dtype, {3, 4, 2}};
                SingleOp op("cumsum",
                            {{"axis", axis}, {"exclusive", exclusive}, {"reverse", reverse}});
                op.operand(x, iota(x));
                const size_t a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
                std::vector<double> expected;
                for (int64_t i = 0; i < x.numElements(); ++i) {
                    auto index = unflatten(i, x.shape);
                    const int64_t self = index[a];
                    double sum = 0;
                    for (int64_t l = 0; l < x.shape[a]; ++l) {
                        const bool before = reverse ? l > self : l < self;
                        if (before || (!exclusive && l == self)) {
                            index[a] = l;
                            sum += op.values(0)[at(index, x.shape)];
                        }
                    }
                    expected.push_back(sum);
                }
                op.check(expected, kExact); // small integers: exact in every dtype
            }
        }
    }
}

TEST_CASE("fill and range_1d make tensors from scalars", "[runtime][ops][tensor]") {
    SingleOp fill("fill", {{"shape", List{2, 3}}});
    fill.operand({ir::DType::Fp16, {}}, {0.75});
    fill.check(std::vector<double>(6, 0.75), kExact);
    SingleOp zeros("fill", {{"shape", List{2}}});
    zeros.absent();
    zeros.check({0, 0}, kExact);

    SingleOp ints("range_1d");
    ints.operand({ir::DType::Int32, {}}, {7}, true)
        .operand({ir::DType::Int32, {}}, {-4}, true)
        .operand({ir::DType::Int32, {}}, {-3}, true);
    ints.check({7, 4, 1, -2}, kExact);
    SingleOp halves("range_1d");
    halves.operand({ir::DType::Fp16, {}}, {0.1}, true)
        .operand({ir::DType::Fp16, {}}, {1}, true)
        .operand({ir::DType::Fp16, {}}, {0.2}, true);
    const double start = roundTo(ir::DType::Fp16, 0.1), step = roundTo(ir::DType::Fp16, 0.2);
    std::vector<double> expected;
    for (int i = 0; i < 5; ++i)
        expected.push_back(start + i * step);
    halves.check(expected, singleOp(ir::DType::Fp16));
}

TEST_CASE("pad: constant, reflect and replicate", "[runtime][ops][tensor]") {
    ir::TensorType x{ir::DType::Fp16, {2, 3}};
    SingleOp constant("pad", {{"pad", List{1, 2}}, {"constant_val", 9.0}});
    constant.operand(x, iota(x, 1));
    constant.check({9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9}, kExact);
    SingleOp reflect("pad", {{"pad", List{1, 0, 2, 2}}, {"mode", std::string("reflect")}});
    reflect.operand(x, iota(x, 1));
    // rows: 4 5 6 (reflected row 1), 1 2 3, 4 5 6; columns padded by 2 mirrored on each side.
    reflect.check({6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4}, kExact);
    SingleOp replicate("pad", {{"pad", List{0, 0, 3, 1}}, {"mode", std::string("replicate")}});
    replicate.operand(x, iota(x, 1));
    replicate.check({1, 1, 1, 1, 2, 3, 3, 4, 4, 4, 4, 5, 6, 6}, kExact);
}

TEST_CASE("tile, stack and reverse", "[runtime][ops][tensor]") {
    ir::TensorType x{ir::DType::Int32, {2, 3}};
    SingleOp tile("tile", {{"reps", List{2, 2}}});
    tile.operand(x, iota(x, 0));
    ir::Shape out{4, 6};
    std::vector<double> tiled;
    for (int64_t i = 0; i < 24; ++i) {
        auto index = unflatten(i, out);
        tiled.push_back(double(index[0] % 2 * 3 + index[1] % 3));
    }
    tile.check(tiled, kExact);

    for (int64_t axis : {0, 1, 2, -1}) {
        SingleOp stack("stack", {{"axis", axis}});
        stack.operand(x, iota(x, 0)).operand(x, iota(x, 10));
        const size_t a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
        ir::Shape stacked = x.shape;
        stacked.insert(stacked.begin() + int64_t(a), 2);
        std::vector<double> expected;
        for (int64_t i = 0; i < 12; ++i) {
            auto index = unflatten(i, stacked);
            int64_t which = index[a];
            index.erase(index.begin() + int64_t(a));
            expected.push_back(double(which * 10 + flatten(index, x.shape)));
        }
        stack.check(expected, kExact);
    }

    SingleOp reverseAll("reverse");
    reverseAll.operand(x, iota(x, 0));
    reverseAll.check({5, 4, 3, 2, 1, 0}, kExact);
    SingleOp reverseColumns("reverse", {{"axes", List{-1}}});
    reverseColumns.operand(x, iota(x, 0));
    reverseColumns.check({2, 1, 0, 5, 4, 3}, kExact);
}

TEST_CASE("topk and argsort: sorted, stable on ties, NaN largest", "[runtime][ops][tensor]") {
    Random random(73);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32}) {
        for (bool ascending : {false, true}) {
            ir::TensorType x{dtype, {3, 6}};
            std::vector<double> values = random.values(x, -3, 3);
            for (double& v : values)
                v = std::round(v); // ties
            const int64_t k = 4;
            SingleOp topk("topk", {{"k", k}, {"axis", int64_t(-1)}, {"ascending", ascending}});
            topk.operand(x, values);
            SingleOp argsort("argsort", {{"ascending", ascending}});
            argsort.operand(x, values);
            std::vector<double> topValues, topIndices, order;
            for (int64_t row = 0; row < 3; ++row) {
                std::vector<int64_t> idx(6);
                std::iota(idx.begin(), idx.end(), 0);
                std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
                    double va = values[size_t(row * 6 + a)], vb = values[size_t(row * 6 + b)];
                    return ascending ? va < vb : va > vb;
                });
                for (int64_t r = 0; r < 6; ++r) {
                    order.push_back(double(idx[size_t(r)]));
                    if (r >= k) continue;
                    topIndices.push_back(double(idx[size_t(r)]));
                    topValues.push_back(values[size_t(row * 6 + idx[size_t(r)])]);
                }
            }
            topk.check(topValues, kExact, 0);
            topk.check(topIndices, kExact, 1);
            argsort.check(order, kExact);
        }
    }
    SingleOp nan("topk", {{"k", int64_t(2)}});
    nan.operand({ir::DType::Fp16, {3}}, {1, NAN, 2});
    CHECK(nan.run(Precision::Float64, 1) == std::vector<double>{1, 2});
}

TEST_CASE("scatter_along_axis combines updates in order", "[runtime][ops][gather]") {
    // data [2, 4], writes along axis 1 at [[3, 0, 3], [1, 1, 2]].
    const ir::TensorType data{ir::DType::Fp16, {2, 4}}, indices{ir::DType::Int32, {2, 3}};
    const std::vector<double> d{1, 2, 3, 4, 5, 6, 7, 8}, idx{3, 0, 3, 1, 1, 2},
        u{10, 20, 30, 1, 2, 3};
    const std::map<std::string, std::vector<double>> expected{
        {"update", {20, 2, 3, 30, 5, 2, 3, 8}},
        {"add", {21, 2, 3, 44, 5, 9, 10, 8}},
        {"sub", {-19, 2, 3, -36, 5, 3, 4, 8}},
        {"mul", {20, 2, 3, 1200, 5, 12, 21, 8}},
        {"max", {20, 2, 3, 30, 5, 6, 7, 8}},
        {"min", {1, 2, 3, 4, 5, 1, 3, 8}},
        {"div", {0.05, 2, 3, 4.0 / 300, 5, 3, 7.0 / 3, 8}},
    };
    for (const auto& [mode, values] : expected) {
        SingleOp op("scatter_along_axis", {{"axis", int64_t(1)}, {"mode", mode}});
        op.operand(data, d).operand(indices, idx).operand({ir::DType::Fp16, {2, 3}}, u);
        op.check(values, composite(ir::DType::Fp16));
    }
    SingleOp outside("scatter_along_axis", {{"axis", int64_t(0)}});
    outside.operand({ir::DType::Int32, {2}}, {1, 2})
        .operand({ir::DType::Int32, {1}}, {2})
        .operand({ir::DType::Int32, {1}}, {5});
    CHECK_THROWS_WITH(outside.run(Precision::Float64),
                      Catch::Contains("index 2 is out of range for an axis of size 2"));
}

TEST_CASE("pixel_shuffle and upsample_nearest_neighbor move channels and repeat pixels",
          "[runtime][ops][tensor]") {
    const ir::TensorType x{ir::DType::Fp32, {1, 8, 2, 3}};
    SingleOp shuffle("pixel_shuffle", {{"upscale_factor", int64_t(2)}});
    shuffle.operand(x, iota(x, 0));
    const ir::Shape out{1, 2, 4, 6};
    std::vector<double> shuffled;
    for (int64_t i = 0; i < count(out); ++i) {
        auto o = unflatten(i, out); // PyTorch: out[c, h, w] = x[c * 4 + (h % 2) * 2 + w % 2]
        shuffled.push_back(
            double(flatten({0, o[1] * 4 + o[2] % 2 * 2 + o[3] % 2, o[2] / 2, o[3] / 2}, x.shape)));
    }
    shuffle.check(shuffled, kExact);

    const ir::TensorType y{ir::DType::Fp16, {2, 2, 3}};
    SingleOp upsample("upsample_nearest_neighbor",
                      {{"scale_factor_height", int64_t(2)}, {"scale_factor_width", int64_t(3)}});
    upsample.operand(y, iota(y, 0));
    const ir::Shape big{2, 4, 9};
    std::vector<double> repeated;
    for (int64_t i = 0; i < count(big); ++i) {
        auto o = unflatten(i, big);
        repeated.push_back(double(flatten({o[0], o[1] / 2, o[2] / 3}, y.shape)));
    }
    upsample.check(repeated, kExact);
}
