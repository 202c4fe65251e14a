// The ANE backend over the simulated device gives the reference backend's outputs bit for bit:
// the surface plan keeps every binding rule, legalization avoids every rejected op.
#include "ane_test_support.hpp"
#include "unit/examples.hpp"

using namespace anec;
using namespace anec::ane::test;
namespace fs = std::filesystem;

namespace {

// Runs every kernel of `module` on the reference backend and on the ANE backend over a simulated
// `chip`, and requires byte-identical outputs. Returns the number of kernels run.
size_t requireSameOutputs(const std::shared_ptr<const ir::Module>& module, AneTarget chip,
                          const std::string& what) {
    SimulatedAne ane(chip);
    size_t kernels = 0;
    for (const auto& kernel : module->kernels) {
        // Random values are no optimizer state (sqrt of a negative moment); tests/unit/train
        // runs the steps on the simulated ANE against the reference.
        if (module->isStepProgram(kernel->name)) continue;
        INFO(what << " kernel " << kernel->name << " on " << ane.device->chipName());
        auto reference = runtime::createReferenceBackend()->prepare(module, kernel->name);
        auto onAne = ane.backend->prepare(module, kernel->name);
        REQUIRE(onAne->inputs().size() == reference->inputs().size());
        auto inputs = inputsFor(*reference, 7);
        auto expected = reference->run(viewsOf(inputs));
        auto actual = onAne->run(viewsOf(inputs));
        REQUIRE(actual.size() == expected.size());
        for (const auto& [name, tensor] : expected) {
            INFO("output " << name);
            REQUIRE(actual.count(name) == 1);
            CHECK(actual.at(name).type() == tensor.type());
            CHECK(bytesOf(actual.at(name)) == bytesOf(tensor));
        }
        ++kernels;
    }
    return kernels;
}

const AneTarget kAllTargets[] = {AneTarget::Generic, AneTarget::M1, AneTarget::M2,
                                 AneTarget::M3,      AneTarget::M4, AneTarget::M5};

} // namespace

TEST_CASE("ane backend: every example, for every target, matches the reference bit for bit",
          "[ane][backend][examples]") {
    size_t kernels = 0;
    for (const anec::test::Example& example : anec::test::examples()) {
        for (AneTarget target : kAllTargets)
            kernels +=
                requireSameOutputs(compileFile(example.path, target, example.defines), target,
                                   example.file() + example.configText() + " --target " +
                                       std::string(passes::aneTargetName(target)));
    }
    CHECK(kernels >= 6 * 8);
}

TEST_CASE("ane backend: inputs and outputs out of alphabetical order and of different sizes",
          "[ane][backend]") {
    // Separate (--no-pack-io) tensors named against the alphabet, of different sizes, fp32 ones
    // needing host conversion on chips without cast.
    const std::string text = R"(
kernel mixed(zeta: fp16[1, 64, 1, 32], alpha: fp32[1, 32, 1, 32], Mid: fp16[1, 64, 1, 512])
    -> (y: fp16[1, 64, 1, 32], b: fp32[1, 32, 1, 32], a: fp16[1, 64, 1, 512]) {
    y = zeta * 2 - reduce_sum(Mid, axes = [3], keep_dims = true)
    b = alpha + 1
    a = Mid * 0.5
}
)";
    for (AneTarget target : kAllTargets) {
        auto module = compileText(text, target, /*packIo=*/false);
        REQUIRE(module->kernels.front()->inputs.size() == 3);
        CHECK(requireSameOutputs(module, target, "mixed") == 1);
    }
}

TEST_CASE("ane backend: a module compiled without a target is legalized by the backend",
          "[ane][backend]") {
    // fp32 I/O (cast, or host conversion on M1/M2/generic), a conv bias and a concat.
    const std::string text = R"(
weight W: fp16[64, 64] = random(3, 0.1)
weight c: fp16[64] = random(4, 0.1)
kernel k(x: fp32[1, 64, 1, 32]) -> (y: fp32[1, 128, 1, 32]) {
    y = concat([linear(x, W, c), x], axis = 1)
}
)";
    auto plain = compileText(text, std::nullopt);
    for (AneTarget chip : kAllTargets) {
        SimulatedAne ane(chip);
        auto executable = ane.backend->prepare(plain, "k");
        auto inputs = inputsFor(*executable, 1);
        // Legalized by the backend: compare with the reference run of the same legalization.
        auto expected = runtime::createReferenceBackend()
                            ->prepare(compileText(text, chip), "k")
                            ->run(viewsOf(inputs));
        CHECK(bytesOf(executable->run(viewsOf(inputs)).at("y")) == bytesOf(expected.at("y")));
        CHECK(executable->inputs().front().type.dtype == ir::DType::Fp32);
    }
}

TEST_CASE("ane backend: a kernel the chip rejects fails with the device text and a hint",
          "[ane][backend]") {
    // Legalized for the M3 (which runs cast) but run on an M1 forced to the M3's rules.
    auto module = compileText("kernel k(x: fp32[1, 64, 1, 32]) -> (y: fp32[1, 64, 1, 32]) "
                              "{ y = x * 2 }",
                              AneTarget::M3);
    SimulatedAne ane(AneTarget::M1, 100, AneTarget::M3);
    CHECK_THROWS_WITH(ane.backend->prepare(module, "k"),
                      "the ANE compile of kernel 'k' failed: ANECCompile() FAILED (Apple M1 "
                      "(simulated))\nhint: the program probably uses an op this chip's ANE "
                      "compiler rejects: build with --target m1 (or, after many compiles in one "
                      "process, the compiler has reached its limit, rule 15)");
}

