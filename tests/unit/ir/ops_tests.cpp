// Shape inference and validation of every op in the registry: valid inputs give the MIL result
// types; each invalid input gives the user-facing message that becomes a diagnostic.
#include <catch2/catch.hpp>

#include <limits>

#include "ir/op_registry.hpp"
#include "unit/ir/ir_test_support.hpp"

using namespace anec;
using namespace anec::ir;
using namespace anec::ir::test;

namespace {

// Operand pointers may be null (absent optional operands).
Expected<std::vector<TensorType>>
inferPtrs(const std::string& kind, std::vector<const TensorType*> operands, AttrMap attrs = {}) {
    return inferOp(OpRegistry::builtin().get(kind), operands, attrs, nullptr);
}

Expected<std::vector<TensorType>>
infer(const std::string& kind, const std::vector<TensorType>& operands, AttrMap attrs = {}) {
    std::vector<const TensorType*> pointers;
    for (const TensorType& type : operands)
        pointers.push_back(&type);
    return inferPtrs(kind, pointers, std::move(attrs));
}

TensorType inferOne(const std::string& kind, const std::vector<TensorType>& operands,
                    AttrMap attrs = {}) {
    auto result = infer(kind, operands, std::move(attrs));
    INFO((result.ok() ? std::string("ok") : result.error()));
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    return result->front();
}

std::string inferError(const std::string& kind, const std::vector<TensorType>& operands,
                       AttrMap attrs = {}) {
    auto result = infer(kind, operands, std::move(attrs));
    REQUIRE_FALSE(result.ok());
    return result.error();
}
} // namespace

TEST_CASE("every op kind is registered with a summary", "[ops]") {
    for (const char* kind :
         {"const",       "add",       "sub",     "mul",        "real_div",      "pow",
          "maximum",     "minimum",   "less",    "less_equal", "greater",       "greater_equal",
          "equal",       "not_equal", "select",  "sqrt",       "rsqrt",         "exp",
          "log",         "tanh",      "sigmoid", "relu",       "silu",          "abs",
          "gelu",        "clip",      "cast",    "identity",   "conv",          "matmul",
          "reshape",     "transpose", "concat",  "split",      "slice_by_size", "slice_by_index",
          "expand_dims", "squeeze",   "softmax", "reduce_sum", "reduce_mean",   "reduce_max",
          "reduce_min",  "layer_norm"}) {
        INFO(kind);
        const OpDef* def = OpRegistry::builtin().find(kind);
        REQUIRE(def != nullptr);
        CHECK(def->name == kind);
        CHECK_FALSE(def->summary.empty());
    }
    CHECK(OpRegistry::builtin().find("bias_add") == nullptr);
}

TEST_CASE("generic operand and attribute checks", "[ops]") {
    CHECK(inferError("conv", {f16({1, 2, 1, 1})}) == "conv expects 2 to 3 operand(s), got 1");
    CHECK(inferError("conv", {f16({1, 2, 1, 1}), f16({2, 2, 1, 1})}, {{"bias", integer(0)}}) ==
          "conv has no attribute 'bias'");
    CHECK(inferError("conv", {f16({1, 2, 1, 1}), f16({2, 2, 1, 1})}, {{"strides", integer(1)}}) ==
          "conv: attribute 'strides' has the wrong kind");
    CHECK(inferError("reshape", {f16({2})}) == "reshape: missing attribute 'shape'");
    CHECK(inferPtrs("add", {nullptr, nullptr}).error() == "add: missing operand 'x'");
}

TEST_CASE("conv infers the output size for every padding mode", "[ops]") {
    // The seed: 1x1 conv as a linear layer.
    CHECK(inferOne("conv", {f16({1, 2048, 1, 64}), f16({768, 2048, 1, 1})}) ==
          f16({1, 768, 1, 64}));
    CHECK(inferOne("conv", {f32({1, 3, 8, 8}), f32({4, 3, 3, 3})}) == f32({1, 4, 6, 6}));
    CHECK(inferOne("conv", {f16({1, 3, 8, 8}), f16({4, 3, 3, 3})}, {{"strides", List{2, 2}}}) ==
          f16({1, 4, 3, 3}));
    CHECK(inferOne("conv", {f16({1, 3, 8, 9}), f16({4, 3, 3, 3})}, {{"dilations", List{2, 1}}}) ==
          f16({1, 4, 4, 7}));
    for (const char* padType : {"same", "same_lower"}) {
        INFO(padType);
        CHECK(inferOne("conv", {f16({2, 3, 7, 8}), f16({4, 3, 3, 3})},
                       {{"pad_type", std::string(padType)}, {"strides", List{2, 2}}}) ==
              f16({2, 4, 4, 4}));
        // same padding lets a kernel larger than the input fit.
        CHECK(inferOne("conv", {f16({1, 3, 2, 2}), f16({4, 3, 5, 5})},
                       {{"pad_type", std::string(padType)}}) == f16({1, 4, 2, 2}));
    }
    CHECK(inferOne("conv", {f16({1, 3, 8, 8}), f16({4, 3, 3, 3})},
                   {{"pad_type", std::string("custom")}, {"pad", List{1, 1, 2, 2}}}) ==
          f16({1, 4, 8, 10}));
    CHECK(inferOne("conv", {f16({1, 4, 5, 5}), f16({6, 2, 1, 1})}, {{"groups", integer(2)}}) ==
          f16({1, 6, 5, 5}));
    CHECK(inferOne("conv", {f16({1, 4, 5, 5}), f16({4, 1, 3, 3})}, {{"groups", integer(4)}}) ==
          f16({1, 4, 3, 3}));
}

