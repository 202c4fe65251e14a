// iOS17 affine quantization: quantize (fp16/fp32 -> int8/uint8) and dequantize (back). The scale
// and the optional zero point are constants, either scalars (per tensor) or vectors with one
// value per slice along `axis` (per channel); axis is given exactly when they are vectors.
#include <cmath>

#include "ir/ops/op_helpers.hpp"
#include "ir/vjp.hpp"

namespace anec::ir {

namespace {
using ops::Results;

bool isQuantized(DType dtype) {
    return dtype == DType::Int8 || dtype == DType::UInt8;
}

// Checks scale (operand 1), zero_point (operand 2) and axis against the data operand.
Expected<bool> checkQuantization(const std::string& opName, const InferContext& ctx,
                                 DType scaleDType, DType zeroPointDType) {
    const TensorType& input = *ctx.operand(0);
    const TensorType& scale = *ctx.operand(1);
    const TensorType* zeroPoint = ctx.operand(2);
    if (input.isScalar()) return fail(opName + " needs input of rank >= 1, got " + input.str());
    if (scale.dtype != scaleDType)
        return fail(opName + " scale " + scale.str() + " must be " +
                    std::string(dtypeName(scaleDType)));
    if (scale.rank() > 1)
        return fail(opName + " scale " + scale.str() +
                    " must be a scalar (per tensor) or a vector (per channel along axis)");
    const ConstData* scaleValue = ctx.operandValue(1);
    if (!scaleValue) return fail(opName + " needs a constant scale");
    for (double s : scaleValue->toDoubles())
        if (s == 0 || !std::isfinite(s))
            return fail(opName + " scale values must be finite and non-zero, got " +
                        attributeString(s));
    if (zeroPoint) {
        if (zeroPoint->dtype != zeroPointDType)
            return fail(opName + " zero_point " + zeroPoint->str() + " must be " +
                        std::string(dtypeName(zeroPointDType)));
        if (zeroPoint->shape != scale.shape)
            return fail(opName + " zero_point " + zeroPoint->str() + " and scale " + scale.str() +
                        " must have the same shape");
        if (!ctx.operandValue(2)) return fail(opName + " needs a constant zero_point");
    }
    if (scale.isScalar()) {
        if (ctx.hasAttr("axis"))
            return fail(opName + " takes no axis with a scalar scale (per-tensor quantization)");
        return true;
    }
    if (!ctx.hasAttr("axis"))
        return fail(opName + " needs an axis with the vector scale " + scale.str() +
                    " (per-channel quantization)");
    auto axis = ops::checkAxis(opName + " axis", ctx.intAttr("axis"), input);
    if (!axis) return fail(axis.error());
    if (scale.shape[0] != input.shape[*axis])
        return fail(opName + " scale " + scale.str() + " needs one value per slice along axis " +
                    std::to_string(*axis) + " of " + input.str() + " (" +
                    std::to_string(input.shape[*axis]) + ")");
    return true;
}

Results inferQuantize(const InferContext& ctx) {
    const TensorType& input = *ctx.operand(0);
    if (auto ok = ops::checkFloat("quantize", input); !ok) return fail(ok.error());
    const std::string& name = ctx.stringAttr("output_dtype");
    auto dtype = parseDType(name);
    if (!dtype || !isQuantized(*dtype))
        return fail("quantize output_dtype must be \"int8\" or \"uint8\", got \"" + name + "\"");
    if (auto ok = checkQuantization("quantize", ctx, input.dtype, *dtype); !ok)
        return fail(ok.error());
    return ops::single({*dtype, input.shape});
}

Results inferDequantize(const InferContext& ctx) {
    const TensorType& input = *ctx.operand(0);
    const TensorType& scale = *ctx.operand(1);
    if (!isQuantized(input.dtype))
        return fail("dequantize needs an int8 or uint8 input, got " + input.str());
    if (auto ok = ops::checkFloat("dequantize scale", scale); !ok) return fail(ok.error());
    if (auto ok = checkQuantization("dequantize", ctx, scale.dtype, input.dtype); !ok)
        return fail(ok.error());
    return ops::single({scale.dtype, input.shape});
}

// ---- gradient ----

// dequantize's y = scale * (input - zero_point): only the float scale can carry a gradient (a
// weight being trained), dscale = sum(g * (input - zero_point)) over each scale's elements. The
// integer input and zero point have none; quantize's integer result carries none either.
std::vector<Value*> dequantizeVjp(VjpContext& c) {
    std::vector<Value*> grads(c.numOperands(), nullptr);
    if (!c.wants(1)) return grads;
    Value* input = c.operand(0);
    Value* scale = c.operand(1);
    Value* zeroPoint = c.numOperands() > 2 ? c.operand(2) : nullptr;
    const DType dtype = scale->type.dtype;
    const size_t rank = input->type.rank();
    Value* centered = c.cast(input, dtype);
    // Per channel, the scale and zero point run along `axis`; elsewhere they are size 1.
    Shape view(rank, 1);
    std::vector<int64_t> others;
    const size_t axis = scale->type.isScalar() ? rank : *normalizeAxis(c.intAttr("axis"), rank);
    for (size_t d = 0; d < rank; ++d) {
        if (d == axis)
            view[d] = input->type.shape[d];
        else
            others.push_back(static_cast<int64_t>(d));
    }
    if (zeroPoint) centered = c.sub(centered, c.reshape(c.cast(zeroPoint, dtype), view));
    Value* product = c.mul(c.cotangentOrZero(), centered);
    grads[1] = c.reshape(c.sumKeep(product, others), scale->type.shape);
    return grads;
}
} // namespace

void registerQuantizationOps(OpRegistry& registry) {
    const AttrSpec axis{"axis", AttrKind::Int, std::nullopt, /*optional=*/true};
    registry.add({
        .name = "quantize",
        .operands = {{"input"}, {"scale"}, {"zero_point", OperandArity::Optional}},
        .attrs = {axis, {"output_dtype", AttrKind::String, std::nullopt}},
        .infer = inferQuantize,
        .summary = "clip(round(input / scale) + zero_point) to int8 or uint8 (halves to even)",
        .sinceIos = 17,
    });
    registry.add({
        .name = "dequantize",
        .operands = {{"input"}, {"scale"}, {"zero_point", OperandArity::Optional}},
        .attrs = {axis},
        .infer = inferDequantize,
        .summary = "scale * (input - zero_point) from int8 or uint8 to the scale's float type",
        .sinceIos = 17,
        .vjp = dequantizeVjp,
    });
}

} // namespace anec::ir
