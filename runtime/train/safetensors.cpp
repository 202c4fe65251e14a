#include "runtime/train/safetensors.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/diagnostics.hpp"

namespace anec::train {

namespace {

// The safetensors reference implementation refuses larger headers; so do we, so that a corrupted
// length field cannot make us read (and parse) an arbitrary amount of the file as JSON.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeName {
    ir::DType dtype;
    std::string_view name;
};

// Every ir::DType with a safetensors spelling (String has none: it has no fixed element size).
constexpr std::array<DTypeName, 12> kDTypeNames{{
    {ir::DType::Bool, "BOOL"},
    {ir::DType::UInt8, "U8"},
    {ir::DType::Int8, "I8"},
    {ir::DType::Int16, "I16"},
    {ir::DType::UInt16, "U16"},
    {ir::DType::Int32, "I32"},
    {ir::DType::UInt32, "U32"},
    {ir::DType::Int64, "I64"},
    {ir::DType::UInt64, "U64"},
    {ir::DType::Fp16, "F16"},
    {ir::DType::Fp32, "F32"},
    {ir::DType::Fp64, "F64"},
}};

// Dtypes other safetensors writers produce that anec has no type for: named as such in errors, so
// that "BF16" does not read as a corrupted file.
constexpr std::array<std::string_view, 3> kForeignDTypes{"BF16", "F8_E4M3", "F8_E5M2"};

std::optional<std::string_view> safetensorsName(ir::DType dtype) {
    for (const DTypeName& entry : kDTypeNames)
        if (entry.dtype == dtype) return entry.name;
    return std::nullopt;
}

std::optional<ir::DType> irDType(std::string_view name) {
    for (const DTypeName& entry : kDTypeNames)
        if (entry.name == name) return entry.dtype;
    return std::nullopt;
}

std::string knownDTypeList() {
    std::string list;
    for (const DTypeName& entry : kDTypeNames)
        list += (list.empty() ? "" : ", ") + std::string(entry.name);
    return list;
}

// "[2, 4]": the spelling of shapes in safetensors headers (and Python), used in messages.
std::string shapeText(const ir::Shape& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

std::string offsetsText(uint64_t begin, uint64_t end) {
    return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& message) {
    throw Error(path.string() + ": " + message);
}

[[noreturn]] void failTensor(const std::filesystem::path& path, const std::string& name,
                             const std::string& message) {
    fail(path, "tensor '" + name + "': " + message);
}

// ---- Writing ----

// Everything that can be wrong with the request itself is reported before any file is touched.
void checkTensorsWritable(
    const std::filesystem::path& path,
    const std::vector<std::pair<std::string, const runtime::Tensor*>>& tensors) {
    std::set<std::string> names;
    for (const auto& [name, tensor] : tensors) {
        if (name == kMetadataKey)
            fail(path, "'__metadata__' is reserved for the metadata and cannot name a tensor");
        if (!names.insert(name).second) failTensor(path, name, "the name is given twice");
        if (!tensor) failTensor(path, name, "no tensor given (null pointer)");
        if (!safetensorsName(tensor->type().dtype))
            failTensor(path, name, "a " + tensor->type().str() + " tensor cannot be stored");
        if (!tensor->type().isStatic())
            failTensor(path, name, "the shape " + shapeText(tensor->type().shape) + " is dynamic");
        // A default-constructed Tensor has a type but no bytes: it would write an unreadable file.
        if (static_cast<int64_t>(tensor->bytes().size()) != tensor->type().byteSize())
            failTensor(path, name,
                       "holds " + std::to_string(tensor->bytes().size()) + " bytes, but " +
                           tensor->type().str() + " needs " +
                           std::to_string(tensor->type().byteSize()));
    }
}

// The JSON header, padded with spaces to a multiple of 8 bytes so that the data section (which
// starts after the 8-byte length) is 8-byte aligned and can be memory-mapped as any dtype.
std::string buildHeader(const std::filesystem::path& path,
                        const std::vector<std::pair<std::string, const runtime::Tensor*>>& tensors,
                        const std::map<std::string, std::string>& metadata) {
    // ordered_json keeps the tensors in file order, which makes the header easy to read.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
    uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        uint64_t size = tensor->bytes().size();
        header[name] = {{"dtype", *safetensorsName(tensor->type().dtype)},
                        {"shape", tensor->type().shape},
                        {"data_offsets", {offset, offset + size}}};
        offset += size;
    }
    std::string text;
    try {
        text = header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::strict);
    } catch (const nlohmann::ordered_json::type_error&) {
        fail(path, "tensor names and metadata must be valid UTF-8");
    }
    text.append((8 - text.size() % 8) % 8, ' ');
    return text;
}