TEST_CASE("conv rejects invalid operands and attributes", "[ops]") {
    const TensorType x = f16({1, 4096, 1, 64});
    const TensorType w = f16({768, 4096, 1, 1});
    CHECK(inferError("conv", {x, f16({768, 2048, 1, 1})}) ==
          "conv weight fp16[768,2048,1,1] expects 2048 input channels but x fp16[1,4096,1,64] has "
          "4096");
    CHECK(inferError("conv", {f16({1, 4, 5, 5}), f16({6, 1, 1, 1})}, {{"groups", integer(2)}}) ==
          "conv weight fp16[6,1,1,1] expects 2 input channels but x fp16[1,4,5,5] has 4 (groups = "
          "2)");
    CHECK(inferError("conv", {f16({4096, 64}), w}) ==
          "conv needs x of rank 4 [N, C, H, W], got fp16[4096,64]");
    CHECK(inferError("conv", {x, f16({768, 4096})}) ==
          "conv weight must have rank 4 [Cout, Cin/groups, kH, kW], got fp16[768,4096]");
    CHECK(inferError("conv", {x, f32({768, 4096, 1, 1})}) ==
          "conv weight fp32[768,4096,1,1] and x fp16[1,4096,1,64] have different element types");
    CHECK(inferError("conv", {i32({1, 4, 1, 1}), i32({4, 4, 1, 1})}) ==
          "conv needs a floating-point x, got int32[1,4,1,1]");
    CHECK(inferError("conv", {x, w}, {{"strides", List{1}}}) ==
          "conv strides must be 2 positive integers [height, width], got [1]");
    CHECK(inferError("conv", {x, w}, {{"strides", List{0, 1}}}) ==
          "conv strides must be 2 positive integers [height, width], got [0, 1]");
    CHECK(inferError("conv", {x, w}, {{"dilations", List{1, -1}}}) ==
          "conv dilations must be 2 positive integers [height, width], got [1, -1]");
    CHECK(inferError("conv", {x, w}, {{"pad_type", std::string("full")}}) ==
          "conv pad_type must be \"valid\", \"same\", \"same_lower\" or \"custom\", got \"full\"");
    CHECK(
        inferError("conv", {x, w}, {{"pad_type", std::string("custom")}, {"pad", List{0, 0, 0}}}) ==
        "conv pad must be 4 non-negative integers [top, bottom, left, right], got [0, 0, 0]");
    CHECK(inferError("conv", {x, w},
                     {{"pad_type", std::string("custom")}, {"pad", List{0, -1, 0, 0}}}) ==
          "conv pad must be 4 non-negative integers [top, bottom, left, right], got [0, -1, 0, 0]");
    CHECK(inferError("conv", {x, w}, {{"pad", List{1, 1, 0, 0}}}) ==
          "conv pad [1, 1, 0, 0] needs pad_type \"custom\", got \"valid\"");
    CHECK(inferError("conv", {x, w}, {{"groups", integer(0)}}) ==
          "conv groups must be positive, got 0");
    CHECK(inferError("conv", {f16({1, 4, 5, 5}), f16({6, 1, 1, 1})}, {{"groups", integer(3)}}) ==
          "conv groups 3 does not divide the 4 input channels of x fp16[1,4,5,5]");
    CHECK(inferError("conv", {f16({1, 4, 5, 5}), f16({5, 2, 1, 1})}, {{"groups", integer(2)}}) ==
          "conv groups 2 does not divide the 5 output channels of weight fp16[5,2,1,1]");
    CHECK(inferError("conv", {f16({1, 3, 2, 8}), f16({4, 3, 3, 3})}) ==
          "conv kernel 3x3 (dilations [1, 1]) does not fit into x fp16[1,3,2,8] with pad [0, 0, 0, "
          "0]");
    CHECK(inferError("conv", {f16({1, 3, 8, 8}), f16({4, 3, 3, 3})}, {{"dilations", List{4, 1}}}) ==
          "conv kernel 3x3 (dilations [4, 1]) does not fit into x fp16[1,3,8,8] with pad [0, 0, 0, "
          "0]");
    CHECK(inferError("conv", {f16({1, 3, kDynamicDim, 8}), f16({4, 3, 3, 3})}) ==
          "conv needs static shapes, got x fp16[1,3,?,8] and weight fp16[4,3,3,3]");
    CHECK(inferError("conv", {f16({1, 3, 8, 8}), f16({4, 3, 0, 3})}) ==
          "conv weight fp16[4,3,0,3] has an empty kernel");
}

