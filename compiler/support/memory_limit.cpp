#include "support/memory_limit.hpp"

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>

#include <unistd.h>

namespace anec {

namespace {

std::atomic<uint64_t> explicitLimit{0};

// cgroup v2 (memory.max) or v1 (memory.limit_in_bytes); 0 when there is none.
uint64_t cgroupLimitBytes() {
    for (const char* path :
         {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        std::ifstream file(path);
        std::string text;
        if (!(file >> text) || text == "max") continue;
        char* end = nullptr;
        unsigned long long value = std::strtoull(text.c_str(), &end, 10);
        if (end && *end == '\0' && value > 0) return value;
    }
    return 0;
}

uint64_t environmentLimit() {
    const char* text = std::getenv("ANEC_MAX_MEMORY");
    if (!text || !*text) return 0;
    std::optional<uint64_t> parsed = parseByteSize(text);
    if (!parsed)
        throw Error("ANEC_MAX_MEMORY='" + std::string(text) +
                    "' is not a size (bytes, or a number with K, M, G or T)");
    return *parsed;
}

} // namespace

uint64_t machineMemoryBytes() {
    long pages = sysconf(_SC_PHYS_PAGES);
    long pageSize = sysconf(_SC_PAGE_SIZE);
    uint64_t physical = pages > 0 && pageSize > 0
                            ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize)
                            : 0;
    uint64_t cgroup = cgroupLimitBytes();
    if (cgroup > 0 && (physical == 0 || cgroup < physical)) return cgroup;
    return physical;
}

uint64_t defaultMemoryLimit() {
    static const uint64_t limit = [] {
        uint64_t machine = machineMemoryBytes();
        return machine > 0 ? machine / 2 : uint64_t(8) << 30;
    }();
    return limit;
}

uint64_t memoryLimit() {
    if (uint64_t set = explicitLimit.load(std::memory_order_relaxed)) return set;
    if (uint64_t fromEnvironment = environmentLimit()) return fromEnvironment;
    return defaultMemoryLimit();
}

uint64_t setMemoryLimit(uint64_t bytes) {
    return explicitLimit.exchange(bytes, std::memory_order_relaxed);
}

std::optional<uint64_t> parseByteSize(std::string_view text) {
    std::string body(text);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back())))
        body.pop_back();
    if (!body.empty() && (body.back() == 'B' || body.back() == 'b')) body.pop_back();
    if (!body.empty() && (body.back() == 'i')) body.pop_back(); // "GiB"
    double scale = 1;
    if (!body.empty()) {
        switch (std::toupper(static_cast<unsigned char>(body.back()))) {
        case 'K':
            scale = 1024.0;
            break;
        case 'M':
            scale = 1024.0 * 1024;
            break;
        case 'G':
            scale = 1024.0 * 1024 * 1024;
            break;
        case 'T':
            scale = 1024.0 * 1024 * 1024 * 1024;
            break;
        default:
            scale = 0;
        }
        if (scale != 0)
            body.pop_back();
        else
            scale = 1;
    }
    if (body.empty() || !std::isdigit(static_cast<unsigned char>(body.front())))
        return std::nullopt;
    char* end = nullptr;
    double value = std::strtod(body.c_str(), &end);
    if (!end || *end != '\0' || !std::isfinite(value)) return std::nullopt;
    double bytes = value * scale;
    if (bytes < 1 || bytes >= 18446744073709551615.0) return std::nullopt;
    return static_cast<uint64_t>(bytes);
}

std::string formatBytes(uint64_t bytes) {
    static const char* const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) return std::to_string(bytes) + " bytes";
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 6) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

namespace {
std::string limitText(uint64_t limit) {
    return "the memory limit of " + formatBytes(limit) + " (--max-memory or ANEC_MAX_MEMORY)";
}
} // namespace

void checkAffordable(const std::string& what, uint64_t bytes, SourceLoc loc) {
    uint64_t limit = memoryLimit();
    if (bytes <= limit) return;
    throw MemoryLimitError(what + " needs " + std::to_string(bytes) + " bytes (" +
                               formatBytes(bytes) + "), more than " + limitText(limit),
                           loc);
}

void MemoryBudget::charge(const std::string& what, uint64_t bytes, SourceLoc loc) {
    checkAffordable(what, bytes, loc);
    uint64_t total = bytes > std::numeric_limits<uint64_t>::max() - used_
                         ? std::numeric_limits<uint64_t>::max()
                         : used_ + bytes;
    uint64_t limit = memoryLimit();
    if (total > limit)
        throw MemoryLimitError(what + " needs " + formatBytes(bytes) + "; with the " +
                                   formatBytes(used_) + " of " + scope_ + " that is " +
                                   formatBytes(total) + ", more than " + limitText(limit),
                               loc);
    used_ = total;
}

} // namespace anec
