// Sema of `fuse k1, k2 as name` declarations, and the fused kernels they add to the module. The
// merge itself is ir::fuseKernels; the checks here give its failures source locations.
#include <map>

#include "frontend/declarations.hpp"
#include "frontend/dynamic_weights.hpp"
#include "frontend/lowering.hpp"
#include "ir/fuse_kernels.hpp"
#include "support/suggest.hpp"

namespace anec::frontend {

namespace {
// An input or output of a listed kernel.
struct Port {
    const KernelEntry* kernel = nullptr;
    const ast::Param* param = nullptr;
    std::optional<ir::TensorType> type; // none when the declared type is invalid (reported)
};

class FusionChecker {
  public:
    FusionChecker(const FuseEntry& entry, Module& main, Reporter& reporter)
        : decl_(*entry.decl), entry_(entry), globals_(main.globals), evaluator_(*main.evaluator),
          reporter_(reporter) {
        bindLoopVars(scope_, entry.env);
    }

    // The listed kernels, in order; empty when the declaration has errors.
    std::vector<const KernelEntry*> check() {
        size_t errorsBefore = reporter_.errorCount();
        LoopFrames frames(reporter_, entry_.env);
        std::vector<const KernelEntry*> kernels = resolveKernels();
        if (reporter_.errorCount() != errorsBefore) return {};
        for (const KernelEntry* kernel : kernels)
            connect(*kernel);
        checkKept();
        if (reporter_.errorCount() != errorsBefore) return {};
        return kernels;
    }

    std::set<std::string> kept() const {
        std::set<std::string> names;
        for (const ast::Binding& name : decl_.kept)
            names.insert(name.name);
        return names;
    }

  private:
    std::vector<const KernelEntry*> resolveKernels() {
        size_t errorsBefore = reporter_.errorCount();
        std::vector<Listed> listed = expandItems();
        if (listed.size() < 2 && reporter_.errorCount() == errorsBefore)
            reporter_.error(decl_.loc, "fuse '" + entry_.name +
                                           "' needs at least two kernels, e.g. 'fuse up, down as " +
                                           entry_.name + "'");
        std::vector<const KernelEntry*> kernels;
        std::map<std::string, SourceLoc> seen;
        for (const Listed& item : listed) {
            auto [first, isNew] = seen.emplace(item.entryName, item.loc);
            if (!isNew) {
                if (reporter_.error(item.loc, "kernel '" + item.shown +
                                                  "' is listed twice in fuse '" + entry_.name +
                                                  "'"))
                    reporter_.note(first->second, "first listed here");
                continue;
            }
            kernels.push_back(&globals_.kernels.at(item.entryName));
        }
        return kernels;
    }

    struct Listed {
        std::string entryName, shown;
        SourceLoc loc;
    };

    // `up`, `attn[l]` -> kernel entries (reported when unknown).
    std::vector<Listed> expandItems() {
        std::vector<Listed> listed;
        for (const ast::FuseItem& item : decl_.kernels) {
            const std::string& name = item.kernel.name;
            if (item.element.empty()) {
                if (globals_.kernels.count(name))
                    listed.push_back({name, name, item.kernel.loc});
                else
                    reportNotAKernel(item.kernel);
                continue;
            }
            auto array = globals_.arrays.find(name);
            if (array == globals_.arrays.end() || array->second.kind != ArrayEntry::Kind::Kernel) {
                if (globals_.kernels.count(name))
                    reporter_.error(item.kernel.loc, "'" + name +
                                                         "' is a kernel, not an array of kernels; "
                                                         "list it as '" +
                                                         name + "'");
                else
                    reportNotAKernel(item.kernel);
                continue;
            }
            auto index = evaluator_.evalIndex(item.element, &scope_);
            if (!index) continue;
            auto element = array->second.elements.find(*index);
            if (element == array->second.elements.end()) {
                reporter_.error(item.kernel.loc, "kernel array '" + name + "' has no element " +
                                                     elementName(name, *index));
                continue;
            }
            listed.push_back({element->second, elementName(name, *index), item.kernel.loc});
        }
        return listed;
    }

