#pragma once
// Compile-time parameters of an op (strides, axes, dtype names, ...). The MIL emitter writes each
// one as a `const` and passes it by name; the MIL parser turns such consts back into attributes.
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace anec::ir {

// Bool lists (slice masks) are stored as IntList of 0/1; AttrSpec::kind says which MIL type.
using Attribute = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>>;

// Sorted by name, so that printing and emission are deterministic.
using AttrMap = std::map<std::string, Attribute>;

std::string attributeString(const Attribute& attr); // IR printer spelling

} // namespace anec::ir
