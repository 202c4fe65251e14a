// A kernel's footprint as `anec stats` reports it, and the remarks passes record when a rewrite
// makes it larger (docs/passes.md, "anec stats").
#include <algorithm>
#include <set>

#include "mil/emitter.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
// The ops the kernel's outputs depend on: what is left after dce, so that a pass measures what
// `anec stats` will see, not the dead ops an earlier pass left for the final dce.
std::set<const ir::Op*> liveOps(const ir::Kernel& kernel) {
    std::set<const ir::Value*> needed;
    for (const ir::KernelOutput& output : kernel.outputs)
        needed.insert(output.value);
    std::set<const ir::Op*> live;
    for (auto it = kernel.ops.rbegin(); it != kernel.ops.rend(); ++it) {
        const ir::Op& op = **it;
        bool used = false;
        for (const auto& result : op.results)
            used = used || needed.count(result.get());
        if (!used) continue;
        live.insert(&op);
        needed.insert(op.operands.begin(), op.operands.end());
    }
    return live;
}
} // namespace

Footprint measureFootprint(const ir::Kernel& kernel) {
    Footprint footprint;
    std::set<const ir::Value*> outputs;
    for (const ir::KernelOutput& output : kernel.outputs)
        outputs.insert(output.value);
    const std::set<const ir::Op*> live = liveOps(kernel);
    for (const ir::Op* op : live) {
        ++footprint.ops;
        if (op->isConst()) continue;
        for (const auto& result : op->results)
            if (!outputs.count(result.get()))
                footprint.intermediateBytes += std::max<int64_t>(result->type.byteSize(), 0);
    }
    footprint.weightBytes = static_cast<int64_t>(
        mil::blobBytes(kernel, [&](const ir::Op& op) { return live.count(&op) > 0; }));
    return footprint;
}

void Pass::remarkIfGrown(const ir::Kernel& kernel, const Footprint& before, std::string reason) {
    Footprint after = measureFootprint(kernel);
    Footprint growth{std::max<int64_t>(after.ops - before.ops, 0),
                     std::max<int64_t>(after.intermediateBytes - before.intermediateBytes, 0),
                     std::max<int64_t>(after.weightBytes - before.weightBytes, 0)};
    if (growth.ops == 0 && growth.intermediateBytes == 0 && growth.weightBytes == 0) return;
    remarks_.push_back({name(), kernel.name, std::move(reason), growth});
}

} // namespace anec::passes
