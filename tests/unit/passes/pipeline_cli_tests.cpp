// The pass manager as users see it: -O0/-O1 pipelines, --passes, --print-ir-after(-all),
// --pass-stats, unknown pass names, and the same through driver::CompileOptions.
#include "unit/driver/test_support.hpp"
#include "unit/passes/pass_test_support.hpp"

#include <algorithm>
#include <filesystem>

using namespace anec;
using anec::test::runAnec;
using anec::test::TempDir;
using anec::test::writeFile;
namespace fs = std::filesystem;

namespace {
const char* kSource = R"(weight W: fp16[8, 4] = random(seed = 1, scale = 0.5)
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {
    let a = tanh(x) * 1
    let b = tanh(x) * 1
    y = linear(a + b, W)
}
)";

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}
// The "  <pass>   <changes>" lines of --pass-stats output.
std::vector<std::pair<std::string, size_t>> statLines(const std::string& err) {
    std::vector<std::pair<std::string, size_t>> lines;
    std::istringstream in(err.substr(err.find("pass statistics")));
    std::string line;
    std::getline(in, line);
    std::string name;
    size_t changes = 0;
    while (in >> name >> changes)
        lines.emplace_back(name, changes);
    return lines;
}
} // namespace

TEST_CASE("the pipelines: -O0 only folds and removes dead code, -O1 adds the cleanups",
          "[passes][pipeline]") {
    CHECK(passes::pipelinePassNames(0) == std::vector<std::string>{"fold-constants", "dce"});
    auto o1 = passes::pipelinePassNames(1);
    REQUIRE(o1.size() >= 6);
    CHECK(std::vector<std::string>(o1.begin(), o1.begin() + 4) ==
          std::vector<std::string>{"fold-constants", "cast-elim", "algebraic", "cse"});
    CHECK(std::vector<std::string>(o1.end() - 2, o1.end()) ==
          std::vector<std::string>{"fold-constants", "dce"});
    for (int level : {0, 1})
        for (const std::string& name : passes::pipelinePassNames(level))
            CHECK(passes::createPass(name) != nullptr);
    CHECK(passes::buildPipeline(1).names() == o1);
    auto names = passes::passNames();
    for (const char* name : {"algebraic", "cast-elim", "cse", "dce", "fold-constants"})
        CHECK(std::count(names.begin(), names.end(), name) == 1);
    CHECK(std::is_sorted(names.begin(), names.end()));
}

namespace {
// The pass names in one cell of the table row of docs/passes.md that starts with `rowStart`:
// the `backticked` words of cell `column` (1: without a target, 2: with one).
std::vector<std::string> documentedPipeline(const std::string& rowStart, size_t column) {
    std::istringstream doc(anec::test::readFile(fs::path(ANEC_SOURCE_DIR) / "docs/passes.md"));
    for (std::string line; std::getline(doc, line);) {
        if (line.rfind(rowStart, 0) != 0) continue;
        std::vector<std::string> cells;
        std::istringstream row(line.substr(1));
        for (std::string cell; std::getline(row, cell, '|');)
            cells.push_back(cell);
        REQUIRE(cells.size() > column);
        std::vector<std::string> names;
        const std::string& cell = cells[column];
        for (size_t open = cell.find('`'); open != std::string::npos;
             open = cell.find('`', cell.find('`', open + 1) + 1)) {
            size_t close = cell.find('`', open + 1);
            REQUIRE(close != std::string::npos);
            names.push_back(cell.substr(open + 1, close - open - 1));
        }
        return names;
    }
    FAIL("docs/passes.md has no row starting with " << rowStart);
    return {};
}
} // namespace

TEST_CASE("docs/passes.md lists the pipelines the compiler runs", "[passes][pipeline]") {
    for (int level : {0, 1}) {
        const std::string row = "| `-O" + std::to_string(level) + "`";
        INFO("docs/passes.md, " << row);
        CHECK(documentedPipeline(row, 1) == passes::pipelinePassNames(level, false));
        CHECK(documentedPipeline(row, 2) == passes::pipelinePassNames(level, true));
    }
}

TEST_CASE("buildPipeline(names) runs exactly the named passes and rejects unknown names",
          "[passes][pipeline]") {
    auto pipeline = passes::buildPipeline(std::vector<std::string>{"cse", "dce", "cse"});
    REQUIRE(pipeline.ok());
    CHECK(pipeline->names() == std::vector<std::string>{"cse", "dce", "cse"});
    auto unknown = passes::buildPipeline(std::vector<std::string>{"cse", "fuse-everything"});
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().find("unknown pass 'fuse-everything'") != std::string::npos);
    CHECK(unknown.error().find("known passes: algebraic, ane-legalize, cast-elim, cse, dce") !=
          std::string::npos);
}

