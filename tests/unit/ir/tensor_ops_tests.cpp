// Shape inference and messages of the indexing and tensor ops: gather, gather_along_axis,
// band_part, cumsum, fill, range_1d, pad, tile, stack, reverse, topk and argsort.
#include "unit/ir/ir_test_support.hpp"

using namespace anec;
using namespace anec::ir;
using namespace anec::ir::test;

TEST_CASE("gather: x[:axis] + indices[batch_dims:] + x[axis+1:]", "[ops][gather]") {
    // The embedding lookup: a [vocab, dim] table and int32 token ids [1, seq].
    CHECK(OpInference("gather").input(f16({100, 16})).input(i32({1, 8})).one() == f16({1, 8, 16}));
    CHECK(
        OpInference("gather", {{"axis", integer(1)}}).input(f32({2, 5, 3})).input(i32({4})).one() ==
        f32({2, 4, 3}));
    CHECK(OpInference("gather", {{"axis", integer(-1)}}).input(i32({2, 5})).input(i32({})).one() ==
          i32({2}));
    CHECK(OpInference("gather", {{"axis", integer(1)}, {"batch_dims", integer(1)}})
              .input(f16({2, 5, 3}))
              .input(i32({2, 4}))
              .one() == f16({2, 4, 3}));
    CHECK(OpInference("gather").input(f16({4})).constant(i32({2}), {0, 3}).one() == f16({2}));
}

TEST_CASE("gather diagnostics", "[ops][gather]") {
    CHECK(OpInference("gather").input(f16({4, 2})).input(f16({2})).error() ==
          "gather indices must be int32, got fp16[2] (cast them with cast(indices, int32))");
    CHECK(OpInference("gather").input(boolean({4})).input(i32({2})).error() ==
          "gather needs an fp16, fp32 or int32 tensor, got bool[4]");
    CHECK(OpInference("gather").input(f16({})).input(i32({2})).error() ==
          "gather needs x of rank >= 1, got fp16");
    CHECK(
        OpInference("gather", {{"axis", integer(2)}}).input(f16({4, 2})).input(i32({2})).error() ==
        "gather axis 2 is out of range for fp16[4,2] (rank 2)");
    CHECK(OpInference("gather", {{"batch_dims", integer(1)}})
              .input(f16({4, 2}))
              .input(i32({4}))
              .error() == "gather batch_dims 1 must be between 0 and both the rank of indices and "
                          "the axis 0 (x fp16[4,2], indices int32[4])");
    CHECK(OpInference("gather", {{"axis", integer(1)}, {"batch_dims", integer(1)}})
              .input(f16({4, 2}))
              .input(i32({3, 1}))
              .error() == "gather with batch_dims 1 needs the same leading dimensions in x and "
                          "indices (x fp16[4,2], indices int32[3,1])");
    CHECK(OpInference("gather").input(f16({5, 2})).constant(i32({3}), {0, 5, 1}).error() ==
          "gather index 5 (element 1 of the indices) is out of range for axis 0 of fp16[5,2] "
          "(valid: 0 to 4)");
    CHECK(OpInference("gather").input(f16({5, 2})).constant(i32({1}), {-1}).error() ==
          "gather index -1 (element 0 of the indices) is out of range for axis 0 of fp16[5,2] "
          "(valid: 0 to 4)");
}

TEST_CASE("gather_along_axis: the result has the shape of indices", "[ops][gather]") {
    CHECK(OpInference("gather_along_axis", {{"axis", integer(1)}})
              .input(f16({2, 5, 3}))
              .input(i32({2, 7, 3}))
              .one() == f16({2, 7, 3}));
    CHECK(OpInference("gather_along_axis").input(f16({2, 5})).input(i32({2})).error() ==
          "gather_along_axis needs x fp16[2,5] and indices int32[2] of the same rank");
    CHECK(OpInference("gather_along_axis").input(f16({2, 5})).input(i32({2, 4})).error() ==
          "gather_along_axis needs x fp16[2,5] and indices int32[2,4] to agree in every dimension "
          "but the axis 0; dimension 1 differs");
    CHECK(OpInference("gather_along_axis", {{"axis", integer(1)}})
              .input(f16({2, 5}))
              .constant(i32({2, 1}), {4, 9})
              .error() == "gather_along_axis index 9 (element 1 of the indices) is out of range "
                          "for axis 1 of fp16[2,5] (valid: 0 to 4)");
}

