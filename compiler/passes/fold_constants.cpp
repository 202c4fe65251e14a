// fold-constants: replaces every evaluable op whose operands are all constants with the constant
// it computes. This is how a weight used transposed, reshaped or scaled is materialised at build
// time (the ANE needs constant conv weights in their final layout).
//
// Blob names: a folded constant derived from a weight gets a weight blob named after its source,
// deterministically: transpose "<w>_T"; reshape/expand_dims/squeeze/identity keep "<w>" (same
// bytes; "<w>_r" when "<w>" is still used as-is); cast "<w>_<dtype>"; mul/real_div by a non-weight
// "<w>_scaled", add/sub "<w>_shifted", unary math "<w>_<op>" ("W_sqrt"), two weights
// "<a>_<kind>_<b>"; slices "<w>_slice"; concat "<a>_<b>_..." ("<w>_cat" for one weight). Once
// folding is done, names are made unique within the kernel among the constants still in use: the
// weights that were there before keep theirs, then folded constants take theirs in op order,
// adding "_2", "_3", ... on a clash; a folded constant with the same name and the same data as an
// earlier one is merged into it. Results that are scalars or not derived from a weight stay
// inline (empty blob name).
#include <map>
#include <memory>
#include <set>

#include "ir/builder.hpp"
#include "passes/const_eval.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
using ir::ConstData;
using ir::Kernel;
using ir::Op;

// The preferred blob name and an alternative tried before numbering (reshape-like ops only).
struct BlobNameChoice {
    std::string preferred;
    std::string alternative;
};

BlobNameChoice chooseBlobName(const Op& op, const std::vector<const ConstData*>& operands,
                              const ir::TensorType& resultType) {
    std::vector<std::string> weights;
    for (const ConstData* operand : operands)
        if (!operand->blobName.empty()) weights.push_back(operand->blobName);
    if (weights.empty() || resultType.isScalar()) return {};
    const std::string& kind = op.kind();
    const std::string& first = weights[0];
    if (kind == "transpose") return {first + "_T", ""};
    if (kind == "reshape" || kind == "expand_dims" || kind == "squeeze" || kind == "identity")
        return {first, first + "_r"};
    if (kind == "cast") return {first + "_" + std::string(ir::dtypeName(resultType.dtype)), ""};
    if (kind == "slice_by_size" || kind == "slice_by_index") return {first + "_slice", ""};
    if (kind == "concat") {
        if (weights.size() == 1) return {first + "_cat", ""};
        std::string joined;
        for (size_t i = 0; i < weights.size(); ++i)
            joined += (i ? "_" : "") + weights[i];
        return {joined, ""};
    }
    if (operands.size() == 1) return {first + "_" + kind, ""}; // sqrt(W): "W_sqrt"
    if (weights.size() == 2) return {weights[0] + "_" + kind + "_" + weights[1], ""};
    return {first + (kind == "mul" || kind == "real_div" ? "_scaled" : "_shifted"), ""};
}

class KernelFolder {
  public:
    explicit KernelFolder(Kernel& kernel) : kernel_(kernel) {}

    size_t run() {
        size_t changes = 0;
        for (auto it = kernel_.ops.begin(); it != kernel_.ops.end();) {
            if (foldAt(it)) {
                it = kernel_.ops.erase(it);
                ++changes;
            } else {
                ++it;
            }
        }
        eraseUnused(); // intermediate folded constants (e.g. the transpose before a reshape)
        assignBlobNames();
        eraseUnused(); // constants merged into an identical earlier one
        return changes;
    }

  private:
    // Inserts the folded constant before `it` and redirects the uses; the caller erases `it`.
    bool foldAt(std::list<std::unique_ptr<Op>>::iterator it) {
        Op& op = **it;
        if (op.isConst() || !isConstEvaluable(op.kind()) || op.results.size() != 1) return false;
        std::vector<const ConstData*> operands;
        for (const ir::Value* operand : op.operands) {
            if (!operand || !operand->definingOp || !operand->definingOp->isConst() ||
                !operand->definingOp->constData)
                return false;
            operands.push_back(operand->definingOp->constData.get());
        }
        auto value = evaluateConstOp(op, operands);
        if (!value) return false;
        BlobNameChoice names = chooseBlobName(op, operands, value->type());
        value->blobName = names.preferred;

        ir::Builder builder(kernel_, it);
        ir::Value* folded =
            builder.createConst(std::make_shared<ConstData>(std::move(*value)), op.loc, op.name);
        folded->name = op.result()->name.empty() ? names.preferred : op.result()->name;
        created_[folded->definingOp] = names;
        kernel_.replaceAllUses(op.result(), folded);
        return true;
    }

    void eraseUnused() {
        kernel_.ops.remove_if([&](const std::unique_ptr<Op>& op) {
            auto it = created_.find(op.get());
            if (it == created_.end() || kernel_.useCount(op->result()) > 0) return false;
            created_.erase(it);
            return true;
        });
    }

    void assignBlobNames() {
        struct Holder {
            Op* op;
            size_t position;
        };
        std::map<std::string, Holder> taken;
        std::vector<std::pair<Op*, size_t>> named; // folded weight constants, in op order
        size_t position = 0;
        for (const auto& op : kernel_.ops) {
            ++position;
            if (!op->isConst() || !op->constData || op->constData->blobName.empty()) continue;
            if (created_.count(op.get()))
                named.emplace_back(op.get(), position);
            else if (kernel_.useCount(op->result()) > 0)
                taken.emplace(op->constData->blobName, Holder{op.get(), position});
        }
        for (auto [op, opPosition] : named) {
            const BlobNameChoice& choice = created_.at(op);
            std::vector<std::string> candidates{choice.preferred};
            if (!choice.alternative.empty()) candidates.push_back(choice.alternative);
            for (size_t i = 0;; ++i) {
                std::string name =
                    i < candidates.size()
                        ? candidates[i]
                        : candidates.back() + "_" + std::to_string(i - candidates.size() + 2);
                auto holder = taken.find(name);
                if (holder == taken.end()) {
                    rename(*op, name);
                    taken.emplace(name, Holder{op, opPosition});
                    break;
                }
                const Op& other = *holder->second.op;
                if (holder->second.position < opPosition && *other.constData == *op->constData) {
                    kernel_.replaceAllUses(op->result(), other.result());
                    break;
                }
            }
        }
    }

    static void rename(Op& op, const std::string& blobName) {
        if (op.constData->blobName == blobName) return;
        auto data = std::make_shared<ConstData>(*op.constData);
        data->blobName = blobName;
        op.constData = std::move(data);
    }

    Kernel& kernel_;
    std::map<Op*, BlobNameChoice> created_; // folded constants made by this run
};

class FoldConstantsPass : public KernelPass {
  public:
    std::string name() const override { return "fold-constants"; }
    std::string description() const override {
        return "evaluate ops on constants at build time (materialises transposed, reshaped and "
               "scaled weights)";
    }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        return KernelFolder(kernel).run();
    }
};
} // namespace

std::unique_ptr<Pass> createFoldConstantsPass() {
    return std::make_unique<FoldConstantsPass>();
}

} // namespace anec::passes
