#include "runtime/train/host_optimizer.hpp"

#include <cmath>

#include "runtime/train/lr_schedule.hpp"

namespace anec::train {

StepScalars stepScalars(const ir::OptimizerConfig& o, int64_t step, double gradScale) {
    StepScalars s;
    s.lr = learningRate({o.lr, o.warmup, o.decaySteps, o.minLr}, step);
    s.gradScale = gradScale;
    const double t = static_cast<double>(step);
    s.stepSize = s.lr / (1 - std::pow(o.beta1, t));
    s.bias2 = 1 / std::sqrt(1 - std::pow(o.beta2, t));
    s.decay = o.kind == ir::OptimizerKind::AdamW ? 1 - s.lr * o.weightDecay : 1;
    return s;
}

double clipCoefficient(const ir::OptimizerConfig& optimizer, double globalNorm) {
    if (optimizer.clipNorm <= 0) return 1;
    return std::min(1.0, optimizer.clipNorm / (globalNorm + 1e-6));
}

// fp32 arithmetic in the order of the update programs' ops, so that both paths round alike.
void hostUpdate(const ir::OptimizerConfig& o, const StepScalars& s, bool decays,
                std::span<float> weight, std::span<const float> gradient, std::span<float> first,
                std::span<float> second) {
    const float gradScale = static_cast<float>(s.gradScale);
    if (o.kind == ir::OptimizerKind::Sgd) {
        const float lr = static_cast<float>(s.lr), wd = static_cast<float>(o.weightDecay),
                    momentum = static_cast<float>(o.momentum);
        for (size_t i = 0; i < weight.size(); ++i) {
            float g = gradient[i] * gradScale;
            if (wd != 0 && decays) g = g + weight[i] * wd;
            if (momentum != 0) g = first[i] = first[i] * momentum + g;
            weight[i] = weight[i] - g * lr;
        }
        return;
    }
    const float b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2),
                c1 = static_cast<float>(1 - o.beta1), c2 = static_cast<float>(1 - o.beta2),
                eps = static_cast<float>(o.eps), stepSize = static_cast<float>(s.stepSize),
                bias2 = static_cast<float>(s.bias2), decay = static_cast<float>(s.decay);
    const bool decayed = o.kind == ir::OptimizerKind::AdamW && o.weightDecay != 0 && decays;
    for (size_t i = 0; i < weight.size(); ++i) {
        float g = gradient[i] * gradScale;
        float m = first[i] = first[i] * b1 + g * c1;
        float v = second[i] = second[i] * b2 + (g * g) * c2;
        float step = m / (std::sqrt(v) * bias2 + eps) * stepSize;
        float w = decayed ? weight[i] * decay : weight[i];
        weight[i] = w - step;
    }
}

} // namespace anec::train
