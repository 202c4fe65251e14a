#pragma once
// Helpers of the MIL reader tests: parse MIL text (optionally with weight files in a temp
// directory), collect diagnostics in brief form, and write MILBlob files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "ir/ir.hpp"
#include "mil/blob.hpp"
#include "mil/emitter.hpp"
#include "mil/parser.hpp"
#include "support/diagnostics.hpp"
#include "unit/driver/test_support.hpp"

namespace anec::milparse::test {

using anec::test::readFile;
using anec::test::TempDir;
using anec::test::writeFile;

inline void writeFile(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
    writeFile(path, std::string(bytes.begin(), bytes.end()));
}

// --strict: blob metadata that disagrees with the MIL is an error.
inline const mil::ReadOptions kStrict{true};

// One MIL text parsed with its diagnostics.
struct Parsed {
    Parsed(const std::string& text, const std::filesystem::path& modelDir,
           const mil::ReadOptions& options = {})
        : diagnostics(sources) {
        uint32_t file = sources.addFile("model.mil", text);
        module = mil::parseMil(file, modelDir, diagnostics, options);
    }
    SourceManager sources;
    DiagnosticEngine diagnostics;
    std::unique_ptr<ir::Module> module;

    // Every diagnostic in brief form ("line:col: error: message").
    std::vector<std::string> messages() const {
        std::vector<std::string> out;
        for (const Diagnostic& d : diagnostics.diagnostics())
            out.push_back(DiagnosticEngine::brief(d));
        return out;
    }
    std::string joined() const {
        std::string out;
        for (const std::string& m : messages())
            out += m + "\n";
        return out;
    }
};

// The one kernel a parsed program must hold.
inline const ir::Kernel& onlyKernel(const Parsed& parsed) {
    REQUIRE(parsed.module->kernels.size() == 1);
    return *parsed.module->kernels[0];
}

inline std::unique_ptr<Parsed> parse(const std::string& text,
                                     const std::filesystem::path& modelDir = {},
                                     const mil::ReadOptions& options = {}) {
    return std::make_unique<Parsed>(text, modelDir, options);
}

// Parses MIL that must be valid; fails the test with the diagnostics otherwise.
inline std::unique_ptr<Parsed> parseOk(const std::string& text,
                                       const std::filesystem::path& modelDir = {}) {
    auto parsed = parse(text, modelDir);
    INFO(parsed->joined());
    REQUIRE(parsed->module != nullptr);
    REQUIRE(parsed->diagnostics.errorCount() == 0);
    return parsed;
}

// The diagnostics of MIL that must be rejected.
inline std::vector<std::string> errors(const std::string& text,
                                       const std::filesystem::path& modelDir = {},
                                       const mil::ReadOptions& options = {}) {
    auto parsed = parse(text, modelDir, options);
    CHECK(parsed->module == nullptr);
    return parsed->messages();
}

// A MIL program around the statements of one function `main<ios18>(params)` returning `returns`.
inline std::string program(const std::string& params, const std::string& body,
                           const std::string& returns, const std::string& version = "1.3",
                           const std::string& opset = "ios18") {
    return "program(" + version + ")\n{\n    func main<" + opset + ">(" + params + ") {\n" + body +
           "    } -> (" + returns + ");\n}\n";
}

// A weight `W` of `type` (default a 2x2 fp16) read from `path` at `offset`, added to an input.
inline std::string weightProgram(const std::string& path, const std::string& offset,
                                 const std::string& type = "tensor<fp16, [2, 2]>") {
    return program(type + " x",
                   "        " + type + " W = const()[name = string(\"W\"), val = " + type +
                       "(BLOBFILE(path = string(\"" + path + "\"), offset = uint64(" + offset +
                       ")))];\n"
                       "        " +
                       type + " y = add(x = x, y = W)[name = string(\"y\")];\n",
                   "y");
}

// The column of BLOBFILE in weightProgram's const line (line 4).
inline uint32_t blobColumn(const std::string& type = "tensor<fp16, [2, 2]>") {
    std::string line = "        " + type + " W = const()[name = string(\"W\"), val = " + type + "(";
    return static_cast<uint32_t>(line.size() + 1);
}

// "line:col: error: message", as Parsed::messages() gives it.
inline std::string at(uint32_t line, uint32_t column, const std::string& message,
                      const std::string& severity = "error") {
    return std::to_string(line) + ":" + std::to_string(column) + ": " + severity + ": " + message;
}

// A blob file holding one fp16 [2, 2] weight (1, 2, 3, 4).
inline std::vector<uint8_t> weightBlob() {
    mil::BlobWriter writer;
    writer.add(
        ir::ConstData::fromDoubles({ir::DType::Fp16, {2, 2}}, std::vector{1.0, 2.0, 3.0, 4.0}));
    return writer.bytes();
}

inline const ir::Op* findOp(const ir::Kernel& kernel, const std::string& kind, size_t nth = 0) {
    for (const auto& op : kernel.ops)
        if (op->kind() == kind && nth-- == 0) return op.get();
    return nullptr;
}

inline std::vector<std::string> opKinds(const ir::Kernel& kernel) {
    std::vector<std::string> kinds;
    for (const auto& op : kernel.ops)
        kinds.push_back(op->kind());
    return kinds;
}

} // namespace anec::milparse::test
