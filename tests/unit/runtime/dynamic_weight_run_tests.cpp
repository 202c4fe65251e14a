// Dynamic weights at run time (runtime/core/dynamic_weights.hpp): the initial value is used when
// the caller omits the weight, a given value is used for that call, setDynamicWeight replaces
// the current value without preparing again, and the results equal a fresh compile with the
// weight as a constant.
#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

#include "runtime/core/backend.hpp"
#include "runtime/core/dynamic_weights.hpp"
#include "support/npy.hpp"
#include "unit/runtime/runtime_test_support.hpp"

namespace {

using anec::test::compileModule;
using anec::test::makeTensor;
using anec::test::toDoubles;
using anec::test::viewOf;
namespace ir = anec::ir;
namespace runtime = anec::runtime;

// Inputs on a grid exact in fp16.
std::vector<double> grid(size_t n, int seed) {
    std::vector<double> values(n);
    for (size_t i = 0; i < n; ++i)
        values[i] = static_cast<double>((static_cast<int>(i) * 37 + seed * 11) % 64 - 32) / 32.0;
    return values;
}

const ir::TensorType kX{ir::DType::Fp16, {1, 16, 1, 8}};
const ir::TensorType kW{ir::DType::Fp16, {24, 16}};

// y = linear(x, W) with W `decl` (a dynamic or constant weight declaration).
std::string linearSource(const std::string& decl, const std::string& use = "linear(x, W)") {
    return decl + "\nkernel k(x: fp16[1, 16, 1, 8]) -> (y: fp16[1, 24, 1, 8]) {\n    y = " + use +
           "\n}\n";
}

std::vector<uint8_t> bytesOf(const runtime::Tensor& tensor) {
    return {tensor.bytes().begin(), tensor.bytes().end()};
}

runtime::Tensor runWith(runtime::Executable& exec,
                        std::map<std::string, runtime::TensorView> inputs) {
    return exec.run(inputs).at("y");
}

// A temporary .npy file holding `tensor` (fp16).
struct NpyFile {
    std::filesystem::path path;
    explicit NpyFile(const runtime::Tensor& tensor) {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() / ("anec-dynw-" + std::to_string(::getpid()) +
                                                         "-" + std::to_string(counter++) + ".npy");
        anec::npy::Array array{anec::npy::DType::Float16, tensor.type().shape, bytesOf(tensor)};
        REQUIRE(anec::npy::write(path.string(), array));
    }
    ~NpyFile() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
};

} // namespace

TEST_CASE("dynamic weights: linear with a dynamic W equals linear with the constant W",
          "[dynamic][runtime]") {
    auto dynamic = compileModule(
        linearSource("dynamic weight W: fp16[24, 16] = random(seed = 5, scale = 0.25)"));
    auto constant =
        compileModule(linearSource("weight W: fp16[24, 16] = random(seed = 5, scale = 0.25)"));
    const ir::Kernel& kernel = *dynamic->kernels.at(0);
    REQUIRE(kernel.inputs.size() == 2);
    CHECK(kernel.inputs[1]->name == "W");
    auto backend = runtime::createReferenceBackend();
    auto dynamicExec = backend->prepare(dynamic, "k");
    auto constantExec = backend->prepare(constant, "k");
    runtime::Tensor x = makeTensor(kX, grid(128, 1));
    runtime::Tensor fromDynamic = runWith(*dynamicExec, {{"x", viewOf(x)}});
    runtime::Tensor fromConstant = runWith(*constantExec, {{"x", viewOf(x)}});
    // Both accumulate the 16 products in fp32 and round once to fp16.
    CHECK(bytesOf(fromDynamic) == bytesOf(fromConstant));
    CHECK(toDoubles(fromDynamic) != std::vector<double>(192, 0.0));
}

