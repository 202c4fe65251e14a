// The IR core: types, constants, fp16 conversion, the builder, the printer and the verifier.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "ir/builder.hpp"
#include "ir/printer.hpp"
#include "ir/verifier.hpp"
#include "support/fp16.hpp"
#include "unit/ir/ir_test_support.hpp"

using namespace anec;
using namespace anec::ir;
using namespace anec::ir::test;

namespace {

std::shared_ptr<ConstData> weight(const std::string& name, TensorType type) {
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<double>(i);
    auto data = std::make_shared<ConstData>(ConstData::fromDoubles(std::move(type), values));
    data->blobName = name;
    return data;
}

template <typename T> T require(Expected<T> result) {
    INFO((result.ok() ? std::string("ok") : result.error()));
    REQUIRE(result.ok());
    return *result;
}

// The seed's shape of program, scaled down: fp32 input cast to fp16, 1x1 conv, cast back.
struct SmallKernel {
    Kernel kernel;
    Value* x = nullptr;
    Value* x16 = nullptr;
    Value* w = nullptr;
    Value* conv = nullptr;
    Value* y = nullptr;

    SmallKernel() {
        kernel.name = "small";
        x = kernel.addInput("x", f32({1, 4, 1, 2}));
        Builder b(kernel);
        x16 = require(b.createValue("cast", {x}, {{"dtype", std::string("fp16")}}, {}, "x16"));
        w = b.createConst(weight("W", f16({3, 4, 1, 1})), {}, "W");
        conv = require(b.createValue("conv", {x16, w}, {}, {}, "h"));
        y = require(b.createValue("cast", {conv}, {{"dtype", std::string("fp32")}}, {}, "y"));
        kernel.outputs.push_back({"y", y, {}});
    }
};

std::vector<std::string> verifierErrors(const Kernel& kernel) {
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    bool ok = verifyKernel(kernel, diagnostics);
    std::vector<std::string> messages;
    for (const Diagnostic& d : diagnostics.diagnostics())
        messages.push_back(d.message);
    CHECK(ok == messages.empty());
    return messages;
}

uint32_t bitsOf(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}
} // namespace

TEST_CASE("dtype names, sizes and categories", "[ir]") {
    for (DType dtype : {DType::Bool, DType::Int8, DType::Int32, DType::UInt64, DType::Fp16,
                        DType::Fp32, DType::Fp64, DType::String})
        CHECK(parseDType(dtypeName(dtype)) == dtype);
    CHECK(dtypeName(DType::Fp16) == "fp16");
    CHECK(dtypeName(DType::Int32) == "int32");
    CHECK_FALSE(parseDType("float").has_value());
    CHECK(dtypeSize(DType::Bool) == 1);
    CHECK(dtypeSize(DType::Fp16) == 2);
    CHECK(dtypeSize(DType::Int64) == 8);
    CHECK(isFloat(DType::Fp16));
    CHECK_FALSE(isFloat(DType::Int32));
    CHECK(isInteger(DType::UInt8));
    CHECK_FALSE(isInteger(DType::Bool));
    CHECK_FALSE(isInteger(DType::String));
}

TEST_CASE("tensor types print in .ane and MIL spelling", "[ir]") {
    CHECK(f16({1, 768, 1, 64}).str() == "fp16[1,768,1,64]");
    CHECK(f16({1, 768, 1, 64}).milStr() == "tensor<fp16, [1, 768, 1, 64]>");
    CHECK(TensorType{DType::Int32, {}}.str() == "int32");
    CHECK(TensorType{DType::Int32, {}}.milStr() == "int32");
    CHECK(f32({1, kDynamicDim}).str() == "fp32[1,?]");
    CHECK(f32({1, kDynamicDim}).milStr() == "tensor<fp32, [1, ?]>");
    CHECK(shapeString({}) == "[]");
    CHECK(f16({2, 3}).numElements() == 6);
    CHECK(f16({2, 3}).byteSize() == 12);
    CHECK(f16({}).numElements() == 1);
    CHECK(f16({2, 3}).isStatic());
    CHECK_FALSE(f16({kDynamicDim}).isStatic());
    CHECK(f16({2}) != f32({2}));
}

