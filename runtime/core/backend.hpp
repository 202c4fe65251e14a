#pragma once
// The backend interface: prepare a kernel once, then run it on named inputs as often as needed.
// The reference CPU backend implements it on every platform; the ANE backend on Apple silicon.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "runtime/core/tensor.hpp"

namespace anec::runtime {

struct IoInfo {
    std::string name;
    ir::TensorType type;
};

class Executable {
  public:
    virtual ~Executable() = default;
    // In declaration order.
    virtual const std::vector<IoInfo>& inputs() const = 0;
    virtual const std::vector<IoInfo>& outputs() const = 0;
    // Runs the kernel. Every input must be given exactly once with its declared type; a missing,
    // unknown or mistyped input throws anec::Error naming it. Returns every output by name.
    virtual std::map<std::string, Tensor> run(const std::map<std::string, TensorView>& inputs) = 0;

    // Dynamic weights (ir::Kernel::dynamicWeights; runtime/core/dynamic_weights.hpp): inputs
    // that run() also accepts omitted, taking the weight's current value. setDynamicWeight
    // replaces that value for later runs without preparing the kernel again; it throws
    // anec::Error for an unknown name or a value of another type. A kernel without dynamic
    // weights has none, and setDynamicWeight throws.
    virtual void setDynamicWeight(const std::string& name, const TensorView& value);
    virtual std::vector<IoInfo> dynamicWeights() const { return {}; }
};

class Backend {
  public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;
    // Prepares `kernelName` of `module` for execution (the executable keeps the module alive).
    // Callers see the kernel's interface (ir::interfaceInputs/interfaceOutputs): when the
    // compiler packed inputs or outputs (ir::Kernel::packing), the executable packs the named
    // inputs into the bound tensors and unpacks the outputs again, for every backend.
    // Throws anec::Error when the kernel is unknown or uses something the backend cannot run.
    std::unique_ptr<Executable> prepare(std::shared_ptr<const ir::Module> module,
                                        const std::string& kernelName);

  protected:
    // Prepares the kernel exactly as compiled: its own inputs and outputs are the bound tensors.
    virtual std::unique_ptr<Executable> prepareKernel(std::shared_ptr<const ir::Module> module,
                                                      const ir::Kernel& kernel) = 0;
};

// Checks named inputs against the declared ones: every input given, none unknown, each with its
// declared type and byte count; throws anec::Error naming the offending input otherwise.
void checkInputs(const std::string& kernelName, const std::vector<IoInfo>& declared,
                 const std::map<std::string, TensorView>& inputs);

// AneSimulator: the ANE backend over the simulated device (runtime/ane/simulated_device.hpp),
// on every platform: it checks a program against the ANE's known rules.
enum class BackendKind { Auto, Reference, Ane, AneSimulator };

// How the reference backend rounds: Fp16Faithful models the ANE (fp32 compute, every fp16 result
// rounded to fp16); Float64 computes everything in double without rounding, as an "exact"
// reference to measure the fp16 error against. In both, a `cast` converts (a cast to fp16 rounds
// to fp16), and outputs are returned in their declared dtype. See docs/runtime.md.
enum class Precision { Fp16Faithful, Float64 };

std::unique_ptr<Backend> createReferenceBackend(Precision precision = Precision::Fp16Faithful);
// Options of the ANE backends (ignored by the reference backend).
struct BackendOptions {
    // The ANE target to legalize for ("generic", "m1" ... "m5"); empty: the machine's chip. For
    // AneSimulator it is also the simulated chip (empty: generic).
    std::string aneTarget;
    // Sets the process's ANE compile budget (runtime/ane/compile_budget.hpp) when non-zero.
    size_t compileBudget = 0;
};

// Auto picks the ANE where it is available and the reference backend elsewhere; Ane where it is
// not available throws anec::Error with a clear message. Defined in runtime/ane/ (anec_ane).
std::unique_ptr<Backend> createBackend(BackendKind kind);
std::unique_ptr<Backend> createBackend(BackendKind kind, const BackendOptions& options);

} // namespace anec::runtime
