// ane-legalize rewrites: each checked structurally (what the ANE rejects is gone) and numerically
// against the unlegalized program on the reference backend (bit for bit where the rewrite is
// exact). docs/ane-rules.md lists the rules.
#include "unit/passes/legalize_test_support.hpp"

#include "ir/verifier.hpp"

using namespace anec;
using namespace anec::passes;
using namespace anec::passes::test;

TEST_CASE("ANE targets: names, parsing, chips and rules", "[legalize]") {
    CHECK(aneTargetNames() == std::vector<std::string>{"generic", "m1", "m2", "m3", "m4", "m5"});
    for (const std::string& name : aneTargetNames())
        CHECK(aneTargetName(*parseAneTarget(name)) == name);
    CHECK_FALSE(parseAneTarget("m6"));
    CHECK_FALSE(parseAneTarget("M1"));
    CHECK(aneTargetForChip("Apple M1 Pro") == AneTarget::M1);
    CHECK(aneTargetForChip("Apple M2") == AneTarget::M2);
    CHECK(aneTargetForChip("Apple M3 Ultra") == AneTarget::M3);
    CHECK(aneTargetForChip("Apple M4 Max") == AneTarget::M4);
    CHECK(aneTargetForChip("Apple M5") == AneTarget::M5);
    CHECK(aneTargetForChip("Apple M12") == AneTarget::Generic);
    CHECK(aneTargetForChip("Apple M1X") == AneTarget::Generic);
    CHECK(aneTargetForChip("Intel(R) Core(TM) i7") == AneTarget::Generic);
    CHECK(aneTargetForChip("") == AneTarget::Generic);

    for (AneTarget target : {AneTarget::Generic, AneTarget::M1, AneTarget::M2}) {
        CHECK_FALSE(aneTargetRules(target).castInProgram);
        CHECK_FALSE(aneTargetRules(target).concat);
    }
    CHECK(aneTargetRules(AneTarget::M3).castInProgram);
    CHECK(aneTargetRules(AneTarget::M3).concat);
    CHECK(aneTargetRules(AneTarget::M4).concat);
    CHECK(aneTargetRules(AneTarget::M5).castInProgram);
    CHECK_FALSE(aneTargetRules(AneTarget::M5).concat);
    CHECK(aneTargetRules(AneTarget::M5).programVersion == "1.5");
    CHECK(aneTargetRules(AneTarget::M5).blobAlignment == 128);
    CHECK(aneTargetRules(AneTarget::M4).blobAlignment == 64);

    mil::EmitOptions base;
    base.singleWeightFile = true;
    mil::EmitOptions m5 = emitOptionsFor(AneTarget::M5, base);
    CHECK(m5.programVersion == "1.5");
    CHECK(m5.blobAlignment == 128);
    CHECK(m5.singleWeightFile);
    mil::EmitOptions m4 = emitOptionsFor(AneTarget::M4, base);
    CHECK(m4.programVersion.empty()); // the opset's own version
    CHECK(m4.blobAlignment == 64);
}

TEST_CASE("the pipeline legalizes at every level, after the cleanups and before fusion",
          "[legalize]") {
    CHECK(pipelinePassNames(0, true) ==
          std::vector<std::string>{"fold-constants", "ane-legalize", "fold-constants", "dce"});
    CHECK(pipelinePassNames(0) == std::vector<std::string>{"fold-constants", "dce"});
    std::vector<std::string> o1 = pipelinePassNames(1, true);
    auto legalize = std::find(o1.begin(), o1.end(), "ane-legalize");
    auto packIo = std::find(o1.begin(), o1.end(), "pack-io");
    auto cleanup = std::find(o1.begin(), o1.end(), "cse");
    auto fusion = std::find(o1.begin(), o1.end(), "fuse-slice-conv-add");
    REQUIRE(legalize != o1.end());
    CHECK(cleanup < legalize);
    // Right after it, cse merges what its rewrites compute again; then the fusions.
    CHECK(*(legalize + 1) == "cse");
    CHECK(legalize + 2 == fusion);
    CHECK(legalize < packIo);
    std::vector<std::string> plain = pipelinePassNames(1);
    CHECK(std::find(plain.begin(), plain.end(), "ane-legalize") == plain.end());
    CHECK(createPass("ane-legalize")->name() == "ane-legalize");
}

