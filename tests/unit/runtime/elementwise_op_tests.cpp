// Elementwise ops against plain double implementations: broadcasting binary ops, comparisons,
// select, unary activations, cast and identity, in fp16, fp32, int32 and bool.
#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
using BinaryFn = std::function<double(double, double)>;

// The plain implementation: numpy broadcasting over the result shape.
std::vector<double> broadcastBinary(const SingleOp& op, const ir::Shape& out, const BinaryFn& f) {
    std::vector<double> result(static_cast<size_t>(count(out)));
    for (int64_t i = 0; i < count(out); ++i) {
        auto index = unflatten(i, out);
        result[static_cast<size_t>(i)] =
            f(op.values(0)[static_cast<size_t>(broadcastFlat(index, op.type(0).shape))],
              op.values(1)[static_cast<size_t>(broadcastFlat(index, op.type(1).shape))]);
    }
    return result;
}

double nanMaxRef(double a, double b) {
    return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
}
double nanMinRef(double a, double b) {
    return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
}

struct BinaryCase {
    std::string kind;
    BinaryFn f;
    bool exact;      // the fp16 result of fp16 operands is exactly the rounded double result
    bool comparison; // bool result
};

std::vector<BinaryCase> binaryCases() {
    return {
        {"add", [](double a, double b) { return a + b; }, false, false},
        {"sub", [](double a, double b) { return a - b; }, false, false},
        {"mul", [](double a, double b) { return a * b; }, false, false},
        {"real_div", [](double a, double b) { return a / b; }, false, false},
        {"maximum", nanMaxRef, true, false},
        {"minimum", nanMinRef, true, false},
        {"less", [](double a, double b) { return double(a < b); }, true, true},
        {"less_equal", [](double a, double b) { return double(a <= b); }, true, true},
        {"greater", [](double a, double b) { return double(a > b); }, true, true},
        {"greater_equal", [](double a, double b) { return double(a >= b); }, true, true},
        {"equal", [](double a, double b) { return double(a == b); }, true, true},
        {"not_equal", [](double a, double b) { return double(a != b); }, true, true},
    };
}

// The float computation of an fp32 op in the fp16-faithful model: exactly IEEE float.
double floatOp(const std::string& kind, double a, double b) {
    volatile float x = static_cast<float>(a), y = static_cast<float>(b);
    if (kind == "add") return x + y;
    if (kind == "sub") return x - y;
    if (kind == "mul") return x * y;
    if (kind == "real_div") return x / y;
    return NAN;
}
} // namespace

TEST_CASE("binary ops broadcast like numpy in fp16 and fp32", "[runtime][ops]") {
    Random random(1);
    for (const BinaryCase& c : binaryCases()) {
        for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
            for (int trial = 0; trial < 12; ++trial) {
                auto [xs, ys] = random.broadcastPair();
                ir::TensorType x{dtype, xs}, y{dtype, ys};
                SingleOp op(c.kind);
                op.operand(x, random.values(x));
                // Divisors away from 0; a few equal values so that == and <= see ties.
                std::vector<double> yv = random.values(y, c.kind == "real_div" ? 0.5 : -2, 2);
                for (size_t i = 0; i < yv.size() && i < op.values(0).size(); i += 3)
                    yv[i] = op.values(0)[i];
                op.operand(y, yv, trial % 4 == 3); // sometimes a constant
                ir::Shape out = broadcast(xs, ys);
                std::vector<double> expected = broadcastBinary(op, out, c.f);
                op.check(expected, c.exact ? kExact : singleOp(dtype));
                if (dtype == ir::DType::Fp32 && !c.exact) {
                    // The model computes fp32 ops in float: bit-exact float results.
                    std::vector<double> inFloat = broadcastBinary(
                        op, out, [&](double a, double b) { return floatOp(c.kind, a, b); });
                    checkValues(op.run(Precision::Fp16Faithful), inFloat, kExact,
                                op.describe() + " vs float");
                }
            }
        }
    }
}

TEST_CASE("pow and special values", "[runtime][ops]") {
    Random random(2);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
        ir::TensorType x{dtype, {2, 3, 4}}, y{dtype, {3, 1}};
        SingleOp op("pow");
        op.operand(x, random.values(x, 0.1, 3)).operand(y, random.values(y, -2, 2));
        op.check(broadcastBinary(op, {2, 3, 4}, [](double a, double b) { return std::pow(a, b); }),
                 singleOp(dtype));
    }
    SingleOp special("real_div");
    special.operand({ir::DType::Fp16, {4}}, {1, -1, 0, INFINITY})
        .operand({ir::DType::Fp16, {4}}, {0, 0, 0, INFINITY});
    special.check({INFINITY, -INFINITY, NAN, NAN}, kExact);
    SingleOp nanMax("maximum");
    nanMax.operand({ir::DType::Fp32, {3}}, {NAN, 1, 2})
        .operand({ir::DType::Fp32, {3}}, {0, NAN, 1});
    nanMax.check({NAN, NAN, 2}, kExact);
}

