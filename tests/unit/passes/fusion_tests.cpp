// The conv fusion passes (fuse-slice-conv-add, fuse-horizontal, fuse-conv-scale-shift): the IR
// before and after each rewrite, the same outputs as without it on the reference backend, and the
// patterns they must leave alone.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "driver/compiler.hpp"
#include "ir/builder.hpp"
#include "ir/printer.hpp"
#include "passes/pass.hpp"
#include "runtime/core/backend.hpp"
#include "support/fp16.hpp"

using namespace anec;
namespace fs = std::filesystem;

namespace {
using Strings = std::vector<std::string>;
using Outputs = std::map<std::string, runtime::Tensor>;

const Strings kBaseline{"fold-constants", "dce"};

Strings withPasses(const Strings& fusion) {
    Strings passes{"fold-constants"};
    passes.insert(passes.end(), fusion.begin(), fusion.end());
    passes.push_back("dce");
    return passes;
}

struct Compiled {
    std::shared_ptr<ir::Module> module;
    std::vector<passes::PassResult> results;

    ir::Kernel& kernel(size_t i = 0) const { return *module->kernels.at(i); }
    size_t changes(const std::string& pass) const {
        size_t total = 0;
        for (const auto& result : results)
            if (result.pass == pass) total += result.changes;
        return total;
    }
};

// Compiles an .ane file (a path) or source text with exactly `passes`.
Compiled compile(const std::string& pathOrSource, const Strings& passes, bool isFile = false) {
    driver::CompileOptions options;
    options.passes = passes;
    auto compilation = std::make_shared<driver::Compilation>(options);
    if (isFile)
        REQUIRE(compilation->loadFile(pathOrSource));
    else
        compilation->loadSource("test.ane", pathOrSource);
    bool ok = compilation->optimize();
    std::ostringstream rendered;
    compilation->diagnostics().print(rendered);
    INFO(rendered.str());
    REQUIRE(ok);
    // The module stays owned by its compilation.
    return {std::shared_ptr<ir::Module>(compilation, compilation->module()),
            compilation->passResults()};
}

Compiled compileExample(const std::string& name, const Strings& passes) {
    return compile((fs::path(ANEC_SOURCE_DIR) / "examples" / name).string(), passes, true);
}

// Deterministic inputs in [-1, 1) on a grid exact in fp16.
runtime::Tensor makeInput(const ir::TensorType& type, uint64_t seed) {
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (double& value : values) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        value = static_cast<double>(static_cast<int>((state >> 33) % 256) - 128) / 128.0;
    }
    ir::ConstData data = ir::ConstData::fromDoubles(type, values);
    return runtime::Tensor(type, data.bytes());
}

Outputs run(const Compiled& compiled, runtime::Precision precision) {
    const ir::Kernel& kernel = compiled.kernel();
    std::map<std::string, runtime::Tensor> inputs;
    uint64_t seed = 1;
    for (const auto& input : kernel.inputs)
        inputs.emplace(input->name, makeInput(input->type, seed++));
    auto executable =
        runtime::createReferenceBackend(precision)->prepare(compiled.module, kernel.name);
    std::map<std::string, runtime::TensorView> views;
    for (const auto& [name, tensor] : inputs)
        views[name] = runtime::TensorView{tensor.type(), tensor.bytes()};
    return executable->run(views);
}

std::vector<double> valuesOf(const runtime::Tensor& tensor) {
    std::vector<uint8_t> bytes(tensor.bytes().begin(), tensor.bytes().end());
    return ir::ConstData(tensor.type(), std::move(bytes)).toDoubles();
}

// The largest difference between the outputs of two programs, relative to the largest output.
double relativeDifference(const Outputs& expected, const Outputs& actual) {
    REQUIRE(expected.size() == actual.size());
    double worst = 0;
    for (const auto& [name, tensor] : expected) {
        INFO("output " << name);
        REQUIRE(actual.count(name) == 1);
        REQUIRE(actual.at(name).type() == tensor.type());
        std::vector<double> a = valuesOf(tensor), b = valuesOf(actual.at(name));
        double scale = 1e-30, diff = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            REQUIRE(std::isfinite(b[i]));
            scale = std::max(scale, std::abs(a[i]));
            diff = std::max(diff, std::abs(a[i] - b[i]));
        }
        worst = std::max(worst, diff / scale);
    }
    return worst;
}

