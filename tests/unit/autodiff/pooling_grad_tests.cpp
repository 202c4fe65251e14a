// Gradient checks of avg_pool's and max_pool's VJPs against float64 central differences, over
// 1 to 3 spatial dims and every pad type, and max_pool's tie rule (the first maximum in window
// order takes the cotangent).
#include "gradcheck.hpp"

namespace anec::test {
namespace {
ir::TensorType f32(ir::Shape shape) {
    return {ir::DType::Fp32, std::move(shape)};
}

using Ints = std::vector<int64_t>;

struct PoolCase {
    ir::Shape x;
    Ints kernel, strides;
    std::string padType;
    Ints pad;
};

ir::AttrMap poolAttrs(const PoolCase& p) {
    return {{"kernel_sizes", p.kernel},
            {"strides", p.strides},
            {"pad_type", p.padType},
            {"pad", p.pad}};
}

// Per spatial-dim count, the geometries every check runs over.
std::vector<PoolCase> poolCases(size_t dims) {
    const ir::Shape spatial = dims == 1   ? ir::Shape{7}
                              : dims == 2 ? ir::Shape{5, 6}
                                          : ir::Shape{4, 3, 5};
    ir::Shape x{2, 2};
    if (dims == 3) x[0] = 1;
    x.insert(x.end(), spatial.begin(), spatial.end());
    const Ints k2 = dims == 1 ? Ints{3} : dims == 2 ? Ints{3, 2} : Ints{2, 3, 2};
    const Ints s2(dims, 2), s1(dims, 1);
    Ints customPad; // asymmetric: 1 before / 0 after on even dims, 0 / 1 on odd
    for (size_t i = 0; i < dims; ++i) {
        customPad.push_back(i % 2 == 0 ? 1 : 0);
        customPad.push_back(i % 2 == 0 ? 0 : 1);
    }
    std::vector<PoolCase> cases;
    for (const Ints& strides : {s1, s2}) {
        cases.push_back({x, k2, strides, "valid", {}});
        cases.push_back({x, k2, strides, "same", {}});
        cases.push_back({x, k2, strides, "same_lower", {}});
        cases.push_back({x, k2, strides, "custom", customPad});
    }
    cases.push_back({x, Ints(dims, 1), Ints(dims, 3), "valid", {}}); // strides wider than windows
    cases.push_back({x, Ints(dims, 2), Ints(dims, 3), "same", {}});
    return cases;
}

std::string describe(const std::string& kind, const PoolCase& p) {
    auto list = [](const Ints& v) {
        std::string s;
        for (int64_t e : v)
            s += (s.empty() ? "" : ",") + std::to_string(e);
        return "[" + s + "]";
    };
    return kind + " x " + ir::shapeString(p.x) + " kernel " + list(p.kernel) + " strides " +
           list(p.strides) + " " + p.padType + " pad " + list(p.pad);
}
} // namespace

TEST_CASE("avg_pool: g over the divisor spread over each window", "[autodiff][grad]") {
    uint32_t seed = 1;
    for (size_t dims : {1, 2, 3})
        for (const PoolCase& p : poolCases(dims))
            for (bool exclude : {false, true}) {
                ir::AttrMap attrs = poolAttrs(p);
                attrs["exclude_padding_from_average"] = exclude;
                INFO(describe("avg_pool", p) << (exclude ? " excluding padding" : ""));
                checkOpGradient("avg_pool", {{"x", f32(p.x)}}, attrs, {}, ++seed);
            }
}

TEST_CASE("max_pool: g to the window's maximum", "[autodiff][grad]") {
    uint32_t seed = 1;
    for (size_t dims : {1, 2, 3})
        for (const PoolCase& p : poolCases(dims)) {
            INFO(describe("max_pool", p));
            // distinct values (a permutation of a grid 0.01 apart), so that no window's maximum
            // is within the finite-difference step of a runner-up
            const int64_t count = f32(p.x).numElements();
            std::vector<double> values;
            for (int64_t i = 0; i < count; ++i)
                values.push_back(-1 + 0.01 * static_cast<double>(i));
            std::shuffle(values.begin(), values.end(), std::mt19937(++seed));
            checkOpGradient("max_pool", {{"x", f32(p.x), values}}, poolAttrs(p), {}, seed);
        }
}

TEST_CASE("max_pool: a tie's cotangent goes to the first maximum in window order",
          "[autodiff][grad]") {
    // x (one 3x3 plane) with 2x2 windows at stride 1: every window's maximum 5 appears more than
    // once; the first (row-major) in each window takes that window's cotangent.
    ir::Kernel forward;
    forward.name = "fwd";
    ir::Builder builder(forward);
    ir::Value* x = forward.addInput("x", f32({1, 1, 3, 3}));
    auto pool = builder.createValue("max_pool", {x},
                                    {{"kernel_sizes", Ints{2, 2}},
                                     {"strides", Ints{1, 1}},
                                     {"pad_type", std::string("valid")}});
    REQUIRE(pool);
    forward.outputs.push_back({"y", *pool, {}});
    autodiff::GradResult grad = autodiff::gradKernel(forward, {"bwd", {"x"}, {"d_x"}, {}, 1, {}});
    INFO(grad.error);
    REQUIRE(grad.backward);

    auto module = std::make_shared<ir::Module>();
    module->kernels.push_back(std::move(grad.backward));
    const ir::Kernel& backward = *module->kernels.back();
    runtime::reference::ReferenceExecutable<double> executable(module, backward);
    // float64 evaluation: fp32 tensors are held as doubles
    auto buffer = [](ir::TensorType type, std::vector<double> values) {
        runtime::reference::Buffer b = runtime::reference::allocate<double>(type);
        std::copy(values.begin(), values.end(), b.out<double>());
        return b;
    };
    std::vector<runtime::reference::Buffer> inputs;
    inputs.push_back(buffer(f32({1, 1, 3, 3}), {5, 5, 1, 5, 5, 5, 0, 5, 5}));
    inputs.push_back(buffer(f32({1, 1, 2, 2}), {1, 10, 100, 1000})); // d_y
    auto outputs = executable.runBuffers(std::move(inputs));
    REQUIRE(outputs.size() == 1);
    // windows (row-major top-left corners): (0,0) first 5 at (0,0); (0,1) at (0,1); (1,0) at
    // (1,0); (1,1) at (1,1)
    const std::vector<double> expected{1, 10, 0, 100, 1000, 0, 0, 0, 0};
    const double* dx = outputs[0].in<double>();
    for (size_t i = 0; i < expected.size(); ++i) {
        INFO("d_x element " << i);
        CHECK(dx[i] == expected[i]);
    }
}

} // namespace anec::test