TEST_CASE("gelu and silu are decomposed (rule 8)", "[legalize]") {
    const std::string shape = "fp16[1, 64, 1, 32]";
    for (std::string call :
         {"gelu(x, mode = \"tanh\")", "gelu(x)", "gelu(x, mode = \"sigmoid\")", "silu(x)"}) {
        INFO(call);
        std::string text =
            "kernel k(x: " + shape + ") -> (y: " + shape + ") {\n    y = " + call + "\n}\n";
        auto legal = compileAne(text, targetOptions(AneTarget::Generic));
        const ir::Kernel& kernel = *legal->kernels.front();
        CHECK_FALSE(hasKind(kernel, "gelu"));
        CHECK_FALSE(hasKind(kernel, "silu"));
        CHECK(kernel.legalizedFor == "generic");
        bool sigmoidForm =
            call.find("silu") != std::string::npos || call.find("sigmoid") != std::string::npos;
        CHECK(hasKind(kernel, sigmoidForm ? "sigmoid" : "tanh"));
        // Inputs in [-4, 4): fp16 results there are within 2^-9 of each other per rounding.
        double difference = legalizedDifference(text, AneTarget::Generic, "k", 4.0);
        CHECK(difference < 8e-3);
        CHECK(difference >= -1);
    }
}

TEST_CASE("exact gelu as the tanh form differs by less than 1e-3 (float64)", "[legalize]") {
    // An fp32 output, so that the Float64 model's difference is not rounded to fp16.
    const char* text = "kernel k(x: fp16[1, 64, 1, 64]) -> (y: fp32[1, 64, 1, 64]) {\n"
                       "    y = cast(gelu(x), fp32)\n}\n";
    auto plain = compileAne(text, targetOptions(std::nullopt));
    auto legal = compileAne(text, targetOptions(AneTarget::M4));
    auto inputs = inputsFor(*plain->kernels.front(), 3, 6.0); // [-6, 6)
    auto exact = runtime::createReferenceBackend(runtime::Precision::Float64);
    auto run = [&](std::shared_ptr<ir::Module> module) {
        auto executable = exact->prepare(module, "k");
        std::map<std::string, runtime::TensorView> views;
        for (const auto& [name, tensor] : inputs)
            views[name] = {tensor.type(), tensor.bytes()};
        return executable->run(views);
    };
    double difference = maxDifference(run(plain), run(legal));
    CHECK(difference > 0);    // the forms differ ...
    CHECK(difference < 1e-3); // ... by little
}

TEST_CASE("conv bias becomes an add after the conv (rule 9)", "[legalize]") {
    const char* text = R"(weight W: fp16[32, 16] = random(seed = 1, scale = 0.25)
weight B: fp16[32] = random(seed = 2, scale = 1)
weight K: fp16[8, 16, 3, 3] = random(seed = 3, scale = 0.1)
weight C: fp16[8] = random(seed = 4, scale = 1)
kernel k(x: fp16[1, 16, 4, 8]) -> (y: fp16[1, 32, 4, 8], z: fp16[1, 8, 4, 8]) {
    y = linear(x, W, bias = B)
    z = conv(x, K, padding = "same", bias = C)
}
)";
    auto unlegal = compileAne(text, targetOptions(std::nullopt));
    bool hadBias = false;
    for (const auto& op : unlegal->kernels.front()->ops)
        hadBias = hadBias || (op->kind() == "conv" && op->operands.size() > 2 && op->operands[2]);
    CHECK(hadBias);
    for (int level : {0, 1}) {
        auto legal = compileAne(text, targetOptions(AneTarget::Generic, level));
        for (const auto& op : legal->kernels.front()->ops)
            if (op->kind() == "conv") CHECK((op->operands.size() < 3 || !op->operands[2]));
        CHECK(hasKind(*legal->kernels.front(), "add"));
        CHECK_FALSE(hasKind(*legal->kernels.front(), "reshape")); // folded into the constant
    }
    // conv + add rounds twice where conv with bias rounded once.
    double difference = legalizedDifference(text, AneTarget::Generic);
    CHECK(difference < 1e-2);
}

TEST_CASE("scaled_dot_product_attention is decomposed (rule 10)", "[legalize]") {
    const std::string qkv = "q: fp16[2, 16, 32], k: fp16[2, 24, 32], v: fp16[2, 24, 8]";
    const std::string out = "(o: fp16[2, 16, 8])";
    std::vector<std::pair<std::string, std::string>> cases = {
        {qkv, "o = scaled_dot_product_attention(q, k, v)"},
        {qkv + ", m: fp16[2, 16, 24]", "o = scaled_dot_product_attention(q, k, v, mask = m)"},
        {qkv + ", m: fp16[1, 16, 24]", "o = scaled_dot_product_attention(q, k, v, mask = m > 0)"},
    };
    for (const auto& [inputs, body] : cases) {
        std::string text = "kernel attn(" + inputs + ") -> " + out + " {\n    " + body + "\n}\n";
        INFO(text);
        auto legal = compileAne(text, targetOptions(AneTarget::M4));
        const ir::Kernel& kernel = *legal->kernels.front();
        CHECK_FALSE(hasKind(kernel, "scaled_dot_product_attention"));
        CHECK(hasKind(kernel, "softmax"));
        CHECK(hasKind(kernel, "matmul"));
        // The reference backend computes the op as this decomposition: bit for bit.
        CHECK(legalizedDifference(text, AneTarget::M4, "attn") == -1);
    }
    auto masked =
        compileAne("kernel attn(" + qkv + ", m: fp16[1, 16, 24]) -> " + out +
                       " {\n    o = scaled_dot_product_attention(q, k, v, mask = m > 0)\n}\n",
                   targetOptions(AneTarget::M4));
    CHECK(hasKind(*masked->kernels.front(), "select"));
}