// The fused program computes what the unfused one does: exactly up to summation order when no
// weight was rounded anew (Float64 reference), and within fp16 rounding on the ANE model.
void checkSameFunction(const Compiled& unfused, const Compiled& fused, bool weightsRounded) {
    double fp16 = relativeDifference(run(unfused, runtime::Precision::Fp16Faithful),
                                     run(fused, runtime::Precision::Fp16Faithful));
    CHECK(fp16 < 4e-3);
    double exact = relativeDifference(run(unfused, runtime::Precision::Float64),
                                      run(fused, runtime::Precision::Float64));
    CHECK(exact < (weightsRounded ? 2e-3 : 1e-12));
}

std::vector<std::string> kinds(const ir::Kernel& kernel) {
    std::vector<std::string> out;
    for (const auto& op : kernel.ops)
        if (!op->isConst()) out.push_back(op->kind());
    return out;
}

const ir::Op* onlyOp(const ir::Kernel& kernel, const std::string& kind) {
    const ir::Op* found = nullptr;
    for (const auto& op : kernel.ops) {
        if (op->kind() != kind) continue;
        REQUIRE(found == nullptr);
        found = op.get();
    }
    REQUIRE(found != nullptr);
    return found;
}

const ir::ConstData& weightOf(const ir::Op& conv) {
    REQUIRE(conv.operands.at(1)->definingOp);
    REQUIRE(conv.operands[1]->definingOp->isConst());
    return *conv.operands[1]->definingOp->constData;
}

// Runs `pass` on `source` and requires that it changes nothing.
void checkUnchanged(const std::string& source, const std::string& pass) {
    Compiled before = compile(source, kBaseline);
    Compiled after = compile(source, withPasses({pass}));
    CHECK(after.changes(pass) == 0);
    CHECK(ir::printModule(*after.module) == ir::printModule(*before.module));
}

// Fixes the IR text before and after a pass: the golden test of a rewrite.
void checkGolden(const std::string& source, const std::string& pass, const std::string& before,
                 const std::string& after) {
    CHECK(ir::printModule(*compile(source, kBaseline).module) == before);
    CHECK(ir::printModule(*compile(source, withPasses({pass})).module) == after);
}
} // namespace

// ---------------------------------------------------------------------------------------------
// fuse-slice-conv-add

TEST_CASE("the seed kernel becomes one conv over the packed input", "[fusion][slice-conv-add]") {
    Compiled unfused = compileExample("ffn_w13_bwd.ane", kBaseline);
    Compiled fused = compileExample("ffn_w13_bwd.ane", withPasses({"fuse-slice-conv-add"}));
    CHECK(fused.changes("fuse-slice-conv-add") == 1);
    CHECK(kinds(fused.kernel()) == Strings{"cast", "conv", "cast"});
    const ir::Op* conv = onlyOp(fused.kernel(), "conv");
    const ir::ConstData& weight = weightOf(*conv);
    CHECK(weight.type().str() == "fp16[768,4096,1,1]");
    CHECK(weight.blobName == "W1_T_W3_T");
    CHECK(conv->operands[0] == fused.kernel().ops.front()->result()); // the cast input, unsliced
    checkSameFunction(unfused, fused, false);
}

TEST_CASE("qkv_bwd becomes one conv with the three weights side by side",
          "[fusion][slice-conv-add]") {
    Compiled unfused = compileExample("qkv_bwd.ane", kBaseline);
    Compiled fused = compileExample("qkv_bwd.ane", withPasses({"fuse-slice-conv-add"}));
    CHECK(kinds(fused.kernel()) == Strings{"cast", "conv", "cast"});
    const ir::ConstData& weight = weightOf(*onlyOp(fused.kernel(), "conv"));
    CHECK(weight.type().str() == "fp16[768,2304,1,1]");
    CHECK(weight.blobName == "Wq_T_Wk_T_Wv_T");
    checkSameFunction(unfused, fused, false);
}

