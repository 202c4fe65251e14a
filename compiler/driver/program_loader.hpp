#pragma once
// Loads everything `anec run` and the embedding API accept as a program: .ane source (a file or
// text, compiled in memory), a .mil file, a program directory written by `anec build`
// (DIR/model.mil) or a build output root (one such directory per kernel).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "passes/ane_target.hpp"
#include "support/diagnostics.hpp"

namespace anec::driver {

struct LoadOptions {
    // -D NAME=VALUE and the pass pipeline level; they apply to .ane sources only.
    std::map<std::string, int64_t> defines;
    int optLevel = 1;
    bool packIo = true; // CompileOptions::packIo
    // CompileOptions::target: the ANE target .ane sources are legalized for (nullopt: none).
    std::optional<passes::AneTarget> target;
    bool strictMil = false; // CompileOptions::mil.strict (MIL sources)
    WarningPolicy warnings = WarningPolicy::All;
    // A `train` declaration's sequences per step (frontend::Options::trainBatch).
    std::optional<int64_t> trainBatch;
};

// One runnable kernel. `name` is what users select it by: the kernel name of a .ane source,
// the directory name of a built program, the function name of a loose .mil file. `kernelName`
// is its name inside `module` (what Backend::prepare takes).
struct LoadedKernel {
    std::string name;
    std::string kernelName;
    std::shared_ptr<const ir::Module> module;

    const ir::Kernel& kernel() const;
};

struct LoadedProgram {
    std::string origin; // the path or name it came from, for messages
    std::vector<LoadedKernel> kernels;
    std::string warnings; // rendered warnings of a successful compilation; usually empty
    // The source files of a .ane program (null for MIL and built programs): they locate errors
    // found after compiling, such as a tensor over the memory limit.
    std::shared_ptr<const SourceManager> sources;

    // `message` as an error at `loc` with the source line when the program has its sources
    // ("file:line:col: error: ..."), else "anec: error: <message>"; newline-terminated.
    std::string renderError(const std::string& message, SourceLoc loc) const;

    std::vector<std::string> kernelNames() const;
    // The kernel called `requested`, or the only kernel when `requested` is empty. Throws
    // anec::Error listing the kernels otherwise.
    const LoadedKernel& select(const std::string& requested) const;
};

// The source had errors. what() is every rendered diagnostic (clang form, with source lines)
// followed by "N errors generated.".
class CompileError : public Error {
  public:
    using Error::Error;
};

// What kind of program `path` is, decided by its extension or, for a directory, its content.
enum class SourceKind { Ane, Mil, ProgramDir, BuildRoot };
SourceKind classifySource(const std::filesystem::path& path);

// The kernel directories of a build output root (subdirectories holding a model.mil), sorted.
std::vector<std::string> builtKernels(const std::filesystem::path& root);

// Compiles .ane source text; `name` is the file name used in diagnostics (and the base of
// relative npy() paths). Throws CompileError.
LoadedProgram compileSource(const std::string& name, const std::string& text,
                            const LoadOptions& options);

// Loads any kind of source. For a build root, `onlyKernel` (when not empty) loads just that
// kernel directory. Throws CompileError for errors in the source, anec::Error otherwise.
LoadedProgram loadProgram(const std::filesystem::path& path, const LoadOptions& options,
                          const std::string& onlyKernel = "");

// "a, b, c"
std::string joinNames(const std::vector<std::string>& names);

} // namespace anec::driver
