#pragma once
// The process's ANE compile budget. The ANE compiler leaks: after about 119 compiles in one
// process it fails (rule 15). anec counts the compiles it makes and stops with a clear error
// before that, at a budget (default 100; ANEC_COMPILE_BUDGET; `anec run --compile-budget N`).
// Cached programs (program_cache.hpp) are not compiled again and cost nothing.
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

namespace anec::runtime::ane {

inline constexpr size_t kDefaultCompileBudget = 100;
// Where the ANE compiler is reported to fail (rule 15).
inline constexpr size_t kAneCompilerFailsNear = 119;

class CompileBudget {
  public:
    explicit CompileBudget(size_t limit = kDefaultCompileBudget) : limit_(limit) {}

    // Counts one compile; throws anec::Error (saying what to do) when it would exceed the limit.
    // `what` names the program ("kernel 'ffn'") in the message.
    void charge(const std::string& what);

    size_t used() const;
    size_t limit() const;
    void setLimit(size_t limit);

  private:
    mutable std::mutex mutex_;
    size_t limit_;
    size_t used_ = 0;
};

// The budget every ANE backend of this process shares. Its limit comes from ANEC_COMPILE_BUDGET
// when that is set (a positive integer; anything else is an anec::Error on first use), else 100.
CompileBudget& processCompileBudget();

// The value of ANEC_COMPILE_BUDGET-style text: nullopt for an empty string; throws anec::Error
// naming `source` for anything but a positive integer.
std::optional<size_t> parseCompileBudget(const std::string& text, const std::string& source);

} // namespace anec::runtime::ane
