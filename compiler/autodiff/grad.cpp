// The backward kernel: a copy of the forward ops (recomputing what no tap supplies), then, in
// reverse order, each active op's VJP; cotangents of a value used several times are summed.
#include "autodiff/grad.hpp"

#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ir/clone.hpp"
#include "ir/op_registry.hpp"
#include "ir/vjp.hpp"

namespace anec::autodiff {

std::string cotangentInputName(const std::string& output) {
    return "d_" + output;
}

std::vector<ir::Value*> wrtValues(const ir::Kernel& kernel, const std::string& name) {
    for (const auto& input : kernel.inputs)
        if (input->name == name) return {input.get()};
    std::vector<ir::Value*> values;
    for (const auto& op : kernel.ops)
        if (op->isConst() && op->name == name) values.push_back(op->result());
    return values;
}

ir::Value* tapValue(const ir::Kernel& kernel, const std::string& name) {
    ir::Value* found = nullptr;
    for (const auto& op : kernel.ops)
        for (const auto& result : op->results)
            if (!op->isConst() && result->name == name) found = result.get();
    return found;
}

namespace {

struct SpecError {
    std::string message;
    SourceLoc loc;
};

class Differentiator {
  public:
    Differentiator(const ir::Kernel& forward, const GradSpec& spec)
        : forward_(forward), spec_(spec) {}

    GradResult run() {
        GradResult result;
        try {
            checkSpec();
            result.backward = buildBackward();
            result.warnings = warnings_;
            if (!spec_.saving.empty() && spec_.savedValues.empty())
                result.forward = buildForwardWithTaps();
        } catch (const SpecError& e) {
            result = GradResult{};
            result.error = e.message;
            result.errorLoc = e.loc;
        } catch (const ir::VjpError& e) {
            result = GradResult{};
            result.error = e.what();
            result.errorLoc = currentLoc_;
        }
        return result;
    }

  private:
    [[noreturn]] void error(const std::string& message, SourceLoc loc = {}) const {
        throw SpecError{message, loc};
    }

    void checkSpec() {
        std::set<std::string> names;
        for (const auto& input : forward_.inputs)
            names.insert(input->name);
        for (const ir::KernelOutput& output : forward_.outputs)
            claim(names, cotangentInputName(output.name),
                  "the cotangent input of output '" + output.name + "'");
        for (size_t i = 0; i < spec_.wrt.size(); ++i) {
            const std::string& name = spec_.wrt[i];
            std::vector<ir::Value*> values = wrtValues(forward_, name);
            wrtValues_.push_back(values);
            if (values.empty())
                error("'" + name + "' is neither an input of kernel '" + forward_.name +
                      "' nor a weight it uses");
            if (!ir::isFloat(values[0]->type.dtype))
                error("cannot differentiate with respect to '" + name + "': it is " +
                      values[0]->type.str() + ", and only float tensors have gradients");
            claim(names, spec_.outputNames.at(i), "the gradient of '" + name + "'");
        }
        if (!spec_.savedValues.empty() && spec_.savedValues.size() != spec_.saving.size())
            error("savedValues must give one value per name in saving");
        for (size_t i = 0; i < spec_.saving.size(); ++i) {
            const std::string& tap = spec_.saving[i];
            ir::Value* value = spec_.savedValues.empty()
                                   ? tapValue(forward_, tap)
                                   : const_cast<ir::Value*>(spec_.savedValues[i]);
            tapValues_.push_back(value);
            if (!value)
                error("'" + tap + "' is not a value computed in kernel '" + forward_.name + "'");
            for (const ir::KernelOutput& output : forward_.outputs)
                if (output.name == tap)
                    error("'" + tap + "' is an output of kernel '" + forward_.name +
                          "' already; only intermediates are saved");
            claim(names, tap, "the saved value '" + tap + "'");
        }
        if (spec_.keepOutputs)
            for (const ir::KernelOutput& output : forward_.outputs)
                claim(names, output.name, "the output '" + output.name + "'");
    }

    void claim(std::set<std::string>& names, const std::string& name, const std::string& what) {
        if (!names.insert(name).second)
            error(what + " would be named '" + name + "', which kernel '" + spec_.name +
                  "' already uses");
    }

