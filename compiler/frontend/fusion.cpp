// Sema of `fuse k1, k2 as name` declarations, and the fused kernels they add to the module. The
// merge itself is ir::fuseKernels; the checks here give its failures source locations.
#include <map>

#include "frontend/dynamic_weights.hpp"
#include "frontend/lowering.hpp"
#include "ir/fuse_kernels.hpp"

namespace anec::frontend {

namespace {
// An input or output of a listed kernel.
struct Port {
    const ast::KernelDecl* kernel = nullptr;
    const ast::Param* param = nullptr;
    std::optional<ir::TensorType> type; // none when the declared type is invalid (reported)
};

class FusionChecker {
  public:
    FusionChecker(const ast::FuseDecl& decl, Globals& globals, ConstEvaluator& evaluator,
                  Reporter& reporter)
        : decl_(decl), globals_(globals), evaluator_(evaluator), reporter_(reporter) {}

    // The listed kernels, in order; empty when the declaration has errors.
    std::vector<const ast::KernelDecl*> check() {
        size_t errorsBefore = reporter_.engine().errorCount();
        std::vector<const ast::KernelDecl*> kernels = resolveKernels();
        if (reporter_.engine().errorCount() != errorsBefore) return {};
        for (const ast::KernelDecl* kernel : kernels)
            connect(*kernel);
        if (reporter_.engine().errorCount() != errorsBefore) return {};
        return kernels;
    }

  private:
    std::vector<const ast::KernelDecl*> resolveKernels() {
        if (decl_.kernels.size() < 2)
            reporter_.error(decl_.loc, "fuse '" + decl_.name +
                                           "' needs at least two kernels, e.g. 'fuse up, down as " +
                                           decl_.name + "'");
        std::vector<const ast::KernelDecl*> kernels;
        std::map<std::string, SourceLoc> listed;
        for (const ast::Binding& name : decl_.kernels) {
            auto [first, isNew] = listed.emplace(name.name, name.loc);
            if (!isNew) {
                if (reporter_.error(name.loc, "kernel '" + name.name +
                                                  "' is listed twice in fuse '" + decl_.name + "'"))
                    reporter_.note(first->second, "first listed here");
                continue;
            }
            auto kernel = globals_.kernels.find(name.name);
            if (kernel != globals_.kernels.end()) {
                kernels.push_back(kernel->second);
            } else if (globals_.fusions.count(name.name)) {
                reporter_.error(name.loc, "'" + name.name +
                                              "' is a fused kernel; list the kernels it fuses "
                                              "instead");
            } else if (globals_.defines(name.name)) {
                reporter_.error(name.loc, "'" + name.name + "' is not a kernel");
            } else {
                reporter_.error(name.loc, "unknown kernel '" + name.name + "'");
            }
        }
        return kernels;
    }

    std::optional<ir::TensorType> typeOf(const ast::Param& param) {
        return param.type ? evaluator_.evalType(*param.type) : std::nullopt;
    }

    void connect(const ast::KernelDecl& kernel) {
        for (const ast::Param& input : kernel.inputs)
            connectInput(Port{&kernel, &input, typeOf(input)});
        for (const ast::Param& output : kernel.outputs)
            addOutput(Port{&kernel, &output, typeOf(output)});
    }

    void connectInput(const Port& input) {
        const std::string& name = input.param->name;
        if (auto produced = outputs_.find(name); produced != outputs_.end()) {
            if (differ(input, produced->second))
                mismatch(input, produced->second,
                         "is fed by output '" + name + "' of kernel '" +
                             produced->second.kernel->name + "'");
            return;
        }
        if (auto shared = inputs_.find(name); shared != inputs_.end()) {
            if (differ(input, shared->second))
                mismatch(input, shared->second,
                         "shares the fused input with input '" + name + "' of kernel '" +
                             shared->second.kernel->name + "'");
            return;
        }
        inputs_.emplace(name, input);
    }

    void addOutput(const Port& output) {
        const std::string& name = output.param->name;
        if (auto other = outputs_.find(name); other != outputs_.end()) {
            if (reporter_.error(output.param->loc,
                                "output '" + name + "' of kernel '" + output.kernel->name +
                                    "' clashes with output '" + name + "' of kernel '" +
                                    other->second.kernel->name + "' in fuse '" + decl_.name + "'"))
                reporter_.note(other->second.param->loc, "the other output is declared here");
            return;
        }
        if (auto input = inputs_.find(name); input != inputs_.end()) {
            if (reporter_.error(output.param->loc,
                                "output '" + name + "' of kernel '" + output.kernel->name +
                                    "' has the name of input '" + name + "' of kernel '" +
                                    input->second.kernel->name + "', which runs earlier in fuse '" +
                                    decl_.name + "' (kernels run in the listed order)"))
                reporter_.note(input->second.param->loc, "the input is declared here");
            return;
        }
        outputs_.emplace(name, output);
    }

    static bool differ(const Port& a, const Port& b) {
        return a.type && b.type && *a.type != *b.type;
    }

    void mismatch(const Port& input, const Port& other, const std::string& relation) {
        if (reporter_.error(input.param->loc,
                            "input '" + input.param->name + "' of kernel '" + input.kernel->name +
                                "' is " + input.type->str() + " but " + relation + ", which is " +
                                other.type->str() + " (in fuse '" + decl_.name + "')"))
            reporter_.note(other.param->loc, "declared " + other.type->str() + " here");
    }

    const ast::FuseDecl& decl_;
    Globals& globals_;
    ConstEvaluator& evaluator_;
    Reporter& reporter_;
    std::map<std::string, Port> outputs_; // outputs of the kernels so far
    std::map<std::string, Port> inputs_;  // inputs of the fused kernel so far
};
} // namespace

void lowerFusions(const ast::Program& program, Globals& globals, ConstEvaluator& evaluator,
                  Reporter& reporter, ir::Module& module, bool kernelsValid) {
    for (const ast::Decl& decl : program.decls) {
        const auto* fuse = std::get_if<ast::FuseDecl>(&decl);
        if (!fuse) continue;
        auto registered = globals.fusions.find(fuse->name);
        if (registered == globals.fusions.end() || registered->second != fuse) continue;
        std::vector<const ast::KernelDecl*> kernels =
            FusionChecker(*fuse, globals, evaluator, reporter).check();
        // Kernels with errors may be incomplete in the IR; their errors are reported already.
        if (kernels.empty() || !kernelsValid) continue;
        std::vector<const ir::Kernel*> bodies;
        for (const ast::KernelDecl* kernel : kernels)
            bodies.push_back(module.findKernel(kernel->name));
        auto fused = ir::fuseKernels(bodies, fuse->name, fuse->loc);
        if (!fused) {
            reporter.error(fuse->loc, "cannot fuse into '" + fuse->name + "': " + fused.error());
            continue;
        }
        mergeDynamicWeights(**fused, bodies);
        module.kernels.push_back(std::move(*fused));
    }
}

} // namespace anec::frontend
