#pragma once
// Reverse-mode automatic differentiation over the SSA IR: from a kernel, the kernel computing
// the gradients of its outputs' cotangents with respect to chosen inputs and weights. Each op's
// vector-Jacobian product is declared with the op in the registry (OpDef::vjp, ir/vjp.hpp).
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "ir/vjp.hpp"

namespace anec::autodiff {

struct GradSpec {
    // The backward kernel's name.
    std::string name;
    // What to differentiate with respect to: inputs of the kernel or weights it uses (const ops
    // named after the weight), in the order of the backward kernel's outputs.
    std::vector<std::string> wrt;
    // The backward kernel's output for each wrt entry ("d_x").
    std::vector<std::string> outputNames;
    // Forward taps: values of the kernel (named like their let-bindings) that a forward kernel
    // `<name>_fwd` also outputs and the backward kernel takes as inputs instead of recomputing.
    std::vector<std::string> saving;
    // The backward kernel multiplies the outputs' cotangents by this (static loss scaling).
    double lossScale = 1;
    // The backward kernel also outputs the forward kernel's outputs (recomputed, named as
    // there) after the gradients: a training step's last program returns the loss with them.
    bool keepOutputs = false;
    SourceLoc loc;
    // When not empty: the values of the forward kernel that `saving` names (one each), given
    // directly instead of found by name; no `<name>_fwd` kernel is built (the caller outputs
    // them from its own forward program).
    std::vector<const ir::Value*> savedValues;
};

struct GradResult {
    // The backward kernel: the forward kernel's inputs, `d_<output>` per output, then the taps;
    // outputs spec.outputNames. Null when the gradient cannot be built (see error).
    std::unique_ptr<ir::Kernel> backward;
    // With taps: the forward kernel plus an output per tap. Null without.
    std::unique_ptr<ir::Kernel> forward;
    // Constants of the backward kernel that underflow fp16 (reported as warnings).
    std::vector<ir::VjpRangeWarning> warnings;
    std::string error;
    // Where the error is (an op that has no gradient, ...); unset for errors of the spec itself.
    SourceLoc errorLoc;
};

GradResult gradKernel(const ir::Kernel& forward, const GradSpec& spec);

// The values of `kernel` a wrt name stands for: the input of that name, or every const op named
// after the weight (a fused kernel may hold one per kernel that uses it); empty when none.
std::vector<ir::Value*> wrtValues(const ir::Kernel& kernel, const std::string& name);
// A forward tap: the last non-constant value named `name` (a `var` rebound in a loop ends as
// its last); null when none.
ir::Value* tapValue(const ir::Kernel& kernel, const std::string& name);

// The name of the backward kernel's input carrying the cotangent of `output`.
std::string cotangentInputName(const std::string& output);

} // namespace anec::autodiff
