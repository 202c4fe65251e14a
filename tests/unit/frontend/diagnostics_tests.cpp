// One test per sema diagnostic: the message, its line and column, and that nothing else is
// reported (errors do not cascade).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "sema_test_support.hpp"
#include "support/memory_limit.hpp"
#include "support/npy.hpp"
#include "unit/temp_dir.hpp"

using anec::test::AneCompile;
using anec::test::TempDir;
using Errors = std::vector<std::string>;

namespace {
// Compiles `source` and checks that it fails with exactly the expected errors.
void expectErrors(const std::string& source, const Errors& expected,
                  anec::frontend::Options options = {}, const std::string& path = "test.ane") {
    AneCompile c(source, std::move(options), path);
    INFO(c.allDiagnostics());
    CHECK_FALSE(c.module);
    CHECK(c.errors() == expected);
}

void expectError(const std::string& source, const std::string& expected) {
    expectErrors(source, {expected});
}

const char* kKernelHead = "kernel k(x: fp16[4]) -> (y: fp16[4]) {\n";

// A kernel with input x: fp16[4, 8] whose body is `body` (line 2 onwards).
std::string kernel48(const std::string& body) {
    return "kernel k(x: fp16[4, 8]) -> (y: fp16[8]) {\n" + body + "\n}\n";
}

const char* kNpyKernel =
    "\nkernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n    y = linear(x, W)\n}\n";
} // namespace

TEST_CASE("diag: adding tensors of incompatible shapes", "[diag]") {
    expectError(
        "kernel k(a: fp16[1, 768, 1, 64], b: fp16[1, 2048, 1, 64]) -> (y: fp16[1, 768, 1, 64]) {\n"
        "    y = a + b\n}\n",
        "2:11: error: cannot add fp16[1,768,1,64] and fp16[1,2048,1,64]");
}

TEST_CASE("diag: mixing fp16 and fp32 tensors", "[diag]") {
    expectError("weight W: fp32[4] = ones()\n" + std::string(kKernelHead) + "    y = x + W\n}\n",
                "3:11: error: cannot add fp16[4] and fp32[4]: element types differ");
}

TEST_CASE("diag: matmul shape mismatch comes from the op registry", "[diag]") {
    expectError(
        "kernel k(a: fp16[2, 3], b: fp16[4, 5]) -> (y: fp16[2, 5]) {\n    y = a @ b\n}\n",
        "2:11: error: cannot matmul fp16[2,3] and fp16[4,5]: inner dimensions 3 and 4 differ");
}

TEST_CASE("diag: use of an undeclared name", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = x + foo\n}\n",
                "2:13: error: use of undeclared name 'foo'");
}

TEST_CASE("diag: call to an undeclared function", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = frob(x)\n}\n",
                "2:9: error: call to undeclared function 'frob'");
}

TEST_CASE("diag: a type name used as a value", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = x * fp16\n}\n",
                "2:13: error: type 'fp16' can only be a builtin argument, as in cast(x, fp16)");
}

TEST_CASE("diag: a let redefining an input, with a note at the first definition", "[diag]") {
    AneCompile c(std::string(kKernelHead) + "    let x = x * 2\n    y = x\n}\n");
    CHECK_FALSE(c.module);
    CHECK(c.allDiagnostics() ==
          "2:9: error: 'x' is already defined\n1:10: note: previous definition is here\n");
}

TEST_CASE("diag: a global defined twice", "[diag]") {
    expectError("const N = 4\nweight N: fp16[4] = zeros()\n", "2:8: error: 'N' is already defined");
}

TEST_CASE("diag: duplicate kernel inputs", "[diag]") {
    expectError("kernel k(x: fp16[4], x: fp16[4]) -> (y: fp16[4]) {\n    y = x\n}\n",
                "1:22: error: 'x' is already defined");
}

TEST_CASE("diag: unknown -D constant has no location", "[diag]") {
    anec::frontend::Options options;
    options.defines["NOPE"] = 3;
    expectErrors("const N = 1\n", {"error: unknown constant 'NOPE' given with -D"}, options);
}

TEST_CASE("diag: division by zero in a constant", "[diag]") {
    expectError("const A = 4 / (2 - 2)\n", "1:13: error: division by zero in constant expression");
}

TEST_CASE("diag: integer overflow in a constant", "[diag]") {
    expectError("const A = 9223372036854775807 + 1\n",
                "1:31: error: integer overflow in constant expression");
}

TEST_CASE("diag: a constant that depends on itself", "[diag]") {
    expectError("const A = B + 1\nconst B = A * 2\n", "1:7: error: constant 'A' depends on itself");
}

