// conv (strides, every pad_type, dilations, groups) and matmul (transposes, batch broadcasting,
// rank-1 operands) against plain double loops.
#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
struct ConvCase {
    ir::Shape x, w; // [N, Cin, H, W], [Cout, Cin/groups, kH, kW]
    std::vector<int64_t> strides, dilations, pad;
    std::string padType;
    int64_t groups;
};

// Padding before the data for MIL's pad types (same: the odd pixel goes after; same_lower:
// before), written out independently of the runtime.
int64_t padBeforeRef(const std::string& type, int64_t in, int64_t k, int64_t s, int64_t d,
                     int64_t custom) {
    if (type == "valid") return 0;
    if (type == "custom") return custom;
    int64_t out = (in + s - 1) / s;
    int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
    return type == "same" ? total / 2 : total - total / 2;
}

std::vector<double> convRef(const SingleOp& op, const ConvCase& c, const ir::Shape& out) {
    const auto& x = op.values(0);
    const auto& w = op.values(1);
    const int64_t cinG = c.w[1], coutG = c.w[0] / c.groups;
    const int64_t top =
        padBeforeRef(c.padType, c.x[2], c.w[2], c.strides[0], c.dilations[0], c.pad[0]);
    const int64_t left =
        padBeforeRef(c.padType, c.x[3], c.w[3], c.strides[1], c.dilations[1], c.pad[2]);
    std::vector<double> y(static_cast<size_t>(count(out)), 0.0);
    for (int64_t n = 0; n < out[0]; ++n)
        for (int64_t co = 0; co < out[1]; ++co)
            for (int64_t oy = 0; oy < out[2]; ++oy)
                for (int64_t ox = 0; ox < out[3]; ++ox) {
                    double sum = 0;
                    int64_t g = co / coutG;
                    for (int64_t ci = 0; ci < cinG; ++ci)
                        for (int64_t ky = 0; ky < c.w[2]; ++ky)
                            for (int64_t kx = 0; kx < c.w[3]; ++kx) {
                                int64_t iy = oy * c.strides[0] + ky * c.dilations[0] - top;
                                int64_t ix = ox * c.strides[1] + kx * c.dilations[1] - left;
                                if (iy < 0 || iy >= c.x[2] || ix < 0 || ix >= c.x[3]) continue;
                                sum += x[static_cast<size_t>(
                                           flatten({n, g * cinG + ci, iy, ix}, c.x))] *
                                       w[static_cast<size_t>(flatten({co, ci, ky, kx}, c.w))];
                            }
                    y[static_cast<size_t>(flatten({n, co, oy, ox}, out))] = sum;
                }
    return y;
}

void checkConv(const ConvCase& c, Random& random, bool constantWeight) {
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
        SingleOp op("conv", {{"strides", c.strides},
                             {"dilations", c.dilations},
                             {"pad", c.pad},
                             {"pad_type", c.padType},
                             {"groups", c.groups}});
        ir::TensorType x{dtype, c.x}, w{dtype, c.w};
        op.operand(x, random.values(x, -1, 1)).operand(w, random.values(w, -1, 1), constantWeight);
        const ir::Shape out = op.module()->kernels[0]->outputs[0].value->type.shape;
        op.check(convRef(op, c, out), composite(dtype));
    }
}
} // namespace

TEST_CASE("1x1 conv (the linear layer) is exact GEMM semantics", "[runtime][ops]") {
    Random random(10);
    const std::vector<int64_t> ones{1, 1}, zeros{0, 0, 0, 0};
    checkConv({{1, 16, 1, 8}, {24, 16, 1, 1}, ones, ones, zeros, "valid", 1}, random, true);
    checkConv({{2, 6, 3, 5}, {4, 6, 1, 1}, ones, ones, zeros, "valid", 1}, random, false);
    checkConv({{1, 8, 2, 3}, {6, 4, 1, 1}, ones, ones, zeros, "valid", 2}, random, true);
}

TEST_CASE("conv with strides, dilations, padding types and groups", "[runtime][ops]") {
    Random random(11);
    const std::vector<int64_t> zeros{0, 0, 0, 0};
    for (const std::string padType : {"valid", "same", "same_lower", "custom"}) {
        for (int trial = 0; trial < 6; ++trial) {
            int64_t groups = random.integer(1, 3);
            int64_t cinG = random.integer(1, 3), coutG = random.integer(1, 3);
            ir::Shape w{coutG * groups, cinG, random.integer(1, 3), random.integer(1, 3)};
            std::vector<int64_t> strides{random.integer(1, 3), random.integer(1, 2)};
            std::vector<int64_t> dilations{random.integer(1, 2), random.integer(1, 2)};
            std::vector<int64_t> pad = zeros;
            if (padType == "custom")
                pad = {random.integer(0, 2), random.integer(0, 2), random.integer(0, 2),
                       random.integer(0, 2)};
            // Big enough for the dilated kernel in every pad mode.
            ir::Shape x{random.integer(1, 2), cinG * groups,
                        (w[2] - 1) * dilations[0] + random.integer(1, 5),
                        (w[3] - 1) * dilations[1] + random.integer(1, 5)};
            INFO("pad_type " << padType << " x " << ir::shapeString(x) << " w "
                             << ir::shapeString(w) << " strides " << strides[0] << "," << strides[1]
                             << " dilations " << dilations[0] << "," << dilations[1] << " groups "
                             << groups);
            checkConv({x, w, strides, dilations, pad, padType, groups}, random, trial % 2 == 0);
        }
    }
}

