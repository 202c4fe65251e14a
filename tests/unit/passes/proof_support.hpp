#pragma once
// What the proofs over "every example and every random program" share: the examples (read from
// examples/, so that a new one is covered automatically) with the -D overrides that keep them
// small, the random programs, the targets, and compiling one of them.
#include "unit/examples.hpp"
#include "unit/passes/pass_test_support.hpp"
#include "unit/passes/program_generator.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "passes/ane_target.hpp"

namespace anec::passes::test {

inline const std::vector<AneTarget> kAllTargets = {
    AneTarget::Generic, AneTarget::M1, AneTarget::M2, AneTarget::M3, AneTarget::M4, AneTarget::M5};

// A program the proofs build: an example file (with -D overrides) or generated text.
struct ProofSource {
    std::string name; // for messages: "examples/ffn_fwd.ane -D SEQ=16", "random program 3"
    std::filesystem::path file;
    std::string text;
    std::map<std::string, int64_t> defines;
};

// -D overrides for the examples that declare these constants, each kept when the example still
// checks with it (ffn_fwd's gain comes from a .npy file of DIM 128): smaller sequences and model
// widths keep the proofs fast. The constants the ANE's limits are about (VOCAB, the classifier's
// 32000 input channels) stay as written.
inline const std::map<std::string, int64_t> kSmallDefines = {
    {"SEQ", 16}, {"DIM", 32}, {"HIDDEN", 64}};

inline std::vector<ProofSource> exampleSources() {
    std::vector<ProofSource> sources;
    for (const anec::test::Example& example : anec::test::examples()) {
        const auto& file = example.path;
        std::ifstream in(file);
        std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        ProofSource source{
            "examples/" + example.file() + example.configText(), file, {}, example.defines};
        // An example with a test configuration is built at it; the others are shrunk here.
        for (const auto& [name, value] :
             example.defines.empty() ? kSmallDefines : decltype(kSmallDefines){}) {
            size_t at = text.find("\nconst " + name + " = ");
            if (at == std::string::npos) continue;
            // Only smaller: a literal at most the override stays as written.
            std::string declared = text.substr(at + name.size() + 10, 20);
            if (!declared.empty() && std::isdigit(static_cast<unsigned char>(declared[0])) &&
                std::stoll(declared) <= value)
                continue;
            driver::CompileOptions options;
            options.frontend.defines = source.defines;
            options.frontend.defines[name] = value;
            driver::Compilation trial(options);
            if (!trial.loadFile(file) || !trial.check()) continue;
            source.defines[name] = value;
            source.name += " -D " + name + "=" + std::to_string(value);
        }
        sources.push_back(std::move(source));
    }
    return sources;
}

// `general` general random programs and `fusing` ones built from the fusion patterns.
inline std::vector<ProofSource> randomSources(int general, int fusing) {
    std::vector<ProofSource> sources;
    for (int i = 0; i < general; ++i)
        sources.push_back({"random program " + std::to_string(i), {}, generalProgram(i), {}});
    for (int i = 0; i < fusing; ++i)
        sources.push_back({"random fusing program " + std::to_string(i), {}, fusingProgram(i), {}});
    return sources;
}

// `source` compiled with `options` (its defines added); requires success.
inline std::shared_ptr<driver::Compilation> compileSource(const ProofSource& source,
                                                          driver::CompileOptions options) {
    options.frontend.defines.insert(source.defines.begin(), source.defines.end());
    auto compilation = std::make_shared<driver::Compilation>(std::move(options));
    if (source.file.empty())
        compilation->loadSource("random.ane", source.text);
    else
        REQUIRE(compilation->loadFile(source.file));
    bool ok = compilation->optimize();
    std::ostringstream rendered;
    compilation->diagnostics().print(rendered);
    INFO(source.name << "\n" << source.text << rendered.str());
    REQUIRE(ok);
    return compilation;
}

inline std::shared_ptr<const ir::Module> moduleOf(std::shared_ptr<driver::Compilation> c) {
    return std::shared_ptr<const ir::Module>(c, c->module());
}

} // namespace anec::passes::test
