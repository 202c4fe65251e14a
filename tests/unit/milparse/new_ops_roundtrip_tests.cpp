// Emission and reading of the ops added for transformers, CNNs and decoders: every op emits MIL
// that reads back into the same op (kind, attributes, operand and result types) and re-emits the
// same text; int32 index operands, int8/uint8 results, scalar operands, optional attributes
// without default (quantize's axis) and multi-result ops (topk) included; opsets are enforced.
#include "unit/milparse/milparse_test_support.hpp"

#include "ir/builder.hpp"
#include "support/fp16.hpp"

using namespace anec;
using namespace anec::milparse::test;

namespace {
using List = std::vector<int64_t>;

struct OperandCase {
    ir::TensorType type;
    std::vector<double> constant; // empty: a kernel input
};

struct EmitCase {
    std::string kind;
    ir::AttrMap attrs;
    std::vector<OperandCase> operands;
};

ir::TensorType t(ir::DType dtype, ir::Shape shape) {
    return {dtype, std::move(shape)};
}
const ir::DType F16 = ir::DType::Fp16, I32 = ir::DType::Int32, B = ir::DType::Bool;

std::vector<EmitCase> cases() {
    const ir::TensorType x = t(F16, {2, 3, 4, 4});
    std::vector<EmitCase> out = {
        {"gather", {{"axis", int64_t(0)}}, {{t(F16, {50, 8}), {}}, {t(I32, {1, 6}), {}}}},
        {"gather", {{"axis", int64_t(1)}}, {{t(F16, {2, 5}), {}}, {t(I32, {}), {3}}}},
        {"gather_along_axis",
         {{"axis", int64_t(-1)}},
         {{t(F16, {2, 5}), {}}, {t(I32, {2, 2}), {}}}},
        {"band_part", {{"lower", int64_t(-1)}, {"upper", int64_t(0)}}, {{t(B, {8, 8}), {}}}},
        {"cumsum", {{"axis", int64_t(1)}, {"reverse", true}}, {{t(I32, {2, 3}), {}}}},
        {"fill", {{"shape", List{2, 3}}}, {{t(B, {}), {1}}}},
        {"range_1d", {}, {{t(I32, {}), {0}}, {t(I32, {}), {8}}, {t(I32, {}), {2}}}},
        {"range_1d", {}, {{t(F16, {}), {0}}, {t(F16, {}), {1}}, {t(F16, {}), {0.25}}}},
        {"pad", {{"pad", List{1, 2}}, {"mode", std::string("reflect")}}, {{t(F16, {2, 3}), {}}}},
        {"pad", {{"pad", List{1, 1, 0, 2}}, {"constant_val", -0.5}}, {{t(F16, {2, 3}), {}}}},
        {"tile", {{"reps", List{1, 3}}}, {{t(F16, {2, 3}), {}}}},
        {"stack", {{"axis", int64_t(0)}}, {{t(F16, {2, 3}), {}}, {t(F16, {2, 3}), {}}}},
        {"reverse", {}, {{t(F16, {2, 3}), {}}}},
        {"reverse", {{"axes", List{1}}}, {{t(F16, {2, 3}), {}}}},
        {"topk", {{"k", int64_t(2)}}, {{t(F16, {2, 5}), {}}}},
        {"scatter_along_axis",
         {{"axis", int64_t(1)}, {"mode", std::string("update")}},
         {{t(F16, {1, 8, 4}), {}}, {t(I32, {1, 1, 4}), {}}, {t(F16, {1, 1, 4}), {}}}},
        {"pixel_shuffle", {{"upscale_factor", int64_t(2)}}, {{t(F16, {1, 8, 2, 2}), {}}}},
        {"upsample_nearest_neighbor", {{"scale_factor_height", int64_t(2)}}, {{x, {}}}},
        {"argsort", {{"ascending", true}}, {{t(F16, {2, 5}), {}}}},
        {"reduce_argmax", {{"axis", int64_t(1)}}, {{t(F16, {2, 5}), {}}}},
        {"reduce_log_sum_exp", {{"axes", List{-1}}, {"keep_dims", true}}, {{t(F16, {2, 5}), {}}}},
        {"floor_div", {}, {{t(I32, {4}), {}}, {t(I32, {}), {3}}}},
        {"mod", {}, {{t(F16, {4}), {}}, {t(F16, {}), {1.5}}}},
        {"logical_and", {}, {{t(B, {4}), {}}, {t(B, {4}), {}}}},
        {"logical_not", {}, {{t(B, {4}), {}}}},
        {"leaky_relu", {{"alpha", 0.01}}, {{t(F16, {4}), {}}}},
        {"sigmoid_hard", {{"alpha", 0.2}, {"beta", 0.5}}, {{t(F16, {4}), {}}}},
        {"inverse", {{"epsilon", 1e-4}}, {{t(F16, {4}), {}}}},
        {"avg_pool",
         {{"kernel_sizes", List{2, 2}},
          {"strides", List{2, 2}},
          {"pad_type", std::string("valid")},
          {"exclude_padding_from_average", true}},
         {{x, {}}}},
        {"max_pool",
         {{"kernel_sizes", List{3, 3}},
          {"pad_type", std::string("custom")},
          {"pad", List{1, 1, 1, 1}}},
         {{x, {}}}},
        {"batch_norm",
         {{"epsilon", 1e-3}},
         {{x, {}}, {t(F16, {3}), {0, 1, 2}}, {t(F16, {3}), {1, 1, 2}}, {t(F16, {3}), {1, 2, 3}}}},
        {"instance_norm", {}, {{x, {}}}},
        {"l2_norm", {}, {{x, {}}}},
        {"quantize",
         {{"output_dtype", std::string("int8")}},
         {{t(F16, {2, 3}), {}}, {t(F16, {}), {0.5}}}},
        {"quantize",
         {{"output_dtype", std::string("uint8")}, {"axis", int64_t(1)}},
         {{t(F16, {2, 3}), {}}, {t(F16, {3}), {0.5, 1, 2}}, {t(ir::DType::UInt8, {3}), {1, 2, 3}}}},
        {"dequantize",
         {{"axis", int64_t(0)}},
         {{t(ir::DType::Int8, {2, 3}), {}}, {t(F16, {2}), {0.5, 0.25}}}},
    };
    for (const char* kind : {"sin", "cos", "erf", "round", "softplus", "relu6"})
        out.push_back({kind, {}, {{t(F16, {4}), {}}}});
    return out;
}

// Float attributes are written in the op's dtype (fp16 in these cases) and read back so.
ir::AttrMap roundedToFp16(ir::AttrMap attrs) {
    for (auto& [name, value] : attrs)
        if (double* d = std::get_if<double>(&value)) *d = halfToFloat(doubleToHalf(*d));
    return attrs;
}

std::unique_ptr<ir::Kernel> kernelFor(const EmitCase& c) {
    auto kernel = std::make_unique<ir::Kernel>();
    kernel->name = "main";
    ir::Builder builder(*kernel);
    std::vector<ir::Value*> operands;
    for (size_t i = 0; i < c.operands.size(); ++i) {
        const OperandCase& o = c.operands[i];
        if (o.constant.empty()) {
            operands.push_back(kernel->addInput("in" + std::to_string(i), o.type));
        } else {
            operands.push_back(builder.createConst(
                std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(o.type, o.constant))));
        }
    }
    auto op = builder.create(c.kind, operands, c.attrs);
    INFO(c.kind << ": " << (op ? "" : op.error()));
    REQUIRE(op);
    for (size_t r = 0; r < (*op)->results.size(); ++r)
        kernel->outputs.push_back({"out" + std::to_string(r), (*op)->result(r), {}});
    return kernel;
}
} // namespace

