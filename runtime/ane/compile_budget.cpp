#include "runtime/ane/compile_budget.hpp"

#include <cstdlib>

#include "support/diagnostics.hpp"

namespace anec::runtime::ane {

void CompileBudget::charge(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (used_ < limit_) {
        ++used_;
        return;
    }
    throw Error(
        "compiling " + what + " would exceed the ANE compile budget: this process has made " +
        std::to_string(used_) + " ANE compile" + (used_ == 1 ? "" : "s") + " (budget " +
        std::to_string(limit_) + "), and the ANE compiler fails near " +
        std::to_string(kAneCompilerFailsNear) +
        " compiles per process (rule 15). Programs are cached by content, so running the same "
        "program again costs no compile; for weights that change (training), use dynamic "
        "weights (`dynamic weight`) instead of recompiling with new weights; otherwise restart "
        "the process, or raise the budget with --compile-budget N or ANEC_COMPILE_BUDGET=N");
}

size_t CompileBudget::used() const {
    std::lock_guard lock(mutex_);
    return used_;
}

size_t CompileBudget::limit() const {
    std::lock_guard lock(mutex_);
    return limit_;
}

void CompileBudget::setLimit(size_t limit) {
    std::lock_guard lock(mutex_);
    limit_ = limit;
}

std::optional<size_t> parseCompileBudget(const std::string& text, const std::string& source) {
    if (text.empty()) return std::nullopt;
    size_t value = 0;
    bool valid = text.size() <= 9;
    for (char c : text) {
        valid = valid && c >= '0' && c <= '9';
        if (valid) value = value * 10 + static_cast<size_t>(c - '0');
    }
    if (!valid || value == 0)
        throw Error(source + " must be a positive integer (a number of ANE compiles), got '" +
                    text + "'");
    return value;
}

CompileBudget& processCompileBudget() {
    static CompileBudget budget([] {
        const char* env = std::getenv("ANEC_COMPILE_BUDGET");
        return parseCompileBudget(env ? env : "", "ANEC_COMPILE_BUDGET")
            .value_or(kDefaultCompileBudget);
    }());
    return budget;
}

} // namespace anec::runtime::ane
