// Shape inference and messages of the math ops added for transformers, CNNs and decoders: unary
// math and activations, logical / floor_div / mod, reductions and arg-reductions, pooling, the
// per-channel norms and iOS17 quantization.
#include "unit/ir/ir_test_support.hpp"

using namespace anec;
using namespace anec::ir;
using namespace anec::ir::test;

namespace {
TensorType i8(Shape shape) {
    return {DType::Int8, std::move(shape)};
}
TensorType u8(Shape shape) {
    return {DType::UInt8, std::move(shape)};
}
} // namespace

TEST_CASE("unary math and activations keep the float type", "[ops][math]") {
    for (const char* kind : {"sin",  "cos",    "tan",   "asin",     "acos",     "atan",   "sinh",
                             "cosh", "atanh",  "floor", "ceil",     "round",    "erf",    "exp2",
                             "sign", "square", "relu6", "softplus", "softsign", "inverse"}) {
        INFO(kind);
        CHECK(OpInference(kind).input(f16({2, 3})).one() == f16({2, 3}));
        CHECK(OpInference(kind).input(i32({2})).error() ==
              std::string(kind) + " needs a floating-point tensor, got int32[2]");
    }
    CHECK(OpInference("leaky_relu", {{"alpha", 0.1}}).input(f32({4})).one() == f32({4}));
    CHECK(OpInference("elu").input(f32({4})).error() == "elu: missing attribute 'alpha'");
    CHECK(OpInference("sigmoid_hard", {{"alpha", 0.2}, {"beta", 0.5}}).input(f16({})).one() ==
          f16({}));
}

TEST_CASE("logical ops take bool; floor_div and mod take numbers", "[ops][math]") {
    CHECK(OpInference("logical_and").input(boolean({2, 1})).input(boolean({3})).one() ==
          boolean({2, 3}));
    CHECK(OpInference("logical_xor").input(boolean({2})).input(i32({2})).error() ==
          "cannot apply logical_xor to bool[2] and int32[2]: element types differ");
    CHECK(OpInference("logical_or").input(f16({2})).input(f16({2})).error() ==
          "logical_or needs bool tensors, got fp16[2]");
    CHECK(OpInference("logical_not").input(boolean({2})).one() == boolean({2}));
    CHECK(OpInference("logical_not").input(f16({2})).error() ==
          "logical_not needs a bool tensor, got fp16[2]");
    CHECK(OpInference("floor_div").input(i32({4, 1})).input(i32({5})).one() == i32({4, 5}));
    CHECK(OpInference("mod").input(f16({4})).input(f16({})).one() == f16({4}));
    CHECK(OpInference("mod").input(boolean({4})).input(boolean({4})).error() ==
          "mod needs an fp16, fp32 or int32 tensor, got bool[4]");
    CHECK(OpInference("floor_div").input(f16({4})).input(f16({3})).error() ==
          "cannot apply floor_div to fp16[4] and fp16[3]");
}

TEST_CASE("the new reductions follow reduce_sum's shape rules", "[ops][math]") {
    for (const char* kind : {"reduce_prod", "reduce_l1_norm", "reduce_l2_norm", "reduce_log_sum",
                             "reduce_log_sum_exp", "reduce_sum_square"}) {
        INFO(kind);
        CHECK(OpInference(kind, {{"axes", List{1}}, {"keep_dims", true}})
                  .input(f16({2, 3, 4}))
                  .one() == f16({2, 1, 4}));
        CHECK(OpInference(kind).input(f16({2, 3})).one() == f16({}));
    }
    CHECK(OpInference("reduce_prod", {{"axes", List{0}}}).input(i32({2, 3})).one() == i32({3}));
    CHECK(OpInference("reduce_log_sum_exp").input(i32({2})).error() ==
          "reduce_log_sum_exp needs a floating-point tensor, got int32[2]");
    CHECK(OpInference("reduce_l2_norm", {{"axes", List{2}}}).input(f16({2, 3})).error() ==
          "reduce_l2_norm axes 2 is out of range for fp16[2,3] (rank 2)");
}

