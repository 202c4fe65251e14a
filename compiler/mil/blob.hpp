#pragma once
// MILBlob storage version 2: the weight file format the MIL `BLOBFILE(path, offset)` refers to.
//
// Layout (all integers little-endian, whatever the host):
//   0   file header, 64 bytes: uint32 count, uint32 version = 2, 56 zero bytes
//   64  per blob, 64 bytes of metadata at a 64-aligned offset: uint32 sentinel 0xDEADBEEF,
//       uint32 dtype code, uint64 size in bytes, uint64 data offset (= metadata offset + 64),
//       uint64 padding bits (sub-byte types; 0 here), 32 zero bytes
//   then the data, 64-aligned; the next metadata starts at the end of the data rounded up to 64.
// The BLOBFILE offset is the METADATA offset (64 for the first blob), not the data offset.
// The M5 needs 128-byte alignment (ane-and-mil.md rule 16): there the DATA starts at multiples of
// 128 and each metadata block sits right before its data (so at 64, 192, 320, ...), which leaves
// 64 zero bytes between blobs where a 64-aligned layout would put the next metadata.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/const_data.hpp"
#include "ir/types.hpp"

namespace anec::mil {

// coremltools MILBlob BlobDataType codes.
enum class BlobDType : uint32_t {
    Float16 = 1,
    Float32 = 2,
    UInt8 = 3,
    Int8 = 4,
    BFloat16 = 5,
    Int16 = 6,
    UInt16 = 7,
    Int4 = 8,
    UInt1 = 9,
    UInt2 = 10,
    UInt4 = 11,
    UInt3 = 12,
    UInt6 = 13,
    Int32 = 14,
    UInt32 = 15,
    Float8E4M3FN = 16,
    Float8E5M2 = 17,
};

inline constexpr uint32_t kBlobVersion = 2;
inline constexpr uint32_t kBlobSentinel = 0xDEADBEEF;
inline constexpr uint64_t kBlobHeaderSize = 64;
inline constexpr uint64_t kBlobMetadataSize = 64;
inline constexpr uint64_t kBlobAlignment = 64;

// "Float16", "Int32", ...; nullopt for a code that is not a known BlobDType.
std::optional<std::string_view> blobDTypeName(uint32_t code);
// Bits per element of a known code.
unsigned blobDTypeBits(BlobDType dtype);
// The blob type storing an IR element type; nullopt for types MILBlob cannot hold (bool, int64,
// uint64, fp64, string).
std::optional<BlobDType> blobDTypeFor(ir::DType dtype);

// Builds one blob file in memory. Blobs are laid out in the order they are added.
class BlobWriter {
  public:
    // `alignment`: the data alignment, 64 or 128 (a multiple of 64).
    explicit BlobWriter(uint64_t alignment = kBlobAlignment);

    // Appends a blob and returns its metadata offset (the BLOBFILE offset): 64 for the first.
    uint64_t add(BlobDType dtype, std::span<const uint8_t> bytes);
    // Appends a constant's bytes; throws anec::Error when its element type has no blob type.
    uint64_t add(const ir::ConstData& data);

    uint32_t count() const { return count_; }
    // The complete file as it stands (the header always holds the current count).
    const std::vector<uint8_t>& bytes() const { return file_; }

  private:
    std::vector<uint8_t> file_;
    uint32_t count_ = 0;
    uint64_t alignment_ = kBlobAlignment;
};

// How BlobReader::read treats metadata that disagrees with what the reader declares (the MIL
// type of the BLOBFILE reference): a data offset of 0, a size field or a dtype code other than
// the declared type's. Apple's compiler accepts such files (public ANE benchmarks write them), so
// Lenient reads the declared type's bytes right after the metadata and records each assumption;
// Strict makes each an error. A file too short for the declared data is an error either way.
enum class MetadataCheck { Strict, Lenient };

// The data of one blob, and what Lenient reading assumed to get it (one sentence each, naming
// the file and the blob; empty when the metadata agrees with the declaration).
struct BlobData {
    std::span<const uint8_t> bytes;
    std::vector<std::string> assumptions;
};

// What one blob's metadata says, after validation.
struct BlobInfo {
    uint64_t metadataOffset = 0;
    BlobDType dtype = BlobDType::Float16;
    uint64_t sizeInBytes = 0;
    uint64_t dataOffset = 0;
};

// Reads a blob file defensively: every read is bounds-checked, and any corruption (bad header,
// sentinel, dtype, size or offset) is an anec::Error naming the file and what is wrong.
class BlobReader {
  public:
    // Validates the file header. `fileName` only appears in messages.
    explicit BlobReader(std::vector<uint8_t> fileBytes, std::string fileName = "weight blob");
    static BlobReader open(const std::filesystem::path& path);

    uint32_t count() const { return count_; }
    const std::string& fileName() const { return fileName_; }

    // The validated metadata of the blob whose metadata starts at `metadataOffset`.
    BlobInfo info(uint64_t metadataOffset) const;
    // The data of that blob, checked against the expected dtype and element count.
    std::span<const uint8_t> read(uint64_t metadataOffset, BlobDType expectedDType,
                                  uint64_t expectedElements) const;
    // The same, with metadata that disagrees with the expectation handled by `check`.
    BlobData read(uint64_t metadataOffset, BlobDType expectedDType, uint64_t expectedElements,
                  MetadataCheck check) const;
    // Walks the file from offset 64 and returns the metadata offset of each of its `count` blobs
    // (64- or 128-byte aligned data).
    std::vector<uint64_t> metadataOffsets() const;

  private:
    [[noreturn]] void corrupt(const std::string& what) const;
    // Checks what no reading can do without: the offset, the metadata inside the file, the
    // sentinel.
    void checkMetadataPlace(uint64_t metadataOffset) const;
    // Reports data that would run past the end of the file (truncated?).
    void checkDataInFile(uint64_t metadataOffset, uint64_t dataOffset, uint64_t bytes) const;
    static std::string where(uint64_t metadataOffset); // "blob at offset N"
    bool isZero(uint64_t offset, uint64_t size) const;

    std::vector<uint8_t> file_;
    std::string fileName_;
    uint32_t count_ = 0;
};

} // namespace anec::mil
