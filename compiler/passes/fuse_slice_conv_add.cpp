// fuse-slice-conv-add: a sum of convs, each over an adjacent channel slice of the same tensor,
// becomes one conv over the slices' union with the weights concatenated along Cin:
//   conv(x[:, a:b], Wa) + conv(x[:, b:c], Wb)  ==  conv(x[:, a:c], [Wa | Wb])
// (a conv sums over its input channels, so splitting them and adding the partial sums is the
// same function; only the fp16 rounding order changes). When the slices cover the whole tensor
// the fused conv reads it directly, which turns the seed kernel into cast, conv, cast.
//
// Matched: an add tree (adds whose intermediate sums have no other use) with at least two leaves
// that are convs with groups = 1, a constant weight, equal attributes and kernel size, no other
// use, each reading a slice of one tensor that keeps every dim but the channels (slice_by_size,
// slice_by_index with stride 1, or a split on axis 1), the slices adjacent. Slices may appear in
// any order in the sum; each maximal run of adjacent slices becomes one conv, other terms stay.
// The fused weight is named after its parts in channel order ("W1_T_W3_T").
//
// The target's limit holds: a fused conv has fewer input channels than
// AneTargetRules::convInputChannelLimit (rule 12), so a sum the user split to stay below it (the
// 32000-vocabulary classifier, as ane-legalize's warning recommends) is fused only into convs
// below it, each run cut where the next term would reach the limit.
#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

#include "ir/ops/slicing.hpp"
#include "passes/ane_target.hpp"
#include "passes/conv_fusion_utils.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
// The ops built here are valid by construction (same types as the ops they replace).
constexpr const char* kSliceConvAddPass = "fuse-slice-conv-add";
using ir::Kernel;
using ir::Op;
using ir::Value;

// A channel range [begin, begin + count) of `source`, every other dim whole.
struct ChannelSlice {
    Value* source = nullptr;
    int64_t begin = 0;
    int64_t count = 0;
};

bool keepsAllButChannels(const ir::TensorType& type, const std::vector<ir::AxisSlice>& axes) {
    if (type.rank() != 4 || axes.size() != 4) return false;
    for (size_t axis = 0; axis < 4; ++axis) {
        const ir::AxisSlice& slice = axes[axis];
        if (slice.squeezed || slice.stride != 1) return false;
        if (axis != 1 && (slice.start != 0 || slice.count != type.shape[axis])) return false;
    }
    return true;
}

std::optional<ChannelSlice> channelSliceOf(const Value* value) {
    const Op* op = value->definingOp;
    if (!op || op->operands.size() != 1 || !op->operands[0]) return std::nullopt;
    Value* source = op->operands[0];
    const ir::TensorType& type = source->type;
    if (op->kind() == "slice_by_size" || op->kind() == "slice_by_index") {
        auto axes = op->kind() == "slice_by_size" ? ir::resolveSliceBySize(type, op->attrs)
                                                  : ir::resolveSliceByIndex(type, op->attrs);
        if (!axes || !keepsAllButChannels(type, *axes)) return std::nullopt;
        return ChannelSlice{source, (*axes)[1].start, (*axes)[1].count};
    }
    if (op->kind() == "split") {
        const int64_t* axis = op->attr<int64_t>("axis");
        if (!axis || type.rank() != 4 || ir::normalizeAxis(*axis, 4) != size_t{1})
            return std::nullopt;
        int64_t begin = 0;
        for (unsigned i = 0; i < value->resultIndex; ++i)
            begin += op->result(i)->type.shape[1];
        return ChannelSlice{source, begin, value->type.shape[1]};
    }
    return std::nullopt;
}

// One conv term of the sum that may be fused.
struct ConvTerm {
    size_t leaf; // position among the sum's terms
    Op* conv;
    ChannelSlice slice;
};

class SumFuser {
  public:
    SumFuser(Kernel& kernel, Op& root, int64_t channelLimit)
        : kernel_(kernel), root_(root), channelLimit_(channelLimit) {}

