#include "runtime/ane/ane_backend.hpp"

#include <algorithm>

#include "ir/clone.hpp"
#include "mil/emitter.hpp"
#include "runtime/ane/surface_plan.hpp"
#include "runtime/core/host_conversion.hpp"

namespace anec::runtime::ane {

namespace {

std::vector<IoInfo> inputInfos(const ir::Kernel& kernel) {
    std::vector<IoInfo> infos;
    for (const auto& input : kernel.inputs)
        infos.push_back({input->name, input->type});
    return infos;
}

std::vector<IoInfo> outputInfos(const ir::Kernel& kernel) {
    std::vector<IoInfo> infos;
    for (const ir::KernelOutput& output : kernel.outputs)
        infos.push_back({output.name, output.value->type});
    return infos;
}

std::string stageName(DeviceError::Stage stage) {
    switch (stage) {
    case DeviceError::Stage::Open:
        return "opening the ANE";
    case DeviceError::Stage::Compile:
        return "the ANE compile";
    case DeviceError::Stage::Load:
        return "loading the program onto the ANE";
    case DeviceError::Stage::Evaluate:
        return "the ANE evaluation";
    }
    return "the ANE";
}

// A copy of the kernel legalized for `target` (ane-legalize, then the cleanups the pipeline runs
// after it), for modules compiled without --target or for another chip.
std::shared_ptr<const ir::Module> legalized(const ir::Kernel& kernel, passes::AneTarget target) {
    Expected<std::unique_ptr<ir::Kernel>> copy = ir::cloneKernel(kernel);
    if (!copy) throw Error("cannot copy kernel '" + kernel.name + "': " + copy.error());
    auto module = std::make_shared<ir::Module>();
    module->kernels.push_back(std::move(*copy));
    passes::PassManager pipeline;
    pipeline.add(passes::createAneLegalizePass(target));
    pipeline.add(passes::createFoldConstantsPass());
    pipeline.add(passes::createDeadCodePass());
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    if (!pipeline.run(*module, diagnostics)) {
        std::string problems;
        for (const Diagnostic& d : diagnostics.diagnostics())
            if (d.severity == Severity::Error) problems += "\n" + DiagnosticEngine::brief(d);
        throw Error("cannot legalize kernel '" + kernel.name + "' for the ANE target " +
                    std::string(passes::aneTargetName(target)) + ":" + problems);
    }
    return module;
}

// The legalized kernel with only the host conversions legalizing added (the caller's kernel's
// own ones are applied by Backend::prepare) and no packing: what the host-conversion wrapper
// reads, right around the kernel's bound tensors. nullptr when nothing was added.
std::unique_ptr<ir::Kernel> addedConversions(const ir::Kernel& original, const ir::Kernel& legal) {
    std::vector<ir::HostConversion> added;
    for (const ir::HostConversion& conversion : legal.hostConversions) {
        bool known = std::any_of(
            original.hostConversions.begin(), original.hostConversions.end(), [&](const auto& c) {
                return c.name == conversion.name && c.direction == conversion.direction;
            });
        if (!known) added.push_back(conversion);
    }
    if (added.empty()) return nullptr;
    Expected<std::unique_ptr<ir::Kernel>> copy = ir::cloneKernel(legal);
    if (!copy) throw Error("cannot copy kernel '" + legal.name + "': " + copy.error());
    (*copy)->packing.clear();
    (*copy)->dynamicWeights.clear();
    (*copy)->hostConversions = std::move(added);
    return std::move(*copy);
}

// The MIL text and the weight files it reads. Initial values of dynamic weights are files of
// the build too, but the program never reads them (they arrive as inputs): not uploaded.
ProgramSource programSource(const mil::Program& program) {
    ProgramSource source{program.milText, {}};
    for (const mil::WeightFile& weight : program.weightFiles) {
        std::string milPath = "@model_path/" + weight.relativePath;
        if (program.milText.find("\"" + milPath + "\"") != std::string::npos)
            source.weights.push_back({milPath, weight.bytes});
    }
    return source;
}

// Runs a loaded program: each input written into its surface in binding order, each output read
// from its surface. The module holding the kernel stays alive with it.
class AneExecutable : public Executable {
  public:
    AneExecutable(std::shared_ptr<const ir::Module> module, const ir::Kernel& kernel,
                  SurfacePlan plan, std::shared_ptr<SharedProgram> program,
                  passes::AneTarget chipTarget, passes::AneTarget target)
        : module_(std::move(module)), kernelName_(kernel.name), inputs_(inputInfos(kernel)),
          outputs_(outputInfos(kernel)), plan_(std::move(plan)), program_(std::move(program)),
          chipTarget_(chipTarget), target_(target) {}

    const std::vector<IoInfo>& inputs() const override { return inputs_; }
    const std::vector<IoInfo>& outputs() const override { return outputs_; }

