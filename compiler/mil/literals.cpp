#include "mil/literals.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "support/diagnostics.hpp"
#include "support/fp16.hpp"

namespace anec::mil {

namespace {
// The value `dtype` holds for `value` (fp16 and fp32 round to nearest even).
double roundTo(double value, ir::DType dtype) {
    if (dtype == ir::DType::Fp16) return halfToFloat(doubleToHalf(value));
    if (dtype == ir::DType::Fp32) return static_cast<float>(value);
    return value;
}

bool sameValue(double a, double b) {
    return a == b && std::signbit(a) == std::signbit(b);
}

// True when every plausible reader turns `text` back into `target` of `dtype`: parsing straight
// to float (strtof-like) or to double and then narrowing (double rounding must not bite).
bool readsBackAs(const std::string& text, double target, ir::DType dtype) {
    const char* first = text.data();
    const char* last = first + text.size();
    double asDouble = 0;
    if (std::from_chars(first, last, asDouble).ec != std::errc()) return false;
    if (!sameValue(roundTo(asDouble, dtype), target)) return false;
    if (dtype == ir::DType::Fp64) return true;
    float asFloat = 0;
    if (std::from_chars(first, last, asFloat).ec != std::errc()) return false;
    return sameValue(roundTo(asFloat, dtype), target);
}

std::string formatInteger(const ir::ConstData& data, int64_t index) {
    if (data.type().dtype == ir::DType::UInt64) {
        uint64_t value = 0;
        std::memcpy(&value, data.bytes().data() + index * 8, 8);
        return std::to_string(value);
    }
    if (data.type().dtype == ir::DType::Int64) {
        int64_t value = 0;
        std::memcpy(&value, data.bytes().data() + index * 8, 8);
        return std::to_string(value);
    }
    return std::to_string(static_cast<int64_t>(data.at(index)));
}

std::string int32Literal(int64_t value) {
    if (value < std::numeric_limits<int32_t>::min() || value > std::numeric_limits<int32_t>::max())
        throw Error("attribute value " + std::to_string(value) + " does not fit in int32");
    return std::to_string(value);
}

std::string listBody(const std::vector<int64_t>& values, bool asBool) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ", ";
        out += asBool ? (values[i] ? "true" : "false") : int32Literal(values[i]);
    }
    return out + "]";
}
} // namespace

std::string formatFloat(double value, ir::DType dtype) {
    if (std::isnan(value)) return "nan";
    double target = roundTo(value, dtype);
    if (std::isinf(target)) return target < 0 ? "-inf" : "inf";
    char buffer[64];
    for (int precision = 1; precision <= 17; ++precision) {
        auto result = std::to_chars(buffer, buffer + sizeof buffer, target,
                                    std::chars_format::general, precision);
        std::string text(buffer, result.ptr);
        if (!readsBackAs(text, target, dtype)) continue;
        // Whole numbers read better in full (65504, not 6.55e+04); they are exact below 2^53.
        if (text.find('e') != std::string::npos && std::fabs(target) < 1e15 &&
            target == std::trunc(target))
            return std::to_string(static_cast<int64_t>(target));
        return text;
    }
    // 17 significant digits always identify a double exactly; unreachable in practice.
    auto result = std::to_chars(buffer, buffer + sizeof buffer, target);
    return std::string(buffer, result.ptr);
}

std::string quoteString(std::string_view text) {
    static const char* digits = "0123456789abcdef";
    std::string out = "\"";
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\')
            out += std::string("\\") + c;
        else if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (u < 0x20 || u == 0x7f)
            out += std::string("\\x") + digits[u >> 4] + digits[u & 15];
        else
            out += c;
    }
    return out + "\"";
}

std::string formatElement(const ir::ConstData& data, int64_t index) {
    ir::DType dtype = data.type().dtype;
    if (dtype == ir::DType::Bool) return data.at(index) != 0 ? "true" : "false";
    if (ir::isFloat(dtype)) return formatFloat(data.at(index), dtype);
    if (ir::isInteger(dtype)) return formatInteger(data, index);
    throw Error("a " + data.type().str() + " constant cannot be written in MIL");
}

std::string inlineConstValue(const ir::ConstData& data) {
    const ir::TensorType& type = data.type();
    if (type.dtype == ir::DType::String || !type.isStatic())
        throw Error("a " + type.str() + " constant cannot be written in MIL");
    if (type.isScalar()) return type.milStr() + "(" + formatElement(data, 0) + ")";
    std::string out = type.milStr() + "([";
    for (int64_t i = 0; i < data.numElements(); ++i) {
        if (i) out += ", ";
        out += formatElement(data, i);
    }
    return out + "])";
}

MilConstValue attributeConst(const ir::Attribute& attr, ir::AttrKind kind, ir::DType floatDType) {
    auto mismatch = [&]() -> MilConstValue {
        throw Error("attribute value " + ir::attributeString(attr) + " does not match its kind");
    };
    switch (kind) {
    case ir::AttrKind::Bool:
        if (const bool* b = std::get_if<bool>(&attr))
            return {"bool", std::string("bool(") + (*b ? "true" : "false") + ")"};
        return mismatch();
    case ir::AttrKind::Int:
        if (const int64_t* i = std::get_if<int64_t>(&attr))
            return {"int32", "int32(" + int32Literal(*i) + ")"};
        return mismatch();
    case ir::AttrKind::IntList:
    case ir::AttrKind::BoolList: {
        const auto* list = std::get_if<std::vector<int64_t>>(&attr);
        if (!list) return mismatch();
        bool asBool = kind == ir::AttrKind::BoolList;
        std::string type = std::string("tensor<") + (asBool ? "bool" : "int32") + ", [" +
                           std::to_string(list->size()) + "]>";
        return {type, type + "(" + listBody(*list, asBool) + ")"};
    }
    case ir::AttrKind::Float: {
        const double* d = std::get_if<double>(&attr);
        double value = d ? *d : 0.0;
        if (!d) {
            const int64_t* i = std::get_if<int64_t>(&attr);
            if (!i) return mismatch();
            value = static_cast<double>(*i);
        }
        if (!ir::isFloat(floatDType)) floatDType = ir::DType::Fp32;
        std::string type(ir::dtypeName(floatDType));
        return {type, type + "(" + formatFloat(value, floatDType) + ")"};
    }
    case ir::AttrKind::String:
        if (const std::string* s = std::get_if<std::string>(&attr))
            return {"string", "string(" + quoteString(*s) + ")"};
        return mismatch();
    }
    return mismatch();
}

ir::AttrKind defaultAttrKind(const ir::Attribute& attr) {
    switch (attr.index()) {
    case 0:
        return ir::AttrKind::Bool;
    case 1:
        return ir::AttrKind::Int;
    case 2:
        return ir::AttrKind::Float;
    case 3:
        return ir::AttrKind::String;
    default:
        return ir::AttrKind::IntList;
    }
}

} // namespace anec::mil
