#include "mil/mil_values.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "support/checked_math.hpp"
#include "support/fp16.hpp"

namespace anec::mil {

namespace {
using syntax::Literal;

std::string describeLiteral(const Literal& literal) {
    switch (literal.kind) {
    case Literal::Kind::Number:
        return literal.text;
    case Literal::Kind::String:
        return "a string";
    case Literal::Kind::Bool:
        return literal.boolean ? "true" : "false";
    case Literal::Kind::List:
        return "a list";
    case Literal::Kind::Braces:
        return "'{...}'";
    case Literal::Kind::Tuple:
        return "a tuple";
    case Literal::Kind::BlobFile:
        return "BLOBFILE";
    case Literal::Kind::Typed:
        return "a typed value";
    }
    return "a value";
}

// Nested lists are read in row-major order, like the flat lists MIL writers print.
void flatten(const Literal& literal, std::vector<const Literal*>& elements) {
    if (literal.kind != Literal::Kind::List) {
        elements.push_back(&literal);
        return;
    }
    for (const Literal& item : literal.items)
        flatten(item, elements);
}

void storeLittleEndian(uint8_t* out, uint64_t bits, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i)
        out[i] = static_cast<uint8_t>(bits >> (8 * i));
}

bool isUnsigned(ir::DType dtype) {
    return dtype == ir::DType::UInt8 || dtype == ir::DType::UInt16 || dtype == ir::DType::UInt32 ||
           dtype == ir::DType::UInt64;
}

std::string_view withoutSign(const Literal& literal) {
    std::string_view text = literal.text;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
    return text;
}
} // namespace

std::optional<Constant> ValueReader::read(const syntax::TypedValue& value) {
    const syntax::Type& written = value.type;
    if (!written.tensor) {
        diagnostics_.error(written.loc, written.unsupported);
        return std::nullopt;
    }
    const ir::TensorType& type = *written.tensor;
    if (!type.isStatic()) {
        diagnostics_.error(written.loc, "dynamic shapes are not supported: a constant of type " +
                                            written.spelling + " needs a static shape");
        return std::nullopt;
    }
    auto count = checkedProduct(type.shape);
    if (!count) {
        diagnostics_.error(written.loc, "type " + written.spelling + " has too many elements");
        return std::nullopt;
    }
    if (!value.value) {
        diagnostics_.error(value.loc, "a value of type " + written.spelling + " is missing");
        return std::nullopt;
    }
    const Literal& literal = *value.value;
    if (literal.kind == Literal::Kind::BlobFile) return readBlob(literal, type);

    if (type.dtype == ir::DType::String) {
        if (!type.isScalar()) {
            diagnostics_.error(written.loc,
                               "string tensors such as " + written.spelling + " are not supported");
            return std::nullopt;
        }
        if (literal.kind != Literal::Kind::String) {
            diagnostics_.error(literal.loc, "a string value must be a string literal such as "
                                            "\"text\", got " +
                                                describeLiteral(literal));
            return std::nullopt;
        }
        return Constant{type, nullptr, literal.text, value.loc};
    }

    std::vector<const Literal*> elements;
    if (type.isScalar()) {
        if (literal.kind == Literal::Kind::List) {
            diagnostics_.error(literal.loc,
                               "a scalar " + written.spelling + " needs one value, not a list");
            return std::nullopt;
        }
        elements.push_back(&literal);
    } else {
        if (literal.kind != Literal::Kind::List) {
            diagnostics_.error(literal.loc, written.spelling +
                                                " needs a list of values [...], got " +
                                                describeLiteral(literal));
            return std::nullopt;
        }
        flatten(literal, elements);
    }
    if (static_cast<int64_t>(elements.size()) != *count) {
        diagnostics_.error(literal.loc, written.spelling + " needs " + std::to_string(*count) +
                                            " value" + (*count == 1 ? "" : "s") + ", got " +
                                            std::to_string(elements.size()));
        return std::nullopt;
    }
    size_t size = ir::dtypeSize(type.dtype);
    std::vector<uint8_t> bytes(elements.size() * size);
    for (size_t i = 0; i < elements.size(); ++i)
        if (!writeElement(*elements[i], type.dtype, bytes.data() + i * size)) return std::nullopt;
    return Constant{type, std::make_shared<ir::ConstData>(type, std::move(bytes)), "", value.loc};
}

