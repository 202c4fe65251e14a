// conv's optional bias and scaled_dot_product_attention: shape inference, every error message,
// and how the builder stores an omitted optional operand.
#include <catch2/catch.hpp>

#include "ir/builder.hpp"
#include "ir/op_registry.hpp"
#include "unit/ir/ir_test_support.hpp"

using namespace anec;
using namespace anec::ir;
using namespace anec::ir::test;

namespace {
Expected<std::vector<TensorType>> inferTypes(const std::string& kind,
                                             std::vector<const TensorType*> operands) {
    AttrMap attrs;
    return inferOp(OpRegistry::builtin().get(kind), operands, attrs, nullptr);
}

TensorType inferOne(const std::string& kind, std::vector<const TensorType*> operands) {
    auto result = inferTypes(kind, std::move(operands));
    INFO((result.ok() ? std::string("ok") : result.error()));
    REQUIRE(result.ok());
    REQUIRE(result->size() == 1);
    return result->front();
}

std::string inferError(const std::string& kind, std::vector<const TensorType*> operands) {
    auto result = inferTypes(kind, std::move(operands));
    REQUIRE_FALSE(result.ok());
    return result.error();
}

const std::string kSdpa = "scaled_dot_product_attention";
} // namespace

TEST_CASE("conv takes an optional bias [Cout]", "[ops][bias]") {
    const TensorType x = f16({1, 4, 2, 3}), w = f16({8, 4, 1, 1}), bias = f16({8});
    CHECK(inferOne("conv", {&x, &w, &bias}) == f16({1, 8, 2, 3}));
    CHECK(inferOne("conv", {&x, &w, nullptr}) == f16({1, 8, 2, 3}));
    CHECK(inferOne("conv", {&x, &w}) == f16({1, 8, 2, 3})); // trailing optional omitted

    const TensorType fp32Bias = f32({8}), broadcastBias = f16({1, 8, 1, 1}), shortBias = f16({4});
    CHECK(inferError("conv", {&x, &w, &fp32Bias}) ==
          "conv bias fp32[8] and x fp16[1,4,2,3] have different element types");
    CHECK(inferError("conv", {&x, &w, &broadcastBias}) ==
          "conv bias fp16[1,8,1,1] must have shape [8] (one value per output channel of weight "
          "fp16[8,4,1,1])");
    CHECK(inferError("conv", {&x, &w, &shortBias}) ==
          "conv bias fp16[4] must have shape [8] (one value per output channel of weight "
          "fp16[8,4,1,1])");
    CHECK(inferError("conv", {&x, &w, &bias, &bias}) == "conv expects 2 to 3 operand(s), got 4");
    CHECK(inferError("conv", {&x, nullptr, &bias}) == "conv: missing operand 'weight'");
}

TEST_CASE("the builder stores an omitted optional operand as nullptr", "[ops][bias]") {
    Kernel kernel;
    Builder builder(kernel);
    Value* x = kernel.addInput("x", f16({1, 4, 1, 2}));
    Value* w = kernel.addInput("w", f16({8, 4, 1, 1}));
    auto conv = builder.create("conv", {x, w});
    REQUIRE(conv.ok());
    REQUIRE((*conv)->operands.size() == 3);
    CHECK((*conv)->operands[2] == nullptr);
    auto norm = builder.create("layer_norm", {x}, {{"axes", std::vector<int64_t>{1}}});
    REQUIRE(norm.ok());
    CHECK((*norm)->operands == std::vector<Value*>{x, nullptr, nullptr});
    // A variadic op keeps exactly the operands it was given.
    auto concat = builder.create("concat", {x, x}, {{"axis", int64_t{1}}});
    REQUIRE(concat.ok());
    CHECK((*concat)->operands.size() == 2);
}

TEST_CASE("scaled_dot_product_attention infers [batch.., L, Ev]", "[ops][attention]") {
    const TensorType q = f16({1, 2, 8, 16}), k = f16({1, 2, 12, 16}), v = f16({1, 2, 12, 32});
    CHECK(inferOne(kSdpa, {&q, &k, &v}) == f16({1, 2, 8, 32}));
    const TensorType q3 = f32({3, 5, 4}), k3 = f32({3, 7, 4}), v3 = f32({3, 7, 2});
    CHECK(inferOne(kSdpa, {&q3, &k3, &v3}) == f32({3, 5, 2}));
    // Masks: bool or the query's float type, broadcasting to the scores [1, 2, 8, 12].
    for (const TensorType& mask : {boolean({1, 2, 8, 12}), boolean({8, 12}), f16({1, 1, 8, 12}),
                                   f16({12}), f16({2, 1, 12})}) {
        INFO(mask.str());
        CHECK(inferOne(kSdpa, {&q, &k, &v, &mask}) == f16({1, 2, 8, 32}));
    }
    CHECK(inferOne(kSdpa, {&q, &k, &v, nullptr}) == f16({1, 2, 8, 32}));
}

