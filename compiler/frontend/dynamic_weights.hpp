#pragma once
// Dynamic weights in the front end: `dynamic weight W: ...` is not a constant but an extra input
// of every kernel that uses it, so that a training loop can change it without recompiling.
// Where a builtin needs a constant weight (the ANE's conv bakes its weights, rule 11), linear
// becomes a matmul and conv is an error. docs/language.md, "Dynamic weights".
#include <memory>
#include <string>
#include <vector>

#include "frontend/lowering.hpp"

namespace anec::frontend {

bool isDynamicWeight(const Globals& globals, const std::string& name);

// A kernel input cannot share its name with a dynamic weight: the kernel would take two inputs
// of that name. Reports the clash at `loc` (with a note at the weight) and returns false.
bool reportInputNamedLikeDynamicWeight(const Globals& globals, Reporter& reporter,
                                       const std::string& name, SourceLoc loc);

// The input carrying dynamic weight `name` in `kernel`, appended after the inputs it has so far
// and recorded in Kernel::dynamicWeights with its initial value.
ir::Value* addDynamicWeightInput(ir::Kernel& kernel, const std::string& name,
                                 std::shared_ptr<const ir::ConstData> initial);

// The first dynamic weight `value` is computed from, or null when it uses none.
const ir::DynamicWeight* dynamicWeightIn(const ir::Value* value, const ir::Kernel& kernel);

// True when `value` is computed from constants and dynamic weights only (W, W.T, W * 0.5,
// reshape(W, ...)): a weight whose value is known at run time but not at build time.
bool isRuntimeWeight(const ir::Value* value, const ir::Kernel& kernel);

// "conv needs a constant weight, but 'W' is a dynamic weight ...".
std::string constantWeightNeeded(const std::string& builtin, const std::string& weight);

// linear(x, W) with a W known only at run time: x [N, Cin, H, W] -> reshape [N, Cin, H*W] ->
// matmul(W [Cout, Cin], .) -> [N, Cout, H*W] -> reshape [N, Cout, H, W]. W.T becomes matmul's
// transpose_x flag on W itself (the transpose op is left to dead-code elimination). A bias
// [Cout] (may be null) is added as [1, Cout, 1, 1].
Operand lowerLinearAsMatmul(BodyLowerer& lowerer, ir::Value* x, ir::Value* w, ir::Value* bias,
                            SourceLoc loc);

// A fused kernel takes the dynamic weights of its parts (once each, by name).
void mergeDynamicWeights(ir::Kernel& fused, const std::vector<const ir::Kernel*>& parts);

} // namespace anec::frontend
