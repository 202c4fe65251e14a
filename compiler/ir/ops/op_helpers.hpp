#pragma once
// Small helpers shared by the op definitions in this folder: result wrapping, list spelling and
// the axis checks every shape-manipulating op needs, each failing with a user-facing message.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ir/op_registry.hpp"
#include "support/checked_math.hpp"

namespace anec::ir::ops {

using Results = Expected<std::vector<TensorType>>;

inline Results single(TensorType type) {
    return std::vector<TensorType>{std::move(type)};
}

inline std::string typeList(const std::vector<const TensorType*>& types) {
    std::string out;
    for (size_t i = 0; i < types.size(); ++i)
        out += (i ? ", " : "") + (types[i] ? types[i]->str() : "none");
    return out;
}

// "[1, 2, 3]": how attribute lists appear in messages.
std::string listString(const std::vector<int64_t>& values);

// `what` names the attribute in messages, e.g. "softmax axis" or "reduce_sum axes".
// Normalises one possibly negative axis of x.
Expected<size_t> checkAxis(const std::string& what, int64_t axis, const TensorType& x);
// Normalises a list of axes of x; rejects out-of-range and repeated axes. Keeps the given order.
Expected<std::vector<size_t>> checkAxes(const std::string& what, const std::vector<int64_t>& axes,
                                        const TensorType& x);
// Checks that a list attribute has one entry per dimension of x.
Expected<bool> checkPerDim(const std::string& what, const std::vector<int64_t>& values,
                           const TensorType& x);
// Checks that every entry of a bool-list attribute (stored as 0/1) is 0 or 1.
Expected<bool> checkBoolList(const std::string& what, const std::vector<int64_t>& values);

using anec::checkedProduct; // support/checked_math.hpp

inline bool isNumeric(DType dtype) {
    return isFloat(dtype) || isInteger(dtype);
}

// A float element type (fp16 or fp32 in MIL). `what` starts the message ("sin", "pad x").
Expected<bool> checkFloat(const std::string& what, const TensorType& x);
// fp16, fp32 or int32: MIL's numeric element types (reductions, cumsum, gather, ...).
Expected<bool> checkFloatOrInt32(const std::string& what, const TensorType& x);
// A rank-0 tensor.
Expected<bool> checkScalar(const std::string& what, const TensorType& x);

// A unary op on fp16/fp32 tensors whose result has x's type; its VJP, or zeroGradient for a
// piecewise constant op (floor).
void addFloatUnary(OpRegistry& registry, const std::string& name, std::vector<AttrSpec> attrs,
                   const std::string& summary, VjpFn vjp = {}, bool zeroGradient = false);

// ---- VJPs of unary ops y = f(x) (elementwise and activation ops) ----
// Builds, from the forward operand x and result y, a tensor of x's shape: f'(x), or for
// maskedUnaryVjp the bool mask where f'(x) = 1 (0 elsewhere).
using UnaryVjpPart = std::function<Value*(VjpContext& c, Value* x, Value* y)>;
// g * f'(x).
VjpFn unaryVjp(UnaryVjpPart derivative);
// mask ? g : 0, for ops whose slope is 1 or 0 (relu, clip).
VjpFn maskedUnaryVjp(UnaryVjpPart mask);
// A scalar constant of like's element type.
Value* scalarLike(VjpContext& c, double value, const Value* like);
// A comparison `kind` (greater, less, ...) of x with a scalar: a bool tensor of x's shape.
Value* compareWith(VjpContext& c, const std::string& kind, Value* x, double value);

} // namespace anec::ir::ops
