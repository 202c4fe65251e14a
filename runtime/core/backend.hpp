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

enum class BackendKind { Auto, Reference, Ane };

// How the reference backend rounds: Fp16Faithful models the ANE (fp32 compute, every fp16 result
// rounded to fp16); Float64 computes everything in double without rounding, as an "exact"
// reference to measure the fp16 error against. In both, a `cast` converts (a cast to fp16 rounds
// to fp16), and outputs are returned in their declared dtype. See docs/runtime.md.
enum class Precision { Fp16Faithful, Float64 };

std::unique_ptr<Backend> createReferenceBackend(Precision precision = Precision::Fp16Faithful);
// Auto picks the ANE where it is available and the reference backend elsewhere; Ane where it is
// not available throws anec::Error with a clear message.
std::unique_ptr<Backend> createBackend(BackendKind kind);

} // namespace anec::runtime
