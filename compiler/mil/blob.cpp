#include "mil/blob.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <limits>

#include "support/diagnostics.hpp"

namespace anec::mil {

namespace {
struct BlobDTypeInfo {
    BlobDType dtype;
    std::string_view name;
    unsigned bits;
};

constexpr std::array<BlobDTypeInfo, 17> kBlobDTypes{{
    {BlobDType::Float16, "Float16", 16},
    {BlobDType::Float32, "Float32", 32},
    {BlobDType::UInt8, "UInt8", 8},
    {BlobDType::Int8, "Int8", 8},
    {BlobDType::BFloat16, "BFloat16", 16},
    {BlobDType::Int16, "Int16", 16},
    {BlobDType::UInt16, "UInt16", 16},
    {BlobDType::Int4, "Int4", 4},
    {BlobDType::UInt1, "UInt1", 1},
    {BlobDType::UInt2, "UInt2", 2},
    {BlobDType::UInt4, "UInt4", 4},
    {BlobDType::UInt3, "UInt3", 3},
    {BlobDType::UInt6, "UInt6", 6},
    {BlobDType::Int32, "Int32", 32},
    {BlobDType::UInt32, "UInt32", 32},
    {BlobDType::Float8E4M3FN, "Float8E4M3FN", 8},
    {BlobDType::Float8E5M2, "Float8E5M2", 8},
}};

const BlobDTypeInfo* findBlobDType(uint32_t code) {
    for (const BlobDTypeInfo& info : kBlobDTypes)
        if (static_cast<uint32_t>(info.dtype) == code) return &info;
    return nullptr;
}

std::string_view nameOf(BlobDType dtype) {
    return findBlobDType(static_cast<uint32_t>(dtype))->name;
}

uint64_t alignUp(uint64_t value, uint64_t alignment = kBlobAlignment) {
    return (value + alignment - 1) / alignment * alignment;
}

// Explicit byte order, so that files are identical on every host.
void putLE(std::vector<uint8_t>& file, uint64_t at, uint64_t value, unsigned width) {
    for (unsigned i = 0; i < width; ++i)
        file[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t getLE(const std::vector<uint8_t>& file, uint64_t at, unsigned width) {
    uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i)
        value |= static_cast<uint64_t>(file[at + i]) << (8 * i);
    return value;
}

std::string hex(uint64_t value) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    do {
        out.insert(out.begin(), digits[value & 0xF]);
        value >>= 4;
    } while (value);
    return "0x" + out;
}
} // namespace

std::optional<std::string_view> blobDTypeName(uint32_t code) {
    const BlobDTypeInfo* info = findBlobDType(code);
    if (!info) return std::nullopt;
    return info->name;
}

unsigned blobDTypeBits(BlobDType dtype) {
    return findBlobDType(static_cast<uint32_t>(dtype))->bits;
}

std::optional<BlobDType> blobDTypeFor(ir::DType dtype) {
    switch (dtype) {
    case ir::DType::Fp16:
        return BlobDType::Float16;
    case ir::DType::Fp32:
        return BlobDType::Float32;
    case ir::DType::UInt8:
        return BlobDType::UInt8;
    case ir::DType::Int8:
        return BlobDType::Int8;
    case ir::DType::Int16:
        return BlobDType::Int16;
    case ir::DType::UInt16:
        return BlobDType::UInt16;
    case ir::DType::Int32:
        return BlobDType::Int32;
    case ir::DType::UInt32:
        return BlobDType::UInt32;
    default:
        return std::nullopt;
    }
}

BlobWriter::BlobWriter(uint64_t alignment) : file_(kBlobHeaderSize, 0), alignment_(alignment) {
    if (alignment == 0 || alignment % kBlobAlignment != 0)
        throw Error("MILBlob alignment must be a multiple of 64, got " + std::to_string(alignment));
    putLE(file_, 4, kBlobVersion, 4);
}

uint64_t BlobWriter::add(BlobDType dtype, std::span<const uint8_t> bytes) {
    // The data at the next multiple of the alignment with room for the metadata before it.
    uint64_t metadataOffset =
        alignUp(file_.size() + kBlobMetadataSize, alignment_) - kBlobMetadataSize;
    uint64_t dataOffset = metadataOffset + kBlobMetadataSize;
    file_.resize(alignUp(dataOffset + bytes.size()), 0);
    putLE(file_, metadataOffset, kBlobSentinel, 4);
    putLE(file_, metadataOffset + 4, static_cast<uint32_t>(dtype), 4);
    putLE(file_, metadataOffset + 8, bytes.size(), 8);
    putLE(file_, metadataOffset + 16, dataOffset, 8);
    // +24: padding size in bits, 0 for whole-byte types; +32..63 reserved zeros.
    std::copy(bytes.begin(), bytes.end(), file_.begin() + static_cast<std::ptrdiff_t>(dataOffset));
    putLE(file_, 0, ++count_, 4);
    return metadataOffset;
}

uint64_t BlobWriter::add(const ir::ConstData& data) {
    auto dtype = blobDTypeFor(data.type().dtype);
    if (!dtype)
        throw Error("a " + data.type().str() + " constant cannot be stored in a weight blob (" +
                    std::string(ir::dtypeName(data.type().dtype)) + " has no MILBlob type)");
    return add(*dtype, data.bytes());
}

BlobReader::BlobReader(std::vector<uint8_t> fileBytes, std::string fileName)
    : file_(std::move(fileBytes)), fileName_(std::move(fileName)) {
    if (file_.size() < kBlobHeaderSize)
        corrupt("truncated: " + std::to_string(file_.size()) +
                " bytes, but a MILBlob file header alone needs 64");
    uint64_t version = getLE(file_, 4, 4);
    if (version != kBlobVersion)
        corrupt("unsupported MILBlob version " + std::to_string(version) + " (expected 2)");
    count_ = static_cast<uint32_t>(getLE(file_, 0, 4));
}

BlobReader BlobReader::open(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot open weight blob '" + path.string() + "'");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (in.bad()) throw Error("cannot read weight blob '" + path.string() + "'");
    return BlobReader(std::move(bytes), path.string());
}

bool BlobReader::isZero(uint64_t offset, uint64_t size) const {
    if (offset > file_.size() || file_.size() - offset < size) return false;
    return std::all_of(file_.begin() + static_cast<std::ptrdiff_t>(offset),
                       file_.begin() + static_cast<std::ptrdiff_t>(offset + size),
                       [](uint8_t byte) { return byte == 0; });
}

void BlobReader::corrupt(const std::string& what) const {
    throw Error(fileName_ + ": " + what);
}

std::string BlobReader::where(uint64_t metadataOffset) {
    return "blob at offset " + std::to_string(metadataOffset);
}

void BlobReader::checkMetadataPlace(uint64_t metadataOffset) const {
    const uint64_t size = file_.size();
    const std::string at = where(metadataOffset);
    if (metadataOffset < kBlobHeaderSize)
        corrupt(at + ": offset lies inside the 64-byte file header");
    if (metadataOffset % kBlobAlignment != 0) corrupt(at + ": offset is not a multiple of 64");
    if (metadataOffset > size || size - metadataOffset < kBlobMetadataSize)
        corrupt(at + ": metadata runs past the end of the file (" + std::to_string(size) +
                " bytes)");
    uint64_t sentinel = getLE(file_, metadataOffset, 4);
    if (sentinel != kBlobSentinel)
        corrupt(at + ": bad sentinel " + hex(sentinel) + " (expected 0xDEADBEEF)");
}

void BlobReader::checkDataInFile(uint64_t metadataOffset, uint64_t dataOffset,
                                 uint64_t bytes) const {
    const uint64_t size = file_.size();
    if (dataOffset > size || size - dataOffset < bytes)
        corrupt(where(metadataOffset) + ": " + std::to_string(bytes) + " bytes of data at offset " +
                std::to_string(dataOffset) + " run past the end of the file (" +
                std::to_string(size) + " bytes; truncated?)");
}

BlobInfo BlobReader::info(uint64_t metadataOffset) const {
    checkMetadataPlace(metadataOffset);
    const std::string at = where(metadataOffset);
    uint32_t code = static_cast<uint32_t>(getLE(file_, metadataOffset + 4, 4));
    if (!findBlobDType(code)) corrupt(at + ": unknown dtype code " + std::to_string(code));

    BlobInfo info;
    info.metadataOffset = metadataOffset;
    info.dtype = static_cast<BlobDType>(code);
    info.sizeInBytes = getLE(file_, metadataOffset + 8, 8);
    info.dataOffset = getLE(file_, metadataOffset + 16, 8);
    if (info.dataOffset < metadataOffset + kBlobMetadataSize)
        corrupt(at + ": data offset " + std::to_string(info.dataOffset) +
                " overlaps its own metadata");
    checkDataInFile(metadataOffset, info.dataOffset, info.sizeInBytes);
    return info;
}

std::span<const uint8_t> BlobReader::read(uint64_t metadataOffset, BlobDType expectedDType,
                                          uint64_t expectedElements) const {
    return read(metadataOffset, expectedDType, expectedElements, MetadataCheck::Strict).bytes;
}

BlobData BlobReader::read(uint64_t metadataOffset, BlobDType expectedDType,
                          uint64_t expectedElements, MetadataCheck check) const {
    // Strict: the metadata must also be consistent in itself (known dtype, data inside the file).
    if (check == MetadataCheck::Strict)
        info(metadataOffset);
    else
        checkMetadataPlace(metadataOffset);
    const std::string at = where(metadataOffset);
    const std::string expectedName(nameOf(expectedDType));
    uint64_t bits = blobDTypeBits(expectedDType);
    if (expectedElements > std::numeric_limits<uint64_t>::max() / bits)
        corrupt(at + ": expected element count " + std::to_string(expectedElements) +
                " is too large");
    const uint64_t expectedBytes = (expectedElements * bits + 7) / 8;
    const std::string declared = std::to_string(expectedBytes) + " (" +
                                 std::to_string(expectedElements) + " " + expectedName +
                                 " elements)";

    BlobData data;
    // Metadata that disagrees with the expectation: an error when strict, else an assumption.
    auto disagree = [&](const std::string& error, const std::string& assumption) {
        if (check == MetadataCheck::Strict) corrupt(error);
        data.assumptions.push_back(fileName_ + ": " + at + ": " + assumption);
    };
    uint32_t code = static_cast<uint32_t>(getLE(file_, metadataOffset + 4, 4));
    std::optional<std::string_view> marked = blobDTypeName(code);
    if (!marked)
        disagree(at + ": unknown dtype code " + std::to_string(code),
                 "unknown dtype code " + std::to_string(code) + "; read as " + expectedName +
                     ", the declared type");
    else if (code != static_cast<uint32_t>(expectedDType))
        disagree(at + " holds " + std::string(*marked) + " data, expected " + expectedName,
                 "the metadata says " + std::string(*marked) + " data; read as " + expectedName +
                     ", the declared type");
    uint64_t dataOffset = getLE(file_, metadataOffset + 16, 8);
    if (dataOffset == 0) {
        dataOffset = metadataOffset + kBlobMetadataSize;
        disagree(at + ": data offset 0 overlaps its own metadata",
                 "the metadata's data offset is 0; assumed the data follows the metadata, at "
                 "offset " +
                     std::to_string(dataOffset));
    } else if (dataOffset < metadataOffset + kBlobMetadataSize) {
        corrupt(at + ": data offset " + std::to_string(dataOffset) + " overlaps its own metadata");
    }
    uint64_t sizeInBytes = getLE(file_, metadataOffset + 8, 8);
    if (sizeInBytes != expectedBytes)
        disagree(at + " holds " + std::to_string(sizeInBytes) + " bytes, expected " + declared,
                 "the metadata says " + std::to_string(sizeInBytes) + " bytes; read " + declared +
                     ", the declared size");
    checkDataInFile(metadataOffset, dataOffset, expectedBytes);
    data.bytes = std::span<const uint8_t>(file_.data() + dataOffset, expectedBytes);
    return data;
}

std::vector<uint64_t> BlobReader::metadataOffsets() const {
    std::vector<uint64_t> offsets;
    uint64_t offset = kBlobHeaderSize;
    for (uint32_t i = 0; i < count_; ++i) {
        // The whole metadata must fit: a tail shorter than 64 bytes is not one more blob.
        if (offset >= file_.size() || file_.size() - offset < kBlobMetadataSize)
            corrupt("the header announces " + std::to_string(count_) +
                    " blobs, but the file ends after " + std::to_string(i));
        // A 128-aligned file leaves 64 zero bytes before the next metadata (blob.hpp).
        if (getLE(file_, offset, 4) != kBlobSentinel && isZero(offset, kBlobMetadataSize) &&
            file_.size() - offset >= 2 * kBlobMetadataSize &&
            getLE(file_, offset + kBlobMetadataSize, 4) == kBlobSentinel)
            offset += kBlobMetadataSize;
        BlobInfo blob = info(offset);
        offsets.push_back(offset);
        // info() guarantees dataOffset + size <= file size, so this cannot overflow.
        offset = alignUp(blob.dataOffset + blob.sizeInBytes);
    }
    return offsets;
}

} // namespace anec::mil
