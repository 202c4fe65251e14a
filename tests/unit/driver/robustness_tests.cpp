// No input, however broken, may crash anec or escape as an exception: compile many mutations of
// every example (deleted, duplicated and replaced tokens and bytes) and truncations of them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "driver/compiler.hpp"
#include "unit/driver/test_support.hpp"
#include "unit/examples.hpp"

using namespace anec::test;
namespace fs = std::filesystem;

namespace {
// Compiles text through every stage; the result does not matter, only that it returns.
void compileAll(const std::string& name, const std::string& text,
                const std::map<std::string, int64_t>& defines = {}) {
    anec::driver::CompileOptions options;
    options.frontend.defines = defines;
    anec::driver::Compilation compilation(options);
    compilation.loadSource(name, text);
    auto programs = compilation.emit();
    if (compilation.diagnostics().hasErrors()) REQUIRE(programs.empty());
}

std::string mutate(const std::string& text, std::mt19937& rng) {
    static const std::vector<std::string> pieces{"(",
                                                 ")",
                                                 "[",
                                                 "]",
                                                 "{",
                                                 "}",
                                                 ",",
                                                 ":",
                                                 "=",
                                                 "-",
                                                 "*",
                                                 "/",
                                                 "@",
                                                 ".T",
                                                 "0",
                                                 "-1",
                                                 "99999999999999999999",
                                                 "1e400",
                                                 "x",
                                                 "let ",
                                                 "kernel ",
                                                 "fn ",
                                                 "weight ",
                                                 "const ",
                                                 "\"",
                                                 "/*",
                                                 "...",
                                                 "::",
                                                 "fp32",
                                                 "\n",
                                                 ";"};
    std::string out = text;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < edits && !out.empty(); ++i) {
        size_t pos = rng() % out.size();
        switch (rng() % 4) {
        case 0:
            out.erase(pos, 1 + rng() % 8);
            break;
        case 1:
            out.insert(pos, pieces[rng() % pieces.size()]);
            break;
        case 2:
            out[pos] = static_cast<char>(32 + rng() % 95);
            break;
        default: {
            size_t len = std::min<size_t>(1 + rng() % 20, out.size() - pos);
            out.insert(rng() % out.size(), out.substr(pos, len));
        }
        }
    }
    return out;
}
} // namespace

TEST_CASE("mutated and truncated examples never crash the compiler", "[robustness]") {
    std::mt19937 rng(12345);
    for (const Example& example : examples()) {
        std::string text = readFile(example.path);
        std::string name = example.path.string();
        INFO(name);
        for (size_t cut = 0; cut < text.size(); cut += std::max<size_t>(1, text.size() / 40))
            REQUIRE_NOTHROW(compileAll(name, text.substr(0, cut), example.defines));
        for (int i = 0; i < 60; ++i) {
            std::string mutated = mutate(text, rng);
            INFO(mutated);
            REQUIRE_NOTHROW(compileAll(name, mutated, example.defines));
        }
    }
}

TEST_CASE("pathological inputs are diagnosed", "[robustness]") {
    std::vector<std::string> inputs{
        "",
        std::string(5000, '('),
        "kernel k(x: fp16[1,1,1,1]) -> (y: fp16[1,1,1,1]) { y = " + std::string(3000, '-') + "x }",
        "kernel k(x: fp16[1,1,1,1]) -> (y: fp16[1,1,1,1]) { y = x" + std::string(2000, '[') + " }",
        std::string("\0\xff\xfe garbage", 12),
        "const A = 9223372036854775807 * 2",
        "const A = -9223372036854775807 - 10",
        "const A = 1 / 0",
        "const A = 1 % 0",
        "kernel k(x: fp16[1000000000, 1000000000, 1000000000]) -> (y: fp16[1]) { y = x }",
        "kernel k(x: fp16[-1, 3]) -> (y: fp16[-1, 3]) { y = x }",
        "weight W: fp16[100000, 100000, 100000] = zeros()\nkernel k(x: fp16[1]) -> (y: fp16[1]) { "
        "y = x }",
    };
    for (const std::string& input : inputs) {
        INFO(input.substr(0, 120));
        REQUIRE_NOTHROW(compileAll("pathological.ane", input));
    }
}
