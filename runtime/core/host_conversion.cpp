#include "runtime/core/host_conversion.hpp"

#include <cstring>

#include "ir/packing.hpp"
#include "runtime/core/fp16_convert.hpp"
#include "runtime/core/wrapped_executable.hpp"
#include "support/diagnostics.hpp"

namespace anec::runtime {

namespace {
using Direction = ir::PackedIo::Direction;

// Copies of the bytes, since Tensor owns them and the source may be a view.
std::vector<uint16_t> halves(std::span<const uint8_t> bytes) {
    std::vector<uint16_t> values(bytes.size() / 2);
    std::memcpy(values.data(), bytes.data(), values.size() * 2);
    return values;
}

Tensor toHalf(const TensorView& view) {
    ir::TensorType type = view.type;
    type.dtype = ir::DType::Fp16;
    std::vector<float> values(static_cast<size_t>(type.numElements()));
    std::memcpy(values.data(), view.bytes.data(), values.size() * sizeof(float));
    Tensor tensor(type);
    floatToHalf(values.data(), reinterpret_cast<uint16_t*>(tensor.bytes().data()), values.size());
    return tensor;
}

Tensor toFloat(const Tensor& half) {
    ir::TensorType type = half.type();
    type.dtype = ir::DType::Fp32;
    std::vector<uint16_t> values = halves(half.bytes());
    Tensor tensor(type);
    halfToFloat(values.data(), reinterpret_cast<float*>(tensor.bytes().data()), values.size());
    return tensor;
}

class HostConversionExecutable : public WrappedExecutable {
  public:
    HostConversionExecutable(std::unique_ptr<Executable> program, const ir::Kernel& kernel)
        : WrappedExecutable(std::move(program), kernel.name, ioInfos(ir::interfaceInputs(kernel)),
                            ioInfos(ir::interfaceOutputs(kernel))),
          conversions_(kernel.hostConversions) {}

    std::map<std::string, Tensor> run(const std::map<std::string, TensorView>& inputs) override {
        checkInputs(kernelName_, this->inputs(), inputs);
        std::map<std::string, TensorView> bound;
        std::map<std::string, Tensor> converted;
        for (const auto& [name, view] : inputs) {
            if (!converts(Direction::Input, name)) {
                bound.emplace(name, view);
                continue;
            }
            const Tensor& half = converted.emplace(name, toHalf(view)).first->second;
            bound.emplace(name, TensorView{half.type(), half.bytes()});
        }
        std::map<std::string, Tensor> results = program_->run(bound);
        for (auto& [name, tensor] : results) {
            if (!converts(Direction::Output, name)) continue;
            if (tensor.type().dtype != ir::DType::Fp16)
                throw Error("kernel '" + kernelName_ + "' returned output '" + name + "' as " +
                            tensor.type().str() + ", expected fp16 to convert to fp32");
            tensor = toFloat(tensor);
        }
        return results;
    }

  private:
    bool converts(Direction direction, const std::string& name) const {
        for (const ir::HostConversion& conversion : conversions_)
            if (conversion.direction == direction && conversion.name == name) return true;
        return false;
    }

    std::vector<ir::HostConversion> conversions_;
};
} // namespace

std::unique_ptr<Executable> withHostConversion(std::unique_ptr<Executable> program,
                                               const ir::Kernel& kernel) {
    if (kernel.hostConversions.empty()) return program;
    return std::make_unique<HostConversionExecutable>(std::move(program), kernel);
}

} // namespace anec::runtime
