// The seed kernel, derived: `grad` of the SwiGLU FFN's input projections at -O1 is the hand-written
// seed's single fused conv over the packed d_h1/d_h3 (examples/ffn_grad.ane).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "unit/passes/pass_test_support.hpp"

namespace {
std::string example(const std::string& name) {
    std::ifstream in(std::string(ANEC_SOURCE_DIR) + "/examples/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}
} // namespace

TEST_CASE("grad of the FFN input projections is the seed's one conv", "[autodiff][grad][seed]") {
    auto module = anec::passes::test::compileAne(example("ffn_grad.ane"));
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
