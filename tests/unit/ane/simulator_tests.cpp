// The simulated device reproduces each known ANE trap (so that the backend tests mean something):
// driven directly with a bad plan it gives wrong data or status 0x1d, and its compiler rejects
// what the chip's compiler rejects.
#include "ane_test_support.hpp"

#include <algorithm>

using namespace anec;
using namespace anec::ane::test;
using runtime::Tensor;
using runtime::ane::DeviceError;
using runtime::ane::LoadedProgram;
using runtime::ane::SimulatedDevice;
using runtime::ane::SurfaceSizes;

namespace {

// Writes inputs[i] at the start of input surface i, evaluates, and returns the first
// outputBytes[i] bytes of output surface i.
std::vector<std::vector<uint8_t>> evaluate(LoadedProgram& program,
                                           const std::vector<const Tensor*>& inputs,
                                           const std::vector<size_t>& outputBytes) {
    std::vector<std::vector<uint8_t>> outputs(outputBytes.size());
    program.evaluate(
        [&](size_t i, std::span<uint8_t> surface) {
            std::fill(surface.begin(), surface.end(), uint8_t{0});
            std::copy(inputs[i]->bytes().begin(), inputs[i]->bytes().end(), surface.begin());
        },
        [&](size_t i, std::span<const uint8_t> surface) {
            outputs[i].assign(surface.begin(),
                              surface.begin() + static_cast<ptrdiff_t>(outputBytes[i]));
        });
    return outputs;
}

const char* const kTwoInputs = R"(
kernel sub2(b: fp16[1, 64, 1, 32], a: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) {
    y = b - a
}
)";

const char* const kTwoOutputs = R"(
kernel two(x: fp16[1, 64, 1, 32]) -> (z: fp16[1, 64, 1, 32], y: fp16[1, 64, 1, 32]) {
    z = x * 2
    y = x + 1
}
)";

bool throwsDeviceError(const std::function<void()>& action, DeviceError::Stage stage,
                       int64_t status = 0) {
    try {
        action();
    } catch (const DeviceError& e) {
        INFO(e.what());
        return e.stage == stage && e.status == status;
    }
    return false;
}

bool compiles(SimulatedDevice& device, const runtime::ane::ProgramSource& source) {
    try {
        device.compileAndLoad(source, SurfaceSizes{{49152}, {49152}});
        return true;
    } catch (const DeviceError& e) {
        INFO(e.what());
        CHECK(e.stage == DeviceError::Stage::Compile);
        // Like the real compiler, the message does not say what is wrong.
        CHECK(std::string(e.what()).starts_with("ANECCompile() FAILED"));
        return false;
    }
}

} // namespace

TEST_CASE("simulator: inputs bind in alphabetical order, not declaration order (rule 1)",
          "[ane][simulator]") {
    auto module = compileText(kTwoInputs, AneTarget::Generic, /*packIo=*/false);
    SimulatedDevice device;
    auto program = device.compileAndLoad(sourceOf(*module, "sub2"), {{49152, 49152}, {49152}});
    Tensor b = passes::test::makeInput({ir::DType::Fp16, {1, 64, 1, 32}}, 1);
    Tensor a = passes::test::makeInput({ir::DType::Fp16, {1, 64, 1, 32}}, 2);
    std::vector<uint8_t> expected =
        bytesOf(passes::test::runKernel(module, "sub2", {{"a", a}, {"b", b}}).at("y"));
    std::vector<uint8_t> swapped =
        bytesOf(passes::test::runKernel(module, "sub2", {{"a", b}, {"b", a}}).at("y"));
    REQUIRE(expected != swapped);
    // Alphabetical binding: surface 0 is a.
    CHECK(evaluate(*program, {&a, &b}, {4096})[0] == expected);
    // Declaration order: b's data lands in a, silently.
    CHECK(evaluate(*program, {&b, &a}, {4096})[0] == swapped);
}

TEST_CASE("simulator: outputs bind in alphabetical order (rule 2)", "[ane][simulator]") {
    auto module = compileText(kTwoOutputs, AneTarget::Generic, /*packIo=*/false);
    SimulatedDevice device;
    auto program = device.compileAndLoad(sourceOf(*module, "two"), {{49152}, {49152, 49152}});
    Tensor x = passes::test::makeInput({ir::DType::Fp16, {1, 64, 1, 32}}, 3);
    auto reference = passes::test::runKernel(module, "two", {{"x", x}});
    auto outputs = evaluate(*program, {&x}, {4096, 4096});
    CHECK(outputs[0] == bytesOf(reference.at("y")));
    CHECK(outputs[1] == bytesOf(reference.at("z")));
    CHECK(outputs[0] != bytesOf(reference.at("z")));
}

