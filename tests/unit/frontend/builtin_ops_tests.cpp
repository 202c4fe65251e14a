// The builtins of the transformer / CNN / decoder ops: what each lowers to, numbers folded at
// compile time, every builtin diagnostic with its line:col, fp16-safe epsilon defaults, tensors
// built at build time (RoPE tables, causal masks) ending up as constants, and builtinNames().
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "driver/compiler.hpp"
#include "frontend/builtins.hpp"
#include "runtime/core/backend.hpp"
#include "sema_test_support.hpp"
#include "support/fp16.hpp"

using anec::test::AneCompile;
using anec::test::kernelSource;
using Kinds = std::vector<std::string>;
using Errors = std::vector<std::string>;
namespace ir = anec::ir;

namespace {
// Lowers `body` in a kernel with x: fp16[2, 8] and y of type `out`.
struct Lowered : AneCompile {
    explicit Lowered(const std::string& body, const std::string& out = "fp16[2, 8]",
                     const std::string& in = "fp16[2, 8]", const std::string& prelude = "")
        : AneCompile(kernelSource(in, out, body, prelude)) {
        INFO(allDiagnostics());
        REQUIRE(module);
    }
};

// The errors of `body` in the same kernel; the body starts on line 3.
Errors errorsOf(const std::string& body, const std::string& out = "fp16[2, 8]",
                const std::string& in = "fp16[2, 8]") {
    AneCompile c(kernelSource(in, out, body));
    CHECK_FALSE(c.module);
    return c.errors();
}

// The whole pipeline (folding included) at -O0.
std::unique_ptr<anec::driver::Compilation> compileAll(const std::string& source) {
    anec::driver::CompileOptions options;
    options.optLevel = 0;
    auto compilation = std::make_unique<anec::driver::Compilation>(options);
    compilation->loadSource("test.ane", source);
    bool ok = compilation->optimize();
    std::ostringstream messages;
    compilation->diagnostics().print(messages);
    INFO(messages.str());
    REQUIRE(ok);
    return compilation;
}
} // namespace

TEST_CASE("builtins: what the new builtins lower to", "[builtins]") {
    CHECK(Lowered("    y = sin(x) + cos(x) * floor(x)").opKinds() ==
          Kinds{"sin", "cos", "floor", "mul", "add"});
    AneCompile lookup("weight E: fp16[16, 4] = ones()\n"
                      "kernel k(tokens: int32[1, 8]) -> (y: fp16[1, 8, 4]) {\n"
                      "    y = gather(E, tokens, axis = 0)\n}\n");
    REQUIRE(lookup.module);
    CHECK(lookup.opKinds() == Kinds{"const", "gather"});
    Lowered lsm("    y = log_softmax(x, axis = 1)");
    CHECK(lsm.opKinds() == Kinds{"reduce_max", "sub", "exp", "reduce_sum", "log", "sub"});
    CHECK(*lsm.opsOf("log")[0]->attr<double>("epsilon") == 0.0); // the sum is >= 1
    Lowered topk("    let (v, i) = topk(x, 3)\n    y = v", "fp16[2, 3]");
    CHECK(*topk.opsOf("topk")[0]->attr<int64_t>("k") == 3);
    CHECK(topk.opsOf("topk")[0]->result(1)->type.str() == "int32[2,3]");
    Lowered argmax("    y = argmax(x, axis = -1)", "int32[2]");
    CHECK(argmax.opKinds() == Kinds{"reduce_argmax"});
    Lowered range("    y = x + cast(arange(0, 8), fp16)");
    CHECK(range.opsOf("range_1d")[0]->result()->type.str() == "int32[8]");
    Lowered halves("    y = x + arange(0, 4, 0.5)");
    CHECK(halves.opsOf("range_1d")[0]->result()->type.str() == "fp16[8]");
    Lowered fill("    y = x + fill([2, 8], 0.5)");
    CHECK(fill.opsOf("fill")[0]->result()->type.str() == "fp16[2,8]");
    Lowered mask("    y = select(causal_mask(2, keys = 8)[0:2, 0:8], x, -1.0)");
    const ir::Op& band = *mask.opsOf("band_part")[0];
    CHECK(*band.attr<int64_t>("lower") == -1);
    CHECK(*band.attr<int64_t>("upper") == 6);
    Lowered pad("    y = pad(x, [0, 0, 1, 1], mode = \"replicate\")", "fp16[2, 10]");
    CHECK(*pad.opsOf("pad")[0]->attr<std::string>("mode") == "replicate");
    Lowered quantize("    y = dequantize(quantize(x, 0.5, zero_point = 3, dtype = uint8), 0.5, "
                     "zero_point = 3)");
    CHECK(quantize.opsOf("quantize")[0]->result()->type.str() == "uint8[2,8]");
    CHECK(quantize.opsOf("quantize")[0]->attrs.count("axis") == 0);
    Lowered pool("    y = avg_pool(x, [2, 2], strides = [2, 2], padding = \"same\")",
                 "fp16[1, 4, 2, 2]", "fp16[1, 4, 3, 3]");
    CHECK(*pool.opsOf("avg_pool")[0]->attr<std::string>("pad_type") == "same");
    Lowered activations("    y = leaky_relu(x) + elu(x, alpha = 0.5) + sigmoid_hard(x)");
    CHECK(*activations.opsOf("leaky_relu")[0]->attr<double>("alpha") == 0.01);
    CHECK(*activations.opsOf("sigmoid_hard")[0]->attr<double>("alpha") == 1.0 / 6);
    Lowered cnn("    y = upsample_nearest_neighbor(pixel_shuffle(x, 2), scale_factor_width = 2)",
                "fp16[1, 1, 4, 8]", "fp16[1, 4, 2, 2]");
    CHECK(cnn.opKinds() == Kinds{"pixel_shuffle", "upsample_nearest_neighbor"});
    AneCompile cache("kernel k(kv: fp16[1, 8, 4], pos: int32[1, 1, 4], new_kv: fp16[1, 1, 4]) "
                     "-> (y: fp16[1, 8, 4]) {\n    y = scatter_along_axis(kv, pos, new_kv, axis = "
                     "1)\n}\n");
    REQUIRE(cache.module);
    CHECK(*cache.opsOf("scatter_along_axis")[0]->attr<std::string>("mode") == "update");
    Lowered logic("    y = select(logical_and(x > 0, logical_not(x > 1)), x, mod(x, 2))");
    CHECK(logic.opsOf("logical_and").size() == 1);
}

