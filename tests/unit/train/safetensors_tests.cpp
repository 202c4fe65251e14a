// Safetensors checkpoints: round trips, the exact byte layout other tools rely on, a clear error
// for every kind of corrupted file, and writes that never destroy an existing checkpoint.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "runtime/train/safetensors.hpp"
#include "support/diagnostics.hpp"
#include "unit/temp_dir.hpp"

using namespace anec;
using anec::test::TempDir;
using anec::train::readSafetensors;
namespace fs = std::filesystem;

namespace {

// A tensor whose bytes are a recognisable pattern that differs per tensor (`salt`).
runtime::Tensor patterned(ir::DType dtype, ir::Shape shape, int salt) {
    ir::TensorType type{dtype, std::move(shape)};
    std::vector<uint8_t> bytes(static_cast<size_t>(type.byteSize()));
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<uint8_t>(i * 7 + salt);
    if (dtype == ir::DType::Bool)
        for (uint8_t& byte : bytes)
            byte &= 1;
    return runtime::Tensor(type, std::move(bytes));
}

std::string readAll(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string lengthField(uint64_t length) {
    std::string field(8, '\0');
    for (size_t i = 0; i < 8; ++i)
        field[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    return field;
}

// A safetensors file written by hand: the length field, `header` as is, then `data`.
fs::path writeRaw(const TempDir& dir, const std::string& name, const std::string& header,
                  const std::string& data = "") {
    return dir.write(name, lengthField(header.size()) + header + data);
}

// The message readSafetensors throws for `path`, or "" when it reads the file.
std::string readError(const fs::path& path) {
    try {
        readSafetensors(path);
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

std::string writeError(const fs::path& path,
                       const std::vector<std::pair<std::string, const runtime::Tensor*>>& tensors) {
    try {
        train::writeSafetensors(path, tensors);
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

// Names of the files in `dir`, to see that no temporary file is left behind.
std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

TEST_CASE("safetensors round trip keeps every dtype, shape, byte and the metadata",
          "[safetensors]") {
    TempDir dir;
    std::vector<std::pair<std::string, runtime::Tensor>> originals;
    originals.emplace_back("wq_0", patterned(ir::DType::Fp16, {2, 3}, 1));
    originals.emplace_back("norm", patterned(ir::DType::Fp32, {4}, 2));
    originals.emplace_back("step_scale", patterned(ir::DType::Fp64, {}, 3)); // a scalar
    originals.emplace_back("ids", patterned(ir::DType::Int32, {2, 1, 2}, 4));
    originals.emplace_back("u16", patterned(ir::DType::UInt16, {3}, 5));
    originals.emplace_back("mask", patterned(ir::DType::Bool, {5}, 6));
    originals.emplace_back("i64", patterned(ir::DType::Int64, {1}, 7));
    originals.emplace_back("empty", patterned(ir::DType::UInt8, {0, 4}, 8));
    originals.emplace_back("i8", patterned(ir::DType::Int8, {3}, 9));
    originals.emplace_back("i16", patterned(ir::DType::Int16, {1, 1}, 10));
    originals.emplace_back("u32", patterned(ir::DType::UInt32, {2}, 11));
    originals.emplace_back("u64", patterned(ir::DType::UInt64, {1}, 12));
    std::vector<std::pair<std::string, const runtime::Tensor*>> tensors;
    for (const auto& [name, tensor] : originals)
        tensors.emplace_back(name, &tensor);
    std::map<std::string, std::string> metadata{{"step", "1200"}, {"format", "pt"}};

    fs::path path = dir / "ckpt.safetensors";
    train::writeSafetensors(path, tensors, metadata);
    train::SafetensorsFile file = readSafetensors(path);

    CHECK(file.metadata == metadata);
    REQUIRE(file.tensors.size() == originals.size());
    for (size_t i = 0; i < originals.size(); ++i) {
        INFO("tensor " << originals[i].first);
        // Written in the given order and read back in file order: the same order.
        CHECK(file.tensors[i].first == originals[i].first);
        CHECK(file.tensors[i].second.type() == originals[i].second.type());
        std::span<const uint8_t> want = originals[i].second.bytes();
        std::span<const uint8_t> got = file.tensors[i].second.bytes();
        CHECK(std::equal(want.begin(), want.end(), got.begin(), got.end()));
    }
    REQUIRE(file.find("step_scale"));
    CHECK(file.find("step_scale")->type().isScalar());
    CHECK(file.find("step_scale")->bytes().size() == 8);
    CHECK(file.find("missing") == nullptr);
    CHECK(listing(dir.path()) == std::vector<std::string>{"ckpt.safetensors"});
}

TEST_CASE("safetensors without tensors or metadata is an empty header", "[safetensors]") {
    TempDir dir;
    fs::path path = dir / "empty.safetensors";
    train::writeSafetensors(path, {});
    CHECK(readAll(path) == lengthField(8) + "{}      ");
    train::SafetensorsFile file = readSafetensors(path);
    CHECK(file.tensors.empty());
    CHECK(file.metadata.empty());
}

TEST_CASE("safetensors byte layout: length field, JSON header, 8-byte alignment, data",
          "[safetensors]") {
    TempDir dir;
    runtime::Tensor x({ir::DType::Fp32, {2}}, {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0});
    runtime::Tensor y({ir::DType::Fp16, {3}}, {0x00, 0x3c, 0x00, 0x40, 0x00, 0xc2});
    fs::path path = dir / "tiny.safetensors";
    train::writeSafetensors(path, {{"x", &x}, {"y", &y}}, {{"step", "3"}});
    std::string bytes = readAll(path);

    REQUIRE(bytes.size() >= 8);
    uint64_t length = 0;
    for (size_t i = 0; i < 8; ++i)
        length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    CHECK(length % 8 == 0); // so the data section starts 8-byte aligned
    REQUIRE(bytes.size() == 8 + length + 8 + 6);

    std::string header = bytes.substr(8, length);
    std::string json = R"({"__metadata__":{"step":"3"},)"
                       R"("x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("y":{"dtype":"F16","shape":[3],"data_offsets":[8,14]}})";
    // The JSON, then spaces up to the next multiple of 8.
    CHECK(header == json + std::string(length - json.size(), ' '));
    CHECK(length - json.size() < 8);
    nlohmann::json parsed = nlohmann::json::parse(header);
    CHECK(parsed["x"]["data_offsets"] == nlohmann::json::array({0, 8}));
    CHECK(parsed["y"]["shape"] == nlohmann::json::array({3}));
    CHECK(parsed["__metadata__"]["step"] == "3");

    // The data: x's bytes then y's, contiguous, offsets relative to the end of the header.
    std::string data = bytes.substr(8 + length);
    CHECK(data == std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0"
                              "\x00\x3c\x00\x40\x00\xc2",
                              14));
}

TEST_CASE("safetensors files from other writers: tensors in any key order, padding, gaps",
          "[safetensors]") {
    TempDir dir;
    // Keys not in data order, no padding, 2 unused bytes between the tensors.
    fs::path path = writeRaw(dir, "other.safetensors",
                             R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},)"
                             R"("a":{"dtype":"I16","shape":[1],"data_offsets":[0,2]}})",
                             std::string("\x01\x02\xff\xff\x05\x06", 6));
    train::SafetensorsFile file = readSafetensors(path);
    REQUIRE(file.tensors.size() == 2);
    CHECK(file.tensors[0].first == "a"); // sorted by data offset
    CHECK(file.tensors[1].first == "b");
    CHECK(file.tensors[0].second.type().str() == "int16[1]");
    CHECK(file.tensors[1].second.bytes()[1] == 6);
}

TEST_CASE("safetensors reader: file-level errors", "[safetensors]") {
    TempDir dir;
    fs::path missing = dir / "missing.safetensors";
    CHECK(readError(missing) == missing.string() + ": cannot read the file: no such file");
    CHECK(readError(dir.path()) == dir.path().string() + ": not a regular file");

    fs::path tiny = dir.write("tiny.safetensors", "abc");
    CHECK(readError(tiny) ==
          tiny.string() + ": the file has 3 bytes, too few for the 8-byte header length");

    fs::path longHeader = dir.write("long.safetensors", lengthField(100) + "{}");
    CHECK(readError(longHeader) == longHeader.string() +
                                       ": the header length 100 exceeds the 2 bytes after the "
                                       "length field");

    // A header length over the limit in a file that is large enough (sparse, so cheap).
    fs::path huge = dir.write("huge.safetensors", lengthField(200'000'000));
    fs::resize_file(huge, 200'000'100);
    CHECK(readError(huge) == huge.string() +
                                 ": the header length 200000000 exceeds the limit of 100000000 "
                                 "bytes");

    fs::path maxLength = dir.write("max.safetensors", lengthField(~uint64_t{0}) + "{}");
    CHECK(readError(maxLength) == maxLength.string() +
                                      ": the header length 18446744073709551615 exceeds the 2 "
                                      "bytes after the length field");
}

TEST_CASE("safetensors reader: header errors", "[safetensors]") {
    TempDir dir;
    fs::path notJson = writeRaw(dir, "a.safetensors", "{\"x\": ");
    CHECK_THAT(readError(notJson),
               Catch::StartsWith(notJson.string() + ": the header is not valid JSON: parse error"));

    fs::path array = writeRaw(dir, "b.safetensors", "[1, 2]");
    CHECK(readError(array) == array.string() + ": the header is an array in JSON, not an object of "
                                               "tensors");

    // Deep nesting must neither overflow the stack nor be mistaken for tensors.
    fs::path deep =
        writeRaw(dir, "c.safetensors", std::string(200000, '[') + std::string(200000, ']'));
    CHECK(readError(deep) == deep.string() + ": the header is an array in JSON, not an object of "
                                             "tensors");

    fs::path entry = writeRaw(dir, "d.safetensors", R"({"x": 5})");
    CHECK(readError(entry) == entry.string() + ": tensor 'x': the entry is a number, not an object "
                                               "with dtype, shape and data_offsets");

    fs::path metadata = writeRaw(dir, "e.safetensors", R"({"__metadata__": [1]})");
    CHECK(readError(metadata) ==
          metadata.string() + ": __metadata__ is an array, not an object of strings");
    fs::path metadataValue = writeRaw(dir, "f.safetensors", R"({"__metadata__": {"step": 3}})");
    CHECK(readError(metadataValue) ==
          metadataValue.string() + ": __metadata__ 'step' is a number, not a string");

    fs::path duplicate = writeRaw(dir, "g.safetensors",
                                  R"({"wq": {"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                  R"( "wq": {"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                                  "ab");
    CHECK(readError(duplicate) ==
          duplicate.string() + ": tensor 'wq': the name appears twice in the header");
    fs::path twoMetadata =
        writeRaw(dir, "h.safetensors", R"({"__metadata__": {}, "__metadata__": {}})");
    CHECK(readError(twoMetadata) ==
          twoMetadata.string() + ": '__metadata__' appears twice in the header");
}

TEST_CASE("safetensors reader: tensor entry errors", "[safetensors]") {
    TempDir dir;
    // Each case: an entry for tensor 'wq_0' over 16 bytes of data, and the message it gets.
    auto check = [&](const std::string& entry, const std::string& expected) {
        fs::path path =
            writeRaw(dir, "ckpt.safetensors", R"({"wq_0": )" + entry + "}", std::string(16, '\0'));
        INFO(entry);
        CHECK(readError(path) == path.string() + ": tensor 'wq_0': " + expected);
    };
    const std::string known = " (anec reads BOOL, U8, I8, I16, U16, I32, U32, I64, U64, F16, "
                              "F32, F64)";
    check(R"({"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]})", "unknown dtype 'Q7'" + known);
    check(R"({"dtype": "BF16", "shape": [8], "data_offsets": [0, 16]})",
          "dtype BF16 has no anec type" + known);
    check(R"({"dtype": 16, "shape": [8], "data_offsets": [0, 16]})",
          "dtype is a number, not a string");
    check(R"({"shape": [8], "data_offsets": [0, 16]})", "no dtype");
    check(R"({"dtype": "F16", "data_offsets": [0, 16]})", "no shape");
    check(R"({"dtype": "F16", "shape": [8]})", "no data_offsets");
    const std::string rule = "; a shape must be a list of non-negative integers";
    check(R"({"dtype": "F16", "shape": 8, "data_offsets": [0, 16]})", "shape is a number" + rule);
    check(R"({"dtype": "F16", "shape": [2, -4], "data_offsets": [0, 16]})",
          "shape[1] is -4" + rule);
    check(R"({"dtype": "F16", "shape": [2.5], "data_offsets": [0, 16]})",
          "shape[0] is a number" + rule);
    check(R"({"dtype": "F16", "shape": ["8"], "data_offsets": [0, 16]})",
          "shape[0] is a string" + rule);
    check(R"({"dtype": "F16", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]})",
          "the shape has more elements than 64-bit sizes can count");
    // Overflow of a partial product is caught even when a later 0 makes the product 0.
    check(R"({"dtype": "U8", "shape": [4294967296, 4294967296, 0], "data_offsets": [0, 0]})",
          "the shape has more elements than 64-bit sizes can count");
    const std::string pair = "data_offsets must be [begin, end], two non-negative integers";
    check(R"({"dtype": "F16", "shape": [8], "data_offsets": [0]})", pair);
    check(R"({"dtype": "F16", "shape": [8], "data_offsets": [0, 16, 32]})", pair);
    check(R"({"dtype": "F16", "shape": [8], "data_offsets": [-2, 14]})", pair);
    check(R"({"dtype": "F16", "shape": [8], "data_offsets": "0-16"})", pair);
    check(R"({"dtype": "U8", "shape": [0], "data_offsets": [10, 4]})",
          "data_offsets [10, 4] begin after they end");
    check(R"({"dtype": "F16", "shape": [16], "data_offsets": [0, 32]})",
          "data_offsets [0, 32] reach past the 16 bytes of data");
    check(R"({"dtype": "F16", "shape": [2, 4], "data_offsets": [0, 10]})",
          "data_offsets [0, 10] hold 10 bytes, but F16 [2, 4] needs 16");
    check(R"({"dtype": "F64", "shape": [], "data_offsets": [0, 4]})",
          "data_offsets [0, 4] hold 4 bytes, but F64 [] needs 8");
}

TEST_CASE("safetensors reader: overlapping tensors", "[safetensors]") {
    TempDir dir;
    fs::path path = writeRaw(dir, "overlap.safetensors",
                             R"({"a": {"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                             R"( "b": {"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                             std::string(24, '\0'));
    CHECK(readError(path) ==
          path.string() + ": tensor 'b': data_offsets [8, 24] overlap tensor 'a' at [0, 16]");

    // A tensor inside a longer one is caught too, and empty tensors overlap nothing.
    fs::path inside = writeRaw(dir, "inside.safetensors",
                               R"({"a": {"dtype":"U8","shape":[16],"data_offsets":[0,16]},)"
                               R"( "e": {"dtype":"U8","shape":[0],"data_offsets":[4,4]},)"
                               R"( "b": {"dtype":"U8","shape":[2],"data_offsets":[6,8]}})",
                               std::string(16, '\0'));
    CHECK(readError(inside) ==
          inside.string() + ": tensor 'b': data_offsets [6, 8] overlap tensor 'a' at [0, 16]");
    fs::path empties = writeRaw(dir, "empties.safetensors",
                                R"({"a": {"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                                R"( "e": {"dtype":"U8","shape":[0],"data_offsets":[2,2]}})",
                                std::string(4, '\0'));
    CHECK(readError(empties) == "");
}

TEST_CASE("safetensors reader: any truncation or corruption is an anec::Error or a valid read",
          "[safetensors]") {
    TempDir dir;
    runtime::Tensor a = patterned(ir::DType::Fp16, {2, 3}, 1);
    runtime::Tensor b = patterned(ir::DType::Int32, {}, 2);
    fs::path good = dir / "good.safetensors";
    train::writeSafetensors(good, {{"a", &a}, {"b", &b}}, {{"k", "v"}});
    std::string bytes = readAll(good);
    auto survives = [&](const std::string& contents) {
        fs::path path = dir.write("bad.safetensors", contents);
        try {
            readSafetensors(path);
        } catch (const Error&) {
        }
    };
    for (size_t size = 0; size < bytes.size(); ++size)
        CHECK_NOTHROW(survives(bytes.substr(0, size)));
    for (size_t i = 0; i < bytes.size(); ++i)
        for (unsigned flip : {0x01u, 0x20u, 0x80u, 0xffu}) {
            std::string corrupted = bytes;
            corrupted[i] = static_cast<char>(corrupted[i] ^ flip);
            CHECK_NOTHROW(survives(corrupted));
        }
}

TEST_CASE("safetensors writer rejects what it cannot store before touching the file",
          "[safetensors]") {
    TempDir dir;
    fs::path path = dir / "ckpt.safetensors";
    runtime::Tensor x = patterned(ir::DType::Fp16, {2}, 1);
    runtime::Tensor text(ir::TensorType{ir::DType::String, {2}});
    CHECK(writeError(path, {{"x", &x}, {"x", &x}}) ==
          path.string() + ": tensor 'x': the name is given twice");
    CHECK(writeError(path, {{"__metadata__", &x}}) ==
          path.string() + ": '__metadata__' is reserved for the metadata and cannot name a tensor");
    CHECK(writeError(path, {{"x", nullptr}}) ==
          path.string() + ": tensor 'x': no tensor given (null pointer)");
    CHECK(writeError(path, {{"s", &text}}) ==
          path.string() + ": tensor 's': a string[2] tensor cannot be stored");
    runtime::Tensor unset; // a type (fp16 scalar) but no bytes
    CHECK(writeError(path, {{"u", &unset}}) ==
          path.string() + ": tensor 'u': holds 0 bytes, but fp16 needs 2");
    CHECK(writeError(path, {{std::string("\xff\xfe"), &x}}) ==
          path.string() + ": tensor names and metadata must be valid UTF-8");
    CHECK(listing(dir.path()).empty());
}

TEST_CASE("safetensors writes are atomic: a failed write leaves nothing or the old file",
          "[safetensors]") {
    TempDir dir;
    runtime::Tensor oldTensor = patterned(ir::DType::Fp32, {3}, 1);
    runtime::Tensor newTensor = patterned(ir::DType::Fp32, {5}, 2);

    SECTION("into a directory that does not exist") {
        fs::path path = dir / "missing" / "ckpt.safetensors";
        CHECK_THAT(writeError(path, {{"w", &newTensor}}),
                   Catch::StartsWith(path.string() + ": cannot create " + path.string() + ".tmp-"));
        CHECK(listing(dir.path()).empty());
    }

    fs::path path = dir / "ckpt.safetensors";
    train::writeSafetensors(path, {{"w", &oldTensor}});
    std::string oldBytes = readAll(path);

    SECTION("the temporary file cannot be created: the old file survives") {
        // A directory where the temporary file would go makes creating it fail; it is not ours
        // to remove, so it stays too.
        fs::path blocker = path.string() + ".tmp-" + std::to_string(::getpid());
        fs::create_directory(blocker);
        CHECK_THAT(writeError(path, {{"w", &newTensor}}),
                   Catch::StartsWith(path.string() + ": cannot create " + blocker.string()));
        CHECK(readAll(path) == oldBytes);
        CHECK(fs::is_directory(blocker));
    }

    SECTION("the rename fails: the temporary file is removed") {
        // Renaming a file over a non-empty directory fails after all the data was written.
        fs::path target = dir / "taken";
        fs::create_directories(target / "inside");
        CHECK_THAT(writeError(target, {{"w", &newTensor}}),
                   Catch::StartsWith(target.string() + ": cannot replace the file with " +
                                     target.string() + ".tmp-"));
        CHECK(fs::is_directory(target / "inside"));
        CHECK(listing(dir.path()) == std::vector<std::string>{"ckpt.safetensors", "taken"});
        CHECK(readAll(path) == oldBytes);
    }

    SECTION("a rejected request leaves the old file") {
        CHECK_FALSE(writeError(path, {{"w", &newTensor}, {"w", &newTensor}}).empty());
        CHECK(readAll(path) == oldBytes);
    }

    SECTION("a successful write replaces the file and leaves no temporary file") {
        train::writeSafetensors(path, {{"w", &newTensor}});
        train::SafetensorsFile file = readSafetensors(path);
        REQUIRE(file.find("w"));
        CHECK(file.find("w")->type().str() == "fp32[5]");
        CHECK(listing(dir.path()) == std::vector<std::string>{"ckpt.safetensors"});
    }
}