TEST_CASE("CompileOptions: passes, IR printing and pass results for embedders",
          "[passes][pipeline]") {
    std::ostringstream dump;
    driver::CompileOptions options;
    options.passes = std::vector<std::string>{"algebraic", "cse", "dce"};
    options.printIrAfter = {"cse"};
    options.irDump = &dump;
    driver::Compilation compilation(options);
    compilation.loadSource("t.ane", kSource);
    REQUIRE(compilation.optimize());
    const auto& results = compilation.passResults();
    REQUIRE(results.size() == 3);
    CHECK(results[0].pass == "algebraic");
    CHECK(results[0].changes == 2); // both "* 1"
    CHECK(results[1].pass == "cse");
    CHECK(results[1].changes == 2); // the second tanh and the second literal 1
    CHECK(dump.str().rfind("// IR after cse\nkernel k(", 0) == 0);
    CHECK(count(dump.str(), "// IR after") == 1);
    CHECK(count(dump.str(), "tanh(") == 1);

    driver::CompileOptions none;
    none.passes = std::vector<std::string>{};
    driver::Compilation untouched(none);
    untouched.loadSource("t.ane", kSource);
    REQUIRE(untouched.optimize());
    CHECK(untouched.passResults().empty());
    CHECK(count(ir::printModule(*untouched.module()), "tanh(") == 2);
}

TEST_CASE("anec build --passes, --print-ir-after(-all) and --pass-stats", "[passes][cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSource);
    std::string file = (dir / "k.ane").string();

    SECTION("--passes runs exactly those passes") {
        auto result = runAnec({"build", file, "--emit=ir", "--passes=cse"});
        INFO(result.err);
        REQUIRE(result.status == 0);
        CHECK(count(result.out, "tanh(") == 1);
        CHECK(count(result.out, " mul(") == 1);      // algebraic did not run: "* 1" stays
        CHECK(count(result.out, "transpose(") == 0); // linear's weight is reshaped, no .T
        auto none = runAnec({"build", file, "--emit=ir", "--passes=fold-constants"});
        CHECK(count(none.out, "tanh(") == 2);
    }
    SECTION("an unknown pass is an error listing the passes") {
        auto result = runAnec({"build", file, "--emit=ir", "--passes=cse,frobnicate"});
        CHECK(result.status == 1);
        CHECK(result.err.find("unknown pass 'frobnicate' (known passes: algebraic, ane-legalize, "
                              "cast-elim, cse, dce") != std::string::npos);
        CHECK(result.out.empty());
        auto empty = runAnec({"build", file, "--emit=ir", "--passes=cse,,dce"});
        CHECK(empty.status == 1);
        CHECK(empty.err.find("empty pass name") != std::string::npos);
        auto print = runAnec({"build", file, "--emit=ir", "--print-ir-after=nope"});
        CHECK(print.status == 1);
        CHECK(print.err.find("--print-ir-after: unknown pass 'nope'") != std::string::npos);
    }
    SECTION("--print-ir-after-all prints the IR after every pass to stderr") {
        auto result = runAnec({"build", file, "--emit=mil", "--print-ir-after-all"});
        REQUIRE(result.status == 0);
        // The CLI legalizes for generic by default (ane-legalize at every level).
        CHECK(count(result.err, "// IR after ") == passes::pipelinePassNames(1, true).size());
        CHECK(result.err.find("// IR after cast-elim\nkernel k(") != std::string::npos);
        CHECK(result.out.find("// IR after") == std::string::npos);
        CHECK(result.out.find("program(") != std::string::npos);
        auto o0 = runAnec({"build", file, "--emit=mil", "-O", "0", "--print-ir-after-all"});
        CHECK(count(o0.err, "// IR after ") == 4);
    }
    SECTION("--print-ir-after=NAME prints after each run of that pass") {
        auto result = runAnec({"build", file, "--emit=ir", "--print-ir-after=fold-constants",
                               "--print-ir-after=cse"});
        REQUIRE(result.status == 0);
        CHECK(count(result.err, "// IR after fold-constants\n") == 2); // twice in -O1
        CHECK(count(result.err, "// IR after cse\n") == 2); // and again after ane-legalize
        CHECK(count(result.err, "// IR after ") == 4);
    }
    SECTION("--pass-stats prints the change count of every pass") {
        auto result = runAnec({"build", file, "-o", (dir / "out").string(), "--pass-stats"});
        INFO(result.err);
        REQUIRE(result.status == 0);
        CHECK(result.err.find("pass statistics") != std::string::npos);
        auto stats = statLines(result.err);
        REQUIRE(stats.size() == passes::pipelinePassNames(1, true).size());
        CHECK(stats[1] == std::pair<std::string, size_t>{"cast-elim", 0});
        CHECK(stats[2] == std::pair<std::string, size_t>{"algebraic", 2});
        CHECK(stats[3] == std::pair<std::string, size_t>{"cse", 2});
        CHECK(result.out.find("wrote ") != std::string::npos);
    }
}
