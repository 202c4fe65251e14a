#pragma once
// `anec stats`: what a kernel costs, at -O0 and -O1 side by side. The FLOP model is documented in
// docs/passes.md ("anec stats").
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "driver/compiler.hpp"
#include "ir/ir.hpp"

namespace anec::driver {

struct KernelStats {
    std::string kernel;
    std::map<std::string, size_t> opsByKind; // every op, consts included
    uint64_t flops = 0;
    // The part of `flops` that is matrix work (conv, matmul, attention's two products; no bias,
    // scale, mask or softmax): what PyTorch's FlopCounterMode and most FLOP counters report.
    uint64_t matrixFlops = 0;
    uint64_t weightBytes = 0; // weight blob data (mil::blobBytes: identical blobs once)
    uint64_t inputBytes = 0;
    uint64_t outputBytes = 0;
    uint64_t intermediateBytes = 0; // non-const op results that are not outputs
    size_t programs = 1;            // ANE programs (one per kernel)
    size_t dispatches = 1;          // dispatches to run it once
    // Why passes made the kernel larger on some measure (PassRemark), printed under its table.
    std::vector<passes::PassRemark> remarks;
};

// Estimated floating-point operations of one op (0 for data movement and constants).
uint64_t opFlops(const ir::Op& op);
// Its matrix part (KernelStats::matrixFlops).
uint64_t opMatrixFlops(const ir::Op& op);
KernelStats kernelStats(const ir::Kernel& kernel);
std::vector<KernelStats> moduleStats(const ir::Module& module);
// moduleStats with the remarks of the passes that built `module` attached to their kernels.
std::vector<KernelStats> moduleStats(const ir::Module& module,
                                     const std::vector<passes::PassResult>& passResults);

// What one training step (`train`) costs: its programs run in dispatch order, the micro-batch
// programs once per sequence.
struct StepStats {
    std::string step;
    size_t programs = 0;   // distinct programs, each compiled once per run
    size_t dispatches = 0; // per step
    int64_t microBatches = 1;
    uint64_t flops = 0, matrixFlops = 0;
    uint64_t bytesToDevice = 0, bytesFromDevice = 0; // per step (ir::crossesHost)
    uint64_t residentBytes = 0;                      // weights and optimizer moments
};
// One step, its programs found by name (in one module, or one module per program).
StepStats stepStats(const ir::TrainStep& step,
                    const std::function<const ir::Kernel*(const std::string&)>& findKernel);
std::vector<StepStats> trainStepStats(const ir::Module& module);

// The readable side-by-side table: one block per kernel (by name; a kernel present at only one
// level shows "-" at the other) followed by its -O1 remarks, then the totals.
std::string formatStatsTable(const std::vector<KernelStats>& o0,
                             const std::vector<KernelStats>& o1);
// One table per training step, -O0 and -O1 side by side.
std::string formatStepStats(const std::vector<StepStats>& o0, const std::vector<StepStats>& o1);

// Compiles `path` at -O0 and -O1 (options.optLevel and options.passes are overridden) and writes
// the table to `out`, diagnostics to `err`. Returns the exit status (0, or 1 on errors).
int statsCommand(const std::string& path, CompileOptions options, std::ostream& out,
                 std::ostream& err);

} // namespace anec::driver
