#include "ir/train_step.hpp"

#include <algorithm>

namespace anec::ir {

std::string_view stepTensorRoleName(StepTensorRole role) {
    switch (role) {
    case StepTensorRole::Batch:
        return "batch";
    case StepTensorRole::Seed:
        return "seed";
    case StepTensorRole::Activation:
        return "activation";
    case StepTensorRole::Weight:
        return "weight";
    case StepTensorRole::Moment:
        return "moment";
    case StepTensorRole::Gradient:
        return "gradient";
    case StepTensorRole::Scalar:
        return "scalar";
    case StepTensorRole::Loss:
        return "loss";
    case StepTensorRole::SquaredNorm:
        return "squared_norm";
    }
    return "?";
}

bool crossesHost(StepTensorRole role, bool hostUpdate) {
    switch (role) {
    case StepTensorRole::Batch:
    case StepTensorRole::Seed:
    case StepTensorRole::Scalar:
    case StepTensorRole::Loss:
    case StepTensorRole::SquaredNorm:
        return true;
    case StepTensorRole::Weight:
    case StepTensorRole::Gradient:
        return hostUpdate;
    case StepTensorRole::Activation:
    case StepTensorRole::Moment:
        return false;
    }
    return false;
}

std::string_view optimizerName(OptimizerKind kind) {
    switch (kind) {
    case OptimizerKind::Sgd:
        return "sgd";
    case OptimizerKind::Adam:
        return "adam";
    case OptimizerKind::AdamW:
        return "adamw";
    }
    return "?";
}

std::vector<std::string> TrainStep::programs() const {
    std::vector<std::string> names;
    for (const StepDispatch& dispatch : dispatches)
        if (std::find(names.begin(), names.end(), dispatch.kernel) == names.end())
            names.push_back(dispatch.kernel);
    return names;
}

const StepTensor* TrainStep::find(const std::string& tensor) const {
    for (const StepTensor& each : tensors)
        if (each.name == tensor) return &each;
    return nullptr;
}

} // namespace anec::ir