TEST_CASE("ane backend: the hint never suggests the target the program was built for",
          "[ane][backend]") {
    // One conv over 32000 input channels: ane-legalize only warns (rule 12), the chip rejects it.
    const std::string text = R"(weight W: fp16[8, 32000] = random(seed = 1, scale = 0.01)
kernel k(x: fp16[1, 32000, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {
    y = linear(x, W)
}
)";
    // Built for the chip itself: the hint points at legalization's warnings instead.
    auto hintOn = [&](AneTarget chip) {
        SimulatedAne ane(chip);
        try {
            ane.backend->prepare(compileText(text, chip), "k");
        } catch (const Error& e) {
            std::string message = e.what();
            return message.substr(message.find("\nhint: ") + 1);
        }
        return std::string("(no error)");
    };
    const std::string legalized =
        "hint: the program is legalized for this chip (--target %), so it probably holds "
        "something ane-legalize can only warn about (a cast it cannot remove, a conv with 16384 "
        "or more input channels, ...: see the warnings of `anec build --target %` and "
        "docs/ane-rules.md)";
    const std::string rule15 = " (or, after many compiles in one process, the compiler has "
                               "reached its limit, rule 15)";
    auto named = [](std::string text, const std::string& target) {
        for (size_t at = text.find('%'); at != std::string::npos; at = text.find('%'))
            text.replace(at, 1, target);
        return text;
    };
    CHECK(hintOn(AneTarget::Generic) == named(legalized, "generic") + rule15);
    CHECK(hintOn(AneTarget::M3) == named(legalized, "m3") +
                                       ", or breaks a rule of this chip nobody has reported: try "
                                       "--target generic" +
                                       rule15);
    // Whatever the chip and the target in use, "build with" never names the target in use.
    using runtime::ane::DeviceError;
    for (AneTarget chip : kAllTargets)
        for (AneTarget inUse : kAllTargets) {
            std::string hint =
                runtime::ane::deviceFailure(DeviceError(DeviceError::Stage::Compile, "failed"), "k",
                                            chip, inUse)
                    .what();
            INFO(hint);
            auto suggests = [&](AneTarget target) {
                return hint.find("build with --target " +
                                 std::string(passes::aneTargetName(target)) + " ") !=
                       std::string::npos;
            };
            CHECK_FALSE(suggests(inUse));
            CHECK(suggests(chip) == (chip != inUse));
            CHECK((hint.find("try --target generic") != std::string::npos) ==
                  (chip == inUse && inUse != AneTarget::Generic));
        }
}

TEST_CASE("ane backend: device failures become errors with hints", "[ane][backend]") {
    using runtime::ane::DeviceError;
    Error surfaces =
        runtime::ane::deviceFailure(DeviceError(DeviceError::Stage::Evaluate, "status=0x1d", 0x1d),
                                    "k", AneTarget::M4, AneTarget::M4);
    CHECK(std::string(surfaces.what()) ==
          "the ANE evaluation of kernel 'k' failed: status=0x1d\nhint: status 0x1d is what the "
          "ANE reports for wrong surface sizes or binding order (rules 3-6 of "
          "docs/ane-rules.md)");
    Error load = runtime::ane::deviceFailure(DeviceError(DeviceError::Stage::Load, "no memory"),
                                             "k", AneTarget::M4, AneTarget::M4);
    CHECK(std::string(load.what()) ==
          "loading the program onto the ANE of kernel 'k' failed: no memory");
}

TEST_CASE("ane backend: names and targets", "[ane][backend]") {
    CHECK(SimulatedAne(AneTarget::M2).backend->target() == AneTarget::M2);
    CHECK(SimulatedAne(AneTarget::Generic).backend->target() == AneTarget::Generic);
    CHECK(SimulatedAne(AneTarget::M1, 100, AneTarget::Generic).backend->target() ==
          AneTarget::Generic);
    CHECK(SimulatedAne(AneTarget::M5).backend->name() == "ane-sim");
    CHECK(runtime::ane::SimulatedDevice(AneTarget::M3).chipName() == "Apple M3 (simulated)");
    CHECK(passes::aneTargetForChip(runtime::ane::SimulatedDevice(AneTarget::M5).chipName()) ==
          AneTarget::M5);
}

TEST_CASE("createBackend: ane-sim, options, and the ANE on this platform", "[ane][backend]") {
    using runtime::BackendKind;
    auto sim = runtime::createBackend(BackendKind::AneSimulator, {"m2", 0});
    CHECK(sim->name() == "ane-sim");
    CHECK(dynamic_cast<runtime::ane::AneBackend&>(*sim).target() == AneTarget::M2);
    CHECK(dynamic_cast<runtime::ane::AneBackend&>(*sim).device().chipName() ==
          "Apple M2 (simulated)");
    CHECK(
        dynamic_cast<runtime::ane::AneBackend&>(*runtime::createBackend(BackendKind::AneSimulator))
            .target() == AneTarget::Generic);
    CHECK_THROWS_WITH(runtime::createBackend(BackendKind::AneSimulator, {"m9", 0}),
                      "unknown ANE target 'm9' (expected generic, m1, m2, m3, m4, m5)");
#ifdef __linux__
    CHECK(runtime::createBackend(BackendKind::Auto)->name() == "reference");
    CHECK_THROWS_WITH(runtime::createBackend(BackendKind::Ane),
                      "the ANE backend is not available: it needs macOS on Apple silicon (this "
                      "build is for Linux). Use --backend reference, or --backend ane-sim to "
                      "check a program against the ANE's rules on this machine");
#endif
}