TEST_CASE("same and same_lower put the odd padding pixel on opposite sides", "[runtime][ops]") {
    // x = [1, 2, 3, 4] (1x4), kernel [1, 10] (1x2): total padding 1.
    // same pads after: [1*1+2*10, 2+30, 3+40, 4+0]; same_lower pads before: [0+10, 1+20, ...].
    for (const auto& [padType, expected] : std::vector<std::pair<std::string, std::vector<double>>>{
             {"same", {21, 32, 43, 4}}, {"same_lower", {10, 21, 32, 43}}}) {
        SingleOp op("conv", {{"pad_type", padType}});
        op.operand({ir::DType::Fp32, {1, 1, 1, 4}}, {1, 2, 3, 4})
            .operand({ir::DType::Fp32, {1, 1, 1, 2}}, {1, 10}, true);
        op.check(expected, kExact);
    }
}

namespace {
// numpy matmul written out: rank-1 x is [1, K], rank-1 y is [K, 1]; batch dims broadcast.
std::vector<double> matmulRef(const SingleOp& op, bool tx, bool ty, const ir::Shape& out) {
    ir::Shape xs = op.type(0).shape, ys = op.type(1).shape;
    const bool xVector = xs.size() == 1, yVector = ys.size() == 1;
    if (xVector) xs.insert(xs.begin(), 1);
    if (yVector) ys.push_back(1);
    tx = tx && !xVector;
    ty = ty && !yVector;
    const size_t rx = xs.size(), ry = ys.size();
    const int64_t m = tx ? xs[rx - 1] : xs[rx - 2], k = tx ? xs[rx - 2] : xs[rx - 1];
    const int64_t n = ty ? ys[ry - 2] : ys[ry - 1];
    ir::Shape bx(xs.begin(), xs.end() - 2), by(ys.begin(), ys.end() - 2);
    ir::Shape batch = broadcast(bx, by);
    std::vector<double> y;
    for (int64_t b = 0; b < count(batch); ++b) {
        auto index = unflatten(b, batch);
        int64_t xb = broadcastFlat(index, bx), yb = broadcastFlat(index, by);
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
                double sum = 0;
                for (int64_t l = 0; l < k; ++l) {
                    int64_t xi = tx ? l * m + i : i * k + l;
                    int64_t yi = ty ? j * k + l : l * n + j;
                    sum += op.values(0)[static_cast<size_t>(xb * m * k + xi)] *
                           op.values(1)[static_cast<size_t>(yb * k * n + yi)];
                }
                y.push_back(sum);
            }
    }
    REQUIRE(static_cast<int64_t>(y.size()) == count(out));
    return y;
}
} // namespace

TEST_CASE("matmul with transposes, batch broadcasting and rank-1 operands", "[runtime][ops]") {
    Random random(12);
    struct Shapes {
        ir::Shape x, y;
        bool tx, ty;
    };
    const std::vector<Shapes> cases = {{{3, 4}, {4, 5}, false, false},
                                       {{4, 3}, {4, 5}, true, false},
                                       {{3, 4}, {5, 4}, false, true},
                                       {{4, 3}, {5, 4}, true, true},
                                       {{2, 3, 4}, {4, 5}, false, false},
                                       {{2, 1, 3, 4}, {3, 4, 2}, false, false},
                                       {{1, 3, 4}, {2, 5, 4}, false, true},
                                       {{4}, {4, 5}, false, false},
                                       {{3, 4}, {4}, false, false},
                                       {{4}, {4}, true, true},
                                       {{2, 3, 4}, {4}, false, false},
                                       {{4}, {2, 4, 3}, false, false},
                                       {{2, 2, 6, 3}, {2, 1, 6, 5}, true, false}};
    for (const Shapes& s : cases) {
        for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32}) {
            SingleOp op("matmul", {{"transpose_x", s.tx}, {"transpose_y", s.ty}});
            ir::TensorType x{dtype, s.x}, y{dtype, s.y};
            op.operand(x, random.values(x, -1, 1))
                .operand(y, random.values(y, -1, 1), random.chance(0.3));
            const ir::Shape out = op.module()->kernels[0]->outputs[0].value->type.shape;
            op.check(matmulRef(op, s.tx, s.ty, out), composite(dtype));
        }
    }
}
