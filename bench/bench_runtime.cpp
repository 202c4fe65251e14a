// Reference-backend throughput: (a) the seed kernel (examples/ffn_w13_bwd.ane), (b) a 768->2048
// linear at SEQ 256 through the runtime, (c) a bare OpenBLAS sgemm of the same shape as (b).
// Prints GFLOP/s of each and the ratio (b)/(c) at the end (target >= 0.8).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "driver/compiler.hpp"
#include "runtime/core/backend.hpp"
#include "support/fp16.hpp"

namespace {
using namespace anec;

constexpr int64_t kDim = 768, kHidden = 2048, kSeq = 256;
constexpr int64_t kSeedDim = 768, kSeedHidden = 2048, kSeedSeq = 64;

const char* const kLinearSource = R"(
weight W: fp16[2048, 768] = random(seed = 1, scale = 0.036)
kernel linear_768_2048(x: fp16[1, 768, 1, 256]) -> (y: fp16[1, 2048, 1, 256]) {
    y = linear(x, W)
}
)";

std::shared_ptr<const ir::Module> compile(bool fromFile, const std::string& text) {
    auto compilation = std::make_shared<driver::Compilation>();
    if (fromFile) {
        if (!compilation->loadFile(text)) return nullptr;
    } else {
        compilation->loadSource("bench.ane", text);
    }
    if (!compilation->optimize()) {
        compilation->diagnostics().print(std::cerr);
        return nullptr;
    }
    return std::shared_ptr<const ir::Module>(compilation, compilation->module());
}

// Random input bytes for a tensor type (values in [-1, 1], rounded to the dtype).
runtime::Tensor randomTensor(const ir::TensorType& type, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    runtime::Tensor tensor(type);
    uint8_t* out = tensor.bytes().data();
    for (int64_t i = 0; i < type.numElements(); ++i) {
        float value = dist(rng);
        if (type.dtype == ir::DType::Fp16) {
            uint16_t h = floatToHalf(value);
            std::memcpy(out + 2 * i, &h, 2);
        } else {
            std::memcpy(out + 4 * i, &value, 4);
        }
    }
    return tensor;
}

void runKernel(benchmark::State& state, const std::shared_ptr<const ir::Module>& module,
               const std::string& kernel, double flops) {
    if (!module) {
        state.SkipWithError("compilation failed");
        return;
    }
    auto executable = runtime::createReferenceBackend()->prepare(module, kernel);
    const runtime::IoInfo& input = executable->inputs().at(0);
    runtime::Tensor x = randomTensor(input.type, 7);
    std::map<std::string, runtime::TensorView> inputs{{input.name, {x.type(), x.bytes()}}};
    for (auto _ : state) {
        auto outputs = executable->run(inputs);
        benchmark::DoNotOptimize(outputs);
    }
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_SeedKernel(benchmark::State& state) {
    static auto module = compile(true, ANEC_SOURCE_DIR "/examples/ffn_w13_bwd.ane");
    runKernel(state, module, "ffn_w13_bwd", 2.0 * 2 * kSeedDim * kSeedHidden * kSeedSeq);
}

void BM_RuntimeLinear(benchmark::State& state) {
    static auto module = compile(false, kLinearSource);
    runKernel(state, module, "linear_768_2048", 2.0 * kHidden * kDim * kSeq);
}

// The same GEMM as BM_RuntimeLinear on fp32 buffers: Y[2048, 256] = W[2048, 768] · X[768, 256].
void BM_BareSgemm(benchmark::State& state) {
    std::vector<float> w(kHidden * kDim), x(kDim * kSeq), y(kHidden * kSeq);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& v : w)
        v = dist(rng);
    for (float& v : x)
        v = dist(rng);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kHidden, kSeq, kDim, 1.0f, w.data(),
                    kDim, x.data(), kSeq, 0.0f, y.data(), kSeq);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kHidden * kDim * kSeq * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_SeedKernel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RuntimeLinear)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BareSgemm)->Unit(benchmark::kMillisecond)->UseRealTime();

// Prints the usual table and keeps GFLOP/s per benchmark from real time per iteration: the
// median aggregate when there are repetitions, else the median of the runs reported.
class RatioReporter : public benchmark::ConsoleReporter {
  public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            const std::string& name = run.run_name.function_name;
            auto flops = flops_.find(name);
            if (run.error_occurred || flops == flops_.end()) continue;
            double seconds =
                run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
            if (seconds <= 0) continue;
            double gflops = flops->second * 1e-9 / seconds;
            if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")
                medians_[name] = gflops;
            else if (run.run_type == Run::RT_Iteration)
                samples_[name].push_back(gflops);
        }
        ConsoleReporter::ReportRuns(runs);
    }

    void printRatio() const {
        std::map<std::string, double> gflops;
        for (const auto& [name, values] : samples_) {
            std::vector<double> sorted = values;
            std::sort(sorted.begin(), sorted.end());
            gflops[name] = sorted[sorted.size() / 2];
        }
        for (const auto& [name, value] : medians_)
            gflops[name] = value;
        std::printf("\n");
        for (const auto& [name, value] : gflops)
            std::printf("%-18s %8.1f GFLOP/s\n", name.c_str(), value);
        auto runtime = gflops.find("BM_RuntimeLinear");
        auto sgemm = gflops.find("BM_BareSgemm");
        if (runtime == gflops.end() || sgemm == gflops.end()) return;
        std::printf("768->2048 linear, SEQ 256: runtime / bare sgemm = %.1f / %.1f GFLOP/s = "
                    "%.3fx (target >= 0.8x)\n",
                    runtime->second, sgemm->second, runtime->second / sgemm->second);
    }

  private:
    std::map<std::string, double> flops_{
        {"BM_SeedKernel", 2.0 * 2 * kSeedDim* kSeedHidden* kSeedSeq},
        {"BM_RuntimeLinear", 2.0 * kHidden* kDim* kSeq},
        {"BM_BareSgemm", 2.0 * kHidden* kDim* kSeq}};
    std::map<std::string, std::vector<double>> samples_;
    std::map<std::string, double> medians_;
};
} // namespace

int main(int argc, char** argv) {
    // Defaults for a shared machine: 5 repetitions in random order, medians shown. Any
    // --benchmark_* option given on the command line comes later and wins.
    std::vector<char*> args(argv, argv + argc);
    std::string repetitions = "--benchmark_repetitions=5";
    std::string interleave = "--benchmark_enable_random_interleaving=true";
    std::string aggregates = "--benchmark_display_aggregates_only=true";
    args.insert(args.begin() + 1, {repetitions.data(), interleave.data(), aggregates.data()});
    int count = static_cast<int>(args.size());
    benchmark::Initialize(&count, args.data());
    if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    reporter.printRatio();
    return 0;
}
