// MIL literal spellings and identifier rules.
#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <limits>

#include "mil/literals.hpp"
#include "mil/names.hpp"
#include "support/fp16.hpp"

using namespace anec;
using namespace anec::mil;
using ir::DType;

TEST_CASE("floats are written as the shortest decimal that reads back exactly", "[mil]") {
    CHECK(formatFloat(0.5, DType::Fp16) == "0.5");
    CHECK(formatFloat(1.0, DType::Fp16) == "1");
    CHECK(formatFloat(-2.0, DType::Fp32) == "-2");
    CHECK(formatFloat(65504.0, DType::Fp16) == "65504");
    CHECK(formatFloat(0.1, DType::Fp16) == "0.1");
    CHECK(formatFloat(0.1, DType::Fp32) == "0.1");
    CHECK(formatFloat(0.1, DType::Fp64) == "0.1");
    CHECK(formatFloat(1e-5, DType::Fp32) == "1e-05");
    CHECK(formatFloat(0.7978845608, DType::Fp16) == "0.798");
    CHECK(formatFloat(-0.0, DType::Fp16) == "-0");
    // Values that fp16 rounds: the text is of the rounded value.
    CHECK(formatFloat(1e-12, DType::Fp16) == "0");
    CHECK(formatFloat(70000.0, DType::Fp16) == "inf");
    CHECK(formatFloat(-std::numeric_limits<double>::infinity(), DType::Fp32) == "-inf");
    CHECK(formatFloat(std::nan(""), DType::Fp16) == "nan");
}

TEST_CASE("every fp16 value round-trips through its text", "[mil]") {
    for (uint32_t bits = 0; bits < 0x10000; ++bits) {
        uint16_t half = static_cast<uint16_t>(bits);
        float value = halfToFloat(half);
        if (std::isnan(value)) continue;
        std::string text = formatFloat(value, DType::Fp16);
        if (std::isinf(value)) {
            CHECK(text == (value < 0 ? "-inf" : "inf"));
            continue;
        }
        double parsed = 0;
        auto result = std::from_chars(text.data(), text.data() + text.size(), parsed);
        INFO(text << " for bits " << bits);
        REQUIRE(result.ec == std::errc());
        REQUIRE(doubleToHalf(parsed) == half);
        REQUIRE(text.size() <= 12); // at most 5 significant digits: -5.9605e-08
    }
}

TEST_CASE("fp32 values round-trip through their text", "[mil]") {
    for (float value :
         {0.0221f, 1.0f / 3.0f, 3.4028235e38f, 1.4e-45f, 1.17549435e-38f, 123456.789f}) {
        std::string text = formatFloat(value, DType::Fp32);
        float parsed = 0;
        std::from_chars(text.data(), text.data() + text.size(), parsed);
        INFO(text);
        CHECK(parsed == value);
    }
}

TEST_CASE("inline constants and attributes use MIL literal syntax", "[mil]") {
    auto halves = ir::ConstData::fromDoubles({DType::Fp16, {2}}, std::vector<double>{0.5, 1});
    CHECK(inlineConstValue(halves) == "tensor<fp16, [2]>([0.5, 1])");
    CHECK(inlineConstValue(ir::ConstData::splat({DType::Fp16, {}}, 0.5)) == "fp16(0.5)");
    CHECK(inlineConstValue(ir::ConstData::splat({DType::Int32, {}}, -3)) == "int32(-3)");
    auto flags = ir::ConstData::fromDoubles({DType::Bool, {1, 2}}, std::vector<double>{1, 0});
    CHECK(inlineConstValue(flags) == "tensor<bool, [1, 2]>([true, false])");
    auto big = ir::ConstData::fromDoubles({DType::Int64, {1}}, std::vector<double>{0});
    CHECK(inlineConstValue(big) == "tensor<int64, [1]>([0])");

    auto attr = [](ir::Attribute value, ir::AttrKind kind, DType floatType = DType::Fp16) {
        MilConstValue c = attributeConst(value, kind, floatType);
        return c.type + " | " + c.value;
    };
    CHECK(attr(true, ir::AttrKind::Bool) == "bool | bool(true)");
    CHECK(attr(int64_t{1}, ir::AttrKind::Int) == "int32 | int32(1)");
    CHECK(attr(std::vector<int64_t>{0, 2048, 0, 0}, ir::AttrKind::IntList) ==
          "tensor<int32, [4]> | tensor<int32, [4]>([0, 2048, 0, 0])");
    CHECK(attr(std::vector<int64_t>{}, ir::AttrKind::IntList) ==
          "tensor<int32, [0]> | tensor<int32, [0]>([])");
    CHECK(attr(std::vector<int64_t>{1, 0}, ir::AttrKind::BoolList) ==
          "tensor<bool, [2]> | tensor<bool, [2]>([true, false])");
    CHECK(attr(std::string("valid"), ir::AttrKind::String) == "string | string(\"valid\")");
    CHECK(attr(1e-5, ir::AttrKind::Float) == "fp16 | fp16(1e-05)");
    CHECK(attr(1e-5, ir::AttrKind::Float, DType::Fp32) == "fp32 | fp32(1e-05)");
    CHECK(attr(0.5, ir::AttrKind::Float, DType::Int32) == "fp32 | fp32(0.5)");
    CHECK_THROWS_WITH(attr(int64_t{1} << 40, ir::AttrKind::Int),
                      Catch::Contains("does not fit in int32"));
    CHECK_THROWS_WITH(attr(true, ir::AttrKind::String), Catch::Contains("does not match its kind"));
}

TEST_CASE("strings are quoted and escaped", "[mil]") {
    CHECK(quoteString("fp16") == "\"fp16\"");
    CHECK(quoteString("a\"b\\c\nd\x01") == "\"a\\\"b\\\\c\\nd\\x01\"");
}

TEST_CASE("names are MIL-safe and unique", "[mil]") {
    CHECK(isMilIdentifier("x16"));
    CHECK(isMilIdentifier("_a"));
    CHECK_FALSE(isMilIdentifier("1x"));
    CHECK_FALSE(isMilIdentifier("a.b"));
    CHECK_FALSE(isMilIdentifier(""));
    CHECK_FALSE(isMilIdentifier("tensor"));
    CHECK(sanitizeIdentifier("W1.T") == "W1_T");
    CHECK(sanitizeIdentifier("0abc") == "_0abc");
    CHECK(sanitizeIdentifier("string") == "_string");

    NameTable names;
    CHECK(names.reserve("x"));
    CHECK_FALSE(names.reserve("x"));
    CHECK(names.unique("x") == "x_1");
    CHECK(names.unique("x") == "x_2");
    CHECK(names.unique("a-b") == "a_b");
    CHECK(names.unique("", "add") == "add");
    CHECK(names.unique("", "add") == "add_1");

    NameTable files(/*caseInsensitive=*/true);
    CHECK(files.unique("W") == "W");
    CHECK(files.unique("w") == "w_1");
}
