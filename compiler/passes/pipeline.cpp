// The named passes and the pipeline for each optimisation level.
#include <functional>
#include <map>

#include "passes/pass.hpp"

namespace anec::passes {

namespace {
const std::map<std::string, std::function<std::unique_ptr<Pass>()>>& passFactories() {
    static const std::map<std::string, std::function<std::unique_ptr<Pass>()>> factories = {
        {"dce", createDeadCodePass},
        {"fold-constants", createFoldConstantsPass},
    };
    return factories;
}
} // namespace

std::unique_ptr<Pass> createPass(const std::string& name) {
    auto it = passFactories().find(name);
    return it == passFactories().end() ? nullptr : it->second();
}

std::vector<std::string> passNames() {
    std::vector<std::string> names;
    for (const auto& [name, factory] : passFactories())
        names.push_back(name);
    return names;
}

PassManager buildPipeline(int optLevel) {
    // Emission needs every weight in its final layout, so even -O0 folds constants. Fusion
    // passes for -O1 and above come later; until then both levels run the same passes.
    (void)optLevel;
    PassManager manager;
    manager.add(createFoldConstantsPass());
    manager.add(createDeadCodePass());
    return manager;
}

} // namespace anec::passes