TEST_CASE("the new ops emit MIL that reads back into the same op", "[milparse][ops]") {
    for (const EmitCase& c : cases()) {
        INFO(c.kind);
        auto kernel = kernelFor(c);
        const ir::Op& original = *kernel->ops.back();
        mil::Program program = mil::emitProgram(*kernel, {});
        CHECK(program.milText.find(" = " + c.kind + "(") != std::string::npos);
        auto parsed = parseOk(program.milText);
        const ir::Kernel& read = onlyKernel(*parsed);
        const ir::Op* op = findOp(read, c.kind);
        REQUIRE(op != nullptr);
        CHECK(op->attrs == roundedToFp16(original.attrs));
        REQUIRE(op->results.size() == original.results.size());
        for (size_t r = 0; r < op->results.size(); ++r)
            CHECK(op->result(r)->type == original.result(r)->type);
        REQUIRE(op->operands.size() == original.operands.size());
        for (size_t i = 0; i < op->operands.size(); ++i)
            CHECK((op->operands[i] ? op->operands[i]->type.str() : "none") ==
                  (original.operands[i] ? original.operands[i]->type.str() : "none"));
        CHECK(mil::emitProgram(read, {}).milText == program.milText);
    }
}

TEST_CASE("quantize emits axis only for per-channel scales", "[milparse][ops]") {
    const std::vector<EmitCase> all = cases();
    auto perTensor = std::find_if(all.begin(), all.end(),
                                  [](const EmitCase& c) { return c.kind == "quantize"; });
    const std::string text = mil::emitProgram(*kernelFor(*perTensor), {}).milText;
    CHECK(text.find("axis") == std::string::npos);
    CHECK(text.find("tensor<int8, [2, 3]> out0 = quantize(") != std::string::npos);
    CHECK(text.find("output_dtype = out0_output_dtype") != std::string::npos);
}

