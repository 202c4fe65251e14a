// Legality after legalization (docs/ane-rules.md): the fusions keep within the target's limits,
// and the pipeline's legality check fails a build whose passes bring back what ane-legalize
// rewrote or warned about. The reported case: a 32000-vocabulary classifier backward split into
// convs as the rule-12 warning recommends must not be fused back into one conv of 32000 input
// channels (which the ANE rejects).
#include "unit/passes/legalize_test_support.hpp"
#include "unit/passes/proof_support.hpp"

#include "ir/builder.hpp"

using namespace anec;
using namespace anec::passes;
using namespace anec::passes::test;

namespace {
// dx = Wclsᵀ·dlogits over a 32000-token vocabulary in four convs of 8000 input channels, in the
// two ways it is written: a backward-layout weight sliced along its input channels, and the
// forward-layout weight sliced by rows and transposed. DIM is small: the limit is about Cin.
std::string classifier(bool transposed) {
    std::string text = "const DIM = 8\nconst VOCAB = 32000\nconst PART = VOCAB / 4\n";
    text += transposed ? "weight Wcls: fp16[VOCAB, DIM] = random(seed = 5, scale = 0.01)\n"
                       : "weight Wdx: fp16[DIM, VOCAB] = random(seed = 5, scale = 0.01)\n";
    text += "kernel k(g: fp16[1, VOCAB, 1, 2]) -> (dx: fp16[1, DIM, 1, 2]) {\n    dx = ";
    for (int i = 0; i < 4; ++i) {
        std::string range = std::to_string(i) + " * PART:" + std::to_string(i + 1) + " * PART";
        std::string weight = transposed ? "Wcls[" + range + "].T" : "Wdx[:, " + range + "]";
        text += (i ? " + " : "") + std::string("linear(g[:, ") + range + "], " + weight + ")";
    }
    return text + "\n}\n";
}

// The input channels of every conv of kernel k.
std::vector<int64_t> convInputChannels(const ir::Module& module) {
    std::vector<int64_t> channels;
    for (const auto& op : module.findKernel("k")->ops)
        if (op->kind() == "conv") channels.push_back(op->operands[0]->type.shape[1]);
    return channels;
}

// A pass that brings back an op ane-legalize removes: one gelu on the first output.
class GeluPass : public Pass {
  public:
    std::string name() const override { return "add-gelu"; }
    std::string description() const override { return "undoes legalization"; }
    size_t run(ir::Module& module, DiagnosticEngine&) override {
        ir::Kernel& kernel = *module.kernels.front();
        ir::Builder builder(kernel);
        ir::KernelOutput& output = kernel.outputs.front();
        output.value = built(builder.createValue("gelu", {output.value}, {}, kernel.loc), name());
        return 1;
    }
};

// Runs `manager` over the IR of `text` as generated (no passes); returns the errors, brief.
std::vector<std::string> errorsOf(const std::string& text, PassManager& manager) {
    driver::CompileOptions options;
    options.passes = std::vector<std::string>{};
    driver::Compilation compilation(options);
    compilation.loadSource("test.ane", text);
    REQUIRE(compilation.optimize());
    manager.run(*compilation.module(), compilation.diagnostics());
    std::vector<std::string> errors;
    for (const Diagnostic& d : compilation.diagnostics().diagnostics())
        if (d.severity == Severity::Error) errors.push_back(DiagnosticEngine::brief(d));
    return errors;
}

AneTargetRules withChannelLimit(int64_t limit) {
    AneTargetRules rules = aneTargetRules(AneTarget::Generic);
    rules.convInputChannelLimit = limit;
    return rules;
}
} // namespace

TEST_CASE("legality: the limits are the target's rules", "[passes][legality]") {
    for (AneTarget target : kAllTargets) {
        AneTargetRules rules = aneTargetRules(target);
        CHECK(rules.convInputChannelLimit == 16384);
        CHECK(rules.matmulInnerMultiple == 32);
        CHECK(rules.minSurfaceBytes == 49152);
        CHECK(rules.widthAxisOps == (target != AneTarget::M3));
    }
}

TEST_CASE("legality: a classifier split for rule 12 is fused only below the limit",
          "[passes][legality]") {
    for (bool transposed : {false, true}) {
        const std::string text = classifier(transposed);
        INFO(text);
        CHECK(convInputChannels(*compileAne(text, targetOptions(std::nullopt, 0))) ==
              std::vector<int64_t>{8000, 8000, 8000, 8000});
        // Fused, into two convs of 16000 channels (below 16384), for every target and without one.
        std::vector<std::optional<AneTarget>> targets{std::nullopt};
        targets.insert(targets.end(), kAllTargets.begin(), kAllTargets.end());
        for (std::optional<AneTarget> target : targets) {
            INFO("target " << (target ? aneTargetName(*target) : "none"));
            CHECK(convInputChannels(*compileAne(text, targetOptions(target))) ==
                  std::vector<int64_t>{16000, 16000});
            for (const std::string& warning : warningsFor(text, target))
                CHECK(warning.find("rule 12") == std::string::npos);
        }
        // The same function as the unfused program.
        CHECK(legalizedDifference(text, AneTarget::Generic) < 2e-2);
    }
}

