// The Trainer over steps built from examples/train_tiny.ane at a small configuration.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "driver/compiler.hpp"
#include "runtime/train/trainer.hpp"

namespace fs = std::filesystem;
using anec::train::Trainer;

namespace {

std::string tinySource(const std::string& trainOptions = "") {
    std::ifstream in(fs::path(ANEC_SOURCE_DIR) / "examples" / "train_tiny.ane");
    std::ostringstream text;
    text << in.rdbuf();
    std::string source = text.str();
    // Extra keys go into the train block (before its closing brace, the file's last).
    size_t close = source.rfind('}');
    return source.substr(0, close) + trainOptions + "\n}\n";
}

std::shared_ptr<anec::ir::Module> compileTiny(const std::string& trainOptions = "") {
    anec::driver::CompileOptions options;
    options.frontend.defines = {{"SEQ", 16}, {"LAYERS", 1}};
    options.warnings = anec::WarningPolicy::None;
    auto compilation = std::make_shared<anec::driver::Compilation>(options);
    compilation->loadSource((fs::path(ANEC_SOURCE_DIR) / "examples" / "train_tiny.ane").string(),
                            tinySource(trainOptions));
    bool ok = compilation->optimize();
    std::ostringstream rendered;
    compilation->diagnostics().print(rendered);
    INFO(rendered.str());
    REQUIRE(ok);
    return std::shared_ptr<anec::ir::Module>(compilation, compilation->module());
}

// A fixed batch: each sequence a run of bytes, the targets the next bytes.
void batchOf(int64_t sequences, int64_t seq, std::vector<int32_t>& tokens,
             std::vector<int32_t>& targets) {
    tokens.clear();
    targets.clear();
    for (int64_t b = 0; b < sequences; ++b)
        for (int64_t s = 0; s < seq; ++s) {
            tokens.push_back(static_cast<int32_t>(97 + (b * 3 + s) % 7));
            targets.push_back(static_cast<int32_t>(97 + (b * 3 + s + 1) % 7));
        }
}

} // namespace

TEST_CASE("a train step fits a fixed batch: the loss falls", "[train]") {
    Trainer trainer = Trainer::fromModule(compileTiny());
    std::vector<int32_t> tokens, targets;
    batchOf(trainer.microBatches(), trainer.sequenceLength(), tokens, targets);
    double first = trainer.step(tokens, targets);
    CHECK(first == Approx(std::log(256.0)).epsilon(0.1));
    double last = first;
    for (int i = 0; i < 30; ++i)
        last = trainer.step(tokens, targets);
    INFO("first " << first << " last " << last);
    CHECK(last < first * 0.5);
    CHECK(trainer.lastStep().dispatches == 1);
    CHECK(trainer.compiles() == 1);
}
