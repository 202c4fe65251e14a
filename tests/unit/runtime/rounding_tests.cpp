// The fp16-faithful numeric model seen through ops: every fp16 result is rounded to nearest even
// (subnormals kept, overflow to +-inf), intermediate results too; fp32 results are not rounded.
#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
const double kUlpAtOne = std::ldexp(1.0, -10);
const double kTinySubnormal = std::ldexp(1.0, -24);
} // namespace

TEST_CASE("fp16 add rounds ties to even and overflows to infinity", "[runtime][rounding]") {
    SingleOp op("add");
    op.operand({ir::DType::Fp16, {6}}, {1, 1 + kUlpAtOne, 65504, 65504, -65504, 2048})
        .operand({ir::DType::Fp16, {6}}, {kUlpAtOne / 2, kUlpAtOne / 2, 16, 8, -16, 1});
    // 1 + half an ulp is a tie: down to the even 1; (1 + ulp) + half an ulp: up to 1 + 2 ulps;
    // 65504 + 16 = 65520 rounds to infinity; 65504 + 8 rounds back to 65504; 2049 is a tie
    // between 2048 and 2050 (fp16 spacing 2 there): even mantissa 2048.
    const std::vector<double> expected = {1, 1 + 2 * kUlpAtOne, INFINITY, 65504, -INFINITY, 2048};
    CHECK(op.run(Precision::Fp16Faithful) == expected);
}

TEST_CASE("fp16 mul keeps subnormals and rounds them to even", "[runtime][rounding]") {
    SingleOp op("mul");
    op.operand({ir::DType::Fp16, {6}}, {kTinySubnormal, kTinySubnormal, 3 * kTinySubnormal,
                                        std::ldexp(1.0, -14), std::ldexp(1.0, -14), 300})
        .operand({ir::DType::Fp16, {6}}, {1.5, 0.5, 0.5, 0.5, std::ldexp(1.0, -14), -300});
    // 1.5 units of 2^-24 is a tie: up to 2 units (even); 0.5 units: down to 0 (even); 1.5 units
    // again from 3 * 0.5; 2^-15 is an exact subnormal; 2^-28 underflows to 0; -90000 overflows.
    const std::vector<double> expected = {2 * kTinySubnormal,   0, 2 * kTinySubnormal,
                                          std::ldexp(1.0, -15), 0, -INFINITY};
    CHECK(op.run(Precision::Fp16Faithful) == expected);
}

TEST_CASE("GEMM results overflow to infinity like any fp16 result", "[runtime][rounding]") {
    SingleOp op("matmul");
    op.operand({ir::DType::Fp16, {1, 2}}, {60000, 60000})
        .operand({ir::DType::Fp16, {2, 2}}, {1, 1, 1, -1});
    // The fp32 accumulator holds 120000 and 0 exactly; only the fp16 result overflows.
    CHECK(op.run(Precision::Fp16Faithful) == std::vector<double>{INFINITY, 0});
    CHECK(op.run(Precision::Float64) == std::vector<double>{INFINITY, 0}); // fp16 output
}

TEST_CASE("fp32 results are not rounded to fp16", "[runtime][rounding]") {
    SingleOp op("add");
    op.operand({ir::DType::Fp32, {1}}, {1}).operand({ir::DType::Fp32, {1}}, {kUlpAtOne / 2});
    CHECK(op.run(Precision::Fp16Faithful) == std::vector<double>{1 + kUlpAtOne / 2});
}

TEST_CASE("every intermediate fp16 result is rounded; Float64 rounds nothing",
          "[runtime][rounding]") {
    // (x + 2^-11) - x: the fp16 sum 1 + 2^-11 rounds to 1, so the fp16 model gives 0, while the
    // double reference keeps 2^-11. The output is fp32, so nothing rounds it at the end.
    auto module = compileModule(R"(
kernel k(x: fp32[2]) -> (y: fp32[2]) {
    y = cast((x + 0.00048828125) - x, fp32)
}
)");
    runtime::Tensor x = makeTensor({ir::DType::Fp32, {2}}, {1, 0.25});
    auto run = [&](Precision precision) {
        auto executable = runtime::createReferenceBackend(precision)->prepare(module, "k");
        return toDoubles(executable->run({{"x", viewOf(x)}}).at("y"));
    };
    // 0.25 + 2^-11 is exact in fp16 (spacing 2^-12 there).
    CHECK(run(Precision::Fp16Faithful) == std::vector<double>{0, 0.00048828125});
    CHECK(run(Precision::Float64) == std::vector<double>{0.00048828125, 0.00048828125});
}

TEST_CASE("fp16 inputs and outputs are exact fp16 bytes", "[runtime][rounding]") {
    SingleOp op("identity");
    std::vector<double> values;
    for (uint32_t h = 0; h < 0x10000; h += 37)
        if ((h & 0x7c00) != 0x7c00) values.push_back(halfToFloat(static_cast<uint16_t>(h)));
    op.operand({ir::DType::Fp16, {static_cast<int64_t>(values.size())}}, values);
    auto outputs = op.runTensors(Precision::Fp16Faithful);
    REQUIRE(outputs[0].bytes().size() == 2 * values.size());
    CHECK(toDoubles(outputs[0]) == values);
}

TEST_CASE("a cast to fp16 rounds in both precisions", "[runtime][rounding]") {
    SingleOp op("cast", {{"dtype", std::string("fp16")}});
    op.operand({ir::DType::Fp32, {3}}, {1 + kUlpAtOne / 2, 0.1, 70000});
    const std::vector<double> expected = {1, halfToFloat(doubleToHalf(0.1)), INFINITY};
    CHECK(op.run(Precision::Fp16Faithful) == expected);
    CHECK(op.run(Precision::Float64) == expected);
}