TEST_CASE("scaled_dot_product_attention reports bad operands", "[ops][attention]") {
    const TensorType q = f16({1, 2, 8, 16}), k = f16({1, 2, 12, 16}), v = f16({1, 2, 12, 32});
    const TensorType kf32 = f32({1, 2, 12, 16});
    CHECK(inferError(kSdpa, {&q, &kf32, &v}) ==
          "scaled_dot_product_attention needs one element type, got query fp16[1,2,8,16], key "
          "fp32[1,2,12,16] and value fp16[1,2,12,32]");
    const TensorType qi = i32({1, 2, 8, 16});
    CHECK(inferError(kSdpa, {&qi, &qi, &qi}) ==
          "scaled_dot_product_attention needs fp16 or fp32 tensors, got query int32[1,2,8,16], key "
          "int32[1,2,8,16] and value int32[1,2,8,16]");
    const TensorType q2 = f16({8, 16}), k2 = f16({12, 16}), v2 = f16({12, 32});
    CHECK(inferError(kSdpa, {&q2, &k2, &v2}) ==
          "scaled_dot_product_attention needs query fp16[8,16], key fp16[12,16] and value "
          "fp16[12,32] of one rank >= 3 ([batch.., sequence, embedding])");
    const TensorType k3 = f16({2, 12, 16});
    CHECK(inferError(kSdpa, {&q, &k3, &v}) ==
          "scaled_dot_product_attention needs query fp16[1,2,8,16], key fp16[2,12,16] and value "
          "fp16[1,2,12,32] of one rank >= 3 ([batch.., sequence, embedding])");
    // coremltools requires equal batch dims (no broadcasting between query, key and value).
    const TensorType kb = f16({1, 1, 12, 16});
    CHECK(inferError(kSdpa, {&q, &kb, &v}) ==
          "scaled_dot_product_attention needs the same batch dimensions in query fp16[1,2,8,16], "
          "key fp16[1,1,12,16] and value fp16[1,2,12,32]");
    const TensorType ke = f16({1, 2, 12, 8});
    CHECK(inferError(kSdpa, {&q, &ke, &v}) ==
          "scaled_dot_product_attention: query fp16[1,2,8,16] and key fp16[1,2,12,8] have "
          "different embedding sizes (16 and 8)");
    const TensorType vs = f16({1, 2, 10, 32});
    CHECK(inferError(kSdpa, {&q, &k, &vs}) ==
          "scaled_dot_product_attention: key fp16[1,2,12,16] and value fp16[1,2,10,32] have "
          "different sequence lengths (12 and 10)");
    const TensorType dynamic = f16({1, 2, kDynamicDim, 16});
    CHECK(inferError(kSdpa, {&dynamic, &k, &v}) ==
          "scaled_dot_product_attention needs static shapes, got query fp16[1,2,?,16], key "
          "fp16[1,2,12,16] and value fp16[1,2,12,32]");
    CHECK(inferError(kSdpa, {&q, &k}) ==
          "scaled_dot_product_attention expects 3 to 4 operand(s), got 2");
}

TEST_CASE("scaled_dot_product_attention reports bad masks", "[ops][attention]") {
    const TensorType q = f16({1, 2, 8, 16}), k = f16({1, 2, 12, 16}), v = f16({1, 2, 12, 32});
    const TensorType fp32Mask = f32({8, 12});
    CHECK(inferError(kSdpa, {&q, &k, &v, &fp32Mask}) ==
          "scaled_dot_product_attention attn_mask fp32[8,12] must be bool or fp16 like query "
          "fp16[1,2,8,16]");
    const std::string shapeTail =
        " must broadcast to the scores [1,2,8,12] ([batch.., L, S]) with its last dim equal to "
        "S = 12";
    for (const TensorType& mask : {boolean({8, 1}), boolean({8, 16}), boolean({3, 8, 12}),
                                   boolean({1, 1, 1, 8, 12}), boolean({})}) {
        INFO(mask.str());
        CHECK(inferError(kSdpa, {&q, &k, &v, &mask}) ==
              "scaled_dot_product_attention attn_mask " + mask.str() + shapeTail);
    }
}
