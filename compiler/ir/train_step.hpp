#pragma once
// A training step as data (`train` declarations, docs/training.md): the programs of one step in
// dispatch order, the tensors that flow between them, and which of those are resident state
// (weights, optimizer moments), batch inputs or host-computed scalars. The compiler builds it
// (compiler/training/), `anec build` writes it as step.json, and anec::train::Trainer runs it.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/const_data.hpp"
#include "ir/types.hpp"

namespace anec::ir {

enum class StepTensorRole {
    Batch,      // given per micro-batch: token ids, targets
    Seed,       // the loss's cotangent, 1 / micro-batches (the Trainer fills it)
    Activation, // produced and consumed within one micro-batch
    Weight,     // trainable, resident across steps; initial value from the source
    Moment,     // optimizer state, resident, starts at zeros
    Gradient,   // accumulated over the micro-batches of a step, zeroed at its start
    Scalar,     // fp32 [1], computed on the host every step (learning rate, scale, ...)
    Loss,       // the micro-batch's loss, read by the host
    SquaredNorm // a gradient's sum of squares, read by the host (clipping)
};
std::string_view stepTensorRoleName(StepTensorRole role);
// Whether tensors of a role cross between host and device every step: the batch, the seed, the
// scalars, the loss and the squared norms read back, and with a host update the gradients out
// and the weights in. Resident state (weights, moments) and activations stay on the device.
bool crossesHost(StepTensorRole role, bool hostUpdate);

struct StepTensor {
    std::string name;
    TensorType type;
    StepTensorRole role = StepTensorRole::Activation;
    std::shared_ptr<const ConstData> initial; // weights only
};

// When a dispatch runs: once per micro-batch, or once per step after the last micro-batch.
enum class StepPhase { MicroBatch, Update };

struct StepDispatch {
    std::string kernel; // a kernel of the module (an ANE program)
    StepPhase phase = StepPhase::MicroBatch;
    std::map<std::string, std::string> inputs;  // kernel input -> step tensor
    std::map<std::string, std::string> outputs; // kernel output -> step tensor
};

enum class OptimizerKind { Sgd, Adam, AdamW };
std::string_view optimizerName(OptimizerKind kind);

struct OptimizerConfig {
    OptimizerKind kind = OptimizerKind::AdamW;
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, momentum = 0;
    int64_t warmup = 0, decaySteps = 0; // linear warm-up, then cosine decay to minLr
    double minLr = 0;
    double clipNorm = 0;  // gradient clipping by global norm; 0: none
    double lossScale = 1; // static loss scale of the backward kernels (undone in the update)
};

struct TrainStep {
    std::string name;
    OptimizerConfig optimizer;
    int64_t microBatches = 1; // sequences per step (batch x accumulate), one micro-batch each
    bool hostUpdate = false;  // gradients cross to the host, which updates in fp32
    std::vector<StepTensor> tensors;
    std::vector<StepDispatch> dispatches; // in dispatch order
    // The weights trained, in the order of the model's first use (names of Weight tensors).
    std::vector<std::string> trained;
    std::string tokens, targets, loss; // step tensor names of the batch inputs and the loss
    // The model's output channels (dimension 1 of the loss's first input, the logits): token
    // ids must be below it.
    int64_t vocabulary = 0;
    // The whole model as one program, every weight an input (by the weight's name): tokens ->
    // logits with the current weights, for sampling and evaluation. Not dispatched by a step.
    std::string logitsProgram;

    const StepTensor* find(const std::string& tensor) const;
    // The distinct programs the step dispatches, in order of first dispatch (each compiled once).
    std::vector<std::string> programs() const;
    // How often a dispatch runs in one step: once per micro-batch, or once.
    int64_t runsPerStep(const StepDispatch& dispatch) const {
        return dispatch.phase == StepPhase::MicroBatch ? microBatches : 1;
    }
};

} // namespace anec::ir
