// The C embedding API (anec/anec.h), through the shared library libanec.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "anec/anec.h"
#include "anec/anec.hpp"
#include "unit/driver/test_support.hpp"

namespace {

const char* kSource = R"(const N = 4
kernel scale(x: fp16[1, N], k: int32[1]) -> (y: fp16[1, N], kk: int32[1]) {
    y = x * 3
    kk = k
}
kernel neg(a: fp32[2]) -> (b: fp32[2]) { b = -a }
)";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A compiled program, freed at scope exit.
struct Program {
    anec_program* handle = nullptr;
    explicit Program(const char* source = kSource, const char* const* defines = nullptr,
                     size_t defineCount = 0) {
        anec_status status = anec_compile_source(source, "c.ane", defines, defineCount, 1, &handle);
        INFO(anec_last_error());
        REQUIRE(status == ANEC_OK);
        REQUIRE(handle != nullptr);
    }
    ~Program() { anec_program_free(handle); }
};

uint16_t half(float value) {
    // The fp16 bits of a few exact values used below.
    if (value == 1.0f) return 0x3C00;
    if (value == 2.0f) return 0x4000;
    if (value == -0.5f) return 0xB800;
    if (value == 3.0f) return 0x4200;
    FAIL("no fp16 bits for " << value);
    return 0;
}

} // namespace

