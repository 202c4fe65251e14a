// One training step of examples/train_tiny.ane at its defaults (2 layers, DIM 64, 4 heads, SEQ
// 64, 256 byte tokens) on anec's reference backend (anec::train::Trainer, fp16-faithful) against
// the hand-written fp32 step of the same model on OpenBLAS SGEMM (bench/tiny_step_fp32.hpp), in
// the same process. Prints the ratio anec time / fp32 time; there are no absolute thresholds.
//
// Same model: the fp32 step starts from the Trainer's initial weights (fp16, widened exactly),
// with the train block's AdamW settings (lr 3e-3, betas 0.9 / 0.95, eps 1e-8, weight decay 0.01
// on matrices, no clipping) and the Trainer's learning-rate schedule (warm-up 20, cosine decay
// to 3e-4 at step 300): the fp32 step k uses learningRate(schedule, k), which is what the
// Trainer's step k uses (checked against lastLearningRate() after step 1 and after each
// std::chrono-timed step, outside the timed part). The loss scale (256) only matters to fp16 and is
// left out of fp32. Same batch every step: the first microBatches * SEQ bytes of
// examples/data/tiny.txt as tokens, the next byte of each as its target.
//
// Order: step 1 of both, whose losses must agree within 2% (else exit 1); steps 2..1+N of both,
// interleaved one step each, timed with std::chrono (the final printout; the losses reached are
// printed too); then the Google Benchmark runs BM_AnecTrainStep and BM_Fp32SgemmStep, which
// carry on training the same two models. Options: --steps=N (default 100) and any
// --benchmark_* option (e.g. --benchmark_filter=none to skip Google Benchmark).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/tiny_step_fp32.hpp"
#include "driver/compiler.hpp"
#include "runtime/train/lr_schedule.hpp"
#include "runtime/train/trainer.hpp"

namespace {
using namespace anec;
using bench::TinyAdamW;
using bench::TinyConfig;
using bench::TinyStepFp32;
using Clock = std::chrono::steady_clock;

// examples/train_tiny.ane's constants (checked against the compiled step's tensors).
constexpr int kDim = 64, kHidden = 192, kHeads = 4, kLayers = 2, kVocab = 256, kSeq = 64;

std::shared_ptr<const ir::Module> compileTiny() {
    driver::CompileOptions options;
    options.warnings = WarningPolicy::None;
    auto compilation = std::make_shared<driver::Compilation>(options);
    if (!compilation->loadFile(ANEC_SOURCE_DIR "/examples/train_tiny.ane") ||
        !compilation->optimize()) {
        compilation->diagnostics().print(std::cerr);
        return nullptr;
    }
    return std::shared_ptr<const ir::Module>(compilation, compilation->module());
}

std::vector<float> toFloats(const runtime::Tensor& tensor) {
    const ir::DType dtype = tensor.type().dtype;
    const size_t size = ir::dtypeSize(dtype);
    std::vector<float> out(static_cast<size_t>(tensor.type().numElements()));
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<float>(ir::loadElement(dtype, tensor.bytes().data() + i * size));
    return out;
}

// Both models, their batch and the step the fp32 one takes next.
struct Setup {
    std::optional<train::Trainer> trainer;
    std::optional<TinyStepFp32> fp32;
    train::LrSchedule schedule;
    TinyAdamW adamw{};
    std::vector<int32_t> tokens, targets;
    int batch = 1;
    int fp32Steps = 0; // steps the fp32 model has taken

