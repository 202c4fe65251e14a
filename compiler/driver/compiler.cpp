#include "driver/compiler.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ir/printer.hpp"
#include "ir/verifier.hpp"
#include "mil/parser.hpp"

namespace anec::driver {

Compilation::Compilation(CompileOptions options) : options_(std::move(options)) {
    diagnostics_.setWarningPolicy(options_.warnings);
}

namespace {
bool isMilName(const std::filesystem::path& path) {
    return path.extension() == ".mil";
}
} // namespace

bool Compilation::loadFile(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::path source = path;
    if (std::filesystem::is_directory(path, ec)) {
        source = mil::milFilePath(path);
        if (!std::filesystem::is_regular_file(source, ec)) {
            diagnostics_.error({}, "'" + path.string() +
                                       "' is a directory, not a source file (nor a MIL program "
                                       "directory with a model.mil)");
            stage_ = Stage::Failed;
            return false;
        }
    }
    std::ifstream in(source, std::ios::binary);
    if (!in) {
        diagnostics_.error({}, "cannot open '" + source.string() + "'");
        stage_ = Stage::Failed;
        return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    loadSource(source.string(), text.str());
    return true;
}

void Compilation::loadSource(std::string name, std::string text) {
    std::filesystem::path path(name);
    isMil_ = isMilName(path);
    modelDir_ = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    file_ = sources_.addFile(std::move(name), std::move(text));
    stage_ = Stage::Loaded;
    module_.reset();
}

std::unique_ptr<ir::Module> Compilation::readMil() {
    // -D overrides .ane constants; MIL has none, so a define is a mistake worth reporting.
    if (!options_.frontend.defines.empty()) {
        diagnostics_.error({}, "-D " + options_.frontend.defines.begin()->first +
                                   ": MIL input has no constants to override");
        return nullptr;
    }
    return mil::parseMil(file_, modelDir_, diagnostics_, options_.mil);
}

bool Compilation::check() {
    if (stage_ == Stage::Checked || stage_ == Stage::Optimized) return true;
    if (stage_ != Stage::Loaded) return false;
    module_ =
        isMil_ ? readMil() : frontend::compileAne(file_, sources_, diagnostics_, options_.frontend);
    if (!module_ || diagnostics_.hasErrors() || !ir::verifyModule(*module_, diagnostics_)) {
        stage_ = Stage::Failed;
        return false;
    }
    stage_ = Stage::Checked;
    return true;
}

bool Compilation::optimize() {
    if (stage_ == Stage::Optimized) return true;
    if (!check()) return false;
    auto pipeline = makePipeline();
    if (!pipeline) {
        diagnostics_.error({}, pipeline.error());
        stage_ = Stage::Failed;
        return false;
    }
    bool ok = pipeline->run(*module_, diagnostics_);
    passResults_ = pipeline->results();
    stage_ = ok ? Stage::Optimized : Stage::Failed;
    return ok;
}

Expected<passes::PassManager> Compilation::makePipeline() const {
    for (const std::string& name : options_.printIrAfter)
        if (auto known = passes::checkPassName(name); !known)
            return fail("--print-ir-after: " + known.error());
    std::vector<std::string> names =
        passes::pipelinePassNames(options_.optLevel, options_.target.has_value());
    if (!options_.packIo) std::erase(names, std::string("pack-io"));
    auto pipeline =
        passes::buildPipeline(options_.passes ? *options_.passes : names, options_.target);
    if (!pipeline) return pipeline;
    if (options_.printIrAfterAll || !options_.printIrAfter.empty()) {
        pipeline->setAfterPass([this](const passes::Pass& pass, const ir::Module& module) {
            if (!options_.printIrAfterAll && !options_.printIrAfter.count(pass.name())) return;
            std::ostream& out = options_.irDump ? *options_.irDump : std::cerr;
            out << "// IR after " << pass.name() << "\n" << ir::printModule(module);
        });
    }
    return pipeline;
}

std::vector<mil::Program> Compilation::emit() {
    std::vector<mil::Program> programs;
    if (!optimize()) return programs;
    mil::EmitOptions emit = options_.emit;
    if (options_.target) emit = passes::emitOptionsFor(*options_.target, emit);
    for (const auto& kernel : module_->kernels)
        programs.push_back(mil::emitProgram(*kernel, emit));
    return programs;
}

std::optional<passes::AneTarget> parseTargetOption(const std::string& name) {
    if (name == "none") return std::nullopt;
    if (auto target = passes::parseAneTarget(name)) return target;
    throw Error("unknown target '" + name + "' (expected " + passes::aneTargetList() +
                ", or none)");
}

WarningPolicy parseWarningsOption(const std::string& name) {
    if (auto policy = parseWarningPolicy(name)) return *policy;
    throw Error("--warnings: unknown value '" + name + "' (expected none, all or error)");
}

std::pair<std::string, int64_t> parseDefine(const std::string& text) {
    size_t eq = text.find('=');
    std::string name = text.substr(0, eq);
    bool validName =
        !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char c : name)
        validName = validName && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (eq == std::string::npos || !validName)
        throw Error("-D expects NAME=INTEGER, got '" + text + "'");
    std::string value = text.substr(eq + 1);
    int64_t number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size())
        throw Error("-D " + name + ": '" + value + "' is not an integer");
    return {name, number};
}

} // namespace anec::driver
