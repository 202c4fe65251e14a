#pragma once
// The learning rate of each step: linear warm-up, then cosine decay to a floor (the schedule of
// llama2.c's train.py and nanoGPT, with steps counted from 1 so the first step trains).
#include <cstdint>

namespace anec::train {

struct LrSchedule {
    double lr = 1e-3;       // the peak rate
    int64_t warmup = 0;     // steps of linear warm-up: lr * step / warmup
    int64_t decaySteps = 0; // the step at which the cosine reaches minLr (0: no decay)
    double minLr = 0;       // the floor after decaySteps
};

// The rate of step `step` (1-based). With warmup 0 and decaySteps 0, the constant lr.
double learningRate(const LrSchedule& schedule, int64_t step);

} // namespace anec::train
