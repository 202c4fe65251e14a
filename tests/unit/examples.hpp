#pragma once
// The examples every "for each example" test covers: examples/*.ane, sorted, each with the
// configuration the test suite builds it at. An example whose full size is too large for CI
// (stories110m: 110M parameters) says so in a comment line of its own:
//     // anec-test-config: -D DIM=64 -D LAYERS=2 ...
// and the tests (and scripts/update-golden) build it with those -D values.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace anec::test {

struct Example {
    std::filesystem::path path;
    std::map<std::string, int64_t> defines; // from its anec-test-config line

    std::string name() const { return path.stem().string(); }
    std::string file() const { return path.filename().string(); }
    // ["-D", "DIM=64", ...] for the CLI.
    std::vector<std::string> defineArgs() const {
        std::vector<std::string> args;
        for (const auto& [constant, value] : defines) {
            args.push_back("-D");
            args.push_back(constant + "=" + std::to_string(value));
        }
        return args;
    }
    // " -D DIM=64 ..." for messages.
    std::string configText() const {
        std::string text;
        for (const auto& [constant, value] : defines)
            text += " -D " + constant + "=" + std::to_string(value);
        return text;
    }
};

inline std::map<std::string, int64_t> testConfigOf(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::map<std::string, int64_t> defines;
    const std::string marker = "// anec-test-config:";
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(marker, 0) != 0) continue;
        std::istringstream words(line.substr(marker.size()));
        for (std::string word; words >> word;) {
            if (word == "-D" && words >> word) {
                size_t eq = word.find('=');
                if (eq != std::string::npos)
                    defines[word.substr(0, eq)] = std::stoll(word.substr(eq + 1));
            }
        }
    }
    return defines;
}

inline std::vector<Example> examples() {
    std::vector<Example> found;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(ANEC_SOURCE_DIR) / "examples"))
        if (entry.path().extension() == ".ane")
            found.push_back({entry.path(), testConfigOf(entry.path())});
    std::sort(found.begin(), found.end(),
              [](const Example& a, const Example& b) { return a.path < b.path; });
    return found;
}

} // namespace anec::test