TEST_CASE("matmul follows numpy, with transposes and batch broadcasting", "[ops]") {
    CHECK(inferOne("matmul", {f16({2, 3}), f16({3, 4})}) == f16({2, 4}));
    CHECK(inferOne("matmul", {f16({3, 2}), f16({3, 4})}, {{"transpose_x", true}}) == f16({2, 4}));
    CHECK(inferOne("matmul", {f16({2, 3}), f16({4, 3})}, {{"transpose_y", true}}) == f16({2, 4}));
    CHECK(inferOne("matmul", {f16({3, 2}), f16({4, 3})},
                   {{"transpose_x", true}, {"transpose_y", true}}) == f16({2, 4}));
    CHECK(inferOne("matmul", {f16({5, 1, 2, 3}), f16({4, 3, 6})}) == f16({5, 4, 2, 6}));
    CHECK(inferOne("matmul", {f16({1, 12, 64, 32}), f16({1, 12, 64, 32})},
                   {{"transpose_y", true}}) == f16({1, 12, 64, 64}));
    // Vectors: a leading vector is a row, a trailing one a column; their dims are dropped.
    CHECK(inferOne("matmul", {f16({3}), f16({3, 4})}) == f16({4}));
    CHECK(inferOne("matmul", {f16({2, 3}), f16({3})}) == f16({2}));
    CHECK(inferOne("matmul", {f16({3}), f16({3})}) == f16({}));
    CHECK(inferOne("matmul", {f16({3}), f16({5, 3, 4})}) == f16({5, 4}));
    CHECK(inferOne("matmul", {i32({2, 3}), i32({3, 1})}) == i32({2, 1}));
}

TEST_CASE("matmul rejects mismatched operands", "[ops]") {
    CHECK(inferError("matmul", {f16({2, 3}), f16({4, 5})}) ==
          "cannot matmul fp16[2,3] and fp16[4,5]: inner dimensions 3 and 4 differ");
    CHECK(inferError("matmul", {f16({2, 3}), f16({3, 4})}, {{"transpose_x", true}}) ==
          "cannot matmul fp16[2,3] (transposed) and fp16[3,4]: inner dimensions 2 and 3 differ");
    CHECK(
        inferError("matmul", {f16({2, 2, 3}), f16({3, 3, 4})}) ==
        "cannot matmul fp16[2,2,3] and fp16[3,3,4]: batch dimensions [2] and [3] do not broadcast");
    CHECK(inferError("matmul", {f16({2, 3}), f32({3, 4})}) ==
          "cannot matmul fp16[2,3] and fp32[3,4]: element types differ");
    CHECK(inferError("matmul", {f16({}), f16({3, 4})}) ==
          "cannot matmul fp16 and fp16[3,4]: matmul needs tensors of rank >= 1");
    CHECK(inferError("matmul", {boolean({2, 3}), boolean({3, 4})}) ==
          "cannot matmul bool[2,3] and bool[3,4]: matmul needs numbers");
}

TEST_CASE("reshape infers -1 and 0 and checks the element count", "[ops]") {
    CHECK(inferOne("reshape", {f16({2, 3})}, {{"shape", List{3, 2}}}) == f16({3, 2}));
    CHECK(inferOne("reshape", {f16({2, 3, 4})}, {{"shape", List{-1, 4}}}) == f16({6, 4}));
    CHECK(inferOne("reshape", {f16({2, 3, 4})}, {{"shape", List{0, -1, 2}}}) == f16({2, 6, 2}));
    CHECK(inferOne("reshape", {f16({768, 2048})}, {{"shape", List{768, 2048, 1, 1}}}) ==
          f16({768, 2048, 1, 1}));
    CHECK(inferError("reshape", {i32({4})}, {{"shape", List{}}}) ==
          "cannot reshape int32[4] to []: 4 elements vs 1");
    CHECK(inferOne("reshape", {i32({1})}, {{"shape", List{}}}) == i32({}));

    CHECK(inferError("reshape", {f16({2, 3})}, {{"shape", List{4, 2}}}) ==
          "cannot reshape fp16[2,3] to [4, 2]: 6 elements vs 8");
    CHECK(inferError("reshape", {f16({2, 3})}, {{"shape", List{-1, -1}}}) ==
          "cannot reshape fp16[2,3] to [-1, -1]: only one dimension may be -1");
    CHECK(inferError("reshape", {f16({2, 3})}, {{"shape", List{4, -1}}}) ==
          "cannot reshape fp16[2,3] to [4, -1]: 6 elements do not divide into the other dimensions "
          "(4 elements)");
    CHECK(inferError("reshape", {f16({2, 3})}, {{"shape", List{-2, -3}}}) ==
          "cannot reshape fp16[2,3] to [-2, -3]: dimension -2 is negative");
    CHECK(inferError("reshape", {f16({2, 3})}, {{"shape", List{0, 3, 1}}}) ==
          "cannot reshape fp16[2,3] to [0, 3, 1]: 0 (keep the dimension) needs a shape of rank 2");
    const int64_t huge = std::numeric_limits<int64_t>::max() / 2;
    CHECK(inferError("reshape", {f16({2, 3})}, {{"shape", List{huge, 4, -1}}}) ==
          "cannot reshape fp16[2,3] to [" + std::to_string(huge) + ", 4, -1]: too many elements");
}

