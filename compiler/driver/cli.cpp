#include "driver/cli.hpp"

#include <algorithm>
#include <charconv>

#include <CLI/CLI.hpp>

#include "driver/compiler.hpp"
#include "driver/program_loader.hpp"
#include "driver/run_command.hpp"
#include "driver/stats.hpp"
#include "driver/train_command.hpp"
#include "ir/printer.hpp"
#include "mil/output.hpp"
#include "support/memory_limit.hpp"
#include "training/step_json.hpp"

#ifndef ANEC_VERSION
#define ANEC_VERSION "0.0.0"
#endif

namespace anec::driver {

namespace {

constexpr const char* kTargetHelp =
    "the ANE to legalize for: generic (default: what every chip accepts), m1, m2, m3, m4, m5, or "
    "none (no legalization); see docs/ane-rules.md";

void addTargetOption(CLI::App& command, std::string& target) {
    command.add_option("--target", target, kTargetHelp)
        ->check(CLI::IsMember({"generic", "m1", "m2", "m3", "m4", "m5", "none"}));
}

constexpr const char* kNoPackIoHelp =
    "keep inputs/outputs separate instead of packing those of equal spatial size into one";

constexpr const char* kStrictHelp =
    "MIL input: make blob metadata that disagrees with the MIL (a data offset of 0, a size or "
    "dtype other than the declared type's) an error instead of a warning";

// -w and --warnings=none|all|error set `warnings`.
void addWarningOptions(CLI::App& command, std::string& warnings) {
    CLI::Option* policy =
        command
            .add_option("--warnings", warnings,
                        "none (as -w), all (default: print them) or error (a warning fails the "
                        "command)")
            ->check(CLI::IsMember({"none", "all", "error"}));
    command
        .add_flag_callback(
            "-w", [&warnings] { warnings = "none"; }, "print no warnings")
        ->excludes(policy);
}

// The warning options, and --strict (MIL input) setting `strict`.
void addDiagnosticOptions(CLI::App& command, std::string& warnings, bool& strict) {
    addWarningOptions(command, warnings);
    command.add_flag("--strict", strict, kStrictHelp);
}

struct CommonArgs {
    std::string input;
    std::vector<std::string> defines;
    std::string warnings = "all";
    bool strict = false;
};

struct BuildArgs {
    std::string outputDir;
    std::string emit = "files";
    std::string opset = "ios18";
    int optLevel = 1;
    bool singleWeightFile = false;
    std::string passes; // --passes=a,b,c (empty: the -O pipeline)
    bool printIrAfterAll = false;
    std::vector<std::string> printIrAfter;
    bool passStats = false;
    bool noPackIo = false;
    std::string target = "generic"; // --target (none: no legalization)
};

std::vector<std::string> splitPassList(const std::string& list) {
    std::vector<std::string> names;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = std::min(list.find(',', start), list.size());
        std::string name = list.substr(start, comma - start);
        if (name.empty()) throw Error("--passes: empty pass name in '" + list + "'");
        names.push_back(name);
        start = comma + 1;
    }
    return names;
}

void addCommonOptions(CLI::App& command, CommonArgs& args) {
    command.add_option("file", args.input, "the .ane source file (or a MIL program)")->required();
    command.add_option("-D,--define", args.defines, "override a constant: -D NAME=VALUE");
    addDiagnosticOptions(command, args.warnings, args.strict);
}

void addOptLevelOption(CLI::App& command, int& optLevel) {
    command.add_option("-O", optLevel, "optimisation level: 0 or 1 (default 1)")
        ->check(CLI::Range(0, 1));
}

// What decides whether and how a source compiles: shared by check and build.
void addPipelineOptions(CLI::App& command, BuildArgs& build) {
    addOptLevelOption(command, build.optLevel);
    command.add_option("--opset", build.opset, "target opset: ios16, ios17 or ios18 (default)")
        ->check(CLI::IsMember({"ios16", "ios17", "ios18"}));
    command.add_flag("--no-pack-io", build.noPackIo, kNoPackIoHelp);
    addTargetOption(command, build.target);
}

CompileOptions makeOptions(const CommonArgs& common, const BuildArgs& build) {
    CompileOptions options;
    for (const std::string& define : common.defines) {
        auto [name, value] = parseDefine(define);
        options.frontend.defines[name] = value;
    }
    options.optLevel = build.optLevel;
    options.packIo = !build.noPackIo;
    options.target = parseTargetOption(build.target);
    auto opset = mil::parseOpset(build.opset);
    if (!opset) throw Error("unknown opset '" + build.opset + "' (expected ios16, ios17 or ios18)");
    options.emit.opset = *opset;
    options.emit.singleWeightFile = build.singleWeightFile;
    if (!build.passes.empty()) options.passes = splitPassList(build.passes);
    options.printIrAfterAll = build.printIrAfterAll;
    options.printIrAfter.insert(build.printIrAfter.begin(), build.printIrAfter.end());
    options.warnings = parseWarningsOption(common.warnings);
    options.mil.strict = common.strict;
    return options;
}

// Prints the diagnostics and returns the exit status of a compilation stage.
int finish(Compilation& compilation, bool ok, std::ostream& err) {
    compilation.diagnostics().print(err);
    err << compilation.diagnostics().errorSummary();
    return ok && !compilation.diagnostics().hasErrors() ? 0 : 1;
}

// The emitted programs. The emitter reports what it cannot write by throwing anec::Error (the
// CLI prints it); the diagnostics so far (warnings) are printed before.
std::vector<mil::Program> emitPrograms(Compilation& compilation, std::ostream& err) {
    try {
        return compilation.emit();
    } catch (const Error&) {
        compilation.diagnostics().print(err);
        throw;
    }
}

// Everything `build` does except writing files, so that check rejects exactly what build
// rejects and reports the same warnings.
int runCheck(const CommonArgs& common, const BuildArgs& build, std::ostream& err) {
    Compilation compilation(makeOptions(common, build));
    if (!compilation.loadFile(common.input)) return finish(compilation, false, err);
    bool ok = compilation.optimize();
    if (ok) emitPrograms(compilation, err);
    return finish(compilation, ok, err);
}

std::string describeProgram(const mil::Program& program) {
    uint64_t bytes = program.milText.size();
    for (const auto& file : program.weightFiles)
        bytes += file.bytes.size();
    return program.kernelName + "/ (model.mil, program.json, " +
           std::to_string(program.weightFiles.size()) + " weight file" +
           (program.weightFiles.size() == 1 ? "" : "s") + ", " + std::to_string(bytes) + " bytes)";
}

void printPassStats(const Compilation& compilation, std::ostream& err) {
    size_t width = 4;
    for (const passes::PassResult& result : compilation.passResults())
        width = std::max(width, result.pass.size());
    err << "pass statistics (changes per pass, in pipeline order):\n";
    for (const passes::PassResult& result : compilation.passResults())
        err << "  " << result.pass << std::string(width - result.pass.size() + 2, ' ')
            << result.changes << "\n";
}

int buildWith(Compilation& compilation, const CommonArgs& common, const BuildArgs& build,
              std::ostream& out, std::ostream& err) {
    if (!compilation.loadFile(common.input)) return finish(compilation, false, err);
    if (build.emit == "ir") {
        bool ok = compilation.optimize();
        if (ok) out << ir::printModule(*compilation.module());
        return finish(compilation, ok, err);
    }
    bool ok = compilation.optimize();
    std::vector<mil::Program> programs;
    if (ok) programs = emitPrograms(compilation, err);
    int status = finish(compilation, ok && !programs.empty(), err);
    if (status != 0) return status;
    if (build.emit == "mil") {
        for (const auto& program : programs)
            out << program.milText;
        return 0;
    }
    std::vector<mil::RootFile> rootFiles;
    for (const ir::TrainStep& step : compilation.module()->trainSteps)
        rootFiles.push_back({"step.json", training::stepToJson(step)});
    mil::writeBuildOutput(build.outputDir, programs, rootFiles);
    for (const auto& program : programs)
        out << "wrote " << build.outputDir << "/" << describeProgram(program) << "\n";
    for (const ir::TrainStep& step : compilation.module()->trainSteps)
        out << "wrote " << build.outputDir << "/step.json (training step '" << step.name
            << "': " << step.dispatches.size() << " dispatches of " << step.programs().size()
            << " programs per step)\n";
    return 0;
}

int runBuild(const CommonArgs& common, const BuildArgs& build, std::ostream& out,
             std::ostream& err) {
    if (build.emit == "files" && build.outputDir.empty())
        throw Error("build needs an output directory: -o DIR (or --emit=ir|mil to print)");
    CompileOptions options = makeOptions(common, build);
    options.irDump = &err;
    Compilation compilation(options);
    int status = buildWith(compilation, common, build, out, err);
    if (build.passStats) printPassStats(compilation, err);
    return status;
}

// A seed is an unsigned 64-bit integer; CLI11 alone would wrap "-3" around.
std::string checkSeed(const std::string& text) {
    uint64_t seed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return "expects an integer seed from 0 to 2^64 - 1, got '" + text + "'";
    return {};
}

void addRunOptions(CLI::App& command, RunArgs& args, CLI::Option*& seedOption) {
    command
        .add_option("source", args.source,
                    "a .ane or .mil file, a program directory written by 'anec build' "
                    "or a build output directory")
        ->required();
    command.add_option("--kernel", args.kernel,
                       "the kernel to run (needed when there are several)");
    command
        .add_option("-D,--define", args.defines, "override a constant: -D NAME=VALUE (.ane only)")
        ->allow_extra_args(false);
    command.add_option("--input", args.inputs, "an input: --input NAME=PATH.npy (once per input)")
        ->allow_extra_args(false);
    seedOption = command
                     .add_option("--random-inputs", args.randomSeed,
                                 "fill the inputs not given with uniform [-1, 1) values from "
                                 "this seed")
                     ->check(CLI::Validator(checkSeed, "SEED"));
    command.add_option("--output-dir", args.outputDir,
                       "where to write <output>.npy (default: the current directory)");
    command
        .add_option("--backend", args.backend,
                    "auto (default), reference, ane, or ane-sim (the ANE simulator: the ANE's "
                    "known rules checked on any machine, the chip chosen by --target)")
        ->check(CLI::IsMember({"auto", "reference", "ane", "ane-sim"}));
    command
        .add_option("--compile-budget", args.compileBudget,
                    "ANE compiles this process may make before an error (default "
                    "ANEC_COMPILE_BUDGET or 100; the ANE compiler fails near 119)")
        ->check(CLI::Range(size_t{1}, size_t{1000000}));
    addOptLevelOption(command, args.optLevel);
    command.add_flag("--no-pack-io", args.noPackIo, std::string(kNoPackIoHelp) + " (.ane only)");
    addTargetOption(command, args.target);
    addDiagnosticOptions(command, args.warnings, args.strict);
    command.add_flag("--reference-check", args.referenceCheck,
                     "also run in float64 and print each output's error against it");
}

constexpr const char* kTrainBackendHelp =
    "reference (default), ane, ane-sim (the ANE simulator) or auto";

// The model of train and sample: the source, -D, where it runs, the warnings.
void addTrainerSourceOptions(CLI::App& command, TrainerSource& model) {
    command
        .add_option("source", model.source,
                    "a .ane file with a 'train' declaration, or its build output directory")
        ->required();
    command
        .add_option("-D,--define", model.defines, "override a constant: -D NAME=VALUE (.ane only)")
        ->allow_extra_args(false);
    command.add_option("--backend", model.backend, kTrainBackendHelp)
        ->check(CLI::IsMember({"auto", "reference", "ane", "ane-sim"}));
    command
        .add_option("--target", model.target,
                    "the ANE backends' chip: m3, m4 (the simulator's default), m5; m1/m2 and "
                    "generic cannot run the fp32 update (cast)")
        ->check(CLI::IsMember({"generic", "m1", "m2", "m3", "m4", "m5"}));
    addWarningOptions(command, model.warnings);
}

void addTrainOptions(CLI::App& command, TrainArgs& args) {
    addTrainerSourceOptions(command, args.model);
    command
        .add_option("--data", args.data,
                    "training tokens: a llama2.c .bin file (uint16) or text (byte-level)")
        ->required();
    command
        .add_option("--steps", args.steps,
                    "train until this step (default: the schedule's 'decay', or 100)")
        ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
    command.add_option("--batch", args.batch, "sequences per step (default: the declaration's)")
        ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
    command.add_option("--lr", args.lr, "the peak learning rate (default: the declaration's)")
        ->check(CLI::PositiveNumber);
    command.add_option("--seed", args.seed, "the seed of the data order (default 1)");
    command.add_option("--save", args.save, "write a checkpoint (.safetensors) at the end");
    command.add_option("--save-every", args.saveEvery, "also every N steps (with --save)")
        ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
    command.add_option("--resume", args.resume, "start from a checkpoint written by --save");
}

void addSampleOptions(CLI::App& command, SampleArgs& args) {
    addTrainerSourceOptions(command, args.model);
    command.add_option("--resume", args.resume,
                       "the trained checkpoint (default: initial weights)");
    command.add_option("--prompt", args.prompt, "the text to continue");
    command.add_option("--tokens", args.tokens, "how many tokens to generate (default 200)")
        ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
    command
        .add_option("--temperature", args.temperature,
                    "0 (default): the most likely token; higher: sample more freely")
        ->check(CLI::Range(0.0, 100.0));
    command.add_option("--seed", args.seed, "the sampling seed (default 1)");
}

void addCompareOptions(CLI::App& command, CompareArgs& args) {
    command.add_option("actual", args.actual, "the .npy file to check")->required();
    command.add_option("expected", args.expected, "the reference .npy file")->required();
    command.add_option("--atol", args.atol, "absolute tolerance (default 0.01)");
    command.add_option("--rtol", args.rtol, "relative tolerance (default 0.01)");
}

} // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"anec: a typed kernel language and compiler for Apple's Neural Engine", "anec"};
    app.set_version_flag("--version", std::string("anec ") + ANEC_VERSION);
    app.require_subcommand(1);
    // Global, and accepted after the subcommand too (fallthrough): `anec run --max-memory 4G`.
    std::string maxMemory;
    app.add_option("--max-memory", maxMemory,
                   "the most memory one compilation or kernel run may take, e.g. 4G (default: "
                   "ANEC_MAX_MEMORY, else half the machine's memory)");
    app.fallthrough();

    CommonArgs checkArgs;
    BuildArgs checkBuild;
    CLI::App* check = app.add_subcommand(
        "check", "compile a .ane file (or MIL) as build does, writing nothing; print diagnostics");
    addCommonOptions(*check, checkArgs);
    addPipelineOptions(*check, checkBuild);

    CommonArgs buildArgs;
    BuildArgs build;
    CLI::App* buildCmd =
        app.add_subcommand("build", "compile a .ane file to MIL programs and weight blobs");
    addCommonOptions(*buildCmd, buildArgs);
    buildCmd->add_option("-o,--output", build.outputDir,
                         "output directory (one subdirectory per kernel)");
    buildCmd
        ->add_option("--emit", build.emit,
                     "what to produce: files (default), ir or mil (to stdout)")
        ->check(CLI::IsMember({"files", "ir", "mil"}));
    addPipelineOptions(*buildCmd, build);
    buildCmd->add_flag("--single-weight-file", build.singleWeightFile,
                       "put every weight in weights/weight.bin instead of one file per weight");
    buildCmd->add_option("--passes", build.passes,
                         "run exactly these passes, comma-separated, instead of the -O pipeline");
    buildCmd->add_flag("--print-ir-after-all", build.printIrAfterAll,
                       "print the IR to stderr after every pass");
    buildCmd
        ->add_option("--print-ir-after", build.printIrAfter,
                     "print the IR to stderr after each run of pass NAME (repeatable)")
        ->allow_extra_args(false);
    buildCmd->add_flag("--pass-stats", build.passStats,
                       "print each pass's change count to stderr after the build");

    CommonArgs statsArgs;
    CLI::App* statsCmd = app.add_subcommand(
        "stats", "print per-kernel ops, FLOPs, bytes and dispatches at -O0 and -O1");
    addCommonOptions(*statsCmd, statsArgs);
    BuildArgs statsBuild;
    statsCmd->add_flag("--no-pack-io", statsBuild.noPackIo, kNoPackIoHelp);
    addTargetOption(*statsCmd, statsBuild.target);

    RunArgs runArgs;
    CLI::Option* seedOption = nullptr;
    CLI::App* run =
        app.add_subcommand("run", "run a kernel on .npy inputs and write its outputs as .npy");
    addRunOptions(*run, runArgs, seedOption);

    CompareArgs compareArgs;
    CLI::App* compare = app.add_subcommand(
        "compare", "compare two .npy files: exit 0 when |a - b| <= atol + rtol * |b| everywhere");
    addCompareOptions(*compare, compareArgs);

    TrainArgs trainArgs;
    CLI::App* trainCmd = app.add_subcommand(
        "train", "train a model declared with 'train' on token data; print the loss per step");
    addTrainOptions(*trainCmd, trainArgs);

    SampleArgs sampleArgs;
    CLI::App* sampleCmd =
        app.add_subcommand("sample", "generate text from a model trained with 'anec train'");
    addSampleOptions(*sampleCmd, sampleArgs);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e, out, err); // --help, --version
        err << "anec: error: " << e.what() << "\nRun 'anec --help' for usage.\n";
        return 2;
    }

    // The limit is per process; a CLI run inside a test or an embedder leaves it as it was.
    ScopedMemoryLimit memoryLimit(0);
    if (!maxMemory.empty()) {
        std::optional<uint64_t> bytes = parseByteSize(maxMemory);
        if (!bytes) {
            err << "anec: error: --max-memory '" << maxMemory
                << "' is not a size (bytes, or a number with K, M, G or T)\n";
            return 2;
        }
        setMemoryLimit(*bytes);
    }

    try {
        if (check->parsed()) return runCheck(checkArgs, checkBuild, err);
        if (run->parsed()) {
            runArgs.randomInputs = seedOption->count() > 0;
            runArgs.optLevelGiven = run->count("-O") > 0;
            return runKernelCommand(runArgs, out, err);
        }
        if (compare->parsed()) return compareCommand(compareArgs, out);
        if (trainCmd->parsed()) return trainCommand(trainArgs, out, err);
        if (sampleCmd->parsed()) return sampleCommand(sampleArgs, out, err);
        if (statsCmd->parsed())
            return statsCommand(statsArgs.input, makeOptions(statsArgs, statsBuild), out, err);
        return runBuild(buildArgs, build, out, err);
    } catch (const CompileError& e) {
        err << e.what();
        return 1;
    } catch (const Error& e) {
        err << "anec: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        err << "anec: internal error: " << e.what() << "\n";
        return 1;
    }
}

} // namespace anec::driver