TEST_CASE("concat is rewritten exactly on targets without it (rule 7)", "[legalize]") {
    struct Case {
        std::string inputs, output, body;
    };
    std::vector<Case> cases = {
        // channels of rank 4: conv 1x1
        {"a: fp16[1, 8, 2, 16], b: fp16[1, 24, 2, 16]", "y: fp16[1, 40, 2, 16]",
         "concat([a, b, a], axis = 1)"},
        // last axis: matmul on the right
        {"a: fp16[1, 8, 2, 16], b: fp16[1, 8, 2, 48]", "y: fp16[1, 8, 2, 64]",
         "concat([a, b], axis = -1)"},
        // second-to-last: matmul on the left
        {"a: fp16[4, 6, 16], b: fp16[4, 10, 16]", "y: fp16[4, 16, 16]", "concat([a, b], axis = 1)"},
        // another axis: transposed around a matmul
        {"a: fp16[2, 4, 8, 16], b: fp16[3, 4, 8, 16]", "y: fp16[5, 4, 8, 16]",
         "concat([b, a], axis = 0)"},
        // rank 1
        {"a: fp16[32], b: fp16[16]", "y: fp16[48]", "concat([a, b], axis = 0)"},
    };
    for (const Case& c : cases) {
        std::string text =
            "kernel k(" + c.inputs + ") -> (" + c.output + ") {\n    y = " + c.body + " * 2\n}\n";
        INFO(text);
        for (AneTarget target : {AneTarget::Generic, AneTarget::M1, AneTarget::M5}) {
            auto legal = compileAne(text, targetOptions(target));
            CHECK_FALSE(hasKind(*legal->kernels.front(), "concat"));
        }
        auto m4 = compileAne(text, targetOptions(AneTarget::M4));
        CHECK(hasKind(*m4->kernels.front(), "concat"));
        CHECK(legalizedDifference(text, AneTarget::Generic) == -1);
        CHECK(legalizedDifference(text, AneTarget::Generic) == -1);
    }
}

TEST_CASE("pack-io packs no outputs on targets without concat", "[legalize]") {
    const char* text =
        R"(kernel k(a: fp16[1, 4, 1, 8], b: fp16[1, 2, 1, 8]) -> (y: fp16[1, 4, 1, 8], z: fp16[1, 2, 1, 8]) {
    y = a * 2
    z = b + a[:, 0:2, :, :]
}
)";
    auto generic = compileAne(text, targetOptions(AneTarget::Generic));
    const ir::Kernel& kernel = *generic->kernels.front();
    REQUIRE(kernel.packing.size() == 1);
    CHECK(kernel.packing[0].direction == ir::PackedIo::Direction::Input);
    CHECK(kernel.outputs.size() == 2);
    CHECK_FALSE(hasKind(kernel, "concat"));
    auto m4 = compileAne(text, targetOptions(AneTarget::M4));
    CHECK(m4->kernels.front()->packing.size() == 2);
    CHECK(legalizedDifference(text, AneTarget::Generic) == -1);
}

TEST_CASE("fp32 I/O becomes fp16 I/O converted on the host", "[legalize]") {
    const char* text =
        R"(kernel k(x: fp32[1, 8, 1, 16], n: fp16[1, 8, 1, 16]) -> (y: fp32[1, 8, 1, 16], h: fp16[1, 8, 1, 16]) {
    y = x * 3 + n
    h = n - 1
}
)";
    for (AneTarget target : {AneTarget::Generic, AneTarget::M1, AneTarget::M2}) {
        auto legal = compileAne(text, targetOptions(target, 0));
        const ir::Kernel& kernel = *legal->kernels.front();
        CHECK_FALSE(hasKind(kernel, "cast"));
        CHECK(kernel.inputs[0]->type.dtype == ir::DType::Fp16);
        REQUIRE(kernel.hostConversions.size() == 2);
        CHECK(kernel.hostConversions[0].name == "x");
        CHECK(kernel.hostConversions[0].direction == ir::PackedIo::Direction::Input);
        CHECK(kernel.hostConversions[1].name == "y");
        CHECK(kernel.hostConversions[1].direction == ir::PackedIo::Direction::Output);
        // Callers keep fp32.
        CHECK(ir::interfaceInputs(kernel)[0].type.dtype == ir::DType::Fp32);
        CHECK(ir::interfaceOutputs(kernel)[0].type.dtype == ir::DType::Fp32);
        CHECK(ir::programInterfaceInputs(kernel)[0].type.dtype == ir::DType::Fp16);
    }
    for (AneTarget target : {AneTarget::M3, AneTarget::M4, AneTarget::M5}) {
        auto legal = compileAne(text, targetOptions(target));
        CHECK(hasKind(*legal->kernels.front(), "cast"));
        CHECK(legal->kernels.front()->hostConversions.empty());
    }
    // The host rounds exactly as the cast did.
    CHECK(legalizedDifference(text, AneTarget::Generic) == -1);
}

