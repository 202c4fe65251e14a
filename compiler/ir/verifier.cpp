#include "ir/verifier.hpp"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "ir/op_registry.hpp"

namespace anec::ir {

namespace {
class KernelVerifier {
  public:
    KernelVerifier(const Kernel& kernel, DiagnosticEngine& diagnostics)
        : kernel_(kernel), diagnostics_(diagnostics) {}

    bool run() {
        std::set<std::string> inputNames;
        for (const auto& input : kernel_.inputs) {
            if (!inputNames.insert(input->name).second)
                error(kernel_.loc, "duplicate input '" + input->name + "'");
            if (!input->isKernelInput())
                error(kernel_.loc, "input '" + input->name + "' has a defining op");
            defined_.insert(input.get());
        }
        for (const auto& op : kernel_.ops)
            verifyOp(*op);
        std::set<std::string> outputNames;
        for (const KernelOutput& output : kernel_.outputs) {
            if (!outputNames.insert(output.name).second)
                error(output.loc, "duplicate output '" + output.name + "'");
            if (!output.value)
                error(output.loc, "output '" + output.name + "' is never assigned");
            else if (!defined_.count(output.value))
                error(output.loc,
                      "output '" + output.name + "' refers to a value not defined in the kernel");
        }
        if (kernel_.outputs.empty())
            error(kernel_.loc, "kernel '" + kernel_.name + "' has no outputs");
        for (const std::string& problem : packingProblems(kernel_))
            error(kernel_.loc, problem);
        verifyDynamicWeights();
        return ok_;
    }

  private:
    // Each dynamic weight names an interface input (packing may have moved it into a packed
    // tensor) of exactly its initial value's type, once.
    void verifyDynamicWeights() {
        std::vector<InterfaceTensor> interface = interfaceInputs(kernel_);
        std::set<std::string> seen;
        for (const DynamicWeight& weight : kernel_.dynamicWeights) {
            std::string what = "dynamic weight '" + weight.name + "'";
            if (!seen.insert(weight.name).second) error(kernel_.loc, what + " is listed twice");
            if (!weight.initial) {
                error(kernel_.loc, what + " has no initial value");
                continue;
            }
            auto input =
                std::find_if(interface.begin(), interface.end(),
                             [&](const InterfaceTensor& t) { return t.name == weight.name; });
            if (input == interface.end())
                error(kernel_.loc, what + " is not an input of the kernel");
            else if (input->type != weight.initial->type())
                error(kernel_.loc, what + " has an initial value of type " +
                                       weight.initial->type().str() + " but the input is " +
                                       input->type.str());
        }
    }

    void error(SourceLoc loc, const std::string& message) {
        diagnostics_.error(loc, "IR verifier: kernel '" + kernel_.name + "': " + message);
        ok_ = false;
    }

    void verifyOp(const Op& op) {
        for (size_t i = 0; i < op.operands.size(); ++i) {
            const Value* operand = op.operands[i];
            if (operand && !defined_.count(operand))
                error(op.loc, op.kind() + ": operand " + std::to_string(i) +
                                  " is used before it is defined");
        }
        if (op.isConst()) {
            if (!op.constData)
                error(op.loc, "const without a value");
            else if (op.results.size() != 1 || op.result()->type != op.constData->type())
                error(op.loc, "const result type does not match its value");
        } else {
            AttrMap attrs = op.attrs;
            auto inferred = inferOp(op.def(), op.operands, attrs);
            if (!inferred) {
                error(op.loc, inferred.error());
            } else if (inferred->size() != op.results.size()) {
                error(op.loc, op.kind() + ": wrong number of results");
            } else {
                for (size_t i = 0; i < op.results.size(); ++i)
                    if ((*inferred)[i] != op.result(i)->type)
                        error(op.loc, op.kind() + ": result " + std::to_string(i) + " has type " +
                                          op.result(i)->type.str() + " but " +
                                          (*inferred)[i].str() + " is inferred");
            }
        }
        for (size_t i = 0; i < op.results.size(); ++i) {
            const Value* result = op.result(i);
            if (result->definingOp != &op || result->resultIndex != i)
                error(op.loc,
                      op.kind() + ": result " + std::to_string(i) + " has a wrong back-link");
            defined_.insert(result);
        }
    }

    const Kernel& kernel_;
    DiagnosticEngine& diagnostics_;
    std::unordered_set<const Value*> defined_;
    bool ok_ = true;
};
} // namespace

bool verifyKernel(const Kernel& kernel, DiagnosticEngine& diagnostics) {
    return KernelVerifier(kernel, diagnostics).run();
}

bool verifyModule(const Module& module, DiagnosticEngine& diagnostics) {
    bool ok = true;
    std::set<std::string> names;
    for (const auto& kernel : module.kernels) {
        if (!names.insert(kernel->name).second) {
            diagnostics.error(kernel->loc, "IR verifier: duplicate kernel '" + kernel->name + "'");
            ok = false;
        }
        ok = verifyKernel(*kernel, diagnostics) && ok;
    }
    return ok;
}

} // namespace anec::ir
