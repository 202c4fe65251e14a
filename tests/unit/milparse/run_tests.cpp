// Running what the MIL reader reads: a re-parsed program computes exactly what its .ane source
// computes on the reference backend, and the seed's own model.mil reproduces y_expected.npy.
#include "unit/examples.hpp"
#include "unit/milparse/milparse_test_support.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "driver/compiler.hpp"
#include "mil/output.hpp"
#include "runtime/core/backend.hpp"
#include "support/fp16.hpp"
#include "support/npy.hpp"
#include "unit/passes/pass_test_support.hpp"

using namespace anec;
using namespace anec::milparse::test;
using anec::passes::test::makeInput;
using anec::passes::test::runKernel;
namespace fs = std::filesystem;

namespace {
std::shared_ptr<ir::Module> compile(const fs::path& path, std::vector<mil::Program>* programs,
                                    const std::map<std::string, int64_t>& defines = {}) {
    driver::CompileOptions options;
    options.frontend.defines = defines;
    auto compilation = std::make_shared<driver::Compilation>(options);
    REQUIRE(compilation->loadFile(path));
    if (programs) {
        *programs = compilation->emit();
        REQUIRE_FALSE(programs->empty());
    } else {
        REQUIRE(compilation->check());
    }
    std::ostringstream rendered;
    compilation->diagnostics().print(rendered);
    INFO(rendered.str());
    REQUIRE(compilation->module() != nullptr);
    // The module stays owned by its compilation.
    return std::shared_ptr<ir::Module>(compilation, compilation->module());
}

} // namespace

TEST_CASE("a re-parsed example computes exactly what its source computes",
          "[milparse][roundtrip-run]") {
    size_t kernels = 0;
    for (const anec::test::Example& example : anec::test::examples()) {
        INFO("example " << example.file() << example.configText());
        std::vector<mil::Program> programs;
        std::shared_ptr<ir::Module> source = compile(example.path, &programs, example.defines);
        TempDir out;
        mil::writeBuildOutput(out.path(), programs);
        for (const auto& kernel : source->kernels) {
            INFO("kernel " << kernel->name);
            std::shared_ptr<ir::Module> reread = compile(out / kernel->name, nullptr);
            REQUIRE(reread->findKernel(kernel->name) != nullptr);
            std::map<std::string, runtime::Tensor> inputs;
            uint64_t seed = 1;
            for (const ir::InterfaceTensor& input : ir::interfaceInputs(*kernel)) // pack-io
                inputs.emplace(input.name, makeInput(input.type, seed++));
            auto expected = runKernel(source, kernel->name, inputs);
            auto actual = runKernel(reread, kernel->name, inputs);
            REQUIRE(actual.size() == expected.size());
            for (const auto& [name, tensor] : expected) {
                INFO("output " << name);
                REQUIRE(actual.count(name) == 1);
                CHECK(actual.at(name).type() == tensor.type());
                auto a = actual.at(name).bytes();
                auto b = tensor.bytes();
                CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
            }
            ++kernels;
        }
    }
    CHECK(kernels >= 8);
}

TEST_CASE("the seed's model.mil parses, checks and reproduces y_expected",
          "[milparse][roundtrip-run][seed]") {
    fs::path seed = fs::path(ANEC_SHARED_DIR) / "seeds" / "ffn_w13_bwd";
    if (!fs::exists(seed / "model.mil") || !fs::exists(seed / "weights")) {
        WARN("seed not found at " << seed << "; skipped");
        return;
    }
    std::shared_ptr<ir::Module> module = compile(seed / "model.mil", nullptr);
    REQUIRE(module->kernels.size() == 1);
    const ir::Kernel& kernel = *module->kernels[0];
    CHECK(kernel.name == "main");
    CHECK(opKinds(kernel) == std::vector<std::string>{"cast", "slice_by_size", "slice_by_size",
                                                      "const", "const", "conv", "conv", "add",
                                                      "cast"});
    REQUIRE(kernel.inputs.size() == 1);
    CHECK(kernel.inputs[0]->type.str() == "fp32[1,4096,1,64]");

    auto x = npy::read((seed / "x.npy").string());
    auto expected = npy::read((seed / "y_expected.npy").string());
    REQUIRE(x);
    REQUIRE(expected);
    REQUIRE(x->dtype == npy::DType::Float32);
    REQUIRE(x->shape == std::vector<int64_t>{1, 4096, 1, 64});
    std::map<std::string, runtime::Tensor> inputs;
    inputs.emplace("x", runtime::Tensor(kernel.inputs[0]->type, x->data));
    auto outputs = runKernel(module, "main", inputs);
    REQUIRE(outputs.count("y") == 1);
    const runtime::Tensor& y = outputs.at("y");
    REQUIRE(y.type().str() == "fp32[1,768,1,64]");
    REQUIRE(expected->numElements() == y.type().numElements());
    double worst = 0, largest = 0;
    for (int64_t i = 0; i < expected->numElements(); ++i) {
        float value = 0;
        std::memcpy(&value, y.bytes().data() + 4 * i, 4);
        worst = std::max(worst, std::fabs(value - expected->at(i)));
        largest = std::max(largest, std::fabs(expected->at(i)));
    }
    INFO("largest |y| " << largest << ", worst difference " << worst);
    // fp16 results (an ulp is 2^-10 of the value) with a different accumulation order: a few
    // ulps of the largest value.
    CHECK(largest > 0);
    CHECK(worst <= 4 * std::ldexp(largest, -10));
}
