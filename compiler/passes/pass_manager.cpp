#include "passes/pass.hpp"

#include "ir/verifier.hpp"

namespace anec::passes {

std::vector<std::string> PassManager::names() const {
    std::vector<std::string> names;
    for (const auto& pass : passes_)
        names.push_back(pass->name());
    return names;
}

bool PassManager::run(ir::Module& module, DiagnosticEngine& diagnostics) {
    for (const auto& pass : passes_) {
        size_t changes = pass->run(module, diagnostics);
        results_.push_back({pass->name(), changes, pass->takeRemarks()});
        if (afterPass_) afterPass_(*pass, module);
        if (diagnostics.hasErrors()) return false;
        if (!ir::verifyModule(module, diagnostics)) {
            diagnostics.error({}, "IR is invalid after pass '" + pass->name() + "'");
            return false;
        }
        bool broken = false;
        for (const PassCheck& check : checks_)
            for (const PassProblem& problem : check(*pass, module)) {
                diagnostics.error(problem.loc, problem.message);
                broken = true;
            }
        if (broken) return false;
    }
    return true;
}

} // namespace anec::passes
