// Whole models in the language: loops over layers (weight and kernel arrays), loops in kernel
// bodies with `var`, kernel calls, functions with several results and defaults, asserts,
// `x.shape[i]`, npy paths with constants, fuse ranges and `keep`. Each feature is checked by what
// it builds (and, for the loops, by running the result against the same model written out by
// hand); each of its diagnostics by its message and position.
#include <catch2/catch.hpp>

#include "sema_test_support.hpp"
#include "support/npy.hpp"
#include "unit/passes/pass_test_support.hpp"
#include "unit/temp_dir.hpp"

using anec::test::AneCompile;
using anec::test::kernelSource;
using Errors = std::vector<std::string>;
namespace pt = anec::passes::test;

namespace {
void expectErrors(const std::string& source, const Errors& expected,
                  anec::frontend::Options options = {}) {
    AneCompile c(source, std::move(options));
    INFO(c.allDiagnostics());
    CHECK_FALSE(c.module);
    CHECK(c.errors() == expected);
}

// Every diagnostic, errors and notes, in order.
void expectDiagnostics(const std::string& source, const Errors& expected) {
    AneCompile c(source);
    INFO(c.allDiagnostics());
    CHECK_FALSE(c.module);
    Errors all;
    for (const anec::Diagnostic& d : c.diagnostics.diagnostics())
        all.push_back(anec::DiagnosticEngine::brief(d));
    CHECK(all == expected);
}

std::vector<std::string> kernelNames(const AneCompile& c) {
    std::vector<std::string> names;
    for (const auto& kernel : c.module->kernels)
        names.push_back(kernel->name);
    return names;
}

// The same three-layer model, with a loop and written out by hand.
const char* kLoopModel = R"(const LAYERS = 3
const DIM = 16
for l in 0..LAYERS {
    weight W[l]: fp16[DIM, DIM] = random(seed = l + 1, scale = 0.25)
}
kernel stack(x: fp32[1, DIM, 1, 4]) -> (y: fp32[1, DIM, 1, 4]) {
    var h = x
    for l in 0..LAYERS {
        h = h + relu(linear(h, W[l]))
    }
    y = h
}
)";
const char* kUnrolledModel = R"(const DIM = 16
weight W0: fp16[DIM, DIM] = random(seed = 1, scale = 0.25)
weight W1: fp16[DIM, DIM] = random(seed = 2, scale = 0.25)
weight W2: fp16[DIM, DIM] = random(seed = 3, scale = 0.25)
kernel stack(x: fp32[1, DIM, 1, 4]) -> (y: fp32[1, DIM, 1, 4]) {
    let h0 = x + relu(linear(x, W0))
    let h1 = h0 + relu(linear(h0, W1))
    y = h1 + relu(linear(h1, W2))
}
)";

anec::runtime::Tensor runStack(const std::string& source) {
    auto module = pt::compileAne(source);
    anec::ir::TensorType type{anec::ir::DType::Fp32, {1, 16, 1, 4}};
    return pt::runKernel(module, "stack", {{"x", pt::makeInput(type, 7)}}).at("y");
}
} // namespace

TEST_CASE("a loop over layers computes what the unrolled model computes, bit for bit",
          "[language]") {
    anec::runtime::Tensor looped = runStack(kLoopModel);
    anec::runtime::Tensor unrolled = runStack(kUnrolledModel);
    REQUIRE(looped.type() == unrolled.type());
    CHECK(std::equal(looped.bytes().begin(), looped.bytes().end(), unrolled.bytes().begin()));
    // Changing one weight's seed changes the result: the loop really reads W[l] per layer.
    std::string other = kLoopModel;
    other.replace(other.find("seed = l + 1"), 12, "seed = l + 2");
    anec::runtime::Tensor shifted = runStack(other);
    CHECK_FALSE(std::equal(shifted.bytes().begin(), shifted.bytes().end(), looped.bytes().begin()));
}