TEST_CASE("dynamic weights: W.T, W * s and reshape(W) run as ops on the input",
          "[dynamic][runtime]") {
    struct Case {
        std::string decl, use;
    };
    for (const Case& c : {
             Case{"weight: fp16[16, 24]", "linear(x, W.T)"},
             Case{"weight: fp16[24, 16]", "linear(x, W * 0.5)"},
             Case{"weight: fp16[24, 2, 8]", "linear(x, reshape(W, [24, 16]))"},
         }) {
        INFO(c.use);
        std::string type = c.decl.substr(8);
        std::string init = " = random(seed = 9, scale = 0.5)";
        auto dynamic = compileModule(linearSource("dynamic weight W: " + type + init, c.use));
        auto constant = compileModule(linearSource("weight W: " + type + init, c.use));
        auto backend = runtime::createReferenceBackend();
        runtime::Tensor x = makeTensor(kX, grid(128, 2));
        runtime::Tensor a = runWith(*backend->prepare(dynamic, "k"), {{"x", viewOf(x)}});
        runtime::Tensor b = runWith(*backend->prepare(constant, "k"), {{"x", viewOf(x)}});
        CHECK(bytesOf(a) == bytesOf(b));
        // Nothing was folded into a constant: the weight is still the kernel's input.
        const ir::Kernel& kernel = *dynamic->kernels.at(0);
        REQUIRE(kernel.dynamicWeights.size() == 1);
        CHECK(kernel.inputs.back()->name == "W");
        CHECK(kernel.useCount(kernel.inputs.back().get()) > 0);
    }
}

TEST_CASE("dynamic weights: omitted, given and set values", "[dynamic][runtime]") {
    auto module = compileModule(linearSource("dynamic weight W: fp16[24, 16] = ones()"));
    auto backend = runtime::createReferenceBackend();
    std::unique_ptr<runtime::Executable> exec = backend->prepare(module, "k");
    const runtime::Executable* prepared = exec.get();
    // inputs() still lists the weight; dynamicWeights() names it.
    REQUIRE(exec->inputs().size() == 2);
    CHECK(exec->inputs()[1].name == "W");
    REQUIRE(exec->dynamicWeights().size() == 1);
    CHECK(exec->dynamicWeights()[0].type == kW);

    runtime::Tensor x = makeTensor(kX, std::vector<double>(128, 0.25));
    // Omitted: the initial value, ones -> every output is 16 * 0.25.
    CHECK(toDoubles(runWith(*exec, {{"x", viewOf(x)}})) == std::vector<double>(192, 4.0));
    // Given: used for this call only.
    runtime::Tensor twos = makeTensor(kW, std::vector<double>(384, 2.0));
    CHECK(toDoubles(runWith(*exec, {{"x", viewOf(x)}, {"W", viewOf(twos)}})) ==
          std::vector<double>(192, 8.0));
    CHECK(toDoubles(runWith(*exec, {{"x", viewOf(x)}})) == std::vector<double>(192, 4.0));
    // Set: the current value from now on, in the same executable.
    runtime::Tensor halves = makeTensor(kW, std::vector<double>(384, 0.5));
    exec->setDynamicWeight("W", viewOf(halves));
    CHECK(toDoubles(runWith(*exec, {{"x", viewOf(x)}})) == std::vector<double>(192, 2.0));
    CHECK(exec.get() == prepared);

    SECTION("errors") {
        runtime::Tensor wrong = makeTensor({ir::DType::Fp16, {16, 24}}, std::vector<double>(384));
        CHECK_THROWS_WITH(exec->setDynamicWeight("W", viewOf(wrong)),
                          "dynamic weight 'W' of kernel 'k' is fp16[24,16], got a value of type "
                          "fp16[16,24]");
        CHECK_THROWS_WITH(exec->setDynamicWeight("V", viewOf(halves)),
                          "kernel 'k' has no dynamic weight 'V' (its dynamic weights: 'W')");
        runtime::TensorView truncated{kW, viewOf(halves).bytes.subspan(2)};
        CHECK_THROWS_WITH(exec->setDynamicWeight("W", truncated),
                          "dynamic weight 'W' (fp16[24,16]) needs 768 bytes, got 766");
        // A given value is still checked like any input.
        CHECK_THROWS_WITH(runWith(*exec, {{"x", viewOf(x)}, {"W", viewOf(wrong)}}),
                          Catch::Contains("input 'W' has type fp16[16,24]"));
    }
}

TEST_CASE("dynamic weights: a kernel without them refuses setDynamicWeight", "[dynamic][runtime]") {
    auto module = compileModule(linearSource("weight W: fp16[24, 16] = ones()"));
    auto exec = runtime::createReferenceBackend()->prepare(module, "k");
    CHECK(exec->dynamicWeights().empty());
    runtime::Tensor w = makeTensor(kW, std::vector<double>(384, 1.0));
    CHECK_THROWS_WITH(exec->setDynamicWeight("W", viewOf(w)), "kernel has no dynamic weight 'W'");
}

