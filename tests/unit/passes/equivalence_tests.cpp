// Proof that the -O1 pipeline keeps meaning: every example and a few hundred random well-typed
// programs (from a fixed seed) compute the same outputs at -O0 and -O1 on the reference backend.
//
// Tolerance. The reference backend rounds every fp16 result to fp16 (relative error <= 2^-11,
// about 4.9e-4). A rewrite may change where results are rounded (a sum of two convs rounds each
// conv and the sum; one fused conv rounds once), so an element may differ by a few roundings of
// the magnitudes it was computed from, and the difference then propagates through at most ~12
// later ops whose gain is about 1 (weights are scaled by 1/sqrt(Cin); activations are
// contractive or bounded). Allowing 40 roundings of the largest output magnitude (at least 1)
// covers that with margin while still catching any real change of meaning (a wrong weight, slice,
// broadcast or cast moves values by O(max|ref|)):
//     |o1 - o0| <= 2e-2 * max(1, max|o0|)          for every element of every output
// (integer and bool outputs must be equal).
#include "unit/examples.hpp"
#include "unit/passes/pass_test_support.hpp"
#include "unit/passes/program_generator.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

using namespace anec;
using namespace anec::passes::test;
namespace fs = std::filesystem;

namespace {

constexpr double kRelativeTolerance = 2e-2;

size_t opCount(const ir::Module& module) {
    size_t n = 0;
    for (const auto& kernel : module.kernels)
        n += kernel->ops.size();
    return n;
}

struct Outcome {
    size_t opsO0 = 0, opsO1 = 0;
    std::map<std::string, size_t> changesO1; // per pass name, summed over its runs
};

// Runs every kernel of `text`'s -O0 and -O1 builds on the same inputs and compares every output.
Outcome checkEquivalent(const std::string& text, const fs::path& file = {},
                        const std::map<std::string, int64_t>& defines = {}) {
    std::shared_ptr<ir::Module> levels[2];
    Outcome outcome;
    for (int level = 0; level < 2; ++level) {
        driver::CompileOptions options{.optLevel = level};
        options.frontend.defines = defines;
        auto compilation = std::make_shared<driver::Compilation>(options);
        if (file.empty())
            compilation->loadSource("random.ane", text);
        else
            REQUIRE(compilation->loadFile(file));
        bool ok = compilation->optimize();
        std::ostringstream rendered;
        compilation->diagnostics().print(rendered);
        INFO("-O" << level << "\n" << rendered.str());
        REQUIRE(ok);
        levels[level] = std::shared_ptr<ir::Module>(compilation, compilation->module());
        if (level == 1)
            for (const passes::PassResult& result : compilation->passResults())
                outcome.changesO1[result.pass] += result.changes;
    }
    for (const auto& kernel : levels[0]->kernels) {
        INFO("kernel " << kernel->name);
        std::map<std::string, runtime::Tensor> inputs;
        uint64_t seed = 1;
        for (const auto& input : kernel->inputs)
            inputs.emplace(input->name, makeInput(input->type, seed++));
        auto expected = runKernel(levels[0], kernel->name, inputs);
        auto actual = runKernel(levels[1], kernel->name, inputs);
        REQUIRE(actual.size() == expected.size());
        for (const auto& [name, reference] : expected) {
            INFO("output " << name);
            REQUIRE(actual.count(name) == 1);
            const runtime::Tensor& got = actual.at(name);
            REQUIRE(got.type() == reference.type());
            const int64_t count = reference.type().numElements();
            double scale = 1;
            for (int64_t i = 0; i < count; ++i)
                scale = std::max(scale, std::fabs(elementAt(reference, i)));
            const bool exact = !ir::isFloat(reference.type().dtype);
            const double tolerance = exact ? 0 : kRelativeTolerance * scale;
            double worst = 0;
            int64_t worstAt = 0;
            for (int64_t i = 0; i < count; ++i) {
                double a = elementAt(got, i), b = elementAt(reference, i);
                double error = std::isnan(a) != std::isnan(b) ? INFINITY
                               : std::isnan(a)                ? 0
                                                              : std::fabs(a - b);
                if (error > worst) worst = error, worstAt = i;
            }
            INFO("worst |O1 - O0| = " << worst << " at element " << worstAt << ", tolerance "
                                      << tolerance);
            CHECK(worst <= tolerance);
        }
    }
    outcome.opsO0 = opCount(*levels[0]);
    outcome.opsO1 = opCount(*levels[1]);
    return outcome;
}

} // namespace

TEST_CASE("random programs compute the same at -O0 and -O1", "[passes][equivalence]") {
    constexpr int kPrograms = 300;
    size_t opsO0 = 0, opsO1 = 0;
    for (int i = 0; i < kPrograms; ++i) {
        std::string text = generalProgram(i);
        INFO("program " << i << ":\n" << text);
        Outcome outcome = checkEquivalent(text);
        opsO0 += outcome.opsO0;
        opsO1 += outcome.opsO1;
    }
    // The generator emits x*1, cast round trips, identity reshapes and duplicates on purpose, so
    // the cleanups must have removed something overall.
    CHECK(opsO1 < opsO0);
}

TEST_CASE("random programs built to fuse compute the same at -O0 and -O1",
          "[passes][equivalence]") {
    constexpr int kPrograms = 100;
    std::map<std::string, size_t> changes;
    size_t fused = 0;
    for (int i = 0; i < kPrograms; ++i) {
        std::string text = fusingProgram(i);
        INFO("program " << i << ":\n" << text);
        Outcome outcome = checkEquivalent(text);
        size_t fusions = 0;
        for (const auto& [pass, count] : outcome.changesO1) {
            changes[pass] += count;
            if (pass.rfind("fuse-", 0) == 0) fusions += count;
        }
        fused += fusions > 0 ? 1 : 0;
    }
    // -O1 must actually fuse these: every fusion pass fires somewhere, and most programs fuse.
    for (const char* pass : {"fuse-slice-conv-add", "fuse-horizontal", "fuse-conv-scale-shift"}) {
        INFO("pass " << pass);
        CHECK(changes[pass] > 0);
    }
    CHECK(fused > kPrograms / 2);
}

TEST_CASE("every example computes the same at -O0 and -O1", "[passes][equivalence]") {
    size_t examples = 0;
    for (const anec::test::Example& example : anec::test::examples()) {
        INFO("example " << example.file() << example.configText());
        checkEquivalent({}, example.path, example.defines);
        ++examples;
    }
    CHECK(examples >= 5);
}

TEST_CASE("the program generator is deterministic and well-typed", "[passes][equivalence]") {
    std::string a = ProgramGenerator(7).generate(false);
    CHECK(a == ProgramGenerator(7).generate(false));
    CHECK(a != ProgramGenerator(8).generate(false));
    CHECK(a.find("kernel k(") != std::string::npos);
}
