#include "runtime/train/token_data.hpp"

#include <fstream>

#include "support/diagnostics.hpp"

namespace anec::train {

namespace {

// The whole file is held in memory (and as uint16 for text, twice its size); beyond this a
// memory-mapped reader would be the right tool, so such files are refused with a clear message.
constexpr uint64_t kMaxFileBytes = uint64_t{4} << 30;
constexpr int kByteVocabulary = 256;

uint64_t checkedFileSize(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::file_status status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status))
        throw Error(path.string() + ": cannot read the file: no such file");
    if (!std::filesystem::is_regular_file(status))
        throw Error(path.string() + ": not a regular file");
    uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) throw Error(path.string() + ": cannot read the file size: " + ec.message());
    if (size == 0) throw Error(path.string() + " is empty; training needs some tokens");
    if (size > kMaxFileBytes)
        throw Error(path.string() + " has " + std::to_string(size) +
                    " bytes; token files larger than 4 GiB are not supported");
    return size;
}

std::vector<unsigned char> readBytes(const std::filesystem::path& path, uint64_t size) {
    std::vector<unsigned char> bytes(size);
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    if (!in || static_cast<uint64_t>(in.gcount()) != size)
        throw Error(path.string() + ": cannot read the file (was it changed while being read?)");
    return bytes;
}

// llama2.c's .bin: uint16 ids, little-endian whatever the host's byte order.
std::vector<uint16_t> decodeUint16(const std::filesystem::path& path,
                                   const std::vector<unsigned char>& bytes) {
    if (bytes.size() % 2 != 0)
        throw Error(path.string() + " has " + std::to_string(bytes.size()) +
                    " bytes, an odd count, but a .bin file holds 2-byte (uint16) token ids");
    std::vector<uint16_t> tokens(bytes.size() / 2);
    for (size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    return tokens;
}

// (seed, step, row) -> one well-mixed seed. Each stage is SplitMix64's first output, a bijection
// of its input, so different steps (or rows) of one seed never share a generator state.
uint64_t mixSeed(uint64_t seed, uint64_t step, uint64_t row) {
    uint64_t hash = SplitMix64(seed).next();
    hash = SplitMix64(hash ^ step).next();
    return SplitMix64(hash ^ row).next();
}

void checkSequenceFits(const std::string& source, size_t tokens, int seq) {
    if (seq <= 0)
        throw Error(source + ": the sequence length must be positive, got " + std::to_string(seq));
    // The last start, size - seq - 1, still leaves a target for the sequence's last token.
    uint64_t needed = static_cast<uint64_t>(seq) + 1;
    if (tokens < needed)
        throw Error(source + " holds " + std::to_string(tokens) + " tokens; a sequence of " +
                    std::to_string(seq) + " needs at least " + std::to_string(needed));
}

} // namespace

TokenData::TokenData(std::vector<uint16_t> tokens, int vocabulary, std::string source)
    : tokens_(std::move(tokens)), vocabulary_(vocabulary), source_(std::move(source)) {
    if (vocabulary_ <= 0)
        throw Error(source_ + ": the vocabulary must be positive, got " +
                    std::to_string(vocabulary_));
    if (tokens_.empty()) throw Error(source_ + " holds no tokens");
    for (size_t i = 0; i < tokens_.size(); ++i)
        if (tokens_[i] >= vocabulary_)
            throw Error(source_ + ": token " + std::to_string(tokens_[i]) + " at position " +
                        std::to_string(i) + " is outside the vocabulary of " +
                        std::to_string(vocabulary_));
}

TokenData TokenData::load(const std::filesystem::path& path, int vocabulary) {
    bool pretokenized = path.extension() == ".bin";
    // Checked before reading, so that a wrong vocabulary is reported without reading gigabytes.
    if (!pretokenized && vocabulary < kByteVocabulary)
        throw Error(path.string() + " is text, tokenized as bytes (tokens 0..255), which needs a " +
                    "vocabulary of 256, but the vocabulary is " + std::to_string(vocabulary) +
                    " (give a vocabulary of 256, or a pretokenized .bin file)");
    uint64_t size = checkedFileSize(path);
    std::vector<unsigned char> bytes = readBytes(path, size);
    std::vector<uint16_t> tokens = pretokenized ? decodeUint16(path, bytes)
                                                : std::vector<uint16_t>(bytes.begin(), bytes.end());
    return TokenData(std::move(tokens), vocabulary, path.string());
}

uint64_t TokenData::sequenceStart(uint64_t step, int row, int seq, uint64_t seed) const {
    checkSequenceFits(source_, tokens_.size(), seq);
    SplitMix64 generator(mixSeed(seed, step, static_cast<uint64_t>(row)));
    return generator.below(tokens_.size() - static_cast<uint64_t>(seq));
}

Batch TokenData::batch(uint64_t step, int batchSize, int seq, uint64_t seed) const {
    if (batchSize <= 0)
        throw Error(source_ + ": the batch size must be positive, got " +
                    std::to_string(batchSize));
    checkSequenceFits(source_, tokens_.size(), seq);
    Batch result;
    result.batch = batchSize;
    result.seq = seq;
    size_t count = static_cast<size_t>(batchSize) * static_cast<size_t>(seq);
    result.tokens.reserve(count);
    result.targets.reserve(count);
    for (int row = 0; row < batchSize; ++row) {
        uint64_t start = sequenceStart(step, row, seq, seed);
        for (uint64_t s = 0; s < static_cast<uint64_t>(seq); ++s) {
            result.tokens.push_back(tokens_[start + s]);
            result.targets.push_back(tokens_[start + s + 1]);
        }
    }
    return result;
}

std::string decodeBytes(const std::vector<int32_t>& tokens) {
    std::string text;
    text.reserve(tokens.size());
    for (int32_t token : tokens)
        text.push_back(token >= 0 && token < kByteVocabulary ? static_cast<char>(token) : '?');
    return text;
}

} // namespace anec::train
