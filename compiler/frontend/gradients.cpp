// Sema of `grad KERNEL wrt a, W as NAME` declarations, and the backward kernels (and, with
// `saving`, the forward kernels with taps) they add to the module. The differentiation itself is
// autodiff::gradKernel; the checks here give its failures source locations.
#include <algorithm>
#include <map>

#include "autodiff/grad.hpp"
#include "fmt/format.h"
#include "frontend/declarations.hpp"
#include "frontend/lowering.hpp"
#include "support/suggest.hpp"

namespace anec::frontend {

namespace {

class GradLowerer {
  public:
    GradLowerer(const GradEntry& entry, Module& main, Reporter& reporter, ir::Module& module)
        : decl_(*entry.decl), entry_(entry), globals_(main.globals), evaluator_(*main.evaluator),
          reporter_(reporter), module_(module) {
        bindLoopVars(scope_, entry.env);
    }

    // Appends the kernels, or reports why not. With !kernelsValid only the checks that need no
    // IR run.
    void lower(bool kernelsValid) {
        LoopFrames frames(reporter_, entry_.env);
        size_t errorsBefore = reporter_.errorCount();
        auto target = resolveTarget();
        std::optional<double> scale = lossScale();
        if (!target || !kernelsValid || reporter_.errorCount() != errorsBefore) return;
        const ir::Kernel* forward = module_.findKernel(*target);
        if (!forward) {
            reporter_.error(decl_.target.kernel.loc, "kernel '" + shownTarget_ +
                                                         "' is a gradient kernel declared later; "
                                                         "declare it before this one");
            return;
        }
        autodiff::GradSpec spec;
        spec.name = entry_.name;
        spec.loc = decl_.loc;
        spec.lossScale = scale.value_or(1);
        resolveWrt(*forward, spec);
        checkSaving(*forward, spec);
        checkFreeName(entry_.name + "_fwd", !spec.saving.empty());
        if (reporter_.errorCount() != errorsBefore) return;

        autodiff::GradResult result = autodiff::gradKernel(*forward, spec);
        if (!result.backward) {
            if (reporter_.error(decl_.loc, "cannot differentiate kernel '" + shownTarget_ +
                                               "': " + result.error) &&
                result.errorLoc.line != 0)
                reporter_.note(result.errorLoc, "the op is here");
            return;
        }
        for (const ir::VjpRangeWarning& warning : result.warnings) {
            reporter_.warning(decl_.loc, "in the gradient of kernel '" + shownTarget_ +
                                             "': " + warning.message);
            reporter_.note(warning.loc, "the op is here");
        }
        if (result.forward) module_.kernels.push_back(std::move(result.forward));
        module_.kernels.push_back(std::move(result.backward));
    }

  private:
    // The entry name of the kernel differentiated: a kernel, a fused kernel or an earlier
    // gradient kernel, or an element of an array of them.
    std::optional<std::string> resolveTarget() {
        const ast::FuseItem& item = decl_.target;
        const std::string& name = item.kernel.name;
        shownTarget_ = name;
        if (item.element.empty()) {
            if (globals_.kernels.count(name) || globals_.fusions.count(name) ||
                globals_.grads.count(name))
                return name;
            if (globals_.arrays.count(name)) {
                reporter_.error(item.kernel.loc, "'" + name +
                                                     "' is an array; name an element, "
                                                     "as in '" +
                                                     name + "[0]'");
                return std::nullopt;
            }
            reportUnknownKernel(item.kernel);
            return std::nullopt;
        }
        auto array = globals_.arrays.find(name);
        if (array == globals_.arrays.end() || array->second.kind == ArrayEntry::Kind::Weight) {
            reportUnknownKernel(item.kernel);
            return std::nullopt;
        }
        auto index = evaluator_.evalIndex(item.element, &scope_);
        if (!index) return std::nullopt;
        shownTarget_ = elementName(name, *index);
        auto element = array->second.elements.find(*index);
        if (element == array->second.elements.end()) {
            reporter_.error(item.kernel.loc,
                            "kernel array '" + name + "' has no element " + shownTarget_);
            return std::nullopt;
        }
        return element->second;
    }

    void reportUnknownKernel(const ast::Binding& name) {
        if (globals_.defines(name.name)) {
            reporter_.error(name.loc, "'" + name.name + "' is not a kernel");
            return;
        }
        std::vector<std::string> kernels;
        for (const auto& [kernelName, entry] : globals_.kernels)
            kernels.push_back(kernelName);
        for (const auto& [fusedName, entry] : globals_.fusions)
            kernels.push_back(fusedName);
        reporter_.error(name.loc,
                        "unknown kernel '" + name.name + "'" + didYouMean(name.name, kernels));
    }

    std::optional<double> lossScale() {
        if (!decl_.scale) return std::nullopt;
        auto value = evaluator_.evalReal(*decl_.scale, &scope_);
        if (!value) return std::nullopt;
        if (!(*value > 0) || *value > 65504) {
            reporter_.error(
                decl_.scale->loc,
                fmt::format("the loss scale must be in (0, 65504] (fp16), got {}", *value));
            return std::nullopt;
        }
        return value;
    }

