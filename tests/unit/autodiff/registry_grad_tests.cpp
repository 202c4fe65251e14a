// Every op of the registry that can take and give float tensors declares its gradient: a VJP,
// zero (piecewise constant), or the reason it has none. A new differentiable op without a VJP
// fails here, naming it.
#include <catch2/catch.hpp>

#include <set>

#include "ir/op_registry.hpp"

namespace {
// Ops none of whose results is a float tensor, or without operands: no gradient flows.
const std::set<std::string> kNoFloatPath = {
    "const",       "less",          "less_equal",    "greater",    "greater_equal",
    "equal",       "not_equal",     "logical_and",   "logical_or", "logical_xor",
    "logical_not", "reduce_argmax", "reduce_argmin", "argsort",    "quantize",
};
} // namespace

TEST_CASE("every differentiable op declares its gradient", "[autodiff][registry]") {
    std::vector<std::string> missing;
    for (const auto& [name, def] : anec::ir::OpRegistry::builtin().all()) {
        if (kNoFloatPath.count(name)) continue;
        if (def.vjp || def.zeroGradient || !def.noGradient.empty()) continue;
        missing.push_back(name);
    }
    std::string list;
    for (const std::string& name : missing)
        list += " " + name;
    INFO("ops with float operands and results but no vjp, zeroGradient or noGradient:" << list);
    CHECK(missing.empty());
}

TEST_CASE("ops without a float path declare nothing", "[autodiff][registry]") {
    for (const std::string& name : kNoFloatPath) {
        const anec::ir::OpDef* def = anec::ir::OpRegistry::builtin().find(name);
        INFO(name);
        REQUIRE(def);
        CHECK_FALSE(def->vjp);
    }
}
