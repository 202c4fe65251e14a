#pragma once
// Values during execution: a tensor type and shared, uninitialised-on-creation storage. Float
// tensors (fp16 and fp32) are held in the compute type T (float, or double for Precision::Float64);
// int32, int8 and uint8 as int32_t (the 8-bit types widened, so that integer kernels need one
// element type) and bool as uint8_t (0 or 1). Views (reshape, identity, ...) share storage.
#include <cstdint>
#include <memory>
#include <span>
#include <variant>

#include "ir/types.hpp"

namespace anec::runtime::reference {

// A heap array that is not zero-filled on creation: every kernel writes all of its result.
template <typename E> class Array {
  public:
    explicit Array(size_t size) : data_(new E[size]), size_(size) {}
    E* data() { return data_.get(); }
    const E* data() const { return data_.get(); }
    size_t size() const { return size_; }

  private:
    std::unique_ptr<E[]> data_;
    size_t size_;
};

using Storage = std::variant<Array<float>, Array<double>, Array<int32_t>, Array<uint8_t>>;

struct Buffer {
    ir::TensorType type;
    std::shared_ptr<Storage> storage;

    size_t size() const { return static_cast<size_t>(type.numElements()); }
    template <typename E> const E* in() const { return std::get<Array<E>>(*storage).data(); }
    template <typename E> E* out() const { return std::get<Array<E>>(*storage).data(); }
    template <typename E> std::span<const E> view() const { return {in<E>(), size()}; }
};

template <typename E> Buffer allocate(ir::TensorType type) {
    size_t count = static_cast<size_t>(type.numElements());
    return {std::move(type), std::make_shared<Storage>(std::in_place_type<Array<E>>, count)};
}

// Names an element type in visitElement's callback.
template <typename E> struct Tag { using type = E; };

// Whether the reference backend holds values of this dtype.
inline bool isSupportedDType(ir::DType dtype) {
    return dtype == ir::DType::Fp16 || dtype == ir::DType::Fp32 || dtype == ir::DType::Int32 ||
           dtype == ir::DType::Int8 || dtype == ir::DType::UInt8 || dtype == ir::DType::Bool;
}

// Calls f(Tag<E>{}) with the storage element type of dtype (a supported dtype).
template <typename T, typename F> decltype(auto) visitElement(ir::DType dtype, F&& f) {
    switch (dtype) {
    case ir::DType::Int32:
    case ir::DType::Int8:
    case ir::DType::UInt8:
        return f(Tag<int32_t>{});
    case ir::DType::Bool:
        return f(Tag<uint8_t>{});
    default:
        return f(Tag<T>{});
    }
}

} // namespace anec::runtime::reference
