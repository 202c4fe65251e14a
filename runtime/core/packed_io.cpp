#include "runtime/core/packed_io.hpp"

#include <algorithm>
#include <cstring>

#include "ir/packing.hpp"
#include "runtime/core/wrapped_executable.hpp"
#include "support/diagnostics.hpp"

namespace anec::runtime {

namespace {
// Members are [1, C, H, W] with batch 1: a member's bytes are one contiguous run of the packed
// tensor's bytes, starting at its channel offset.
size_t byteOffset(const ir::PackedMember& member) {
    const ir::Shape& shape = member.type.shape;
    return static_cast<size_t>(member.channelOffset * shape[2] * shape[3]) *
           ir::dtypeSize(member.type.dtype);
}

class PackedIoExecutable : public WrappedExecutable {
  public:
    PackedIoExecutable(std::unique_ptr<Executable> program, const ir::Kernel& kernel)
        // The program's types: host conversion (fp32 callers) is the layer outside this one.
        : WrappedExecutable(std::move(program), kernel.name,
                            ioInfos(ir::programInterfaceInputs(kernel)),
                            ioInfos(ir::programInterfaceOutputs(kernel))),
          packing_(kernel.packing) {}

    std::map<std::string, Tensor> run(const std::map<std::string, TensorView>& inputs) override {
        checkInputs(kernelName_, this->inputs(), inputs);
        std::map<std::string, TensorView> bound;
        std::vector<Tensor> packedInputs;
        packedInputs.reserve(packing_.size());
        for (const IoInfo& input : program_->inputs()) {
            const ir::PackedIo* packed = find(ir::PackedIo::Direction::Input, input.name);
            if (!packed) {
                bound.emplace(input.name, inputs.at(input.name));
                continue;
            }
            Tensor& tensor = packedInputs.emplace_back(input.type);
            for (const ir::PackedMember& member : packed->members) {
                std::span<const uint8_t> bytes = inputs.at(member.name).bytes;
                std::memcpy(tensor.bytes().data() + byteOffset(member), bytes.data(), bytes.size());
            }
            bound.emplace(input.name, TensorView{tensor.type(), tensor.bytes()});
        }
        std::map<std::string, Tensor> results = program_->run(bound);
        for (const ir::PackedIo& packed : packing_) {
            if (packed.direction != ir::PackedIo::Direction::Output) continue;
            auto it = results.find(packed.name);
            if (it == results.end())
                throw Error("kernel '" + kernelName_ + "' returned no packed output '" +
                            packed.name + "'");
            const Tensor whole = std::move(it->second);
            results.erase(it);
            for (const ir::PackedMember& member : packed.members) {
                auto begin = whole.bytes().begin() + static_cast<ptrdiff_t>(byteOffset(member));
                std::vector<uint8_t> bytes(begin, begin + member.type.byteSize());
                results[member.name] = Tensor(member.type, std::move(bytes));
            }
        }
        return results;
    }

  private:
    const ir::PackedIo* find(ir::PackedIo::Direction direction, const std::string& name) const {
        for (const ir::PackedIo& packed : packing_)
            if (packed.direction == direction && packed.name == name) return &packed;
        return nullptr;
    }

    std::vector<ir::PackedIo> packing_;
};
} // namespace

std::unique_ptr<Executable> withPackedIo(std::unique_ptr<Executable> program,
                                         const ir::Kernel& kernel) {
    if (kernel.packing.empty()) return program;
    return std::make_unique<PackedIoExecutable>(std::move(program), kernel);
}

} // namespace anec::runtime
