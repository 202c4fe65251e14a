// The `bias` keyword of conv and linear, and the scaled_dot_product_attention builtin: their
// lowering onto registry ops and their diagnostics (message, line and column).
#include <catch2/catch.hpp>

#include "sema_test_support.hpp"

using anec::test::AneCompile;
using namespace anec;

namespace {
void expectErrors(const std::string& source, const std::vector<std::string>& expected) {
    AneCompile c(source);
    INFO(c.allDiagnostics());
    CHECK_FALSE(c.module);
    CHECK(c.errors() == expected);
}

const ir::Op& onlyOp(const AneCompile& c, const std::string& kind) {
    auto ops = c.opsOf(kind);
    REQUIRE(ops.size() == 1);
    return *ops[0];
}

// The blob name of the constant an operand comes from ("" when it is not a constant).
std::string constName(const ir::Value* value) {
    if (!value || !value->definingOp || !value->definingOp->isConst()) return "";
    return value->definingOp->constData->blobName;
}

const char* kConvPrelude = "weight W: fp16[8, 4, 1, 1] = ones()\n"
                           "weight b: fp16[8] = random(seed = 3, scale = 0.5)\n";
const char* kAttentionHead = "kernel k(q: fp16[1, 2, 3, 4], kv: fp16[1, 2, 5, 4], m: bool[3, 5]) "
                             "-> (y: fp16[1, 2, 3, 4]) {\n";
} // namespace

TEST_CASE("conv and linear take a constant bias", "[sema][bias]") {
    AneCompile conv(std::string(kConvPrelude) +
                    "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n"
                    "    y = conv(x, W, bias = b)\n}\n");
    INFO(conv.allDiagnostics());
    REQUIRE(conv.module);
    const ir::Op& op = onlyOp(conv, "conv");
    REQUIRE(op.operands.size() == 3);
    CHECK(constName(op.operands[2]) == "b");
    CHECK(op.result()->type.str() == "fp16[1,8,1,2]");

    AneCompile linear("weight W: fp16[8, 4] = ones()\nweight b: fp16[8] = zeros()\n"
                      "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n"
                      "    y = linear(x, W, b * 0.5)\n}\n"); // positional; a weight expression
    INFO(linear.allDiagnostics());
    REQUIRE(linear.module);
    const ir::Op& lin = onlyOp(linear, "conv");
    REQUIRE(lin.operands.size() == 3);
    REQUIRE(lin.operands[2] != nullptr);
    CHECK(lin.operands[2]->type.str() == "fp16[8]");

    AneCompile plain(std::string(kConvPrelude) +
                     "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n"
                     "    y = conv(x, W)\n}\n");
    REQUIRE(plain.module);
    CHECK(onlyOp(plain, "conv").operands[2] == nullptr);
}

TEST_CASE("diag: a conv bias must be a constant [Cout]", "[diag][bias]") {
    expectErrors(std::string(kConvPrelude) +
                     "kernel k(x: fp16[1, 4, 1, 2], c: fp16[8]) -> (y: fp16[1, 8, 1, 2]) {\n"
                     "    y = conv(x, W, bias = c)\n}\n",
                 {"4:27: error: conv needs a constant bias (a weight or an expression of "
                  "weights), got a computed fp16[8]; add a computed bias after the conv"});
    expectErrors("weight W: fp16[8, 4, 1, 1] = ones()\nweight b: fp16[1, 8, 1, 1] = zeros()\n"
                 "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n"
                 "    y = conv(x, W, bias = b)\n}\n",
                 {"4:9: error: conv bias fp16[1,8,1,1] must have shape [8] (one value per output "
                  "channel of weight fp16[8,4,1,1])"});
    expectErrors("weight W: fp16[8, 4] = ones()\nweight b: fp32[8] = zeros()\n"
                 "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n"
                 "    y = linear(x, W, bias = b)\n}\n",
                 {"4:9: error: conv bias fp32[8] and x fp16[1,4,1,2] have different element "
                  "types"});
    expectErrors("weight W: fp16[8, 4] = ones()\n"
                 "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n"
                 "    y = linear(x, W, W, W)\n}\n",
                 {"3:9: error: linear expects 2 to 3 arguments, got 4"});
}

TEST_CASE("scaled_dot_product_attention lowers to the MIL op", "[sema][attention]") {
    AneCompile masked(std::string(kAttentionHead) +
                      "    y = scaled_dot_product_attention(q, kv, kv, mask = m)\n}\n");
    INFO(masked.allDiagnostics());
    REQUIRE(masked.module);
    const ir::Op& op = onlyOp(masked, "scaled_dot_product_attention");
    const ir::Kernel& k = masked.kernel();
    CHECK(op.operands == std::vector<ir::Value*>{k.inputs[0].get(), k.inputs[1].get(),
                                                 k.inputs[1].get(), k.inputs[2].get()});
    CHECK(op.loc.line == 2);
    CHECK(op.loc.column == 9);

    // No mask; a float mask computed in the kernel.
    AneCompile plain(std::string(kAttentionHead) +
                     "    y = scaled_dot_product_attention(q, kv, kv)\n}\n");
    REQUIRE(plain.module);
    CHECK(onlyOp(plain, "scaled_dot_product_attention").operands[3] == nullptr);
    AneCompile computed(
        "kernel k(q: fp16[1, 3, 4], kv: fp16[1, 5, 4], m: fp16[3, 5]) -> (y: fp16[1, 3, 4]) {\n"
        "    y = scaled_dot_product_attention(q, kv, kv, (m - 1) * 1e4)\n}\n");
    INFO(computed.allDiagnostics());
    REQUIRE(computed.module);
    CHECK(onlyOp(computed, "scaled_dot_product_attention").operands[3]->type.str() == "fp16[3,5]");
}

TEST_CASE("diag: scaled_dot_product_attention arguments", "[diag][attention]") {
    expectErrors(std::string(kAttentionHead) +
                     "    y = scaled_dot_product_attention(q, kv, kv, attn_mask = m)\n}\n",
                 {"2:49: error: unknown keyword argument 'attn_mask' for "
                  "scaled_dot_product_attention"});
    expectErrors(std::string(kAttentionHead) + "    y = scaled_dot_product_attention(q, kv)\n}\n",
                 {"2:9: error: scaled_dot_product_attention expects 3 to 4 arguments, got 2"});
    expectErrors(std::string(kAttentionHead) +
                     "    y = scaled_dot_product_attention(q, q, kv)\n}\n",
                 {"2:9: error: scaled_dot_product_attention: key fp16[1,2,3,4] and value "
                  "fp16[1,2,5,4] have different sequence lengths (3 and 5)"});
    expectErrors(
        "kernel k(q: fp16[1, 2, 3, 4], kv: fp16[1, 2, 5, 4], m: bool[5, 3]) -> (y: fp16[1, 2, "
        "3, 4]) {\n    y = scaled_dot_product_attention(q, kv, kv, mask = m)\n}\n",
        {"2:9: error: scaled_dot_product_attention attn_mask bool[5,3] must broadcast to the "
         "scores [1,2,3,5] ([batch.., L, S]) with its last dim equal to S = 5"});
    expectErrors(std::string(kAttentionHead) +
                     "    y = scaled_dot_product_attention(q, kv, kv, mask = 1)\n}\n",
                 {"2:56: error: expected a tensor, got the number 1"});
}