TEST_CASE("integer and bool arithmetic is exact", "[runtime][ops]") {
    Random random(3);
    for (const BinaryCase& c : binaryCases()) {
        auto [xs, ys] = random.broadcastPair();
        ir::TensorType x{ir::DType::Int32, xs}, y{ir::DType::Int32, ys};
        SingleOp op(c.kind);
        op.operand(x, random.values(x));
        std::vector<double> yv = random.values(y);
        for (double& v : yv)
            if (v == 0) v = 3;
        op.operand(y, yv);
        BinaryFn f = c.f;
        if (c.kind == "real_div") f = [](double a, double b) { return std::trunc(a / b); };
        op.check(broadcastBinary(op, broadcast(xs, ys), f), kExact);
    }
    SingleOp wrap("mul");
    wrap.operand({ir::DType::Int32, {2}}, {65536, -65536})
        .operand({ir::DType::Int32, {2}}, {65536, 32768});
    wrap.check({0, -2147483648.0}, kExact); // int32 arithmetic wraps
    SingleOp logical("add");
    logical.operand({ir::DType::Bool, {4}}, {0, 0, 1, 1})
        .operand({ir::DType::Bool, {4}}, {0, 1, 0, 1});
    logical.check({0, 1, 1, 1}, kExact);
    SingleOp both("mul");
    both.operand({ir::DType::Bool, {4}}, {0, 0, 1, 1})
        .operand({ir::DType::Bool, {4}}, {0, 1, 0, 1});
    both.check({0, 0, 0, 1}, kExact);
}

TEST_CASE("integer division by zero is an error naming the op", "[runtime][ops]") {
    SingleOp op("real_div");
    op.operand({ir::DType::Int32, {2}}, {4, 5}).operand({ir::DType::Int32, {2}}, {2, 0});
    CHECK_THROWS_WITH(op.run(Precision::Fp16Faithful), Catch::Contains("real_div") &&
                                                           Catch::Contains("7:3") &&
                                                           Catch::Contains("division by zero"));
}

TEST_CASE("select broadcasts its condition and both branches", "[runtime][ops]") {
    Random random(4);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32}) {
        for (int trial = 0; trial < 8; ++trial) {
            auto [cs, as] = random.broadcastPair();
            ir::Shape bs = random.chance(0.5) ? ir::Shape{} : as;
            ir::TensorType cond{ir::DType::Bool, cs}, a{dtype, as}, b{dtype, bs};
            SingleOp op("select");
            op.operand(cond, random.values(cond))
                .operand(a, random.values(a))
                .operand(b, random.values(b));
            ir::Shape out = broadcast(cs, broadcast(as, bs));
            std::vector<double> expected(static_cast<size_t>(count(out)));
            for (int64_t i = 0; i < count(out); ++i) {
                auto index = unflatten(i, out);
                bool c = op.values(0)[static_cast<size_t>(broadcastFlat(index, cs))] != 0;
                expected[static_cast<size_t>(i)] =
                    c ? op.values(1)[static_cast<size_t>(broadcastFlat(index, as))]
                      : op.values(2)[static_cast<size_t>(broadcastFlat(index, bs))];
            }
            op.check(expected, kExact);
        }
    }
}

