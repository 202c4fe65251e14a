// algebraic: removes ops that return their input unchanged.
//   mul(x, 1), mul(1, x), real_div(x, 1), add(x, 0), add(0, x), sub(x, 0)  -> x
//   reshape to x's own shape, transpose by the identity permutation, identity(x),
//   slice_by_size / slice_by_index selecting all of x, concat of x alone  -> x
//   transpose(transpose(x, p), q) -> x when the two cancel, else one transpose(x, p[q[i]])
// Broadcasting is respected: an op is only replaced by x when its result type equals x's type
// (x * ones([1, C, 1, S]) with x: [1, C, 1, 1] broadcasts and stays). The constant must be a
// splat of exactly 1 (or 0). Ops left without uses (the inner transpose) are erased here.
#include <set>

#include "ir/builder.hpp"
#include "ir/ops/slicing.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
bool isSplatConst(const ir::Value* value, double splat) {
    if (!value || !value->definingOp || !value->definingOp->isConst()) return false;
    const auto& data = value->definingOp->constData;
    return data && data->numElements() > 0 && data->isSplat() && data->at(0) == splat;
}

// The operand the op forwards unchanged, or nullptr.
ir::Value* forwardedOperand(const ir::Op& op) {
    const std::string& kind = op.kind();
    const ir::TensorType& result = op.result()->type;
    auto same = [&](ir::Value* x) { return x && x->type == result ? x : nullptr; };
    if (op.operands.size() == 2) {
        ir::Value* x = op.operands[0];
        ir::Value* y = op.operands[1];
        if (kind == "mul") {
            if (isSplatConst(y, 1.0) && same(x)) return x;
            if (isSplatConst(x, 1.0) && same(y)) return y;
        } else if (kind == "add") {
            if (isSplatConst(y, 0.0) && same(x)) return x;
            if (isSplatConst(x, 0.0) && same(y)) return y;
        } else if (kind == "sub") {
            if (isSplatConst(y, 0.0) && same(x)) return x;
        } else if (kind == "real_div") {
            if (isSplatConst(y, 1.0) && same(x)) return x;
        }
        return nullptr;
    }
    if (op.operands.size() != 1 || !op.operands[0]) return nullptr;
    ir::Value* x = op.operands[0];
    if (kind == "identity" || kind == "reshape" || kind == "concat") return same(x);
    if (kind == "transpose") {
        const auto* perm = op.attr<std::vector<int64_t>>("perm");
        if (!perm) return nullptr;
        for (size_t i = 0; i < perm->size(); ++i)
            if ((*perm)[i] != static_cast<int64_t>(i) &&
                (*perm)[i] != static_cast<int64_t>(i) - static_cast<int64_t>(perm->size()))
                return nullptr;
        return same(x);
    }
    if (kind == "slice_by_size" || kind == "slice_by_index") {
        auto slices = kind == "slice_by_size" ? ir::resolveSliceBySize(x->type, op.attrs)
                                              : ir::resolveSliceByIndex(x->type, op.attrs);
        if (!slices) return nullptr;
        for (size_t d = 0; d < slices->size(); ++d) {
            const ir::AxisSlice& s = (*slices)[d];
            if (s.squeezed || s.start != 0 || s.stride != 1 || s.count != x->type.shape[d])
                return nullptr;
        }
        return same(x);
    }
    return nullptr;
}

std::vector<int64_t> normalizedPerm(const std::vector<int64_t>& perm) {
    std::vector<int64_t> out;
    for (int64_t p : perm)
        out.push_back(p < 0 ? p + static_cast<int64_t>(perm.size()) : p);
    return out;
}

// transpose(transpose(x, p), q): element i of the result is axis p[q[i]] of x.
bool foldDoubleTranspose(ir::Kernel& kernel, std::list<std::unique_ptr<ir::Op>>::iterator it,
                         std::set<ir::Op*>& bypassed) {
    ir::Op& op = **it;
    if (op.kind() != "transpose" || op.operands.size() != 1) return false;
    ir::Value* inner = op.operands[0];
    if (!inner || !inner->definingOp || inner->definingOp->kind() != "transpose") return false;
    const auto* q = op.attr<std::vector<int64_t>>("perm");
    const auto* p = inner->definingOp->attr<std::vector<int64_t>>("perm");
    if (!p || !q || p->size() != q->size()) return false;
    std::vector<int64_t> pn = normalizedPerm(*p), qn = normalizedPerm(*q), combined;
    for (int64_t axis : qn)
        combined.push_back(pn[static_cast<size_t>(axis)]);
    ir::Builder builder(kernel, it);
    auto replacement = builder.createValue("transpose", {inner->definingOp->operands[0]},
                                           {{"perm", combined}}, op.loc, op.name);
    if (!replacement || (*replacement)->type != op.result()->type) return false; // unreachable
    (*replacement)->name = op.result()->name;
    kernel.replaceAllUses(op.result(), *replacement);
    bypassed.insert(inner->definingOp);
    return true;
}

size_t simplify(ir::Kernel& kernel) {
    size_t changes = 0;
    std::set<ir::Op*> bypassed;
    for (auto it = kernel.ops.begin(); it != kernel.ops.end();) {
        ir::Op& op = **it;
        if (op.isConst() || op.results.size() != 1) {
            ++it;
            continue;
        }
        if (ir::Value* x = forwardedOperand(op)) {
            kernel.replaceAllUses(op.result(), x);
        } else if (foldDoubleTranspose(kernel, it, bypassed)) {
            // The new transpose sits before `it`; it may itself be the identity: revisit it.
            ir::Op* created = std::prev(it)->get();
            if (ir::Value* x = forwardedOperand(*created)) {
                kernel.replaceAllUses(created->result(), x);
                kernel.ops.erase(std::prev(it));
            }
        } else {
            ++it;
            continue;
        }
        bypassed.erase(&op);
        it = kernel.ops.erase(it);
        ++changes;
    }
    // Inner transposes bypassed above are erased once unused; other dead code (a splat 1 that
    // is no longer used) is dce's business.
    bool erased = true;
    while (erased) {
        erased = false;
        kernel.ops.remove_if([&](const std::unique_ptr<ir::Op>& op) {
            if (!bypassed.count(op.get()) || kernel.useCount(op->result()) > 0) return false;
            bypassed.erase(op.get());
            return erased = true;
        });
    }
    return changes;
}

class AlgebraicPass : public KernelPass {
  public:
    std::string name() const override { return "algebraic"; }
    std::string description() const override {
        return "remove no-op arithmetic (x*1, x+0, x-0, x/1) and no-op reshapes, transposes and "
               "slices; merge transpose pairs";
    }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override { return simplify(kernel); }
};
} // namespace

std::unique_ptr<Pass> createAlgebraicPass() {
    return std::make_unique<AlgebraicPass>();
}

} // namespace anec::passes