TEST_CASE("legality: fuse-slice-conv-add cuts runs where the next slice would reach the limit",
          "[passes][legality]") {
    const std::string text = R"(weight A: fp16[2, 4] = random(seed = 1, scale = 0.5)
weight B: fp16[2, 4] = random(seed = 2, scale = 0.5)
weight C: fp16[2, 4] = random(seed = 3, scale = 0.5)
weight D: fp16[2, 4] = random(seed = 4, scale = 0.5)
kernel k(x: fp16[1, 16, 1, 2]) -> (y: fp16[1, 2, 1, 2]) {
    y = linear(x[:, 0:4], A) + linear(x[:, 4:8], B) + linear(x[:, 8:12], C) + linear(x[:, 12:16], D)
}
)";
    auto fusedWith = [&](int64_t limit) {
        driver::CompileOptions options;
        options.passes = std::vector<std::string>{};
        auto compilation = std::make_shared<driver::Compilation>(options);
        compilation->loadSource("test.ane", text);
        REQUIRE(compilation->optimize());
        PassManager manager;
        manager.add(createPass("fold-constants"));
        manager.add(createFuseSliceConvAddPass(withChannelLimit(limit)));
        manager.add(createPass("dce"));
        REQUIRE(manager.run(*compilation->module(), compilation->diagnostics()));
        return convInputChannels(*compilation->module());
    };
    CHECK(fusedWith(17) == std::vector<int64_t>{16});
    CHECK(fusedWith(16) == std::vector<int64_t>{4, 12}); // D stays, before the fused conv
    CHECK(fusedWith(12) == std::vector<int64_t>{8, 8});
    CHECK(fusedWith(9) == std::vector<int64_t>{8, 8});
    CHECK(fusedWith(8) == std::vector<int64_t>{4, 4, 4, 4});
}

TEST_CASE("legality: the check fails a build whose pass undoes legalization",
          "[passes][legality]") {
    // The reported bug: a fusion that ignores the limit merges the classifier back into one conv.
    PassManager unlimited;
    unlimited.add(createPass("fold-constants"));
    unlimited.add(createAneLegalizePass(AneTarget::Generic));
    unlimited.add(createFuseSliceConvAddPass(withChannelLimit(1 << 30)));
    unlimited.addCheck(createLegalityCheck(AneTarget::Generic));
    CHECK(errorsOf(classifier(true), unlimited) ==
          std::vector<std::string>{
              "6:10: error: internal error: pass 'fuse-slice-conv-add' produced, in kernel 'k', "
              "what ane-legalize rewrites or warns about for target generic: conv with 32000 "
              "input channels: the ANE compiler rejects very large inputs (32000 channels "
              "failed, rule 12): split the input channels into several convs and add their "
              "results"});
    CHECK(unlimited.results().back().pass == "fuse-slice-conv-add"); // the build stopped there

    const std::string text = "kernel k(x: fp16[1, 64, 1, 768]) -> (y: fp16[1, 64, 1, 768]) {\n"
                             "    y = x * 2\n}\n";
    PassManager gelu;
    gelu.add(createAneLegalizePass(AneTarget::M4));
    gelu.add(std::make_unique<GeluPass>());
    gelu.addCheck(createLegalityCheck(AneTarget::M4));
    CHECK(errorsOf(text, gelu) ==
          std::vector<std::string>{"1:8: error: internal error: pass 'add-gelu' produced, in "
                                   "kernel 'k', what ane-legalize rewrites or warns about for "
                                   "target m4: gelu (rule 8)"});
    // Before ane-legalize nothing is checked: legalization removes it.
    PassManager before;
    before.add(std::make_unique<GeluPass>());
    before.add(createAneLegalizePass(AneTarget::M4));
    before.addCheck(createLegalityCheck(AneTarget::M4));
    CHECK(errorsOf(text, before).empty());
}

TEST_CASE("legality: buildPipeline checks every pass after ane-legalize", "[passes][legality]") {
    const std::string text = "kernel k(x: fp16[1, 64, 1, 768]) -> (y: fp16[1, 64, 1, 768]) {\n"
                             "    y = x * 2\n}\n";
    auto withGelu = [&](const std::vector<std::string>& names, std::optional<AneTarget> target) {
        auto pipeline = buildPipeline(names, target);
        REQUIRE(pipeline);
        pipeline->add(std::make_unique<GeluPass>());
        return errorsOf(text, *pipeline);
    };
    const std::string error = "1:8: error: internal error: pass 'add-gelu' produced, in kernel "
                              "'k', what ane-legalize rewrites or warns about for target ";
    // For generic when no target is given, as ane-legalize itself.
    CHECK(withGelu({"ane-legalize", "dce"}, std::nullopt) ==
          std::vector<std::string>{error + "generic: gelu (rule 8)"});
    CHECK(withGelu(pipelinePassNames(1, true), AneTarget::M2) ==
          std::vector<std::string>{error + "m2: gelu (rule 8)"});
    // A pipeline that does not legalize has nothing to keep.
    CHECK(withGelu({"dce"}, AneTarget::M2).empty());
    CHECK(withGelu(pipelinePassNames(1), std::nullopt).empty());
}
