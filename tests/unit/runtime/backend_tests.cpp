// The reference backend as a Backend: op coverage, prepare/run errors, output types.
#include "op_test_harness.hpp"
#include "runtime/reference/reference_backend.hpp"

using namespace anec;
using namespace anec::test;

TEST_CASE("every op of the registry has a reference evaluator", "[runtime]") {
    size_t ops = 0;
    for (const auto& [name, def] : ir::OpRegistry::builtin().all()) {
        INFO("op " << name);
        CHECK(runtime::reference::hasEvaluator(name));
        ++ops;
    }
    CHECK(ops > 0);
    CHECK_FALSE(runtime::reference::hasEvaluator("no_such_op"));
}

TEST_CASE("run returns every output in its declared dtype", "[runtime]") {
    auto module = compileModule(R"(
kernel k(a: fp32[4], b: fp16[4]) -> (y: fp16[4], c: bool[4], n: int32[4], z: fp32[4]) {
    let a16 = cast(a, fp16)
    y = a16 * b + 1
    c = a16 > b
    n = cast(b, int32)
    z = cast(a16 - b, fp32)
}
)");
    auto executable = runtime::createReferenceBackend()->prepare(module, "k");
    REQUIRE(executable->inputs().size() == 2);
    CHECK(executable->inputs()[0].name == "a");
    CHECK(executable->inputs()[1].type.str() == "fp16[4]");
    REQUIRE(executable->outputs().size() == 4);
    CHECK(executable->outputs()[1].type.str() == "bool[4]");
    runtime::Tensor a = makeTensor({ir::DType::Fp32, {4}}, {1.5, -2, 0.25, 3});
    runtime::Tensor b = makeTensor({ir::DType::Fp16, {4}}, {2, 0.5, -7.75, 3});
    for (int repeat = 0; repeat < 2; ++repeat) { // an executable runs any number of times
        auto outputs = executable->run({{"a", viewOf(a)}, {"b", viewOf(b)}});
        CHECK(outputs.at("y").type().str() == "fp16[4]");
        CHECK(outputs.at("y").bytes().size() == 8);
        CHECK(toDoubles(outputs.at("y")) == std::vector<double>{4, 0, -0.9375, 10});
        CHECK(toDoubles(outputs.at("c")) == std::vector<double>{0, 0, 1, 0});
        CHECK(outputs.at("n").type().str() == "int32[4]");
        CHECK(toDoubles(outputs.at("n")) == std::vector<double>{2, 0, -7, 3});
        CHECK(outputs.at("z").bytes().size() == 16);
        CHECK(toDoubles(outputs.at("z")) == std::vector<double>{-0.5, -2.5, 8, 0});
    }
}

TEST_CASE("run rejects missing, unknown and mistyped inputs by name", "[runtime]") {
    auto module = compileModule(R"(
kernel k(a: fp32[2, 3], b: fp16[3]) -> (y: fp16[2, 3]) {
    y = cast(a, fp16) + b
}
)");
    auto executable = runtime::createReferenceBackend()->prepare(module, "k");
    runtime::Tensor a = makeTensor({ir::DType::Fp32, {2, 3}}, {1, 2, 3, 4, 5, 6});
    runtime::Tensor b = makeTensor({ir::DType::Fp16, {3}}, {1, 1, 1});
    runtime::Tensor a16 = makeTensor({ir::DType::Fp16, {2, 3}}, {1, 2, 3, 4, 5, 6});
    runtime::Tensor aShape = makeTensor({ir::DType::Fp32, {3, 2}}, {1, 2, 3, 4, 5, 6});
    CHECK_THROWS_WITH(executable->run({{"a", viewOf(a)}}),
                      Catch::Contains("missing input 'b'") && Catch::Contains("fp16[3]"));
    CHECK_THROWS_WITH(executable->run({{"a", viewOf(a)}, {"b", viewOf(b)}, {"c", viewOf(b)}}),
                      Catch::Contains("unknown input 'c'") && Catch::Contains("a: fp32[2,3]"));
    CHECK_THROWS_WITH(executable->run({{"a", viewOf(a16)}, {"b", viewOf(b)}}),
                      Catch::Contains("input 'a' has type fp16[2,3]") &&
                          Catch::Contains("declares fp32[2,3]"));
    CHECK_THROWS_WITH(executable->run({{"a", viewOf(aShape)}, {"b", viewOf(b)}}),
                      Catch::Contains("input 'a' has type fp32[3,2]") &&
                          Catch::Contains("declares fp32[2,3]"));
    runtime::TensorView shortBytes{a.type(), a.bytes().first(8)};
    CHECK_THROWS_WITH(executable->run({{"a", shortBytes}, {"b", viewOf(b)}}),
                      Catch::Contains("input 'a'") && Catch::Contains("needs 24 bytes, got 8"));
    CHECK_NOTHROW(executable->run({{"a", viewOf(a)}, {"b", viewOf(b)}}));
}

