#pragma once
// Type shorthands shared by the IR tests.
#include "ir/types.hpp"

namespace anec::ir::test {

using List = std::vector<int64_t>;

inline TensorType f16(Shape shape) {
    return {DType::Fp16, std::move(shape)};
}
inline TensorType f32(Shape shape) {
    return {DType::Fp32, std::move(shape)};
}
inline TensorType i32(Shape shape) {
    return {DType::Int32, std::move(shape)};
}
inline TensorType boolean(Shape shape) {
    return {DType::Bool, std::move(shape)};
}

} // namespace anec::ir::test