const char* kSliceSum = R"(
weight A: fp16[4, 8] = random(seed = 1, scale = 0.5)
weight B: fp16[4, 8] = random(seed = 2, scale = 0.5)
kernel k(x: fp16[1, 16, 1, 8]) -> (y: fp16[1, 4, 1, 8]) {
    y = linear(x[:, 0:8], A) + linear(x[:, 8:16], B)
}
)";

TEST_CASE("fuse-slice-conv-add: IR before and after", "[fusion][slice-conv-add][golden]") {
    checkGolden(kSliceSum, "fuse-slice-conv-add",
                R"(kernel k(%x: fp16[1,16,1,8]) -> (y: fp16[1,4,1,8]) {
  %0 = slice_by_size(%x) {begin = [0, 0, 0, 0], size = [1, 8, 1, 8]} : fp16[1,8,1,8]
  %A = const() {blob = "A"} : fp16[4,8,1,1]
  %1 = conv(%0, %A) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,8]
  %2 = slice_by_size(%x) {begin = [0, 8, 0, 0], size = [1, 8, 1, 8]} : fp16[1,8,1,8]
  %B = const() {blob = "B"} : fp16[4,8,1,1]
  %3 = conv(%2, %B) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,8]
  %y = add(%1, %3) : fp16[1,4,1,8]
  return y = %y
}
)",
                R"(kernel k(%x: fp16[1,16,1,8]) -> (y: fp16[1,4,1,8]) {
  %A_B = const() {blob = "A_B"} : fp16[4,16,1,1]
  %y = conv(%x, %A_B) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,8]
  return y = %y
}
)");
}

TEST_CASE("slices in any order, partial cover and other terms", "[fusion][slice-conv-add]") {
    // Terms out of channel order, an unrelated term, a slice that cannot join (not adjacent)
    // and a covered range that is not the whole tensor: one conv over x[:, 4:28] plus the bias
    // and the lone conv.
    const char* source = R"(
weight A: fp16[6, 8] = random(seed = 1, scale = 0.3)
weight B: fp16[6, 8] = random(seed = 2, scale = 0.3)
weight C: fp16[6, 8] = random(seed = 3, scale = 0.3)
weight D: fp16[6, 2] = random(seed = 4, scale = 0.3)
weight bias: fp16[1, 6, 1, 1] = random(seed = 5, scale = 0.3)
kernel k(x: fp16[1, 32, 1, 16]) -> (y: fp16[1, 6, 1, 16]) {
    let lone = linear(x[:, 30:32], D)
    let s = linear(x[:, 20:28], C) + bias + linear(x[:, 4:12], A) + lone
    y = s + linear(x[:, 12:20], B)
}
)";
    Compiled unfused = compile(source, kBaseline);
    Compiled fused = compile(source, withPasses({"fuse-slice-conv-add"}));
    CHECK(fused.changes("fuse-slice-conv-add") == 1);
    CHECK(kinds(fused.kernel()) ==
          Strings{"slice_by_size", "conv", "slice_by_size", "conv", "add", "add"});
    const ir::ConstData* widest = nullptr;
    for (const auto& op : fused.kernel().ops)
        if (op->kind() == "conv" && weightOf(*op).type().shape[1] == 24) widest = &weightOf(*op);
    REQUIRE(widest != nullptr);
    CHECK(widest->blobName == "A_B_C");
    CHECK(fused.kernel().outputs[0].value->name == "y");
    checkSameFunction(unfused, fused, false);
}

