// createBackend (runtime/core/backend.hpp): the reference backend, the ANE backend over the Apple
// device, or over the simulator.
#include "runtime/ane/ane_backend.hpp"
#include "runtime/ane/simulated_device.hpp"

namespace anec::runtime {

namespace {

std::optional<passes::AneTarget> targetOption(const BackendOptions& options) {
    if (options.aneTarget.empty()) return std::nullopt;
    auto target = passes::parseAneTarget(options.aneTarget);
    if (!target)
        throw Error("unknown ANE target '" + options.aneTarget + "' (expected " +
                    passes::aneTargetList() + ")");
    return target;
}

std::unique_ptr<Backend> aneBackend(std::unique_ptr<ane::Device> device,
                                    const BackendOptions& options, std::string name) {
    if (options.compileBudget > 0) ane::processCompileBudget().setLimit(options.compileBudget);
    ane::AneBackendOptions aneOptions;
    aneOptions.target = targetOption(options);
    aneOptions.name = std::move(name);
    return std::make_unique<ane::AneBackend>(std::move(device), std::move(aneOptions));
}

} // namespace

std::unique_ptr<Backend> createBackend(BackendKind kind, const BackendOptions& options) {
    switch (kind) {
    case BackendKind::Reference:
        return createReferenceBackend();
    case BackendKind::AneSimulator: {
        auto chip = targetOption(options).value_or(passes::AneTarget::Generic);
        return aneBackend(std::make_unique<ane::SimulatedDevice>(chip), options, "ane-sim");
    }
    case BackendKind::Ane:
    case BackendKind::Auto:
        break;
    }
    std::string why;
    std::unique_ptr<ane::Device> device = ane::openAppleNeuralEngine(why);
    if (device) return aneBackend(std::move(device), options, "ane");
    if (kind == BackendKind::Auto) return createReferenceBackend();
    throw Error("the ANE backend is not available: it needs macOS on Apple silicon (" + why +
                "). Use --backend reference, or --backend ane-sim to check a program against "
                "the ANE's rules on this machine");
}

std::unique_ptr<Backend> createBackend(BackendKind kind) {
    return createBackend(kind, BackendOptions{});
}

} // namespace anec::runtime
