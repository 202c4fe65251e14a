// `dynamic weight W: ...`: parsing, lowering (an extra kernel input per using kernel, linear as
// matmul, W.T as a transpose flag) and every diagnostic with its line and column.
#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

#include "frontend/weights.hpp"
#include "sema_test_support.hpp"
#include "support/npy.hpp"

using anec::test::AneCompile;
using Errors = std::vector<std::string>;
namespace ir = anec::ir;

namespace {
// The module must build; INFO shows the diagnostics otherwise.
#define REQUIRE_COMPILES(c)                                                                        \
    INFO((c).allDiagnostics());                                                                    \
    REQUIRE((c).module)

std::vector<std::string> inputNames(const ir::Kernel& kernel) {
    std::vector<std::string> names;
    for (const auto& input : kernel.inputs)
        names.push_back(input->name);
    return names;
}

Errors errorsOf(const std::string& source) {
    AneCompile c(source);
    INFO(c.allDiagnostics());
    CHECK_FALSE(c.module);
    return c.errors();
}

const char* kTwoWeights = R"(dynamic weight W1: fp16[8, 4] = random(seed = 3, scale = 0.5)
dynamic weight W2: fp16[4, 8]
fn up(x) { return linear(x, W1) }
kernel k(x: fp16[1, 4, 1, 2], z: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = linear(relu(up(x)), W2) + z
}
kernel only_w2(x: fp16[1, 8, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = linear(x, W2)
}
kernel none(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = x * 2
}
)";
} // namespace

TEST_CASE("dynamic weights: kernel inputs after the declared ones, in order of first use",
          "[dynamic][frontend]") {
    AneCompile c(kTwoWeights);
    REQUIRE_COMPILES(c);
    const ir::Kernel& k = c.kernel(0);
    CHECK(inputNames(k) == std::vector<std::string>{"x", "z", "W1", "W2"});
    REQUIRE(k.dynamicWeights.size() == 2);
    CHECK(k.dynamicWeights[0].name == "W1");
    CHECK(k.dynamicWeights[1].name == "W2");
    // Initial values: the declared source, zeros without one.
    ir::TensorType w1{ir::DType::Fp16, {8, 4}};
    CHECK(*k.dynamicWeights[0].initial == anec::frontend::randomConstData(w1, 3, 0.5));
    CHECK(k.dynamicWeights[1].initial->toDoubles() == std::vector<double>(32, 0.0));
    CHECK(inputNames(c.kernel(1)) == std::vector<std::string>{"x", "W2"});
    CHECK(c.kernel(1).dynamicWeights.size() == 1);
    CHECK(inputNames(c.kernel(2)) == std::vector<std::string>{"x"});
    CHECK(c.kernel(2).dynamicWeights.empty());
}

TEST_CASE("dynamic weights: linear lowers to reshape, matmul, reshape instead of conv",
          "[dynamic][frontend]") {
    AneCompile c(kTwoWeights);
    REQUIRE_COMPILES(c);
    CHECK(c.opKinds(1) == std::vector<std::string>{"reshape", "matmul", "reshape"});
    const ir::Op* matmul = c.opsOf("matmul", 1).at(0);
    CHECK(matmul->operands[0]->name == "W2");
    CHECK(matmul->operands[1]->type.str() == "fp16[1,8,2]");
    CHECK(matmul->result()->type.str() == "fp16[1,4,2]");
    CHECK(*matmul->attr<bool>("transpose_x") == false);
    CHECK(c.opsOf("conv", 0).empty());
}

TEST_CASE("dynamic weights: W.T is matmul's transpose flag on W", "[dynamic][frontend]") {
    AneCompile c(R"(dynamic weight W: fp16[4, 8] = ones()
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {
    y = linear(x, W.T)
}
)");
    REQUIRE_COMPILES(c);
    const ir::Op* matmul = c.opsOf("matmul").at(0);
    CHECK(matmul->operands[0]->isKernelInput());
    CHECK(matmul->operands[0]->name == "W");
    CHECK(*matmul->attr<bool>("transpose_x") == true);
    // The transpose itself is unused (dead-code elimination removes it).
    const ir::Op* transpose = c.opsOf("transpose").at(0);
    CHECK(c.kernel().useCount(transpose->result()) == 0);
}

TEST_CASE("dynamic weights: a linear bias is added after the matmul", "[dynamic][frontend]") {
    AneCompile c(R"(dynamic weight W: fp16[8, 4] = ones()
weight b: fp16[8] = ones()
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {
    y = linear(x, W, bias = b)
}
)");
    REQUIRE_COMPILES(c);
    CHECK(c.opKinds() ==
          std::vector<std::string>{"const", "reshape", "matmul", "reshape", "reshape", "add"});
}

