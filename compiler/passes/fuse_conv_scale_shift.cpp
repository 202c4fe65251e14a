// fuse-conv-scale-shift: a per-channel constant scale after a conv folds into its weights, since
//   conv(x, W) * s        ==  conv(x, W * s)            (row o of W scaled by s[o])
//   (conv(x, W) + b) * s  ==  conv(x, W * s) + s * b
// The ANE conv takes no bias, so a shift stays one add after the conv. The scaled weights are
// computed at build time and rounded once to the weight's dtype, so only the fp16 rounding order
// changes.
//
// Matched: a conv with groups = 1 and a constant weight, followed by a mul (either operand order)
// or a real_div (conv / s) by a per-channel constant (a scalar, or a constant whose dims are all
// 1 except the channel dim, aligned to [1, Cout, 1, 1]), optionally with an add of a per-channel
// constant between them. The conv (and the add) must have no other use, the result keeps the
// conv's shape, and every scaled weight must stay finite. The scaled weight is "<w>_scaled".
#include <cmath>
#include <optional>
#include <stdexcept>

#include "passes/conv_fusion_utils.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
using ir::ConstData;
using ir::Kernel;
using ir::Op;
using ir::Value;

const ConstData* constantOf(const Value* value) {
    if (!value || !value->definingOp || !value->definingOp->isConst()) return nullptr;
    return value->definingOp->constData.get();
}

// The value of a per-channel constant for each of `channels` channels, or nullopt when the
// constant varies along another dim (or is not a float).
std::optional<std::vector<double>> perChannel(const ConstData& constant, int64_t channels) {
    const ir::TensorType& type = constant.type();
    if (!ir::isFloat(type.dtype) || type.rank() > 4 || !type.isStatic()) return std::nullopt;
    ir::Shape aligned(4 - type.rank(), 1);
    aligned.insert(aligned.end(), type.shape.begin(), type.shape.end());
    for (size_t axis = 0; axis < 4; ++axis)
        if (aligned[axis] != 1 && !(axis == 1 && aligned[axis] == channels)) return std::nullopt;
    std::vector<double> values = constant.toDoubles();
    if (values.size() == 1) values.assign(static_cast<size_t>(channels), values[0]);
    return values;
}

// The operand of a binary op that is not `value`, or nullptr when `value` is not an operand.
Value* otherOperand(const Op& op, const Value* value) {
    if (op.operands.size() != 2) return nullptr;
    if (op.operands[0] == value) return op.operands[1];
    if (op.operands[1] == value) return op.operands[0];
    return nullptr;
}

// The single op using `value` (not a kernel output), or nullptr.
Op* soleUser(Kernel& kernel, const Value* value) {
    if (kernel.useCount(value) != 1) return nullptr;
    for (const auto& op : kernel.ops)
        for (const Value* operand : op->operands)
            if (operand == value) return op.get();
    return nullptr;
}

// The ops built here are valid by construction (same types as the ops they replace).
constexpr const char* kConvScaleShiftPass = "fuse-conv-scale-shift";

// A match: conv [-> add(shift)] -> mul(scale) or real_div(scale).
struct ScaleShift {
    Op* conv = nullptr;
    Op* add = nullptr; // optional
    const ConstData* shift = nullptr;
    Op* scaleOp = nullptr;
    std::vector<double> scale; // per output channel
};

std::optional<std::vector<double>> scaleOf(const Op& op, const Value* input, int64_t channels) {
    const ConstData* constant = constantOf(otherOperand(op, input));
    if (!constant || op.result()->type != input->type) return std::nullopt;
    if (op.kind() == "mul") return perChannel(*constant, channels);
    if (op.kind() != "real_div" || op.operands[0] != input) return std::nullopt;
    auto divisors = perChannel(*constant, channels);
    if (!divisors) return std::nullopt;
    for (double& d : *divisors) {
        if (d == 0) return std::nullopt;
        d = 1.0 / d;
    }
    return divisors;
}

std::optional<ScaleShift> match(Kernel& kernel, Op& conv) {
    if (!fusion::plainConvWeight(conv)) return std::nullopt;
    const int64_t channels = conv.result()->type.shape[1];
    ScaleShift found;
    found.conv = &conv;
    Value* current = conv.result();
    Op* user = soleUser(kernel, current);
    if (!user) return std::nullopt;
    if (user->kind() == "add") {
        found.shift = constantOf(otherOperand(*user, current));
        if (!found.shift || user->result()->type != current->type ||
            !perChannel(*found.shift, channels))
            return std::nullopt;
        found.add = user;
        current = user->result();
        user = soleUser(kernel, current);
        if (!user) return std::nullopt;
    }
    auto scale = scaleOf(*user, current, channels);
    if (!scale) return std::nullopt;
    found.scaleOp = user;
    found.scale = std::move(*scale);
    return found;
}

