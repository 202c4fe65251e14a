#pragma once
// Helpers for the ANE tests: compile .ane text or files for a target, make inputs, and run a
// kernel on a backend.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "driver/compiler.hpp"
#include "mil/emitter.hpp"
#include "passes/ane_target.hpp"
#include "runtime/ane/ane_backend.hpp"
#include "runtime/ane/simulated_device.hpp"
#include "unit/examples.hpp"
#include "unit/passes/pass_test_support.hpp"

namespace anec::ane::test {

using passes::AneTarget;

inline std::shared_ptr<const ir::Module> requireCompiled(std::shared_ptr<driver::Compilation> c,
                                                         const std::string& what) {
    bool ok = c->optimize();
    std::ostringstream rendered;
    c->diagnostics().print(rendered);
    INFO(what << "\n" << rendered.str());
    REQUIRE(ok);
    return std::shared_ptr<const ir::Module>(c, c->module());
}

// `text` compiled as test.ane for `target` (nullopt: not legalized, the library default).
inline std::shared_ptr<const ir::Module>
compileText(const std::string& text, std::optional<AneTarget> target, bool packIo = true) {
    driver::CompileOptions options;
    options.target = target;
    options.packIo = packIo;
    auto compilation = std::make_shared<driver::Compilation>(options);
    compilation->loadSource("test.ane", text);
    return requireCompiled(compilation, text);
}

inline std::shared_ptr<const ir::Module>
compileFile(const std::filesystem::path& path, std::optional<AneTarget> target,
            const std::map<std::string, int64_t>& defines = {}) {
    driver::CompileOptions options;
    options.target = target;
    options.frontend.defines = defines;
    auto compilation = std::make_shared<driver::Compilation>(options);
    REQUIRE(compilation->loadFile(path));
    return requireCompiled(compilation, path.string());
}

// Deterministic inputs for every input of `executable`, by name.
inline std::map<std::string, runtime::Tensor> inputsFor(const runtime::Executable& executable,
                                                        uint64_t seed) {
    std::map<std::string, runtime::Tensor> inputs;
    for (const runtime::IoInfo& input : executable.inputs())
        inputs[input.name] = passes::test::makeInput(input.type, seed++);
    return inputs;
}

inline std::map<std::string, runtime::TensorView>
viewsOf(const std::map<std::string, runtime::Tensor>& tensors) {
    std::map<std::string, runtime::TensorView> views;
    for (const auto& [name, tensor] : tensors)
        views[name] = runtime::TensorView{tensor.type(), tensor.bytes()};
    return views;
}

inline std::vector<uint8_t> bytesOf(const runtime::Tensor& tensor) {
    return {tensor.bytes().begin(), tensor.bytes().end()};
}

// The ANE backend over a fresh simulated chip with its own cache and the given budget.
struct SimulatedAne {
    explicit SimulatedAne(AneTarget chip, size_t budgetLimit = 1000,
                          std::optional<AneTarget> target = std::nullopt)
        : budget(budgetLimit), cache(std::make_shared<runtime::ane::ProgramCache>()) {
        auto owned = std::make_unique<runtime::ane::SimulatedDevice>(chip);
        device = owned.get();
        runtime::ane::AneBackendOptions options;
        options.target = target;
        options.budget = &budget;
        options.cache = cache;
        options.name = "ane-sim";
        backend = std::make_unique<runtime::ane::AneBackend>(std::move(owned), options);
    }

    runtime::ane::CompileBudget budget;
    std::shared_ptr<runtime::ane::ProgramCache> cache;
    runtime::ane::SimulatedDevice* device = nullptr;
    std::unique_ptr<runtime::ane::AneBackend> backend;
};

// The emitted program of kernel `name` as a device takes it.
inline runtime::ane::ProgramSource sourceOf(const ir::Module& module, const std::string& name,
                                            AneTarget target = AneTarget::Generic) {
    const ir::Kernel* kernel = module.findKernel(name);
    REQUIRE(kernel != nullptr);
    mil::Program program = mil::emitProgram(*kernel, passes::emitOptionsFor(target));
    runtime::ane::ProgramSource source{program.milText, {}};
    for (const mil::WeightFile& weight : program.weightFiles)
        source.weights.push_back({"@model_path/" + weight.relativePath, weight.bytes});
    return source;
}

} // namespace anec::ane::test
