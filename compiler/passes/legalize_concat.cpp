// Rule 7: some ANE compilers reject concat. Each input is embedded into the result's shape by a
// linear map with a constant 0/1 matrix and the embeddings are added:
//   channel axis of a rank-4 tensor: conv 1x1 with weight E_i [C, C_i, 1, 1]
//   last axis:                      matmul(x_i, E_i), E_i [C_i, C]
//   second-to-last axis:            matmul(E_i, x_i), E_i [C, C_i]
//   any other axis:                 transpose it last, matmul, transpose back
// E_i[p, j] = 1 where element j of input i lands at position p of the result (after the inputs
// before it; or at j * n + i when interleaved). For finite values the result is exact in fp16:
// every output element is one input element times 1 plus products by 0, and x + 0 = x. (An inf
// or NaN in an input spreads NaN through 0 * inf, which the concat would not; values that large
// are already wrong in an fp16 program.) Constant concats are left to fold-constants.
#include <algorithm>
#include <functional>

#include "passes/legalize.hpp"

namespace anec::passes::legalize {

namespace {

struct ConcatShape {
    int64_t axis = 0;  // normalized
    int64_t total = 0; // result size along the axis
    bool interleave = false;
};

// Where element j (along the axis) of input i lands in the result.
int64_t position(const ConcatShape& shape, const std::vector<int64_t>& offsets, size_t inputs,
                 size_t i, int64_t j) {
    return shape.interleave ? j * static_cast<int64_t>(inputs) + static_cast<int64_t>(i)
                            : offsets[i] + j;
}

// A constant 0/1 matrix of `type` (rank 2 or [C, C_i, 1, 1]) with ones at (row(j), col(j)).
ir::Value* embedding(ir::Builder& b, ir::TensorType type, int64_t count,
                     const std::function<std::pair<int64_t, int64_t>(int64_t)>& at, SourceLoc loc,
                     const std::string& name) {
    std::vector<double> values(static_cast<size_t>(type.numElements()), 0.0);
    int64_t columns = type.shape[1];
    for (int64_t j = 0; j < count; ++j) {
        auto [row, column] = at(j);
        values[static_cast<size_t>(row * columns + column)] = 1.0;
    }
    auto data = std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(type, values));
    return b.createConst(std::move(data), loc, name);
}

// Input i embedded into the result's shape.
ir::Value* embed(ir::Builder& b, const ir::Op& op, const ConcatShape& shape,
                 const std::vector<int64_t>& offsets, size_t i) {
    ir::Value* x = op.operands[i];
    const ir::TensorType& type = x->type;
    const int64_t rank = static_cast<int64_t>(type.rank());
    const int64_t count = type.shape[static_cast<size_t>(shape.axis)];
    const ir::DType dt = type.dtype;
    const std::string base = op.result()->name.empty() ? "concat" : op.result()->name;
    const std::string name = base + "_embed" + std::to_string(i);
    auto pos = [&](int64_t j) { return position(shape, offsets, op.operands.size(), i, j); };
    if (rank == 4 && shape.axis == 1) {
        ir::Value* weight = embedding(
            b, {dt, {shape.total, count, 1, 1}}, count,
            [&](int64_t j) {
                return std::pair{pos(j), j};
            },
            op.loc, name);
        return emit(b, "conv", {x, weight}, {}, op.loc);
    }
    if (rank >= 2 && shape.axis == rank - 2) {
        ir::Value* matrix = embedding(
            b, {dt, {shape.total, count}}, count,
            [&](int64_t j) {
                return std::pair{pos(j), j};
            },
            op.loc, name);
        return emit(b, "matmul", {matrix, x}, {}, op.loc);
    }
    ir::Value* matrix = embedding(
        b, {dt, {count, shape.total}}, count,
        [&](int64_t j) {
            return std::pair{j, pos(j)};
        },
        op.loc, name);
    if (shape.axis == rank - 1) return emit(b, "matmul", {x, matrix}, {}, op.loc);
    // Move the axis last, embed, and move it back.
    std::vector<int64_t> perm;
    for (int64_t d = 0; d < rank; ++d)
        if (d != shape.axis) perm.push_back(d);
    perm.push_back(shape.axis);
    std::vector<int64_t> inverse(perm.size());
    for (size_t d = 0; d < perm.size(); ++d)
        inverse[static_cast<size_t>(perm[d])] = static_cast<int64_t>(d);
    ir::Value* moved = emit(b, "transpose", {x}, {{"perm", perm}}, op.loc);
    ir::Value* product = emit(b, "matmul", {moved, matrix}, {}, op.loc);
    return emit(b, "transpose", {product}, {{"perm", inverse}}, op.loc);
}

ir::Value* rewrite(ir::Builder& b, const ir::Op& op) {
    const ir::TensorType& result = op.result()->type;
    ConcatShape shape;
    shape.axis = *op.attr<int64_t>("axis");
    if (shape.axis < 0) shape.axis += static_cast<int64_t>(result.rank());
    shape.total = result.shape[static_cast<size_t>(shape.axis)];
    const bool* interleave = op.attr<bool>("interleave");
    shape.interleave = interleave && *interleave;
    std::vector<int64_t> offsets;
    int64_t offset = 0;
    for (const ir::Value* value : op.operands) {
        offsets.push_back(offset);
        offset += value->type.shape[static_cast<size_t>(shape.axis)];
    }
    ir::Value* sum = nullptr;
    for (size_t i = 0; i < op.operands.size(); ++i) {
        ir::Value* part = embed(b, op, shape, offsets, i);
        sum = sum ? emit(b, "add", {sum, part}, {}, op.loc) : part;
    }
    return sum;
}

bool allConstant(const ir::Op& op) {
    return std::all_of(op.operands.begin(), op.operands.end(), [](const ir::Value* v) {
        return v->definingOp && v->definingOp->isConst();
    });
}
} // namespace

bool isRuntimeConcat(const ir::Op& op) {
    return op.kind() == "concat" && !allConstant(op) && op.result()->type.isStatic();
}

size_t rewriteConcats(ir::Kernel& kernel, DiagnosticEngine& diagnostics) {
    // Concats of constants are folded instead; a concat that is not floating point stays, warned.
    auto rewritable = [&](const ir::Op& op) {
        if (!isRuntimeConcat(op)) return false;
        if (ir::isFloat(op.result()->type.dtype)) return true;
        diagnostics.warning(op.loc, "concat of " + op.result()->type.str() +
                                        " stays in the program, but this target's ANE rejects "
                                        "concat (rule 7) and only floating-point concats are "
                                        "rewritten: concatenate on the host, or build for "
                                        "--target m3 or m4");
        return false;
    };
    return rewriteOps(kernel, rewritable, rewrite);
}

} // namespace anec::passes::legalize
