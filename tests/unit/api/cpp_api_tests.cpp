// The C++ embedding API (anec/anec.hpp), through the shared library libanec.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <thread>

#include "anec/anec.hpp"
#include "unit/driver/test_support.hpp"

namespace fs = std::filesystem;
using anec::test::TempDir;

namespace {

const char* kAffine = R"(const N = 8
kernel affine(x: fp32[1, N], s: fp16[1, N]) -> (y: fp32[1, N], z: fp16[1, N]) {
    y = x * 2 + 1
    z = s * s
}
kernel negate(a: fp16[3]) -> (b: fp16[3]) { b = -a }
)";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The error code and message of what `body` throws (it must throw anec::Error).
template <typename Body> std::pair<anec::ErrorCode, std::string> errorOf(Body&& body) {
    try {
        body();
    } catch (const anec::Error& e) {
        return {e.code(), e.what()};
    }
    FAIL("no anec::Error was thrown");
    return {};
}

std::vector<float> iota(size_t n, float start, float step) {
    std::vector<float> values(n);
    for (size_t i = 0; i < n; ++i)
        values[i] = start + step * static_cast<float>(i);
    return values;
}

} // namespace

TEST_CASE("a compiled program lists its kernels, inputs and outputs", "[api]") {
    anec::Program program = anec::Program::compile(kAffine);
    REQUIRE(program.kernels().size() == 2);
    const anec::KernelInfo& affine = program.kernel("affine");
    CHECK(affine.name == "affine");
    REQUIRE(affine.inputs.size() == 2);
    CHECK(affine.inputs[0].name == "x");
    CHECK(affine.inputs[0].dtype == anec::DType::Float32);
    CHECK(affine.inputs[0].shape == anec::Shape{1, 8});
    CHECK(affine.inputs[0].byteSize() == 32);
    CHECK(affine.inputs[1].name == "s");
    CHECK(affine.inputs[1].dtype == anec::DType::Float16);
    CHECK(affine.inputs[1].byteSize() == 16);
    REQUIRE(affine.outputs.size() == 2);
    CHECK(affine.outputs[0].name == "y");
    CHECK(affine.outputs[1].name == "z");
    CHECK(affine.outputs[1].elementCount() == 8);
    CHECK(program.kernels()[1].name == "negate");
    CHECK(program.warnings().empty());
    CHECK(anec::dtypeName(anec::DType::Float16) == "fp16");
    CHECK(anec::dtypeSize(anec::DType::Int32) == 4);
    CHECK_FALSE(anec::version().empty());
}

TEST_CASE("a kernel runs on float spans and owned tensors", "[api]") {
    anec::Program program = anec::Program::compile(kAffine);
    anec::Kernel kernel = program.prepare("affine");
    CHECK(kernel.backendName() == "reference");
    std::vector<float> x = iota(8, -2.0f, 0.5f);
    anec::Tensor s = anec::Tensor::fromFloats(iota(8, 0.0f, 1.0f), {1, 8}, anec::DType::Float16);
    auto outputs = kernel.run({{"x", anec::TensorView(x, {1, 8})}, {"s", s}});
    REQUIRE(outputs.size() == 2);
    const anec::Tensor& y = outputs.at("y");
    CHECK(y.dtype() == anec::DType::Float32);
    CHECK(y.shape() == anec::Shape{1, 8});
    std::vector<float> expectedY, expectedZ;
    for (int i = 0; i < 8; ++i) {
        expectedY.push_back(2 * x[i] + 1);
        expectedZ.push_back(static_cast<float>(i * i));
    }
    CHECK(y.toFloats() == expectedY);
    CHECK(outputs.at("z").dtype() == anec::DType::Float16);
    CHECK(outputs.at("z").byteSize() == 16);
    CHECK(outputs.at("z").toFloats() == expectedZ);

    // Prepared once, run again with other values.
    std::vector<float> ones(8, 1.0f);
    auto again = kernel.run({{"x", anec::TensorView(ones, {1, 8})}, {"s", s}});
    CHECK(again.at("y").toFloats() == std::vector<float>(8, 3.0f));
}