    std::map<std::string, Tensor> run(const std::map<std::string, TensorView>& inputs) override {
        checkInputs(kernelName_, inputs_, inputs);
        std::map<std::string, Tensor> results;
        auto writeInputs = [&](size_t index, std::span<uint8_t> surface) {
            writeSurface(surface, inputs.at(plan_.inputs.at(index).name).bytes);
        };
        auto readOutputs = [&](size_t index, std::span<const uint8_t> surface) {
            const SurfaceBinding& binding = plan_.outputs.at(index);
            results[binding.name] = readSurface(surface, binding.type);
        };
        try {
            std::lock_guard lock(program_->mutex);
            program_->program->evaluate(writeInputs, readOutputs);
        } catch (const DeviceError& e) {
            throw deviceFailure(e, kernelName_, chipTarget_, target_);
        }
        return results;
    }

  private:
    std::shared_ptr<const ir::Module> module_;
    std::string kernelName_;
    std::vector<IoInfo> inputs_;
    std::vector<IoInfo> outputs_;
    SurfacePlan plan_;
    std::shared_ptr<SharedProgram> program_;
    passes::AneTarget chipTarget_;
    passes::AneTarget target_;
};

} // namespace

namespace {
// Why a compile may fail: never "build with" the target the program was already built for.
std::string compileHint(passes::AneTarget chipTarget, passes::AneTarget targetInUse) {
    const std::string chip(passes::aneTargetName(chipTarget));
    const std::string inUse(passes::aneTargetName(targetInUse));
    std::string hint;
    if (targetInUse != chipTarget) {
        hint = "the program probably uses an op this chip's ANE compiler rejects: build with "
               "--target " +
               chip;
    } else {
        hint = "the program is legalized for this chip (--target " + inUse +
               "), so it probably holds something ane-legalize can only warn about (a cast "
               "it cannot remove, a conv with 16384 or more input channels, ...: see the "
               "warnings of `anec build --target " +
               inUse + "` and docs/ane-rules.md)";
        if (targetInUse != passes::AneTarget::Generic)
            hint += ", or breaks a rule of this chip nobody has reported: try --target generic";
    }
    return hint + " (or, after many compiles in one process, the compiler has reached its "
                  "limit, rule 15)";
}
} // namespace

Error deviceFailure(const DeviceError& error, const std::string& kernelName,
                    passes::AneTarget chipTarget, passes::AneTarget targetInUse) {
    std::string message =
        stageName(error.stage) + " of kernel '" + kernelName + "' failed: " + error.what();
    if (error.status == 0x1d)
        message += "\nhint: status 0x1d is what the ANE reports for wrong surface sizes or "
                   "binding order (rules 3-6 of docs/ane-rules.md)";
    else if (error.stage == DeviceError::Stage::Compile)
        message += "\nhint: " + compileHint(chipTarget, targetInUse);
    return Error(message);
}

AneBackend::AneBackend(std::unique_ptr<Device> device, AneBackendOptions options)
    : device_(std::move(device)), budget_(options.budget), cache_(std::move(options.cache)),
      name_(std::move(options.name)) {
    if (!device_) throw Error("the ANE backend needs a device");
    chipName_ = device_->chipName();
    chipTarget_ = passes::aneTargetForChip(chipName_);
    target_ = options.target.value_or(chipTarget_);
    if (!budget_) budget_ = &processCompileBudget();
    if (!cache_) cache_ = processProgramCache();
}

std::unique_ptr<Executable> AneBackend::prepareKernel(std::shared_ptr<const ir::Module> module,
                                                      const ir::Kernel& kernel) {
    const ir::Kernel* program = &kernel;
    std::unique_ptr<ir::Kernel> conversions;
    if (kernel.legalizedFor != passes::aneTargetName(target_)) {
        module = legalized(kernel, target_);
        program = module->kernels.front().get();
        conversions = addedConversions(kernel, *program);
    }
    mil::Program mil = mil::emitProgram(*program, passes::emitOptionsFor(target_));
    ProgramSource source = programSource(mil);
    SurfacePlan plan = planSurfaces(inputInfos(*program), outputInfos(*program),
                                    passes::aneTargetRules(target_).blobAlignment);
    // A loaded program belongs to its chip and to the surfaces it was loaded with.
    const std::string device = chipName_ + ", surfaces " + std::to_string(plan.inputBytes) + "/" +
                               std::to_string(plan.outputBytes);
    std::shared_ptr<SharedProgram> loaded = cache_->getOrCompile(device, source, [&] {
        budget_->charge("kernel '" + kernel.name + "'");
        try {
            return device_->compileAndLoad(source, plan.sizes());
        } catch (const DeviceError& e) {
            throw deviceFailure(e, kernel.name, chipTarget_, target_);
        }
    });
    std::unique_ptr<Executable> executable = std::make_unique<AneExecutable>(
        std::move(module), *program, std::move(plan), std::move(loaded), chipTarget_, target_);
    if (conversions) executable = withHostConversion(std::move(executable), *conversions);
    return executable;
}

} // namespace anec::runtime::ane
