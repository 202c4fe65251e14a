#include "runtime/core/dynamic_weights.hpp"

#include <algorithm>

#include "runtime/core/wrapped_executable.hpp"
#include "support/diagnostics.hpp"

namespace anec::runtime {

void Executable::setDynamicWeight(const std::string& name, const TensorView&) {
    throw Error("kernel has no dynamic weight '" + name + "'");
}

namespace {
struct WeightSlot {
    IoInfo info;
    Tensor current;
};

// Its inputs are the program's: the dynamic weights stay inputs, which run() may omit.
class DynamicWeightExecutable : public WrappedExecutable {
  public:
    DynamicWeightExecutable(std::unique_ptr<Executable> program, const ir::Kernel& kernel)
        : WrappedExecutable(std::move(program), kernel.name) {
        for (const ir::DynamicWeight& weight : kernel.dynamicWeights) {
            if (!weight.initial)
                throw Error("kernel '" + kernelName_ + "': dynamic weight '" + weight.name +
                            "' has no initial value");
            const ir::ConstData& initial = *weight.initial;
            slots_.push_back(
                {{weight.name, initial.type()}, Tensor(initial.type(), initial.bytes())});
        }
    }

    std::vector<IoInfo> dynamicWeights() const override {
        std::vector<IoInfo> infos;
        for (const WeightSlot& slot : slots_)
            infos.push_back(slot.info);
        return infos;
    }

    std::map<std::string, Tensor> run(const std::map<std::string, TensorView>& inputs) override {
        std::map<std::string, TensorView> bound = inputs;
        for (const WeightSlot& slot : slots_)
            bound.try_emplace(slot.info.name,
                              TensorView{slot.current.type(), slot.current.bytes()});
        return program_->run(bound);
    }

    void setDynamicWeight(const std::string& name, const TensorView& value) override {
        WeightSlot& slot = find(name);
        const ir::TensorType& type = slot.info.type;
        if (value.type != type)
            throw Error("dynamic weight '" + name + "' of kernel '" + kernelName_ + "' is " +
                        type.str() + ", got a value of type " + value.type.str());
        if (static_cast<int64_t>(value.bytes.size()) != type.byteSize())
            throw Error("dynamic weight '" + name + "' (" + type.str() + ") needs " +
                        std::to_string(type.byteSize()) + " bytes, got " +
                        std::to_string(value.bytes.size()));
        slot.current = Tensor(type, std::vector<uint8_t>(value.bytes.begin(), value.bytes.end()));
    }

  private:
    WeightSlot& find(const std::string& name) {
        auto it = std::find_if(slots_.begin(), slots_.end(),
                               [&](const WeightSlot& slot) { return slot.info.name == name; });
        if (it != slots_.end()) return *it;
        std::string names;
        for (const WeightSlot& slot : slots_)
            names += (names.empty() ? "'" : ", '") + slot.info.name + "'";
        throw Error("kernel '" + kernelName_ + "' has no dynamic weight '" + name +
                    "' (its dynamic weights: " + names + ")");
    }

    std::vector<WeightSlot> slots_;
};
} // namespace

std::unique_ptr<Executable> withDynamicWeights(std::unique_ptr<Executable> program,
                                               const ir::Kernel& kernel) {
    if (kernel.dynamicWeights.empty()) return program;
    return std::make_unique<DynamicWeightExecutable>(std::move(program), kernel);
}

} // namespace anec::runtime
