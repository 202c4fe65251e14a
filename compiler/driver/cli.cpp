#include "driver/cli.hpp"

#include <CLI/CLI.hpp>

#include "driver/compiler.hpp"
#include "ir/printer.hpp"
#include "mil/output.hpp"

#ifndef ANEC_VERSION
#define ANEC_VERSION "0.0.0"
#endif

namespace anec::driver {

namespace {

struct CommonArgs {
    std::string input;
    std::vector<std::string> defines;
};

struct BuildArgs {
    std::string outputDir;
    std::string emit = "files";
    std::string opset = "ios18";
    int optLevel = 1;
    bool singleWeightFile = false;
};

void addCommonOptions(CLI::App& command, CommonArgs& args) {
    command.add_option("file", args.input, "the .ane source file")->required();
    command.add_option("-D,--define", args.defines, "override a constant: -D NAME=VALUE");
}

CompileOptions makeOptions(const CommonArgs& common, const BuildArgs& build) {
    CompileOptions options;
    for (const std::string& define : common.defines) {
        auto [name, value] = parseDefine(define);
        options.frontend.defines[name] = value;
    }
    options.optLevel = build.optLevel;
    auto opset = mil::parseOpset(build.opset);
    if (!opset) throw Error("unknown opset '" + build.opset + "' (expected ios16, ios17 or ios18)");
    options.emit.opset = *opset;
    options.emit.singleWeightFile = build.singleWeightFile;
    return options;
}

// Prints the diagnostics and returns the exit status of a compilation stage.
int finish(Compilation& compilation, bool ok, std::ostream& err) {
    compilation.diagnostics().print(err);
    if (!ok || compilation.diagnostics().hasErrors()) {
        size_t n = compilation.diagnostics().errorCount();
        if (n > 0) err << n << (n == 1 ? " error" : " errors") << " generated.\n";
        return 1;
    }
    return 0;
}

int runCheck(const CommonArgs& common, std::ostream& err) {
    Compilation compilation(makeOptions(common, BuildArgs{}));
    bool ok = compilation.loadFile(common.input) && compilation.check();
    return finish(compilation, ok, err);
}

std::string describeProgram(const mil::Program& program) {
    uint64_t bytes = program.milText.size();
    for (const auto& file : program.weightFiles) bytes += file.bytes.size();
    return program.kernelName + "/ (model.mil, program.json, " + std::to_string(program.weightFiles.size()) +
           " weight file" + (program.weightFiles.size() == 1 ? "" : "s") + ", " + std::to_string(bytes) +
           " bytes)";
}

int runBuild(const CommonArgs& common, const BuildArgs& build, std::ostream& out, std::ostream& err) {
    if (build.emit == "files" && build.outputDir.empty())
        throw Error("build needs an output directory: -o DIR (or --emit=ir|mil to print)");
    Compilation compilation(makeOptions(common, build));
    if (!compilation.loadFile(common.input)) return finish(compilation, false, err);
    if (build.emit == "ir") {
        bool ok = compilation.optimize();
        if (ok) out << ir::printModule(*compilation.module());
        return finish(compilation, ok, err);
    }
    std::vector<mil::Program> programs = compilation.emit();
    int status = finish(compilation, !programs.empty(), err);
    if (status != 0) return status;
    if (build.emit == "mil") {
        for (const auto& program : programs) out << program.milText;
        return 0;
    }
    mil::writeBuildOutput(build.outputDir, programs);
    for (const auto& program : programs) out << "wrote " << build.outputDir << "/" << describeProgram(program) << "\n";
    return 0;
}

} // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"anec: a typed kernel language and compiler for Apple's Neural Engine", "anec"};
    app.set_version_flag("--version", std::string("anec ") + ANEC_VERSION);
    app.require_subcommand(1);

    CommonArgs checkArgs;
    CLI::App* check = app.add_subcommand("check", "parse and check a .ane file; print diagnostics");
    addCommonOptions(*check, checkArgs);

    CommonArgs buildArgs;
    BuildArgs build;
    CLI::App* buildCmd = app.add_subcommand("build", "compile a .ane file to MIL programs and weight blobs");
    addCommonOptions(*buildCmd, buildArgs);
    buildCmd->add_option("-o,--output", build.outputDir, "output directory (one subdirectory per kernel)");
    buildCmd->add_option("--emit", build.emit, "what to produce: files (default), ir or mil (to stdout)")
        ->check(CLI::IsMember({"files", "ir", "mil"}));
    buildCmd->add_option("-O", build.optLevel, "optimisation level: 0 or 1 (default 1)")
        ->check(CLI::Range(0, 1));
    buildCmd->add_option("--opset", build.opset, "target opset: ios16, ios17 or ios18 (default)")
        ->check(CLI::IsMember({"ios16", "ios17", "ios18"}));
    buildCmd->add_flag("--single-weight-file", build.singleWeightFile,
                       "put every weight in weights/weight.bin instead of one file per weight");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e, out, err); // --help, --version
        err << "anec: error: " << e.what() << "\nRun 'anec --help' for usage.\n";
        return 2;
    }

    try {
        if (check->parsed()) return runCheck(checkArgs, err);
        return runBuild(buildArgs, build, out, err);
    } catch (const Error& e) {
        err << "anec: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        err << "anec: internal error: " << e.what() << "\n";
        return 1;
    }
}

} // namespace anec::driver
