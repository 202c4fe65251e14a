// Golden before/after IR for the cleanup passes: each test compiles a small .ane kernel, runs
// exactly one pass (--passes=NAME) and compares the printed IR with the expectation written here.
// To update an expectation, print the IR with
//     anec build FILE.ane --emit=ir --passes=NAME
// check the difference is intended, and paste it.
#include "unit/passes/pass_test_support.hpp"

using namespace anec;
using namespace anec::passes::test;

namespace {
void checkGolden(const std::string& source, const std::vector<std::string>& passes,
                 const std::string& expected) {
    std::string actual = irAfter(source, passes);
    INFO("actual IR:\n" << actual);
    CHECK(actual == expected);
}
} // namespace

TEST_CASE("cse merges identical ops and identical constants, and repoints outputs",
          "[passes][golden]") {
    const std::string source = R"(
weight W: fp16[4, 4] = random(seed = 1, scale = 0.5)
weight V: fp16[4, 4] = random(seed = 1, scale = 0.5)
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2], z: fp16[1, 4, 1, 2]) {
    let a = tanh(x) + 1
    let b = tanh(x) + 1
    y = a * b + linear(x, W) + linear(x, V)
    z = b
}
)";
    checkGolden(source, {}, R"(kernel k(%x: fp16[1,4,1,2]) -> (y: fp16[1,4,1,2], z: fp16[1,4,1,2]) {
  %0 = tanh(%x) : fp16[1,4,1,2]
  %1 = const() {value = 1.0} : fp16
  %a = add(%0, %1) : fp16[1,4,1,2]
  %2 = tanh(%x) : fp16[1,4,1,2]
  %3 = const() {value = 1.0} : fp16
  %z = add(%2, %3) : fp16[1,4,1,2]
  %4 = mul(%a, %z) : fp16[1,4,1,2]
  %W = const() {blob = "W"} : fp16[4,4]
  %5 = reshape(%W) {shape = [4, 4, 1, 1]} : fp16[4,4,1,1]
  %6 = conv(%x, %5) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,2]
  %7 = add(%4, %6) : fp16[1,4,1,2]
  %V = const() {blob = "V"} : fp16[4,4]
  %8 = reshape(%V) {shape = [4, 4, 1, 1]} : fp16[4,4,1,1]
  %9 = conv(%x, %8) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,2]
  %y = add(%7, %9) : fp16[1,4,1,2]
  return y = %y, z = %z
}
)");
    // The two tanh(x) + 1 become one (their literal 1s merge first); z, which named the second sum,
    // now names the first. W and V hold the same bytes but are different weights: they stay apart.
    checkGolden(source, {"cse"},
                R"(kernel k(%x: fp16[1,4,1,2]) -> (y: fp16[1,4,1,2], z: fp16[1,4,1,2]) {
  %0 = tanh(%x) : fp16[1,4,1,2]
  %1 = const() {value = 1.0} : fp16
  %a = add(%0, %1) : fp16[1,4,1,2]
  %2 = mul(%a, %a) : fp16[1,4,1,2]
  %W = const() {blob = "W"} : fp16[4,4]
  %3 = reshape(%W) {shape = [4, 4, 1, 1]} : fp16[4,4,1,1]
  %4 = conv(%x, %3) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,2]
  %5 = add(%2, %4) : fp16[1,4,1,2]
  %V = const() {blob = "V"} : fp16[4,4]
  %6 = reshape(%V) {shape = [4, 4, 1, 1]} : fp16[4,4,1,1]
  %7 = conv(%x, %6) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,2]
  %y = add(%5, %7) : fp16[1,4,1,2]
  return y = %y, z = %a
}
)");
}

