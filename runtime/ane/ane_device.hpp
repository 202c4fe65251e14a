#pragma once
// The device under the ANE backend: compile + load a MIL program with its weights, evaluate it on
// IOSurfaces. On macOS, AppleNeuralEngine.framework's private in-memory model API implements it
// (ane_device_apple.mm, the only Objective-C in anec); everywhere, the simulated device
// (simulated_device.hpp) implements it over the reference backend and reproduces the ANE's known
// traps, so that everything above this interface is plain, tested C++.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "support/diagnostics.hpp"

namespace anec::runtime::ane {

// A weight file as the in-memory model API takes it: keyed by the exact path string the MIL
// text uses ("@model_path/weights/W1.bin"), holding the complete MILBlob file.
struct WeightFile {
    std::string milPath;
    std::vector<uint8_t> bytes;
};

// What to compile: UTF-8 MIL text and its weight files.
struct ProgramSource {
    std::string milText;
    std::vector<WeightFile> weights;
};

// The IOSurfaces a program is evaluated on, in binding order (index i is bound as input/output
// i). Every byte size is the allocation size of that surface.
struct SurfaceSizes {
    std::vector<size_t> inputs;
    std::vector<size_t> outputs;
};

// A failure reported by the device: the message (NSError text on macOS), the ANE status code
// where the device gave one (0 otherwise), and where it happened.
class DeviceError : public Error {
  public:
    enum class Stage { Open, Compile, Load, Evaluate };
    DeviceError(Stage stage, std::string message, int64_t status = 0)
        : Error(std::move(message)), stage(stage), status(status) {}
    Stage stage;
    int64_t status;
};

// A compiled and loaded program with its surfaces. Destruction unloads it and removes what
// compiling wrote (the temp directory named by hexStringIdentifier). Not thread-safe: callers
// serialise evaluate().
class LoadedProgram {
  public:
    virtual ~LoadedProgram() = default;
    // Writer(i, surface) fills input surface i (all of its bytes) before the evaluation;
    // Reader(i, surface) reads output surface i after it. Throws DeviceError.
    using SurfaceWriter = std::function<void(size_t index, std::span<uint8_t> surface)>;
    using SurfaceReader = std::function<void(size_t index, std::span<const uint8_t> surface)>;
    virtual void evaluate(const SurfaceWriter& writeInputs, const SurfaceReader& readOutputs) = 0;
};

class Device {
  public:
    virtual ~Device() = default;
    // "Apple M4 Pro" on macOS (machdep.cpu.brand_string), "simulated Apple M1" for the simulator.
    virtual std::string chipName() const = 0;
    // Compiles (one ANE compile: counted against the process's budget by the caller), loads and
    // allocates the surfaces. Throws DeviceError.
    virtual std::unique_ptr<LoadedProgram> compileAndLoad(const ProgramSource& source,
                                                          const SurfaceSizes& surfaces) = 0;
};

// The AppleNeuralEngine.framework device; nullptr where the framework or its classes are missing
// (not macOS, not Apple silicon, or an OS without the private API), with the reason in `why`.
// Defined in ane_device_apple.mm on Apple platforms and in ane_device_unavailable.cpp elsewhere.
std::unique_ptr<Device> openAppleNeuralEngine(std::string& why);

} // namespace anec::runtime::ane