std::optional<Constant> ValueReader::readBlob(const Literal& blob, const ir::TensorType& type) {
    std::optional<Constant> path, offset;
    bool ok = true;
    for (size_t i = 0; i < blob.blobArgs.size(); ++i) {
        const auto& [name, value] = blob.blobArgs[i];
        SourceLoc at = blob.blobArgLocs[i];
        std::optional<Constant>* slot = name == "path"     ? &path
                                        : name == "offset" ? &offset
                                                           : nullptr;
        if (slot == nullptr) {
            diagnostics_.error(at, "BLOBFILE has no argument '" + name +
                                       "' (it takes path and "
                                       "offset)");
            ok = false;
            continue;
        }
        if (*slot) {
            diagnostics_.error(at, "BLOBFILE argument '" + name + "' is given twice");
            ok = false;
            continue;
        }
        *slot = read(*value);
        ok = ok && slot->has_value();
    }
    if (!ok) return std::nullopt;
    if (!path || !offset) {
        diagnostics_.error(blob.loc, std::string("BLOBFILE needs a ") + (path ? "" : "path") +
                                         (!path && !offset ? " and an " : "") +
                                         (offset ? "" : "offset"));
        return std::nullopt;
    }
    if (!path->isString() || !path->type.isScalar()) {
        diagnostics_.error(path->loc,
                           "the BLOBFILE path must be a string, got " + path->type.milStr());
        return std::nullopt;
    }
    if (!ir::isInteger(offset->type.dtype) || !offset->type.isScalar()) {
        diagnostics_.error(offset->loc, "the BLOBFILE offset must be an integer such as "
                                        "uint64(64), got " +
                                            offset->type.milStr());
        return std::nullopt;
    }
    uint64_t metadataOffset = 0;
    if (offset->type.dtype == ir::DType::UInt64) {
        std::memcpy(&metadataOffset, offset->data->bytes().data(), sizeof metadataOffset);
    } else {
        int64_t signedOffset = offset->data->toInts()[0];
        if (signedOffset < 0) {
            diagnostics_.error(offset->loc, "the BLOBFILE offset must not be negative");
            return std::nullopt;
        }
        metadataOffset = static_cast<uint64_t>(signedOffset);
    }
    auto data = blobs_.load(path->text, metadataOffset, type, blob.loc);
    if (!data) return std::nullopt;
    return Constant{type, std::move(data), "", blob.loc};
}

bool ValueReader::writeElement(const Literal& literal, ir::DType dtype, uint8_t* out) {
    std::string typeName(ir::dtypeName(dtype));
    if (dtype == ir::DType::Bool) {
        if (literal.kind != Literal::Kind::Bool) {
            diagnostics_.error(literal.loc, "a bool value must be true or false, got " +
                                                describeLiteral(literal));
            return false;
        }
        out[0] = literal.boolean ? 1 : 0;
        return true;
    }
    if (literal.kind != Literal::Kind::Number) {
        diagnostics_.error(literal.loc, "expected a number for " + typeName + ", got " +
                                            describeLiteral(literal));
        return false;
    }
    return ir::isFloat(dtype) ? writeFloat(literal, dtype, out) : writeInteger(literal, dtype, out);
}

bool ValueReader::writeInteger(const Literal& literal, ir::DType dtype, uint8_t* out) {
    std::string typeName(ir::dtypeName(dtype));
    std::string_view digits = withoutSign(literal);
    int base = 10;
    bool integral = literal.numberKind == Literal::NumberKind::Decimal;
    if (literal.numberKind == Literal::NumberKind::Hex) {
        digits.remove_prefix(2); // 0x
        integral = digits.find_first_of(".pP") == std::string_view::npos;
        base = 16;
    }
    if (!integral) {
        diagnostics_.error(literal.loc,
                           "an " + typeName + " value must be an integer, got " + literal.text);
        return false;
    }
    uint64_t magnitude = 0;
    auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
    if (error != std::errc() || end != digits.data() + digits.size()) {
        diagnostics_.error(literal.loc, "integer " + literal.text + " is too large");
        return false;
    }
    const unsigned bits = static_cast<unsigned>(ir::dtypeSize(dtype) * 8);
    uint64_t limit = 0;
    if (isUnsigned(dtype))
        limit = literal.negative ? 0
                : bits == 64     ? std::numeric_limits<uint64_t>::max()
                                 : (uint64_t{1} << bits) - 1;
    else
        limit = (uint64_t{1} << (bits - 1)) - (literal.negative ? 0 : 1);
    if (magnitude > limit) {
        diagnostics_.error(literal.loc,
                           "value " + literal.text + " is out of range for " + typeName);
        return false;
    }
    uint64_t twosComplement = literal.negative ? ~magnitude + 1 : magnitude;
    storeLittleEndian(out, twosComplement, ir::dtypeSize(dtype));
    return true;
}

