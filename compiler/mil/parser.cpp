// parseMil: MIL text -> syntax tree (mil_syntax.cpp) -> IR (mil_lowering.cpp) -> IR verifier.
#include "mil/parser.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ir/verifier.hpp"
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

// The kernel name a program.json written by `anec build` records (MIL always calls the function
// `main`); empty when there is none.
std::string describedKernelName(const fs::path& modelDir, DiagnosticEngine& diagnostics) {
    if (modelDir.empty()) return {};
    fs::path description = modelDir / kDescriptionFile;
    std::error_code ec;
    if (!fs::is_regular_file(description, ec)) return {};
    std::ifstream in(description, std::ios::binary);
    nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    auto kernel = json.is_object() ? json.find("kernel") : json.end();
    if (json.is_discarded() || !json.is_object() || kernel == json.end() || !kernel->is_string() ||
        !isKernelName(kernel->get<std::string>())) {
        diagnostics.warning({}, "ignoring '" + description.string() +
                                    "': it does not name the kernel (\"kernel\": \"name\")");
        return {};
    }
    return kernel->get<std::string>();
}
} // namespace

std::unique_ptr<ir::Module> parseMil(uint32_t file, const fs::path& modelDir,
                                     DiagnosticEngine& diagnostics) {
    std::unique_ptr<syntax::Program> program = parseMilSyntax(file, diagnostics);
    if (!program) return nullptr;
    std::unique_ptr<ir::Module> module = lowerMil(*program, modelDir, diagnostics);
    if (!module) return nullptr;
    if (module->kernels.size() == 1)
        if (std::string name = describedKernelName(modelDir, diagnostics); !name.empty())
            module->kernels.front()->name = name;
    if (!ir::verifyModule(*module, diagnostics)) return nullptr;
    return module;
}

fs::path milFilePath(const fs::path& path) {
    std::error_code ec;
    return fs::is_directory(path, ec) ? path / kModelFile : path;
}

std::unique_ptr<ir::Module> parseMilFile(const fs::path& path, SourceManager& sources,
                                         DiagnosticEngine& diagnostics) {
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
    return parseMil(file, modelDir.empty() ? fs::path(".") : modelDir, diagnostics);
}

} // namespace anec::mil
