#include "driver/run_command.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "driver/compiler.hpp"
#include "driver/program_loader.hpp"
#include "driver/tensor_io.hpp"
#include "runtime/core/backend.hpp"
#include "support/memory_limit.hpp"

namespace anec::driver {

namespace fs = std::filesystem;

namespace {

struct InputFile {
    std::string name;
    std::string path;
};

// --input NAME=PATH.npy arguments; a name given twice is an error.
std::vector<InputFile> parseInputArgs(const std::vector<std::string>& args) {
    std::vector<InputFile> inputs;
    for (const std::string& arg : args) {
        size_t eq = arg.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
            throw Error("--input expects NAME=PATH.npy, got '" + arg + "'");
        InputFile input{arg.substr(0, eq), arg.substr(eq + 1)};
        for (const InputFile& seen : inputs)
            if (seen.name == input.name)
                throw Error("input '" + input.name + "' is given twice (" + seen.path + " and " +
                            input.path + ")");
        inputs.push_back(std::move(input));
    }
    return inputs;
}

// The ANE backends legalize for --target (also the simulated chip); none: the machine's chip.
runtime::BackendOptions backendOptions(const RunArgs& args) {
    runtime::BackendOptions options;
    options.aneTarget = args.target == "none" ? "" : args.target;
    options.compileBudget = args.compileBudget;
    return options;
}

LoadOptions loadOptions(const RunArgs& args) {
    LoadOptions options;
    options.optLevel = args.optLevel;
    options.packIo = !args.noPackIo;
    options.target = parseTargetOption(args.target);
    options.strictMil = args.strict;
    options.warnings = parseWarningsOption(args.warnings);
    for (const std::string& define : args.defines) {
        auto [name, value] = parseDefine(define);
        options.defines[name] = value;
    }
    return options;
}

// A build output root loads only the kernel that runs; which one is settled before loading.
LoadedProgram loadForRun(const RunArgs& args) {
    fs::path source(args.source);
    SourceKind kind = classifySource(source);
    if (kind != SourceKind::Ane && (args.optLevelGiven || args.noPackIo))
        throw Error(std::string(args.optLevelGiven ? "-O" : "--no-pack-io") +
                    " applies to .ane sources only; '" + args.source +
                    "' is a MIL program, which runs as written");
    if (kind == SourceKind::BuildRoot && args.kernel.empty()) {
        std::vector<std::string> kernels = builtKernels(source);
        if (kernels.size() > 1)
            throw Error("'" + args.source + "' holds " + std::to_string(kernels.size()) +
                        " kernels (" + joinNames(kernels) + "); choose one with --kernel");
    }
    return loadProgram(source, loadOptions(args), args.kernel);
}

std::vector<std::string> inputNames(const ir::Kernel& kernel) {
    std::vector<std::string> names;
    for (const ir::InterfaceTensor& input : ir::interfaceInputs(kernel))
        names.push_back(input.name);
    return names;
}

std::string quotedList(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names)
        text += (text.empty() ? "'" : ", '") + name + "'";
    return text;
}

// Every kernel input as a tensor: from its --input file, else random when asked for.
// Where kernel input `name` is declared (unset for packed and MIL inputs).
SourceLoc inputDeclaration(const ir::Kernel& kernel, const std::string& name) {
    for (const auto& input : kernel.inputs)
        if (input->name == name) return input->loc;
    return {};
}

std::map<std::string, runtime::Tensor> resolveInputs(const LoadedKernel& loaded,
                                                     const std::vector<InputFile>& files,
                                                     const RunArgs& args, std::ostream& out) {
    const ir::Kernel& kernel = loaded.kernel();
    std::vector<std::string> declared = inputNames(kernel);
    for (const InputFile& file : files)
        if (std::find(declared.begin(), declared.end(), file.name) == declared.end())
            throw Error("unknown input '" + file.name + "': kernel '" + loaded.name +
                        "' has inputs " + quotedList(declared));

    std::map<std::string, runtime::Tensor> tensors;
    std::vector<std::string> missing;
    // The original named inputs, also where the compiler packed them (ir/packing.hpp).
    std::vector<ir::InterfaceTensor> interface = ir::interfaceInputs(kernel);
    for (size_t index = 0; index < interface.size(); ++index) {
        const ir::InterfaceTensor& input = interface[index];
        checkAffordable("input '" + input.name + "' " + input.type.str(),
                        static_cast<uint64_t>(input.type.byteSize()),
                        inputDeclaration(kernel, input.name));
        auto file = std::find_if(files.begin(), files.end(),
                                 [&](const InputFile& f) { return f.name == input.name; });
        if (file != files.end()) {
            std::string what = "input '" + input.name + "' ('" + file->path + "')";
            Expected<npy::Array> array = npy::read(file->path);
            if (!array) throw Error(what + ": " + array.error());
            tensors[input.name] = tensorFromNpy(*array, input.type, what);
            out << "input " << input.name << ": " << input.type.str() << " from " << file->path
                << "\n";
        } else if (kernel.findDynamicWeight(input.name)) {
            // The executable passes the weight's current (initial) value.
            out << "input " << input.name << ": " << input.type.str()
                << " dynamic weight, initial value\n";
        } else if (args.randomInputs) {
            uint64_t seed = args.randomSeed + index;
            tensors[input.name] = randomTensor(input.type, seed);
            out << "input " << input.name << ": " << input.type.str()
                << " random uniform [-1, 1) seed " << seed << "\n";
        } else {
            missing.push_back(input.name);
        }
    }
    if (!missing.empty())
        throw Error("missing input" + std::string(missing.size() == 1 ? " " : "s ") +
                    quotedList(missing) + " of kernel '" + loaded.name +
                    "': give --input NAME=PATH.npy or --random-inputs SEED");
    return tensors;
}

std::map<std::string, runtime::TensorView>
viewsOf(const std::map<std::string, runtime::Tensor>& tensors) {
    std::map<std::string, runtime::TensorView> views;
    for (const auto& [name, tensor] : tensors)
        views.emplace(name, runtime::TensorView{tensor.type(), tensor.bytes()});
    return views;
}

// Creates the output directory up front so that a bad one fails before the kernel runs.
void prepareOutputDir(const fs::path& dir) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return;
    if (fs::exists(dir, ec))
        throw Error("output directory '" + dir.string() + "' exists and is not a directory");
    fs::create_directories(dir, ec);
    if (ec)
        throw Error("cannot create the output directory '" + dir.string() + "': " + ec.message());
}

