// writeBuildOutput: files in place, all or nothing.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <unistd.h>

#include "mil/blob.hpp"
#include "mil/output.hpp"
#include "support/diagnostics.hpp"
#include "unit/mil/mil_test_support.hpp"
#include "unit/temp_dir.hpp"

using namespace anec;
using namespace anec::mil;
using namespace anec::mil::test;
namespace fs = std::filesystem;
using anec::test::TempDir;

namespace {
std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::vector<std::string> entriesOf(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A small program with one weight, named `kernelName`.
Program smallProgram(const std::string& kernelName) {
    ir::Kernel kernel;
    kernel.name = kernelName;
    ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1, 4, 1, 2}});
    ir::Builder b(kernel);
    ir::Value* w = b.createConst(patternWeight({8, 4, 1, 1}, "W", 1), {}, "W");
    kernel.outputs.push_back({"y", need(b.createValue("conv", {x, w}, {}, {}, "y")), {}});
    return emitProgram(kernel, {});
}

} // namespace

TEST_CASE("build output has model.mil, weights and program.json per kernel", "[mil]") {
    TempDir tmp;
    fs::path out = tmp.path() / "out" / "nested"; // created as needed
    Program first = smallProgram("first");
    Program second = smallProgram("second");
    writeBuildOutput(out, {first, second});

    CHECK(entriesOf(out) == std::vector<std::string>{"first", "second"}); // no staging left
    CHECK(entriesOf(out / "first") ==
          std::vector<std::string>{"model.mil", "program.json", "weights"});
    CHECK(readFile(out / "first/model.mil") == first.milText);
    std::string json = readFile(out / "first/program.json");
    CHECK(json == first.description.dump(2) + "\n");
    CHECK(nlohmann::json::parse(json)["kernel"] == "first");
    CHECK(json.find("\n  \"inputs\": [") != std::string::npos); // 2-space indentation
    std::string blob = readFile(out / "second/weights/W.bin");
    CHECK(std::vector<uint8_t>(blob.begin(), blob.end()) == second.weightFiles.at(0).bytes);
    BlobReader::open(out / "second/weights/W.bin").read(64, BlobDType::Float16, 32);
}

TEST_CASE("a new build replaces the previous output and leaves other content alone", "[mil]") {
    TempDir tmp;
    fs::path out = tmp.path();
    fs::create_directories(out / "first/weights");
    writeText(out / "first/weights/stale.bin", "old");
    writeText(out / "first/model.mil", "old");
    writeText(out / "notes.txt", "keep me");
    fs::create_directories(out / "unrelated");

    Program first = smallProgram("first");
    writeBuildOutput(out, {first});
    CHECK(entriesOf(out) == std::vector<std::string>{"first", "notes.txt", "unrelated"});
    CHECK_FALSE(fs::exists(out / "first/weights/stale.bin"));
    CHECK(readFile(out / "first/model.mil") == first.milText);
    CHECK(readFile(out / "notes.txt") == "keep me");

    // Building again over our own output works the same way.
    writeBuildOutput(out, {first});
    CHECK(entriesOf(out) == std::vector<std::string>{"first", "notes.txt", "unrelated"});
    CHECK(readFile(out / "first/model.mil") == first.milText);
}

TEST_CASE("an output path that is a file is an error", "[mil]") {
    TempDir tmp;
    fs::path file = tmp.path() / "file";
    writeText(file, "x");
    CHECK(errorOf([&] { writeBuildOutput(file, {smallProgram("k")}); }) ==
          "output path '" + file.string() + "' exists and is not a directory");
    CHECK(readFile(file) == "x");
    CHECK_THAT(
        errorOf([&] { writeBuildOutput(file / "sub", {smallProgram("k")}); }),
        Catch::StartsWith("cannot write the build output to '" + (file / "sub").string() + "'"));
}

TEST_CASE("a failed build leaves the previous output untouched", "[mil]") {
    TempDir tmp;
    fs::path out = tmp.path();
    fs::create_directories(out / "first");
    writeText(out / "first/model.mil", "previous first");
    writeText(out / "second", "a file where a kernel directory would go");

    // `first` is replaced before `second` fails, and must be rolled back.
    CHECK(errorOf([&] {
              writeBuildOutput(out, {smallProgram("first"), smallProgram("second")});
          }) ==
          "'" + (out / "second").string() + "' exists and is not a directory; not replacing it");
    CHECK(entriesOf(out) == std::vector<std::string>{"first", "second"}); // staging removed
    CHECK(readFile(out / "first/model.mil") == "previous first");
    CHECK(entriesOf(out / "first") == std::vector<std::string>{"model.mil"});
}

TEST_CASE("invalid kernel names are rejected before anything is written", "[mil]") {
    TempDir tmp;
    Program bad = smallProgram("k");
    bad.kernelName = "../escape";
    CHECK(errorOf([&] { writeBuildOutput(tmp.path() / "out", {bad}); }) ==
          "kernel name '../escape' cannot be used as a directory name");
    CHECK(errorOf([&] {
              writeBuildOutput(tmp.path() / "out", {smallProgram("k"), smallProgram("k")});
          }) == "two kernels are named 'k'");
    CHECK_FALSE(fs::exists(tmp.path() / "out"));

    Program escaping = smallProgram("k");
    escaping.weightFiles.at(0).relativePath = "../../W.bin";
    CHECK(errorOf([&] { writeBuildOutput(tmp.path() / "out", {escaping}); }) ==
          "weight file path '../../W.bin' is not inside the program directory");
    CHECK(entriesOf(tmp.path() / "out").empty());
}

TEST_CASE("staging directories of killed builds are cleaned up", "[mil]") {
    TempDir tmp;
    // No process has this id (above any pid_max), so its build is over.
    fs::create_directories(tmp.path() / ".anec-staging-2147483646-0/k");
    // A live process's staging directory (ours) is left alone.
    std::string ours = ".anec-staging-" + std::to_string(::getpid()) + "-999999";
    fs::create_directories(tmp.path() / ours);
    writeBuildOutput(tmp.path(), {smallProgram("k")});
    CHECK(entriesOf(tmp.path()) == std::vector<std::string>{ours, "k"});
}

TEST_CASE("an unwritable output directory is an error", "[mil]") {
    if (::geteuid() == 0) {
        // Permissions do not stop root; /proc takes no new directories from anyone.
        if (!fs::is_directory("/proc/self")) {
            WARN("running as root without /proc; skipped");
            return;
        }
        CHECK_THAT(
            errorOf([&] { writeBuildOutput("/proc/anec-mil-test/out", {smallProgram("k")}); }),
            Catch::StartsWith("cannot write the build output to '/proc/anec-mil-test/out': "));
        return;
    }
    TempDir tmp;
    fs::path out = tmp.path() / "locked";
    fs::create_directories(out);
    fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THAT(errorOf([&] { writeBuildOutput(out, {smallProgram("k")}); }),
               Catch::StartsWith("cannot write the build output to '" + out.string() + "'"));
    fs::permissions(out, fs::perms::owner_all);
    CHECK(entriesOf(out).empty());
}
