// Gradient checks of the normalisation, attention and dequantize VJPs against float64 central
// differences, and of rms_norm as std/nn.ane writes it.
#include "gradcheck.hpp"
#include "ir/op_registry.hpp"

namespace anec::test {
namespace {
ir::TensorType f32(ir::Shape shape) {
    return {ir::DType::Fp32, std::move(shape)};
}

// An optional operand: present (random), or omitted.
GradTensor optionalTensor(const std::string& name, ir::TensorType type, bool present) {
    GradTensor t{name, std::move(type)};
    t.absent = !present;
    return t;
}

// Variances stay away from 0 (and, with epsilon 0, from the singularity).
GradTensor positive(const std::string& name, ir::TensorType type) {
    GradTensor t{name, std::move(type)};
    t.low = 0.5;
    t.high = 1.5;
    return t;
}

ir::Shape normalizedShape(const ir::Shape& x, std::vector<int64_t> axes) {
    std::vector<bool> normalized(x.size(), axes.empty());
    for (int64_t axis : axes)
        normalized[*ir::normalizeAxis(axis, x.size())] = true;
    ir::Shape shape;
    for (size_t d = 0; d < x.size(); ++d)
        if (normalized[d]) shape.push_back(x[d]);
    return shape;
}

const double kEpsilons[] = {1e-5, 0.1, 0.0};
} // namespace

TEST_CASE("layer_norm: every axes subset, with and without gamma / beta, several epsilons",
          "[autodiff][grad]") {
    const ir::Shape x{2, 3, 4};
    const std::vector<std::vector<int64_t>> axesList{{},     {-1}, {2},    {1, 2},
                                                     {2, 1}, {0},  {0, 2}, {-3, -2}};
    uint32_t seed = 1;
    for (const std::vector<int64_t>& axes : axesList)
        for (int params = 0; params < 4; ++params)
            for (double epsilon : kEpsilons) {
                const bool hasGamma = params & 1, hasBeta = params & 2;
                INFO("axes " << ir::attributeString(axes) << " gamma " << hasGamma << " beta "
                             << hasBeta << " epsilon " << epsilon);
                const ir::Shape param = normalizedShape(x, axes);
                checkOpGradient("layer_norm",
                                {{"x", f32(x)},
                                 optionalTensor("gamma", f32(param), hasGamma),
                                 optionalTensor("beta", f32(param), hasBeta)},
                                {{"axes", axes}, {"epsilon", epsilon}}, {}, ++seed);
            }
}

TEST_CASE("layer_norm: other ranks, the default epsilon", "[autodiff][grad]") {
    checkOpGradient("layer_norm", {{"x", f32({6})}, {"gamma", f32({6})}, {"beta", f32({6})}},
                    {{"axes", std::vector<int64_t>{0}}}, {}, 7);
    checkOpGradient("layer_norm",
                    {{"x", f32({1, 4, 1, 3})}, {"gamma", f32({4})}, {"beta", f32({4})}},
                    {{"axes", std::vector<int64_t>{1}}}, {}, 8);
    checkOpGradient("layer_norm", {{"x", f32({2, 2, 1, 3})}, {"gamma", f32({2, 1, 3})}},
                    {{"axes", std::vector<int64_t>{-1, 1, 2}}}, {}, 9);
}

TEST_CASE("batch_norm: x, mean, variance, gamma and beta; ranks 3 to 5", "[autodiff][grad]") {
    const std::vector<ir::Shape> shapes{{2, 3, 4}, {2, 3, 2, 2}, {1, 2, 2, 3, 2}};
    uint32_t seed = 20;
    for (const ir::Shape& x : shapes)
        for (int params = 0; params < 4; ++params)
            for (double epsilon : kEpsilons) {
                const bool hasGamma = params & 1, hasBeta = params & 2;
                INFO(ir::shapeString(x)
                     << " gamma " << hasGamma << " beta " << hasBeta << " epsilon " << epsilon);
                const ir::TensorType channel = f32({x[1]});
                checkOpGradient("batch_norm",
                                {{"x", f32(x)},
                                 {"mean", channel},
                                 positive("variance", channel),
                                 optionalTensor("gamma", channel, hasGamma),
                                 optionalTensor("beta", channel, hasBeta)},
                                {{"epsilon", epsilon}}, {}, ++seed);
            }
}

TEST_CASE("instance_norm: ranks 3 and 4, with and without gamma / beta", "[autodiff][grad]") {
    const std::vector<ir::Shape> shapes{{2, 3, 4}, {2, 2, 3, 2}, {1, 3, 1, 4}};
    uint32_t seed = 60;
    for (const ir::Shape& x : shapes)
        for (int params = 0; params < 4; ++params)
            for (double epsilon : kEpsilons) {
                const bool hasGamma = params & 1, hasBeta = params & 2;
                INFO(ir::shapeString(x)
                     << " gamma " << hasGamma << " beta " << hasBeta << " epsilon " << epsilon);
                const ir::TensorType channel = f32({x[1]});
                checkOpGradient("instance_norm",
                                {{"x", f32(x)},
                                 optionalTensor("gamma", channel, hasGamma),
                                 optionalTensor("beta", channel, hasBeta)},
                                {{"epsilon", epsilon}}, {}, ++seed);
            }
}

TEST_CASE("l2_norm: the last three dims, several epsilons", "[autodiff][grad]") {
    uint32_t seed = 100;
    for (const ir::Shape& x : {ir::Shape{2, 3, 4}, ir::Shape{2, 2, 3, 2}, ir::Shape{1, 1, 2, 2, 3}})
        for (double epsilon : {1e-6, 0.5, 0.0}) {
            INFO(ir::shapeString(x) << " epsilon " << epsilon);
            checkOpGradient("l2_norm", {{"x", f32(x)}}, {{"epsilon", epsilon}}, {}, ++seed);
        }
}

namespace {
// query [batch.., L, E], key [batch.., S, E], value [batch.., S, Ev].
struct AttentionShape {
    ir::Shape batch;
    int64_t l, s, e, ev;
};

ir::Shape withBatch(const ir::Shape& batch, int64_t a, int64_t b) {
    ir::Shape shape = batch;
    shape.push_back(a);
    shape.push_back(b);
    return shape;
}

// A bool mask [L, S] that keeps at least one position in every row (a band around the diagonal).
std::vector<double> bandMask(int64_t l, int64_t s) {
    std::vector<double> mask;
    for (int64_t i = 0; i < l; ++i)
        for (int64_t j = 0; j < s; ++j)
            mask.push_back(j <= i % s || j == s - 1 ? 1 : 0);
    return mask;
}

const std::vector<AttentionShape>& attentionShapes() {
    static const std::vector<AttentionShape> shapes{
        {{1}, 3, 4, 2, 3}, {{2}, 2, 3, 4, 2}, {{2, 2}, 3, 2, 2, 3}, {{1, 2, 1}, 2, 3, 3, 1}};
    return shapes;
}
} // namespace

TEST_CASE("scaled_dot_product_attention: query, key, value; batch and head shapes",
          "[autodiff][grad]") {
    uint32_t seed = 200;
    for (const AttentionShape& a : attentionShapes()) {
        INFO("batch " << ir::shapeString(a.batch) << " L " << a.l << " S " << a.s << " E " << a.e
                      << " Ev " << a.ev);
        checkOpGradient("scaled_dot_product_attention",
                        {{"query", f32(withBatch(a.batch, a.l, a.e))},
                         {"key", f32(withBatch(a.batch, a.s, a.e))},
                         {"value", f32(withBatch(a.batch, a.s, a.ev))}},
                        {}, {}, ++seed);
    }
}

TEST_CASE("scaled_dot_product_attention: an additive float mask gets a gradient",
          "[autodiff][grad]") {
    uint32_t seed = 300;
    for (const AttentionShape& a : attentionShapes()) {
        // Every way the mask may broadcast to the scores [batch.., L, S].
        std::vector<ir::Shape> masks{{a.s}, {1, a.s}, {a.l, a.s}, withBatch(a.batch, a.l, a.s)};
        ir::Shape perBatch = withBatch(a.batch, 1, a.s);
        perBatch[0] = 1;
        masks.push_back(perBatch);
        for (const ir::Shape& mask : masks) {
            INFO("batch " << ir::shapeString(a.batch) << " mask " << ir::shapeString(mask));
            checkOpGradient("scaled_dot_product_attention",
                            {{"query", f32(withBatch(a.batch, a.l, a.e))},
                             {"key", f32(withBatch(a.batch, a.s, a.e))},
                             {"value", f32(withBatch(a.batch, a.s, a.ev))},
                             {"attn_mask", f32(mask), {}, false, true, false, -2, 2}},
                            {}, {}, ++seed);
        }
    }
}

TEST_CASE("scaled_dot_product_attention: a bool mask (no gradient of its own)",
          "[autodiff][grad]") {
    uint32_t seed = 400;
    for (const AttentionShape& a : attentionShapes()) {
        INFO("batch " << ir::shapeString(a.batch));
        checkOpGradient("scaled_dot_product_attention",
                        {{"query", f32(withBatch(a.batch, a.l, a.e))},
                         {"key", f32(withBatch(a.batch, a.s, a.e))},
                         {"value", f32(withBatch(a.batch, a.s, a.ev))},
                         {"attn_mask", {ir::DType::Bool, {a.l, a.s}}, bandMask(a.l, a.s)}},
                        {}, {}, ++seed);
    }
}

// Only the scale (a weight) is differentiable; quantize's int8 result carries no gradient.
// The scale is a constant, stored as fp32 even in the float64 run, so a perturbed scale is
// rounded to fp32; the op is linear in it, so a large step is exact and keeps that rounding
// (~1e-8 / step, relative) well under the tolerance.
TEST_CASE("dequantize: the gradient of the scale, per tensor and per channel", "[autodiff][grad]") {
    const GradTolerance linear{1e-6, 0.25};
    const ir::TensorType input{ir::DType::Int8, {2, 3, 4}};
    GradTensor q{"input", input, {}, false, false, false, -20, 20};
    // Per tensor, with and without a zero point.
    checkOpGradient("dequantize", {q, {"scale", f32({}), {0.05}, true}}, {}, linear);
    checkOpGradient("dequantize",
                    {q,
                     {"scale", f32({}), {0.05}, true},
                     {"zero_point", {ir::DType::Int8, {}}, {3}, true, false}},
                    {}, linear);
    // Per channel along every axis, negative ones too.
    for (int64_t axis : {0, 1, 2, -1, -2}) {
        INFO("axis " << axis);
        const int64_t channels = input.shape[*ir::normalizeAxis(axis, 3)];
        checkOpGradient("dequantize",
                        {q, {"scale", f32({channels}), {}, true, true, false, 0.01, 0.1}},
                        {{"axis", axis}}, linear);
        GradTensor zeroPoint{"zero_point", {ir::DType::Int8, {channels}}, {}, true, false};
        zeroPoint.low = -5;
        zeroPoint.high = 5;
        checkOpGradient(
            "dequantize",
            {q, {"scale", f32({channels}), {}, true, true, false, 0.01, 0.1}, zeroPoint},
            {{"axis", axis}}, linear);
    }
    // uint8 with its zero point.
    GradTensor u{"input", {ir::DType::UInt8, {3, 4}}, {}, false, false, false, 0, 255};
    checkOpGradient("dequantize",
                    {u,
                     {"scale", f32({4}), {}, true, true, false, 0.01, 0.1},
                     {"zero_point", {ir::DType::UInt8, {4}}, {128, 0, 7, 255}, true, false}},
                    {{"axis", int64_t{1}}}, linear);
}

TEST_CASE("quantize: an integer result, no VJP needed", "[autodiff][grad]") {
    const ir::OpDef& def = ir::OpRegistry::builtin().get("quantize");
    CHECK(!def.vjp);
    CHECK(def.noGradient.empty());
}

namespace {
// Differentiates one op on fp16 tensors (kernel inputs; `constant` ones as weights) with respect
// to every float tensor and verifies the backward kernel: the VJPs' constants and intermediates
// take the op's element type. (The numbers are checked in float64 above.)
void checkBuildsInFp16(const std::string& kind, const std::vector<GradTensor>& tensors,
                       const ir::AttrMap& attrs = {}) {
    INFO(kind);
    ir::Kernel forward;
    forward.name = "fwd";
    ir::Builder builder(forward);
    std::vector<ir::Value*> operands;
    std::vector<std::string> wrt, names;
    for (const GradTensor& t : tensors) {
        if (t.constant) {
            operands.push_back(builder.createConst(
                std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(t.type, t.values)), {},
                t.name));
        } else {
            operands.push_back(forward.addInput(t.name, t.type));
        }
        if (ir::isFloat(t.type.dtype)) {
            wrt.push_back(t.name);
            names.push_back("d_" + t.name);
        }
    }
    auto result = builder.createValue(kind, operands, attrs);
    INFO((result ? "" : result.error()));
    REQUIRE(result);
    forward.outputs.push_back({"out", *result, {}});
    verifiedBackward(forward, wrt, names);
}

ir::TensorType f16(ir::Shape shape) {
    return {ir::DType::Fp16, std::move(shape)};
}
} // namespace