TEST_CASE("host conversion works through packed inputs", "[legalize]") {
    const char* text =
        R"(kernel k(a: fp32[1, 4, 1, 8], b: fp32[1, 2, 1, 8]) -> (y: fp32[1, 4, 1, 8], z: fp32[1, 2, 1, 8]) {
    y = a * 2
    z = b + 1
}
)";
    auto legal = compileAne(text, targetOptions(AneTarget::Generic));
    const ir::Kernel& kernel = *legal->kernels.front();
    REQUIRE(kernel.packing.size() == 1);
    CHECK(kernel.inputs.size() == 1);
    CHECK(kernel.inputs[0]->type.str() == "fp16[1,6,1,8]");
    CHECK(kernel.hostConversions.size() == 4);
    CHECK_FALSE(hasKind(kernel, "cast"));
    auto backend = runtime::createReferenceBackend();
    auto executable = backend->prepare(legal, "k");
    CHECK(executable->inputs()[0].type.str() == "fp32[1,4,1,8]");
    CHECK(executable->outputs()[1].type.str() == "fp32[1,2,1,8]");
    CHECK(legalizedDifference(text, AneTarget::Generic) == -1);
}

TEST_CASE("the verifier checks host conversions", "[legalize]") {
    auto module =
        compileAne("kernel k(x: fp32[1, 8, 1, 16]) -> (y: fp32[1, 8, 1, 16]) {\n    y = x * 3\n}\n",
                   targetOptions(AneTarget::Generic));
    ir::Kernel& kernel = *module->kernels.front();
    CHECK(ir::packingProblems(kernel).empty());
    kernel.hostConversions.push_back({ir::PackedIo::Direction::Input, "nope", ir::DType::Fp32});
    kernel.hostConversions.push_back({ir::PackedIo::Direction::Input, "x", ir::DType::Fp32});
    std::vector<std::string> problems = ir::packingProblems(kernel);
    REQUIRE(problems.size() == 2);
    CHECK(problems[0] == "host-converted input 'nope' is not a kernel input");
    CHECK(problems[1] == "host-converted input 'x' is converted twice");
    kernel.hostConversions = {{ir::PackedIo::Direction::Output, "y", ir::DType::Int32}};
    problems = ir::packingProblems(kernel);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "host-converted output 'y' has type fp16[1,8,1,16] and caller dtype "
                         "int32; host conversion is between fp16 (program) and fp32 (callers)");
}

TEST_CASE("target names on the command line: none turns legalization off, others are errors",
          "[legalize]") {
    CHECK(driver::parseTargetOption("none") == std::nullopt);
    CHECK(driver::parseTargetOption("m3") == AneTarget::M3);
    CHECK_THROWS_WITH(driver::parseTargetOption("m9"),
                      "unknown target 'm9' (expected generic, m1, m2, m3, m4, m5, or none)");
}

TEST_CASE("an explicit pass list with ane-legalize legalizes for generic", "[legalize]") {
    const char* text =
        R"(kernel k(a: fp16[1, 4, 1, 8], b: fp16[1, 2, 1, 8]) -> (y: fp16[1, 4, 1, 8], z: fp16[1, 2, 1, 8]) {
    y = a * 2
    z = b + 1
}
)";
    driver::CompileOptions options;
    options.passes = std::vector<std::string>{"ane-legalize", "pack-io"};
    auto module = compileAne(text, options);
    const ir::Kernel& kernel = *module->kernels.front();
    CHECK(kernel.legalizedFor == "generic");
    REQUIRE(kernel.packing.size() == 1); // inputs only: generic rejects concat
    CHECK(kernel.packing[0].direction == ir::PackedIo::Direction::Input);
    options.target = AneTarget::M4;
    auto m4 = compileAne(text, options);
    CHECK(m4->kernels.front()->legalizedFor == "m4");
    CHECK(m4->kernels.front()->packing.size() == 2);
}
