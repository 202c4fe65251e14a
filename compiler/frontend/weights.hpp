#pragma once
// Weight declarations: evaluates `random(seed, scale)`, `npy("f.npy")`, `zeros()`, `ones()` into
// the constant data of the weight (blobName = the weight's name).
#include <cstdint>
#include <memory>
#include <string>

#include "frontend/sema.hpp"
#include "ir/const_data.hpp"
#include "support/splitmix64.hpp"

namespace anec::frontend {

// The documented weight generator (support/splitmix64.hpp).
using anec::SplitMix64;

// scale * (2u - 1) with u = (z >> 11) * 2^-53: uniform in [-scale, scale).
double uniformSigned(uint64_t z, double scale);

// Row-major random values of `type` (fp16 / fp32 / fp64), each rounded to nearest even.
ir::ConstData randomConstData(const ir::TensorType& type, uint64_t seed, double scale);

// Loads every weight of the program (one entry per element of a weight array); `baseDir`
// resolves relative npy paths.
void loadWeights(Module& main, Reporter& reporter, const std::string& baseDir);

} // namespace anec::frontend
