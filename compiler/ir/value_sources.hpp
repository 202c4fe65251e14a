#pragma once
// Walking the values a value is computed from (its operands, theirs, ...).
#include <unordered_set>
#include <vector>

#include "ir/ir.hpp"

namespace anec::ir {

// Visits every value `value` is computed from (itself included) until `visit` returns false.
template <typename Visit> void forEachSource(const ir::Value* value, Visit visit) {
    std::vector<const ir::Value*> pending{value};
    std::unordered_set<const ir::Value*> seen;
    while (!pending.empty()) {
        const ir::Value* v = pending.back();
        pending.pop_back();
        if (!v || !seen.insert(v).second) continue;
        if (!visit(v)) return;
        if (v->definingOp)
            for (const ir::Value* operand : v->definingOp->operands)
                pending.push_back(operand);
    }
}

} // namespace anec::ir
