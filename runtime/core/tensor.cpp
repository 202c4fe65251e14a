#include "runtime/core/tensor.hpp"

#include "support/diagnostics.hpp"
#include "support/memory_limit.hpp"

namespace anec::runtime {

namespace {
// The last check before any runtime tensor is allocated; callers that know the tensor's name
// and declaration check it first (support/memory_limit.hpp).
const ir::TensorType& affordable(const ir::TensorType& type) {
    checkAffordable("a tensor " + type.str(), static_cast<uint64_t>(type.byteSize()));
    return type;
}
} // namespace

Tensor::Tensor(ir::TensorType type)
    : type_(affordable(type)), bytes_(static_cast<size_t>(type_.byteSize()), 0) {}

Tensor::Tensor(ir::TensorType type, std::vector<uint8_t> bytes)
    : type_(std::move(type)), bytes_(std::move(bytes)) {
    if (static_cast<int64_t>(bytes_.size()) != type_.byteSize())
        throw Error("a tensor of type " + type_.str() + " needs " +
                    std::to_string(type_.byteSize()) + " bytes, got " +
                    std::to_string(bytes_.size()));
}

} // namespace anec::runtime
