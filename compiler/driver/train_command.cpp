#include "driver/train_command.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <unistd.h>

#include "driver/compiler.hpp"
#include "driver/program_loader.hpp"
#include "driver/run_command.hpp"
#include "driver/text_plot.hpp"
#include "runtime/train/token_data.hpp"
#include "runtime/train/trainer.hpp"

namespace anec::driver {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A .ane source is compiled here with the step's batch; a build directory is loaded as built.
train::Trainer loadTrainer(const TrainerSource& model, std::optional<int64_t> batch,
                           std::ostream& err) {
    const std::string& source = model.source;
    const std::vector<std::string>& defines = model.defines;
    const std::string& target = model.target;
    train::TrainerOptions options;
    options.backend = parseBackendKind(model.backend);
    // The simulator defaults to a chip that runs cast: the optimizer state is fp32.
    options.backendOptions.aneTarget =
        target.empty() && options.backend == runtime::BackendKind::AneSimulator ? "m4" : target;
    if (fs::is_directory(source)) {
        if (!defines.empty()) throw Error("-D applies to .ane sources, not to " + source);
        train::Trainer trainer = train::Trainer::fromBuild(source, options);
        if (batch && *batch != trainer.microBatches())
            throw Error(source + " was built with batch " + std::to_string(trainer.microBatches()) +
                        " (sequences per step); --batch " + std::to_string(*batch) +
                        " needs the .ane source (or a build with 'batch " + std::to_string(*batch) +
                        "')");
        return trainer;
    }
    CompileOptions compile;
    for (const std::string& define : defines) {
        auto [name, value] = parseDefine(define);
        compile.frontend.defines[name] = value;
    }
    compile.frontend.trainBatch = batch;
    compile.warnings = parseWarningsOption(model.warnings);
    auto compilation = std::make_shared<Compilation>(compile);
    bool ok = compilation->loadFile(source) && compilation->optimize();
    compilation->diagnostics().print(err);
    if (!ok) {
        err << compilation->diagnostics().errorSummary();
        throw CompileError("");
    }
    return train::Trainer::fromModule(
        std::shared_ptr<const ir::Module>(compilation, compilation->module()), options);
}

std::string withSuffix(double value) {
    if (value >= 1e6) return fmt::format("{:.1f}M", value / 1e6);
    if (value >= 1e3) return fmt::format("{:.1f}k", value / 1e3);
    return fmt::format("{:.0f}", value);
}

// "step 12/300 loss 3.214 lr 3.0e-04 41 ms/step 6.2k tok/s"
std::string stepLine(int64_t step, int64_t last, double loss, double lr, double seconds,
                     double tokens) {
    return fmt::format("step {}/{} loss {:.3f} lr {:.1e} {:.0f} ms/step {} tok/s", step, last, loss,
                       lr, seconds * 1e3, withSuffix(tokens / seconds));
}

std::string progressBar(int64_t done, int64_t from, int64_t total) {
    constexpr int kWidth = 24;
    int64_t span = std::max<int64_t>(total - from, 1);
    int filled = static_cast<int>(kWidth * (done - from) / span);
    return "[" + std::string(static_cast<size_t>(filled), '#') +
           std::string(static_cast<size_t>(kWidth - filled), '.') + "] ";
}

bool isTerminal(const std::ostream& out) {
    return &out == &std::cout && ::isatty(STDOUT_FILENO);
}

int64_t lastStep(const TrainArgs& args, const train::Trainer& trainer) {
    if (args.steps > 0) return args.steps;
    int64_t decay = trainer.schedule().optimizer.decaySteps;
    return decay > 0 ? decay : 100;
}

} // namespace

std::string achievedRate(uint64_t flopsPerStep, double secondsPerStep, const std::string& backend) {
    double tflops = static_cast<double>(flopsPerStep) / secondsPerStep / 1e12;
    // Only the chip's rate compares with its peak; the simulator and the reference run on the CPU.
    if (backend != "ane")
        return fmt::format("{:.3g} GFLOP/s on the {} backend (the CPU, not the ANE's rate)",
                           tflops * 1e3, backend);
    if (tflops > kAnePeakTflops)
        return fmt::format("the measured rate ({:.3g} TFLOPS) is above the ANE's ~{} TFLOPS "
                           "peak, so the step time is wrong; no rate is reported",
                           tflops, kAnePeakTflops);
    return fmt::format("achieved {:.3g} TFLOPS on the ANE ({:.1f}% of its ~{} TFLOPS fp16 peak)",
                       tflops, 100 * tflops / kAnePeakTflops, kAnePeakTflops);
}

namespace {

void printTotals(const std::vector<double>& losses, const train::Trainer& trainer, double seconds,
                 std::ostream& out) {
    if (losses.empty()) return;
    out << "\n" << plotSeries(losses) << "\n";
    const train::StepCounters& step = trainer.lastStep();
    out << fmt::format("{} step{} in {:.1f} s ({:.0f} ms/step); loss {:.3f} -> {:.3f}\n",
                       losses.size(), losses.size() == 1 ? "" : "s", seconds,
                       seconds * 1e3 / static_cast<double>(losses.size()), losses.front(),
                       losses.back());
    out << fmt::format("per step: {} dispatch{}, {} bytes to the device, {} bytes from it; {} "
                       "program{} compiled once\n",
                       step.dispatches, step.dispatches == 1 ? "" : "es", step.bytesToDevice,
                       step.bytesFromDevice, trainer.compiles(),
                       trainer.compiles() == 1 ? "" : "s");
    out << fmt::format("{} FLOPs per step; {}\n", trainer.flopsPerStep(),
                       achievedRate(trainer.flopsPerStep(),
                                    seconds / static_cast<double>(losses.size()),
                                    trainer.backendName()));
}

} // namespace

