// Shape ops move elements without changing them: every dtype, exact results.
#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
const ir::DType kAllDTypes[] = {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32,
                                ir::DType::Bool};

// Distinct values per element (bool: a pattern), so that any misplaced element shows.
std::vector<double> iota(const ir::TensorType& type) {
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = type.dtype == ir::DType::Bool ? double((i * 7 / 3) % 2) : double(i) - 5.0;
    return values;
}
} // namespace

TEST_CASE("reshape, expand_dims and squeeze keep the element order", "[runtime][ops]") {
    for (ir::DType dtype : kAllDTypes) {
        ir::TensorType x{dtype, {2, 1, 3, 4}};
        SingleOp reshape("reshape", {{"shape", std::vector<int64_t>{4, -1, 2}}});
        reshape.operand(x, iota(x));
        reshape.check(iota(x), kExact);
        SingleOp expand("expand_dims", {{"axes", std::vector<int64_t>{0, -1}}});
        expand.operand(x, iota(x));
        expand.check(iota(x), kExact);
        SingleOp squeeze("squeeze");
        squeeze.operand(x, iota(x), true);
        squeeze.check(iota(x), kExact);
    }
}

TEST_CASE("transpose permutes dimensions", "[runtime][ops]") {
    Random random(20);
    for (ir::DType dtype : kAllDTypes) {
        for (int trial = 0; trial < 6; ++trial) {
            size_t rank = static_cast<size_t>(random.integer(1, 5));
            ir::TensorType x{dtype, random.shape(rank, 4)};
            std::vector<int64_t> perm(rank);
            for (size_t i = 0; i < rank; ++i)
                perm[i] = static_cast<int64_t>(i);
            std::shuffle(perm.begin(), perm.end(), std::mt19937(trial));
            if (trial == 0 && rank > 1) perm[0] -= static_cast<int64_t>(rank); // a negative axis
            SingleOp op("transpose", {{"perm", perm}});
            op.operand(x, iota(x));
            ir::Shape out;
            for (int64_t p : perm)
                out.push_back(x.shape[static_cast<size_t>(p < 0 ? p + int64_t(rank) : p)]);
            std::vector<double> expected;
            for (int64_t i = 0; i < count(out); ++i) {
                auto index = unflatten(i, out);
                std::vector<int64_t> source(rank);
                for (size_t d = 0; d < rank; ++d)
                    source[static_cast<size_t>(perm[d] < 0 ? perm[d] + int64_t(rank) : perm[d])] =
                        index[d];
                expected.push_back(op.values(0)[static_cast<size_t>(flatten(source, x.shape))]);
            }
            op.check(expected, kExact);
        }
    }
}

TEST_CASE("concat joins along an axis, with and without interleave", "[runtime][ops]") {
    for (ir::DType dtype : kAllDTypes) {
        for (int64_t axis : {0, 1, -1}) {
            for (bool interleave : {false, true}) {
                ir::Shape a{2, 3, 2}, b = a, c = a;
                size_t ax = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
                if (!interleave) {
                    b[ax] = 1;
                    c[ax] = 4;
                }
                std::vector<ir::TensorType> types{{dtype, a}, {dtype, b}, {dtype, c}};
                SingleOp op("concat", {{"axis", axis}, {"interleave", interleave}});
                std::vector<std::vector<double>> values;
                for (size_t i = 0; i < types.size(); ++i) {
                    std::vector<double> v = iota(types[i]);
                    for (double& e : v)
                        if (dtype != ir::DType::Bool) e += 100.0 * double(i);
                    op.operand(types[i], v, i == 1);
                    values.push_back(v);
                }
                ir::Shape out = a;
                out[ax] = a[ax] + b[ax] + c[ax];
                std::vector<double> expected;
                for (int64_t i = 0; i < count(out); ++i) {
                    auto index = unflatten(i, out);
                    size_t which = 0;
                    int64_t along = index[ax];
                    if (interleave) {
                        which = static_cast<size_t>(along % 3);
                        along /= 3;
                    } else {
                        while (along >= types[which].shape[ax])
                            along -= types[which++].shape[ax];
                    }
                    index[ax] = along;
                    expected.push_back(
                        values[which][static_cast<size_t>(flatten(index, types[which].shape))]);
                }
                op.check(expected, kExact);
            }
        }
    }
}

