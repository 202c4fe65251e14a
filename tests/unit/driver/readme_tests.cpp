// The README's sample sessions: every code block that starts with `$ anec ...` is run, command by
// command, with the anec binary in a scratch directory (examples/ linked into it), and what each
// command prints (stdout, then stderr) must be the lines under it, numbers included: the runs
// are deterministic. `bad.ane` is the README's kernel with the mistake its comment describes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

#include "unit/driver/test_support.hpp"

using namespace anec::test;
namespace fs = std::filesystem;

namespace {

struct Session {
    struct Command {
        std::string line; // after "$ ", without a trailing "# comment"
        std::string expected;
    };
    size_t firstLine = 0; // in the README, for messages
    std::vector<Command> commands;
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

// The fenced code blocks of a Markdown text, each with the line it starts on.
std::vector<std::pair<size_t, std::vector<std::string>>> codeBlocks(const std::string& markdown) {
    std::vector<std::pair<size_t, std::vector<std::string>>> blocks;
    bool inside = false;
    size_t number = 0;
    for (const std::string& line : lines(markdown)) {
        ++number;
        if (line.rfind("```", 0) == 0) {
            inside = !inside;
            if (inside) blocks.push_back({number + 1, {}});
        } else if (inside) {
            blocks.back().second.push_back(line);
        }
    }
    return blocks;
}

std::vector<Session> sessions(const std::string& markdown) {
    std::vector<Session> found;
    for (const auto& [start, block] : codeBlocks(markdown)) {
        if (block.empty() || block.front().rfind("$ anec ", 0) != 0) continue;
        Session session{start, {}};
        for (const std::string& line : block) {
            if (line.rfind("$ ", 0) == 0) {
                std::string command = line.substr(2);
                command = command.substr(0, command.find(" #"));
                command.erase(command.find_last_not_of(' ') + 1);
                session.commands.push_back({command, ""});
            } else {
                session.commands.back().expected += line + "\n";
            }
        }
        found.push_back(std::move(session));
    }
    return found;
}

// Runs `command` ("anec ARGS", no shell syntax) in `dir`; returns its stdout then its stderr.
std::string runIn(const fs::path& dir, const std::string& command) {
    REQUIRE(command.rfind("anec ", 0) == 0);
    std::string shell = "cd '" + dir.string() + "' && '" + std::string(ANEC_BINARY) + "' " +
                        command.substr(5) + " > stdout.txt 2> stderr.txt";
    CHECK(std::system(shell.c_str()) != -1);
    return readFile(dir / "stdout.txt") + readFile(dir / "stderr.txt");
}

// The .ane source lines of a file without its comment lines.
std::string withoutComments(const std::string& text) {
    std::string out;
    for (const std::string& line : lines(text)) {
        size_t first = line.find_first_not_of(' ');
        if (first == std::string::npos || line.compare(first, 2, "//") != 0) out += line + "\n";
    }
    return out;
}

} // namespace

TEST_CASE("the README's sample sessions print what the README shows", "[readme][cli]") {
    const std::string readme = readFile(sourceDir() / "README.md");
    auto blocks = codeBlocks(readme);
    REQUIRE_FALSE(blocks.empty());
    std::string kernel;
    for (const std::string& line : blocks.front().second)
        kernel += line + "\n";
    // The README shows the example it runs (without its comments).
    CHECK(kernel == withoutComments(readFile(sourceDir() / "examples/ffn_w13_bwd.ane")));

    TempDir dir;
    fs::create_directory_symlink(sourceDir() / "examples", dir / "examples");
    const std::string call = "linear(dh3, W3.T)";
    REQUIRE(kernel.find(call) != std::string::npos);
    writeFile(dir / "bad.ane", kernel.replace(kernel.find(call), call.size(), "dh3"));

    std::vector<Session> found = sessions(readme);
    CHECK(found.size() >= 3);
    for (const Session& session : found)
        for (const Session::Command& command : session.commands) {
            INFO("README.md:" << session.firstLine << ": $ " << command.line);
            CHECK(runIn(dir.path(), command.line) == command.expected);
        }
}

TEST_CASE("docs/run.md shows the README's reference-check session", "[readme][run]") {
    std::vector<Session> readme = sessions(readFile(sourceDir() / "README.md"));
    std::vector<Session> run = sessions(readFile(sourceDir() / "docs/run.md"));
    auto referenceCheck = [](const std::vector<Session>& all) -> std::string {
        for (const Session& session : all)
            for (const Session::Command& command : session.commands)
                if (command.line.find("--reference-check") != std::string::npos)
                    return command.line + "\n" + command.expected;
        return "";
    };
    REQUIRE_FALSE(referenceCheck(readme).empty());
    CHECK(referenceCheck(run) == referenceCheck(readme));
}
