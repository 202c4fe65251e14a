// anec::Trainer: the public face of anec::train::Trainer (runtime/train/trainer.hpp).
#include <filesystem>

#include "api/api_internal.hpp"
#include "runtime/train/trainer.hpp"

namespace anec::inline api {

struct Trainer::Impl {
    std::unique_ptr<train::Trainer> trainer;
    StepCounters counters;
};

namespace {

train::TrainerOptions trainerOptions(const TrainOptions& options) {
    train::TrainerOptions trainer;
    const RunOptions& run = options.run;
    if (run.precision == Precision::Float64 && run.backend != Backend::Reference)
        throw Error(ErrorCode::InvalidArgument,
                    "float64 precision is a mode of the reference backend, not of the ANE");
    trainer.precision = run.precision == Precision::Float64 ? runtime::Precision::Float64
                                                            : runtime::Precision::Fp16Faithful;
    switch (run.backend) {
    case Backend::Auto:
        trainer.backend = runtime::BackendKind::Auto;
        break;
    case Backend::Reference:
        trainer.backend = runtime::BackendKind::Reference;
        break;
    case Backend::Ane:
        trainer.backend = runtime::BackendKind::Ane;
        break;
    case Backend::AneSimulator:
        trainer.backend = runtime::BackendKind::AneSimulator;
        break;
    }
    trainer.backendOptions = {run.aneTarget, run.compileBudget};
    return trainer;
}

driver::LoadOptions trainLoadOptions(const CompileOptions& options, const TrainOptions& train) {
    driver::LoadOptions load = loadOptions(options);
    if (train.batch < 0)
        throw Error(ErrorCode::InvalidArgument,
                    "batch must be positive (or 0 for the declaration's), got " +
                        std::to_string(train.batch));
    if (train.batch > 0) load.trainBatch = train.batch;
    return load;
}

Trainer::Impl& implOf(const std::shared_ptr<Trainer::Impl>& impl) {
    if (!impl) throw Error(ErrorCode::InvalidArgument, "the trainer was not created");
    return *impl;
}

Tensor fromRuntime(runtime::Tensor tensor) {
    DType dtype = fromIr(tensor.type().dtype);
    Shape shape = tensor.type().shape;
    return TensorAccess::make(dtype, std::move(shape), tensor.release());
}

std::shared_ptr<Trainer::Impl> fromProgram(const driver::LoadedProgram& program,
                                           const TrainOptions& options) {
    auto impl = std::make_shared<Trainer::Impl>();
    if (program.kernels.empty())
        throw Error(ErrorCode::InvalidArgument, "the program declares no training step");
    impl->trainer = std::make_unique<train::Trainer>(
        train::Trainer::fromModule(program.kernels.front().module, trainerOptions(options)));
    return impl;
}

} // namespace

Trainer Trainer::compile(std::string_view source, const CompileOptions& options,
                         std::string_view name, const TrainOptions& train) {
    return guarded(ErrorCode::InvalidArgument, [&] {
        Trainer trainer;
        trainer.impl_ = fromProgram(driver::compileSource(std::string(name), std::string(source),
                                                          trainLoadOptions(options, train)),
                                    train);
        return trainer;
    });
}

Trainer Trainer::load(const std::string& path, const CompileOptions& options,
                      const TrainOptions& train) {
    return guarded(ErrorCode::LoadFailed, [&] {
        Trainer trainer;
        if (std::filesystem::is_directory(path)) {
            auto impl = std::make_shared<Impl>();
            impl->trainer = std::make_unique<train::Trainer>(
                train::Trainer::fromBuild(path, trainerOptions(train)));
            if (train.batch > 0 && train.batch != impl->trainer->microBatches())
                throw Error(ErrorCode::InvalidArgument,
                            path + " was built with batch " +
                                std::to_string(impl->trainer->microBatches()) +
                                " (sequences per step); a batch of " + std::to_string(train.batch) +
                                " needs the .ane source");
            trainer.impl_ = impl;
        } else {
            trainer.impl_ =
                fromProgram(driver::loadProgram(path, trainLoadOptions(options, train)), train);
        }
        return trainer;
    });
}

int64_t Trainer::sequences() const {
    return implOf(impl_).trainer->microBatches();
}
int64_t Trainer::sequenceLength() const {
    return implOf(impl_).trainer->sequenceLength();
}
int64_t Trainer::vocabulary() const {
    return implOf(impl_).trainer->vocabulary();
}

double Trainer::step(std::span<const int32_t> tokens, std::span<const int32_t> targets) {
    Impl& impl = implOf(impl_);
    guarded(ErrorCode::InvalidArgument, [&] { impl.trainer->checkBatch(tokens, targets); });
    double loss =
        guarded(ErrorCode::RunFailed, [&] { return impl.trainer->step(tokens, targets); });
    const train::StepCounters& counters = impl.trainer->lastStep();
    impl.counters = {counters.dispatches, counters.bytesToDevice, counters.bytesFromDevice};
    return loss;
}

int64_t Trainer::stepsDone() const {
    return implOf(impl_).trainer->stepsDone();
}
double Trainer::learningRate() const {
    return implOf(impl_).trainer->lastLearningRate();
}
const StepCounters& Trainer::lastStep() const {
    return implOf(impl_).counters;
}
size_t Trainer::compiles() const {
    return implOf(impl_).trainer->compiles();
}

std::vector<std::string> Trainer::weightNames() const {
    return implOf(impl_).trainer->weights();
}

Tensor Trainer::weight(std::string_view name) const {
    return guarded(ErrorCode::InvalidArgument, [&] {
        const train::Trainer& trainer = *implOf(impl_).trainer;
        const ir::StepTensor* tensor = trainer.schedule().find(std::string(name));
        if (!tensor || tensor->role != ir::StepTensorRole::Weight)
            throw Error(ErrorCode::InvalidArgument, "no weight '" + std::string(name) + "'");
        return fromRuntime(trainer.tensor(std::string(name)));
    });
}

void Trainer::setWeight(std::string_view name, const TensorView& value) {
    guarded(ErrorCode::InvalidArgument, [&] {
        train::Trainer& trainer = *implOf(impl_).trainer;
        const ir::StepTensor* tensor = trainer.schedule().find(std::string(name));
        if (!tensor || tensor->role != ir::StepTensorRole::Weight)
            throw Error(ErrorCode::InvalidArgument, "no weight '" + std::string(name) + "'");
        TensorInfo info = tensorInfo(tensor->name, tensor->type);
        std::vector<uint8_t> storage;
        runtime::TensorView view = inputView(info, value, storage, "weight");
        trainer.setWeight(tensor->name,
                          runtime::Tensor(tensor->type, std::vector<uint8_t>(view.bytes.begin(),
                                                                             view.bytes.end())));
    });
}

Tensor Trainer::logits(std::span<const int32_t> tokens) {
    return guarded(ErrorCode::RunFailed,
                   [&] { return fromRuntime(implOf(impl_).trainer->logits(tokens)); });
}

void Trainer::saveCheckpoint(const std::string& path) const {
    guarded(ErrorCode::RunFailed, [&] { implOf(impl_).trainer->saveCheckpoint(path); });
}

void Trainer::loadCheckpoint(const std::string& path) {
    guarded(ErrorCode::LoadFailed, [&] { implOf(impl_).trainer->loadCheckpoint(path); });
}

} // namespace anec::inline api