TEST_CASE("simulator: unequal or small surfaces fail with status 0x1d (rules 3, 6)",
          "[ane][simulator]") {
    auto module = compileText(kTwoInputs, AneTarget::Generic, /*packIo=*/false);
    runtime::ane::ProgramSource source = sourceOf(*module, "sub2");
    Tensor a = passes::test::makeInput({ir::DType::Fp16, {1, 64, 1, 32}}, 1);
    SimulatedDevice device;
    for (SurfaceSizes sizes :
         {SurfaceSizes{{49152, 98304}, {49152}}, SurfaceSizes{{4096, 4096}, {49152}},
          SurfaceSizes{{49152, 49152}, {4096}}}) {
        auto program = device.compileAndLoad(source, sizes);
        CHECK(throwsDeviceError(
            [&] {
                evaluate(*program, {&a, &a}, {4096});
            },
            DeviceError::Stage::Evaluate, 0x1d));
    }
    auto good = device.compileAndLoad(source, {{49152, 49152}, {49152}});
    CHECK_NOTHROW(evaluate(*good, {&a, &a}, {4096}));
    auto unequal = device.compileAndLoad(source, {{49152, 98304}, {49152}});
    CHECK_THROWS_WITH(evaluate(*unequal, {&a, &a}, {4096}),
                      "ANEProgramProcessRequestDirect() Failed with status=0x1d : statusType=0x9: "
                      "Program Inference error (ANE simulator (generic): input surfaces of 49152, "
                      "98304 bytes)");
    CHECK(throwsDeviceError(
        [&] {
            device.compileAndLoad(source, {{49152}, {49152}});
        },
        DeviceError::Stage::Load));
}

TEST_CASE("simulator: gelu, silu and conv bias fail to compile on every chip (rules 8, 9)",
          "[ane][simulator]") {
    const std::string gelu = "kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) "
                             "{ y = gelu(x) }";
    const std::string silu = "kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) "
                             "{ y = silu(x) }";
    const std::string bias = "weight W: fp16[64, 64] = random(1, 0.1)\n"
                             "weight c: fp16[64] = ones()\n"
                             "kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) "
                             "{ y = linear(x, W, c) }";
    const std::string relu = "kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) "
                             "{ y = relu(x) }";
    for (AneTarget chip : {AneTarget::Generic, AneTarget::M1, AneTarget::M4}) {
        SimulatedDevice device(chip);
        for (const std::string& text : {gelu, silu, bias}) {
            INFO(text);
            CHECK_FALSE(compiles(device, sourceOf(*compileText(text, std::nullopt), "k")));
            // Legalized for the chip, the same kernel compiles.
            CHECK(compiles(device, sourceOf(*compileText(text, chip), "k", chip)));
        }
        CHECK(compiles(device, sourceOf(*compileText(relu, std::nullopt), "k")));
    }
}

TEST_CASE("simulator: cast and concat fail where the chip rejects them (rule 7)",
          "[ane][simulator]") {
    const std::string cast = "kernel k(x: fp32[1, 64, 1, 32]) -> (y: fp32[1, 64, 1, 32]) "
                             "{ y = x * 2 }";
    const std::string concat = "kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 128, 1, 32]) "
                               "{ y = concat([x, x * 2], axis = 1) }";
    auto castSource = sourceOf(*compileText(cast, std::nullopt), "k");
    auto concatSource = sourceOf(*compileText(concat, std::nullopt), "k");
    REQUIRE(castSource.milText.find("cast(") != std::string::npos);
    REQUIRE(concatSource.milText.find("concat(") != std::string::npos);
    for (AneTarget chip : {AneTarget::Generic, AneTarget::M1, AneTarget::M2, AneTarget::M3,
                           AneTarget::M4, AneTarget::M5}) {
        INFO(passes::aneTargetName(chip));
        SimulatedDevice device(chip);
        passes::AneTargetRules rules = passes::aneTargetRules(chip);
        auto emitted = [&](const std::string& text) {
            auto source = sourceOf(*compileText(text, std::nullopt), "k", chip);
            return source;
        };
        CHECK(compiles(device, emitted(cast)) == rules.castInProgram);
        CHECK(compiles(device, emitted(concat)) == rules.concat);
    }
}

