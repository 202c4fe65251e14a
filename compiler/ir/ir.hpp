#pragma once
// The typed SSA IR: a Module holds Kernels (one ANE program each); a Kernel holds its inputs, an
// ordered list of Ops and its named outputs; every Op result is a Value with a static TensorType.
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "ir/attributes.hpp"
#include "ir/const_data.hpp"
#include "ir/packing.hpp"
#include "ir/train_step.hpp"
#include "ir/types.hpp"
#include "support/diagnostics.hpp"

namespace anec::ir {

class Op;
struct OpDef;

class Value {
  public:
    Value(TensorType type, std::string name) : type(std::move(type)), name(std::move(name)) {}

    TensorType type;
    // A readable name hint (let-binding, input name); the emitter makes names unique.
    std::string name;
    // Null for kernel inputs.
    Op* definingOp = nullptr;
    unsigned resultIndex = 0;
    // Where a kernel input is declared (unset for MIL and generated inputs); an op's results
    // are located by definingOp->loc (declaredAt).
    SourceLoc loc;

    bool isKernelInput() const { return definingOp == nullptr; }
    SourceLoc declaredAt() const;
};

class Op {
  public:
    Op(const OpDef& def, SourceLoc loc) : loc(loc), def_(&def) {}

    const OpDef& def() const { return *def_; }
    const std::string& kind() const; // the op's registry (and MIL) name

    // Operands in the order of the OpDef's operand specs. An absent optional operand is nullptr;
    // a variadic operand (always the last spec) takes all remaining positions.
    std::vector<Value*> operands;
    std::vector<std::unique_ptr<Value>> results;
    AttrMap attrs;
    // Only for `const` ops: the value (shared so that copies of a program share weights).
    std::shared_ptr<const ConstData> constData;
    SourceLoc loc;
    // A readable name hint for the op (MIL `name = string(...)`); may be empty.
    std::string name;

    Value* result(size_t i = 0) const { return results.at(i).get(); }
    bool isConst() const;

    template <typename T> const T* attr(const std::string& key) const {
        auto it = attrs.find(key);
        return it == attrs.end() ? nullptr : std::get_if<T>(&it->second);
    }

  private:
    const OpDef* def_;
};

struct KernelOutput {
    std::string name;
    Value* value = nullptr;
    SourceLoc loc;
};

struct DynamicWeight {
    std::string name;                         // the kernel input carrying it
    std::shared_ptr<const ConstData> initial; // its initial value (type = the input's type)
};

class Kernel {
  public:
    std::string name;
    SourceLoc loc;
    // Inputs in declaration order; Value::name is the input's name.
    std::vector<std::unique_ptr<Value>> inputs;
    std::list<std::unique_ptr<Op>> ops; // in a valid execution order
    std::vector<KernelOutput> outputs;  // in declaration order
    // Inputs/outputs packed into one tensor each (pack-io pass); empty when nothing is packed.
    std::vector<PackedIo> packing;
    // Interface tensors converted fp32 <-> fp16 on the host (ane-legalize); usually empty.
    std::vector<HostConversion> hostConversions;
    // Kernel inputs that carry dynamic weights: weights given at run time, so that a training
    // loop updates them without recompiling. Each names a kernel input (an interface input) and
    // holds its initial value, which the runtime passes when the caller gives none.
    std::vector<DynamicWeight> dynamicWeights;
    // The ANE target the kernel was legalized for ("generic", "m1", ... "m5"); empty when
    // ane-legalize has not run.
    std::string legalizedFor;

    Value* addInput(std::string inputName, TensorType type);
    Op* append(std::unique_ptr<Op> op);
    std::list<std::unique_ptr<Op>>::iterator insert(std::list<std::unique_ptr<Op>>::iterator pos,
                                                    std::unique_ptr<Op> op);
    // Replaces every use of `from` (operands and outputs) with `to`.
    void replaceAllUses(Value* from, Value* to);
    // Number of operand and output uses of a value.
    size_t useCount(const Value* value) const;
    // The dynamic weight carried by input `inputName`, or nullptr.
    const DynamicWeight* findDynamicWeight(const std::string& inputName) const;
};

// Removes, in one backward sweep, the ops none of whose results is used by another op or an
// output (MIL ops have no side effects). Returns how many were removed.
size_t removeDeadOps(Kernel& kernel);

class Module {
  public:
    std::vector<std::unique_ptr<Kernel>> kernels;
    // `train` declarations: each a schedule over kernels of this module (ir/train_step.hpp).
    std::vector<TrainStep> trainSteps;
    Kernel* findKernel(const std::string& name) const;
    // Whether a training step dispatches the kernel (its inputs are a step's state, which
    // random values are not: tests that feed every kernel random inputs skip these).
    bool isStepProgram(const std::string& kernel) const;
};

} // namespace anec::ir
