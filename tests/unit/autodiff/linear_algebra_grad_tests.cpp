// Gradient checks of conv's and matmul's VJPs against float64 central differences, and the shape
// of conv's backward ops (a 1x1 conv's gradients stay one conv and one matmul).
#include <map>

#include "gradcheck.hpp"
#include "passes/pass.hpp"

namespace anec::test {
namespace {
ir::TensorType f32(ir::Shape shape) {
    return {ir::DType::Fp32, std::move(shape)};
}

using Ints = std::vector<int64_t>;

// A constant is stored in its own element type, so an fp32 weight nudged by 1e-5 is rounded
// (a 1e-3 relative error in the differences). Weights of multiples of 1/64 in [-1, 1] nudged by
// 2^-10 stay exact in fp32, and conv and matmul are linear in them, so the differences are exact
// at that step.
GradTensor dyadicWeight(const std::string& name, ir::Shape shape, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<double> values(static_cast<size_t>(f32(shape).numElements()));
    for (double& v : values)
        v = static_cast<double>(std::uniform_int_distribution<int>(-64, 64)(rng)) / 64;
    return {name, f32(std::move(shape)), values, true};
}
const GradTolerance kLinearInWeight{1e-6, 1.0 / 1024};

struct ConvCase {
    int64_t batch, inChannels, outChannels, groups;
    Ints spatial, kernel, strides, dilations;
    std::string padType;
    Ints pad;
    bool bias;
};

// x an input, W a constant weight (as in anec kernels), the bias an input.
void checkConv(const ConvCase& k, uint32_t seed) {
    ir::Shape x{k.batch, k.inChannels, k.spatial[0], k.spatial[1]};
    ir::Shape w{k.outChannels, k.inChannels / k.groups, k.kernel[0], k.kernel[1]};
    ir::AttrMap attrs{{"groups", k.groups},
                      {"strides", k.strides},
                      {"dilations", k.dilations},
                      {"pad_type", k.padType},
                      {"pad", k.pad}};
    std::vector<GradTensor> tensors{{"x", f32(x)}, dyadicWeight("W", w, seed)};
    GradTensor bias{"bias", f32({k.outChannels})};
    bias.absent = !k.bias;
    tensors.push_back(bias);
    INFO("conv x " << ir::shapeString(x) << " W " << ir::shapeString(w) << " groups " << k.groups
                   << " strides " << k.strides[0] << "," << k.strides[1] << " dilations "
                   << k.dilations[0] << "," << k.dilations[1] << " " << k.padType << " pad "
                   << k.pad[0] << "," << k.pad[1] << "," << k.pad[2] << "," << k.pad[3]
                   << (k.bias ? " with bias" : "") << " seed " << seed);
    checkOpGradient("conv", tensors, attrs, kLinearInWeight, seed);
}
} // namespace

TEST_CASE("conv: dx, dW and dbias over groups, strides, dilations and pad types",
          "[autodiff][grad]") {
    const std::vector<std::pair<std::string, Ints>> pads = {{"valid", {0, 0, 0, 0}},
                                                            {"same", {0, 0, 0, 0}},
                                                            {"same_lower", {0, 0, 0, 0}},
                                                            {"custom", {1, 0, 0, 2}},
                                                            {"custom", {3, 1, 2, 0}}};
    const std::vector<Ints> strides = {{1, 1}, {2, 2}, {2, 1}};
    const std::vector<Ints> dilations = {{1, 1}, {2, 2}, {1, 2}};
    uint32_t seed = 1;
    for (int64_t groups : {1, 2, 4}) // 4: depthwise
        for (const Ints& stride : strides)
            for (const Ints& dilation : dilations)
                for (const auto& [padType, pad] : pads) {
                    ++seed;
                    ConvCase k{1 + seed % 2,
                               4,
                               groups == 4 ? 4 : 6,
                               groups,
                               {5, 6},
                               {3, 2},
                               stride,
                               dilation,
                               padType,
                               pad,
                               seed % 3 != 0};
                    checkConv(k, seed);
                }
}

TEST_CASE("conv: 1x1 kernels, strides wider than the kernel, kernels as large as x",
          "[autodiff][grad]") {
    uint32_t seed = 100;
    for (int64_t groups : {1, 3})
        for (const Ints& stride : std::vector<Ints>{{1, 1}, {2, 3}})
            for (const std::string padType : {"valid", "same", "same_lower"})
                for (int64_t batch : {1, 2}) {
                    checkConv({batch,
                               6,
                               3,
                               groups,
                               {5, 4},
                               {1, 1},
                               stride,
                               {1, 1},
                               padType,
                               {0, 0, 0, 0},
                               batch == 2},
                              ++seed);
                    // a 1-D conv written as an H = 1 conv
                    checkConv({batch,
                               6,
                               3,
                               groups,
                               {1, 7},
                               {1, 3},
                               stride,
                               {1, 2},
                               padType,
                               {0, 0, 0, 0},
                               true},
                              ++seed);
                }
    checkConv({2, 2, 3, 1, {3, 4}, {3, 4}, {1, 1}, {1, 1}, "valid", {0, 0, 0, 0}, true}, 7);
    checkConv({1, 2, 2, 2, {3, 3}, {3, 3}, {2, 2}, {1, 1}, "custom", {2, 2, 0, 1}, false}, 8);
}

namespace {
// The backward kernel of conv(x, const W) for d_x and d_W, as op-kind counts.
std::map<std::string, int> convBackwardOps(ir::Shape x, ir::Shape w, int64_t groups = 1,
                                           Ints strides = {1, 1}, bool optimized = false) {
    ir::Kernel forward;
    forward.name = "fwd";
    ir::Builder builder(forward);
    ir::Value* input = forward.addInput("x", f32(x));
    std::vector<double> halves(static_cast<size_t>(f32(w).numElements()), 0.5);
    ir::Value* weight = builder.createConst(
        std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(f32(w), halves)), {}, "W");
    auto conv =
        builder.createValue("conv", {input, weight}, {{"groups", groups}, {"strides", strides}});
    REQUIRE(conv);
    forward.outputs.push_back({"y", *conv, {}});
    autodiff::GradResult grad =
        autodiff::gradKernel(forward, {"bwd", {"x", "W"}, {"d_x", "d_W"}, {}, 1, {}});
    INFO(grad.error);
    REQUIRE(grad.backward);
    auto module = std::make_shared<ir::Module>();
    module->kernels.push_back(std::move(grad.backward));
    if (optimized) {
        // the -O1 pipeline with ane-legalize: the weight's transpose/reverse fold into a constant
        auto names = passes::pipelinePassNames(1, true);
        auto manager = passes::buildPipeline(names, std::nullopt);
        REQUIRE(manager);
        SourceManager sources;
        DiagnosticEngine diagnostics(sources);
        bool ran = manager->run(*module, diagnostics);
        INFO(diagnostics.errorSummary());
        REQUIRE(ran);
    }
    std::map<std::string, int> counts;
    for (const auto& op : module->kernels.back()->ops)
        ++counts[op->kind()];
    return counts;
}
} // namespace

