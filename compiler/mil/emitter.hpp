#pragma once
// Lowers one IR kernel to a MIL program: model.mil text, weight blob files and program.json.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ir/ir.hpp"

namespace anec::mil {

enum class Opset { iOS16, iOS17, iOS18 };
std::string_view opsetName(Opset opset); // "ios18"
std::optional<Opset> parseOpset(std::string_view name);

struct EmitOptions {
    Opset opset = Opset::iOS18;
    // All weights in weights/weight.bin at offsets 64, ... instead of one file per weight.
    bool singleWeightFile = false;
    // `program(<version>)`; empty: the opset's default (1.3 for ios18, 1.0 before). The M5
    // needs 1.5 (passes::emitOptionsFor).
    std::string programVersion;
    // MILBlob data alignment in bytes (64; the M5 needs 128).
    uint64_t blobAlignment = 64;
};

struct WeightFile {
    std::string relativePath;   // "weights/W1_T.bin", relative to the program directory
    std::vector<uint8_t> bytes; // a complete MILBlob v2 file
};

// Constants with more elements than this go to a weight blob even without a blobName.
inline constexpr int64_t kMaxInlineElements = 16;

// Whether emitProgram stores the constant in a weight blob (a named weight, or one too large to
// write inline) rather than in the MIL text.
bool storedInBlob(const ir::ConstData& data);
// The data bytes of the weight blobs emitProgram writes for `kernel`: its blob constants and its
// dynamic weights' initial values, identical contents (dtype and bytes) counted once, as they
// are stored once. With `includes`, only the constants whose op it accepts (e.g. live ones).
uint64_t blobBytes(const ir::Kernel& kernel,
                   const std::function<bool(const ir::Op&)>& includes = nullptr);

struct Program {
    std::string kernelName;
    std::string milText;
    std::vector<WeightFile> weightFiles;
    // program.json: {"kernel", "opset", "inputs", "outputs", "weights"}. Inputs and outputs are
    // {"name","dtype","shape","bytes","index"} listed in ANE binding order, which is the byte-wise
    // alphabetical order of the MIL names; "index" is the declaration position. Weights are
    // {"name","path","offset","dtype","shape","bytes"} with the BLOBFILE path and metadata offset.
    // A kernel with packed I/O (ir::Kernel::packing) lists the packed tensors as its inputs and
    // outputs and adds "packing": {packed name: [{"name","dtype","shape","channel_offset",
    // "channels","byte_offset","index"}, ...]} (the original tensors, "index" their declaration
    // position; docs/passes.md). A legalized kernel adds "target" (ir::Kernel::legalizedFor) and
    // "host_dtype": "fp32" on each host-converted input/output entry or packing member; a kernel
    // with dynamic weights adds "dynamic_weights": [{"name","path","offset","dtype","shape"}]
    // (their initial values, in blob files the MIL text does not reference).
    nlohmann::json description;
};

// Deterministic: the same kernel and options give byte-identical output. Throws anec::Error when
// the kernel cannot be written as MIL (an unset output, input/output names that are not MIL
// identifiers or collide, a weight whose dtype has no MILBlob type).
//
// Blobs: constants with identical contents (dtype and bytes, whatever their shapes and names)
// share one blob, at one file and offset, written under the first one's name; "weights" in
// program.json lists each blob once. Dynamic weights' initial values share blobs the same way.
//
// Naming: kernel input and output names are kept exactly; other values get their Value::name
// hint made MIL-safe and unique (`_1`, `_2`, ... on collision), `<opkind>_<n>` without a hint.
// Attributes become consts named `<result>_<attr>`. An output whose value is an input, a const,
// or already returned under another name is produced by an `identity` op. Multi-result ops are
// written `(T a, T b) = split(...)`.
Program emitProgram(const ir::Kernel& kernel, const EmitOptions& options);

} // namespace anec::mil
