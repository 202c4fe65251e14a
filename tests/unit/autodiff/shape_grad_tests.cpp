// Gradient checks of the shape ops' and tensor ops' VJPs (they move, select, pad, repeat or
// scan elements) against float64 central differences.
#include <algorithm>
#include <numeric>

#include "gradcheck.hpp"

namespace anec::test {
namespace {
using ir::AttrMap;
using List = std::vector<int64_t>;

ir::TensorType f32(ir::Shape shape) {
    return {ir::DType::Fp32, std::move(shape)};
}

GradTensor input(const std::string& name, ir::Shape shape) {
    return {name, f32(std::move(shape))};
}

// Distinct values at least 0.1 apart in random order: topk's choice never flips under the
// finite-difference steps.
std::vector<double> distinctValues(size_t count, uint32_t seed) {
    std::vector<double> values(count);
    std::iota(values.begin(), values.end(), 0.0);
    std::shuffle(values.begin(), values.end(), std::mt19937(seed));
    for (double& v : values)
        v = 0.1 * v - 0.05 * static_cast<double>(count);
    return values;
}
} // namespace

TEST_CASE("reshape, expand_dims and squeeze: the cotangent reshaped back", "[autodiff][grad]") {
    checkOpGradient("reshape", {input("x", {2, 3, 4})}, {{"shape", List{4, -1}}});
    checkOpGradient("reshape", {input("x", {2, 3, 4})}, {{"shape", List{0, 4, 3}}});
    checkOpGradient("expand_dims", {input("x", {2, 3})}, {{"axes", List{0, -1}}});
    checkOpGradient("squeeze", {input("x", {1, 3, 1, 2})}, {{"axes", List{-2}}});
    checkOpGradient("squeeze", {input("x", {1, 3, 1, 2})}, {{"axes", List{}}});
}

TEST_CASE("transpose: the inverse permutation", "[autodiff][grad]") {
    for (const List& perm : {List{1, 0, 2}, List{2, 0, 1}, List{-1, 0, -2}, List{0, 1, 2}})
        checkOpGradient("transpose", {input("x", {2, 3, 4})}, {{"perm", perm}});
}

TEST_CASE("slice_by_size: the cotangent padded back with zeros", "[autodiff][grad]") {
    checkOpGradient("slice_by_size", {input("x", {4, 5})},
                    {{"begin", List{1, 2}}, {"size", List{2, -1}}});
    checkOpGradient("slice_by_size", {input("x", {3, 4, 5})},
                    {{"begin", List{0, -3, 0}}, {"size", List{3, 2, 5}}});
}

TEST_CASE("slice_by_index: strides, masks and squeezes scattered back", "[autodiff][grad]") {
    struct Case {
        List begin, end, stride, beginMask, endMask, squeezeMask;
    };
    const Case cases[] = {
        {{1, 0}, {3, 5}, {}, {}, {}, {}},
        {{0, 1}, {7, 6}, {2, 3}, {}, {}, {}},              // strides, trailing zeros trimmed
        {{1, 0}, {7, 6}, {3, 2}, {}, {}, {}},              // the spread fits without a trim
        {{-1, 4}, {0, 0}, {-1, -2}, {}, {}, {}},           // backward walks
        {{5, 0}, {0, 0}, {-2, 1}, {0, 1}, {1, 1}, {}},     // masks with a negative stride
        {{2, 1}, {3, 5}, {1, 2}, {}, {}, {1, 0}},          // squeeze an axis
        {{0, -1}, {0, 0}, {1, 1}, {1, 0}, {1, 0}, {0, 1}}, // squeeze the last index
        {{-3, 5}, {-1, 1}, {1, -3}, {}, {}, {}},           // negative stride > 1
    };
    for (const Case& k : cases) {
        AttrMap attrs{{"begin", k.begin}, {"end", k.end}};
        if (!k.stride.empty()) attrs["stride"] = k.stride;
        if (!k.beginMask.empty()) attrs["begin_mask"] = k.beginMask;
        if (!k.endMask.empty()) attrs["end_mask"] = k.endMask;
        if (!k.squeezeMask.empty()) attrs["squeeze_mask"] = k.squeezeMask;
        checkOpGradient("slice_by_index", {input("x", {7, 6})}, attrs);
    }
    checkOpGradient("slice_by_index", {input("x", {2, 5, 4})},
                    {{"begin", List{0, 4, 1}},
                     {"end", List{2, 0, 4}},
                     {"stride", List{1, -2, 2}},
                     {"squeeze_mask", List{1, 0, 0}}});
}

TEST_CASE("concat: the cotangent split back, also interleaved", "[autodiff][grad]") {
    checkOpGradient("concat", {input("a", {2, 3}), input("b", {2, 1}), input("c", {2, 4})},
                    {{"axis", int64_t{-1}}});
    checkOpGradient("concat", {input("a", {2, 3}), input("b", {1, 3})}, {{"axis", int64_t{0}}});
    checkOpGradient("concat", {input("a", {2, 3})}, {{"axis", int64_t{1}}});
    for (int64_t axis : {0, 1, 2})
        checkOpGradient("concat",
                        {input("a", {2, 3, 2}), input("b", {2, 3, 2}), input("c", {2, 3, 2})},
                        {{"axis", axis}, {"interleave", true}});
    // Only some values depend on the input: the others are not differentiated.
    checkOpGradient("concat", {input("a", {2, 3}), {"b", f32({2, 3}), {}, true, false}},
                    {{"axis", int64_t{1}}, {"interleave", true}});
}

TEST_CASE("split: the pieces' cotangents joined, zeros for unused pieces", "[autodiff][grad]") {
    checkOpGradient("split", {input("x", {2, 6})},
                    {{"axis", int64_t{1}}, {"num_splits", int64_t{3}}});
    checkOpGradient("split", {input("x", {5, 2})},
                    {{"axis", int64_t{-2}}, {"split_sizes", List{1, 3, 1}}});
    checkOpGradient("split", {input("x", {3, 2})},
                    {{"axis", int64_t{0}}, {"num_splits", int64_t{1}}});
    for (size_t used : {0, 1, 2}) {
        GradCase unused{{input("x", {6, 2})},
                        [used](ir::Builder& builder, const std::vector<ir::Value*>& values) {
                            auto op = builder.create(
                                "split", values,
                                {{"axis", int64_t{0}}, {"split_sizes", List{1, 2, 3}}});
                            REQUIRE(op);
                            builder.kernel().outputs.push_back({"piece", (*op)->result(used), {}});
                        }};
        GradChecker(unused).check();
    }
}

TEST_CASE("stack: the cotangent split along the new axis", "[autodiff][grad]") {
    for (int64_t axis : {0, 1, 2, -1})
        checkOpGradient("stack", {input("a", {2, 3}), input("b", {2, 3}), input("c", {2, 3})},
                        {{"axis", axis}});
    checkOpGradient("stack", {input("a", {3})}, {{"axis", int64_t{0}}});
}

TEST_CASE("tile: the cotangent summed over the repeats", "[autodiff][grad]") {
    checkOpGradient("tile", {input("x", {2, 3})}, {{"reps", List{2, 3}}});
    checkOpGradient("tile", {input("x", {1, 3, 2})}, {{"reps", List{3, 1, 2}}});
    checkOpGradient("tile", {input("x", {4})}, {{"reps", List{1}}});
}

TEST_CASE("pad: sliced back; reflect and replicate add the borders' cotangents",
          "[autodiff][grad]") {
    for (const std::string mode : {"constant", "reflect", "replicate"}) {
        INFO("mode " << mode);
        checkOpGradient("pad", {input("x", {2, 4, 5})}, {{"pad", List{1, 2}}, {"mode", mode}});
        checkOpGradient("pad", {input("x", {2, 4, 5})},
                        {{"pad", List{3, 0, 2, 4}}, {"mode", mode}, {"constant_val", 0.5}});
        checkOpGradient("pad", {input("x", {3, 4})}, {{"pad", List{2, 1, 0, 3}}, {"mode", mode}});
        checkOpGradient("pad", {input("x", {4})}, {{"pad", List{0, 0}}, {"mode", mode}});
    }
    // replicate may add as many elements as the dim holds; reflect one fewer.
    checkOpGradient("pad", {input("x", {2, 3})},
                    {{"pad", List{2, 3}}, {"mode", std::string("replicate")}});
    checkOpGradient("pad", {input("x", {2, 3})},
                    {{"pad", List{2, 2}}, {"mode", std::string("reflect")}});
}

TEST_CASE("reverse, band_part: the cotangent moved or masked the same way", "[autodiff][grad]") {
    for (const List& axes : {List{}, List{0}, List{-1}, List{0, 2}})
        checkOpGradient("reverse", {input("x", {2, 3, 4})}, {{"axes", axes}});
    for (int64_t lower : {-1, 0, 1})
        for (int64_t upper : {-1, 0, 2})
            checkOpGradient("band_part", {input("x", {2, 4, 5})},
                            {{"lower", lower}, {"upper", upper}});
}

TEST_CASE("pixel_shuffle and upsample_nearest_neighbor: blocks moved back or summed",
          "[autodiff][grad]") {
    checkOpGradient("pixel_shuffle", {input("x", {2, 8, 2, 3})}, {{"upscale_factor", int64_t{2}}});
    checkOpGradient("pixel_shuffle", {input("x", {1, 9, 2, 2})}, {{"upscale_factor", int64_t{3}}});
    checkOpGradient("pixel_shuffle", {input("x", {1, 3, 2, 2})}, {{"upscale_factor", int64_t{1}}});
    for (int64_t sh : {1, 2})
        for (int64_t sw : {1, 3})
            checkOpGradient("upsample_nearest_neighbor", {input("x", {2, 2, 3})},
                            {{"scale_factor_height", sh}, {"scale_factor_width", sw}});
    checkOpGradient("upsample_nearest_neighbor", {input("x", {1, 2, 2, 2})},
                    {{"scale_factor_height", int64_t{2}}, {"scale_factor_width", int64_t{2}}});
}

TEST_CASE("cumsum: the cotangent summed the other way", "[autodiff][grad]") {
    for (int64_t axis : {0, 1, -1})
        for (bool exclusive : {false, true})
            for (bool reverse : {false, true})
                checkOpGradient("cumsum", {input("x", {3, 4, 2})},
                                {{"axis", axis}, {"exclusive", exclusive}, {"reverse", reverse}});
}

TEST_CASE("fill and range_1d: sums of the cotangent", "[autodiff][grad]") {
    checkOpGradient("fill", {input("value", {})}, {{"shape", List{2, 3}}});
    // range_1d takes constants only; as weights they are differentiated. Weights are fp32
    // constants, so their shifted values are rounded: a large step (range_1d is linear in start
    // and step, central differences stay exact) keeps that rounding small, and the values stay
    // where the length (ceil((end - start) / step) = 5) does not change within the step.
    auto scalar = [](const std::string& name, double value, bool wrt) {
        return GradTensor{name, f32({}), {value}, true, wrt};
    };
    const GradTolerance roundedWeights{1e-5, 0.02};
    checkOpGradient(
        "range_1d",
        {scalar("start", 0.3, true), scalar("end", 2.5, false), scalar("step", 0.5, true)}, {},
        roundedWeights);
    checkOpGradient(
        "range_1d",
        {scalar("start", 1.5, true), scalar("end", -1.2, true), scalar("step", -0.6, true)}, {},
        roundedWeights);
}

TEST_CASE("topk: the values' cotangent scattered back to where they came from",
          "[autodiff][grad]") {
    for (uint32_t seed : {1u, 2u, 3u})
        for (bool ascending : {false, true}) {
            checkOpGradient("topk", {{"x", f32({3, 5}), distinctValues(15, seed)}},
                            {{"k", int64_t{2}}, {"axis", int64_t{-1}}, {"ascending", ascending}},
                            {}, seed);
            checkOpGradient("topk", {{"x", f32({4, 2, 3}), distinctValues(24, seed)}},
                            {{"k", int64_t{3}}, {"axis", int64_t{0}}, {"ascending", ascending}}, {},
                            seed);
        }
}

TEST_CASE("shape ops chained: the cotangents of a value used twice add up", "[autodiff][grad]") {
    // x split into pieces that are re-joined interleaved, plus a strided, reversed slice of x
    // padded back to the joined shape: x receives cotangents along both paths.
    GradCase chained{
        {{"x", {ir::DType::Fp32, {4, 6}}}},
        [](ir::Builder& builder, const std::vector<ir::Value*>& values) {
            auto value = [&](const std::string& kind, std::vector<ir::Value*> operands,
                             ir::AttrMap attrs) {
                auto v = builder.createValue(kind, std::move(operands), std::move(attrs));
                INFO(kind << ": " << (v ? "" : v.error()));
                REQUIRE(v);
                return *v;
            };
            auto pieces = builder.create("split", {values[0]},
                                         {{"axis", int64_t{1}}, {"num_splits", int64_t{3}}});
            REQUIRE(pieces);
            ir::Value* joined = value("concat", {(*pieces)->result(2), (*pieces)->result(0)},
                                      {{"axis", int64_t{0}}, {"interleave", true}}); // [8, 2]
            ir::Value* sliced = value("slice_by_index", {values[0]},
                                      {{"begin", std::vector<int64_t>{3, 5}},
                                       {"end", std::vector<int64_t>{0, 0}},
                                       {"stride", std::vector<int64_t>{-1, -3}}}); // [3, 2]
            ir::Value* padded = value("pad", {sliced},
                                      {{"pad", std::vector<int64_t>{2, 3, 0, 0}},
                                       {"mode", std::string("replicate")}}); // [8, 2]
            ir::Value* sum = value("add", {joined, padded}, {});
            builder.kernel().outputs.push_back({"out", sum, {}});
        }};
    for (uint32_t seed : {1u, 2u})
        GradChecker(chained, seed).check();
}

} // namespace anec::test
