// Round trip: every program anec emits reads back into IR that emits the very same MIL text,
// weight files and program.json, directly and through the whole pipeline (`anec build
// model.mil`). The golden MIL files read back the same way, with the weights of a fresh build.
#include "unit/examples.hpp"
#include "unit/milparse/milparse_test_support.hpp"

#include <algorithm>
#include <map>

#include "driver/compiler.hpp"
#include "mil/output.hpp"
#include "passes/ane_target.hpp"

using namespace anec;
using namespace anec::milparse::test;
namespace fs = std::filesystem;

namespace {
fs::path sourceDir() {
    return ANEC_SOURCE_DIR;
}

using anec::test::Example;
using anec::test::examples;

struct Variant {
    std::string name;
    int optLevel = 1;
    mil::EmitOptions emit;
    // `anec build` legalizes for generic unless told otherwise (the goldens are built so).
    std::optional<passes::AneTarget> target = passes::AneTarget::Generic;
};

std::vector<Variant> variants() {
    std::vector<Variant> out;
    out.push_back({"default", 1, {}});
    out.push_back({"-O0", 0, {}});
    Variant ios16{"--opset ios16", 1, {}};
    ios16.emit.opset = mil::Opset::iOS16;
    out.push_back(ios16);
    Variant ios17{"--opset ios17 --single-weight-file", 1, {}};
    ios17.emit.opset = mil::Opset::iOS17;
    ios17.emit.singleWeightFile = true;
    out.push_back(ios17);
    Variant m5{"--target m5", 1, {}};
    m5.target = passes::AneTarget::M5;
    out.push_back(m5);
    Variant none{"--target none", 1, {}};
    none.target = std::nullopt;
    out.push_back(none);
    return out;
}

std::string diagnosticsOf(driver::Compilation& compilation) {
    std::ostringstream text;
    compilation.diagnostics().print(text);
    return text.str();
}

// Builds an example like `anec build` and writes the programs into `dir`.
std::vector<mil::Program> buildExample(const Example& example, const Variant& variant,
                                       const fs::path& dir) {
    driver::CompileOptions options;
    options.frontend.defines = example.defines;
    options.optLevel = variant.optLevel;
    options.emit = variant.emit;
    options.target = variant.target;
    driver::Compilation compilation(options);
    REQUIRE(compilation.loadFile(example.path));
    std::vector<mil::Program> programs = compilation.emit();
    INFO(diagnosticsOf(compilation));
    REQUIRE_FALSE(programs.empty());
    mil::writeBuildOutput(dir, programs);
    return programs;
}

std::map<std::string, std::vector<uint8_t>> weightsOf(const mil::Program& program) {
    std::map<std::string, std::vector<uint8_t>> files;
    for (const mil::WeightFile& file : program.weightFiles)
        files[file.relativePath] = file.bytes;
    return files;
}

void checkSameProgram(const mil::Program& again, const mil::Program& original) {
    CHECK(again.kernelName == original.kernelName);
    CHECK(again.milText == original.milText);
    CHECK(weightsOf(again) == weightsOf(original));
    CHECK(again.description == original.description);
}
} // namespace

TEST_CASE("emit -> parse -> emit gives identical programs for every example",
          "[milparse][roundtrip]") {
    REQUIRE(examples().size() >= 5);
    for (const Variant& variant : variants()) {
        for (const Example& example : examples()) {
            INFO("example " << example.file() << example.configText() << " built with "
                            << variant.name);
            TempDir out;
            std::vector<mil::Program> programs = buildExample(example, variant, out.path());
            for (const mil::Program& original : programs) {
                INFO("kernel " << original.kernelName);
                fs::path milFile = out / original.kernelName / "model.mil";

                // Straight back out of the reader.
                SourceManager sources;
                DiagnosticEngine diagnostics(sources);
                auto module = mil::parseMilFile(milFile, sources, diagnostics);
                std::ostringstream rendered;
                diagnostics.print(rendered);
                INFO(rendered.str());
                REQUIRE(module != nullptr);
                CHECK(diagnostics.diagnostics().empty());
                REQUIRE(module->kernels.size() == 1);
                mil::EmitOptions emit = variant.target
                                            ? passes::emitOptionsFor(*variant.target, variant.emit)
                                            : variant.emit;
                checkSameProgram(mil::emitProgram(*module->kernels[0], emit), original);

                // Through the whole pipeline, as `anec build model.mil` does.
                driver::CompileOptions options;
                options.optLevel = variant.optLevel;
                options.emit = variant.emit;
                options.target = variant.target; // legalizing a legalized program changes nothing
                driver::Compilation compilation(options);
                REQUIRE(compilation.loadFile(out / original.kernelName));
                std::vector<mil::Program> rebuilt = compilation.emit();
                INFO(diagnosticsOf(compilation));
                REQUIRE(rebuilt.size() == 1);
                checkSameProgram(rebuilt[0], original);
            }
        }
    }
}

TEST_CASE("every golden MIL file reads back and emits itself", "[milparse][roundtrip]") {
    size_t checked = 0;
    for (const Example& example : examples()) {
        fs::path golden = sourceDir() / "tests" / "golden" / example.name();
        if (!fs::is_directory(golden)) continue;
        TempDir out;
        buildExample(example, variants().front(), out.path());
        for (const auto& entry : fs::directory_iterator(golden)) {
            if (!entry.is_directory()) continue; // a training step's step.json
            std::string kernel = entry.path().filename().string();
            INFO("golden " << example.name() << "/" << kernel);
            std::string text = readFile(entry.path() / "model.mil");
            REQUIRE_FALSE(text.empty());
            // The golden text, with the weights (and program.json) of a fresh build.
            auto parsed = parse(text, out / kernel);
            INFO(parsed->joined());
            REQUIRE(parsed->module != nullptr);
            REQUIRE(parsed->module->kernels.size() == 1);
            CHECK(parsed->module->kernels[0]->name == kernel);
            mil::Program again = mil::emitProgram(*parsed->module->kernels[0], {});
            CHECK(again.milText == text);
            CHECK(again.description.dump(2) + "\n" == readFile(entry.path() / "program.json"));
            ++checked;
        }
    }
    CHECK(checked >= 8);
}

TEST_CASE("anec build of a MIL program re-emits it", "[milparse][roundtrip]") {
    TempDir first, second;
    buildExample({sourceDir() / "examples" / "qkv_bwd.ane", {}}, variants().front(), first.path());
    driver::Compilation compilation;
    REQUIRE(compilation.loadFile(first / "qkv_bwd" / "model.mil"));
    std::vector<mil::Program> programs = compilation.emit();
    INFO(diagnosticsOf(compilation));
    REQUIRE(programs.size() == 1);
    CHECK(programs[0].kernelName == "qkv_bwd");
    mil::writeBuildOutput(second.path(), programs);
    for (const char* file : {"model.mil", "program.json", "weights/Wq_T.bin", "weights/Wk_T.bin",
                             "weights/Wv_T.bin"}) {
        INFO(file);
        CHECK(readFile(second / "qkv_bwd" / file) == readFile(first / "qkv_bwd" / file));
    }
}
