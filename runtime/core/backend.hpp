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
    // Throws anec::Error when the kernel is unknown or uses something the backend cannot run.
    virtual std::unique_ptr<Executable> prepare(std::shared_ptr<const ir::Module> module,
                                                const std::string& kernelName) = 0;
};

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
