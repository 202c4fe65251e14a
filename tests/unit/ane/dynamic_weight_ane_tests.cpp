// Dynamic weights on the ANE backend (over the simulated device): setting a weight between runs
// never compiles the program again, and the outputs follow the new weight bit for bit.
#include "ane_test_support.hpp"

#include "runtime/ane/compile_budget.hpp"

using namespace anec;
using namespace anec::ane::test;

namespace {

// `tag` makes the program text unique, so that no other test's cached program is reused.
std::string ffnSource(const std::string& tag) {
    return "const TAG = " + tag + R"(
dynamic weight W1: fp16[64, 32] = random(seed = 1, scale = 0.2)
dynamic weight W2: fp16[32, 64] = random(seed = 2, scale = 0.2)
kernel ffn(x: fp32[1, 32, 1, 512]) -> (y: fp32[1, 32, 1, 512]) {
    y = x + linear(relu(linear(x, W1)), W2)
}
)";
}

runtime::Tensor scaled(const runtime::Tensor& tensor, double factor) {
    runtime::Tensor result(tensor.type());
    for (int64_t i = 0; i < tensor.type().numElements(); ++i) {
        size_t at = static_cast<size_t>(i) * ir::dtypeSize(tensor.type().dtype);
        ir::storeElement(tensor.type().dtype, result.bytes().data() + at,
                         ir::loadElement(tensor.type().dtype, tensor.bytes().data() + at) * factor);
    }
    return result;
}

} // namespace

TEST_CASE("ane: setting a dynamic weight does not compile again", "[ane][dynamic]") {
    SimulatedAne ane(AneTarget::Generic);
    auto module = compileText(ffnSource("1"), AneTarget::Generic);
    auto reference = runtime::createReferenceBackend()->prepare(module, "ffn");
    auto onAne = ane.backend->prepare(module, "ffn");
    CHECK(ane.device->compiles() == 1);

    auto x = passes::test::makeInput({ir::DType::Fp32, {1, 32, 1, 512}}, 3);
    runtime::Tensor w1 = passes::test::makeInput({ir::DType::Fp16, {64, 32}}, 4);
    std::vector<uint8_t> first = bytesOf(onAne->run({{"x", {x.type(), x.bytes()}}}).at("y"));
    for (int step = 1; step <= 5; ++step) {
        w1 = scaled(w1, 0.5);
        onAne->setDynamicWeight("W1", {w1.type(), w1.bytes()});
        auto actual = onAne->run({{"x", {x.type(), x.bytes()}}}).at("y");
        auto expected =
            reference->run({{"x", {x.type(), x.bytes()}}, {"W1", {w1.type(), w1.bytes()}}}).at("y");
        CHECK(bytesOf(actual) == bytesOf(expected));
        CHECK(bytesOf(actual) != first);
    }
    CHECK(ane.device->compiles() == 1);
    CHECK(ane.budget.used() == 1);
}

TEST_CASE("ane: createBackend(AneSimulator) charges one compile across setDynamicWeight",
          "[ane][dynamic]") {
    auto module = compileText(ffnSource("2"), AneTarget::Generic);
    auto backend = runtime::createBackend(runtime::BackendKind::AneSimulator);
    runtime::ane::CompileBudget& budget = runtime::ane::processCompileBudget();
    // Other tests lower the process's limit; this one needs room for one compile.
    struct RestoreLimit {
        runtime::ane::CompileBudget& budget;
        size_t limit = budget.limit();
        ~RestoreLimit() { budget.setLimit(limit); }
    } restore{budget};
    budget.setLimit(budget.used() + 10);
    size_t before = budget.used();
    auto executable = backend->prepare(module, "ffn");
    CHECK(budget.used() == before + 1);
    auto x = passes::test::makeInput({ir::DType::Fp32, {1, 32, 1, 512}}, 5);
    runtime::Tensor w2 = passes::test::makeInput({ir::DType::Fp16, {32, 64}}, 6);
    for (int step = 0; step < 10; ++step) {
        w2 = scaled(w2, 0.9);
        executable->setDynamicWeight("W2", {w2.type(), w2.bytes()});
        executable->run({{"x", {x.type(), x.bytes()}}});
    }
    CHECK(budget.used() == before + 1);
}

TEST_CASE("ane: the initial values of dynamic weights are not uploaded with the program",
          "[ane][dynamic]") {
    auto module = compileText(R"(const TAG = 10
weight C: fp16[32, 32] = random(seed = 3, scale = 0.2)
dynamic weight W: fp16[32, 32] = random(seed = 1, scale = 0.2)
kernel k(x: fp16[1, 32, 1, 768]) -> (y: fp16[1, 32, 1, 768]) {
    y = linear(linear(x, C), W)
}
)",
                              AneTarget::Generic);
    SimulatedAne ane(AneTarget::Generic);
    (void)ane.backend->prepare(module, "k");
    // The emitted build also holds weights/W.init.bin; the program never reads it.
    CHECK(ane.device->lastWeightPaths() == std::vector<std::string>{"@model_path/weights/C.bin"});
}