TEST_CASE("transpose permutes dimensions", "[ops]") {
    CHECK(inferOne("transpose", {f16({2, 3, 4})}, {{"perm", List{2, 0, 1}}}) == f16({4, 2, 3}));
    CHECK(inferOne("transpose", {f16({2, 3, 4})}, {{"perm", List{-1, 0, 1}}}) == f16({4, 2, 3}));
    CHECK(inferOne("transpose", {boolean({2, 3})}, {{"perm", List{1, 0}}}) == boolean({3, 2}));
    CHECK(inferError("transpose", {f16({2, 3, 4})}, {{"perm", List{1, 0}}}) ==
          "transpose perm [1, 0] has 2 entries but fp16[2,3,4] has rank 3");
    CHECK(inferError("transpose", {f16({2, 3})}, {{"perm", List{1, 1}}}) ==
          "transpose perm [1, 1] name axis 1 of fp16[2,3] twice");
    CHECK(inferError("transpose", {f16({2, 3})}, {{"perm", List{0, 2}}}) ==
          "transpose perm 2 is out of range for fp16[2,3] (rank 2)");
}

TEST_CASE("concat joins along an axis", "[ops]") {
    CHECK(inferOne("concat", {f16({1, 2, 3}), f16({1, 4, 3})}, {{"axis", integer(1)}}) ==
          f16({1, 6, 3}));
    CHECK(inferOne("concat", {f16({1, 2, 3}), f16({1, 4, 3})}, {{"axis", integer(-2)}}) ==
          f16({1, 6, 3}));
    CHECK(inferOne("concat", {f16({2}), f16({3}), f16({4})}, {{"axis", integer(0)}}) == f16({9}));
    CHECK(inferOne("concat", {f16({2, 5})}, {{"axis", integer(0)}}) == f16({2, 5}));
    CHECK(inferOne("concat", {f16({1, 2, 3}), f16({1, 2, 3})},
                   {{"axis", integer(1)}, {"interleave", true}}) == f16({1, 4, 3}));

    CHECK(inferError("concat", {}, {{"axis", integer(0)}}) == "concat needs at least one value");
    CHECK(inferError("concat", {f16({1, 2, 3}), f16({1, 4, 4})}, {{"axis", integer(1)}}) ==
          "cannot concat fp16[1,2,3] and fp16[1,4,4] along axis 1: dimension 2 differs");
    CHECK(inferError("concat", {f16({1, 2, 3}), f16({1, 4, 3})},
                     {{"axis", integer(1)}, {"interleave", true}}) ==
          "cannot concat fp16[1,2,3] and fp16[1,4,3] along axis 1: dimension 1 differs (interleave "
          "needs equal shapes)");
    CHECK(inferError("concat", {f16({2}), f32({2})}, {{"axis", integer(0)}}) ==
          "cannot concat fp16[2] and fp32[2]: element types differ");
    CHECK(inferError("concat", {f16({2}), f16({2, 1})}, {{"axis", integer(0)}}) ==
          "cannot concat fp16[2] and fp16[2,1]: ranks differ");
    CHECK(inferError("concat", {f16({2}), f16({2})}, {{"axis", integer(1)}}) ==
          "concat axis 1 is out of range for fp16[2] (rank 1)");
    CHECK(inferError("concat", {f16({}), f16({})}, {{"axis", integer(0)}}) ==
          "concat needs tensors of rank >= 1, got fp16");
    CHECK(inferError("concat", {f16({2})}) == "concat: missing attribute 'axis'");
}