TEST_CASE("dynamic weights: a training loop sets weights without recompiling and matches a "
          "fresh compile with the weight as a constant",
          "[dynamic][runtime]") {
    const std::string ffn = R"(
const D = 16
const H = 32
dynamic weight W1: fp16[H, D] = random(seed = 1, scale = 0.25)
dynamic weight W2: fp16[D, H] = random(seed = 2, scale = 0.25)
kernel ffn(x: fp32[1, D, 1, 8]) -> (y: fp32[1, D, 1, 8]) {
    y = x + linear(silu(linear(x, W1)), W2)
}
)";
    auto module = compileModule(ffn, "ffn.ane");
    auto backend = runtime::createReferenceBackend();
    std::unique_ptr<runtime::Executable> exec = backend->prepare(module, "ffn");
    const runtime::Executable* prepared = exec.get();
    runtime::Tensor x = makeTensor({ir::DType::Fp32, {1, 16, 1, 8}}, grid(128, 3));

    runtime::Tensor before = exec->run({{"x", viewOf(x)}}).at("y");
    std::vector<runtime::Tensor> steps;
    runtime::Tensor w1 = makeTensor({ir::DType::Fp16, {32, 16}}, grid(512, 4));
    for (int step = 0; step < 3; ++step) {
        // An "update": scale the weight (a stand-in for a gradient step).
        std::vector<double> values = toDoubles(w1);
        for (double& v : values)
            v *= 0.5;
        w1 = makeTensor(w1.type(), values);
        exec->setDynamicWeight("W1", viewOf(w1));
        steps.push_back(exec->run({{"x", viewOf(x)}}).at("y"));
    }
    CHECK(exec.get() == prepared); // the same prepared executable ran every step
    CHECK(bytesOf(steps.back()) != bytesOf(before));

    // A fresh compile with the last W1 as a constant (and W2 unchanged) gives the same bits.
    NpyFile file(w1);
    std::string constant = ffn;
    constant.replace(
        constant.find("dynamic weight W1: fp16[H, D] = random(seed = 1, scale = 0.25)"),
        std::string("dynamic weight W1: fp16[H, D] = random(seed = 1, scale = 0.25)").size(),
        "weight W1: fp16[H, D] = npy(\"" + file.path.string() + "\")");
    auto fresh = compileModule(constant, "fresh.ane");
    REQUIRE(fresh->kernels.at(0)->dynamicWeights.size() == 1); // W2 only
    runtime::Tensor expected = backend->prepare(fresh, "ffn")->run({{"x", viewOf(x)}}).at("y");
    CHECK(bytesOf(steps.back()) == bytesOf(expected));
}

TEST_CASE("dynamic weights: pack-io may pack a rank-4 dynamic weight; the interface keeps it",
          "[dynamic][runtime][packio]") {
    auto module = compileModule(R"(
dynamic weight G: fp16[1, 4, 1, 8] = ones()
kernel k(x: fp16[1, 4, 1, 8]) -> (y: fp16[1, 4, 1, 8]) {
    y = x * G
}
)");
    const ir::Kernel& kernel = *module->kernels.at(0);
    REQUIRE(kernel.packing.size() == 1); // x and G travel in one tensor
    CHECK(kernel.inputs.size() == 1);
    std::vector<ir::InterfaceTensor> interface = ir::interfaceInputs(kernel);
    REQUIRE(interface.size() == 2);
    CHECK(interface[1].name == "G");

    auto exec = runtime::createReferenceBackend()->prepare(module, "k");
    runtime::Tensor x = makeTensor({ir::DType::Fp16, {1, 4, 1, 8}}, grid(32, 5));
    CHECK(toDoubles(exec->run({{"x", viewOf(x)}}).at("y")) == toDoubles(x));
    runtime::Tensor threes =
        makeTensor({ir::DType::Fp16, {1, 4, 1, 8}}, std::vector<double>(32, 3));
    exec->setDynamicWeight("G", viewOf(threes));
    std::vector<double> tripled = toDoubles(x);
    for (double& v : tripled)
        v *= 3;
    CHECK(toDoubles(exec->run({{"x", viewOf(x)}}).at("y")) == tripled);
}
