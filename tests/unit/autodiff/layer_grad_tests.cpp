// `grad` on whole kernels written in the language: the Stories110M layer of
// examples/stories110m.ane (RMSNorm, RoPE, causal attention, SwiGLU, residuals) at a small
// configuration, differentiated with respect to its input and every weight, against float64
// central differences of the forward kernel.
#include "gradcheck.hpp"
#include "unit/frontend/sema_test_support.hpp"
#include "unit/passes/pass_test_support.hpp"

namespace anec::test {
namespace {
const ir::Kernel& kernelNamed(const AneCompile& c, const std::string& name) {
    const ir::Kernel* kernel = c.module->findKernel(name);
    INFO(name);
    REQUIRE(kernel);
    return *kernel;
}
} // namespace

TEST_CASE("grad of the Stories110M layer matches float64 finite differences",
          "[autodiff][grad][model]") {
    const std::vector<std::string> weights = {"attention_norm_0", "wq_0", "wk_0", "wv_0", "wo_0",
                                              "ffn_norm_0",       "w1_0", "w2_0", "w3_0"};
    std::string decl = "grad layer[0] wrt x";
    for (const std::string& w : weights)
        decl += ", " + w.substr(0, w.size() - 2) + "[0]";
    decl += " as layer_bwd\n";
    frontend::Options options;
    options.defines = {{"DIM", 16},   {"HIDDEN", 24}, {"HEADS", 2},
                       {"LAYERS", 1}, {"VOCAB", 32},  {"SEQ", 8}};
    AneCompile c(exampleSource("stories110m.ane") + decl, options, "stories110m.ane");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    std::vector<std::string> wrt = {"x"};
    wrt.insert(wrt.end(), weights.begin(), weights.end());
    KernelGradOptions check;
    // fp16 weights are stepped by a few fp16 ulps (about 1e-3): the central difference's
    // truncation error, not the gradient, sets this tolerance.
    check.rtol = 2e-4;
    KernelGradChecker checker(kernelNamed(c, "layer_0"), kernelNamed(c, "layer_bwd"), check);
    std::vector<double> errors = checker.check(wrt);
    for (size_t i = 0; i < wrt.size(); ++i)
        INFO(wrt[i] << ": " << errors[i]);
}

} // namespace anec::test

namespace anec::test {

// At the full Stories110M size (DIM 768, HIDDEN 2048, HEADS 12, SEQ 256), the backward kernel as
// built at -O1 run fp16-faithfully stays within fp16 tolerance of the same kernel in float64
// (whose gradients the test above checks against finite differences at a small size).
TEST_CASE("grad of the full-size Stories110M layer in fp16 stays near float64",
          "[autodiff][grad][model][full]") {
    driver::CompileOptions options;
    options.frontend.defines = {{"LAYERS", 1}};
    auto module = passes::test::compileAne(
        exampleSource("stories110m.ane") +
            "grad layer[0] wrt x, attention_norm[0], wq[0], wk[0], wv[0], wo[0], ffn_norm[0], "
            "w1[0], w2[0], w3[0] as layer_bwd\n",
        options);
    auto prepared = [&](runtime::Precision precision) {
        return runtime::createReferenceBackend(precision)->prepare(module, "layer_bwd");
    };
    auto fp16 = prepared(runtime::Precision::Fp16Faithful);
    auto exact = prepared(runtime::Precision::Float64);
    std::map<std::string, runtime::Tensor> inputs;
    std::map<std::string, runtime::TensorView> views;
    uint64_t seed = 1;
    for (const runtime::IoInfo& input : fp16->inputs()) {
        inputs.emplace(input.name, passes::test::makeInput(input.type, seed++));
        const runtime::Tensor& tensor = inputs.at(input.name);
        views[input.name] = runtime::TensorView{tensor.type(), tensor.bytes()};
    }
    auto got = fp16->run(views);
    auto want = exact->run(views);
    for (const runtime::IoInfo& output : fp16->outputs()) {
        const runtime::Tensor& a = got.at(output.name);
        const runtime::Tensor& b = want.at(output.name);
        double worst = 0, scale = 0;
        for (int64_t i = 0; i < a.type().numElements(); ++i) {
            double reference = passes::test::elementAt(b, i);
            scale = std::max(scale, std::fabs(reference));
            worst = std::max(worst, std::fabs(passes::test::elementAt(a, i) - reference));
        }
        // Measured: 0.07% to 0.14% of max |ref| per gradient; fp16 keeps 11 bits (0.05%).
        INFO(output.name << ": max abs err " << worst << ", relative to max |ref| " << scale << ": "
                         << worst / scale);
        CHECK(scale > 0);
        CHECK(worst <= 0.01 * scale);
    }
}

} // namespace anec::test
