// The anec command line: usage errors, options and outputs, run in-process through runCli.
#include <catch2/catch.hpp>

#include "unit/driver/test_support.hpp"

using namespace anec::test;
namespace fs = std::filesystem;

namespace {
const char* kSmallKernel = R"(const C = 32
const S = 64
weight W: fp16[C, C] = random(seed = 1, scale = 0.1)
kernel small(x: fp16[1, C, 1, S]) -> (y: fp16[1, C, 1, S]) {
    y = linear(x, W)
}
)";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}
} // namespace

TEST_CASE("anec --version and --help", "[cli]") {
    CliResult version = runAnec({"--version"});
    CHECK(version.status == 0);
    CHECK(contains(version.out, "anec "));
    CliResult help = runAnec({"--help"});
    CHECK(help.status == 0);
    CHECK(contains(help.out, "build"));
    CHECK(contains(help.out, "check"));
    CliResult buildHelp = runAnec({"build", "--help"});
    CHECK(buildHelp.status == 0);
    CHECK(contains(buildHelp.out, "--single-weight-file"));
}

TEST_CASE("usage errors exit with status 2", "[cli]") {
    CHECK(runAnec({}).status == 2);
    CliResult unknown = runAnec({"check", "a.ane", "--frobnicate"});
    CHECK(unknown.status == 2);
    CHECK(contains(unknown.err, "anec: error:"));
    CHECK(runAnec({"build", "a.ane", "-O", "7", "-o", "x"}).status == 2);
    CHECK(runAnec({"build", "a.ane", "--opset", "ios99", "-o", "x"}).status == 2);
    CHECK(runAnec({"build", "a.ane", "--emit", "asm"}).status == 2);
}

TEST_CASE("a missing source file is an error, not a crash", "[cli]") {
    CliResult result = runAnec({"check", "/nonexistent/file.ane"});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "anec: error: cannot open '/nonexistent/file.ane'"));
    TempDir dir;
    CliResult directory = runAnec({"check", dir.path().string()});
    CHECK(directory.status == 1);
    CHECK(contains(directory.err, "is a directory"));
}

TEST_CASE("malformed -D definitions are errors", "[cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSmallKernel);
    std::string src = (dir / "k.ane").string();
    CliResult noValue = runAnec({"check", src, "-D", "C"});
    CHECK(noValue.status == 1);
    CHECK(contains(noValue.err, "anec: error: -D expects NAME=INTEGER, got 'C'"));
    CliResult notInteger = runAnec({"check", src, "-D", "C=abc"});
    CHECK(notInteger.status == 1);
    CHECK(contains(notInteger.err, "-D C: 'abc' is not an integer"));
    CliResult unknownName = runAnec({"check", src, "-D", "NOPE=3"});
    CHECK(unknownName.status == 1);
    CHECK(contains(unknownName.err, "NOPE"));
}

TEST_CASE("check prints nothing for a valid file and -D changes shapes", "[cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSmallKernel);
    std::string src = (dir / "k.ane").string();
    // Without a target to legalize for, nothing warns about the small surfaces.
    CliResult ok = runAnec({"check", src, "--target", "none"});
    CHECK(ok.status == 0);
    CHECK(ok.err.empty());
    CliResult ir = runAnec({"build", src, "--emit=ir", "-D", "S=128"});
    REQUIRE(ir.status == 0);
    CHECK(contains(ir.out, "kernel small(%x: fp16[1,32,1,128])"));
}

TEST_CASE("build writes one directory per kernel; --emit=mil prints the program", "[cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSmallKernel);
    std::string src = (dir / "k.ane").string();
    CliResult built = runAnec({"build", src, "-o", (dir / "out").string()});
    INFO(built.err);
    REQUIRE(built.status == 0);
    CHECK(fs::exists(dir / "out/small/model.mil"));
    CHECK(fs::exists(dir / "out/small/program.json"));
    CHECK(fs::exists(dir / "out/small/weights"));
    CHECK(contains(built.out, "wrote "));

    CliResult mil = runAnec({"build", src, "--emit=mil"});
    REQUIRE(mil.status == 0);
    CHECK(mil.out == readFile(dir / "out/small/model.mil"));
}

TEST_CASE("build needs -o unless it prints", "[cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSmallKernel);
    CliResult result = runAnec({"build", (dir / "k.ane").string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "build needs an output directory"));
}

TEST_CASE("the --opset option selects the program version and function opset", "[cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSmallKernel);
    std::string src = (dir / "k.ane").string();
    CliResult ios16 = runAnec({"build", src, "--emit=mil", "--opset", "ios16"});
    REQUIRE(ios16.status == 0);
    CHECK(ios16.out.rfind("program(1.0)", 0) == 0);
    CHECK(contains(ios16.out, "func main<ios16>"));
    CliResult ios17 = runAnec({"build", src, "--emit=mil", "--opset=ios17"});
    CHECK(contains(ios17.out, "func main<ios17>"));
    CliResult ios18 = runAnec({"build", src, "--emit=mil"});
    CHECK(ios18.out.rfind("program(1.3)", 0) == 0);
    CHECK(contains(ios18.out, "func main<ios18>"));
}

TEST_CASE("the --single-weight-file option puts every weight in weights/weight.bin", "[cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", R"(weight A: fp16[8, 8] = random(seed = 1, scale = 0.1)
weight B: fp16[8, 8] = random(seed = 2, scale = 0.1)
kernel two(x: fp16[1, 8, 1, 64]) -> (y: fp16[1, 8, 1, 64]) { y = linear(linear(x, A), B) }
)");
    CliResult result = runAnec(
        {"build", (dir / "k.ane").string(), "--single-weight-file", "-o", (dir / "out").string()});
    INFO(result.err);
    REQUIRE(result.status == 0);
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir / "out/two/weights"))
        files.push_back(entry.path().filename());
    CHECK(files == std::vector<std::string>{"weight.bin"});
    std::string mil = readFile(dir / "out/two/model.mil");
    CHECK(contains(mil, "@model_path/weights/weight.bin\"), offset = uint64(64)"));
    CHECK(contains(mil, "@model_path/weights/weight.bin\"), offset = uint64(256)"));
}

TEST_CASE("a failed build leaves no output behind", "[cli]") {
    TempDir dir;
    writeFile(dir / "bad.ane",
              "kernel k(x: fp16[1, 4, 1, 8]) -> (y: fp16[1, 4, 1, 8]) { y = x + zz }\n");
    CliResult result = runAnec({"build", (dir / "bad.ane").string(), "-o", (dir / "out").string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "1 error generated."));
    CHECK_FALSE(fs::exists(dir / "out"));

    writeFile(dir / "k.ane", kSmallKernel);
    writeFile(dir / "file-not-dir", "x");
    CliResult blocked =
        runAnec({"build", (dir / "k.ane").string(), "-o", (dir / "file-not-dir").string()});
    CHECK(blocked.status == 1);
    CHECK(contains(blocked.err, "anec: error:"));
    CHECK(readFile(dir / "file-not-dir") == "x");
}