    // wrt items: inputs of the kernel (plain names) or weights it uses (plain or elements).
    void resolveWrt(const ir::Kernel& forward, autodiff::GradSpec& spec) {
        std::map<std::string, int> baseCount;
        for (const ast::FuseItem& item : decl_.wrt)
            ++baseCount[item.kernel.name];
        std::map<std::string, SourceLoc> seen;
        for (const ast::FuseItem& item : decl_.wrt) {
            auto name = wrtName(forward, item);
            if (!name) continue;
            if (!seen.emplace(*name, item.kernel.loc).second) {
                if (reporter_.error(item.kernel.loc, "'" + *name + "' is listed twice after 'wrt'"))
                    reporter_.note(seen.at(*name), "first listed here");
                continue;
            }
            const ir::Value* value = findValue(forward, *name);
            if (!ir::isFloat(value->type.dtype)) {
                reporter_.error(item.kernel.loc, "cannot differentiate with respect to '" + *name +
                                                     "': it is " + value->type.str() +
                                                     ", and only float tensors have gradients");
                continue;
            }
            spec.wrt.push_back(*name);
            // d_W for a weight array element when no other element of W is listed: the same
            // output name in every iteration of a loop.
            bool unique = baseCount[item.kernel.name] == 1;
            spec.outputNames.push_back(
                autodiff::cotangentInputName(unique ? item.kernel.name : *name));
        }
    }

    std::optional<std::string> wrtName(const ir::Kernel& forward, const ast::FuseItem& item) {
        const std::string& name = item.kernel.name;
        std::string entryName = name;
        if (!item.element.empty()) {
            auto array = globals_.arrays.find(name);
            if (array == globals_.arrays.end() || array->second.kind != ArrayEntry::Kind::Weight) {
                reporter_.error(item.kernel.loc, "'" + name + "' is not an array of weights");
                return std::nullopt;
            }
            auto index = evaluator_.evalIndex(item.element, &scope_);
            if (!index) return std::nullopt;
            auto element = array->second.elements.find(*index);
            if (element == array->second.elements.end()) {
                reporter_.error(item.kernel.loc, "weight array '" + name + "' has no element " +
                                                     elementName(name, *index));
                return std::nullopt;
            }
            entryName = element->second;
        }
        if (findValue(forward, entryName)) return entryName;
        std::vector<std::string> candidates;
        for (const auto& input : forward.inputs)
            candidates.push_back(input->name);
        for (const auto& op : forward.ops)
            if (op->isConst() && globals_.weights.count(op->name)) candidates.push_back(op->name);
        std::string what =
            globals_.weights.count(entryName)
                ? "weight '" + entryName + "' is not used by kernel '" + shownTarget_ + "'"
                : "'" + name + "' is neither an input of kernel '" + shownTarget_ +
                      "' nor a weight it uses" + didYouMean(name, candidates);
        reporter_.error(item.kernel.loc, what);
        return std::nullopt;
    }

    // The input of that name, or a weight's const op (what autodiff differentiates by).
    const ir::Value* findValue(const ir::Kernel& kernel, const std::string& name) const {
        std::vector<ir::Value*> values = autodiff::wrtValues(kernel, name);
        if (values.empty()) return nullptr;
        bool inputOrWeight = values[0]->isKernelInput() || globals_.weights.count(name);
        return inputOrWeight ? values[0] : nullptr;
    }

    void checkSaving(const ir::Kernel& forward, autodiff::GradSpec& spec) {
        for (const ast::Binding& tap : decl_.saving) {
            bool isOutput =
                std::any_of(forward.outputs.begin(), forward.outputs.end(),
                            [&](const ir::KernelOutput& o) { return o.name == tap.name; });
            if (isOutput) {
                reporter_.error(tap.loc, "'" + tap.name + "' is an output of kernel '" +
                                             shownTarget_ +
                                             "' already; 'saving' names intermediates");
                continue;
            }
            if (!autodiff::tapValue(forward, tap.name)) {
                reporter_.error(tap.loc, "'" + tap.name + "' is not a value computed in kernel '" +
                                             shownTarget_ + "'" +
                                             didYouMean(tap.name, valueNames(forward)));
                continue;
            }
            spec.saving.push_back(tap.name);
        }
    }

    // The names of the values computed in a kernel (for "did you mean").
    static std::vector<std::string> valueNames(const ir::Kernel& kernel) {
        std::vector<std::string> names;
        for (const auto& op : kernel.ops)
            for (const auto& result : op->results)
                if (!op->isConst() && !result->name.empty()) names.push_back(result->name);
        return names;
    }

    void checkFreeName(const std::string& name, bool needed) {
        if (!needed) return;
        if (globals_.defines(name) || module_.findKernel(name))
            reporter_.error(decl_.loc, "the forward kernel of 'saving' would be named '" + name +
                                           "', which is already defined");
    }

    const ast::GradDecl& decl_;
    const GradEntry& entry_;
    Globals& globals_;
    ConstEvaluator& evaluator_;
    Reporter& reporter_;
    ir::Module& module_;
    Scope scope_;
    std::string shownTarget_;
};

} // namespace

void lowerGradients(Module& main, Reporter& reporter, ir::Module& module, bool kernelsValid) {
    for (const std::string& name : main.globals.gradOrder)
        GradLowerer(main.globals.grads.at(name), main, reporter, module).lower(kernelsValid);
}

} // namespace anec::frontend