TEST_CASE("simulator: conv with runtime weights or 32000 input channels fails (rules 11, 12)",
          "[ane][simulator]") {
    auto module = compileText("weight W: fp16[64, 64] = random(1, 0.1)\n"
                              "kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) "
                              "{ y = linear(x, W) }",
                              AneTarget::Generic);
    runtime::ane::ProgramSource source = sourceOf(*module, "k");
    SimulatedDevice device;
    CHECK(compiles(device, source));
    // The same conv with its weight passed as an input instead of a constant.
    std::string& mil = source.milText;
    size_t constLine = mil.find("tensor<fp16, [64, 64, 1, 1]>");
    REQUIRE(constLine != std::string::npos);
    std::string name = mil.substr(constLine + 29, mil.find(' ', constLine + 29) - constLine - 29);
    mil.erase(mil.rfind('\n', constLine) + 1,
              mil.find('\n', constLine) - mil.rfind('\n', constLine));
    mil.replace(mil.find("> x)"), 4, "> x, tensor<fp16, [64, 64, 1, 1]> " + name + ")");
    source.weights.clear();
    INFO(mil);
    CHECK_FALSE(compiles(device, source));

    auto wide = compileText("weight W: fp16[16, 32000] = random(1, 0.01)\n"
                            "kernel k(x: fp16[1, 32000, 1, 1]) -> (y: fp16[1, 16, 1, 1]) "
                            "{ y = linear(x, W) }",
                            AneTarget::Generic);
    CHECK_FALSE(compiles(device, sourceOf(*wide, "k")));
}

TEST_CASE("simulator: the M5 needs program(1.5) and 128-byte blob alignment (rule 16)",
          "[ane][simulator]") {
    auto module = compileText("weight W: fp16[64, 64] = random(1, 0.1)\n"
                              "kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) "
                              "{ y = linear(x, W) }",
                              AneTarget::M5);
    SimulatedDevice m5(AneTarget::M5), m4(AneTarget::M4);
    CHECK(compiles(m5, sourceOf(*module, "k", AneTarget::M5)));
    CHECK_FALSE(compiles(m5, sourceOf(*module, "k", AneTarget::M4)));
    CHECK(compiles(m4, sourceOf(*module, "k", AneTarget::M4)));
}

TEST_CASE("simulator: the compiler fails from the 120th compile on (rule 15)", "[ane][simulator]") {
    auto module = compileText("kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) "
                              "{ y = x * 3 }",
                              AneTarget::Generic);
    auto source = sourceOf(*module, "k");
    SimulatedDevice device;
    for (int i = 0; i < 119; ++i)
        REQUIRE(compiles(device, source));
    CHECK(device.compiles() == 119);
    CHECK_FALSE(compiles(device, source));
    CHECK(device.compiles() == 120);
}

TEST_CASE("simulator: scaled_dot_product_attention ignores its mask (rule 10)",
          "[ane][simulator]") {
    const std::string text = R"(
kernel att(q: fp16[1, 2, 64, 32], k: fp16[1, 2, 64, 32], v: fp16[1, 2, 64, 32],
           mask: fp16[1, 1, 64, 64]) -> (y: fp16[1, 2, 64, 32]) {
    y = scaled_dot_product_attention(q, k, v, mask)
}
kernel nomask(q: fp16[1, 2, 64, 32], k: fp16[1, 2, 64, 32], v: fp16[1, 2, 64, 32])
    -> (y: fp16[1, 2, 64, 32]) {
    y = scaled_dot_product_attention(q, k, v)
}
)";
    auto module = compileText(text, std::nullopt, /*packIo=*/false);
    ir::TensorType qkv{ir::DType::Fp16, {1, 2, 64, 32}};
    Tensor q = passes::test::makeInput(qkv, 1), k = passes::test::makeInput(qkv, 2),
           v = passes::test::makeInput(qkv, 3);
    Tensor mask = passes::test::makeInput({ir::DType::Fp16, {1, 1, 64, 64}}, 4);
    auto masked =
        passes::test::runKernel(module, "att", {{"q", q}, {"k", k}, {"v", v}, {"mask", mask}});
    auto unmasked = passes::test::runKernel(module, "nomask", {{"q", q}, {"k", k}, {"v", v}});
    REQUIRE(bytesOf(masked.at("y")) != bytesOf(unmasked.at("y")));

    SimulatedDevice device(AneTarget::M4);
    // Inputs bound alphabetically: k, mask, q, v.
    auto program = device.compileAndLoad(sourceOf(*module, "att", AneTarget::M4),
                                         {{49152, 49152, 49152, 49152}, {49152}});
    auto outputs = evaluate(*program, {&k, &mask, &q, &v}, {8192});
    CHECK(outputs[0] == bytesOf(unmasked.at("y")));
}
