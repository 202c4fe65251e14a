#pragma once
// The optimizer's per-step scalars (the host computes them for the update programs and for its
// own update), and the fp32 host update of `update host` (docs/training.md, "The update"). The
// host update applies the same formulas as the update programs (training/optimizer_ops.hpp).
#include <cstdint>
#include <span>

#include "ir/train_step.hpp"

namespace anec::train {

struct StepScalars {
    double lr = 0;        // the step's learning rate
    double gradScale = 1; // clip coefficient / loss scale: what the summed gradients are scaled by
    double stepSize = 0;  // adam: lr / (1 - beta1^t)
    double bias2 = 1;     // adam: 1 / sqrt(1 - beta2^t)
    double decay = 1;     // adamw: 1 - lr * weight_decay
};

// For step t (1-based) with the scale applied to the gradients.
StepScalars stepScalars(const ir::OptimizerConfig& optimizer, int64_t step, double gradScale);

// The clip coefficient min(1, clip / (norm + 1e-6)) (torch.nn.utils.clip_grad_norm_), 1 without
// clipping.
double clipCoefficient(const ir::OptimizerConfig& optimizer, double globalNorm);

// One weight's fp32 update in place. `first` and `second` are its moments (adam: m and v; sgd
// with momentum: the buffer in `first`); unused ones may be empty.
void hostUpdate(const ir::OptimizerConfig& optimizer, const StepScalars& scalars, bool decays,
                std::span<float> weight, std::span<const float> gradient, std::span<float> first,
                std::span<float> second);

} // namespace anec::train
