// The Trainer over steps built from examples/train_tiny.ane at a small configuration.
#include <catch2/catch.hpp>

#include <cmath>

#include "runtime/train/trainer.hpp"
#include "train_test_support.hpp"

using anec::test::train::batchOf;
using anec::test::train::compileTiny;
using anec::train::Trainer;

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
