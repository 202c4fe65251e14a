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
bool isRejectedActivation(const ir::Op& op);
size_t decomposeActivations(ir::Kernel& kernel);
// conv with a bias operand -> conv + add (rule 9).
bool hasConvBias(const ir::Op& op);
size_t splitConvBias(ir::Kernel& kernel);
// scaled_dot_product_attention -> matmul, scale, mask, softmax, matmul (rule 10).
bool isAttention(const ir::Op& op);
size_t decomposeAttention(ir::Kernel& kernel);
// concat -> sums of conv/matmul with 0/1 embedding constants (rule 7). Concats of constants
// are left to fold-constants; a concat that cannot be rewritten (not floating point) is warned.
bool isRuntimeConcat(const ir::Op& op); // the concats rule 7 is about: not of constants only
size_t rewriteConcats(ir::Kernel& kernel, DiagnosticEngine& diagnostics);
// Entry/exit casts -> fp16 I/O converted on the host (Kernel::hostConversions); warns about
// every cast left (targets that cannot run `cast`).
size_t useHostConversions(ir::Kernel& kernel, DiagnosticEngine& diagnostics);

// Something ane-legalize rewrites or warns about, found in a kernel: the warnings are made from
// these, and the legality check (legality_check.cpp) compares them before and after every pass
// that follows ane-legalize.
struct Finding {
    // "rule 12: conv Cin 32000": the rule and the offending size; equal keys are the same
    // problem (a pass that turns two such convs into one adds nothing new).
    std::string key;
    SourceLoc loc;
    std::string message; // the warning, or what legalization rewrites
};
// What cannot be rewritten: rules 6 (one finding per small input/output), 12, 13 and (when the
// target rejects them) 17.
std::vector<Finding> limitFindings(const ir::Kernel& kernel, const AneTargetRules& rules);
void warnAboutLimits(const ir::Kernel& kernel, const AneTargetRules& rules,
                     DiagnosticEngine& diagnostics);
// Everything ane-legalize would rewrite or warn about in `kernel` for `rules`' target.
std::vector<Finding> legalityFindings(const ir::Kernel& kernel, const AneTargetRules& rules);

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