    std::unique_ptr<ir::Kernel> buildBackward() {
        auto kernel = std::make_unique<ir::Kernel>();
        kernel->name = spec_.name;
        kernel->loc = spec_.loc;
        kernel->dynamicWeights = forward_.dynamicWeights;
        ir::ValueMap mapping;
        for (const auto& input : forward_.inputs)
            mapping[input.get()] = kernel->addInput(input->name, input->type);
        std::vector<ir::Value*> seeds;
        for (const ir::KernelOutput& output : forward_.outputs)
            seeds.push_back(kernel->addInput(cotangentInputName(output.name), output.value->type));
        auto copied = ir::cloneOpsInto(forward_, *kernel, mapping);
        if (!copied) error("cannot copy kernel '" + forward_.name + "': " + copied.error());
        backward_ = kernel.get();
        // The ops using a tap read the input instead, so that what only the tap needed is not
        // recomputed; the op computing it stays for its VJP, with the input as its result.
        for (size_t i = 0; i < spec_.saving.size(); ++i) {
            ir::Value* value = mapping.at(tapValues_[i]);
            ir::Value* input = kernel->addInput(spec_.saving[i], value->type);
            kernel->replaceAllUses(value, input);
            taps_[value] = input;
        }

        // Every forward value is mapped: cloneOpsInto copied them all.
        for (const std::vector<ir::Value*>& values : wrtValues_)
            for (ir::Value* value : values)
                varied_.insert(mapping.at(value));
        markVaried();
        for (size_t i = 0; i < forward_.outputs.size(); ++i)
            accumulate(mapping.at(forward_.outputs[i].value), scaled(seeds[i]));
        propagate();

        for (size_t i = 0; i < spec_.wrt.size(); ++i) {
            ir::Value* total = nullptr;
            for (ir::Value* value : wrtValues_[i]) {
                auto it = cotangents_.find(mapping.at(value));
                if (it != cotangents_.end()) total = sum(total, it->second);
            }
            if (!total) {
                ir::Builder builder(*kernel);
                total = builder.createConst(std::make_shared<ir::ConstData>(
                                                ir::ConstData::splat(wrtValues_[i][0]->type, 0)),
                                            spec_.loc);
            }
            kernel->outputs.push_back({spec_.outputNames[i], total, spec_.loc});
        }
        if (spec_.keepOutputs)
            for (const ir::KernelOutput& output : forward_.outputs)
                kernel->outputs.push_back({output.name, mapping.at(output.value), output.loc});
        // One sweep: the kernel's ops are in execution order.
        ir::removeDeadOps(*kernel);
        return kernel;
    }

    ir::Value* scaled(ir::Value* seed) {
        if (spec_.lossScale == 1) return seed;
        ir::Builder builder(*backward_);
        ir::Value* factor =
            builder.createConst(std::make_shared<ir::ConstData>(
                                    ir::ConstData::splat({seed->type.dtype, {}}, spec_.lossScale)),
                                spec_.loc);
        auto product = builder.createValue("mul", {seed, factor}, {}, spec_.loc);
        if (!product) error("cannot scale the cotangents: " + product.error(), spec_.loc);
        return *product;
    }

    // Values that depend on a wrt value, which varied_ holds already (only float values carry
    // gradients).
    void markVaried() {
        for (const auto& op : backward_->ops) {
            if (op->def().zeroGradient) continue; // piecewise constant: nothing flows through
            bool depends = false;
            for (const ir::Value* operand : op->operands)
                depends = depends || (operand && varied_.count(operand));
            if (!depends) continue;
            for (const auto& result : op->results)
                if (ir::isFloat(result->type.dtype)) varied_.insert(asTapped(result.get()));
        }
    }

    // The value standing for a result in the backward kernel: the tap input for a saved one.
    ir::Value* asTapped(ir::Value* value) const {
        auto tap = taps_.find(value);
        return tap == taps_.end() ? value : tap->second;
    }

    void accumulate(ir::Value* value, ir::Value* cotangent) {
        if (!varied_.count(value)) return;
        auto [it, isNew] = cotangents_.emplace(value, cotangent);
        if (!isNew) it->second = sum(it->second, cotangent);
    }