bool ValueReader::writeFloat(const Literal& literal, ir::DType dtype, uint8_t* out) {
    std::string typeName(ir::dtypeName(dtype));
    std::string_view text = withoutSign(literal);
    double value = 0;
    switch (literal.numberKind) {
    case Literal::NumberKind::Inf:
        value = std::numeric_limits<double>::infinity();
        break;
    case Literal::NumberKind::NaN:
        value = std::numeric_limits<double>::quiet_NaN();
        break;
    default: {
        bool hex = literal.numberKind == Literal::NumberKind::Hex;
        std::string_view digits = hex ? text.substr(2) : text;
        auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), value,
                            hex ? std::chars_format::hex : std::chars_format::general);
        if (error == std::errc::result_out_of_range) {
            // from_chars reports underflow and overflow alike; strtod tells them apart.
            value = std::strtod(std::string(text).c_str(), nullptr);
            error = std::isinf(value) ? error : std::errc();
            end = digits.data() + digits.size();
        }
        if (error != std::errc() || end != digits.data() + digits.size()) {
            diagnostics_.error(literal.loc,
                               "value " + literal.text + " is out of range for " + typeName);
            return false;
        }
        break;
    }
    }
    if (literal.negative) value = -value;
    auto outOfRange = [&] {
        diagnostics_.error(literal.loc,
                           "value " + literal.text + " is out of range for " + typeName);
        return false;
    };
    switch (dtype) {
    case ir::DType::Fp16: {
        uint16_t bits = doubleToHalf(value);
        if (std::isinf(halfToFloat(bits)) && std::isfinite(value)) return outOfRange();
        storeLittleEndian(out, bits, 2);
        return true;
    }
    case ir::DType::Fp32: {
        float narrowed = static_cast<float>(value);
        if (std::isinf(narrowed) && std::isfinite(value)) return outOfRange();
        storeLittleEndian(out, std::bit_cast<uint32_t>(narrowed), 4);
        return true;
    }
    default:
        storeLittleEndian(out, std::bit_cast<uint64_t>(value), 8);
        return true;
    }
}

std::string attributeKindDescription(ir::AttrKind kind) {
    switch (kind) {
    case ir::AttrKind::Bool:
        return "a bool";
    case ir::AttrKind::Int:
        return "an int32 scalar";
    case ir::AttrKind::IntList:
        return "a tensor<int32, [N]>";
    case ir::AttrKind::BoolList:
        return "a tensor<bool, [N]>";
    case ir::AttrKind::Float:
        return "an fp16 or fp32 scalar";
    case ir::AttrKind::String:
        return "a string";
    }
    return "a constant";
}

Expected<ir::Attribute> toAttribute(const Constant& constant, ir::AttrKind kind) {
    const ir::TensorType& type = constant.type;
    auto mismatch = [&] { return fail(attributeKindDescription(kind)); };
    switch (kind) {
    case ir::AttrKind::Bool:
        if (type.dtype != ir::DType::Bool || !type.isScalar()) return mismatch();
        return ir::Attribute(constant.data->at(0) != 0);
    case ir::AttrKind::Int:
        if (!ir::isInteger(type.dtype) || !type.isScalar()) return mismatch();
        return ir::Attribute(constant.data->toInts()[0]);
    case ir::AttrKind::IntList:
        if (!ir::isInteger(type.dtype) || type.rank() != 1) return mismatch();
        return ir::Attribute(constant.data->toInts());
    case ir::AttrKind::BoolList:
        if (type.dtype != ir::DType::Bool || type.rank() != 1) return mismatch();
        return ir::Attribute(constant.data->toInts());
    case ir::AttrKind::Float:
        if (!ir::isFloat(type.dtype) || !type.isScalar()) return mismatch();
        return ir::Attribute(constant.data->at(0));
    case ir::AttrKind::String:
        if (!constant.isString() || !type.isScalar()) return mismatch();
        return ir::Attribute(constant.text);
    }
    return mismatch();
}

} // namespace anec::mil
