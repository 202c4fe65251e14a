// ane-legalize: rewrites what an ANE target's compiler rejects or silently gets wrong, and warns
// about what it cannot rewrite (docs/ane-rules.md lists every rule and where it is handled).
// Order: the decompositions first (they may create matmuls the warnings look at), then the
// host conversions, the warnings, and concat last (its 0/1 embedding matmuls are exact whatever
// their inner dimension, so they are not warned about).
#include "passes/legalize.hpp"

#include "support/diagnostics.hpp"

namespace anec::passes {

namespace legalize {

ir::Value* emit(ir::Builder& builder, const std::string& kind, std::vector<ir::Value*> operands,
                ir::AttrMap attrs, SourceLoc loc, std::string name) {
    return built(
        builder.createValue(kind, std::move(operands), std::move(attrs), loc, std::move(name)),
        "ane-legalize");
}

ir::Value* scalarConst(ir::Builder& builder, ir::DType dtype, double value, SourceLoc loc) {
    auto data = std::make_shared<ir::ConstData>(ir::ConstData::splat({dtype, {}}, value));
    return builder.createConst(std::move(data), loc);
}

size_t rewriteOps(ir::Kernel& kernel, const std::function<bool(const ir::Op&)>& applies,
                  const std::function<ir::Value*(ir::Builder&, const ir::Op&)>& rewrite) {
    size_t changes = 0;
    for (auto it = kernel.ops.begin(); it != kernel.ops.end();) {
        const ir::Op& op = **it;
        if (!applies(op)) {
            ++it;
            continue;
        }
        ir::Builder builder(kernel, it);
        ir::Value* replacement = rewrite(builder, op);
        if (replacement->name.empty()) replacement->name = op.result()->name;
        kernel.replaceAllUses(op.result(), replacement);
        it = kernel.ops.erase(it);
        ++changes;
    }
    return changes;
}

} // namespace legalize

namespace {
class AneLegalizePass : public KernelPass {
  public:
    explicit AneLegalizePass(AneTarget target) : target_(target) {}
    std::string name() const override { return "ane-legalize"; }
    std::string description() const override {
        return "rewrite what the ANE rejects (gelu, silu, conv bias, attention, concat, casts) "
               "and warn about what it cannot rewrite";
    }

  protected:
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine& diagnostics) override {
        AneTargetRules rules = aneTargetRules(target_);
        size_t changes = legalize::decomposeActivations(kernel);
        changes += legalize::splitConvBias(kernel);
        changes += legalize::decomposeAttention(kernel);
        if (!rules.castInProgram) changes += legalize::useHostConversions(kernel, diagnostics);
        legalize::warnAboutLimits(kernel, rules, diagnostics);
        if (!rules.concat) changes += legalize::rewriteConcats(kernel, diagnostics);
        kernel.legalizedFor = std::string(aneTargetName(target_));
        return changes;
    }

  private:
    AneTarget target_;
};
} // namespace

std::unique_ptr<Pass> createAneLegalizePass(AneTarget target) {
    return std::make_unique<AneLegalizePass>(target);
}

} // namespace anec::passes
