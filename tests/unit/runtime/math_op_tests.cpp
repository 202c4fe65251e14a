// The math ops added for transformers, CNNs and decoders against plain double code: unary math
// and activations, floor_div / mod / logical ops, the new reductions and reduce_argmax/argmin.
#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
struct MathCase {
    std::string kind;
    ir::AttrMap attrs;
    std::function<double(double)> f;
    double low, high; // input range
    bool exact = false;
};

double sign(double x) {
    return x > 0 ? 1 : x < 0 ? -1 : 0;
}

// Half-way cases go to the even neighbour (numpy.round).
double roundHalfEven(double x) {
    double lower = std::floor(x);
    double diff = x - lower;
    if (diff > 0.5) return lower + 1;
    if (diff < 0.5) return lower;
    return std::fmod(lower, 2) == 0 ? lower : lower + 1;
}

std::vector<MathCase> mathCases() {
    return {
        {"sin", {}, [](double x) { return std::sin(x); }, -6, 6},
        {"cos", {}, [](double x) { return std::cos(x); }, -6, 6},
        {"tan", {}, [](double x) { return std::tan(x); }, -1.4, 1.4},
        {"asin", {}, [](double x) { return std::asin(x); }, -1, 1},
        {"acos", {}, [](double x) { return std::acos(x); }, -1, 1},
        {"atan", {}, [](double x) { return std::atan(x); }, -8, 8},
        {"sinh", {}, [](double x) { return (std::exp(x) - std::exp(-x)) / 2; }, -4, 4},
        {"cosh", {}, [](double x) { return (std::exp(x) + std::exp(-x)) / 2; }, -4, 4},
        {"atanh", {}, [](double x) { return 0.5 * std::log((1 + x) / (1 - x)); }, -0.95, 0.95},
        {"erf", {}, [](double x) { return std::erf(x); }, -3, 3},
        {"exp2", {}, [](double x) { return std::pow(2.0, x); }, -8, 8},
        {"floor", {}, [](double x) { return std::floor(x); }, -5, 5, true},
        {"ceil", {}, [](double x) { return std::ceil(x); }, -5, 5, true},
        {"round", {}, roundHalfEven, -5, 5, true},
        {"sign", {}, sign, -2, 2, true},
        {"square", {}, [](double x) { return x * x; }, -4, 4},
        {"relu6", {}, [](double x) { return std::min(std::max(x, 0.0), 6.0); }, -3, 9, true},
        {"softplus", {}, [](double x) { return std::log(1 + std::exp(x)); }, -8, 8},
        {"softsign", {}, [](double x) { return x / (1 + std::fabs(x)); }, -8, 8},
        {"inverse", {{"epsilon", 0.5}}, [](double x) { return 1 / (x + 0.5); }, 0, 4},
        {"leaky_relu",
         {{"alpha", 0.125}},
         [](double x) { return x >= 0 ? x : 0.125 * x; },
         -4,
         4,
         true},
        {"elu",
         {{"alpha", 1.5}},
         [](double x) { return x > 0 ? x : 1.5 * (std::exp(x) - 1); },
         -4,
         4},
        {"sigmoid_hard",
         {{"alpha", 0.25}, {"beta", 0.5}},
         [](double x) { return std::min(std::max(0.25 * x + 0.5, 0.0), 1.0); },
         -4,
         4},
    };
}
} // namespace

TEST_CASE("the new unary math ops and activations match double", "[runtime][ops][math]") {
    Random random(61);
    for (const MathCase& c : mathCases()) {
        for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
            ir::TensorType x{dtype, random.shape(static_cast<size_t>(random.integer(0, 3)))};
            Tolerance tol = c.exact ? kExact : singleOp(dtype);
            tol.atol = std::max(tol.atol, 1e-7); // sin/erf/softsign near 0: absolute fp32 error
            checkUnary(c.kind, c.attrs, x, random, c.low, c.high, c.f, tol);
        }
    }
}

