// The ANE targets and the rules table of docs/ane-rules.md (issue 6's design).
#include "passes/ane_target.hpp"

#include <array>
#include <cctype>

namespace anec::passes {

namespace {
struct TargetName {
    AneTarget target;
    std::string_view name;
};

constexpr std::array<TargetName, 6> kTargets{{
    {AneTarget::Generic, "generic"},
    {AneTarget::M1, "m1"},
    {AneTarget::M2, "m2"},
    {AneTarget::M3, "m3"},
    {AneTarget::M4, "m4"},
    {AneTarget::M5, "m5"},
}};
} // namespace

std::string_view aneTargetName(AneTarget target) {
    for (const TargetName& entry : kTargets)
        if (entry.target == target) return entry.name;
    return "generic";
}

std::optional<AneTarget> parseAneTarget(std::string_view name) {
    for (const TargetName& entry : kTargets)
        if (entry.name == name) return entry.target;
    return std::nullopt;
}

std::vector<std::string> aneTargetNames() {
    std::vector<std::string> names;
    for (const TargetName& entry : kTargets)
        names.emplace_back(entry.name);
    return names;
}

std::string aneTargetList() {
    std::string list;
    for (const std::string& name : aneTargetNames())
        list += (list.empty() ? "" : ", ") + name;
    return list;
}

AneTarget aneTargetForChip(std::string_view chipName) {
    // Brand strings read "Apple M<generation>[ Pro| Max| Ultra]"; the generation alone decides.
    constexpr std::string_view prefix = "Apple M";
    if (chipName.substr(0, prefix.size()) != prefix) return AneTarget::Generic;
    std::string_view rest = chipName.substr(prefix.size());
    size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits])))
        ++digits;
    if (digits == 0 || (digits < rest.size() && rest[digits] != ' ')) return AneTarget::Generic;
    std::string generation(rest.substr(0, digits));
    auto target = parseAneTarget("m" + generation);
    return target ? *target : AneTarget::Generic;
}

AneTargetRules aneTargetRules(AneTarget target) {
    AneTargetRules rules;
    // M1/M2 cannot run `cast` (ane-and-mil.md §3); generic must run everywhere.
    rules.castInProgram =
        target == AneTarget::M3 || target == AneTarget::M4 || target == AneTarget::M5;
    // concat is reported working only on M3 Ultra and M4 (rule 7).
    rules.concat = target == AneTarget::M3 || target == AneTarget::M4;
    // reshape/slice/concat along the width axis were rejected on M3 Ultra (rule 17).
    rules.widthAxisOps = target != AneTarget::M3;
    if (target == AneTarget::M5) { // rule 16
        rules.programVersion = "1.5";
        rules.blobAlignment = 128;
    }
    return rules;
}

mil::EmitOptions emitOptionsFor(AneTarget target, mil::EmitOptions base) {
    AneTargetRules rules = aneTargetRules(target);
    if (target == AneTarget::M5) base.programVersion = rules.programVersion;
    base.blobAlignment = rules.blobAlignment;
    return base;
}

} // namespace anec::passes