TEST_CASE("dynamic weights: a fused kernel takes the dynamic weights of its parts once",
          "[dynamic][frontend]") {
    AneCompile c(R"(dynamic weight W: fp16[4, 4] = ones()
kernel a(x: fp16[1, 4, 1, 2]) -> (h: fp16[1, 4, 1, 2]) { h = linear(x, W) }
kernel b(h: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) { y = linear(h, W) }
fuse a, b as ab
)");
    REQUIRE_COMPILES(c);
    const ir::Kernel* fused = c.module->findKernel("ab");
    REQUIRE(fused);
    CHECK(inputNames(*fused) == std::vector<std::string>{"x", "W"});
    REQUIRE(fused->dynamicWeights.size() == 1);
    CHECK(fused->dynamicWeights[0].name == "W");
}

TEST_CASE("dynamic weights: diagnostics", "[dynamic][frontend][diagnostics]") {
    SECTION("conv needs a constant weight") {
        CHECK(errorsOf(R"(dynamic weight W: fp16[4, 4, 1, 1] = ones()
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = conv(x, W)
}
)") == Errors{"3:17: error: conv needs a constant weight, but 'W' is a dynamic weight (given "
              "at run time; the ANE's conv only takes weights fixed at build time): use "
              "linear(x, W) or matmul instead"});
    }
    SECTION("also through an expression of the weight") {
        CHECK(errorsOf(R"(dynamic weight W: fp16[4, 4] = ones()
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = conv(x, reshape(W, [4, 4, 1, 1]))
}
)") == Errors{"3:17: error: conv needs a constant weight, but 'W' is a dynamic weight (given "
              "at run time; the ANE's conv only takes weights fixed at build time): use "
              "linear(x, W) or matmul instead"});
    }
    SECTION("a kernel input named like a dynamic weight it uses") {
        CHECK(errorsOf(R"(dynamic weight W: fp16[4, 4] = ones()
kernel k(x: fp16[1, 4, 1, 2], W: fp16[4, 4]) -> (y: fp16[1, 4, 1, 2]) {
    y = linear(x, W)
}
)") == Errors{"2:31: error: kernel input 'W' has the name of dynamic weight 'W', which every "
              "kernel using it takes as an input of that name; rename one of them"});
    }
    SECTION("a dynamic weight named like an input of another kernel") {
        CHECK(errorsOf(R"(kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = x
}
dynamic weight x: fp16[4, 4]
)") == Errors{"1:10: error: kernel input 'x' has the name of dynamic weight 'x', which every "
              "kernel using it takes as an input of that name; rename one of them"});
    }
    SECTION("an initializer of the wrong shape") {
        std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("anec_dynw_" + std::to_string(::getpid()) + ".npy");
        std::vector<double> values(12, 1.0);
        REQUIRE(anec::npy::write(file.string(), anec::npy::Array::fromDoubles(
                                                    anec::npy::DType::Float32, {3, 4}, values)));
        Errors errors = errorsOf("dynamic weight W: fp16[4, 4] = npy(\"" + file.string() + "\")\n");
        std::filesystem::remove(file);
        CHECK(errors == Errors{"1:36: error: weight 'W' is declared fp16[4,4] but " +
                               file.string() + " holds float32[3,4]"});
    }
    SECTION("'dynamic' on something that is not a weight") {
        CHECK(errorsOf("dynamic const N = 4\n") ==
              Errors{"1:1: error: 'dynamic' applies only to weights, as in 'dynamic weight W: "
                     "fp16[64, 64]'"});
        CHECK(errorsOf("const N = 4\ndynamic fn f(x) { return x }\n") ==
              Errors{"2:1: error: 'dynamic' applies only to weights, as in 'dynamic weight W: "
                     "fp16[64, 64]'"});
        CHECK(errorsOf("dynamic kernel k(x: fp16[4]) -> (y: fp16[4]) { y = x * 2 }\n") ==
              Errors{"1:1: error: 'dynamic' applies only to weights, as in 'dynamic weight W: "
                     "fp16[64, 64]'"});
    }
    SECTION("only a dynamic weight may omit its source") {
        CHECK(errorsOf("weight W: fp16[4, 4]\n") ==
              Errors{"1:8: error: weight 'W' needs a source: = random(seed, scale), "
                     "npy(\"file\"), zeros() or ones() (only a dynamic weight may omit it)"});
    }
    SECTION("'dynamic' is a reserved word") {
        Errors errors = errorsOf("const dynamic = 4\n");
        REQUIRE_FALSE(errors.empty());
        CHECK(errors.front() == "1:7: error: expected a name but found reserved word 'dynamic'");
    }
}
