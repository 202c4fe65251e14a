// anec::Program and anec::Kernel: loading through the driver, running through the runtime.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "api/api_internal.hpp"
#include "passes/ane_target.hpp"
#include "runtime/core/backend.hpp"

namespace anec::inline api {

// The current values of a program's dynamic weights (set by Program::setWeight), shared by its
// copies, and the kernels prepared from it, which setWeight updates in place.
struct WeightState {
    std::mutex mutex;
    std::map<std::string, runtime::Tensor> values; // in the declared type
    std::vector<std::weak_ptr<Kernel::Impl>> kernels;
};

struct Program::Impl {
    driver::LoadedProgram program;
    std::vector<KernelInfo> kernels;
    std::shared_ptr<WeightState> weights = std::make_shared<WeightState>();
};

struct Kernel::Impl {
    std::shared_ptr<const Program::Impl> program; // keeps the loaded kernel alive
    KernelInfo info;
    std::unique_ptr<runtime::Backend> backend;
    std::unique_ptr<runtime::Executable> executable;
    std::mutex running; // serialises runs and weight updates
};

namespace {

std::shared_ptr<const Program::Impl> describe(driver::LoadedProgram loaded) {
    auto impl = std::make_shared<Program::Impl>();
    for (const driver::LoadedKernel& kernel : loaded.kernels) {
        const ir::Kernel& ir = kernel.kernel();
        KernelInfo info{kernel.name, {}, {}};
        // The original named tensors, also where the compiler packed I/O (ir/packing.hpp).
        for (const ir::InterfaceTensor& input : ir::interfaceInputs(ir))
            info.inputs.push_back(tensorInfo(input.name, input.type));
        for (const ir::InterfaceTensor& output : ir::interfaceOutputs(ir))
            info.outputs.push_back(tensorInfo(output.name, output.type));
        for (const ir::DynamicWeight& weight : ir.dynamicWeights)
            info.dynamicWeights.push_back(tensorInfo(weight.name, weight.initial->type()));
        impl->kernels.push_back(std::move(info));
    }
    impl->program = std::move(loaded);
    return impl;
}

std::unique_ptr<runtime::Backend> createBackend(const RunOptions& options) {
    if (options.precision == Precision::Float64) {
        if (options.backend == Backend::Ane || options.backend == Backend::AneSimulator)
            throw Error(ErrorCode::InvalidArgument,
                        "float64 precision is a mode of the reference backend, not of the ANE");
        return runtime::createReferenceBackend(runtime::Precision::Float64);
    }
    runtime::BackendOptions ane{options.aneTarget, options.compileBudget};
    switch (options.backend) {
    case Backend::Auto:
        return runtime::createBackend(runtime::BackendKind::Auto, ane);
    case Backend::Reference:
        return runtime::createBackend(runtime::BackendKind::Reference, ane);
    case Backend::Ane:
        return runtime::createBackend(runtime::BackendKind::Ane, ane);
    case Backend::AneSimulator:
        return runtime::createBackend(runtime::BackendKind::AneSimulator, ane);
    }
    throw Error(ErrorCode::InvalidArgument, "invalid backend value");
}

// Element-wise float conversion (nearest even) between fp16, fp32 and fp64 buffers.
void convertFloats(DType from, const void* source, DType to, void* target, size_t count) {
    const auto* in = static_cast<const uint8_t*>(source);
    auto* out = static_cast<uint8_t*>(target);
    size_t inSize = dtypeSize(from), outSize = dtypeSize(to);
    for (size_t i = 0; i < count; ++i)
        storeFloat(to, out + i * outSize, loadFloat(from, in + i * inSize));
}

std::string quotedNames(const std::vector<TensorInfo>& infos) {
    std::string text;
    for (const TensorInfo& info : infos)
        text += (text.empty() ? "'" : ", '") + info.name + "'";
    return text;
}

const TensorInfo* findInfo(const std::vector<TensorInfo>& infos, std::string_view name) {
    for (const TensorInfo& info : infos)
        if (info.name == name) return &info;
    return nullptr;
}

// The value of a dynamic weight as the bytes of its declared type (converted into `storage`).
runtime::TensorView weightView(const TensorInfo& weight, const TensorView& value,
                               std::vector<uint8_t>& storage) {
    return guarded(ErrorCode::InvalidArgument,
                   [&] { return inputView(weight, value, storage, "dynamic weight"); });
}

void setExecutableWeight(Kernel::Impl& kernel, const std::string& name,
                         const runtime::TensorView& view) {
    guarded(ErrorCode::InvalidArgument, [&] {
        std::lock_guard<std::mutex> lock(kernel.running);
        kernel.executable->setDynamicWeight(name, view);
    });
}

} // namespace

driver::LoadOptions loadOptions(const CompileOptions& options) {
    if (options.optLevel != 0 && options.optLevel != 1)
        throw Error(ErrorCode::InvalidArgument,
                    "optLevel must be 0 or 1, got " + std::to_string(options.optLevel));
    driver::LoadOptions load{options.defines, options.optLevel, options.packIo, std::nullopt};
    if (!options.target.empty()) {
        load.target = passes::parseAneTarget(options.target);
        if (!load.target)
            throw Error(ErrorCode::InvalidArgument,
                        "unknown ANE target '" + options.target +
                            "' (expected generic, m1, m2, m3, m4 or m5, or empty for none)");
    }
    return load;
}

std::string declared(const TensorInfo& info) {
    return ir::TensorType{toIr(info.dtype), info.shape}.str();
}

// The view as the bytes of the declared input, converted into `storage` when the float dtypes
// differ. `what` names the tensor in messages ("input", "dynamic weight").
runtime::TensorView inputView(const TensorInfo& info, const TensorView& view,
                              std::vector<uint8_t>& storage, std::string_view what) {
    auto invalid = [&](const std::string& message) {
        return Error(ErrorCode::InvalidArgument,
                     std::string(what) + " '" + info.name + "': " + message);
    };
    if (view.shape() != info.shape)
        throw invalid("shape " + ir::shapeString(view.shape()) + " but the kernel declares " +
                      declared(info));
    if (view.spanElements() >= 0 && view.spanElements() != info.elementCount())
        throw invalid(std::to_string(view.spanElements()) + " values for " + declared(info) +
                      ", which has " + std::to_string(info.elementCount()) + " elements");
    bool convertible = isFloatType(view.dtype()) && isFloatType(info.dtype);
    if (view.dtype() != info.dtype && !convertible)
        throw invalid(std::string(dtypeName(view.dtype())) + " data but the kernel declares " +
                      declared(info));
    if (view.data() == nullptr && info.byteSize() > 0) throw invalid("the data pointer is null");
    ir::TensorType type{toIr(info.dtype), info.shape};
    if (view.dtype() == info.dtype)
        return runtime::TensorView{type,
                                   {static_cast<const uint8_t*>(view.data()), info.byteSize()}};
    storage.resize(info.byteSize());
    convertFloats(view.dtype(), view.data(), info.dtype, storage.data(),
                  static_cast<size_t>(info.elementCount()));
    return runtime::TensorView{type, storage};
}

const KernelInfo& Kernel::info() const {
    if (!impl_) throw Error(ErrorCode::InvalidArgument, "the kernel was not prepared");
    return impl_->info;
}

std::string Kernel::backendName() const {
    if (!impl_) throw Error(ErrorCode::InvalidArgument, "the kernel was not prepared");
    return impl_->backend->name();
}

std::map<std::string, Tensor> Kernel::run(const std::map<std::string, TensorView>& inputs) {
    const KernelInfo& kernel = info();
    std::map<std::string, runtime::TensorView> views;
    std::vector<std::vector<uint8_t>> storage(kernel.inputs.size());
    for (const auto& input : inputs) {
        // Named, not a structured binding: clang 14 cannot capture those in the lambdas.
        const std::string& name = input.first;
        const TensorView& view = input.second;
        auto declaredInput =
            std::find_if(kernel.inputs.begin(), kernel.inputs.end(),
                         [&](const TensorInfo& info) { return info.name == name; });
        if (declaredInput == kernel.inputs.end())
            throw Error(ErrorCode::InvalidArgument, "unknown input '" + name + "': kernel '" +
                                                        kernel.name + "' has inputs " +
                                                        quotedNames(kernel.inputs));
        size_t index = static_cast<size_t>(declaredInput - kernel.inputs.begin());
        views.emplace(name, guarded(ErrorCode::InvalidArgument, [&] {
                          return inputView(*declaredInput, view, storage[index]);
                      }));
    }
    for (const TensorInfo& input : kernel.inputs)
        if (views.count(input.name) == 0 && !findInfo(kernel.dynamicWeights, input.name))
            throw Error(ErrorCode::InvalidArgument, "missing input '" + input.name + "' (" +
                                                        declared(input) + ") of kernel '" +
                                                        kernel.name + "'");

    std::map<std::string, runtime::Tensor> results = guarded(ErrorCode::RunFailed, [&] {
        std::lock_guard<std::mutex> lock(impl_->running);
        return impl_->executable->run(views);
    });
    std::map<std::string, Tensor> outputs;
    for (auto& [name, tensor] : results) {
        DType dtype = fromIr(tensor.type().dtype);
        Shape shape = tensor.type().shape;
        outputs.emplace(name, TensorAccess::make(dtype, std::move(shape), tensor.release()));
    }
    return outputs;
}

void Kernel::setWeight(std::string_view name, const TensorView& value) {
    const KernelInfo& kernel = info();
    const TensorInfo* weight = findInfo(kernel.dynamicWeights, name);
    if (!weight)
        throw Error(
            ErrorCode::InvalidArgument,
            "kernel '" + kernel.name + "' has no dynamic weight '" + std::string(name) +
                "' (its dynamic weights: " +
                (kernel.dynamicWeights.empty() ? "none" : quotedNames(kernel.dynamicWeights)) +
                ")");
    std::vector<uint8_t> storage;
    runtime::TensorView view = weightView(*weight, value, storage);
    setExecutableWeight(*impl_, weight->name, view);
}

Program Program::compile(std::string_view source, const CompileOptions& options,
                         std::string_view name) {
    return guarded(ErrorCode::InvalidArgument, [&] {
        Program program;
        program.impl_ = describe(
            driver::compileSource(std::string(name), std::string(source), loadOptions(options)));
        return program;
    });
}

Program Program::load(const std::string& path, const CompileOptions& options) {
    return guarded(ErrorCode::LoadFailed, [&] {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec))
            throw Error(ErrorCode::LoadFailed,
                        "cannot open '" + path + "': no such file or directory");
        Program program;
        program.impl_ = describe(driver::loadProgram(path, loadOptions(options)));
        return program;
    });
}

