#pragma once
// What an op's vector-Jacobian product (OpDef::vjp) sees and builds with. Reverse-mode autodiff
// (compiler/autodiff) calls an op's VJP once, in the backward kernel, with the op's operands and
// results as they stand there and the cotangents of its results; the VJP appends the ops that
// compute the cotangents of the operands it is asked for. The helpers throw VjpError when an op
// cannot be built; autodiff turns that into an error naming the op and its location.
#include <stdexcept>
#include <string>
#include <vector>

#include "ir/builder.hpp"

namespace anec::ir {

class VjpError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A factor of a VJP (1/N of a mean over N elements) small enough that a gradient of the outputs'
// size, times the loss scale, falls below fp16's normal range there.
struct VjpRangeWarning {
    SourceLoc loc; // the op
    std::string message;
};

class VjpContext {
  public:
    VjpContext(Builder& builder, const Op& op, std::vector<Value*> operands,
               std::vector<Value*> results, std::vector<Value*> cotangents,
               std::vector<bool> wanted);

    const Op& op() const { return op_; }
    // The op's operands (nullptr for an absent optional one) and results in the backward kernel.
    Value* operand(size_t i) const { return operands_.at(i); }
    size_t numOperands() const { return operands_.size(); }
    Value* result(size_t i = 0) const { return results_.at(i); }
    size_t numResults() const { return results_.size(); }
    // The cotangent of result i; nullptr when nothing downstream depends on it (zero).
    Value* cotangent(size_t i = 0) const { return cotangents_.at(i); }
    // The cotangent of result i, zeros when there is none.
    Value* cotangentOrZero(size_t i = 0);
    // Whether autodiff needs the cotangent of operand i (a VJP may skip the others).
    bool wants(size_t i) const { return i < wanted_.size() && wanted_[i]; }

    // Attributes of the op, with the registry's defaults filled in.
    bool boolAttr(const std::string& name) const { return attrView().boolAttr(name); }
    int64_t intAttr(const std::string& name) const { return attrView().intAttr(name); }
    double floatAttr(const std::string& name) const { return attrView().floatAttr(name); }
    const std::string& stringAttr(const std::string& name) const {
        return attrView().stringAttr(name);
    }
    const std::vector<int64_t>& intListAttr(const std::string& name) const {
        return attrView().intListAttr(name);
    }
    bool hasAttr(const std::string& name) const { return attrs_.count(name) != 0; }
    const AttrMap& attrs() const { return attrs_; }

    // ---- building the backward ops (at the op's source location) ----
    Value* create(const std::string& kind, std::vector<Value*> operands, AttrMap attrs = {});
    std::vector<Value*> createMulti(const std::string& kind, std::vector<Value*> operands,
                                    AttrMap attrs = {});
    // A scalar constant of `dtype` (an fp16 value is rounded to fp16).
    Value* scalar(double value, DType dtype);
    // A constant tensor of `type` filled with `value`.
    Value* splat(const TensorType& type, double value);
    Value* zerosLike(const Value* like) { return splat(like->type, 0); }
    // 0, 1, ..., count - 1 (range_1d) of `dtype`.
    Value* arange(int64_t count, DType dtype);
    Value* add(Value* a, Value* b) { return create("add", {a, b}); }
    Value* sub(Value* a, Value* b) { return create("sub", {a, b}); }
    Value* mul(Value* a, Value* b) { return create("mul", {a, b}); }
    Value* div(Value* a, Value* b) { return create("real_div", {a, b}); }
    Value* mulScalar(Value* a, double factor) { return mul(a, scalar(factor, a->type.dtype)); }
    Value* neg(Value* a) { return mulScalar(a, -1); }
    Value* square(Value* a) { return mul(a, a); }
    Value* cast(Value* a, DType dtype);
    Value* reshape(Value* a, const Shape& shape);
    Value* transpose(Value* a, const std::vector<int64_t>& perm);
    // Sums `gradient` (of a broadcast result) back to `shape`: the rule for every broadcasting
    // operand (numpy: leading dims summed away, size-1 dims summed with keep_dims).
    Value* sumToShape(Value* gradient, const Shape& shape);
    // The reduction `kind` (reduce_mean, reduce_max, ...) over `axes` with keep_dims (MIL: empty
    // axes reduce every dim).
    Value* reduceKeep(const std::string& kind, Value* a, const std::vector<int64_t>& axes);
    // reduce_sum over `axes` with keep_dims; empty axes: `a` itself.
    Value* sumKeep(Value* a, const std::vector<int64_t>& axes) {
        return axes.empty() ? a : reduceKeep("reduce_sum", a, axes);
    }
    // mask ? a : 0 (mask is bool).
    Value* where(Value* mask, Value* a);

    [[noreturn]] void unsupported(const std::string& message) const;

    // Where splat() reports factors that make a gradient of the outputs' size (times the loss
    // scale) underflow fp16 (none when unset).
    void setRangeWarnings(std::vector<VjpRangeWarning>* warnings, double lossScale) {
        rangeWarnings_ = warnings;
        lossScale_ = lossScale;
    }

  private:
    InferContext attrView() const { return InferContext({}, attrs_, nullptr); }

    Builder& builder_;
    const Op& op_;
    std::vector<Value*> operands_;
    std::vector<Value*> results_;
    std::vector<Value*> cotangents_;
    std::vector<bool> wanted_;
    AttrMap attrs_; // the op's attributes with defaults
    std::vector<VjpRangeWarning>* rangeWarnings_ = nullptr;
    double lossScale_ = 1;
};

// Building blocks several families' VJPs share (conv, pooling, slicing).
// Inserts stride - 1 zeros after every element of v along `axis` (length * stride elements),
// by reshapes and a pad: no zero constant, no concat.
Value* dilateWithZeros(VjpContext& c, Value* v, int64_t axis, int64_t stride);
// Pads (positive amounts, with `value`) or crops (negative amounts) the last before.size() dims.
Value* padOrCrop(VjpContext& c, Value* v, const std::vector<int64_t>& before,
                 const std::vector<int64_t>& after, double value = 0);

} // namespace anec::ir
