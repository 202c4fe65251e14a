// cast-elim: removes casts that cannot change a value.
//   cast(x, dtype(x))                      -> x
//   cast(cast(x, A), dtype(x)), A exact    -> x        (fp16 -> fp32 -> fp16)
//   cast(cast(x, A), B),        A exact    -> cast(x, B)
// "A exact" means every value of x's dtype is representable in A (fp16 -> fp32/fp64, fp32 ->
// fp64), so going through A is the identity. A narrowing round trip (fp32 -> fp16 -> fp32) rounds
// and is kept. The casts the precision rule requires are never removed: an entry cast (of a kernel
// input to another dtype) and an exit cast (producing a kernel output in another dtype) change
// the dtype, so neither rule above matches them as the removed cast. Inner casts left unused are
// erased here.
#include <set>

#include "passes/pass.hpp"

namespace anec::passes {

namespace {
bool exactWidening(ir::DType from, ir::DType to) {
    using ir::DType;
    if (from == to) return true;
    if (from == DType::Fp16) return to == DType::Fp32 || to == DType::Fp64;
    if (from == DType::Fp32) return to == DType::Fp64;
    return false;
}

bool isCast(const ir::Value* value) {
    return value && value->definingOp && value->definingOp->kind() == "cast";
}

size_t eliminateCasts(ir::Kernel& kernel) {
    size_t changes = 0;
    std::set<ir::Op*> bypassed; // inner casts that may have become unused
    for (auto it = kernel.ops.begin(); it != kernel.ops.end();) {
        ir::Op& op = **it;
        if (op.kind() != "cast" || op.operands.size() != 1 || !op.operands[0]) {
            ++it;
            continue;
        }
        ir::Value* source = op.operands[0];
        if (isCast(source) &&
            exactWidening(source->definingOp->operands[0]->type.dtype, source->type.dtype)) {
            bypassed.insert(source->definingOp);
            source = source->definingOp->operands[0];
        }
        if (source->type == op.result()->type) {
            kernel.replaceAllUses(op.result(), source);
            bypassed.erase(&op);
            it = kernel.ops.erase(it);
            ++changes;
            continue;
        }
        if (source != op.operands[0]) {
            op.operands[0] = source;
            ++changes;
        }
        ++it;
    }
    kernel.ops.remove_if([&](const std::unique_ptr<ir::Op>& op) {
        return bypassed.count(op.get()) && kernel.useCount(op->result()) == 0;
    });
    return changes;
}

class CastElimPass : public KernelPass {
  public:
    std::string name() const override { return "cast-elim"; }
    std::string description() const override {
        return "remove casts to the same dtype and exact round trips (fp16 -> fp32 -> fp16)";
    }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        return eliminateCasts(kernel);
    }
};
} // namespace

std::unique_ptr<Pass> createCastElimPass() {
    return std::make_unique<CastElimPass>();
}

} // namespace anec::passes
