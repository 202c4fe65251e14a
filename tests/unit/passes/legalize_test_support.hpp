#pragma once
// Helpers for the ane-legalize tests: compiling for a target and comparing a legalized program's
// outputs with the unlegalized one's on the reference backend.
#include "unit/passes/pass_test_support.hpp"

#include <cmath>
#include <optional>

#include "passes/ane_target.hpp"

namespace anec::passes::test {

inline driver::CompileOptions targetOptions(std::optional<AneTarget> target, int optLevel = 1) {
    driver::CompileOptions options;
    options.target = target;
    options.optLevel = optLevel;
    return options;
}

// Inputs for every interface input of `kernel` (caller types), from `seed`.
inline std::map<std::string, runtime::Tensor> inputsFor(const ir::Kernel& kernel, uint64_t seed,
                                                        double scale = 1.0) {
    std::map<std::string, runtime::Tensor> inputs;
    for (const ir::InterfaceTensor& input : ir::interfaceInputs(kernel)) {
        runtime::Tensor tensor = makeInput(input.type, seed++);
        if (scale != 1.0 && ir::isFloat(input.type.dtype))
            for (int64_t i = 0; i < input.type.numElements(); ++i) {
                uint8_t* at = tensor.bytes().data() +
                              i * static_cast<int64_t>(ir::dtypeSize(input.type.dtype));
                ir::storeElement(input.type.dtype, at,
                                 ir::loadElement(input.type.dtype, at) * scale);
            }
        inputs.emplace(input.name, std::move(tensor));
    }
    return inputs;
}

// The largest |a - b| over every element of every output (both must have the same outputs, types
// and shapes); -1 when the bytes of every output are identical.
inline double maxDifference(const std::map<std::string, runtime::Tensor>& a,
                            const std::map<std::string, runtime::Tensor>& b) {
    REQUIRE(a.size() == b.size());
    bool identical = true;
    double difference = 0;
    for (const auto& [name, tensor] : a) {
        INFO("output " << name);
        REQUIRE(b.count(name));
        const runtime::Tensor& other = b.at(name);
        REQUIRE(tensor.type() == other.type());
        identical = identical &&
                    std::equal(tensor.bytes().begin(), tensor.bytes().end(), other.bytes().begin());
        for (int64_t i = 0; i < tensor.type().numElements(); ++i)
            difference =
                std::max(difference, std::fabs(elementAt(tensor, i) - elementAt(other, i)));
    }
    return identical ? -1 : difference;
}

// Runs `text` unlegalized and legalized for `target` on the same inputs; returns maxDifference.
inline double legalizedDifference(const std::string& text, AneTarget target,
                                  const std::string& kernel = "k", double inputScale = 1.0) {
    auto plain = compileAne(text, targetOptions(std::nullopt));
    auto legal = compileAne(text, targetOptions(target));
    auto inputs = inputsFor(*plain->findKernel(kernel), 7, inputScale);
    return maxDifference(runKernel(plain, kernel, inputs), runKernel(legal, kernel, inputs));
}

inline std::vector<std::string> kindsOf(const ir::Kernel& kernel) {
    std::vector<std::string> kinds;
    for (const auto& op : kernel.ops)
        if (!op->isConst()) kinds.push_back(op->kind());
    return kinds;
}

inline bool hasKind(const ir::Kernel& kernel, const std::string& kind) {
    auto kinds = kindsOf(kernel);
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

// The warnings of compiling `text` for `target`, each as "line:col: warning: message".
inline std::vector<std::string> warningsFor(const std::string& text,
                                            std::optional<AneTarget> target, int optLevel = 1) {
    driver::Compilation compilation(targetOptions(target, optLevel));
    compilation.loadSource("test.ane", text);
    REQUIRE(compilation.optimize());
    std::vector<std::string> warnings;
    for (const Diagnostic& d : compilation.diagnostics().diagnostics())
        if (d.severity == Severity::Warning) warnings.push_back(DiagnosticEngine::brief(d));
    return warnings;
}

} // namespace anec::passes::test