TEST_CASE("float inputs convert between fp16, fp32 and fp64 with rounding to nearest even",
          "[api]") {
    anec::Program program =
        anec::Program::compile("kernel k(a: fp16[3]) -> (b: fp16[3]) { b = a }");
    // 0.1 is not an fp16: the nearest is 0.0999755859375; 2049 rounds to 2048 (ties to even).
    std::vector<float> values{0.1f, 2049.0f, -65536.0f};
    auto outputs = program.run("k", {{"a", anec::TensorView(values, {3})}});
    std::vector<float> result = outputs.at("b").toFloats();
    CHECK(result[0] == 0.0999755859375f);
    CHECK(result[1] == 2048.0f);
    CHECK(std::isinf(result[2]));
    anec::Tensor asDouble = outputs.at("b").convertedTo(anec::DType::Float64);
    CHECK(asDouble.byteSize() == 24);
    double first = 0;
    std::memcpy(&first, asDouble.data(), 8);
    CHECK(first == 0.0999755859375);
    auto fromDouble = program.run("k", {{"a", asDouble}});
    CHECK(fromDouble.at("b").toFloats()[0] == 0.0999755859375f);
}

TEST_CASE("float64 precision runs the reference in double", "[api]") {
    anec::Program program =
        anec::Program::compile("kernel k(a: fp32[2]) -> (b: fp32[2]) { b = a * 3 + 0.001 }");
    std::vector<float> a{1, 1000}; // exact in fp16, so only the arithmetic differs
    anec::RunOptions exact;
    exact.precision = anec::Precision::Float64;
    std::vector<float> fp16 =
        program.run("k", {{"a", anec::TensorView(a, {2})}}).at("b").toFloats();
    std::vector<float> f64 =
        program.run("k", {{"a", anec::TensorView(a, {2})}}, exact).at("b").toFloats();
    CHECK(std::abs(f64[0] - 3.001f) < 1e-6f);
    CHECK(std::abs(f64[1] - 3000.001f) < 1e-3f);
    CHECK(fp16[0] == 3.001953125f); // 3 + fp16(0.001) rounds up to the next fp16
    CHECK(fp16[1] == 3000.0f);      // fp16 steps by 2 near 3000
}

TEST_CASE("compile options: defines and the optimisation level", "[api]") {
    anec::CompileOptions options;
    options.defines["N"] = 5;
    anec::Program program = anec::Program::compile(kAffine, options);
    CHECK(program.kernel("affine").inputs[0].shape == anec::Shape{1, 5});
    options.optLevel = 0;
    CHECK(anec::Program::compile(kAffine, options).kernel("affine").outputs[0].shape ==
          anec::Shape{1, 5});
    options.optLevel = 3;
    CHECK(errorOf([&] { anec::Program::compile(kAffine, options); }).first ==
          anec::ErrorCode::InvalidArgument);
    anec::CompileOptions unknown;
    unknown.defines["NOPE"] = 1;
    auto [code, message] = errorOf([&] { anec::Program::compile(kAffine, unknown); });
    CHECK(code == anec::ErrorCode::CompileFailed);
    CHECK(contains(message, "NOPE"));
}

TEST_CASE("compile errors carry every diagnostic", "[api]") {
    auto [code, message] = errorOf([] {
        anec::Program::compile("kernel k(x: fp16[4]) -> (y: fp16[4]) {\n  y = x + nope + nada\n}\n",
                               {}, "mine.ane");
    });
    CHECK(code == anec::ErrorCode::CompileFailed);
    CHECK(contains(message, "mine.ane:2:11: error: use of undeclared name 'nope'"));
    CHECK(contains(message, "mine.ane:2:18: error: use of undeclared name 'nada'"));
    CHECK(contains(message, "  y = x + nope + nada\n"));
    CHECK(contains(message, "2 errors generated."));
}