TEST_CASE("reduce_argmax and reduce_argmin give int32 along one axis", "[ops][math]") {
    CHECK(OpInference("reduce_argmax").input(f16({2, 3, 5})).one() == i32({2, 3}));
    CHECK(OpInference("reduce_argmin", {{"axis", integer(0)}, {"keep_dims", true}})
              .input(i32({2, 3}))
              .one() == i32({1, 3}));
    CHECK(OpInference("reduce_argmax", {{"axis", integer(2)}}).input(f16({2, 3})).error() ==
          "reduce_argmax axis 2 is out of range for fp16[2,3] (rank 2)");
    CHECK(OpInference("reduce_argmax").input(f16({})).error() ==
          "reduce_argmax needs a tensor of rank >= 1, got fp16");
}

TEST_CASE("avg_pool and max_pool window geometry", "[ops][pool]") {
    auto pool = [](const char* kind, List kernel, List strides, std::string padType,
                   List pad = {}) {
        return OpInference(
            kind,
            {{"kernel_sizes", kernel}, {"strides", strides}, {"pad_type", padType}, {"pad", pad}});
    };
    CHECK(pool("max_pool", {2, 2}, {2, 2}, "valid").input(f16({1, 3, 8, 7})).one() ==
          f16({1, 3, 4, 3}));
    CHECK(pool("avg_pool", {3, 3}, {2, 2}, "same").input(f16({1, 3, 8, 7})).one() ==
          f16({1, 3, 4, 4}));
    CHECK(pool("avg_pool", {3}, {}, "custom", {1, 1}).input(f16({2, 3, 5})).one() ==
          f16({2, 3, 5}));
    CHECK(pool("max_pool", {2, 2, 2}, {}, "valid").input(f32({1, 1, 4, 4, 4})).one() ==
          f32({1, 1, 3, 3, 3}));
    CHECK(pool("max_pool", {2}, {}, "valid").input(f16({1, 3, 8, 7})).error() ==
          "max_pool kernel_sizes [2] needs 2 values, one per spatial dimension");
    CHECK(pool("max_pool", {9, 2}, {}, "valid").input(f16({1, 3, 8, 7})).error() ==
          "max_pool kernel [9, 2] does not fit in fp16[1,3,8,7] (spatial dimension 0)");
    CHECK(pool("max_pool", {2, 2}, {}, "valid", {1, 1, 1, 1}).input(f16({1, 3, 8, 7})).error() ==
          "max_pool pad [1, 1, 1, 1] needs pad_type \"custom\", got \"valid\"");
    CHECK(pool("avg_pool", {2, 2}, {}, "custom", {2, 0, 0, 0}).input(f16({1, 3, 8, 7})).error() ==
          "avg_pool pad [2, 0, 0, 0] must be smaller than the kernel [2, 2] (a window of padding "
          "only)");
    CHECK(pool("avg_pool", {2, 2}, {0, 1}, "valid").input(f16({1, 3, 8, 7})).error() ==
          "avg_pool strides [0, 1] must be positive");
    CHECK(pool("avg_pool", {2}, {}, "valid").input(f16({3, 8})).error() ==
          "avg_pool needs x of rank 3 to 5 [N, C, spatial...], got fp16[3,8]");
    CHECK(pool("avg_pool", {2}, {}, "full").input(f16({1, 3, 8})).error() ==
          "avg_pool pad_type must be \"valid\", \"same\", \"same_lower\" or \"custom\", got "
          "\"full\"");
    AttrMap ceil{
        {"kernel_sizes", List{2}}, {"pad_type", std::string("valid")}, {"ceil_mode", true}};
    CHECK(OpInference("max_pool", ceil).input(f16({1, 3, 8})).error() ==
          "max_pool ceil_mode is not supported (pad the input instead)");
}

TEST_CASE("batch_norm, instance_norm and l2_norm", "[ops][norm]") {
    CHECK(OpInference("batch_norm")
              .input(f16({2, 3, 4, 4}))
              .input(f16({3}))
              .input(f16({3}))
              .absent()
              .input(f16({3}))
              .one() == f16({2, 3, 4, 4}));
    CHECK(OpInference("batch_norm")
              .input(f16({2, 3, 4, 4}))
              .input(f16({1, 3, 1, 1}))
              .input(f16({3}))
              .error() == "batch_norm mean fp16[1,3,1,1] must be fp16[3] (one value per channel "
                          "of x fp16[2,3,4,4])");
    CHECK(OpInference("batch_norm").input(f16({2, 3})).input(f16({3})).input(f16({3})).error() ==
          "batch_norm needs x of rank 3 to 5 [N, C, spatial...], got fp16[2,3]");
    CHECK(OpInference("instance_norm").input(f32({2, 3, 4})).input(f32({3})).one() ==
          f32({2, 3, 4}));
    CHECK(OpInference("instance_norm").input(f32({2, 3, 4, 4, 4})).error() ==
          "instance_norm needs x of rank 3 to 4 [N, C, spatial...], got fp32[2,3,4,4,4]");
    CHECK(OpInference("instance_norm", {{"epsilon", -1.0}}).input(f32({2, 3, 4})).error() ==
          "instance_norm epsilon must not be negative, got -1.0");
    CHECK(OpInference("l2_norm").input(f16({5, 2, 3, 4})).one() == f16({5, 2, 3, 4}));
    CHECK(OpInference("l2_norm").input(f16({3, 4})).error() ==
          "l2_norm needs x of rank >= 3 (it normalises the last three dims), got fp16[3,4]");
}

