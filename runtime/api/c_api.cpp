// The C API: a thin layer over the C++ API that turns every exception into a status code and a
// thread-local message.
#include <algorithm>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "anec/anec.h"
#include "anec/anec.hpp"

struct anec_compile_options {
    anec::CompileOptions options;
};

struct anec_program {
    anec::Program program;
    anec::Backend backend = anec::Backend::Auto;
    std::string aneTarget;                        // RunOptions::aneTarget
    size_t compileBudget = 0;                     // RunOptions::compileBudget
    std::mutex mutex;                             // guards `prepared` and serialises runs
    std::map<std::string, anec::Kernel> prepared; // by the name given to anec_run
};

struct anec_trainer {
    anec::Trainer trainer;
    std::vector<std::string> weightNames;
    // Shapes handed out by anec_trainer_weight_info, alive as long as the trainer.
    std::map<std::string, anec::TensorInfo> infos;
};

namespace {

thread_local std::string lastError;

void setLastError(const char* message) {
    try {
        lastError = message;
    } catch (...) {
        lastError.clear();
    }
}

anec::Error invalid(const std::string& message) {
    return anec::Error(anec::ErrorCode::InvalidArgument, message);
}

// Runs `body`; every exception becomes a status and the thread's last error message.
template <typename Body> anec_status boundary(Body&& body) {
    try {
        body();
        return ANEC_OK;
    } catch (const anec::Error& e) {
        setLastError(e.what());
        return static_cast<anec_status>(e.code());
    } catch (const std::bad_alloc&) {
        setLastError("out of memory");
        return ANEC_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        setLastError(e.what());
        return ANEC_ERROR_INTERNAL;
    } catch (...) {
        setLastError("unknown exception");
        return ANEC_ERROR_INTERNAL;
    }
}

// For the entry points without a status: `body`'s value, or `fallback` if anything throws.
template <typename T, typename Body> T valueOr(T fallback, Body&& body) noexcept {
    try {
        return body();
    } catch (...) {
        return fallback;
    }
}

template <typename T> void requireNonNull(const T* pointer, const char* what) {
    if (pointer == nullptr) throw invalid(std::string(what) + " is NULL");
}

bool validDType(anec_dtype dtype) {
    return dtype >= ANEC_DTYPE_BOOL && dtype <= ANEC_DTYPE_FLOAT64;
}

anec::DType toDType(anec_dtype dtype, const std::string& what) {
    if (!validDType(dtype))
        throw invalid(what + ": invalid dtype value " + std::to_string(static_cast<int>(dtype)));
    return static_cast<anec::DType>(dtype);
}

bool isFloat(anec::DType dtype) {
    return dtype == anec::DType::Float16 || dtype == anec::DType::Float32 ||
           dtype == anec::DType::Float64;
}

// "NAME=VALUE" strings (-D) as CompileOptions::defines.
std::map<std::string, int64_t> parseDefines(const char* const* defines, size_t count) {
    if (count > 0) requireNonNull(defines, "defines");
    std::map<std::string, int64_t> parsed;
    for (size_t i = 0; i < count; ++i) {
        requireNonNull(defines[i], "a define");
        std::string text = defines[i];
        size_t eq = text.find('=');
        if (eq == std::string::npos || eq == 0)
            throw invalid("a define must be NAME=INTEGER, got '" + text + "'");
        std::string value = text.substr(eq + 1);
        size_t used = 0;
        long long number = 0;
        try {
            number = std::stoll(value, &used);
        } catch (const std::exception&) {
            used = std::string::npos;
        }
        if (value.empty() || used != value.size())
            throw invalid("define " + text.substr(0, eq) + ": '" + value + "' is not an integer");
        parsed[text.substr(0, eq)] = number;
    }
    return parsed;
}

anec::CompileOptions compileOptions(const char* const* defines, size_t count, int optLevel) {
    anec::CompileOptions options;
    options.optLevel = optLevel;
    options.defines = parseDefines(defines, count);
    return options;
}

anec::CompileOptions optionsOrDefaults(const anec_compile_options* options) {
    return options != nullptr ? options->options : anec::CompileOptions{};
}

// An ANE target name of the C API (NULL or "": none); throws for an unknown one.
std::string checkedTarget(const char* target, const char* none) {
    std::string name = target != nullptr ? target : "";
    const std::vector<std::string> targets = anec::aneTargets();
    if (!name.empty() && std::find(targets.begin(), targets.end(), name) == targets.end())
        throw invalid("unknown ANE target '" + name +
                      "' (expected generic, m1, m2, m3, m4 or m5, or NULL for " + none + ")");
    return name;
}

// Builds a program into *out (NULL on failure).
template <typename Build> void storeProgram(anec_program** out, Build&& build) {
    auto program = std::make_unique<anec_program>();
    program->program = build();
    *out = program.release();
}

const anec::KernelInfo& kernelAt(const anec_program* program, size_t kernel) {
    requireNonNull(program, "program");
    const auto& kernels = program->program.kernels();
    if (kernel >= kernels.size())
        throw invalid("kernel index " + std::to_string(kernel) + " is out of range (" +
                      std::to_string(kernels.size()) + " kernels)");
    return kernels[kernel];
}

void fillInfo(const anec::TensorInfo& tensor, anec_tensor_info* info) {
    info->name = tensor.name.c_str();
    info->dtype = static_cast<anec_dtype>(tensor.dtype);
    info->rank = tensor.shape.size();
    info->shape = tensor.shape.data();
    info->element_count = static_cast<size_t>(tensor.elementCount());
    info->byte_size = tensor.byteSize();
}

anec_status tensorInfo(const anec_program* program, size_t kernel, size_t index,
                       anec_tensor_info* info, bool input) {
    return boundary([&] {
        requireNonNull(info, "info");
        const anec::KernelInfo& k = kernelAt(program, kernel);
        const auto& tensors = input ? k.inputs : k.outputs;
        if (index >= tensors.size())
            throw invalid(std::string(input ? "input" : "output") + " index " +
                          std::to_string(index) + " is out of range for kernel '" + k.name + "' (" +
                          std::to_string(tensors.size()) + ")");
        fillInfo(tensors[index], info);
    });
}

const anec::TensorInfo* findTensor(const std::vector<anec::TensorInfo>& tensors,
                                   const std::string& name) {
    for (const anec::TensorInfo& tensor : tensors)
        if (tensor.name == name) return &tensor;
    return nullptr;
}

// Checks a caller buffer against a declared tensor: its dtype may differ only between floats.
void checkBuffer(const anec::TensorInfo& info, anec_dtype dtype, const void* data, size_t byteSize,
                 const std::string& what) {
    anec::DType given = toDType(dtype, what);
    if (given != info.dtype && !(isFloat(given) && isFloat(info.dtype)))
        throw invalid(what + ": " + std::string(anec::dtypeName(given)) +
                      " buffer for a tensor declared " + std::string(anec::dtypeName(info.dtype)));
    size_t needed = static_cast<size_t>(info.elementCount()) * anec::dtypeSize(given);
    if (byteSize != needed)
        throw invalid(what + ": the buffer has " + std::to_string(byteSize) + " bytes; " +
                      std::to_string(info.elementCount()) + " " +
                      std::string(anec::dtypeName(given)) + " elements need " +
                      std::to_string(needed));
    if (data == nullptr && needed > 0) throw invalid(what + ": the data pointer is NULL");
}

std::string quotedNames(const std::vector<anec::TensorInfo>& tensors) {
    std::string text;
    for (const anec::TensorInfo& tensor : tensors)
        text += (text.empty() ? "'" : ", '") + tensor.name + "'";
    return text;
}

// The declaration of dynamic weight `name` in any kernel of the program (they all agree).
const anec::TensorInfo& findDynamicWeight(const anec_program* program, const std::string& name) {
    std::vector<anec::TensorInfo> known;
    for (const anec::KernelInfo& kernel : program->program.kernels())
        for (const anec::TensorInfo& weight : kernel.dynamicWeights) {
            if (weight.name == name) return weight;
            if (!findTensor(known, weight.name)) known.push_back(weight);
        }
    throw invalid("unknown dynamic weight '" + name + "' (the program's dynamic weights: " +
                  (known.empty() ? "none" : quotedNames(known)) + ")");
}

// The inputs as views of the caller's buffers, every one checked against its declaration.
std::map<std::string, anec::TensorView> inputViews(const anec::KernelInfo& kernel,
                                                   const anec_input* inputs, size_t count) {
    std::map<std::string, anec::TensorView> views;
    for (size_t i = 0; i < count; ++i) {
        const anec_input& input = inputs[i];
        requireNonNull(input.name, "an input name");
        std::string what = "input '" + std::string(input.name) + "'";
        const anec::TensorInfo* declared = findTensor(kernel.inputs, input.name);
        if (declared == nullptr)
            throw invalid("unknown " + what + ": kernel '" + kernel.name + "' has inputs " +
                          quotedNames(kernel.inputs));
        checkBuffer(*declared, input.dtype, input.data, input.byte_size, what);
        anec::TensorView view(input.data, toDType(input.dtype, what), declared->shape);
        if (!views.emplace(input.name, view).second) throw invalid(what + " is given twice");
    }
    return views;
}

void checkOutputs(const anec::KernelInfo& kernel, const anec_output* outputs, size_t count) {
    std::set<std::string> requested;
    for (size_t i = 0; i < count; ++i) {
        const anec_output& output = outputs[i];
        requireNonNull(output.name, "an output name");
        std::string what = "output '" + std::string(output.name) + "'";
        const anec::TensorInfo* declared = findTensor(kernel.outputs, output.name);
        if (declared == nullptr)
            throw invalid("unknown " + what + ": kernel '" + kernel.name + "' has outputs " +
                          quotedNames(kernel.outputs));
        checkBuffer(*declared, output.dtype, output.data, output.byte_size, what);
        if (!requested.insert(output.name).second) throw invalid(what + " is asked for twice");
    }
}

// The compile and load entry points: `options` is built inside the boundary, as it may throw.
template <typename Options>
anec_status compileSource(const char* source, const char* name, Options&& options,
                          anec_program** program) {
    return boundary([&] {
        requireNonNull(program, "the program result pointer");
        *program = nullptr;
        requireNonNull(source, "source");
        anec::CompileOptions compile = options();
        storeProgram(program, [&] {
            return anec::Program::compile(source, compile, name != nullptr ? name : "source.ane");
        });
    });
}

template <typename Options>
anec_status loadFile(const char* path, Options&& options, anec_program** program) {
    return boundary([&] {
        requireNonNull(program, "the program result pointer");
        *program = nullptr;
        requireNonNull(path, "path");
        anec::CompileOptions compile = options();
        storeProgram(program, [&] { return anec::Program::load(path, compile); });
    });
}

} // namespace

