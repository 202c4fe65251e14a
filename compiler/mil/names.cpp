#include "mil/names.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace anec::mil {

namespace {
// Words a MIL reader may take for syntax rather than a variable name.
constexpr std::array<std::string_view, 34> kReservedWords{
    "BLOBFILE", "bf16",    "bool",   "const",  "dict",   "false",  "fp16",  "fp32",  "fp64",
    "fp8",      "func",    "inf",    "int16",  "int32",  "int4",   "int64", "int8",  "list",
    "nan",      "program", "state",  "string", "tensor", "true",   "tuple", "uint1", "uint16",
    "uint2",    "uint3",   "uint32", "uint4",  "uint6",  "uint64", "uint8",
};

bool isReserved(std::string_view name) {
    return std::find(kReservedWords.begin(), kReservedWords.end(), name) != kReservedWords.end();
}

bool isIdentChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
} // namespace

bool isMilIdentifier(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(), isIdentChar) && !isReserved(name);
}

std::string sanitizeIdentifier(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 1);
    for (char c : text)
        out += isIdentChar(c) ? c : '_';
    if (!out.empty() && (std::isdigit(static_cast<unsigned char>(out[0])) || isReserved(out)))
        out.insert(out.begin(), '_');
    return out;
}

std::string NameTable::key(const std::string& name) const {
    if (!caseInsensitive_) return name;
    std::string lowered = name;
    for (char& c : lowered)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lowered;
}

bool NameTable::reserve(const std::string& name) {
    return used_.insert(key(name)).second;
}

bool NameTable::contains(const std::string& name) const {
    return used_.count(key(name)) > 0;
}

std::string NameTable::unique(std::string_view hint, std::string_view fallback) {
    std::string base = sanitizeIdentifier(hint);
    if (base.empty()) base = sanitizeIdentifier(fallback);
    if (base.empty()) base = "v";
    std::string name = base;
    for (int suffix = 1; !reserve(name); ++suffix)
        name = base + "_" + std::to_string(suffix);
    return name;
}

} // namespace anec::mil
