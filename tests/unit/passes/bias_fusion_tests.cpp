// The conv fusion passes leave a conv with a bias alone (they would have to carry the bias), so a
// program mixing biased and plain convs in every fusion pattern computes the same at -O0 and -O1
// while the plain convs still fuse.
#include "unit/passes/pass_test_support.hpp"

#include <algorithm>
#include <cmath>

using namespace anec;
using namespace anec::passes::test;

namespace {
// Each fusion pattern with one biased conv in it: slice -> conv -> add (a + c + d), horizontal
// (q, k, v on x) and conv * scale + shift (scaled + scaledPlain). The biases are large enough
// that losing one moves the outputs far beyond the tolerance.
const char* const kProgram = R"(weight W1: fp16[6, 4] = random(seed = 1, scale = 0.5)
weight W2: fp16[6, 4] = random(seed = 2, scale = 0.5)
weight W3: fp16[6, 4] = random(seed = 3, scale = 0.5)
weight Wq: fp16[6, 8] = random(seed = 4, scale = 0.35)
weight Wk: fp16[6, 8] = random(seed = 5, scale = 0.35)
weight Wv: fp16[6, 8] = random(seed = 6, scale = 0.35)
weight Ws: fp16[6, 8] = random(seed = 7, scale = 0.35)
weight b1: fp16[6] = random(seed = 8, scale = 2)
weight bq: fp16[6] = random(seed = 9, scale = 2)
weight bs: fp16[6] = random(seed = 10, scale = 2)
weight s: fp16[1, 6, 1, 1] = random(seed = 11, scale = 1.5)
weight t: fp16[1, 6, 1, 1] = random(seed = 12, scale = 1)
kernel k(x: fp16[1, 8, 1, 4]) -> (y1: fp16[1, 6, 1, 4], y2: fp16[1, 6, 1, 4], y3: fp16[1, 6, 1, 4]) {
    let a = linear(x[:, 0:4, :, :], W1, bias = b1)
    let c = linear(x[:, 4:8, :, :], W2)
    let d = linear(x[:, 0:4, :, :], W3)
    y1 = a + c + d
    let q = linear(x, Wq, bias = bq)
    let kk = linear(x, Wk)
    let v = linear(x, Wv)
    y2 = q + kk * v
    let scaled = linear(x, Ws, bias = bs) * s + t
    let scaledPlain = linear(x, Wq) * s + t
    y3 = scaled + scaledPlain
}
)";

struct Build {
    std::shared_ptr<ir::Module> module;
    std::map<std::string, size_t> changes; // per pass
};

Build build(int optLevel) {
    auto compilation =
        std::make_shared<driver::Compilation>(driver::CompileOptions{.optLevel = optLevel});
    compilation->loadSource("bias.ane", kProgram);
    bool ok = compilation->optimize();
    std::ostringstream rendered;
    compilation->diagnostics().print(rendered);
    INFO(rendered.str());
    REQUIRE(ok);
    Build out{std::shared_ptr<ir::Module>(compilation, compilation->module()), {}};
    for (const passes::PassResult& result : compilation->passResults())
        out.changes[result.pass] += result.changes;
    return out;
}

size_t biasedConvs(const ir::Module& module) {
    size_t count = 0;
    for (const auto& op : module.kernels.at(0)->ops)
        if (op->kind() == "conv" && op->operands.size() > 2 && op->operands[2]) ++count;
    return count;
}
} // namespace

TEST_CASE("fusion passes keep a biased conv's numbers", "[passes][fusion][bias]") {
    Build o0 = build(0), o1 = build(1);
    CHECK(biasedConvs(*o0.module) == 3);
    CHECK(biasedConvs(*o1.module) == 3);
    // The plain convs around them still fuse.
    CHECK(o1.changes["fuse-horizontal"] > 0);
    CHECK(o1.changes["fuse-conv-scale-shift"] > 0);

    std::map<std::string, runtime::Tensor> inputs;
    inputs.emplace("x", makeInput({ir::DType::Fp16, {1, 8, 1, 4}}, 3));
    auto expected = runKernel(o0.module, "k", inputs);
    auto actual = runKernel(o1.module, "k", inputs);
    for (const char* output : {"y1", "y2", "y3"}) {
        INFO("output " << output);
        const runtime::Tensor& reference = expected.at(output);
        const runtime::Tensor& got = actual.at(output);
        REQUIRE(got.type() == reference.type());
        double scale = 1, worst = 0;
        for (int64_t i = 0; i < reference.type().numElements(); ++i) {
            scale = std::max(scale, std::fabs(elementAt(reference, i)));
            worst = std::max(worst, std::fabs(elementAt(got, i) - elementAt(reference, i)));
        }
        // Rounding moves (see equivalence_tests.cpp): a few fp16 roundings of the magnitudes.
        INFO("worst |O1 - O0| = " << worst << ", max |O0| = " << scale);
        CHECK(worst <= 1e-2 * scale);
    }
}
