#pragma once
// MIL literal values -> constants: `int32(1)`, `fp16(0x1p-3)`, `tensor<int32, [4]>([0, 0, 0, 0])`,
// `string("valid")` (also `tensor<string, []>("valid")`), BLOBFILE references; and constants ->
// op attributes of a given AttrKind.
#include <memory>
#include <optional>
#include <string>

#include "ir/attributes.hpp"
#include "ir/const_data.hpp"
#include "ir/op_registry.hpp"
#include "mil/mil_ast.hpp"
#include "mil/mil_blobs.hpp"
#include "support/diagnostics.hpp"
#include "support/expected.hpp"

namespace anec::mil {

// A constant of a MIL program. Strings have no element storage in the IR, so they are kept as
// text (and can only become attributes).
struct Constant {
    ir::TensorType type;
    std::shared_ptr<const ir::ConstData> data; // null for a string
    std::string text;                          // the value of a string
    SourceLoc loc;

    bool isString() const { return type.dtype == ir::DType::String; }
};

class ValueReader {
  public:
    ValueReader(DiagnosticEngine& diagnostics, BlobFiles& blobs)
        : diagnostics_(diagnostics), blobs_(blobs) {}

    // The value of `value`, of the type written in front of it. Reports what is wrong (an
    // unsupported or dynamic type, a wrong element count, a value out of range for its type, a
    // bad BLOBFILE) and returns nullopt.
    std::optional<Constant> read(const syntax::TypedValue& value);

  private:
    std::optional<Constant> readBlob(const syntax::Literal& blob, const ir::TensorType& type);
    bool writeElement(const syntax::Literal& literal, ir::DType dtype, uint8_t* out);
    bool writeInteger(const syntax::Literal& literal, ir::DType dtype, uint8_t* out);
    bool writeFloat(const syntax::Literal& literal, ir::DType dtype, uint8_t* out);

    DiagnosticEngine& diagnostics_;
    BlobFiles& blobs_;
};

// What a constant must be to give an attribute of `kind`: "an int32 scalar", "a string", ...
std::string attributeKindDescription(ir::AttrKind kind);
// The attribute value of a constant, or a failure when it is not of that kind (the message is
// attributeKindDescription(kind)).
Expected<ir::Attribute> toAttribute(const Constant& constant, ir::AttrKind kind);

} // namespace anec::mil
