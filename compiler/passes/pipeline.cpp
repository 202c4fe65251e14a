// The named passes and the pipeline for each optimisation level.
#include <algorithm>
#include <functional>
#include <map>

#include "passes/ane_target.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
// The target a pipeline is built for (nullopt: none, `--target none`).
using Target = std::optional<AneTarget>;
using Factory = std::function<std::unique_ptr<Pass>(Target)>;

// A pass that does not depend on the target.
template <std::unique_ptr<Pass> (*create)()> Factory plain() {
    return [](Target) { return create(); };
}

const std::map<std::string, Factory>& passFactories() {
    static const std::map<std::string, Factory> factories = {
        {"algebraic", plain<createAlgebraicPass>()},
        {"ane-legalize",
         [](Target target) { return createAneLegalizePass(target.value_or(AneTarget::Generic)); }},
        {"cast-elim", plain<createCastElimPass>()},
        {"cse", plain<createCsePass>()},
        {"dce", plain<createDeadCodePass>()},
        {"fold-constants", plain<createFoldConstantsPass>()},
        // Fusions keep within the target's limits; without a target within generic's, which
        // every chip has (the ANE backend legalizes such a module later, and legalization cannot
        // undo a fusion).
        {"fuse-conv-scale-shift", plain<createFuseConvScaleShiftPass>()},
        {"fuse-horizontal", plain<createFuseHorizontalPass>()},
        {"fuse-slice-conv-add",
         [](Target target) {
             return createFuseSliceConvAddPass(aneTargetRules(target.value_or(AneTarget::Generic)));
         }},
        // Its output packing is a concat: none where the target rejects concat.
        {"pack-io",
         [](Target target) {
             return createPackIoPass(
                 {.packInputs = true, .packOutputs = !target || aneTargetRules(*target).concat});
         }},
    };
    return factories;
}

std::string unknownPassMessage(const std::string& name) {
    std::string known;
    for (const std::string& candidate : passNames())
        known += (known.empty() ? "" : ", ") + candidate;
    return "unknown pass '" + name + "' (known passes: " + known + ")";
}
// The -O1 pipeline, with ane-legalize.
std::vector<std::string> optimizingPassNames() {
    return {
        // Cleanups first, so that fusion sees canonical IR (no no-op casts, x*1, duplicates).
        "fold-constants",
        "cast-elim",
        "algebraic",
        "cse",
        // Dead code out before the fusions: stacking a used conv with an unused one would make
        // the unused one's work live again.
        "dce",
        // What the ANE rejects, rewritten before fusion so that fusion also sees what the
        // rewrites produce (a concat becomes convs of slices, which fuse-slice-conv-add merges)
        // and a rebuild of the emitted MIL changes nothing. The passes after it keep within the
        // target's rules, which a check after each of them proves (legality_check.cpp).
        "ane-legalize",
        // Its rewrites may compute again what the program has (silu becomes x * sigmoid(x)
        // beside a backward kernel's own sigmoid(x)): one value each, before fusion.
        "cse",
        // Fusion a, c, b: sums over channel slices first (the seed's pattern), then scales
        // folded into the (possibly fused) conv weights, then convs sharing an input stacked
        // (last, as the slices it adds would hide a following scale from fuse-conv-scale-shift).
        "fuse-slice-conv-add",
        "fuse-conv-scale-shift",
        "fuse-horizontal",
        // --- fusion e (multi-kernel) ---
        // I/O packing last: it packs the interface the other transformations leave (legalized:
        // fp16 I/O on targets without cast, no packed outputs on targets without concat).
        "pack-io",
        // Packing makes inputs of one shape slices of one tensor: a sum of convs over them is
        // the seed's pattern again (a backward kernel's d_h1 and d_h3 become one conv).
        "fuse-slice-conv-add",
        // Fusion concatenates and scales weights: fold them into blobs, drop what became dead.
        "fold-constants",
        "dce",
    };
}
} // namespace

std::unique_ptr<Pass> createPass(const std::string& name) {
    auto it = passFactories().find(name);
    return it == passFactories().end() ? nullptr : it->second(std::nullopt);
}

std::vector<std::string> passNames() {
    std::vector<std::string> names;
    for (const auto& [name, factory] : passFactories())
        names.push_back(name);
    return names;
}

Expected<bool> checkPassName(const std::string& name) {
    if (!passFactories().count(name)) return fail(unknownPassMessage(name));
    return true;
}

std::vector<std::string> pipelinePassNames(int optLevel, bool legalize) {
    // Emission needs every weight in its final layout, so even -O0 folds constants. Legalization
    // is not an optimisation: it runs at every level.
    if (optLevel <= 0) {
        if (legalize) return {"fold-constants", "ane-legalize", "fold-constants", "dce"};
        return {"fold-constants", "dce"};
    }
    std::vector<std::string> names = optimizingPassNames();
    if (!legalize) {
        // ane-legalize and the cse that follows it.
        auto legalizeAt = std::find(names.begin(), names.end(), "ane-legalize");
        names.erase(legalizeAt, legalizeAt + 2);
    }
    return names;
}

PassManager buildPipeline(int optLevel) {
    PassManager manager;
    for (const std::string& name : pipelinePassNames(optLevel))
        manager.add(createPass(name));
    return manager;
}

Expected<PassManager> buildPipeline(const std::vector<std::string>& names) {
    return buildPipeline(names, std::nullopt);
}

Expected<PassManager> buildPipeline(const std::vector<std::string>& names,
                                    std::optional<AneTarget> target) {
    // A pipeline that legalizes does so for generic when no target is given, and the passes
    // after it keep within generic's rules.
    const bool legalizes = std::find(names.begin(), names.end(), "ane-legalize") != names.end();
    if (!target && legalizes) target = AneTarget::Generic;
    PassManager manager;
    for (const std::string& name : names) {
        auto factory = passFactories().find(name);
        if (factory == passFactories().end()) return fail(unknownPassMessage(name));
        manager.add(factory->second(target));
    }
    if (legalizes) manager.addCheck(createLegalityCheck(*target));
    return Expected<PassManager>(std::move(manager));
}

} // namespace anec::passes