const std::vector<KernelInfo>& Program::kernels() const {
    if (!impl_) throw Error(ErrorCode::InvalidArgument, "the program is empty");
    return impl_->kernels;
}

const KernelInfo& Program::kernel(std::string_view name) const {
    for (const KernelInfo& info : kernels())
        if (info.name == name) return info;
    throw Error(ErrorCode::NotFound,
                "no kernel '" + std::string(name) + "' in " + impl_->program.origin +
                    "; its kernels are: " + driver::joinNames(impl_->program.kernelNames()));
}

const std::string& Program::warnings() const {
    if (!impl_) throw Error(ErrorCode::InvalidArgument, "the program is empty");
    return impl_->program.warnings;
}

Kernel Program::prepare(std::string_view name, const RunOptions& options) const {
    if (!impl_) throw Error(ErrorCode::InvalidArgument, "the program is empty");
    const driver::LoadedKernel& loaded =
        guarded(ErrorCode::NotFound, [&]() -> const driver::LoadedKernel& {
            return impl_->program.select(std::string(name));
        });
    auto impl = std::make_shared<Kernel::Impl>();
    impl->program = impl_;
    impl->info = impl_->kernels.at(static_cast<size_t>(&loaded - impl_->program.kernels.data()));
    guarded(ErrorCode::Unsupported, [&] {
        impl->backend = createBackend(options);
        impl->executable = impl->backend->prepare(loaded.module, loaded.kernelName);
    });
    // The kernel starts from the program's current weights and follows later setWeight calls.
    WeightState& weights = *impl_->weights;
    std::lock_guard<std::mutex> lock(weights.mutex);
    for (const TensorInfo& weight : impl->info.dynamicWeights) {
        auto value = weights.values.find(weight.name);
        if (value != weights.values.end())
            setExecutableWeight(*impl, weight.name,
                                runtime::TensorView{value->second.type(), value->second.bytes()});
    }
    std::erase_if(weights.kernels, [](const auto& k) { return k.expired(); });
    weights.kernels.push_back(impl);
    Kernel kernel;
    kernel.impl_ = std::move(impl);
    return kernel;
}

