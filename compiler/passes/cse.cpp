// cse: common-subexpression elimination. Two ops are the same computation when they have the same
// kind, the same operands (the same values, in order), equal attributes and, for constants, equal
// data with the same blob name (a weight and an inline literal, or two differently named weights,
// stay apart so that blob naming is unaffected). The later op's results are replaced by the
// earlier op's; a kernel output that pointed at the later op then names the earlier value (the
// emitter writes an `identity` when one value is returned under two names).
#include <map>
#include <tuple>
#include <vector>

#include "passes/pass.hpp"

namespace anec::passes {

namespace {
bool sameComputation(const ir::Op& a, const ir::Op& b) {
    if (a.kind() != b.kind() || a.operands != b.operands || a.attrs != b.attrs ||
        a.results.size() != b.results.size())
        return false;
    for (size_t i = 0; i < a.results.size(); ++i)
        if (a.result(i)->type != b.result(i)->type) return false;
    if (a.isConst() || b.isConst()) {
        if (!a.constData || !b.constData) return false;
        return a.constData->blobName == b.constData->blobName && *a.constData == *b.constData;
    }
    return true;
}

size_t eliminateCommonSubexpressions(ir::Kernel& kernel) {
    // Candidates are bucketed by kind and operands; attributes and data are compared in a bucket.
    using Key = std::tuple<std::string, std::vector<ir::Value*>, size_t>;
    std::map<Key, std::vector<ir::Op*>> seen;
    size_t merged = 0;
    for (auto it = kernel.ops.begin(); it != kernel.ops.end();) {
        ir::Op& op = **it;
        size_t dataSize = op.constData ? op.constData->bytes().size() : 0;
        std::vector<ir::Op*>& bucket = seen[Key{op.kind(), op.operands, dataSize}];
        ir::Op* earlier = nullptr;
        for (ir::Op* candidate : bucket)
            if (sameComputation(*candidate, op)) {
                earlier = candidate;
                break;
            }
        if (!earlier || op.results.empty()) {
            bucket.push_back(&op);
            ++it;
            continue;
        }
        for (size_t i = 0; i < op.results.size(); ++i)
            kernel.replaceAllUses(op.result(i), earlier->result(i));
        it = kernel.ops.erase(it);
        ++merged;
    }
    return merged;
}

class CsePass : public KernelPass {
  public:
    std::string name() const override { return "cse"; }
    std::string description() const override {
        return "merge identical ops on identical operands (and identical constants)";
    }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        return eliminateCommonSubexpressions(kernel);
    }
};
} // namespace

std::unique_ptr<Pass> createCsePass() {
    return std::make_unique<CsePass>();
}

} // namespace anec::passes
