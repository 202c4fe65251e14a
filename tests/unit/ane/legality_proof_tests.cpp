// Legality survives optimization (docs/ane-rules.md, "Legality after legalization"): every
// example and every random program of the generator, built at -O0 and at -O1 for every target,
// is compiled and run on the simulated ANE of that target, and the -O1 build compiles wherever
// the -O0 build does. Building alone already checks more than the simulator can: after every
// pass that follows ane-legalize the pipeline fails the build if the pass produced what
// legalization rewrites or warns about (legality_check.cpp).
#include "ane_test_support.hpp"

#include "unit/passes/proof_support.hpp"

using namespace anec;
using namespace anec::ane::test;
using passes::test::ProofSource;

namespace {

// Compiles every kernel of `module` on a fresh simulated `chip` and runs it once; returns the
// first failure's message ("" when every kernel compiled and ran).
std::string runOnSimulator(const std::shared_ptr<const ir::Module>& module, AneTarget chip) {
    SimulatedAne ane(chip);
    for (const auto& kernel : module->kernels) {
        // A training step's fp32 optimizer state needs cast, which M1/M2 cannot run
        // (docs/training.md, "On the ANE").
        if (module->isStepProgram(kernel->name) && !passes::aneTargetRules(chip).castInProgram)
            continue;
        try {
            auto executable = ane.backend->prepare(module, kernel->name);
            executable->run(viewsOf(inputsFor(*executable, 3)));
        } catch (const Error& e) {
            return "kernel '" + kernel->name + "': " + e.what();
        }
    }
    return "";
}

struct ProofCount {
    size_t builds = 0;     // source x target, each built at -O0 and -O1
    size_t o0Compiled = 0; // of which the -O0 build compiled on the simulator (so must -O1)
};

void prove(const std::vector<ProofSource>& sources, ProofCount& count) {
    for (const ProofSource& source : sources) {
        for (AneTarget target : passes::test::kAllTargets) {
            INFO(source.name << " --target " << passes::aneTargetName(target) << "\n"
                             << source.text);
            std::string failure[2];
            for (int level = 0; level < 2; ++level) {
                driver::CompileOptions options;
                options.optLevel = level;
                options.target = target;
                auto module = passes::test::moduleOf(passes::test::compileSource(source, options));
                failure[level] = runOnSimulator(module, target);
            }
            ++count.builds;
            if (!failure[0].empty()) continue; // e.g. a cast only -O1 removes, on M1
            ++count.o0Compiled;
            INFO("-O1 on the simulated ANE: " << failure[1]);
            CHECK(failure[1].empty());
        }
    }
}
} // namespace

TEST_CASE("legality: every example compiles on the simulated ANE at -O1 wherever it does at -O0",
          "[ane][legality]") {
    std::vector<ProofSource> examples = passes::test::exampleSources();
    REQUIRE(examples.size() >= 8);
    ProofCount count;
    prove(examples, count);
    CHECK(count.builds == examples.size() * passes::test::kAllTargets.size());
    // Every example is legal at -O0 for every target: the proof is not vacuous.
    CHECK(count.o0Compiled == count.builds);
}

TEST_CASE("legality: random programs compile on the simulated ANE at -O1 wherever they do at -O0",
          "[ane][legality]") {
    constexpr int kGeneral = 60, kFusing = 40;
    ProofCount count;
    prove(passes::test::randomSources(kGeneral, kFusing), count);
    CHECK(count.builds == (kGeneral + kFusing) * passes::test::kAllTargets.size());
    // Some -O0 builds keep what only -O1 removes (a cast round trip on a chip without cast);
    // most compile, so the proof is not vacuous.
    CHECK(count.o0Compiled * 10 >= count.builds * 9);
}