TEST_CASE("quantize and dequantize need opset ios17", "[milparse][ops]") {
    for (const EmitCase& c : cases()) {
        if (c.kind != "quantize" && c.kind != "dequantize") continue;
        auto kernel = kernelFor(c);
        mil::EmitOptions ios16;
        ios16.opset = mil::Opset::iOS16;
        CHECK_THROWS_WITH(mil::emitProgram(*kernel, ios16),
                          Catch::Contains(c.kind + " needs opset ios17 or later (building for "
                                                   "ios16)"));
        mil::EmitOptions ios17;
        ios17.opset = mil::Opset::iOS17;
        CHECK_NOTHROW(mil::emitProgram(*kernel, ios17));
    }
}

TEST_CASE("hand-written MIL with the new ops", "[milparse][ops]") {
    // range_1d from literals, gather with int32 token ids, a multi-result topk, quantize without
    // axis (per tensor).
    auto parsed = parseOk(program(
        "tensor<fp16, [10, 4]> table, tensor<int32, [1, 3]> tokens",
        "        tensor<int32, [3]> r = range_1d(end = int32(3), start = int32(0), step = "
        "int32(1))[name = string(\"r\")];\n"
        "        tensor<fp16, [1, 3, 4]> e = gather(axis = int32(0), indices = tokens, x = "
        "table)[name = string(\"e\")];\n"
        "        (tensor<fp16, [1, 3, 2]> v, tensor<int32, [1, 3, 2]> i) = topk(k = int32(2), x = "
        "e)[name = string(\"v\")];\n"
        "        tensor<int8, [1, 3, 2]> q = quantize(input = v, output_dtype = "
        "string(\"int8\"), scale = fp16(0.5))[name = string(\"q\")];\n",
        "r, e, i, q"));
    const ir::Kernel& kernel = onlyKernel(*parsed);
    CHECK(opKinds(kernel) == std::vector<std::string>{"const", "const", "const", "range_1d",
                                                      "gather", "topk", "const", "quantize"});
    CHECK_FALSE(findOp(kernel, "quantize")->attrs.count("axis"));
    CHECK(*findOp(kernel, "topk")->attr<int64_t>("axis") == -1); // the default
}

TEST_CASE("MIL errors of the new ops name the line", "[milparse][ops]") {
    auto messages = errors(program(
        "tensor<int32, [1]> n",
        "        tensor<int32, [3]> r = range_1d(end = n, start = int32(0), step = int32(1))[name "
        "= string(\"r\")];\n"
        "        tensor<int8, [2]> q = quantize(input = fp16(1), output_dtype = string(\"int8\"), "
        "scale = fp16(0.5))[name = string(\"q\")];\n",
        "r, q"));
    REQUIRE(messages.size() == 2);
    CHECK(messages[0] == "4:32: error: range_1d end must be a scalar, got int32[1]");
    CHECK(messages[1] == "5:31: error: quantize needs input of rank >= 1, got fp16");
}
