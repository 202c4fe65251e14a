#pragma once
// Small helpers shared by the op definitions in this folder.
#include <string>
#include <vector>

#include "ir/op_registry.hpp"

namespace anec::ir::ops {

inline Expected<std::vector<TensorType>> single(TensorType type) {
    return std::vector<TensorType>{std::move(type)};
}

inline std::string typeList(const std::vector<const TensorType*>& types) {
    std::string out;
    for (size_t i = 0; i < types.size(); ++i) out += (i ? ", " : "") + (types[i] ? types[i]->str() : "none");
    return out;
}

} // namespace anec::ir::ops
