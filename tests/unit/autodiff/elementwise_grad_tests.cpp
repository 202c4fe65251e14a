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
