// Build-time folding of the new ops (passes/const_eval.cpp) against the reference backend, two
// independent implementations: for each op on constant operands, the folded constant equals
// what the Float64 reference computes from the unfolded op (both round once to the dtype).
#include "op_test_harness.hpp"
#include "passes/const_eval.hpp"

using namespace anec;
using namespace anec::test;

namespace {
using List = std::vector<int64_t>;

struct FoldCase {
    std::string kind;
    ir::AttrMap attrs;
    std::vector<std::pair<ir::TensorType, std::vector<double>>> operands;
};

ir::TensorType f16(ir::Shape shape) {
    return {ir::DType::Fp16, std::move(shape)};
}
ir::TensorType i32(ir::Shape shape) {
    return {ir::DType::Int32, std::move(shape)};
}
ir::TensorType b8(ir::Shape shape) {
    return {ir::DType::Bool, std::move(shape)};
}

std::vector<double> ramp(int64_t n, double start, double step) {
    std::vector<double> values;
    for (int64_t i = 0; i < n; ++i)
        values.push_back(roundTo(ir::DType::Fp16, start + double(i) * step));
    return values;
}

std::vector<FoldCase> cases() {
    const std::vector<double> x6 = ramp(6, -1.25, 0.5), p6 = ramp(6, 0.25, 0.375);
    std::vector<FoldCase> out = {
        {"range_1d", {}, {{i32({}), {2}}, {i32({}), {11}}, {i32({}), {3}}}},
        {"range_1d", {}, {{f16({}), {0}}, {f16({}), {1}}, {f16({}), {0.125}}}},
        {"fill", {{"shape", List{2, 3}}}, {{b8({}), {1}}}},
        {"band_part", {{"lower", int64_t(-1)}, {"upper", int64_t(0)}}, {{f16({2, 3}), x6}}},
        {"band_part",
         {{"lower", int64_t(1)}, {"upper", int64_t(1)}},
         {{b8({3, 3}), ramp(9, 1, 0)}}},
        {"pow", {}, {{f16({6}), p6}, {f16({}), {-0.5}}}},
        {"floor_div", {}, {{i32({4}), {7, -7, 7, -7}}, {i32({4}), {2, 2, -2, -2}}}},
        {"mod", {}, {{f16({6}), x6}, {f16({}), {0.75}}}},
        {"less_equal", {}, {{i32({3, 1}), {0, 1, 2}}, {i32({3}), {0, 1, 2}}}},
        {"logical_xor", {}, {{b8({2}), {0, 1}}, {b8({2, 1}), {1, 0}}}},
        {"logical_not", {}, {{b8({3}), {0, 1, 0}}}},
        {"select", {}, {{b8({2, 1}), {1, 0}}, {f16({3}), {1, 2, 3}}, {f16({}), {-1}}}},
        {"pad", {{"pad", List{1, 2}}, {"mode", std::string("reflect")}}, {{f16({2, 3}), x6}}},
        {"pad", {{"pad", List{2, 0, 0, 1}}, {"constant_val", 0.5}}, {{f16({2, 3}), x6}}},
        {"tile", {{"reps", List{2, 3}}}, {{f16({2, 3}), x6}}},
        {"stack", {{"axis", int64_t(1)}}, {{f16({2, 3}), x6}, {f16({2, 3}), p6}}},
        {"reverse", {{"axes", List{0}}}, {{f16({2, 3}), x6}}},
        {"gather", {{"axis", int64_t(1)}}, {{f16({2, 3}), x6}, {i32({2, 2}), {2, 0, 1, 1}}}},
        {"gather",
         {{"axis", int64_t(1)}, {"batch_dims", int64_t(1)}},
         {{f16({2, 3}), x6}, {i32({2, 2}), {2, 0, 1, 1}}}},
        {"gather_along_axis", {{"axis", int64_t(1)}}, {{f16({2, 3}), x6}, {i32({2, 1}), {2, 0}}}},
        {"cumsum",
         {{"axis", int64_t(1)}, {"exclusive", true}, {"reverse", true}},
         {{f16({2, 3}), x6}}},
        {"reduce_log_sum_exp", {{"axes", List{1}}}, {{f16({2, 3}), x6}}},
        {"reduce_l2_norm", {}, {{f16({2, 3}), x6}}},
        {"reduce_prod", {{"axes", List{0}}, {"keep_dims", true}}, {{f16({2, 3}), x6}}},
        {"inverse", {{"epsilon", 0.25}}, {{f16({6}), p6}}},
        {"leaky_relu", {{"alpha", 0.2}}, {{f16({6}), x6}}},
        {"elu", {{"alpha", 0.5}}, {{f16({6}), x6}}},
        {"sigmoid_hard", {{"alpha", 0.2}, {"beta", 0.5}}, {{f16({6}), x6}}},
        {"log", {{"epsilon", 0x1p-14}}, {{f16({6}), p6}}},
        {"pixel_shuffle", {{"upscale_factor", int64_t(2)}}, {{f16({1, 4, 1, 2}), ramp(8, 0, 1)}}},
        {"upsample_nearest_neighbor",
         {{"scale_factor_height", int64_t(2)}, {"scale_factor_width", int64_t(2)}},
         {{f16({1, 2, 3}), x6}}},
        {"scatter_along_axis",
         {{"axis", int64_t(1)}, {"mode", std::string("mul")}},
         {{f16({2, 3}), x6}, {i32({2, 2}), {2, 2, 0, 1}}, {f16({2, 2}), {2, 3, -1, 0.5}}}},
    };
    for (const char* kind : {"sin", "cos", "tan", "atan", "sinh", "cosh", "erf", "exp2", "floor",
                             "ceil", "round", "sign", "square", "relu6", "softplus", "softsign"})
        out.push_back({kind, {}, {{f16({6}), x6}}});
    for (const char* kind : {"asin", "acos", "atanh"})
        out.push_back({kind, {}, {{f16({6}), ramp(6, -0.75, 0.25)}}});
    return out;
}
} // namespace

