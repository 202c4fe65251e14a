#include "runtime/train/trainer.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "driver/program_loader.hpp"
#include "driver/stats.hpp"
#include "runtime/core/fp16_convert.hpp"
#include "runtime/train/host_optimizer.hpp"
#include "runtime/train/safetensors.hpp"
#include "support/diagnostics.hpp"
#include "training/optimizer_ops.hpp"
#include "training/step_json.hpp"

namespace anec::train {

namespace {

using ir::DType;
using ir::StepTensorRole;
namespace fs = std::filesystem;

std::unique_ptr<runtime::Backend> makeBackend(const TrainerOptions& options) {
    if (options.backend == runtime::BackendKind::Reference)
        return runtime::createReferenceBackend(options.precision);
    return runtime::createBackend(options.backend, options.backendOptions);
}

std::vector<float> toFloats(const runtime::Tensor& tensor) {
    const ir::TensorType& type = tensor.type();
    std::vector<float> values(static_cast<size_t>(type.numElements()));
    if (type.dtype == DType::Fp32) {
        std::memcpy(values.data(), tensor.bytes().data(), values.size() * sizeof(float));
    } else if (type.dtype == DType::Fp16) {
        runtime::halfToFloat(reinterpret_cast<const uint16_t*>(tensor.bytes().data()),
                             values.data(), values.size());
    } else {
        for (size_t i = 0; i < values.size(); ++i)
            values[i] = static_cast<float>(
                ir::loadElement(type.dtype, tensor.bytes().data() + i * ir::dtypeSize(type.dtype)));
    }
    return values;
}

void storeFloats(runtime::Tensor& tensor, std::span<const float> values) {
    const ir::TensorType& type = tensor.type();
    if (type.dtype == DType::Fp32) {
        std::memcpy(tensor.bytes().data(), values.data(), values.size() * sizeof(float));
    } else if (type.dtype == DType::Fp16) {
        runtime::floatToHalf(values.data(), reinterpret_cast<uint16_t*>(tensor.bytes().data()),
                             values.size());
    } else {
        for (size_t i = 0; i < values.size(); ++i)
            ir::storeElement(type.dtype, tensor.bytes().data() + i * ir::dtypeSize(type.dtype),
                             values[i]);
    }
}

double firstValue(const runtime::Tensor& tensor) {
    return ir::loadElement(tensor.type().dtype, tensor.bytes().data());
}

std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The step's programs and its logits program: what a Trainer needs loaded.
std::vector<std::string> programNames(const ir::TrainStep& step) {
    std::vector<std::string> names = step.programs();
    if (!step.logitsProgram.empty()) names.push_back(step.logitsProgram);
    return names;
}

} // namespace

Trainer::Trainer(ir::TrainStep step,
                 std::map<std::string, std::shared_ptr<const ir::Module>> programs,
                 const TrainerOptions& options)
    : step_(std::move(step)), programs_(std::move(programs)), options_(options) {
    prepare(programs_, options);
    initializeState();
}

Trainer Trainer::fromModule(std::shared_ptr<const ir::Module> module,
                            const TrainerOptions& options) {
    if (module->trainSteps.empty())
        throw Error("the program declares no training step ('train NAME { ... }')");
    const ir::TrainStep& step = module->trainSteps[0];
    std::map<std::string, std::shared_ptr<const ir::Module>> programs;
    for (const std::string& name : programNames(step))
        programs[name] = module;
    return Trainer(step, programs, options);
}

Trainer Trainer::fromBuild(const fs::path& dir, const TrainerOptions& options) {
    fs::path stepFile = dir / "step.json";
    if (!fs::exists(stepFile))
        throw Error(dir.string() + " holds no step.json: build a program with a 'train' "
                                   "declaration (anec build FILE.ane -o DIR)");
    auto step = training::stepFromJson(readText(stepFile));
    if (!step) throw Error(stepFile.string() + ": " + step.error());
    std::map<std::string, std::shared_ptr<const ir::Module>> programs;
    for (const std::string& name : programNames(*step)) {
        driver::LoadedProgram loaded = driver::loadProgram(dir / name, {});
        const driver::LoadedKernel& kernel = loaded.select("");
        if (kernel.kernelName != name)
            throw Error(stepFile.string() + ": program directory '" + name + "' holds kernel '" +
                        kernel.kernelName + "'");
        programs[name] = kernel.module;
    }
    return Trainer(std::move(*step), programs, options);
}

void Trainer::prepare(const std::map<std::string, std::shared_ptr<const ir::Module>>& programs,
                      const TrainerOptions& options) {
    std::unique_ptr<runtime::Backend> backend = makeBackend(options);
    backendName_ = backend->name();
    for (const ir::StepDispatch& dispatch : step_.dispatches) {
        if (executables_.count(dispatch.kernel)) continue;
        auto found = programs.find(dispatch.kernel);
        if (found == programs.end() || !found->second->findKernel(dispatch.kernel))
            throw Error("the step dispatches program '" + dispatch.kernel + "', which is missing");
        executables_[dispatch.kernel] = backend->prepare(found->second, dispatch.kernel);
        // A step read from step.json takes its weights' initial values from the programs.
        const ir::Kernel& kernel = *found->second->findKernel(dispatch.kernel);
        for (ir::StepTensor& tensor : step_.tensors)
            if (tensor.role == StepTensorRole::Weight && !tensor.initial)
                for (const auto& [io, name] : dispatch.inputs)
                    if (name == tensor.name)
                        if (const ir::DynamicWeight* weight = kernel.findDynamicWeight(io))
                            tensor.initial = weight->initial;
    }
}

// Weights start at the programs' dynamic weights' initial values; everything else at zero.
void Trainer::initializeState() {
    for (const ir::StepTensor& tensor : step_.tensors)
        store_.emplace(tensor.name, runtime::Tensor(tensor.type));
    for (const ir::StepTensor& tensor : step_.tensors) {
        if (tensor.role != StepTensorRole::Weight) continue;
        std::shared_ptr<const ir::ConstData> initial = tensor.initial;
        if (!initial) throw Error("weight '" + tensor.name + "' has no initial value");
        if (initial->type() != tensor.type)
            throw Error("weight '" + tensor.name + "' starts as " + initial->type().str() +
                        " but the step declares " + tensor.type.str());
        store_[tensor.name] = runtime::Tensor(tensor.type, initial->bytes());
    }
    if (!step_.hostUpdate) return;
    // The host's fp32 master weights and moments.
    for (const std::string& weight : step_.trained) {
        const runtime::Tensor& value = store_.at(weight);
        ir::TensorType fp32{DType::Fp32, value.type().shape};
        runtime::Tensor master(fp32);
        storeFloats(master, toFloats(value));
        store_["master." + weight] = std::move(master);
        for (const std::string& moment : training::optimizerMoments(step_.optimizer))
            store_[moment + "." + weight] = runtime::Tensor(fp32);
    }
}

int64_t Trainer::sequenceLength() const {
    const ir::StepTensor* tokens = step_.find(step_.tokens);
    return tokens && !tokens->type.shape.empty() ? tokens->type.shape.back() : 0;
}

const runtime::Tensor& Trainer::tensor(const std::string& name) const {
    auto found = store_.find(name);
    if (found == store_.end()) throw Error("the training step has no tensor '" + name + "'");
    return found->second;
}

void Trainer::setWeight(const std::string& name, const runtime::Tensor& value) {
    const ir::StepTensor* tensor = step_.find(name);
    if (!tensor || tensor->role != StepTensorRole::Weight)
        throw Error("the training step has no weight '" + name + "'");
    if (value.type().shape != tensor->type.shape)
        throw Error("weight '" + name + "' is " + tensor->type.str() + ", not " +
                    value.type().str());
    std::vector<float> values = toFloats(value);
    storeFloats(store_.at(name), values);
    auto master = store_.find("master." + name);
    if (master != store_.end()) storeFloats(master->second, values);
}

void Trainer::setPeakLearningRate(double lr) {
    if (!(lr > 0) || !std::isfinite(lr))
        throw Error("the learning rate must be positive, got " + std::to_string(lr));
    step_.optimizer.lr = lr;
    step_.optimizer.minLr = std::min(step_.optimizer.minLr, lr);
}

void Trainer::setScalar(const std::string& name, double value) {
    auto found = store_.find(name);
    if (found == store_.end()) return; // the optimizer does not read it
    std::vector<float> values(static_cast<size_t>(found->second.type().numElements()),
                              static_cast<float>(value));
    storeFloats(found->second, values);
}

void Trainer::fillScalars(double gradScale) {
    StepScalars s = stepScalars(step_.optimizer, steps_ + 1, gradScale);
    lastLr_ = s.lr;
    setScalar("opt.grad_scale", s.gradScale);
    setScalar("opt.lr", s.lr);
    setScalar("opt.step_size", s.stepSize);
    setScalar("opt.bias2", s.bias2);
    setScalar("opt.decay", s.decay);
}

void Trainer::run(const ir::StepDispatch& dispatch) {
    std::map<std::string, runtime::TensorView> inputs;
    for (const auto& [io, name] : dispatch.inputs) {
        const runtime::Tensor& value = store_.at(name);
        inputs.emplace(io, runtime::TensorView{value.type(), value.bytes()});
        if (ir::crossesHost(step_.find(name)->role, step_.hostUpdate))
            counters_.bytesToDevice += value.bytes().size();
    }
    std::map<std::string, runtime::Tensor> outputs = executables_.at(dispatch.kernel)->run(inputs);
    for (const auto& [io, name] : dispatch.outputs) {
        auto produced = outputs.find(io);
        if (produced == outputs.end())
            throw Error("program '" + dispatch.kernel + "' gave no output '" + io + "'");
        if (ir::crossesHost(step_.find(name)->role, step_.hostUpdate))
            counters_.bytesFromDevice += produced->second.bytes().size();
        store_[name] = std::move(produced->second);
    }
    ++counters_.dispatches;
}

void Trainer::runPhase(ir::StepPhase phase) {
    for (const ir::StepDispatch& dispatch : step_.dispatches)
        if (dispatch.phase == phase) run(dispatch);
}

runtime::Tensor Trainer::logits(std::span<const int32_t> tokens) {
    if (step_.logitsProgram.empty()) throw Error("the step has no logits program");
    if (!logitsExecutable_) {
        auto found = programs_.find(step_.logitsProgram);
        if (found == programs_.end())
            throw Error("the logits program '" + step_.logitsProgram + "' is missing");
        logitsExecutable_ = makeBackend(options_)->prepare(found->second, step_.logitsProgram);
    }
    const runtime::Tensor& slot = store_.at(step_.tokens);
    if (tokens.size() != static_cast<size_t>(slot.type().numElements()))
        throw Error("the model takes " + std::to_string(slot.type().numElements()) +
                    " tokens, got " + std::to_string(tokens.size()));
    runtime::Tensor ids(slot.type());
    std::memcpy(ids.bytes().data(), tokens.data(), tokens.size() * sizeof(int32_t));
    std::map<std::string, runtime::TensorView> inputs;
    for (const runtime::IoInfo& input : logitsExecutable_->inputs()) {
        const runtime::Tensor& value = input.name == step_.tokens ? ids : tensor(input.name);
        inputs.emplace(input.name, runtime::TensorView{value.type(), value.bytes()});
    }
    auto outputs = logitsExecutable_->run(inputs);
    return std::move(outputs.begin()->second);
}

uint64_t Trainer::flopsPerStep() const {
    return driver::stepStats(
               step_, [&](const std::string& name) { return programs_.at(name)->findKernel(name); })
        .flops;
}

double Trainer::globalGradientNorm() const {
    double sum = 0;
    for (const std::string& weight : step_.trained) {
        auto squares = store_.find("sumsq." + weight);
        if (squares != store_.end()) {
            sum += firstValue(squares->second);
            continue;
        }
        for (float g : toFloats(store_.at("grad." + weight)))
            sum += static_cast<double>(g) * g;
    }
    return std::sqrt(sum) / step_.optimizer.lossScale;
}

void Trainer::updateOnHost(double gradScale) {
    StepScalars s = stepScalars(step_.optimizer, steps_ + 1, gradScale);
    std::vector<std::string> moments = training::optimizerMoments(step_.optimizer);
    for (const std::string& weight : step_.trained) {
        runtime::Tensor& master = store_.at("master." + weight);
        std::vector<float> w = toFloats(master), g = toFloats(store_.at("grad." + weight));
        std::vector<float> first, second;
        if (moments.size() > 0) first = toFloats(store_.at(moments[0] + "." + weight));
        if (moments.size() > 1) second = toFloats(store_.at(moments[1] + "." + weight));
        hostUpdate(step_.optimizer, s, training::decays(master.type()), w, g, first, second);
        storeFloats(master, w);
        storeFloats(store_.at(weight), w);
        if (moments.size() > 0) storeFloats(store_.at(moments[0] + "." + weight), first);
        if (moments.size() > 1) storeFloats(store_.at(moments[1] + "." + weight), second);
    }
}

void Trainer::checkBatch(std::span<const int32_t> tokens, std::span<const int32_t> targets) const {
    const int64_t seq = sequenceLength();
    const size_t expected = static_cast<size_t>(step_.microBatches * seq);
    if (tokens.size() != expected || targets.size() != expected)
        throw Error("a step takes " + std::to_string(expected) +
                    " tokens and as many targets, got " + std::to_string(tokens.size()) + " and " +
                    std::to_string(targets.size()) + " (" + std::to_string(step_.microBatches) +
                    " sequences of " + std::to_string(seq) + " tokens)");
    for (auto* ids : {&tokens, &targets})
        for (size_t i = 0; i < ids->size(); ++i)
            if ((*ids)[i] < 0 || (step_.vocabulary > 0 && (*ids)[i] >= step_.vocabulary))
                throw Error(std::string(ids == &tokens ? "token" : "target") + " " +
                            std::to_string((*ids)[i]) + " at position " + std::to_string(i) +
                            " is outside the vocabulary of " + std::to_string(step_.vocabulary));
}

double Trainer::step(std::span<const int32_t> tokens, std::span<const int32_t> targets) {
    checkBatch(tokens, targets);
    const int64_t seq = sequenceLength();
    counters_ = {};
    for (const ir::StepTensor& tensor : step_.tensors)
        if (tensor.role == StepTensorRole::Gradient)
            store_[tensor.name] = runtime::Tensor(tensor.type);
    const double unscale = 1 / step_.optimizer.lossScale;
    fillScalars(unscale);
    const ir::StepTensor* seed = nullptr;
    for (const ir::StepTensor& tensor : step_.tensors)
        if (tensor.role == StepTensorRole::Seed) seed = &tensor;
    if (seed) setScalar(seed->name, 1.0 / static_cast<double>(step_.microBatches));

    double lossSum = 0;
    for (int64_t b = 0; b < step_.microBatches; ++b) {
        auto copyInto = [&](const std::string& name, std::span<const int32_t> all) {
            runtime::Tensor& tensor = store_.at(name);
            std::memcpy(tensor.bytes().data(), all.data() + b * seq,
                        static_cast<size_t>(seq) * sizeof(int32_t));
        };
        copyInto(step_.tokens, tokens);
        if (!step_.targets.empty()) copyInto(step_.targets, targets);
        runPhase(ir::StepPhase::MicroBatch);
        lossSum += firstValue(store_.at(step_.loss));
    }
    const bool clips = step_.optimizer.clipNorm > 0;
    lastNorm_ = clips || step_.hostUpdate ? globalGradientNorm() : 0;
    const double gradScale = clipCoefficient(step_.optimizer, lastNorm_) * unscale;
    if (step_.hostUpdate) {
        updateOnHost(gradScale);
    } else {
        if (clips) fillScalars(gradScale);
        runPhase(ir::StepPhase::Update);
    }
    ++steps_;
    double loss = lossSum / static_cast<double>(step_.microBatches);
    if (!std::isfinite(loss))
        throw Error("step " + std::to_string(steps_) + ": the loss is " + std::to_string(loss) +
                    " (try a smaller learning rate or loss scale)");
    return loss;
}

std::vector<std::string> Trainer::checkpointNames() const {
    std::vector<std::string> names;
    for (const auto& [name, tensor] : store_) {
        const ir::StepTensor* declared = step_.find(name);
        bool state = declared ? declared->role == StepTensorRole::Weight ||
                                    declared->role == StepTensorRole::Moment
                              : true; // the host's master weights and moments
        if (state) names.push_back(name);
    }
    return names;
}

void Trainer::saveCheckpoint(const fs::path& path) const {
    std::vector<std::pair<std::string, const runtime::Tensor*>> tensors;
    for (const std::string& name : checkpointNames())
        tensors.emplace_back(name, &store_.at(name));
    writeSafetensors(path, tensors,
                     {{"format", "anec-checkpoint"},
                      {"train_step", step_.name},
                      {"optimizer", std::string(ir::optimizerName(step_.optimizer.kind))},
                      {"step", std::to_string(steps_)}});
}

void Trainer::loadCheckpoint(const fs::path& path) {
    SafetensorsFile file = readSafetensors(path);
    auto meta = [&](const std::string& key) {
        auto found = file.metadata.find(key);
        return found == file.metadata.end() ? std::string() : found->second;
    };
    if (meta("format") != "anec-checkpoint")
        throw Error(path.string() + " is not an anec checkpoint (no \"format\": "
                                    "\"anec-checkpoint\" in its metadata)");
    if (meta("train_step") != step_.name)
        throw Error(path.string() + " is a checkpoint of training step '" + meta("train_step") +
                    "', not of '" + step_.name + "'");
    std::string optimizer(ir::optimizerName(step_.optimizer.kind));
    if (meta("optimizer") != optimizer)
        throw Error(path.string() + " holds " + meta("optimizer") + " state, but this step uses " +
                    optimizer);
    int64_t steps = 0;
    try {
        steps = std::stoll(meta("step"));
    } catch (const std::exception&) {
        throw Error(path.string() + ": the metadata's step count '" + meta("step") +
                    "' is not a number");
    }
    // Check everything first, so that a wrong checkpoint changes nothing.
    for (const std::string& name : checkpointNames()) {
        const runtime::Tensor* saved = file.find(name);
        if (!saved) throw Error(path.string() + " has no tensor '" + name + "'");
        if (saved->type() != store_.at(name).type())
            throw Error(path.string() + ": tensor '" + name + "' is " + saved->type().str() +
                        ", but this step's is " + store_.at(name).type().str());
    }
    for (const std::string& name : checkpointNames())
        store_[name] = *file.find(name);
    steps_ = steps;
}

} // namespace anec::train