bool isFileNameSafe(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

// "nan=N inf=M"
std::string nonFiniteCounts(const ValueSummary& s) {
    return "nan=" + std::to_string(s.nanCount) + " inf=" + std::to_string(s.infCount);
}

// The mean to 4 digits: one element rounded the other way (the BLAS of another CPU sums a dot
// product in another order) moves the mean of a large output in its sixth digit.
std::string summaryLine(const std::string& name, const runtime::Tensor& tensor) {
    ValueSummary s = summarize(tensorValues(tensor));
    return name + ": " + tensor.type().str() + " min=" + formatNumber(s.min) +
           " max=" + formatNumber(s.max) + " mean=" + formatNumber(s.mean, 4) + " " +
           nonFiniteCounts(s);
}

// Writes DIR/<name>.npy with the output's declared dtype and prints its summary line.
void writeOutput(const fs::path& dir, const std::string& name, const runtime::Tensor& tensor,
                 std::ostream& out) {
    if (!isFileNameSafe(name)) throw Error("output '" + name + "' cannot be used as a file name");
    fs::path path = dir / (name + ".npy");
    Expected<size_t> written =
        npy::write(path.string(), npyFromTensor(tensor, "output '" + name + "'"));
    if (!written) throw Error("output '" + name + "': " + written.error());
    out << "output " << summaryLine(name, tensor) << " -> " << path.string() << "\n";
}

const runtime::Tensor& outputTensor(const std::map<std::string, runtime::Tensor>& outputs,
                                    const std::string& name, const std::string& backend) {
    auto it = outputs.find(name);
    if (it == outputs.end())
        throw Error("the " + backend + " backend returned no output '" + name + "'");
    return it->second;
}

// Runs the kernel again in float64 and prints how far each output is from it.
void referenceCheck(const LoadedKernel& loaded,
                    const std::map<std::string, runtime::Tensor>& inputs,
                    const std::map<std::string, runtime::Tensor>& outputs,
                    const std::string& backendName, std::ostream& out) {
    std::unique_ptr<runtime::Backend> backend =
        runtime::createReferenceBackend(runtime::Precision::Float64);
    std::unique_ptr<runtime::Executable> executable =
        backend->prepare(loaded.module, loaded.kernelName);
    std::map<std::string, runtime::Tensor> reference = executable->run(viewsOf(inputs));
    for (const ir::InterfaceTensor& output : ir::interfaceOutputs(loaded.kernel())) {
        const runtime::Tensor& expected = outputTensor(reference, output.name, "float64 reference");
        ReferenceError e = measureAgainstReference(
            tensorValues(outputTensor(outputs, output.name, backendName)), tensorValues(expected));
        out << "check " << output.name
            << " vs the float64 reference: max abs err=" << formatNumber(e.maxAbs)
            << ", relative to max |ref|=" << formatNumber(e.maxReference) << ": "
            << formatNumber(e.relative) << "; " << nonFiniteCounts(e.actual)
            << " (reference: " << nonFiniteCounts(e.reference) << "); " << e.count << " elements\n";
    }
}

std::vector<double> arrayValues(const npy::Array& array) {
    std::vector<double> values(static_cast<size_t>(array.numElements()));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = array.at(static_cast<int64_t>(i));
    return values;
}

npy::Array readArray(const std::string& path) {
    Expected<npy::Array> array = npy::read(path);
    if (!array) throw Error("'" + path + "': " + array.error());
    return std::move(*array);
}

} // namespace

