// The symbol-table side of sema: scopes, top-level names and array element names.
#include <cmath>
#include <cstdio>

#include "frontend/sema.hpp"

namespace anec::frontend {

std::string formatNumber(double value, bool integral) {
    if (integral && std::fabs(value) < 9.2e18) return std::to_string(static_cast<int64_t>(value));
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    return buffer;
}

LocalBinding* Scope::find(const std::string& name) {
    auto it = bindings_.find(name);
    if (it != bindings_.end()) return &it->second;
    return parent_ ? parent_->find(name) : nullptr;
}

const LocalBinding* Scope::find(const std::string& name) const {
    auto it = bindings_.find(name);
    if (it != bindings_.end()) return &it->second;
    return parent_ ? static_cast<const Scope*>(parent_)->find(name) : nullptr;
}

LocalBinding* Scope::define(const std::string& name, LocalBinding binding) {
    auto [it, inserted] = bindings_.emplace(name, std::move(binding));
    if (!inserted) return nullptr;
    order_.push_back(name);
    return &it->second;
}

std::vector<std::string> Scope::visibleNames() const {
    std::vector<std::string> names = parent_ ? parent_->visibleNames() : std::vector<std::string>{};
    names.insert(names.end(), order_.begin(), order_.end());
    return names;
}

void bindLoopVars(Scope& scope, const LoopEnv& env) {
    for (const LoopVar& var : env)
        scope.define(var.name,
                     LocalBinding{LocalBinding::Kind::LoopVar, var.loc,
                                  Operand::numberOf(static_cast<double>(var.value), true)});
}

std::vector<std::string> Globals::names() const {
    std::vector<std::string> result;
    for (const auto& [name, loc] : definitions)
        result.push_back(name);
    return result;
}

std::string elementName(const std::string& array, const std::vector<int64_t>& index) {
    std::string text = array + "[";
    for (size_t i = 0; i < index.size(); ++i)
        text += (i ? ", " : "") + std::to_string(index[i]);
    return text + "]";
}

std::string elementEntryName(const std::string& array, const std::vector<int64_t>& index) {
    std::string text = array;
    for (int64_t i : index)
        text += "_" + std::to_string(i);
    return text;
}

std::optional<ir::DType> languageDType(const std::string& name) {
    if (name == "fp16") return ir::DType::Fp16;
    if (name == "fp32") return ir::DType::Fp32;
    if (name == "int32") return ir::DType::Int32;
    if (name == "bool") return ir::DType::Bool;
    return std::nullopt;
}

} // namespace anec::frontend
