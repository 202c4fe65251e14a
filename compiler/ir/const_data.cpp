#include "ir/const_data.hpp"

#include <cstring>
#include <stdexcept>

#include "support/fp16.hpp"

namespace anec::ir {

ConstData::ConstData(TensorType type, std::vector<uint8_t> bytes)
    : type_(std::move(type)), bytes_(std::move(bytes)) {
    if (static_cast<int64_t>(bytes_.size()) != type_.byteSize())
        throw std::logic_error("ConstData: byte count does not match " + type_.str());
}

ConstData ConstData::fromDoubles(TensorType type, std::span<const double> values) {
    if (static_cast<int64_t>(values.size()) != type.numElements())
        throw std::logic_error("ConstData::fromDoubles: element count does not match " +
                               type.str());
    size_t size = dtypeSize(type.dtype);
    std::vector<uint8_t> bytes(values.size() * size);
    for (size_t i = 0; i < values.size(); ++i)
        storeElement(type.dtype, bytes.data() + i * size, values[i]);
    return ConstData(std::move(type), std::move(bytes));
}

ConstData ConstData::splat(TensorType type, double value) {
    std::vector<double> values(static_cast<size_t>(type.numElements()), value);
    return fromDoubles(std::move(type), values);
}

double ConstData::at(int64_t index) const {
    return loadElement(type_.dtype,
                       bytes_.data() + index * static_cast<int64_t>(dtypeSize(type_.dtype)));
}

std::vector<double> ConstData::toDoubles() const {
    std::vector<double> out(static_cast<size_t>(numElements()));
    for (int64_t i = 0; i < numElements(); ++i)
        out[static_cast<size_t>(i)] = at(i);
    return out;
}

std::vector<int64_t> ConstData::toInts() const {
    std::vector<int64_t> out(static_cast<size_t>(numElements()));
    for (int64_t i = 0; i < numElements(); ++i) {
        const uint8_t* p = bytes_.data() + i * static_cast<int64_t>(dtypeSize(type_.dtype));
        // 64-bit integers are read directly: a double would lose their low bits.
        int64_t value = 0;
        if (type_.dtype == DType::Int64 || type_.dtype == DType::UInt64)
            std::memcpy(&value, p, sizeof value);
        else
            value = static_cast<int64_t>(at(i));
        out[static_cast<size_t>(i)] = value;
    }
    return out;
}

bool ConstData::isSplat() const {
    size_t size = dtypeSize(type_.dtype);
    for (size_t i = size; i < bytes_.size(); i += size)
        if (std::memcmp(bytes_.data(), bytes_.data() + i, size) != 0) return false;
    return true;
}

} // namespace anec::ir