TEST_CASE("C: introspection of a compiled program", "[api][c]") {
    Program program;
    REQUIRE(anec_kernel_count(program.handle) == 2);
    CHECK(std::string(anec_kernel_name(program.handle, 0)) == "scale");
    CHECK(std::string(anec_kernel_name(program.handle, 1)) == "neg");
    CHECK(anec_kernel_name(program.handle, 2) == nullptr);
    size_t index = 99;
    REQUIRE(anec_find_kernel(program.handle, "neg", &index) == ANEC_OK);
    CHECK(index == 1);
    CHECK(anec_input_count(program.handle, 0) == 2);
    CHECK(anec_output_count(program.handle, 0) == 2);
    CHECK(anec_input_count(program.handle, 7) == 0);

    anec_tensor_info info{};
    REQUIRE(anec_input_info(program.handle, 0, 0, &info) == ANEC_OK);
    CHECK(std::string(info.name) == "x");
    CHECK(info.dtype == ANEC_DTYPE_FLOAT16);
    REQUIRE(info.rank == 2);
    CHECK(info.shape[0] == 1);
    CHECK(info.shape[1] == 4);
    CHECK(info.element_count == 4);
    CHECK(info.byte_size == 8);
    REQUIRE(anec_input_info(program.handle, 0, 1, &info) == ANEC_OK);
    CHECK(info.dtype == ANEC_DTYPE_INT32);
    REQUIRE(anec_output_info(program.handle, 1, 0, &info) == ANEC_OK);
    CHECK(std::string(info.name) == "b");
    CHECK(info.dtype == ANEC_DTYPE_FLOAT32);
    CHECK(info.byte_size == 8);

    CHECK(anec_input_info(program.handle, 0, 2, &info) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(contains(anec_last_error(), "input index 2 is out of range for kernel 'scale' (2)"));
    CHECK(anec_output_info(program.handle, 5, 0, &info) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(anec_find_kernel(program.handle, "nope", &index) == ANEC_ERROR_NOT_FOUND);
    CHECK(contains(anec_last_error(), "no kernel 'nope'"));
}

TEST_CASE("C: run with fp16, fp32 and int32 buffers", "[api][c]") {
    Program program;
    uint16_t x[4] = {half(1), half(2), half(-0.5f), half(3)};
    int32_t k = 42;
    anec_input inputs[2] = {{"x", ANEC_DTYPE_FLOAT16, x, sizeof x}, {"k", ANEC_DTYPE_INT32, &k, 4}};
    float y[4] = {0, 0, 0, 0};
    uint16_t y16[4] = {0, 0, 0, 0};
    int32_t kk = 0;
    anec_output outputs[3] = {{"y", ANEC_DTYPE_FLOAT32, y, sizeof y},
                              {"kk", ANEC_DTYPE_INT32, &kk, 4},
                              {"y", ANEC_DTYPE_FLOAT16, y16, sizeof y16}};
    // The same output twice is an error; once as fp32 and once (next call) as fp16 is not.
    CHECK(anec_run(program.handle, "scale", inputs, 2, outputs, 3) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(contains(anec_last_error(), "output 'y' is asked for twice"));
    INFO(anec_last_error());
    REQUIRE(anec_run(program.handle, "scale", inputs, 2, outputs, 2) == ANEC_OK);
    CHECK(y[0] == 3.0f);
    CHECK(y[1] == 6.0f);
    CHECK(y[2] == -1.5f);
    CHECK(y[3] == 9.0f);
    CHECK(kk == 42);
    REQUIRE(anec_run(program.handle, "scale", inputs, 2, outputs + 2, 1) == ANEC_OK);
    CHECK(y16[0] == 0x4200); // 3.0

    // fp32 data feeds the fp16 input; the outputs not asked for are discarded.
    float x32[4] = {1, 2, -0.5f, 3};
    anec_input fromFloat[2] = {{"x", ANEC_DTYPE_FLOAT32, x32, sizeof x32},
                               {"k", ANEC_DTYPE_INT32, &k, 4}};
    float again[4] = {};
    anec_output one = {"y", ANEC_DTYPE_FLOAT32, again, sizeof again};
    REQUIRE(anec_run(program.handle, "scale", fromFloat, 2, &one, 1) == ANEC_OK);
    CHECK(std::memcmp(again, y, sizeof y) == 0);

    // An fp64 output buffer.
    float a[2] = {1.25f, -2};
    double b[2] = {};
    anec_input negIn = {"a", ANEC_DTYPE_FLOAT32, a, sizeof a};
    anec_output negOut = {"b", ANEC_DTYPE_FLOAT64, b, sizeof b};
    REQUIRE(anec_run(program.handle, "neg", &negIn, 1, &negOut, 1) == ANEC_OK);
    CHECK(b[0] == -1.25);
    CHECK(b[1] == 2.0);
}

TEST_CASE("C: run errors give a status and a message", "[api][c]") {
    Program program;
    float a[2] = {1, 2};
    float b[2] = {};
    anec_input in = {"a", ANEC_DTYPE_FLOAT32, a, sizeof a};
    anec_output out = {"b", ANEC_DTYPE_FLOAT32, b, sizeof b};

    CHECK(anec_run(program.handle, nullptr, &in, 1, &out, 1) == ANEC_ERROR_NOT_FOUND);
    CHECK(contains(anec_last_error(), "has 2 kernels (scale, neg); choose one"));
    CHECK(anec_run(program.handle, "neg", nullptr, 0, &out, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "missing input 'a' (fp32[2]) of kernel 'neg'");

    anec_input shortIn = {"a", ANEC_DTYPE_FLOAT32, a, 4};
    CHECK(anec_run(program.handle, "neg", &shortIn, 1, &out, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) ==
          "input 'a': the buffer has 4 bytes; 2 fp32 elements need 8");
    anec_input intIn = {"a", ANEC_DTYPE_INT32, a, sizeof a};
    CHECK(anec_run(program.handle, "neg", &intIn, 1, &out, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "input 'a': int32 buffer for a tensor declared fp32");
    anec_input unknown[2] = {in, {"zz", ANEC_DTYPE_FLOAT32, a, sizeof a}};
    CHECK(anec_run(program.handle, "neg", unknown, 2, &out, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "unknown input 'zz': kernel 'neg' has inputs 'a'");
    anec_input twice[2] = {in, in};
    CHECK(anec_run(program.handle, "neg", twice, 2, &out, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "input 'a' is given twice");
    anec_output badOut = {"c", ANEC_DTYPE_FLOAT32, b, sizeof b};
    CHECK(anec_run(program.handle, "neg", &in, 1, &badOut, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "unknown output 'c': kernel 'neg' has outputs 'b'");
    anec_input badDtype = {"a", static_cast<anec_dtype>(77), a, sizeof a};
    CHECK(anec_run(program.handle, "neg", &badDtype, 1, &out, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(contains(anec_last_error(), "invalid dtype value 77"));
    anec_input nullData = {"a", ANEC_DTYPE_FLOAT32, nullptr, sizeof a};
    CHECK(anec_run(program.handle, "neg", &nullData, 1, &out, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(anec_run(nullptr, "neg", &in, 1, &out, 1) == ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "program is NULL");

    // A failed call leaves the outputs alone; the program still works afterwards.
    CHECK(b[0] == 0);
    CHECK(anec_run(program.handle, "neg", &in, 1, &out, 1) == ANEC_OK);
    CHECK(b[0] == -1);
}

TEST_CASE("C: compile errors and bad arguments", "[api][c]") {
    anec_program* program = reinterpret_cast<anec_program*>(0x1);
    CHECK(anec_compile_source("kernel k(x: fp16[2]) -> (y: fp16[2]) { y = x + q }", "bad.ane",
                              nullptr, 0, 1, &program) == ANEC_ERROR_COMPILE);
    CHECK(program == nullptr);
    std::string message = anec_last_error();
    CHECK(contains(message, "bad.ane:1:48: error: use of undeclared name 'q'"));
    CHECK(contains(message, "1 error generated."));

    CHECK(anec_compile_source(nullptr, nullptr, nullptr, 0, 1, &program) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "source is NULL");
    CHECK(anec_compile_source(kSource, nullptr, nullptr, 0, 1, nullptr) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    const char* badDefine[] = {"N"};
    CHECK(anec_compile_source(kSource, nullptr, badDefine, 1, 1, &program) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "a define must be NAME=INTEGER, got 'N'");
    const char* notInteger[] = {"N=four"};
    CHECK(anec_compile_source(kSource, nullptr, notInteger, 1, 1, &program) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(anec_compile_source(kSource, nullptr, nullptr, 0, 2, &program) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(anec_load("/nonexistent/k.mil", &program) == ANEC_ERROR_LOAD);
    CHECK(contains(anec_last_error(), "cannot open '/nonexistent/k.mil'"));
    CHECK(anec_compile_file(nullptr, nullptr, 0, 1, &program) == ANEC_ERROR_INVALID_ARGUMENT);
    anec_program_free(nullptr);
}

TEST_CASE("C: defines, backends and names", "[api][c]") {
    const char* defines[] = {"N=6"};
    Program program(kSource, defines, 1);
    anec_tensor_info info{};
    REQUIRE(anec_input_info(program.handle, 0, 0, &info) == ANEC_OK);
    CHECK(info.shape[1] == 6);

    REQUIRE(anec_program_set_backend(program.handle, ANEC_BACKEND_REFERENCE) == ANEC_OK);
    CHECK(anec_program_set_backend(program.handle, static_cast<anec_backend>(9)) ==
          ANEC_ERROR_INVALID_ARGUMENT);
#ifdef __linux__
    REQUIRE(anec_program_set_backend(program.handle, ANEC_BACKEND_ANE) == ANEC_OK);
    float a[2] = {1, 2}, b[2] = {};
    anec_input in = {"a", ANEC_DTYPE_FLOAT32, a, sizeof a};
    anec_output out = {"b", ANEC_DTYPE_FLOAT32, b, sizeof b};
    CHECK(anec_run(program.handle, "neg", &in, 1, &out, 1) == ANEC_ERROR_UNSUPPORTED);
    CHECK(contains(anec_last_error(), "ANE backend is not available"));
    REQUIRE(anec_program_set_backend(program.handle, ANEC_BACKEND_AUTO) == ANEC_OK);
    CHECK(anec_run(program.handle, "neg", &in, 1, &out, 1) == ANEC_OK);
#endif
    // The simulated ANE runs everywhere, with the ANE backend's legalization and surfaces.
    REQUIRE(anec_program_set_backend(program.handle, ANEC_BACKEND_ANE_SIMULATOR) == ANEC_OK);
    {
        float a[2] = {1, 2}, b[2] = {};
        anec_input in = {"a", ANEC_DTYPE_FLOAT32, a, sizeof a};
        anec_output out = {"b", ANEC_DTYPE_FLOAT32, b, sizeof b};
        CHECK(anec_run(program.handle, "neg", &in, 1, &out, 1) == ANEC_OK);
        CHECK(b[0] == -1.0f);
        CHECK(b[1] == -2.0f);
        REQUIRE(anec_program_set_ane_options(program.handle, "m1", 0) == ANEC_OK);
        b[0] = b[1] = 0;
        CHECK(anec_run(program.handle, "neg", &in, 1, &out, 1) == ANEC_OK);
        CHECK(b[1] == -2.0f);
        CHECK(anec_program_set_ane_options(program.handle, "m9", 0) == ANEC_ERROR_INVALID_ARGUMENT);
        CHECK(contains(anec_last_error(), "unknown ANE target 'm9'"));
        CHECK(anec_program_set_ane_options(nullptr, nullptr, 0) == ANEC_ERROR_INVALID_ARGUMENT);
        REQUIRE(anec_program_set_ane_options(program.handle, nullptr, 0) == ANEC_OK);
    }

    CHECK(std::string(anec_status_name(ANEC_ERROR_COMPILE)) == "ANEC_ERROR_COMPILE");
    CHECK(std::string(anec_status_name(static_cast<anec_status>(42))) == "unknown status");
    CHECK(std::string(anec_dtype_name(ANEC_DTYPE_FLOAT16)) == "fp16");
    CHECK(anec_dtype_name(static_cast<anec_dtype>(-1)) == nullptr);
    CHECK(anec_dtype_size(ANEC_DTYPE_FLOAT64) == 8);
    CHECK(anec_dtype_size(ANEC_DTYPE_BOOL) == 1);
    CHECK(anec_dtype_size(static_cast<anec_dtype>(12)) == 0);
    CHECK(std::string(anec_version()) == anec::version());
    for (int dtype = ANEC_DTYPE_BOOL; dtype <= ANEC_DTYPE_FLOAT64; ++dtype) {
        CHECK(anec_dtype_name(static_cast<anec_dtype>(dtype)) ==
              anec::dtypeName(static_cast<anec::DType>(dtype)));
        CHECK(anec_dtype_size(static_cast<anec_dtype>(dtype)) ==
              anec::dtypeSize(static_cast<anec::DType>(dtype)));
    }
}

TEST_CASE("C: the last error is per thread", "[api][c]") {
    CHECK(anec_load(nullptr, nullptr) == ANEC_ERROR_INVALID_ARGUMENT);
    std::string mine = anec_last_error();
    CHECK_FALSE(mine.empty());
    std::string other = "unset";
    std::thread([&] { other = anec_last_error(); }).join();
    CHECK(other.empty());
    CHECK(std::string(anec_last_error()) == mine);
}

TEST_CASE("C: load a build output directory", "[api][c][mil-dir]") {
    anec::test::TempDir dir;
    anec::test::writeFile(dir / "k.ane", kSource);
    auto built =
        anec::test::runAnec({"build", (dir / "k.ane").string(), "-o", (dir / "out").string()});
    REQUIRE(built.status == 0);
    anec_program* program = nullptr;
    INFO(anec_last_error());
    REQUIRE(anec_load((dir / "out").string().c_str(), &program) == ANEC_OK);
    CHECK(anec_kernel_count(program) == 2);
    CHECK(std::string(anec_kernel_name(program, 0)) == "neg");
    float a[2] = {3, -4}, b[2] = {};
    anec_input in = {"a", ANEC_DTYPE_FLOAT32, a, sizeof a};
    anec_output out = {"b", ANEC_DTYPE_FLOAT32, b, sizeof b};
    CHECK(anec_run(program, "neg", &in, 1, &out, 1) == ANEC_OK);
    CHECK(b[0] == -3);
    CHECK(b[1] == 4);
    anec_program_free(program);
}
