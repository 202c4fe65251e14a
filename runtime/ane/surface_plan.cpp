#include "runtime/ane/surface_plan.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "support/diagnostics.hpp"
#include "support/memory_limit.hpp"

namespace anec::runtime::ane {

namespace {
// Byte-wise order (std::string compares chars as unsigned through char_traits), which is the
// order the ANE binds in: "B" < "a" < "b".
std::vector<SurfaceBinding> bindingOrder(const std::vector<IoInfo>& tensors) {
    std::vector<SurfaceBinding> bindings;
    for (size_t i = 0; i < tensors.size(); ++i)
        bindings.push_back({tensors[i].name, tensors[i].type, i});
    std::sort(bindings.begin(), bindings.end(),
              [](const SurfaceBinding& a, const SurfaceBinding& b) { return a.name < b.name; });
    return bindings;
}

size_t roundUp(size_t bytes, size_t alignment) {
    return (bytes + alignment - 1) / alignment * alignment;
}

size_t allocationSize(const std::vector<SurfaceBinding>& bindings, size_t alignment) {
    size_t largest = kMinSurfaceBytes;
    for (const SurfaceBinding& binding : bindings)
        largest = std::max(largest, static_cast<size_t>(binding.type.byteSize()));
    return roundUp(largest, alignment);
}
} // namespace

SurfaceSizes SurfacePlan::sizes() const {
    return SurfaceSizes{std::vector<size_t>(inputs.size(), inputBytes),
                        std::vector<size_t>(outputs.size(), outputBytes)};
}

namespace {
// Every surface has the size of the largest: all of them together must fit the memory limit.
void checkSurfaceMemory(const SurfacePlan& plan) {
    MemoryBudget surfaces("the surfaces before it");
    for (const SurfaceBinding& input : plan.inputs)
        surfaces.charge("the surface of input '" + input.name + "' " + input.type.str(),
                        plan.inputBytes);
    for (const SurfaceBinding& output : plan.outputs)
        surfaces.charge("the surface of output '" + output.name + "' " + output.type.str(),
                        plan.outputBytes);
}
} // namespace

SurfacePlan planSurfaces(const std::vector<IoInfo>& inputs, const std::vector<IoInfo>& outputs,
                         size_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        throw Error("surface alignment " + std::to_string(alignment) + " is not a power of two");
    std::set<std::string> names;
    for (const auto* list : {&inputs, &outputs})
        for (const IoInfo& info : *list)
            if (!names.insert(info.name).second)
                throw Error("'" + info.name + "' names two kernel inputs/outputs");
    SurfacePlan plan;
    plan.inputs = bindingOrder(inputs);
    plan.outputs = bindingOrder(outputs);
    plan.inputBytes = allocationSize(plan.inputs, alignment);
    plan.outputBytes = allocationSize(plan.outputs, alignment);
    checkSurfaceMemory(plan);
    return plan;
}

void writeSurface(std::span<uint8_t> surface, std::span<const uint8_t> data) {
    if (data.size() > surface.size())
        throw Error("a tensor of " + std::to_string(data.size()) +
                    " bytes does not fit its surface of " + std::to_string(surface.size()) +
                    " bytes");
    if (!data.empty()) std::memcpy(surface.data(), data.data(), data.size());
    std::fill(surface.begin() + static_cast<ptrdiff_t>(data.size()), surface.end(), uint8_t{0});
}

Tensor readSurface(std::span<const uint8_t> surface, const ir::TensorType& type) {
    size_t bytes = static_cast<size_t>(type.byteSize());
    if (bytes > surface.size())
        throw Error("a surface of " + std::to_string(surface.size()) + " bytes cannot hold " +
                    type.str() + " (" + std::to_string(bytes) + " bytes)");
    return Tensor(type, std::vector<uint8_t>(surface.begin(),
                                             surface.begin() + static_cast<ptrdiff_t>(bytes)));
}

} // namespace anec::runtime::ane