TEST_CASE("diag: a float where a dimension is expected", "[diag]") {
    expectError("kernel k(x: fp16[2.5]) -> (y: fp16[4]) {\n    y = x\n}\n",
                "1:18: error: expected an integer, got '2.5'");
}

TEST_CASE("diag: a dimension that is not positive", "[diag]") {
    expectError("kernel k(x: fp16[0]) -> (y: fp16[4]) {\n    y = x\n}\n",
                "1:18: error: dimension 0 must be positive, got 0");
}

TEST_CASE("diag: an unsupported element type", "[diag]") {
    expectError("kernel k(x: fp64[4]) -> (y: fp16[4]) {\n    y = x\n}\n",
                "1:13: error: unknown type 'fp64' (expected fp16, fp32, int32 or bool)");
}

TEST_CASE("diag: a tensor type too large to exist", "[diag]") {
    expectError(
        "kernel k(x: fp16[100000000000, 100000000000, 100000]) -> (y: fp16[4]) {\n    y = x\n}\n",
        "1:13: error: tensor type fp16[100000000000,100000000000,100000] is too large");
}

TEST_CASE("diag: slice out of range", "[diag]") {
    expectError("kernel k(x: fp16[1, 4096, 1, 64]) -> (y: fp16[1, 4096, 1, 64]) {\n    y = x[:, "
                "0:5000]\n}\n",
                "2:14: error: slice 0:5000 is out of range for dimension 1 of size 4096");
}

TEST_CASE("diag: index out of range", "[diag]") {
    expectError(kernel48("    y = x[4]"),
                "2:11: error: index 4 is out of range for dimension 0 of size 4");
}

TEST_CASE("diag: slice step that is not positive", "[diag]") {
    expectError(kernel48("    y = x[:, ::0]"), "2:16: error: slice step must be positive, got 0");
}

TEST_CASE("diag: empty slice", "[diag]") {
    expectError(kernel48("    y = x[:, 5:2]"),
                "2:14: error: slice 5:2 of dimension 1 (size 8) is empty");
}

TEST_CASE("diag: too many subscripts", "[diag]") {
    expectError(kernel48("    y = x[0, 0, 0]"),
                "2:10: error: too many subscripts for fp16[4,8]: 3 given");
}

TEST_CASE("diag: a tensor as a slice bound", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = x[x:]\n}\n",
                "2:11: error: 'x' is not an integer constant");
}

TEST_CASE("diag: .T of a vector", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = x.T\n}\n",
                "2:11: error: '.T' needs a tensor of rank 2 or more, got fp16[4]");
}

TEST_CASE("diag: unknown member", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = x.shap\n}\n",
                "2:11: error: unknown member '.shap' (a tensor has .T and .shape[i]); did you mean "
                "'shape'?");
    expectError(std::string(kKernelHead) + "    y = x.shape\n}\n",
                "2:11: error: '.shape' is used with one dimension, as in 'x.shape[1]'");
}

TEST_CASE("diag: a number meeting a bool tensor", "[diag]") {
    expectError(std::string(kKernelHead) + "    let c = x > 0\n    y = select(c + 1, x, x)\n}\n",
                "3:18: error: cannot use the number 1 with a bool tensor");
}

TEST_CASE("diag: wrong number of builtin arguments", "[diag]") {
    expectError(
        "weight W: fp16[8, 4] = zeros()\n"
        "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n    y = cast(x, fp16, W)\n}\n",
        "3:9: error: cast expects 2 arguments, got 3");
}

TEST_CASE("diag: unknown keyword argument", "[diag]") {
    expectError("weight W: fp16[8, 4, 1, 1] = zeros()\n"
                "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n    y = conv(x, W, "
                "stride = [1, 1])\n}\n",
                "3:20: error: unknown keyword argument 'stride' for conv; did you mean 'strides'?");
}

TEST_CASE("diag: missing argument", "[diag]") {
    expectError("kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n    y = conv(x, strides "
                "= [1, 1])\n}\n",
                "2:9: error: conv is missing argument 'W'");
}

TEST_CASE("diag: positional argument after a keyword", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = softmax(axis = 0, x)\n}\n",
                "2:27: error: positional argument after a keyword argument");
}

TEST_CASE("diag: argument given twice", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = softmax(x, x = x)\n}\n",
                "2:20: error: argument 'x' of softmax is given twice");
}

TEST_CASE("diag: float for an integer argument", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = softmax(x, axis = 1.5)\n}\n",
                "2:27: error: expected an integer, got '1.5'");
}

