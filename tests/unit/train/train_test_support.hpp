#pragma once
// Helpers of the training tests: examples/train_tiny.ane compiled at a small configuration, with
// keys added to its train block or the block replaced, and a fixed batch.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "driver/compiler.hpp"

namespace anec::test::train {

inline std::filesystem::path tinyPath() {
    return std::filesystem::path(ANEC_SOURCE_DIR) / "examples" / "train_tiny.ane";
}

// examples/train_tiny.ane with `trainOptions` added to its train block (before its closing
// brace, the file's last).
inline std::string tinySource(const std::string& trainOptions = "") {
    std::ifstream in(tinyPath());
    std::ostringstream text;
    text << in.rdbuf();
    std::string source = text.str();
    size_t close = source.rfind('}');
    return source.substr(0, close) + trainOptions + "\n}\n";
}

// examples/train_tiny.ane with its train block (from "train step {" to the end) replaced by
// `trainBlock`, a whole declaration.
inline std::string tinySourceWithTrain(const std::string& trainBlock) {
    std::string source = tinySource();
    size_t train = source.find("train step {");
    REQUIRE(train != std::string::npos);
    return source.substr(0, train) + trainBlock;
}

using Defines = std::map<std::string, int64_t>;

inline Defines tinyDefines() {
    return {{"SEQ", 16}, {"LAYERS", 1}};
}

// Compiles a source as examples/train_tiny.ane with the -D defines.
inline std::shared_ptr<anec::ir::Module> compileSource(const std::string& source,
                                                       const Defines& defines = tinyDefines()) {
    anec::driver::CompileOptions options;
    for (const auto& [name, value] : defines)
        options.frontend.defines[name] = value;
    options.warnings = anec::WarningPolicy::None;
    auto compilation = std::make_shared<anec::driver::Compilation>(options);
    compilation->loadSource(tinyPath().string(), source);
    bool ok = compilation->optimize();
    std::ostringstream rendered;
    compilation->diagnostics().print(rendered);
    INFO(rendered.str());
    REQUIRE(ok);
    return std::shared_ptr<anec::ir::Module>(compilation, compilation->module());
}

// examples/train_tiny.ane with `trainOptions` added to its train block.
inline std::shared_ptr<anec::ir::Module> compileTiny(const std::string& trainOptions = "",
                                                     const Defines& defines = tinyDefines()) {
    return compileSource(tinySource(trainOptions), defines);
}

// A fixed batch: each sequence a run of bytes, the targets the next bytes.
inline void batchOf(int64_t sequences, int64_t seq, std::vector<int32_t>& tokens,
                    std::vector<int32_t>& targets) {
    tokens.clear();
    targets.clear();
    for (int64_t b = 0; b < sequences; ++b)
        for (int64_t s = 0; s < seq; ++s) {
            tokens.push_back(static_cast<int32_t>(97 + (b * 3 + s) % 7));
            targets.push_back(static_cast<int32_t>(97 + (b * 3 + s + 1) % 7));
        }
}

} // namespace anec::test::train