TEST_CASE("cast-elim removes exact round trips and no-op casts but keeps entry and exit casts",
          "[passes][golden]") {
    const std::string source = R"(
kernel k(x: fp32[1, 4, 1, 2], h: fp16[1, 4, 1, 2]) -> (y: fp32[1, 4, 1, 2], z: fp16[1, 4, 1, 2], n: int32[1, 4, 1, 2], w: fp16[1, 4, 1, 2]) {
    let r = cast(cast(h, fp32), fp16)
    z = r + cast(h, fp16)
    y = x
    n = cast(cast(h, fp32), int32)
    w = cast(cast(x, fp32), fp16) + cast(cast(z, fp32), fp16)
}
)";
    checkGolden(
        source, {},
        R"(kernel k(%x: fp32[1,4,1,2], %h: fp16[1,4,1,2]) -> (y: fp32[1,4,1,2], z: fp16[1,4,1,2], n: int32[1,4,1,2], w: fp16[1,4,1,2]) {
  %x16 = cast(%x) {dtype = "fp16"} : fp16[1,4,1,2]
  %0 = cast(%h) {dtype = "fp32"} : fp32[1,4,1,2]
  %r = cast(%0) {dtype = "fp16"} : fp16[1,4,1,2]
  %z = add(%r, %h) : fp16[1,4,1,2]
  %1 = cast(%h) {dtype = "fp32"} : fp32[1,4,1,2]
  %n = cast(%1) {dtype = "int32"} : int32[1,4,1,2]
  %2 = cast(%x16) {dtype = "fp32"} : fp32[1,4,1,2]
  %3 = cast(%2) {dtype = "fp16"} : fp16[1,4,1,2]
  %4 = cast(%z) {dtype = "fp32"} : fp32[1,4,1,2]
  %5 = cast(%4) {dtype = "fp16"} : fp16[1,4,1,2]
  %w = add(%3, %5) : fp16[1,4,1,2]
  %y = cast(%x16) {dtype = "fp32"} : fp32[1,4,1,2]
  return y = %y, z = %z, n = %n, w = %w
}
)");
    // h -> fp32 -> fp16 is h; h -> fp32 -> int32 is h -> int32; x16 -> fp32 -> fp16 is x16. The
    // entry cast x16 and the exit cast y (fp16 -> fp32, a narrowing pair with x16) stay.
    checkGolden(
        source, {"cast-elim"},
        R"(kernel k(%x: fp32[1,4,1,2], %h: fp16[1,4,1,2]) -> (y: fp32[1,4,1,2], z: fp16[1,4,1,2], n: int32[1,4,1,2], w: fp16[1,4,1,2]) {
  %x16 = cast(%x) {dtype = "fp16"} : fp16[1,4,1,2]
  %z = add(%h, %h) : fp16[1,4,1,2]
  %n = cast(%h) {dtype = "int32"} : int32[1,4,1,2]
  %w = add(%x16, %z) : fp16[1,4,1,2]
  %y = cast(%x16) {dtype = "fp32"} : fp32[1,4,1,2]
  return y = %y, z = %z, n = %n, w = %w
}
)");
}

TEST_CASE(
    "algebraic removes x*1, x+0, x-0, x/1, no-op reshapes and transposes, respecting broadcasts",
    "[passes][golden]") {
    const std::string source = R"(
weight O: fp16[1, 4, 1, 2] = ones()
kernel k(x: fp16[1, 4, 1, 2], s: fp16[1, 4, 1, 1]) -> (y: fp16[1, 4, 1, 2], b: fp16[1, 4, 1, 2], t: fp16[1, 2, 4, 1], u: fp16[1, 4, 1, 2]) {
    let a = (x * 1 + 0 - 0) / 1
    let r = reshape(transpose(transpose(a, [0, 3, 2, 1]), [0, 3, 2, 1]), [1, 4, 1, 2])
    y = r[:, 0:4, :, :] + 1 * x
    b = s * O
    t = transpose(transpose(x, [0, 2, 1, 3]), [0, 3, 2, 1])
    u = s * 1 + x * 0
}
)";
    checkGolden(
        source, {},
        R"(kernel k(%x: fp16[1,4,1,2], %s: fp16[1,4,1,1]) -> (y: fp16[1,4,1,2], b: fp16[1,4,1,2], t: fp16[1,2,4,1], u: fp16[1,4,1,2]) {
  %0 = const() {value = 1.0} : fp16
  %1 = mul(%x, %0) : fp16[1,4,1,2]
  %2 = const() {value = 0.0} : fp16
  %3 = add(%1, %2) : fp16[1,4,1,2]
  %4 = const() {value = 0.0} : fp16
  %5 = sub(%3, %4) : fp16[1,4,1,2]
  %6 = const() {value = 1.0} : fp16
  %a = real_div(%5, %6) : fp16[1,4,1,2]
  %7 = transpose(%a) {perm = [0, 3, 2, 1]} : fp16[1,2,1,4]
  %8 = transpose(%7) {perm = [0, 3, 2, 1]} : fp16[1,4,1,2]
  %r = reshape(%8) {shape = [1, 4, 1, 2]} : fp16[1,4,1,2]
  %9 = const() {value = 1.0} : fp16
  %10 = mul(%9, %x) : fp16[1,4,1,2]
  %y = add(%r, %10) : fp16[1,4,1,2]
  %O = const() {blob = "O"} : fp16[1,4,1,2]
  %b = mul(%s, %O) : fp16[1,4,1,2]
  %11 = transpose(%x) {perm = [0, 2, 1, 3]} : fp16[1,1,4,2]
  %t = transpose(%11) {perm = [0, 3, 2, 1]} : fp16[1,2,4,1]
  %12 = const() {value = 1.0} : fp16
  %13 = mul(%s, %12) : fp16[1,4,1,1]
  %14 = const() {value = 0.0} : fp16
  %15 = mul(%x, %14) : fp16[1,4,1,2]
  %u = add(%13, %15) : fp16[1,4,1,2]
  return y = %y, b = %b, t = %t, u = %u
}
)");
    // a is x; the transpose pair cancels and the reshape is a no-op, so y = x + x; t's two
    // transposes compose into one; s * O broadcasts [1,4,1,1] to [1,4,1,2] and stays; s * 1 is s; x
    // * 0 stays (it is not 0 for inf/nan). The unused literals are left for dce.
    checkGolden(
        source, {"algebraic"},
        R"(kernel k(%x: fp16[1,4,1,2], %s: fp16[1,4,1,1]) -> (y: fp16[1,4,1,2], b: fp16[1,4,1,2], t: fp16[1,2,4,1], u: fp16[1,4,1,2]) {
  %0 = const() {value = 1.0} : fp16
  %1 = const() {value = 0.0} : fp16
  %2 = const() {value = 0.0} : fp16
  %3 = const() {value = 1.0} : fp16
  %4 = const() {value = 1.0} : fp16
  %y = add(%x, %x) : fp16[1,4,1,2]
  %O = const() {blob = "O"} : fp16[1,4,1,2]
  %b = mul(%s, %O) : fp16[1,4,1,2]
  %t = transpose(%x) {perm = [0, 3, 1, 2]} : fp16[1,2,4,1]
  %5 = const() {value = 1.0} : fp16
  %6 = const() {value = 0.0} : fp16
  %7 = mul(%x, %6) : fp16[1,4,1,2]
  %u = add(%s, %7) : fp16[1,4,1,2]
  return y = %y, b = %b, t = %t, u = %u
}
)");
}

