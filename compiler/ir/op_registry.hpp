#pragma once
// The one place where an op kind is defined: its (MIL) name, operands, attributes and shape
// inference. The builder, verifier, printer, MIL emitter and MIL parser are all driven by it, so
// adding an op means adding one OpDef (in ir/ops/*.cpp) plus its tests.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/attributes.hpp"
#include "ir/const_data.hpp"
#include "ir/types.hpp"
#include "support/expected.hpp"

namespace anec::ir {

enum class OperandArity { Required, Optional, Variadic };

struct OperandSpec {
    std::string name; // MIL parameter name (x, y, weight, values, ...)
    OperandArity arity = OperandArity::Required;
};

enum class AttrKind {
    Bool,     // MIL bool
    Int,      // MIL int32
    IntList,  // MIL tensor<int32, [n]>
    BoolList, // MIL tensor<bool, [n]>, stored as IntList of 0/1
    Float,    // MIL scalar of the first operand's float dtype (epsilon, alpha, ...)
    String,   // MIL string
};

struct AttrSpec {
    std::string name;
    AttrKind kind;
    // No default means the attribute is required, unless it is `optional`.
    std::optional<Attribute> defaultValue;
    // MIL's optional parameters without a default (quantize's axis): the attribute may be absent,
    // and is then neither filled in nor emitted.
    bool optional = false;
};

// What shape inference sees: operand types (nullptr for an absent optional operand), the
// attributes with defaults filled in, for `const` the value, and the values of the operands that
// are constants (range_1d's length depends on them; quantize needs a constant scale).
class InferContext {
  public:
    InferContext(std::vector<const TensorType*> operands, const AttrMap& attrs,
                 const ConstData* constData, std::vector<const ConstData*> operandValues = {})
        : operands_(std::move(operands)), attrs_(attrs), constData_(constData),
          operandValues_(std::move(operandValues)) {}

    size_t numOperands() const { return operands_.size(); }
    const TensorType* operand(size_t i) const {
        return i < operands_.size() ? operands_[i] : nullptr;
    }
    const std::vector<const TensorType*>& operands() const { return operands_; }
    const AttrMap& attrs() const { return attrs_; }
    const ConstData* constData() const { return constData_; }
    // The value of operand i when it is a constant, else nullptr.
    const ConstData* operandValue(size_t i) const {
        return i < operandValues_.size() ? operandValues_[i] : nullptr;
    }

    bool hasAttr(const std::string& name) const { return attrs_.count(name) != 0; }
    bool boolAttr(const std::string& name) const;
    int64_t intAttr(const std::string& name) const;
    double floatAttr(const std::string& name) const;
    const std::string& stringAttr(const std::string& name) const;
    const std::vector<int64_t>& intListAttr(const std::string& name) const;

  private:
    std::vector<const TensorType*> operands_;
    const AttrMap& attrs_;
    const ConstData* constData_;
    std::vector<const ConstData*> operandValues_;
};

using InferFn = std::function<Expected<std::vector<TensorType>>(const InferContext&)>;

class Value;
class VjpContext; // ir/vjp.hpp
// Reverse mode: the cotangents of the op's operands (one per operand; nullptr for zero or not
// wanted) from those of its results, built as ops of the backward kernel (ir/vjp.hpp).
using VjpFn = std::function<std::vector<Value*>(VjpContext&)>;

struct OpDef {
    std::string name; // IR and MIL name (conv, slice_by_size, ...)
    std::vector<OperandSpec> operands;
    std::vector<AttrSpec> attrs;
    // Result types, or a message saying what is wrong with the operands/attributes. The message
    // names the op's inputs in user terms (types via TensorType::str()).
    InferFn infer;
    std::string summary; // one line for docs and `anec --list-ops`
    // The first iOS opset that has the op (16: every opset anec emits); the emitter refuses it
    // in older opsets.
    int sinceIos = 16;
    // The gradient (compiler/autodiff). An op with a float result has a VJP, or is piecewise
    // constant (floor, sign: zero gradient almost everywhere; nothing flows back through it), or
    // says in `noGradient` why it has none; integer and bool results never carry a gradient.
    VjpFn vjp;
    bool zeroGradient = false;
    std::string noGradient;

    const AttrSpec* findAttr(const std::string& attrName) const;
    const OperandSpec* findOperand(const std::string& operandName) const;
};

class OpRegistry {
  public:
    // The registry with every built-in op.
    static const OpRegistry& builtin();

    void add(OpDef def);
    const OpDef* find(const std::string& name) const;
    const OpDef& get(const std::string& name) const; // throws std::logic_error if unknown
    const std::map<std::string, OpDef>& all() const { return defs_; }

  private:
    std::map<std::string, OpDef> defs_;
};

// Checks operand count (trailing optional operands may be omitted) and attribute kinds against
// the spec, fills attribute defaults, and runs shape inference. `operandValues` holds, per
// operand, its value when it is a constant (or is shorter: no constants known). Used by the
// builder, the verifier, constant folding and the reference backend.
Expected<std::vector<TensorType>> inferOp(const OpDef& def,
                                          const std::vector<const TensorType*>& operands,
                                          AttrMap& attrs, const ConstData* constData,
                                          const std::vector<const ConstData*>& operandValues = {});

// inferOp for an op on IR values: their types, and the values of those defined by `const` ops.
Expected<std::vector<TensorType>> inferOp(const OpDef& def, const std::vector<Value*>& operands,
                                          AttrMap& attrs);

// Registration functions, one per file in ir/ops/.
void registerConstOps(OpRegistry& registry);
void registerElementwiseOps(OpRegistry& registry);
void registerLinearAlgebraOps(OpRegistry& registry);
void registerShapeOps(OpRegistry& registry);
void registerReductionOps(OpRegistry& registry);
void registerNormalizationOps(OpRegistry& registry);
void registerAttentionOps(OpRegistry& registry);
void registerActivationOps(OpRegistry& registry);
void registerGatherOps(OpRegistry& registry);
void registerTensorOps(OpRegistry& registry);
void registerPoolingOps(OpRegistry& registry);
void registerQuantizationOps(OpRegistry& registry);

} // namespace anec::ir