TEST_CASE("for at the top level declares arrays of weights and kernels", "[language]") {
    AneCompile c(R"(const L = 2
for l in 0..L {
    weight W[l]: fp16[4, 4] = random(seed = 10 * l, scale = 0.5)
    kernel layer[l](x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
        y = linear(x, W[l]) * (l + 1)
    }
}
kernel both(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = layer[1](layer[0](x))
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(kernelNames(c) == std::vector<std::string>{"layer_0", "layer_1", "both"});
    // The weights are named by element; each layer holds its own.
    auto convs = c.opsOf("conv", 2);
    REQUIRE(convs.size() == 2);
    auto consts = c.opsOf("const", 0);
    bool hasW0 = false;
    for (const anec::ir::Op* op : consts)
        hasW0 = hasW0 || (op->constData && op->constData->blobName == "W_0");
    CHECK(hasW0);
}

TEST_CASE("a kernel called from a kernel is inlined; its fp32 ports take fp16 values",
          "[language]") {
    AneCompile c(
        R"(kernel inner(x: fp32[1, 4, 1, 2]) -> (a: fp32[1, 4, 1, 2], b: fp32[1, 4, 1, 2]) {
    a = x * 2
    b = x + 1
}
kernel outer(x: fp32[1, 4, 1, 2]) -> (y: fp32[1, 4, 1, 2]) {
    let (p, q) = inner(x)
    y = p - q
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    // One entry cast, mul, add, sub, one exit cast: no casts between the two kernels' bodies.
    CHECK(c.opKinds(1) ==
          std::vector<std::string>{"cast", "const", "mul", "const", "add", "sub", "cast"});
}

TEST_CASE("functions return several values and have defaults", "[language]") {
    AneCompile c(R"(fn split2(x, scale = 2) -> (lo: fp16[1, 2, 1, 2], hi) {
    return x[:, 0:2] * scale, x[:, 2:4]
}
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 2, 1, 2]) {
    let (a, b) = split2(x)
    let (c, d) = split2(x, scale = 3)
    y = a + b + c + d
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    auto muls = c.opsOf("mul");
    REQUIRE(muls.size() == 2);
}

TEST_CASE("loops in kernel bodies unroll; var carries values; shape queries", "[language]") {
    AneCompile c(R"(kernel k(x: fp16[1, 8, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    let half = x.shape[1] / 2
    assert x.shape[-3] % 2 == 0, "halving needs an even channel count"
    var h = x[:, 0:half] + x[:, half:]
    var n = 0
    for i in 0..3 {
        h = h + h * i
        n = n + 1
    }
    y = h * n
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(c.opsOf("add").size() == 4);
    auto muls = c.opsOf("mul");
    REQUIRE(muls.size() == 4);
    // n counted the iterations: the last multiplication is by the constant 3.
    const anec::ir::Value* factor = muls.back()->operands.at(1);
    REQUIRE(factor->definingOp->constData);
    CHECK(factor->definingOp->constData->at(0) == 3.0);
}

TEST_CASE("fuse takes elements of kernel arrays, per layer, and keeps intermediates",
          "[language][fuse]") {
    AneCompile c(R"(for l in 0..2 {
    kernel attn[l](x: fp16[1, 4, 1, 2]) -> (h: fp16[1, 4, 1, 2]) {
        h = x * (l + 2)
    }
    kernel ffn[l](h: fp16[1, 4, 1, 2]) -> (z: fp16[1, 4, 1, 2]) {
        z = h - 1
    }
    fuse attn[l], ffn[l] as block[l] keep (h)
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    for (const char* name : {"block_0", "block_1"}) {
        const anec::ir::Kernel* block = c.module->findKernel(name);
        REQUIRE(block);
        REQUIRE(block->outputs.size() == 2);
        CHECK(block->outputs[0].name == "h");
        CHECK(block->outputs[1].name == "z");
    }
}

TEST_CASE("npy paths use constants and loop variables", "[language]") {
    anec::test::TempDir dir;
    for (int l = 0; l < 2; ++l) {
        anec::npy::Array array;
        array.dtype = anec::npy::DType::Float32;
        array.shape = {4};
        array.data.assign(16, 0);
        std::vector<float> values(4, static_cast<float>(l + 1));
        std::memcpy(array.data.data(), values.data(), 16);
        REQUIRE(anec::npy::write((dir / ("w_4_" + std::to_string(l) + ".npy")).string(), array));
    }
    std::string source = R"(const N = 4
for l in 0..2 {
    weight W[l]: fp16[N] = npy("w_{N}_{l}.npy")
}
kernel k(x: fp16[4]) -> (y: fp16[4]) {
    y = x * W[0] + W[1]
}
)";
    AneCompile c(source, {}, (dir / "model.ane").string());
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    auto consts = c.opsOf("const");
    REQUIRE(consts.size() == 2);
    CHECK(consts[1]->constData->at(0) == 2.0);
}

TEST_CASE("asserts hold or fail at compile time, with the loop iteration", "[language][diag]") {
    expectDiagnostics("const DIM = 60\nconst HEADS = 8\n"
                      "assert DIM % HEADS == 0, \"DIM must be a multiple of HEADS\"\n",
                      {"3:1: error: assertion failed: DIM must be a multiple of HEADS"});
    expectDiagnostics("assert 1 > 2\n", {"1:1: error: assertion failed"});
    expectDiagnostics(
        "for l in 0..4 {\n    assert l < 3 and not (l == 7)\n}\n",
        {"2:5: error: assertion failed", "1:5: note: in the iteration l = 3 of this loop"});
    expectErrors("assert 3\n", {"1:8: error: expected a condition, such as 'DIM % HEADS == 0'"});
    expectErrors(kernelSource("fp16[1, 3, 1, 2]", "fp16[1, 3, 1, 2]",
                              "    assert x.shape[1] % 2 == 0, \"even channels\"\n    y = x"),
                 {"3:5: error: assertion failed: even channels"});
}

TEST_CASE("diag: loops", "[language][diag]") {
    expectErrors("for l in 0..100000 {\n}\n",
                 {"1:5: error: this loop has 100000 iterations; the limit is 65536"});
    expectErrors("const l = 1\nfor l in 0..2 {\n}\n", {"2:5: error: 'l' is already defined"});
    expectErrors("for l in 0..2 {\n    weight W: fp16[4] = zeros()\n}\n",
                 {"2:12: error: a weight declared in a 'for' needs an index, as in 'W[l]', so "
                  "that each iteration declares its own"});
    expectErrors("for l in 0..2 {\n    const C = 1\n}\n",
                 {"2:5: error: a constant cannot be declared inside a 'for'; declare it at the "
                  "top level"});
    expectErrors("for l in 0..2 {\n    fn f(x) { return x }\n}\n",
                 {"2:5: error: a function cannot be declared inside a 'for'; declare it at the "
                  "top level"});
    expectErrors("for l in 0..2 {\n    import \"a.ane\"\n}\n",
                 {"2:5: error: 'import' is only allowed at the top level"});
    expectDiagnostics(
        kernelSource("fp16[4]", "fp16[4]",
                     "    var h = x\n    for i in 0..2 {\n        return h\n    }\n    y = h"),
        {"5:9: error: 'return' is only allowed in a function; a kernel assigns its outputs",
         "4:9: note: in the iteration i = 0 of this loop",
         "4:9: note: in the iteration i = 1 of this loop"});
}

TEST_CASE("diag: arrays", "[language][diag]") {
    expectDiagnostics("for l in 0..2 {\n    weight W[0]: fp16[4] = zeros()\n}\n",
                      {"2:12: error: 'W[0]' is already defined",
                       "1:5: note: in the iteration l = 1 of this loop"});
    expectErrors("weight W[-1]: fp16[4] = zeros()\n",
                 {"1:10: error: an element index must not be negative, got -1"});
    expectDiagnostics("weight W[0]: fp16[4] = zeros()\nweight W[0, 1]: fp16[4] = zeros()\n",
                      {"2:8: error: 'W' was declared with 1 indices, here 2",
                       "1:8: note: previous definition is here"});
    expectDiagnostics("weight W[0]: fp16[4] = zeros()\n"
                      "kernel W[1](x: fp16[4]) -> (y: fp16[4]) {\n    y = x\n}\n",
                      {"2:8: error: 'W' is already defined as an array of weights",
                       "1:8: note: previous definition is here"});
    expectDiagnostics("weight W_0: fp16[4] = zeros()\nweight W[0]: fp16[4] = zeros()\n",
                      {"2:8: error: 'W[0]' is named 'W_0' in the build output, which is already "
                       "defined",
                       "1:8: note: previous definition is here"});
    const std::string weights = "weight W[0]: fp16[4] = zeros()\n";
    expectErrors(weights + kernelSource("fp16[4]", "fp16[4]", "    y = x * W[1]"),
                 {"4:14: error: weight array 'W' has no element W[1]"});
    expectErrors(weights + kernelSource("fp16[4]", "fp16[4]", "    y = x * W"),
                 {"4:13: error: 'W' is an array; use one element, as in 'W[0]'"});
    expectErrors(weights + kernelSource("fp16[4]", "fp16[4]", "    y = x * W[0:1]"),
                 {"4:15: error: an element of weight array 'W' is chosen by integers, as in "
                  "'W[l]'"});
    expectErrors("weight M: bool[4] = zeros()\n",
                 {"1:11: error: weight 'M' cannot be bool: weight files have no bool type; "
                  "declare it fp16 and compare, e.g. 'M > 0'"});
}

TEST_CASE("diag: kernel calls", "[language][diag]") {
    const std::string inner = "kernel inner(a: fp16[1, 4, 1, 2]) -> (b: fp16[1, 4, 1, 2]) {\n"
                              "    b = a * 2\n}\n";
    expectDiagnostics(inner +
                          kernelSource("fp16[1, 2, 1, 2]", "fp16[1, 4, 1, 2]", "    y = inner(x)"),
                      {"6:15: error: input 'a' of kernel 'inner' is declared fp16[1,4,1,2] but "
                       "got fp16[1,2,1,2]",
                       "6:9: note: in call to kernel 'inner' from kernel 'k'"});
    expectErrors("kernel k(x: fp16[4]) -> (y: fp16[4]) {\n    y = k(x)\n}\n",
                 {"2:9: error: recursive call to kernel 'k'"});
    expectErrors("for l in 0..2 {\n    kernel s[l](x: fp16[4]) -> (y: fp16[4]) {\n        y = x\n"
                 "    }\n}\n" +
                     kernelSource("fp16[4]", "fp16[4]", "    y = s[2](x)"),
                 {"8:9: error: kernel array 's' has no element s[2]"});
    expectErrors(kernelSource("fp16[4]", "fp16[4]", "    y = t[0](x)"),
                 {"3:9: error: use of undeclared kernel array 't'"});
    expectErrors(inner + kernelSource("fp16[4]", "fp16[4]", "    y = inner"),
                 {"6:9: error: kernel 'inner' cannot be used as a value; call it as inner(...)"});
}

TEST_CASE("diag: var and functions with several results", "[language][diag]") {
    expectErrors(kernelSource("fp16[1, 4, 1, 2]", "fp16[1, 4, 1, 2]",
                              "    var h = x\n    h = h[:, 0:2]\n    y = x"),
                 {"4:5: error: cannot assign fp16[1,2,1,2] to var 'h' of type fp16[1,4,1,2]"});
    expectErrors(kernelSource("fp16[4]", "fp16[4]", "    let h = x\n    h = x * 2\n    y = h"),
                 {"4:5: error: cannot assign to 'h': it is not a var (declare it with 'var h = "
                  "...' to reassign it)"});
    expectErrors("fn f(x) -> (a, b) { return x }\n" +
                     kernelSource("fp16[4]", "fp16[4]", "    let (a, b) = f(x)\n    y = a"),
                 {"1:21: error: function 'f' is declared with 2 results but returns 1"});
    expectErrors("fn f(x) { return x, 2 }\n" +
                     kernelSource("fp16[4]", "fp16[4]", "    let (a, b) = f(x)\n    y = a"),
                 {"1:21: error: each of several results must be a tensor, got a number"});
    expectErrors("fn f(x, y = 1) { return x + y }\n" +
                     kernelSource("fp16[4]", "fp16[4]", "    y = f()"),
                 {"4:9: error: f expects 1 to 2 arguments, got 0"});
}

TEST_CASE("diag: a note per call site of an inlined function", "[language][diag]") {
    expectDiagnostics(R"(fn rope(x) {
    return x + missing
}
fn attention(x) {
    return rope(x)
}
kernel attn_fwd(x: fp16[4]) -> (y: fp16[4]) {
    y = attention(x) + rope(x)
}
)",
                      {"2:16: error: use of undeclared name 'missing'",
                       "5:12: note: in call to 'rope' from function 'attention'",
                       "8:9: note: in call to 'attention' from kernel 'attn_fwd'",
                       "8:24: note: in call to 'rope' from kernel 'attn_fwd'"});
}

TEST_CASE("diag: did you mean", "[language][diag]") {
    expectErrors(kernelSource("fp16[1, 4, 1, 2]", "fp16[1, 4, 1, 2]", "    y = rmsnorm(x, [1])"),
                 {"3:9: error: call to undeclared function 'rmsnorm'; did you mean 'rms_norm'?"});
    expectErrors(kernelSource("fp16[4]", "fp16[4]", "    let value = x\n    y = valeu"),
                 {"4:9: error: use of undeclared name 'valeu'; did you mean 'value'?"});
    expectErrors("const HIDDEN = 4\nkernel k(x: fp16[HIDEN]) -> (y: fp16[4]) {\n    y = x\n}\n",
                 {"2:18: error: use of undeclared name 'HIDEN'; did you mean 'HIDDEN'?"});
    expectErrors(
        kernelSource("fp16[4]", "fp16[4]", "    y = x\n    let (a, b) = spilt(x, parts = 2)"),
        {"4:18: error: call to undeclared function 'spilt'; did you mean 'split'?"});
}

TEST_CASE("diag: an output with an invalid type reports nothing more", "[language][diag]") {
    expectErrors("kernel k(x: fp16[1, 4, 1, 1]) -> (y: fp16[1, 0, 1, 1]) {\n    y = x\n}\n",
                 {"1:46: error: dimension 1 must be positive, got 0"});
}

TEST_CASE("diag: fuse keep and ranges", "[language][fuse][diag]") {
    const std::string kernels = "kernel a(x: fp16[4]) -> (h: fp16[4]) {\n    h = x\n}\n"
                                "kernel b(h: fp16[4]) -> (z: fp16[4]) {\n    z = h\n}\n";
    expectErrors(kernels + "fuse a, b as ab keep (hh)\n",
                 {"7:23: error: 'hh' is not an output of a kernel in fuse 'ab'; did you mean "
                  "'h'?"});
    expectErrors(kernels + "fuse a[0], b as ab\n",
                 {"7:6: error: 'a' is a kernel, not an array of kernels; list it as 'a'"});
}