TEST_CASE("diag: conv with a computed weight", "[diag]") {
    expectError("kernel k(x: fp16[1, 4, 1, 2], w: fp16[8, 4, 1, 1]) -> (y: fp16[1, 8, 1, 2]) {\n   "
                " y = conv(x, w)\n}\n",
                "2:17: error: conv needs a constant weight (a weight or an expression of weights), "
                "got a computed "
                "fp16[8,4,1,1]; use matmul for computed operands");
}

TEST_CASE("diag: linear channel mismatch", "[diag]") {
    expectError(
        "weight W: fp16[8, 3] = zeros()\n"
        "kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 8, 1, 2]) {\n    y = linear(x, W)\n}\n",
        "3:9: error: linear weight fp16[8,3] expects 3 input channels but x fp16[1,4,1,2] has 4");
}

TEST_CASE("diag: unknown gelu mode", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = gelu(x, mode = \"fast\")\n}\n",
                "2:24: error: gelu mode must be \"exact\", \"tanh\" or \"sigmoid\", got \"fast\"");
}

TEST_CASE("diag: cast to an unsupported type", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = cast(x, fp64)\n}\n",
                "2:17: error: cast expects a type (fp16, fp32, int32 or bool) for 'dtype'");
}

TEST_CASE("diag: split without sizes or parts", "[diag]") {
    expectError(std::string(kKernelHead) + "    let (a, b) = split(x, axis = 0)\n    y = a\n}\n",
                "2:18: error: split needs exactly one of sizes=[..] and parts=N");
}

TEST_CASE("diag: unpacking into the wrong number of names", "[diag]") {
    expectError(std::string(kKernelHead) +
                    "    let (a, b, c) = split(x, parts = 2, axis = 0)\n    y = a\n}\n",
                "2:5: error: cannot bind 2 values to 3 names");
}

TEST_CASE("diag: a tuple bound to one name", "[diag]") {
    expectError(std::string(kKernelHead) +
                    "    let s = split(x, parts = 2, axis = 0)\n    y = s\n}\n",
                "2:5: error: the expression gives 2 values; bind them with let (a, b, ...) = ...");
}

TEST_CASE("diag: output assigned a value of another type", "[diag]") {
    expectError(
        "kernel k(x: fp16[1, 2048, 1, 64]) -> (y: fp32[1, 768, 1, 64]) {\n    y = x * 2\n}\n",
        "2:5: error: output 'y' is declared fp32[1,768,1,64] but assigned fp16[1,2048,1,64]");
}

TEST_CASE("diag: output never assigned", "[diag]") {
    expectError("kernel k(x: fp16[4]) -> (y: fp16[4], z: fp16[4]) {\n    y = x\n}\n",
                "1:38: error: output 'z' is never assigned");
}

TEST_CASE("diag: output assigned twice, with a note at the first assignment", "[diag]") {
    AneCompile c(std::string(kKernelHead) + "    y = x * 2\n    y = x * 3\n}\n");
    CHECK_FALSE(c.module);
    CHECK(c.allDiagnostics() ==
          "3:5: error: output 'y' is assigned twice\n2:5: note: first assigned here\n");
}

TEST_CASE("diag: output read before it is assigned", "[diag]") {
    expectError("kernel k(x: fp16[4]) -> (y: fp16[4], z: fp16[4]) {\n    z = y * 2\n    y = x\n}\n",
                "2:9: error: output 'y' is used before it is assigned");
}

TEST_CASE("diag: assigning something that is not an output", "[diag]") {
    expectError(std::string(kKernelHead) + "    x = x * 2\n    y = x\n}\n",
                "2:5: error: cannot assign to 'x': it is not an output of kernel 'k'");
}

TEST_CASE("diag: return in a kernel", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = x\n    return x\n}\n",
                "3:5: error: 'return' is only allowed in a function; a kernel assigns its outputs");
}

TEST_CASE("diag: return that is not the last statement", "[diag]") {
    expectError("fn f(x) {\n    return x\n    let z = x\n}\n" + std::string(kKernelHead) +
                    "    y = f(x)\n}\n",
                "2:5: error: 'return' must be the last statement of function 'f'");
}

TEST_CASE("diag: function without return", "[diag]") {
    expectError("fn f(x) {\n    let z = x\n}\n" + std::string(kKernelHead) + "    y = f(x)\n}\n",
                "1:4: error: function 'f' does not return a value");
}

TEST_CASE("diag: wrong number of function arguments", "[diag]") {
    expectError("fn f(a, b) { return a + b }\n" + std::string(kKernelHead) + "    y = f(x)\n}\n",
                "3:9: error: f expects 2 arguments, got 1");
}

TEST_CASE("diag: function argument of the wrong type", "[diag]") {
    expectError("fn f(v: fp16[8]) { return v }\n" + std::string(kKernelHead) + "    y = f(x)\n}\n",
                "3:11: error: parameter 'v' of 'f' is declared fp16[8] but got fp16[4]");
}

