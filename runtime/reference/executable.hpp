#pragma once
// A kernel prepared for the reference backend: a list of steps (one kernel per op) over numbered
// value slots, built once; run() converts the inputs, runs the steps and converts the outputs.
#include <memory>
#include <vector>

#include "runtime/core/backend.hpp"
#include "runtime/reference/evaluator.hpp"

namespace anec::runtime::reference {

template <typename T> class ReferenceExecutable : public Executable {
  public:
    // Throws anec::Error when the kernel uses an op kind or dtype the backend cannot run.
    ReferenceExecutable(std::shared_ptr<const ir::Module> module, const ir::Kernel& kernel);

    const std::vector<IoInfo>& inputs() const override { return inputs_; }
    const std::vector<IoInfo>& outputs() const override { return outputs_; }
    std::map<std::string, Tensor> run(const std::map<std::string, TensorView>& inputs) override;
    // run() on buffers in the compute type, inputs and outputs in declaration order, nothing
    // rounded on the way out: with T = double, a whole kernel in float64 (gradient checks).
    // The inputs' types are not checked; callers give the declared ones.
    std::vector<Buffer> runBuffers(std::vector<Buffer> inputs) const;

  private:
    struct Step {
        const ir::Op* op = nullptr;
        Kernel kernel;
        std::vector<int> operandSlots; // -1 for an absent optional operand
        std::vector<int> resultSlots;
        std::vector<int> releasedSlots; // values whose last use is this step
        bool roundsResults = false;     // fp16 results are rounded after the kernel
    };

    void prepareSteps(const ir::Kernel& kernel);
    void planReleases();
    void checkPeakMemory(const ir::Kernel& kernel) const;
    int slotOf(const ir::Value* value, const ir::Op& user) const;
    void runStep(const Step& step, std::vector<Buffer>& slots) const;

    std::shared_ptr<const ir::Module> module_;
    std::string kernelName_;
    std::vector<IoInfo> inputs_;
    std::vector<IoInfo> outputs_;
    std::vector<int> inputSlots_;
    std::vector<int> outputSlots_;
    std::vector<Step> steps_;
    std::map<const ir::Value*, int> slots_;
    std::vector<Buffer> constants_; // per slot: the value when known at prepare time
};

extern template class ReferenceExecutable<float>;
extern template class ReferenceExecutable<double>;

} // namespace anec::runtime::reference