// The temporary file of an atomic write; removed unless the write committed it by renaming it.
class TempFile {
  public:
    explicit TempFile(std::filesystem::path path) : path_(std::move(path)) {}
    ~TempFile() {
        std::error_code ignored;
        if (created_) std::filesystem::remove(path_, ignored);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Called once the file is open, so that only a file this write created is ever removed (not,
    // say, a directory of that name that made the open fail).
    void markCreated() { created_ = true; }
    void markRenamed() { created_ = false; }

  private:
    std::filesystem::path path_;
    bool created_ = false;
};

std::string errnoText() {
    return std::strerror(errno);
}

// Forces the temporary file's bytes to the disk before the rename, so that a crash cannot leave
// the new name pointing at a file whose data never reached the disk (at worst the rename is lost
// and the previous checkpoint remains).
bool syncToDisk(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY);
    if (fd < 0) return false;
    bool ok = ::fsync(fd) == 0;
    return ::close(fd) == 0 && ok;
}

void writeContents(TempFile& temp, const std::filesystem::path& path, const std::string& header,
                   const std::vector<std::pair<std::string, const runtime::Tensor*>>& tensors) {
    std::ofstream out(temp.path(), std::ios::binary | std::ios::trunc);
    if (!out) fail(path, "cannot create " + temp.path().string() + ": " + errnoText());
    temp.markCreated(); // from here on a failure removes the partial file
    std::array<char, 8> length{};
    for (size_t i = 0; i < 8; ++i)
        length[i] = static_cast<char>((static_cast<uint64_t>(header.size()) >> (8 * i)) & 0xff);
    out.write(length.data(), length.size());
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const auto& [name, tensor] : tensors) {
        std::span<const uint8_t> bytes = tensor->bytes();
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
    }
    out.flush();
    if (!out) fail(path, "cannot write " + temp.path().string() + ": " + errnoText());
    out.close();
    if (!out) fail(path, "cannot close " + temp.path().string() + ": " + errnoText());
}

// ---- Reading ----

struct Entry {
    std::string name;
    ir::TensorType type;
    uint64_t begin = 0;
    uint64_t end = 0;
};

uint64_t littleEndian64(const std::array<unsigned char, 8>& bytes) {
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i)
        value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    return value;
}

uint64_t regularFileSize(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::file_status status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) fail(path, "cannot read the file: no such file");
    if (!std::filesystem::is_regular_file(status)) fail(path, "not a regular file");
    uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) fail(path, "cannot read the file size: " + ec.message());
    return size;
}

// Reads exactly `size` bytes at `offset`; the caller has checked that they lie inside the file.
void readAt(std::ifstream& in, const std::filesystem::path& path, uint64_t offset, char* data,
            uint64_t size, const std::string& what) {
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(data, static_cast<std::streamsize>(size));
    if (!in || static_cast<uint64_t>(in.gcount()) != size)
        fail(path, "the file ended while reading " + what + " (was it changed while being read?)");
}

// "a number", "an array", "null": what a JSON value is, for messages.
std::string describe(const nlohmann::json& value) {
    if (value.is_null()) return "null";
    std::string type = value.type_name();
    bool vowel = std::string_view("aeiou").find(type.front()) != std::string_view::npos;
    return (vowel ? "an " : "a ") + type;
}

// "[json.exception.parse_error.101] parse error at ..." without the library's bracketed tag.
std::string jsonMessage(const std::exception& error) {
    std::string_view text = error.what();
    if (text.starts_with("[json.exception.")) {
        size_t close = text.find("] ");
        if (close != std::string_view::npos) text.remove_prefix(close + 2);
    }
    return std::string(text);
}