TEST_CASE("split cuts into sizes or equal parts", "[runtime][ops]") {
    for (ir::DType dtype : kAllDTypes) {
        ir::TensorType x{dtype, {2, 6, 3}};
        for (int variant = 0; variant < 3; ++variant) {
            ir::AttrMap attrs{{"axis", int64_t{1}}};
            std::vector<int64_t> sizes{1, 3, 2};
            int64_t axis = 1;
            if (variant == 0) attrs["split_sizes"] = sizes;
            if (variant == 1) {
                attrs["num_splits"] = int64_t{3};
                sizes = {2, 2, 2};
            }
            if (variant == 2) {
                attrs = {{"axis", int64_t{-1}}, {"num_splits", int64_t{3}}};
                sizes = {1, 1, 1};
                axis = 2;
            }
            SingleOp op("split", attrs);
            op.operand(x, iota(x));
            int64_t start = 0;
            for (size_t r = 0; r < sizes.size(); ++r) {
                ir::Shape part = x.shape;
                part[static_cast<size_t>(axis)] = sizes[r];
                std::vector<double> expected;
                for (int64_t i = 0; i < count(part); ++i) {
                    auto index = unflatten(i, part);
                    index[static_cast<size_t>(axis)] += start;
                    expected.push_back(op.values(0)[static_cast<size_t>(flatten(index, x.shape))]);
                }
                op.check(expected, kExact, r);
                start += sizes[r];
            }
        }
    }
}

TEST_CASE("slice_by_size selects begin .. begin + size (-1: to the end)", "[runtime][ops]") {
    for (ir::DType dtype : kAllDTypes) {
        ir::TensorType x{dtype, {2, 5, 1, 6}};
        SingleOp op("slice_by_size", {{"begin", std::vector<int64_t>{1, 1, 0, -4}},
                                      {"size", std::vector<int64_t>{1, 3, -1, -1}}});
        op.operand(x, iota(x));
        std::vector<double> expected;
        for (int64_t c = 1; c < 4; ++c)
            for (int64_t w = 2; w < 6; ++w)
                expected.push_back(
                    op.values(0)[static_cast<size_t>(flatten({1, c, 0, w}, x.shape))]);
        op.check(expected, kExact);
    }
}

namespace {
// Python slicing of one axis: the selected indices for begin/end/stride with masks.
std::vector<int64_t> pythonSlice(int64_t dim, int64_t begin, int64_t end, int64_t stride,
                                 bool beginMask, bool endMask) {
    auto norm = [&](int64_t i) {
        if (i < 0) i += dim;
        return stride > 0 ? std::clamp<int64_t>(i, 0, dim) : std::clamp<int64_t>(i, -1, dim - 1);
    };
    int64_t start = beginMask ? (stride > 0 ? 0 : dim - 1) : norm(begin);
    int64_t stop = endMask ? (stride > 0 ? dim : -1) : norm(end);
    std::vector<int64_t> picked;
    for (int64_t i = start; stride > 0 ? i < stop : i > stop; i += stride)
        picked.push_back(i);
    return picked;
}
} // namespace

TEST_CASE("slice_by_index: strides (negative too), masks and squeeze", "[runtime][ops]") {
    Random random(21);
    for (ir::DType dtype : kAllDTypes) {
        for (int trial = 0; trial < 25; ++trial) {
            ir::TensorType x{dtype, random.shape(static_cast<size_t>(random.integer(1, 4)), 6)};
            const size_t rank = x.rank();
            std::vector<int64_t> begin(rank), end(rank), stride(rank), beginMask(rank),
                endMask(rank), squeezeMask(rank);
            std::vector<std::vector<int64_t>> picks(rank);
            bool empty = false;
            for (size_t d = 0; d < rank; ++d) {
                int64_t dim = x.shape[d];
                stride[d] = random.chance(0.3) ? -random.integer(1, 3) : random.integer(1, 3);
                begin[d] = random.integer(-dim, dim);
                end[d] = random.integer(-dim - 1, dim + 1);
                beginMask[d] = random.chance(0.25);
                endMask[d] = random.chance(0.25);
                squeezeMask[d] = random.chance(0.15) && begin[d] < dim;
                if (squeezeMask[d]) {
                    picks[d] = {begin[d] < 0 ? begin[d] + dim : begin[d]};
                    beginMask[d] = 0; // a squeezed axis uses begin
                } else {
                    picks[d] =
                        pythonSlice(dim, begin[d], end[d], stride[d], beginMask[d], endMask[d]);
                }
                empty = empty || picks[d].empty();
            }
            if (empty) continue; // the IR rejects empty slices
            SingleOp op("slice_by_index", {{"begin", begin},
                                           {"end", end},
                                           {"stride", stride},
                                           {"begin_mask", beginMask},
                                           {"end_mask", endMask},
                                           {"squeeze_mask", squeezeMask}});
            op.operand(x, iota(x));
            ir::Shape walk;
            for (const auto& p : picks)
                walk.push_back(static_cast<int64_t>(p.size()));
            std::vector<double> expected;
            for (int64_t i = 0; i < count(walk); ++i) {
                auto index = unflatten(i, walk);
                for (size_t d = 0; d < rank; ++d)
                    index[d] = picks[d][static_cast<size_t>(index[d])];
                expected.push_back(op.values(0)[static_cast<size_t>(flatten(index, x.shape))]);
            }
            op.check(expected, kExact);
        }
    }
}
