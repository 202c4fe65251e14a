#pragma once
// step.json: a training step's schedule as `anec build` writes it beside the step's programs
// (docs/training.md, "step.json"), and its reader for the Trainer. Weights' initial values are
// not in it: they are the dynamic weights' initial values of the programs.
#include <string>

#include "ir/train_step.hpp"
#include "support/expected.hpp"

namespace anec::training {

std::string stepToJson(const ir::TrainStep& step);
// Fails with a message naming what is missing or malformed.
Expected<ir::TrainStep> stepFromJson(const std::string& text);

} // namespace anec::training
