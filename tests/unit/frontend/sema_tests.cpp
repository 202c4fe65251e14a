// Semantic analysis and IR generation of .ane: the IR each construct lowers to.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "frontend/weights.hpp"
#include "sema_test_support.hpp"
#include "support/fp16.hpp"
#include "support/npy.hpp"

using anec::test::AneCompile;
using anec::test::kernelSource;
namespace ir = anec::ir;
namespace npy = anec::npy;

namespace {
using Kinds = std::vector<std::string>;

const char* kSeed = R"(
const DIM = 768
const HIDDEN = 2048
const SEQ = 64
weight W1: fp16[HIDDEN, DIM] = random(seed = 1, scale = 0.0221)
weight W3: fp16[HIDDEN, DIM] = random(3, 0.0221)
kernel ffn_w13_bwd(x: fp32[1, 2*HIDDEN, 1, SEQ]) -> (y: fp32[1, DIM, 1, SEQ]) {
    let dh1 = x[:, 0:HIDDEN, :, :]
    let dh3 = x[:, HIDDEN:2*HIDDEN, :, :]
    y = linear(dh1, W1.T) + linear(dh3, W3.T)
}
)";

ir::TensorType fp16(ir::Shape shape) {
    return {ir::DType::Fp16, std::move(shape)};
}

std::vector<int64_t> intList(const ir::Op& op, const std::string& name) {
    const auto* value = op.attr<std::vector<int64_t>>(name);
    REQUIRE(value);
    return *value;
}

// Lowers `body` in a kernel with input x: fp16[1, 4, 1, 8] and checks it compiles.
struct Fp16Kernel : AneCompile {
    explicit Fp16Kernel(const std::string& body, const std::string& outType = "fp16[1, 4, 1, 8]",
                        const std::string& prelude = "")
        : AneCompile(kernelSource("fp16[1, 4, 1, 8]", outType, body, prelude)) {
        INFO(allDiagnostics());
        REQUIRE(module);
    }
    const ir::Value* output() const { return kernel().outputs.at(0).value; }
};

