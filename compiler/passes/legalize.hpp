#pragma once
// The pieces of ane-legalize (ane_legalize.cpp drives them), one file per concern. Each rewrite
// returns the number of ops it rewrote; the warnings report to the diagnostics at the op's source.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/builder.hpp"
#include "passes/ane_target.hpp"

namespace anec::passes::legalize {

// gelu (every mode) and silu become tanh/sigmoid arithmetic (rule 8).
size_t decomposeActivations(ir::Kernel& kernel);
// conv with a bias operand -> conv + add (rule 9).
size_t splitConvBias(ir::Kernel& kernel);
// scaled_dot_product_attention -> matmul, scale, mask, softmax, matmul (rule 10).
size_t decomposeAttention(ir::Kernel& kernel);
// concat -> sums of conv/matmul with 0/1 embedding constants (rule 7). Concats of constants
// are left to fold-constants; a concat that cannot be rewritten (not floating point) is warned.
size_t rewriteConcats(ir::Kernel& kernel, DiagnosticEngine& diagnostics);
// Entry/exit casts -> fp16 I/O converted on the host (Kernel::hostConversions); warns about
// every cast left (targets that cannot run `cast`).
size_t useHostConversions(ir::Kernel& kernel, DiagnosticEngine& diagnostics);
// What cannot be rewritten: rules 6, 12, 13 and (m3) 17.
void warnAboutLimits(const ir::Kernel& kernel, AneTarget target, DiagnosticEngine& diagnostics);

// Helpers shared by the rewrites; emit() throws std::logic_error on an internal inconsistency
// (a well-typed op always decomposes into well-typed ops; passes::built).
ir::Value* emit(ir::Builder& builder, const std::string& kind, std::vector<ir::Value*> operands,
                ir::AttrMap attrs, SourceLoc loc, std::string name = {});
ir::Value* scalarConst(ir::Builder& builder, ir::DType dtype, double value, SourceLoc loc);
// Replaces every single-result op that `applies` selects by what `rewrite` builds right before
// it (the replacement takes the op's name when it has none); returns how many were replaced.
size_t rewriteOps(ir::Kernel& kernel, const std::function<bool(const ir::Op&)>& applies,
                  const std::function<ir::Value*(ir::Builder&, const ir::Op&)>& rewrite);

} // namespace anec::passes::legalize