extern "C" {

const char* anec_version(void) {
    return ANEC_VERSION;
}

const char* anec_last_error(void) {
    return lastError.c_str();
}

const char* anec_status_name(anec_status status) {
    switch (status) {
    case ANEC_OK:
        return "ANEC_OK";
    case ANEC_ERROR_INVALID_ARGUMENT:
        return "ANEC_ERROR_INVALID_ARGUMENT";
    case ANEC_ERROR_NOT_FOUND:
        return "ANEC_ERROR_NOT_FOUND";
    case ANEC_ERROR_COMPILE:
        return "ANEC_ERROR_COMPILE";
    case ANEC_ERROR_LOAD:
        return "ANEC_ERROR_LOAD";
    case ANEC_ERROR_UNSUPPORTED:
        return "ANEC_ERROR_UNSUPPORTED";
    case ANEC_ERROR_RUN:
        return "ANEC_ERROR_RUN";
    case ANEC_ERROR_OUT_OF_MEMORY:
        return "ANEC_ERROR_OUT_OF_MEMORY";
    case ANEC_ERROR_INTERNAL:
        return "ANEC_ERROR_INTERNAL";
    }
    return "unknown status";
}

const char* anec_dtype_name(anec_dtype dtype) {
    // Indexed by anec_dtype; the same spellings as anec::dtypeName, as C strings.
    static const char* const names[] = {"bool",   "int8",   "int16",  "int32", "int64", "uint8",
                                        "uint16", "uint32", "uint64", "fp16",  "fp32",  "fp64"};
    return validDType(dtype) ? names[dtype] : nullptr;
}

size_t anec_dtype_size(anec_dtype dtype) {
    return valueOr<size_t>(0, [&]() -> size_t {
        return validDType(dtype) ? anec::dtypeSize(static_cast<anec::DType>(dtype)) : 0;
    });
}

void anec_set_max_memory(uint64_t bytes) {
    anec::setMaxMemory(bytes);
}

uint64_t anec_max_memory(void) {
    uint64_t limit = 0;
    if (boundary([&] { limit = anec::maxMemory(); }) != ANEC_OK) return 0;
    return limit;
}

anec_status anec_compile_source(const char* source, const char* name, const char* const* defines,
                                size_t define_count, int opt_level, anec_program** program) {
    return compileSource(
        source, name, [&] { return compileOptions(defines, define_count, opt_level); }, program);
}

anec_status anec_compile_file(const char* path, const char* const* defines, size_t define_count,
                              int opt_level, anec_program** program) {
    return loadFile(
        path, [&] { return compileOptions(defines, define_count, opt_level); }, program);
}

anec_status anec_compile_source_with_options(const char* source, const char* name,
                                             const anec_compile_options* options,
                                             anec_program** program) {
    return compileSource(
        source, name, [&] { return optionsOrDefaults(options); }, program);
}

anec_status anec_load_with_options(const char* path, const anec_compile_options* options,
                                   anec_program** program) {
    return loadFile(
        path, [&] { return optionsOrDefaults(options); }, program);
}

anec_status anec_compile_options_create(anec_compile_options** options) {
    return boundary([&] {
        requireNonNull(options, "the options result pointer");
        *options = nullptr;
        *options = new anec_compile_options();
    });
}

void anec_compile_options_free(anec_compile_options* options) {
    delete options;
}

anec_status anec_compile_options_set_pipeline(anec_compile_options* options, int opt_level,
                                              int pack_io) {
    return boundary([&] {
        requireNonNull(options, "options");
        if (opt_level != 0 && opt_level != 1)
            throw invalid("opt_level must be 0 or 1, got " + std::to_string(opt_level));
        options->options.optLevel = opt_level;
        options->options.packIo = pack_io != 0;
    });
}

anec_status anec_compile_options_set_target(anec_compile_options* options, const char* target) {
    return boundary([&] {
        requireNonNull(options, "options");
        options->options.target = checkedTarget(target, "none");
    });
}

anec_status anec_compile_options_set_defines(anec_compile_options* options,
                                             const char* const* defines, size_t define_count) {
    return boundary([&] {
        requireNonNull(options, "options");
        options->options.defines = parseDefines(defines, define_count);
    });
}

anec_status anec_load(const char* path, anec_program** program) {
    return anec_compile_file(path, nullptr, 0, 1, program);
}

void anec_program_free(anec_program* program) {
    delete program;
} // destructors do not throw

anec_status anec_program_set_backend(anec_program* program, anec_backend backend) {
    return boundary([&] {
        requireNonNull(program, "program");
        if (backend < ANEC_BACKEND_AUTO || backend > ANEC_BACKEND_ANE_SIMULATOR)
            throw invalid("invalid backend value " + std::to_string(static_cast<int>(backend)));
        std::lock_guard<std::mutex> lock(program->mutex);
        program->backend = static_cast<anec::Backend>(backend);
        program->prepared.clear();
    });
}

anec_status anec_program_set_ane_options(anec_program* program, const char* target,
                                         size_t compile_budget) {
    return boundary([&] {
        requireNonNull(program, "program");
        std::string name = checkedTarget(target, "the chip's");
        std::lock_guard<std::mutex> lock(program->mutex);
        program->aneTarget = name;
        program->compileBudget = compile_budget;
        program->prepared.clear();
    });
}

size_t anec_kernel_count(const anec_program* program) {
    return valueOr<size_t>(
        0, [&]() -> size_t { return program == nullptr ? 0 : program->program.kernels().size(); });
}

const char* anec_kernel_name(const anec_program* program, size_t kernel) {
    return valueOr<const char*>(nullptr, [&] { return kernelAt(program, kernel).name.c_str(); });
}

anec_status anec_find_kernel(const anec_program* program, const char* name, size_t* kernel) {
    return boundary([&] {
        requireNonNull(program, "program");
        requireNonNull(name, "name");
        requireNonNull(kernel, "the kernel result pointer");
        const anec::KernelInfo& info = program->program.kernel(name);
        *kernel = static_cast<size_t>(&info - program->program.kernels().data());
    });
}

size_t anec_input_count(const anec_program* program, size_t kernel) {
    return valueOr<size_t>(0, [&] { return kernelAt(program, kernel).inputs.size(); });
}

size_t anec_output_count(const anec_program* program, size_t kernel) {
    return valueOr<size_t>(0, [&] { return kernelAt(program, kernel).outputs.size(); });
}

anec_status anec_input_info(const anec_program* program, size_t kernel, size_t input,
                            anec_tensor_info* info) {
    return tensorInfo(program, kernel, input, info, true);
}

anec_status anec_output_info(const anec_program* program, size_t kernel, size_t output,
                             anec_tensor_info* info) {
    return tensorInfo(program, kernel, output, info, false);
}

size_t anec_dynamic_weight_count(const anec_program* program, size_t kernel) {
    return valueOr<size_t>(0, [&] { return kernelAt(program, kernel).dynamicWeights.size(); });
}

anec_status anec_dynamic_weight_info(const anec_program* program, size_t kernel, size_t weight,
                                     anec_tensor_info* info) {
    return boundary([&] {
        requireNonNull(info, "info");
        const anec::KernelInfo& k = kernelAt(program, kernel);
        if (weight >= k.dynamicWeights.size())
            throw invalid("dynamic weight index " + std::to_string(weight) +
                          " is out of range for kernel '" + k.name + "' (" +
                          std::to_string(k.dynamicWeights.size()) + ")");
        fillInfo(k.dynamicWeights[weight], info);
    });
}

anec_status anec_set_weight(anec_program* program, const char* name, anec_dtype dtype,
                            const void* data, size_t byte_size) {
    return boundary([&] {
        requireNonNull(program, "program");
        requireNonNull(name, "name");
        const anec::TensorInfo& declared = findDynamicWeight(program, name);
        std::string what = "dynamic weight '" + std::string(name) + "'";
        checkBuffer(declared, dtype, data, byte_size, what);
        std::lock_guard<std::mutex> lock(program->mutex);
        program->program.setWeight(name,
                                   anec::TensorView(data, toDType(dtype, what), declared.shape));
    });
}

anec_status anec_run(anec_program* program, const char* kernel, const anec_input* inputs,
                     size_t input_count, const anec_output* outputs, size_t output_count) {
    return boundary([&] {
        requireNonNull(program, "program");
        if (input_count > 0) requireNonNull(inputs, "inputs");
        if (output_count > 0) requireNonNull(outputs, "outputs");
        std::string name = kernel != nullptr ? kernel : "";
        std::lock_guard<std::mutex> lock(program->mutex);
        auto found = program->prepared.find(name);
        if (found == program->prepared.end()) {
            anec::RunOptions options;
            options.backend = program->backend;
            options.aneTarget = program->aneTarget;
            options.compileBudget = program->compileBudget;
            found = program->prepared.emplace(name, program->program.prepare(name, options)).first;
        }
        anec::Kernel& prepared = found->second;
        const anec::KernelInfo& info = prepared.info();

        std::map<std::string, anec::TensorView> views = inputViews(info, inputs, input_count);
        checkOutputs(info, outputs, output_count);

        std::map<std::string, anec::Tensor> results = prepared.run(views);
        for (size_t i = 0; i < output_count; ++i) {
            auto result = results.find(outputs[i].name);
            if (result == results.end())
                throw anec::Error(anec::ErrorCode::RunFailed, "the kernel returned no output '" +
                                                                  std::string(outputs[i].name) +
                                                                  "'");
            anec::Tensor value =
                result->second.convertedTo(static_cast<anec::DType>(outputs[i].dtype));
            std::memcpy(outputs[i].data, value.data(), value.byteSize());
        }
    });
}

} // extern "C"