TEST_CASE("split by count or by sizes gives several results", "[ops]") {
    auto parts =
        infer("split", {f16({1, 10, 1, 4})}, {{"axis", integer(1)}, {"num_splits", integer(2)}});
    REQUIRE(parts.ok());
    CHECK(*parts == std::vector<TensorType>{f16({1, 5, 1, 4}), f16({1, 5, 1, 4})});
    parts = infer("split", {f16({1, 10})}, {{"axis", integer(-1)}, {"split_sizes", List{3, 7}}});
    REQUIRE(parts.ok());
    CHECK(*parts == std::vector<TensorType>{f16({1, 3}), f16({1, 7})});
    parts =
        infer("split", {f16({6})},
              {{"axis", integer(0)}, {"split_sizes", List{1, 2, 3}}, {"num_splits", integer(3)}});
    REQUIRE(parts.ok());
    CHECK(parts->size() == 3);
    parts = infer("split", {f16({6})}, {{"axis", integer(0)}, {"num_splits", integer(1)}});
    REQUIRE(parts.ok());
    CHECK(*parts == std::vector<TensorType>{f16({6})});

    CHECK(inferError("split", {f16({1, 10})}, {{"axis", integer(1)}}) ==
          "split needs split_sizes or num_splits");
    CHECK(inferError("split", {f16({1, 10})}, {{"axis", integer(1)}, {"num_splits", integer(3)}}) ==
          "cannot split fp16[1,10] along axis 1 into 3 equal parts: 10 is not a multiple of 3");
    CHECK(
        inferError("split", {f16({1, 10})}, {{"axis", integer(1)}, {"num_splits", integer(-2)}}) ==
        "cannot split fp16[1,10] along axis 1: num_splits -2 is negative");
    CHECK(
        inferError("split", {f16({1, 10})}, {{"axis", integer(1)}, {"split_sizes", List{3, 4}}}) ==
        "cannot split fp16[1,10] along axis 1: split_sizes [3, 4] do not add up to 10");
    CHECK(
        inferError("split", {f16({1, 10})}, {{"axis", integer(1)}, {"split_sizes", List{3, 8}}}) ==
        "cannot split fp16[1,10] along axis 1: split_sizes [3, 8] do not add up to 10");
    CHECK(inferError(
              "split", {f16({1, 10})},
              {{"axis", integer(1)}, {"split_sizes", List{std::numeric_limits<int64_t>::max(), 2}}})
              .find("do not add up to 10") != std::string::npos);
    CHECK(inferError("split", {f16({1, 10})},
                     {{"axis", integer(1)}, {"split_sizes", List{12, -2}}}) ==
          "cannot split fp16[1,10] along axis 1: split_sizes [12, -2] must be positive");
    CHECK(inferError(
              "split", {f16({1, 10})},
              {{"axis", integer(1)}, {"split_sizes", List{5, 5}}, {"num_splits", integer(3)}}) ==
          "cannot split fp16[1,10] along axis 1: num_splits 3 disagrees with the 2 split_sizes [5, "
          "5]");
    CHECK(inferError("split", {f16({1, 10})}, {{"axis", integer(2)}, {"num_splits", integer(2)}}) ==
          "split axis 2 is out of range for fp16[1,10] (rank 2)");
}

TEST_CASE("slice_by_size selects a box", "[ops]") {
    CHECK(inferOne("slice_by_size", {f32({1, 4096, 1, 64})},
                   {{"begin", List{0, 2048, 0, 0}}, {"size", List{1, 2048, 1, 64}}}) ==
          f32({1, 2048, 1, 64}));
    CHECK(inferOne("slice_by_size", {f16({4, 6})},
                   {{"begin", List{1, 2}}, {"size", List{-1, 3}}}) == f16({3, 3}));
    CHECK(inferOne("slice_by_size", {f16({5})}, {{"begin", List{-2}}, {"size", List{-1}}}) ==
          f16({2}));

    CHECK(inferError("slice_by_size", {f16({kDynamicDim})},
                     {{"begin", List{0}}, {"size", List{1}}}) ==
          "slice_by_size needs a static shape, got fp16[?]");
    CHECK(inferError("slice_by_index", {f16({kDynamicDim})},
                     {{"begin", List{0}}, {"end", List{1}}}) ==
          "slice_by_index needs a static shape, got fp16[?]");
    const TensorType x = f16({1, 4096, 1, 64});
    CHECK(inferError("slice_by_size", {x},
                     {{"begin", List{0, 4000, 0, 0}}, {"size", List{1, 2048, 1, 64}}}) ==
          "slice_by_size of fp16[1,4096,1,64] with begin [0, 4000, 0, 0] and size [1, 2048, 1, 64] "
          "runs past the end of axis 1 (4000 + 2048 > 4096)");
    CHECK(
        inferError("slice_by_size", {x}, {{"begin", List{0, 0, 0}}, {"size", List{1, 1, 1, 1}}}) ==
        "slice_by_size begin [0, 0, 0] has 3 entries but fp16[1,4096,1,64] has rank 4");
    CHECK(inferError("slice_by_size", {x}, {{"begin", List{0, 0, 0, 0}}, {"size", List{1, 1}}}) ==
          "slice_by_size size [1, 1] has 2 entries but fp16[1,4096,1,64] has rank 4");
    CHECK(inferError("slice_by_size", {x},
                     {{"begin", List{0, 4096, 0, 0}}, {"size", List{1, 1, 1, 1}}}) ==
          "slice_by_size begin 4096 is out of range for axis 1 of fp16[1,4096,1,64]");
    CHECK(inferError("slice_by_size", {x},
                     {{"begin", List{0, -4097, 0, 0}}, {"size", List{1, 1, 1, 1}}}) ==
          "slice_by_size begin -4097 is out of range for axis 1 of fp16[1,4096,1,64]");
    CHECK(
        inferError("slice_by_size", {x},
                   {{"begin", List{0, 0, 0, 0}}, {"size", List{1, 0, 1, 1}}}) ==
        "slice_by_size size 0 must be positive or -1 (to the end) for axis 1 of fp16[1,4096,1,64]");
    CHECK(inferError("slice_by_size", {x},
                     {{"begin", List{0, 0, 0, 0}}, {"size", List{1, 1, -3, 1}}}) ==
          "slice_by_size size -3 must be positive or -1 (to the end) for axis 2 of "
          "fp16[1,4096,1,64]");
}

