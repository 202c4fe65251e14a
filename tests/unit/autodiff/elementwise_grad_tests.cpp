// Gradient checks of the elementwise ops' VJPs against float64 central differences.
#include "gradcheck.hpp"

namespace anec::test {
namespace {
ir::TensorType f32(ir::Shape shape) {
    return {ir::DType::Fp32, std::move(shape)};
}

// A random fp32 input in [low, high).
GradTensor ranged(const std::string& name, ir::Shape shape, double low, double high) {
    GradTensor t{name, f32(std::move(shape))};
    t.low = low;
    t.high = high;
    return t;
}

struct Range {
    double low = -1, high = 1;
};

const std::vector<uint32_t> kSeeds = {1, 2, 3};

// Operand shapes for the broadcasting ops: equal, scalar, trailing 1s, and both sides broadcast.
const std::vector<std::pair<ir::Shape, ir::Shape>> kBroadcastShapes = {
    {{5}, {5}}, {{1, 4}, {}}, {{2, 3, 4}, {3, 1}}, {{2, 1, 3}, {4, 1}}, {{}, {2, 3}}};

void checkBinary(const std::string& kind, Range x, Range y) {
    for (uint32_t seed : kSeeds)
        for (const auto& [xShape, yShape] : kBroadcastShapes) {
            INFO(kind << " seed " << seed);
            checkOpGradient(
                kind, {ranged("x", xShape, x.low, x.high), ranged("y", yShape, y.low, y.high)}, {},
                {}, seed);
        }
}

const std::vector<ir::Shape> kUnaryShapes = {{}, {7}, {2, 3, 4}};

void checkUnary(const std::string& kind, Range x, const ir::AttrMap& attrs = {}) {
    for (uint32_t seed : kSeeds)
        for (const ir::Shape& shape : kUnaryShapes) {
            INFO(kind << " seed " << seed);
            checkOpGradient(kind, {ranged("x", shape, x.low, x.high)}, attrs, {}, seed);
        }
}
} // namespace

TEST_CASE("add: the cotangent summed back to each broadcast operand", "[autodiff][grad]") {
    checkOpGradient("add", {{"x", f32({2, 3, 4})}, {"y", f32({3, 1})}});
    checkOpGradient("add", {{"x", f32({1, 4})}, {"y", f32({})}});
    checkOpGradient("add", {{"x", f32({2, 1, 3})}, {"y", f32({4, 1})}});
}

TEST_CASE("sub, mul, real_div: broadcasting arithmetic", "[autodiff][grad]") {
    checkBinary("sub", {}, {});
    checkBinary("mul", {-2, 2}, {-2, 2});
    checkBinary("real_div", {-2, 2}, {0.5, 2});
    checkBinary("real_div", {-2, 2}, {-2, -0.5});
}

TEST_CASE("pow: both operands for x > 0; x < 0 with integer exponents", "[autodiff][grad]") {
    checkBinary("pow", {0.2, 2}, {-2, 2});
    // A negative base is defined for integer exponents only: d_x checked, y a constant.
    for (uint32_t seed : kSeeds) {
        GradTensor y{"y", f32({3}), {2, 3, -1}, true, false};
        checkOpGradient("pow", {ranged("x", {4, 3}, -2, -0.5), y}, {}, {}, seed);
    }
}

TEST_CASE("maximum, minimum: the cotangent goes to the operand taken", "[autodiff][grad]") {
    checkBinary("maximum", {}, {});
    checkBinary("minimum", {}, {});
}

TEST_CASE("mod: d_x = g, d_y = -g * floor(x / y); floor_div has a zero gradient",
          "[autodiff][grad]") {
    checkBinary("mod", {-3, 3}, {0.5, 2});
    checkBinary("mod", {-3, 3}, {-2, -0.5});
    checkBinary("floor_div", {-3, 3}, {0.5, 2});
}

TEST_CASE("select: the cotangent goes to a where cond holds, to b elsewhere", "[autodiff][grad]") {
    const std::vector<std::array<ir::Shape, 3>> shapes = {
        {ir::Shape{2, 3}, ir::Shape{2, 3}, ir::Shape{2, 3}},
        {ir::Shape{2, 1, 4}, ir::Shape{3, 1}, ir::Shape{4}},
        {ir::Shape{}, ir::Shape{3}, ir::Shape{2, 1}},
        {ir::Shape{2, 3}, ir::Shape{}, ir::Shape{3}}};
    for (uint32_t seed : kSeeds)
        for (const auto& [cond, a, b] : shapes) {
            GradTensor c{"cond", {ir::DType::Bool, cond}};
            c.low = 0;
            c.high = 1;
            checkOpGradient("select", {c, ranged("a", a, -1, 1), ranged("b", b, -1, 1)}, {}, {},
                            seed);
        }
}

TEST_CASE("identity and cast between float types pass the cotangent through", "[autodiff][grad]") {
    checkUnary("identity", {});
    // Multiples of 1/8 and a step of 1/8 keep x and x +- h exact in fp16 and fp32, so that the
    // (linear) cast's central differences carry no rounding.
    std::vector<double> eighths;
    for (int i = -6; i <= 6; ++i)
        eighths.push_back(i / 8.0);
    const ir::TensorType f16{ir::DType::Fp16, {13}};
    const GradTolerance exact{1e-6, 0.125};
    for (uint32_t seed : kSeeds) {
        checkOpGradient("cast", {{"x", f32({13}), eighths}}, {{"dtype", std::string("fp32")}},
                        exact, seed);
        checkOpGradient("cast", {{"x", f32({13}), eighths}}, {{"dtype", std::string("fp16")}},
                        exact, seed);
        // The fp32 cotangent is rounded to fp16 on its way back to x: fp16 precision (2^-11).
        checkOpGradient("cast", {{"x", f16, eighths}}, {{"dtype", std::string("fp32")}},
                        {1e-3, 0.125}, seed);
    }
}

TEST_CASE("cast through int32 carries no gradient", "[autodiff][grad]") {
    GradCase roundTrip;
    roundTrip.tensors = {ranged("x", {6}, -3, 3)};
    roundTrip.body = [](ir::Builder& builder, const std::vector<ir::Value*>& values) {
        auto toInt = builder.createValue("cast", {values[0]}, {{"dtype", std::string("int32")}});
        REQUIRE(toInt);
        auto back = builder.createValue("cast", {*toInt}, {{"dtype", std::string("fp32")}});
        REQUIRE(back);
        builder.kernel().outputs.push_back({"out", *back, {}});
    };
    GradChecker(roundTrip).check();
}

TEST_CASE("unary math: g * f'(x)", "[autodiff][grad]") {
    checkUnary("sqrt", {0.1, 2});
    checkUnary("exp", {-2, 2});
    checkUnary("exp2", {-2, 2});
    checkUnary("tanh", {-2, 2});
    checkUnary("sigmoid", {-4, 4});
    checkUnary("silu", {-4, 4});
    checkUnary("abs", {-2, 2});
    checkUnary("relu", {-2, 2});
    checkUnary("square", {-2, 2});
    checkUnary("erf", {-2, 2});
    checkUnary("sin", {-3, 3});
    checkUnary("cos", {-3, 3});
    checkUnary("tan", {-1.2, 1.2});
    checkUnary("asin", {-0.9, 0.9});
    checkUnary("acos", {-0.9, 0.9});
    checkUnary("atan", {-3, 3});
    checkUnary("sinh", {-2, 2});
    checkUnary("cosh", {-2, 2});
    checkUnary("atanh", {-0.9, 0.9});
}

TEST_CASE("rsqrt, inverse, log: with their epsilon", "[autodiff][grad]") {
    for (const char* kind : {"rsqrt", "inverse", "log"}) {
        checkUnary(kind, {0.1, 2});
        // x + epsilon stays >= 0.2, so the epsilon is what keeps these finite.
        checkUnary(kind, {-0.3, 2}, {{"epsilon", 0.5}});
    }
}

TEST_CASE("clip: the cotangent between the bounds", "[autodiff][grad]") {
    const std::vector<std::pair<double, double>> bounds = {{-0.5, 0.5}, {0.2, 0.8}, {-2, -1}};
    for (const auto& [alpha, beta] : bounds)
        checkUnary("clip", {-3, 3}, {{"alpha", alpha}, {"beta", beta}});
}

TEST_CASE("gelu: every mode, as the reference computes it", "[autodiff][grad]") {
    for (const char* mode : {"EXACT", "TANH_APPROXIMATION", "SIGMOID_APPROXIMATION"})
        checkUnary("gelu", {-3, 3}, {{"mode", std::string(mode)}});
    checkUnary("gelu", {-3, 3}); // the default mode (EXACT)
}

TEST_CASE("sign, floor, ceil, round: a zero gradient", "[autodiff][grad]") {
    for (const char* kind : {"sign", "floor", "ceil", "round"})
        checkUnary(kind, {-3, 3});
}

} // namespace anec::test

