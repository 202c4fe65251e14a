#pragma once
// Training text as token ids, and the deterministic batches drawn from it: a batch depends only on
// (seed, step), so training resumed from a checkpoint at step k sees the same batch k+1 as the
// uninterrupted run.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/splitmix64.hpp"

namespace anec::train {

// Rows of token ids, row-major [batch, seq]: the model's input and, shifted by one, its targets.
struct Batch {
    std::vector<int32_t> tokens;
    std::vector<int32_t> targets; // targets[b][s] is the token after tokens[b][s] in the data
    int batch = 0;
    int seq = 0;
};

// The data order's generator (support/splitmix64.hpp).
using anec::SplitMix64;

class TokenData {
  public:
    // `source` names the data in error messages (the path for load).
    TokenData(std::vector<uint16_t> tokens, int vocabulary, std::string source);

    // A path ending in ".bin" is llama2.c's pretokenized format (TinyStories): a flat array of
    // little-endian uint16 token ids without a header. Any other file is text tokenized by bytes:
    // each byte is one token 0..255, which needs a vocabulary of at least 256. Throws anec::Error
    // for an empty, unreadable or oversized (> 4 GiB) file, an odd .bin size, or a token outside
    // the vocabulary.
    static TokenData load(const std::filesystem::path& path, int vocabulary);

    const std::vector<uint16_t>& tokens() const { return tokens_; }
    size_t size() const { return tokens_.size(); }
    int vocabulary() const { return vocabulary_; }
    const std::string& source() const { return source_; }

    // Where sequence `row` of step `step` starts: uniform in [0, size() - seq - 1], drawn from a
    // SplitMix64 seeded with a hash of (seed, step, row).
    uint64_t sequenceStart(uint64_t step, int row, int seq, uint64_t seed) const;
    // `batchSize` sequences of `seq` tokens with their targets. Throws anec::Error when the data
    // holds fewer than seq + 1 tokens or batchSize or seq is not positive.
    Batch batch(uint64_t step, int batchSize, int seq, uint64_t seed) const;

  private:
    std::vector<uint16_t> tokens_;
    int vocabulary_;
    std::string source_;
};

// Byte-level tokens back to text: tokens below 256 become their byte, any other becomes '?'.
std::string decodeBytes(const std::vector<int32_t>& tokens);

} // namespace anec::train
