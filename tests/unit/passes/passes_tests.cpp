// The passes: constant folding (weights materialised at build time, blob naming), dead code
// elimination, the pass registry and the pass manager's verification after every pass.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "ir/builder.hpp"
#include "ir/printer.hpp"
#include "passes/pass.hpp"
#include "support/fp16.hpp"

using namespace anec;
using namespace anec::ir;

namespace {
using List = std::vector<int64_t>;
using Doubles = std::vector<double>;

TensorType f16(Shape shape) {
    return {DType::Fp16, std::move(shape)};
}
TensorType f32(Shape shape) {
    return {DType::Fp32, std::move(shape)};
}

template <typename T> T require(Expected<T> result) {
    INFO((result.ok() ? std::string("ok") : result.error()));
    REQUIRE(result.ok());
    return *result;
}

// 0, 1, 2, ... in row-major order.
Doubles iota(int64_t count, double start = 0) {
    Doubles values(static_cast<size_t>(count));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = start + static_cast<double>(i);
    return values;
}

Value* constant(Builder& b, const std::string& blobName, TensorType type, const Doubles& values) {
    auto data = std::make_shared<ConstData>(ConstData::fromDoubles(std::move(type), values));
    data->blobName = blobName;
    return b.createConst(data, {}, blobName);
}

struct Program {
    Module module;
    Kernel* kernel;
    Builder builder;

    Program() : kernel(addKernel(module)), builder(*kernel) {}
    static Kernel* addKernel(Module& module) {
        auto kernel = std::make_unique<Kernel>();
        kernel->name.assign(1, 'k');
        module.kernels.push_back(std::move(kernel));
        return module.kernels.back().get();
    }
    Value* input(const std::string& name, TensorType type) {
        return kernel->addInput(name, std::move(type));
    }
    void output(const std::string& name, Value* value) {
        kernel->outputs.push_back({name, value, {}});
    }

    // Runs a pipeline and requires success without diagnostics.
    std::vector<passes::PassResult> run(passes::PassManager manager) {
        SourceManager sources;
        DiagnosticEngine diagnostics(sources);
        bool ok = manager.run(module, diagnostics);
        for (const Diagnostic& d : diagnostics.diagnostics())
            UNSCOPED_INFO(d.message);
        REQUIRE(ok);
        REQUIRE(diagnostics.diagnostics().empty());
        return manager.results();
    }
    std::vector<passes::PassResult> runPipeline() { return run(passes::buildPipeline(0)); }
    std::vector<passes::PassResult> runPass(const std::string& name) {
        passes::PassManager manager;
        manager.add(passes::createPass(name));
        return run(std::move(manager));
    }

    std::vector<std::string> kinds() const {
        std::vector<std::string> out;
        for (const auto& op : kernel->ops)
            out.push_back(op->kind());
        return out;
    }
    const ConstData& constOf(const Value* value) const {
        REQUIRE(value->definingOp);
        REQUIRE(value->definingOp->isConst());
        return *value->definingOp->constData;
    }
    const ConstData& outputConst(size_t i = 0) const {
        return constOf(kernel->outputs.at(i).value);
    }
};

bool sameResults(const std::vector<passes::PassResult>& results,
                 const std::vector<std::pair<std::string, size_t>>& expected) {
    if (results.size() != expected.size()) return false;
    for (size_t i = 0; i < results.size(); ++i)
        if (results[i].pass != expected[i].first || results[i].changes != expected[i].second)
            return false;
    return true;
}
} // namespace

TEST_CASE("a transposed and reshaped weight becomes one conv weight", "[passes]") {
    Program p;
    Value* x = p.input("x", f16({1, 2, 1, 4}));
    Value* w = constant(p.builder, "W1", f16({2, 3}), iota(6)); // [[0,1,2],[3,4,5]]
    Value* wt = require(p.builder.createValue("transpose", {w}, {{"perm", List{1, 0}}}));
    Value* w4 = require(p.builder.createValue("reshape", {wt}, {{"shape", List{3, 2, 1, 1}}}));
    Value* y = require(p.builder.createValue("conv", {x, w4}, {}, {}, "y"));
    p.output("y", y);

    auto results = p.runPipeline();
    CHECK(sameResults(results, {{"fold-constants", 2}, {"dce", 1}}));
    CHECK(p.kinds() == std::vector<std::string>{"const", "conv"});
    const Op& conv = *p.kernel->outputs[0].value->definingOp;
    REQUIRE(conv.kind() == "conv");
    const ConstData& weight = p.constOf(conv.operands[1]);
    CHECK(weight.type() == f16({3, 2, 1, 1}));
    CHECK(weight.toDoubles() == Doubles{0, 3, 1, 4, 2, 5});
    CHECK(weight.blobName == "W1_T");
}