TEST_CASE("fold-constants evaluates unary math on weights and scalars", "[passes][golden]") {
    const std::string source = R"(
weight W: fp16[4, 4] = random(seed = 3, scale = 0.5)
weight G: fp16[1, 4, 1, 1] = random(seed = 4, scale = 0.5)
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = linear(x, abs(W) * sqrt(4.0)) * sigmoid(G) + exp(0.0) * tanh(x * rsqrt(4.0))
}
)";
    checkGolden(source, {}, R"(kernel k(%x: fp16[1,4,1,2]) -> (y: fp16[1,4,1,2]) {
  %W = const() {blob = "W"} : fp16[4,4]
  %0 = abs(%W) : fp16[4,4]
  %1 = const() {value = 2.0} : fp16
  %2 = mul(%0, %1) : fp16[4,4]
  %3 = reshape(%2) {shape = [4, 4, 1, 1]} : fp16[4,4,1,1]
  %4 = conv(%x, %3) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,2]
  %G = const() {blob = "G"} : fp16[1,4,1,1]
  %5 = sigmoid(%G) : fp16[1,4,1,1]
  %6 = mul(%4, %5) : fp16[1,4,1,2]
  %7 = const() {value = 0.5} : fp16
  %8 = mul(%x, %7) : fp16[1,4,1,2]
  %9 = tanh(%8) : fp16[1,4,1,2]
  %10 = const() {value = 1.0} : fp16
  %11 = mul(%10, %9) : fp16[1,4,1,2]
  %y = add(%6, %11) : fp16[1,4,1,2]
  return y = %y
}
)");
    // abs(W) * 2 becomes one weight W_abs_scaled (reshaped for the conv), sigmoid(G) becomes
    // G_sigmoid; scalar math on literals was already evaluated by the front end.
    checkGolden(source, {"fold-constants"}, R"(kernel k(%x: fp16[1,4,1,2]) -> (y: fp16[1,4,1,2]) {
  %W = const() {blob = "W"} : fp16[4,4]
  %0 = const() {value = 2.0} : fp16
  %W_abs_scaled = const() {blob = "W_abs_scaled"} : fp16[4,4,1,1]
  %1 = conv(%x, %W_abs_scaled) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,2]
  %G = const() {blob = "G"} : fp16[1,4,1,1]
  %G_sigmoid = const() {blob = "G_sigmoid"} : fp16[1,4,1,1]
  %2 = mul(%1, %G_sigmoid) : fp16[1,4,1,2]
  %3 = const() {value = 0.5} : fp16
  %4 = mul(%x, %3) : fp16[1,4,1,2]
  %5 = tanh(%4) : fp16[1,4,1,2]
  %6 = const() {value = 1.0} : fp16
  %7 = mul(%6, %5) : fp16[1,4,1,2]
  %y = add(%2, %7) : fp16[1,4,1,2]
  return y = %y
}
)");
}
