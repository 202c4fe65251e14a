#pragma once
// SHA-256 (FIPS 180-4), for content keys such as the ANE program cache's. Incremental: update()
// any number of times, then digest().
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace anec {

class Sha256 {
  public:
    using Digest = std::array<uint8_t, 32>;

    Sha256();
    void update(std::span<const uint8_t> bytes);
    void update(std::string_view text);
    // Finishes the hash; the object must not be updated afterwards.
    Digest digest();

    // Lower-case hex of a digest (64 characters).
    static std::string hex(const Digest& digest);

  private:
    void compressBlock(const uint8_t* block);

    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t totalBytes_ = 0;
};

// One-shot helpers.
Sha256::Digest sha256(std::string_view text);
std::string sha256Hex(std::string_view text);

} // namespace anec
