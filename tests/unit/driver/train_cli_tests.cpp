// `anec train` and `anec sample`, in-process through runCli, on examples/train_tiny.ane at a small
// configuration: the per-step lines, the plot and the totals; checkpoints that resume bit for bit;
// build directories; one test per error; sampling from a prompt.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <sstream>

#include "unit/driver/test_support.hpp"

using namespace anec::test;
namespace fs = std::filesystem;
using Args = std::vector<std::string>;

namespace {

std::string tinyPath() {
    return (sourceDir() / "examples" / "train_tiny.ane").string();
}

std::string tinyData() {
    return (sourceDir() / "examples" / "data" / "tiny.txt").string();
}

const Args kSmall = {"-D", "SEQ=16", "-D", "LAYERS=1"};

Args operator+(Args a, const Args& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// `anec train train_tiny.ane --data tiny.txt -D SEQ=16 -D LAYERS=1` and `more`.
Args trainTiny(const Args& more) {
    return Args{"train", tinyPath(), "--data", tinyData()} + kSmall + more;
}

std::vector<std::string> linesOf(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// "step N/LAST loss X.XXX lr X.Xe-XX N ms/step N[.Nk|M] tok/s"
const std::regex
    kStepLine(R"(step (\d+)/(\d+) loss (\d+\.\d{3}) lr (\d\.\de[-+]\d{2}) (\d+) ms/step )"
              R"((\d+|\d+\.\d[kM]) tok/s)");

struct StepLine {
    int step = 0, last = 0;
    std::string loss, lr; // as printed
};

// The step lines of an output, in order (other lines are skipped).
std::vector<StepLine> stepLines(const std::string& out) {
    std::vector<StepLine> steps;
    for (const std::string& line : linesOf(out)) {
        std::smatch m;
        if (std::regex_match(line, m, kStepLine))
            steps.push_back({std::stoi(m[1]), std::stoi(m[2]), m[3], m[4]});
    }
    return steps;
}

CliResult runOk(const Args& args) {
    CliResult result = runAnec(args);
    INFO(result.out << result.err);
    REQUIRE(result.status == 0);
    return result;
}

void expectError(const Args& args, const std::string& message) {
    CliResult result = runAnec(args);
    INFO(result.out << result.err);
    CHECK(result.status == 1);
    CHECK(result.err.find("anec: error: " + message + "\n") != std::string::npos);
}

// examples/train_tiny.ane with its `batch 4` replaced by `batch B`, written to dir/name.
fs::path tinyWithBatch(const TempDir& dir, int batch, const std::string& name = "tiny.ane") {
    std::string text = readFile(tinyPath());
    size_t at = text.find("    batch 4\n");
    REQUIRE(at != std::string::npos);
    text.replace(at, 12, "    batch " + std::to_string(batch) + "\n");
    return dir.write(name, text);
}

} // namespace

TEST_CASE("anec train: a line per step, the loss curve and the totals", "[cli][train]") {
    CliResult result = runOk(trainTiny({"--steps", "5", "--batch", "1"}));
    CHECK(result.err.empty());
    std::vector<std::string> lines = linesOf(result.out);
    INFO(result.out);
    REQUIRE(lines.size() >= 10);
    // Exactly five step lines, first, in order, nothing between them.
    for (int i = 0; i < 5; ++i) {
        std::smatch m;
        INFO(lines[static_cast<size_t>(i)]);
        REQUIRE(std::regex_match(lines[static_cast<size_t>(i)], m, kStepLine));
        CHECK(std::stoi(m[1]) == i + 1);
        CHECK(std::stoi(m[2]) == 5);
    }
    std::vector<StepLine> steps = stepLines(result.out);
    REQUIRE(steps.size() == 5);
    // The warm-up of train_tiny (20 steps to 3e-3): 1.5e-04 a step.
    CHECK(steps[0].lr == "1.5e-04");
    CHECK(steps[4].lr == "7.5e-04");
    // Untrained, the loss is about ln 256 = 5.55.
    CHECK(std::stod(steps[0].loss) == Approx(5.55).margin(0.5));

    // The plot: a blank line, its title, one '*' per step in columns of an axis five wide.
    CHECK(lines[5].empty());
    CHECK(lines[6] == "loss");
    size_t axis = 7;
    while (axis < lines.size() && lines[axis].find('+') == std::string::npos)
        ++axis;
    REQUIRE(axis + 1 < lines.size());
    CHECK(axis == 7 + 10); // ten rows
    // Indented by the width of the y labels (%.3g of the largest and smallest loss).
    CHECK(std::regex_match(lines[axis], std::regex(R"( +\+-----)")));
    CHECK(std::regex_match(lines[axis + 1], std::regex(R"( +1   5)")));
    size_t stars = 0;
    for (size_t i = 7; i < axis; ++i) {
        CHECK(lines[i].find('|') != std::string::npos);
        stars += static_cast<size_t>(std::count(lines[i].begin(), lines[i].end(), '*'));
    }
    CHECK(stars == 5);

    // The totals, the first and last loss as in the step lines.
    REQUIRE(lines.size() == axis + 6);
    CHECK(lines[axis + 2].empty());
    std::regex totals(R"(5 steps in \d+\.\d s \(\d+ ms/step\); loss (\d+\.\d{3}) -> (\d+\.\d{3}))");
    std::smatch m;
    REQUIRE(std::regex_match(lines[axis + 3], m, totals));
    CHECK(m[1] == steps[0].loss);
    CHECK(m[2] == steps[4].loss);
    CHECK(std::regex_match(lines[axis + 4],
                           std::regex(R"(per step: 1 dispatch, \d+ bytes to the device, 4 )"
                                      R"(bytes from it; 1 program compiled once)")));
    CHECK(std::regex_match(lines[axis + 5],
                           std::regex(R"(\d+ FLOPs per step; [0-9.e+]+ GFLOP/s on the reference )"
                                      R"(backend \(the CPU, not the ANE's rate\))")));
}

TEST_CASE("anec train: --save and --resume continue bit for bit", "[cli][train]") {
    // One sequence a step (the update fused into the backward program) and the declaration's
    // four (accumulated gradients, an update program).
    for (const Args& batch : {Args{"--batch", "1"}, Args{}}) {
        TempDir dir;
        std::string a = (dir / "a.safetensors").string();
        std::string b = (dir / "b.safetensors").string();
        std::string c = (dir / "c.safetensors").string();
        CliResult whole = runOk(trainTiny(Args{"--steps", "4", "--save", a} + batch));
        CHECK(whole.out.find("saved " + a + " (step 4)\n") != std::string::npos);
        CliResult first = runOk(trainTiny(Args{"--steps", "2", "--save", b} + batch));
        CliResult rest = runOk(trainTiny(Args{"--steps", "4", "--resume", b, "--save", c} + batch));
        INFO(whole.out << "\n" << first.out << "\n" << rest.out);
        CHECK(rest.out.rfind("resumed from " + b + " at step 2\n", 0) == 0);

        std::vector<StepLine> wholeSteps = stepLines(whole.out);
        std::vector<StepLine> firstSteps = stepLines(first.out);
        std::vector<StepLine> restSteps = stepLines(rest.out);
        REQUIRE(wholeSteps.size() == 4);
        REQUIRE(firstSteps.size() == 2);
        REQUIRE(restSteps.size() == 2);
        for (size_t i = 0; i < 2; ++i) {
            CHECK(firstSteps[i].loss == wholeSteps[i].loss);
            CHECK(restSteps[i].step == static_cast<int>(i) + 3);
            CHECK(restSteps[i].last == 4);
            CHECK(restSteps[i].loss == wholeSteps[i + 2].loss);
            CHECK(restSteps[i].lr == wholeSteps[i + 2].lr);
        }
        CHECK(rest.out.find("2 steps in ") != std::string::npos);
        // The same weights, moments and step count: the same file, byte for byte.
        std::string bytesA = readFile(a), bytesC = readFile(c);
        CHECK_FALSE(bytesA.empty());
        CHECK(bytesA == bytesC);
        CHECK(readFile(b) != bytesA);
    }
}

TEST_CASE("anec train: a build directory trains as built", "[cli][train]") {
    TempDir dir;
    fs::path source = tinyWithBatch(dir, 1);
    // Built without legalization, the programs are the ones `anec train` compiles from source:
    // the same losses.
    std::string build = (dir / "build").string();
    runOk(Args{"build", source.string(), "--target", "none", "-o", build} + kSmall);
    CHECK(fs::exists(fs::path(build) / "step.json"));
    CliResult fromBuild = runOk({"train", build, "--data", tinyData(), "--steps", "3"});
    CliResult fromSource =
        runOk(Args{"train", source.string(), "--data", tinyData(), "--steps", "3"} + kSmall);
    INFO(fromBuild.out << "\n" << fromSource.out);
    std::vector<StepLine> a = stepLines(fromBuild.out), b = stepLines(fromSource.out);
    REQUIRE(a.size() == 3);
    REQUIRE(b.size() == 3);
    for (size_t i = 0; i < 3; ++i)
        CHECK(a[i].loss == b[i].loss);
    CHECK(fromBuild.out.find("per step: 1 dispatch, ") != std::string::npos);
    // --batch equal to the build's is fine.
    runOk({"train", build, "--data", tinyData(), "--steps", "1", "--batch", "1"});

    // Built for the default target (legalized for the ANE: fp16 logits), it trains too.
    std::string generic = (dir / "generic").string();
    runOk(Args{"build", source.string(), "-w", "-o", generic} + kSmall);
    CliResult fromGeneric = runOk({"train", generic, "--data", tinyData(), "--steps", "3"});
    INFO(fromGeneric.out);
    std::vector<StepLine> c = stepLines(fromGeneric.out);
    REQUIRE(c.size() == 3);
    CHECK(c[0].loss == b[0].loss);
    CHECK(std::stod(c[2].loss) == Approx(std::stod(b[2].loss)).margin(0.05));
}

TEST_CASE("anec train errors", "[cli][train]") {
    TempDir dir;
    SECTION("a missing --data file") {
        std::string missing = (dir / "missing.txt").string();
        expectError(Args{"train", tinyPath(), "--data", missing} + kSmall,
                    missing + ": cannot read the file: no such file");
    }
    SECTION("a .bin file of an odd size") {
        fs::path odd = dir.write("odd.bin", "abc");
        expectError(Args{"train", tinyPath(), "--data", odd.string()} + kSmall,
                    odd.string() +
                        " has 3 bytes, an odd count, but a .bin file holds 2-byte (uint16) token "
                        "ids");
    }
    SECTION("--batch other than a build directory's") {
        fs::path source = tinyWithBatch(dir, 1);
        std::string build = (dir / "build").string();
        runOk(Args{"build", source.string()} + kSmall + Args{"-o", build});
        expectError({"train", build, "--data", tinyData(), "--batch", "3"},
                    build + " was built with batch 1 (sequences per step); --batch 3 needs the .ane source "
                            "(or a build with 'batch 3')");
    }
    SECTION("-D with a build directory") {
        fs::path source = tinyWithBatch(dir, 1);
        std::string build = (dir / "build").string();
        runOk(Args{"build", source.string()} + kSmall + Args{"-o", build});
        expectError(Args{"train", build, "--data", tinyData()} + kSmall,
                    "-D applies to .ane sources, not to " + build);
    }
    SECTION("a source without a train declaration") {
        fs::path plain = dir.write("plain.ane", "kernel k(x: fp16[4]) -> (y: fp16[4]) { y = x }\n");
        expectError({"train", plain.string(), "--data", tinyData()},
                    "the program declares no training step ('train NAME { ... }')");
        expectError({"sample", plain.string()},
                    "the program declares no training step ('train NAME { ... }')");
    }
    SECTION("--resume of another model's checkpoint") {
        std::string one = (dir / "one.safetensors").string();
        runOk(trainTiny({"--steps", "1", "--batch", "1", "--save", one}));
        // Two layers: the checkpoint of one lacks the second's tensors.
        expectError({"train", tinyPath(), "--data", tinyData(), "-D", "SEQ=16", "-D", "LAYERS=2",
                     "--steps", "2", "--resume", one},
                    one + " has no tensor 'adam_m.attention_norm_1'");
        // Another width: the same names, other shapes.
        expectError(trainTiny({"-D", "DIM=32", "--steps", "2", "--resume", one}),
                    one + ": tensor 'adam_m.attention_norm_0' is fp32[64], but this step's is "
                          "fp32[32]");
        // Another step's name.
        std::string text = readFile(tinyPath());
        text.replace(text.find("train step {"), 12, "train other {");
        fs::path other = dir.write("other.ane", text);
        expectError(
            Args{"train", other.string(), "--data", tinyData(), "--steps", "2", "--resume", one} +
                kSmall,
            one + " is a checkpoint of training step 'step', not of 'other'");
        // Not a checkpoint at all.
        fs::path bogus = dir.write("bogus.safetensors", "not a safetensors file");
        CliResult result = runAnec(trainTiny({"--steps", "2", "--resume", bogus.string()}));
        CHECK(result.status == 1);
        CHECK(result.err.find("anec: error: " + bogus.string()) != std::string::npos);
    }
    SECTION("a source that does not compile") {
        std::string text = readFile(tinyPath());
        text.replace(text.find("    loss lm_loss\n"), 17, "    loss lm_los\n");
        fs::path broken = dir.write("broken.ane", text);
        CliResult result = runAnec(Args{"train", broken.string(), "--data", tinyData()} + kSmall);
        INFO(result.err);
        CHECK(result.status == 1);
        CHECK(result.err.find("broken.ane:57:10: error: unknown kernel 'lm_los'; did you mean "
                              "'lm_loss'?") != std::string::npos);
        CHECK(result.out.empty());
    }
}

TEST_CASE("anec sample: the prompt, then the tokens, deterministic in the seed",
          "[cli][train][sample]") {
    const Args sample = Args{"sample", tinyPath()} + kSmall + Args{"--prompt", "Once"};
    CliResult greedy = runOk(sample + Args{"--tokens", "10"});
    REQUIRE(greedy.out.size() == 4 + 10 + 1);
    CHECK(greedy.out.rfind("Once", 0) == 0);
    CHECK(greedy.out.back() == '\n');
    CHECK(runOk(sample + Args{"--tokens", "10"}).out == greedy.out);

    const Args warm = sample + Args{"--tokens", "10", "--temperature", "0.8", "--seed", "7"};
    CliResult a = runOk(warm);
    CliResult b = runOk(warm);
    REQUIRE(a.out.size() == 4 + 10 + 1);
    CHECK(a.out.rfind("Once", 0) == 0);
    CHECK(a.out == b.out);
    // Another seed draws other tokens (an untrained model is close to uniform over 256 bytes).
    CliResult other = runOk(sample + Args{"--tokens", "10", "--temperature", "0.8", "--seed", "8"});
    CHECK(other.out.size() == a.out.size());
    CHECK(other.out != a.out);
    CHECK(a.out != greedy.out);
}

TEST_CASE("anec sample continues a trained checkpoint", "[cli][train][sample]") {
    TempDir dir;
    std::string checkpoint = (dir / "trained.safetensors").string();
    runOk(trainTiny({"--steps", "3", "--batch", "1", "--save", checkpoint}));
    const Args sample =
        Args{"sample", tinyPath()} + kSmall + Args{"--prompt", "The", "--tokens", "8"};
    CliResult initial = runOk(sample);
    REQUIRE(initial.out.size() == 3 + 8 + 1);
    CliResult trained = runOk(sample + Args{"--resume", checkpoint});
    REQUIRE(trained.out.size() == 3 + 8 + 1);
    CHECK(trained.out.rfind("The", 0) == 0);
    CHECK(runOk(sample + Args{"--resume", checkpoint}).out == trained.out);
    // An empty prompt starts from a newline (and prints nothing for it).
    CliResult empty = runOk(Args{"sample", tinyPath()} + kSmall + Args{"--tokens", "4"});
    CHECK(empty.out.size() == 4 + 1);
}
