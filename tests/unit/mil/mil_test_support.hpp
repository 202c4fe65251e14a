#pragma once
// Hand-built IR kernels for the MIL emitter and output tests.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/builder.hpp"
#include "ir/ir.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil::test {

using IntList = std::vector<int64_t>;

// The message of the anec::Error that `action` throws, or "(no error)".
inline std::string errorOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

template <typename T> T need(Expected<T> result) {
    if (!result) FAIL("IR construction failed: " << result.error());
    return *result;
}

// A weight constant with distinct, finite fp16 values.
inline std::shared_ptr<ir::ConstData> patternWeight(ir::Shape shape, const std::string& blobName,
                                                    uint16_t salt) {
    ir::TensorType type{ir::DType::Fp16, std::move(shape)};
    std::vector<uint8_t> bytes(static_cast<size_t>(type.byteSize()));
    for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
        uint16_t bits = static_cast<uint16_t>((i / 2 * 7919 + salt) % 0x3c00); // below 1.0
        bytes[i] = static_cast<uint8_t>(bits);
        bytes[i + 1] = static_cast<uint8_t>(bits >> 8);
    }
    auto data = std::make_shared<ir::ConstData>(type, std::move(bytes));
    data->blobName = blobName;
    return data;
}

// The seed program (ffn_w13_bwd) as the frontend lowers it: cast, two channel slices, two 1x1
// convs with transposed weights, add, cast to fp32.
inline std::unique_ptr<ir::Kernel> seedKernel() {
    const int64_t dim = 768, hidden = 2048, seq = 64;
    auto kernel = std::make_unique<ir::Kernel>();
    kernel->name = "ffn_w13_bwd";
    ir::Value* x = kernel->addInput("x", {ir::DType::Fp32, {1, 2 * hidden, 1, seq}});
    ir::Builder b(*kernel);
    ir::Value* x16 = need(b.createValue("cast", {x}, {{"dtype", std::string("fp16")}}, {}, "x16"));
    ir::Value* dh1 = need(b.createValue(
        "slice_by_size", {x16},
        {{"begin", IntList{0, 0, 0, 0}}, {"size", IntList{1, hidden, 1, seq}}}, {}, "dh1"));
    ir::Value* dh3 = need(b.createValue(
        "slice_by_size", {x16},
        {{"begin", IntList{0, hidden, 0, 0}}, {"size", IntList{1, hidden, 1, seq}}}, {}, "dh3"));
    ir::Value* w1 = b.createConst(patternWeight({dim, hidden, 1, 1}, "W1_T", 1), {}, "W1_T");
    ir::Value* w3 = b.createConst(patternWeight({dim, hidden, 1, 1}, "W3_T", 2), {}, "W3_T");
    ir::Value* dx1 = need(b.createValue("conv", {dh1, w1}, {}, {}, "dx1"));
    ir::Value* dx3 = need(b.createValue("conv", {dh3, w3}, {}, {}, "dx3"));
    ir::Value* sum = need(b.createValue("add", {dx1, dx3}, {}, {}, "sum"));
    ir::Value* y = need(b.createValue("cast", {sum}, {{"dtype", std::string("fp32")}}, {}, "y"));
    kernel->outputs.push_back({"y", y, {}});
    return kernel;
}

} // namespace anec::mil::test
