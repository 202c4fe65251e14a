// `anec build` of a source with `fuse`: the fused program gets a directory of its own next to
// the kernels it fuses, with only the unconsumed inputs and outputs in program.json.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "unit/driver/test_support.hpp"

using namespace anec::test;

TEST_CASE("build writes the fused program next to its kernels", "[cli][fuse]") {
    TempDir out;
    std::string example = (sourceDir() / "examples" / "fused_ffn.ane").string();
    CliResult result = runAnec({"build", example, "-o", out.path().string(), "-O0"});
    INFO(result.err);
    REQUIRE(result.status == 0);
    for (const char* kernel : {"up", "down", "ffn"}) {
        INFO(kernel);
        CHECK(std::filesystem::is_regular_file(out / kernel / "model.mil"));
        CHECK(std::filesystem::is_regular_file(out / kernel / "program.json"));
    }
    auto program = nlohmann::json::parse(readFile(out / "ffn" / "program.json"));
    CHECK(program["kernel"] == "ffn");
    REQUIRE(program["inputs"].size() == 1);
    CHECK(program["inputs"][0]["name"] == "x");
    REQUIRE(program["outputs"].size() == 1);
    CHECK(program["outputs"][0]["name"] == "y");
    // h is computed inside: the MIL has no input or output named h, but both projections.
    std::string mil = readFile(out / "ffn" / "model.mil");
    CHECK(mil.find("} -> (y);") != std::string::npos);
    CHECK(mil.find("W_up") != std::string::npos);
    CHECK(mil.find("W_down") != std::string::npos);
    CHECK(mil.find("> h)") == std::string::npos);
}

TEST_CASE("check reports fuse errors in clang form", "[cli][fuse]") {
    TempDir dir;
    std::string path = (dir / "bad.ane").string();
    {
        std::ofstream file(path);
        file << "kernel a(x: fp16[4]) -> (h: fp16[4]) { h = x * 2 }\nfuse a, b as ab\n";
    }
    CliResult result = runAnec({"check", path});
    CHECK(result.status == 1);
    CHECK(result.err.find(path + ":2:9: error: unknown kernel 'b'") != std::string::npos);
}
