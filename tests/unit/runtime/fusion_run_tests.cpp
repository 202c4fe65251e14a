// Multi-kernel fusion is exact: running a fused program on the reference backend gives what
// running its kernels one after another gives, at -O0 and -O1.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <random>

#include "runtime_test_support.hpp"

using namespace anec;
using namespace anec::test;

namespace {
std::shared_ptr<const ir::Module> compileFile(const std::filesystem::path& path, int optLevel) {
    driver::CompileOptions options;
    options.optLevel = optLevel;
    auto compilation = std::make_shared<driver::Compilation>(options);
    REQUIRE(compilation->loadFile(path));
    if (!compilation->optimize()) {
        std::string messages;
        for (const Diagnostic& d : compilation->diagnostics().diagnostics())
            messages += DiagnosticEngine::brief(d) + "\n";
        FAIL("compilation failed:\n" << messages);
    }
    return std::shared_ptr<const ir::Module>(compilation, compilation->module());
}

runtime::Tensor randomTensor(const ir::TensorType& type, uint32_t seed) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<double> uniform(-2.0, 2.0);
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    for (double& v : values)
        v = uniform(generator);
    return makeTensor(type, values);
}

// The largest |a - b| over two equally shaped tensors.
double maxDifference(const runtime::Tensor& a, const runtime::Tensor& b) {
    REQUIRE(a.type() == b.type());
    std::vector<double> x = toDoubles(a), y = toDoubles(b);
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i)
        worst = std::max(worst, std::fabs(x[i] - y[i]));
    return worst;
}

// up then down, and ffn, on the same x.
void checkFusedFfn(int optLevel, double tolerance) {
    auto module = compileFile(std::filesystem::path(ANEC_SOURCE_DIR) / "examples" / "fused_ffn.ane",
                              optLevel);
    auto backend = runtime::createReferenceBackend();
    auto up = backend->prepare(module, "up");
    auto down = backend->prepare(module, "down");
    auto ffn = backend->prepare(module, "ffn");
    // The fused program's interface: x in, y out; h stays inside.
    REQUIRE(ffn->inputs().size() == 1);
    CHECK(ffn->inputs()[0].name == "x");
    REQUIRE(ffn->outputs().size() == 1);
    CHECK(ffn->outputs()[0].name == "y");

    for (uint32_t seed : {1u, 2u, 3u}) {
        runtime::Tensor x = randomTensor(ffn->inputs()[0].type, seed);
        auto h = up->run({{"x", viewOf(x)}});
        auto y = down->run({{"h", viewOf(h.at("h"))}, {"x", viewOf(x)}});
        auto fused = ffn->run({{"x", viewOf(x)}});
        REQUIRE(fused.size() == 1);
        double difference = maxDifference(fused.at("y"), y.at("y"));
        INFO("-O" << optLevel << " seed " << seed);
        CHECK(difference <= tolerance);
        CHECK(std::isfinite(difference));
    }
}
} // namespace

TEST_CASE("fused program equals its kernels run in sequence at -O0 (bit-exact)",
          "[runtime][fuse]") {
    // The same ops in the same order on the same fp16 values.
    checkFusedFfn(0, 0.0);
}

TEST_CASE("fused program equals its kernels run in sequence at -O1", "[runtime][fuse]") {
    // Passes may rewrite the fused program differently from the separate kernels.
    checkFusedFfn(1, 2e-2);
}

TEST_CASE("a fused chain of three kernels with fp32 interfaces runs like its kernels",
          "[runtime][fuse]") {
    auto module = compileModule(R"(
weight W: fp16[8, 8] = random(seed = 5, scale = 0.3)
kernel a(x: fp32[1, 8, 1, 4]) -> (p: fp32[1, 8, 1, 4], q: fp16[1, 8, 1, 4]) {
    p = tanh(linear(x, W))
    q = sigmoid(x)
}
kernel b(p: fp32[1, 8, 1, 4]) -> (r: fp16[1, 8, 1, 4]) { r = relu(p) * 3 }
kernel c(q: fp16[1, 8, 1, 4], r: fp16[1, 8, 1, 4], x: fp32[1, 8, 1, 4]) -> (y: fp32[1, 8, 1, 4]) {
    y = q + r - cast(x, fp16)
}
fuse a, b, c as abc
)");
    auto backend = runtime::createReferenceBackend();
    auto a = backend->prepare(module, "a");
    auto b = backend->prepare(module, "b");
    auto c = backend->prepare(module, "c");
    auto abc = backend->prepare(module, "abc");
    REQUIRE(abc->inputs().size() == 1);
    REQUIRE(abc->outputs().size() == 1);
    runtime::Tensor x = randomTensor(abc->inputs()[0].type, 7);
    auto pq = a->run({{"x", viewOf(x)}});
    auto r = b->run({{"p", viewOf(pq.at("p"))}});
    auto y = c->run({{"q", viewOf(pq.at("q"))}, {"r", viewOf(r.at("r"))}, {"x", viewOf(x)}});
    auto fused = abc->run({{"x", viewOf(x)}});
    CHECK(maxDifference(fused.at("y"), y.at("y")) <= 1e-2);
}