TEST_CASE("blob names stay unique when a weight is used in several forms", "[passes]") {
    Program p;
    Value* x = p.input("x", f16({2, 2}));
    Value* w = constant(p.builder, "W", f16({2, 2}), iota(4));
    Value* raw = require(p.builder.createValue("matmul", {x, w}));
    Value* t1 = require(p.builder.createValue("transpose", {w}, {{"perm", List{1, 0}}}));
    Value* viaT1 = require(p.builder.createValue("matmul", {x, t1}));
    Value* t2 = require(p.builder.createValue("transpose", {w}, {{"perm", List{-1, 0}}}));
    Value* viaT2 = require(p.builder.createValue("matmul", {x, t2}));
    Value* flat = require(p.builder.createValue("reshape", {w}, {{"shape", List{4}}}));
    Value* flatT = require(p.builder.createValue("reshape", {t1}, {{"shape", List{1, 4}}}));
    p.output("a", raw);
    p.output("b", viaT1);
    p.output("c", viaT2);
    p.output("d", flat);
    p.output("e", flatT);

    p.runPipeline();
    const Value* declared = raw->definingOp->operands[1];
    CHECK(p.constOf(declared).blobName == "W"); // the declared weight keeps its name
    const Value* transposed = p.kernel->outputs[1].value->definingOp->operands[1];
    CHECK(p.constOf(transposed).blobName == "W_T");
    CHECK(p.constOf(transposed).toDoubles() == Doubles{0, 2, 1, 3});
    // The same transpose twice is one constant.
    CHECK(p.kernel->outputs[2].value->definingOp->operands[1] == transposed);
    // Reshapes keep their source's name unless it is taken by different data.
    CHECK(p.outputConst(3).blobName == "W_r");
    CHECK(p.outputConst(3).type() == f16({4}));
    CHECK(p.outputConst(4).blobName == "W_T_r");
    CHECK(p.outputConst(4).toDoubles() == Doubles{0, 2, 1, 3});
    CHECK(p.kinds() == std::vector<std::string>{"const", "matmul", "const", "matmul", "matmul",
                                                "const", "const"});
}

TEST_CASE("a reshaped weight that is not used otherwise keeps its name", "[passes]") {
    Program p;
    Value* x = p.input("x", f16({1, 3, 1, 8}));
    Value* w = constant(p.builder, "Wo", f16({2, 3}), iota(6));
    Value* w4 = require(p.builder.createValue("reshape", {w}, {{"shape", List{2, 3, 1, 1}}}));
    p.output("y", require(p.builder.createValue("conv", {x, w4})));
    p.runPipeline();
    const ConstData& weight = p.constOf(p.kernel->outputs[0].value->definingOp->operands[1]);
    CHECK(weight.blobName == "Wo");
    CHECK(weight.type() == f16({2, 3, 1, 1}));
    CHECK(weight.toDoubles() == iota(6));
    CHECK(p.kinds() == std::vector<std::string>{"const", "conv"});
}

TEST_CASE("name clashes between folded weights are numbered", "[passes]") {
    Program p;
    Value* a = constant(p.builder, "W", f16({2, 2}), iota(4));
    Value* b = constant(p.builder, "W_T", f16({3}), iota(3)); // a declared weight named W_T
    Value* t = require(p.builder.createValue("transpose", {a}, {{"perm", List{1, 0}}}));
    p.output("b", b);
    p.output("t", t);
    p.runPipeline();
    CHECK(p.outputConst(0).blobName == "W_T");
    CHECK(p.outputConst(1).blobName == "W_T_2");
}