TEST_CASE("band_part and cumsum keep the type of x", "[ops][tensor]") {
    CHECK(OpInference("band_part").input(boolean({8, 8})).one() == boolean({8, 8}));
    CHECK(OpInference("band_part", {{"lower", integer(0)}}).input(f16({2, 3, 4})).one() ==
          f16({2, 3, 4}));
    CHECK(OpInference("band_part").input(f16({4})).error() ==
          "band_part needs a tensor of rank >= 2 (its last two dims are the matrix), got fp16[4]");
    CHECK(OpInference("band_part").input({DType::Int8, {2, 2}}).error() ==
          "band_part needs an fp16, fp32 or int32 tensor, got int8[2,2] (or bool)");
    CHECK(OpInference("cumsum", {{"axis", integer(-1)}}).input(i32({3, 4})).one() == i32({3, 4}));
    CHECK(OpInference("cumsum", {{"axis", integer(2)}}).input(f16({3, 4})).error() ==
          "cumsum axis 2 is out of range for fp16[3,4] (rank 2)");
    CHECK(OpInference("cumsum").input(f16({})).error() ==
          "cumsum needs a tensor of rank >= 1, got fp16");
}

TEST_CASE("fill takes its type from the value", "[ops][tensor]") {
    const AttrMap shape{{"shape", List{2, 3}}};
    CHECK(OpInference("fill", shape).input(boolean({})).one() == boolean({2, 3}));
    CHECK(OpInference("fill", shape).input(i32({})).one() == i32({2, 3}));
    CHECK(OpInference("fill", shape).absent().one() == f32({2, 3})); // MIL: value 0.0
    CHECK(OpInference("fill", shape).input(f16({1})).error() ==
          "fill value must be a scalar, got fp16[1]");
    CHECK(OpInference("fill", {{"shape", List{2, 0}}}).input(f16({})).error() ==
          "fill shape [2, 0] must be positive");
    CHECK(OpInference("fill", {{"shape", List{}}}).input(f16({})).error() ==
          "fill needs a shape with at least one dimension");
    CHECK(OpInference("fill", {{"shape", List{int64_t(1) << 30, int64_t(1) << 30}}})
              .input(f16({}))
              .error() == "fill: the result [1073741824,1073741824] is too large");
}

TEST_CASE("range_1d: ceil((end - start) / step) elements of constant scalars", "[ops][tensor]") {
    auto range = [](DType dtype, double start, double end, double step) {
        return OpInference("range_1d")
            .constant({dtype, {}}, {start})
            .constant({dtype, {}}, {end})
            .constant({dtype, {}}, {step});
    };
    CHECK(range(DType::Int32, 0, 8, 1).one() == i32({8}));
    CHECK(range(DType::Int32, 0, 7, 2).one() == i32({4}));
    CHECK(range(DType::Int32, 5, -1, -3).one() == i32({2}));
    CHECK(range(DType::Fp16, 0, 1, 0.25).one() == f16({4}));
    CHECK(range(DType::Int32, 3, 3, 1).error() == "range_1d from 3 to 3 by 1 is empty");
    CHECK(range(DType::Int32, 0, 3, 0).error() ==
          "range_1d from 0 to 3 by 0: the step must be non-zero and all three finite");
    CHECK(OpInference("range_1d")
              .constant(i32({}), {0})
              .input(i32({}))
              .constant(i32({}), {1})
              .error() == "range_1d needs constant start, end and step (they set its length), but "
                          "end is computed");
    CHECK(OpInference("range_1d")
              .constant(i32({}), {0})
              .constant(f16({}), {4})
              .constant(i32({}), {1})
              .error() == "range_1d needs start, end and step of one type, got int32, fp16 and "
                          "int32");
    CHECK(OpInference("range_1d")
              .constant(i32({1}), {0})
              .constant(i32({}), {4})
              .constant(i32({}), {1})
              .error() == "range_1d start must be a scalar, got int32[1]");
}