TEST_CASE("broadcastShapes follows numpy", "[ir]") {
    CHECK(broadcastShapes({2, 3}, {2, 3}) == Shape{2, 3});
    CHECK(broadcastShapes({1, 768, 1, 64}, {768, 1, 1}) == Shape{1, 768, 1, 64});
    CHECK(broadcastShapes({3, 1}, {1, 4}) == Shape{3, 4});
    CHECK(broadcastShapes({}, {2, 3}) == Shape{2, 3});
    CHECK(broadcastShapes({2, 3}, {}) == Shape{2, 3});
    CHECK(broadcastShapes({}, {}) == Shape{});
    CHECK(broadcastShapes({5, 1, 1}, {4, 1}) == Shape{5, 4, 1});
    CHECK_FALSE(broadcastShapes({2, 3}, {3, 2}).has_value());
    CHECK_FALSE(broadcastShapes({1, 768, 1, 64}, {1, 2048, 1, 64}).has_value());
    CHECK(normalizeAxis(-1, 4) == size_t{3});
    CHECK(normalizeAxis(3, 4) == size_t{3});
    CHECK_FALSE(normalizeAxis(4, 4).has_value());
    CHECK_FALSE(normalizeAxis(-5, 4).has_value());
    CHECK_FALSE(normalizeAxis(0, 0).has_value());
}