std::map<std::string, Tensor> Program::run(std::string_view kernel,
                                           const std::map<std::string, TensorView>& inputs,
                                           const RunOptions& options) const {
    return prepare(kernel, options).run(inputs);
}

void Program::setWeight(std::string_view name, const TensorView& value) const {
    const TensorInfo* weight = nullptr;
    std::vector<TensorInfo> all;
    for (const KernelInfo& kernel : kernels())
        for (const TensorInfo& candidate : kernel.dynamicWeights) {
            if (!weight && candidate.name == name) weight = &candidate;
            if (!findInfo(all, candidate.name)) all.push_back(candidate);
        }
    if (!weight)
        throw Error(ErrorCode::InvalidArgument,
                    "no dynamic weight '" + std::string(name) + "' in " + impl_->program.origin +
                        " (its dynamic weights: " + (all.empty() ? "none" : quotedNames(all)) +
                        ")");
    std::vector<uint8_t> storage;
    runtime::TensorView view = weightView(*weight, value, storage);
    WeightState& weights = *impl_->weights;
    std::lock_guard<std::mutex> lock(weights.mutex);
    weights.values[weight->name] =
        runtime::Tensor(view.type, std::vector<uint8_t>(view.bytes.begin(), view.bytes.end()));
    for (const std::weak_ptr<Kernel::Impl>& handle : weights.kernels)
        if (std::shared_ptr<Kernel::Impl> kernel = handle.lock();
            kernel && findInfo(kernel->info.dynamicWeights, weight->name))
            setExecutableWeight(*kernel, weight->name, view);
}

std::vector<std::string> aneTargets() {
    return passes::aneTargetNames();
}

void setMaxMemory(uint64_t bytes) {
    anec::setMemoryLimit(bytes);
}

uint64_t maxMemory() {
    return guarded(ErrorCode::InvalidArgument, [] { return anec::memoryLimit(); });
}

} // namespace anec::inline api
