// The achieved-rate line of `anec train`: never a figure above the ANE's peak.
#include <catch2/catch.hpp>

#include "driver/train_command.hpp"

using anec::driver::achievedRate;

TEST_CASE("anec train's rate: a share of the ANE's peak, never above it", "[train][cli]") {
    CHECK(achievedRate(1'000'000'000'000, 1.0, "ane") ==
          "achieved 1 TFLOPS on the ANE (5.4% of its ~18.6 TFLOPS fp16 peak)");
    CHECK(achievedRate(18'600'000'000'000, 1.0, "ane") ==
          "achieved 18.6 TFLOPS on the ANE (100.0% of its ~18.6 TFLOPS fp16 peak)");
    CHECK(achievedRate(20'000'000'000'000, 1.0, "ane") ==
          "the measured rate (20 TFLOPS) is above the ANE's ~18.6 TFLOPS peak, so the step time "
          "is wrong; no rate is reported");
    CHECK(achievedRate(2'000'000'000, 0.1, "reference") ==
          "20 GFLOP/s on the reference backend (the CPU, not the ANE's rate)");
    CHECK(achievedRate(2'000'000'000, 0.1, "ane-sim") ==
          "20 GFLOP/s on the ane-sim backend (the CPU, not the ANE's rate)");
}
