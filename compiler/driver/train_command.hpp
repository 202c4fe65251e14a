#pragma once
// `anec train` (train a model declared with `train` on token data) and `anec sample` (generate
// text from a trained model): docs/training.md. Both throw anec::Error (or CompileError) for bad
// input; the CLI prints it.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace anec::driver {

// The model train and sample load, and where it runs.
struct TrainerSource {
    std::string source;               // a .ane file with a `train` declaration, or a build dir
    std::vector<std::string> defines; // NAME=VALUE (.ane only)
    std::string backend = "reference";
    // The chip of the ANE backends (m1 .. m5; empty: the machine's, the simulator's m4).
    std::string target;
    std::string warnings = "all";
};

struct TrainArgs {
    TrainerSource model;
    std::string data;             // llama2.c .bin tokens, or text (byte-level)
    int64_t steps = 0;            // train until this step (0: the schedule's decay, or 100)
    std::optional<int64_t> batch; // sequences per step (.ane: rebuilds the step)
    std::optional<double> lr;     // the peak learning rate
    uint64_t seed = 1;            // the data order
    std::string save;             // checkpoint written at the end (and every saveEvery)
    int64_t saveEvery = 0;
    std::string resume; // checkpoint to start from
};

// Prints a line (or, on a terminal, a progress bar) per step, then the loss curve and totals.
int trainCommand(const TrainArgs& args, std::ostream& out, std::ostream& err);

// The highest published fp16 peak of any ANE (M4, ~18.6 TFLOPS; ane-and-mil.md §5).
constexpr double kAnePeakTflops = 18.6;
// The rate line of `anec train`: on the ANE "achieved 0.51 TFLOPS on the ANE (2.7% of its ~18.6
// TFLOPS fp16 peak)"; a rate above the peak is a timing error and never printed as a result;
// other backends run on the CPU and print GFLOP/s without a peak.
std::string achievedRate(uint64_t flopsPerStep, double secondsPerStep, const std::string& backend);

struct SampleArgs {
    TrainerSource model;
    std::string resume; // the trained checkpoint (without: the initial weights)
    std::string prompt;
    int64_t tokens = 200;   // how many to generate
    double temperature = 0; // 0: greedy
    uint64_t seed = 1;      // sampling with a temperature
    std::string backend = "reference";
    // The chip of the ANE backends (m1 .. m5; empty: the machine's, the simulator's m4).
    std::string target;
    std::string warnings = "all";
};

int sampleCommand(const SampleArgs& args, std::ostream& out, std::ostream& err);

} // namespace anec::driver