TEST_CASE("fuse-slice-conv-add leaves other sums alone", "[fusion][slice-conv-add]") {
    SECTION("different sources") {
        checkUnchanged(R"(
weight A: fp16[4, 8] = random(seed = 1, scale = 0.5)
weight B: fp16[4, 8] = random(seed = 2, scale = 0.5)
kernel k(x: fp16[1, 16, 1, 8], z: fp16[1, 16, 1, 8]) -> (y: fp16[1, 4, 1, 8]) {
    y = linear(x[:, 0:8], A) + linear(z[:, 8:16], B)
})",
                       "fuse-slice-conv-add");
    }
    SECTION("non-adjacent and overlapping slices") {
        checkUnchanged(R"(
weight A: fp16[4, 8] = random(seed = 1, scale = 0.5)
weight B: fp16[4, 8] = random(seed = 2, scale = 0.5)
kernel k(x: fp16[1, 32, 1, 8]) -> (y: fp16[1, 4, 1, 8], z: fp16[1, 4, 1, 8]) {
    y = linear(x[:, 0:8], A) + linear(x[:, 16:24], B)
    z = linear(x[:, 0:8], A) + linear(x[:, 4:12], B)
})",
                       "fuse-slice-conv-add");
    }
    SECTION("slices along another axis or strided") {
        checkUnchanged(R"(
weight A: fp16[4, 8] = random(seed = 1, scale = 0.5)
kernel k(x: fp16[1, 8, 1, 16], w: fp16[1, 16, 1, 8]) -> (y: fp16[1, 4, 1, 8], z: fp16[1, 4, 1, 8]) {
    y = linear(x[:, :, :, 0:8], A) + linear(x[:, :, :, 8:16], A)
    z = linear(w[:, 0:16:2], A) + linear(w[:, 1:16:2], A)
})",
                       "fuse-slice-conv-add");
    }
    SECTION("a conv result with another use") {
        checkUnchanged(R"(
weight A: fp16[4, 8] = random(seed = 1, scale = 0.5)
weight B: fp16[4, 8] = random(seed = 2, scale = 0.5)
kernel k(x: fp16[1, 16, 1, 8]) -> (y: fp16[1, 4, 1, 8], a: fp16[1, 4, 1, 8]) {
    let first = linear(x[:, 0:8], A)
    y = first + linear(x[:, 8:16], B)
    a = first
})",
                       "fuse-slice-conv-add");
    }
    SECTION("groups != 1 and different windows") {
        checkUnchanged(R"(
weight A: fp16[4, 4, 1, 1] = random(seed = 1, scale = 0.5)
weight B: fp16[4, 8, 1, 1] = random(seed = 2, scale = 0.5)
weight C: fp16[4, 8, 3, 1] = random(seed = 3, scale = 0.5)
kernel k(x: fp16[1, 16, 3, 8]) -> (y: fp16[1, 4, 3, 8], z: fp16[1, 4, 1, 8]) {
    y = conv(x[:, 0:8], A, groups = 2) + conv(x[:, 8:16], B)
    z = conv(x[:, 0:8], C) + conv(x[:, 8:16], B, strides = [3, 1])
})",
                       "fuse-slice-conv-add");
    }
}

// ---------------------------------------------------------------------------------------------
// Runtime (non-constant) weights cannot come from the language (linear and conv need constant
// weights), so those negative cases are built as IR.

namespace {
struct IrProgram {
    ir::Module module;
    ir::Kernel* kernel;
    ir::Builder builder;

