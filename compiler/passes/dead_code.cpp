// dce: removes ops none of whose results is used by another op or a kernel output. MIL ops have
// no side effects, so an unused result means the op is dead.
#include <unordered_map>

#include "passes/pass.hpp"

namespace anec::passes {

namespace {
size_t removeDeadOps(ir::Kernel& kernel) {
    std::unordered_map<const ir::Value*, size_t> uses;
    for (const auto& op : kernel.ops)
        for (const ir::Value* operand : op->operands)
            ++uses[operand];
    for (const ir::KernelOutput& output : kernel.outputs)
        ++uses[output.value];

    // Users come after their operands, so one backward sweep also removes chains of dead ops.
    size_t removed = 0;
    for (auto it = kernel.ops.end(); it != kernel.ops.begin();) {
        --it;
        bool used = false;
        for (const auto& result : (*it)->results)
            used = used || uses[result.get()] > 0;
        if (used) continue;
        for (const ir::Value* operand : (*it)->operands)
            --uses[operand];
        it = kernel.ops.erase(it);
        ++removed;
    }
    return removed;
}

class DeadCodePass : public KernelPass {
  public:
    std::string name() const override { return "dce"; }
    std::string description() const override { return "remove ops whose results are unused"; }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        size_t removed = 0;
        // A fixpoint, in case ops are not in execution order (the verifier reports that).
        while (size_t n = removeDeadOps(kernel))
            removed += n;
        return removed;
    }
};
} // namespace

std::unique_ptr<Pass> createDeadCodePass() {
    return std::make_unique<DeadCodePass>();
}

} // namespace anec::passes
