#pragma once
// The compiler as a library: load a source, check it, run the pass pipeline, emit MIL programs.
// The anec CLI is a thin layer over this; embedders use it the same way. Sources are .ane files
// or MIL programs (a .mil file, or a directory holding model.mil), which go through the MIL
// reader instead of the .ane front end and then through the same checks, passes and emitter.
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "frontend/frontend.hpp"
#include "ir/ir.hpp"
#include "mil/emitter.hpp"
#include "mil/parser.hpp"
#include "passes/ane_target.hpp"
#include "passes/pass.hpp"
#include "support/diagnostics.hpp"

namespace anec::driver {

struct CompileOptions {
    frontend::Options frontend;
    int optLevel = 1;
    // -O1 packs inputs/outputs of equal spatial size into one tensor each (pack-io); false
    // (--no-pack-io) leaves them separate. -O0 never packs.
    bool packIo = true;
    // When set, exactly these passes run (in order, after IR generation) instead of the
    // optLevel pipeline; an unknown name is an error listing the known passes.
    std::optional<std::vector<std::string>> passes;
    // Print the IR after every pass, or after the passes named here (each time one runs), to
    // irDump (std::cerr when null), each dump headed `// IR after <pass>`.
    bool printIrAfterAll = false;
    std::set<std::string> printIrAfter;
    std::ostream* irDump = nullptr;
    // The ANE target to legalize for (ane-legalize at every -O level; the emitter takes the
    // program version and blob alignment from it). nullopt: no legalization, the library
    // default; the CLI defaults to generic.
    std::optional<passes::AneTarget> target;
    mil::EmitOptions emit;
    // MIL input: how blob metadata that disagrees with the MIL is read (strict: --strict).
    mil::ReadOptions mil;
    // What becomes of warnings (-w, --warnings=none|all|error).
    WarningPolicy warnings = WarningPolicy::All;
};

class Compilation {
  public:
    explicit Compilation(CompileOptions options = {});

    // Registers the source; an unreadable file is reported as an error (returns false). A path
    // ending in .mil, or a directory holding model.mil, is read as MIL (BLOBFILE weights relative
    // to its directory).
    bool loadFile(const std::filesystem::path& path);
    // A name ending in .mil is MIL text, with weights relative to the name's directory.
    void loadSource(std::string name, std::string text);

    // Parses and checks the source and builds the IR. False when there were errors.
    bool check();
    // check() if needed, then the pass pipeline of options.optLevel.
    bool optimize();
    // optimize() if needed, then one MIL program per kernel. Empty when there were errors.
    std::vector<mil::Program> emit();

    ir::Module* module() { return module_.get(); }
    const std::vector<passes::PassResult>& passResults() const { return passResults_; }
    SourceManager& sources() { return sources_; }
    DiagnosticEngine& diagnostics() { return diagnostics_; }
    const CompileOptions& options() const { return options_; }

  private:
    enum class Stage { Empty, Loaded, Checked, Optimized, Failed };

    std::unique_ptr<ir::Module> readMil();
    // The passes to run: options.passes or the optLevel pipeline, with the IR printing hooked in.
    Expected<passes::PassManager> makePipeline() const;

    CompileOptions options_;
    SourceManager sources_;
    DiagnosticEngine diagnostics_{sources_};
    uint32_t file_ = 0;
    bool isMil_ = false;
    std::filesystem::path modelDir_; // MIL: where @model_path points
    Stage stage_ = Stage::Empty;
    std::unique_ptr<ir::Module> module_;
    std::vector<passes::PassResult> passResults_;
};

// --target: "generic", "m1" .. "m5", or "none" (nullopt: no legalization); throws anec::Error
// naming the known targets otherwise.
std::optional<passes::AneTarget> parseTargetOption(const std::string& name);

// --warnings: "none", "all" or "error"; throws anec::Error otherwise.
WarningPolicy parseWarningsOption(const std::string& name);

// Parses "NAME=VALUE" (-D); throws anec::Error on a malformed definition.
std::pair<std::string, int64_t> parseDefine(const std::string& text);

} // namespace anec::driver
