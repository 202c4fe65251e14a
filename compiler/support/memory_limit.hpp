#pragma once
// The most memory anec lets one compilation or one kernel run take, checked before each large
// allocation (weights the compiler materializes, tensors the runtime allocates), so that a
// declared shape nobody can afford is an error naming it, not a crash or a swapping machine.
//
// The limit is per process: setMemoryLimit (the CLI's --max-memory, the APIs' option), else the
// environment variable ANEC_MAX_MEMORY, else half of the machine's physical memory (or of the
// cgroup's memory limit when that is lower). Sizes read as bytes with an optional K, M, G or T
// suffix (powers of 1024).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/diagnostics.hpp"

namespace anec {

// Thrown when an allocation would exceed the limit; `loc` is the tensor's declaration when the
// thrower knows it (the driver prints it as file:line:col).
class MemoryLimitError : public Error {
  public:
    MemoryLimitError(const std::string& message, SourceLoc loc = {}) : Error(message), loc(loc) {}
    SourceLoc loc;
};

// Physical memory of this machine (the cgroup's limit when lower); 0 when unknown.
uint64_t machineMemoryBytes();
// Half of machineMemoryBytes(), or 8 GiB when that is unknown.
uint64_t defaultMemoryLimit();
// The limit in force (see above).
uint64_t memoryLimit();
// Sets the process's limit; 0 goes back to ANEC_MAX_MEMORY or the default. Returns the limit
// set before (0 when none was).
uint64_t setMemoryLimit(uint64_t bytes);

// Sets a limit for its lifetime and then restores the one before (0: ANEC_MAX_MEMORY or the
// default).
class ScopedMemoryLimit {
  public:
    explicit ScopedMemoryLimit(uint64_t bytes) : previous_(setMemoryLimit(bytes)) {}
    ~ScopedMemoryLimit() { setMemoryLimit(previous_); }
    ScopedMemoryLimit(const ScopedMemoryLimit&) = delete;
    ScopedMemoryLimit& operator=(const ScopedMemoryLimit&) = delete;

  private:
    uint64_t previous_;
};

// "8G", "512M", "1.5G", "1000000" as bytes; nullopt for anything else (or zero).
std::optional<uint64_t> parseByteSize(std::string_view text);
// 1536 -> "1.5 KiB", 200000000000 -> "186.3 GiB".
std::string formatBytes(uint64_t bytes);

// Throws MemoryLimitError when `bytes` exceed the limit: "<what> needs <bytes> bytes (<size>),
// more than the memory limit of <size> (--max-memory or ANEC_MAX_MEMORY)". `what` names the
// tensor and its type, e.g. "input 'x' fp16[1, 100000000000, 1, 1]".
void checkAffordable(const std::string& what, uint64_t bytes, SourceLoc loc = {});

// Adds allocations up and checks their running total (a compilation's weights, a kernel's live
// intermediates) as well as each one.
class MemoryBudget {
  public:
    explicit MemoryBudget(std::string scope) : scope_(std::move(scope)) {}
    void charge(const std::string& what, uint64_t bytes, SourceLoc loc = {});
    void release(uint64_t bytes) { used_ = bytes > used_ ? 0 : used_ - bytes; }
    uint64_t used() const { return used_; }

  private:
    std::string scope_;
    uint64_t used_ = 0;
};

} // namespace anec