TEST_CASE("pad adds (before, after) pairs to the last dims", "[ops][tensor]") {
    auto pad = [](List amounts, std::string mode = "constant") {
        return OpInference("pad", {{"pad", amounts}, {"mode", mode}});
    };
    CHECK(pad({1, 2}).input(f16({2, 3, 4})).one() == f16({2, 3, 7}));
    CHECK(pad({1, 1, 0, 3}).input(f16({2, 3, 4})).one() == f16({2, 5, 7}));
    CHECK(pad({2, 2}, "reflect").input(f16({3})).one() == f16({7}));
    CHECK(pad({3, 0}, "replicate").input(f16({3})).one() == f16({6}));
    CHECK(pad({3, 0}, "reflect").input(f16({3})).error() ==
          "pad [3, 0] in mode \"reflect\" can add at most 2 elements on each side of dimension 0 "
          "of fp16[3]");
    CHECK(pad({1, 2, 3}).input(f16({2, 3})).error() ==
          "pad [1, 2, 3] must hold a (before, after) pair for each of the last dims of fp16[2,3] "
          "(2 to 4 values)");
    CHECK(pad({1, -2}).input(f16({2, 3})).error() == "pad [1, -2] must not be negative");
    CHECK(pad({1, 1}, "wrap").input(f16({3})).error() ==
          "pad mode must be \"constant\", \"reflect\" or \"replicate\", got \"wrap\"");
    CHECK(pad({1, 1}).input(i32({3})).error() == "pad needs a floating-point tensor, got int32[3]");
}

TEST_CASE("tile, stack and reverse", "[ops][tensor]") {
    CHECK(OpInference("tile", {{"reps", List{2, 1, 3}}}).input(f16({1, 4, 2})).one() ==
          f16({2, 4, 6}));
    CHECK(OpInference("tile", {{"reps", List{2}}}).input(f16({1, 4})).error() ==
          "tile reps [2] has 1 entries but fp16[1,4] has rank 2");
    CHECK(OpInference("tile", {{"reps", List{2, 0}}}).input(f16({1, 4})).error() ==
          "tile reps [2, 0] must be positive");
    CHECK(
        OpInference("stack", {{"axis", integer(0)}}).input(f16({2, 3})).input(f16({2, 3})).one() ==
        f16({2, 2, 3}));
    CHECK(OpInference("stack", {{"axis", integer(-1)}})
              .input(f16({2, 3}))
              .input(f16({2, 3}))
              .input(f16({2, 3}))
              .one() == f16({2, 3, 3}));
    CHECK(OpInference("stack", {{"axis", integer(3)}}).input(f16({2, 3})).error() ==
          "stack axis 3 is out of range for the rank-3 result of stacking fp16[2,3]");
    CHECK(OpInference("stack", {{"axis", integer(0)}})
              .input(f16({2, 3}))
              .input(f16({3, 2}))
              .error() == "stack needs values of one type, got fp16[2,3] and fp16[3,2]");
    CHECK(OpInference("reverse").input(boolean({2, 3})).one() == boolean({2, 3}));
    CHECK(OpInference("reverse", {{"axes", List{1, -1}}}).input(f16({2, 3})).error() ==
          "reverse axes [1, -1] name axis 1 of fp16[2,3] twice");
}

