#pragma once
// Weight declarations: evaluates `random(seed, scale)`, `npy("f.npy")`, `zeros()`, `ones()` into
// the constant data of the weight (blobName = the weight's name).
#include <cstdint>
#include <memory>
#include <string>

#include "frontend/sema.hpp"
#include "ir/const_data.hpp"

namespace anec::frontend {

// The documented weight generator: SplitMix64 (Steele, Lea, Flood 2014), same bits everywhere.
class SplitMix64 {
  public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}
    uint64_t next();

  private:
    uint64_t state_;
};

// scale * (2u - 1) with u = (z >> 11) * 2^-53: uniform in [-scale, scale).
double uniformSigned(uint64_t z, double scale);

// Row-major random values of `type` (fp16 / fp32 / fp64), each rounded to nearest even.
ir::ConstData randomConstData(const ir::TensorType& type, uint64_t seed, double scale);

// Loads every weight of the program (one entry per element of a weight array); `baseDir`
// resolves relative npy paths.
void loadWeights(Module& main, Reporter& reporter, const std::string& baseDir);

} // namespace anec::frontend