TEST_CASE("slice_by_index follows numpy slicing with masks", "[ops]") {
    const TensorType x = f16({4, 6});
    auto slice = [&](AttrMap attrs) { return inferOne("slice_by_index", {x}, std::move(attrs)); };
    CHECK(slice({{"begin", List{1, 0}}, {"end", List{3, 6}}}) == f16({2, 6}));
    CHECK(slice({{"begin", List{0, 0}}, {"end", List{4, 6}}, {"stride", List{1, 2}}}) ==
          f16({4, 3}));
    CHECK(slice({{"begin", List{0, 1}}, {"end", List{4, 6}}, {"stride", List{3, 2}}}) ==
          f16({2, 3}));
    CHECK(slice({{"begin", List{9, 9}}, {"end", List{2, 3}}, {"begin_mask", List{1, 1}}}) ==
          f16({2, 3}));
    CHECK(slice({{"begin", List{1, 2}}, {"end", List{3, 0}}, {"end_mask", List{0, 1}}}) ==
          f16({2, 4}));
    CHECK(slice({{"begin", List{-3, 0}}, {"end", List{-1, 6}}}) == f16({2, 6}));
    CHECK(slice({{"begin", List{1, -100}}, {"end", List{100, 100}}}) == f16({3, 6})); // clamped
    CHECK(slice({{"begin", List{3, 0}}, {"end", List{0, 6}}, {"stride", List{-1, 1}}}) ==
          f16({3, 6}));
    CHECK(slice({{"begin", List{0, 0}},
                 {"end", List{0, 0}},
                 {"stride", List{-1, -2}},
                 {"begin_mask", List{1, 1}},
                 {"end_mask", List{1, 1}}}) == f16({4, 3}));
    CHECK(slice({{"begin", List{1, 0}}, {"end", List{2, 6}}, {"squeeze_mask", List{1, 0}}}) ==
          f16({6}));
    CHECK(slice({{"begin", List{-1, 0}}, {"end", List{0, 6}}, {"squeeze_mask", List{1, 0}}}) ==
          f16({6}));
    CHECK(slice({{"begin", List{1, 2}}, {"end", List{0, 0}}, {"squeeze_mask", List{1, 1}}}) ==
          f16({}));

    auto error = [&](AttrMap attrs) { return inferError("slice_by_index", {x}, std::move(attrs)); };
    CHECK(error({{"begin", List{0, 0}}, {"end", List{4, 6}}, {"stride", List{1, 0}}}) ==
          "slice_by_index stride must not be 0 for axis 1 of fp16[4,6]");
    CHECK(error({{"begin", List{3, 0}}, {"end", List{2, 6}}}) ==
          "slice_by_index selects nothing (begin 3, end 2, stride 1) for axis 0 of fp16[4,6]");
    CHECK(error({{"begin", List{0, 0}}, {"end", List{4, 6}}, {"stride", List{-1, 1}}}) ==
          "slice_by_index selects nothing (begin 0, end 4, stride -1) for axis 0 of fp16[4,6]");
    CHECK(error({{"begin", List{0, 7}}, {"end", List{4, 6}}, {"squeeze_mask", List{0, 1}}}) ==
          "slice_by_index squeezes index 7, which is out of range for axis 1 of fp16[4,6]");
    CHECK(error({{"begin", List{0}}, {"end", List{4, 6}}}) ==
          "slice_by_index begin [0] has 1 entries but fp16[4,6] has rank 2");
    CHECK(error({{"begin", List{0, 0}}, {"end", List{4, 6}}, {"end_mask", List{1}}}) ==
          "slice_by_index end_mask [1] has 1 entries but fp16[4,6] has rank 2");
    CHECK(error({{"begin", List{0, 0}}, {"end", List{4, 6}}, {"begin_mask", List{2, 0}}}) ==
          "slice_by_index begin_mask [2, 0] must hold only 0 or 1");
}

