// Token data for training: byte-level text and llama2.c .bin files, the deterministic batches
// (the same (seed, step) always gives the same batch, so resumed training sees the same data),
// and an error message for every kind of bad input.
#include <catch2/catch.hpp>

#include <set>

#include "runtime/train/token_data.hpp"
#include "support/diagnostics.hpp"
#include "unit/temp_dir.hpp"

using namespace anec;
using anec::test::TempDir;
using anec::train::TokenData;
namespace fs = std::filesystem;

namespace {

// `tokens` as a llama2.c .bin file: little-endian uint16, no header.
fs::path writeBin(const TempDir& dir, const std::string& name,
                  const std::vector<uint16_t>& tokens) {
    std::string bytes;
    for (uint16_t token : tokens) {
        bytes.push_back(static_cast<char>(token & 0xff));
        bytes.push_back(static_cast<char>(token >> 8));
    }
    return dir.write(name, bytes);
}

// Tokens 0, 1, ..., count - 1: a batch's token is then its position in the data.
std::vector<uint16_t> positions(size_t count) {
    std::vector<uint16_t> tokens(count);
    for (size_t i = 0; i < count; ++i)
        tokens[i] = static_cast<uint16_t>(i);
    return tokens;
}

std::string loadError(const fs::path& path, int vocabulary) {
    try {
        TokenData::load(path, vocabulary);
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

std::string batchError(const TokenData& data, int batchSize, int seq) {
    try {
        data.batch(1, batchSize, seq, 42);
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

} // namespace

TEST_CASE("SplitMix64 gives the reference sequence", "[token_data]") {
    // The first outputs for seed 0 of Vigna's reference splitmix64.c.
    train::SplitMix64 generator(0);
    CHECK(generator.next() == 0xE220A8397B1DCDAFULL);
    CHECK(generator.next() == 0x6E789E6AA1B965F4ULL);
    CHECK(generator.next() == 0x06C45D188009454FULL);
    train::SplitMix64 bounded(7);
    for (int i = 0; i < 1000; ++i)
        CHECK(bounded.below(3) < 3);
    CHECK(bounded.below(1) == 0);
}

TEST_CASE("text loads byte by byte", "[token_data]") {
    TempDir dir;
    fs::path path = dir.write("story.txt", "Hi, Max!\n\xc3\xa9");
    TokenData data = TokenData::load(path, 256);
    CHECK(data.size() == 11);
    CHECK(data.tokens() ==
          std::vector<uint16_t>{'H', 'i', ',', ' ', 'M', 'a', 'x', '!', '\n', 0xc3, 0xa9});
    CHECK(data.vocabulary() == 256);
    CHECK(data.source() == path.string());
    // A vocabulary larger than 256 is fine for bytes (the model just never sees the rest).
    CHECK(TokenData::load(path, 512).size() == 11);
}

TEST_CASE(".bin files load as little-endian uint16 token ids", "[token_data]") {
    TempDir dir;
    fs::path path = writeBin(dir, "data.bin", {1, 2, 300, 31999, 0});
    TokenData data = TokenData::load(path, 32000);
    CHECK(data.tokens() == std::vector<uint16_t>{1, 2, 300, 31999, 0});
    CHECK(TokenData::load(writeBin(dir, "max.bin", {65535}), 65536).tokens()[0] == 65535);
}

TEST_CASE("the example text loads and batches", "[token_data]") {
    fs::path path = fs::path(ANEC_SOURCE_DIR) / "examples" / "data" / "tiny.txt";
    TokenData data = TokenData::load(path, 256);
    CHECK(data.size() > 6000);
    CHECK(data.size() < 10240);
    for (uint16_t token : data.tokens())
        REQUIRE(token < 128); // ASCII only
    train::Batch batch = data.batch(1, 4, 64, 1);
    CHECK(batch.tokens.size() == 4 * 64);
}

TEST_CASE("load errors name the file and the problem", "[token_data]") {
    TempDir dir;
    fs::path missing = dir / "missing.txt";
    CHECK(loadError(missing, 256) == missing.string() + ": cannot read the file: no such file");
    CHECK(loadError(dir.path(), 256) == dir.path().string() + ": not a regular file");

    fs::path empty = dir.write("empty.txt", "");
    CHECK(loadError(empty, 256) == empty.string() + " is empty; training needs some tokens");
    fs::path emptyBin = dir.write("empty.bin", "");
    CHECK(loadError(emptyBin, 256) == emptyBin.string() + " is empty; training needs some tokens");

    fs::path text = dir.write("story.txt", "Once upon a time");
    CHECK(loadError(text, 100) ==
          text.string() + " is text, tokenized as bytes (tokens 0..255), which needs a vocabulary "
                          "of 256, but the vocabulary is 100 (give a vocabulary of 256, or a "
                          "pretokenized .bin file)");

    fs::path odd = dir.write("odd.bin", "abc");
    CHECK(loadError(odd, 256) == odd.string() + " has 3 bytes, an odd count, but a .bin file "
                                                "holds 2-byte (uint16) token ids");

    std::vector<uint16_t> tokens(20, 7);
    tokens[17] = 40000;
    tokens[19] = 50000; // only the first bad token is reported
    fs::path outside = writeBin(dir, "outside.bin", tokens);
    CHECK(loadError(outside, 32000) ==
          outside.string() + ": token 40000 at position 17 is outside the vocabulary of 32000");
    CHECK(loadError(writeBin(dir, "edge.bin", {5}), 5) ==
          (dir / "edge.bin").string() + ": token 5 at position 0 is outside the vocabulary of 5");
    CHECK(loadError(outside, 0) == outside.string() + ": the vocabulary must be positive, got 0");

    // Over 4 GiB: refused from the size alone (a sparse file, so nothing is written or read).
    fs::path huge = dir.write("huge.bin", "");
    fs::resize_file(huge, (uint64_t{4} << 30) + 2);
    CHECK(loadError(huge, 32000) == huge.string() + " has 4294967298 bytes; token files larger "
                                                    "than 4 GiB are not supported");
}

TEST_CASE("batches are rows of the data with targets shifted by one", "[token_data]") {
    TokenData data(positions(1000), 1000, "positions");
    const int batchSize = 3, seq = 16;
    train::Batch batch = data.batch(5, batchSize, seq, 1234);
    CHECK(batch.batch == batchSize);
    CHECK(batch.seq == seq);
    REQUIRE(batch.tokens.size() == static_cast<size_t>(batchSize * seq));
    REQUIRE(batch.targets.size() == batch.tokens.size());
    for (int b = 0; b < batchSize; ++b) {
        int32_t start = batch.tokens[static_cast<size_t>(b * seq)];
        CHECK(static_cast<uint64_t>(start) == data.sequenceStart(5, b, seq, 1234));
        for (int s = 0; s < seq; ++s) {
            size_t i = static_cast<size_t>(b * seq + s);
            CHECK(batch.tokens[i] == start + s);      // consecutive tokens of the data
            CHECK(batch.targets[i] == start + s + 1); // each one's next token
        }
    }
}

TEST_CASE("batches are deterministic in (seed, step) and vary across both", "[token_data]") {
    TokenData data(positions(5000), 5000, "positions");
    auto starts = [&](uint64_t step, uint64_t seed) {
        train::Batch batch = data.batch(step, 4, 8, seed);
        std::vector<int32_t> result;
        for (int b = 0; b < 4; ++b)
            result.push_back(batch.tokens[static_cast<size_t>(b * 8)]);
        return result;
    };
    // The same (seed, step) gives the same batch, whenever it is asked for: a run resumed at
    // step k sees the batches of the uninterrupted run.
    CHECK(starts(7, 1) == starts(7, 1));
    CHECK(data.batch(7, 4, 8, 1).targets == data.batch(7, 4, 8, 1).targets);
    TokenData copy(positions(5000), 5000, "another copy");
    CHECK(copy.batch(3, 4, 8, 99).tokens == data.batch(3, 4, 8, 99).tokens);

    std::set<std::vector<int32_t>> byStep, bySeed;
    std::set<int32_t> rowStarts;
    for (uint64_t step = 0; step < 50; ++step) {
        byStep.insert(starts(step, 1));
        for (int32_t start : starts(step, 1))
            rowStarts.insert(start);
    }
    for (uint64_t seed = 0; seed < 50; ++seed)
        bySeed.insert(starts(3, seed));
    CHECK(byStep.size() == 50);
    CHECK(bySeed.size() == 50);
    CHECK(rowStarts.size() > 180); // 200 draws from 4992 starts: rows differ within a batch too
}

TEST_CASE("sequence starts cover exactly [0, size - seq - 1]", "[token_data]") {
    const int seq = 8;
    TokenData data(positions(seq + 3), 256, "small"); // starts 0, 1, 2
    std::set<uint64_t> seen;
    for (uint64_t step = 0; step < 300; ++step)
        for (int row = 0; row < 2; ++row)
            seen.insert(data.sequenceStart(step, row, seq, 5));
    CHECK(seen == std::set<uint64_t>{0, 1, 2});

    // With exactly seq + 1 tokens the only start is 0, and the last target is the last token.
    TokenData exact(positions(seq + 1), 256, "exact");
    train::Batch batch = exact.batch(9, 2, seq, 3);
    CHECK(batch.tokens[0] == 0);
    CHECK(batch.targets.back() == seq);
}

TEST_CASE("batch errors", "[token_data]") {
    TempDir dir;
    fs::path path = dir.write("short.txt", "0123456789");
    TokenData data = TokenData::load(path, 256);
    CHECK(batchError(data, 2, 64) ==
          path.string() + " holds 10 tokens; a sequence of 64 needs at least 65");
    CHECK(batchError(data, 2, 10) ==
          path.string() + " holds 10 tokens; a sequence of 10 needs at least 11");
    CHECK(batchError(data, 2, 9) == "");
    CHECK(batchError(data, 0, 4) == path.string() + ": the batch size must be positive, got 0");
    CHECK(batchError(data, 2, 0) ==
          path.string() + ": the sequence length must be positive, got 0");
    CHECK(batchError(data, 2, -3) ==
          path.string() + ": the sequence length must be positive, got -3");
}

TEST_CASE("decodeBytes turns byte tokens back into text", "[token_data]") {
    CHECK(train::decodeBytes({'L', 'i', 'l', 'y', '\n'}) == "Lily\n");
    CHECK(train::decodeBytes({'a', 256, -1, 0xc3, 0xa9}) == "a??\xc3\xa9");
    CHECK(train::decodeBytes({}).empty());
}
