// The seed kernel, derived: `grad` of the SwiGLU FFN's input projections at -O1 is the hand-written
// seed's single fused conv over the packed d_h1/d_h3 (examples/ffn_grad.ane).
#include "driver/stats.hpp"
#include "gradcheck.hpp"
#include "unit/passes/pass_test_support.hpp"

using anec::test::exampleSource;

TEST_CASE("grad of the FFN input projections is the seed's one conv", "[autodiff][grad][seed]") {
    auto module = anec::passes::test::compileAne(exampleSource("ffn_grad.ane"));
    const anec::ir::Kernel* bwd = module->findKernel("ffn_in_bwd");
    REQUIRE(bwd);
    std::vector<const anec::ir::Op*> convs;
    std::string kinds;
    for (const auto& op : bwd->ops) {
        kinds += op->kind() + " ";
        if (op->kind() == "conv") convs.push_back(op.get());
    }
    INFO(kinds);
    REQUIRE(convs.size() == 1);
    const anec::ir::Value* weight = convs[0]->operands[1];
    REQUIRE(weight->definingOp->isConst());
    CHECK(weight->type.str() == "fp16[768,4096,1,1]");
    // One input surface (x, d_h1, d_h3 packed); the conv reads d_h1 and d_h3 as one slice of it.
    REQUIRE(bwd->inputs.size() == 1);
    CHECK(bwd->inputs[0]->type.str() == "fp16[1,4864,1,64]");
    const anec::ir::Value* read = convs[0]->operands[0];
    CHECK(read->type.str() == "fp16[1,4096,1,64]");
    REQUIRE(read->definingOp);
    CHECK(read->definingOp->kind() == "slice_by_size");
    CHECK(read->definingOp->operands[0] == bwd->inputs[0].get());
}

namespace {
anec::driver::KernelStats statsOf(const anec::ir::Module& module, const std::string& kernel) {
    const anec::ir::Kernel* k = module.findKernel(kernel);
    INFO(kernel);
    REQUIRE(k);
    return anec::driver::kernelStats(*k);
}
double flopsOf(const anec::ir::Module& module, const std::string& kernel) {
    return static_cast<double>(statsOf(module, kernel).flops);
}
} // namespace

TEST_CASE("a backward kernel costs at most 3x its forward recomputing, 2x saving",
          "[autodiff][grad][stats]") {
    auto ffn = anec::passes::test::compileAne(exampleSource("ffn_grad.ane") +
                                              "grad ffn wrt x, W1, W3, W2 as ffn_bwd_recompute\n");
    double forward = flopsOf(*ffn, "ffn");
    double recompute = flopsOf(*ffn, "ffn_bwd_recompute") / forward;
    double saving = flopsOf(*ffn, "ffn_bwd") / forward;
    INFO("SwiGLU FFN: recomputing " << recompute << "x, saving h1, h3, gated " << saving << "x");
    CHECK(recompute <= 3.0);
    // Saving, the matrix work (conv and matmul, what FLOP counters such as PyTorch's report) is
    // exactly twice the forward's: one dx and one dW product per weight.
    CHECK(statsOf(*ffn, "ffn_bwd").matrixFlops == 2 * statsOf(*ffn, "ffn").matrixFlops);
    // All FLOPs: silu's derivative (sigmoid, sub, mul, add) and the chain rule's products are
    // more elementwise work than silu and the gate, 0.07% of the total at this size.
    CHECK(saving <= 2.001);

    anec::driver::CompileOptions options;
    options.frontend.defines = {{"DIM", 64},   {"HIDDEN", 172}, {"HEADS", 4},
                                {"LAYERS", 1}, {"VOCAB", 256},  {"SEQ", 16}};
    auto stories = anec::passes::test::compileAne(
        exampleSource("stories110m.ane") +
            "grad layer[0] wrt x, attention_norm[0], wq[0], wk[0], wv[0], wo[0], ffn_norm[0], "
            "w1[0], w2[0], w3[0] as layer_bwd\n",
        options);
    double layer = flopsOf(*stories, "layer_0");
    double layerBackward = flopsOf(*stories, "layer_bwd") / layer;
    INFO("Stories110M layer: recomputing " << layerBackward << "x");
    CHECK(layerBackward <= 3.0);
}
