#pragma once
// `anec run` (execute a kernel on .npy inputs) and `anec compare` (two .npy files within a
// tolerance). Both throw anec::Error (or CompileError) for bad input; the CLI prints it.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/core/backend.hpp"

namespace anec::driver {

struct RunArgs {
    std::string source; // .ane, .mil, program directory or build output root
    std::string kernel;
    std::vector<std::string> defines; // NAME=VALUE
    std::vector<std::string> inputs;  // NAME=PATH.npy
    bool randomInputs = false;
    uint64_t randomSeed = 0;
    std::string outputDir = ".";
    std::string backend = "auto"; // auto | reference | ane | ane-sim
    // --compile-budget N: the process's ANE compile budget (0: ANEC_COMPILE_BUDGET or 100).
    size_t compileBudget = 0;
    bool referenceCheck = false;
    // .ane sources: the pass pipeline level (-O) and whether pack-io runs (--no-pack-io); either
    // given for a MIL source is an error (MIL runs as written).
    int optLevel = 1;
    bool optLevelGiven = false;
    bool noPackIo = false;
    // .ane/.mil sources: the ANE target to legalize for (--target): generic, m1 .. m5, or none.
    std::string target = "generic";
    std::string warnings = "all"; // none | all | error (-w, --warnings)
    bool strict = false;          // MIL sources: --strict (mil::ReadOptions::strict)
};

// --backend: auto, reference, ane or ane-sim; throws anec::Error naming them otherwise.
runtime::BackendKind parseBackendKind(const std::string& name);

// Returns the exit status (0: ran and wrote every output).
int runKernelCommand(const RunArgs& args, std::ostream& out, std::ostream& err);

struct CompareArgs {
    std::string actual;
    std::string expected;
    double atol = 1e-2;
    double rtol = 1e-2;
};

// Returns 0 when every element satisfies |a - b| <= atol + rtol * |b|, 1 otherwise.
int compareCommand(const CompareArgs& args, std::ostream& out);

} // namespace anec::driver
