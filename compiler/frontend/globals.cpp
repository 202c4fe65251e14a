// The symbol-table side of sema: diagnostics de-duplication, scopes and top-level names.
#include <cmath>
#include <cstdio>

#include "frontend/builtins.hpp"
#include "frontend/sema.hpp"

namespace anec::frontend {

bool Reporter::error(SourceLoc loc, std::string message) {
    if (!seen_.emplace(loc.file, loc.line, loc.column, message).second) return false;
    diagnostics_.error(loc, std::move(message));
    return true;
}

void Reporter::note(SourceLoc loc, std::string message) {
    diagnostics_.note(loc, std::move(message));
}

std::string formatNumber(double value, bool integral) {
    if (integral && std::fabs(value) < 9.2e18) return std::to_string(static_cast<int64_t>(value));
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    return buffer;
}

LocalBinding* Scope::find(const std::string& name) {
    auto it = bindings_.find(name);
    return it == bindings_.end() ? nullptr : &it->second;
}

const LocalBinding* Scope::find(const std::string& name) const {
    auto it = bindings_.find(name);
    return it == bindings_.end() ? nullptr : &it->second;
}

LocalBinding* Scope::define(const std::string& name, LocalBinding binding) {
    auto [it, inserted] = bindings_.emplace(name, std::move(binding));
    if (!inserted) return nullptr;
    order_.push_back(name);
    return &it->second;
}

std::optional<ir::DType> languageDType(const std::string& name) {
    if (name == "fp16") return ir::DType::Fp16;
    if (name == "fp32") return ir::DType::Fp32;
    if (name == "int32") return ir::DType::Int32;
    if (name == "bool") return ir::DType::Bool;
    return std::nullopt;
}

namespace {
// Records a global name; reports a redefinition (of another global or of a builtin).
bool defineGlobal(Globals& globals, Reporter& reporter, const std::string& name, SourceLoc loc,
                  bool callable) {
    auto previous = globals.definitions.find(name);
    if (previous != globals.definitions.end()) {
        if (reporter.error(loc, "'" + name + "' is already defined") && previous->second.valid())
            reporter.note(previous->second, "previous definition is here");
        return false;
    }
    if (callable && isBuiltinName(name)) {
        reporter.error(loc, "'" + name + "' is already defined as a builtin function");
        return false;
    }
    if (languageDType(name)) {
        reporter.error(loc, "'" + name + "' is a type name and cannot be redefined");
        return false;
    }
    globals.definitions.emplace(name, loc);
    return true;
}

struct GlobalCollector {
    Globals& globals;
    Reporter& reporter;

    void operator()(const ast::ConstDecl& decl) {
        if (defineGlobal(globals, reporter, decl.name, decl.loc, false))
            globals.consts[decl.name].decl = &decl;
    }
    void operator()(const ast::WeightDecl& decl) {
        if (defineGlobal(globals, reporter, decl.name, decl.loc, false))
            globals.weights[decl.name].decl = &decl;
    }
    void operator()(const ast::FnDecl& decl) {
        if (defineGlobal(globals, reporter, decl.name, decl.loc, true))
            globals.fns[decl.name] = &decl;
    }
    void operator()(const ast::KernelDecl& decl) {
        if (defineGlobal(globals, reporter, decl.name, decl.loc, true))
            globals.kernels[decl.name] = &decl;
    }
    void operator()(const ast::FuseDecl& decl) {
        if (defineGlobal(globals, reporter, decl.name, decl.loc, true))
            globals.fusions[decl.name] = &decl;
    }
};
} // namespace

void collectGlobals(const ast::Program& program, const Options& options, Globals& globals,
                    Reporter& reporter) {
    for (const ast::Decl& decl : program.decls)
        std::visit(GlobalCollector{globals, reporter}, decl);
    for (const auto& [name, value] : options.defines) {
        auto it = globals.consts.find(name);
        if (it == globals.consts.end()) {
            reporter.error(SourceLoc{program.file, 0, 0},
                           "unknown constant '" + name + "' given with -D");
            continue;
        }
        it->second.state = ConstEntry::State::Done;
        it->second.value = value;
    }
}

} // namespace anec::frontend
