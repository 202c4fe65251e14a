// Gradient checks of the reductions' and softmax's VJPs against float64 central differences,
// and of log_softmax as the frontend composes it.
#include <random>

#include "gradcheck.hpp"
#include "ir/op_registry.hpp"

namespace anec::test {
namespace {
ir::TensorType f32(ir::Shape shape) {
    return {ir::DType::Fp32, std::move(shape)};
}

ir::AttrMap reduceAttrs(std::vector<int64_t> axes, bool keepDims) {
    return {{"axes", std::move(axes)}, {"keep_dims", keepDims}};
}

// Uniform in [low, high) with a random sign: |x| stays away from the kink at 0.
std::vector<double> awayFromZero(const ir::TensorType& type, uint32_t seed, double low = 0.2,
                                 double high = 1) {
    std::mt19937 rng(seed);
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    for (double& v : values) {
        v = std::uniform_real_distribution<double>(low, high)(rng);
        if (rng() % 2) v = -v;
    }
    return values;
}

// Every axes subset worth telling apart for a rank-3 x: none (all), single, negative, pairs in
// and out of order, all of them spelled out.
const std::vector<std::vector<int64_t>>& rank3Axes() {
    static const std::vector<std::vector<int64_t>> axes{{},   {0},    {1},    {2},      {-1},
                                                        {-3}, {0, 2}, {2, 0}, {-2, -1}, {0, 1, 2}};
    return axes;
}

struct ReduceCase {
    std::string op;
    double low = -1, high = 1; // the range of x
    bool nonZero = false;      // keep |x| >= 0.2 (l1's kink, prod's quotients)
};

const std::vector<ReduceCase>& reduceCases() {
    static const std::vector<ReduceCase> cases{
        {"reduce_sum"},
        {"reduce_mean"},
        {"reduce_max"},
        {"reduce_min"},
        {"reduce_prod", -1.5, 1.5, true},
        {"reduce_l1_norm", -1, 1, true},
        {"reduce_sum_square"},
        {"reduce_l2_norm"},
        {"reduce_log_sum", 0.5, 1.5},
        {"reduce_log_sum_exp", -2, 2},
    };
    return cases;
}

GradTensor reduceInput(const ReduceCase& rc, ir::TensorType type, uint32_t seed) {
    GradTensor x{"x", type};
    x.low = rc.low;
    x.high = rc.high;
    if (rc.nonZero) x.values = awayFromZero(type, seed, 0.2, rc.high);
    return x;
}

} // namespace

TEST_CASE("reductions: every axes subset, keep_dims or not", "[autodiff][grad]") {
    uint32_t seed = 1;
    for (const ReduceCase& rc : reduceCases())
        for (const std::vector<int64_t>& axes : rank3Axes())
            for (bool keepDims : {false, true}) {
                INFO(rc.op << " axes " << ir::attributeString(axes) << " keep_dims " << keepDims);
                ++seed;
                checkOpGradient(rc.op, {reduceInput(rc, f32({2, 3, 4}), seed)},
                                reduceAttrs(axes, keepDims), {}, seed);
            }
}

TEST_CASE("reductions: other ranks and size-1 dims", "[autodiff][grad]") {
    struct ShapeAxes {
        ir::Shape shape;
        std::vector<int64_t> axes;
    };
    const std::vector<ShapeAxes> cases{
        {{5}, {}},
        {{5}, {0}},
        {{5}, {-1}},
        {{}, {}},
        {{2, 1, 3, 2}, {1}},
        {{2, 1, 3, 2}, {-1, 0}},
        {{2, 1, 3, 2}, {1, 2, 3}},
        {{1, 6}, {}},
    };
    uint32_t seed = 100;
    for (const ReduceCase& rc : reduceCases())
        for (const ShapeAxes& sa : cases)
            for (bool keepDims : {false, true}) {
                INFO(rc.op << " " << ir::shapeString(sa.shape) << " axes "
                           << ir::attributeString(sa.axes) << " keep_dims " << keepDims);
                ++seed;
                checkOpGradient(rc.op, {reduceInput(rc, f32(sa.shape), seed)},
                                reduceAttrs(sa.axes, keepDims), {}, seed);
            }
}

// A two-way tie: central differences see the average of the one-sided derivatives (1/2 each),
// which is the equal split the VJP gives.
TEST_CASE("reduce_max / reduce_min: a tie splits the cotangent equally", "[autodiff][grad]") {
    const std::vector<double> values{0.5,   -0.25, 0.5,   0.125, //
                                     -0.75, 0.25,  -0.75, 0.0};
    for (const std::string op : {"reduce_max", "reduce_min"})
        for (bool keepDims : {false, true}) {
            INFO(op << " keep_dims " << keepDims);
            checkOpGradient(op, {{"x", f32({2, 4}), values}}, reduceAttrs({1}, keepDims));
            checkOpGradient(op, {{"x", f32({2, 4}), values}}, reduceAttrs({}, keepDims));
        }
}

// Zeros among the factors: no division by zero, and the product of the others is exact.
TEST_CASE("reduce_prod: one zero, two zeros", "[autodiff][grad]") {
    const std::vector<double> values{0.0, 1.5,  -0.5, 2.0,   //
                                     0.0, 0.75, 0.0,  -1.25, //
                                     1.0, -2.0, 0.5,  1.5};
    for (bool keepDims : {false, true}) {
        checkOpGradient("reduce_prod", {{"x", f32({3, 4}), values}}, reduceAttrs({1}, keepDims));
        checkOpGradient("reduce_prod", {{"x", f32({3, 4}), values}}, reduceAttrs({0}, keepDims));
        checkOpGradient("reduce_prod", {{"x", f32({3, 4}), values}}, reduceAttrs({}, keepDims));
    }
}

// At an all-zero group the norm has a kink; the VJP gives 0 there (not NaN), which is also what
// central differences see (|h| - |-h| = 0). Likewise l1_norm at x = 0 (sign(0) = 0).
TEST_CASE("reduce_l2_norm / reduce_l1_norm at zero: a zero gradient", "[autodiff][grad]") {
    const std::vector<double> values{0, 0, 0, 0.5, -1, 0.25};
    for (bool keepDims : {false, true}) {
        checkOpGradient("reduce_l2_norm", {{"x", f32({2, 3}), values}}, reduceAttrs({1}, keepDims));
        checkOpGradient("reduce_l1_norm", {{"x", f32({2, 3}), values}}, reduceAttrs({1}, keepDims));
    }
}

TEST_CASE("softmax: every axis, several ranks", "[autodiff][grad]") {
    uint32_t seed = 200;
    for (int64_t axis : {0, 1, 2, -1, -2, -3})
        checkOpGradient("softmax", {{"x", f32({2, 3, 4}), {}, false, true, false, -2, 2}},
                        {{"axis", axis}}, {}, ++seed);
    checkOpGradient("softmax", {{"x", f32({6})}}, {}, {}, ++seed);
    checkOpGradient("softmax", {{"x", f32({2, 1, 3, 2})}}, {{"axis", int64_t{1}}}, {}, ++seed);
    checkOpGradient("softmax", {{"x", f32({2, 1, 3, 2})}}, {{"axis", int64_t{2}}}, {}, ++seed);
}

TEST_CASE("reduce_argmax / reduce_argmin have int32 results and need no gradient",
          "[autodiff][grad]") {
    for (const char* op : {"reduce_argmax", "reduce_argmin"}) {
        const ir::OpDef& def = ir::OpRegistry::builtin().get(op);
        CHECK(!def.vjp);
        CHECK(def.noGradient.empty());
    }
}

// log_softmax as compiler/frontend/builtins_math.cpp lowers it: x - max, exp, sum, log, sub.
// The cotangent reaching reduce_max sums to zero (log_softmax does not depend on the shift),
// so this checks that the pieces compose; reduce_max's own rule is checked above.
TEST_CASE("log_softmax as the frontend composes it", "[autodiff][grad]") {
    for (int64_t axis : {-1, 0, 1}) {
        INFO("axis " << axis);
        GradCase c;
        c.tensors = {{"x", f32({3, 4}), {}, false, true, false, -2, 2}};
        c.body = [axis](ir::Builder& b, const std::vector<ir::Value*>& v) {
            const ir::AttrMap along = reduceAttrs({axis}, true);
            ir::Value* x = v[0];
            ir::Value* max = *b.createValue("reduce_max", {x}, along);
            ir::Value* shifted = *b.createValue("sub", {x, max});
            ir::Value* exps = *b.createValue("exp", {shifted});
            ir::Value* sum = *b.createValue("reduce_sum", {exps}, along);
            ir::Value* logSum = *b.createValue("log", {sum}, {{"epsilon", 0.0}});
            ir::Value* out = *b.createValue("sub", {shifted, logSum});
            b.kernel().outputs.push_back({"out", out, {}});
        };
        GradChecker(c, 300 + static_cast<uint32_t>(axis + 1)).check();
    }
}

// The same through reduce_log_sum_exp: x - logsumexp(x).
TEST_CASE("log_softmax as x - reduce_log_sum_exp(x)", "[autodiff][grad]") {
    for (int64_t axis : {1, -1}) {
        GradCase c;
        c.tensors = {{"x", f32({2, 3, 4}), {}, false, true, false, -2, 2}};
        c.body = [axis](ir::Builder& b, const std::vector<ir::Value*>& v) {
            ir::Value* lse =
                *b.createValue("reduce_log_sum_exp", {v[0]}, reduceAttrs({axis}, true));
            b.kernel().outputs.push_back({"out", *b.createValue("sub", {v[0], lse}), {}});
        };
        GradChecker(c, 310).check();
    }
}

} // namespace anec::test
