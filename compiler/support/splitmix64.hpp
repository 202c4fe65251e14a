#pragma once
// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed 64-bit generator whose output is
// fixed by its definition, so the same seed gives the same bits on every platform and standard
// library. The weight generator `random(seed, scale)` and the training data order use it.
#include <cstdint>

namespace anec {

class SplitMix64 {
  public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}

    uint64_t next() {
        state_ += 0x9E3779B97F4A7C15ULL;
        uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, count) without modulo bias; count must be > 0. Draws below 2^64 mod count
    // are rejected, so that the accepted range is a whole multiple of count ((0 - count) % count
    // is 2^64 mod count in uint64_t).
    uint64_t below(uint64_t count) {
        const uint64_t threshold = (0 - count) % count;
        for (;;) {
            uint64_t draw = next();
            if (draw >= threshold) return draw % count;
        }
    }

  private:
    uint64_t state_;
};

} // namespace anec
