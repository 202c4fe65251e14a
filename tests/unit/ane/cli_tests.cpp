// `anec run --backend ane-sim` (with --target and --compile-budget), and `--backend ane` where
// there is no ANE.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>

#include "unit/driver/test_support.hpp"

using namespace anec::test;
namespace fs = std::filesystem;

namespace {

// fp32 I/O (a cast, or host conversion), gelu (decomposed), two inputs out of order.
const char* const kKernel = R"(
weight W: fp16[64, 64] = random(5, 0.1)
kernel k(x: fp32[1, 64, 1, 32], b: fp16[1, 64, 1, 32]) -> (y: fp32[1, 64, 1, 32]) {
    y = gelu(linear(x, W), mode = "tanh") + b
}
)";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

CliResult runOn(const fs::path& source, const fs::path& outputDir, std::vector<std::string> extra) {
    std::vector<std::string> args{"run", source.string(), "--random-inputs",
                                  "3",   "--output-dir",  outputDir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return runAnec(args);
}

// Runs the anec binary in a shell (for environment variables); returns its stdout + stderr.
std::string shell(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::array<char, 4096> buffer{};
    while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        output.append(buffer.data(), n);
    ::pclose(pipe);
    return output;
}

} // namespace

TEST_CASE("run --backend ane-sim matches the reference backend's output bytes", "[ane][cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kKernel);
    for (std::string target : {"generic", "m1", "m3", "m5"}) {
        INFO("--target " << target);
        CliResult reference = runOn(dir / "k.ane", dir / ("ref-" + target),
                                    {"--backend", "reference", "--target", target});
        CliResult simulated =
            runOn(dir / "k.ane", dir / ("sim-" + target),
                  {"--backend", "ane-sim", "--target", target, "--compile-budget", "50"});
        INFO(reference.err << simulated.err);
        REQUIRE(reference.status == 0);
        REQUIRE(simulated.status == 0);
        CHECK(contains(simulated.out, "ran k on the ane-sim backend"));
        std::string bytes = readFile(dir / ("sim-" + target) / "y.npy");
        CHECK(!bytes.empty());
        CHECK(bytes == readFile(dir / ("ref-" + target) / "y.npy"));
    }
}

TEST_CASE("run --backend ane-sim --target none: the backend legalizes for the simulated chip",
          "[ane][cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kKernel);
    // The reference runs gelu and the casts as written; the simulator only the legalized program
    // (gelu decomposed, I/O converted on the host), which the reference runs as well.
    CliResult simulated =
        runOn(dir / "k.ane", dir / "sim", {"--backend", "ane-sim", "--target", "none"});
    CliResult legalized = runOn(dir / "k.ane", dir / "ref", {"--backend", "reference"});
    INFO(simulated.err);
    REQUIRE(simulated.status == 0);
    REQUIRE(legalized.status == 0);
    CHECK(readFile(dir / "sim" / "y.npy") == readFile(dir / "ref" / "y.npy"));
}

TEST_CASE("run --backend ane without an ANE is a clear error", "[ane][cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kKernel);
    CliResult result = runOn(dir / "k.ane", dir.path(), {"--backend", "ane"});
    CHECK(result.status == 1);
#ifdef __linux__
    CHECK(contains(result.err,
                   "anec: error: the ANE backend is not available: it needs macOS on Apple "
                   "silicon (this build is for Linux). Use --backend reference, or --backend "
                   "ane-sim to check a program against the ANE's rules on this machine"));
#endif
}

TEST_CASE("run --compile-budget must be a positive number; ANEC_COMPILE_BUDGET too", "[ane][cli]") {
    TempDir dir;
    writeFile(dir / "k.ane", kKernel);
    CliResult zero =
        runOn(dir / "k.ane", dir.path(), {"--backend", "ane-sim", "--compile-budget", "0"});
    CHECK(zero.status != 0);
    CHECK(contains(zero.err, "--compile-budget"));

    std::string command = std::string(ANEC_BINARY) + " run " + (dir / "k.ane").string() +
                          " --random-inputs 1 --backend ane-sim --output-dir " +
                          dir.path().string();
    CHECK(contains(shell("ANEC_COMPILE_BUDGET=ten " + command),
                   "anec: error: ANEC_COMPILE_BUDGET must be a positive integer (a number of ANE "
                   "compiles), got 'ten'"));
    CHECK(contains(shell("ANEC_COMPILE_BUDGET=7 " + command), "ran k on the ane-sim backend"));
}
