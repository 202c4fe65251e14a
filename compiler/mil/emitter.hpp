#pragma once
// Lowers one IR kernel to a MIL program: model.mil text, weight blob files and program.json.
#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
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
};

struct WeightFile {
    std::string relativePath; // "weights/W1_T.bin", relative to the program directory
    std::vector<uint8_t> bytes; // a complete MILBlob v2 file
};

struct Program {
    std::string kernelName;
    std::string milText;
    std::vector<WeightFile> weightFiles;
    // {"name", "inputs": [{"name","dtype","shape","bytes"}...], "outputs": [...]} in ANE binding
    // order (alphabetical by MIL name).
    nlohmann::json description;
};

// Deterministic: the same kernel and options give byte-identical output.
Program emitProgram(const ir::Kernel& kernel, const EmitOptions& options);

} // namespace anec::mil
