#include "runtime/ane/program_cache.hpp"

namespace anec::runtime::ane {

namespace {
void addLength(Sha256& hash, uint64_t length) {
    std::array<uint8_t, 8> bytes{};
    for (size_t i = 0; i < 8; ++i)
        bytes[i] = static_cast<uint8_t>(length >> (8 * i));
    hash.update(bytes);
}

void addPiece(Sha256& hash, std::span<const uint8_t> bytes) {
    addLength(hash, bytes.size());
    hash.update(bytes);
}

void addPiece(Sha256& hash, std::string_view text) {
    addLength(hash, text.size());
    hash.update(text);
}
} // namespace

Sha256::Digest programKey(const ProgramSource& source) {
    Sha256 hash;
    hash.update(std::string_view("anec-ane-program-v1"));
    addPiece(hash, source.milText);
    addLength(hash, source.weights.size());
    for (const WeightFile& weight : source.weights) {
        addPiece(hash, weight.milPath);
        addPiece(hash, weight.bytes);
    }
    return hash.digest();
}

std::shared_ptr<SharedProgram> ProgramCache::getOrCompile(const std::string& device,
                                                          const ProgramSource& source,
                                                          const Compile& compile) {
    auto key = std::make_pair(device, programKey(source));
    std::lock_guard lock(mutex_);
    if (auto known = programs_.find(key); known != programs_.end()) {
        ++hits_;
        return known->second;
    }
    ++misses_;
    auto shared = std::make_shared<SharedProgram>();
    shared->program = compile();
    programs_.emplace(std::move(key), shared);
    return shared;
}

size_t ProgramCache::hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
}

size_t ProgramCache::misses() const {
    std::lock_guard lock(mutex_);
    return misses_;
}

size_t ProgramCache::size() const {
    std::lock_guard lock(mutex_);
    return programs_.size();
}

void ProgramCache::clear() {
    std::lock_guard lock(mutex_);
    programs_.clear();
}

std::shared_ptr<ProgramCache> processProgramCache() {
    static auto cache = std::make_shared<ProgramCache>();
    return cache;
}

} // namespace anec::runtime::ane
