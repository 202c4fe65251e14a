#include "runtime/reference/reference_backend.hpp"

#include "runtime/reference/executable.hpp"
#include "support/diagnostics.hpp"

namespace anec::runtime {

namespace reference {

std::string ReferenceBackend::name() const {
    return precision_ == Precision::Float64 ? "reference (float64)" : "reference";
}

std::unique_ptr<Executable>
ReferenceBackend::prepareKernel(std::shared_ptr<const ir::Module> module,
                                const ir::Kernel& kernel) {
    if (precision_ == Precision::Float64)
        return std::make_unique<ReferenceExecutable<double>>(std::move(module), kernel);
    return std::make_unique<ReferenceExecutable<float>>(std::move(module), kernel);
}

bool hasEvaluator(const std::string& kind) {
    return evaluators<float>().count(kind) > 0 && evaluators<double>().count(kind) > 0;
}

} // namespace reference

std::unique_ptr<Backend> createReferenceBackend(Precision precision) {
    return std::make_unique<reference::ReferenceBackend>(precision);
}

} // namespace anec::runtime