    double anecStep() { return trainer->step(tokens, targets); }
    double fp32Step() {
        ++fp32Steps;
        adamw.lr = static_cast<float>(train::learningRate(schedule, fp32Steps));
        return fp32->step(tokens, targets, batch, adamw, fp32Steps);
    }
};

Setup& setup() {
    static Setup s;
    return s;
}

// Builds both models from the Trainer's initial weights; false (with a message) on any mismatch.
bool initialize(Setup& s) {
    auto module = compileTiny();
    if (!module) return false;
    s.trainer.emplace(train::Trainer::fromModule(module));
    train::Trainer& t = *s.trainer;
    const ir::OptimizerConfig& o = t.schedule().optimizer;
    if (o.kind != ir::OptimizerKind::AdamW || o.clipNorm != 0 || t.sequenceLength() != kSeq ||
        t.vocabulary() != kVocab) {
        std::fprintf(stderr, "bench_train: train_tiny.ane is not the model this bench expects "
                             "(AdamW, no clipping, SEQ 64, vocabulary 256)\n");
        return false;
    }
    s.schedule = {o.lr, o.warmup, o.decaySteps, o.minLr};
    s.adamw.beta1 = static_cast<float>(o.beta1);
    s.adamw.beta2 = static_cast<float>(o.beta2);
    s.adamw.eps = static_cast<float>(o.eps);
    s.adamw.weightDecay = static_cast<float>(o.weightDecay);
    std::printf("train_tiny: %d layers, DIM %d, HIDDEN %d, %d heads, SEQ %d, vocabulary %d, "
                "%lld sequence(s) per step\n",
                kLayers, kDim, kHidden, kHeads, kSeq, kVocab,
                static_cast<long long>(t.microBatches()));
    std::printf("AdamW lr %g (warm-up %lld, cosine to %g at step %lld), betas %g/%g, eps %g, "
                "weight decay %g; loss scale %g (fp16 only)\n",
                o.lr, static_cast<long long>(o.warmup), o.minLr,
                static_cast<long long>(o.decaySteps), o.beta1, o.beta2, o.eps, o.weightDecay,
                o.lossScale);

    TinyConfig config{kDim, kHidden, kHeads, kLayers, kVocab, kSeq};
    TinyStepFp32::NamedParams params;
    try {
        for (const std::string& name : TinyStepFp32::names(kLayers))
            params.push_back({name, toFloats(t.tensor(name))});
        s.fp32.emplace(config, std::move(params));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_train: %s\n", e.what());
        return false;
    }

    std::ifstream in(ANEC_SOURCE_DIR "/examples/data/tiny.txt", std::ios::binary);
    std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in), {}};
    s.batch = static_cast<int>(t.microBatches());
    const size_t n = static_cast<size_t>(s.batch) * kSeq;
    if (bytes.size() < n + 1) {
        std::fprintf(stderr, "bench_train: examples/data/tiny.txt has fewer than %zu bytes\n",
                     n + 1);
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        s.tokens.push_back(bytes[i]);
        s.targets.push_back(bytes[i + 1]);
    }
    return true;
}

// The Trainer's rate of the step just taken must be the one the fp32 step used.
bool sameLearningRate(const Setup& s) {
    double anec = s.trainer->lastLearningRate(), fp32 = s.adamw.lr;
    if (std::abs(anec - fp32) <= 1e-6 * std::abs(anec)) return true;
    std::fprintf(stderr, "bench_train: step %d learning rates differ: anec %g, fp32 %g\n",
                 s.fp32Steps, anec, fp32);
    return false;
}

