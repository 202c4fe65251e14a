// fuse-horizontal: convs reading the same tensor become one conv with their output channels
// stacked, followed by a slice_by_size per original result:
//   conv(x, Wq), conv(x, Wk), conv(x, Wv)  ->  qkv = conv(x, [Wq; Wk; Wv]); qkv[:, 0:Cq], ...
// Every output channel is computed from the same inputs with the same weights as before, so the
// rewrite is exact. It turns the Q, K and V projections of attention into one conv.
//
// Matched: two or more convs with groups = 1, constant weights, equal attributes and kernel size
// and the same x. The fused conv takes the place of the first of them; each slice takes the name
// of the conv it replaces. The fused weight is named after its parts in op order ("Wq_Wk_Wv").
#include <algorithm>
#include <stdexcept>

#include "passes/conv_fusion_utils.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
using ir::Kernel;
using ir::Op;
using ir::Value;

// Convs that can be stacked, in op order, grouped by x and window.
std::vector<std::vector<Op*>> stackableGroups(Kernel& kernel) {
    std::vector<std::vector<Op*>> groups;
    for (const auto& op : kernel.ops) {
        if (!fusion::plainConvWeight(*op)) continue;
        auto group = std::find_if(groups.begin(), groups.end(), [&](const std::vector<Op*>& g) {
            return g[0]->operands[0] == op->operands[0] && fusion::sameConvWindow(*g[0], *op);
        });
        if (group == groups.end())
            groups.push_back({op.get()});
        else
            group->push_back(op.get());
    }
    std::erase_if(groups, [](const std::vector<Op*>& g) { return g.size() < 2; });
    return groups;
}

// The ops built here are valid by construction (same types as the ops they replace).
constexpr const char* kHorizontalPass = "fuse-horizontal";

void stack(Kernel& kernel, const std::vector<Op*>& convs) {
    const Op& first = *convs[0];
    std::vector<const ir::ConstData*> weights;
    std::string joinedNames;
    bool allNamed = true;
    for (const Op* conv : convs) {
        weights.push_back(fusion::plainConvWeight(*conv));
        const std::string& name = conv->result()->name;
        allNamed = allNamed && !name.empty();
        joinedNames += (joinedNames.empty() ? "" : "_") + name;
    }
    ir::Builder builder(kernel, fusion::positionOf(kernel, &first));
    Value* weight = fusion::createWeight(builder, first, fusion::concatWeights(weights, 0),
                                         fusion::joinedBlobName(weights), first.loc);
    std::string fusedName = allNamed ? joinedNames : std::string();
    Value* fused = built(
        builder.createValue("conv", {first.operands[0], weight}, first.attrs, first.loc, fusedName),
        kHorizontalPass);
    int64_t offset = 0;
    for (Op* conv : convs) {
        const ir::Shape& shape = conv->result()->type.shape;
        Value* part = built(
            builder.createValue("slice_by_size", {fused},
                                {{"begin", std::vector<int64_t>{0, offset, 0, 0}}, {"size", shape}},
                                conv->loc, conv->name),
            kHorizontalPass);
        part->name = conv->result()->name;
        offset += shape[1];
        kernel.replaceAllUses(conv->result(), part);
    }
    fusion::eraseReplaced(kernel, convs);
}

// Why the slices a stack adds are worth it.
std::string stackReason(const std::vector<Op*>& convs) {
    const std::string& input = convs[0]->operands[0]->name;
    const std::string count = std::to_string(convs.size());
    return "stacked " + count + " convs reading " +
           (input.empty() ? "one tensor" : "'" + input + "'") +
           " into one conv (one pass over the input and one weight load instead of " + count +
           "), sliced apart by " + count + " slice_by_size";
}

class FuseHorizontalPass : public KernelPass {
  public:
    std::string name() const override { return "fuse-horizontal"; }
    std::string description() const override {
        return "convs reading the same tensor become one conv with stacked output channels and "
               "a slice per result";
    }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        size_t changes = 0;
        for (const auto& group : stackableGroups(kernel)) {
            Footprint before = measureFootprint(kernel);
            std::string reason = stackReason(group);
            stack(kernel, group);
            remarkIfGrown(kernel, before, reason);
            ++changes;
        }
        return changes;
    }
};
} // namespace

std::unique_ptr<Pass> createFuseHorizontalPass() {
    return std::make_unique<FuseHorizontalPass>();
}

} // namespace anec::passes