TEST_CASE("run errors name the input and what is wrong", "[api]") {
    anec::Program program = anec::Program::compile(kAffine);
    anec::Kernel kernel = program.prepare("affine");
    std::vector<float> eight(8, 1.0f), seven(7, 1.0f);
    anec::TensorView x(eight, {1, 8});
    anec::Tensor s(anec::DType::Float16, {1, 8});

    auto missing = errorOf([&] { kernel.run({{"x", x}}); });
    CHECK(missing.first == anec::ErrorCode::InvalidArgument);
    CHECK(missing.second == "missing input 's' (fp16[1,8]) of kernel 'affine'");

    auto unknown = errorOf([&] { kernel.run({{"x", x}, {"s", s}, {"t", s}}); });
    CHECK(unknown.second == "unknown input 't': kernel 'affine' has inputs 'x', 's'");

    auto shape = errorOf([&] { kernel.run({{"x", anec::TensorView(eight, {8})}, {"s", s}}); });
    CHECK(shape.first == anec::ErrorCode::InvalidArgument);
    CHECK(shape.second == "input 'x': shape [8] but the kernel declares fp32[1,8]");

    auto count = errorOf([&] { kernel.run({{"x", anec::TensorView(seven, {1, 8})}, {"s", s}}); });
    CHECK(count.second == "input 'x': 7 values for fp32[1,8], which has 8 elements");

    std::vector<int32_t> ints(8, 1);
    auto dtype = errorOf([&] {
        kernel.run({{"x", x}, {"s", anec::TensorView(ints.data(), anec::DType::Int32, {1, 8})}});
    });
    CHECK(dtype.second == "input 's': int32 data but the kernel declares fp16[1,8]");

    auto null = errorOf([&] {
        kernel.run({{"x", x}, {"s", anec::TensorView(nullptr, anec::DType::Float16, {1, 8})}});
    });
    CHECK(null.second == "input 's': the data pointer is null");
}

TEST_CASE("kernel selection errors", "[api]") {
    anec::Program program = anec::Program::compile(kAffine);
    auto notFound = errorOf([&] { program.kernel("nope"); });
    CHECK(notFound.first == anec::ErrorCode::NotFound);
    CHECK(notFound.second == "no kernel 'nope' in 'source.ane'; its kernels are: affine, negate");
    auto ambiguous = errorOf([&] { program.prepare(); });
    CHECK(ambiguous.first == anec::ErrorCode::NotFound);
    CHECK(contains(ambiguous.second, "has 2 kernels (affine, negate); choose one"));
    anec::Program single =
        anec::Program::compile("kernel only(a: fp16[1]) -> (b: fp16[1]) { b = a }");
    CHECK(single.prepare().info().name == "only");
    CHECK(errorOf([] { anec::Kernel().info(); }).first == anec::ErrorCode::InvalidArgument);
    CHECK(errorOf([] { anec::Program().kernels(); }).first == anec::ErrorCode::InvalidArgument);
}

#ifdef __linux__
TEST_CASE("the ANE backend is unsupported on Linux", "[api]") {
    anec::Program program = anec::Program::compile(kAffine);
    anec::RunOptions ane;
    ane.backend = anec::Backend::Ane;
    auto [code, message] = errorOf([&] { program.prepare("negate", ane); });
    CHECK(code == anec::ErrorCode::Unsupported);
    CHECK(contains(message, "ANE backend is not available"));
    ane.precision = anec::Precision::Float64;
    CHECK(errorOf([&] { program.prepare("negate", ane); }).first ==
          anec::ErrorCode::InvalidArgument);
}
#endif

TEST_CASE("load: a missing path and a directory without programs", "[api]") {
    auto missing = errorOf([] { anec::Program::load("/nonexistent/dir/k.ane"); });
    CHECK(missing.first == anec::ErrorCode::LoadFailed);
    CHECK(contains(missing.second, "cannot open '/nonexistent/dir/k.ane'"));
    TempDir dir;
    auto empty = errorOf([&] { anec::Program::load(dir.path().string()); });
    CHECK(empty.first == anec::ErrorCode::LoadFailed);
    CHECK(contains(empty.second, "holds neither a model.mil nor kernel directories"));
}

TEST_CASE("load: a .ane file, and a build output that runs like its source", "[api][mil-dir]") {
    TempDir dir;
    anec::test::writeFile(dir / "k.ane", kAffine);
    anec::Program fromFile = anec::Program::load((dir / "k.ane").string());
    REQUIRE(fromFile.kernels().size() == 2);
    auto built =
        anec::test::runAnec({"build", (dir / "k.ane").string(), "-o", (dir / "out").string()});
    INFO(built.err);
    REQUIRE(built.status == 0);

    anec::Program root = anec::Program::load((dir / "out").string());
    REQUIRE(root.kernels().size() == 2);
    CHECK(root.kernels()[0].name == "affine");
    CHECK(root.kernels()[1].name == "negate");
    anec::Program one = anec::Program::load((dir / "out" / "negate").string());
    REQUIRE(one.kernels().size() == 1);
    CHECK(one.kernels()[0].name == "negate");
    CHECK(one.kernels()[0].inputs[0].shape == anec::Shape{3});

    std::vector<float> x = iota(8, -1.0f, 0.37f);
    anec::Tensor s = anec::Tensor::fromFloats(iota(8, 0.5f, 0.25f), {1, 8}, anec::DType::Float16);
    std::map<std::string, anec::TensorView> inputs{{"x", anec::TensorView(x, {1, 8})}, {"s", s}};
    auto expected = fromFile.run("affine", inputs);
    auto actual = root.run("affine", inputs);
    CHECK(actual.at("y").toFloats() == expected.at("y").toFloats());
    CHECK(actual.at("z").toFloats() == expected.at("z").toFloats());
    anec::Program mil = anec::Program::load((dir / "out" / "affine" / "model.mil").string());
    CHECK(mil.run({}, inputs).at("y").toFloats() == expected.at("y").toFloats());
}

