#pragma once
// A pass transforms a Module in place. Passes are named, one per file, and run by a PassManager
// that verifies the IR after each of them.
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ir/ir.hpp"
#include "support/diagnostics.hpp"
#include "support/expected.hpp"

namespace anec::passes {

// The ops a pass builds are valid by construction: failing to build one is a bug in `pass`
// (an internal error, not a problem with the user's program).
template <typename T> T built(Expected<T> result, std::string_view pass) {
    if (!result) throw std::logic_error(std::string(pass) + ": " + result.error());
    return *result;
}

enum class AneTarget; // passes/ane_target.hpp

class Pass {
  public:
    virtual ~Pass() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // Returns the number of changes made (for --pass-stats); reports problems to diagnostics.
    virtual size_t run(ir::Module& module, DiagnosticEngine& diagnostics) = 0;
};

// A pass that transforms every kernel on its own.
class KernelPass : public Pass {
  public:
    size_t run(ir::Module& module, DiagnosticEngine& diagnostics) override {
        size_t changes = 0;
        for (auto& kernel : module.kernels)
            changes += runOnKernel(*kernel, diagnostics);
        return changes;
    }

  protected:
    virtual size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine& diagnostics) = 0;
};

struct PassResult {
    std::string pass;
    size_t changes = 0;
};

class PassManager {
  public:
    // Called after each pass has run, before the IR is verified (so broken IR can be looked at).
    using AfterPass = std::function<void(const Pass& pass, const ir::Module& module)>;

    void add(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
    void setAfterPass(AfterPass afterPass) { afterPass_ = std::move(afterPass); }
    std::vector<std::string> names() const;
    // Runs every pass, verifying the IR after each; stops and returns false on the first error.
    bool run(ir::Module& module, DiagnosticEngine& diagnostics);
    const std::vector<PassResult>& results() const { return results_; }

  private:
    std::vector<std::unique_ptr<Pass>> passes_;
    std::vector<PassResult> results_;
    AfterPass afterPass_;
};

// The pipeline for an optimisation level. -O0 holds only what emission needs (fold-constants,
// dce); -O1 (the default) adds the cleanups and the fusions. See docs/passes.md.
// With `legalize`, ane-legalize runs too: at -O0 after fold-constants (then fold-constants again
// for the constants it creates), at -O1 after the fusions and before pack-io.
std::vector<std::string> pipelinePassNames(int optLevel, bool legalize = false);
PassManager buildPipeline(int optLevel);
// Exactly the named passes, in order (`--passes=a,b`); fails naming an unknown pass and listing
// the known ones.
Expected<PassManager> buildPipeline(const std::vector<std::string>& names);
// The same, with "ane-legalize" for `target` (generic when nullopt); when the target rejects
// concat, "pack-io" packs no outputs (its output packing is a concat).
Expected<PassManager> buildPipeline(const std::vector<std::string>& names,
                                    std::optional<AneTarget> target);
// Fails like buildPipeline(names) when a name is not a pass; used to check --print-ir-after.
Expected<bool> checkPassName(const std::string& name);

// The passes, one per file.
std::unique_ptr<Pass> createFoldConstantsPass();      // "fold-constants"
std::unique_ptr<Pass> createDeadCodePass();           // "dce"
std::unique_ptr<Pass> createCsePass();                // "cse"
std::unique_ptr<Pass> createCastElimPass();           // "cast-elim"
std::unique_ptr<Pass> createAlgebraicPass();          // "algebraic"
std::unique_ptr<Pass> createFuseSliceConvAddPass();   // "fuse-slice-conv-add"
std::unique_ptr<Pass> createFuseHorizontalPass();     // "fuse-horizontal"
std::unique_ptr<Pass> createFuseConvScaleShiftPass(); // "fuse-conv-scale-shift"
// "pack-io". packOutputs = false keeps outputs separate, for targets that reject concat.
struct PackIoOptions {
    bool packInputs = true;
    bool packOutputs = true;
};
std::unique_ptr<Pass> createPackIoPass(PackIoOptions options = {});

// Passes by name, for `--passes=a,b`: nullptr for an unknown name; names sorted.
std::unique_ptr<Pass> createPass(const std::string& name);
std::vector<std::string> passNames();

} // namespace anec::passes