TEST_CASE("prepare names an unknown kernel and lists the module's kernels", "[runtime]") {
    auto module = compileModule("kernel first(x: fp16[2]) -> (y: fp16[2]) { y = x * 2 }");
    CHECK_THROWS_WITH(runtime::createReferenceBackend()->prepare(module, "second"),
                      Catch::Contains("no kernel named 'second'") && Catch::Contains("first"));
    CHECK_THROWS_WITH(runtime::createReferenceBackend()->prepare(nullptr, "first"),
                      Catch::Contains("no module"));
}

TEST_CASE("prepare rejects an op without an evaluator, naming it and its location", "[runtime]") {
    static const ir::OpDef mystery{"mystery_op", {{"x"}}, {}, nullptr, "not a real op"};
    auto module = std::make_shared<ir::Module>();
    auto kernel = std::make_unique<ir::Kernel>();
    kernel->name = "k";
    ir::Value* x = kernel->addInput("x", {ir::DType::Fp16, {2}});
    auto op = std::make_unique<ir::Op>(mystery, SourceLoc{1, 12, 5});
    op->operands.push_back(x);
    op->results.push_back(std::make_unique<ir::Value>(x->type, "m"));
    op->results[0]->definingOp = op.get();
    ir::Value* result = op->result();
    kernel->append(std::move(op));
    kernel->outputs.push_back({"y", result, {}});
    module->kernels.push_back(std::move(kernel));
    CHECK_THROWS_WITH(runtime::createReferenceBackend()->prepare(module, "k"),
                      Catch::Contains("no evaluator") && Catch::Contains("'mystery_op'") &&
                          Catch::Contains("12:5"));
}

TEST_CASE("prepare rejects element types the reference backend does not hold", "[runtime]") {
    auto module = std::make_shared<ir::Module>();
    auto kernel = std::make_unique<ir::Kernel>();
    kernel->name = "k";
    ir::Value* x = kernel->addInput("x", {ir::DType::Int16, {2}});
    kernel->outputs.push_back({"y", x, {}});
    module->kernels.push_back(std::move(kernel));
    CHECK_THROWS_WITH(runtime::createReferenceBackend()->prepare(module, "k"),
                      Catch::Contains("int16") && Catch::Contains("'x'"));
}

TEST_CASE("prepare re-checks op attributes instead of trusting them", "[runtime]") {
    // An op edited after building (here: a slice that runs past the end) is an error, not a
    // wild read.
    SingleOp op("slice_by_size",
                {{"begin", std::vector<int64_t>{0}}, {"size", std::vector<int64_t>{2}}});
    op.operand({ir::DType::Fp16, {4}}, {1, 2, 3, 4});
    auto module = std::const_pointer_cast<ir::Module>(op.module());
    ir::Op& slice = *module->kernels[0]->ops.back();
    slice.attrs["size"] = std::vector<int64_t>{5};
    CHECK_THROWS_WITH(runtime::createReferenceBackend()->prepare(module, "k"),
                      Catch::Contains("slice_by_size") && Catch::Contains("7:3") &&
                          Catch::Contains("runs past the end"));
}

TEST_CASE("kernel inputs can be outputs directly, and outputs can share a value", "[runtime]") {
    auto module = std::make_shared<ir::Module>();
    auto kernel = std::make_unique<ir::Kernel>();
    kernel->name = "k";
    ir::Value* x = kernel->addInput("x", {ir::DType::Fp16, {2}});
    kernel->outputs.push_back({"a", x, {}});
    kernel->outputs.push_back({"b", x, {}});
    module->kernels.push_back(std::move(kernel));
    auto executable = runtime::createReferenceBackend()->prepare(module, "k");
    runtime::Tensor in = makeTensor({ir::DType::Fp16, {2}}, {0.5, -3});
    auto outputs = executable->run({{"x", viewOf(in)}});
    CHECK(toDoubles(outputs.at("a")) == std::vector<double>{0.5, -3});
    CHECK(toDoubles(outputs.at("b")) == std::vector<double>{0.5, -3});
}

TEST_CASE("createBackend: Auto and Reference give the reference backend, Ane is an error here",
          "[runtime]") {
    CHECK(runtime::createBackend(runtime::BackendKind::Auto)->name() == "reference");
    CHECK(runtime::createBackend(runtime::BackendKind::Reference)->name() == "reference");
    CHECK(runtime::createReferenceBackend(runtime::Precision::Float64)->name() ==
          "reference (float64)");
    CHECK_THROWS_WITH(runtime::createBackend(runtime::BackendKind::Ane),
                      Catch::Contains("ANE backend is not available"));
}