TEST_CASE("fp16 conversion rounds to nearest even", "[ir][fp16]") {
    CHECK(floatToHalf(0.0f) == 0x0000);
    CHECK(floatToHalf(-0.0f) == 0x8000);
    CHECK(floatToHalf(1.0f) == 0x3c00);
    CHECK(floatToHalf(-2.0f) == 0xc000);
    CHECK(floatToHalf(0.5f) == 0x3800);
    CHECK(floatToHalf(65504.0f) == 0x7bff);
    // Ties between two halves go to the even one.
    CHECK(floatToHalf(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
    CHECK(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
    CHECK(floatToHalf(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3c01);
    // A mantissa that rounds up into the next binade.
    CHECK(floatToHalf(2.0f - std::ldexp(1.0f, -12)) == 0x4000);
}

TEST_CASE("fp16 conversion handles subnormals, overflow and NaN", "[ir][fp16]") {
    CHECK(floatToHalf(std::ldexp(1.0f, -24)) == 0x0001); // smallest subnormal
    CHECK(floatToHalf(std::ldexp(1.0f, -25)) == 0x0000); // tie with zero: even
    CHECK(floatToHalf(std::ldexp(3.0f, -26)) == 0x0001); // 0.75 of the smallest: up
    CHECK(floatToHalf(std::ldexp(3.0f, -25)) == 0x0002); // 1.5 units: tie to even 2
    CHECK(floatToHalf(std::ldexp(1.0f, -30)) == 0x0000);
    CHECK(floatToHalf(-std::ldexp(1.0f, -24)) == 0x8001);
    CHECK(floatToHalf(std::ldexp(1023.0f, -24)) == 0x03ff); // largest subnormal
    CHECK(floatToHalf(std::ldexp(1023.5f, -24)) == 0x0400); // rounds up to the smallest normal
    CHECK(floatToHalf(std::ldexp(1.0f, -14)) == 0x0400);
    CHECK(floatToHalf(65519.0f) == 0x7bff);
    CHECK(floatToHalf(65520.0f) == 0x7c00); // halfway to 2^16: overflows to infinity
    CHECK(floatToHalf(1e10f) == 0x7c00);
    CHECK(floatToHalf(-1e10f) == 0xfc00);
    CHECK(floatToHalf(std::numeric_limits<float>::infinity()) == 0x7c00);
    uint16_t nan = floatToHalf(std::numeric_limits<float>::quiet_NaN());
    CHECK((nan & 0x7c00) == 0x7c00);
    CHECK((nan & 0x03ff) != 0);
    CHECK(std::isnan(halfToFloat(0x7e00)));
    CHECK(halfToFloat(0x7c00) == std::numeric_limits<float>::infinity());
    CHECK(halfToFloat(0xfc00) == -std::numeric_limits<float>::infinity());
    CHECK(halfToFloat(0x0001) == std::ldexp(1.0f, -24));
    CHECK(bitsOf(halfToFloat(0x8000)) == 0x80000000u);
}

TEST_CASE("every finite half survives a round trip through float", "[ir][fp16]") {
    for (uint32_t bits = 0; bits < 0x10000; ++bits) {
        uint16_t half = static_cast<uint16_t>(bits);
        if ((half & 0x7c00) == 0x7c00 && (half & 0x03ff)) continue; // NaN payloads
        if (floatToHalf(halfToFloat(half)) != half) FAIL("half " << bits << " changed");
        if (doubleToHalf(static_cast<double>(halfToFloat(half))) != half) FAIL("half " << bits);
    }
}

TEST_CASE("doubleToHalf rounds once, not through float", "[ir][fp16]") {
    // Just above the tie 1 + 2^-11: through float the extra bit would be lost, giving 1.0.
    double value = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
    CHECK(floatToHalf(static_cast<float>(value)) == 0x3c00);
    CHECK(doubleToHalf(value) == 0x3c01);
    CHECK(doubleToHalf(0.1) == 0x2e66);
    CHECK(doubleToHalf(-65536.0) == 0xfc00);
}

TEST_CASE("ConstData stores typed bytes and converts to doubles", "[ir]") {
    std::vector<double> values{1.0, 0.1, -2.5, 65504.0, 1e6, 3.0};
    ConstData half = ConstData::fromDoubles(f16({2, 3}), values);
    REQUIRE(half.bytes().size() == 12);
    CHECK(half.bytes()[0] == 0x00);
    CHECK(half.bytes()[1] == 0x3c); // little-endian 0x3c00
    CHECK(half.at(1) == static_cast<double>(halfToFloat(0x2e66)));
    CHECK(half.at(2) == -2.5);
    CHECK(half.at(3) == 65504.0);
    CHECK(std::isinf(half.at(4)));
    CHECK(half.toDoubles().size() == 6);
    CHECK_FALSE(half.isSplat());

    ConstData ints = ConstData::fromDoubles({DType::Int32, {3}}, std::vector<double>{-1, 0, 2048});
    CHECK(ints.toInts() == List{-1, 0, 2048});
    CHECK(ints.bytes().size() == 12);
    ConstData flags = ConstData::fromDoubles({DType::Bool, {2}}, std::vector<double>{0, 5});
    CHECK(flags.toDoubles() == std::vector<double>{0, 1});
    ConstData single = ConstData::fromDoubles(f32({}), std::vector<double>{0.1});
    CHECK(single.at(0) == static_cast<double>(0.1f));

    ConstData ones = ConstData::splat(f16({4}), 1.0);
    CHECK(ones.isSplat());
    CHECK(ones.toDoubles() == std::vector<double>{1, 1, 1, 1});
    ConstData named = ones;
    named.blobName = "g";
    CHECK(named == ones); // identity is type and bytes; the blob name is placement only
    CHECK_FALSE(ones == ConstData::splat(f32({4}), 1.0));

    CHECK_THROWS_AS(ConstData(f16({2}), std::vector<uint8_t>(3)), std::logic_error);
    CHECK_THROWS_AS(ConstData::fromDoubles(f16({2}), std::vector<double>{1.0}), std::logic_error);
}

TEST_CASE("attributes print deterministically", "[ir]") {
    CHECK(attributeString(true) == "true");
    CHECK(attributeString(int64_t{-3}) == "-3");
    CHECK(attributeString(1.0) == "1.0");
    CHECK(attributeString(0.5) == "0.5");
    CHECK(attributeString(std::string("valid")) == "\"valid\"");
    CHECK(attributeString(List{1, 2}) == "[1, 2]");
    CHECK(attributeString(List{}) == "[]");
}

TEST_CASE("the builder infers result types and fills attribute defaults", "[ir]") {
    SmallKernel k;
    REQUIRE(k.kernel.ops.size() == 4);
    CHECK(k.x16->type == f16({1, 4, 1, 2}));
    CHECK(k.conv->type == f16({1, 3, 1, 2}));
    CHECK(k.y->type == f32({1, 3, 1, 2}));
    const Op& conv = *k.conv->definingOp;
    CHECK(conv.kind() == "conv");
    CHECK(conv.operands == std::vector<Value*>{k.x16, k.w, nullptr}); // no bias
    CHECK(conv.name == "h");
    CHECK(k.conv->name == "h");
    CHECK(*conv.attr<std::string>("pad_type") == "valid");
    CHECK(*conv.attr<List>("strides") == List{1, 1});
    CHECK(*conv.attr<int64_t>("groups") == 1);
    CHECK(conv.attr<bool>("groups") == nullptr);
    CHECK(k.w->definingOp->isConst());
    CHECK(k.w->definingOp->constData->blobName == "W");
    CHECK(k.kernel.useCount(k.x16) == 1);
    CHECK(k.kernel.useCount(k.y) == 1); // the output
    CHECK(k.kernel.useCount(k.x) == 1);
}

TEST_CASE("the builder reports invalid ops and leaves the kernel unchanged", "[ir]") {
    SmallKernel k;
    Builder b(k.kernel);
    auto bad = b.createValue("add", {k.x16, k.conv});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error() == "cannot add fp16[1,4,1,2] and fp16[1,3,1,2]");
    CHECK(b.create("frobnicate", {k.x16}).error() == "unknown op 'frobnicate'");
    auto parts =
        b.createValue("split", {k.x16}, {{"axis", int64_t{1}}, {"num_splits", int64_t{2}}});
    CHECK(parts.error() == "split does not have exactly one result");
    // The refused multi-result op was not left in the kernel.
    CHECK(k.kernel.ops.size() == 4);
    auto split = b.create("split", {k.x16}, {{"axis", int64_t{1}}, {"num_splits", int64_t{2}}});
    REQUIRE(split.ok());
    REQUIRE((*split)->results.size() == 2);
    CHECK((*split)->result(1)->resultIndex == 1);
    CHECK((*split)->result(1)->definingOp == *split);
}

TEST_CASE("the builder inserts at its insertion point", "[ir]") {
    SmallKernel k;
    auto convPos = std::next(k.kernel.ops.begin(), 2);
    Builder b(k.kernel, convPos);
    Value* scaled = require(b.createValue("mul", {k.x16, k.x16}, {}, {}, "sq"));
    std::vector<std::string> kinds;
    for (const auto& op : k.kernel.ops)
        kinds.push_back(op->kind());
    CHECK(kinds == std::vector<std::string>{"cast", "const", "mul", "conv", "cast"});
    k.kernel.replaceAllUses(k.x16, scaled);
    CHECK(k.conv->definingOp->operands[0] == scaled);
    CHECK(scaled->definingOp->operands[0] ==
          scaled); // replaceAllUses is blind; verifier catches it
    CHECK(
        verifierErrors(k.kernel) ==
        std::vector<std::string>{"IR verifier: kernel 'small': mul: operand 0 is used before it is "
                                 "defined",
                                 "IR verifier: kernel 'small': mul: operand 1 is used before it is "
                                 "defined"});
}

TEST_CASE("the printer shows ops, attributes and types", "[ir]") {
    SmallKernel k;
    Builder b(k.kernel);
    auto scalar =
        std::make_shared<ConstData>(ConstData::fromDoubles(f16({}), std::vector<double>{0.5}));
    Value* half = b.createConst(scalar, {}, "");
    require(b.createValue("mul", {k.conv, half}));
    CHECK(printKernel(k.kernel) ==
          "kernel small(%x: fp32[1,4,1,2]) -> (y: fp32[1,3,1,2]) {\n"
          "  %x16 = cast(%x) {dtype = \"fp16\"} : fp16[1,4,1,2]\n"
          "  %W = const() {blob = \"W\"} : fp16[3,4,1,1]\n"
          "  %h = conv(%x16, %W) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "
          "\"valid\", strides = [1, 1]} : fp16[1,3,1,2]\n"
          "  %y = cast(%h) {dtype = \"fp32\"} : fp32[1,3,1,2]\n"
          "  %0 = const() {value = 0.5} : fp16\n"
          "  %1 = mul(%h, %0) : fp16[1,3,1,2]\n"
          "  return y = %y\n"
          "}\n");
}

TEST_CASE("the printer makes value names unique and elides long constants", "[ir]") {
    Kernel kernel;
    kernel.name = "k";
    Value* a = kernel.addInput("a", f16({10}));
    Builder b(kernel);
    auto data = std::make_shared<ConstData>(ConstData::splat(f16({10}), 2.0));
    Value* two = b.createConst(data, {}, "a");
    Value* sum = require(b.createValue("add", {a, two}, {}, {}, "a"));
    kernel.outputs.push_back({"out", sum, {}});
    Module module;
    module.kernels.push_back(std::make_unique<Kernel>(std::move(kernel)));
    CHECK(printModule(module) ==
          "kernel k(%a: fp16[10]) -> (out: fp16[10]) {\n"
          "  %a.1 = const() {value = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, ...]} : fp16[10]\n"
          "  %a.2 = add(%a, %a.1) : fp16[10]\n"
          "  return out = %a.2\n"
          "}\n");
}

TEST_CASE("the verifier accepts valid IR", "[ir]") {
    SmallKernel k;
    CHECK(verifierErrors(k.kernel).empty());
}

TEST_CASE("the verifier reports use before definition", "[ir]") {
    SmallKernel k;
    // Move the conv before the cast that defines its input.
    auto convIt = std::next(k.kernel.ops.begin(), 2);
    k.kernel.ops.splice(k.kernel.ops.begin(), k.kernel.ops, convIt);
    CHECK(verifierErrors(k.kernel) ==
          std::vector<std::string>{
              "IR verifier: kernel 'small': conv: operand 0 is used before it is defined",
              "IR verifier: kernel 'small': conv: operand 1 is used before it is defined"});
}

TEST_CASE("the verifier reports wrong result types and invalid ops", "[ir]") {
    SmallKernel k;
    k.conv->type = f16({1, 3, 1, 3});
    CHECK(verifierErrors(k.kernel) ==
          std::vector<std::string>{"IR verifier: kernel 'small': conv: result 0 has type "
                                   "fp16[1,3,1,3] but fp16[1,3,1,2] is inferred",
                                   // every op is checked against its operands as they are
                                   "IR verifier: kernel 'small': cast: result 0 has type "
                                   "fp32[1,3,1,2] but fp32[1,3,1,3] is inferred"});
    k.conv->type = f16({1, 3, 1, 2});
    k.conv->definingOp->attrs["groups"] = int64_t{0};
    CHECK(verifierErrors(k.kernel) ==
          std::vector<std::string>{
              "IR verifier: kernel 'small': conv groups must be positive, got 0"});
    k.conv->definingOp->attrs["groups"] = int64_t{1};
    k.w->type = f16({3, 4, 1, 2});
    CHECK(verifierErrors(k.kernel) ==
          std::vector<std::string>{"IR verifier: kernel 'small': const result type does not match "
                                   "its value",
                                   "IR verifier: kernel 'small': conv: result 0 has type "
                                   "fp16[1,3,1,2] but fp16[1,3,1,1] is inferred"});
}

TEST_CASE("the verifier reports duplicate names and missing outputs", "[ir]") {
    SmallKernel k;
    k.kernel.addInput("x", f32({1}));
    k.kernel.outputs.push_back({"y", k.conv, {}});
    k.kernel.outputs.push_back({"z", nullptr, {}});
    CHECK(verifierErrors(k.kernel) ==
          std::vector<std::string>{"IR verifier: kernel 'small': duplicate input 'x'",
                                   "IR verifier: kernel 'small': duplicate output 'y'",
                                   "IR verifier: kernel 'small': output 'z' is never assigned"});

    SmallKernel other;
    other.kernel.outputs[0].value = k.x; // a value of another kernel
    CHECK(verifierErrors(other.kernel) ==
          std::vector<std::string>{"IR verifier: kernel 'small': output 'y' refers to a value not "
                                   "defined in the kernel"});
    other.kernel.outputs.clear();
    CHECK(verifierErrors(other.kernel) ==
          std::vector<std::string>{"IR verifier: kernel 'small': kernel 'small' has no outputs"});
}

TEST_CASE("the verifier reports duplicate kernels in a module", "[ir]") {
    Module module;
    for (int i = 0; i < 2; ++i) {
        auto kernel = std::make_unique<Kernel>();
        kernel->name = "twice";
        Value* x = kernel->addInput("x", f16({2}));
        kernel->outputs.push_back({"y", x, {}});
        module.kernels.push_back(std::move(kernel));
    }
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    CHECK_FALSE(verifyModule(module, diagnostics));
    REQUIRE(diagnostics.errorCount() == 1);
    CHECK(diagnostics.diagnostics()[0].message == "IR verifier: duplicate kernel 'twice'");
    CHECK(module.findKernel("twice") == module.kernels[0].get());
    CHECK(module.findKernel("nope") == nullptr);
}
