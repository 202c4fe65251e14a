#include "ir/fuse_kernels.hpp"

#include <map>
#include <set>

#include "ir/clone.hpp"

namespace anec::ir {

namespace {
struct Produced {
    Value* value = nullptr;
    SourceLoc loc;
    std::string kernel;
};

class Fuser {
  public:
    Fuser(const std::string& name, SourceLoc loc) : fused_(std::make_unique<Kernel>()) {
        fused_->name = name;
        fused_->loc = loc;
    }

    Expected<size_t> add(const Kernel& kernel) {
        // Fusion connects the names callers see; packed kernels must be fused before packing.
        if (!kernel.packing.empty())
            return fail("kernel '" + kernel.name + "' has packed inputs or outputs");
        ValueMap mapping;
        for (const auto& input : kernel.inputs) {
            auto value = connectInput(kernel, *input);
            if (!value) return fail(value.error());
            mapping[input.get()] = *value;
        }
        auto copied = cloneOpsInto(kernel, *fused_, mapping);
        if (!copied) return copied;
        for (const KernelOutput& output : kernel.outputs) {
            if (produced_.count(output.name))
                return fail("output '" + output.name + "' of kernel '" + kernel.name +
                            "' clashes with the output of kernel '" +
                            produced_[output.name].kernel + "'");
            if (inputs_.count(output.name))
                return fail("output '" + output.name + "' of kernel '" + kernel.name +
                            "' has the name of an input of an earlier kernel");
            auto mapped = mapping.find(output.value);
            if (mapped == mapping.end())
                return fail("output '" + output.name + "' of kernel '" + kernel.name +
                            "' has no value");
            produced_[output.name] = {mapped->second, output.loc, kernel.name};
            order_.push_back(output.name);
        }
        return *copied;
    }

    std::unique_ptr<Kernel> finish(const std::set<std::string>& keep) {
        for (const std::string& name : order_)
            if (!consumed_.count(name) || keep.count(name))
                fused_->outputs.push_back({name, produced_[name].value, produced_[name].loc});
        return std::move(fused_);
    }

  private:
    Expected<Value*> connectInput(const Kernel& kernel, const Value& input) {
        auto mismatch = [&](const TensorType& other, const std::string& what) {
            return fail("input '" + input.name + "' of kernel '" + kernel.name + "' is " +
                        input.type.str() + " but " + what + " is " + other.str());
        };
        if (auto it = produced_.find(input.name); it != produced_.end()) {
            if (it->second.value->type != input.type)
                return mismatch(it->second.value->type,
                                "the output of kernel '" + it->second.kernel + "'");
            consumed_.insert(input.name);
            return it->second.value;
        }
        if (auto it = inputs_.find(input.name); it != inputs_.end()) {
            if (it->second->type != input.type)
                return mismatch(it->second->type, "the shared input");
            return it->second;
        }
        Value* added = fused_->addInput(input.name, input.type);
        added->loc = input.loc;
        return inputs_[input.name] = added;
    }

    std::unique_ptr<Kernel> fused_;
    std::map<std::string, Produced> produced_;
    std::map<std::string, Value*> inputs_;
    std::set<std::string> consumed_;
    std::vector<std::string> order_; // outputs in the order the kernels produce them
};
} // namespace

Expected<std::unique_ptr<Kernel>> fuseKernels(const std::vector<const Kernel*>& kernels,
                                              const std::string& name, SourceLoc loc,
                                              const std::set<std::string>& keep) {
    if (kernels.size() < 2) return fail("fusing needs at least two kernels");
    Fuser fuser(name, loc);
    std::set<const Kernel*> seen;
    for (const Kernel* kernel : kernels) {
        if (kernel == nullptr) return fail("fusing a kernel that does not exist");
        if (!seen.insert(kernel).second)
            return fail("kernel '" + kernel->name + "' is listed twice");
        auto added = fuser.add(*kernel);
        if (!added) return fail(added.error());
    }
    return fuser.finish(keep);
}

} // namespace anec::ir