    // Finds the runs to fuse; returns how many (0: nothing matched).
    size_t match() {
        collectTerms(root_);
        runs_ = adjacentRuns();
        return runs_.size();
    }
    // Fuses the matched runs; returns what it did, for a remark.
    std::string apply() {
        rewrite(runs_);
        std::string summary;
        for (const auto& run : runs_)
            summary += (summary.empty() ? "" : "; ") + std::to_string(run.size()) +
                       " convs over adjacent channel slices of one tensor into one conv of " +
                       std::to_string(run.back().slice.begin + run.back().slice.count -
                                      run.front().slice.begin) +
                       " input channels";
        return summary;
    }

  private:
    void collectTerms(Op& add) {
        adds_.push_back(&add);
        for (Value* operand : add.operands) {
            Op* producer = operand->definingOp;
            if (producer && producer->kind() == "add" && operand->type == root_.result()->type &&
                kernel_.useCount(operand) == 1)
                collectTerms(*producer);
            else
                leaves_.push_back(operand);
        }
    }

    std::optional<ConvTerm> convTerm(size_t leaf) const {
        Value* value = leaves_[leaf];
        Op* conv = value->definingOp;
        if (!conv || !fusion::plainConvWeight(*conv) || value->type != root_.result()->type ||
            kernel_.useCount(value) != 1)
            return std::nullopt;
        auto slice = channelSliceOf(conv->operands[0]);
        if (!slice) return std::nullopt;
        return ConvTerm{leaf, conv, *slice};
    }

    // Groups the conv terms by source and window, then cuts each group into maximal runs of
    // adjacent slices whose channels stay below the limit; runs of two or more terms are
    // returned (in the order of their first term).
    std::vector<std::vector<ConvTerm>> adjacentRuns() const {
        std::vector<std::vector<ConvTerm>> groups;
        for (size_t leaf = 0; leaf < leaves_.size(); ++leaf) {
            auto term = convTerm(leaf);
            if (!term) continue;
            auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& members) {
                return members[0].slice.source == term->slice.source &&
                       fusion::sameConvWindow(*members[0].conv, *term->conv);
            });
            if (group == groups.end())
                groups.push_back({*term});
            else
                group->push_back(*term);
        }
        std::vector<std::vector<ConvTerm>> runs;
        for (auto& group : groups) {
            std::stable_sort(group.begin(), group.end(), [](const auto& a, const auto& b) {
                return a.slice.begin < b.slice.begin;
            });
            std::vector<ConvTerm> run{group[0]};
            for (size_t i = 1; i <= group.size(); ++i) {
                const ConvTerm& last = run.back();
                if (i < group.size() &&
                    group[i].slice.begin == last.slice.begin + last.slice.count &&
                    last.slice.begin + last.slice.count + group[i].slice.count -
                            run.front().slice.begin <
                        channelLimit_) {
                    run.push_back(group[i]);
                    continue;
                }
                if (run.size() >= 2) runs.push_back(run);
                if (i < group.size()) run = {group[i]};
            }
        }
        std::sort(runs.begin(), runs.end(),
                  [](const auto& a, const auto& b) { return firstLeaf(a) < firstLeaf(b); });
        return runs;
    }

    static size_t firstLeaf(const std::vector<ConvTerm>& run) {
        size_t first = run[0].leaf;
        for (const ConvTerm& term : run)
            first = std::min(first, term.leaf);
        return first;
    }

    // The first conv of a run in op order (its location and name carry over).
    const Op& firstConv(const std::vector<ConvTerm>& run) const {
        for (const auto& op : kernel_.ops)
            for (const ConvTerm& term : run)
                if (op.get() == term.conv) return *op;
        return *run[0].conv;
    }

    Value* fuseRun(ir::Builder& builder, const std::vector<ConvTerm>& run) {
        const Op& first = firstConv(run);
        const ChannelSlice& lowest = run.front().slice;
        const int64_t count = run.back().slice.begin + run.back().slice.count - lowest.begin;
        Value* source = lowest.source;
        Value* input = source;
        if (count != source->type.shape[1]) {
            ir::Shape size = source->type.shape;
            size[1] = count;
            input =
                built(builder.createValue(
                          "slice_by_size", {source},
                          {{"begin", std::vector<int64_t>{0, lowest.begin, 0, 0}}, {"size", size}},
                          first.operands[0]->definingOp->loc),
                      kSliceConvAddPass);
        }
        std::vector<const ir::ConstData*> weights;
        for (const ConvTerm& term : run)
            weights.push_back(fusion::plainConvWeight(*term.conv));
        Value* weight = fusion::createWeight(builder, root_, fusion::concatWeights(weights, 1),
                                             fusion::joinedBlobName(weights), first.loc);
        Value* fused =
            built(builder.createValue("conv", {input, weight}, first.attrs, first.loc, first.name),
                  kSliceConvAddPass);
        fused->name = first.result()->name;
        return fused;
    }

    void rewrite(const std::vector<std::vector<ConvTerm>>& runs) {
        ir::Builder builder(kernel_, fusion::positionOf(kernel_, &root_));
        std::map<size_t, Value*> fusedAt; // first leaf of a run -> its fused conv
        std::map<size_t, bool> replaced;  // leaves folded into a fused conv
        std::vector<Op*> doomed(adds_.begin(), adds_.end());
        for (const auto& run : runs) {
            fusedAt[firstLeaf(run)] = fuseRun(builder, run);
            for (const ConvTerm& term : run) {
                replaced[term.leaf] = true;
                doomed.push_back(term.conv);
            }
        }
        std::vector<Value*> terms;
        for (size_t leaf = 0; leaf < leaves_.size(); ++leaf) {
            if (fusedAt.count(leaf))
                terms.push_back(fusedAt[leaf]);
            else if (!replaced.count(leaf))
                terms.push_back(leaves_[leaf]);
        }
        Value* sum = terms[0];
        for (size_t i = 1; i < terms.size(); ++i) {
            bool last = i + 1 == terms.size();
            sum = built(builder.createValue("add", {sum, terms[i]}, {}, root_.loc,
                                            last ? root_.name : std::string()),
                        kSliceConvAddPass);
        }
        // The sum keeps the root's name (a let-bound or output name).
        if (!root_.result()->name.empty()) sum->name = root_.result()->name;
        if (terms.size() == 1 && !root_.name.empty()) sum->definingOp->name = root_.name;
        kernel_.replaceAllUses(root_.result(), sum);
        fusion::eraseReplaced(kernel_, doomed);
    }

    Kernel& kernel_;
    Op& root_;
    int64_t channelLimit_;
    std::vector<Op*> adds_;
    std::vector<Value*> leaves_;
    std::vector<std::vector<ConvTerm>> runs_;
};

