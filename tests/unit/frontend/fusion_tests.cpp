// `fuse k1, k2 as name`: sema diagnostics (message, line:col, notes) and the fused kernel's IR.
#include <catch2/catch.hpp>

#include <algorithm>

#include "sema_test_support.hpp"

using anec::test::AneCompile;
using Errors = std::vector<std::string>;

namespace {
// Lines 1-6: up(x) -> (h), down(h, x) -> (y), other(z) -> (y); each with an fp16 type.
const char* kKernels = R"(weight W1: fp16[8, 4] = random(seed = 1, scale = 0.5)
weight W2: fp16[4, 8] = random(seed = 2, scale = 0.5)
kernel up(x: fp16[1, 4, 1, 2]) -> (h: fp16[1, 8, 1, 2]) { h = relu(linear(x, W1)) }
kernel down(h: fp16[1, 8, 1, 2], x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = x + linear(h, W2) }
kernel other(z: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) { y = z * 2 }
)";

// Every diagnostic, notes included, in brief form.
Errors allOf(const AneCompile& c) {
    Errors out;
    for (const anec::Diagnostic& d : c.diagnostics.diagnostics())
        out.push_back(anec::DiagnosticEngine::brief(d));
    return out;
}

void expectDiagnostics(const std::string& source, const Errors& expected) {
    AneCompile c(source);
    INFO(c.allDiagnostics());
    CHECK_FALSE(c.module);
    CHECK(allOf(c) == expected);
}

const anec::ir::Kernel* findKernel(const AneCompile& c, const std::string& name) {
    return c.module ? c.module->findKernel(name) : nullptr;
}

std::vector<std::string> kinds(const anec::ir::Kernel& kernel) {
    std::vector<std::string> out;
    for (const auto& op : kernel.ops)
        if (!op->isConst()) out.push_back(op->kind());
    return out;
}
} // namespace

TEST_CASE("fuse: the fused kernel runs the kernels in order with intermediates inside", "[fuse]") {
    AneCompile c(std::string(kKernels) + "fuse up, down as ffn\n");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    // The originals are still kernels of their own; the fused one comes after them.
    REQUIRE(c.module->kernels.size() == 4);
    CHECK(c.module->kernels[3]->name == "ffn");
    const anec::ir::Kernel& ffn = *findKernel(c, "ffn");
    CHECK(ffn.loc.line == 7);
    CHECK(ffn.loc.column == 18);
    // x is an input of both kernels: one shared input. h is fed inside, so it is no input.
    REQUIRE(ffn.inputs.size() == 1);
    CHECK(ffn.inputs[0]->name == "x");
    CHECK(ffn.inputs[0]->type.str() == "fp16[1,4,1,2]");
    // h is consumed by down, so only y leaves the program.
    REQUIRE(ffn.outputs.size() == 1);
    CHECK(ffn.outputs[0].name == "y");
    // (linear's weight reshapes are folded by the passes, after lowering)
    CHECK(kinds(ffn) ==
          std::vector<std::string>{"reshape", "conv", "relu", "reshape", "conv", "add"});
    // down's conv reads up's relu directly, and the add reads the shared input.
    std::vector<const anec::ir::Op*> ops;
    for (const auto& op : ffn.ops)
        if (!op->isConst()) ops.push_back(op.get());
    CHECK(ops[4]->operands[0] == ops[2]->result());
    CHECK(std::count(ops[5]->operands.begin(), ops[5]->operands.end(), ffn.inputs[0].get()) == 1);
    CHECK(ffn.outputs[0].value == ops[5]->result());
    // The originals are unchanged.
    CHECK(kinds(*findKernel(c, "up")) == std::vector<std::string>{"reshape", "conv", "relu"});
    CHECK(findKernel(c, "down")->inputs.size() == 2);
}