TEST_CASE("a kernel can be run from several threads", "[api]") {
    anec::Program program = anec::Program::compile(kAffine);
    anec::Kernel kernel = program.prepare("negate");
    std::vector<std::vector<float>> results(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            std::vector<float> a{static_cast<float>(t), 1, 2};
            for (int i = 0; i < 20; ++i)
                results[t] = kernel.run({{"a", anec::TensorView(a, {3})}}).at("b").toFloats();
        });
    for (std::thread& thread : threads)
        thread.join();
    for (int t = 0; t < 4; ++t)
        CHECK(results[t] == std::vector<float>{-static_cast<float>(t), -1, -2});
}

TEST_CASE("tensors: construction, conversion and errors", "[api]") {
    anec::Tensor zeros(anec::DType::Int32, {2, 3});
    CHECK(zeros.byteSize() == 24);
    CHECK(zeros.toFloats() == std::vector<float>(6, 0.0f));
    int32_t raw[2] = {7, -9};
    anec::Tensor copied(anec::DType::Int32, {2}, raw);
    CHECK(copied.toFloats() == std::vector<float>{7, -9});
    CHECK(errorOf([&] { copied.convertedTo(anec::DType::Float32); }).first ==
          anec::ErrorCode::InvalidArgument);
    CHECK(errorOf([] {
              anec::Tensor::fromFloats(std::vector<float>(3), {2, 2});
          }).second == "3 values cannot fill a tensor of shape [2,2]");
    CHECK(errorOf([] {
              anec::Tensor::fromFloats(std::vector<float>(1), {1}, anec::DType::Int32);
          }).first == anec::ErrorCode::InvalidArgument);
    CHECK(errorOf([] { anec::Tensor(anec::DType::Float32, {-1}); }).first ==
          anec::ErrorCode::InvalidArgument);
    CHECK(anec::Tensor().byteSize() == 0);
}

TEST_CASE("the ANE simulator backend, the ANE target and the compile budget", "[api]") {
    anec::CompileOptions compile;
    compile.target = "m1"; // fp32 I/O becomes fp16 I/O converted on the host
    anec::Program program = anec::Program::compile(kAffine, compile);
    anec::RunOptions sim;
    sim.backend = anec::Backend::AneSimulator;
    sim.aneTarget = "m1";
    anec::Kernel kernel = program.prepare("affine", sim);
    CHECK(kernel.backendName() == "ane-sim");
    std::vector<float> x{0, 1, 2, 3, 4, 5, 6, 7};
    std::vector<float> s{1, 2, 3, 4, 5, 6, 7, 8};
    auto outputs =
        kernel.run({{"x", anec::TensorView(x, {1, 8})}, {"s", anec::TensorView(s, {1, 8})}});
    CHECK(outputs.at("y").toFloats() ==
          std::vector<float>{1, 3, 5, 7, 9, 11, 13, 15}); // callers still see fp32
    CHECK(outputs.at("z").toFloats() == std::vector<float>{1, 4, 9, 16, 25, 36, 49, 64});

    CHECK(anec::aneTargets() == std::vector<std::string>{"generic", "m1", "m2", "m3", "m4", "m5"});
    compile.target = "m9";
    auto unknown = errorOf([&] { anec::Program::compile(kAffine, compile); });
    CHECK(unknown.first == anec::ErrorCode::InvalidArgument);
    CHECK(contains(unknown.second, "unknown ANE target 'm9' (expected generic, m1, m2, m3, m4 or "
                                   "m5, or empty for none)"));
    sim.precision = anec::Precision::Float64;
    CHECK(errorOf([&] { program.prepare("affine", sim); }).first ==
          anec::ErrorCode::InvalidArgument);
}
