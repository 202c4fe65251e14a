#pragma once
// Helpers shared by the pass tests: compiling .ane text with given options, printing its IR, and
// running a compiled module on the reference backend.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "driver/compiler.hpp"
#include "ir/printer.hpp"
#include "runtime/core/backend.hpp"
#include "support/fp16.hpp"

namespace anec::passes::test {

// Compiles `text` (as "test.ane") through optimize(); requires success. The module stays owned
// by the returned pointer's compilation.
inline std::shared_ptr<ir::Module> compileAne(const std::string& text,
                                              driver::CompileOptions options = {}) {
    auto compilation = std::make_shared<driver::Compilation>(std::move(options));
    compilation->loadSource("test.ane", text);
    bool ok = compilation->optimize();
    std::ostringstream rendered;
    compilation->diagnostics().print(rendered);
    INFO(text << "\n" << rendered.str());
    REQUIRE(ok);
    return std::shared_ptr<ir::Module>(compilation, compilation->module());
}

// The IR after exactly the named passes (none: the IR as generated).
inline std::string irAfter(const std::string& text, std::vector<std::string> passes) {
    driver::CompileOptions options;
    options.passes = std::move(passes);
    return ir::printModule(*compileAne(text, options));
}

// Deterministic inputs in [-1, 1) on a grid exact in fp16; small integers; alternating bools.
inline runtime::Tensor makeInput(const ir::TensorType& type, uint64_t seed) {
    runtime::Tensor tensor(type);
    std::span<uint8_t> bytes = tensor.bytes();
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < type.numElements(); ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        int bucket = static_cast<int>((state >> 33) % 256);
        double value = (bucket - 128) / 128.0;
        uint8_t* at = bytes.data() + i * static_cast<int64_t>(ir::dtypeSize(type.dtype));
        if (ir::isFloat(type.dtype))
            ir::storeElement(type.dtype, at, value);
        else if (type.dtype == ir::DType::Int32)
            ir::storeElement(type.dtype, at, bucket % 64);
        else if (type.dtype == ir::DType::Bool)
            ir::storeElement(type.dtype, at, bucket & 1);
        else
            FAIL("no test input for " << type.str());
    }
    return tensor;
}

inline std::map<std::string, runtime::Tensor>
runKernel(std::shared_ptr<const ir::Module> module, const std::string& kernel,
          const std::map<std::string, runtime::Tensor>& inputs) {
    auto backend = runtime::createReferenceBackend();
    auto executable = backend->prepare(std::move(module), kernel);
    std::map<std::string, runtime::TensorView> views;
    for (const auto& [name, tensor] : inputs)
        views[name] = runtime::TensorView{tensor.type(), tensor.bytes()};
    return executable->run(views);
}

// Element i of a float/int/bool tensor as a double.
inline double elementAt(const runtime::Tensor& tensor, int64_t i) {
    const uint8_t* at =
        tensor.bytes().data() + i * static_cast<int64_t>(ir::dtypeSize(tensor.type().dtype));
    return ir::loadElement(tensor.type().dtype, at);
}

} // namespace anec::passes::test
