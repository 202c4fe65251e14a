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

namespace {

struct SpecError {
    std::string message;
    SourceLoc loc;
};

// The values of `kernel` a wrt name stands for: the input of that name, or every const op named
// after the weight (a fused kernel may hold one per kernel that uses it).
std::vector<ir::Value*> wrtValues(const ir::Kernel& kernel, const std::string& name) {
    for (const auto& input : kernel.inputs)
        if (input->name == name) return {input.get()};
    std::vector<ir::Value*> values;
    for (const auto& op : kernel.ops)
        if (op->isConst() && op->name == name) values.push_back(op->result());
    return values;
}

// A forward tap: the last value bound to `name` (a `var` rebound in a loop ends as its last).
ir::Value* tapValue(const ir::Kernel& kernel, const std::string& name) {
    ir::Value* found = nullptr;
    for (const auto& op : kernel.ops)
        for (const auto& result : op->results)
            if (!op->isConst() && result->name == name) found = result.get();
    return found;
}

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
            if (!spec_.saving.empty()) result.forward = buildForwardWithTaps();
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
            if (values.empty())
                error("'" + name + "' is neither an input of kernel '" + forward_.name +
                      "' nor a weight it uses");
            if (!ir::isFloat(values[0]->type.dtype))
                error("cannot differentiate with respect to '" + name + "': it is " +
                      values[0]->type.str() + ", and only float tensors have gradients");
            claim(names, spec_.outputNames.at(i), "the gradient of '" + name + "'");
        }
        for (const std::string& tap : spec_.saving) {
            ir::Value* value = tapValue(forward_, tap);
            if (!value)
                error("'" + tap + "' is not a value computed in kernel '" + forward_.name + "'");
            for (const ir::KernelOutput& output : forward_.outputs)
                if (output.name == tap)
                    error("'" + tap + "' is an output of kernel '" + forward_.name +
                          "' already; only intermediates are saved");
            claim(names, tap, "the saved value '" + tap + "'");
        }
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
        for (const std::string& tap : spec_.saving) {
            ir::Value* value = mapping.at(tapValue(forward_, tap));
            ir::Value* input = kernel->addInput(tap, value->type);
            kernel->replaceAllUses(value, input);
            taps_[value] = input;
        }

        std::vector<ir::Value*> wrt;
        for (const std::string& name : spec_.wrt)
            for (ir::Value* value : wrtValues(forward_, name))
                wrt.push_back(mapping.count(value) ? mapping.at(value) : nullptr);
        markVaried(*kernel, wrt);
        for (size_t i = 0; i < forward_.outputs.size(); ++i)
            accumulate(mapping.at(forward_.outputs[i].value), scaled(*kernel, seeds[i]));
        propagate(*kernel);

        for (size_t i = 0; i < spec_.wrt.size(); ++i) {
            std::vector<ir::Value*> values = wrtValues(forward_, spec_.wrt[i]);
            ir::Value* total = nullptr;
            for (ir::Value* value : values) {
                auto mapped = mapping.find(value);
                if (mapped == mapping.end()) continue;
                auto it = cotangents_.find(mapped->second);
                if (it != cotangents_.end()) total = sum(*kernel, total, it->second);
            }
            if (!total) {
                ir::Builder builder(*kernel);
                total = builder.createConst(
                    std::make_shared<ir::ConstData>(ir::ConstData::splat(values[0]->type, 0)),
                    spec_.loc);
            }
            kernel->outputs.push_back({spec_.outputNames[i], total, spec_.loc});
        }
        while (ir::removeDeadOps(*kernel) != 0) {
        }
        return kernel;
    }

    ir::Value* scaled(ir::Kernel& kernel, ir::Value* seed) {
        if (spec_.lossScale == 1) return seed;
        ir::Builder builder(kernel);
        ir::Value* factor =
            builder.createConst(std::make_shared<ir::ConstData>(
                                    ir::ConstData::splat({seed->type.dtype, {}}, spec_.lossScale)),
                                spec_.loc);
        auto product = builder.createValue("mul", {seed, factor}, {}, spec_.loc);
        if (!product) error("cannot scale the cotangents: " + product.error(), spec_.loc);
        return *product;
    }

    // Values that depend on a wrt value (only float values carry gradients).
    void markVaried(const ir::Kernel& kernel, const std::vector<ir::Value*>& wrt) {
        for (ir::Value* value : wrt)
            if (value) varied_.insert(value);
        for (const auto& op : kernel.ops) {
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
        if (!isNew) it->second = sum(*backward_, it->second, cotangent);
    }

    ir::Value* sum(ir::Kernel& kernel, ir::Value* a, ir::Value* b) {
        if (!a) return b;
        ir::Builder builder(kernel);
        auto total = builder.createValue("add", {a, b}, {}, spec_.loc);
        if (!total) throw ir::VjpError("cannot sum cotangents: " + total.error());
        return *total;
    }

    void propagate(ir::Kernel& kernel) {
        std::vector<ir::Op*> ops;
        for (const auto& op : kernel.ops)
            ops.push_back(op.get());
        for (auto it = ops.rbegin(); it != ops.rend(); ++it)
            propagateThrough(kernel, **it);
    }

    void propagateThrough(ir::Kernel& kernel, const ir::Op& op) {
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
        ir::Builder builder(kernel);
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