    void reportNotAKernel(const ast::Binding& name) {
        if (globals_.fusions.count(name.name))
            reporter_.error(name.loc, "'" + name.name +
                                          "' is a fused kernel; list the kernels it fuses instead");
        else if (globals_.arrays.count(name.name))
            reporter_.error(name.loc, "'" + name.name + "' is an array; list elements, as in '" +
                                          name.name + "[0]'");
        else if (globals_.defines(name.name))
            reporter_.error(name.loc, "'" + name.name + "' is not a kernel");
        else {
            std::vector<std::string> kernels;
            for (const auto& [kernelName, entry] : globals_.kernels)
                kernels.push_back(kernelName);
            reporter_.error(name.loc,
                            "unknown kernel '" + name.name + "'" + didYouMean(name.name, kernels));
        }
    }

    std::optional<ir::TensorType> typeOf(const KernelEntry& kernel, const ast::Param& param) {
        Scope scope;
        bindLoopVars(scope, kernel.env);
        return portType(param, evaluator_, &scope);
    }

    void connect(const KernelEntry& kernel) {
        for (const ast::Param& input : kernel.decl->inputs)
            connectInput(Port{&kernel, &input, typeOf(kernel, input)});
        for (const ast::Param& output : kernel.decl->outputs)
            addOutput(Port{&kernel, &output, typeOf(kernel, output)});
    }

    void checkKept() {
        for (const ast::Binding& name : decl_.kept) {
            if (outputs_.count(name.name)) continue;
            std::vector<std::string> outputs;
            for (const auto& [outputName, port] : outputs_)
                outputs.push_back(outputName);
            reporter_.error(name.loc, "'" + name.name + "' is not an output of a kernel in fuse '" +
                                          entry_.name + "'" + didYouMean(name.name, outputs));
        }
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
                                    other->second.kernel->name + "' in fuse '" + entry_.name + "'"))
                reporter_.note(other->second.param->loc, "the other output is declared here");
            return;
        }
        if (auto input = inputs_.find(name); input != inputs_.end()) {
            if (reporter_.error(output.param->loc,
                                "output '" + name + "' of kernel '" + output.kernel->name +
                                    "' has the name of input '" + name + "' of kernel '" +
                                    input->second.kernel->name + "', which runs earlier in fuse '" +
                                    entry_.name + "' (kernels run in the listed order)"))
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
                                other.type->str() + " (in fuse '" + entry_.name + "')"))
            reporter_.note(other.param->loc, "declared " + other.type->str() + " here");
    }

    const ast::FuseDecl& decl_;
    const FuseEntry& entry_;
    Globals& globals_;
    ConstEvaluator& evaluator_;
    Reporter& reporter_;
    Scope scope_;
    std::map<std::string, Port> outputs_; // outputs of the kernels so far
    std::map<std::string, Port> inputs_;  // inputs of the fused kernel so far
};
} // namespace

void lowerFusions(Module& main, Reporter& reporter, ir::Module& module, bool kernelsValid) {
    for (const std::string& name : main.globals.fuseOrder) {
        const FuseEntry& entry = main.globals.fusions.at(name);
        FusionChecker checker(entry, main, reporter);
        std::vector<const KernelEntry*> kernels = checker.check();
        // Kernels with errors may be incomplete in the IR; their errors are reported already.
        if (kernels.empty() || !kernelsValid) continue;
        std::vector<const ir::Kernel*> bodies;
        for (const KernelEntry* kernel : kernels)
            bodies.push_back(module.findKernel(kernel->name));
        auto fused = ir::fuseKernels(bodies, entry.name, entry.decl->loc, checker.kept());
        if (!fused) {
            reporter.error(entry.decl->loc,
                           "cannot fuse into '" + entry.name + "': " + fused.error());
            continue;
        }
        mergeDynamicWeights(**fused, bodies);
        module.kernels.push_back(std::move(*fused));
    }
}

} // namespace anec::frontend
