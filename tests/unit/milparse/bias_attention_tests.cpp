// The MIL reader and emitter on conv's bias and scaled_dot_product_attention: both go through the
// registry generically (bias = ..., attn_mask = ...), read back into the same IR, re-emit the
// same text and compute the same numbers as the .ane source.
#include "unit/milparse/milparse_test_support.hpp"

#include <algorithm>
#include <map>

#include "driver/compiler.hpp"
#include "mil/output.hpp"
#include "unit/passes/pass_test_support.hpp"

using namespace anec;
using namespace anec::milparse::test;
using anec::passes::test::makeInput;
using anec::passes::test::runKernel;
namespace fs = std::filesystem;

namespace {
// Both ops in one kernel: a biased 1x1 conv feeding the query of an attention with a bool mask.
const char* const kSource = R"(weight W: fp16[8, 8, 1, 1] = random(seed = 1, scale = 0.35)
weight b: fp16[8] = random(seed = 2, scale = 0.5)
kernel attend(x: fp16[1, 8, 1, 4], kv: fp16[1, 8, 6, 4], m: bool[1, 6]) -> (y: fp16[1, 8, 1, 4]) {
    let q = conv(x, W, bias = b)
    y = scaled_dot_product_attention(q, kv, kv, mask = m)
}
)";

std::shared_ptr<ir::Module> compile(driver::Compilation& compilation) {
    std::ostringstream rendered;
    compilation.diagnostics().print(rendered);
    INFO(rendered.str());
    REQUIRE(compilation.module() != nullptr);
    return std::shared_ptr<ir::Module>(std::shared_ptr<ir::Module>{}, compilation.module());
}
} // namespace

TEST_CASE("a conv with a bias parses into the bias operand", "[milparse][bias]") {
    auto parsed = parseOk(program(
        "tensor<fp16, [1, 2, 1, 3]> x",
        "        tensor<fp16, [2, 2, 1, 1]> w = const()[name = string(\"w\"), val = tensor<fp16, "
        "[2, 2, 1, 1]>([1, 0, 0, 1])];\n"
        "        tensor<fp16, [2]> b = const()[name = string(\"b\"), val = tensor<fp16, [2]>([0.5, "
        "-2])];\n"
        "        tensor<fp16, [1, 2, 1, 3]> y = conv(bias = b, weight = w, x = x)[name = "
        "string(\"y\")];\n",
        "y"));
    const ir::Kernel& kernel = onlyKernel(*parsed);
    const ir::Op& conv = *findOp(kernel, "conv");
    REQUIRE(conv.operands.size() == 3);
    REQUIRE(conv.operands[2] != nullptr);
    CHECK(conv.operands[2]->definingOp->constData->toDoubles() == std::vector<double>{0.5, -2});
    // And a bias of the wrong shape is the registry's error, at the op.
    auto bad = errors(program(
        "tensor<fp16, [1, 2, 1, 3]> x",
        "        tensor<fp16, [2, 2, 1, 1]> w = const()[name = string(\"w\"), val = tensor<fp16, "
        "[2, 2, 1, 1]>([1, 0, 0, 1])];\n"
        "        tensor<fp16, [3]> b = const()[name = string(\"b\"), val = tensor<fp16, [3]>([0.5, "
        "-2, 1])];\n"
        "        tensor<fp16, [1, 2, 1, 3]> y = conv(bias = b, weight = w, x = x)[name = "
        "string(\"y\")];\n",
        "y"));
    REQUIRE(bad.size() == 1);
    CHECK(bad[0] == "6:40: error: conv bias fp16[3] must have shape [2] (one value per output "
                    "channel of weight fp16[2,2,1,1])");
}

TEST_CASE("conv bias and attention round-trip through MIL and compute the same",
          "[milparse][bias][attention]") {
    driver::Compilation compilation;
    compilation.loadSource("attend.ane", kSource);
    std::vector<mil::Program> programs = compilation.emit();
    std::shared_ptr<ir::Module> source = compile(compilation);
    REQUIRE(programs.size() == 1);
    const std::string& text = programs[0].milText;
    INFO(text);
    CHECK(text.find("conv(bias = b, dilations = ") != std::string::npos);
    CHECK(text.find("= scaled_dot_product_attention(attn_mask = m, key = kv, query = q, value = "
                    "kv)") != std::string::npos);

    TempDir out;
    mil::writeBuildOutput(out.path(), programs);
    driver::Compilation reread;
    REQUIRE(reread.loadFile(out / "attend"));
    std::vector<mil::Program> again = reread.emit();
    std::shared_ptr<ir::Module> parsed = compile(reread);
    REQUIRE(again.size() == 1);
    CHECK(again[0].milText == text);
    CHECK(again[0].description == programs[0].description);

    const ir::Kernel& kernel = *parsed->kernels.at(0);
    CHECK(findOp(kernel, "conv")->operands.at(2) != nullptr);
    CHECK(findOp(kernel, "scaled_dot_product_attention")->operands.at(3) != nullptr);

    std::map<std::string, runtime::Tensor> inputs;
    uint64_t seed = 7;
    for (const auto& input : source->kernels[0]->inputs)
        inputs.emplace(input->name, makeInput(input->type, seed++));
    auto expected = runKernel(source, "attend", inputs);
    auto actual = runKernel(parsed, "attend", inputs);
    auto a = actual.at("y").bytes();
    auto e = expected.at("y").bytes();
    CHECK(std::equal(a.begin(), a.end(), e.begin(), e.end()));
}
