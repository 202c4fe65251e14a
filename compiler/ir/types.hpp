#pragma once
// Element types and statically shaped tensor types of the IR. A rank-0 tensor is a scalar.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anec::ir {

enum class DType : uint8_t {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Fp16,
    Fp32,
    Fp64,
    String,
};

// The MIL spelling ("fp16", "int32", ...), also used by the .ane language.
std::string_view dtypeName(DType dtype);
std::optional<DType> parseDType(std::string_view name);
// Bytes per element (1 for bool, 0 for string).
size_t dtypeSize(DType dtype);
bool isFloat(DType dtype);
bool isInteger(DType dtype);

// -1 marks a dimension unknown at compile time (only MIL input may contain it).
using Shape = std::vector<int64_t>;
constexpr int64_t kDynamicDim = -1;

std::string shapeString(const Shape& shape); // "[1,768,1,64]"

struct TensorType {
    DType dtype = DType::Fp16;
    Shape shape;

    size_t rank() const { return shape.size(); }
    bool isScalar() const { return shape.empty(); }
    bool isStatic() const;
    int64_t numElements() const;
    int64_t byteSize() const { return numElements() * static_cast<int64_t>(dtypeSize(dtype)); }
    bool operator==(const TensorType&) const = default;

    // .ane spelling: "fp16[1,768,1,64]", or "fp16" for a scalar.
    std::string str() const;
    // MIL spelling: "tensor<fp16, [1, 768, 1, 64]>", or "fp16" for a scalar.
    std::string milStr() const;
};

// numpy broadcasting of two shapes; nullopt when they are incompatible.
std::optional<Shape> broadcastShapes(const Shape& a, const Shape& b);

// One element of a tensor of `dtype` at `p` (little-endian), converted to double: exact for
// fp16/fp32 and for integers up to 2^53. Throws std::logic_error for strings.
double loadElement(DType dtype, const uint8_t* p);
// Stores `value` as one element of `dtype`: floats round to nearest even (fp16 via
// doubleToHalf), integers truncate like a C++ cast, bool is value != 0.
void storeElement(DType dtype, uint8_t* p, double value);

// Normalises a possibly negative axis for a tensor of the given rank; nullopt when out of range.
std::optional<size_t> normalizeAxis(int64_t axis, size_t rank);

} // namespace anec::ir
