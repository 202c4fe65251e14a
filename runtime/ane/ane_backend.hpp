#pragma once
// The ANE backend: plain C++ over a Device (the Apple Neural Engine on macOS, the simulator
// everywhere). Preparing a kernel legalizes it for the backend's target when the compiler has
// not, emits its MIL, and compiles and loads it once per content (program_cache.hpp) within the
// process's compile budget (compile_budget.hpp). Running it binds the tensors to IOSurfaces by the
// surface plan (surface_plan.hpp), so the ANE's binding rules hold by construction.
#include <memory>
#include <optional>
#include <string>

#include "passes/ane_target.hpp"
#include "runtime/ane/ane_device.hpp"
#include "runtime/ane/compile_budget.hpp"
#include "runtime/ane/program_cache.hpp"
#include "runtime/core/backend.hpp"

namespace anec::runtime::ane {

struct AneBackendOptions {
    // What to legalize for and emit; default: passes::aneTargetForChip(device.chipName()).
    std::optional<passes::AneTarget> target;
    // Default: processCompileBudget(). Not owned; must outlive the backend.
    CompileBudget* budget = nullptr;
    // Default: processProgramCache().
    std::shared_ptr<ProgramCache> cache;
    // The backend's name(): "ane", or "ane-sim" over the simulator.
    std::string name = "ane";
};

class AneBackend : public Backend {
  public:
    explicit AneBackend(std::unique_ptr<Device> device, AneBackendOptions options = {});

    std::string name() const override { return name_; }
    passes::AneTarget target() const { return target_; }
    Device& device() { return *device_; }

  protected:
    std::unique_ptr<Executable> prepareKernel(std::shared_ptr<const ir::Module> module,
                                              const ir::Kernel& kernel) override;

  private:
    std::unique_ptr<Device> device_;
    std::string chipName_;         // the device's, read once
    passes::AneTarget chipTarget_; // what the chip itself accepts (for the hints)
    passes::AneTarget target_;
    CompileBudget* budget_;
    std::shared_ptr<ProgramCache> cache_;
    std::string name_;
};

// A device failure as the anec::Error users see: what failed, the device's text, and a hint for
// the known failures (status 0x1d: surface sizes or binding order; a compile failure: an op the
// chip rejects when the program was legalized for another target than `chipTarget`, else a
// limit legalization only warns about). `targetInUse`: what the program was legalized for.
Error deviceFailure(const DeviceError& error, const std::string& kernelName,
                    passes::AneTarget chipTarget, passes::AneTarget targetInUse);

} // namespace anec::runtime::ane
