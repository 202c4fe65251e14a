#pragma once
// Checkpoints in the safetensors format (Hugging Face's, read by PyTorch, numpy and llama.cpp
// tools), so a model trained by anec can be inspected and loaded elsewhere and back.
//
// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name
// to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data section that follows
// the header) plus an optional "__metadata__" object of strings, then the tensors' bytes.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/core/tensor.hpp"

namespace anec::train {

// Writes `tensors` (in the given order, contiguous) and `metadata` to `path`. The header is padded
// with spaces so that the data section starts at a multiple of 8 bytes. The write is atomic: the
// file is written as `path`.tmp-<pid> in the same directory and renamed over `path`, so a failed
// or interrupted write leaves any existing file untouched. Throws anec::Error naming the path and
// the reason (an unwritable directory, a full disk, a duplicate or reserved name, a string
// tensor).
void writeSafetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, const runtime::Tensor*>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
    std::map<std::string, std::string> metadata;
    // In file order (sorted by data offset).
    std::vector<std::pair<std::string, runtime::Tensor>> tensors;

    // The tensor called `name`, or nullptr.
    const runtime::Tensor* find(const std::string& name) const;
};

// Reads a file written by writeSafetensors or any other safetensors writer. Bad input (truncated,
// corrupted or hostile) is reported as anec::Error naming the file, the tensor and what is wrong;
// the reader never allocates more than the file's size for tensor data. A dtype anec has no type
// for (BF16, the F8 kinds) is an error naming it.
SafetensorsFile readSafetensors(const std::filesystem::path& path);

} // namespace anec::train
