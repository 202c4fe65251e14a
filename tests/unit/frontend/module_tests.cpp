// Imports and the standard library: qualified and explicit imports, sharing, cycles, clashes,
// what an imported file may declare, and the diagnostics of each, with the file they are in.
#include <catch2/catch.hpp>

#include <filesystem>

#include "frontend/stdlib.hpp"
#include "sema_test_support.hpp"
#include "unit/temp_dir.hpp"

using anec::test::AneCompile;
using anec::test::TempDir;
using Lines = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {
// "file:line:col: severity: message" with the file's name (not its directory) for every
// diagnostic.
Lines diagnosticsOf(const AneCompile& c) {
    Lines lines;
    for (const anec::Diagnostic& d : c.diagnostics.diagnostics()) {
        std::string file =
            d.loc.file ? fs::path(c.sources.path(d.loc.file)).filename().string() : "";
        lines.push_back(file + ":" + anec::DiagnosticEngine::brief(d));
    }
    return lines;
}

// Compiles `main` as main.ane in `dir`.
std::unique_ptr<AneCompile> compileIn(const TempDir& dir, const std::string& main,
                                      anec::frontend::Options options = {}) {
    return std::make_unique<AneCompile>(main, std::move(options), (dir / "main.ane").string());
}

const char* kLayers = R"(const HALF = 2
fn double(x) { return x * 2 }
fn twice(x) { return double(double(x)) }
)";
const char* kKernel = "\nkernel k(x: fp16[4]) -> (y: fp16[4]) {\n    y = %s\n}\n";

std::string kernelWith(const std::string& expr) {
    std::string text = kKernel;
    return text.replace(text.find("%s"), 2, expr);
}
} // namespace

TEST_CASE("imports: qualified, explicit and by file name", "[modules]") {
    TempDir dir;
    dir.write("lib/layers.ane", kLayers);
    for (const std::string& source :
         {"import \"lib/layers.ane\" as nn" + kernelWith("nn.twice(x) * nn.HALF"),
          "import twice, HALF from \"lib/layers.ane\"" + kernelWith("twice(x) * HALF"),
          "import \"lib/layers.ane\"" + kernelWith("layers.twice(x) * layers.HALF")}) {
        auto c = compileIn(dir, source);
        INFO(source << "\n" << c->allDiagnostics());
        REQUIRE(c->module);
        CHECK(c->opsOf("mul").size() == 3); // double, double, * HALF
    }
}

TEST_CASE("imports: functions see their own file's names; a file imported twice is read once",
          "[modules]") {
    TempDir dir;
    dir.write("a.ane", "import \"c.ane\" as c\nfn fa(x) { return c.fc(x) }\n");
    dir.write("b.ane", "import \"c.ane\" as c\nfn fb(x) { return c.fc(x) + 1 }\n");
    dir.write("c.ane", "const K = 3\nfn fc(x) { return x * K }\n");
    auto c = compileIn(dir, "import \"a.ane\" as a\nimport \"b.ane\" as b\n" +
                                kernelWith("a.fa(x) + b.fb(x)"));
    INFO(c->allDiagnostics());
    REQUIRE(c->module);
    size_t files = 0;
    for (uint32_t id = 1; id < 16; ++id)
        try {
            files += fs::path(c->sources.path(id)).filename() == "c.ane";
        } catch (...) {
        }
    CHECK(files == 1);
}

TEST_CASE("the standard library is built in", "[modules][stdlib]") {
    auto files = anec::frontend::standardLibraryFiles();
    CHECK(std::find(files.begin(), files.end(), "std/nn.ane") != files.end());
    AneCompile c(R"(import "std/nn.ane" as nn
weight g: fp16[8] = ones()
kernel k(x: fp16[1, 8, 1, 4]) -> (y: fp16[1, 8, 1, 4]) {
    y = nn.rope(nn.rms_norm(x, g), 4)
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(c.opsOf("conv").size() == 1); // the rotation, as a 1x1 conv
}

TEST_CASE("diag: imports", "[modules][diag]") {
    TempDir dir;
    dir.write("layers.ane", kLayers);
    dir.write("cycle_a.ane", "import \"cycle_b.ane\" as b\n");
    dir.write("cycle_b.ane", "import \"cycle_a.ane\" as a\n");
    dir.write("broken.ane", "fn f(x) { return x +\n");
    dir.write("kernels.ane", "kernel k(x: fp16[4]) -> (y: fp16[4]) {\n    y = x\n}\n");
    dir.write("9lives.ane", "const A = 1\n");
    auto expect = [&](const std::string& source, const Lines& expected,
                      anec::frontend::Options options = {}) {
        auto c = compileIn(dir, source, std::move(options));
        INFO(c->allDiagnostics());
        CHECK_FALSE(c->module);
        CHECK(diagnosticsOf(*c) == expected);
    };
    expect("import \"missing.ane\" as m\n",
           {"main.ane:1:8: error: cannot open imported file 'missing.ane'"});
    expect("import \"std/n.ane\" as nn\n",
           {"main.ane:1:8: error: no file 'std/n.ane' in the standard library; did you mean "
            "'std/nn.ane'? (it has std/nn.ane)"});
    expect("import \"cycle_a.ane\" as a\n",
           {"cycle_b.ane:1:8: error: import cycle: 'cycle_b.ane' imports 'cycle_a.ane', which is "
            "being imported already"});
    expect("import \"broken.ane\" as b\n",
           {"broken.ane:1:21: error: expected an expression but found end of file",
            "main.ane:1:8: note: in the file imported here"});
    expect("import \"kernels.ane\" as k\n",
           {"kernels.ane:1:8: error: an imported file may only declare constants, functions, "
            "asserts and imports, not kernels"});
    expect("import \"9lives.ane\"\n",
           {"main.ane:1:8: error: '9lives' is not a name; import the file with 'as NAME'"});
    expect("import twise from \"layers.ane\"\n",
           {"main.ane:1:8: error: 'layers.ane' does not define 'twise'; did you mean 'twice'?"});
    expect("import twice from \"layers.ane\"\nfn twice(x) { return x }\n",
           {"main.ane:2:4: error: 'twice' is already defined",
            "main.ane:1:8: note: previous definition is here"});
    expect("import HALF from \"layers.ane\"\n",
           {"main.ane:error: constant 'HALF' is imported from 'layers.ane' and cannot be set with "
            "-D"},
           anec::frontend::Options{{{"HALF", 4}}});
    expect("import \"layers.ane\" as nn" + kernelWith("nn.twise(x)"),
           {"main.ane:3:12: error: 'layers.ane' has no function 'twise'; did you mean 'twice'?"});
    expect("import \"layers.ane\" as nn" + kernelWith("x * nn.HALFF"),
           {"main.ane:3:16: error: 'layers.ane' has no constant 'HALFF'; did you mean 'HALF'?"});
    expect("import \"layers.ane\" as nn" + kernelWith("nn"),
           {"main.ane:3:9: error: 'nn' is an imported file; use one of its names, as in "
            "'nn.NAME'"});
}
