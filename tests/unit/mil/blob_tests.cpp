// MILBlob v2 writer and validating reader.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <numeric>

#include "mil/blob.hpp"
#include "support/diagnostics.hpp"
#include "unit/mil/mil_test_support.hpp"

using namespace anec;
using namespace anec::mil;
namespace fs = std::filesystem;

using anec::mil::test::errorOf;

namespace {
std::vector<uint8_t> readBytes(const fs::path& path, size_t limit = SIZE_MAX) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes;
    for (auto it = std::istreambuf_iterator<char>(in);
         it != std::istreambuf_iterator<char>() && bytes.size() < limit; ++it)
        bytes.push_back(static_cast<uint8_t>(*it));
    return bytes;
}

uint64_t le(const std::vector<uint8_t>& bytes, size_t at, unsigned width) {
    uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i)
        value |= static_cast<uint64_t>(bytes.at(at + i)) << (8 * i);
    return value;
}

void putLE(std::vector<uint8_t>& bytes, size_t at, uint64_t value, unsigned width) {
    for (unsigned i = 0; i < width; ++i)
        bytes.at(at + i) = static_cast<uint8_t>(value >> (8 * i));
}

std::vector<uint8_t> sequence(size_t n) {
    std::vector<uint8_t> bytes(n);
    std::iota(bytes.begin(), bytes.end(), uint8_t{1});
    return bytes;
}

// A file with one fp16 blob of 4 elements: data at 128..136, file padded to 192.
std::vector<uint8_t> oneBlobFile() {
    BlobWriter writer;
    writer.add(BlobDType::Float16, sequence(8));
    return writer.bytes();
}

const fs::path kSeedBlob = fs::path(ANEC_SHARED_DIR) / "seeds/ffn_w13_bwd/weights/w1t.bin";
} // namespace

TEST_CASE("an empty blob file is just the 64-byte header", "[mil]") {
    BlobWriter writer;
    std::vector<uint8_t> expected(64, 0);
    expected[4] = 2; // version
    CHECK(writer.bytes() == expected);
    CHECK(writer.count() == 0);
}

TEST_CASE("one fp16 blob has the seed's 128-byte header layout", "[mil]") {
    std::vector<uint8_t> data(768 * 2048 * 2, 0x5a);
    BlobWriter writer;
    CHECK(writer.add(BlobDType::Float16, data) == 64);
    const std::vector<uint8_t>& file = writer.bytes();
    REQUIRE(file.size() == 128 + data.size());

    // Field by field, independent of the seed.
    CHECK(le(file, 0, 4) == 1);           // count
    CHECK(le(file, 4, 4) == 2);           // version
    CHECK(le(file, 64, 4) == 0xDEADBEEF); // sentinel
    CHECK(le(file, 68, 4) == 1);          // Float16
    CHECK(le(file, 72, 8) == data.size());
    CHECK(le(file, 80, 8) == 128); // data offset
    CHECK(le(file, 88, 8) == 0);   // padding bits
    CHECK(std::all_of(file.begin() + 8, file.begin() + 64, [](uint8_t b) { return b == 0; }));
    CHECK(std::all_of(file.begin() + 96, file.begin() + 128, [](uint8_t b) { return b == 0; }));
    CHECK(file[128] == 0x5a);

    if (!fs::exists(kSeedBlob)) {
        WARN("seed blob not found at " << kSeedBlob << "; byte comparison with the seed skipped");
        return;
    }
    std::vector<uint8_t> seedHeader = readBytes(kSeedBlob, 128);
    REQUIRE(seedHeader.size() == 128);
    for (size_t i = 0; i < 128; ++i) {
        INFO("byte " << i);
        CHECK(file[i] == seedHeader[i]);
    }
}

TEST_CASE("the seed's weight file reads back", "[mil]") {
    if (!fs::exists(kSeedBlob)) {
        WARN("seed blob not found at " << kSeedBlob << "; skipped");
        return;
    }
    BlobReader reader = BlobReader::open(kSeedBlob);
    CHECK(reader.count() == 1);
    CHECK(reader.metadataOffsets() == std::vector<uint64_t>{64});
    auto data = reader.read(64, BlobDType::Float16, 768 * 2048);
    CHECK(data.size() == 768 * 2048 * 2);
    CHECK(data[0] == 0x33); // first bytes of the seed's data: 33 22 68 a4
    CHECK(data[3] == 0xa4);
}

