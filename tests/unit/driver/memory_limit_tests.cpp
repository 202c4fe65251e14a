// The memory limit (support/memory_limit.hpp): sizes, the error messages, and every place that
// checks it before allocating: weights the compiler materializes, run-time inputs, the reference
// backend's values and the ANE surfaces, located at the declaration when there is a source.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "runtime/ane/surface_plan.hpp"
#include "runtime/core/tensor.hpp"
#include "support/memory_limit.hpp"
#include "unit/driver/test_support.hpp"

using namespace anec::test;
using anec::MemoryLimitError;
using anec::ScopedMemoryLimit;

namespace {
const char* kHugeInput =
    "kernel k(x: fp16[1, 100000000000, 1, 1]) -> (y: fp16[1, 100000000000, 1, 1]) {\n"
    "    y = x * 2.0\n"
    "}\n";

std::string errorOf(const std::function<void()>& body) {
    try {
        body();
    } catch (const MemoryLimitError& e) {
        return e.what();
    }
    return "";
}

// Sets ANEC_MAX_MEMORY for its lifetime.
struct ScopedEnvironment {
    explicit ScopedEnvironment(const char* value) { setenv("ANEC_MAX_MEMORY", value, 1); }
    ~ScopedEnvironment() { unsetenv("ANEC_MAX_MEMORY"); }
};
} // namespace

TEST_CASE("sizes read with K, M, G and T suffixes", "[memory]") {
    CHECK(anec::parseByteSize("1000") == 1000u);
    CHECK(anec::parseByteSize("4K") == 4096u);
    CHECK(anec::parseByteSize("512M") == 512ull << 20);
    CHECK(anec::parseByteSize("1.5G") == 3ull << 29);
    CHECK(anec::parseByteSize("2GiB") == 2ull << 30);
    CHECK(anec::parseByteSize("1t") == 1ull << 40);
    for (const char* bad : {"", "G", "-1", "0", "1X", "abc", "1e400", "nan", "99999999999T"})
        CHECK_FALSE(anec::parseByteSize(bad));
    CHECK(anec::formatBytes(1023) == "1023 bytes");
    CHECK(anec::formatBytes(1536) == "1.5 KiB");
    CHECK(anec::formatBytes(200000000000ull) == "186.3 GiB");
}

TEST_CASE("the limit: explicit, else ANEC_MAX_MEMORY, else half the machine", "[memory]") {
    uint64_t machine = anec::machineMemoryBytes();
    REQUIRE(machine > 0);
    CHECK(anec::defaultMemoryLimit() == machine / 2);
    CHECK(anec::memoryLimit() == anec::defaultMemoryLimit());
    {
        ScopedEnvironment environment("3G");
        CHECK(anec::memoryLimit() == 3ull << 30);
        ScopedMemoryLimit limit(1 << 20);
        CHECK(anec::memoryLimit() == 1u << 20);
    }
    CHECK(anec::memoryLimit() == anec::defaultMemoryLimit());
    ScopedEnvironment broken("lots");
    CHECK_THROWS_WITH(
        anec::memoryLimit(),
        "ANEC_MAX_MEMORY='lots' is not a size (bytes, or a number with K, M, G or T)");
}

TEST_CASE("a budget checks each allocation and their total", "[memory]") {
    ScopedMemoryLimit limit(1000);
    CHECK(errorOf([] { anec::checkAffordable("input 'x' fp16[2000]", 4000); }) ==
          "input 'x' fp16[2000] needs 4000 bytes (3.9 KiB), more than the memory limit of 1000 "
          "bytes (--max-memory or ANEC_MAX_MEMORY)");
    anec::MemoryBudget budget("the weights before it");
    budget.charge("weight 'A' fp16[300]", 600);
    CHECK(errorOf([&] { budget.charge("weight 'B' fp16[300]", 600); }) ==
          "weight 'B' fp16[300] needs 600 bytes; with the 600 bytes of the weights before it "
          "that is 1.2 KiB, more than the memory limit of 1000 bytes (--max-memory or "
          "ANEC_MAX_MEMORY)");
    budget.release(600);
    CHECK_NOTHROW(budget.charge("weight 'B' fp16[300]", 600));
}

TEST_CASE("anec run refuses an input nobody can afford, at its declaration", "[memory][run]") {
    TempDir dir;
    writeFile(dir.path() / "huge.ane", kHugeInput);
    CliResult check = runAnec({"check", (dir.path() / "huge.ane").string()});
    CHECK(check.status == 0);
    CliResult run = runAnec({"run", (dir.path() / "huge.ane").string(), "--random-inputs", "1",
                             "--max-memory", "8G", "--output-dir", (dir.path() / "out").string()});
    CHECK(run.status == 1);
    CHECK(run.err ==
          (dir.path() / "huge.ane").string() +
              ":1:10: error: input 'x' fp16[1,100000000000,1,1] needs 200000000000 bytes "
              "(186.3 GiB), more than the memory limit of 8.0 GiB (--max-memory or "
              "ANEC_MAX_MEMORY)\n" +
              "kernel k(x: fp16[1, 100000000000, 1, 1]) -> (y: fp16[1, 100000000000, "
              "1, 1]) {\n         ^\n");
}