TEST_CASE("conv: a 1x1 conv's dx is one conv with W^T and its dW one matmul", "[autodiff][grad]") {
    auto ops = convBackwardOps({1, 8, 4, 4}, {16, 8, 1, 1});
    CHECK(ops["conv"] == 1);
    CHECK(ops["matmul"] == 1);
    CHECK(ops["transpose"] == 1); // the weight's (folds into the constant)
    CHECK(ops["slice_by_index"] == 0);
    CHECK(ops["pad"] == 0);
    CHECK(ops["concat"] == 0);
    // a 3x3 conv: still one conv; a matmul per tap, their [Cout, Cin] blocks joined
    ops = convBackwardOps({1, 2, 5, 5}, {3, 2, 3, 3});
    CHECK(ops["conv"] == 1);
    CHECK(ops["matmul"] == 9);
    CHECK(ops["concat"] == 1);
    CHECK(ops["reverse"] == 1);
    // optimized and legalized: the weight's rearrangement folds into a constant
    ops = convBackwardOps({1, 4, 5, 5}, {4, 2, 3, 3}, 2, {2, 2}, true);
    CHECK(ops["conv"] == 1);
    CHECK(ops["transpose"] == 0);
    CHECK(ops["reverse"] == 0);
    CHECK(ops["concat"] == 0);
    // depthwise: the weight needs no transpose
    ops = convBackwardOps({1, 4, 5, 5}, {4, 1, 3, 3}, 4);
    CHECK(ops["conv"] == 1);
    CHECK(ops["transpose"] == 0);
}

TEST_CASE("conv: a weight given at run time (a kernel input)", "[autodiff][grad]") {
    uint32_t seed = 300;
    for (int64_t groups : {1, 2})
        for (const Ints& stride : std::vector<Ints>{{1, 1}, {2, 2}}) {
            ir::AttrMap attrs{{"groups", groups},
                              {"strides", stride},
                              {"pad_type", std::string("custom")},
                              {"pad", Ints{1, 2, 0, 1}}};
            checkOpGradient(
                "conv",
                {{"x", f32({2, 4, 4, 5})}, {"W", f32({2, 4 / groups, 2, 3})}, {"b", f32({2})}},
                attrs, {}, ++seed);
        }
}

TEST_CASE("matmul: dx = g y^T and dy = x^T g under transposes, vectors and batch broadcasting",
          "[autodiff][grad]") {
    struct Shapes {
        ir::Shape x, y; // as matmul sees them without transposes
    };
    const std::vector<Shapes> cases = {
        {{3, 4}, {4, 5}},       {{2, 3, 4}, {4, 5}}, {{3, 4}, {2, 4, 5}}, {{2, 1, 3, 4}, {3, 4, 2}},
        {{1, 3, 4}, {2, 4, 5}}, {{4}, {4, 5}},       {{4}, {2, 4, 3}},    {{3, 4}, {4}},
        {{2, 3, 4}, {4}},       {{4}, {4}},
    };
    uint32_t seed = 1;
    for (const Shapes& s : cases)
        for (bool tx : {false, true})
            for (bool ty : {false, true}) {
                ir::Shape x = s.x, y = s.y;
                if (tx && x.size() >= 2) std::swap(x[x.size() - 1], x[x.size() - 2]);
                if (ty && y.size() >= 2) std::swap(y[y.size() - 1], y[y.size() - 2]);
                INFO("matmul " << ir::shapeString(x) << (tx ? "^T" : "") << " @ "
                               << ir::shapeString(y) << (ty ? "^T" : ""));
                checkOpGradient("matmul", {{"x", f32(x)}, {"y", f32(y)}},
                                {{"transpose_x", tx}, {"transpose_y", ty}}, {}, ++seed);
            }
    // a constant weight (the linear layer's)
    checkOpGradient("matmul", {{"x", f32({2, 3, 4})}, dyadicWeight("W", {5, 4}, 3)},
                    {{"transpose_y", true}}, kLinearInWeight);
}

} // namespace anec::test
