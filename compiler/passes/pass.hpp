#pragma once
// A pass transforms a Module in place. Passes are named, one per file, and run by a PassManager
// that verifies the IR after each of them.
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "support/diagnostics.hpp"

namespace anec::passes {

class Pass {
  public:
    virtual ~Pass() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // Returns the number of changes made (for --pass-stats); reports problems to diagnostics.
    virtual size_t run(ir::Module& module, DiagnosticEngine& diagnostics) = 0;
};

struct PassResult {
    std::string pass;
    size_t changes = 0;
};

class PassManager {
  public:
    void add(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
    // Runs every pass, verifying the IR after each; stops and returns false on the first error.
    bool run(ir::Module& module, DiagnosticEngine& diagnostics);
    const std::vector<PassResult>& results() const { return results_; }

  private:
    std::vector<std::unique_ptr<Pass>> passes_;
    std::vector<PassResult> results_;
};

// The pipeline for an optimisation level. -O0 holds only what emission needs.
PassManager buildPipeline(int optLevel);

// The passes, one per file.
std::unique_ptr<Pass> createFoldConstantsPass(); // "fold-constants"
std::unique_ptr<Pass> createDeadCodePass();      // "dce"

// Passes by name, for `--passes=a,b`: nullptr for an unknown name; names sorted.
std::unique_ptr<Pass> createPass(const std::string& name);
std::vector<std::string> passNames();

} // namespace anec::passes
