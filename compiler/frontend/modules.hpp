#pragma once
// The module side of sema: reads, parses and analyses the files a program imports (and the
// program itself): top-level names, constants (with -D for the program's own), the declarations
// `for` loops generate, and asserts. Kernel bodies are lowered afterwards (lower_program.cpp).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "frontend/sema.hpp"

namespace anec::frontend {

class ModuleAnalyzer {
  public:
    // `sources` registers imported files; without it an import is an error.
    ModuleAnalyzer(SourceManager* sources, DiagnosticEngine& diagnostics, Reporter& reporter)
        : sources_(sources), diagnostics_(diagnostics), reporter_(reporter) {}

    Module& analyzeMain(const ast::Program& program, const Options& options);
    // Every module analysed, imported ones first, the program last.
    const std::vector<Module*>& modules() const { return order_; }

  private:
    void analyze(Module& module, const Options* options);
    const Module* import(const ast::ImportDecl& decl, const Module& importer);
    std::unique_ptr<Module> readModule(const ast::ImportDecl& decl, const Module& importer);
    void bindImport(const ast::ImportDecl& decl, const Module* imported, Module& importer);

    SourceManager* sources_;
    DiagnosticEngine& diagnostics_;
    Reporter& reporter_;
    std::map<std::string, std::unique_ptr<Module>> loaded_; // by Module::key
    std::vector<std::string> stack_;                        // modules being analysed (cycles)
    std::vector<Module*> order_;
    std::unique_ptr<Module> main_;
};

// The names of one module's declarations: records `name` (reporting a redefinition of another
// global, and of a dtype name) and returns false on a clash.
bool defineGlobal(Globals& globals, Reporter& reporter, const std::string& name, SourceLoc loc);

} // namespace anec::frontend
