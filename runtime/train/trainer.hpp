#pragma once
// anec::train::Trainer runs a training step built by the compiler (ir::TrainStep: `train` in a
// .ane file, step.json in a build): it prepares each program once, keeps the resident state
// (weights, optimizer moments) between steps, feeds each micro-batch through the programs in
// dispatch order, computes the per-step scalars (learning rate, clipping, bias corrections) on
// the host, and saves and restores everything in a safetensors checkpoint. docs/training.md.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "runtime/core/backend.hpp"

namespace anec::train {

struct TrainerOptions {
    runtime::BackendKind backend = runtime::BackendKind::Reference;
    runtime::Precision precision = runtime::Precision::Fp16Faithful; // reference backend only
    runtime::BackendOptions backendOptions;
};

// What one step cost. Host bytes are what crosses between host and device: the batch, the
// seed, the scalars and the loss read back (and with `update host` the gradients out and the
// weights in); resident state and activations stay on the device.
struct StepCounters {
    uint64_t dispatches = 0;
    uint64_t bytesToDevice = 0;
    uint64_t bytesFromDevice = 0;
};

class Trainer {
  public:
    // `programs`: every kernel the step dispatches, by name (the module that holds it).
    Trainer(ir::TrainStep step, std::map<std::string, std::shared_ptr<const ir::Module>> programs,
            const TrainerOptions& options = {});
    // The training step of a compiled module (its first `train`).
    static Trainer fromModule(std::shared_ptr<const ir::Module> module,
                              const TrainerOptions& options = {});
    // A build output directory holding step.json and the step's program directories.
    static Trainer fromBuild(const std::filesystem::path& dir, const TrainerOptions& options = {});

    const ir::TrainStep& schedule() const { return step_; }
    // Sequences per step (micro-batches) and tokens per sequence.
    int64_t microBatches() const { return step_.microBatches; }
    int64_t sequenceLength() const;
    int64_t vocabulary() const { return step_.vocabulary; }

    // One step over microBatches() sequences: tokens and targets row-major [microBatches, seq].
    // Returns the mean loss. Throws anec::Error for bad sizes or token ids outside the
    // vocabulary (before changing anything) and for a non-finite loss (the
    // step's update has then been applied: resume from the last checkpoint).
    double step(std::span<const int32_t> tokens, std::span<const int32_t> targets);
    // What step() checks before changing anything: the sizes and the token ids.
    void checkBatch(std::span<const int32_t> tokens, std::span<const int32_t> targets) const;
    int64_t stepsDone() const { return steps_; }
    double lastLearningRate() const { return lastLr_; }
    // Replaces the schedule's peak rate (its floor min_lr is kept, at most the new peak).
    void setPeakLearningRate(double lr);
    double lastGradientNorm() const { return lastNorm_; }

    // Any step tensor by name (weights, moments, "grad.W" after a step, ...).
    const runtime::Tensor& tensor(const std::string& name) const;
    // Replaces a weight (converted to its type; the shape must match).
    void setWeight(const std::string& name, const runtime::Tensor& value);
    // The trained weights, in the model's order.
    const std::vector<std::string>& weights() const { return step_.trained; }

    // Every weight and optimizer moment and the step count; resuming from it gives the same next
    // step bit for bit. Atomic: a failed save leaves an existing file as it was.
    void saveCheckpoint(const std::filesystem::path& path) const;
    // Checks that the checkpoint belongs to this step (names, types) before changing anything.
    void loadCheckpoint(const std::filesystem::path& path);

    // The model's logits for one sequence of sequenceLength() tokens, with the current weights
    // (the step's logits program, prepared at the first call).
    runtime::Tensor logits(std::span<const int32_t> tokens);

    const StepCounters& lastStep() const { return counters_; }
    // The FLOPs of one step (anec stats' cost model over its dispatches).
    uint64_t flopsPerStep() const;
    // The backend the programs run on ("reference", "ane", "ane-sim (m4)", ...).
    const std::string& backendName() const { return backendName_; }
    // Programs prepared (compiled) so far: each once, at construction.
    size_t compiles() const { return executables_.size(); }

  private:
    void prepare(const std::map<std::string, std::shared_ptr<const ir::Module>>& programs,
                 const TrainerOptions& options);
    void initializeState();
    void setScalar(const std::string& name, double value);
    void fillScalars(double gradScale);
    void runPhase(ir::StepPhase phase);
    void run(const ir::StepDispatch& dispatch);
    double globalGradientNorm() const;
    void updateOnHost(double gradScale);
    std::vector<std::string> checkpointNames() const;

    ir::TrainStep step_;
    std::map<std::string, std::shared_ptr<const ir::Module>> programs_;
    TrainerOptions options_;
    std::map<std::string, std::unique_ptr<runtime::Executable>> executables_;
    std::unique_ptr<runtime::Executable> logitsExecutable_;
    std::map<std::string, runtime::Tensor> store_;
    // With `update host`: the fp32 master copy of every trained weight ("master.W") and the
    // moments live in store_ too, so the checkpoint holds them.
    std::string backendName_;
    int64_t steps_ = 0;
    double lastLr_ = 0, lastNorm_ = 0;
    StepCounters counters_;
};

} // namespace anec::train