class FuseSliceConvAddPass : public KernelPass {
  public:
    explicit FuseSliceConvAddPass(const AneTargetRules& rules)
        : channelLimit_(rules.convInputChannelLimit) {}
    std::string name() const override { return "fuse-slice-conv-add"; }
    std::string description() const override {
        return "a sum of convs over adjacent channel slices of one tensor becomes one conv with "
               "weights concatenated along Cin";
    }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        size_t changes = 0;
        // Roots come after the adds they consume, so walk backwards; restart after each rewrite.
        for (bool changed = true; changed;) {
            changed = false;
            for (auto it = kernel.ops.rbegin(); it != kernel.ops.rend(); ++it) {
                if ((*it)->kind() != "add" || (*it)->results.size() != 1) continue;
                SumFuser fuser(kernel, **it, channelLimit_);
                size_t fused = fuser.match();
                if (fused == 0) continue;
                Footprint before = measureFootprint(kernel);
                // Grows only when a fused weight's parts stay in use elsewhere.
                remarkIfGrown(kernel, before, "fused " + fuser.apply());
                changes += fused;
                changed = true;
                break;
            }
        }
        return changes;
    }

  private:
    int64_t channelLimit_;
};
} // namespace

std::unique_ptr<Pass> createFuseSliceConvAddPass(const AneTargetRules& rules) {
    return std::make_unique<FuseSliceConvAddPass>(rules);
}

} // namespace anec::passes
