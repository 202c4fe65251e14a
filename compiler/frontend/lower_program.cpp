// The entry points of sema and IR generation: lowerProgram and compileAne.
#include <exception>
#include <filesystem>

#include "frontend/frontend.hpp"
#include "frontend/lowering.hpp"
#include "frontend/modules.hpp"
#include "frontend/weights.hpp"
#include "ir/verifier.hpp"

namespace anec::frontend {

namespace {
std::string directoryOf(const DiagnosticEngine& diagnostics, uint32_t file) {
    if (file == 0) return ".";
    std::filesystem::path path(diagnostics.sources().path(file));
    return path.has_parent_path() ? path.parent_path().string() : std::string(".");
}

std::unique_ptr<ir::Module> lower(const ast::Program& program, SourceManager* sources,
                                  DiagnosticEngine& diagnostics, const Options& options,
                                  Reporter& reporter) {
    size_t engineErrorsBefore = diagnostics.errorCount();
    ModuleAnalyzer analyzer(sources, diagnostics, reporter);
    Module& main = analyzer.analyzeMain(program, options);
    loadWeights(main, reporter, directoryOf(diagnostics, program.file));

    auto module = std::make_unique<ir::Module>();
    std::set<const ast::FnDecl*> inlinedFns;
    for (const std::string& name : main.globals.kernelOrder) {
        const KernelEntry& entry = main.globals.kernels.at(name);
        module->kernels.push_back(lowerKernel(entry, main, reporter, inlinedFns));
        // An AST with holes (never produced by the parser) can fail silently; never return a
        // kernel with missing outputs as if it were fine.
        if (reporter.errorCount() == 0 &&
            module->kernels.back()->outputs.size() != entry.decl->outputs.size())
            reporter.error(entry.decl->loc, "kernel '" + entry.name +
                                                "' could not be lowered (incomplete syntax tree)");
    }
    lowerFusions(main, reporter, *module, reporter.errorCount() == 0);
    lowerGradients(main, reporter, *module, reporter.errorCount() == 0);
    lowerTraining(main, reporter, *module, reporter.errorCount() == 0, options.trainBatch);
    for (const Module* each : analyzer.modules())
        for (const ast::Decl& decl : each->program->decls)
            if (const auto* fn = decl.as<ast::FnDecl>(); fn && !inlinedFns.count(fn))
                checkUnusedFunction(*fn, *each, reporter);

    reporter.flush();
    if (reporter.errorCount() != 0 || diagnostics.errorCount() != engineErrorsBefore)
        return nullptr;
    if (!ir::verifyModule(*module, diagnostics)) return nullptr;
    return module;
}
} // namespace

std::unique_ptr<ir::Module> lowerProgram(const ast::Program& program, SourceManager* sources,
                                         DiagnosticEngine& diagnostics, const Options& options) {
    // Nothing the user writes may escape as an exception; an escape is a compiler bug, reported
    // as such rather than crashing.
    Reporter reporter(diagnostics);
    try {
        return lower(program, sources, diagnostics, options, reporter);
    } catch (const std::exception& e) {
        reporter.flush();
        diagnostics.error(SourceLoc{program.file, 0, 0},
                          std::string("internal compiler error: ") + e.what());
    }
    return nullptr;
}

std::unique_ptr<ir::Module> compileAne(uint32_t file, SourceManager& sources,
                                       DiagnosticEngine& diagnostics, const Options& options) {
    auto program = parseAne(file, diagnostics);
    if (!program) return nullptr;
    return lowerProgram(*program, &sources, diagnostics, options);
}

} // namespace anec::frontend
