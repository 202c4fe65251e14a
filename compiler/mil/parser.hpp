#pragma once
// The MIL reader: model.mil text (hand-written, Core ML-compiled or written by anec) -> the same
// IR the .ane front end builds, checked on load (docs/mil.md). Every op must be in the registry,
// declared result types must match the inferred ones, and BLOBFILE weights are read and validated
// from the model directory.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "ir/ir.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil {

struct ReadOptions {
    // Blob metadata that disagrees with the MIL declaration of its BLOBFILE reference (a data
    // offset of 0, a size or dtype code other than the declared type's) is read as declared with
    // a warning saying what was assumed, as Apple's compiler accepts such files; strict makes it
    // an error (`--strict`). Data missing from the file is an error either way.
    bool strict = false;
};

// Parses the MIL program registered as `file` in the diagnostics' SourceManager. BLOBFILE paths
// (@model_path/...) resolve against `modelDir`, usually the directory of the .mil file. One
// kernel per function, named after the function, or after the "kernel" of a program.json in
// `modelDir` when the program has one function; that program.json's "packing" (I/O packed by the
// pack-io pass) becomes the kernel's ir::Kernel::packing. Reports every error; returns nullptr
// when there were any.
std::unique_ptr<ir::Module> parseMil(uint32_t file, const std::filesystem::path& modelDir,
                                     DiagnosticEngine& diagnostics,
                                     const ReadOptions& options = {});

// `path` itself, or path/model.mil when `path` is a directory.
std::filesystem::path milFilePath(const std::filesystem::path& path);

// Reads `path` (a .mil file or a directory holding model.mil), registers it with `sources` (which
// `diagnostics` must report against) and parses it with its directory as the model directory.
std::unique_ptr<ir::Module> parseMilFile(const std::filesystem::path& path, SourceManager& sources,
                                         DiagnosticEngine& diagnostics,
                                         const ReadOptions& options = {});

} // namespace anec::mil