TEST_CASE("expand_dims and squeeze add and remove unit dimensions", "[ops]") {
    CHECK(inferOne("expand_dims", {f16({2, 3})}, {{"axes", List{0}}}) == f16({1, 2, 3}));
    CHECK(inferOne("expand_dims", {f16({2, 3})}, {{"axes", List{-1}}}) == f16({2, 3, 1}));
    CHECK(inferOne("expand_dims", {f16({2, 3})}, {{"axes", List{0, 3}}}) == f16({1, 2, 3, 1}));
    CHECK(inferOne("expand_dims", {f16({2, 3})}, {{"axes", List{3, 0}}}) == f16({1, 2, 3, 1}));
    CHECK(inferOne("expand_dims", {f16({})}, {{"axes", List{0}}}) == f16({1}));
    CHECK(inferError("expand_dims", {f16({2, 3})}, {{"axes", List{}}}) ==
          "expand_dims needs at least one axis");
    CHECK(inferError("expand_dims", {f16({2, 3})}, {{"axes", List{3}}}) ==
          "expand_dims axis 3 is out of range for the rank-3 result of expanding fp16[2,3]");
    CHECK(inferError("expand_dims", {f16({2, 3})}, {{"axes", List{0, -4}}}) ==
          "expand_dims axes [0, -4] insert at position 0 twice");

    CHECK(inferOne("squeeze", {f16({1, 3, 1, 4})}) == f16({3, 4}));
    CHECK(inferOne("squeeze", {f16({1, 3, 1, 4})}, {{"axes", List{0}}}) == f16({3, 1, 4}));
    CHECK(inferOne("squeeze", {f16({1, 3, 1, 4})}, {{"axes", List{-2}}}) == f16({1, 3, 4}));
    CHECK(inferOne("squeeze", {f16({1, 1})}) == f16({}));
    CHECK(inferError("squeeze", {f16({1, 768, 1, 64})}, {{"axes", List{1}}}) ==
          "cannot squeeze axis 1 of fp16[1,768,1,64]: its size is 768, not 1");
    CHECK(inferError("squeeze", {f16({1, 3})}, {{"axes", List{2}}}) ==
          "squeeze axes 2 is out of range for fp16[1,3] (rank 2)");
    CHECK(inferError("squeeze", {f16({1, 3})}, {{"axes", List{0, -2}}}) ==
          "squeeze axes [0, -2] name axis 0 of fp16[1,3] twice");
    CHECK(inferError("squeeze", {f16({})}) == "squeeze needs a tensor of rank >= 1, got fp16");
}

TEST_CASE("softmax keeps the shape and checks its axis", "[ops]") {
    CHECK(inferOne("softmax", {f16({1, 12, 64, 64})}) == f16({1, 12, 64, 64}));
    CHECK(inferOne("softmax", {f32({2, 3})}, {{"axis", integer(-2)}}) == f32({2, 3}));
    CHECK(inferError("softmax", {f16({2, 3})}, {{"axis", integer(3)}}) ==
          "softmax axis 3 is out of range for fp16[2,3] (rank 2)");
    CHECK(inferError("softmax", {f16({2, 3})}, {{"axis", integer(-3)}}) ==
          "softmax axis -3 is out of range for fp16[2,3] (rank 2)");
    CHECK(inferError("softmax", {i32({2, 3})}) ==
          "softmax needs a floating-point tensor, got int32[2,3]");
    CHECK(inferError("softmax", {f16({})}) == "softmax needs a tensor of rank >= 1, got fp16");
}

