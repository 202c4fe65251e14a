// Host conversion (runtime/core/host_conversion.hpp): a kernel legalized for a target without
// `cast` takes fp32 from callers, rounds it to fp16 on the host (to nearest even, as the cast
// would) and widens its fp16 outputs back to fp32.
#include <catch2/catch.hpp>

#include <cstring>

#include "driver/compiler.hpp"
#include "runtime/core/backend.hpp"
#include "runtime/core/host_conversion.hpp"
#include "support/fp16.hpp"

using namespace anec;

namespace {
std::shared_ptr<const ir::Module> compileFor(const std::string& text,
                                             std::optional<passes::AneTarget> target) {
    driver::CompileOptions options;
    options.target = target;
    auto compilation = std::make_shared<driver::Compilation>(options);
    compilation->loadSource("test.ane", text);
    REQUIRE(compilation->optimize());
    return std::shared_ptr<const ir::Module>(compilation, compilation->module());
}

runtime::Tensor floats(const ir::Shape& shape, const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(float));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return runtime::Tensor({ir::DType::Fp32, shape}, std::move(bytes));
}

std::vector<float> floatsOf(const runtime::Tensor& tensor) {
    REQUIRE(tensor.type().dtype == ir::DType::Fp32);
    std::vector<float> values(tensor.bytes().size() / sizeof(float));
    std::memcpy(values.data(), tensor.bytes().data(), tensor.bytes().size());
    return values;
}

const char* kIdentity = R"(kernel k(x: fp32[1, 4, 1, 1]) -> (y: fp32[1, 4, 1, 1]) {
    y = x + 0
}
)";
} // namespace

TEST_CASE("host conversion rounds fp32 inputs to nearest even and widens outputs",
          "[runtime][hostconv]") {
    auto module = compileFor(kIdentity, passes::AneTarget::M1);
    const ir::Kernel& kernel = *module->kernels.front();
    REQUIRE(kernel.hostConversions.size() == 2);
    auto executable = runtime::createReferenceBackend()->prepare(module, "k");
    CHECK(executable->inputs()[0].type.str() == "fp32[1,4,1,1]");
    CHECK(executable->outputs()[0].type.str() == "fp32[1,4,1,1]");
    const float ulp = 1.0f / 1024; // fp16 spacing in [1, 2)
    // Halfway cases go to the even neighbour; 70000 overflows fp16 to inf, as a cast would.
    runtime::Tensor x = floats({1, 4, 1, 1}, {1 + ulp / 2, 1 + 3 * ulp / 2, -2.5f, 70000.0f});
    auto outputs = executable->run({{"x", {x.type(), x.bytes()}}});
    std::vector<float> y = floatsOf(outputs.at("y"));
    CHECK(y[0] == 1.0f);
    CHECK(y[1] == 1 + 2 * ulp);
    CHECK(y[2] == -2.5f);
    CHECK(std::isinf(y[3]));

    // Callers must pass fp32: the caller type is what is checked.
    runtime::Tensor half({ir::DType::Fp16, {1, 4, 1, 1}});
    CHECK_THROWS_WITH(executable->run({{"x", {half.type(), half.bytes()}}}),
                      "input 'x' has type fp16[1,4,1,1] but kernel 'k' declares fp32[1,4,1,1]");
}

TEST_CASE("without host conversions the executable is returned unchanged", "[runtime][hostconv]") {
    auto module = compileFor(kIdentity, passes::AneTarget::M4);
    CHECK(module->kernels.front()->hostConversions.empty());

    class Fake : public runtime::Executable {
      public:
        const std::vector<runtime::IoInfo>& inputs() const override { return io_; }
        const std::vector<runtime::IoInfo>& outputs() const override { return io_; }
        std::map<std::string, runtime::Tensor>
        run(const std::map<std::string, runtime::TensorView>&) override {
            return {};
        }

      private:
        std::vector<runtime::IoInfo> io_;
    };
    auto fake = std::make_unique<Fake>();
    runtime::Executable* raw = fake.get();
    CHECK(runtime::withHostConversion(std::move(fake), *module->kernels.front()).get() == raw);
}
