#pragma once
// A pass transforms a Module in place. Passes are named, one per file, and run by a PassManager
// that verifies the IR after each of them.
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
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
struct AneTargetRules;

// What `anec stats` measures of a kernel besides FLOPs (footprint.cpp): every op (consts
// included), the bytes of results that are not kernel outputs, and the bytes of the weight
// blobs the emitter writes (mil::blobBytes).
struct Footprint {
    int64_t ops = 0;
    int64_t intermediateBytes = 0;
    int64_t weightBytes = 0;
};
Footprint measureFootprint(const ir::Kernel& kernel);

// Why a pass made a kernel larger on some measure, and by how much: an optimisation that costs
// something must say what for (`anec stats` prints these under the kernel).
struct PassRemark {
    std::string pass;
    std::string kernel;
    std::string reason;
    Footprint growth; // per measure, how much the rewrite added (0 where it did not grow)
};

class Pass {
  public:
    virtual ~Pass() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // Returns the number of changes made (for --pass-stats); reports problems to diagnostics.
    virtual size_t run(ir::Module& module, DiagnosticEngine& diagnostics) = 0;
    // The remarks the last run() recorded, handed over once.
    std::vector<PassRemark> takeRemarks() { return std::exchange(remarks_, {}); }

  protected:
    // Records `reason` when `kernel` grew on some measure since `before` was measured.
    void remarkIfGrown(const ir::Kernel& kernel, const Footprint& before, std::string reason);

  private:
    std::vector<PassRemark> remarks_;
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
    std::vector<PassRemark> remarks;
};

// A problem a pass check found after a pass, reported as an internal error at `loc`.
struct PassProblem {
    SourceLoc loc;
    std::string message;
};
// Run after every pass, after the IR verifier: the problems `pass` introduced (none: empty).
using PassCheck =
    std::function<std::vector<PassProblem>(const Pass& pass, const ir::Module& module)>;

class PassManager {
  public:
    // Called after each pass has run, before the IR is verified (so broken IR can be looked at).
    using AfterPass = std::function<void(const Pass& pass, const ir::Module& module)>;

    void add(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
    void setAfterPass(AfterPass afterPass) { afterPass_ = std::move(afterPass); }
    void addCheck(PassCheck check) { checks_.push_back(std::move(check)); }
    std::vector<std::string> names() const;
    // Runs every pass, verifying the IR and running the checks after each; stops and returns
    // false on the first error.
    bool run(ir::Module& module, DiagnosticEngine& diagnostics);
    const std::vector<PassResult>& results() const { return results_; }

  private:
    std::vector<std::unique_ptr<Pass>> passes_;
    std::vector<PassResult> results_;
    AfterPass afterPass_;
    std::vector<PassCheck> checks_;
};

// The pipeline for an optimisation level. -O0 holds only what emission needs (fold-constants,
// dce); -O1 (the default) adds the cleanups and the fusions. See docs/passes.md.
// With `legalize`, ane-legalize runs too: at -O0 after fold-constants (then fold-constants again
// for the constants it creates), at -O1 after the cleanups and before the fusions.
std::vector<std::string> pipelinePassNames(int optLevel, bool legalize = false);
PassManager buildPipeline(int optLevel);
// Exactly the named passes, in order (`--passes=a,b`); fails naming an unknown pass and listing
// the known ones.
Expected<PassManager> buildPipeline(const std::vector<std::string>& names);
// The same for `target`: "ane-legalize" legalizes for it (generic when nullopt), the fusions keep
// within its limits (generic's without a target: no chip's limits can be undone later),
// "pack-io" packs no outputs when it rejects concat; and when the list holds "ane-legalize", a
// check after every later pass fails the build (an internal error) if the pass produced what
// legalization rewrites or warns about (legality_check.cpp).
Expected<PassManager> buildPipeline(const std::vector<std::string>& names,
                                    std::optional<AneTarget> target);
// Fails like buildPipeline(names) when a name is not a pass; used to check --print-ir-after.
Expected<bool> checkPassName(const std::string& name);

// The passes, one per file.
std::unique_ptr<Pass> createFoldConstantsPass(); // "fold-constants"
std::unique_ptr<Pass> createDeadCodePass();      // "dce"
std::unique_ptr<Pass> createCsePass();           // "cse"
std::unique_ptr<Pass> createCastElimPass();      // "cast-elim"
std::unique_ptr<Pass> createAlgebraicPass();     // "algebraic"
// "fuse-slice-conv-add": fused convs keep Cin below rules.convInputChannelLimit.
std::unique_ptr<Pass> createFuseSliceConvAddPass(const AneTargetRules& rules);
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