TEST_CASE("fp16: every VJP of this family builds in the op's element type", "[autodiff][grad]") {
    const ir::AttrMap lastAxis{{"axes", std::vector<int64_t>{-1}}, {"keep_dims", false}};
    for (const char* op :
         {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l1_norm",
          "reduce_sum_square", "reduce_l2_norm", "reduce_log_sum", "reduce_log_sum_exp"})
        checkBuildsInFp16(op, {{"x", f16({2, 3})}}, lastAxis);
    checkBuildsInFp16("softmax", {{"x", f16({2, 3})}});
    checkBuildsInFp16("layer_norm", {{"x", f16({2, 3})}, {"gamma", f16({3})}, {"beta", f16({3})}},
                      {{"axes", std::vector<int64_t>{-1}}});
    checkBuildsInFp16("batch_norm", {{"x", f16({1, 2, 3})},
                                     {"mean", f16({2})},
                                     {"variance", f16({2})},
                                     {"gamma", f16({2})},
                                     {"beta", f16({2})}});
    checkBuildsInFp16("instance_norm",
                      {{"x", f16({1, 2, 3})}, {"gamma", f16({2})}, {"beta", f16({2})}});
    checkBuildsInFp16("l2_norm", {{"x", f16({1, 2, 3})}});
    for (ir::DType maskType : {ir::DType::Fp16, ir::DType::Bool})
        checkBuildsInFp16("scaled_dot_product_attention", {{"query", f16({1, 2, 4})},
                                                           {"key", f16({1, 3, 4})},
                                                           {"value", f16({1, 3, 2})},
                                                           {"attn_mask", {maskType, {2, 3}}}});
    checkBuildsInFp16("dequantize",
                      {{"input", {ir::DType::Int8, {2, 3}}},
                       {"scale", f16({3}), {0.5, 0.25, 0.125}, true},
                       {"zero_point", {ir::DType::Int8, {3}}, {1, 0, -1}, true}},
                      {{"axis", int64_t{1}}});
}

