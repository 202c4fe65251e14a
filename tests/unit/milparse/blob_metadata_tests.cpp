// Blob metadata that disagrees with the MIL declaration of its BLOBFILE reference, as public ANE
// code writes it (a data offset of 0, a size field or a dtype code other than the declared
// type's): read as declared with a warning saying what was assumed, an error with --strict
// (mil::ReadOptions::strict), and data missing from the file an error either way.
#include "unit/milparse/milparse_test_support.hpp"

using namespace anec;
using namespace anec::milparse::test;
using Messages = std::vector<std::string>;

namespace {

constexpr uint64_t kMetadata = 64; // the blob's metadata in weightBlob()

void putLE(std::vector<uint8_t>& file, size_t at, uint64_t value, unsigned width) {
    for (unsigned i = 0; i < width; ++i)
        file[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

// weightBlob() with one metadata field (+4 dtype, +8 size, +16 data offset) overwritten.
std::vector<uint8_t> blobWith(size_t field, uint64_t value, unsigned width) {
    std::vector<uint8_t> blob = weightBlob();
    putLE(blob, kMetadata + field, value, width);
    return blob;
}

std::string warningAt(const std::string& message,
                      const std::string& type = "tensor<fp16, [2, 2]>") {
    return at(4, blobColumn(type), "weights/w.bin: blob at offset 64: " + message, "warning");
}

std::string errorAt(const std::string& message, const std::string& type = "tensor<fp16, [2, 2]>") {
    return at(4, blobColumn(type), "weights/w.bin: " + message);
}

// The error for `bytes` bytes of data at offset 128 that a file of `fileSize` bytes lacks.
std::string pastTheEnd(uint64_t bytes, size_t fileSize,
                       const std::string& type = "tensor<fp16, [2, 2]>") {
    return errorAt("blob at offset 64: " + std::to_string(bytes) +
                       " bytes of data at offset 128 run past the end of the file (" +
                       std::to_string(fileSize) + " bytes; truncated?)",
                   type);
}

// The weight the kernel adds to its input.
std::vector<double> weightValues(const Parsed& parsed) {
    const ir::Op& add = *findOp(onlyKernel(parsed), "add");
    return add.operands[1]->definingOp->constData->toDoubles();
}

// What reading `blob` as `type` reports: lenient (with its warnings), strict, and truncated to
// `truncatedSize` bytes (an error either way).
struct Outcome {
    Messages lenient;
    std::vector<double> values;
    Messages strict;
    Messages truncated, truncatedStrict;
};

Outcome read(const std::vector<uint8_t>& blob, size_t truncatedSize,
             const std::string& type = "tensor<fp16, [2, 2]>") {
    TempDir dir;
    std::string text = weightProgram("@model_path/weights/w.bin", "64", type);
    writeFile(dir / "weights/w.bin", blob);
    Outcome outcome;
    auto lenient = parse(text, dir.path());
    outcome.lenient = lenient->messages();
    if (lenient->module) outcome.values = weightValues(*lenient);
    outcome.strict = errors(text, dir.path(), kStrict);
    writeFile(dir / "weights/w.bin",
              std::vector<uint8_t>(blob.begin(), blob.begin() + static_cast<long>(truncatedSize)));
    outcome.truncated = errors(text, dir.path());
    outcome.truncatedStrict = errors(text, dir.path(), kStrict);
    return outcome;
}

const std::vector<double> kValues{1, 2, 3, 4};

} // namespace

TEST_CASE("a data offset of 0: the data is assumed right after the metadata", "[milparse][blob]") {
    Outcome outcome = read(blobWith(16, 0, 8), 130);
    CHECK(outcome.lenient ==
          Messages{warningAt("the metadata's data offset is 0; assumed the data follows the "
                             "metadata, at offset 128")});
    CHECK(outcome.values == kValues);
    CHECK(outcome.strict ==
          Messages{errorAt("blob at offset 64: data offset 0 overlaps its own metadata")});
    CHECK(outcome.truncated == Messages{pastTheEnd(8, 130)});
    CHECK(outcome.truncatedStrict ==
          Messages{errorAt("blob at offset 64: data offset 0 overlaps its own metadata")});
}

TEST_CASE("a size field other than the declared type's: the declared size is read",
          "[milparse][blob]") {
    SECTION("larger than the file, as the benchmark that writes 512-channel sizes for every "
            "weight") {
        Outcome outcome = read(blobWith(8, 524288, 8), 134);
        CHECK(outcome.lenient == Messages{warningAt("the metadata says 524288 bytes; read 8 (4 "
                                                    "Float16 elements), the declared size")});
        CHECK(outcome.values == kValues);
        CHECK(outcome.strict == Messages{pastTheEnd(524288, 192)});
        CHECK(outcome.truncated == Messages{pastTheEnd(8, 134)});
        CHECK(outcome.truncatedStrict == Messages{pastTheEnd(524288, 134)});
    }
    SECTION("smaller") {
        Outcome outcome = read(blobWith(8, 4, 8), 134);
        CHECK(outcome.lenient == Messages{warningAt("the metadata says 4 bytes; read 8 (4 Float16 "
                                                    "elements), the declared size")});
        CHECK(outcome.values == kValues);
        CHECK(outcome.strict == Messages{errorAt("blob at offset 64 holds 4 bytes, expected 8 (4 "
                                                 "Float16 elements)")});
        CHECK(outcome.truncated == Messages{pastTheEnd(8, 134)});
        CHECK(outcome.truncatedStrict == outcome.strict);
    }
    SECTION("a declared type larger than the data: the bytes after it (padding) are read") {
        std::string larger = "tensor<fp16, [2, 3]>";
        Outcome outcome = read(weightBlob(), 138, larger);
        CHECK(outcome.lenient ==
              Messages{warningAt("the metadata says 8 bytes; read 12 (6 Float16 elements), the "
                                 "declared size",
                                 larger)});
        CHECK(outcome.values == std::vector<double>{1, 2, 3, 4, 0, 0});
        CHECK(outcome.strict == Messages{errorAt("blob at offset 64 holds 8 bytes, expected 12 (6 "
                                                 "Float16 elements)",
                                                 larger)});
        CHECK(outcome.truncated == Messages{pastTheEnd(12, 138, larger)});
        CHECK(outcome.truncatedStrict == outcome.strict);
    }
}

TEST_CASE("a dtype code other than the declared type's: the declared type is read",
          "[milparse][blob]") {
    SECTION("another known code") {
        Outcome outcome = read(blobWith(4, 2, 4), 130); // Float32
        CHECK(outcome.lenient == Messages{warningAt("the metadata says Float32 data; read as "
                                                    "Float16, the declared type")});
        CHECK(outcome.values == kValues);
        CHECK(outcome.strict ==
              Messages{errorAt("blob at offset 64 holds Float32 data, expected Float16")});
        CHECK(outcome.truncated == Messages{pastTheEnd(8, 130)});
        CHECK(outcome.truncatedStrict == Messages{pastTheEnd(8, 130)});
    }
    SECTION("an unknown code") {
        Outcome outcome = read(blobWith(4, 99, 4), 130);
        CHECK(outcome.lenient == Messages{warningAt("unknown dtype code 99; read as Float16, the "
                                                    "declared type")});
        CHECK(outcome.values == kValues);
        CHECK(outcome.strict == Messages{errorAt("blob at offset 64: unknown dtype code 99")});
        CHECK(outcome.truncated == Messages{pastTheEnd(8, 130)});
        CHECK(outcome.truncatedStrict == outcome.strict);
    }
    SECTION("fp16 data declared fp32: dtype and size disagree, both are said") {
        std::string fp32 = "tensor<fp32, [2, 2]>";
        Outcome outcome = read(weightBlob(), 140, fp32);
        CHECK(outcome.lenient ==
              Messages{warningAt("the metadata says Float16 data; read as Float32, the declared "
                                 "type",
                                 fp32),
                       warningAt("the metadata says 8 bytes; read 16 (4 Float32 elements), the "
                                 "declared size",
                                 fp32)});
        CHECK(outcome.strict ==
              Messages{errorAt("blob at offset 64 holds Float16 data, expected Float32", fp32)});
        CHECK(outcome.truncated == Messages{pastTheEnd(16, 140, fp32)});
        CHECK(outcome.truncatedStrict == outcome.strict);
    }
}

TEST_CASE("a weight file as a public ANE benchmark writes it reads with warnings",
          "[milparse][blob]") {
    // Two fp16 [2, 2] weights, each 64 bytes of metadata followed by its data; the header
    // counts one blob, no data offsets, and every size field says 32 bytes.
    std::vector<uint8_t> file(64 + 2 * (64 + 64), 0);
    putLE(file, 0, 1, 4);
    putLE(file, 4, 2, 4);
    for (size_t blob = 0; blob < 2; ++blob) {
        size_t metadata = 64 + blob * 128;
        putLE(file, metadata, 0xDEADBEEF, 4);
        putLE(file, metadata + 4, 1, 4);
        putLE(file, metadata + 8, 32, 8);
    }
    // 1, 2, 3, 4 and 5, 6, 7, 8 in fp16.
    const uint16_t halves[8] = {0x3C00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600, 0x4700, 0x4800};
    for (size_t i = 0; i < 8; ++i)
        putLE(file, 64 + (i / 4) * 128 + 64 + 2 * (i % 4), halves[i], 2);
    TempDir dir;
    writeFile(dir / "weights/weight.bin", file);
    std::string weight = "tensor<fp16, [2, 2]>";
    auto constLine = [&](const std::string& name, int offset) {
        return "        " + weight + " " + name + " = const()[name = string(\"" + name +
               "\"), val = " + weight +
               "(BLOBFILE(path = string(\"@model_path/weights/weight.bin\"), offset = uint64(" +
               std::to_string(offset) + ")))];\n";
    };
    std::string text = program(weight + " x",
                               constLine("W0", 64) + constLine("W1", 192) + "        " + weight +
                                   " a = add(x = x, y = W0)[name = string(\"a\")];\n        " +
                                   weight + " y = add(x = a, y = W1)[name = string(\"y\")];\n",
                               "y");
    auto parsed = parseOk(text, dir.path());
    const uint32_t column = static_cast<uint32_t>(constLine("W0", 64).find("BLOBFILE") + 1);
    auto warning = [&](uint32_t line, const std::string& offset, const std::string& data) {
        return Messages{
            at(line, column,
               "weights/weight.bin: blob at offset " + offset +
                   ": the metadata's data offset is 0; assumed the data follows the metadata, at "
                   "offset " +
                   data,
               "warning"),
            at(line, column,
               "weights/weight.bin: blob at offset " + offset +
                   ": the metadata says 32 bytes; read 8 (4 Float16 elements), the declared size",
               "warning")};
    };
    Messages expected = warning(4, "64", "128");
    for (const std::string& m : warning(5, "192", "256"))
        expected.push_back(m);
    CHECK(parsed->messages() == expected);
    const ir::Kernel& kernel = onlyKernel(*parsed);
    CHECK(findOp(kernel, "add", 0)->operands[1]->definingOp->constData->toDoubles() ==
          std::vector<double>{1, 2, 3, 4});
    CHECK(findOp(kernel, "add", 1)->operands[1]->definingOp->constData->toDoubles() ==
          std::vector<double>{5, 6, 7, 8});
    auto overlap = [&](uint32_t line, const std::string& offset) {
        return at(line, column,
                  "weights/weight.bin: blob at offset " + offset +
                      ": data offset 0 overlaps its own metadata");
    };
    CHECK(errors(text, dir.path(), kStrict) == Messages{overlap(4, "64"), overlap(5, "192")});
}
