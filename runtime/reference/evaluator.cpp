#include "runtime/reference/evaluator.hpp"

#include "ir/op_registry.hpp"
#include "support/diagnostics.hpp"
#include "support/fp16.hpp"

namespace anec::runtime::reference {

std::string describeOp(const ir::Op& op) {
    std::string text = "op '" + op.kind() + "'";
    if (op.loc.valid())
        text += " (line " + std::to_string(op.loc.line) + ":" + std::to_string(op.loc.column) + ")";
    return text;
}

void opError(const ir::Op& op, const std::string& message) {
    throw Error(describeOp(op) + ": " + message);
}

template <typename T>
OpContext<T>::OpContext(const ir::Op& op, std::vector<const Buffer*> constants)
    : op_(op), constants_(std::move(constants)), attrs_(op.attrs) {
    auto inferred = op.isConst() ? ir::inferOp(op.def(), {}, attrs_, op.constData.get())
                                 : ir::inferOp(op.def(), op.operands, attrs_);
    if (!inferred) error(inferred.error());
    if (inferred->size() != op.results.size()) error("the op has the wrong number of results");
    for (size_t i = 0; i < op.results.size(); ++i)
        if ((*inferred)[i] != op.results[i]->type)
            error("result " + std::to_string(i) + " has type " + op.results[i]->type.str() +
                  " but the operands give " + (*inferred)[i].str());
    constants_.resize(op.operands.size(), nullptr);
}

template <typename T> const ir::TensorType* OpContext<T>::operandType(size_t i) const {
    const ir::Value* operand = i < op_.operands.size() ? op_.operands[i] : nullptr;
    return operand ? &operand->type : nullptr;
}

template <typename T> const ir::Attribute& OpContext<T>::attr(const std::string& name) const {
    auto it = attrs_.find(name);
    if (it == attrs_.end()) error("missing attribute '" + name + "'");
    return it->second;
}

template <typename T> bool OpContext<T>::boolAttr(const std::string& name) const {
    return std::get<bool>(attr(name));
}

template <typename T> int64_t OpContext<T>::intAttr(const std::string& name) const {
    return std::get<int64_t>(attr(name));
}

template <typename T> const std::string& OpContext<T>::stringAttr(const std::string& name) const {
    return std::get<std::string>(attr(name));
}

template <typename T>
const std::vector<int64_t>& OpContext<T>::intListAttr(const std::string& name) const {
    return std::get<std::vector<int64_t>>(attr(name));
}

template <typename T> T OpContext<T>::floatAttr(const std::string& name) const {
    double value = std::get<double>(attr(name));
    if constexpr (kFaithful) {
        const ir::TensorType* first = operandType(0);
        if (first && first->dtype == ir::DType::Fp16) return anec::halfToFloat(doubleToHalf(value));
    }
    return static_cast<T>(value);
}

template class OpContext<float>;
template class OpContext<double>;

template <typename T> const EvaluatorTable<T>& evaluators() {
    static const EvaluatorTable<T> table = [] {
        EvaluatorTable<T> built;
        addConstEvaluators(built);
        addBinaryEvaluators(built);
        addUnaryEvaluators(built);
        addCastEvaluators(built);
        addLinearAlgebraEvaluators(built);
        addShapeEvaluators(built);
        addReductionEvaluators(built);
        addNormalizationEvaluators(built);
        addAttentionEvaluators(built);
        addGatherEvaluators(built);
        addTensorEvaluators(built);
        addQuantizationEvaluators(built);
        addPoolingEvaluators(built);
        return built;
    }();
    return table;
}

template const EvaluatorTable<float>& evaluators<float>();
template const EvaluatorTable<double>& evaluators<double>();

} // namespace anec::runtime::reference
