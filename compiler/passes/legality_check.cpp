// Legality after legalization: ane-legalize rewrites what a target rejects and warns about what
// it cannot rewrite; no pass after it may bring either back (a fusion that merges the convs a
// user split for rule 12 into one conv with 32000 input channels, a pack-io concat on a target
// without concat). The fusions read the target's limits (AneTargetRules) so that they do not;
// this check proves it on every build: after each pass that follows ane-legalize it looks for
// what legalization would rewrite or warn about and fails the build, naming the pass, when
// something is there that was not before it. Findings are compared by key (the rule and the
// offending size), so a pass may remove or merge problems the user's program has, never add one.
#include <map>
#include <optional>

#include "passes/legalize.hpp"

namespace anec::passes {

namespace legalize {

std::vector<Finding> legalityFindings(const ir::Kernel& kernel, const AneTargetRules& rules) {
    std::vector<Finding> findings = limitFindings(kernel, rules);
    auto rewritten = [&](const ir::Op& op, const std::string& rule, const std::string& what) {
        findings.push_back({rule + ": " + what, op.loc, what + " (" + rule + ")"});
    };
    for (const auto& op : kernel.ops) {
        if (isRejectedActivation(*op)) rewritten(*op, "rule 8", op->kind());
        if (hasConvBias(*op)) rewritten(*op, "rule 9", "conv with a bias");
        if (isAttention(*op)) rewritten(*op, "rule 10", op->kind());
        if (!rules.concat && isRuntimeConcat(*op)) rewritten(*op, "rule 7", "concat");
        if (!rules.castInProgram && op->kind() == "cast")
            rewritten(*op, "ane-and-mil.md §3", "cast on a target that cannot run cast");
    }
    return findings;
}

} // namespace legalize

namespace {
using FindingsByKernel = std::map<std::string, std::vector<legalize::Finding>>;

FindingsByKernel findingsOf(const ir::Module& module, const AneTargetRules& rules) {
    FindingsByKernel findings;
    for (const auto& kernel : module.kernels)
        findings[kernel->name] = legalize::legalityFindings(*kernel, rules);
    return findings;
}

// The findings of `after` beyond those of `before` with the same key.
std::vector<legalize::Finding> added(const std::vector<legalize::Finding>& before,
                                     const std::vector<legalize::Finding>& after) {
    std::map<std::string, size_t> allowed;
    for (const legalize::Finding& finding : before)
        ++allowed[finding.key];
    std::vector<legalize::Finding> extra;
    for (const legalize::Finding& finding : after) {
        size_t& left = allowed[finding.key];
        if (left > 0)
            --left;
        else
            extra.push_back(finding);
    }
    return extra;
}

class LegalityCheck {
  public:
    explicit LegalityCheck(AneTarget target) : target_(target), rules_(aneTargetRules(target)) {}

    std::vector<PassProblem> operator()(const Pass& pass, const ir::Module& module) {
        if (pass.name() == "ane-legalize") {
            baseline_ = findingsOf(module, rules_);
            return {};
        }
        if (!baseline_) return {}; // not legalized yet
        FindingsByKernel now = findingsOf(module, rules_);
        std::vector<PassProblem> problems;
        for (const auto& [kernel, findings] : now)
            for (const legalize::Finding& finding : added((*baseline_)[kernel], findings))
                problems.push_back(
                    {finding.loc,
                     "internal error: pass '" + pass.name() + "' produced, in kernel '" + kernel +
                         "', what ane-legalize rewrites or warns about for "
                         "target " +
                         std::string(aneTargetName(target_)) + ": " + finding.message});
        baseline_ = std::move(now);
        return problems;
    }

  private:
    AneTarget target_;
    AneTargetRules rules_;
    std::optional<FindingsByKernel> baseline_;
};
} // namespace

PassCheck createLegalityCheck(AneTarget target) {
    return LegalityCheck(target);
}

} // namespace anec::passes
