// `grad` on whole kernels written in the language: the Stories110M layer of
// examples/stories110m.ane (RMSNorm, RoPE, causal attention, SwiGLU, residuals) at a small
// configuration, differentiated with respect to its input and every weight, against float64
// central differences of the forward kernel.
#include <fstream>
#include <sstream>

#include "gradcheck.hpp"
#include "unit/frontend/sema_test_support.hpp"

namespace anec::test {
namespace {
std::string exampleSource(const std::string& name) {
    std::ifstream in(std::string(ANEC_SOURCE_DIR) + "/examples/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

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
