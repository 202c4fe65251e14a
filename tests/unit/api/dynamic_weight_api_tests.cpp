// Dynamic weights through the embedding API: KernelInfo lists them, run() may omit them,
// Program::setWeight / Kernel::setWeight / anec_set_weight update prepared kernels in place, and
// a training loop's results equal a fresh compile with the weight as a constant.
#include <catch2/catch.hpp>

#include <cstring>

#include "anec/anec.h"
#include "anec/anec.hpp"
#include "support/npy.hpp"
#include "unit/driver/test_support.hpp"

namespace {

const char* kSource = R"(const D = 8
const H = 16
dynamic weight W1: fp16[H, D] = random(seed = 1, scale = 0.3)
dynamic weight W2: fp16[D, H] = random(seed = 2, scale = 0.3)
kernel ffn(x: fp32[1, D, 1, 4]) -> (y: fp32[1, D, 1, 4]) {
    y = x + linear(relu(linear(x, W1)), W2)
}
kernel up(x: fp32[1, D, 1, 4]) -> (h: fp32[1, H, 1, 4]) {
    h = linear(x, W1)
}
)";

const anec::RunOptions kReference{anec::Backend::Reference, anec::Precision::Fp16Faithful};

std::vector<float> grid(size_t n, int seed) {
    std::vector<float> values(n);
    for (size_t i = 0; i < n; ++i)
        values[i] = static_cast<float>((static_cast<int>(i) * 29 + seed * 7) % 32 - 16) / 16.0f;
    return values;
}

std::vector<std::string> names(const std::vector<anec::TensorInfo>& infos) {
    std::vector<std::string> result;
    for (const anec::TensorInfo& info : infos)
        result.push_back(info.name);
    return result;
}

// The bytes of an output.
std::vector<uint8_t> bytesOf(const anec::Tensor& tensor) {
    const auto* p = static_cast<const uint8_t*>(tensor.data());
    return {p, p + tensor.byteSize()};
}

// W1 as a constant weight read from an .npy file holding `values` (fp16 [16, 8]).
std::string withConstantW1(const anec::test::TempDir& dir, const std::vector<float>& values) {
    std::vector<double> doubles(values.begin(), values.end());
    std::string path = (dir / "w1.npy").string();
    REQUIRE(anec::npy::write(
        path, anec::npy::Array::fromDoubles(anec::npy::DType::Float16, {16, 8}, doubles)));
    std::string source = kSource;
    std::string dynamic = "dynamic weight W1: fp16[H, D] = random(seed = 1, scale = 0.3)";
    source.replace(source.find(dynamic), dynamic.size(),
                   "weight W1: fp16[H, D] = npy(\"" + path + "\")");
    return source;
}

} // namespace

TEST_CASE("API: kernels list their dynamic weights, which run() may omit", "[dynamic][api]") {
    anec::Program program = anec::Program::compile(kSource, {}, "ffn.ane");
    const anec::KernelInfo& ffn = program.kernel("ffn");
    CHECK(names(ffn.inputs) == std::vector<std::string>{"x", "W1", "W2"});
    CHECK(names(ffn.dynamicWeights) == std::vector<std::string>{"W1", "W2"});
    CHECK(ffn.dynamicWeights[0].shape == anec::Shape{16, 8});
    CHECK(names(program.kernel("up").dynamicWeights) == std::vector<std::string>{"W1"});
    std::vector<float> x = grid(32, 1);
    auto outputs = program.run("ffn", {{"x", anec::TensorView(x, {1, 8, 1, 4})}}, kReference);
    CHECK(outputs.at("y").toFloats() != x);
}

TEST_CASE("API: a training loop sets weights between runs and matches a fresh compile",
          "[dynamic][api]") {
    anec::Program program = anec::Program::compile(kSource, {}, "ffn.ane");
    anec::Kernel ffn = program.prepare("ffn", kReference);
    anec::Kernel up = program.prepare("up", kReference);
    std::vector<float> x = grid(32, 2);
    std::map<std::string, anec::TensorView> inputs{{"x", anec::TensorView(x, {1, 8, 1, 4})}};
    std::vector<uint8_t> before = bytesOf(ffn.run(inputs).at("y"));

    std::vector<float> w1 = grid(128, 3);
    for (int step = 0; step < 3; ++step) {
        for (float& v : w1)
            v *= 0.5f; // a stand-in for a gradient step
        program.setWeight("W1", anec::TensorView(w1, {16, 8}));
    }
    // Both prepared kernels took the new W1, and a kernel prepared later starts from it.
    std::vector<uint8_t> after = bytesOf(ffn.run(inputs).at("y"));
    CHECK(after != before);
    anec::Kernel later = program.prepare("ffn", kReference);
    CHECK(bytesOf(later.run(inputs).at("y")) == after);

    anec::test::TempDir dir;
    anec::Program fresh = anec::Program::compile(withConstantW1(dir, w1), {}, "fresh.ane");
    CHECK(names(fresh.kernel("ffn").dynamicWeights) == std::vector<std::string>{"W2"});
    CHECK(bytesOf(fresh.run("ffn", inputs, kReference).at("y")) == after);
    CHECK(bytesOf(up.run(inputs).at("h")) == bytesOf(fresh.run("up", inputs, kReference).at("h")));

    // A value given to run() wins for that call only.
    std::vector<float> zeros(128, 0.0f);
    auto withZeros = inputs;
    withZeros.emplace("W1", anec::TensorView(zeros, {16, 8}));
    CHECK(up.run(withZeros).at("h").toFloats() == std::vector<float>(64, 0.0f));
    CHECK(bytesOf(up.run(inputs).at("h")) == bytesOf(fresh.run("up", inputs, kReference).at("h")));

    // Kernel::setWeight changes that kernel only.
    up.setWeight("W1", anec::TensorView(zeros, {16, 8}));
    CHECK(up.run(inputs).at("h").toFloats() == std::vector<float>(64, 0.0f));
    CHECK(bytesOf(ffn.run(inputs).at("y")) == after);
}