    IrProgram() : kernel(addKernel(module)), builder(*kernel) {}
    static ir::Kernel* addKernel(ir::Module& module) {
        module.kernels.push_back(std::make_unique<ir::Kernel>());
        module.kernels.back()->name = "k";
        return module.kernels.back().get();
    }
    ir::Value* op(const std::string& kind, std::vector<ir::Value*> operands,
                  ir::AttrMap attrs = {}) {
        auto value = builder.createValue(kind, std::move(operands), std::move(attrs));
        INFO((value ? std::string("ok") : value.error()));
        REQUIRE(value.ok());
        return *value;
    }
    ir::Value* slice(ir::Value* x, int64_t begin, int64_t count) {
        ir::Shape size = x->type.shape;
        size[1] = count;
        return op("slice_by_size", {x},
                  {{"begin", std::vector<int64_t>{0, begin, 0, 0}}, {"size", size}});
    }
    size_t runPass(const std::string& name) {
        passes::PassManager manager;
        manager.add(passes::createPass(name));
        SourceManager sources;
        DiagnosticEngine diagnostics(sources);
        REQUIRE(manager.run(module, diagnostics));
        return manager.results().at(0).changes;
    }
};

ir::TensorType f16(ir::Shape shape) {
    return {ir::DType::Fp16, std::move(shape)};
}
} // namespace

TEST_CASE("convs with runtime weights are not fused", "[fusion]") {
    IrProgram p;
    ir::Value* x = p.kernel->addInput("x", f16({1, 8, 1, 4}));
    ir::Value* wa = p.kernel->addInput("wa", f16({2, 4, 1, 1}));
    ir::Value* wb = p.kernel->addInput("wb", f16({2, 4, 1, 1}));
    ir::Value* s = p.kernel->addInput("s", f16({1, 2, 1, 1}));
    ir::Value* a = p.op("conv", {p.slice(x, 0, 4), wa});
    ir::Value* b = p.op("conv", {p.slice(x, 4, 4), wb});
    p.kernel->outputs.push_back({"y", p.op("add", {a, b}), {}});
    ir::Value* c = p.op("conv", {x, p.op("concat", {wa, wb}, {{"axis", int64_t{1}}})});
    ir::Value* d = p.op("conv", {x, p.op("concat", {wb, wa}, {{"axis", int64_t{1}}})});
    p.kernel->outputs.push_back({"c", c, {}});
    p.kernel->outputs.push_back({"d", d, {}});
    p.kernel->outputs.push_back({"e", p.op("mul", {c, s}), {}});
    std::string before = ir::printKernel(*p.kernel);
    CHECK(p.runPass("fuse-slice-conv-add") == 0);
    CHECK(p.runPass("fuse-horizontal") == 0);
    CHECK(p.runPass("fuse-conv-scale-shift") == 0);
    CHECK(ir::printKernel(*p.kernel) == before);
}

// ---------------------------------------------------------------------------------------------
// fuse-horizontal

TEST_CASE("attention's Q, K and V projections become one conv", "[fusion][horizontal]") {
    Compiled unfused = compileExample("attention_fwd.ane", kBaseline);
    Compiled fused = compileExample("attention_fwd.ane", withPasses({"fuse-horizontal"}));
    CHECK(fused.changes("fuse-horizontal") == 1);
    size_t convs = 0;
    const ir::Op* stacked = nullptr;
    for (const auto& op : fused.kernel().ops) {
        if (op->kind() != "conv") continue;
        ++convs;
        if (weightOf(*op).type().shape[0] == 768) stacked = op.get();
    }
    CHECK(convs == 2); // QKV and the output projection
    REQUIRE(stacked != nullptr);
    CHECK(weightOf(*stacked).type().str() == "fp16[768,256,1,1]");
    CHECK(weightOf(*stacked).blobName == "Wq_Wk_Wv");
    checkSameFunction(unfused, fused, false);
}

const char* kSharedInput = R"(
weight A: fp16[4, 8] = random(seed = 1, scale = 0.5)
weight B: fp16[2, 8] = random(seed = 2, scale = 0.5)
kernel k(x: fp16[1, 8, 1, 4]) -> (a: fp16[1, 4, 1, 4], b: fp16[1, 2, 1, 4]) {
    a = linear(x, A)
    b = relu(linear(x, B))
}
)";