TEST_CASE("round halves to even and sign keeps zero", "[runtime][ops][math]") {
    SingleOp round("round");
    round.operand({ir::DType::Fp16, {6}}, {0.5, 1.5, 2.5, -0.5, -1.5, 2.25});
    round.check({0, 2, 2, -0, -2, 2}, kExact);
    SingleOp s("sign");
    s.operand({ir::DType::Fp32, {3}}, {0, -3, 0.25});
    s.check({0, -1, 1}, kExact);
}

TEST_CASE("floor_div and mod follow numpy for floats and int32", "[runtime][ops][math]") {
    Random random(62);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32}) {
        auto [as, bs] = random.broadcastPair();
        ir::TensorType a{dtype, as}, b{dtype, bs};
        std::vector<double> bValues = random.values(b);
        for (double& v : bValues)
            if (v == 0) v = 3; // integer division by zero is an error (tested below)
        for (const char* kind : {"floor_div", "mod"}) {
            SingleOp op(kind);
            op.operand(a, random.values(a)).operand(b, bValues);
            ir::Shape out = broadcast(as, bs);
            std::vector<double> expected;
            for (int64_t i = 0; i < count(out); ++i) {
                auto index = unflatten(i, out);
                double x = op.values(0)[static_cast<size_t>(broadcastFlat(index, as))];
                double y = op.values(1)[static_cast<size_t>(broadcastFlat(index, bs))];
                double q = std::floor(x / y);
                // The remainder from the floored quotient: the sign of y, |r| < |y|.
                expected.push_back(std::string(kind) == "floor_div" ? q : x - q * y);
            }
            Tolerance tol = dtype == ir::DType::Int32 ? kExact : singleOp(dtype);
            tol.atol = std::max(tol.atol, 1e-6);
            op.check(expected, tol);
        }
    }
    SingleOp byZero("mod");
    byZero.operand({ir::DType::Int32, {2}}, {5, 1}).operand({ir::DType::Int32, {2}}, {2, 0});
    CHECK_THROWS_WITH(byZero.run(Precision::Float64),
                      Catch::Contains("mod") && Catch::Contains("modulo by zero"));
}

TEST_CASE("logical ops on bool tensors", "[runtime][ops][math]") {
    const ir::TensorType a{ir::DType::Bool, {2, 2}}, b{ir::DType::Bool, {2}};
    const std::vector<double> av{0, 0, 1, 1}, bv{0, 1};
    const std::map<std::string, std::vector<double>> expected{
        {"logical_and", {0, 0, 0, 1}}, {"logical_or", {0, 1, 1, 1}}, {"logical_xor", {0, 1, 1, 0}}};
    for (const auto& [kind, values] : expected) {
        SingleOp op(kind);
        op.operand(a, av).operand(b, bv);
        op.check(values, kExact);
    }
    SingleOp negation("logical_not");
    negation.operand(a, av);
    negation.check({1, 1, 0, 0}, kExact);
}

namespace {
// result[group] = finish(combine over the group) for the elements of x grouped by the kept dims.
std::vector<double> reduceRef(const ir::Shape& shape, const std::vector<double>& x,
                              const std::vector<int64_t>& axes,
                              const std::function<double(const std::vector<double>&)>& f) {
    std::vector<bool> reduced(shape.size(), axes.empty());
    for (int64_t a : axes)
        reduced[static_cast<size_t>(a < 0 ? a + int64_t(shape.size()) : a)] = true;
    ir::Shape kept = shape;
    for (size_t d = 0; d < shape.size(); ++d)
        if (reduced[d]) kept[d] = 1;
    std::vector<std::vector<double>> groups(static_cast<size_t>(count(kept)));
    for (int64_t i = 0; i < count(shape); ++i) {
        auto index = unflatten(i, shape);
        for (size_t d = 0; d < shape.size(); ++d)
            if (reduced[d]) index[d] = 0;
        groups[static_cast<size_t>(flatten(index, kept))].push_back(x[static_cast<size_t>(i)]);
    }
    std::vector<double> out;
    for (const auto& group : groups)
        out.push_back(f(group));
    return out;
}
double sumOf(const std::vector<double>& group, double (*f)(double)) {
    double sum = 0;
    for (double v : group)
        sum += f(v);
    return sum;
}
} // namespace