TEST_CASE("several blobs are laid out at 64-aligned offsets", "[mil]") {
    BlobWriter writer;
    CHECK(writer.add(BlobDType::Float16, sequence(6)) == 64);           // data 128..134 -> next 192
    CHECK(writer.add(BlobDType::Float32, sequence(128)) == 192);        // data 256..384 -> next 384
    CHECK(writer.add(BlobDType::Int32, sequence(4)) == 384);            // data 448..452 -> next 512
    CHECK(writer.add(BlobDType::UInt8, std::vector<uint8_t>{}) == 512); // empty data at 576
    CHECK(writer.count() == 4);
    const std::vector<uint8_t>& file = writer.bytes();
    CHECK(le(file, 0, 4) == 4);
    CHECK(file.size() == 576);
    CHECK(le(file, 192 + 16, 8) == 256);
    CHECK(le(file, 384 + 4, 4) == 14); // Int32

    BlobReader reader(file, "multi.bin");
    CHECK(reader.metadataOffsets() == std::vector<uint64_t>{64, 192, 384, 512});
    auto floats = reader.read(192, BlobDType::Float32, 32);
    CHECK(std::vector<uint8_t>(floats.begin(), floats.end()) == sequence(128));
    auto halves = reader.read(64, BlobDType::Float16, 3);
    CHECK(std::vector<uint8_t>(halves.begin(), halves.end()) == sequence(6));
    CHECK(reader.read(512, BlobDType::UInt8, 0).empty());
}

TEST_CASE("constants map onto MILBlob types", "[mil]") {
    CHECK(blobDTypeFor(ir::DType::Fp16) == BlobDType::Float16);
    CHECK(blobDTypeFor(ir::DType::Fp32) == BlobDType::Float32);
    CHECK(blobDTypeFor(ir::DType::Int32) == BlobDType::Int32);
    CHECK(blobDTypeFor(ir::DType::UInt16) == BlobDType::UInt16);
    CHECK_FALSE(blobDTypeFor(ir::DType::Bool));
    CHECK_FALSE(blobDTypeFor(ir::DType::Int64));
    CHECK(blobDTypeName(14) == std::optional<std::string_view>("Int32"));
    CHECK_FALSE(blobDTypeName(99));

    BlobWriter writer;
    ir::ConstData ints =
        ir::ConstData::fromDoubles({ir::DType::Int32, {2}}, std::vector<double>{1, -2});
    CHECK(writer.add(ints) == 64);
    CHECK(le(writer.bytes(), 68, 4) == 14);
    CHECK(le(writer.bytes(), 128, 4) == 1);
    CHECK(le(writer.bytes(), 132, 4) == 0xFFFFFFFE);
    ir::ConstData flags = ir::ConstData::splat({ir::DType::Bool, {3}}, 1);
    CHECK_THAT(errorOf([&] { writer.add(flags); }),
               Catch::Contains("bool[3] constant cannot be stored in a weight blob"));
}