namespace anec::test {

TEST_CASE("fp16 operands: the VJPs build in the operand's type", "[autodiff][grad]") {
    // The backward's constants (2/sqrt(pi), ln 2, alpha, ...) are rounded to fp16 while the
    // forward evaluates its own in float64: fp16 precision (2^-11) bounds the difference.
    const GradTolerance fp16Constants{2e-3, 1e-5};
    struct Unary {
        const char* kind;
        double low, high;
        ir::AttrMap attrs;
    };
    const std::vector<Unary> unary = {
        {"sqrt", 0.1, 2, {}},
        {"rsqrt", 0.1, 2, {}},
        {"inverse", 0.1, 2, {}},
        {"exp", -2, 2, {}},
        {"exp2", -2, 2, {}},
        {"log", 0.1, 2, {}},
        {"tanh", -2, 2, {}},
        {"sigmoid", -3, 3, {}},
        {"relu", -2, 2, {}},
        {"silu", -3, 3, {}},
        {"abs", -2, 2, {}},
        {"square", -2, 2, {}},
        {"erf", -2, 2, {}},
        {"sin", -3, 3, {}},
        {"cos", -3, 3, {}},
        {"tan", -1, 1, {}},
        {"asin", -0.9, 0.9, {}},
        {"acos", -0.9, 0.9, {}},
        {"atan", -3, 3, {}},
        {"sinh", -2, 2, {}},
        {"cosh", -2, 2, {}},
        {"atanh", -0.9, 0.9, {}},
        {"identity", -1, 1, {}},
        {"relu6", -2, 8, {}},
        {"softplus", -3, 3, {}},
        {"softsign", -3, 3, {}},
        {"leaky_relu", -2, 2, {{"alpha", 0.2}}},
        {"elu", -2, 2, {{"alpha", 0.5}}},
        {"sigmoid_hard", -4, 4, {{"alpha", 0.2}, {"beta", 0.5}}},
        {"clip", -2, 2, {{"alpha", -0.5}, {"beta", 0.5}}},
        {"gelu", -3, 3, {{"mode", std::string("EXACT")}}},
        {"gelu", -3, 3, {{"mode", std::string("TANH_APPROXIMATION")}}},
        {"gelu", -3, 3, {{"mode", std::string("SIGMOID_APPROXIMATION")}}}};
    for (const Unary& op : unary) {
        INFO(op.kind);
        GradTensor x{"x", {ir::DType::Fp16, {2, 5}}};
        x.low = op.low;
        x.high = op.high;
        checkOpGradient(op.kind, {x}, op.attrs, fp16Constants);
    }
    for (const char* kind : {"sub", "mul", "real_div", "pow", "maximum", "minimum", "mod"}) {
        INFO(kind);
        GradTensor x{"x", {ir::DType::Fp16, {2, 3}}}, y{"y", {ir::DType::Fp16, {3}}};
        x.low = 0.2;
        x.high = 2;
        y.low = 0.5;
        y.high = 2;
        checkOpGradient(kind, {x, y}, {}, fp16Constants);
    }
}

TEST_CASE("a chain of elementwise ops: cotangents of a value used twice are summed",
          "[autodiff][grad]") {
    // out = tanh(x * y) + sigmoid(x) / max(y, 0.5)
    GradCase chain;
    chain.tensors = {{"x", f32({2, 3})}, {"y", f32({3})}};
    chain.body = [](ir::Builder& builder, const std::vector<ir::Value*>& v) {
        auto op = [&](const std::string& kind, std::vector<ir::Value*> operands) {
            auto value = builder.createValue(kind, std::move(operands));
            REQUIRE(value);
            return *value;
        };
        auto half = builder.createConst(
            std::make_shared<ir::ConstData>(ir::ConstData::splat({ir::DType::Fp32, {}}, 0.5)));
        ir::Value* out =
            op("add", {op("tanh", {op("mul", {v[0], v[1]})}),
                       op("real_div", {op("sigmoid", {v[0]}), op("maximum", {v[1], half})})});
        builder.kernel().outputs.push_back({"out", out, {}});
    };
    for (uint32_t seed : {1u, 2u, 3u})
        GradChecker(chain, seed).check();
}

} // namespace anec::test