TEST_CASE("API: setWeight errors", "[dynamic][api]") {
    anec::Program program = anec::Program::compile(kSource, {}, "ffn.ane");
    std::vector<float> w(128, 1.0f);
    try {
        program.setWeight("W3", anec::TensorView(w, {16, 8}));
        FAIL("no error");
    } catch (const anec::Error& e) {
        CHECK(e.code() == anec::ErrorCode::InvalidArgument);
        CHECK(std::string(e.what()) ==
              "no dynamic weight 'W3' in 'ffn.ane' (its dynamic weights: 'W1', 'W2')");
    }
    try {
        program.setWeight("W1", anec::TensorView(w, {8, 16}));
        FAIL("no error");
    } catch (const anec::Error& e) {
        CHECK(e.code() == anec::ErrorCode::InvalidArgument);
        CHECK(std::string(e.what()) ==
              "dynamic weight 'W1': shape [8,16] but the kernel declares fp16[16,8]");
    }
    anec::Kernel up = program.prepare("up", kReference);
    try {
        up.setWeight("W2", anec::TensorView(w, {8, 16}));
        FAIL("no error");
    } catch (const anec::Error& e) {
        CHECK(e.code() == anec::ErrorCode::InvalidArgument);
        CHECK(std::string(e.what()) == "kernel 'up' has no dynamic weight 'W2' (its dynamic "
                                       "weights: 'W1')");
    }
}

TEST_CASE("C API: anec_set_weight updates prepared kernels", "[dynamic][api][c]") {
    anec_program* program = nullptr;
    REQUIRE(anec_compile_source(kSource, "ffn.ane", nullptr, 0, 1, &program) == ANEC_OK);
    REQUIRE(anec_program_set_backend(program, ANEC_BACKEND_REFERENCE) == ANEC_OK);
    size_t ffn = 0;
    REQUIRE(anec_find_kernel(program, "ffn", &ffn) == ANEC_OK);
    CHECK(anec_dynamic_weight_count(program, ffn) == 2);
    anec_tensor_info info{};
    REQUIRE(anec_dynamic_weight_info(program, ffn, 1, &info) == ANEC_OK);
    CHECK(std::string(info.name) == "W2");
    CHECK(info.byte_size == 256);
    CHECK(anec_dynamic_weight_info(program, ffn, 2, &info) == ANEC_ERROR_INVALID_ARGUMENT);

    std::vector<float> x = grid(32, 4), y(32), h(64);
    anec_input input{"x", ANEC_DTYPE_FLOAT32, x.data(), x.size() * 4};
    anec_output output{"h", ANEC_DTYPE_FLOAT32, h.data(), h.size() * 4};
    // W1 omitted: its initial value.
    REQUIRE(anec_run(program, "up", &input, 1, &output, 1) == ANEC_OK);
    CHECK(h != std::vector<float>(64, 0.0f));

    std::vector<float> zeros(128, 0.0f);
    REQUIRE(anec_set_weight(program, "W1", ANEC_DTYPE_FLOAT32, zeros.data(), 128 * 4) == ANEC_OK);
    REQUIRE(anec_run(program, "up", &input, 1, &output, 1) == ANEC_OK);
    CHECK(h == std::vector<float>(64, 0.0f));

    CHECK(anec_set_weight(program, "W9", ANEC_DTYPE_FLOAT32, zeros.data(), 128 * 4) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) ==
          "unknown dynamic weight 'W9' (the program's dynamic weights: 'W1', 'W2')");
    CHECK(anec_set_weight(program, "W1", ANEC_DTYPE_FLOAT32, zeros.data(), 100) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) ==
          "dynamic weight 'W1': the buffer has 100 bytes; 128 fp32 elements need 512");
    CHECK(anec_set_weight(nullptr, "W1", ANEC_DTYPE_FLOAT32, zeros.data(), 512) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    anec_program_free(program);
}
