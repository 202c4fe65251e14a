#pragma once
// Helpers shared by the driver tests: temporary directories, file reading, in-process CLI runs.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "driver/cli.hpp"
#include "unit/temp_dir.hpp"

namespace anec::test {

inline std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void writeFile(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

struct CliResult {
    int status = 0;
    std::string out;
    std::string err;
};

inline CliResult runAnec(std::vector<std::string> args) {
    args.insert(args.begin(), "anec");
    std::vector<const char*> argv;
    for (const std::string& arg : args)
        argv.push_back(arg.c_str());
    std::ostringstream out, err;
    CliResult result;
    result.status = driver::runCli(static_cast<int>(argv.size()), argv.data(), out, err);
    result.out = out.str();
    result.err = err.str();
    return result;
}

inline std::filesystem::path sourceDir() {
    return ANEC_SOURCE_DIR;
}

} // namespace anec::test
