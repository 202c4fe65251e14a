#pragma once
// Helpers for the runtime tests: compile .ane source in-process, build input tensors from
// doubles, read outputs back as doubles.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver/compiler.hpp"
#include "runtime/core/backend.hpp"
#include "support/fp16.hpp"

namespace anec::test {

// Compiles `source` (optimised); FAILs the test with the diagnostics when it does not compile.
// The module shares ownership of the Compilation that holds it.
inline std::shared_ptr<const ir::Module> compileModule(const std::string& source,
                                                       const std::string& name = "test.ane") {
    auto compilation = std::make_shared<driver::Compilation>();
    compilation->loadSource(name, source);
    if (!compilation->optimize()) {
        std::string messages;
        for (const Diagnostic& d : compilation->diagnostics().diagnostics())
            messages += DiagnosticEngine::brief(d) + "\n";
        FAIL("compilation failed:\n" << messages);
    }
    return std::shared_ptr<const ir::Module>(compilation, compilation->module());
}

// Element i of a tensor as a double (fp16/fp32/int32/int8/uint8/bool).
inline double elementAt(ir::DType dtype, std::span<const uint8_t> bytes, size_t i) {
    switch (dtype) {
    case ir::DType::Fp16: {
        uint16_t h;
        std::memcpy(&h, bytes.data() + 2 * i, 2);
        return halfToFloat(h);
    }
    case ir::DType::Fp32: {
        float f;
        std::memcpy(&f, bytes.data() + 4 * i, 4);
        return f;
    }
    case ir::DType::Int32: {
        int32_t v;
        std::memcpy(&v, bytes.data() + 4 * i, 4);
        return v;
    }
    case ir::DType::Int8:
        return static_cast<int8_t>(bytes[i]);
    case ir::DType::UInt8:
        return bytes[i];
    default:
        return bytes[i] != 0 ? 1.0 : 0.0;
    }
}

inline std::vector<double> toDoubles(const runtime::Tensor& tensor) {
    std::vector<double> values(static_cast<size_t>(tensor.type().numElements()));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = elementAt(tensor.type().dtype, tensor.bytes(), i);
    return values;
}

// A tensor of `type` holding `values` rounded to its dtype (fp16: nearest even).
inline runtime::Tensor makeTensor(const ir::TensorType& type, const std::vector<double>& values) {
    runtime::Tensor tensor(type);
    uint8_t* out = tensor.bytes().data();
    for (size_t i = 0; i < values.size(); ++i) {
        switch (type.dtype) {
        case ir::DType::Fp16: {
            uint16_t h = doubleToHalf(values[i]);
            std::memcpy(out + 2 * i, &h, 2);
            break;
        }
        case ir::DType::Fp32: {
            float f = static_cast<float>(values[i]);
            std::memcpy(out + 4 * i, &f, 4);
            break;
        }
        case ir::DType::Int32: {
            int32_t v = static_cast<int32_t>(values[i]);
            std::memcpy(out + 4 * i, &v, 4);
            break;
        }
        case ir::DType::Int8:
        case ir::DType::UInt8:
            out[i] = static_cast<uint8_t>(static_cast<int32_t>(values[i]));
            break;
        default:
            out[i] = values[i] != 0;
            break;
        }
    }
    return tensor;
}

inline runtime::TensorView viewOf(const runtime::Tensor& tensor) {
    return {tensor.type(), tensor.bytes()};
}

} // namespace anec::test
