#include "mil/mil_blobs.hpp"

#include <fstream>
#include <iterator>

namespace anec::mil {

namespace fs = std::filesystem;

namespace {
// The path below the model directory, normalised; nullopt when it would leave the directory.
std::optional<fs::path> relativeModelPath(std::string_view relative) {
    if (relative.empty()) return std::nullopt;
    fs::path path = fs::path(relative).lexically_normal();
    if (path.empty() || path.is_absolute() || path.has_root_name() || path.has_root_directory())
        return std::nullopt;
    if (*path.begin() == "..") return std::nullopt;
    return path;
}
} // namespace

const BlobFiles::File* BlobFiles::open(const std::string& path, SourceLoc loc) {
    if (!path.starts_with(kModelPathPrefix)) {
        diagnostics_.error(loc, "BLOBFILE path '" + path + "' must start with '" +
                                    std::string(kModelPathPrefix) + "'");
        return nullptr;
    }
    auto relative = relativeModelPath(std::string_view(path).substr(kModelPathPrefix.size()));
    if (!relative || relative->filename().empty()) {
        diagnostics_.error(loc, "BLOBFILE path '" + path +
                                    "' does not name a file inside the model directory");
        return nullptr;
    }
    std::string key = relative->generic_string();
    if (auto known = files_.find(key); known != files_.end())
        return known->second.reader ? &known->second : nullptr; // errors reported once per file

    File& file = files_[key];
    file.stem = relative->stem().string();
    fs::path resolved = modelDir_ / *relative;
    std::error_code ec;
    fs::file_status status = fs::status(resolved, ec);
    if (!fs::exists(status)) {
        diagnostics_.error(loc, "weight file '" + key + "' does not exist (looked for '" +
                                    resolved.string() + "')");
        return nullptr;
    }
    if (!fs::is_regular_file(status)) {
        diagnostics_.error(loc, "weight file '" + key + "' is not a regular file");
        return nullptr;
    }
    std::ifstream in(resolved, std::ios::binary);
    std::vector<uint8_t> bytes;
    if (in.is_open())
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.is_open() || in.bad()) {
        diagnostics_.error(loc, "cannot read weight file '" + key + "'");
        return nullptr;
    }
    try {
        file.reader.emplace(std::move(bytes), key);
    } catch (const Error& e) {
        diagnostics_.error(loc, e.what());
        return nullptr;
    }
    return &file;
}

std::shared_ptr<const ir::ConstData> BlobFiles::load(const std::string& path, uint64_t offset,
                                                     const ir::TensorType& type, SourceLoc loc) {
    auto dtype = blobDTypeFor(type.dtype);
    if (!dtype) {
        diagnostics_.error(loc, "a " + type.milStr() + " constant cannot be read from a weight " +
                                    "blob (" + std::string(ir::dtypeName(type.dtype)) +
                                    " has no MILBlob type)");
        return nullptr;
    }
    const File* file = open(path, loc);
    if (file == nullptr) return nullptr;
    std::string key = file->reader->fileName();
    auto cacheKey = std::make_tuple(key, offset, type.milStr());
    if (auto known = loaded_.find(cacheKey); known != loaded_.end()) return known->second;
    try {
        BlobData blob =
            file->reader->read(offset, *dtype, static_cast<uint64_t>(type.numElements()), check_);
        for (std::string& assumption : blob.assumptions)
            diagnostics_.warning(loc, std::move(assumption));
        auto data = std::make_shared<ir::ConstData>(
            type, std::vector<uint8_t>(blob.bytes.begin(), blob.bytes.end()));
        // Round trip: anec writes one blob per file (named after the weight) or all weights into
        // one file; either way these names give back the same files.
        data->blobName =
            file->reader->count() == 1 ? file->stem : file->stem + "_" + std::to_string(offset);
        return loaded_[cacheKey] = std::move(data);
    } catch (const Error& e) {
        diagnostics_.error(loc, e.what());
        return nullptr;
    }
}

} // namespace anec::mil