TEST_CASE("diag: function result of the wrong type", "[diag]") {
    expectError("fn f(v) -> fp16[8] { return v * 2 }\n" + std::string(kKernelHead) +
                    "    y = f(x)\n}\n",
                "1:22: error: the result of 'f' is declared fp16[8] but got fp16[4]");
}

TEST_CASE("diag: recursive functions", "[diag]") {
    expectError("fn f(x) { return g(x) }\nfn g(x) { return f(x) }\n" + std::string(kKernelHead) +
                    "    y = f(x)\n}\n",
                "2:18: error: recursive call to 'f'");
}

TEST_CASE("diag: undeclared name in a function no kernel calls", "[diag]") {
    expectError("fn f(x) { return x + bar }\n", "1:22: error: use of undeclared name 'bar'");
}

TEST_CASE("diag: negative random seed", "[diag]") {
    expectError("weight W: fp16[4] = random(-1, 0.1)\n",
                "1:28: error: random seed must be non-negative, got -1");
}

TEST_CASE("diag: sqrt of a negative number in a weight scale", "[diag]") {
    expectError("weight W: fp16[4] = random(1, sqrt(0 - 4))\n",
                "1:31: error: sqrt of a negative number (-4)");
}

TEST_CASE("diag: sqrt of a negative number in a kernel", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = x * sqrt(0 - 2)\n}\n",
                "2:13: error: sqrt of -2: negative argument");
}

TEST_CASE("diag: unknown weight source", "[diag]") {
    expectError(
        "weight W: fp16[4] = uniform(0, 1)\n",
        "1:21: error: unknown weight source 'uniform' (expected random, npy, zeros or ones)");
}

TEST_CASE("diag: weight too large to materialise", "[diag]") {
    anec::ScopedMemoryLimit limit(1ull << 30);
    expectError("weight W: fp16[100000, 100000] = zeros()\n",
                "1:11: error: weight 'W' fp16[100000,100000] needs 20000000000 bytes (18.6 GiB), "
                "more than the memory limit of 1.0 GiB (--max-memory or ANEC_MAX_MEMORY)");
}

TEST_CASE("diag: missing weight file", "[diag]") {
    TempDir dir;
    expectErrors("weight W: fp16[8, 4] = npy(\"missing.npy\")" + std::string(kNpyKernel),
                 {"1:28: error: cannot open weight file 'missing.npy'"}, {},
                 (dir / "model.ane").string());
}

TEST_CASE("diag: weight file of the wrong shape", "[diag]") {
    TempDir dir;
    REQUIRE(anec::npy::write(
        (dir.path() / "w.npy").string(),
        anec::npy::Array::fromDoubles(anec::npy::DType::Float32, {4, 8}, std::vector<double>(32))));
    expectErrors("weight W: fp16[8, 4] = npy(\"w.npy\")" + std::string(kNpyKernel),
                 {"1:28: error: weight 'W' is declared fp16[8,4] but w.npy holds float32[4,8]"}, {},
                 (dir / "model.ane").string());
}

TEST_CASE("diag: malformed weight file", "[diag]") {
    TempDir dir;
    std::ofstream((dir.path() / "bad.npy").string()) << "PK\x03\x04 not numpy";
    expectErrors("weight W: fp16[8, 4] = npy(\"bad.npy\")" + std::string(kNpyKernel),
                 {"1:28: error: weight file 'bad.npy' is not a valid .npy file: not a .npy file "
                  "(bad magic)"},
                 {}, (dir / "model.ane").string());
}

TEST_CASE("diag: every error is reported and poisoned names do not cascade", "[diag]") {
    expectErrors("const A = 1 / 0\n"
                 "kernel k(x: fp16[4]) -> (y: fp16[4], z: fp16[4]) {\n"
                 "    let a = x + foo\n"
                 "    let b = a * 2\n"
                 "    let c = x[9:]\n"
                 "    y = b + c\n"
                 "    z = x @ x @ bar\n"
                 "}\n",
                 {"1:13: error: division by zero in constant expression",
                  "3:17: error: use of undeclared name 'foo'",
                  "5:15: error: slice 9: is out of range for dimension 0 of size 4",
                  "7:17: error: use of undeclared name 'bar'"});
}

TEST_CASE("diag: modulo of tensors", "[diag]") {
    expectError(std::string(kKernelHead) + "    y = x % 2\n}\n",
                "2:11: error: '%' is only defined between constants");
}

TEST_CASE("diag: modulo by zero in a constant", "[diag]") {
    expectError("const A = 7 % (3 - 3)\n", "1:13: error: division by zero in constant expression");
}