namespace {

const anec::TensorInfo& trainerWeight(const anec_trainer* trainer, const char* name) {
    requireNonNull(trainer, "trainer");
    requireNonNull(name, "name");
    auto& infos = const_cast<anec_trainer*>(trainer)->infos;
    auto found = infos.find(name);
    if (found != infos.end()) return found->second;
    anec::Tensor value = trainer->trainer.weight(name);
    return infos[name] = anec::TensorInfo{name, value.dtype(), value.shape()};
}

anec::Backend toBackend(anec_backend backend) {
    switch (backend) {
    case ANEC_BACKEND_AUTO:
        return anec::Backend::Auto;
    case ANEC_BACKEND_REFERENCE:
        return anec::Backend::Reference;
    case ANEC_BACKEND_ANE:
        return anec::Backend::Ane;
    case ANEC_BACKEND_ANE_SIMULATOR:
        return anec::Backend::AneSimulator;
    }
    throw invalid("invalid backend value " + std::to_string(static_cast<int>(backend)));
}

} // namespace

anec_status anec_trainer_create(const char* path, const anec_compile_options* options,
                                anec_backend backend, int64_t batch, anec_trainer** trainer) {
    return boundary([&] {
        requireNonNull(path, "path");
        requireNonNull(trainer, "trainer");
        *trainer = nullptr;
        anec::TrainOptions train;
        train.run.backend = toBackend(backend);
        train.batch = batch;
        auto created = std::make_unique<anec_trainer>(
            anec_trainer{anec::Trainer::load(path, optionsOrDefaults(options), train), {}, {}});
        created->weightNames = created->trainer.weightNames();
        *trainer = created.release();
    });
}

