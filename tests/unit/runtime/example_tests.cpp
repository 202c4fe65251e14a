// Every kernel of examples/*.ane runs on the reference backend, and the fp16-faithful result
// stays close to the Float64 one: the ops work together, not only one by one.
#include <filesystem>

#include "op_test_harness.hpp"
#include "unit/examples.hpp"

using namespace anec;
using namespace anec::test;
namespace fs = std::filesystem;

namespace {
std::shared_ptr<const ir::Module> compileFile(const test::Example& example) {
    const fs::path& path = example.path;
    driver::CompileOptions options;
    options.frontend.defines = example.defines;
    auto compilation = std::make_shared<driver::Compilation>(options);
    REQUIRE(compilation->loadFile(path));
    if (!compilation->optimize()) {
        std::string messages;
        for (const Diagnostic& d : compilation->diagnostics().diagnostics())
            messages += DiagnosticEngine::brief(d) + "\n";
        FAIL(path << " does not compile:\n" << messages);
    }
    return std::shared_ptr<const ir::Module>(compilation, compilation->module());
}
} // namespace

TEST_CASE("every example kernel runs, fp16-faithful close to float64", "[runtime][examples]") {
    Random random(50);
    size_t kernels = 0;
    for (const test::Example& example : test::examples()) {
        auto module = compileFile(example);
        for (const auto& kernel : module->kernels) {
            if (module->isStepProgram(kernel->name)) continue; // tests/unit/train runs these
            auto faithful = runtime::createReferenceBackend()->prepare(module, kernel->name);
            auto exact =
                runtime::createReferenceBackend(Precision::Float64)->prepare(module, kernel->name);
            std::vector<runtime::Tensor> inputs;
            std::map<std::string, runtime::TensorView> views;
            for (const runtime::IoInfo& input : faithful->inputs()) {
                std::vector<double> values = random.values(input.type, -1, 1);
                // Integer inputs are token ids: small and non-negative.
                if (input.type.dtype == ir::DType::Int32)
                    for (double& value : values)
                        value = std::fabs(value);
                inputs.push_back(makeTensor(input.type, values));
            }
            for (size_t i = 0; i < inputs.size(); ++i)
                views[faithful->inputs()[i].name] = viewOf(inputs[i]);
            auto fp16 = faithful->run(views);
            auto fp64 = exact->run(views);
            for (const runtime::IoInfo& output : faithful->outputs()) {
                std::vector<double> a = toDoubles(fp16.at(output.name));
                std::vector<double> e = toDoubles(fp64.at(output.name));
                double scale = 0, error = 0;
                size_t nonFinite = 0;
                for (size_t i = 0; i < e.size(); ++i) {
                    nonFinite += !std::isfinite(e[i]);
                    scale = std::max(scale, std::fabs(e[i]));
                    error = std::max(error, std::fabs(a[i] - e[i]));
                }
                INFO(example.file() << example.configText() << " kernel " << kernel->name
                                    << " output " << output.name << ": max |y| " << scale
                                    << ", fp16-faithful max error " << error);
                // A chain of fp16 roundings (~2^-11 each) relative to the output's scale.
                CHECK(nonFinite == 0);
                CHECK(error <= 1e-2 * scale + 1e-4);
                CHECK(scale > 0);
            }
            ++kernels;
        }
    }
    CHECK(kernels >= 8);
}
