// The IR verifier's checks of Kernel::dynamicWeights: each names an interface input of its
// initial value's type, once.
#include <catch2/catch.hpp>

#include "ir/verifier.hpp"
#include "unit/frontend/sema_test_support.hpp"

namespace {
namespace ir = anec::ir;

std::vector<std::string> verifierErrors(const ir::Kernel& kernel) {
    anec::SourceManager sources;
    anec::DiagnosticEngine diagnostics(sources);
    ir::verifyKernel(kernel, diagnostics);
    std::vector<std::string> errors;
    for (const anec::Diagnostic& d : diagnostics.diagnostics())
        errors.push_back(d.message);
    return errors;
}

const char* kSource = R"(dynamic weight W: fp16[4, 4] = ones()
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = linear(x, W)
}
)";
} // namespace

TEST_CASE("verifier: dynamic weights", "[dynamic][ir]") {
    anec::test::AneCompile c(kSource);
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    ir::Kernel& kernel = *c.module->kernels.at(0);
    REQUIRE(kernel.dynamicWeights.size() == 1);
    CHECK(verifierErrors(kernel).empty());

    SECTION("not an input") {
        kernel.dynamicWeights[0] = ir::DynamicWeight{"V", kernel.dynamicWeights[0].initial};
        CHECK(verifierErrors(kernel) ==
              std::vector<std::string>{
                  "IR verifier: kernel 'k': dynamic weight 'V' is not an input of the kernel"});
    }
    SECTION("another type") {
        kernel.dynamicWeights[0].initial = std::make_shared<const ir::ConstData>(
            ir::ConstData::splat({ir::DType::Fp16, {4, 2}}, 1.0));
        CHECK(verifierErrors(kernel) ==
              std::vector<std::string>{"IR verifier: kernel 'k': dynamic weight 'W' has an initial "
                                       "value of type fp16[4,2] but the input is fp16[4,4]"});
    }
    SECTION("listed twice") {
        kernel.dynamicWeights.push_back(kernel.dynamicWeights[0]);
        CHECK(verifierErrors(kernel) ==
              std::vector<std::string>{
                  "IR verifier: kernel 'k': dynamic weight 'W' is listed twice"});
    }
    SECTION("no initial value") {
        kernel.dynamicWeights[0].initial.reset();
        CHECK(verifierErrors(kernel) ==
              std::vector<std::string>{
                  "IR verifier: kernel 'k': dynamic weight 'W' has no initial value"});
    }
}