void anec_trainer_free(anec_trainer* trainer) {
    delete trainer;
}

anec_status anec_trainer_shape(const anec_trainer* trainer, int64_t* sequences,
                               int64_t* sequence_length, int64_t* vocabulary) {
    return boundary([&] {
        requireNonNull(trainer, "trainer");
        if (sequences) *sequences = trainer->trainer.sequences();
        if (sequence_length) *sequence_length = trainer->trainer.sequenceLength();
        if (vocabulary) *vocabulary = trainer->trainer.vocabulary();
    });
}

anec_status anec_trainer_step(anec_trainer* trainer, const int32_t* tokens, const int32_t* targets,
                              size_t count, double* loss) {
    return boundary([&] {
        requireNonNull(trainer, "trainer");
        requireNonNull(tokens, "tokens");
        requireNonNull(targets, "targets");
        double value = trainer->trainer.step({tokens, count}, {targets, count});
        if (loss) *loss = value;
    });
}

int64_t anec_trainer_steps_done(const anec_trainer* trainer) {
    return valueOr<int64_t>(-1, [&] { return trainer ? trainer->trainer.stepsDone() : -1; });
}

anec_status anec_trainer_counters(const anec_trainer* trainer, uint64_t* dispatches,
                                  uint64_t* bytes_to_device, uint64_t* bytes_from_device,
                                  size_t* compiles) {
    return boundary([&] {
        requireNonNull(trainer, "trainer");
        const anec::StepCounters& counters = trainer->trainer.lastStep();
        if (dispatches) *dispatches = counters.dispatches;
        if (bytes_to_device) *bytes_to_device = counters.bytesToDevice;
        if (bytes_from_device) *bytes_from_device = counters.bytesFromDevice;
        if (compiles) *compiles = trainer->trainer.compiles();
    });
}

