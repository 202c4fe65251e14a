// parseMil: MIL text -> syntax tree (mil_syntax.cpp) -> IR (mil_lowering.cpp) -> IR verifier.
#include "mil/parser.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ir/verifier.hpp"
#include "mil/blob.hpp"
#include "mil/mil_lowering.hpp"
#include "mil/mil_syntax.hpp"

namespace anec::mil {

namespace fs = std::filesystem;

namespace {
constexpr const char* kModelFile = "model.mil";
constexpr const char* kDescriptionFile = "program.json";

bool isKernelName(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

// program.json as written by `anec build`, when the model directory has one.
nlohmann::json readDescription(const fs::path& modelDir) {
    if (modelDir.empty()) return {};
    fs::path description = modelDir / kDescriptionFile;
    std::error_code ec;
    if (!fs::is_regular_file(description, ec)) return {};
    std::ifstream in(description, std::ios::binary);
    nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    return json.is_discarded() ? nlohmann::json("invalid") : json;
}

// The kernel name the description records (MIL always calls the function `main`); empty when
// there is none.
std::string describedKernelName(const nlohmann::json& json, const fs::path& modelDir,
                                DiagnosticEngine& diagnostics) {
    auto kernel = json.is_object() ? json.find("kernel") : json.end();
    if (!json.is_object() || kernel == json.end() || !kernel->is_string() ||
        !isKernelName(kernel->get<std::string>())) {
        diagnostics.warning({}, "ignoring '" + (modelDir / kDescriptionFile).string() +
                                    "': it does not name the kernel (\"kernel\": \"name\")");
        return {};
    }
    return kernel->get<std::string>();
}

// One original tensor of a "packing" entry; throws anec::Error on a malformed one.
ir::PackedMember packedMember(const nlohmann::json& json) {
    auto field = [&](const char* key) -> const nlohmann::json& {
        if (!json.is_object() || !json.contains(key))
            throw Error(std::string("a member has no \"") + key + "\"");
        return json.at(key);
    };
    const nlohmann::json& name = field("name");
    if (!name.is_string()) throw Error("a member's \"name\" is not a string");
    ir::PackedMember member;
    member.name = name.get<std::string>();
    std::string what = "member '" + member.name + "': ";
    const nlohmann::json& dtype = field("dtype");
    auto parsed = dtype.is_string() ? ir::parseDType(dtype.get<std::string>()) : std::nullopt;
    if (!parsed) throw Error(what + "\"dtype\" is not a dtype name");
    member.type.dtype = *parsed;
    const nlohmann::json& shape = field("shape");
    if (!shape.is_array()) throw Error(what + "\"shape\" is not a list");
    for (const nlohmann::json& dim : shape) {
        if (!dim.is_number_integer()) throw Error(what + "\"shape\" holds a non-integer");
        member.type.shape.push_back(dim.get<int64_t>());
    }
    const nlohmann::json& offset = field("channel_offset");
    const nlohmann::json& index = field("index");
    if (!offset.is_number_integer() || !index.is_number_unsigned())
        throw Error(what + "\"channel_offset\" and \"index\" must be non-negative integers");
    member.channelOffset = offset.get<int64_t>();
    member.index = index.get<size_t>();
    return member;
}

// The description's "packing" (pack-io), attached to the kernel: each packed name is one of
// the kernel's inputs or outputs. The IR verifier checks the layout against the kernel.
void readPacking(const nlohmann::json& json, const fs::path& modelDir, ir::Kernel& kernel,
                 DiagnosticEngine& diagnostics) {
    auto packing = json.is_object() ? json.find("packing") : json.end();
    if (packing == json.end()) return;
    std::string where = "'" + (modelDir / kDescriptionFile).string() + "': \"packing\": ";
    try {
        if (!packing->is_object()) throw Error("not an object");
        for (const auto& item : packing->items()) {
            // Named, not a structured binding: clang 14 cannot capture those in the lambdas.
            const std::string& name = item.key();
            const nlohmann::json& members = item.value();
            ir::PackedIo packed;
            packed.name = name;
            bool input = std::any_of(kernel.inputs.begin(), kernel.inputs.end(),
                                     [&](const auto& value) { return value->name == name; });
            bool output =
                std::any_of(kernel.outputs.begin(), kernel.outputs.end(),
                            [&](const ir::KernelOutput& out) { return out.name == name; });
            if (!input && !output) throw Error("'" + name + "' is no input or output of main");
            packed.direction =
                input ? ir::PackedIo::Direction::Input : ir::PackedIo::Direction::Output;
            if (!members.is_array()) throw Error("'" + name + "' is not a list of members");
            for (const nlohmann::json& member : members)
                packed.members.push_back(packedMember(member));
            kernel.packing.push_back(std::move(packed));
        }
    } catch (const Error& e) {
        diagnostics.error({}, where + e.what());
    }
}
// One "dynamic_weights" entry: a kernel input that carries a weight given at run time, with its
// initial value in a MILBlob file of the model directory.
ir::DynamicWeight dynamicWeight(const nlohmann::json& json, const fs::path& modelDir) {
    if (!json.is_object() || !json.contains("name") || !json.at("name").is_string())
        throw Error("an entry has no \"name\"");
    std::string name = json.at("name").get<std::string>();
    std::string what = "'" + name + "': ";
    ir::PackedMember typed = packedMember({{"name", name},
                                           {"dtype", json.value("dtype", nlohmann::json())},
                                           {"shape", json.value("shape", nlohmann::json())},
                                           {"channel_offset", 0},
                                           {"index", 0u}});
    const nlohmann::json path = json.value("path", nlohmann::json());
    const nlohmann::json offset = json.value("offset", nlohmann::json());
    if (!path.is_string() || fs::path(path.get<std::string>()).is_absolute())
        throw Error(what + "\"path\" is not a path relative to the model directory");
    if (!offset.is_number_unsigned()) throw Error(what + "\"offset\" is not an offset");
    auto blobDType = blobDTypeFor(typed.type.dtype);
    if (!blobDType) throw Error(what + typed.type.str() + " cannot be held in a weight blob");
    BlobReader reader = BlobReader::open(modelDir / path.get<std::string>());
    std::span<const uint8_t> bytes = reader.read(offset.get<uint64_t>(), *blobDType,
                                                 static_cast<uint64_t>(typed.type.numElements()));
    return {name, std::make_shared<const ir::ConstData>(
                      typed.type, std::vector<uint8_t>(bytes.begin(), bytes.end()))};
}

// The description's "dynamic_weights" (`dynamic weight` declarations), attached to the kernel;
// the IR verifier checks each against the kernel's inputs.
void readDynamicWeights(const nlohmann::json& json, const fs::path& modelDir, ir::Kernel& kernel,
                        DiagnosticEngine& diagnostics) {
    if (!json.is_object() || !json.contains("dynamic_weights")) return;
    std::string where = "'" + (modelDir / kDescriptionFile).string() + "': \"dynamic_weights\": ";
    try {
        const nlohmann::json& list = json.at("dynamic_weights");
        if (!list.is_array()) throw Error("not a list");
        for (size_t i = 0; i < list.size(); ++i)
            kernel.dynamicWeights.push_back(dynamicWeight(list.at(i), modelDir));
    } catch (const Error& e) {
        diagnostics.error({}, where + e.what());
    }
}

// One "host_dtype" mark: the tensor is fp16 in the program and `host_dtype` for callers.
void readHostConversion(const nlohmann::json& entry, ir::PackedIo::Direction direction,
                        ir::Kernel& kernel) {
    auto hostDType = entry.find("host_dtype");
    if (hostDType == entry.end()) return;
    auto dtype = ir::parseDType(hostDType->get<std::string>());
    if (!dtype) throw Error("unknown \"host_dtype\" " + hostDType->dump());
    kernel.hostConversions.push_back({direction, entry.at("name").get<std::string>(), *dtype});
}

// ane-legalize's record: "target" and the tensors callers pass or receive as fp32 while the
// program binds fp16 ("host_dtype" on input/output entries and on packing members, whose
// direction is their packed tensor's). The IR verifier checks them against the kernel.
void readLegalization(const nlohmann::json& json, const fs::path& modelDir, ir::Kernel& kernel,
                      DiagnosticEngine& diagnostics) {
    if (!json.is_object()) return;
    using Direction = ir::PackedIo::Direction;
    try {
        if (json.contains("target")) kernel.legalizedFor = json.at("target").get<std::string>();
        for (Direction direction : {Direction::Input, Direction::Output}) {
            const char* key = direction == Direction::Input ? "inputs" : "outputs";
            if (!json.contains(key)) continue;
            for (const nlohmann::json& entry : json.at(key))
                readHostConversion(entry, direction, kernel);
        }
        for (const ir::PackedIo& packed : kernel.packing) {
            if (!json.contains("packing") || !json.at("packing").contains(packed.name)) continue;
            for (const nlohmann::json& member : json.at("packing").at(packed.name))
                readHostConversion(member, packed.direction, kernel);
        }
    } catch (const std::exception& e) {
        diagnostics.error({}, "'" + (modelDir / kDescriptionFile).string() +
                                  "': malformed host conversion: " + e.what());
    }
}
} // namespace

std::unique_ptr<ir::Module> parseMil(uint32_t file, const fs::path& modelDir,
                                     DiagnosticEngine& diagnostics, const ReadOptions& options) {
    std::unique_ptr<syntax::Program> program = parseMilSyntax(file, diagnostics);
    if (!program) return nullptr;
    std::unique_ptr<ir::Module> module =
        lowerMil(*program, modelDir, diagnostics,
                 options.strict ? MetadataCheck::Strict : MetadataCheck::Lenient);
    if (!module) return nullptr;
    if (module->kernels.size() == 1) {
        nlohmann::json description = readDescription(modelDir);
        if (!description.is_null()) {
            ir::Kernel& kernel = *module->kernels.front();
            if (std::string name = describedKernelName(description, modelDir, diagnostics);
                !name.empty())
                kernel.name = name;
            readPacking(description, modelDir, kernel, diagnostics);
            readDynamicWeights(description, modelDir, kernel, diagnostics);
            readLegalization(description, modelDir, kernel, diagnostics);
            if (diagnostics.hasErrors()) return nullptr;
        }
    }
    if (!ir::verifyModule(*module, diagnostics)) return nullptr;
    return module;
}

fs::path milFilePath(const fs::path& path) {
    std::error_code ec;
    return fs::is_directory(path, ec) ? path / kModelFile : path;
}

std::unique_ptr<ir::Module> parseMilFile(const fs::path& path, SourceManager& sources,
                                         DiagnosticEngine& diagnostics,
                                         const ReadOptions& options) {
    fs::path milFile = milFilePath(path);
    std::ifstream in(milFile, std::ios::binary);
    if (!in) {
        diagnostics.error({}, "cannot open '" + milFile.string() + "'");
        return nullptr;
    }
    std::ostringstream text;
    text << in.rdbuf();
    uint32_t file = sources.addFile(milFile.string(), text.str());
    fs::path modelDir = milFile.parent_path();
    return parseMil(file, modelDir.empty() ? fs::path(".") : modelDir, diagnostics, options);
}

} // namespace anec::mil
