// fp16 I/O on targets that cannot run `cast` (M1/M2, and generic; ane-and-mil.md §3): an fp32
// input whose every use is a cast to fp16 becomes an fp16 input, and an fp32 output made by a cast
// from fp16 becomes an fp16 output. Kernel::hostConversions records each, and the runtime converts
// on the host (runtime/core/host_conversion.hpp), rounding to nearest even exactly as the cast
// did, so callers still pass and receive fp32. Any cast left is warned about at its source.
#include <algorithm>

#include "passes/legalize.hpp"

namespace anec::passes::legalize {

namespace {
using Direction = ir::PackedIo::Direction;

bool isCastTo(const ir::Op& op, ir::DType dtype) {
    const std::string* to = op.kind() == "cast" ? op.attr<std::string>("dtype") : nullptr;
    return to && *to == ir::dtypeName(dtype);
}

// The casts reading `input` when every use of it is a cast to fp16 (and it is no output).
std::vector<ir::Op*> entryCasts(ir::Kernel& kernel, const ir::Value* input) {
    std::vector<ir::Op*> casts;
    for (const auto& op : kernel.ops) {
        bool uses =
            std::find(op->operands.begin(), op->operands.end(), input) != op->operands.end();
        if (!uses) continue;
        if (!isCastTo(*op, ir::DType::Fp16)) return {};
        casts.push_back(op.get());
    }
    for (const ir::KernelOutput& output : kernel.outputs)
        if (output.value == input) return {};
    return casts;
}

size_t convertInputs(ir::Kernel& kernel) {
    size_t changes = 0;
    for (const auto& input : kernel.inputs) {
        // Dynamic weights keep their declared type: their initial values are stored with it.
        if (input->type.dtype != ir::DType::Fp32 ||
            ir::findPacked(kernel, Direction::Input, input->name) ||
            kernel.findDynamicWeight(input->name))
            continue;
        std::vector<ir::Op*> casts = entryCasts(kernel, input.get());
        if (casts.empty()) continue;
        input->type.dtype = ir::DType::Fp16;
        for (ir::Op* cast : casts)
            kernel.replaceAllUses(cast->result(), input.get());
        kernel.ops.remove_if([&](const std::unique_ptr<ir::Op>& op) {
            return std::find(casts.begin(), casts.end(), op.get()) != casts.end();
        });
        kernel.hostConversions.push_back({Direction::Input, input->name, ir::DType::Fp32});
        changes += casts.size();
    }
    return changes;
}

size_t convertOutputs(ir::Kernel& kernel) {
    size_t changes = 0;
    for (ir::KernelOutput& output : kernel.outputs) {
        const ir::Op* op = output.value ? output.value->definingOp : nullptr;
        if (!op || output.value->type.dtype != ir::DType::Fp32 || !isCastTo(*op, ir::DType::Fp32) ||
            op->operands[0]->type.dtype != ir::DType::Fp16 ||
            ir::findPacked(kernel, Direction::Output, output.name))
            continue;
        output.value = op->operands[0]; // the cast, now unused here, is left to dce
        kernel.hostConversions.push_back({Direction::Output, output.name, ir::DType::Fp32});
        ++changes;
    }
    // Drop the exit casts nothing reads any more, so that they are not warned about.
    kernel.ops.remove_if([&](const std::unique_ptr<ir::Op>& op) {
        return op->kind() == "cast" && kernel.useCount(op->result()) == 0;
    });
    return changes;
}
} // namespace

size_t useHostConversions(ir::Kernel& kernel, DiagnosticEngine& diagnostics) {
    size_t changes = convertInputs(kernel) + convertOutputs(kernel);
    for (const auto& op : kernel.ops)
        if (op->kind() == "cast")
            diagnostics.warning(
                op->loc,
                "cast from " + op->operands[0]->type.str() + " to " + op->result()->type.str() +
                    " stays in the program, but this target's ANE cannot run cast (M1/M2; "
                    "ane-and-mil.md §3): compute in fp16, or build for --target m3, m4 or m5");
    return changes;
}

} // namespace anec::passes::legalize
