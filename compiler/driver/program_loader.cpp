#include "driver/program_loader.hpp"

#include <algorithm>
#include <sstream>

#include "driver/compiler.hpp"

namespace anec::driver {

namespace fs = std::filesystem;

namespace {

constexpr const char* kModelFile = "model.mil";

std::string quoted(const fs::path& path) {
    return "'" + path.string() + "'";
}

// The rendered diagnostics of a compilation, plus the clang-style error count when it failed.
std::string renderDiagnostics(Compilation& compilation) {
    std::ostringstream text;
    compilation.diagnostics().print(text);
    return text.str() + compilation.diagnostics().errorSummary();
}

CompileOptions compileOptions(const LoadOptions& options) {
    CompileOptions compile;
    compile.frontend.defines = options.defines;
    compile.frontend.trainBatch = options.trainBatch;
    compile.optLevel = options.optLevel;
    compile.packIo = options.packIo;
    compile.target = options.target;
    compile.mil.strict = options.strictMil;
    compile.warnings = options.warnings;
    return compile;
}

[[noreturn]] void throwCompileError(Compilation& compilation) {
    std::string text = renderDiagnostics(compilation);
    // A stage can fail without a diagnostic only through a bug; still say something useful.
    if (text.empty()) text = "anec: error: compilation failed\n";
    throw CompileError(text);
}

// Runs the stages a source needs: .ane through the pass pipeline and the emitter (so that it is
// rejected exactly when `anec build` rejects it; the MIL text is not kept), MIL only through the
// checks, so that exactly the program in the file runs.
std::shared_ptr<Compilation> compileLoaded(std::shared_ptr<Compilation> compilation,
                                           bool optimize) {
    bool ok = optimize ? compilation->optimize() : compilation->check();
    try {
        if (ok && optimize) compilation->emit(); // for its errors only
    } catch (const Error& e) {
        throw CompileError(renderDiagnostics(*compilation) + "anec: error: " + e.what() + "\n");
    }
    if (!ok || compilation->diagnostics().hasErrors() || compilation->module() == nullptr)
        throwCompileError(*compilation);
    return compilation;
}

// The kernels of a compilation; the module pointer shares ownership of the whole compilation.
std::vector<LoadedKernel> kernelsOf(const std::shared_ptr<Compilation>& compilation) {
    std::shared_ptr<const ir::Module> module(compilation, compilation->module());
    std::vector<LoadedKernel> kernels;
    for (const auto& kernel : module->kernels)
        kernels.push_back(LoadedKernel{kernel->name, kernel->name, module});
    return kernels;
}

std::shared_ptr<Compilation> loadMilFile(const fs::path& milFile, const LoadOptions& options) {
    auto compilation = std::make_shared<Compilation>(compileOptions(options));
    if (!compilation->loadFile(milFile)) throwCompileError(*compilation);
    return compileLoaded(compilation, /*optimize=*/false);
}

// The directory's own name, also for "out/k/" and ".".
std::string directoryName(const fs::path& dir) {
    fs::path normal = fs::absolute(dir).lexically_normal();
    if (normal.filename().empty()) normal = normal.parent_path();
    return normal.filename().string();
}

// A program directory holds one MIL program; its kernel is named after the directory.
LoadedKernel loadProgramDir(const fs::path& dir, const LoadOptions& options,
                            std::string& warnings) {
    std::shared_ptr<Compilation> compilation = loadMilFile(dir / kModelFile, options);
    warnings += renderDiagnostics(*compilation);
    std::vector<LoadedKernel> kernels = kernelsOf(compilation);
    if (kernels.size() != 1)
        throw Error(quoted(dir / kModelFile) + " defines " + std::to_string(kernels.size()) +
                    " functions; a program directory holds exactly one");
    kernels.front().name = directoryName(dir);
    return kernels.front();
}

} // namespace

const ir::Kernel& LoadedKernel::kernel() const {
    const ir::Kernel* found = module->findKernel(kernelName);
    if (found == nullptr) throw Error("kernel '" + kernelName + "' is missing from its module");
    return *found;
}

std::vector<std::string> LoadedProgram::kernelNames() const {
    std::vector<std::string> names;
    for (const LoadedKernel& kernel : kernels)
        names.push_back(kernel.name);
    return names;
}

const LoadedKernel& LoadedProgram::select(const std::string& requested) const {
    if (kernels.empty()) throw Error(origin + " defines no kernel");
    if (requested.empty()) {
        if (kernels.size() == 1) return kernels.front();
        throw Error(origin + " has " + std::to_string(kernels.size()) + " kernels (" +
                    joinNames(kernelNames()) + "); choose one with --kernel");
    }
    for (const LoadedKernel& kernel : kernels)
        if (kernel.name == requested) return kernel;
    throw Error("no kernel '" + requested + "' in " + origin +
                "; its kernels are: " + joinNames(kernelNames()));
}

SourceKind classifySource(const fs::path& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec))
        return fs::exists(path / kModelFile, ec) ? SourceKind::ProgramDir : SourceKind::BuildRoot;
    return path.extension() == ".mil" ? SourceKind::Mil : SourceKind::Ane;
}

