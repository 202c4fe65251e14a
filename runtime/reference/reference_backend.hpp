#pragma once
// The reference CPU backend: runs every op of the IR on the host with the numeric model of
// docs/runtime.md (Precision::Fp16Faithful) or in plain double (Precision::Float64).
#include "runtime/core/backend.hpp"

namespace anec::runtime::reference {

class ReferenceBackend : public Backend {
  public:
    explicit ReferenceBackend(Precision precision) : precision_(precision) {}

    std::string name() const override;

  protected:
    std::unique_ptr<Executable> prepareKernel(std::shared_ptr<const ir::Module> module,
                                              const ir::Kernel& kernel) override;

  private:
    Precision precision_;
};

// Whether the reference backend can execute op kind `kind` (both precisions).
bool hasEvaluator(const std::string& kind);

} // namespace anec::runtime::reference
