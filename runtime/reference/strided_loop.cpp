#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

std::vector<int64_t> rowMajorStrides(const ir::Shape& shape) {
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;)
        strides[i - 1] = strides[i] * shape[i];
    return strides;
}

AxisWalk axisWalk(const ir::Shape& shape, size_t axis) {
    AxisWalk walk;
    for (size_t d = 0; d < shape.size(); ++d) {
        if (d < axis) walk.outer *= shape[d];
        if (d == axis) walk.length = shape[d];
        if (d > axis) walk.inner *= shape[d];
    }
    return walk;
}

int64_t StridedLoop::rows() const {
    int64_t count = 1;
    for (int64_t d : outer)
        count *= d;
    return count;
}

namespace {
// Merges dims of `shape` (strides per operand, the result's strides last) where every operand
// walks them as one, drops size-1 dims, and splits off the innermost dim.
StridedLoop collapse(const ir::Shape& shape, std::vector<std::vector<int64_t>> strides) {
    ir::Shape dims;
    std::vector<std::vector<int64_t>> merged(strides.size());
    for (size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == 1) continue;
        bool mergeable = !dims.empty();
        for (size_t i = 0; i < strides.size() && mergeable; ++i)
            mergeable = merged[i].back() == strides[i][d] * shape[d];
        if (mergeable) {
            dims.back() *= shape[d];
            for (size_t i = 0; i < strides.size(); ++i)
                merged[i].back() = strides[i][d];
        } else {
            dims.push_back(shape[d]);
            for (size_t i = 0; i < strides.size(); ++i)
                merged[i].push_back(strides[i][d]);
        }
    }
    StridedLoop loop;
    const size_t numOperands = strides.size() - 1;
    loop.strides.resize(numOperands);
    if (dims.empty()) { // a single element
        loop.inner = 1;
        for (size_t i = 0; i < numOperands; ++i)
            loop.strides[i] = {0};
        return loop;
    }
    loop.inner = dims.back();
    loop.outer.assign(dims.begin(), dims.end() - 1);
    loop.outStrides.assign(merged.back().begin(), merged.back().end() - 1);
    for (size_t i = 0; i < numOperands; ++i)
        loop.strides[i] = merged[i];
    return loop;
}
} // namespace

StridedLoop planBroadcast(const ir::Shape& out, const std::vector<ir::Shape>& operands) {
    std::vector<std::vector<int64_t>> strides;
    for (const ir::Shape& shape : operands) {
        std::vector<int64_t> own = rowMajorStrides(shape);
        std::vector<int64_t> aligned(out.size(), 0);
        size_t offset = out.size() - shape.size();
        for (size_t d = 0; d < shape.size(); ++d)
            aligned[offset + d] = shape[d] == 1 ? 0 : own[d];
        strides.push_back(std::move(aligned));
    }
    strides.push_back(rowMajorStrides(out));
    return collapse(out, std::move(strides));
}

StridedLoop planStrided(const ir::Shape& shape, const std::vector<int64_t>& operandStrides) {
    return collapse(shape, {operandStrides, rowMajorStrides(shape)});
}

StridedLoop planWalk(const ir::Shape& shape, std::vector<std::vector<int64_t>> operandStrides) {
    operandStrides.push_back(rowMajorStrides(shape));
    return collapse(shape, std::move(operandStrides));
}

} // namespace anec::runtime::reference