struct ChronoResult {
    int steps = 0;
    double anecMs = 0, fp32Ms = 0;             // mean per step
    double anecMedianMs = 0, fp32MedianMs = 0; // median step
    double anecLoss = 0, fp32Loss = 0;
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Steps 2..1+steps of both models, alternating, each step timed on its own.
std::optional<ChronoResult> timeSteps(Setup& s, int steps) {
    using Ms = std::chrono::duration<double, std::milli>;
    ChronoResult r;
    r.steps = steps;
    std::vector<double> anec, fp32;
    for (int i = 0; i < steps; ++i) {
        auto t0 = Clock::now();
        r.anecLoss = s.anecStep();
        auto t1 = Clock::now();
        r.fp32Loss = s.fp32Step();
        auto t2 = Clock::now();
        anec.push_back(Ms(t1 - t0).count());
        fp32.push_back(Ms(t2 - t1).count());
        if (!sameLearningRate(s)) return std::nullopt;
    }
    for (double ms : anec)
        r.anecMs += ms / steps;
    for (double ms : fp32)
        r.fp32Ms += ms / steps;
    r.anecMedianMs = median(anec);
    r.fp32MedianMs = median(fp32);
    return r;
}

void tokensPerSecond(benchmark::State& state) {
    state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(setup().tokens.size()),
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

void BM_AnecTrainStep(benchmark::State& state) {
    Setup& s = setup();
    for (auto _ : state) {
        double loss = s.anecStep();
        benchmark::DoNotOptimize(loss);
    }
    tokensPerSecond(state);
}

void BM_Fp32SgemmStep(benchmark::State& state) {
    Setup& s = setup();
    for (auto _ : state) {
        double loss = s.fp32Step();
        benchmark::DoNotOptimize(loss);
    }
    tokensPerSecond(state);
}

BENCHMARK(BM_AnecTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Fp32SgemmStep)->Unit(benchmark::kMillisecond)->UseRealTime();

// Prints the usual table and keeps the real time per step of each benchmark: the median
// aggregate when there are repetitions, else the median of the runs reported.
class RatioReporter : public benchmark::ConsoleReporter {
  public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.error_occurred) continue;
            const std::string& name = run.run_name.function_name;
            double ms =
                run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e3;
            if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")
                medians_[name] = ms;
            else if (run.run_type == Run::RT_Iteration)
                samples_[name].push_back(ms);
        }
        ConsoleReporter::ReportRuns(runs);
    }

    void printRatio() const {
        std::map<std::string, double> ms;
        for (const auto& [name, values] : samples_) {
            std::vector<double> sorted = values;
            std::sort(sorted.begin(), sorted.end());
            ms[name] = sorted[sorted.size() / 2];
        }
        for (const auto& [name, value] : medians_)
            ms[name] = value;
        auto anec = ms.find("BM_AnecTrainStep");
        auto fp32 = ms.find("BM_Fp32SgemmStep");
        if (anec == ms.end() || fp32 == ms.end()) return;
        std::printf("\nGoogle Benchmark medians: anec reference backend %.3f ms, fp32 sgemm %.3f "
                    "ms, ratio %.2f\n",
                    anec->second, fp32->second, anec->second / fp32->second);
    }

  private:
    std::map<std::string, std::vector<double>> samples_;
    std::map<std::string, double> medians_;
};
} // namespace

int main(int argc, char** argv) {
    // Our own option first; the rest goes to Google Benchmark, after defaults for a shared
    // machine (5 repetitions in random order, medians shown) that any --benchmark_* given wins.
    int steps = 100;
    std::vector<char*> args{argv[0]};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--steps=", 0) == 0) {
            steps = std::atoi(arg.c_str() + 8);
            if (steps < 1) {
                std::fprintf(stderr, "bench_train: --steps must be at least 1\n");
                return 1;
            }
        } else {
            args.push_back(argv[i]);
        }
    }
    std::string repetitions = "--benchmark_repetitions=5";
    std::string interleave = "--benchmark_enable_random_interleaving=true";
    std::string aggregates = "--benchmark_display_aggregates_only=true";
    args.insert(args.begin() + 1, {repetitions.data(), interleave.data(), aggregates.data()});
    int count = static_cast<int>(args.size());
    benchmark::Initialize(&count, args.data());
    if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;

    Setup& s = setup();
    if (!initialize(s)) return 1;

    // Step 1 (untimed: it also warms both up): the losses must agree.
    double anecFirst = s.anecStep();
    double fp32First = s.fp32Step();
    double relative = std::abs(anecFirst - fp32First) / std::abs(fp32First);
    std::printf("step 1 loss: anec %.5f, fp32 %.5f (relative difference %.2e; ln 256 = %.5f)\n",
                anecFirst, fp32First, relative, std::log(256.0));
    if (!(relative <= 0.02) || !sameLearningRate(s)) {
        std::fprintf(stderr, "bench_train: the step 1 losses differ by more than 2%%\n");
        return 1;
    }

    std::optional<ChronoResult> timed = timeSteps(s, steps);
    if (!timed) return 1;
    std::printf("step %d loss: anec %.5f, fp32 %.5f (same batch every step)\n\n", 1 + steps,
                timed->anecLoss, timed->fp32Loss);
    std::fflush(stdout);

    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    reporter.printRatio();

    std::printf("train_tiny step: anec reference backend %.3f ms, fp32 sgemm %.3f ms, ratio %.2f "
                "(std::chrono, mean of %d steps each, steps 2..%d; median step %.3f / %.3f ms, "
                "ratio %.2f)\n",
                timed->anecMs, timed->fp32Ms, timed->anecMs / timed->fp32Ms, steps, 1 + steps,
                timed->anecMedianMs, timed->fp32MedianMs,
                timed->anecMedianMs / timed->fp32MedianMs);
    return 0;
}
