#include "runtime/core/backend.hpp"

#include "runtime/core/dynamic_weights.hpp"
#include "runtime/core/host_conversion.hpp"
#include "runtime/core/packed_io.hpp"
#include "support/diagnostics.hpp"

namespace anec::runtime {

std::unique_ptr<Executable> Backend::prepare(std::shared_ptr<const ir::Module> module,
                                             const std::string& kernelName) {
    if (!module) throw Error("no module to prepare");
    const ir::Kernel* kernel = module->findKernel(kernelName);
    if (!kernel) {
        std::string names;
        for (const auto& candidate : module->kernels)
            names += (names.empty() ? "" : ", ") + candidate->name;
        throw Error("no kernel named '" + kernelName +
                    "' (the module has: " + (names.empty() ? "no kernels" : names) + ")");
    }
    return withDynamicWeights(
        withHostConversion(withPackedIo(prepareKernel(std::move(module), *kernel), *kernel),
                           *kernel),
        *kernel);
}

void checkInputs(const std::string& kernelName, const std::vector<IoInfo>& declared,
                 const std::map<std::string, TensorView>& inputs) {
    std::string list;
    for (const IoInfo& info : declared)
        list += (list.empty() ? "" : ", ") + info.name + ": " + info.type.str();
    for (const auto& [name, view] : inputs) {
        bool known = false;
        for (const IoInfo& info : declared)
            known = known || info.name == name;
        if (!known)
            throw Error("unknown input '" + name + "' for kernel '" + kernelName +
                        "' (its inputs: " + (list.empty() ? "none" : list) + ")");
    }
    for (const IoInfo& info : declared) {
        auto it = inputs.find(info.name);
        if (it == inputs.end())
            throw Error("missing input '" + info.name + "' (" + info.type.str() + ") for kernel '" +
                        kernelName + "'");
        const TensorView& view = it->second;
        if (view.type != info.type)
            throw Error("input '" + info.name + "' has type " + view.type.str() + " but kernel '" +
                        kernelName + "' declares " + info.type.str());
        if (static_cast<int64_t>(view.bytes.size()) != info.type.byteSize())
            throw Error("input '" + info.name + "' (" + info.type.str() + ") needs " +
                        std::to_string(info.type.byteSize()) + " bytes, got " +
                        std::to_string(view.bytes.size()));
    }
}

} // namespace anec::runtime