TEST_CASE("builtins: math on numbers is folded at compile time", "[builtins]") {
    Lowered c("    y = x * (sin(0.5) + cos(0) + floor(-1.5) + round(2.5) + erf(0) + atan(1) * 4)");
    auto consts = c.opsOf("const");
    REQUIRE(consts.size() == 1);
    const double expected = std::sin(0.5) + 1 - 2 + 2 + 0 + std::atan(1.0) * 4;
    CHECK(consts[0]->constData->at(0) == anec::halfToFloat(anec::doubleToHalf(expected)));
}

TEST_CASE("builtins: diagnostics with their line and column", "[builtins][diag]") {
    CHECK(errorsOf("    y = x * asin(2)") ==
          Errors{"3:13: error: asin of 2: argument outside [-1, 1]"});
    CHECK(errorsOf("    y = x * cosh(1000)") == Errors{"3:13: error: cosh overflows"});
    CHECK(errorsOf("    y = x * inverse(0, epsilon = 0)") ==
          Errors{"3:13: error: inverse of 0: argument is zero"});
    CHECK(errorsOf("    y = gather(x, 1.5)", "fp16[8]") ==
          Errors{"3:19: error: gather expects integer indices, got 1.5"});
    CHECK(errorsOf("    y = gather(x, x)", "fp16[2, 2, 8]") ==
          Errors{"3:9: error: gather indices must be int32, got fp16[2,8] (cast them with "
                 "cast(indices, int32))"});
    CHECK(errorsOf("    y = gather(x, [0, 2])") ==
          Errors{"3:9: error: gather index 2 (element 1 of the indices) is out of range for "
                 "axis 0 of fp16[2,8] (valid: 0 to 1)"});
    CHECK(errorsOf("    y = select(causal_mask(0), x, x)") ==
          Errors{"3:16: error: causal_mask needs 1 <= n <= keys, got n = 0 and keys = 0"});
    CHECK(errorsOf("    y = x + arange(4, 0)") ==
          Errors{"3:13: error: arange from 4 to 0 by 1 is empty"});
    CHECK(errorsOf("    y = x + arange(0, 4, 0)") ==
          Errors{"3:26: error: arange step must not be 0"});
    CHECK(errorsOf("    y = x + arange(0, 4, 0.5, dtype = int32)") ==
          Errors{"3:13: error: arange: 0.5 is not an integer, but the result is int32"});
    CHECK(errorsOf("    y = x + arange(0, x)") ==
          Errors{"3:23: error: arange expects a number for 'stop', got a tensor"});
    CHECK(errorsOf("    y = x + fill([2, 8], 1, dtype = int8)") ==
          Errors{"3:37: error: fill expects fp16, fp32 or int32 for 'dtype'"});
    CHECK(errorsOf("    y = pad(x, [1, 1], mode = \"reflect\", value = 2)", "fp16[2, 10]") ==
          Errors{"3:50: error: pad value applies only to mode \"constant\", not \"reflect\""});
    CHECK(errorsOf("    y = reverse(x, axes = [])") ==
          Errors{"3:27: error: reverse needs at least one axis (leave axes out to reverse all)"});
    CHECK(errorsOf("    y = quantize(x, 0.5, dtype = int4)") ==
          Errors{"3:34: error: quantize expects int8 or uint8 for 'dtype'"});
    CHECK(errorsOf("    y = max_pool(x, [2, 2], padding = \"full\")", "fp16[1, 4, 1, 1]",
                   "fp16[1, 4, 2, 2]") ==
          Errors{"3:39: error: max_pool padding must be \"valid\", \"same\" or a list of "
                 "(before, after) pairs, got \"full\""});
    CHECK(errorsOf("    y = argmax(x)", "int32[2]") ==
          Errors{"3:9: error: argmax expects 2 to 3 arguments, got 1"});
    CHECK(errorsOf("    let (v, i, j) = topk(x, 2)\n    y = v", "fp16[2, 2]").size() == 1);
    CHECK(errorsOf("    y = topk(x, 9)", "fp16[2, 8]") ==
          Errors{"3:9: error: topk k 9 must be between 1 and the size 8 of axis 1 of fp16[2,8]"});
}

