#include "runtime/ane/simulated_device.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <unistd.h>

#include "ir/op_registry.hpp"
#include "mil/blob.hpp"
#include "mil/parser.hpp"
#include "runtime/core/backend.hpp"

namespace anec::runtime::ane {

namespace fs = std::filesystem;

namespace {

// What the real device reports: nothing about the cause (rules 7-9, 11, 12, 15, 16).
std::string compilerFailure(const std::string& chip) {
    return "ANECCompile() FAILED (" + chip + ")";
}

constexpr int64_t kStatusBadSurfaces = 0x1d;

// Fills surfaces before the caller writes them and around the outputs, so that data the caller
// did not write (or reads from the wrong place) is visibly wrong.
constexpr uint8_t kStaleByte = 0xA5;

// The directory the real device writes model.mil and weights/ to before compiling; removed as
// soon as the program is read.
class ScratchDir {
  public:
    ScratchDir() {
        static std::atomic<unsigned> counter = 0;
        path_ = fs::temp_directory_path() /
                ("anec-ane-sim-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

void writeBytes(const fs::path& path, const char* data, size_t size) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(data, static_cast<std::streamsize>(size));
    if (!out) throw Error("cannot write '" + path.string() + "'");
}

// "@model_path/weights/w.bin" -> its place below the model directory; the device refuses paths
// that would leave it.
fs::path weightPath(const fs::path& modelDir, const std::string& milPath) {
    constexpr std::string_view prefix = "@model_path/";
    fs::path relative = milPath.starts_with(prefix)
                            ? fs::path(milPath.substr(prefix.size())).lexically_normal()
                            : fs::path();
    if (relative.empty() || relative.is_absolute() || relative.has_root_name() ||
        *relative.begin() == ".." || relative.filename().empty())
        throw DeviceError(DeviceError::Stage::Compile,
                          "weight path '" + milPath + "' is not inside @model_path/");
    return modelDir / relative;
}

std::unique_ptr<ir::Module> readProgram(const ProgramSource& source, const std::string& chip) {
    ScratchDir dir;
    writeBytes(dir.path() / "model.mil", source.milText.data(), source.milText.size());
    for (const WeightFile& weight : source.weights)
        writeBytes(weightPath(dir.path(), weight.milPath),
                   reinterpret_cast<const char*>(weight.bytes.data()), weight.bytes.size());
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    std::unique_ptr<ir::Module> module =
        mil::parseMilFile(dir.path() / "model.mil", sources, diagnostics);
    if (!module || module->kernels.size() != 1) {
        std::string problems;
        for (const Diagnostic& d : diagnostics.diagnostics())
            if (d.severity == Severity::Error) problems += "\n" + DiagnosticEngine::brief(d);
        if (module)
            problems = "\nthe program has " + std::to_string(module->kernels.size()) +
                       " functions; the device runs one";
        throw DeviceError(DeviceError::Stage::Compile,
                          compilerFailure(chip) + ": the MIL does not parse:" + problems);
    }
    return module;
}

// The operand bound to the parameter `name` of `op`, or nullptr.
ir::Value** operandSlot(ir::Op& op, std::string_view name) {
    const auto& specs = op.def().operands;
    for (size_t i = 0; i < specs.size() && i < op.operands.size(); ++i)
        if (specs[i].name == name) return &op.operands[i];
    return nullptr;
}

bool hasOperand(ir::Op& op, std::string_view name) {
    ir::Value** slot = operandSlot(op, name);
    return slot && *slot;
}

bool isConstant(const ir::Value* value) {
    return value && value->definingOp && value->definingOp->isConst();
}

// Whether this chip's compiler rejects the op (rules 7, 8, 9, 11, 12).
bool rejects(ir::Op& op, const passes::AneTargetRules& rules) {
    const std::string& kind = op.kind();
    if (kind == "gelu" || kind == "silu") return true;
    if (kind == "cast") return !rules.castInProgram;
    if (kind == "concat") return !rules.concat;
    if (kind != "conv") return false;
    ir::Value** weight = operandSlot(op, "weight");
    if (hasOperand(op, "bias") || !weight || !isConstant(*weight)) return true;
    const ir::TensorType& type = (*weight)->type;
    int64_t groups = 1;
    if (const int64_t* g = op.attr<int64_t>("groups")) groups = *g;
    return type.rank() >= 2 && type.shape[1] * groups >= 32000;
}

std::string programVersion(const std::string& milText) {
    size_t start = milText.find("program(");
    if (start == std::string::npos) return {};
    start += 8;
    size_t end = milText.find(')', start);
    return end == std::string::npos ? std::string() : milText.substr(start, end - start);
}

// The M5 needs program(1.5) and 128-byte aligned blob data (rule 16).
bool fitsM5(const ProgramSource& source) {
    if (programVersion(source.milText) != "1.5") return false;
    for (const WeightFile& weight : source.weights) {
        mil::BlobReader reader(weight.bytes, weight.milPath);
        for (uint64_t offset : reader.metadataOffsets())
            if (reader.info(offset).dataOffset % 128 != 0) return false;
    }
    return true;
}

// The ANE ignores the mask of scaled_dot_product_attention (rule 10).
void dropAttentionMasks(ir::Kernel& kernel) {
    for (auto& op : kernel.ops)
        if (op->kind() == "scaled_dot_product_attention")
            if (ir::Value** mask = operandSlot(*op, "attn_mask")) *mask = nullptr;
}

std::vector<std::string> alphabetical(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    return names;
}

class SimulatedProgram : public LoadedProgram {
  public:
    SimulatedProgram(std::shared_ptr<ir::Module> module, SurfaceSizes sizes, std::string chip)
        : chip_(std::move(chip)), sizes_(std::move(sizes)) {
        const ir::Kernel& kernel = *module->kernels.front();
        std::vector<std::string> inputNames, outputNames;
        for (const auto& input : kernel.inputs)
            inputNames.push_back(input->name);
        for (const ir::KernelOutput& output : kernel.outputs)
            outputNames.push_back(output.name);
        inputOrder_ = alphabetical(inputNames);
        outputOrder_ = alphabetical(outputNames);
        if (sizes_.inputs.size() != inputOrder_.size() ||
            sizes_.outputs.size() != outputOrder_.size())
            throw DeviceError(DeviceError::Stage::Load,
                              "the program has " + std::to_string(inputOrder_.size()) +
                                  " inputs and " + std::to_string(outputOrder_.size()) +
                                  " outputs, but " + std::to_string(sizes_.inputs.size()) +
                                  " input and " + std::to_string(sizes_.outputs.size()) +
                                  " output surfaces were asked for");
        executable_ = createReferenceBackend()->prepare(module, kernel.name);
        for (const IoInfo& info : executable_->inputs())
            types_[info.name] = info.type;
        for (const IoInfo& info : executable_->outputs())
            types_[info.name] = info.type;
    }

    void evaluate(const SurfaceWriter& writeInputs, const SurfaceReader& readOutputs) override {
        checkSurfaces(sizes_.inputs, "input");
        checkSurfaces(sizes_.outputs, "output");
        std::vector<std::vector<uint8_t>> inputs;
        for (size_t i = 0; i < sizes_.inputs.size(); ++i) {
            inputs.emplace_back(sizes_.inputs[i], kStaleByte);
            writeInputs(i, inputs.back());
        }
        // Rule 1: surface i is the i-th parameter in alphabetical order, whatever the caller
        // meant to bind there.
        std::map<std::string, TensorView> views;
        for (size_t i = 0; i < inputOrder_.size(); ++i) {
            const ir::TensorType& type = types_.at(inputOrder_[i]);
            views[inputOrder_[i]] = {type, prefix(inputs[i], type, inputOrder_[i])};
        }
        std::map<std::string, Tensor> results = executable_->run(views);
        for (size_t i = 0; i < outputOrder_.size(); ++i) {
            std::vector<uint8_t> surface(sizes_.outputs[i], kStaleByte);
            const Tensor& result = results.at(outputOrder_[i]);
            prefix(surface, result.type(), outputOrder_[i]);
            std::copy(result.bytes().begin(), result.bytes().end(), surface.begin());
            readOutputs(i, surface);
        }
    }

  private:
    DeviceError badSurfaces(const std::string& what) const {
        return DeviceError(DeviceError::Stage::Evaluate,
                           "ANEProgramProcessRequestDirect() Failed with status=0x1d : "
                           "statusType=0x9: Program Inference error (" +
                               chip_ + ": " + what + ")",
                           kStatusBadSurfaces);
    }

    // Rules 3 and 6: unequal or small surfaces fail the evaluation.
    void checkSurfaces(const std::vector<size_t>& sizes, const std::string& what) const {
        for (size_t size : sizes)
            if (size != sizes.front() || size < 49152)
                throw badSurfaces(what + " surfaces of " + sizeList(sizes) + " bytes");
    }

    // The tensor at the start of its surface; one larger than its surface fails too.
    std::span<const uint8_t> prefix(std::span<const uint8_t> surface, const ir::TensorType& type,
                                    const std::string& name) const {
        size_t bytes = static_cast<size_t>(type.byteSize());
        if (bytes > surface.size())
            throw badSurfaces("'" + name + "' (" + std::to_string(bytes) + " bytes) on a " +
                              std::to_string(surface.size()) + "-byte surface");
        return surface.first(bytes);
    }

    static std::string sizeList(const std::vector<size_t>& sizes) {
        std::string text;
        for (size_t size : sizes)
            text += (text.empty() ? "" : ", ") + std::to_string(size);
        return text;
    }

    std::string chip_;
    SurfaceSizes sizes_;
    std::vector<std::string> inputOrder_, outputOrder_;
    std::map<std::string, ir::TensorType> types_;
    std::unique_ptr<Executable> executable_;
};

} // namespace

std::string SimulatedDevice::chipName() const {
    if (chip_ == passes::AneTarget::Generic) return "ANE simulator (generic)";
    std::string name(passes::aneTargetName(chip_));
    name[0] = 'M';
    return "Apple " + name + " (simulated)";
}

std::unique_ptr<LoadedProgram> SimulatedDevice::compileAndLoad(const ProgramSource& source,
                                                               const SurfaceSizes& surfaces) {
    const std::string chip = chipName();
    {
        std::lock_guard lock(mutex_);
        lastWeightPaths_.clear();
        for (const WeightFile& weight : source.weights)
            lastWeightPaths_.push_back(weight.milPath);
    }
    if (++compiles_ > kSimulatedCompileLimit)
        throw DeviceError(DeviceError::Stage::Compile, compilerFailure(chip));
    std::shared_ptr<ir::Module> module = readProgram(source, chip);
    const passes::AneTargetRules rules = passes::aneTargetRules(chip_);
    for (auto& op : module->kernels.front()->ops)
        if (rejects(*op, rules))
            throw DeviceError(DeviceError::Stage::Compile, compilerFailure(chip));
    if (chip_ == passes::AneTarget::M5 && !fitsM5(source))
        throw DeviceError(DeviceError::Stage::Compile, compilerFailure(chip));
    dropAttentionMasks(*module->kernels.front());
    return std::make_unique<SimulatedProgram>(std::move(module), surfaces, chip);
}

} // namespace anec::runtime::ane
