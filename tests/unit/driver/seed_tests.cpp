// The seed kernel (examples/ffn_w13_bwd.ane) must compile to the seed's program structure:
// ../shared/seeds/ffn_w13_bwd/model.mil and its 128-byte weight headers.
#include <catch2/catch.hpp>

#include <regex>

#include "unit/driver/test_support.hpp"

using namespace anec::test;
namespace fs = std::filesystem;

namespace {
// The op of every statement except `const`, in order.
std::vector<std::string> opSequence(const std::string& mil) {
    std::vector<std::string> ops;
    std::regex statement(R"(=\s*([a-z_0-9]+)\()");
    std::istringstream lines(mil);
    for (std::string line; std::getline(lines, line);) {
        std::smatch match;
        if (line.find("func main") != std::string::npos) continue;
        if (std::regex_search(line, match, statement) && match[1] != "const")
            ops.push_back(match[1]);
    }
    return ops;
}
} // namespace

TEST_CASE("the seed example has the seed's op sequence and weight headers", "[seed]") {
    TempDir out;
    // Unlegalized, like the seed: fp32 I/O cast in the program (generic would convert on the host).
    CliResult result = runAnec({"build", (sourceDir() / "examples/ffn_w13_bwd.ane").string(), "-O0",
                                "-o", out.path().string(), "--target", "none"});
    INFO(result.err);
    REQUIRE(result.status == 0);
    std::string mil = readFile(out / "ffn_w13_bwd/model.mil");
    std::vector<std::string> expected{"cast", "slice_by_size", "slice_by_size", "conv",
                                      "conv", "add",           "cast"};
    CHECK(opSequence(mil) == expected);
    CHECK(mil.rfind("program(1.3)\n", 0) == 0);
    CHECK(mil.find("func main<ios18>(tensor<fp32, [1, 4096, 1, 64]> x)") != std::string::npos);
    CHECK(mil.find("} -> (y);") != std::string::npos);

    fs::path seedBlob = fs::path(ANEC_SHARED_DIR) / "seeds/ffn_w13_bwd/weights/w1t.bin";
    if (!fs::exists(seedBlob)) {
        WARN("seed weights not found at " << seedBlob << "; header comparison skipped");
        return;
    }
    std::string seedHeader = readFile(seedBlob).substr(0, 128);
    size_t blobs = 0;
    for (const auto& entry : fs::directory_iterator(out / "ffn_w13_bwd/weights")) {
        INFO(entry.path());
        std::string bytes = readFile(entry.path());
        CHECK(bytes.size() == 128 + 768 * 2048 * 2);
        CHECK(bytes.substr(0, 128) == seedHeader);
        ++blobs;
    }
    CHECK(blobs == 2);
    CHECK(opSequence(readFile(fs::path(ANEC_SHARED_DIR) / "seeds/ffn_w13_bwd/model.mil")) ==
          expected);
}
