// anec stats' FLOP model for a conv bias and for scaled_dot_product_attention.
#include "unit/passes/pass_test_support.hpp"

#include "driver/stats.hpp"

using namespace anec;

namespace {
uint64_t flopsOf(const std::string& text, const std::string& kind) {
    driver::CompileOptions options;
    options.optLevel = 0;
    auto module = passes::test::compileAne(text, options);
    for (const auto& op : module->kernels.at(0)->ops)
        if (op->kind() == kind) return driver::opFlops(*op);
    FAIL("no " << kind << " op");
    return 0;
}
} // namespace

TEST_CASE("stats count a conv bias as one add per output element", "[passes][stats][bias]") {
    const std::string head = "weight W: fp16[8, 4] = ones()\nweight b: fp16[8] = zeros()\n"
                             "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n";
    // 16 outputs, 4 multiply-adds each: 128; the bias adds 16.
    CHECK(flopsOf(head + "    y = linear(x, W)\n}\n", "conv") == 128);
    CHECK(flopsOf(head + "    y = linear(x, W, bias = b)\n}\n", "conv") == 144);
}

TEST_CASE("stats count attention as its decomposition", "[passes][stats][attention]") {
    // batch 2, L = 3, S = 5, E = 4, Ev = 6: 30 scores, each 2*E (q.k) + 2 (scale, mask) +
    // 5 (softmax) + 2*Ev (probs @ v) = 8 + 2 + 5 + 12 = 27 operations.
    CHECK(flopsOf(
              "kernel attend(q: fp16[2, 3, 4], k: fp16[2, 5, 4], v: fp16[2, 5, 6]) -> (y: fp16[2, "
              "3, 6]) {\n    y = scaled_dot_product_attention(q, k, v)\n}\n",
              "scaled_dot_product_attention") == 30 * 27);
}