TEST_CASE("quantize and dequantize: per tensor or per channel, iOS17", "[ops][quant]") {
    const AttrMap toInt8{{"output_dtype", std::string("int8")}};
    CHECK(OpInference("quantize", toInt8).input(f16({2, 3})).constant(f16({}), {0.5}).one() ==
          i8({2, 3}));
    AttrMap perChannel{{"output_dtype", std::string("uint8")}, {"axis", integer(1)}};
    CHECK(OpInference("quantize", perChannel)
              .input(f32({2, 3}))
              .constant(f32({3}), {0.5, 1, 2})
              .constant(u8({3}), {128, 128, 0})
              .one() == u8({2, 3}));
    CHECK(OpInference("dequantize", {{"axis", integer(0)}})
              .constant(i8({2, 3}), {1, 2, 3, 4, 5, 6})
              .constant(f16({2}), {0.5, 0.25})
              .one() == f16({2, 3}));
    CHECK(OpInference("dequantize").input(u8({4})).constant(f32({}), {0.1}).one() == f32({4}));
    CHECK(OpRegistry::builtin().get("quantize").sinceIos == 17);
    CHECK(OpRegistry::builtin().get("dequantize").sinceIos == 17);

    CHECK(OpInference("quantize", toInt8).input(f16({2, 3})).input(f16({})).error() ==
          "quantize needs a constant scale");
    CHECK(OpInference("quantize", toInt8).input(f16({2, 3})).constant(f16({}), {0}).error() ==
          "quantize scale values must be finite and non-zero, got 0.0");
    CHECK(OpInference("quantize", toInt8).input(f16({2, 3})).constant(f32({}), {1}).error() ==
          "quantize scale fp32 must be fp16");
    CHECK(
        OpInference("quantize", toInt8).input(f16({2, 3})).constant(f16({3}), {1, 1, 1}).error() ==
        "quantize needs an axis with the vector scale fp16[3] (per-channel quantization)");
    CHECK(OpInference("quantize", {{"output_dtype", std::string("int8")}, {"axis", integer(0)}})
              .input(f16({2, 3}))
              .constant(f16({}), {1})
              .error() == "quantize takes no axis with a scalar scale (per-tensor quantization)");
    CHECK(OpInference("quantize", {{"output_dtype", std::string("int8")}, {"axis", integer(0)}})
              .input(f16({2, 3}))
              .constant(f16({3}), {1, 1, 1})
              .error() == "quantize scale fp16[3] needs one value per slice along axis 0 of "
                          "fp16[2,3] (2)");
    CHECK(OpInference("quantize", toInt8)
              .input(f16({2, 3}))
              .constant(f16({}), {1})
              .constant(u8({}), {3})
              .error() == "quantize zero_point uint8 must be int8");
    CHECK(OpInference("quantize", {{"output_dtype", std::string("int4")}})
              .input(f16({2, 3}))
              .constant(f16({}), {1})
              .error() == "quantize output_dtype must be \"int8\" or \"uint8\", got \"int4\"");
    CHECK(OpInference("quantize").input(f16({2, 3})).constant(f16({}), {1}).error() ==
          "quantize: missing attribute 'output_dtype'");
    CHECK(OpInference("dequantize").input(f16({4})).constant(f32({}), {0.1}).error() ==
          "dequantize needs an int8 or uint8 input, got fp16[4]");
    CHECK(OpInference("dequantize").input(i8({4})).constant(f16({2, 2}), {1, 1, 1, 1}).error() ==
          "dequantize scale fp16[2,2] must be a scalar (per tensor) or a vector (per channel "
          "along axis)");
}
