#pragma once
// The anec embedding API for C++20: compile .ane source or load programs written by
// `anec build` (or any .mil file), inspect their kernels, and run them on the CPU reference
// backend (or the ANE where it is available). Every failure throws anec::Error carrying the full
// diagnostic text. Reference: docs/embedding.md. The C API is anec/anec.h.
//
//     anec::Program program = anec::Program::compile(source);
//     anec::Kernel kernel = program.prepare("scale");
//     std::vector<float> x(8, 1.0f);
//     auto outputs = kernel.run({{"x", anec::TensorView(x, {1, 8})}});
//     std::vector<float> y = outputs.at("y").toFloats();
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "anec/export.h"

namespace anec {
// The public types live in the inline namespace anec::api so that they never clash with the
// compiler's internal anec:: types inside the library; users simply write anec::Program.
inline namespace api {

enum class DType : int {
    Bool = 0,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float16,
    Float32,
    Float64,
};

// The MIL / .ane spelling: "fp16", "fp32", "int32", "bool", ...
ANEC_API std::string_view dtypeName(DType dtype);
// Bytes per element (1 for Bool).
ANEC_API size_t dtypeSize(DType dtype);

using Shape = std::vector<int64_t>;
// The product of the dimensions (1 for a scalar).
ANEC_API int64_t elementCount(const Shape& shape);

enum class ErrorCode : int {
    InvalidArgument = 1, // a bad argument: unknown or missing input, wrong shape or size, ...
    NotFound = 2,        // no such kernel
    CompileFailed = 3,   // the source has errors; the message holds every diagnostic
    LoadFailed = 4,      // a file or directory could not be read or is not a program
    Unsupported = 5,     // the backend is not available here or cannot run the kernel
    RunFailed = 6,       // the kernel failed while running
    OutOfMemory = 7,
    Internal = 8, // a bug in anec
};

// Every failure of the API. what() is the complete message: for CompileFailed every
// diagnostic in clang form (file:line:col: error: ..., source line, caret) and the error count.
class ANEC_API Error : public std::runtime_error {
  public:
    Error(ErrorCode code, const std::string& message);
    ~Error() override;
    ErrorCode code() const noexcept { return code_; }

  private:
    ErrorCode code_;
};

struct TensorInfo {
    std::string name;
    DType dtype = DType::Float32;
    Shape shape;

    int64_t elementCount() const { return anec::elementCount(shape); }
    size_t byteSize() const { return static_cast<size_t>(elementCount()) * dtypeSize(dtype); }
};

struct KernelInfo {
    std::string name;
    std::vector<TensorInfo> inputs;  // in declaration order
    std::vector<TensorInfo> outputs; // in declaration order
    // The inputs that carry dynamic weights (`dynamic weight W` in the source), also listed in
    // `inputs`: run() may omit them and then uses the weight's current value (setWeight).
    std::vector<TensorInfo> dynamicWeights;
};

// An owned tensor: dtype, shape and row-major little-endian bytes.
class ANEC_API Tensor {
  public:
    Tensor() = default;
    // Zero-filled.
    Tensor(DType dtype, Shape shape);
    // Copies elementCount(shape) * dtypeSize(dtype) bytes from `data`.
    Tensor(DType dtype, Shape shape, const void* data);
    // The values rounded to `dtype` (Float16, Float32 or Float64; fp16 rounds to nearest even).
    // values.size() must equal elementCount(shape).
    static Tensor fromFloats(std::span<const float> values, Shape shape,
                             DType dtype = DType::Float32);
    static Tensor fromFloats(std::initializer_list<float> values, Shape shape,
                             DType dtype = DType::Float32) {
        return fromFloats(std::span<const float>(values.begin(), values.size()), std::move(shape),
                          dtype);
    }

    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    int64_t elementCount() const { return anec::elementCount(shape_); }
    size_t byteSize() const { return bytes_.size(); }
    const void* data() const { return bytes_.data(); }
    void* data() { return bytes_.data(); }
    // Every element converted to float (any numeric dtype; fp16 exactly, bool as 0 or 1).
    std::vector<float> toFloats() const;
    // A copy in another float dtype (fp16, fp32, fp64; rounded to nearest even). Any tensor
    // converts to its own dtype.
    Tensor convertedTo(DType dtype) const;

  private:
    friend struct TensorAccess;
    DType dtype_ = DType::Float32;
    Shape shape_{0};
    std::vector<uint8_t> bytes_;
};

// A borrowed input: the caller keeps `data` alive during the call. fp16, fp32 and fp64 views
// feed fp16 and fp32 inputs (converted, rounding to nearest even); other dtypes must match the
// declared one exactly. The shape must equal the declared shape.
class TensorView {
  public:
    TensorView(const void* data, DType dtype, Shape shape)
        : data_(data), dtype_(dtype), shape_(std::move(shape)) {}
    TensorView(std::span<const float> values, Shape shape)
        : data_(values.data()), dtype_(DType::Float32), shape_(std::move(shape)),
          floatCount_(static_cast<int64_t>(values.size())) {}
    TensorView(const Tensor& tensor)
        : data_(tensor.data()), dtype_(tensor.dtype()), shape_(tensor.shape()) {}

    const void* data() const { return data_; }
    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    // The number of floats of a span view (-1 for other views), checked against the shape.
    int64_t spanElements() const { return floatCount_; }

  private:
    const void* data_;
    DType dtype_;
    Shape shape_;
    int64_t floatCount_ = -1;
};

struct CompileOptions {
    // Overrides of `const NAME = ...` (-D NAME=VALUE); an undeclared name is a compile error.
    std::map<std::string, int64_t> defines;
    // The pass pipeline: 0 (none) or 1 (default; what `anec build` emits).
    int optLevel = 1;
    // At optLevel 1, inputs (outputs) of equal spatial size travel packed in one tensor (fewer
    // bound surfaces on the ANE); callers still pass and receive the named tensors. false keeps
    // them separate (`--no-pack-io`).
    bool packIo = true;
    // The ANE target .ane sources are legalized for (docs/ane-rules.md): "generic", "m1" ...
    // "m5", or empty (the default) for none; the ANE backend legalizes what it runs for its own
    // chip in any case. An unknown name throws InvalidArgument.
    std::string target;
};

// AneSimulator: the ANE backend's whole path over a simulated device that reproduces the ANE's
// known rules (runtime.md), on any machine.
enum class Backend { Auto, Reference, Ane, AneSimulator };
// Fp16Faithful models the ANE (fp32 compute, every fp16 result rounded to fp16); Float64
// computes in double as an "exact" reference (reference backend only).
enum class Precision { Fp16Faithful, Float64 };

struct RunOptions {
    Backend backend = Backend::Auto; // Auto: the ANE where available, else the reference backend
    Precision precision = Precision::Fp16Faithful;
    // ANE backends: the target to legalize for ("generic", "m1" ... "m5"; empty: the machine's
    // chip, generic for the simulator, which also simulates this chip).
    std::string aneTarget;
    // ANE backends: when non-zero, sets the process's compile budget (default ANEC_COMPILE_BUDGET
    // or 100; the ANE compiler fails near 119 compiles per process).
    size_t compileBudget = 0;
};

// A kernel prepared for execution; run it as often as needed. Copies share the prepared kernel.
// Calls to run() on one Kernel are serialised (thread-safe, one at a time).
class ANEC_API Kernel {
  public:
    const KernelInfo& info() const;
    std::string backendName() const;
    // Every declared input exactly once, by name, except dynamic weights, which may be omitted
    // (their current value is used). Returns every output by name, in its declared dtype.
    std::map<std::string, Tensor> run(const std::map<std::string, TensorView>& inputs);
    // Replaces the current value of dynamic weight `name` of this kernel for later runs, without
    // preparing (compiling) it again. The value converts like an input. Throws InvalidArgument
    // for an unknown name or a wrong shape. Program::setWeight updates every kernel at once.
    void setWeight(std::string_view name, const TensorView& value);

    struct Impl; // opaque, defined inside the library

  private:
    friend class Program;
    std::shared_ptr<Impl> impl_;
};

// A set of kernels, fixed once built; copies are cheap and share it, including the current
// values of its dynamic weights (setWeight). Thread-safe.
class ANEC_API Program {
  public:
    // Compiles .ane source text. `name` is the file name shown in diagnostics; relative npy()
    // weight paths resolve against its directory (the current directory by default).
    static Program compile(std::string_view source, const CompileOptions& options = {},
                           std::string_view name = "source.ane");
    // Loads a .ane file (compiled with `options`), a .mil file (its directory is @model_path),
    // a program directory written by `anec build` (DIR/model.mil) or a build output root (one
    // kernel per subdirectory, named after it).
    static Program load(const std::string& path, const CompileOptions& options = {});

    const std::vector<KernelInfo>& kernels() const;
    // Throws NotFound listing the kernels.
    const KernelInfo& kernel(std::string_view name) const;
    // Rendered compiler warnings (usually empty).
    const std::string& warnings() const;

    // Prepares a kernel; an empty name means the only kernel (an error when there are several).
    Kernel prepare(std::string_view kernel = {}, const RunOptions& options = {}) const;
    // prepare(kernel, options).run(inputs), for one-off runs.
    std::map<std::string, Tensor> run(std::string_view kernel,
                                      const std::map<std::string, TensorView>& inputs,
                                      const RunOptions& options = {}) const;

    // Sets dynamic weight `name` (`dynamic weight W` in the source) to `value` in every kernel
    // prepared from this program (or its copies) that takes it, and in kernels prepared later:
    // a training loop updates its weights between runs with no recompilation. The value converts
    // like an input (fp16/fp32/fp64 into a float weight). Throws InvalidArgument when no kernel
    // has such a dynamic weight or the shape differs.
    void setWeight(std::string_view name, const TensorView& value) const;

    struct Impl; // opaque, defined inside the library

  private:
    std::shared_ptr<const Impl> impl_;
};

struct TrainOptions {
    // The backend the step's programs run on (Auto: the ANE where available). Float64
    // precision is a mode of the reference backend (an exact run to compare against).
    RunOptions run{Backend::Reference};
    // .ane sources: sequences per step, overriding the `train` declaration's `batch` (0: keep).
    int64_t batch = 0;
};

// What one step cost: program launches, and bytes between host and device (the batch, the
// scalars, the loss; resident weights and optimizer state stay on the device).
struct StepCounters {
    uint64_t dispatches = 0;
    uint64_t bytesToDevice = 0;
    uint64_t bytesFromDevice = 0;
};

// A training step declared with `train NAME { model ... loss ... optimizer ... }`
// (docs/training.md): each of its programs is compiled once; weights and optimizer state stay
// resident between steps. Not thread-safe: use one Trainer from one thread at a time.
class ANEC_API Trainer {
  public:
    // Compiles .ane source text holding a `train` declaration.
    static Trainer compile(std::string_view source, const CompileOptions& options = {},
                           std::string_view name = "source.ane", const TrainOptions& train = {});
    // A .ane file, or a build output directory (its step.json and program directories).
    static Trainer load(const std::string& path, const CompileOptions& options = {},
                        const TrainOptions& train = {});

    // Sequences per step, tokens per sequence, and the vocabulary token ids must be below.
    int64_t sequences() const;
    int64_t sequenceLength() const;
    int64_t vocabulary() const;

    // One step over sequences() sequences: tokens and their targets (the next tokens),
    // row-major [sequences, sequenceLength]. Returns the mean loss. Throws InvalidArgument for
    // wrong sizes or ids outside the vocabulary (nothing changes), RunFailed for a non-finite loss.
    double step(std::span<const int32_t> tokens, std::span<const int32_t> targets);
    int64_t stepsDone() const;
    // The learning rate of the last step.
    double learningRate() const;
    const StepCounters& lastStep() const;
    // Programs compiled (prepared), each once.
    size_t compiles() const;

    // The trained weights, in the model's order; read or replace one (converted like an input).
    std::vector<std::string> weightNames() const;
    Tensor weight(std::string_view name) const;
    void setWeight(std::string_view name, const TensorView& value);
    // The model's logits [1, vocabulary, 1, sequenceLength] for one sequence, current weights.
    Tensor logits(std::span<const int32_t> tokens);

    // Weights, optimizer state and step count in a safetensors file (atomic); restoring it
    // makes the next step give the same loss bit for bit.
    void saveCheckpoint(const std::string& path) const;
    void loadCheckpoint(const std::string& path);

    struct Impl; // opaque, defined inside the library

  private:
    std::shared_ptr<Impl> impl_;
};

// The most memory one compilation or one kernel run may take, for the whole process (the CLI's
// --max-memory): every
// weight the compiler materializes and every tensor a run allocates is checked against it first
// (ErrorCode::OutOfMemory, naming the tensor, its shape and its size). 0 restores the default:
// the environment variable ANEC_MAX_MEMORY (e.g. "8G"), else half the machine's memory.
ANEC_API void setMaxMemory(uint64_t bytes);
ANEC_API uint64_t maxMemory();

// The library version, e.g. "0.1.0".
ANEC_API std::string_view version();
// The ANE targets CompileOptions::target and RunOptions::aneTarget accept: generic, m1 ... m5.
ANEC_API std::vector<std::string> aneTargets();

} // namespace api
} // namespace anec
