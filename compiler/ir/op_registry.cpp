#include "ir/op_registry.hpp"

#include <stdexcept>

#include "ir/ir.hpp"

namespace anec::ir {

namespace {
template <typename T> const T& attrAs(const AttrMap& attrs, const std::string& name) {
    auto it = attrs.find(name);
    if (it == attrs.end()) throw std::logic_error("missing attribute '" + name + "'");
    const T* value = std::get_if<T>(&it->second);
    if (!value) throw std::logic_error("attribute '" + name + "' has the wrong kind");
    return *value;
}

bool attrMatchesKind(const Attribute& attr, AttrKind kind) {
    switch (kind) {
    case AttrKind::Bool:
        return std::holds_alternative<bool>(attr);
    case AttrKind::Int:
        return std::holds_alternative<int64_t>(attr);
    case AttrKind::IntList:
    case AttrKind::BoolList:
        return std::holds_alternative<std::vector<int64_t>>(attr);
    case AttrKind::Float:
        return std::holds_alternative<double>(attr);
    case AttrKind::String:
        return std::holds_alternative<std::string>(attr);
    }
    return false;
}
} // namespace

bool InferContext::boolAttr(const std::string& name) const {
    return attrAs<bool>(attrs_, name);
}
int64_t InferContext::intAttr(const std::string& name) const {
    return attrAs<int64_t>(attrs_, name);
}
double InferContext::floatAttr(const std::string& name) const {
    return attrAs<double>(attrs_, name);
}
const std::string& InferContext::stringAttr(const std::string& name) const {
    return attrAs<std::string>(attrs_, name);
}
const std::vector<int64_t>& InferContext::intListAttr(const std::string& name) const {
    return attrAs<std::vector<int64_t>>(attrs_, name);
}

const AttrSpec* OpDef::findAttr(const std::string& attrName) const {
    for (const AttrSpec& spec : attrs)
        if (spec.name == attrName) return &spec;
    return nullptr;
}

const OperandSpec* OpDef::findOperand(const std::string& operandName) const {
    for (const OperandSpec& spec : operands)
        if (spec.name == operandName) return &spec;
    return nullptr;
}

const OpRegistry& OpRegistry::builtin() {
    static const OpRegistry registry = [] {
        OpRegistry r;
        registerConstOps(r);
        registerElementwiseOps(r);
        registerLinearAlgebraOps(r);
        registerShapeOps(r);
        registerReductionOps(r);
        registerNormalizationOps(r);
        registerAttentionOps(r);
        registerActivationOps(r);
        registerGatherOps(r);
        registerTensorOps(r);
        registerPoolingOps(r);
        registerQuantizationOps(r);
        return r;
    }();
    return registry;
}

void OpRegistry::add(OpDef def) {
    std::string name = def.name;
    if (!defs_.emplace(name, std::move(def)).second)
        throw std::logic_error("op '" + name + "' registered twice");
}

const OpDef* OpRegistry::find(const std::string& name) const {
    auto it = defs_.find(name);
    return it == defs_.end() ? nullptr : &it->second;
}

const OpDef& OpRegistry::get(const std::string& name) const {
    const OpDef* def = find(name);
    if (!def) throw std::logic_error("unknown op '" + name + "'");
    return *def;
}

Expected<std::vector<TensorType>> inferOp(const OpDef& def,
                                          const std::vector<const TensorType*>& operands,
                                          AttrMap& attrs, const ConstData* constData,
                                          const std::vector<const ConstData*>& operandValues) {
    // Trailing optional operands may be omitted (conv(x, weight) without a bias); `required`
    // counts the operands up to the last required one.
    size_t fixed = 0, required = 0;
    bool variadic = false;
    for (const OperandSpec& spec : def.operands) {
        if (spec.arity == OperandArity::Variadic) {
            variadic = true;
            continue;
        }
        ++fixed;
        if (spec.arity == OperandArity::Required) required = fixed;
    }
    if (variadic ? operands.size() < fixed
                 : operands.size() < required || operands.size() > fixed) {
        std::string expected = variadic ? "at least " + std::to_string(fixed)
                               : required == fixed
                                   ? std::to_string(fixed)
                                   : std::to_string(required) + " to " + std::to_string(fixed);
        return fail(def.name + " expects " + expected + " operand(s), got " +
                    std::to_string(operands.size()));
    }
    for (size_t i = 0; i < operands.size(); ++i) {
        const OperandSpec& spec = def.operands[std::min(i, def.operands.size() - 1)];
        if (!operands[i] && spec.arity != OperandArity::Optional)
            return fail(def.name + ": missing operand '" + spec.name + "'");
    }
    for (const auto& [name, value] : attrs) {
        const AttrSpec* spec = def.findAttr(name);
        if (!spec) return fail(def.name + " has no attribute '" + name + "'");
        if (!attrMatchesKind(value, spec->kind))
            return fail(def.name + ": attribute '" + name + "' has the wrong kind");
    }
    for (const AttrSpec& spec : def.attrs) {
        if (attrs.count(spec.name) || (spec.optional && !spec.defaultValue)) continue;
        if (!spec.defaultValue) return fail(def.name + ": missing attribute '" + spec.name + "'");
        attrs.emplace(spec.name, *spec.defaultValue);
    }
    return def.infer(InferContext(operands, attrs, constData, operandValues));
}

Expected<std::vector<TensorType>> inferOp(const OpDef& def, const std::vector<Value*>& operands,
                                          AttrMap& attrs) {
    std::vector<const TensorType*> types;
    std::vector<const ConstData*> values;
    types.reserve(operands.size());
    values.reserve(operands.size());
    for (const Value* v : operands) {
        types.push_back(v ? &v->type : nullptr);
        const Op* producer = v ? v->definingOp : nullptr;
        values.push_back(producer && producer->isConst() ? producer->constData.get() : nullptr);
    }
    return inferOp(def, types, attrs, nullptr, values);
}

} // namespace anec::ir
