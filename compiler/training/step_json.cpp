#include "training/step_json.hpp"

#include <nlohmann/json.hpp>

namespace anec::training {

namespace {

using json = nlohmann::ordered_json;
using ir::StepTensorRole;

constexpr const char* kFormat = "anec-train-step";
constexpr int kVersion = 1;

const std::vector<StepTensorRole> kRoles = {
    StepTensorRole::Batch,  StepTensorRole::Seed,   StepTensorRole::Activation,
    StepTensorRole::Weight, StepTensorRole::Moment, StepTensorRole::Gradient,
    StepTensorRole::Scalar, StepTensorRole::Loss,   StepTensorRole::SquaredNorm};

json optimizerJson(const ir::OptimizerConfig& o) {
    return {{"kind", std::string(ir::optimizerName(o.kind))},
            {"lr", o.lr},
            {"beta1", o.beta1},
            {"beta2", o.beta2},
            {"eps", o.eps},
            {"weight_decay", o.weightDecay},
            {"momentum", o.momentum},
            {"warmup", o.warmup},
            {"decay", o.decaySteps},
            {"min_lr", o.minLr},
            {"clip", o.clipNorm},
            {"loss_scale", o.lossScale}};
}

ir::OptimizerConfig optimizerFrom(const json& j) {
    ir::OptimizerConfig o;
    std::string kind = j.at("kind").get<std::string>();
    if (kind == "sgd")
        o.kind = ir::OptimizerKind::Sgd;
    else if (kind == "adam")
        o.kind = ir::OptimizerKind::Adam;
    else if (kind == "adamw")
        o.kind = ir::OptimizerKind::AdamW;
    else
        throw std::runtime_error("unknown optimizer '" + kind + "'");
    o.lr = j.at("lr").get<double>();
    o.beta1 = j.at("beta1").get<double>();
    o.beta2 = j.at("beta2").get<double>();
    o.eps = j.at("eps").get<double>();
    o.weightDecay = j.at("weight_decay").get<double>();
    o.momentum = j.at("momentum").get<double>();
    o.warmup = j.at("warmup").get<int64_t>();
    o.decaySteps = j.at("decay").get<int64_t>();
    o.minLr = j.at("min_lr").get<double>();
    o.clipNorm = j.at("clip").get<double>();
    o.lossScale = j.at("loss_scale").get<double>();
    return o;
}

StepTensorRole roleFrom(const std::string& name) {
    for (StepTensorRole role : kRoles)
        if (ir::stepTensorRoleName(role) == name) return role;
    throw std::runtime_error("unknown tensor role '" + name + "'");
}

ir::TensorType typeFrom(const json& j) {
    std::string dtype = j.at("dtype").get<std::string>();
    auto parsed = ir::parseDType(dtype);
    if (!parsed) throw std::runtime_error("unknown dtype '" + dtype + "'");
    ir::Shape shape = j.at("shape").get<ir::Shape>();
    for (int64_t d : shape)
        if (d < 0 || d > (int64_t{1} << 32)) throw std::runtime_error("bad dimension in a shape");
    return {*parsed, shape};
}

} // namespace

std::string stepToJson(const ir::TrainStep& step) {
    json tensors = json::array();
    for (const ir::StepTensor& tensor : step.tensors)
        tensors.push_back({{"name", tensor.name},
                           {"role", std::string(ir::stepTensorRoleName(tensor.role))},
                           {"dtype", std::string(ir::dtypeName(tensor.type.dtype))},
                           {"shape", tensor.type.shape}});
    json dispatches = json::array();
    for (const ir::StepDispatch& dispatch : step.dispatches)
        dispatches.push_back(
            {{"program", dispatch.kernel},
             {"phase", dispatch.phase == ir::StepPhase::MicroBatch ? "micro_batch" : "update"},
             {"inputs", dispatch.inputs},
             {"outputs", dispatch.outputs}});
    json j = {{"format", kFormat},
              {"version", kVersion},
              {"name", step.name},
              {"micro_batches", step.microBatches},
              {"host_update", step.hostUpdate},
              {"tokens", step.tokens},
              {"targets", step.targets},
              {"loss", step.loss},
              {"vocabulary", step.vocabulary},
              {"logits_program", step.logitsProgram},
              {"optimizer", optimizerJson(step.optimizer)},
              {"trained", step.trained},
              {"tensors", tensors},
              {"dispatches", dispatches}};
    return j.dump(2) + "\n";
}

Expected<ir::TrainStep> stepFromJson(const std::string& text) {
    try {
        json j = json::parse(text);
        if (!j.is_object() || j.value("format", "") != kFormat)
            return fail("not an anec training step (\"format\": \"" + std::string(kFormat) +
                        "\" is missing)");
        if (j.at("version").get<int>() != kVersion)
            return fail("step.json version " + std::to_string(j.at("version").get<int>()) +
                        " is not " + std::to_string(kVersion) + ", the version this anec reads");
        ir::TrainStep step;
        step.name = j.at("name").get<std::string>();
        step.microBatches = j.at("micro_batches").get<int64_t>();
        if (step.microBatches < 1) return fail("micro_batches must be at least 1");
        step.hostUpdate = j.at("host_update").get<bool>();
        step.tokens = j.at("tokens").get<std::string>();
        step.targets = j.at("targets").get<std::string>();
        step.loss = j.at("loss").get<std::string>();
        step.vocabulary = j.at("vocabulary").get<int64_t>();
        step.logitsProgram = j.at("logits_program").get<std::string>();
        step.optimizer = optimizerFrom(j.at("optimizer"));
        step.trained = j.at("trained").get<std::vector<std::string>>();
        for (const json& t : j.at("tensors"))
            step.tensors.push_back({t.at("name").get<std::string>(), typeFrom(t),
                                    roleFrom(t.at("role").get<std::string>()), nullptr});
        for (const json& d : j.at("dispatches")) {
            std::string phase = d.at("phase").get<std::string>();
            if (phase != "micro_batch" && phase != "update")
                return fail("unknown dispatch phase '" + phase + "'");
            step.dispatches.push_back(
                {d.at("program").get<std::string>(),
                 phase == "update" ? ir::StepPhase::Update : ir::StepPhase::MicroBatch,
                 d.at("inputs").get<std::map<std::string, std::string>>(),
                 d.at("outputs").get<std::map<std::string, std::string>>()});
        }
        // Every binding names a tensor of the step.
        for (const ir::StepDispatch& dispatch : step.dispatches)
            for (const auto* bindings : {&dispatch.inputs, &dispatch.outputs})
                for (const auto& [io, tensor] : *bindings)
                    if (!step.find(tensor))
                        return fail("program '" + dispatch.kernel + "' binds '" + io +
                                    "' to tensor '" + tensor + "', which the step does not list");
        return step;
    } catch (const std::exception& e) {
        return fail(std::string("malformed step.json: ") + e.what());
    }
}

} // namespace anec::training