std::filesystem::path tempDir() {
    auto dir =
        std::filesystem::temp_directory_path() / ("anec_sema_tests_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}
} // namespace

TEST_CASE("the seed kernel lowers to cast, two slices, two convs of transposed weights, add, cast",
          "[sema]") {
    AneCompile c(kSeed);
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    REQUIRE(c.module->kernels.size() == 1);
    CHECK(c.opKinds() == Kinds{"cast", "slice_by_size", "slice_by_size", "const", "transpose",
                               "reshape", "conv", "const", "transpose", "reshape", "conv", "add",
                               "cast"});
    const ir::Kernel& k = c.kernel();
    CHECK(k.name == "ffn_w13_bwd");
    REQUIRE(k.inputs.size() == 1);
    CHECK(k.inputs[0]->name == "x");
    CHECK(k.inputs[0]->type == ir::TensorType{ir::DType::Fp32, {1, 4096, 1, 64}});

    auto casts = c.opsOf("cast");
    CHECK(casts[0]->result()->name == "x16");
    CHECK(*casts[0]->attr<std::string>("dtype") == "fp16");
    CHECK(casts[0]->result()->type == fp16({1, 4096, 1, 64}));
    CHECK(casts[1]->result()->name == "y");
    CHECK(casts[1]->result()->type == ir::TensorType{ir::DType::Fp32, {1, 768, 1, 64}});

    auto slices = c.opsOf("slice_by_size");
    CHECK(slices[0]->result()->name == "dh1");
    CHECK(intList(*slices[0], "begin") == std::vector<int64_t>{0, 0, 0, 0});
    CHECK(intList(*slices[0], "size") == std::vector<int64_t>{1, 2048, 1, 64});
    CHECK(slices[1]->result()->name == "dh3");
    CHECK(intList(*slices[1], "begin") == std::vector<int64_t>{0, 2048, 0, 0});

    auto consts = c.opsOf("const");
    CHECK(consts[0]->constData->blobName == "W1");
    CHECK(consts[1]->constData->blobName == "W3");
    CHECK(consts[0]->result()->type == fp16({2048, 768}));
    CHECK(intList(*c.opsOf("transpose")[0], "perm") == std::vector<int64_t>{1, 0});
    CHECK(c.opsOf("reshape")[0]->result()->type == fp16({768, 2048, 1, 1}));

    const ir::Op& conv = *c.opsOf("conv")[0];
    CHECK(conv.result()->type == fp16({1, 768, 1, 64}));
    CHECK(*conv.attr<std::string>("pad_type") == "valid");
    CHECK(intList(conv, "strides") == std::vector<int64_t>{1, 1});
    CHECK(intList(conv, "pad") == std::vector<int64_t>{0, 0, 0, 0});
    CHECK(*conv.attr<int64_t>("groups") == 1);
    REQUIRE(k.outputs.size() == 1);
    CHECK(k.outputs[0].name == "y");
    CHECK(k.outputs[0].value == casts[1]->result());
}

TEST_CASE("fp16 inputs and outputs need no casts; int32 inputs are not cast", "[sema]") {
    AneCompile c(R"(
kernel k(x: fp16[1, 4, 1, 8], n: int32[1, 4, 1, 8]) -> (y: fp16[1, 4, 1, 8], m: int32[1, 4, 1, 8]) {
    y = x + x
    m = n * 2
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(c.opKinds() == Kinds{"add", "const", "mul"});
    CHECK(c.kernel().outputs[0].value->name == "y");
    const ir::Op& two = *c.opsOf("const")[0];
    CHECK(two.result()->type == ir::TensorType{ir::DType::Int32, {}});
    CHECK(two.constData->at(0) == 2.0);
    CHECK(c.kernel().outputs[1].value->type.dtype == ir::DType::Int32);
}

TEST_CASE("an output assigned an input or another output gets an identity op", "[sema]") {
    AneCompile c(R"(
kernel k(x: fp16[1, 4, 1, 8]) -> (a: fp16[1, 4, 1, 8], b: fp16[1, 4, 1, 8], c: fp32[1, 4, 1, 8]) {
    a = x
    let s = x * x
    b = s
    c = s
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(c.opKinds() == Kinds{"mul", "identity", "cast"});
    const auto& outputs = c.kernel().outputs;
    CHECK(outputs[0].value->name == "a");
    CHECK(outputs[1].value->name == "b"); // the output name wins over the let name
    CHECK(outputs[2].value->name == "c");
    CHECK(outputs[2].value->type.dtype == ir::DType::Fp32);
}

TEST_CASE("let bindings name their values", "[sema]") {
    Fp16Kernel c("let a = x * x\nlet b = a + x\ny = b - a");
    CHECK(c.opKinds() == Kinds{"mul", "add", "sub"});
    CHECK(c.opsOf("mul")[0]->result()->name == "a");
    CHECK(c.opsOf("add")[0]->result()->name == "b");
    CHECK(c.output()->name == "y");
}

TEST_CASE("literals take the dtype of the tensor they meet", "[sema]") {
    Fp16Kernel c("y = 0.5 * x + 1");
    CHECK(c.opKinds() == Kinds{"const", "mul", "const", "add"});
    auto consts = c.opsOf("const");
    CHECK(consts[0]->result()->type == fp16({}));
    CHECK(consts[0]->constData->at(0) == 0.5);
    CHECK(consts[1]->result()->type == fp16({}));
    CHECK(consts[1]->constData->at(0) == 1.0);
    CHECK(consts[0]->constData->blobName.empty());
}

TEST_CASE("literal arithmetic and consts are folded before meeting a tensor", "[sema]") {
    Fp16Kernel c("y = x * (1 / 4 + N)", "fp16[1, 4, 1, 8]", "const N = 2");
    CHECK(c.opKinds() == Kinds{"const", "mul"});
    CHECK(c.opsOf("const")[0]->constData->at(0) == 2.25);
}

TEST_CASE("binary operators broadcast like numpy", "[sema]") {
    AneCompile c(R"(
weight b: fp16[1, 4, 1, 1] = ones()
kernel k(x: fp16[1, 4, 1, 8]) -> (y: fp16[1, 4, 1, 8]) {
    y = (x - b) / b
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(c.opKinds() == Kinds{"const", "sub", "real_div"});
    CHECK(c.opsOf("const").size() == 1); // a weight is one const per kernel
    CHECK(c.opsOf("real_div")[0]->result()->type == fp16({1, 4, 1, 8}));
}

TEST_CASE("@ is matmul and unary minus multiplies by -1", "[sema]") {
    AneCompile c(R"(
kernel k(a: fp16[2, 8, 16], b: fp16[2, 16, 4]) -> (y: fp16[2, 8, 4]) {
    y = -(a @ b)
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(c.opKinds() == Kinds{"matmul", "const", "mul"});
    CHECK(*c.opsOf("matmul")[0]->attr<bool>("transpose_x") == false);
    CHECK(c.opsOf("const")[0]->constData->at(0) == -1.0);
    CHECK(c.kernel().outputs[0].value->type == fp16({2, 8, 4}));
}

TEST_CASE("comparisons give bool tensors that select takes", "[sema]") {
    Fp16Kernel c("let positive = x > 0\ny = select(positive, x, 0.1 * x)");
    CHECK(c.opKinds() == Kinds{"const", "greater", "const", "mul", "select"});
    CHECK(c.opsOf("greater")[0]->result()->type == ir::TensorType{ir::DType::Bool, {1, 4, 1, 8}});
    for (const char* op : {"<", "<=", ">=", "==", "!="}) {
        Fp16Kernel d(std::string("y = select(x ") + op + " x, x, x)");
        CHECK(d.opKinds().size() == 2);
    }
}

TEST_CASE("unit-step range subscripts lower to slice_by_size", "[sema]") {
    AneCompile c(
        kernelSource("fp16[1, 16, 1, 64]", "fp16[1, 4, 1, 32]", "y = x[:, -8:12, ..., 32:]"));
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    REQUIRE(c.opKinds() == Kinds{"slice_by_size"});
    const ir::Op& slice = *c.opsOf("slice_by_size")[0];
    CHECK(intList(slice, "begin") == std::vector<int64_t>{0, 8, 0, 32});
    CHECK(intList(slice, "size") == std::vector<int64_t>{1, 4, 1, 32});
}

TEST_CASE("steps and indices lower to slice_by_index", "[sema]") {
    AneCompile c(kernelSource("fp16[1, 16, 1, 64]", "fp16[8, 1, 16]", "y = x[0, ::2, :, -16:]"));
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    REQUIRE(c.opKinds() == Kinds{"slice_by_index"});
    const ir::Op& slice = *c.opsOf("slice_by_index")[0];
    CHECK(intList(slice, "begin") == std::vector<int64_t>{0, 0, 0, 48});
    CHECK(intList(slice, "end") == std::vector<int64_t>{1, 16, 1, 64});
    CHECK(intList(slice, "stride") == std::vector<int64_t>{1, 2, 1, 1});
    CHECK(intList(slice, "squeeze_mask") == std::vector<int64_t>{1, 0, 0, 0});
    CHECK(slice.result()->type == fp16({8, 1, 16}));
}

TEST_CASE("a subscript selecting everything is the tensor itself", "[sema]") {
    Fp16Kernel c("let a = x[:, :]\nlet b = x[...]\ny = a + b");
    CHECK(c.opKinds() == Kinds{"add"});
}

TEST_CASE("slice bounds may use consts and integer lets", "[sema]") {
    Fp16Kernel c("let n = H / 2\ny = x[:, n:H] * 2", "fp16[1, 2, 1, 8]", "const H = 4");
    CHECK(intList(*c.opsOf("slice_by_size")[0], "begin") == std::vector<int64_t>{0, 2, 0, 0});
}

TEST_CASE(".T swaps the last two dimensions", "[sema]") {
    AneCompile c(kernelSource("fp16[2, 3, 5]", "fp16[2, 5, 3]", "y = x.T"));
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(intList(*c.opsOf("transpose")[0], "perm") == std::vector<int64_t>{0, 2, 1});
}

TEST_CASE("linear lowers to a reshaped constant weight and a 1x1 conv", "[sema]") {
    Fp16Kernel c("y = linear(x, W)", "fp16[1, 6, 1, 8]", "weight W: fp16[6, 4] = zeros()");
    CHECK(c.opKinds() == Kinds{"const", "reshape", "conv"});
    CHECK(intList(*c.opsOf("reshape")[0], "shape") == std::vector<int64_t>{6, 4, 1, 1});
}

TEST_CASE("linear accepts scaled weights (folded at build time)", "[sema]") {
    Fp16Kernel c("y = linear(x, W * 0.5)", "fp16[1, 6, 1, 8]", "weight W: fp16[6, 4] = ones()");
    CHECK(c.opKinds() == Kinds{"const", "const", "mul", "reshape", "conv"});
}

TEST_CASE("conv takes strides, padding, dilations and groups", "[sema]") {
    const char* prelude = "weight K: fp16[8, 2, 3, 3] = random(7, 0.1)";
    Fp16Kernel same("y = conv(x, K, padding = \"same\", groups = 2)", "fp16[1, 8, 1, 8]", prelude);
    const ir::Op& conv = *same.opsOf("conv")[0];
    CHECK(*conv.attr<std::string>("pad_type") == "same");
    CHECK(*conv.attr<int64_t>("groups") == 2);

    Fp16Kernel custom("y = conv(x, K, [1, 2], [1, 1, 1, 1], [1, 1], 2)", "fp16[1, 8, 1, 4]",
                      prelude);
    const ir::Op& conv2 = *custom.opsOf("conv")[0];
    CHECK(*conv2.attr<std::string>("pad_type") == "custom");
    CHECK(intList(conv2, "pad") == std::vector<int64_t>{1, 1, 1, 1});
    CHECK(intList(conv2, "strides") == std::vector<int64_t>{1, 2});
}

TEST_CASE("matmul builtin passes transpose flags", "[sema]") {
    AneCompile c(R"(
kernel k(a: fp16[8, 16], b: fp16[4, 16]) -> (y: fp16[8, 4]) {
    y = matmul(a, b, transpose_y = true)
}
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(*c.opsOf("matmul")[0]->attr<bool>("transpose_y") == true);
}

TEST_CASE("shape builtins: cast, reshape, transpose, concat, split", "[sema]") {
    Fp16Kernel cast("y = cast(cast(x, fp32), fp16)");
    CHECK(cast.opKinds() == Kinds{"cast", "cast"});
    CHECK(cast.opsOf("cast")[0]->result()->type.dtype == ir::DType::Fp32);

    Fp16Kernel reshape("y = reshape(x, [1, 8, 1, -1])", "fp16[1, 8, 1, 4]");
    CHECK(intList(*reshape.opsOf("reshape")[0], "shape") == std::vector<int64_t>{1, 8, 1, -1});

    Fp16Kernel transpose("y = transpose(x, [0, 3, 2, 1])", "fp16[1, 8, 1, 4]");
    CHECK(transpose.output()->type == fp16({1, 8, 1, 4}));

    Fp16Kernel concat("y = concat([x, x * 2], axis = 1)", "fp16[1, 8, 1, 8]");
    const ir::Op& op = *concat.opsOf("concat")[0];
    CHECK(op.operands.size() == 2);
    CHECK(*op.attr<int64_t>("axis") == 1);

    Fp16Kernel split("let (a, b) = split(x, sizes = [1, 3], axis = 1)\ny = concat([b, a], 1)");
    const ir::Op& s = *split.opsOf("split")[0];
    CHECK(s.results.size() == 2);
    CHECK(s.result(0)->name == "a");
    CHECK(s.result(1)->type == fp16({1, 3, 1, 8}));
    CHECK(intList(s, "split_sizes") == std::vector<int64_t>{1, 3});

    Fp16Kernel parts("let (a, b) = split(x, parts = 2, axis = -1)\ny = concat([a, b], 3)");
    CHECK(*parts.opsOf("split")[0]->attr<int64_t>("num_splits") == 2);
}

TEST_CASE("reductions and softmax", "[sema]") {
    Fp16Kernel softmax("y = softmax(x, axis = 1)");
    CHECK(*softmax.opsOf("softmax")[0]->attr<int64_t>("axis") == 1);
    Fp16Kernel defaultAxis("y = softmax(x)");
    CHECK(*defaultAxis.opsOf("softmax")[0]->attr<int64_t>("axis") == -1);
    for (const char* kind : {"reduce_sum", "reduce_mean", "reduce_max"}) {
        Fp16Kernel keep(std::string("y = x - ") + kind + "(x, axes = [1], keep_dims = true)");
        CHECK(keep.opsOf(kind).size() == 1);
        Fp16Kernel drop(std::string("y = ") + kind + "(x, [1, 3])", "fp16[1, 1]");
        CHECK(drop.output()->type == fp16({1, 1}));
    }
}

TEST_CASE("elementwise builtins", "[sema]") {
    for (const char* kind : {"sqrt", "exp", "tanh", "sigmoid", "relu", "silu", "abs"}) {
        Fp16Kernel c(std::string("y = ") + kind + "(x)");
        CHECK(c.opKinds() == Kinds{kind});
    }
    Fp16Kernel rsqrt("y = rsqrt(x, epsilon = 1e-6) + log(x)");
    CHECK(*rsqrt.opsOf("rsqrt")[0]->attr<double>("epsilon") == 1e-6);
    CHECK(*rsqrt.opsOf("log")[0]->attr<double>("epsilon") == 0x1p-14); // fp16-safe default
    Fp16Kernel pow("y = pow(x, 2) + maximum(x, 0) + minimum(1, x)");
    CHECK(pow.opsOf("pow").size() == 1);
    CHECK(pow.opsOf("maximum").size() == 1);
    CHECK(pow.opsOf("minimum")[0]->operands[0]->definingOp->isConst());
    Fp16Kernel gelu("y = gelu(x) + gelu(x, mode = \"tanh\") + gelu(x, \"sigmoid\")");
    auto gelus = gelu.opsOf("gelu");
    CHECK(*gelus[0]->attr<std::string>("mode") == "EXACT");
    CHECK(*gelus[1]->attr<std::string>("mode") == "TANH_APPROXIMATION");
    CHECK(*gelus[2]->attr<std::string>("mode") == "SIGMOID_APPROXIMATION");
    Fp16Kernel clip("y = clip(x, -1, 0.5 * 2)");
    CHECK(*clip.opsOf("clip")[0]->attr<double>("alpha") == -1.0);
    CHECK(*clip.opsOf("clip")[0]->attr<double>("beta") == 1.0);
}

TEST_CASE("layer_norm and rms_norm", "[sema]") {
    const char* prelude = "weight g: fp16[1, 4, 1, 1] = ones()\nweight b: fp16[4] = zeros()";
    Fp16Kernel ln("y = layer_norm(x, axes = [1], gamma = g, beta = b, epsilon = 1e-6)",
                  "fp16[1, 4, 1, 8]", prelude);
    // gamma written broadcastable to x is reshaped to MIL's [C]; beta already is [C].
    CHECK(ln.opKinds() == Kinds{"const", "const", "reshape", "layer_norm"});
    const ir::Op& op = *ln.opsOf("layer_norm")[0];
    REQUIRE(op.operands.size() == 3);
    CHECK(op.operands[1]->type == fp16({4}));
    CHECK(*op.attr<double>("epsilon") == 1e-6);
    Fp16Kernel noAffine("y = layer_norm(x, [1])");
    CHECK(noAffine.opsOf("layer_norm")[0]->operands[1] == nullptr);

    Fp16Kernel rms("y = rms_norm(x, axes = [1], gamma = g)", "fp16[1, 4, 1, 8]", prelude);
    CHECK(rms.opKinds() == Kinds{"const", "mul", "reduce_mean", "rsqrt", "mul", "mul"});
    const ir::Op& mean = *rms.opsOf("reduce_mean")[0];
    CHECK(*mean.attr<bool>("keep_dims") == true);
    CHECK(mean.result()->type == fp16({1, 1, 1, 8}));
    CHECK(*rms.opsOf("rsqrt")[0]->attr<double>("epsilon") == 0x1p-14); // fp16-safe default
    // gamma written in MIL's [C] form is reshaped to broadcast against x.
    Fp16Kernel rmsMil("y = rms_norm(x, axes = [1], gamma = b)", "fp16[1, 4, 1, 8]", prelude);
    CHECK(rmsMil.opsOf("reshape")[0]->result()->type == fp16({1, 4, 1, 1}));
}

TEST_CASE("elementwise builtins fold on numbers", "[sema]") {
    Fp16Kernel c("y = x * (1 / sqrt(N)) + exp(0) * abs(-2) + rsqrt(4, epsilon = 0) + log(1, 0)",
                 "fp16[1, 4, 1, 8]", "const N = 16");
    CHECK(c.opKinds() == Kinds{"const", "mul", "const", "add", "const", "add", "const", "add"});
    auto consts = c.opsOf("const");
    CHECK(consts[0]->constData->at(0) == 0.25);
    CHECK(consts[1]->constData->at(0) == 2.0);
    CHECK(consts[2]->constData->at(0) == 0.5);
    CHECK(consts[3]->constData->at(0) == 0.0);
}

TEST_CASE("a hand-built syntax tree with holes is reported, never crashes", "[sema]") {
    anec::SourceManager sources;
    anec::DiagnosticEngine diagnostics(sources);
    uint32_t file = sources.addFile("holes.ane", "");
    anec::ast::Program program;
    program.file = file;
    program.decls.push_back({anec::ast::ConstDecl{"C", {file, 1, 1}, nullptr}});
    anec::ast::WeightDecl weight;
    weight.name = "W";
    weight.type.dtype = "fp16";
    program.decls.push_back({std::move(weight)});
    anec::ast::KernelDecl kernel;
    kernel.name = "k";
    kernel.loc = {file, 3, 8};
    anec::ast::TypeExpr type;
    type.dtype = "fp16";
    type.hasShape = true;
    type.dims.push_back(nullptr);
    kernel.inputs.push_back({"x", {file, 3, 10}, std::move(type), nullptr});
    anec::ast::TypeExpr outType;
    outType.dtype = "fp16";
    kernel.outputs.push_back({"y", {file, 3, 20}, std::move(outType), nullptr});
    // Statements whose expressions failed to parse (null values) must not crash sema.
    anec::ast::Stmt assign;
    assign.loc = {file, 4, 5};
    assign.node = anec::ast::AssignStmt{{{"y", {file, 4, 5}}}, nullptr};
    kernel.body.push_back(std::move(assign));
    anec::ast::Stmt let;
    let.loc = {file, 5, 5};
    anec::ast::LetStmt letNode;
    letNode.names.push_back({"z", {file, 5, 9}});
    let.node = std::move(letNode);
    kernel.body.push_back(std::move(let));
    program.decls.push_back({std::move(kernel)});
    auto module = anec::frontend::lowerProgram(program, &sources, diagnostics, {});
    CHECK_FALSE(module);
    CHECK(diagnostics.hasErrors());
}

TEST_CASE("functions are inlined with their own scope", "[sema]") {
    const char* prelude = R"(
fn gelu_tanh(x) { return 0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x * x * x))) }
fn twice(v: fp16[1, 4, 1, 8]) -> fp16[1, 4, 1, 8] { let d = v + v  return d }
)";
    Fp16Kernel c("let t = twice(x)\ny = gelu_tanh(t) + twice(t)", "fp16[1, 4, 1, 8]", prelude);
    CHECK(c.opsOf("tanh").size() == 1);
    auto adds = c.opsOf("add");
    REQUIRE(adds.size() == 5); // twice, 1 + tanh, x + ..., twice, final
    CHECK(adds[0]->result()->name == "t");
    CHECK(c.output()->name == "y");
}

TEST_CASE("function arguments may be given by keyword and may be numbers", "[sema]") {
    Fp16Kernel c("y = scale(s = 3, v = x)", "fp16[1, 4, 1, 8]", "fn scale(v, s) { return v * s }");
    CHECK(c.opKinds() == Kinds{"const", "mul"});
    CHECK(c.opsOf("const")[0]->constData->at(0) == 3.0);
}

TEST_CASE("integer constants: floor division, precedence and -D overrides", "[sema]") {
    const char* source = R"(
const A = -7 / 2
const B = 2 + 3 * 4 - (1 - 2)
const S = 8
const M = -7 % 3 + 10 % 4 * 10
kernel k(x: fp16[1, S, M, B]) -> (y: fp16[1, S, M, B]) { y = x * A }
)";
    AneCompile c(source);
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    // % follows Python: the result takes the divisor's sign (-7 % 3 == 2).
    CHECK(c.kernel().inputs[0]->type == fp16({1, 8, 22, 15}));
    CHECK(c.opsOf("const")[0]->constData->at(0) == -4.0);

    anec::frontend::Options options;
    options.defines["S"] = 16;
    AneCompile overridden(source, options);
    REQUIRE(overridden.module);
    CHECK(overridden.kernel().inputs[0]->type == fp16({1, 16, 22, 15}));
}

TEST_CASE("constants may refer to later constants", "[sema]") {
    AneCompile c("const A = B * 2\nconst B = 3\n" +
                 kernelSource("fp16[1, A]", "fp16[1, A]", "y = x"));
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    CHECK(c.kernel().inputs[0]->type == fp16({1, 6}));
}

TEST_CASE("SplitMix64 matches the reference sequence", "[sema]") {
    anec::frontend::SplitMix64 zero(0);
    CHECK(zero.next() == 0xE220A8397B1DCDAFULL);
    CHECK(zero.next() == 0x6E789E6AA1B965F4ULL);
    CHECK(zero.next() == 0x06C45D188009454FULL);
    anec::frontend::SplitMix64 one(1);
    CHECK(one.next() == 0x910A2DEC89025CC1ULL);
    CHECK(one.next() == 0xBEEB8DA1658EEC67ULL);
    CHECK(anec::frontend::uniformSigned(0, 2.0) == -2.0);
    CHECK(anec::frontend::uniformSigned(~0ULL, 1.0) == 1.0 - 0x1.0p-52);
}

TEST_CASE("random weights hold the documented values and are deterministic", "[sema]") {
    const char* source = R"(
const H = 4
weight W: fp16[2, 2] = random(seed = 0, scale = 0.0221)
weight V: fp32[2, 2] = random(1, 0.0442 / sqrt(H))
kernel k(x: fp16[1, 2, 1, 8]) -> (y: fp16[1, 2, 1, 8], z: fp32[2, 2]) {
    y = linear(x, W)
    z = cast(W, fp32) + V
}
)";
    AneCompile a(source);
    INFO(a.allDiagnostics());
    REQUIRE(a.module);
    auto consts = a.opsOf("const");
    REQUIRE(consts.size() == 2);
    const anec::ir::ConstData& w = *consts[0]->constData;
    // scale * (2u - 1) for the first SplitMix64 outputs of seed 0, rounded to fp16 (computed
    // independently with Python's struct.pack('<e', ...)).
    const uint16_t expectedHalf[] = {0x2456, 0x9a33, 0xa55c, 0x2554};
    for (int i = 0; i < 4; ++i) {
        uint16_t bits;
        std::memcpy(&bits, w.bytes().data() + 2 * i, 2);
        CHECK(bits == expectedHalf[i]);
    }
    const anec::ir::ConstData& v = *consts[1]->constData;
    const uint32_t expectedFloat[] = {0x3b40ceef, 0x3c31fd0c, 0x3caa8b2f, 0xbb212c96};
    for (int i = 0; i < 4; ++i) {
        uint32_t bits;
        std::memcpy(&bits, v.bytes().data() + 4 * i, 4);
        CHECK(bits == expectedFloat[i]);
    }
    AneCompile b(source);
    REQUIRE(b.module);
    CHECK(b.opsOf("const")[0]->constData->bytes() == w.bytes());
    CHECK(b.opsOf("const")[1]->constData->bytes() == v.bytes());
}

TEST_CASE("zeros and ones weights; unused weights emit nothing; each kernel has its own const",
          "[sema]") {
    AneCompile c(R"(
weight Z: fp16[2, 3] = zeros()
weight O: int32[3] = ones()
weight unused: fp16[2] = zeros()
kernel a(x: fp16[2, 3]) -> (y: fp16[2, 3]) { y = x + Z }
kernel b(x: fp16[2, 3]) -> (y: fp16[2, 3]) { y = x * Z }
kernel c(n: int32[3]) -> (m: int32[3]) { m = n + O }
)");
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    REQUIRE(c.module->kernels.size() == 3);
    CHECK(c.opKinds(0) == Kinds{"const", "add"});
    CHECK(c.opKinds(1) == Kinds{"const", "mul"});
    const auto& zeros = *c.opsOf("const", 0)[0]->constData;
    CHECK(zeros.toDoubles() == std::vector<double>(6, 0.0));
    CHECK(zeros.blobName == "Z");
    CHECK(c.opsOf("const", 1)[0]->constData.get() == &zeros); // shared, not copied
    CHECK(c.opsOf("const", 2)[0]->constData->toInts() == std::vector<int64_t>{1, 1, 1});
}

TEST_CASE("npy weights are read relative to the .ane file and converted", "[sema]") {
    auto dir = tempDir();
    std::vector<double> values{0.1, -2.5, 3.0, 65504.0, 1e-8, 7.0};
    REQUIRE(npy::write((dir / "w32.npy").string(),
                       npy::Array::fromDoubles(npy::DType::Float32, {2, 3}, values)));
    REQUIRE(npy::write((dir / "w16.npy").string(),
                       npy::Array::fromDoubles(npy::DType::Float16, {3, 2}, values)));
    REQUIRE(npy::write((dir / "w64.npy").string(),
                       npy::Array::fromDoubles(npy::DType::Float64, {2, 3}, values)));
    AneCompile c(R"(
weight A: fp16[2, 3] = npy("w32.npy")
weight B: fp32[3, 2] = npy("w16.npy")
weight C: fp32[2, 3] = npy("w64.npy")
kernel k(x: fp16[2, 3]) -> (y: fp16[2, 3], z: fp32[3, 2], w: fp32[2, 3]) {
    y = x + A
    z = B * 1
    w = C * 1
}
)",
                 {}, (dir / "model.ane").string());
    INFO(c.allDiagnostics());
    REQUIRE(c.module);
    auto consts = c.opsOf("const");
    std::vector<double> a = consts[0]->constData->toDoubles();
    CHECK(a[0] == anec::halfToFloat(anec::doubleToHalf(0.1)));
    CHECK(a[3] == 65504.0);
    std::vector<double> b = consts[1]->constData->toDoubles();
    CHECK(b[1] == -2.5);
    CHECK(b[0] == anec::halfToFloat(anec::doubleToHalf(0.1)));
    std::vector<double> w = consts[3]->constData->toDoubles();
    CHECK(w[0] == static_cast<double>(0.1f));
    std::filesystem::remove_all(dir);
}

TEST_CASE("npy writer and reader round-trip every dtype", "[sema][npy]") {
    std::vector<double> values{1, 0, -3, 4.5, 0, 6};
    for (npy::DType dtype : {npy::DType::Float16, npy::DType::Float32, npy::DType::Float64,
                             npy::DType::Int32, npy::DType::Bool}) {
        npy::Array array = npy::Array::fromDoubles(dtype, {2, 3}, values);
        std::vector<uint8_t> bytes = npy::encode(array);
        CHECK(bytes.size() % 64 == array.data.size() % 64); // header padded to 64 bytes
        CHECK(bytes[6] == 1);
        auto back = npy::parse(bytes);
        REQUIRE(back);
        CHECK(back->dtype == dtype);
        CHECK(back->shape == std::vector<int64_t>{2, 3});
        CHECK(back->data == array.data);
    }
    npy::Array scalar = npy::Array::fromDoubles(npy::DType::Float32, {}, std::vector<double>{2.0});
    auto back = npy::parse(npy::encode(scalar));
    REQUIRE(back);
    CHECK(back->shape.empty());
    CHECK(back->at(0) == 2.0);
    npy::Array vector =
        npy::Array::fromDoubles(npy::DType::Int32, {3}, std::vector<double>{1, 2, 3});
    std::vector<uint8_t> bytes = npy::encode(vector);
    CHECK(std::string(bytes.begin() + 10, bytes.begin() + 74).find("'shape': (3,)") !=
          std::string::npos);
}

namespace {
std::vector<uint8_t> rawNpy(int version, const std::string& header, size_t dataBytes) {
    std::vector<uint8_t> out{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(version), 0};
    size_t lengthBytes = version == 1 ? 2 : 4;
    for (size_t i = 0; i < lengthBytes; ++i)
        out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.resize(out.size() + dataBytes, 0);
    return out;
}
} // namespace

TEST_CASE("npy reader reorders Fortran-order arrays to C order", "[sema][npy]") {
    // A 2x3 int32 array [[0, 1, 2], [3, 4, 5]] stored column-major: 0 3 1 4 2 5.
    auto bytes = rawNpy(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", 0);
    for (int32_t v : {0, 3, 1, 4, 2, 5})
        for (int i = 0; i < 4; ++i)
            bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
    auto array = npy::parse(bytes);
    REQUIRE(array);
    CHECK(array->shape == std::vector<int64_t>{2, 3});
    for (int64_t i = 0; i < 6; ++i)
        CHECK(array->at(i) == static_cast<double>(i));
    // Rank 3: element (i, j, k) of shape (2, 2, 2) sits at i + 2 * (j + 2 * k) in the file.
    auto cube = rawNpy(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 2, 2), }", 0);
    for (int f = 0; f < 8; ++f) {
        int i = f % 2, j = (f / 2) % 2, k = f / 4;
        int32_t v = i * 4 + j * 2 + k; // its C-order position
        for (int b = 0; b < 4; ++b)
            cube.push_back(static_cast<uint8_t>(v >> (8 * b)));
    }
    auto cubeArray = npy::parse(cube);
    REQUIRE(cubeArray);
    for (int64_t i = 0; i < 8; ++i)
        CHECK(cubeArray->at(i) == static_cast<double>(i));
}

TEST_CASE("npy reader accepts version 2 headers and rejects malformed files", "[sema][npy]") {
    auto v2 = npy::parse(
        rawNpy(2, "{\"descr\": \"<f4\", \"shape\": (2, 2), \"fortran_order\": False}\n", 16));
    REQUIRE(v2);
    CHECK(v2->shape == std::vector<int64_t>{2, 2});

    auto error = [](const std::vector<uint8_t>& bytes) {
        auto result = npy::parse(bytes);
        REQUIRE_FALSE(result);
        return result.error();
    };
    CHECK(error(rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 15))
              .find("truncated data") != std::string::npos);
    CHECK(error(rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 17))
              .find("unexpected") != std::string::npos);
    CHECK(error(rawNpy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", 16))
              .find("unsupported dtype '>f4'") != std::string::npos);
    CHECK(error(rawNpy(1, "{'descr': '<f4', 'shape': (2, -2), 'fortran_order': False}", 16))
              .find("shape") != std::string::npos);
    CHECK(error(rawNpy(1, "{'descr': '<f4', 'fortran_order': False}", 0)).find("lacks") !=
          std::string::npos);
    CHECK(error(rawNpy(1, "[1, 2]", 0)).find("not a dictionary") != std::string::npos);
    CHECK(
        error(rawNpy(1,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, "
                     "99999999999)}",
                     0))
            .find("too large") != std::string::npos);
    CHECK(error(rawNpy(7, "{}", 0)).find("version") != std::string::npos);
    CHECK(error({'P', 'K', 3, 4}).find("magic") != std::string::npos);
    std::vector<uint8_t> cut =
        rawNpy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
    cut.resize(20);
    CHECK(error(cut).find("truncated header") != std::string::npos);
    CHECK_FALSE(npy::read("/nonexistent/dir/x.npy"));
}

TEST_CASE("npy reader survives every truncation and byte corruption", "[sema][npy]") {
    std::vector<uint8_t> good = npy::encode(
        npy::Array::fromDoubles(npy::DType::Float32, {2, 3}, std::vector<double>(6, 1.0)));
    for (size_t n = 0; n < good.size(); ++n) {
        std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK_FALSE(npy::parse(cut));
    }
    for (size_t i = 0; i < good.size(); ++i) {
        for (uint8_t value : {uint8_t{0}, uint8_t{0xFF}, uint8_t{'('}, uint8_t{'\''}}) {
            std::vector<uint8_t> bad = good;
            bad[i] = value;
            (void)npy::parse(bad); // must not crash; may or may not be valid
        }
    }
}