int trainCommand(const TrainArgs& args, std::ostream& out, std::ostream& err) {
    train::Trainer trainer = loadTrainer(args.model, args.batch, err);
    if (args.lr) trainer.setPeakLearningRate(*args.lr);
    if (!args.resume.empty()) {
        trainer.loadCheckpoint(args.resume);
        out << "resumed from " << args.resume << " at step " << trainer.stepsDone() << "\n";
    }
    train::TokenData data =
        train::TokenData::load(args.data, static_cast<int>(trainer.vocabulary()));
    const int64_t last = lastStep(args, trainer);
    const int seq = static_cast<int>(trainer.sequenceLength());
    const int sequences = static_cast<int>(trainer.microBatches());
    const bool terminal = isTerminal(out);
    const int64_t first = trainer.stepsDone();
    std::vector<double> losses;
    Clock::time_point start = Clock::now();
    while (trainer.stepsDone() < last) {
        const int64_t step = trainer.stepsDone() + 1;
        train::Batch batch = data.batch(static_cast<uint64_t>(step), sequences, seq, args.seed);
        Clock::time_point before = Clock::now();
        double loss = trainer.step(batch.tokens, batch.targets);
        double seconds = std::chrono::duration<double>(Clock::now() - before).count();
        losses.push_back(loss);
        std::string line = stepLine(step, last, loss, trainer.lastLearningRate(), seconds,
                                    static_cast<double>(sequences) * seq);
        if (terminal)
            out << "\r" << progressBar(step, first, last) << line << "\x1b[K" << std::flush;
        else
            out << line << "\n";
        if (!args.save.empty() && args.saveEvery > 0 && step % args.saveEvery == 0 && step < last)
            trainer.saveCheckpoint(args.save);
    }
    if (terminal) out << "\n";
    if (!args.save.empty()) {
        trainer.saveCheckpoint(args.save);
        out << "saved " << args.save << " (step " << trainer.stepsDone() << ")\n";
    }
    printTotals(losses, trainer, std::chrono::duration<double>(Clock::now() - start).count(), out);
    return 0;
}

namespace {

// The next token after position `at` of `logits` [1, V, 1, S]: the most likely one, or one
// drawn from softmax(logits / temperature).
int32_t pickToken(const runtime::Tensor& logits, int64_t at, double temperature,
                  train::SplitMix64& random) {
    const ir::TensorType& type = logits.type();
    const int64_t vocabulary = type.shape[1], seq = type.shape.back();
    std::vector<double> values(static_cast<size_t>(vocabulary));
    for (int64_t v = 0; v < vocabulary; ++v)
        values[static_cast<size_t>(v)] =
            ir::loadElement(type.dtype, logits.bytes().data() + static_cast<size_t>(v * seq + at) *
                                                                    ir::dtypeSize(type.dtype));
    size_t best =
        static_cast<size_t>(std::max_element(values.begin(), values.end()) - values.begin());
    if (temperature <= 0) return static_cast<int32_t>(best);
    double sum = 0;
    for (double& value : values)
        sum += value = std::exp((value - values[best]) / temperature);
    double u = static_cast<double>(random.next() >> 11) * 0x1.0p-53 * sum;
    for (size_t v = 0; v < values.size(); ++v)
        if ((u -= values[v]) <= 0) return static_cast<int32_t>(v);
    return static_cast<int32_t>(best);
}

} // namespace

int sampleCommand(const SampleArgs& args, std::ostream& out, std::ostream& err) {
    train::Trainer trainer = loadTrainer(args.model, std::nullopt, err);
    if (!args.resume.empty()) trainer.loadCheckpoint(args.resume);
    if (trainer.vocabulary() < 256)
        throw Error("sample encodes the prompt as bytes, which needs a vocabulary of 256; this "
                    "model's is " +
                    std::to_string(trainer.vocabulary()));
    const int64_t seq = trainer.sequenceLength();
    std::vector<int32_t> context;
    for (unsigned char c : args.prompt)
        context.push_back(c);
    if (context.empty()) context.push_back('\n');
    train::SplitMix64 random(args.seed);
    out << args.prompt << std::flush;
    for (int64_t i = 0; i < args.tokens; ++i) {
        // The last `seq` tokens, left-aligned: causal attention keeps the padding after them out.
        size_t from = context.size() > static_cast<size_t>(seq) ? context.size() - seq : 0;
        std::vector<int32_t> window(context.begin() + static_cast<std::ptrdiff_t>(from),
                                    context.end());
        int64_t at = static_cast<int64_t>(window.size()) - 1;
        window.resize(static_cast<size_t>(seq), 0);
        int32_t next = pickToken(trainer.logits(window), at, args.temperature, random);
        context.push_back(next);
        out << train::decodeBytes({next}) << std::flush;
    }
    out << "\n";
    return 0;
}

} // namespace anec::driver
