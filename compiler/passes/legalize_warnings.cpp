// What ane-legalize cannot rewrite, warned at the op's source location (docs/ane-rules.md):
//   rule 13  matmul inner dimension not a multiple of 32
//   rule 12  conv with 16384 or more input channels (32000 is rejected)
//   rule 6   kernel inputs/outputs below 49,152 bytes
//   rule 17  (m3) reshape, slice or concat changing the width (last) axis
#include "passes/legalize.hpp"

namespace anec::passes::legalize {

namespace {
constexpr int64_t kMinSurfaceBytes = 49152;
constexpr int64_t kLargeConvInputChannels = 16384;

// The inner (contracted) dimension of a matmul, or 0 when its operand is not a matrix.
int64_t matmulInnerDim(const ir::Op& op) {
    const ir::TensorType& x = op.operands[0]->type;
    if (x.rank() == 0) return 0;
    const bool* transposeX = op.attr<bool>("transpose_x");
    if (x.rank() >= 2 && transposeX && *transposeX) return x.shape[x.rank() - 2];
    return x.shape.back();
}

void warnMatmul(const ir::Op& op, DiagnosticEngine& diagnostics) {
    int64_t k = matmulInnerDim(op);
    if (k <= 0 || k % 32 == 0) return;
    diagnostics.warning(op.loc, "matmul inner dimension " + std::to_string(k) +
                                    " is not a multiple of 32, which the ANE may reject (rule 13): "
                                    "pad the contracted dimension with zeros to a multiple of 32");
}

void warnConv(const ir::Op& op, DiagnosticEngine& diagnostics) {
    const ir::TensorType& x = op.operands[0]->type;
    if (x.rank() != 4 || x.shape[1] < kLargeConvInputChannels) return;
    diagnostics.warning(op.loc, "conv with " + std::to_string(x.shape[1]) +
                                    " input channels: the ANE compiler rejects very large inputs "
                                    "(32000 channels failed, rule 12): split the input channels "
                                    "into several convs and add their results");
}

bool changesWidth(const ir::Op& op) {
    const std::string& kind = op.kind();
    if (kind == "concat") {
        const int64_t* axis = op.attr<int64_t>("axis");
        int64_t rank = static_cast<int64_t>(op.result()->type.rank());
        return axis && rank > 0 && (*axis == rank - 1 || *axis == -1);
    }
    if (kind != "reshape" && kind != "slice_by_size" && kind != "slice_by_index") return false;
    const ir::TensorType& in = op.operands[0]->type;
    const ir::TensorType& out = op.result()->type;
    if (in.rank() == 0 || out.rank() == 0) return false;
    return in.shape.back() != out.shape.back();
}

void warnWidth(const ir::Op& op, DiagnosticEngine& diagnostics) {
    if (!changesWidth(op)) return;
    diagnostics.warning(op.loc, op.kind() + " along the width (last) axis, " +
                                    op.operands[0]->type.str() + " -> " + op.result()->type.str() +
                                    ", was rejected on M3 Ultra (rule 17): work along another axis "
                                    "(transpose first)");
}

// One warning per kernel (not per tensor): small demo kernels would otherwise drown the rest.
void warnSmallSurfaces(const ir::Kernel& kernel, DiagnosticEngine& diagnostics) {
    std::vector<std::string> small;
    auto note = [&](const std::string& what, const std::string& name, const ir::TensorType& type) {
        if (type.isStatic() && type.byteSize() < kMinSurfaceBytes)
            small.push_back(what + " '" + name + "' (" + type.str() + ", " +
                            std::to_string(type.byteSize()) + " bytes)");
    };
    for (const auto& input : kernel.inputs)
        note("input", input->name, input->type);
    for (const ir::KernelOutput& output : kernel.outputs)
        if (output.value) note("output", output.name, output.value->type);
    if (small.empty()) return;
    std::string list;
    for (size_t i = 0; i < small.size(); ++i)
        list += (i == 0 ? "" : i + 1 == small.size() ? " and " : ", ") + small[i];
    diagnostics.warning(
        kernel.loc, "kernel '" + kernel.name + "': " + list + (small.size() == 1 ? " is" : " are") +
                        " below the ANE's 49,152-byte minimum surface; the runtime pads "
                        "surfaces to that size, but reports say tensors this small (seq 1) "
                        "fail at eval (rule 6): use a longer sequence or batch calls");
}
} // namespace

void warnAboutLimits(const ir::Kernel& kernel, AneTarget target, DiagnosticEngine& diagnostics) {
    for (const auto& op : kernel.ops) {
        if (op->kind() == "matmul") warnMatmul(*op, diagnostics);
        if (op->kind() == "conv") warnConv(*op, diagnostics);
        if (target == AneTarget::M3) warnWidth(*op, diagnostics);
    }
    warnSmallSurfaces(kernel, diagnostics);
}

} // namespace anec::passes::legalize