std::vector<std::string> builtKernels(const fs::path& root) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
        std::error_code ignored;
        if (entry.is_directory(ignored) && fs::exists(entry.path() / kModelFile, ignored))
            names.push_back(entry.path().filename().string());
    }
    if (ec) throw Error("cannot read the directory " + quoted(root) + ": " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
}

namespace {
// Shares the compilation's ownership: the sources live as long as the program does.
std::shared_ptr<const SourceManager> sourcesOf(const std::shared_ptr<Compilation>& compilation) {
    return std::shared_ptr<const SourceManager>(compilation, &compilation->sources());
}
} // namespace

std::string LoadedProgram::renderError(const std::string& message, SourceLoc loc) const {
    if (!sources || !loc.valid()) return "anec: error: " + message + "\n";
    DiagnosticEngine engine(*sources);
    return engine.render(Diagnostic{Severity::Error, loc, message});
}

LoadedProgram compileSource(const std::string& name, const std::string& text,
                            const LoadOptions& options) {
    auto compilation = std::make_shared<Compilation>(compileOptions(options));
    compilation->loadSource(name, text);
    compileLoaded(compilation, /*optimize=*/true);
    return LoadedProgram{"'" + name + "'", kernelsOf(compilation), renderDiagnostics(*compilation),
                         sourcesOf(compilation)};
}

LoadedProgram loadProgram(const fs::path& path, const LoadOptions& options,
                          const std::string& onlyKernel) {
    SourceKind kind = classifySource(path);
    if (kind == SourceKind::Ane) {
        auto compilation = std::make_shared<Compilation>(compileOptions(options));
        if (!compilation->loadFile(path)) throwCompileError(*compilation);
        compileLoaded(compilation, /*optimize=*/true);
        return LoadedProgram{quoted(path), kernelsOf(compilation), renderDiagnostics(*compilation),
                             sourcesOf(compilation)};
    }
    if (!options.defines.empty())
        throw Error("constant definitions (-D) apply to .ane sources only; " + quoted(path) +
                    " is a MIL program");

    LoadedProgram program{quoted(path), {}, {}};
    if (kind == SourceKind::Mil) {
        std::shared_ptr<Compilation> compilation = loadMilFile(path, options);
        program.kernels = kernelsOf(compilation);
        program.warnings = renderDiagnostics(*compilation);
    } else if (kind == SourceKind::ProgramDir) {
        program.kernels.push_back(loadProgramDir(path, options, program.warnings));
    } else {
        std::vector<std::string> names = builtKernels(path);
        if (names.empty())
            throw Error(quoted(path) + " holds neither a " + kModelFile +
                        " nor kernel directories written by 'anec build'");
        if (!onlyKernel.empty() && std::find(names.begin(), names.end(), onlyKernel) == names.end())
            throw Error("no kernel '" + onlyKernel + "' in " + quoted(path) +
                        "; its kernels are: " + joinNames(names));
        for (const std::string& name : names)
            if (onlyKernel.empty() || name == onlyKernel)
                program.kernels.push_back(loadProgramDir(path / name, options, program.warnings));
    }
    return program;
}

std::string joinNames(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

} // namespace anec::driver
