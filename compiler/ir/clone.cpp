#include "ir/clone.hpp"

namespace anec::ir {

Expected<size_t> cloneOpsInto(const Kernel& source, Kernel& target, ValueMap& mapping) {
    size_t copied = 0;
    for (const auto& op : source.ops) {
        auto copy = std::make_unique<Op>(op->def(), op->loc);
        copy->attrs = op->attrs;
        copy->constData = op->constData;
        copy->name = op->name;
        for (const Value* operand : op->operands) {
            if (operand == nullptr) { // an absent optional operand
                copy->operands.push_back(nullptr);
                continue;
            }
            auto mapped = mapping.find(operand);
            if (mapped == mapping.end())
                return fail("cannot copy kernel '" + source.name + "': operand '" + operand->name +
                            "' of '" + op->kind() + "' has no copy");
            copy->operands.push_back(mapped->second);
        }
        for (const auto& result : op->results) {
            auto value = std::make_unique<Value>(result->type, result->name);
            value->definingOp = copy.get();
            value->resultIndex = result->resultIndex;
            mapping[result.get()] = value.get();
            copy->results.push_back(std::move(value));
        }
        target.append(std::move(copy));
        ++copied;
    }
    return copied;
}

Expected<std::unique_ptr<Kernel>> cloneKernel(const Kernel& kernel) {
    auto copy = std::make_unique<Kernel>();
    copy->name = kernel.name;
    copy->loc = kernel.loc;
    ValueMap mapping;
    for (const auto& input : kernel.inputs) {
        Value* copied = copy->addInput(input->name, input->type);
        copied->loc = input->loc;
        mapping[input.get()] = copied;
    }
    auto copied = cloneOpsInto(kernel, *copy, mapping);
    if (!copied) return fail(copied.error());
    for (const KernelOutput& output : kernel.outputs) {
        auto mapped = mapping.find(output.value);
        if (mapped == mapping.end())
            return fail("cannot copy kernel '" + kernel.name + "': output '" + output.name +
                        "' has no value");
        copy->outputs.push_back(KernelOutput{output.name, mapped->second, output.loc});
    }
    copy->packing = kernel.packing; // names and offsets only, no values
    copy->hostConversions = kernel.hostConversions;
    copy->dynamicWeights = kernel.dynamicWeights;
    copy->legalizedFor = kernel.legalizedFor;
    return copy;
}

} // namespace anec::ir
