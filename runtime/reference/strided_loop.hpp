#pragma once
// Walking tensors row by row: the result of an elementwise op (or a copy) is visited one
// contiguous innermost row at a time, with per-operand offsets, so that inner loops are plain
// loops the compiler vectorizes. Dims that can be walked as one are merged first, so same-shape
// operands become a single row and a scalar operand has stride 0.
#include <cstdint>
#include <vector>

#include "ir/types.hpp"

namespace anec::runtime::reference {

std::vector<int64_t> rowMajorStrides(const ir::Shape& shape);

// A tensor seen as [outer, length, inner] around one axis: element (o, l, j) is at
// (o * length + l) * inner + j. Ops along an axis (softmax, cumsum, topk, ...) walk it so.
struct AxisWalk {
    int64_t outer = 1, length = 1, inner = 1;
};
AxisWalk axisWalk(const ir::Shape& shape, size_t axis);

struct StridedLoop {
    ir::Shape outer;                           // merged outer dims (the row index space)
    int64_t inner = 1;                         // elements per row
    std::vector<int64_t> outStrides;           // per outer dim
    std::vector<std::vector<int64_t>> strides; // per operand: per outer dim, then the inner stride

    int64_t innerStride(size_t operand) const { return strides[operand].back(); }
    int64_t rows() const;
};

// numpy broadcasting of every operand shape to `out` (which must be the broadcast shape).
StridedLoop planBroadcast(const ir::Shape& out, const std::vector<ir::Shape>& operands);

// A loop over `shape` reading one operand with arbitrary element strides (transpose, slicing).
StridedLoop planStrided(const ir::Shape& shape, const std::vector<int64_t>& operandStrides);
// A loop over `shape` with any number of operands, each with its own element strides.
StridedLoop planWalk(const ir::Shape& shape, std::vector<std::vector<int64_t>> operandStrides);

// Calls row(outOffset, offsets) for each row; offsets[i] is operand i's first element.
template <typename F> void forEachRow(const StridedLoop& loop, F&& row) {
    const size_t rank = loop.outer.size();
    const size_t numOperands = loop.strides.size();
    std::vector<int64_t> index(rank, 0);
    std::vector<int64_t> offsets(numOperands, 0);
    const int64_t rows = loop.rows();
    int64_t outOffset = 0;
    for (int64_t r = 0; r < rows; ++r) {
        row(outOffset, offsets.data());
        for (size_t d = rank; d-- > 0;) {
            outOffset += loop.outStrides[d];
            for (size_t i = 0; i < numOperands; ++i)
                offsets[i] += loop.strides[i][d];
            if (++index[d] < loop.outer[d]) break;
            outOffset -= loop.outStrides[d] * loop.outer[d];
            for (size_t i = 0; i < numOperands; ++i)
                offsets[i] -= loop.strides[i][d] * loop.outer[d];
            index[d] = 0;
        }
    }
}

} // namespace anec::runtime::reference
