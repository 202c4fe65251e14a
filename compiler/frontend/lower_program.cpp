// The entry points of sema and IR generation: lowerProgram and compileAne.
#include <exception>
#include <filesystem>

#include "frontend/frontend.hpp"
#include "frontend/lowering.hpp"
#include "frontend/weights.hpp"
#include "ir/verifier.hpp"

namespace anec::frontend {

namespace {
std::string directoryOf(const DiagnosticEngine& diagnostics, uint32_t file) {
    if (file == 0) return ".";
    std::filesystem::path path(diagnostics.sources().path(file));
    return path.has_parent_path() ? path.parent_path().string() : std::string(".");
}

// Evaluates every const in source order so that errors in unused ones are reported too.
void evaluateConsts(const ast::Program& program, Globals& globals, ConstEvaluator& evaluator) {
    for (const ast::Decl& decl : program.decls) {
        const auto* constDecl = std::get_if<ast::ConstDecl>(&decl);
        if (!constDecl) continue;
        auto it = globals.consts.find(constDecl->name);
        if (it != globals.consts.end() && it->second.decl == constDecl)
            evaluator.constValue(constDecl->name);
    }
}

std::unique_ptr<ir::Module> lower(const ast::Program& program, DiagnosticEngine& diagnostics,
                                  const Options& options) {
    size_t errorsBefore = diagnostics.errorCount();
    Reporter reporter(diagnostics);
    Globals globals;
    ConstEvaluator evaluator(globals, reporter);
    collectGlobals(program, options, globals, reporter);
    evaluateConsts(program, globals, evaluator);
    loadWeights(globals, evaluator, reporter, directoryOf(diagnostics, program.file));

    auto module = std::make_unique<ir::Module>();
    std::set<const ast::FnDecl*> inlinedFns;
    for (const ast::Decl& decl : program.decls) {
        const auto* kernel = std::get_if<ast::KernelDecl>(&decl);
        if (!kernel) continue;
        auto it = globals.kernels.find(kernel->name);
        if (it == globals.kernels.end() || it->second != kernel) continue; // a redefinition
        module->kernels.push_back(lowerKernel(*kernel, globals, evaluator, reporter, inlinedFns));
        // An AST with holes (never produced by the parser) can fail silently; never return a
        // kernel with missing outputs as if it were fine.
        if (diagnostics.errorCount() == errorsBefore &&
            module->kernels.back()->outputs.size() != kernel->outputs.size())
            reporter.error(kernel->loc, "kernel '" + kernel->name +
                                            "' could not be lowered (incomplete syntax tree)");
    }
    lowerFusions(program, globals, evaluator, reporter, *module,
                 diagnostics.errorCount() == errorsBefore);
    for (const ast::Decl& decl : program.decls)
        if (const auto* fn = std::get_if<ast::FnDecl>(&decl); fn && !inlinedFns.count(fn))
            checkUnusedFunction(*fn, globals, reporter);

    if (diagnostics.errorCount() != errorsBefore) return nullptr;
    if (!ir::verifyModule(*module, diagnostics)) return nullptr;
    return module;
}
} // namespace

std::unique_ptr<ir::Module> lowerProgram(const ast::Program& program, DiagnosticEngine& diagnostics,
                                         const Options& options) {
    // Nothing the user writes may escape as an exception; an escape is a compiler bug, reported
    // as such rather than crashing.
    try {
        return lower(program, diagnostics, options);
    } catch (const std::exception& e) {
        diagnostics.error(SourceLoc{program.file, 0, 0},
                          std::string("internal compiler error: ") + e.what());
    }
    return nullptr;
}

std::unique_ptr<ir::Module> compileAne(uint32_t file, DiagnosticEngine& diagnostics,
                                       const Options& options) {
    auto program = parseAne(file, diagnostics);
    if (!program) return nullptr;
    return lowerProgram(*program, diagnostics, options);
}

} // namespace anec::frontend
