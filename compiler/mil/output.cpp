#include "mil/output.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <string_view>

#include <signal.h>
#include <unistd.h>

#include "support/diagnostics.hpp"

namespace anec::mil {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view kStagingPrefix = ".anec-staging-";

std::string quoted(const fs::path& path) {
    return "'" + path.string() + "'";
}

void writeFile(const fs::path& path, const char* data, size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot create " + quoted(path) + ": " + std::strerror(errno));
    out.write(data, static_cast<std::streamsize>(size));
    out.close();
    if (!out) throw Error("cannot write " + quoted(path) + ": " + std::strerror(errno));
}

// Kernel names become directory names: identifier characters only, so never "..", "/" or hidden.
void checkKernelNames(const std::vector<Program>& programs) {
    std::set<std::string> seen;
    for (const Program& program : programs) {
        const std::string& name = program.kernelName;
        bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
        if (!valid) throw Error("kernel name '" + name + "' cannot be used as a directory name");
        if (!seen.insert(name).second) throw Error("two kernels are named '" + name + "'");
    }
}

void checkRelativePath(const std::string& relative) {
    fs::path path(relative);
    bool escapes = relative.empty() || path.is_absolute();
    for (const fs::path& part : path)
        escapes = escapes || part == "..";
    if (escapes)
        throw Error("weight file path '" + relative + "' is not inside the program directory");
}

bool processAlive(long pid) {
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// A build that was killed leaves DIR/.anec-staging-<pid>-<n>; remove those of dead processes.
void removeAbandonedStaging(const fs::path& dir) {
    std::error_code ec;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind(kStagingPrefix, 0) != 0) continue;
        long pid = std::strtol(name.c_str() + kStagingPrefix.size(), nullptr, 10);
        if (pid <= 0 || pid == static_cast<long>(::getpid()) || processAlive(pid)) continue;
        std::error_code ignored;
        fs::remove_all(entry.path(), ignored);
    }
}

fs::path createStagingDir(const fs::path& dir) {
    static std::atomic<unsigned> counter{0};
    for (;;) {
        fs::path staging = dir / (std::string(kStagingPrefix) + std::to_string(::getpid()) + "-" +
                                  std::to_string(counter++));
        if (fs::create_directory(staging)) return staging;
    }
}

// Moves the staged programs into place, one rename each; undoes them all if one fails.
class Replacement {
  public:
    Replacement(const fs::path& dir, const fs::path& staging)
        : dir_(dir), staging_(staging), aside_(staging / ".previous") {
        fs::create_directory(aside_);
    }

    void replace(const std::string& kernel) {
        fs::path target = dir_ / kernel;
        fs::file_status status = fs::symlink_status(target);
        bool hadPrevious = fs::exists(status);
        if (hadPrevious && !fs::is_directory(status))
            throw Error(quoted(target) + " exists and is not a directory; not replacing it");
        if (hadPrevious) fs::rename(target, aside_ / kernel);
        try {
            fs::rename(staging_ / kernel, target);
        } catch (...) {
            if (hadPrevious) restore(kernel);
            throw;
        }
        done_.push_back({kernel, hadPrevious});
    }

    // Best effort: puts every previous program back where it was.
    void rollback() {
        std::error_code ec;
        fs::path rejected = staging_ / ".rejected";
        fs::create_directory(rejected, ec);
        for (auto it = done_.rbegin(); it != done_.rend(); ++it) {
            fs::rename(dir_ / it->kernel, rejected / it->kernel, ec);
            if (it->hadPrevious) restore(it->kernel);
        }
        done_.clear();
    }

  private:
    void restore(const std::string& kernel) {
        std::error_code ec;
        fs::rename(aside_ / kernel, dir_ / kernel, ec);
    }

    struct Done {
        std::string kernel;
        bool hadPrevious;
    };
    fs::path dir_, staging_, aside_;
    std::vector<Done> done_;
};

std::string describeFailure(const fs::path& dir, const fs::filesystem_error& e) {
    std::string message =
        "cannot write the build output to " + quoted(dir) + ": " + e.code().message();
    if (!e.path1().empty()) message += " (" + e.path1().string() + ")";
    return message;
}
} // namespace

void writeProgramFiles(const fs::path& programDir, const Program& program) {
    writeFile(programDir / "model.mil", program.milText.data(), program.milText.size());
    for (const WeightFile& weight : program.weightFiles) {
        checkRelativePath(weight.relativePath);
        fs::path path = programDir / weight.relativePath;
        fs::create_directories(path.parent_path());
        writeFile(path, reinterpret_cast<const char*>(weight.bytes.data()), weight.bytes.size());
    }
    std::string json = program.description.dump(2) + "\n";
    writeFile(programDir / "program.json", json.data(), json.size());
}

void writeBuildOutput(const fs::path& dir, const std::vector<Program>& programs,
                      const std::vector<RootFile>& rootFiles) {
    checkKernelNames(programs);
    for (const RootFile& file : rootFiles)
        for (const Program& program : programs)
            if (program.kernelName == file.name)
                throw Error("'" + file.name + "' is both a kernel and a file of the build output");
    std::error_code ec;
    fs::file_status status = fs::status(dir, ec);
    if (fs::exists(status) && !fs::is_directory(status))
        throw Error("output path " + quoted(dir) + " exists and is not a directory");

    fs::path staging;
    try {
        fs::create_directories(dir);
        removeAbandonedStaging(dir);
        staging = createStagingDir(dir);
    } catch (const fs::filesystem_error& e) {
        throw Error(describeFailure(dir, e));
    }

    std::optional<Replacement> replacement;
    auto abandon = [&] {
        if (replacement) replacement->rollback();
        std::error_code ignored;
        fs::remove_all(staging, ignored);
    };
    try {
        for (const Program& program : programs) {
            fs::create_directory(staging / program.kernelName);
            writeProgramFiles(staging / program.kernelName, program);
        }
        for (const RootFile& file : rootFiles)
            writeFile(staging / file.name, file.text.data(), file.text.size());
        replacement.emplace(dir, staging);
        for (const Program& program : programs)
            replacement->replace(program.kernelName);
        for (const RootFile& file : rootFiles)
            replacement->replace(file.name);
    } catch (const fs::filesystem_error& e) {
        abandon();
        throw Error(describeFailure(dir, e));
    } catch (...) {
        abandon();
        throw;
    }
    // Everything is in place; what is left in staging is the previous output. Failing to remove it
    // is harmless (the next build removes it).
    fs::remove_all(staging, ec);
}

} // namespace anec::mil