TEST_CASE("fuse-horizontal: IR before and after", "[fusion][horizontal][golden]") {
    checkGolden(kSharedInput, "fuse-horizontal",
                R"(kernel k(%x: fp16[1,8,1,4]) -> (a: fp16[1,4,1,4], b: fp16[1,2,1,4]) {
  %A = const() {blob = "A"} : fp16[4,8,1,1]
  %a = conv(%x, %A) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,4]
  %B = const() {blob = "B"} : fp16[2,8,1,1]
  %0 = conv(%x, %B) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,2,1,4]
  %b = relu(%0) : fp16[1,2,1,4]
  return a = %a, b = %b
}
)",
                R"(kernel k(%x: fp16[1,8,1,4]) -> (a: fp16[1,4,1,4], b: fp16[1,2,1,4]) {
  %A_B = const() {blob = "A_B"} : fp16[6,8,1,1]
  %0 = conv(%x, %A_B) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,6,1,4]
  %a = slice_by_size(%0) {begin = [0, 0, 0, 0], size = [1, 4, 1, 4]} : fp16[1,4,1,4]
  %1 = slice_by_size(%0) {begin = [0, 4, 0, 0], size = [1, 2, 1, 4]} : fp16[1,2,1,4]
  %b = relu(%1) : fp16[1,2,1,4]
  return a = %a, b = %b
}
)");
    Compiled unfused = compile(kSharedInput, kBaseline);
    Compiled fused = compile(kSharedInput, withPasses({"fuse-horizontal"}));
    checkSameFunction(unfused, fused, false);
}

TEST_CASE("fuse-horizontal leaves other convs alone", "[fusion][horizontal]") {
    checkUnchanged(R"(
weight A: fp16[4, 8, 1, 1] = random(seed = 1, scale = 0.5)
weight B: fp16[4, 8, 1, 1] = random(seed = 2, scale = 0.5)
weight C: fp16[4, 4, 1, 1] = random(seed = 3, scale = 0.5)
weight D: fp16[4, 8, 3, 3] = random(seed = 4, scale = 0.5)
kernel k(x: fp16[1, 8, 3, 3], z: fp16[1, 8, 3, 3]) -> (a: fp16[1, 4, 3, 3], b: fp16[1, 4, 3, 3],
                                                     c: fp16[1, 4, 3, 3], d: fp16[1, 4, 1, 1],
                                                     e: fp16[1, 4, 2, 2]) {
    a = conv(x, A)
    b = conv(z, B)
    c = conv(x, C, groups = 2)
    d = conv(x, D)
    e = conv(x, B, strides = [2, 2], padding = "same")
})",
                   "fuse-horizontal");
}

// ---------------------------------------------------------------------------------------------
// fuse-conv-scale-shift

const char* kScaleShift = R"(
weight W: fp16[4, 8] = random(seed = 1, scale = 0.5)
weight s: fp16[1, 4, 1, 1] = random(seed = 2, scale = 2)
weight b: fp16[4, 1, 1] = random(seed = 3, scale = 1)
kernel k(x: fp16[1, 8, 1, 4]) -> (scaled: fp16[1, 4, 1, 4], shifted: fp16[1, 4, 1, 4]) {
    scaled = linear(x, W) * s + b
    shifted = (linear(x, W) + b) * s
}
)";

