// dce: removes ops none of whose results is used by another op or a kernel output. MIL ops have
// no side effects, so an unused result means the op is dead.
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
class DeadCodePass : public KernelPass {
  public:
    std::string name() const override { return "dce"; }
    std::string description() const override { return "remove ops whose results are unused"; }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        size_t removed = 0;
        // A fixpoint, in case ops are not in execution order (the verifier reports that).
        while (size_t n = ir::removeDeadOps(kernel))
            removed += n;
        return removed;
    }
};
} // namespace

std::unique_ptr<Pass> createDeadCodePass() {
    return std::make_unique<DeadCodePass>();
}

} // namespace anec::passes