    ir::Value* sum(ir::Value* a, ir::Value* b) {
        if (!a) return b;
        ir::Builder builder(*backward_);
        auto total = builder.createValue("add", {a, b}, {}, spec_.loc);
        if (!total) throw ir::VjpError("cannot sum cotangents: " + total.error());
        return *total;
    }

    // In reverse over the ops there are before any VJP appends to the kernel.
    void propagate() {
        std::vector<ir::Op*> ops;
        for (const auto& op : backward_->ops)
            ops.push_back(op.get());
        for (auto it = ops.rbegin(); it != ops.rend(); ++it)
            propagateThrough(**it);
    }

    void propagateThrough(const ir::Op& op) {
        std::vector<ir::Value*> cotangents;
        bool any = false;
        for (const auto& result : op.results) {
            auto found = cotangents_.find(asTapped(result.get()));
            cotangents.push_back(found == cotangents_.end() ? nullptr : found->second);
            any = any || cotangents.back();
        }
        std::vector<bool> wanted;
        bool wantsAny = false;
        for (const ir::Value* operand : op.operands) {
            wanted.push_back(operand && varied_.count(operand));
            wantsAny = wantsAny || wanted.back();
        }
        if (!any || !wantsAny || op.def().zeroGradient) return;
        currentLoc_ = op.loc;
        if (!op.def().vjp) {
            std::string why =
                op.def().noGradient.empty() ? "no gradient is defined for it" : op.def().noGradient;
            error("op '" + op.kind() + "' has no gradient: " + why, op.loc);
        }
        std::vector<ir::Value*> results;
        for (const auto& result : op.results)
            results.push_back(asTapped(result.get()));
        ir::Builder builder(*backward_);
        ir::VjpContext context(builder, op, op.operands, results, cotangents, wanted);
        context.setRangeWarnings(&warnings_, spec_.lossScale);
        std::vector<ir::Value*> gradients = op.def().vjp(context);
        if (gradients.size() != op.operands.size())
            throw ir::VjpError("the gradient of " + op.kind() + " gave " +
                               std::to_string(gradients.size()) + " cotangents for " +
                               std::to_string(op.operands.size()) + " operands");
        for (size_t i = 0; i < gradients.size(); ++i) {
            if (!wanted[i] || !gradients[i]) continue;
            if (gradients[i]->type != op.operands[i]->type)
                throw ir::VjpError("the gradient of " + op.kind() + " gave " +
                                   gradients[i]->type.str() + " for operand " + std::to_string(i) +
                                   " of type " + op.operands[i]->type.str());
            accumulate(op.operands[i], gradients[i]);
        }
    }

    std::unique_ptr<ir::Kernel> buildForwardWithTaps() {
        auto copy = ir::cloneKernel(forward_);
        if (!copy) error("cannot copy kernel '" + forward_.name + "': " + copy.error());
        std::unique_ptr<ir::Kernel> kernel = std::move(*copy);
        kernel->name = spec_.name + "_fwd";
        kernel->loc = spec_.loc;
        for (const std::string& tap : spec_.saving)
            kernel->outputs.push_back({tap, tapValue(*kernel, tap), spec_.loc});
        return kernel;
    }

    const ir::Kernel& forward_;
    const GradSpec& spec_;
    std::vector<std::vector<ir::Value*>> wrtValues_; // per wrt name, in the forward kernel
    std::vector<ir::Value*> tapValues_;              // per tap, in the forward kernel
    ir::Kernel* backward_ = nullptr;
    std::unordered_map<const ir::Value*, ir::Value*> taps_; // recomputed value -> tap input
    std::unordered_set<const ir::Value*> varied_;
    std::unordered_map<const ir::Value*, ir::Value*> cotangents_;
    SourceLoc currentLoc_;
    std::vector<ir::VjpRangeWarning> warnings_;
};

} // namespace

GradResult gradKernel(const ir::Kernel& forward, const GradSpec& spec) {
    return Differentiator(forward, spec).run();
}

} // namespace anec::autodiff
