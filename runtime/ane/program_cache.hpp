#pragma once
// Compiled ANE programs, shared by content. The key is the SHA-256 of the MIL text and every
// weight file's path and bytes, so preparing the same program again (another Executable, another
// backend) reuses the loaded program instead of compiling it: compiles are slow (11-55 ms each)
// and limited per process (rule 15, compile_budget.hpp).
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "runtime/ane/ane_device.hpp"
#include "support/sha256.hpp"

namespace anec::runtime::ane {

// A loaded program shared by every Executable running it; evaluate() goes through `mutex`
// because the device does not allow concurrent evaluations of one program.
struct SharedProgram {
    std::unique_ptr<LoadedProgram> program;
    std::mutex mutex;
};

// The content key of a program. Each piece is length-prefixed, so that moving bytes between the
// MIL text, a path and a weight file always gives another key.
Sha256::Digest programKey(const ProgramSource& source);

class ProgramCache {
  public:
    using Compile = std::function<std::unique_ptr<LoadedProgram>()>;

    // The program for `source` on `device` (a loaded program belongs to its device and its
    // surface sizes; the ANE backend passes the chip name and the sizes): the cached one, or the
    // result of `compile` (called with the cache locked, so one program is never compiled twice at
    // once). A compile that throws caches nothing.
    std::shared_ptr<SharedProgram>
    getOrCompile(const std::string& device, const ProgramSource& source, const Compile& compile);

    size_t hits() const;
    size_t misses() const;
    size_t size() const;
    // Drops every cached program (each is unloaded when its last Executable goes away).
    void clear();

  private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, Sha256::Digest>, std::shared_ptr<SharedProgram>> programs_;
    size_t hits_ = 0;
    size_t misses_ = 0;
};

// The cache every ANE backend of this process uses unless it is given another one.
std::shared_ptr<ProgramCache> processProgramCache();

} // namespace anec::runtime::ane
