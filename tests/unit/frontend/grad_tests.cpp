// The `grad` declaration: the kernels it adds (names, interface, order), in loops and on fused
// kernels, with `saving` and `scale`; each of its diagnostics by message and position. The
// gradients' values are checked in tests/unit/autodiff.
#include <catch2/catch.hpp>

#include "sema_test_support.hpp"

using anec::test::AneCompile;
using Errors = std::vector<std::string>;

namespace {
const char* kForward =
    R"(kernel f(x: fp16[1, 4, 1, 8], y: fp16[1, 4, 1, 1]) -> (z: fp16[1, 4, 1, 8]) {
    let h = x + y
    z = h + x
}
)";

void expectErrors(const std::string& decls, const Errors& expected) {
    AneCompile c(std::string(kForward) + decls);
    INFO(c.allDiagnostics());
    CHECK_FALSE(c.module);
    CHECK(c.errors() == expected);
}

std::vector<std::string> names(const std::vector<std::unique_ptr<anec::ir::Value>>& values) {
    std::vector<std::string> out;
    for (const auto& v : values)
        out.push_back(v->name + ": " + v->type.str());
    return out;
}

std::vector<std::string> names(const std::vector<anec::ir::KernelOutput>& outputs) {
    std::vector<std::string> out;
    for (const auto& o : outputs)
        out.push_back(o.name + ": " + o.value->type.str());
    return out;
}

const anec::ir::Kernel& kernelNamed(const AneCompile& c, const std::string& name) {
    const anec::ir::Kernel* kernel = c.module->findKernel(name);
    INFO(name);
    REQUIRE(kernel);
    return *kernel;
}
} // namespace

TEST_CASE("grad: the kernel's inputs, a d_ input per output, a d_ output per wrt",
          "[frontend][grad]") {
    AneCompile c(std::string(kForward) + "grad f wrt y, x as f_bwd\n");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    const anec::ir::Kernel& bwd = kernelNamed(c, "f_bwd");
    CHECK(names(bwd.inputs) ==
          std::vector<std::string>{"x: fp16[1,4,1,8]", "y: fp16[1,4,1,1]", "d_z: fp16[1,4,1,8]"});
    CHECK(names(bwd.outputs) ==
          std::vector<std::string>{"d_y: fp16[1,4,1,1]", "d_x: fp16[1,4,1,8]"});
    // d_x = 2 d_z (h = x + y, z = h + x); d_y = sum(d_z): nothing of the forward is recomputed.
    for (const auto& op : bwd.ops)
        CHECK(op->kind() != "mul");
}

TEST_CASE("grad saving: a forward kernel with the taps, the backward takes them",
          "[frontend][grad]") {
    AneCompile c(std::string(kForward) + "grad f wrt y saving h scale 8 as f_bwd\n");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    const anec::ir::Kernel& fwd = kernelNamed(c, "f_bwd_fwd");
    CHECK(names(fwd.outputs) == std::vector<std::string>{"z: fp16[1,4,1,8]", "h: fp16[1,4,1,8]"});
    const anec::ir::Kernel& bwd = kernelNamed(c, "f_bwd");
    CHECK(names(bwd.inputs) == std::vector<std::string>{"x: fp16[1,4,1,8]", "y: fp16[1,4,1,1]",
                                                        "d_z: fp16[1,4,1,8]", "h: fp16[1,4,1,8]"});
    // The forward kernel comes first, as it runs first.
    std::vector<std::string> order;
    for (const auto& kernel : c.module->kernels)
        order.push_back(kernel->name);
    CHECK(order == std::vector<std::string>{"f", "f_bwd_fwd", "f_bwd"});
}