// Parses the header. nlohmann::json keeps only the last of two equal keys, so the top-level keys
// are collected while parsing to report a tensor named twice instead of silently dropping one.
nlohmann::json parseHeader(const std::filesystem::path& path, const std::string& text) {
    std::set<std::string> seen;
    std::optional<std::string> duplicate;
    auto onEvent = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (depth == 1 && event == nlohmann::json::parse_event_t::key && parsed.is_string() &&
            !seen.insert(parsed.get<std::string>()).second && !duplicate)
            duplicate = parsed.get<std::string>();
        return true;
    };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(text, onEvent);
    } catch (const nlohmann::json::exception& error) {
        fail(path, "the header is not valid JSON: " + jsonMessage(error));
    }
    if (!header.is_object())
        fail(path, "the header is " + describe(header) + " in JSON, not an object of tensors");
    if (duplicate) {
        if (*duplicate == kMetadataKey) fail(path, "'__metadata__' appears twice in the header");
        failTensor(path, *duplicate, "the name appears twice in the header");
    }
    return header;
}

std::map<std::string, std::string> parseMetadata(const std::filesystem::path& path,
                                                 const nlohmann::json& value) {
    if (!value.is_object())
        fail(path, "__metadata__ is " + describe(value) + ", not an object of strings");
    std::map<std::string, std::string> metadata;
    for (const auto& [key, item] : value.items()) {
        if (!item.is_string())
            fail(path, "__metadata__ '" + key + "' is " + describe(item) + ", not a string");
        metadata[key] = item.get<std::string>();
    }
    return metadata;
}

ir::DType parseDType(const std::filesystem::path& path, const std::string& name,
                     const nlohmann::json& entry) {
    if (!entry.contains("dtype")) failTensor(path, name, "no dtype");
    const nlohmann::json& value = entry["dtype"];
    if (!value.is_string())
        failTensor(path, name, "dtype is " + describe(value) + ", not a string");
    std::string dtype = value.get<std::string>();
    if (std::optional<ir::DType> known = irDType(dtype)) return *known;
    if (std::find(kForeignDTypes.begin(), kForeignDTypes.end(), dtype) != kForeignDTypes.end())
        failTensor(path, name,
                   "dtype " + dtype + " has no anec type (anec reads " + knownDTypeList() + ")");
    failTensor(path, name, "unknown dtype '" + dtype + "' (anec reads " + knownDTypeList() + ")");
}

// The shape and its element count. Every partial product is checked, so that no later step (here
// or in ir::TensorType::numElements) can overflow, even for a shape that also contains a 0.
ir::Shape parseShape(const std::filesystem::path& path, const std::string& name,
                     const nlohmann::json& entry, ir::DType dtype) {
    if (!entry.contains("shape")) failTensor(path, name, "no shape");
    const nlohmann::json& value = entry["shape"];
    const std::string rule = "a shape must be a list of non-negative integers";
    if (!value.is_array()) failTensor(path, name, "shape is " + describe(value) + "; " + rule);
    ir::Shape shape;
    const uint64_t maxElements =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / ir::dtypeSize(dtype);
    uint64_t elements = 1;
    for (size_t i = 0; i < value.size(); ++i) {
        const nlohmann::json& dim = value[i];
        std::string where = "shape[" + std::to_string(i) + "] ";
        if (dim.is_number_integer() && !dim.is_number_unsigned())
            failTensor(path, name,
                       where + "is " + std::to_string(dim.get<int64_t>()) + "; " + rule);
        if (!dim.is_number_unsigned())
            failTensor(path, name, where + "is " + describe(dim) + "; " + rule);
        uint64_t size = dim.get<uint64_t>();
        if (size != 0 && elements > maxElements / size)
            failTensor(path, name, "the shape has more elements than 64-bit sizes can count");
        elements *= size;
        shape.push_back(static_cast<int64_t>(size));
    }
    return shape;
}

Entry parseEntry(const std::filesystem::path& path, const std::string& name,
                 const nlohmann::json& entry, uint64_t dataSize) {
    if (!entry.is_object())
        failTensor(path, name,
                   "the entry is " + describe(entry) +
                       ", not an object with dtype, shape and data_offsets");
    Entry result;
    result.name = name;
    result.type.dtype = parseDType(path, name, entry);
    result.type.shape = parseShape(path, name, entry, result.type.dtype);
    if (!entry.contains("data_offsets")) failTensor(path, name, "no data_offsets");
    const nlohmann::json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
        failTensor(path, name, "data_offsets must be [begin, end], two non-negative integers");
    result.begin = offsets[0].get<uint64_t>();
    result.end = offsets[1].get<uint64_t>();
    std::string given = "data_offsets " + offsetsText(result.begin, result.end);
    if (result.begin > result.end) failTensor(path, name, given + " begin after they end");
    if (result.end > dataSize)
        failTensor(path, name,
                   given + " reach past the " + std::to_string(dataSize) + " bytes of data");
    uint64_t needed = static_cast<uint64_t>(result.type.byteSize());
    if (result.end - result.begin != needed)
        failTensor(path, name,
                   given + " hold " + std::to_string(result.end - result.begin) + " bytes, but " +
                       std::string(*safetensorsName(result.type.dtype)) + " " +
                       shapeText(result.type.shape) + " needs " + std::to_string(needed));
    return result;
}

