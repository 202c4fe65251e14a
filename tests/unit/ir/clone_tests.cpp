// ir::cloneKernel / cloneOpsInto and ir::fuseKernels on hand-built IR.
#include <catch2/catch.hpp>

#include "ir/builder.hpp"
#include "ir/clone.hpp"
#include "ir/fuse_kernels.hpp"
#include "ir/printer.hpp"
#include "ir/verifier.hpp"
#include "ir_test_support.hpp"

using namespace anec;
using namespace anec::ir;
using namespace anec::ir::test;

namespace {
// name(inName: fp16[4]) -> (outName) = relu(inName * 2): a const, a mul and a relu.
std::unique_ptr<Kernel> scaleRelu(const std::string& name, const std::string& inName,
                                  const std::string& outName, TensorType type = f16({4})) {
    auto kernel = std::make_unique<Kernel>();
    kernel->name = name;
    Value* x = kernel->addInput(inName, type);
    Builder b(*kernel);
    auto two = std::make_shared<ConstData>(ConstData::splat(TensorType{type.dtype, {}}, 2.0));
    Value* c = b.createConst(two, {}, "two");
    Value* m = *b.createValue("mul", {x, c}, {}, {}, "m");
    Value* r = *b.createValue("relu", {m}, {}, {}, outName);
    kernel->outputs.push_back({outName, r, {}});
    return kernel;
}

bool verifies(const Kernel& kernel) {
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    return verifyKernel(kernel, diagnostics);
}
} // namespace

TEST_CASE("cloneKernel gives an equal, independent kernel sharing constant data", "[ir][clone]") {
    auto original = scaleRelu("k", "x", "y");
    auto copy = cloneKernel(*original);
    REQUIRE(copy.ok());
    const Kernel& k = **copy;
    CHECK(printKernel(k) == printKernel(*original));
    CHECK(verifies(k));
    REQUIRE(k.ops.size() == 3);
    // No pointer into the original survives.
    for (const auto& op : k.ops) {
        for (const Value* operand : op->operands) {
            CHECK(operand != original->inputs[0].get());
            for (const auto& originalOp : original->ops)
                CHECK(operand != originalOp->result());
        }
        CHECK(op->result()->definingOp == op.get());
    }
    CHECK(k.outputs[0].value == k.ops.back()->result());
    CHECK(k.ops.front()->constData == original->ops.front()->constData);
    // Changing the copy leaves the original alone.
    std::string before = original->ops.back()->name;
    (*copy)->ops.back()->name = "changed";
    (*copy)->inputs[0]->name = "renamed";
    CHECK(original->ops.back()->name == before);
    CHECK(original->inputs[0]->name == "x");
}

TEST_CASE("cloneOpsInto fails on an unmapped input", "[ir][clone]") {
    auto source = scaleRelu("k", "x", "y");
    Kernel target;
    ValueMap mapping;
    auto copied = cloneOpsInto(*source, target, mapping);
    REQUIRE_FALSE(copied.ok());
    CHECK(copied.error() == "cannot copy kernel 'k': operand 'x' of 'mul' has no copy");
}

TEST_CASE("fuseKernels connects outputs to same-named inputs", "[ir][fuse]") {
    auto a = scaleRelu("a", "x", "h");
    auto b = scaleRelu("b", "h", "y");
    auto fused = fuseKernels({a.get(), b.get()}, "ab");
    REQUIRE(fused.ok());
    const Kernel& ab = **fused;
    CHECK(ab.name == "ab");
    CHECK(verifies(ab));
    REQUIRE(ab.inputs.size() == 1);
    CHECK(ab.inputs[0]->name == "x");
    REQUIRE(ab.outputs.size() == 1);
    CHECK(ab.outputs[0].name == "y");
    std::vector<std::string> kinds;
    for (const auto& op : ab.ops)
        kinds.push_back(op->kind());
    CHECK(kinds == std::vector<std::string>{"const", "mul", "relu", "const", "mul", "relu"});
    // b's mul reads a's relu: h never leaves the kernel.
    auto op = ab.ops.begin();
    std::advance(op, 2);
    const Value* h = (*op)->result();
    ++op;
    ++op;
    CHECK((*op)->operands[0] == h);
}

TEST_CASE("fuseKernels rejects mismatches", "[ir][fuse]") {
    auto a = scaleRelu("a", "x", "h");
    auto wide = scaleRelu("b", "h", "y", f16({8}));
    auto fused = fuseKernels({a.get(), wide.get()}, "ab");
    REQUIRE_FALSE(fused.ok());
    CHECK(fused.error() ==
          "input 'h' of kernel 'b' is fp16[8] but the output of kernel 'a' is fp16[4]");

    auto again = scaleRelu("c", "z", "h");
    CHECK(fuseKernels({a.get(), again.get()}, "ac").error() ==
          "output 'h' of kernel 'c' clashes with the output of kernel 'a'");
    auto backwards = scaleRelu("d", "y", "x");
    CHECK(fuseKernels({a.get(), backwards.get()}, "ad").error() ==
          "output 'x' of kernel 'd' has the name of an input of an earlier kernel");
    CHECK(fuseKernels({a.get()}, "one").error() == "fusing needs at least two kernels");
    CHECK(fuseKernels({a.get(), a.get()}, "aa").error() == "kernel 'a' is listed twice");
}