TEST_CASE("fuse-conv-scale-shift: IR before and after", "[fusion][scale-shift][golden]") {
    checkGolden(kScaleShift, "fuse-conv-scale-shift",
                R"(kernel k(%x: fp16[1,8,1,4]) -> (scaled: fp16[1,4,1,4], shifted: fp16[1,4,1,4]) {
  %W = const() {blob = "W"} : fp16[4,8,1,1]
  %0 = conv(%x, %W) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,4]
  %s = const() {blob = "s"} : fp16[1,4,1,1]
  %1 = mul(%0, %s) : fp16[1,4,1,4]
  %b = const() {blob = "b"} : fp16[4,1,1]
  %scaled = add(%1, %b) : fp16[1,4,1,4]
  %2 = conv(%x, %W) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,4]
  %3 = add(%2, %b) : fp16[1,4,1,4]
  %shifted = mul(%3, %s) : fp16[1,4,1,4]
  return scaled = %scaled, shifted = %shifted
}
)",
                R"(kernel k(%x: fp16[1,8,1,4]) -> (scaled: fp16[1,4,1,4], shifted: fp16[1,4,1,4]) {
  %W_scaled = const() {blob = "W_scaled"} : fp16[4,8,1,1]
  %0 = conv(%x, %W_scaled) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,4]
  %b = const() {blob = "b"} : fp16[4,1,1]
  %scaled = add(%0, %b) : fp16[1,4,1,4]
  %1 = conv(%x, %W_scaled) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,4,1,4]
  %b_scaled = const() {blob = "b_scaled"} : fp16[1,4,1,1]
  %shifted = add(%1, %b_scaled) : fp16[1,4,1,4]
  return scaled = %scaled, shifted = %shifted
}
)");
    Compiled unfused = compile(kScaleShift, kBaseline);
    Compiled fused = compile(kScaleShift, withPasses({"fuse-conv-scale-shift"}));
    CHECK(fused.changes("fuse-conv-scale-shift") == 2);
    CHECK(kinds(fused.kernel()) == Strings{"conv", "add", "conv", "add"});
    checkSameFunction(unfused, fused, true);
}

TEST_CASE("scalar scales, divisions and chains fold into the weights", "[fusion][scale-shift]") {
    const char* source = R"(
weight W: fp16[4, 8, 3, 3] = random(seed = 1, scale = 0.5)
weight s: fp16[4, 1, 1] = random(seed = 2, scale = 2)
kernel k(x: fp16[1, 8, 5, 5]) -> (y: fp16[1, 4, 5, 5], z: fp16[1, 4, 3, 3]) {
    y = 0.5 * conv(x, W, padding = "same") / s
    z = (conv(x, W) + 1.5) * 3
}
)";
    Compiled unfused = compile(source, kBaseline);
    Compiled fused = compile(source, withPasses({"fuse-conv-scale-shift"}));
    CHECK(fused.changes("fuse-conv-scale-shift") == 3);
    CHECK(kinds(fused.kernel()) == Strings{"conv", "conv", "add"});
    checkSameFunction(unfused, fused, true);
}

TEST_CASE("fuse-conv-scale-shift leaves other products alone", "[fusion][scale-shift]") {
    checkUnchanged(R"(
weight W: fp16[4, 8] = random(seed = 1, scale = 0.5)
weight full: fp16[1, 4, 1, 4] = random(seed = 2, scale = 2)
weight s: fp16[1, 4, 1, 1] = random(seed = 3, scale = 2)
weight b: fp16[1, 4, 1, 1] = random(seed = 4, scale = 2)
kernel k(x: fp16[1, 8, 1, 4], r: fp16[1, 4, 1, 1]) -> (a: fp16[1, 4, 1, 4], b2: fp16[1, 4, 1, 4],
                                                     c: fp16[1, 4, 1, 4], d: fp16[1, 4, 1, 4],
                                                     e: fp16[1, 4, 1, 4]) {
    a = linear(x, W) * full
    b2 = linear(x, W) * r
    let shared = linear(x, W)
    c = shared * s
    d = shared
    let sum = linear(x, W) + b
    e = sum * s + sum
})",
                   "fuse-conv-scale-shift");
}

// ---------------------------------------------------------------------------------------------
// Slices the language does not produce for stride-1 channel ranges: split results and
// slice_by_index (as read from MIL).

