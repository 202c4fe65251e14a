#include "runtime/reference/executable.hpp"

#include "runtime/core/fp16_convert.hpp"
#include "runtime/reference/io_convert.hpp"
#include "support/diagnostics.hpp"
#include "support/memory_limit.hpp"

namespace anec::runtime::reference {

namespace {
std::string describeValue(const ir::Value& value) {
    std::string text = value.type.str();
    if (!value.name.empty()) text = "'" + value.name + "' " + text;
    return text;
}

// Host bytes of a value: every element is held as T (or a narrower integer).
template <typename T> uint64_t hostBytes(const ir::Value& value) {
    return static_cast<uint64_t>(value.type.numElements()) * sizeof(T);
}

// Checked before anything is allocated: the dtype, a static shape and the memory limit.
template <typename T> void checkValue(const ir::Value& value, const std::string& where) {
    if (!isSupportedDType(value.type.dtype))
        throw Error("the reference backend cannot hold " +
                    std::string(dtypeName(value.type.dtype)) + " values (" + describeValue(value) +
                    ", " + where + "); it supports fp16, fp32, int32, int8, uint8 and bool");
    if (!value.type.isStatic())
        throw Error("the reference backend needs static shapes, got " + describeValue(value) +
                    " (" + where + ")");
    checkAffordable(describeValue(value) + " (" + where + ")", hostBytes<T>(value),
                    value.declaredAt());
}
} // namespace

template <typename T>
ReferenceExecutable<T>::ReferenceExecutable(std::shared_ptr<const ir::Module> module,
                                            const ir::Kernel& kernel)
    : module_(std::move(module)), kernelName_(kernel.name) {
    for (const auto& input : kernel.inputs) {
        checkValue<T>(*input, "input of kernel '" + kernel.name + "'");
        inputs_.push_back({input->name, input->type});
        inputSlots_.push_back(static_cast<int>(slots_.size()));
        slots_[input.get()] = inputSlots_.back();
    }
    prepareSteps(kernel);
    for (const ir::KernelOutput& output : kernel.outputs) {
        auto it = slots_.find(output.value);
        if (!output.value || it == slots_.end())
            throw Error("output '" + output.name + "' of kernel '" + kernel.name +
                        "' is not computed by the kernel");
        outputs_.push_back({output.name, output.value->type});
        outputSlots_.push_back(it->second);
    }
    planReleases();
    checkPeakMemory(kernel);
}

// The values alive at once, as runBuffers allocates and releases them, must fit the limit too.
template <typename T> void ReferenceExecutable<T>::checkPeakMemory(const ir::Kernel& kernel) const {
    std::vector<uint64_t> slotBytes(slots_.size(), 0);
    for (const auto& [value, slot] : slots_)
        slotBytes[static_cast<size_t>(slot)] = hostBytes<T>(*value);
    MemoryBudget live("the values kernel '" + kernel.name + "' holds at that point");
    for (int slot : inputSlots_)
        live.charge("an input", slotBytes[static_cast<size_t>(slot)]);
    for (const Step& step : steps_) {
        for (size_t i = 0; i < step.resultSlots.size(); ++i)
            live.charge(describeValue(*step.op->results[i]) + " (" + describeOp(*step.op) + ")",
                        slotBytes[static_cast<size_t>(step.resultSlots[i])], step.op->loc);
        for (int slot : step.releasedSlots)
            live.release(slotBytes[static_cast<size_t>(slot)]);
    }
}

template <typename T>
int ReferenceExecutable<T>::slotOf(const ir::Value* value, const ir::Op& user) const {
    auto it = slots_.find(value);
    if (it == slots_.end())
        opError(user, "uses a value that is not defined before it (" + describeValue(*value) + ")");
    return it->second;
}

template <typename T> void ReferenceExecutable<T>::prepareSteps(const ir::Kernel& kernel) {
    const EvaluatorTable<T>& table = evaluators<T>();
    for (const auto& op : kernel.ops) {
        auto evaluator = table.find(op->kind());
        if (evaluator == table.end())
            throw Error("the reference backend has no evaluator for " + describeOp(*op));
        Step step;
        step.op = op.get();
        std::vector<const Buffer*> constants;
        for (const ir::Value* operand : op->operands) {
            int slot = operand ? slotOf(operand, *op) : -1;
            step.operandSlots.push_back(slot);
            bool known = slot >= 0 && static_cast<size_t>(slot) < constants_.size() &&
                         constants_[static_cast<size_t>(slot)].storage;
            constants.push_back(known ? &constants_[static_cast<size_t>(slot)] : nullptr);
        }
        for (const auto& result : op->results)
            checkValue<T>(*result, describeOp(*op));
        OpContext<T> context(*op, std::move(constants));
        step.kernel = evaluator->second.prepare(context);
        step.roundsResults = OpContext<T>::kFaithful && !evaluator->second.movesData;
        for (const auto& result : op->results) {
            step.resultSlots.push_back(static_cast<int>(slots_.size()));
            slots_[result.get()] = step.resultSlots.back();
        }
        if (op->isConst()) { // computed once, now: consumers may precompute from it
            std::vector<Buffer> slots(slots_.size());
            runStep(step, slots);
            constants_.resize(slots_.size());
            constants_[static_cast<size_t>(step.resultSlots[0])] = slots[step.resultSlots[0]];
        }
        steps_.push_back(std::move(step));
    }
}

// Frees each value after its last use so that long kernels do not hold every intermediate.
template <typename T> void ReferenceExecutable<T>::planReleases() {
    std::vector<int> lastUse(slots_.size(), -1);
    for (size_t s = 0; s < steps_.size(); ++s)
        for (int slot : steps_[s].operandSlots)
            if (slot >= 0) lastUse[static_cast<size_t>(slot)] = static_cast<int>(s);
    for (int slot : outputSlots_)
        lastUse[static_cast<size_t>(slot)] = static_cast<int>(steps_.size()); // never released
    for (size_t slot = 0; slot < lastUse.size(); ++slot)
        if (lastUse[slot] >= 0 && lastUse[slot] < static_cast<int>(steps_.size()))
            steps_[static_cast<size_t>(lastUse[slot])].releasedSlots.push_back(
                static_cast<int>(slot));
}

template <typename T>
void ReferenceExecutable<T>::runStep(const Step& step, std::vector<Buffer>& slots) const {
    Operands operands;
    for (int slot : step.operandSlots)
        operands.push_back(slot >= 0 ? &slots[static_cast<size_t>(slot)] : nullptr);
    Results results;
    for (const auto& result : step.op->results)
        results.push_back({result->type, nullptr});
    step.kernel(operands, results);
    for (size_t i = 0; i < results.size(); ++i) {
        Buffer& result = results[i];
        if constexpr (std::is_same_v<T, float>) {
            if (step.roundsResults && result.type.dtype == ir::DType::Fp16)
                runtime::roundToHalf(result.out<float>(), result.size());
        }
        slots[static_cast<size_t>(step.resultSlots[i])] = std::move(result);
    }
}

template <typename T>
std::map<std::string, Tensor>
ReferenceExecutable<T>::run(const std::map<std::string, TensorView>& inputs) {
    checkInputs(kernelName_, inputs_, inputs);
    std::vector<Buffer> values;
    for (const IoInfo& input : inputs_) {
        const TensorView& view = inputs.at(input.name);
        values.push_back(importBytes<T>(view.type, view.bytes));
    }
    std::vector<Buffer> results = runBuffers(std::move(values));
    std::map<std::string, Tensor> outputs;
    for (size_t i = 0; i < outputs_.size(); ++i)
        outputs[outputs_[i].name] = exportBuffer<T>(results[i]);
    return outputs;
}

template <typename T>
std::vector<Buffer> ReferenceExecutable<T>::runBuffers(std::vector<Buffer> inputs) const {
    std::vector<Buffer> slots(slots_.size());
    for (size_t i = 0; i < inputs_.size(); ++i)
        slots[static_cast<size_t>(inputSlots_[i])] = std::move(inputs.at(i));
    for (const Step& step : steps_) {
        runStep(step, slots);
        for (int slot : step.releasedSlots)
            slots[static_cast<size_t>(slot)] = Buffer{};
    }
    std::vector<Buffer> outputs;
    for (size_t i = 0; i < outputs_.size(); ++i)
        outputs.push_back(slots[static_cast<size_t>(outputSlots_[i])]);
    return outputs;
}

template class ReferenceExecutable<float>;
template class ReferenceExecutable<double>;

} // namespace anec::runtime::reference
