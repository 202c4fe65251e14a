#pragma once
// The optimizer update as IR ops, appended to a training step's kernel so that the update runs
// on the ANE beside the backward (docs/training.md, "The update"). fp32 throughout: the weight
// and its gradient are cast up, the moments are fp32, and the new weight is cast back.
#include <string>
#include <vector>

#include "ir/builder.hpp"
#include "ir/train_step.hpp"

namespace anec::training {

// A kernel input or output the update adds, with the step tensor it is bound to.
struct UpdateBinding {
    std::string io;     // the kernel's input or output name
    std::string tensor; // the step tensor
};

// The step tensors the host fills every step (fp32 [1]); which ones an optimizer reads:
//   opt.grad_scale = clip coefficient / loss scale     every optimizer
//   opt.lr         = the step's learning rate          sgd
//   opt.step_size  = lr / (1 - beta1^t)                adam, adamw
//   opt.bias2      = 1 / sqrt(1 - beta2^t)             adam, adamw
//   opt.decay      = 1 - lr * weight_decay             adamw
std::vector<std::string> optimizerScalars(const ir::OptimizerConfig& optimizer);
// The moments an optimizer keeps per weight: "adam_m", "adam_v", or "momentum" (sgd with a
// momentum), or none.
std::vector<std::string> optimizerMoments(const ir::OptimizerConfig& optimizer);
// Whether weight decay applies to a weight: to matrices and embeddings (rank >= 2), not to norm
// gains, as llama2.c's train.py and most LLM recipes do.
bool decays(const ir::TensorType& weight);

class UpdateEmitter {
  public:
    UpdateEmitter(ir::Kernel& kernel, const ir::OptimizerConfig& optimizer, SourceLoc loc);

    // Appends the update of `weight` (a kernel value of the weight's type) by `gradient` (any
    // float dtype, the weight's shape; scaled by the loss scale) and adds the moment inputs and
    // the outputs "<weight>_next", "<moment>_<weight>_next". Returns the new weight.
    ir::Value* update(const std::string& weightName, ir::Value* weight, ir::Value* gradient);

    // What update() added, to bind in the schedule.
    const std::vector<UpdateBinding>& inputs() const { return inputs_; }
    const std::vector<UpdateBinding>& outputs() const { return outputs_; }

  private:
    ir::Value* scalar(const std::string& name);
    ir::Value* constant(double value);
    ir::Value* op(const std::string& kind, std::vector<ir::Value*> operands,
                  ir::AttrMap attrs = {});
    ir::Value* moment(const std::string& prefix, const std::string& weightName,
                      const ir::TensorType& type);
    void output(const std::string& io, const std::string& tensor, ir::Value* value);

    ir::Kernel& kernel_;
    ir::Builder builder_;
    ir::OptimizerConfig optimizer_;
    SourceLoc loc_;
    std::map<std::string, ir::Value*> scalars_;
    std::vector<UpdateBinding> inputs_, outputs_;
};

} // namespace anec::training