namespace {
ir::Value* weightConst(IrProgram& p, const std::string& name, ir::Shape shape, uint64_t seed) {
    ir::TensorType type = f16(std::move(shape));
    runtime::Tensor values = makeInput(type, seed);
    std::vector<uint8_t> bytes(values.bytes().begin(), values.bytes().end());
    auto data = std::make_shared<ir::ConstData>(type, std::move(bytes));
    data->blobName = name;
    return p.builder.createConst(data, {}, name);
}

// y = conv(split(x)[2], C) + conv(x[4:8] by index, B) + conv(split(x)[0], A)
void buildSplitSum(IrProgram& p) {
    ir::Value* x = p.kernel->addInput("x", f16({1, 12, 1, 4}));
    auto split = p.builder.create(
        "split", {x}, {{"axis", int64_t{1}}, {"split_sizes", std::vector<int64_t>{4, 4, 4}}});
    REQUIRE(split.ok());
    ir::Value* middle = p.op("slice_by_index", {x},
                             {{"begin", std::vector<int64_t>{0, 4, 0, 0}},
                              {"end", std::vector<int64_t>{1, 8, 1, 4}},
                              {"stride", std::vector<int64_t>{1, 1, 1, 1}}});
    ir::Value* c = p.op("conv", {(*split)->result(2), weightConst(p, "C", {3, 4, 1, 1}, 3)});
    ir::Value* b = p.op("conv", {middle, weightConst(p, "B", {3, 4, 1, 1}, 2)});
    ir::Value* a = p.op("conv", {(*split)->result(0), weightConst(p, "A", {3, 4, 1, 1}, 1)});
    p.kernel->outputs.push_back({"y", p.op("add", {p.op("add", {c, b}), a}), {}});
}
} // namespace

TEST_CASE("split results and slice_by_index slices are fused too", "[fusion][slice-conv-add]") {
    auto unfused = std::make_shared<IrProgram>();
    auto fused = std::make_shared<IrProgram>();
    buildSplitSum(*unfused);
    buildSplitSum(*fused);
    CHECK(fused->runPass("fuse-slice-conv-add") == 1);
    CHECK(ir::printKernel(*fused->kernel) == R"(kernel k(%x: fp16[1,12,1,4]) -> (y: fp16[1,3,1,4]) {
  %A_B_C = const() {blob = "A_B_C"} : fp16[3,12,1,1]
  %0 = conv(%x, %A_B_C) {dilations = [1, 1], groups = 1, pad = [0, 0, 0, 0], pad_type = "valid", strides = [1, 1]} : fp16[1,3,1,4]
  return y = %0
}
)");
    Compiled before{std::shared_ptr<ir::Module>(unfused, &unfused->module), {}};
    Compiled after{std::shared_ptr<ir::Module>(fused, &fused->module), {}};
    checkSameFunction(before, after, false);
}

TEST_CASE("the fusions compose in pipeline order", "[fusion]") {
    // slice-conv-add makes one conv of the sum, scale-shift folds s into it, and horizontal then
    // stacks it with the other conv of x.
    const char* source = R"(
weight A: fp16[4, 8] = random(seed = 1, scale = 0.5)
weight B: fp16[4, 8] = random(seed = 2, scale = 0.5)
weight C: fp16[4, 16] = random(seed = 3, scale = 0.5)
weight s: fp16[1, 4, 1, 1] = random(seed = 4, scale = 2)
kernel k(x: fp16[1, 16, 1, 8]) -> (y: fp16[1, 4, 1, 8]) {
    y = (linear(x[:, 0:8], A) + linear(x[:, 8:16], B)) * s + linear(x, C)
}
)";
    const Strings order = passes::pipelinePassNames(1);
    auto at = [&](const std::string& name) {
        return std::find(order.begin(), order.end(), name) - order.begin();
    };
    CHECK(at("fuse-slice-conv-add") < at("fuse-conv-scale-shift"));
    CHECK(at("fuse-conv-scale-shift") < at("fuse-horizontal"));
    Compiled unfused = compile(source, kBaseline);
    Compiled fused = compile(
        source, withPasses({"fuse-slice-conv-add", "fuse-conv-scale-shift", "fuse-horizontal"}));
    CHECK(kinds(fused.kernel()) == Strings{"conv", "slice_by_size", "slice_by_size", "add"});
    const ir::ConstData& weight = weightOf(*onlyOp(fused.kernel(), "conv"));
    CHECK(weight.type().str() == "fp16[8,16,1,1]");
    CHECK(weight.blobName == "A_B_scaled_C");
    checkSameFunction(unfused, fused, true);
}
