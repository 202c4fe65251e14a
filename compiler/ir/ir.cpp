#include "ir/ir.hpp"

#include <cmath>
#include <sstream>
#include <unordered_map>

#include "ir/op_registry.hpp"

namespace anec::ir {

std::string attributeString(const Attribute& attr) {
    struct Printer {
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const {
            std::ostringstream out;
            out.precision(17);
            out << d;
            std::string s = out.str();
            if (std::isfinite(d) && s.find_first_of(".eE") == std::string::npos) s += ".0";
            return s;
        }
        std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
        std::string operator()(const std::vector<int64_t>& v) const {
            std::string s = "[";
            for (size_t i = 0; i < v.size(); ++i)
                s += (i ? ", " : "") + std::to_string(v[i]);
            return s + "]";
        }
    };
    return std::visit(Printer{}, attr);
}

const std::string& Op::kind() const {
    return def_->name;
}

bool Op::isConst() const {
    return def_->name == "const";
}

SourceLoc Value::declaredAt() const {
    return definingOp ? definingOp->loc : loc;
}

Value* Kernel::addInput(std::string inputName, TensorType type) {
    inputs.push_back(std::make_unique<Value>(std::move(type), std::move(inputName)));
    return inputs.back().get();
}

Op* Kernel::append(std::unique_ptr<Op> op) {
    ops.push_back(std::move(op));
    return ops.back().get();
}

std::list<std::unique_ptr<Op>>::iterator
Kernel::insert(std::list<std::unique_ptr<Op>>::iterator pos, std::unique_ptr<Op> op) {
    return ops.insert(pos, std::move(op));
}

void Kernel::replaceAllUses(Value* from, Value* to) {
    for (auto& op : ops)
        for (Value*& operand : op->operands)
            if (operand == from) operand = to;
    for (KernelOutput& output : outputs)
        if (output.value == from) output.value = to;
}

const DynamicWeight* Kernel::findDynamicWeight(const std::string& inputName) const {
    for (const DynamicWeight& weight : dynamicWeights)
        if (weight.name == inputName) return &weight;
    return nullptr;
}

size_t Kernel::useCount(const Value* value) const {
    size_t count = 0;
    for (const auto& op : ops)
        for (const Value* operand : op->operands)
            count += operand == value;
    for (const KernelOutput& output : outputs)
        count += output.value == value;
    return count;
}

bool Module::isStepProgram(const std::string& kernel) const {
    for (const TrainStep& step : trainSteps)
        for (const StepDispatch& dispatch : step.dispatches)
            if (dispatch.kernel == kernel) return true;
    return false;
}

Kernel* Module::findKernel(const std::string& kernelName) const {
    for (const auto& kernel : kernels)
        if (kernel->name == kernelName) return kernel.get();
    return nullptr;
}

size_t removeDeadOps(Kernel& kernel) {
    std::unordered_map<const Value*, size_t> uses;
    for (const auto& op : kernel.ops)
        for (const Value* operand : op->operands)
            ++uses[operand];
    for (const KernelOutput& output : kernel.outputs)
        ++uses[output.value];

    // Users come after their operands, so one backward sweep also removes chains of dead ops.
    size_t removed = 0;
    for (auto it = kernel.ops.end(); it != kernel.ops.begin();) {
        --it;
        bool used = false;
        for (const auto& result : (*it)->results)
            used = used || uses[result.get()] > 0;
        if (used) continue;
        for (const Value* operand : (*it)->operands)
            --uses[operand];
        it = kernel.ops.erase(it);
        ++removed;
    }
    return removed;
}

} // namespace anec::ir
