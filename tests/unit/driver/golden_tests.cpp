// Golden tests: every example compiles to exactly the MIL and program.json checked in under
// tests/golden/<example>/<kernel>/. After an intended change, run `make golden` and review the
// diff.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "unit/driver/test_support.hpp"
#include "unit/examples.hpp"

using namespace anec::test;
namespace fs = std::filesystem;

namespace {
// `anec build EXAMPLE -o DIR` at the example's test configuration.
std::vector<std::string> buildArgs(const Example& example, const fs::path& dir) {
    std::vector<std::string> args{"build", example.path.string(), "-o", dir.string()};
    std::vector<std::string> defines = example.defineArgs();
    args.insert(args.end(), defines.begin(), defines.end());
    return args;
}

std::set<std::string> subdirectories(const fs::path& dir) {
    std::set<std::string> names;
    if (fs::is_directory(dir))
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.is_directory()) names.insert(entry.path().filename().string());
    return names;
}

// Every regular file under dir, relative path -> contents.
std::map<std::string, std::string> treeContents(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file())
            files[fs::relative(entry.path(), dir).string()] = readFile(entry.path());
    return files;
}
} // namespace

TEST_CASE("there are at least five examples", "[golden]") {
    REQUIRE(examples().size() >= 5);
}

TEST_CASE("every example matches its golden MIL and program.json", "[golden]") {
    for (const Example& example : examples()) {
        std::string name = example.name();
        INFO("example " << example.file() << example.configText() << " (update with: make golden)");
        TempDir out;
        CliResult result = runAnec(buildArgs(example, out.path()));
        INFO(result.err);
        REQUIRE(result.status == 0);
        fs::path golden = sourceDir() / "tests" / "golden" / name;
        REQUIRE(subdirectories(out.path()) == subdirectories(golden));
        for (const std::string& kernel : subdirectories(golden)) {
            INFO("kernel " << kernel);
            CHECK(readFile(out / kernel / "model.mil") == readFile(golden / kernel / "model.mil"));
            CHECK(readFile(out / kernel / "program.json") ==
                  readFile(golden / kernel / "program.json"));
        }
        // A training step's schedule (`train`).
        CHECK(fs::exists(out / "step.json") == fs::exists(golden / "step.json"));
        if (fs::exists(golden / "step.json"))
            CHECK(readFile(out / "step.json") == readFile(golden / "step.json"));
    }
}

TEST_CASE("building twice gives byte-identical output", "[golden][determinism]") {
    for (const Example& example : examples()) {
        INFO("example " << example.file() << example.configText());
        TempDir first, second;
        REQUIRE(runAnec(buildArgs(example, first.path())).status == 0);
        REQUIRE(runAnec(buildArgs(example, second.path())).status == 0);
        auto a = treeContents(first.path());
        auto b = treeContents(second.path());
        REQUIRE_FALSE(a.empty());
        CHECK(a == b);
    }
}
