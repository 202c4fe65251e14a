#include "ir/ops/op_helpers.hpp"

#include <limits>

namespace anec::ir::ops {

std::string listString(const std::vector<int64_t>& values) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i)
        out += (i ? ", " : "") + std::to_string(values[i]);
    return out + "]";
}

Expected<size_t> checkAxis(const std::string& what, int64_t axis, const TensorType& x) {
    auto normalized = normalizeAxis(axis, x.rank());
    if (!normalized)
        return fail(what + " " + std::to_string(axis) + " is out of range for " + x.str() +
                    " (rank " + std::to_string(x.rank()) + ")");
    return *normalized;
}

Expected<std::vector<size_t>> checkAxes(const std::string& what, const std::vector<int64_t>& axes,
                                        const TensorType& x) {
    std::vector<size_t> out;
    std::vector<bool> seen(x.rank(), false);
    for (int64_t axis : axes) {
        auto normalized = checkAxis(what, axis, x);
        if (!normalized) return fail(normalized.error());
        if (seen[*normalized])
            return fail(what + " " + listString(axes) + " name axis " +
                        std::to_string(*normalized) + " of " + x.str() + " twice");
        seen[*normalized] = true;
        out.push_back(*normalized);
    }
    return out;
}

Expected<bool> checkPerDim(const std::string& what, const std::vector<int64_t>& values,
                           const TensorType& x) {
    if (values.size() != x.rank())
        return fail(what + " " + listString(values) + " has " + std::to_string(values.size()) +
                    " entries but " + x.str() + " has rank " + std::to_string(x.rank()));
    return true;
}

Expected<bool> checkBoolList(const std::string& what, const std::vector<int64_t>& values) {
    for (int64_t v : values)
        if (v != 0 && v != 1)
            return fail(what + " " + listString(values) + " must hold only 0 or 1");
    return true;
}

} // namespace anec::ir::ops