// W[o, ...] * s[o], rounded to the weight's dtype; nullopt when a value overflows.
std::optional<ConstData> scaledWeight(const ConstData& weight, const std::vector<double>& scale) {
    std::vector<double> values = weight.toDoubles();
    const size_t row = values.size() / scale.size();
    for (size_t i = 0; i < values.size(); ++i)
        values[i] *= scale[i / row];
    ConstData scaled = ConstData::fromDoubles(weight.type(), values);
    for (int64_t i = 0; i < scaled.numElements(); ++i)
        if (!std::isfinite(scaled.at(i))) return std::nullopt;
    return scaled;
}

// s * b with the shape of the broadcast of b and s (per channel, or one value).
std::optional<ConstData> scaledShift(const ConstData& shift, const ir::TensorType& scaleType,
                                     const std::vector<double>& scale) {
    auto shape = ir::broadcastShapes(shift.type().shape, scaleType.shape);
    if (!shape) return std::nullopt;
    ir::TensorType type{shift.type().dtype, *shape};
    std::vector<double> bias = *perChannel(shift, static_cast<int64_t>(scale.size()));
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    if (values.size() != 1 && values.size() != scale.size()) return std::nullopt;
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = bias[i] * scale[i];
    ConstData scaled = ConstData::fromDoubles(type, values);
    for (int64_t i = 0; i < scaled.numElements(); ++i)
        if (!std::isfinite(scaled.at(i))) return std::nullopt;
    return scaled;
}

bool rewrite(Kernel& kernel, const ScaleShift& m) {
    const ConstData& weight = *fusion::plainConvWeight(*m.conv);
    auto scaled = scaledWeight(weight, m.scale);
    if (!scaled) return false;
    std::optional<ConstData> bias;
    if (m.add) {
        const Value* scaleValue = otherOperand(*m.scaleOp, m.add->result());
        bias = scaledShift(*m.shift, scaleValue->type, m.scale);
        if (!bias) return false;
        bias->blobName = m.shift->blobName.empty() ? "" : m.shift->blobName + "_scaled";
    }
    Op& conv = *m.conv;
    ir::Builder builder(kernel, fusion::positionOf(kernel, m.scaleOp));
    std::string weightName = (weight.blobName.empty() ? "w" : weight.blobName) + "_scaled";
    Value* newWeight =
        fusion::createWeight(builder, *m.scaleOp, std::move(*scaled), weightName, conv.loc);
    Value* result = built(
        builder.createValue("conv", {conv.operands[0], newWeight}, conv.attrs, conv.loc, conv.name),
        kConvScaleShiftPass);
    result->name = conv.result()->name;
    if (bias) {
        const std::string biasName = bias->blobName;
        Value* shift =
            biasName.empty()
                ? builder.createConst(std::make_shared<ConstData>(std::move(*bias)), m.add->loc)
                : fusion::createWeight(builder, *m.scaleOp, std::move(*bias), biasName, m.add->loc);
        result =
            built(builder.createValue("add", {result, shift}, {}, m.add->loc, m.add->name), kConvScaleShiftPass);
    }
    // The last op now computes what the scale op did, so it takes the scale op's names.
    if (!m.scaleOp->result()->name.empty()) result->name = m.scaleOp->result()->name;
    if (!m.scaleOp->name.empty()) result->definingOp->name = m.scaleOp->name;
    kernel.replaceAllUses(m.scaleOp->result(), result);
    std::vector<Op*> replaced{m.scaleOp, m.conv};
    if (m.add) replaced.insert(replaced.begin() + 1, m.add);
    fusion::eraseReplaced(kernel, replaced);
    return true;
}

class FuseConvScaleShiftPass : public KernelPass {
  public:
    std::string name() const override { return "fuse-conv-scale-shift"; }
    std::string description() const override {
        return "fold a per-channel constant scale after a conv (and after its shift) into the "
               "conv weights";
    }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        size_t changes = 0;
        for (bool changed = true; changed;) {
            changed = false;
            for (const auto& op : kernel.ops) {
                auto found = match(kernel, *op);
                if (!found) continue;
                Footprint before = measureFootprint(kernel);
                if (!rewrite(kernel, *found)) continue;
                // Grows only when the unscaled weight stays in use elsewhere.
                remarkIfGrown(kernel, before,
                              "folded a per-channel scale into a copy of a conv weight that "
                              "stays in use unscaled (one mul less per element)");
                ++changes;
                changed = true;
                break;
            }
        }
        return changes;
    }
};
} // namespace

std::unique_ptr<Pass> createFuseConvScaleShiftPass() {
    return std::make_unique<FuseConvScaleShiftPass>();
}

} // namespace anec::passes