TEST_CASE("grad in a loop: per-layer kernels and weights, d_W named without the index",
          "[frontend][grad]") {
    AneCompile c(R"(const DIM = 16
for l in 0..2 {
    dynamic weight W[l]: fp16[DIM, DIM] = random(seed = l + 1, scale = 0.25)
    weight U[l]: fp16[DIM, DIM] = random(seed = l + 7, scale = 0.25)
    kernel layer[l](x: fp16[1, DIM, 1, 4]) -> (y: fp16[1, DIM, 1, 4]) {
        y = x + linear(relu(linear(x, W[l])), U[l])
    }
    grad layer[l] wrt x, W[l], U[l] as layer_bwd[l]
}
kernel stack(x: fp16[1, DIM, 1, 4]) -> (y: fp16[1, DIM, 1, 4]) {
    var h = x
    for l in 0..2 { h = layer[l](h) }
    y = h
}
grad stack wrt x, W[0], W[1] as stack_bwd
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    const anec::ir::Kernel& bwd = kernelNamed(c, "layer_bwd_1");
    CHECK(names(bwd.outputs) ==
          std::vector<std::string>{"d_x: fp16[1,16,1,4]", "d_W: fp16[16,16]", "d_U: fp16[16,16]"});
    // A dynamic weight stays one: the backward kernel takes it at run time too.
    REQUIRE(bwd.dynamicWeights.size() == 1);
    CHECK(bwd.dynamicWeights[0].name == "W_1");
    const anec::ir::Kernel& stack = kernelNamed(c, "stack_bwd");
    CHECK(names(stack.outputs) == std::vector<std::string>{"d_x: fp16[1,16,1,4]",
                                                           "d_W_0: fp16[16,16]",
                                                           "d_W_1: fp16[16,16]"});
}

TEST_CASE("grad of a fused kernel: one backward program over both kernels", "[frontend][grad]") {
    AneCompile c(R"(weight W: fp16[8, 4] = random(seed = 1, scale = 0.5)
weight U: fp16[4, 8] = random(seed = 2, scale = 0.5)
kernel up(x: fp16[1, 4, 1, 8]) -> (h: fp16[1, 8, 1, 8]) { h = relu(linear(x, W)) }
kernel down(h: fp16[1, 8, 1, 8], x: fp16[1, 4, 1, 8]) -> (y: fp16[1, 4, 1, 8]) {
    y = x + linear(h, U)
}
fuse up, down as ffn
grad ffn wrt x, W, U as ffn_bwd
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    const anec::ir::Kernel& bwd = kernelNamed(c, "ffn_bwd");
    CHECK(names(bwd.inputs) == std::vector<std::string>{"x: fp16[1,4,1,8]", "d_y: fp16[1,4,1,8]"});
    CHECK(names(bwd.outputs) ==
          std::vector<std::string>{"d_x: fp16[1,4,1,8]", "d_W: fp16[8,4]", "d_U: fp16[4,8]"});
}

TEST_CASE("grad warns where a gradient's static factor underflows fp16", "[frontend][grad]") {
    const std::string mean = R"(kernel m(x: fp16[1, 64, 1, 512]) -> (y: fp16[1, 1, 1, 1]) {
    y = reduce_mean(x, [1, 3], keep_dims = true)
}
)";
    auto warnings = [](const std::string& source) {
        AneCompile c(source);
        INFO(c.allDiagnostics());
        CHECK(c.module);
        std::vector<std::string> found;
        for (const anec::Diagnostic& d : c.diagnostics.diagnostics())
            if (d.message.find("below the ANE") == std::string::npos)
                found.push_back(anec::DiagnosticEngine::brief(d));
        return found;
    };
    CHECK(warnings(mean + "grad m wrt x as m_bwd\n") ==
          std::vector<std::string>{
              "4:17: warning: in the gradient of kernel 'm': the gradient of reduce_mean "
              "multiplies by 3.05176e-05, so a gradient of 1 (times the loss scale 1) falls below "
              "fp16's smallest normal number 2^-14 there and underflows; scale the loss by at "
              "least 2 ('scale 2') or compute in fp32",
              "2:9: note: the op is here"});
    // Scaled enough, nothing to say.
    CHECK(warnings(mean + "grad m wrt x scale 2 as m_bwd\n").empty());
}

TEST_CASE("grad diagnostics", "[frontend][grad]") {
    expectErrors("grad f wrt q as b\n",
                 {"5:12: error: 'q' is neither an input of kernel 'f' nor a weight it uses; did "
                  "you mean 'x'?"});
    expectErrors("grad g wrt x as b\n", {"5:6: error: unknown kernel 'g'; did you mean 'f'?"});
    expectErrors("grad f wrt x saving hh as b\n",
                 {"5:21: error: 'hh' is not a value computed in kernel 'f'; did you mean 'h'?"});
    expectErrors("grad f wrt x saving z as b\n",
                 {"5:21: error: 'z' is an output of kernel 'f' already; 'saving' names "
                  "intermediates"});
    expectErrors("grad f wrt x, x as b\n", {"5:15: error: 'x' is listed twice after 'wrt'"});
    expectErrors("grad f wrt x scale 0 as b\n",
                 {"5:20: error: the loss scale must be in (0, 65504] (fp16), got 0"});
    expectErrors("grad f wrt x savng h as b\n",
                 {"5:14: error: unknown option 'savng' of 'grad'; did you mean 'saving'? (expected "
                  "'saving NAMES' or 'scale S' before 'as')"});
    expectErrors("grad f with x as b\n",
                 {"5:8: error: expected 'wrt' after the kernel, as in 'grad f wrt x as b', but "
                  "found 'with'"});
    expectErrors("grad f wrt x as f\n", {"5:17: error: 'f' is already defined"});
    expectErrors("grad f wrt x saving h as b\nkernel b_fwd(x: fp16[1]) -> (y: fp16[1]) { y = x }\n",
                 {"5:26: error: the forward kernel of 'saving' would be named 'b_fwd', which is "
                  "already defined"});
    expectErrors("weight W: fp16[4, 4] = zeros()\ngrad f wrt W as b\n",
                 {"6:12: error: weight 'W' is not used by kernel 'f'"});
    expectErrors("kernel k(i: int32[1, 4]) -> (o: fp16[1, 4]) { o = cast(i, fp16) }\n"
                 "grad k wrt i as kb\n",
                 {"6:12: error: cannot differentiate with respect to 'i': it is int32[1,4], and "
                  "only float tensors have gradients"});
    expectErrors("for l in 0..2 { grad f wrt x as b }\n",
                 {"5:33: error: a gradient kernel declared in a 'for' needs an index, as in "
                  "'b[l]', so that each iteration declares its own"});
}