size_t anec_trainer_weight_count(const anec_trainer* trainer) {
    return trainer ? trainer->weightNames.size() : 0;
}

const char* anec_trainer_weight_name(const anec_trainer* trainer, size_t index) {
    if (!trainer || index >= trainer->weightNames.size()) return nullptr;
    return trainer->weightNames[index].c_str();
}

anec_status anec_trainer_weight_info(const anec_trainer* trainer, const char* name,
                                     anec_tensor_info* info) {
    return boundary([&] {
        requireNonNull(info, "info");
        const anec::TensorInfo& weight = trainerWeight(trainer, name);
        const auto& stored = trainer->infos.at(name);
        *info = anec_tensor_info{
            stored.name.c_str(), static_cast<anec_dtype>(weight.dtype),      weight.shape.size(),
            stored.shape.data(), static_cast<size_t>(weight.elementCount()), weight.byteSize()};
    });
}

anec_status anec_trainer_get_weight(const anec_trainer* trainer, const char* name, anec_dtype dtype,
                                    void* data, size_t byte_size) {
    return boundary([&] {
        const anec::TensorInfo& declared = trainerWeight(trainer, name);
        std::string what = "weight '" + std::string(name) + "'";
        checkBuffer(declared, dtype, data, byte_size, what);
        anec::Tensor value = trainer->trainer.weight(name);
        anec::DType wanted = toDType(dtype, what);
        anec::Tensor converted = wanted == value.dtype() ? value : value.convertedTo(wanted);
        if (byte_size > 0) std::memcpy(data, converted.data(), byte_size);
    });
}

anec_status anec_trainer_set_weight(anec_trainer* trainer, const char* name, anec_dtype dtype,
                                    const void* data, size_t byte_size) {
    return boundary([&] {
        const anec::TensorInfo& declared = trainerWeight(trainer, name);
        std::string what = "weight '" + std::string(name) + "'";
        checkBuffer(declared, dtype, data, byte_size, what);
        trainer->trainer.setWeight(name,
                                   anec::TensorView(data, toDType(dtype, what), declared.shape));
    });
}

anec_status anec_trainer_save_checkpoint(const anec_trainer* trainer, const char* path) {
    return boundary([&] {
        requireNonNull(trainer, "trainer");
        requireNonNull(path, "path");
        trainer->trainer.saveCheckpoint(path);
    });
}

anec_status anec_trainer_load_checkpoint(anec_trainer* trainer, const char* path) {
    return boundary([&] {
        requireNonNull(trainer, "trainer");
        requireNonNull(path, "path");
        trainer->trainer.loadCheckpoint(path);
    });
}
