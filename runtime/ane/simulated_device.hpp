#pragma once
// A simulated ANE: a Device that runs programs through the MIL reader and the reference backend
// (fp16-faithful) and reproduces the ANE's known traps, so that tests on any machine prove anec
// never meets them (docs/runtime.md, "The ANE backend"):
// - compile: gelu, silu (rule 8), conv with a bias (rule 9) or non-constant weights (rule 11) or
//   32000+ input channels (rule 12), and on chips without them cast and concat (rule 7,
//   passes::aneTargetRules) fail like the real compiler, with a message that says nothing
//   useful; on the M5, a program that is not program(1.5) with 128-byte aligned blobs (rule 16);
//   every compile from the 120th of the device on fails (rule 15);
// - evaluate: input surface i holds the i-th parameter of the MIL function in ALPHABETICAL order
//   (rule 1), output surface i gets the i-th returned name in alphabetical order (rule 2);
//   surfaces of unequal size or below 49,152 bytes fail with status 0x1d (rules 3, 6); each
//   tensor is read from (written to) the start of its surface;
// - scaled_dot_product_attention ignores its mask (rule 10).
// It cannot reproduce timing, the hardware's exact arithmetic, or failures nobody has reported.
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "passes/ane_target.hpp"
#include "runtime/ane/ane_device.hpp"

namespace anec::runtime::ane {

// The ANE compiler fails from this many compiles per process on (rule 15: "about 119").
inline constexpr size_t kSimulatedCompileLimit = 119;

class SimulatedDevice : public Device {
  public:
    explicit SimulatedDevice(passes::AneTarget chip = passes::AneTarget::Generic) : chip_(chip) {}

    // "Apple M1 (simulated)", ... (passes::aneTargetForChip reads it back); "ANE simulator
    // (generic)" for the generic chip.
    std::string chipName() const override;
    std::unique_ptr<LoadedProgram> compileAndLoad(const ProgramSource& source,
                                                  const SurfaceSizes& surfaces) override;

    passes::AneTarget chip() const { return chip_; }
    // Compiles attempted on this device (its "process").
    size_t compiles() const { return compiles_; }
    // The weight paths the last compile was given (what a backend uploads).
    std::vector<std::string> lastWeightPaths() const {
        std::lock_guard lock(mutex_);
        return lastWeightPaths_;
    }

  private:
    passes::AneTarget chip_;
    std::atomic<size_t> compiles_ = 0;
    mutable std::mutex mutex_;
    std::vector<std::string> lastWeightPaths_;
};

} // namespace anec::runtime::ane
