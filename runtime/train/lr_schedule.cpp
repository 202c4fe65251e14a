#include "runtime/train/lr_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace anec::train {

double learningRate(const LrSchedule& schedule, int64_t step) {
    if (schedule.warmup > 0 && step <= schedule.warmup)
        return schedule.lr * static_cast<double>(step) / static_cast<double>(schedule.warmup);
    if (schedule.decaySteps <= schedule.warmup) return schedule.lr;
    double ratio = static_cast<double>(step - schedule.warmup) /
                   static_cast<double>(schedule.decaySteps - schedule.warmup);
    ratio = std::clamp(ratio, 0.0, 1.0);
    double cosine = 0.5 * (1 + std::cos(std::numbers::pi * ratio));
    return schedule.minLr + cosine * (schedule.lr - schedule.minLr);
}

} // namespace anec::train
