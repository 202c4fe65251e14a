// `const`: a constant tensor held in Op::constData (inline in MIL, or in a weight blob).
#include "ir/ops/op_helpers.hpp"

namespace anec::ir {

void registerConstOps(OpRegistry& registry) {
    registry.add({
        .name = "const",
        .operands = {},
        .attrs = {},
        .infer = [](const InferContext& ctx) -> Expected<std::vector<TensorType>> {
            if (!ctx.constData()) return fail("const needs a value");
            return ops::single(ctx.constData()->type());
        },
        .summary = "a constant tensor (inline or in a weight blob)",
    });
}

} // namespace anec::ir