TEST_CASE("reductions remove or keep the reduced axes", "[ops]") {
    for (const char* kind : {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min"}) {
        INFO(kind);
        const std::string name = kind;
        const TensorType x = f16({2, 3, 4});
        CHECK(inferOne(kind, {x}, {{"axes", List{1}}}) == f16({2, 4}));
        CHECK(inferOne(kind, {x}, {{"axes", List{1}}, {"keep_dims", true}}) == f16({2, 1, 4}));
        CHECK(inferOne(kind, {x}, {{"axes", List{-1, 0}}}) == f16({3}));
        CHECK(inferOne(kind, {x}) == f16({}));
        CHECK(inferOne(kind, {x}, {{"keep_dims", true}}) == f16({1, 1, 1}));
        CHECK(inferOne(kind, {i32({5, 2})}, {{"axes", List{0}}}) == i32({2}));
        CHECK(inferError(kind, {x}, {{"axes", List{3}}}) ==
              name + " axes 3 is out of range for fp16[2,3,4] (rank 3)");
        CHECK(inferError(kind, {x}, {{"axes", List{1, -2}}}) ==
              name + " axes [1, -2] name axis 1 of fp16[2,3,4] twice");
        CHECK(inferError(kind, {boolean({2})}) == name + " needs a numeric tensor, got bool[2]");
    }
}

TEST_CASE("layer_norm checks gamma and beta against the normalised dimensions", "[ops]") {
    const TensorType x = f16({1, 768, 1, 64});
    const TensorType g = f16({768});
    CHECK(inferPtrs("layer_norm", {&x, &g, &g}, {{"axes", List{1}}})->front() == x);
    CHECK(inferPtrs("layer_norm", {&x, nullptr, nullptr}, {{"axes", List{-3}}})->front() == x);
    CHECK(inferPtrs("layer_norm", {&x, &g, nullptr}, {{"axes", List{1}}, {"epsilon", 1e-6}})
              ->front() == x);
    const TensorType x3 = f32({2, 3, 4});
    const TensorType g34 = f32({3, 4});
    const TensorType g234 = f32({2, 3, 4});
    CHECK(inferPtrs("layer_norm", {&x3, &g34, &g34}, {{"axes", List{2, 1}}})->front() == x3);
    CHECK(inferPtrs("layer_norm", {&x3, &g234, nullptr})->front() == x3); // no axes: all

    const TensorType g4 = f16({1, 768, 1, 1});
    CHECK(inferPtrs("layer_norm", {&x, &g4, nullptr}, {{"axes", List{1}}}).error() ==
          "layer_norm gamma fp16[1,768,1,1] must have shape [768] (the normalised dimensions of x "
          "fp16[1,768,1,64])");
    const TensorType b32 = f32({768});
    CHECK(inferPtrs("layer_norm", {&x, nullptr, &b32}, {{"axes", List{1}}}).error() ==
          "layer_norm beta fp32[768] and x fp16[1,768,1,64] have different element types");
    const TensorType xi = i32({2, 3});
    CHECK(inferPtrs("layer_norm", {&xi, nullptr, nullptr}).error() ==
          "layer_norm needs a floating-point x, got int32[2,3]");
    CHECK(inferPtrs("layer_norm", {&x, nullptr, nullptr}, {{"axes", List{4}}}).error() ==
          "layer_norm axes 4 is out of range for fp16[1,768,1,64] (rank 4)");
    CHECK(inferPtrs("layer_norm", {&x, nullptr, nullptr}, {{"epsilon", -1.0}}).error() ==
          "layer_norm epsilon must not be negative, got -1.0");
    CHECK(inferPtrs("layer_norm", {&x, nullptr})->front() == x); // trailing beta omitted
    CHECK(inferPtrs("layer_norm", {&x, nullptr, nullptr, nullptr}).error() ==
          "layer_norm expects 1 to 3 operand(s), got 4");
}

TEST_CASE("elementwise binary ops broadcast like numpy", "[ops]") {
    CHECK(inferOne("add", {f16({1, 768, 1, 64}), f16({768, 1, 1})}) == f16({1, 768, 1, 64}));
    CHECK(inferOne("mul", {f16({1, 768, 1, 64}), f16({})}) == f16({1, 768, 1, 64}));
    CHECK(inferOne("sub", {f16({3, 1}), f16({1, 4})}) == f16({3, 4}));
    CHECK(inferOne("real_div", {f16({}), f16({})}) == f16({}));
    CHECK(inferOne("less", {f16({2, 3}), f16({3})}) == boolean({2, 3}));
    CHECK(inferOne("equal", {i32({2}), i32({2})}) == boolean({2}));
    CHECK(inferError("add", {f16({1, 768, 1, 64}), f16({1, 2048, 1, 64})}) ==
          "cannot add fp16[1,768,1,64] and fp16[1,2048,1,64]");
    CHECK(inferError("mul", {f16({2}), f32({2})}) ==
          "cannot multiply fp16[2] and fp32[2]: element types differ");
    CHECK(inferOne("select", {boolean({2, 1}), f16({1, 3}), f16({})}) == f16({2, 3}));
    CHECK(inferError("select", {f16({2}), f16({2}), f16({2})}) ==
          "select needs a bool condition, got fp16[2]");
    CHECK(inferError("select", {boolean({4}), f16({2}), f16({2})}) ==
          "cannot select with condition bool[4] between fp16[2] and fp16[2]");
}

TEST_CASE("unary ops, gelu modes, cast and identity", "[ops]") {
    CHECK(inferOne("tanh", {f16({2, 3})}) == f16({2, 3}));
    CHECK(inferOne("rsqrt", {f32({2})}) == f32({2}));
    CHECK(inferError("exp", {i32({2})}) == "exp needs a floating-point tensor, got int32[2]");
    for (const char* mode : {"EXACT", "TANH_APPROXIMATION", "SIGMOID_APPROXIMATION"})
        CHECK(inferOne("gelu", {f16({4})}, {{"mode", std::string(mode)}}) == f16({4}));
    CHECK(inferOne("gelu", {f16({4})}) == f16({4}));
    CHECK(inferError("gelu", {f16({4})}, {{"mode", std::string("tanh")}}) ==
          "gelu mode must be EXACT, TANH_APPROXIMATION or SIGMOID_APPROXIMATION, got \"tanh\"");
    CHECK(inferError("gelu", {i32({4})}) == "gelu needs a floating-point tensor, got int32[4]");
    CHECK(inferOne("clip", {f16({4})}, {{"alpha", 0.0}, {"beta", 6.0}}) == f16({4}));
    CHECK(inferError("clip", {f16({4})}, {{"alpha", 0.0}}) == "clip: missing attribute 'beta'");
    CHECK(inferOne("cast", {f32({1, 4})}, {{"dtype", std::string("fp16")}}) == f16({1, 4}));
    CHECK(inferError("cast", {f32({1, 4})}, {{"dtype", std::string("float")}}) ==
          "cast: unknown dtype 'float'");
    CHECK(inferOne("identity", {i32({2, 2})}) == i32({2, 2}));
    CHECK(inferOne("identity", {f16({})}) == f16({}));
}