TEST_CASE("reduce_prod, norms, log sums and sum of squares", "[runtime][ops][math]") {
    using Group = const std::vector<double>&;
    const std::map<std::string, std::function<double(Group)>> refs{
        {"reduce_prod",
         [](Group g) { return std::accumulate(g.begin(), g.end(), 1.0, std::multiplies<>()); }},
        {"reduce_l1_norm", [](Group g) { return sumOf(g, [](double v) { return std::fabs(v); }); }},
        {"reduce_sum_square", [](Group g) { return sumOf(g, [](double v) { return v * v; }); }},
        {"reduce_l2_norm",
         [](Group g) { return std::sqrt(sumOf(g, [](double v) { return v * v; })); }},
        {"reduce_log_sum",
         [](Group g) { return std::log(std::accumulate(g.begin(), g.end(), 0.0)); }},
        {"reduce_log_sum_exp",
         [](Group g) { return std::log(sumOf(g, [](double v) { return std::exp(v); })); }},
    };
    Random random(63);
    for (const auto& [kind, ref] : refs) {
        for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
            for (int trial = 0; trial < 4; ++trial) {
                ir::TensorType x{dtype, random.shape(static_cast<size_t>(random.integer(1, 3)), 4)};
                std::vector<int64_t> axes;
                if (trial % 2) axes.push_back(-1);
                SingleOp op(kind, {{"axes", axes}, {"keep_dims", trial == 3}});
                // Positive values for log_sum; near 1 for products so they stay in range.
                const bool positive = kind == "reduce_log_sum" || kind == "reduce_prod";
                op.operand(x, random.values(x, positive ? 0.5 : -2, positive ? 1.5 : 2));
                op.check(reduceRef(x.shape, op.values(0), axes, ref), composite(dtype));
            }
        }
    }
    SingleOp intProduct("reduce_prod", {{"axes", std::vector<int64_t>{1}}});
    intProduct.operand({ir::DType::Int32, {2, 3}}, {1, -2, 3, 4, 5, 6});
    intProduct.check({-6, 120}, kExact);
}

TEST_CASE("reduce_log_sum_exp does not overflow for large inputs", "[runtime][ops][math]") {
    // exp(60000) overflows even double's range in fp16 terms; max-subtraction keeps it exact.
    SingleOp op("reduce_log_sum_exp", {{"axes", std::vector<int64_t>{1}}});
    op.operand({ir::DType::Fp16, {2, 2}}, {60000, 60000, -INFINITY, -INFINITY});
    op.check({60000 + std::log(2.0), -INFINITY}, composite(ir::DType::Fp16));
}

TEST_CASE("reduce_argmax and reduce_argmin: the first extreme along the axis",
          "[runtime][ops][math]") {
    Random random(64);
    for (const char* kind : {"reduce_argmax", "reduce_argmin"}) {
        for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32}) {
            ir::TensorType x{dtype, {3, 5, 2}};
            const int64_t axis = random.integer(-3, 2);
            const size_t a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
            SingleOp op(kind, {{"axis", axis}, {"keep_dims", random.chance(0.5)}});
            std::vector<double> values = random.values(x, -3, 3);
            for (double& v : values)
                v = std::round(v); // ties, so that "the first" matters
            op.operand(x, values);
            ir::Shape kept = x.shape;
            kept[a] = 1;
            std::vector<double> expected;
            for (int64_t g = 0; g < count(kept); ++g) {
                auto index = unflatten(g, kept);
                int64_t best = 0;
                for (int64_t l = 0; l < x.shape[a]; ++l) {
                    index[a] = l;
                    double v = values[static_cast<size_t>(flatten(index, x.shape))];
                    index[a] = best;
                    double b = values[static_cast<size_t>(flatten(index, x.shape))];
                    if (std::string(kind) == "reduce_argmax" ? v > b : v < b) best = l;
                }
                expected.push_back(static_cast<double>(best));
            }
            op.check(expected, kExact);
        }
    }
    SingleOp nan("reduce_argmax");
    nan.operand({ir::DType::Fp16, {4}}, {1, NAN, 7, NAN});
    nan.check({1}, kExact);
}
