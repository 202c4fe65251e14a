// anec stats: ops by kind, FLOPs, bytes, programs and dispatches at -O0 and -O1.
#include "unit/driver/test_support.hpp"
#include "unit/passes/pass_test_support.hpp"

#include "driver/stats.hpp"

using namespace anec;
using anec::test::runAnec;
using anec::test::TempDir;
using anec::test::writeFile;

namespace {
// -O0: cast, const 1, mul, const W, conv, cast; -O1 drops the "* 1" (mul and its constant).
const char* kSource = R"(weight W: fp16[8, 4] = random(seed = 1, scale = 0.5)
kernel k(x: fp32[1, 4, 1, 2]) -> (y: fp32[1, 8, 1, 2]) {
    y = linear(x * 1, W)
}
)";

using Cells = std::vector<std::string>;

// The two value cells of the first table row labelled `label` ("" is the -O0/-O1 header row).
Cells row(const std::string& table, const std::string& label) {
    std::istringstream lines(table);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::vector<std::string> cells;
        for (std::string word; words >> word;)
            cells.push_back(word);
        if (cells.size() < 2) continue;
        std::string name;
        for (size_t i = 0; i + 2 < cells.size(); ++i)
            name += (i ? " " : "") + cells[i];
        if (name == label) return {cells[cells.size() - 2], cells.back()};
    }
    return {};
}

driver::KernelStats statsAt(int level, const std::string& text) {
    driver::CompileOptions options;
    options.optLevel = level;
    auto module = passes::test::compileAne(text, options);
    auto stats = driver::moduleStats(*module);
    REQUIRE(stats.size() == 1);
    return stats[0];
}
} // namespace

TEST_CASE("kernel statistics follow the documented model", "[passes][stats]") {
    driver::KernelStats o0 = statsAt(0, kSource);
    driver::KernelStats o1 = statsAt(1, kSource);
    CHECK(o0.kernel == "k");
    CHECK(o0.opsByKind ==
          std::map<std::string, size_t>{{"cast", 2}, {"const", 2}, {"conv", 1}, {"mul", 1}});
    CHECK(o1.opsByKind == std::map<std::string, size_t>{{"cast", 2}, {"const", 1}, {"conv", 1}});
    // conv: 2 * Cout(8) * Cin(4) * 1 * 1 * H(1) * W(2) * N(1) = 128; mul: 1 per element (8).
    CHECK(o0.flops == 128 + 8);
    CHECK(o1.flops == 128);
    CHECK(o0.weightBytes == 8 * 4 * 2);
    CHECK(o0.inputBytes == 4 * 2 * 4);
    CHECK(o0.outputBytes == 8 * 2 * 4);
    // x16 (8 fp16) + mul (8 fp16) + conv (16 fp16); the fp32 output is not intermediate.
    CHECK(o0.intermediateBytes == 16 + 16 + 32);
    CHECK(o1.intermediateBytes == 16 + 32);
    CHECK(o0.programs == 1);
    CHECK(o0.dispatches == 1);
}

TEST_CASE("FLOPs of matmul, grouped and spatial conv, reductions and softmax", "[passes][stats]") {
    const char* source = R"(weight G: fp16[8, 2, 3, 3] = random(seed = 2, scale = 0.1)
kernel k(x: fp16[1, 8, 4, 4], a: fp16[2, 3, 5], b: fp16[2, 5, 6]) -> (c: fp16[1, 8, 2, 2], m: fp16[2, 3, 6], r: fp16[1, 1, 4, 4], s: fp16[1, 8, 4, 4]) {
    c = conv(x, G, groups = 4)
    m = a @ b
    r = reduce_sum(x, axes = [1], keep_dims = true)
    s = softmax(x, axis = 1)
}
)";
    driver::KernelStats stats = statsAt(0, source);
    uint64_t conv = 2ull * 8 * (8 / 4) * 3 * 3 * 2 * 2 * 1; // 2 Cout Cin/groups kH kW oH oW N
    uint64_t matmul = 2ull * 3 * 6 * 5 * 2;                 // 2 M N K batch
    uint64_t reduce = 8 * 4 * 4;                            // one per input element
    uint64_t softmax = 5 * 8 * 4 * 4;                       // five per element
    CHECK(stats.flops == conv + matmul + reduce + softmax);
}

TEST_CASE("formatStatsTable shows both levels side by side", "[passes][stats]") {
    driver::KernelStats a = statsAt(0, kSource), b = statsAt(1, kSource);
    std::string table = driver::formatStatsTable({a}, {b});
    CHECK(table.rfind("kernel k\n", 0) == 0);
    CHECK(table.find("\n  ") != std::string::npos);
    CHECK(row(table.substr(table.find('\n') + 1), "") == Cells{"-O0", "-O1"}); // header row
    CHECK(row(table, "FLOPs") == Cells{"136", "128"});
    CHECK(row(table, "mul") == Cells{"1", "0"});
    CHECK(row(table, "const") == Cells{"2", "1"});
    CHECK(row(table, "ANE programs") == Cells{"1", "1"});
    CHECK(row(table, "dispatches") == Cells{"1", "1"});
    CHECK(row(table, "intermediate bytes") == Cells{"64", "48"});
    CHECK(table.find("total") == std::string::npos); // one kernel: no total block

    b.kernel = "fused";
    std::string two = driver::formatStatsTable({a}, {b});
    CHECK(two.find("kernel fused\n") != std::string::npos);
    CHECK(two.find("total (2 kernels)") != std::string::npos);
    CHECK(row(two, "ANE programs") == Cells{"1", "-"}); // kernel k: -O0 only
    CHECK(row(two, "FLOPs") == Cells{"136", "-"});
    std::string totals = two.substr(two.find("total (2 kernels)"));
    CHECK(row(totals, "ANE programs") == Cells{"1", "1"});
    CHECK(row(totals, "FLOPs") == Cells{"136", "128"});
}

TEST_CASE("anec stats", "[passes][stats][cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSource);
    auto result = runAnec({"stats", (dir / "k.ane").string()});
    INFO(result.err);
    REQUIRE(result.status == 0);
    CHECK(result.out.find("kernel k\n") != std::string::npos);
    CHECK(result.out.find("dispatches") != std::string::npos);
    CHECK(result.out.find("128") != std::string::npos);

    auto bad = runAnec({"stats", (dir / "k.ane").string(), "-D", "NOPE=3"});
    CHECK(bad.status == 1);
    CHECK(bad.err.find("NOPE") != std::string::npos);

    auto examples =
        runAnec({"stats", (anec::test::sourceDir() / "examples" / "ffn_w13_bwd.ane").string()});
    CHECK(examples.status == 0);
    CHECK(examples.out.find("weight bytes") != std::string::npos);
}