runtime::BackendKind parseBackendKind(const std::string& name) {
    if (name == "auto") return runtime::BackendKind::Auto;
    if (name == "reference") return runtime::BackendKind::Reference;
    if (name == "ane") return runtime::BackendKind::Ane;
    if (name == "ane-sim") return runtime::BackendKind::AneSimulator;
    throw Error("unknown backend '" + name + "' (expected auto, reference, ane or ane-sim)");
}

int runKernelCommand(const RunArgs& args, std::ostream& out, std::ostream& err) {
    std::vector<InputFile> files = parseInputArgs(args.inputs);
    std::unique_ptr<runtime::Backend> backend =
        runtime::createBackend(parseBackendKind(args.backend), backendOptions(args));
    LoadedProgram program = loadForRun(args);
    err << program.warnings;
    const LoadedKernel& loaded = program.select(args.kernel);
    std::map<std::string, runtime::Tensor> inputs;
    std::map<std::string, runtime::Tensor> outputs;
    try {
        inputs = resolveInputs(loaded, files, args, out);
        fs::path outputDir(args.outputDir.empty() ? "." : args.outputDir);
        prepareOutputDir(outputDir);
        std::unique_ptr<runtime::Executable> executable =
            backend->prepare(loaded.module, loaded.kernelName);
        outputs = executable->run(viewsOf(inputs));
    } catch (const MemoryLimitError& e) {
        // Located at the tensor's declaration when the program came from a .ane source.
        throw CompileError(program.renderError(e.what(), e.loc));
    }
    fs::path outputDir(args.outputDir.empty() ? "." : args.outputDir);
    out << "ran " << loaded.name << " on the " << backend->name() << " backend\n";
    for (const ir::InterfaceTensor& output : ir::interfaceOutputs(loaded.kernel()))
        writeOutput(outputDir, output.name, outputTensor(outputs, output.name, backend->name()),
                    out);
    if (args.referenceCheck) referenceCheck(loaded, inputs, outputs, backend->name(), out);
    return 0;
}

int compareCommand(const CompareArgs& args, std::ostream& out) {
    if (!(args.atol >= 0) || !(args.rtol >= 0))
        throw Error("--atol and --rtol must be non-negative numbers");
    npy::Array actual = readArray(args.actual);
    npy::Array expected = readArray(args.expected);
    if (actual.shape != expected.shape)
        throw Error("cannot compare '" + args.actual + "' (" + actual.typeString() + ") with '" +
                    args.expected + "' (" + expected.typeString() + "): the shapes differ");
    Difference d = compareValues(arrayValues(actual), arrayValues(expected), args.atol, args.rtol);
    out << "compared " << d.count << " elements: max abs err=" << formatNumber(d.maxAbs)
        << " max rel err=" << formatNumber(d.maxRel) << "\n";
    std::string tolerance = "atol=" + formatNumber(args.atol) + " rtol=" + formatNumber(args.rtol);
    if (d.mismatches == 0) {
        out << "ok: every element within " << tolerance << "\n";
        return 0;
    }
    out << "FAIL: " << d.mismatches << " of " << d.count << " elements outside " << tolerance
        << "\n";
    return 1;
}

} // namespace anec::driver