namespace {
double sigmoidRef(double x) {
    return 1 / (1 + std::exp(-x));
}

struct UnaryCase {
    std::string kind;
    ir::AttrMap attrs;
    std::function<double(double)> f;
    double low, high; // input range
    bool exact;
    // Composite activations (gelu, silu) are computed in fp32 and rounded once; 1 + erf(x) and
    // 1 + tanh(x) cancel for negative x, so their fp32 error is absolute (~1e-7), not relative.
    bool cancels = false;
};

std::vector<UnaryCase> unaryCases() {
    const double pi = 3.14159265358979323846;
    return {
        {"sqrt", {}, [](double x) { return std::sqrt(x); }, 0, 4, false},
        {"rsqrt", {{"epsilon", 0.5}}, [](double x) { return 1 / std::sqrt(x + 0.5); }, 0, 4, false},
        {"exp", {}, [](double x) { return std::exp(x); }, -4, 4, false},
        {"log", {{"epsilon", 0.25}}, [](double x) { return std::log(x + 0.25); }, 0, 4, false},
        {"tanh", {}, [](double x) { return std::tanh(x); }, -3, 3, false},
        {"sigmoid", {}, sigmoidRef, -6, 6, false},
        {"relu", {}, [](double x) { return std::max(x, 0.0); }, -2, 2, true},
        {"silu", {}, [](double x) { return x * sigmoidRef(x); }, -6, 6, false, true},
        {"abs", {}, [](double x) { return std::fabs(x); }, -2, 2, true},
        {"gelu",
         {{"mode", std::string("EXACT")}},
         [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); },
         -4,
         4,
         false,
         true},
        {"gelu",
         {{"mode", std::string("TANH_APPROXIMATION")}},
         [pi](double x) {
             return 0.5 * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x)));
         },
         -4,
         4,
         false,
         true},
        {"gelu",
         {{"mode", std::string("SIGMOID_APPROXIMATION")}},
         [](double x) { return x * sigmoidRef(1.702 * x); },
         -4,
         4,
         false,
         true},
        {"clip",
         {{"alpha", -0.75}, {"beta", 1.25}},
         [](double x) { return std::min(std::max(x, -0.75), 1.25); },
         -2,
         2,
         true},
    };
}
} // namespace

TEST_CASE("unary ops and activations match double in fp16 and fp32", "[runtime][ops]") {
    Random random(5);
    for (const UnaryCase& c : unaryCases()) {
        for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
            ir::TensorType x{dtype, random.shape(static_cast<size_t>(random.integer(0, 4)))};
            Tolerance tol = c.exact ? kExact : singleOp(dtype);
            if (c.cancels) tol.atol = 1e-6;
            checkUnary(c.kind, c.attrs, x, random, c.low, c.high, c.f, tol);
        }
    }
}

TEST_CASE("rsqrt and log epsilons are the fp16 constants the MIL program holds", "[runtime][ops]") {
    // MIL writes epsilon in the op's dtype: 1e-12 is 0 in fp16, so rsqrt(0) is inf there, while
    // fp32 keeps it (1 / sqrt(1e-12) = 1e6).
    SingleOp rsqrt16("rsqrt");
    rsqrt16.operand({ir::DType::Fp16, {2}}, {0, 4});
    CHECK(rsqrt16.run(Precision::Fp16Faithful) == std::vector<double>{INFINITY, 0.5});
    SingleOp rsqrt32("rsqrt");
    rsqrt32.operand({ir::DType::Fp32, {2}}, {0, 4});
    checkValues(rsqrt32.run(Precision::Fp16Faithful), {1e6, 0.5}, singleOp(ir::DType::Fp32),
                "rsqrt fp32");
    SingleOp log16("log");
    log16.operand({ir::DType::Fp16, {2}}, {0, 1});
    CHECK(log16.run(Precision::Fp16Faithful) == std::vector<double>{-INFINITY, 0});
}

TEST_CASE("cast converts between fp16, fp32, int32 and bool", "[runtime][ops]") {
    const ir::DType dtypes[] = {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32,
                                ir::DType::Bool};
    const std::vector<double> source = {-2.75, -1.5, -0.25, 0, 0.5, 1.0, 2.5, 70000.25, -3e9};
    for (ir::DType from : dtypes) {
        for (ir::DType to : dtypes) {
            std::vector<double> in;
            for (double v : source)
                in.push_back(from == ir::DType::Int32  ? std::trunc(std::clamp(v, -2e9, 2e9))
                             : from == ir::DType::Bool ? double(v != 0)
                                                       : roundTo(from, v));
            SingleOp op("cast", {{"dtype", std::string(ir::dtypeName(to))}});
            op.operand({from, {static_cast<int64_t>(in.size())}}, in);
            std::vector<double> expected;
            for (double v : in) {
                if (to == ir::DType::Bool)
                    expected.push_back(v != 0);
                else if (to == ir::DType::Int32)
                    expected.push_back(
                        std::isinf(v) ? (v < 0 ? -2147483648.0 : 2147483647.0)
                                      : std::clamp(std::trunc(v), -2147483648.0, 2147483647.0));
                else
                    expected.push_back(roundTo(to, v));
            }
            INFO("cast " << ir::dtypeName(from) << " -> " << ir::dtypeName(to));
            checkValues(op.run(Precision::Fp16Faithful), expected, kExact, op.describe());
        }
    }
}

TEST_CASE("identity passes values through unchanged", "[runtime][ops]") {
    Random random(6);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32, ir::DType::Bool}) {
        ir::TensorType x{dtype, {3, 1, 4}};
        SingleOp op("identity");
        op.operand(x, random.values(x));
        op.check(op.values(0), kExact);
    }
}