TEST_CASE("scalars fold to inline constants rounded once", "[passes]") {
    Program p;
    Value* x = p.input("x", f16({4}));
    Value* a = constant(p.builder, "", f16({}), {0.1});
    Value* b = constant(p.builder, "", f16({}), {0.2});
    Value* sum = require(p.builder.createValue("add", {a, b}));
    Value* three = constant(p.builder, "", f16({}), {3.0});
    Value* product = require(p.builder.createValue("mul", {sum, three}));
    Value* ratio = require(p.builder.createValue("real_div", {product, three}));
    Value* diff = require(p.builder.createValue("sub", {ratio, a}));
    p.output("y", require(p.builder.createValue("mul", {x, diff})));

    auto results = p.runPipeline();
    CHECK(sameResults(results, {{"fold-constants", 4}, {"dce", 3}}));
    CHECK(p.kinds() == std::vector<std::string>{"const", "mul"});
    const ConstData& folded = p.constOf(p.kernel->outputs[0].value->definingOp->operands[1]);
    CHECK(folded.blobName.empty());
    CHECK(folded.type() == f16({}));
    // Each op rounds its double result to fp16 once, from the fp16 operand values.
    double h01 = halfToFloat(doubleToHalf(0.1)), h02 = halfToFloat(doubleToHalf(0.2));
    double s = halfToFloat(doubleToHalf(h01 + h02));
    double m = halfToFloat(doubleToHalf(s * 3));
    double r = halfToFloat(doubleToHalf(m / 3));
    CHECK(folded.at(0) == halfToFloat(doubleToHalf(r - h01)));
}

TEST_CASE("scaled and combined weights get derived names and broadcast values", "[passes]") {
    Program p;
    Value* w = constant(p.builder, "W", f16({2, 3}), iota(6));
    Value* half = constant(p.builder, "", f16({}), {0.5});
    Value* rowScale = constant(p.builder, "", f16({2, 1}), {1, -1});
    Value* bias = constant(p.builder, "B", f16({3}), {10, 20, 30});
    p.output("scaled", require(p.builder.createValue("mul", {w, half})));
    p.output("divided", require(p.builder.createValue("real_div", {w, rowScale})));
    p.output("shifted", require(p.builder.createValue("sub", {w, half})));
    p.output("sum", require(p.builder.createValue("add", {w, bias})));
    p.output("cast", require(p.builder.createValue("cast", {w}, {{"dtype", std::string("fp32")}})));
    p.runPipeline();
    CHECK(p.outputConst(0).blobName == "W_scaled");
    CHECK(p.outputConst(0).toDoubles() == Doubles{0, 0.5, 1, 1.5, 2, 2.5});
    CHECK(p.outputConst(1).blobName == "W_scaled_2");
    CHECK(p.outputConst(1).toDoubles() == Doubles{0, 1, 2, -3, -4, -5});
    CHECK(p.outputConst(2).blobName == "W_shifted");
    CHECK(p.outputConst(2).toDoubles() == Doubles{-0.5, 0.5, 1.5, 2.5, 3.5, 4.5});
    CHECK(p.outputConst(3).blobName == "W_add_B");
    CHECK(p.outputConst(3).toDoubles() == Doubles{10, 21, 32, 13, 24, 35});
    CHECK(p.outputConst(4).blobName == "W_fp32");
    CHECK(p.outputConst(4).type() == f32({2, 3}));
    CHECK(p.kernel->ops.size() == 5); // only the folded constants remain
}

