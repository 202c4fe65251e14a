// Imports: `import "std/nn.ane" as nn` and `import rope, swiglu from "lib.ane"`. Paths are
// relative to the importing file; "std/..." names the standard library built into anec.
#include "frontend/modules.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/builtins.hpp"
#include "frontend/declarations.hpp"
#include "frontend/stdlib.hpp"
#include "support/suggest.hpp"

namespace anec::frontend {

namespace fs = std::filesystem;

bool defineGlobal(Globals& globals, Reporter& reporter, const std::string& name, SourceLoc loc) {
    auto previous = globals.definitions.find(name);
    if (previous != globals.definitions.end()) {
        if (reporter.error(loc, "'" + name + "' is already defined") && previous->second.valid())
            reporter.note(previous->second, "previous definition is here");
        return false;
    }
    if (languageDType(name)) {
        reporter.error(loc, "'" + name + "' is a type name and cannot be redefined");
        return false;
    }
    globals.definitions.emplace(name, loc);
    return true;
}

namespace {
constexpr const char* kStdPrefix = "std/";

std::string joinNames(const std::vector<std::string>& names) {
    std::string list;
    for (const std::string& name : names)
        list += (list.empty() ? "" : ", ") + name;
    return list;
}

std::string canonicalKey(const fs::path& file) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(file, ec);
    return ec ? file.lexically_normal().generic_string() : canonical.string();
}

bool isIdentifier(const std::string& text) {
    if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

// Evaluates every const in source order so that errors in unused ones are reported too.
void evaluateConsts(Module& module) {
    for (const ast::Decl& decl : module.program->decls) {
        const auto* constDecl = decl.as<ast::ConstDecl>();
        if (!constDecl) continue;
        auto it = module.globals.consts.find(constDecl->name);
        if (it != module.globals.consts.end() && it->second.decl == constDecl)
            module.evaluator->constValue(constDecl->name);
    }
}

void applyDefines(Module& module, const Options& options, Reporter& reporter) {
    for (const auto& [name, value] : options.defines) {
        auto it = module.globals.consts.find(name);
        if (it == module.globals.consts.end()) {
            std::vector<std::string> consts;
            for (const auto& [constName, entry] : module.globals.consts)
                consts.push_back(constName);
            reporter.error(SourceLoc{module.file, 0, 0}, "unknown constant '" + name +
                                                             "' given with -D" +
                                                             didYouMean(name, consts));
            continue;
        }
        if (!it->second.importedFrom.empty()) {
            reporter.error(SourceLoc{module.file, 0, 0},
                           "constant '" + name + "' is imported from '" + it->second.importedFrom +
                               "' and cannot be set with -D");
            continue;
        }
        it->second.state = ConstEntry::State::Done;
        it->second.value = value;
    }
}
} // namespace

Module& ModuleAnalyzer::analyzeMain(const ast::Program& program, const Options& options) {
    main_ = std::make_unique<Module>();
    main_->file = program.file;
    main_->path = program.file ? diagnostics_.sources().path(program.file) : std::string();
    main_->name = main_->path;
    main_->key = canonicalKey(main_->path);
    main_->program = &program;
    main_->isMain = true;
    analyze(*main_, &options);
    return *main_;
}

void ModuleAnalyzer::analyze(Module& module, const Options* options) {
    module.evaluator = std::make_unique<ConstEvaluator>(module.globals, reporter_);
    stack_.push_back(module.key);
    for (const ast::Decl& decl : module.program->decls)
        if (const auto* importDecl = decl.as<ast::ImportDecl>())
            bindImport(*importDecl, import(*importDecl, module), module);
    collectDeclarations(module, reporter_);
    if (options) applyDefines(module, *options, reporter_);
    evaluateConsts(module);
    expandDeclarations(module, reporter_);
    stack_.pop_back();
    order_.push_back(&module);
}

const Module* ModuleAnalyzer::import(const ast::ImportDecl& decl, const Module& importer) {
    std::unique_ptr<Module> fresh = readModule(decl, importer);
    if (!fresh) return nullptr;
    if (std::find(stack_.begin(), stack_.end(), fresh->key) != stack_.end()) {
        reporter_.error(decl.loc, "import cycle: '" + importer.name + "' imports '" + fresh->name +
                                      "', which is being imported already");
        return nullptr;
    }
    if (auto it = loaded_.find(fresh->key); it != loaded_.end()) return it->second.get();
    Module* module = fresh.get();
    loaded_.emplace(module->key, std::move(fresh));
    if (!module->program) return module; // syntax errors, reported
    analyze(*module, nullptr);
    return module;
}

// Reads and parses the imported file (not yet analysed). Null after reporting that it cannot be
// read; a module without a program when it has syntax errors.
std::unique_ptr<Module> ModuleAnalyzer::readModule(const ast::ImportDecl& decl,
                                                   const Module& importer) {
    auto module = std::make_unique<Module>();
    std::string text;
    bool fromStd = decl.path.rfind(kStdPrefix, 0) == 0 || importer.key.rfind("std:", 0) == 0;
    if (fromStd) {
        // Inside the standard library, relative imports stay inside it.
        std::string path = decl.path.rfind(kStdPrefix, 0) == 0
                               ? decl.path
                               : (fs::path(importer.path).parent_path() / decl.path)
                                     .lexically_normal()
                                     .generic_string();
        auto source = standardLibraryFile(path);
        if (!source) {
            reporter_.error(decl.loc, "no file '" + path + "' in the standard library" +
                                          didYouMean(path, standardLibraryFiles()) + " (it has " +
                                          joinNames(standardLibraryFiles()) + ")");
            return nullptr;
        }
        module->path = path;
        module->name = path;
        module->key = "std:" + path;
        text = std::string(*source);
    } else {
        fs::path base =
            importer.path.empty() ? fs::path(".") : fs::path(importer.path).parent_path();
        fs::path file = fs::path(decl.path).is_relative() ? base / decl.path : fs::path(decl.path);
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) {
            reporter_.error(decl.loc, "cannot open imported file '" + decl.path + "'");
            return nullptr;
        }
        std::ifstream in(file, std::ios::binary);
        std::ostringstream buffer;
        buffer << in.rdbuf();
        if (!in) {
            reporter_.error(decl.loc, "cannot read imported file '" + decl.path + "'");
            return nullptr;
        }
        text = buffer.str();
        module->path = file.lexically_normal().generic_string();
        module->name = decl.path;
        module->key = canonicalKey(file);
    }
    if (!sources_) {
        reporter_.error(decl.loc, "imports are not available here (no source manager)");
        return nullptr;
    }
    if (auto it = loaded_.find(module->key); it != loaded_.end()) return module; // shared
    module->file = sources_->addFile(module->path, std::move(text));
    size_t errorsBefore = diagnostics_.errorCount();
    module->owned = parseAne(module->file, diagnostics_);
    module->program = module->owned.get();
    if (diagnostics_.errorCount() != errorsBefore)
        diagnostics_.note(decl.loc, "in the file imported here");
    return module;
}

