#include "runtime/core/tensor.hpp"

#include "support/diagnostics.hpp"

namespace anec::runtime {

Tensor::Tensor(ir::TensorType type)
    : type_(std::move(type)), bytes_(static_cast<size_t>(type_.byteSize()), 0) {}

Tensor::Tensor(ir::TensorType type, std::vector<uint8_t> bytes)
    : type_(std::move(type)), bytes_(std::move(bytes)) {
    if (static_cast<int64_t>(bytes_.size()) != type_.byteSize())
        throw Error("a tensor of type " + type_.str() + " needs " +
                    std::to_string(type_.byteSize()) + " bytes, got " +
                    std::to_string(bytes_.size()));
}

} // namespace anec::runtime