TEST_CASE("slices, concat and unit dimensions fold with their values", "[passes]") {
    Program p;
    Value* q = constant(p.builder, "Wq", f16({2, 2}), iota(4));
    Value* k = constant(p.builder, "Wk", f16({1, 2}), {10, 11});
    Value* col = constant(p.builder, "", f16({2, 1}), {7, 8});
    p.output("qk", require(p.builder.createValue("concat", {q, k}, {{"axis", int64_t{0}}})));
    p.output("qcol", require(p.builder.createValue("concat", {q, col}, {{"axis", int64_t{-1}}})));
    p.output("inter", require(p.builder.createValue("concat", {q, q},
                                                    {{"axis", int64_t{1}}, {"interleave", true}})));
    p.output("box", require(p.builder.createValue("slice_by_size", {q},
                                                  {{"begin", List{1, 0}}, {"size", List{1, -1}}})));
    p.output("rev", require(p.builder.createValue("slice_by_index", {q},
                                                  {{"begin", List{0, 0}},
                                                   {"end", List{0, 0}},
                                                   {"stride", List{-1, 1}},
                                                   {"begin_mask", List{1, 1}},
                                                   {"end_mask", List{1, 1}}})));
    p.output("row",
             require(p.builder.createValue(
                 "slice_by_index", {q},
                 {{"begin", List{1, 0}}, {"end", List{2, 2}}, {"squeeze_mask", List{1, 0}}})));
    Value* expanded = require(p.builder.createValue("expand_dims", {k}, {{"axes", List{0, -1}}}));
    p.output("expanded", expanded);
    p.output("squeezed", require(p.builder.createValue("squeeze", {expanded})));
    p.runPipeline();

    CHECK(p.outputConst(0).blobName == "Wq_Wk");
    CHECK(p.outputConst(0).toDoubles() == Doubles{0, 1, 2, 3, 10, 11});
    CHECK(p.outputConst(1).blobName == "Wq_cat");
    CHECK(p.outputConst(1).toDoubles() == Doubles{0, 1, 7, 2, 3, 8});
    CHECK(p.outputConst(2).blobName == "Wq_Wq");
    CHECK(p.outputConst(2).toDoubles() == Doubles{0, 0, 1, 1, 2, 2, 3, 3});
    CHECK(p.outputConst(3).blobName == "Wq_slice");
    CHECK(p.outputConst(3).toDoubles() == Doubles{2, 3});
    CHECK(p.outputConst(4).blobName == "Wq_slice_2");
    CHECK(p.outputConst(4).toDoubles() == Doubles{2, 3, 0, 1});
    CHECK(p.outputConst(5).blobName == "Wq_slice_3");
    CHECK(p.outputConst(5).type() == f16({2}));
    CHECK(p.outputConst(5).toDoubles() == Doubles{2, 3});
    // Wk itself is no longer used, so its first reshape-like form takes its name.
    CHECK(p.outputConst(6).type() == f16({1, 1, 2, 1}));
    CHECK(p.outputConst(6).blobName == "Wk");
    CHECK(p.outputConst(7).blobName == "Wk_r");
    CHECK(p.outputConst(7).type() == f16({2}));
    CHECK(p.outputConst(7).toDoubles() == Doubles{10, 11});
}

TEST_CASE("a large transpose moves every element", "[passes]") {
    Program p;
    Value* w = constant(p.builder, "W", f32({3, 4, 5}), iota(60));
    p.output("t", require(p.builder.createValue("transpose", {w}, {{"perm", List{2, 0, 1}}})));
    p.runPipeline();
    const ConstData& t = p.outputConst();
    REQUIRE(t.type() == f32({5, 3, 4}));
    for (int64_t a = 0; a < 5; ++a)
        for (int64_t b = 0; b < 3; ++b)
            for (int64_t c = 0; c < 4; ++c)
                REQUIRE(t.at(a * 12 + b * 4 + c) == static_cast<double>(b * 20 + c * 5 + a));
}

TEST_CASE("ops on runtime values and unrepresentable results are not folded", "[passes]") {
    Program p;
    Value* x = p.input("x", f16({2}));
    Value* two = constant(p.builder, "", f16({}), {2});
    Value* big = constant(p.builder, "", {DType::Int32, {}}, {2147483647.0});
    Value* one = constant(p.builder, "", {DType::Int32, {}}, {1});
    Value* gelu = require(p.builder.createValue("gelu", {two})); // not an evaluable kind
    p.output("y", require(p.builder.createValue("mul", {x, two})));
    p.output("overflow", require(p.builder.createValue("add", {big, one})));
    p.output("e", gelu);
    p.output("intdiv", require(p.builder.createValue("real_div", {big, one})));
    auto results = p.runPipeline();
    CHECK(sameResults(results, {{"fold-constants", 0}, {"dce", 0}}));
    CHECK(p.kinds() ==
          std::vector<std::string>{"const", "const", "const", "gelu", "mul", "add", "real_div"});
}

TEST_CASE("dce removes unused ops and chains of them", "[passes]") {
    Program p;
    Value* x = p.input("x", f16({4}));
    Value* unusedInput = p.input("unused", f16({4}));
    (void)unusedInput;
    Value* a = require(p.builder.createValue("exp", {x}));
    Value* b = require(p.builder.createValue("tanh", {a}));
    require(p.builder.createValue("relu", {b})); // dead, and makes a and b dead
    Op* split =
        require(p.builder.create("split", {x}, {{"axis", int64_t{0}}, {"num_splits", int64_t{2}}}));
    Value* kept = require(p.builder.createValue("sigmoid", {x}));
    p.output("first", split->result(0)); // one used result keeps the split
    p.output("kept", kept);

    auto results = p.runPass("dce");
    CHECK(sameResults(results, {{"dce", 3}}));
    CHECK(p.kinds() == std::vector<std::string>{"split", "sigmoid"});
    CHECK(p.kernel->inputs.size() == 2); // inputs are the kernel's interface
    CHECK(sameResults(p.runPass("dce"), {{"dce", 0}}));
}

