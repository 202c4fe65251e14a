// The program cache (one compile per content) and the compile budget (a clear error before the
// ANE compiler's own failure near 119 compiles, rule 15).
#include "ane_test_support.hpp"

using namespace anec;
using namespace anec::ane::test;
using runtime::ane::CompileBudget;
using runtime::ane::programKey;
using runtime::ane::ProgramSource;

namespace {
std::string scaleKernel(int factor) {
    return "kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) { y = x * " +
           std::to_string(factor) + " }";
}

const char* const kLinear = R"(
weight W: fp16[64, 64] = random(1, 0.1)
kernel k(x: fp16[1, 64, 1, 32]) -> (y: fp16[1, 64, 1, 32]) { y = linear(x, W) }
)";
} // namespace

TEST_CASE("program key: content decides, piece boundaries cannot collide", "[ane][cache]") {
    ProgramSource a{"program", {{"@model_path/weights/w.bin", {1, 2, 3}}}};
    ProgramSource same = a;
    CHECK(programKey(a) == programKey(same));
    ProgramSource byte = a;
    byte.weights[0].bytes[2] = 4;
    CHECK(programKey(byte) != programKey(a));
    ProgramSource path = a;
    path.weights[0].milPath = "@model_path/weights/v.bin";
    CHECK(programKey(path) != programKey(a));
    // The same concatenated bytes split differently between MIL text, path and data.
    ProgramSource shifted{"progra", {{"m@model_path/weights/w.bin", {1, 2, 3}}}};
    CHECK(programKey(shifted) != programKey(a));
    ProgramSource twoFiles{"program", {{"@model_path/weights/w.bin", {1}}, {"x", {2, 3}}}};
    ProgramSource oneFile{"program", {{"@model_path/weights/w.bin", {1, 'x', 2, 3}}}};
    CHECK(programKey(twoFiles) != programKey(oneFile));
}

TEST_CASE("program cache: the same program twice is one compile", "[ane][cache]") {
    SimulatedAne ane(AneTarget::M4);
    auto module = compileText(kLinear, AneTarget::M4);
    auto first = ane.backend->prepare(module, "k");
    auto second = ane.backend->prepare(module, "k");
    // Compiled again from source: the same content.
    auto again = ane.backend->prepare(compileText(kLinear, AneTarget::M4), "k");
    CHECK(ane.device->compiles() == 1);
    CHECK(ane.cache->misses() == 1);
    CHECK(ane.cache->hits() == 2);
    CHECK(ane.budget.used() == 1);
    auto inputs = inputsFor(*first, 1);
    CHECK(bytesOf(first->run(viewsOf(inputs)).at("y")) ==
          bytesOf(again->run(viewsOf(inputs)).at("y")));

    // Another backend sharing the cache (and chip) reuses the program too.
    SimulatedAne other(AneTarget::M4);
    runtime::ane::AneBackendOptions options;
    options.cache = ane.cache;
    options.budget = &other.budget;
    runtime::ane::AneBackend shared(std::make_unique<runtime::ane::SimulatedDevice>(AneTarget::M4),
                                    options);
    shared.prepare(module, "k");
    CHECK(ane.cache->hits() == 3);
    CHECK(other.budget.used() == 0);
}

TEST_CASE("program cache: a changed weight byte is a new compile", "[ane][cache]") {
    SimulatedAne ane(AneTarget::M4);
    ane.backend->prepare(compileText(kLinear, AneTarget::M4), "k");
    std::string changed = kLinear;
    changed.replace(changed.find("random(1, 0.1)"), 14, "random(2, 0.1)");
    ane.backend->prepare(compileText(changed, AneTarget::M4), "k");
    CHECK(ane.device->compiles() == 2);
    CHECK(ane.cache->misses() == 2);
    CHECK(ane.cache->size() == 2);
    ane.cache->clear();
    CHECK(ane.cache->size() == 0);
    ane.backend->prepare(compileText(changed, AneTarget::M4), "k");
    CHECK(ane.device->compiles() == 3);
}

TEST_CASE("compile budget: a clear error before the compile that would exceed it",
          "[ane][budget]") {
    SimulatedAne ane(AneTarget::M4, 2);
    ane.backend->prepare(compileText(scaleKernel(2), AneTarget::M4), "k");
    ane.backend->prepare(compileText(scaleKernel(3), AneTarget::M4), "k");
    CHECK(ane.budget.used() == 2);
    CHECK_THROWS_WITH(
        ane.backend->prepare(compileText(scaleKernel(4), AneTarget::M4), "k"),
        "compiling kernel 'k' would exceed the ANE compile budget: this process has made 2 ANE "
        "compiles (budget 2), and the ANE compiler fails near 119 compiles per process (rule "
        "15). Programs are cached by content, so running the same program again costs no "
        "compile; for weights that change (training), use dynamic weights (`dynamic weight`) "
        "instead of recompiling with new weights; otherwise restart the process, or raise the "
        "budget with --compile-budget N or ANEC_COMPILE_BUDGET=N");
    // Nothing was compiled for it, and cache hits cost nothing.
    CHECK(ane.device->compiles() == 2);
    ane.backend->prepare(compileText(scaleKernel(2), AneTarget::M4), "k");
    ane.backend->prepare(compileText(scaleKernel(3), AneTarget::M4), "k");
    CHECK(ane.budget.used() == 2);
    // Raised, it compiles again.
    ane.budget.setLimit(3);
    ane.backend->prepare(compileText(scaleKernel(4), AneTarget::M4), "k");
    CHECK(ane.budget.used() == 3);
    CHECK(ane.device->compiles() == 3);
}

TEST_CASE("compile budget: one compile, limits, and the environment's value", "[ane][budget]") {
    CompileBudget one(1);
    one.charge("kernel 'a'");
    CHECK_THROWS_WITH(one.charge("kernel 'b'"),
                      Catch::StartsWith("compiling kernel 'b' would exceed the ANE compile "
                                        "budget: this process has made 1 ANE compile (budget 1)"));
    CHECK(one.limit() == 1);
    CHECK(CompileBudget().limit() == 100);
    using runtime::ane::parseCompileBudget;
    CHECK(parseCompileBudget("", "ANEC_COMPILE_BUDGET") == std::nullopt);
    CHECK(parseCompileBudget("110", "ANEC_COMPILE_BUDGET") == 110u);
    for (const char* bad : {"0", "-3", "ten", "12x", "99999999999"})
        CHECK_THROWS_WITH(parseCompileBudget(bad, "ANEC_COMPILE_BUDGET"),
                          "ANEC_COMPILE_BUDGET must be a positive integer (a number of ANE "
                          "compiles), got '" +
                              std::string(bad) + "'");
}
