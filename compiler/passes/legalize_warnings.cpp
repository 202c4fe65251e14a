// What ane-legalize cannot rewrite, warned at the op's source location (docs/ane-rules.md):
//   rule 13  matmul inner dimension not a multiple of 32
//   rule 12  conv with 16384 or more input channels (32000 is rejected)
//   rule 6   kernel inputs/outputs below 49,152 bytes
//   rule 17  (m3) reshape, slice or concat changing the width (last) axis
// The limits are the target's (AneTargetRules), which the passes after legalization read too.
// Each problem is a Finding first, so that the legality check compares the same findings.
#include <optional>

#include "passes/legalize.hpp"

namespace anec::passes::legalize {

namespace {
// The inner (contracted) dimension of a matmul, or 0 when its operand is not a matrix.
int64_t matmulInnerDim(const ir::Op& op) {
    const ir::TensorType& x = op.operands[0]->type;
    if (x.rank() == 0) return 0;
    const bool* transposeX = op.attr<bool>("transpose_x");
    if (x.rank() >= 2 && transposeX && *transposeX) return x.shape[x.rank() - 2];
    return x.shape.back();
}

std::optional<Finding> matmulFinding(const ir::Op& op, const AneTargetRules& rules) {
    int64_t k = matmulInnerDim(op);
    if (k <= 0 || k % rules.matmulInnerMultiple == 0) return std::nullopt;
    const std::string multiple = std::to_string(rules.matmulInnerMultiple);
    return Finding{"rule 13: matmul inner dimension " + std::to_string(k), op.loc,
                   "matmul inner dimension " + std::to_string(k) + " is not a multiple of " +
                       multiple +
                       ", which the ANE may reject (rule 13): pad the contracted dimension with "
                       "zeros to a multiple of " +
                       multiple};
}

std::optional<Finding> convFinding(const ir::Op& op, const AneTargetRules& rules) {
    const ir::TensorType& x = op.operands[0]->type;
    if (x.rank() != 4 || x.shape[1] < rules.convInputChannelLimit) return std::nullopt;
    return Finding{"rule 12: conv Cin " + std::to_string(x.shape[1]), op.loc,
                   "conv with " + std::to_string(x.shape[1]) +
                       " input channels: the ANE compiler rejects very large inputs (32000 "
                       "channels failed, rule 12): split the input channels into several convs "
                       "and add their results"};
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

std::optional<Finding> widthFinding(const ir::Op& op) {
    if (!changesWidth(op)) return std::nullopt;
    return Finding{"rule 17: " + op.kind() + " along the width axis", op.loc,
                   op.kind() + " along the width (last) axis, " + op.operands[0]->type.str() +
                       " -> " + op.result()->type.str() +
                       ", was rejected on M3 Ultra (rule 17): work along another axis "
                       "(transpose first)"};
}

constexpr std::string_view kSmallSurfaceKey = "rule 6: small surface";

// One finding per small input/output; their messages are the items of one warning per kernel.
void findSmallSurfaces(const ir::Kernel& kernel, const AneTargetRules& rules,
                       std::vector<Finding>& findings) {
    auto note = [&](const std::string& what, const std::string& name, const ir::TensorType& type) {
        if (type.isStatic() && type.byteSize() < rules.minSurfaceBytes)
            findings.push_back({std::string(kSmallSurfaceKey), kernel.loc,
                                what + " '" + name + "' (" + type.str() + ", " +
                                    std::to_string(type.byteSize()) + " bytes)"});
    };
    for (const auto& input : kernel.inputs)
        note("input", input->name, input->type);
    for (const ir::KernelOutput& output : kernel.outputs)
        if (output.value) note("output", output.name, output.value->type);
}

// One warning per kernel (not per tensor): small demo kernels would otherwise drown the rest.
void warnSmallSurfaces(const ir::Kernel& kernel, const std::vector<std::string>& small,
                       const AneTargetRules& rules, DiagnosticEngine& diagnostics) {
    if (small.empty()) return;
    std::string list;
    for (size_t i = 0; i < small.size(); ++i)
        list += (i == 0 ? "" : i + 1 == small.size() ? " and " : ", ") + small[i];
    std::string minimum = std::to_string(rules.minSurfaceBytes);
    if (minimum.size() > 3) minimum.insert(minimum.size() - 3, ",");
    diagnostics.warning(kernel.loc,
                        "kernel '" + kernel.name + "': " + list +
                            (small.size() == 1 ? " is" : " are") + " below the ANE's " + minimum +
                            "-byte minimum surface; the runtime pads "
                            "surfaces to that size, but reports say tensors this small (seq 1) "
                            "fail at eval (rule 6): use a longer sequence or batch calls");
}
} // namespace

std::vector<Finding> limitFindings(const ir::Kernel& kernel, const AneTargetRules& rules) {
    std::vector<Finding> findings;
    for (const auto& op : kernel.ops) {
        std::optional<Finding> found;
        if (op->kind() == "matmul") found = matmulFinding(*op, rules);
        if (op->kind() == "conv") found = convFinding(*op, rules);
        if (found) findings.push_back(std::move(*found));
        if (!rules.widthAxisOps)
            if (auto width = widthFinding(*op)) findings.push_back(std::move(*width));
    }
    findSmallSurfaces(kernel, rules, findings);
    return findings;
}

void warnAboutLimits(const ir::Kernel& kernel, const AneTargetRules& rules,
                     DiagnosticEngine& diagnostics) {
    std::vector<std::string> small;
    for (const Finding& finding : limitFindings(kernel, rules)) {
        if (finding.key == kSmallSurfaceKey)
            small.push_back(finding.message);
        else
            diagnostics.warning(finding.loc, finding.message);
    }
    warnSmallSurfaces(kernel, small, rules, diagnostics);
}

} // namespace anec::passes::legalize