TEST_CASE("builtins: every default epsilon is a normal fp16 number", "[builtins][epsilon]") {
    // MIL writes epsilon in the op's dtype: the old defaults (log 1e-45, rsqrt 1e-12) are 0 in
    // fp16, and 1e-5 (the norms) is subnormal, which the hardware may flush to 0.
    Lowered c("    y = log(abs(x)) + rsqrt(abs(x)) + layer_norm(x, axes = [1]) + "
              "rms_norm(x, axes = [1])");
    Lowered cnn("    y = batch_norm(x, m, v) + instance_norm(x) + l2_norm(x)", "fp16[1, 2, 2, 2]",
                "fp16[1, 2, 2, 2]", "weight m: fp16[2] = zeros()\nweight v: fp16[2] = ones()\n");
    size_t checked = 0;
    for (const AneCompile* compile :
         {static_cast<const AneCompile*>(&c), static_cast<const AneCompile*>(&cnn)})
        for (const auto& op : compile->kernel().ops)
            if (const double* epsilon = op->attr<double>("epsilon")) {
                INFO(op->kind());
                const double inFp16 = anec::halfToFloat(anec::doubleToHalf(*epsilon));
                CHECK(inFp16 >= 0x1p-14); // the smallest normal fp16
                ++checked;
            }
    CHECK(checked == 7);
}

TEST_CASE("builtins: log and rsqrt of zero stay finite in fp16", "[builtins][epsilon]") {
    auto compilation = compileAll("kernel k(x: fp16[3]) -> (l: fp16[3], r: fp16[3]) {\n"
                                  "    l = log(x)\n    r = rsqrt(x)\n}\n");
    std::shared_ptr<const ir::Module> module(compilation->module(), [](const ir::Module*) {});
    auto executable = anec::runtime::createReferenceBackend()->prepare(module, "k");
    anec::runtime::Tensor zeros(ir::TensorType{ir::DType::Fp16, {3}});
    auto outputs = executable->run({{"x", {zeros.type(), zeros.bytes()}}});
    for (const char* name : {"l", "r"}) {
        uint16_t half = 0;
        std::memcpy(&half, outputs.at(name).bytes().data(), 2);
        INFO(name << " = " << anec::halfToFloat(half));
        CHECK(std::isfinite(anec::halfToFloat(half)));
    }
}

TEST_CASE("builtins: RoPE tables and causal masks are constants after folding", "[builtins]") {
    auto compilation = compileAll(
        "const SEQ = 16\nconst HD = 8\n"
        "kernel k(q: fp16[1, 1, SEQ, HD]) -> (y: fp16[1, 1, SEQ, HD]) {\n"
        "    let pos = reshape(cast(arange(0, SEQ), fp16), [SEQ, 1])\n"
        "    let inv = reshape(pow(10000.0, arange(0, HD, dtype = fp16) * (-1.0 / HD)), [1, HD])\n"
        "    let angles = pos * inv\n"
        "    let rotated = q * cos(angles) + q * sin(angles)\n"
        "    y = scaled_dot_product_attention(rotated, rotated, q, mask = causal_mask(SEQ))\n"
        "}\n");
    std::vector<std::string> kinds;
    for (const auto& op : compilation->module()->kernels[0]->ops)
        kinds.push_back(op->kind());
    for (const char* folded : {"range_1d", "fill", "band_part", "sin", "cos", "pow", "cast"})
        CHECK(std::count(kinds.begin(), kinds.end(), folded) == 0);
    CHECK(std::count(kinds.begin(), kinds.end(), "scaled_dot_product_attention") == 1);
}

TEST_CASE("builtins: builtinNames lists every builtin, sorted", "[builtins]") {
    const std::vector<std::string>& names = anec::frontend::builtinNames();
    CHECK(std::is_sorted(names.begin(), names.end()));
    for (const char* name : {"gather", "causal_mask", "arange", "fill", "log_softmax", "topk",
                             "quantize", "linear", "sin", "reduce_log_sum_exp"})
        CHECK(std::find(names.begin(), names.end(), name) != names.end());
    for (const std::string& name : names)
        CHECK(anec::frontend::isBuiltinName(name));
    CHECK_FALSE(anec::frontend::isBuiltinName("attention"));
}
