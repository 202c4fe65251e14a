// The C API's compile options (anec_compile_options: -O, --no-pack-io, --target and -D for
// embedders) against the C++ API's CompileOptions, which they mirror.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "anec/anec.h"
#include "anec/anec.hpp"
#include "unit/driver/test_support.hpp"

namespace {

// -O1 folds the scale into the weights (fuse-conv-scale-shift), which rounds differently in fp16
// than scaling the conv's result; the two inputs of equal spatial size are packed at -O1.
const char* kSource = R"(const S = 16
weight W: fp16[32, 32] = random(seed = 1, scale = 0.125)
kernel k(x: fp32[1, 32, 1, S], b: fp32[1, 32, 1, S]) -> (y: fp32[1, 32, 1, S]) {
    y = linear(x, W) * 3 + b
}
)";

constexpr size_t kElements = 32 * 16;

using Options = std::unique_ptr<anec_compile_options, decltype(&anec_compile_options_free)>;

Options makeOptions() {
    anec_compile_options* options = nullptr;
    REQUIRE(anec_compile_options_create(&options) == ANEC_OK);
    REQUIRE(options != nullptr);
    return Options(options, &anec_compile_options_free);
}

std::vector<float> inputValues(float step) {
    std::vector<float> values(kElements);
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = step * static_cast<float>(static_cast<int>(i % 37) - 18);
    return values;
}

// y of the kernel compiled with `options` through the C API.
std::vector<float> runC(const anec_compile_options* options) {
    anec_program* program = nullptr;
    INFO(anec_last_error());
    REQUIRE(anec_compile_source_with_options(kSource, "k.ane", options, &program) == ANEC_OK);
    std::vector<float> x = inputValues(0.05f), b = inputValues(0.01f), y(kElements);
    anec_input inputs[] = {{"x", ANEC_DTYPE_FLOAT32, x.data(), x.size() * 4},
                           {"b", ANEC_DTYPE_FLOAT32, b.data(), b.size() * 4}};
    anec_output output = {"y", ANEC_DTYPE_FLOAT32, y.data(), y.size() * 4};
    anec_status status = anec_run(program, nullptr, inputs, 2, &output, 1);
    anec_program_free(program);
    REQUIRE(status == ANEC_OK);
    return y;
}

// The same through the C++ API.
std::vector<float> runCpp(const anec::CompileOptions& options) {
    anec::Program program = anec::Program::compile(kSource, options, "k.ane");
    std::vector<float> x = inputValues(0.05f), b = inputValues(0.01f);
    auto outputs = program.run("k", {{"x", anec::TensorView(x, {1, 32, 1, 16})},
                                     {"b", anec::TensorView(b, {1, 32, 1, 16})}});
    return outputs.at("y").toFloats();
}

} // namespace

TEST_CASE("C: compile options choose the pipeline as -O and --no-pack-io do", "[api][c]") {
    Options options = makeOptions();
    std::vector<float> defaults = runC(options.get());
    CHECK(defaults == runC(nullptr));
    CHECK(defaults == runCpp({}));

    for (int level : {0, 1})
        for (int packIo : {0, 1}) {
            INFO("opt level " << level << ", pack_io " << packIo);
            REQUIRE(anec_compile_options_set_pipeline(options.get(), level, packIo) == ANEC_OK);
            anec::CompileOptions cpp;
            cpp.optLevel = level;
            cpp.packIo = packIo != 0;
            CHECK(runC(options.get()) == runCpp(cpp));
        }
    REQUIRE(anec_compile_options_set_pipeline(options.get(), 0, 1) == ANEC_OK);
    CHECK(runC(options.get()) != defaults); // the level reaches the compiler

    CHECK(anec_compile_options_set_pipeline(options.get(), 2, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "opt_level must be 0 or 1, got 2");
    CHECK(anec_compile_options_set_pipeline(nullptr, 1, 1) == ANEC_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("C: compile options set the target and the defines", "[api][c]") {
    Options options = makeOptions();
    REQUIRE(anec_compile_options_set_target(options.get(), "m1") == ANEC_OK);
    REQUIRE(anec_compile_options_set_target(options.get(), nullptr) == ANEC_OK);
    REQUIRE(anec_compile_options_set_target(options.get(), "generic") == ANEC_OK);
    CHECK(runC(options.get()) == [] {
        anec::CompileOptions cpp;
        cpp.target = "generic";
        return runCpp(cpp);
    }());
    CHECK(anec_compile_options_set_target(options.get(), "m9") == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()).find("unknown ANE target 'm9'") != std::string::npos);

    const char* defines[] = {"S=8"};
    REQUIRE(anec_compile_options_set_defines(options.get(), defines, 1) == ANEC_OK);
    const char* bad[] = {"S=eight"};
    CHECK(anec_compile_options_set_defines(options.get(), bad, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(anec_compile_options_set_defines(options.get(), nullptr, 1) ==
          ANEC_ERROR_INVALID_ARGUMENT);

    // The options object is reusable, and anec_load_with_options compiles .ane files with it.
    anec::test::TempDir dir;
    anec::test::writeFile(dir / "k.ane", kSource);
    for (int round = 0; round < 2; ++round) {
        anec_program* program = nullptr;
        INFO(anec_last_error());
        REQUIRE(anec_load_with_options((dir / "k.ane").string().c_str(), options.get(), &program) ==
                ANEC_OK);
        anec_tensor_info info{};
        REQUIRE(anec_input_info(program, 0, 0, &info) == ANEC_OK);
        CHECK(info.shape[3] == 8); // S=8 (the bad defines left the options unchanged)
        anec_program_free(program);
    }
    const char* unknown[] = {"T=8"};
    REQUIRE(anec_compile_options_set_defines(options.get(), unknown, 1) == ANEC_OK);
    anec_program* program = nullptr;
    CHECK(anec_compile_source_with_options(kSource, "k.ane", options.get(), &program) ==
          ANEC_ERROR_COMPILE);
    CHECK(program == nullptr);
    CHECK(anec_compile_options_create(nullptr) == ANEC_ERROR_INVALID_ARGUMENT);
    anec_compile_options_free(nullptr);
}
