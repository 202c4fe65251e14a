#pragma once
// The weight files a MIL program refers to with BLOBFILE(path = "@model_path/...", offset = N):
// resolved against the model directory, opened once, validated by BlobReader, and shared, so
// that two references to the same blob give the same constant.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "ir/const_data.hpp"
#include "mil/blob.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil {

class BlobFiles {
  public:
    // `check`: how metadata that disagrees with the MIL declaration is treated (blob.hpp);
    // Lenient reports each assumption as a warning at the BLOBFILE reference.
    BlobFiles(std::filesystem::path modelDir, DiagnosticEngine& diagnostics,
              MetadataCheck check = MetadataCheck::Lenient)
        : modelDir_(std::move(modelDir)), diagnostics_(diagnostics), check_(check) {}

    // The blob at `offset` (its metadata offset) of the file `path` (as written in the MIL,
    // "@model_path/weights/w.bin"), read as a constant of `type`. Reports at `loc` what is wrong
    // (a path outside the model directory, a missing or corrupt file, a wrong offset, truncated
    // data; with MetadataCheck::Strict also a data offset of 0, a dtype or size other than the
    // declared one) and returns nullptr. The constant's blobName is the file's stem, or stem_offset
    // when the file holds several blobs.
    std::shared_ptr<const ir::ConstData> load(const std::string& path, uint64_t offset,
                                              const ir::TensorType& type, SourceLoc loc);

  private:
    struct File {
        std::optional<BlobReader> reader; // empty when the file could not be opened
        std::string stem;
    };

    // The opened file, or nullptr after reporting why it cannot be read.
    const File* open(const std::string& path, SourceLoc loc);

    std::filesystem::path modelDir_;
    DiagnosticEngine& diagnostics_;
    MetadataCheck check_;
    std::map<std::string, File> files_; // by relative path
    std::map<std::tuple<std::string, uint64_t, std::string>, std::shared_ptr<const ir::ConstData>>
        loaded_; // by relative path, offset and MIL type
};

// The prefix every BLOBFILE path starts with: the directory holding model.mil.
inline constexpr std::string_view kModelPathPrefix = "@model_path/";

} // namespace anec::mil
