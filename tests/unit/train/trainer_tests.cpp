// The Trainer over steps built from examples/train_tiny.ane at a small configuration.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "runtime/train/token_data.hpp"
#include "runtime/train/trainer.hpp"
#include "train_test_support.hpp"

using anec::test::train::batchOf;
using anec::test::train::compileTiny;
using anec::test::train::Defines;
using anec::train::Trainer;
namespace fs = std::filesystem;

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
    // One program per sequence (forward, loss, backward: the model is one segment), then the
    // update program once, after the step's 4 sequences.
    CHECK(trainer.microBatches() == 4);
    CHECK(trainer.lastStep().dispatches == 5);
    CHECK(trainer.compiles() == 2);
}

// The proof of training, shortened: examples/train_tiny.ane as written (2 layers, DIM 64,
// SEQ 64, 4 sequences a step) on examples/data/tiny.txt. Measured: ln 256 = 5.55 -> 1.95 at
// step 100 (1.38 at step 300, what `anec train` runs by default).
TEST_CASE("train_tiny learns examples/data/tiny.txt: the loss halves in 100 steps",
          "[train][example]") {
    Trainer trainer = Trainer::fromModule(compileTiny("", {}));
    anec::train::TokenData data = anec::train::TokenData::load(
        fs::path(ANEC_SOURCE_DIR) / "examples" / "data" / "tiny.txt", 256);
    std::vector<double> losses;
    for (uint64_t step = 1; step <= 100; ++step) {
        anec::train::Batch batch = data.batch(step, static_cast<int>(trainer.microBatches()),
                                              static_cast<int>(trainer.sequenceLength()), 1);
        losses.push_back(trainer.step(batch.tokens, batch.targets));
    }
    double last10 = 0;
    for (size_t i = 90; i < 100; ++i)
        last10 += losses[i] / 10;
    INFO("first " << losses.front() << ", mean of the last 10 " << last10);
    CHECK(losses.front() == Approx(std::log(256.0)).epsilon(0.05));
    CHECK(last10 < 2.5);
}

// A model split into programs of at most `segment_mb` of weights trains exactly as one program:
// each segment's backward takes the forward's taps (the products contracting more than ~310
// elements, cheaper to keep than to recompute) and recomputes only the rest.
TEST_CASE("segments with forward taps train bit for bit like one program", "[train][segments]") {
    const Defines wide = {{"DIM", 320}, {"SEQ", 16}, {"LAYERS", 2}};
    Trainer whole = Trainer::fromModule(compileTiny("", wide));
    Trainer split = Trainer::fromModule(compileTiny("segment_mb 0.5", wide));
    size_t taps = 0;
    for (const anec::ir::StepTensor& tensor : split.schedule().tensors)
        taps += tensor.name.rfind("tap", 0) == 0;
    INFO(taps << " taps");
    CHECK(taps >= 10); // q, k, v, w1, w3 of each layer at least
    std::vector<int32_t> tokens, targets;
    batchOf(whole.microBatches(), whole.sequenceLength(), tokens, targets);
    for (int step = 0; step < 3; ++step)
        CHECK(whole.step(tokens, targets) == split.step(tokens, targets));
    CHECK(split.lastStep().dispatches > whole.lastStep().dispatches);
    for (const std::string& weight : whole.weights()) {
        auto a = whole.tensor(weight).bytes(), b = split.tensor(weight).bytes();
        CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
    }
}