void ModuleAnalyzer::bindImport(const ast::ImportDecl& decl, const Module* imported,
                                Module& importer) {
    Globals& globals = importer.globals;
    bool usable = imported && imported->program;
    if (decl.names.empty()) {
        std::string alias = decl.alias.name;
        SourceLoc at = decl.alias.name.empty() ? decl.loc : decl.alias.loc;
        if (alias.empty()) {
            alias = fs::path(decl.path).stem().string();
            if (!isIdentifier(alias)) {
                reporter_.error(decl.loc,
                                "'" + alias + "' is not a name; import the file with 'as NAME'");
                return;
            }
        }
        if (!defineGlobal(globals, reporter_, alias, at)) return;
        globals.modules[alias] = usable ? imported : nullptr;
        return;
    }
    for (const ast::Binding& name : decl.names) {
        if (!defineGlobal(globals, reporter_, name.name, name.loc)) continue;
        if (!usable) {
            globals.poisoned.insert(name.name);
            continue;
        }
        const Globals& from = imported->globals;
        if (auto c = from.consts.find(name.name); c != from.consts.end()) {
            ConstEntry entry = c->second;
            entry.importedFrom = imported->name;
            globals.consts[name.name] = entry;
        } else if (auto f = from.fns.find(name.name); f != from.fns.end()) {
            globals.fns[name.name] = f->second;
        } else if (from.defines(name.name)) {
            reporter_.error(name.loc, "'" + name.name + "' in '" + imported->name +
                                          "' is not a constant or function (only those can be "
                                          "imported)");
            globals.poisoned.insert(name.name);
        } else {
            reporter_.error(name.loc, "'" + imported->name + "' does not define '" + name.name +
                                          "'" + didYouMean(name.name, from.names()));
            globals.poisoned.insert(name.name);
        }
    }
}

} // namespace anec::frontend