// Sorts the entries into file order and rejects two tensors sharing bytes (an empty tensor
// occupies no bytes and overlaps nothing). Gaps between tensors are allowed.
void sortAndCheckOverlaps(const std::filesystem::path& path, std::vector<Entry>& entries) {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
    });
    const Entry* last = nullptr; // the non-empty tensor reaching furthest so far
    for (const Entry& entry : entries) {
        if (entry.begin == entry.end) continue;
        if (last && entry.begin < last->end)
            failTensor(path, entry.name,
                       "data_offsets " + offsetsText(entry.begin, entry.end) + " overlap tensor '" +
                           last->name + "' at " + offsetsText(last->begin, last->end));
        if (!last || entry.end > last->end) last = &entry;
    }
}

} // namespace

void writeSafetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, const runtime::Tensor*>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    checkTensorsWritable(path, tensors);
    std::string header = buildHeader(path, tensors, metadata);
    // Same directory as the target, so that the rename stays on one file system and is atomic;
    // the pid keeps two processes writing the same checkpoint from sharing a temporary file.
    TempFile temp(path.string() + ".tmp-" + std::to_string(::getpid()));
    writeContents(temp, path, header, tensors);
    if (!syncToDisk(temp.path()))
        fail(path, "cannot flush " + temp.path().string() + " to the disk: " + errnoText());
    std::error_code ec;
    std::filesystem::rename(temp.path(), path, ec);
    if (ec)
        fail(path, "cannot replace the file with " + temp.path().string() + ": " + ec.message());
    temp.markRenamed();
}

const runtime::Tensor* SafetensorsFile::find(const std::string& name) const {
    for (const auto& [tensorName, tensor] : tensors)
        if (tensorName == name) return &tensor;
    return nullptr;
}

SafetensorsFile readSafetensors(const std::filesystem::path& path) {
    uint64_t fileSize = regularFileSize(path);
    if (fileSize < 8)
        fail(path, "the file has " + std::to_string(fileSize) +
                       " bytes, too few for the 8-byte header length");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, "cannot open the file: " + errnoText());
    std::array<unsigned char, 8> lengthBytes{};
    readAt(in, path, 0, reinterpret_cast<char*>(lengthBytes.data()), 8, "the header length");
    uint64_t headerSize = littleEndian64(lengthBytes);
    if (headerSize > fileSize - 8)
        fail(path, "the header length " + std::to_string(headerSize) + " exceeds the " +
                       std::to_string(fileSize - 8) + " bytes after the length field");
    if (headerSize > kMaxHeaderBytes)
        fail(path, "the header length " + std::to_string(headerSize) + " exceeds the limit of " +
                       std::to_string(kMaxHeaderBytes) + " bytes");
    std::string headerText(headerSize, '\0');
    readAt(in, path, 8, headerText.data(), headerSize, "the header");
    nlohmann::json header = parseHeader(path, headerText);
    headerText = std::string();

    const uint64_t dataStart = 8 + headerSize;
    const uint64_t dataSize = fileSize - dataStart;
    SafetensorsFile file;
    std::vector<Entry> entries;
    for (const auto& [name, value] : header.items()) {
        if (name == kMetadataKey)
            file.metadata = parseMetadata(path, value);
        else
            entries.push_back(parseEntry(path, name, value, dataSize));
    }
    sortAndCheckOverlaps(path, entries);
    // Only now, with every range inside the data section and none overlapping, are the tensors'
    // bytes allocated: together they are at most the file's size.
    for (Entry& entry : entries) {
        std::vector<uint8_t> bytes(entry.end - entry.begin);
        readAt(in, path, dataStart + entry.begin, reinterpret_cast<char*>(bytes.data()),
               bytes.size(), "tensor '" + entry.name + "'");
        file.tensors.emplace_back(entry.name, runtime::Tensor(entry.type, std::move(bytes)));
    }
    return file;
}

} // namespace anec::train