TEST_CASE("fold-constants alone leaves source weights for dce", "[passes]") {
    Program p;
    Value* w = constant(p.builder, "W", f16({2, 2}), iota(4));
    Value* t = require(p.builder.createValue("transpose", {w}, {{"perm", List{1, 0}}}));
    p.output("t", require(p.builder.createValue("reshape", {t}, {{"shape", List{4}}})));
    CHECK(sameResults(p.runPass("fold-constants"), {{"fold-constants", 2}}));
    // The intermediate transposed constant is gone; the declared weight waits for dce.
    CHECK(p.kinds() == std::vector<std::string>{"const", "const"});
    CHECK(p.outputConst().blobName == "W_T");
    CHECK(printKernel(*p.kernel) == "kernel k() -> (t: fp16[4]) {\n"
                                    "  %W = const() {blob = \"W\"} : fp16[2,2]\n"
                                    "  %W_T = const() {blob = \"W_T\"} : fp16[4]\n"
                                    "  return t = %W_T\n"
                                    "}\n");
}

TEST_CASE("passes are registered by name", "[passes]") {
    auto names = passes::passNames();
    for (const char* name : {"dce", "fold-constants"})
        CHECK(std::count(names.begin(), names.end(), name) == 1);
    for (const std::string& name : passes::passNames()) {
        auto pass = passes::createPass(name);
        REQUIRE(pass);
        CHECK(pass->name() == name);
        CHECK_FALSE(pass->description().empty());
    }
    CHECK(passes::createPass("inline-everything") == nullptr);
    for (int level : {0, 1}) {
        Program p;
        Value* w = constant(p.builder, "W", f16({2}), {1, 2});
        p.output("y", require(p.builder.createValue("expand_dims", {w}, {{"axes", List{0}}})));
        auto results = p.run(passes::buildPipeline(level));
        REQUIRE(results.size() >= 2);
        CHECK(sameResults({results.front()}, {{"fold-constants", 1}}));
        CHECK(results.back().pass == "dce");
        size_t removed = 0; // -O1 runs dce before the fusions too
        for (const passes::PassResult& result : results)
            removed += result.pass == "dce" ? result.changes : 0;
        CHECK(removed == 1);
    }
}

namespace {
// A deliberately broken pass: corrupts a result type.
class CorruptingPass : public passes::Pass {
  public:
    std::string name() const override { return "corrupt"; }
    std::string description() const override { return "breaks the IR"; }
    size_t run(ir::Module& module, DiagnosticEngine&) override {
        module.kernels[0]->ops.back()->results[0]->type.shape = {99};
        return 1;
    }
};

class FailingPass : public passes::Pass {
  public:
    std::string name() const override { return "failing"; }
    std::string description() const override { return "reports an error"; }
    size_t run(ir::Module&, DiagnosticEngine& diagnostics) override {
        diagnostics.error({}, "cannot do this");
        return 0;
    }
};
} // namespace

TEST_CASE("the pass manager verifies the IR after every pass", "[passes]") {
    Program p;
    Value* x = p.input("x", f16({4}));
    p.output("y", require(p.builder.createValue("exp", {x})));
    passes::PassManager manager;
    manager.add(passes::createPass("dce"));
    manager.add(std::make_unique<CorruptingPass>());
    manager.add(passes::createPass("fold-constants"));
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    CHECK_FALSE(manager.run(p.module, diagnostics));
    CHECK(sameResults(manager.results(), {{"dce", 0}, {"corrupt", 1}})); // stopped after corrupt
    REQUIRE(diagnostics.errorCount() == 2);
    CHECK(diagnostics.diagnostics()[0].message ==
          "IR verifier: kernel 'k': exp: result 0 has type fp16[99] but fp16[4] is inferred");
    CHECK(diagnostics.diagnostics()[1].message == "IR is invalid after pass 'corrupt'");

    Program q;
    q.output("x", q.input("x", f16({4})));
    passes::PassManager failing;
    failing.add(std::make_unique<FailingPass>());
    failing.add(passes::createPass("dce"));
    DiagnosticEngine failures(sources);
    CHECK_FALSE(failing.run(q.module, failures));
    CHECK(sameResults(failing.results(), {{"failing", 0}}));
    CHECK(failures.errorCount() == 1);
}
