#pragma once
// Builds a training step (ir::TrainStep and its kernels) from a model given as a chain of stage
// kernels and a loss kernel (docs/training.md, "How a step is built"):
//  - consecutive stages are grouped into segments, each at most `segmentWeightBytes` of weights
//    (the ANE's ~32 MB on-chip working set) unless a single stage is larger; the loss joins the
//    last segment;
//  - a forward program per segment but the last computes the activation the next one takes;
//  - a backward program per segment (gradKernel of the segment, recomputing its forward from its
//    input): the last one runs forward, loss and backward in one program and returns the loss;
//  - the update: appended to the backward programs (on the ANE, no extra dispatch) when a step is
//    one micro-batch without clipping; otherwise the backward programs accumulate fp32 gradients
//    and one update program per segment runs after the last micro-batch; with hostUpdate the
//    gradients cross to the host instead.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "ir/vjp.hpp"
#include "support/expected.hpp"

namespace anec::training {

struct StepSpec {
    std::string name;
    SourceLoc loc;
    // The model in order: the first takes the batch (token ids), each next one the previous
    // one's output; every weight input is a dynamic weight (Kernel::dynamicWeights).
    std::vector<const ir::Kernel*> stages;
    // (last stage's output, targets...) -> (loss), the loss a float tensor of one element.
    const ir::Kernel* loss = nullptr;
    // Dynamic weights not trained (they stay inputs, at their initial value).
    std::set<std::string> frozen;
    ir::OptimizerConfig optimizer;
    int64_t microBatches = 1;
    bool hostUpdate = false;
    uint64_t segmentWeightBytes = 32ull << 20;
};

struct BuiltStep {
    std::vector<std::unique_ptr<ir::Kernel>> kernels; // in dispatch order of first use
    ir::TrainStep step;
    // Constants of the backward programs that underflow fp16 (the frontend warns).
    std::vector<ir::VjpRangeWarning> warnings;
};

// Fails with a message for models that are not a chain (the frontend checks the declaration
// first and reports with source locations).
Expected<BuiltStep> buildStep(const StepSpec& spec);

} // namespace anec::training