// rms_norm as std/nn.ane writes it: x * rsqrt(reduce_mean(x * x, [1], keep), eps) * reshape(w).
TEST_CASE("rms_norm as std/nn.ane composes it", "[autodiff][grad]") {
    for (double epsilon : {1e-5, 0.25}) {
        INFO("epsilon " << epsilon);
        GradCase c;
        // w is an input here: a constant fp32 weight would round its perturbed values to fp32.
        c.tensors = {{"x", f32({1, 4, 1, 3})}, {"w", f32({4})}};
        c.body = [epsilon](ir::Builder& b, const std::vector<ir::Value*>& v) {
            ir::Value* x = v[0];
            ir::Value* squares = *b.createValue("mul", {x, x});
            ir::Value* ms = *b.createValue(
                "reduce_mean", {squares}, {{"axes", std::vector<int64_t>{1}}, {"keep_dims", true}});
            ir::Value* scale = *b.createValue("rsqrt", {ms}, {{"epsilon", epsilon}});
            ir::Value* w =
                *b.createValue("reshape", {v[1]}, {{"shape", std::vector<int64_t>{1, 4, 1, 1}}});
            ir::Value* out = *b.createValue("mul", {*b.createValue("mul", {x, scale}), w});
            b.kernel().outputs.push_back({"out", out, {}});
        };
        GradChecker(c, 500).check();
    }
}

} // namespace anec::test