TEST_CASE("fuse: unconsumed outputs of earlier kernels and unmatched inputs are kept", "[fuse]") {
    AneCompile c(R"(kernel a(x: fp16[4]) -> (p: fp16[4], q: fp16[4]) { p = x * 2  q = x + 1 }
kernel b(p: fp16[4], r: fp16[4]) -> (s: fp16[4]) { s = p - r }
fuse a, b as ab
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    const anec::ir::Kernel& ab = *findKernel(c, "ab");
    REQUIRE(ab.inputs.size() == 2);
    CHECK(ab.inputs[0]->name == "x");
    CHECK(ab.inputs[1]->name == "r");
    REQUIRE(ab.outputs.size() == 2);
    CHECK(ab.outputs[0].name == "q"); // in the order the kernels produce them
    CHECK(ab.outputs[1].name == "s");
    CHECK(kinds(ab) == std::vector<std::string>{"mul", "add", "sub"});
}

TEST_CASE("fuse: fp32 interfaces connect through the exit and entry casts", "[fuse]") {
    AneCompile c(R"(kernel a(x: fp32[4]) -> (h: fp32[4]) { h = x * 2 }
kernel b(h: fp32[4]) -> (y: fp32[4]) { y = h + 1 }
fuse a, b as ab
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    const anec::ir::Kernel& ab = *findKernel(c, "ab");
    CHECK(kinds(ab) == std::vector<std::string>{"cast", "mul", "cast", "cast", "add", "cast"});
    REQUIRE(ab.inputs.size() == 1);
    REQUIRE(ab.outputs.size() == 1);
    CHECK(ab.outputs[0].value->type.str() == "fp32[4]");
}

TEST_CASE("fuse: three kernels chain, and a later kernel may read any earlier output", "[fuse]") {
    AneCompile c(R"(kernel a(x: fp16[4]) -> (h1: fp16[4]) { h1 = x * 2 }
kernel b(h1: fp16[4]) -> (h2: fp16[4]) { h2 = h1 + 1 }
kernel c(h1: fp16[4], h2: fp16[4]) -> (y: fp16[4]) { y = h1 * h2 }
fuse a, b, c as abc
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    const anec::ir::Kernel& abc = *findKernel(c, "abc");
    REQUIRE(abc.inputs.size() == 1);
    REQUIRE(abc.outputs.size() == 1);
    CHECK(abc.outputs[0].name == "y");
    CHECK(kinds(abc) == std::vector<std::string>{"mul", "add", "mul"});
}

TEST_CASE("fuse diag: unknown kernel, and a name that is not a kernel", "[fuse][diag]") {
    expectDiagnostics(std::string(kKernels) + "fuse up, nope, W1 as ffn\n",
                      {"7:10: error: unknown kernel 'nope'", "7:16: error: 'W1' is not a kernel"});
}

TEST_CASE("fuse diag: a kernel listed twice", "[fuse][diag]") {
    expectDiagnostics(
        std::string(kKernels) + "fuse up, down, up as ffn\n",
        {"7:16: error: kernel 'up' is listed twice in fuse 'ffn'", "7:6: note: first listed here"});
}

TEST_CASE("fuse diag: the fused name collides with another declaration", "[fuse][diag]") {
    expectDiagnostics(
        std::string(kKernels) + "fuse up, down as other\n",
        {"7:18: error: 'other' is already defined", "6:8: note: previous definition is here"});
}

TEST_CASE("fuse diag: fewer than two kernels", "[fuse][diag]") {
    expectDiagnostics(std::string(kKernels) + "fuse up as ffn\n",
                      {"7:12: error: fuse 'ffn' needs at least two kernels, e.g. 'fuse up, down "
                       "as ffn'"});
}

TEST_CASE("fuse diag: an input fed by an output of another type", "[fuse][diag]") {
    expectDiagnostics(R"(kernel a(x: fp16[4]) -> (h: fp16[4]) { h = x * 2 }
kernel b(h: fp16[8]) -> (y: fp16[8]) { y = h + 1 }
fuse a, b as ab
)",
                      {"2:10: error: input 'h' of kernel 'b' is fp16[8] but is fed by output 'h' "
                       "of kernel 'a', which is fp16[4] (in fuse 'ab')",
                       "1:26: note: declared fp16[4] here"});
}

TEST_CASE("fuse diag: inputs of one name but different types", "[fuse][diag]") {
    expectDiagnostics(R"(kernel a(x: fp16[4]) -> (h: fp16[4]) { h = x * 2 }
kernel b(h: fp16[4], x: fp32[4]) -> (y: fp16[4]) { y = h + 1 }
fuse a, b as ab
)",
                      {"2:22: error: input 'x' of kernel 'b' is fp32[4] but shares the fused input "
                       "with input 'x' of kernel 'a', which is fp16[4] (in fuse 'ab')",
                       "1:10: note: declared fp16[4] here"});
}

TEST_CASE("fuse diag: two kernels with an output of one name", "[fuse][diag]") {
    expectDiagnostics(std::string(kKernels) + "fuse down, other as both\n",
                      {"6:39: error: output 'y' of kernel 'other' clashes with output 'y' of "
                       "kernel 'down' in fuse 'both'",
                       "4:59: note: the other output is declared here"});
}

TEST_CASE("fuse diag: a later kernel cannot feed an earlier one", "[fuse][diag]") {
    // Kernels run in the listed order: down's h would have to come from up, which runs later.
    expectDiagnostics(std::string(kKernels) + "fuse down, up as ffn\n",
                      {"3:36: error: output 'h' of kernel 'up' has the name of input 'h' of "
                       "kernel 'down', which runs earlier in fuse 'ffn' (kernels run in the listed "
                       "order)",
                       "4:13: note: the input is declared here"});
}

TEST_CASE("fuse diag: a fused kernel cannot be fused again", "[fuse][diag]") {
    expectDiagnostics(std::string(kKernels) + "fuse up, down as ffn\nfuse ffn, other as all\n",
                      {"8:6: error: 'ffn' is a fused kernel; list the kernels it fuses instead"});
}

TEST_CASE("fuse diag: errors inside a fused kernel are reported once", "[fuse][diag]") {
    AneCompile c(R"(kernel a(x: fp16[4]) -> (h: fp16[4]) { h = x * nope }
kernel b(h: fp16[4]) -> (y: fp16[4]) { y = h + 1 }
fuse a, b as ab
)");
    CHECK_FALSE(c.module);
    CHECK(c.errors() == Errors{"1:48: error: use of undeclared name 'nope'"});
}