TEST_CASE("constant folding of the new ops equals the reference backend", "[runtime][fold]") {
    for (const FoldCase& c : cases()) {
        SingleOp op(c.kind, c.attrs);
        for (const auto& [type, values] : c.operands)
            op.operand(type, values, /*constant=*/true);
        INFO(op.describe());
        auto module = op.module();
        const ir::Op& folded = *module->kernels[0]->ops.back();
        std::vector<const ir::ConstData*> operands;
        for (const ir::Value* operand : folded.operands)
            operands.push_back(operand->definingOp->constData.get());
        REQUIRE(passes::isConstEvaluable(c.kind));
        auto value = passes::evaluateConstOp(folded, operands);
        REQUIRE(value);
        const std::vector<double> reference = op.run(Precision::Float64);
        checkValues(value->toDoubles(), reference, oneRounding(value->type().dtype), c.kind);
    }
}

TEST_CASE("folding leaves what it must not or cannot compute", "[runtime][fold]") {
    auto folds = [](const std::string& kind, ir::AttrMap attrs,
                    std::vector<std::pair<ir::TensorType, std::vector<double>>> operands) {
        SingleOp op(kind, std::move(attrs));
        for (const auto& [type, values] : operands)
            op.operand(type, values, true);
        auto module = op.module();
        const ir::Op& last = *module->kernels[0]->ops.back();
        std::vector<const ir::ConstData*> values;
        for (const ir::Value* operand : last.operands) // nullptr: an absent optional operand
            values.push_back(operand ? operand->definingOp->constData.get() : nullptr);
        return passes::evaluateConstOp(last, values).has_value();
    };
    // Integer division by zero stays an op (an error when it runs).
    CHECK_FALSE(folds("floor_div", {}, {{i32({2}), {1, 2}}, {i32({}), {0}}}));
    CHECK(folds("floor_div", {}, {{f16({2}), {1, 2}}, {f16({}), {0}}})); // float: inf
    // Quantized weights stay quantized.
    CHECK_FALSE(folds("dequantize", {}, {{{ir::DType::Int8, {2}}, {1, 2}}, {f16({}), {0.5}}}));
    // Results far larger than their operands (a 8192 x 8192 mask) are not materialised.
    CHECK_FALSE(folds("fill", {{"shape", List{8192, 8192}}}, {{b8({}), {1}}}));
    CHECK(folds("fill", {{"shape", List{4096, 4096}}}, {{b8({}), {1}}}));
}