TEST_CASE("topk gives values and int32 indices; argsort indices", "[ops][tensor]") {
    auto results =
        OpInference("topk", {{"k", integer(2)}, {"axis", integer(1)}}).input(f16({3, 5, 4})).all();
    REQUIRE(results.size() == 2);
    CHECK(results[0] == f16({3, 2, 4}));
    CHECK(results[1] == i32({3, 2, 4}));
    CHECK(OpInference("topk", {{"k", integer(6)}}).input(f16({3, 5})).error() ==
          "topk k 6 must be between 1 and the size 5 of axis 1 of fp16[3,5]");
    CHECK(OpInference("topk").input(boolean({3})).error() ==
          "topk needs an fp16, fp32 or int32 tensor, got bool[3]");
    CHECK(OpInference("argsort").input(f32({3, 5})).one() == i32({3, 5}));
    CHECK(OpInference("argsort").input(f32({})).error() ==
          "argsort needs a tensor of rank >= 1, got fp32");
}

TEST_CASE("scatter_along_axis writes updates of the shape of indices", "[ops][gather]") {
    auto scatter = [](std::string mode = "add") {
        return OpInference("scatter_along_axis", {{"axis", integer(1)}, {"mode", mode}});
    };
    CHECK(scatter().input(f16({2, 8, 4})).input(i32({2, 1, 4})).input(f16({2, 1, 4})).one() ==
          f16({2, 8, 4}));
    CHECK(scatter("swap").input(f16({2, 8})).input(i32({2, 1})).input(f16({2, 1})).error() ==
          "scatter_along_axis mode must be update, add, sub, mul, div, max or min, got \"swap\"");
    CHECK(scatter().input(f16({2, 8})).input(i32({2, 1})).input(f16({2, 2})).error() ==
          "scatter_along_axis updates fp16[2,2] must have the shape of indices int32[2,1] and the "
          "element type of data fp16[2,8]");
    CHECK(scatter().input(f16({2, 8})).input(i32({3, 1})).input(f16({3, 1})).error() ==
          "scatter_along_axis needs data fp16[2,8] and indices int32[3,1] to agree in every "
          "dimension but the axis 1; dimension 0 differs");
    CHECK(scatter().input(f16({2, 8})).constant(i32({2, 1}), {0, 8}).input(f16({2, 1})).error() ==
          "scatter_along_axis index 8 (element 1 of the indices) is out of range for axis 1 of "
          "fp16[2,8] (valid: 0 to 7)");
}

TEST_CASE("pixel_shuffle and upsample_nearest_neighbor", "[ops][tensor]") {
    CHECK(OpInference("pixel_shuffle", {{"upscale_factor", integer(2)}})
              .input(f16({1, 8, 3, 5}))
              .one() == f16({1, 2, 6, 10}));
    CHECK(OpInference("pixel_shuffle", {{"upscale_factor", integer(2)}})
              .input(f16({1, 6, 3, 5}))
              .error() ==
          "pixel_shuffle upscale_factor 2 must be positive with its square dividing the 6 "
          "channels of fp16[1,6,3,5]");
    CHECK(OpInference("pixel_shuffle", {{"upscale_factor", integer(1)}})
              .input(f16({6, 3, 5}))
              .error() == "pixel_shuffle needs x of rank 4 [N, C, H, W], got fp16[6,3,5]");
    CHECK(OpInference("upsample_nearest_neighbor",
                      {{"scale_factor_height", integer(2)}, {"scale_factor_width", integer(3)}})
              .input(f16({1, 4, 3, 5}))
              .one() == f16({1, 4, 6, 15}));
    CHECK(OpInference("upsample_nearest_neighbor", {{"scale_factor_width", integer(0)}})
              .input(f16({1, 4, 3, 5}))
              .error() == "upsample_nearest_neighbor scale factors must be positive integers, "
                          "got 1 and 0");
    CHECK(OpInference("upsample_nearest_neighbor").input(f16({3, 5})).error() ==
          "upsample_nearest_neighbor needs x of rank >= 3 ([.., H, W]), got fp16[3,5]");
}
