// Gradient checks of gather, gather_along_axis and scatter_along_axis against float64 central
// differences. Random indices repeat, so the sums over repeated rows are checked too.
#include "gradcheck.hpp"

namespace anec::test {
namespace {
using ir::AttrMap;

ir::TensorType f32(ir::Shape shape) {
    return {ir::DType::Fp32, std::move(shape)};
}

GradTensor input(const std::string& name, ir::Shape shape) {
    return {name, f32(std::move(shape))};
}

// Random int32 indices in [0, size - 1], a kernel input or (constant) a const op.
GradTensor indices(ir::Shape shape, int64_t size, bool constant = false) {
    return {"indices", {ir::DType::Int32, std::move(shape)}, {}, constant, false, false,
            0,         static_cast<double>(size - 1)};
}
} // namespace

TEST_CASE("gather: the cotangent summed into the gathered rows (one-hot matmul)",
          "[autodiff][grad]") {
    for (uint32_t seed : {1u, 2u}) {
        // The embedding lookup: rows of a table.
        checkOpGradient("gather", {input("x", {5, 3}), indices({2, 4}, 5)}, {}, {}, seed);
        checkOpGradient("gather", {input("x", {5, 3}), indices({}, 5, true)}, {}, {}, seed);
        checkOpGradient("gather", {input("x", {2, 4, 3}), indices({5}, 4)}, {{"axis", int64_t{1}}},
                        {}, seed);
        checkOpGradient("gather", {input("x", {2, 3, 4}), indices({2, 3}, 4, true)},
                        {{"axis", int64_t{-1}}}, {}, seed);
        checkOpGradient("gather", {input("x", {2, 4, 3}), indices({2, 3}, 4)},
                        {{"axis", int64_t{1}}, {"batch_dims", int64_t{1}}}, {}, seed);
        checkOpGradient("gather", {input("x", {2, 3, 4, 2}), indices({2, 3, 5}, 4)},
                        {{"axis", int64_t{2}}, {"batch_dims", int64_t{2}}}, {}, seed);
        checkOpGradient("gather", {input("x", {2, 2, 4, 2}), indices({2, 3}, 4)},
                        {{"axis", int64_t{2}}, {"batch_dims", int64_t{1}}}, {}, seed);
    }
}

TEST_CASE("gather_along_axis: the cotangent added where each element was read",
          "[autodiff][grad]") {
    for (uint32_t seed : {1u, 2u}) {
        checkOpGradient("gather_along_axis", {input("x", {4, 3}), indices({6, 3}, 4)}, {}, {},
                        seed);
        checkOpGradient("gather_along_axis", {input("x", {2, 4, 3}), indices({2, 2, 3}, 4)},
                        {{"axis", int64_t{1}}}, {}, seed);
        checkOpGradient("gather_along_axis", {input("x", {2, 3, 4}), indices({2, 3, 5}, 4, true)},
                        {{"axis", int64_t{-1}}}, {}, seed);
    }
}

TEST_CASE("scatter_along_axis: data where not overwritten, updates where they stay",
          "[autodiff][grad]") {
    for (const std::string mode : {"update", "add", "sub", "mul", "div", "max", "min"})
        for (uint32_t seed : {1u, 2u, 3u}) {
            INFO("mode " << mode << ", seed " << seed);
            // div: updates away from 0; max/min: random values (no ties).
            const double low = mode == "div" ? 0.5 : -1, high = mode == "div" ? 1.5 : 1;
            auto updates = [&](ir::Shape shape) {
                return GradTensor{"updates", f32(std::move(shape)), {}, false, true, false, low,
                                  high};
            };
            // Three updates per line into four places: repeats are likely (the last one wins).
            checkOpGradient("scatter_along_axis",
                            {input("data", {4, 3}), indices({3, 3}, 4), updates({3, 3})},
                            {{"mode", mode}}, {}, seed);
            checkOpGradient("scatter_along_axis",
                            {input("data", {2, 3, 4}), indices({2, 3, 5}, 4), updates({2, 3, 5})},
                            {{"axis", int64_t{-1}}, {"mode", mode}}, {}, seed);
            checkOpGradient(
                "scatter_along_axis",
                {input("data", {2, 5, 2}), indices({2, 2, 2}, 5, true), updates({2, 2, 2})},
                {{"axis", int64_t{1}}, {"mode", mode}}, {}, seed);
        }
}

TEST_CASE("scatter_along_axis mode mul: zero updates get the product of the others",
          "[autodiff][grad]") {
    // Column 0: targets 1 (updates 2, 0), 3 (0.5); column 1: target 0 (0, 0, 3: two zeros);
    // column 2: target 2 (0, 1.5) and 1 (-2).
    const std::vector<double> indices{1, 0, 2, 1, 0, 2, 3, 0, 1};
    const std::vector<double> updates{2, 0, 0, 0, 0, 1.5, 0.5, 3, -2};
    for (uint32_t seed : {1u, 2u})
        checkOpGradient("scatter_along_axis",
                        {input("data", {4, 3}),
                         {"indices", {ir::DType::Int32, {3, 3}}, indices, false, false},
                         {"updates", f32({3, 3}), updates}},
                        {{"mode", std::string("mul")}}, {}, seed);
}

// The float64 checks run fp32 kernels; these build the gradients of fp16 kernels (the zeros,
// one-hots and ranges the VJPs make must take the operands' element type).
TEST_CASE("gradients of fp16 gathers, scatters, slices and pads build and verify",
          "[autodiff][grad]") {
    struct Case {
        std::string kind;
        ir::AttrMap attrs;
        bool withIndices;
    };
    const ir::TensorType f16{ir::DType::Fp16, {4, 6}};
    const ir::TensorType index{ir::DType::Int32, {4, 6}};
    const Case cases[] = {
        {"gather", {{"axis", int64_t{1}}}, true},
        {"gather_along_axis", {{"axis", int64_t{1}}}, true},
        {"scatter_along_axis", {{"axis", int64_t{1}}, {"mode", std::string("update")}}, true},
        {"scatter_along_axis", {{"axis", int64_t{1}}, {"mode", std::string("max")}}, true},
        {"scatter_along_axis", {{"axis", int64_t{1}}, {"mode", std::string("div")}}, true},
        {"scatter_along_axis", {{"axis", int64_t{1}}, {"mode", std::string("mul")}}, true},
        {"slice_by_index",
         {{"begin", std::vector<int64_t>{3, 0}},
          {"end", std::vector<int64_t>{0, 6}},
          {"stride", std::vector<int64_t>{-2, 4}}},
         false},
        {"pad",
         {{"pad", std::vector<int64_t>{1, 2, 3, 1}}, {"mode", std::string("reflect")}},
         false},
        {"tile", {{"reps", std::vector<int64_t>{2, 1}}}, false},
        {"topk", {{"k", int64_t{2}}}, false},
        {"cumsum", {{"axis", int64_t{1}}, {"reverse", true}}, false},
    };
    for (const Case& k : cases) {
        INFO(k.kind);
        auto kernel = std::make_unique<ir::Kernel>();
        kernel->name = "fwd";
        ir::Builder builder(*kernel);
        std::vector<ir::Value*> operands{kernel->addInput("x", f16)};
        if (k.withIndices) operands.push_back(kernel->addInput("indices", index));
        if (k.kind == "scatter_along_axis") operands.push_back(kernel->addInput("updates", f16));
        auto op = builder.create(k.kind, operands, k.attrs);
        INFO((op ? "" : op.error()));
        REQUIRE(op);
        kernel->outputs.push_back({"out", (*op)->result(0), {}});
        std::vector<std::string> wrt{"x"}, names{"d_x"};
        if (k.kind == "scatter_along_axis") {
            wrt.push_back("updates");
            names.push_back("d_updates");
        }
        verifiedBackward(*kernel, wrt, names);
    }
}

} // namespace anec::test