TEST_CASE("the option --max-memory is checked and applies to every command", "[memory][cli]") {
    TempDir dir;
    writeFile(dir.path() / "w.ane",
              "weight W: fp16[1024, 1024] = random(seed = 1, scale = 1)\n"
              "kernel k(x: fp16[1, 1024, 1, 1]) -> (y: fp16[1, 1024, 1, 1]) {\n"
              "    y = linear(x, W)\n"
              "}\n");
    std::string file = (dir.path() / "w.ane").string();
    CliResult bad = runAnec({"check", file, "--max-memory", "plenty"});
    CHECK(bad.status == 2);
    CHECK(bad.err == "anec: error: --max-memory 'plenty' is not a size (bytes, or a number with K, "
                     "M, G or T)\n");
    CliResult small = runAnec({"check", file, "--max-memory", "1M"});
    CHECK(small.status == 1);
    CHECK_THAT(small.err, Catch::StartsWith(
                              file + ":1:11: error: weight 'W' fp16[1024,1024] needs 2097152 bytes "
                                     "(2.0 MiB), more than the memory limit of 1.0 MiB"));
    CHECK(runAnec({"check", file, "--max-memory", "4M"}).status == 0);
    // The CLI's limit ends with the command.
    CHECK(anec::memoryLimit() == anec::defaultMemoryLimit());
}

TEST_CASE("the weights of a compilation together must fit", "[memory][diag]") {
    TempDir dir;
    writeFile(dir.path() / "w.ane",
              "weight A: fp16[600, 1024] = zeros()\n"
              "weight B: fp16[600, 1024] = zeros()\n"
              "kernel k(x: fp16[1, 1024, 1, 1]) -> (y: fp16[1, 600, 1, 1]) {\n"
              "    y = linear(x, A) + linear(x, B)\n"
              "}\n");
    std::string file = (dir.path() / "w.ane").string();
    CliResult result = runAnec({"check", file, "--max-memory", "2M"});
    CHECK(result.status == 1);
    CHECK_THAT(result.err,
               Catch::StartsWith(file + ":2:11: error: weight 'B' fp16[600,1024] needs 1.2 MiB; "
                                        "with the 1.2 MiB of the weights before it that is 2.3 "
                                        "MiB, more than the memory limit of 2.0 MiB"));
}

TEST_CASE("the reference backend checks every value before allocating", "[memory][run]") {
    TempDir dir;
    // Inputs of 64 KiB, an intermediate of 16 MiB (a broadcast) under a limit of 8 MiB.
    writeFile(
        dir.path() / "b.ane",
        "kernel k(a: fp16[1, 2048, 1, 16], b: fp16[1, 1, 128, 16]) -> (y: fp16[1, 2048, 1, 16]) {\n"
        "    let wide = a + b\n"
        "    y = reduce_sum(wide, axes = [2], keep_dims = true)\n"
        "}\n");
    std::string file = (dir.path() / "b.ane").string();
    CliResult result = runAnec({"run", file, "--random-inputs", "1", "--max-memory", "8M", "-O0",
                                "--output-dir", (dir.path() / "out").string()});
    CHECK(result.status == 1);
    CHECK_THAT(result.err, Catch::Contains(file + ":2:18: error: 'wide' fp16[1,2048,128,16] (op 'add'"));
    CHECK_THAT(result.err, Catch::Contains("needs 16777216 bytes (16.0 MiB), more than the memory "
                                           "limit of 8.0 MiB"));
    CHECK(runAnec({"run", file, "--random-inputs", "1", "--max-memory", "64M", "-O0",
                   "--output-dir", (dir.path() / "out").string()})
              .status == 0);
}

TEST_CASE("runtime tensors and ANE surfaces are checked", "[memory]") {
    ScopedMemoryLimit limit(1 << 20);
    anec::ir::TensorType big{anec::ir::DType::Fp16, {1, 1024, 1, 1024}};
    CHECK(errorOf([&] { anec::runtime::Tensor tensor(big); }) ==
          "a tensor fp16[1,1024,1,1024] needs 2097152 bytes (2.0 MiB), more than the memory limit "
          "of 1.0 MiB (--max-memory or ANEC_MAX_MEMORY)");
    anec::ir::TensorType small{anec::ir::DType::Fp16, {1, 512, 1, 512}}; // 512 KiB
    std::vector<anec::runtime::IoInfo> inputs{{"a", small}, {"b", small}, {"c", small}};
    CHECK_THAT(errorOf([&] {
                   anec::runtime::ane::planSurfaces(inputs, {{"y", small}});
               }),
               Catch::StartsWith("the surface of input 'c' fp16[1,512,1,512] needs 512.0 KiB; "
                                 "with the 1.0 MiB of the surfaces before it"));
}