TEST_CASE("the reader rejects corrupt and truncated files with clear messages", "[mil]") {
    SECTION("shorter than the header") {
        std::vector<uint8_t> file(40, 0);
        CHECK_THAT(errorOf([&] { BlobReader(file, "w.bin"); }),
                   Catch::StartsWith("w.bin: truncated: 40 bytes"));
    }
    SECTION("wrong version") {
        auto file = oneBlobFile();
        putLE(file, 4, 3, 4);
        CHECK_THAT(errorOf([&] { BlobReader(file, "w.bin"); }),
                   Catch::Contains("unsupported MILBlob version 3 (expected 2)"));
    }
    SECTION("bad sentinel") {
        auto file = oneBlobFile();
        putLE(file, 64, 0xCAFEBABE, 4);
        BlobReader reader(file, "w.bin");
        CHECK(errorOf([&] { reader.read(64, BlobDType::Float16, 4); }) ==
              "w.bin: blob at offset 64: bad sentinel 0xCAFEBABE (expected 0xDEADBEEF)");
    }
    SECTION("unknown dtype code") {
        auto file = oneBlobFile();
        putLE(file, 68, 99, 4);
        CHECK_THAT(errorOf([&] { BlobReader(file, "w.bin").read(64, BlobDType::Float16, 4); }),
                   Catch::Contains("unknown dtype code 99"));
    }
    SECTION("wrong dtype") {
        BlobReader reader(oneBlobFile(), "w.bin");
        CHECK(errorOf([&] { reader.read(64, BlobDType::Float32, 2); }) ==
              "w.bin: blob at offset 64 holds Float16 data, expected Float32");
    }
    SECTION("wrong element count") {
        BlobReader reader(oneBlobFile(), "w.bin");
        CHECK(errorOf([&] { reader.read(64, BlobDType::Float16, 5); }) ==
              "w.bin: blob at offset 64 holds 8 bytes, expected 10 (5 Float16 elements)");
    }
    SECTION("offset past the end") {
        BlobReader reader(oneBlobFile(), "w.bin");
        CHECK_THAT(errorOf([&] { reader.read(192, BlobDType::Float16, 4); }),
                   Catch::Contains(
                       "blob at offset 192: metadata runs past the end of the file (192 bytes)"));
        CHECK_THAT(errorOf([&] { reader.read(UINT64_MAX - 63, BlobDType::Float16, 4); }),
                   Catch::Contains("past the end of the file"));
    }
    SECTION("offsets inside the header or unaligned") {
        BlobReader reader(oneBlobFile(), "w.bin");
        CHECK_THAT(errorOf([&] { reader.read(0, BlobDType::Float16, 4); }),
                   Catch::Contains("inside the 64-byte file header"));
        CHECK_THAT(errorOf([&] { reader.read(96, BlobDType::Float16, 4); }),
                   Catch::Contains("not a multiple of 64"));
    }
    SECTION("data truncated") {
        std::vector<uint8_t> data(1000, 1);
        BlobWriter writer;
        writer.add(BlobDType::Float16, data);
        auto file = writer.bytes();
        file.resize(600);
        BlobReader reader(file, "w.bin");
        CHECK(errorOf([&] { reader.read(64, BlobDType::Float16, 500); }) ==
              "w.bin: blob at offset 64: 1000 bytes of data at offset 128 run past the end of the "
              "file (600 bytes; truncated?)");
    }
    SECTION("size field so large that offset + size overflows") {
        auto file = oneBlobFile();
        putLE(file, 72, UINT64_MAX - 64, 8);
        CHECK_THAT(errorOf([&] { BlobReader(file, "w.bin").read(64, BlobDType::Float16, 4); }),
                   Catch::Contains("run past the end of the file"));
    }
    SECTION("data offset pointing into the metadata") {
        auto file = oneBlobFile();
        putLE(file, 80, 70, 8);
        CHECK_THAT(errorOf([&] { BlobReader(file, "w.bin").read(64, BlobDType::Float16, 4); }),
                   Catch::Contains("data offset 70 overlaps its own metadata"));
    }
    SECTION("more blobs announced than present") {
        auto file = oneBlobFile();
        putLE(file, 0, 3, 4);
        CHECK(errorOf([&] { BlobReader(file, "w.bin").metadataOffsets(); }) ==
              "w.bin: the header announces 3 blobs, but the file ends after 1");
    }
    SECTION("a tail shorter than one metadata record after the header") {
        // 65 bytes announcing a blob: the old reader read the sentinel past the end (ASan).
        for (size_t size : {65, 66, 67}) {
            std::vector<uint8_t> file(size, 0);
            putLE(file, 0, 1, 4);
            putLE(file, 4, 2, 4);
            CHECK(errorOf([&] { BlobReader(file, "w.bin").metadataOffsets(); }) ==
                  "w.bin: the header announces 1 blobs, but the file ends after 0");
        }
    }
    SECTION("absurd element counts") {
        BlobReader reader(oneBlobFile(), "w.bin");
        CHECK_THAT(errorOf([&] { reader.read(64, BlobDType::Float16, UINT64_MAX / 2); }),
                   Catch::Contains("too large"));
    }
    SECTION("missing file") {
        CHECK_THAT(errorOf([&] { BlobReader::open("/nonexistent/anec/w.bin"); }),
                   Catch::Contains("cannot open weight blob '/nonexistent/anec/w.bin'"));
    }
}
