#pragma once
// How the reference backend executes one op: an Evaluator, looked up by op kind, inspects the op
// once at prepare time (attributes, shapes, constant operands) and returns a Kernel that computes
// the results from the operand buffers at run time. Evaluators are templated on the compute type
// T: float for Precision::Fp16Faithful, double for Precision::Float64.
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "ir/ir.hpp"
#include "runtime/reference/buffer.hpp"

namespace anec::runtime::reference {

using Operands = std::vector<const Buffer*>; // nullptr for an absent optional operand
using Results = std::vector<Buffer>;         // types preset; the kernel sets the storage
using Kernel = std::function<void(const Operands&, Results&)>;

// "op 'conv' (line 3:5)" (the location only when the op has one): how messages name an op.
std::string describeOp(const ir::Op& op);
// Throws anec::Error "<describeOp>: <message>".
[[noreturn]] void opError(const ir::Op& op, const std::string& message);

template <typename T> class OpContext {
  public:
    // Fp16Faithful rounds fp16 results and fp16 attributes; Float64 rounds nothing.
    static constexpr bool kFaithful = std::is_same_v<T, float>;

    // Re-runs shape inference on the op (fills attribute defaults, re-checks every attribute)
    // and throws anec::Error when it fails or disagrees with the op's result types.
    // `constants` holds, per operand, its value when it is a constant (else nullptr).
    OpContext(const ir::Op& op, std::vector<const Buffer*> constants);

    const ir::Op& op() const { return op_; }
    size_t numOperands() const { return op_.operands.size(); }
    // nullptr for an absent optional operand.
    const ir::TensorType* operandType(size_t i) const;
    const ir::TensorType& resultType(size_t i = 0) const { return op_.result(i)->type; }
    // The value of operand i when it is a constant known at prepare time, else nullptr.
    const Buffer* constant(size_t i) const { return constants_.at(i); }

    bool hasAttr(const std::string& name) const { return attrs_.count(name) != 0; }
    bool boolAttr(const std::string& name) const;
    int64_t intAttr(const std::string& name) const;
    const std::string& stringAttr(const std::string& name) const;
    const std::vector<int64_t>& intListAttr(const std::string& name) const;
    // A float attribute as the emitted program holds it: MIL writes it in the dtype of the first
    // operand, so the fp16-faithful model rounds it to fp16 for fp16 ops (1e-12 becomes 0).
    T floatAttr(const std::string& name) const;
    const ir::AttrMap& attrs() const { return attrs_; }

    [[noreturn]] void error(const std::string& message) const { opError(op_, message); }

  private:
    const ir::Attribute& attr(const std::string& name) const;

    const ir::Op& op_;
    std::vector<const Buffer*> constants_;
    ir::AttrMap attrs_;
};

template <typename T> struct Evaluator {
    // Throws anec::Error (via OpContext::error) when the op cannot run.
    std::function<Kernel(const OpContext<T>&)> prepare;
    // The results only select or move operand elements (reshape, slice, ...): no fp16 rounding
    // is needed, and the kernel may share operand storage. Other kernels allocate their results.
    bool movesData = false;
};

template <typename T> using EvaluatorTable = std::map<std::string, Evaluator<T>>;

// The table of every op the reference backend runs, for compute type T (float or double).
template <typename T> const EvaluatorTable<T>& evaluators();

// One registration function per op family (eval_*.cpp).
template <typename T> void addConstEvaluators(EvaluatorTable<T>& table);
template <typename T> void addBinaryEvaluators(EvaluatorTable<T>& table);
template <typename T> void addUnaryEvaluators(EvaluatorTable<T>& table);
template <typename T> void addCastEvaluators(EvaluatorTable<T>& table);
template <typename T> void addLinearAlgebraEvaluators(EvaluatorTable<T>& table);
template <typename T> void addShapeEvaluators(EvaluatorTable<T>& table);
template <typename T> void addReductionEvaluators(EvaluatorTable<T>& table);
template <typename T> void addNormalizationEvaluators(EvaluatorTable<T>& table);
template <typename T> void addAttentionEvaluators(EvaluatorTable<T>& table);
template <typename T> void addGatherEvaluators(EvaluatorTable<T>& table);
template <typename T> void addTensorEvaluators(EvaluatorTable<T>& table);
template <typename T> void addQuantizationEvaluators(EvaluatorTable<T>& table);
template <typename T> void addPoolingEvaluators(EvaluatorTable<T>& table);

// Instantiates a family registration function for both compute types.
#define ANEC_INSTANTIATE_EVALUATORS(fn)                                                            \
    template void fn<float>(EvaluatorTable<float>&);                                               \
    template void fn<double>(EvaluatorTable<double>&)

} // namespace anec::runtime::reference
