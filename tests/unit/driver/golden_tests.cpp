// Golden tests: every example compiles to exactly the MIL and program.json checked in under
// tests/golden/<example>/<kernel>/. After an intended change, run `make golden` and review the
// diff.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "unit/driver/test_support.hpp"

using namespace anec::test;
namespace fs = std::filesystem;

namespace {
std::vector<fs::path> examples() {
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(sourceDir() / "examples"))
        if (entry.path().extension() == ".ane") paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    return paths;
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
    for (const fs::path& example : examples()) {
        std::string name = example.stem().string();
        INFO("example " << example.filename().string() << " (update with: make golden)");
        TempDir out;
        CliResult result = runAnec({"build", example.string(), "-o", out.path().string()});
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
    }
}

TEST_CASE("building twice gives byte-identical output", "[golden][determinism]") {
    for (const fs::path& example : examples()) {
        INFO("example " << example.filename().string());
        TempDir first, second;
        REQUIRE(runAnec({"build", example.string(), "-o", first.path().string()}).status == 0);
        REQUIRE(runAnec({"build", example.string(), "-o", second.path().string()}).status == 0);
        auto a = treeContents(first.path());
        auto b = treeContents(second.path());
        REQUIRE_FALSE(a.empty());
        CHECK(a == b);
    }
}
